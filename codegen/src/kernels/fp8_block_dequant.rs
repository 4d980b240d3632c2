//! `fp8_block_dequant`: HF "fp8" weights (E4M3FN) times a per-[bo, bi]-block scale grid.

use crate::desc::{
    CType, Dir, Field, GmArg, KernelCode, KernelDesc, SourceKernel, Target, TypeParam, Variant,
    FLOAT_DTYPES,
};
use crate::ub::{Depth, Position, UbBuffer, UbPlan, When};

/// The description of `fp8_block_dequant`.
pub fn desc() -> KernelDesc {
    KernelDesc {
        name: "fp8_block_dequant",
        camel: "Fp8BlockDequant",
        doc: "out[i, j] = round(f32(decode(w[i, j])) * f32(s[i / block_rows, j / block_cols])) for w [rows, cols]
              E4M3FN and s [ceil(rows / block_rows), grid_cols] (f32, bf16 or f16); any block shape, partial
              last blocks use the last scale. Tiles are rows_per_tile rows x cols_per_tile columns. The
              per-column scales of a (scale row, column chunk) are expanded once into a row of f32 (a
              scalar loop, so any block_cols works) and reused by every row of that block.",
        gm_args: vec![
            GmArg { name: "w", dir: Dir::In, doc: "[rows, cols] E4M3FN bytes" },
            GmArg { name: "scales", dir: Dir::In, doc: "[ceil(rows / block_rows), grid_cols] (scale_dtype)" },
            GmArg { name: "out", dir: Dir::Out, doc: "[rows, cols] output (dtype)" },
        ],
        tiling: vec![
            Field { name: "rows", ty: CType::U32, doc: "weight rows (out features)" },
            Field { name: "cols", ty: CType::U32, doc: "weight columns (in features)" },
            Field { name: "block_rows", ty: CType::U32, doc: "scale block height bo" },
            Field { name: "block_cols", ty: CType::U32, doc: "scale block width bi" },
            Field { name: "grid_cols", ty: CType::U32, doc: "ceil(cols / block_cols)" },
            Field { name: "rows_per_core", ty: CType::U32, doc: "rows of every core but the last" },
            Field { name: "rows_per_tile", ty: CType::U32, doc: "rows per UB tile" },
            Field { name: "cols_per_tile", ty: CType::U32, doc: "columns per UB tile (a multiple of 64)" },
            Field { name: "scale_dtype", ty: CType::U32, doc: "AK_DTYPE_* of scales" },
            Field { name: "dtype", ty: CType::U32, doc: "AK_DTYPE_* of out" },
        ],
        variants: vec![
            Variant { name: "v0", buffer_num: 2, ub_share_pct: 100, doc: "double-buffered" },
            Variant { name: "v1", buffer_num: 1, ub_share_pct: 100, doc: "single-buffered" },
        ],
        targets: &Target::ALL,
        includes: vec![],
        code: KernelCode::Source(SourceKernel {
            header: "fp8_block_dequant/fp8_block_dequant.h",
            class: "KernelFp8BlockDequant",
            type_params: vec![
                TypeParam { name: "S", field: "scale_dtype", choices: FLOAT_DTYPES },
                TypeParam { name: "T", field: "dtype", choices: FLOAT_DTYPES },
            ],
            mode_keys: vec![],
            ub: ub_plan(),
            native_fp8_types: true,
            task_type: "KERNEL_TYPE_AIV_ONLY",
        }),
    }
}

/// The UB buffers of `fp8_block_dequant`, in allocation order.
fn ub_plan() -> UbPlan {
    use Depth::{BufferNum, One};
    use Position::{VecCalc, VecIn, VecOut};
    let buf = UbBuffer::new;
    let always = When::Always;
    UbPlan {
        lets: vec![
            ("elems", "rows_per_tile * cols_per_tile"),
            // scale columns one chunk of cols_per_tile columns can touch
            ("max_scales", "cols_per_tile / block_cols + 2"),
        ],
        buffers: vec![
            buf("inQueW", VecIn, BufferNum, "elems", always, "FP8 codes of a tile (rows padded to 32 B)"),
            buf("inQueS", VecIn, One, "align_up(max_scales * sizeof(S), AK_BLOCK_BYTES)", always, "the scales of one scale row a chunk touches (S)"),
            buf("outQue", VecOut, BufferNum, "elems * sizeof(T)", always, "output tile (T)"),
            buf("halfBuf", VecCalc, One, "elems * sizeof(half)", always, "decode scratch: codes as half (used by the soft decode; allocated on both targets)"),
            buf("bitsBuf", VecCalc, One, "elems * sizeof(int16_t)", always, "decode scratch: int16 bit patterns (soft decode)"),
            buf("auxBuf", VecCalc, One, "elems * sizeof(int16_t)", always, "decode scratch: int16 temporaries (soft decode)"),
            buf("scaleBuf", VecCalc, One, "align_up(max_scales * sizeof(float), AK_BLOCK_BYTES)", always, "those scales in f32"),
            buf("expandBuf", VecCalc, One, "cols_per_tile * sizeof(float)", always, "one scale per column of the chunk (f32)"),
            buf("valueBuf", VecCalc, One, "elems * sizeof(float)", always, "decoded and scaled values (f32)"),
            buf("maskBuf", VecCalc, One, "align_up(elems / 8, AK_BLOCK_BYTES)", When::Trait("SOFT_FP8"), "Compare/Select bit mask of the soft decode (NaN codes)"),
        ],
    }
}
