//! `mx_quant`: dynamic MX quantization (blocks of 32 along the last axis, E8M0 scale per block,
//! FP8 E4M3FN or E5M2 elements), Ascend DynamicMxQuant semantics.

use crate::desc::{
    CType, Dir, Field, GmArg, KernelCode, KernelDesc, SourceKernel, Target, TypeParam, Variant,
    FLOAT_DTYPES,
};
use crate::ub::{Depth, Position, UbBuffer, UbPlan, When};

/// The description of `mx_quant`.
pub fn desc() -> KernelDesc {
    KernelDesc {
        name: "mx_quant",
        camel: "MxQuant",
        doc: "Per block of 32 elements of x [rows, cols]: amax (WholeReduceMax over |x|), the E8M0 byte
              (OCP: max(E(amax) - emax, 0); RCEIL: exponent of amax * f32(1/max) rounded up), 0xFF for
              non-finite blocks; elements sat_rint(x * 2^(127 - byte)) (x 0 for OCP tiny blocks with
              FLUSH), 0x00 in non-finite blocks as the NPU's saturating cast writes NaN (0x7F with
              NAN_ELEMENTS). Scales are written in the Ascend pair layout (scale_stride bytes per row, an odd
              block count padded with 0x00). The per-block multiplier (or NaN) is broadcast with Brcb.
              On a2 the elements are encoded with integer vector ops (ak_fp8_soft.h), on a5 by Cast.",
        gm_args: vec![
            GmArg { name: "x", dir: Dir::In, doc: "[rows, cols] input (dtype)" },
            GmArg { name: "y", dir: Dir::Out, doc: "[rows, cols] FP8 bytes" },
            GmArg { name: "scales", dir: Dir::Out, doc: "[rows, scale_stride] E8M0 bytes" },
        ],
        tiling: vec![
            Field { name: "rows", ty: CType::U32, doc: "number of rows" },
            Field { name: "cols", ty: CType::U32, doc: "elements per row (K)" },
            Field { name: "scale_stride", ty: CType::U32, doc: "scale bytes per row (2 * ceil(nb / 2))" },
            Field { name: "rows_per_core", ty: CType::U32, doc: "rows of every core but the last" },
            Field { name: "rows_per_tile", ty: CType::U32, doc: "rows per UB tile (1 when rows are chunked)" },
            Field { name: "blocks_per_tile", ty: CType::U32, doc: "32-element blocks per tile and row (<= 255)" },
            Field { name: "format", ty: CType::U32, doc: "AK_FP8_E4M3 or AK_FP8_E5M2" },
            Field { name: "dtype", ty: CType::U32, doc: "AK_DTYPE_* of x" },
            Field { name: "flags", ty: CType::U32, doc: "AK_MX_RCEIL | AK_MX_TINY_SCALE | AK_MX_NAN_ELEMENTS" },
        ],
        variants: vec![
            Variant { name: "v0", buffer_num: 2, ub_share_pct: 100, doc: "double-buffered, largest tiles" },
            Variant { name: "v1", buffer_num: 1, ub_share_pct: 100, doc: "single-buffered" },
        ],
        targets: &Target::ALL,
        includes: vec![],
        code: KernelCode::Source(SourceKernel {
            header: "mx_quant/mx_quant.h",
            class: "KernelMxQuant",
            type_params: vec![TypeParam { name: "T", field: "dtype", choices: FLOAT_DTYPES }],
            mode_keys: vec![],
            ub: ub_plan(),
            native_fp8_types: true,
            task_type: "KERNEL_TYPE_AIV_ONLY",
        }),
    }
}

/// The UB buffers of `mx_quant`, in allocation order.
fn ub_plan() -> UbPlan {
    use Depth::{BufferNum, One};
    use Position::{VecCalc, VecIn, VecOut};
    let buf = UbBuffer::new;
    UbPlan {
        lets: vec![
            // a tile: rows_per_tile rows of blocks_per_tile blocks of 32 elements
            ("elems", "rows_per_tile * blocks_per_tile * 32"),
            // Compare/Compares/Select work on whole 256-B repeats (64 lanes of 32 bits)
            ("cmp", "align_up(elems, AK_REPEAT_BYTES / sizeof(float))"),
            // per-block vectors: one 32-lane row per tile row (room for an odd count's pad byte)
            ("scale_elems", "rows_per_tile * align_up(blocks_per_tile + 1, AK_BLOCK_BYTES)"),
            ("lanes", "align_up(scale_elems, AK_REPEAT_BYTES / sizeof(float))"),
            ("block_mask", "align_up(lanes / 8, AK_BLOCK_BYTES)"),
        ],
        buffers: vec![
            buf("inQueX", VecIn, BufferNum, "elems * sizeof(T)", When::Always, "x tile (T)"),
            buf("outQueY", VecOut, BufferNum, "cmp", When::Always, "FP8 codes of the tile (uint8)"),
            buf("outQueS", VecOut, BufferNum, "scale_elems", When::Always, "E8M0 scale bytes, one 32-B row per tile row"),
            buf("valueBuf", VecCalc, One, "cmp * sizeof(float)", When::Always, "x in f32, then x times its block's multiplier"),
            buf(
                "workBuf",
                VecCalc,
                One,
                "(elems + 8 * 32) * sizeof(float)",
                When::Always,
                "abs(x) for the amax, then the multipliers broadcast per element (Brcb writes up to 8 blocks past the last row), then the a2 encoder's int32 scratch",
            ),
            buf(
                "scaleBuf",
                VecCalc,
                One,
                "6 * lanes * sizeof(float)",
                When::Always,
                "per-block vectors, six slots: amax, exponent/byte (int32), multiplier, half bytes, RCEIL scratch, byte (f32)",
            ),
            buf(
                "maskBuf",
                VecCalc,
                One,
                "2 * block_mask + align_up(cmp / 8, AK_BLOCK_BYTES)",
                When::Always,
                "Compare masks, one bit per lane: two per-block masks, the elements' NaN mask",
            ),
            buf(
                "encodeBuf",
                VecCalc,
                One,
                "cmp * sizeof(half) + 2 * elems * sizeof(int16_t)",
                When::Trait("SOFT_FP8"),
                "software FP8 encoder: the codes as half values, the code bits and the sign bits (int16)",
            ),
        ],
    }
}
