// refused: GlobalTensor::ReinterpretCast exists on 3510 only (kernel_tensor.h)
// arch: 2201
// expect-sim: has no member named ‘ReinterpretCast’
// expect-real: has no member named ‘ReinterpretCast’
#include "kernel_operator.h"
using namespace AscendC;

extern "C" __global__ __aicore__ void refused_kernel(GM_ADDR gm)
{
    GlobalTensor<float> g;
    g.SetGlobalBuffer((__gm__ float*)gm, 64);
    GlobalTensor<int32_t> i = g.ReinterpretCast<int32_t>();
    (void)i;
}
