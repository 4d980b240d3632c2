// refused: the tensor-scalar compare is Compares; Compare(dst, src0, scalar, mode, count) does not exist
// arch: 2201 3510
// expect-sim: no matching function for call to ‘Compare(
// expect-real: no matching function for call to ‘Compare(
#include "kernel_operator.h"
using namespace AscendC;

extern "C" __global__ __aicore__ void refused_kernel(GM_ADDR gm)
{
    (void)gm;
    TPipe pipe;
    TBuf<TPosition::VECCALC> buf;
    pipe.InitBuffer(buf, 1024);
    LocalTensor<float> x = buf.Get<float>(64);
    LocalTensor<uint8_t> mask = buf.GetWithOffset<uint8_t>(32, 512);
    Compare(mask, x, 480.0f, CMPMODE::NE, 64);
}
