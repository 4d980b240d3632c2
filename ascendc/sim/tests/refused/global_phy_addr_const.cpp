// refused: GlobalTensor::GetPhyAddr() returns a pointer to const
// arch: 2201 3510
// expect-sim: invalid conversion from ‘const float*’ to ‘float*’
// expect-real: {aka ‘const float*’} to ‘float*’
#include "kernel_operator.h"
using namespace AscendC;

extern "C" __global__ __aicore__ void refused_kernel(GM_ADDR gm)
{
    GlobalTensor<float> g;
    g.SetGlobalBuffer((__gm__ float*)gm, 64);
    __gm__ float* p = g.GetPhyAddr();
    (void)p;
}
