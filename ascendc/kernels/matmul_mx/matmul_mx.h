// matmul_mx: the Ascend 950 native MX matmul, out[m, n] = sum_j dot(x[m, block j], w[n, block j])
// * 2^(sx[m, j] - 127) * 2^(sw[n, j] - 127) (+ bias[n]) for fp8 x and w with pair-layout e8m0
// scales, straight into the cube (MX LoadData, MmadMx): the shared block matmul
// (common/ak_block_mmad.h) with its MX policy. docs/kernels/matmul.md.
#ifndef AK_KERNEL_MATMUL_MX_H
#define AK_KERNEL_MATMUL_MX_H

#include "ak_kernels.h"
#include "common/ak_kernel.h"
#include "common/ak_block_mmad.h"

// X, W: fp8_e4m3fn_t or fp8_e5m2_t of x and w; O: the output element (float, half, bfloat16_t).
template <typename X, typename W, typename O, int32_t BUFFER_NUM, typename Traits>
class KernelMatmulMx {
public:
    __aicore__ inline KernelMatmulMx() {}

    __aicore__ inline void Init(GM_ADDR x, GM_ADDR xScale, GM_ADDR w, GM_ADDR wScale, GM_ADDR bias, GM_ADDR out,
                                const AkMatmulMxTiling& tiling)
    {
        block_.Init(typename Policy::Args{x, xScale, w, wScale}, AkBlockMmadShapeOf(tiling), bias, out);
    }

    __aicore__ inline void Process() { block_.Process(); }

private:
    using Policy = AkMmadMx<X, W, BUFFER_NUM, Traits>;
    AkBlockMmad<Policy, O, BUFFER_NUM, Traits> block_;
};

#endif // AK_KERNEL_MATMUL_MX_H
