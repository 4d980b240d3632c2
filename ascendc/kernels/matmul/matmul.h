// matmul: out[m, n] = x[m, k] . w[n, k]^T (+ bias[n]) with 16-bit operands (bf16 or f16), f32
// accumulation in L0C and Fixpipe to f32 / f16 / bf16: the shared block matmul
// (common/ak_block_mmad.h) with its 16-bit policy. docs/kernels/matmul.md.
#ifndef AK_KERNEL_MATMUL_H
#define AK_KERNEL_MATMUL_H

#include "ak_kernels.h"
#include "common/ak_kernel.h"
#include "common/ak_block_mmad.h"

// T: the operand element (bfloat16_t or half); O: the output element (float, half, bfloat16_t).
template <typename T, typename O, int32_t BUFFER_NUM, typename Traits>
class KernelMatmul {
public:
    __aicore__ inline KernelMatmul() {}

    __aicore__ inline void Init(GM_ADDR x, GM_ADDR w, GM_ADDR bias, GM_ADDR out, const AkMatmulTiling& tiling)
    {
        block_.Init(typename AkMmad16<T, Traits>::Args{x, w}, AkBlockMmadShapeOf(tiling), bias, out);
    }

    __aicore__ inline void Process() { block_.Process(); }

private:
    AkBlockMmad<AkMmad16<T, Traits>, O, BUFFER_NUM, Traits> block_;
};

#endif // AK_KERNEL_MATMUL_H
