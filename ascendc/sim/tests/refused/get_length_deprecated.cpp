// refused: LocalTensor::GetLength is deprecated (an error with -Werror=deprecated-declarations)
// arch: 2201 3510
// flags: -Werror=deprecated-declarations
// expect-sim: GetLength has been deprecated
// expect-real: GetLength has been deprecated
#include "kernel_operator.h"
using namespace AscendC;

extern "C" __global__ __aicore__ void refused_kernel(GM_ADDR gm)
{
    (void)gm;
    TPipe pipe;
    TBuf<TPosition::VECCALC> buf;
    pipe.InitBuffer(buf, 1024);
    LocalTensor<float> x = buf.Get<float>();
    uint32_t bytes = x.GetLength();
    (void)bytes;
}
