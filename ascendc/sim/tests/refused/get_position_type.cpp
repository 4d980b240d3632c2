// refused: LocalTensor::GetPosition returns int32_t, not TPosition
// arch: 2201 3510
// expect-sim: no match for ‘operator==’
// expect-real: no match for ‘operator==’
#include "kernel_operator.h"
using namespace AscendC;

extern "C" __global__ __aicore__ void refused_kernel(GM_ADDR gm)
{
    (void)gm;
    TPipe pipe;
    TBuf<TPosition::VECCALC> buf;
    pipe.InitBuffer(buf, 1024);
    LocalTensor<float> x = buf.Get<float>();
    bool vec = x.GetPosition() == TPosition::VECCALC;
    (void)vec;
}
