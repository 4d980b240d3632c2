//! `matmul`: the cube half of the matmul family. `out[M,N] = x[M,K] · w[N,K]ᵀ (+ bias)` with
//! 16-bit operands (bf16 or f16) in GM, f32 accumulation in L0C, Fixpipe to f32/f16/bf16.
//!
//! It serves all three Rust entry points: `ops::matmul` (bf16 × bf16 directly),
//! `ops::mx_matmul_weight_only` and `ops::mx_matmul` (the MXFP8 operands are first decoded and
//! scaled to bf16 in GM by the generated `mx_dequant` vector kernel, then this kernel runs).
//! The kernel is `ascendc/kernels/matmul/matmul.h`: the shared block matmul of
//! `ascendc/kernels/common/ak_block_mmad.h` with its 16-bit policy (`AkMmad16`): per output tile (`base_m` × `base_n`), for each L1 chunk of `k_l1`
//! columns, `DataCopy` ND→NZ of the x and w sub-tiles into L1 (A1/B1); for each `base_k` step
//! inside it, `LoadData` 2D into L0A (Zz on a2, Nz on a5) and L0B (w's Nz layout *is* the Zn
//! layout `Mmad` wants for `x · wᵀ`), `Mmad` accumulating into L0C. The optional f32 bias goes
//! GM → L1 (C1) → the bias table (C2) and is C's start value in the first `Mmad` (the form with
//! a bias operand). Then `Fixpipe` NZ→ND with the output conversion. Double buffering
//! (`BUFFER_NUM = 2`) prefetches the next L1 chunk and ping-pongs the L0A/L0B buffers.

use crate::desc::{
    CType, Dir, Field, GmArg, KernelCode, KernelDesc, SourceKernel, Target, TypeParam, Variant,
    FLOAT_DTYPES,
};
use crate::ub::UbPlan;

/// The operand types of `matmul` (`in_dtype`).
const SIXTEEN_BIT: &[(&str, &str)] = &[("AK_DTYPE_BF16", "bfloat16_t"), ("AK_DTYPE_F16", "half")];

/// The description of `matmul`.
pub fn desc() -> KernelDesc {
    KernelDesc {
        name: "matmul",
        camel: "Matmul",
        doc: "out[m, n] = sum_k x[m, k] * w[n, k] (+ bias[n]) with 16-bit operands (in_dtype), f32 accumulation in L0C
              and Fixpipe NZ2ND to out_dtype. Output tiles of base_m x base_n are dealt round-robin to the cores;
              K is staged into L1 in chunks of k_l1 (ND2NZ) and fed to L0A/L0B in steps of base_k (LoadData 2D).
              The f32 bias goes GM -> L1 -> the bias table and starts C in the first Mmad (common/ak_block_mmad.h).",
        gm_args: vec![
            GmArg { name: "x", dir: Dir::In, doc: "[m, k] activations (in_dtype)" },
            GmArg { name: "w", dir: Dir::In, doc: "[n, k] weights (in_dtype)" },
            GmArg { name: "bias", dir: Dir::In, doc: "[n] f32 bias, has_bias only" },
            GmArg { name: "out", dir: Dir::Out, doc: "[m, n] output (out_dtype)" },
        ],
        tiling: vec![
            Field { name: "m", ty: CType::U32, doc: "rows of x and out" },
            Field { name: "n", ty: CType::U32, doc: "rows of w, columns of out" },
            Field { name: "k", ty: CType::U32, doc: "inner dimension (<= 65535)" },
            Field { name: "base_m", ty: CType::U32, doc: "output tile rows (multiple of 16)" },
            Field { name: "base_n", ty: CType::U32, doc: "output tile columns (multiple of 16)" },
            Field { name: "base_k", ty: CType::U32, doc: "K per Mmad / L0A-L0B buffer (multiple of 16)" },
            Field { name: "k_l1", ty: CType::U32, doc: "K per L1 chunk (a multiple of base_k: the L1 staging depth)" },
            Field { name: "tiles_n", ty: CType::U32, doc: "ceil(n / base_n)" },
            Field { name: "tiles", ty: CType::U32, doc: "ceil(m / base_m) * tiles_n" },
            Field { name: "has_bias", ty: CType::U32, doc: "1: add bias" },
            Field { name: "in_dtype", ty: CType::U32, doc: "AK_DTYPE_BF16 or AK_DTYPE_F16 of x and w" },
            Field { name: "out_dtype", ty: CType::U32, doc: "AK_DTYPE_* of out" },
        ],
        variants: vec![
            Variant { name: "v0", buffer_num: 2, ub_share_pct: 100, doc: "double-buffered L1 and L0A/L0B" },
            Variant { name: "v1", buffer_num: 1, ub_share_pct: 100, doc: "single-buffered (largest tiles)" },
        ],
        targets: &Target::ALL,
        includes: vec![],
        code: KernelCode::Source(SourceKernel {
            header: "matmul/matmul.h",
            class: "KernelMatmul",
            type_params: vec![
                TypeParam { name: "T", field: "in_dtype", choices: SIXTEEN_BIT },
                TypeParam { name: "O", field: "out_dtype", choices: FLOAT_DTYPES },
            ],
            mode_keys: vec![],
            ub: UbPlan { lets: vec![], buffers: vec![] },
            task_type: "KERNEL_TYPE_AIC_ONLY",
            native_fp8_types: false,
        }),
    }
}
