//! `mx_dequant`: MX (FP8 elements + E8M0 scales per 32-element block) back to bf16/f16/f32.

use crate::desc::{CType, Dir, EmitCtx, Field, GmArg, KernelCode, KernelDesc, Target, Variant};
use crate::writer::SourceWriter;

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
        includes: vec!["ak_common.h", "ak_fp8_soft.h"],
        code: KernelCode::Inline { body, entry },
    }
}

fn body(ctx: &EmitCtx, w: &mut SourceWriter) {
    let soft = ctx.target == Target::A2;
    w.lines(
        r#"
constexpr uint32_t MX_BLOCK = 32;

template <typename T>
class KernelMxDequant {
public:
    __aicore__ inline KernelMxDequant() {}

    __aicore__ inline void Init(GM_ADDR y, GM_ADDR scales, GM_ADDR out, const AkMxDequantTiling& tiling)
    {
        cols_ = tiling.cols;
        blocks_ = AkCeilDiv(cols_, MX_BLOCK);
        scaleStride_ = tiling.scale_stride;
        rowsPerTile_ = tiling.rows_per_tile;
        blocksPerTile_ = tiling.blocks_per_tile;
        e5m2_ = tiling.format == AK_FP8_E5M2;

        const uint32_t rowStart = GetBlockIdx() * tiling.rows_per_core;
        rowCount_ = rowStart >= tiling.rows ? 0 : AkMin(tiling.rows_per_core, tiling.rows - rowStart);
        yGm_.SetGlobalBuffer(reinterpret_cast<__gm__ uint8_t*>(y) + static_cast<uint64_t>(rowStart) * cols_,
                             static_cast<uint64_t>(rowCount_) * cols_);
        sGm_.SetGlobalBuffer(reinterpret_cast<__gm__ uint8_t*>(scales) + static_cast<uint64_t>(rowStart) * scaleStride_,
                             static_cast<uint64_t>(rowCount_) * scaleStride_);
        outGm_.SetGlobalBuffer(reinterpret_cast<__gm__ T*>(out) + static_cast<uint64_t>(rowStart) * cols_,
                               static_cast<uint64_t>(rowCount_) * cols_);

        // one tile: rowsPerTile_ rows of blocksPerTile_ * 32 elements (chunkElems_)
        chunkElems_ = blocksPerTile_ * MX_BLOCK;
        chunkScales_ = AkAlignUp(blocksPerTile_, AK_BLOCK_BYTES);
        const uint32_t elems = rowsPerTile_ * chunkElems_;
        const uint32_t scaleElems = rowsPerTile_ * chunkScales_;
        pipe_.InitBuffer(inQueY_, BUFFER_NUM, elems);
        pipe_.InitBuffer(inQueS_, BUFFER_NUM, scaleElems);
        pipe_.InitBuffer(outQue_, BUFFER_NUM, elems * sizeof(T));
        pipe_.InitBuffer(halfBuf_, elems * sizeof(half));
        pipe_.InitBuffer(bitsBuf_, elems * sizeof(int16_t));
        pipe_.InitBuffer(auxBuf_, elems * sizeof(int16_t));
        pipe_.InitBuffer(scaleBuf_, scaleElems * sizeof(float));
        // Brcb writes whole repeats of 8 blocks: room for the overhang of the last row
        pipe_.InitBuffer(expandBuf_, (elems + 8 * MX_BLOCK) * sizeof(float));
        pipe_.InitBuffer(valueBuf_, AkAlignUp(elems, AK_REPEAT_BYTES / sizeof(float)) * sizeof(float));
"#,
    );
    if soft {
        w.lines(
            r#"
        pipe_.InitBuffer(maskBuf_, AkAlignUp(AkAlignUp(elems, AK_REPEAT_BYTES / sizeof(float)) / 8, AK_BLOCK_BYTES));
        // Compare/Select run on whole 256-B repeats: give the lanes past a tile defined values
        LocalTensor<float> values = valueBuf_.Get<float>();
        Duplicate(values, 0.0f, AkAlignUp(elems, AK_REPEAT_BYTES / sizeof(float)));
        PipeBarrier<PIPE_V>();
"#,
        );
    }
    w.lines(
        r#"
    }

    __aicore__ inline void Process()
    {
        for (uint32_t row = 0; row < rowCount_; row += rowsPerTile_) {
            const uint32_t rows = AkMin(rowsPerTile_, rowCount_ - row);
            for (uint32_t blk = 0; blk < blocks_; blk += blocksPerTile_) {
                const uint32_t blocks = AkMin(blocksPerTile_, blocks_ - blk);
                CopyIn(row, rows, blk, blocks);
                Compute(rows, blocks);
                CopyOut(row, rows, blk, blocks);
            }
        }
    }

private:
    // elements of the chunk starting at block blk (the last chunk of a row may be short)
    __aicore__ inline uint32_t ChunkLen(uint32_t blk, uint32_t blocks) const
    {
        return AkMin(blocks * MX_BLOCK, cols_ - blk * MX_BLOCK);
    }

    __aicore__ inline void CopyIn(uint32_t row, uint32_t rows, uint32_t blk, uint32_t blocks)
    {
        const uint32_t len = ChunkLen(blk, blocks);
        LocalTensor<uint8_t> yLocal = inQueY_.AllocTensor<uint8_t>();
        DataCopyExtParams yParams(static_cast<uint16_t>(rows), len, cols_ - len, 0, 0);
        const uint8_t yPad = static_cast<uint8_t>(AkAlignUp(len, AK_BLOCK_BYTES) - len);
        DataCopyPad(yLocal, yGm_[static_cast<uint64_t>(row) * cols_ + blk * MX_BLOCK], yParams,
                    DataCopyPadExtParams<uint8_t>(yPad != 0, 0, yPad, 0));
        inQueY_.EnQue(yLocal);

        LocalTensor<uint8_t> sLocal = inQueS_.AllocTensor<uint8_t>();
        DataCopyExtParams sParams(static_cast<uint16_t>(rows), blocks, scaleStride_ - blocks, 0, 0);
        const uint8_t sPad = static_cast<uint8_t>(AkAlignUp(blocks, AK_BLOCK_BYTES) - blocks);
        DataCopyPad(sLocal, sGm_[static_cast<uint64_t>(row) * scaleStride_ + blk], sParams,
                    DataCopyPadExtParams<uint8_t>(sPad != 0, 0, sPad, 0));
        inQueS_.EnQue(sLocal);
    }

    __aicore__ inline void Compute(uint32_t rows, uint32_t blocks)
    {
        // UB row strides: rows are whole (chunk == row) or there is one row, so a tile is dense
        const uint32_t rowElems = blocks * MX_BLOCK;
        const uint32_t rowScales = AkAlignUp(blocks, AK_BLOCK_BYTES);
        const uint32_t count = rows * rowElems;
        LocalTensor<half> tmpHalf = halfBuf_.Get<half>();
        LocalTensor<int16_t> bits = bitsBuf_.Get<int16_t>();
        LocalTensor<int16_t> aux = auxBuf_.Get<int16_t>();
        LocalTensor<float> scaleF32 = scaleBuf_.Get<float>();
        LocalTensor<float> expanded = expandBuf_.Get<float>();
        LocalTensor<float> values = valueBuf_.Get<float>();

        // scales: E8M0 -> f32, then each broadcast to the 32 lanes of its block
        LocalTensor<uint8_t> sLocal = inQueS_.DeQue<uint8_t>();
        AkE8m0ToFloat(scaleF32, sLocal, tmpHalf, bits, aux, rows * rowScales);
        inQueS_.FreeTensor(sLocal);
        const uint8_t repeats = static_cast<uint8_t>(AkCeilDiv(blocks, 8));
        for (uint32_t r = 0; r < rows; ++r) {
            for (uint32_t part = 0; part < MX_BLOCK / AK_F32_PER_BLOCK; ++part) {
                // repeat i: scales 8i..8i+7 -> blocks 4 apart (one 32-lane block each), shifted by part
                Brcb(expanded[r * rowElems + part * AK_F32_PER_BLOCK], scaleF32[r * rowScales], repeats,
                     BrcbRepeatParams(MX_BLOCK / AK_F32_PER_BLOCK, 8 * MX_BLOCK / AK_F32_PER_BLOCK));
            }
        }
        PipeBarrier<PIPE_V>();

        // elements: FP8 -> f32
        LocalTensor<uint8_t> yLocal = inQueY_.DeQue<uint8_t>();
"#,
    );
    if soft {
        w.lines(
            r#"
        if (e5m2_) {
            AkE5m2ToFloatSoft(values, yLocal, tmpHalf, bits, count);
        } else {
            LocalTensor<uint8_t> mask = maskBuf_.Get<uint8_t>();
            AkE4m3ToFloatSoft(values, yLocal, tmpHalf, bits, aux, mask, count,
                              AkAlignUp(count, AK_REPEAT_BYTES / sizeof(float)));
        }
"#,
        );
    } else {
        w.lines(
            r#"
        if (e5m2_) {
            Cast(values, yLocal.ReinterpretCast<fp8_e5m2_t>(), RoundMode::CAST_NONE, count);
        } else {
            Cast(values, yLocal.ReinterpretCast<fp8_e4m3fn_t>(), RoundMode::CAST_NONE, count);
        }
        PipeBarrier<PIPE_V>();
"#,
        );
    }
    w.lines(
        r#"
        inQueY_.FreeTensor(yLocal);

        Mul(values, values, expanded, count);
        PipeBarrier<PIPE_V>();
        LocalTensor<T> outLocal = outQue_.AllocTensor<T>();
        AkFromFloat(outLocal, values, count);
        PipeBarrier<PIPE_V>();
        outQue_.EnQue(outLocal);
    }

    __aicore__ inline void CopyOut(uint32_t row, uint32_t rows, uint32_t blk, uint32_t blocks)
    {
        const uint32_t len = ChunkLen(blk, blocks);
        // UB rows are blocks * 32 elements apart; DataCopyPad steps 32-B-rounded rows, plus srcStride blocks
        const uint32_t ubRowBytes = blocks * MX_BLOCK * sizeof(T);
        const uint32_t copiedBytes = AkAlignUp(len * sizeof(T), AK_BLOCK_BYTES);
        DataCopyExtParams params(static_cast<uint16_t>(rows), len * sizeof(T), (ubRowBytes - copiedBytes) / AK_BLOCK_BYTES,
                                 (cols_ - len) * sizeof(T), 0);
        LocalTensor<T> outLocal = outQue_.DeQue<T>();
        DataCopyPad(outGm_[static_cast<uint64_t>(row) * cols_ + blk * MX_BLOCK], outLocal, params);
        outQue_.FreeTensor(outLocal);
    }

    TPipe pipe_;
    TQue<QuePosition::VECIN, BUFFER_NUM> inQueY_;
    TQue<QuePosition::VECIN, BUFFER_NUM> inQueS_;
    TQue<QuePosition::VECOUT, BUFFER_NUM> outQue_;
    TBuf<TPosition::VECCALC> halfBuf_;
    TBuf<TPosition::VECCALC> bitsBuf_;
    TBuf<TPosition::VECCALC> auxBuf_;
    TBuf<TPosition::VECCALC> scaleBuf_;
    TBuf<TPosition::VECCALC> expandBuf_;
    TBuf<TPosition::VECCALC> valueBuf_;
"#,
    );
    if soft {
        w.line("    TBuf<TPosition::VECCALC> maskBuf_;");
    }
    w.lines(
        r#"
    GlobalTensor<uint8_t> yGm_;
    GlobalTensor<uint8_t> sGm_;
    GlobalTensor<T> outGm_;
    uint32_t cols_ = 0;
    uint32_t blocks_ = 0;
    uint32_t scaleStride_ = 0;
    uint32_t rowsPerTile_ = 0;
    uint32_t blocksPerTile_ = 0;
    uint32_t chunkElems_ = 0;
    uint32_t chunkScales_ = 0;
    uint32_t rowCount_ = 0;
    bool e5m2_ = false;
};

template <typename T>
__aicore__ inline void Run(GM_ADDR y, GM_ADDR scales, GM_ADDR out, const AkMxDequantTiling& tiling)
{
    KernelMxDequant<T> op;
    op.Init(y, scales, out, tiling);
    op.Process();
}
"#,
    );
    w.blank();
}

fn entry(_ctx: &EmitCtx, w: &mut SourceWriter) {
    w.lines(
        r#"
switch (tiling.dtype) {
    case AK_DTYPE_F32:
        Run<float>(y, scales, out, tiling);
        break;
    case AK_DTYPE_F16:
        Run<half>(y, scales, out, tiling);
        break;
    case AK_DTYPE_BF16:
        Run<bfloat16_t>(y, scales, out, tiling);
        break;
    default:
        break;
}
"#,
    );
}
