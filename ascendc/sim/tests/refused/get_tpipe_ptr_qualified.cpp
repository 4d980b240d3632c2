// refused: GetTPipePtr is a global function, not a member of namespace AscendC
// arch: 2201 3510
// expect-sim: ‘GetTPipePtr’ is not a member of ‘AscendC’
// expect-real: ‘GetTPipePtr’ is not a member of ‘AscendC’
#include "kernel_operator.h"

extern "C" __global__ __aicore__ void refused_kernel(GM_ADDR gm)
{
    (void)gm;
    AscendC::TPipe pipe;
    AscendC::TPipe* p = AscendC::GetTPipePtr();
    (void)p;
}
