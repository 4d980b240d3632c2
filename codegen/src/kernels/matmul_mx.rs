//! `matmul_mx`: the a5 (Ascend 950) native MX cube kernel of the matmul family.
//! `out[M,N] = Σ_j (x[m, block j] · w[n, block j]) · 2^(sx[m,j] − 127) · 2^(sw[n,j] − 127) (+ bias)`
//! with FP8 operands (E4M3 or E5M2 each) and pair-layout E8M0 scales in GM, straight into the
//! cube: no decode to bf16, one launch.
//!
//! The kernel is `ascendc/kernels/matmul_mx/matmul_mx.h`: the shared block matmul of
//! `ascendc/kernels/common/ak_block_mmad.h` with its MX policy (`AkMmadMx`). Dataflow per output tile (`base_m` × `base_n`), for each L1 chunk of `k_l1`
//! columns (a multiple of 64): `DataCopy` ND→NZ of the x / w fp8 sub-tiles into L1 (A1/B1) and,
//! when the chunk's K is not a multiple of 64, an `InitConstValue` zero fill of the 32-B column
//! block the ND2NZ padding does not reach (MmadMx reads K in multiples of 64); `DataCopy` DN→NZ of
//! the scale pairs through a 16-bit view into L1 (fractal (row block, 64-k group) = 16 rows × 2
//! bytes, the layout of ops-nn's `CopyInScaleA/B`); for each `base_k` step (a multiple of 64) the
//! MX `LoadData` moves the data fractals into L0A/L0B and the scale fractals into the
//! L0A_MX/L0B_MX areas (at the data address / 16), and `MmadMx` accumulates in L0C (f32). The
//! optional f32 bias goes GM → L1 (C1) → the bias table (C2) and is C's start value in the first
//! `MmadMx` (the form with a bias operand). Then `Fixpipe` NZ→ND with the output conversion.
//!
//! Generated for a5 only: LoadData with `LoadData2DMxParams`, DN2NZ and `MmadMx` do not exist on
//! a2 (asc-devkit: Ascend 950PR/950DT only).

use crate::desc::{
    CType, Dir, Field, GmArg, KernelCode, KernelDesc, SourceKernel, Target, TypeParam, Variant,
    FLOAT_DTYPES,
};
use crate::ub::UbPlan;

/// The fp8 element types of `matmul_mx` (`x_fmt`, `w_fmt`).
const FP8_FORMATS: &[(&str, &str)] = &[
    ("AK_FP8_E4M3", "fp8_e4m3fn_t"),
    ("AK_FP8_E5M2", "fp8_e5m2_t"),
];

/// The description of `matmul_mx`.
pub fn desc() -> KernelDesc {
    KernelDesc {
        name: "matmul_mx",
        camel: "MatmulMx",
        doc: "out[m, n] = sum_j dot(x[m, block j], w[n, block j]) * 2^(sx[m, j] - 127) * 2^(sw[n, j] - 127) (+ bias[n])
              for fp8 x [m, k] and w [n, k] (x_fmt, w_fmt: E4M3 or E5M2) with pair-layout e8m0 scales [rows, ceil(k/64), 2],
              on the a5 native MX cube path: ND2NZ (data) and DN2NZ (scale pairs) into L1, MX LoadData into L0A/L0B and
              their scale areas, MmadMx (K in multiples of 64, the tail zero-filled with InitConstValue) with f32
              accumulation in L0C, and Fixpipe NZ2ND to out_dtype. The pad scale byte of an odd block count must be
              finite (the host makes it 0). The f32 bias goes GM -> L1 -> the bias table and starts C in the first MmadMx.",
        gm_args: vec![
            GmArg { name: "x", dir: Dir::In, doc: "[m, k] fp8 activations (x_fmt)" },
            GmArg { name: "x_scale", dir: Dir::In, doc: "[m, ceil(k/64), 2] e8m0 scales of x (pair layout)" },
            GmArg { name: "w", dir: Dir::In, doc: "[n, k] fp8 weights (w_fmt)" },
            GmArg { name: "w_scale", dir: Dir::In, doc: "[n, ceil(k/64), 2] e8m0 scales of w (pair layout)" },
            GmArg { name: "bias", dir: Dir::In, doc: "[n] f32 bias, has_bias only" },
            GmArg { name: "out", dir: Dir::Out, doc: "[m, n] output (out_dtype)" },
        ],
        tiling: vec![
            Field { name: "m", ty: CType::U32, doc: "rows of x and out" },
            Field { name: "n", ty: CType::U32, doc: "rows of w, columns of out" },
            Field { name: "k", ty: CType::U32, doc: "inner dimension" },
            Field { name: "base_m", ty: CType::U32, doc: "output tile rows (multiple of 16)" },
            Field { name: "base_n", ty: CType::U32, doc: "output tile columns (multiple of 16)" },
            Field { name: "base_k", ty: CType::U32, doc: "K per MmadMx / L0A-L0B buffer (multiple of 64)" },
            Field { name: "k_l1", ty: CType::U32, doc: "K per L1 chunk (a multiple of base_k)" },
            Field { name: "tiles_n", ty: CType::U32, doc: "ceil(n / base_n)" },
            Field { name: "tiles", ty: CType::U32, doc: "ceil(m / base_m) * tiles_n" },
            Field { name: "has_bias", ty: CType::U32, doc: "1: add bias" },
            Field { name: "x_fmt", ty: CType::U32, doc: "AK_FP8_E4M3 or AK_FP8_E5M2 of x" },
            Field { name: "w_fmt", ty: CType::U32, doc: "AK_FP8_E4M3 or AK_FP8_E5M2 of w" },
            Field { name: "out_dtype", ty: CType::U32, doc: "AK_DTYPE_* of out" },
        ],
        variants: vec![
            Variant { name: "v0", buffer_num: 2, ub_share_pct: 100, doc: "double-buffered L1 and L0A/L0B" },
            Variant { name: "v1", buffer_num: 1, ub_share_pct: 100, doc: "single-buffered (largest tiles)" },
        ],
        targets: &[Target::A5],
        includes: vec![],
        code: KernelCode::Source(SourceKernel {
            header: "matmul_mx/matmul_mx.h",
            class: "KernelMatmulMx",
            type_params: vec![
                TypeParam { name: "X", field: "x_fmt", choices: FP8_FORMATS },
                TypeParam { name: "W", field: "w_fmt", choices: FP8_FORMATS },
                TypeParam { name: "O", field: "out_dtype", choices: FLOAT_DTYPES },
            ],
            mode_keys: vec![],
            ub: UbPlan { lets: vec![], buffers: vec![] },
            task_type: "KERNEL_TYPE_AIC_ONLY",
            native_fp8_types: false,
        }),
    }
}
