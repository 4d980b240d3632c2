// refused: the bias of Mmad is a LocalTensor (in the bias table, TPosition::C2), never a GlobalTensor
// arch: 2201 3510
// expect-sim: no matching function for call to ‘Mmad(
// expect-real: no matching function for call to ‘Mmad(
#include "kernel_operator.h"
using namespace AscendC;

extern "C" __global__ __aicore__ void refused_kernel(GM_ADDR gm)
{
    TPipe pipe;
    TBuf<TPosition::A2> a;
    TBuf<TPosition::B2> b;
    TBuf<TPosition::CO1> c;
    pipe.InitBuffer(a, 512);
    pipe.InitBuffer(b, 512);
    pipe.InitBuffer(c, 1024);
    GlobalTensor<float> bias;
    bias.SetGlobalBuffer((__gm__ float*)gm, 16);
    Mmad(c.Get<float>(), a.Get<half>(), b.Get<half>(), bias, MmadParams(16, 16, 16, 0, false, false));
}
