// refused: GlobalTensor::SetValue is not a const member
// arch: 2201 3510
// expect-sim: discards qualifiers
// expect-real: discards qualifiers
#include "kernel_operator.h"
using namespace AscendC;

__aicore__ inline void Store(const GlobalTensor<float>& g) { g.SetValue(0, 1.0f); }

extern "C" __global__ __aicore__ void refused_kernel(GM_ADDR gm)
{
    GlobalTensor<float> g;
    g.SetGlobalBuffer((__gm__ float*)gm, 64);
    Store(g);
}
