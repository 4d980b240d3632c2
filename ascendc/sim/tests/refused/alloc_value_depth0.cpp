// refused: AllocTensor<T>() (and DeQue<T>()) on a depth-0 queue; the queue queries too
// arch: 2201 3510
// expect-sim: must use AllocTensor<LocalTensor&> api while tque's depth is zero
// expect-real: must use AllocTensor<LocalTensor&> api while tque's depth is zero
#include "kernel_operator.h"
using namespace AscendC;

extern "C" __global__ __aicore__ void refused_kernel(GM_ADDR gm)
{
    (void)gm;
    TPipe pipe;
    TQue<TPosition::VECIN, 0> q;
    pipe.InitBuffer(q, 1, 1024);
    LocalTensor<float> x = q.AllocTensor<float>();
    bool vacant = q.VacantInQue();
    (void)vacant;
    q.FreeTensor(x);
}
