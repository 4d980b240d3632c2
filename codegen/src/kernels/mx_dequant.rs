//! `mx_dequant`: MX (FP8 elements + E8M0 scales per 32-element block) back to bf16/f16/f32.

use crate::desc::{
    CType, Dir, Field, GmArg, KernelCode, KernelDesc, SourceKernel, Target, TypeParam, Variant,
    FLOAT_DTYPES,
};
use crate::ub::{Depth, Position, UbBuffer, UbPlan, When};

/// The description of `mx_dequant`.
pub fn desc() -> KernelDesc {
    KernelDesc {
        name: "mx_dequant",
        camel: "MxDequant",
        doc: "out[r, k] = round(decode(y[r, k]) * 2^(s[r, k / 32] - 127)) in f32, rounded (RINT) to the output dtype.
              y is [rows, cols] E4M3FN or E5M2 bytes; s is the Ascend pair layout [rows, ceil(nb / 2), 2]
              (scale_stride bytes per row, the pad byte unread). A tile is rows_per_tile whole rows, or one
              row cut into chunks of blocks_per_tile blocks when a row does not fit. Per-block scales are
              broadcast to their 32 lanes with Brcb, so the multiply is one vector op per tile.",
        gm_args: vec![
            GmArg { name: "y", dir: Dir::In, doc: "[rows, cols] FP8 bytes" },
            GmArg { name: "scales", dir: Dir::In, doc: "[rows, scale_stride] E8M0 bytes" },
            GmArg { name: "out", dir: Dir::Out, doc: "[rows, cols] output (dtype)" },
        ],
        tiling: vec![
            Field { name: "rows", ty: CType::U32, doc: "number of rows" },
            Field { name: "cols", ty: CType::U32, doc: "elements per row (K)" },
            Field { name: "scale_stride", ty: CType::U32, doc: "scale bytes per row in GM (2 * ceil(nb / 2))" },
            Field { name: "rows_per_core", ty: CType::U32, doc: "rows of every core but the last" },
            Field { name: "rows_per_tile", ty: CType::U32, doc: "rows per UB tile (1 when rows are chunked)" },
            Field { name: "blocks_per_tile", ty: CType::U32, doc: "32-element blocks per tile and row" },
            Field { name: "format", ty: CType::U32, doc: "AK_FP8_E4M3 or AK_FP8_E5M2" },
            Field { name: "dtype", ty: CType::U32, doc: "AK_DTYPE_* of out" },
        ],
        variants: vec![
            Variant { name: "v0", buffer_num: 2, ub_share_pct: 100, doc: "double-buffered, largest tiles" },
            Variant { name: "v1", buffer_num: 1, ub_share_pct: 100, doc: "single-buffered" },
        ],
        targets: &Target::ALL,
        includes: vec![],
        code: KernelCode::Source(SourceKernel {
            header: "mx_dequant/mx_dequant.h",
            class: "KernelMxDequant",
            type_params: vec![TypeParam { name: "T", field: "dtype", choices: FLOAT_DTYPES }],
            mode_keys: vec![],
            ub: ub_plan(),
            native_fp8_types: true,
            task_type: "KERNEL_TYPE_AIV_ONLY",
        }),
    }
}

/// The UB buffers of `mx_dequant`, in allocation order.
fn ub_plan() -> UbPlan {
    use Depth::{BufferNum, One};
    use Position::{VecCalc, VecIn, VecOut};
    let buf = UbBuffer::new;
    let always = When::Always;
    UbPlan {
        lets: vec![
            // a tile: rows_per_tile rows of blocks_per_tile blocks
            ("elems", "rows_per_tile * blocks_per_tile * AK_MX_BLOCK"),
            ("scale_elems", "rows_per_tile * align_up(blocks_per_tile, AK_BLOCK_BYTES)"),
            // the f32 values, in whole 256-B repeats (Compare/Select of the soft decode)
            ("value_elems", "align_up(elems, AK_REPEAT_BYTES / sizeof(float))"),
        ],
        buffers: vec![
            buf("inQueY", VecIn, BufferNum, "elems", always, "FP8 element codes of a tile"),
            buf("inQueS", VecIn, BufferNum, "scale_elems", always, "E8M0 scales of a tile (rows padded to 32 B)"),
            buf("outQue", VecOut, BufferNum, "elems * sizeof(T)", always, "output tile (T)"),
            buf("halfBuf", VecCalc, One, "elems * sizeof(half)", always, "decode scratch: codes as half"),
            buf("bitsBuf", VecCalc, One, "elems * sizeof(int16_t)", always, "decode scratch: int16 bit patterns"),
            buf("auxBuf", VecCalc, One, "elems * sizeof(int16_t)", always, "decode scratch: int16 temporaries"),
            buf("scaleBuf", VecCalc, One, "scale_elems * sizeof(float)", always, "scales in f32"),
            buf("expandBuf", VecCalc, One, "(elems + 8 * AK_MX_BLOCK) * sizeof(float)", always, "each scale broadcast to its 32 lanes (Brcb writes whole repeats of 8 blocks: room for the overhang of the last row)"),
            buf("valueBuf", VecCalc, One, "value_elems * sizeof(float)", always, "decoded and scaled values (f32)"),
            buf("maskBuf", VecCalc, One, "align_up(value_elems / 8, AK_BLOCK_BYTES)", When::Trait("SOFT_FP8"), "Compare/Select bit mask of the soft E4M3 decode"),
        ],
    }
}
