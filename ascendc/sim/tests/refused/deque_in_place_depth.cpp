// refused: the in-place DeQue(LocalTensor&) needs a depth-0 queue
// arch: 2201 3510
// expect-sim: can not DeQue tensor in place while tque's depth is non zero
// expect-real: can not DeQue tensor in place while tque's depth is non zero
#include "kernel_operator.h"
using namespace AscendC;

extern "C" __global__ __aicore__ void refused_kernel(GM_ADDR gm)
{
    (void)gm;
    TPipe pipe;
    TQue<TPosition::VECIN, 1> q;
    pipe.InitBuffer(q, 1, 1024);
    LocalTensor<float> x = q.AllocTensor<float>();
    q.EnQue(x);
    q.DeQue<float>(x);
    q.FreeTensor(x);
}
