// refused: InitConstValue / Fill take InitConstValueParams of the tensor's own element type (the real
// template's enable_if: U must be PrimT<T>; no conversion of the fill value)
// arch: 2201 3510
// expect-sim: no matching function for call to ‘InitConstValue(
// expect-real: no matching function for call to ‘InitConstValue(
#include "kernel_operator.h"
using namespace AscendC;

extern "C" __global__ __aicore__ void refused_kernel(GM_ADDR gm)
{
    (void)gm;
    TPipe pipe;
    TBuf<TPosition::A1> buf;
    pipe.InitBuffer(buf, 1024);
    LocalTensor<half> x = buf.Get<half>();
    InitConstValue(x, InitConstValueParams<float>(1, 1, 0, 0.0f));
}
