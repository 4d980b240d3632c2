//! `rms_norm`: RMSNorm over the last axis, optionally fused with a residual add.

use crate::desc::{
    CType, Dir, Field, GmArg, KernelCode, KernelDesc, ModeKey, SourceKernel, Target, TypeParam,
    Variant, FLOAT_DTYPES,
};
use crate::ub::{Depth, Position, UbBuffer, UbPlan, When};

/// The description of `rms_norm`.
pub fn desc() -> KernelDesc {
    KernelDesc {
        name: "rms_norm",
        camel: "RmsNorm",
        doc: "y = round(round(x * rstd) * w) with rstd = 1 / sqrt(mean(x^2) + eps) in f32 (HF Qwen3RMSNorm);
              flag WEIGHT_F32: y = round(x * rstd * w). Flag FUSED: h = round(x + residual) is written
              and normalised instead of x (F32_SUM, a5: the f32 sum is normalised, h only written).
              Flag ASCEND_RSTD: mean = sum * f32(1/cols) and rstd = 1 / sqrt in two roundings
              (aclnnRmsNorm / AddRmsNorm on A2/A3; SCALE_SQUARES: squares scaled by 1/cols before
              the sum, as AddRmsNorm does), or on a5 with NEWTON_RAPHSON the Ascend 950's refinement
              (MulAddDst). Flag RSTD: rstd of every row is written. Rows of [rows, cols] are split
              over cores (rows_per_core) and into UB tiles of rows_per_tile rows; rows are moved with
              DataCopyPad, so any cols works.",
        gm_args: vec![
            GmArg { name: "x", dir: Dir::In, doc: "[rows, cols] activations (dtype)" },
            GmArg { name: "residual", dir: Dir::In, doc: "[rows, cols] residual (dtype), FUSED only" },
            GmArg { name: "weight", dir: Dir::In, doc: "[cols] gamma (dtype)" },
            GmArg { name: "y", dir: Dir::Out, doc: "[rows, cols] output (dtype)" },
            GmArg { name: "h", dir: Dir::Out, doc: "[rows, cols] x + residual (dtype), FUSED only" },
            GmArg { name: "rstd", dir: Dir::Out, doc: "[rows] f32 rstd of every row, RSTD only" },
        ],
        tiling: vec![
            Field { name: "rows", ty: CType::U32, doc: "number of rows" },
            Field { name: "cols", ty: CType::U32, doc: "elements per row (normalised axis)" },
            Field { name: "rows_per_core", ty: CType::U32, doc: "rows of every core but the last" },
            Field { name: "rows_per_tile", ty: CType::U32, doc: "rows per UB tile" },
            Field { name: "dtype", ty: CType::U32, doc: "AK_DTYPE_* of x, residual, weight, y, h" },
            Field { name: "flags", ty: CType::U32, doc: "AK_RMS_NORM_* flags (FUSED, WEIGHT_F32, ASCEND_RSTD, NEWTON_RAPHSON, SCALE_SQUARES, F32_SUM, RSTD)" },
            Field { name: "eps", ty: CType::F32, doc: "epsilon added to the mean square" },
        ],
        variants: vec![
            Variant { name: "v0", buffer_num: 2, ub_share_pct: 100, doc: "double-buffered, largest tiles" },
            Variant { name: "v1", buffer_num: 1, ub_share_pct: 100, doc: "single-buffered, for long rows" },
            Variant { name: "v2", buffer_num: 2, ub_share_pct: 50, doc: "double-buffered, half the UB (small tiles)" },
        ],
        targets: &Target::ALL,
        includes: vec![],
        code: KernelCode::Source(SourceKernel {
            header: "rms_norm/rms_norm.h",
            class: "KernelRmsNorm",
            type_params: vec![TypeParam { name: "T", field: "dtype", choices: FLOAT_DTYPES }],
            mode_keys: vec![ModeKey {
                name: "FUSED",
                when: "(tiling.flags & AK_RMS_NORM_FUSED) != 0",
                doc: "h = x + residual is written and normalised",
            }],
            ub: ub_plan(),
            native_fp8_types: false,
            task_type: "KERNEL_TYPE_AIV_ONLY",
        }),
    }
}

/// The UB buffers of `rms_norm`, in allocation order.
fn ub_plan() -> UbPlan {
    use Depth::{BufferNum, One};
    use Position::{VecCalc, VecIn, VecOut};
    let buf = UbBuffer::new;
    UbPlan {
        lets: vec![
            ("stride", "align_up(cols, AK_BLOCK_BYTES / sizeof(T))"),
            ("tile", "rows_per_tile * stride * sizeof(T)"),
            ("tile_f32", "rows_per_tile * stride * sizeof(float)"),
            // ReduceSum's work area: one f32 partial per 256-B repeat, in whole 32-B blocks
            ("partials", "ceil_div(cols, AK_REPEAT_BYTES / sizeof(float))"),
        ],
        buffers: vec![
            buf("inQueX", VecIn, BufferNum, "tile", When::Always, "x tile (T)"),
            buf("outQueY", VecOut, BufferNum, "tile", When::Always, "y tile (T)"),
            buf("inQueR", VecIn, BufferNum, "tile", When::Key("FUSED"), "residual tile (T)"),
            buf("outQueH", VecOut, BufferNum, "tile", When::Key("FUSED"), "h = x + residual tile (T)"),
            buf("inQueW", VecIn, One, "stride * sizeof(T)", When::Always, "weight row (T), loaded once per core"),
            buf("wBuf", VecCalc, One, "stride * sizeof(float)", When::Always, "weight row in f32"),
            buf("xBuf", VecCalc, One, "tile_f32", When::Always, "x (or h) tile in f32"),
            buf("sqBuf", VecCalc, One, "tile_f32", When::Always, "x^2 tile in f32 (the residual in f32 first when FUSED)"),
            buf("sumBuf", VecCalc, One, "rows_per_tile * AK_BLOCK_BYTES", When::Always, "per row: its sum of squares, then its rstd, in the first lane of a 32-B slot"),
            buf(
                "workBuf",
                VecCalc,
                One,
                "align_up(partials, AK_BLOCK_BYTES / sizeof(float)) * sizeof(float)",
                When::Always,
                "ReduceSum work: one f32 partial per 256-B repeat of a row",
            ),
            buf("nrBuf", VecCalc, One, "8 * AK_BLOCK_BYTES", When::Always, "eight 8-lane f32 vectors of the Newton-Raphson rstd (used on a5, allocated on both targets)"),
        ],
    }
}
