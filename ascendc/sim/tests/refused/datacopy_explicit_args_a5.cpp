// refused: on a5 an explicit DataCopy<T, false>(l1, gm, Nd2NzParams) also matches the MultiCopy
// overload and stops at its static_assert (write DataCopy(l1, gm, params) instead)
// arch: 3510
// expect-sim: MultiCopy Dims must be between 1 and 5.
// expect-real: MultiCopy Dims must be between 1 and 5.
#include "kernel_operator.h"
using namespace AscendC;

extern "C" __global__ __aicore__ void refused_kernel(GM_ADDR gm)
{
    TPipe pipe;
    TQue<TPosition::A1, 1> a1;
    pipe.InitBuffer(a1, 1, 16 * 1024);
    GlobalTensor<half> g;
    g.SetGlobalBuffer((__gm__ half*)gm);
    LocalTensor<half> l1 = a1.AllocTensor<half>();
    Nd2NzParams nd(1, 16, 16, 0, 16, 16, 1, 0);
    DataCopy<half, false>(l1, g, nd);
    a1.FreeTensor(l1);
}
