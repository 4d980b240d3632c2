//! `fp8_block_dequant`: HF "fp8" weights (E4M3FN) times a per-[bo, bi]-block scale grid.

use crate::desc::{CType, Dir, EmitCtx, Field, GmArg, KernelCode, KernelDesc, Target, Variant};
use crate::writer::SourceWriter;

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
        includes: vec!["ak_common.h", "ak_fp8_soft.h"],
        code: KernelCode::Inline { body, entry },
    }
}

fn body(ctx: &EmitCtx, w: &mut SourceWriter) {
    let soft = ctx.target == Target::A2;
    w.lines(
        r#"
template <typename S, typename T>
class KernelFp8BlockDequant {
public:
    __aicore__ inline KernelFp8BlockDequant() {}

    __aicore__ inline void Init(GM_ADDR w, GM_ADDR scales, GM_ADDR out, const AkFp8BlockDequantTiling& tiling)
    {
        cols_ = tiling.cols;
        blockRows_ = tiling.block_rows;
        blockCols_ = tiling.block_cols;
        gridCols_ = tiling.grid_cols;
        rowsPerTile_ = tiling.rows_per_tile;
        colsPerTile_ = tiling.cols_per_tile;
        rowStart_ = GetBlockIdx() * tiling.rows_per_core;
        rowCount_ = rowStart_ >= tiling.rows ? 0 : AkMin(tiling.rows_per_core, tiling.rows - rowStart_);
        wGm_.SetGlobalBuffer(reinterpret_cast<__gm__ uint8_t*>(w) + static_cast<uint64_t>(rowStart_) * cols_,
                             static_cast<uint64_t>(rowCount_) * cols_);
        sGm_.SetGlobalBuffer(reinterpret_cast<__gm__ S*>(scales),
                             static_cast<uint64_t>(AkCeilDiv(tiling.rows, blockRows_)) * gridCols_);
        outGm_.SetGlobalBuffer(reinterpret_cast<__gm__ T*>(out) + static_cast<uint64_t>(rowStart_) * cols_,
                               static_cast<uint64_t>(rowCount_) * cols_);

        const uint32_t elems = rowsPerTile_ * colsPerTile_;
        maxScales_ = colsPerTile_ / blockCols_ + 2; // scale columns one chunk can touch
        pipe_.InitBuffer(inQueW_, BUFFER_NUM, elems);
        pipe_.InitBuffer(inQueS_, 1, AkAlignUp(maxScales_ * sizeof(S), AK_BLOCK_BYTES));
        pipe_.InitBuffer(outQue_, BUFFER_NUM, elems * sizeof(T));
        pipe_.InitBuffer(halfBuf_, elems * sizeof(half));
        pipe_.InitBuffer(bitsBuf_, elems * sizeof(int16_t));
        pipe_.InitBuffer(auxBuf_, elems * sizeof(int16_t));
        pipe_.InitBuffer(scaleBuf_, AkAlignUp(maxScales_ * sizeof(float), AK_BLOCK_BYTES));
        pipe_.InitBuffer(expandBuf_, colsPerTile_ * sizeof(float));
        pipe_.InitBuffer(valueBuf_, elems * sizeof(float));
"#,
    );
    if soft {
        w.lines(
            r#"
        pipe_.InitBuffer(maskBuf_, AkAlignUp(elems / 8, AK_BLOCK_BYTES));
        // Compare/Select run on whole 256-B repeats: give the lanes past a short tile defined values
        LocalTensor<float> values = valueBuf_.Get<float>();
        Duplicate(values, 0.0f, elems);
        PipeBarrier<PIPE_V>();
"#,
        );
    }
    w.lines(
        r#"
    }

    __aicore__ inline void Process()
    {
        for (uint32_t col = 0; col < cols_; col += colsPerTile_) {
            const uint32_t len = AkMin(colsPerTile_, cols_ - col);
            expandedFor_ = UINT32_MAX;
            for (uint32_t row = 0; row < rowCount_; row += rowsPerTile_) {
                const uint32_t rows = AkMin(rowsPerTile_, rowCount_ - row);
                CopyIn(row, rows, col, len);
                Compute(row, rows, col, len);
                CopyOut(row, rows, col, len);
            }
        }
    }

private:
    __aicore__ inline void CopyIn(uint32_t row, uint32_t rows, uint32_t col, uint32_t len)
    {
        LocalTensor<uint8_t> wLocal = inQueW_.AllocTensor<uint8_t>();
        DataCopyExtParams params(static_cast<uint16_t>(rows), len, cols_ - len, 0, 0);
        const uint8_t pad = static_cast<uint8_t>(AkAlignUp(len, AK_BLOCK_BYTES) - len);
        DataCopyPad(wLocal, wGm_[static_cast<uint64_t>(row) * cols_ + col], params,
                    DataCopyPadExtParams<uint8_t>(pad != 0, 0, pad, 0));
        inQueW_.EnQue(wLocal);
    }

    // expanded[j] = f32(s[scaleRow, (col + j) / blockCols_]) for j < len
    __aicore__ inline void ExpandScales(uint32_t scaleRow, uint32_t col, uint32_t len)
    {
        const uint32_t first = col / blockCols_;
        const uint32_t count = (col + len - 1) / blockCols_ - first + 1;
        LocalTensor<S> sLocal = inQueS_.AllocTensor<S>();
        const uint8_t pad = static_cast<uint8_t>(AkAlignUp(count, AK_BLOCK_BYTES / sizeof(S)) - count);
        DataCopyPad(sLocal, sGm_[static_cast<uint64_t>(scaleRow) * gridCols_ + first],
                    DataCopyExtParams(1, count * sizeof(S), 0, 0, 0),
                    DataCopyPadExtParams<S>(pad != 0, 0, pad, static_cast<S>(0)));
        inQueS_.EnQue(sLocal);
        sLocal = inQueS_.DeQue<S>();
        LocalTensor<float> scaleF32 = scaleBuf_.Get<float>();
        AkToFloat(scaleF32, sLocal, AkAlignUp(count, AK_F32_PER_BLOCK));
        PipeBarrier<PIPE_V>();
        inQueS_.FreeTensor(sLocal);

        event_t vToS = static_cast<event_t>(pipe_.FetchEventID(HardEvent::V_S));
        SetFlag<HardEvent::V_S>(vToS);
        WaitFlag<HardEvent::V_S>(vToS);
        LocalTensor<float> expanded = expandBuf_.Get<float>();
        for (uint32_t j = 0; j < len; ++j) {
            expanded.SetValue(j, scaleF32.GetValue((col + j) / blockCols_ - first));
        }
        event_t sToV = static_cast<event_t>(pipe_.FetchEventID(HardEvent::S_V));
        SetFlag<HardEvent::S_V>(sToV);
        WaitFlag<HardEvent::S_V>(sToV);
    }

    __aicore__ inline void Compute(uint32_t row, uint32_t rows, uint32_t col, uint32_t len)
    {
        const uint32_t stride = AkAlignUp(len, AK_BLOCK_BYTES); // UB row stride of this chunk
        const uint32_t count = rows * stride;
        LocalTensor<float> values = valueBuf_.Get<float>();
        LocalTensor<uint8_t> wLocal = inQueW_.DeQue<uint8_t>();
"#,
    );
    if soft {
        w.lines(
            r#"
        LocalTensor<half> tmpHalf = halfBuf_.Get<half>();
        LocalTensor<int16_t> bits = bitsBuf_.Get<int16_t>();
        LocalTensor<int16_t> aux = auxBuf_.Get<int16_t>();
        LocalTensor<uint8_t> mask = maskBuf_.Get<uint8_t>();
        AkE4m3ToFloatSoft(values, wLocal, tmpHalf, bits, aux, mask, count,
                          AkAlignUp(count, AK_REPEAT_BYTES / sizeof(float)));
"#,
        );
    } else {
        w.lines(
            r#"
        Cast(values, wLocal.ReinterpretCast<fp8_e4m3fn_t>(), RoundMode::CAST_NONE, count);
        PipeBarrier<PIPE_V>();
"#,
        );
    }
    w.lines(
        r#"
        inQueW_.FreeTensor(wLocal);

        LocalTensor<float> expanded = expandBuf_.Get<float>();
        for (uint32_t r = 0; r < rows; ++r) {
            const uint32_t scaleRow = (rowStart_ + row + r) / blockRows_;
            if (scaleRow != expandedFor_) {
                ExpandScales(scaleRow, col, len);
                expandedFor_ = scaleRow;
            }
            Mul(values[r * stride], values[r * stride], expanded, len);
            PipeBarrier<PIPE_V>();
        }
        LocalTensor<T> outLocal = outQue_.AllocTensor<T>();
        AkFromFloat(outLocal, values, count);
        PipeBarrier<PIPE_V>();
        outQue_.EnQue(outLocal);
    }

    __aicore__ inline void CopyOut(uint32_t row, uint32_t rows, uint32_t col, uint32_t len)
    {
        const uint32_t ubRowBytes = AkAlignUp(len, AK_BLOCK_BYTES) * sizeof(T);
        const uint32_t copiedBytes = AkAlignUp(len * sizeof(T), AK_BLOCK_BYTES);
        DataCopyExtParams params(static_cast<uint16_t>(rows), len * sizeof(T), (ubRowBytes - copiedBytes) / AK_BLOCK_BYTES,
                                 (cols_ - len) * sizeof(T), 0);
        LocalTensor<T> outLocal = outQue_.DeQue<T>();
        DataCopyPad(outGm_[static_cast<uint64_t>(row) * cols_ + col], outLocal, params);
        outQue_.FreeTensor(outLocal);
    }

    TPipe pipe_;
    TQue<QuePosition::VECIN, BUFFER_NUM> inQueW_;
    TQue<QuePosition::VECIN, 1> inQueS_;
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
    GlobalTensor<uint8_t> wGm_;
    GlobalTensor<S> sGm_;
    GlobalTensor<T> outGm_;
    uint32_t cols_ = 0;
    uint32_t blockRows_ = 1;
    uint32_t blockCols_ = 1;
    uint32_t gridCols_ = 0;
    uint32_t rowsPerTile_ = 0;
    uint32_t colsPerTile_ = 0;
    uint32_t maxScales_ = 0;
    uint32_t rowStart_ = 0;
    uint32_t rowCount_ = 0;
    uint32_t expandedFor_ = UINT32_MAX;
};

template <typename S, typename T>
__aicore__ inline void Run(GM_ADDR w, GM_ADDR scales, GM_ADDR out, const AkFp8BlockDequantTiling& tiling)
{
    KernelFp8BlockDequant<S, T> op;
    op.Init(w, scales, out, tiling);
    op.Process();
}

template <typename S>
__aicore__ inline void RunScales(GM_ADDR w, GM_ADDR scales, GM_ADDR out, const AkFp8BlockDequantTiling& tiling)
{
    switch (tiling.dtype) {
        case AK_DTYPE_F32:
            Run<S, float>(w, scales, out, tiling);
            break;
        case AK_DTYPE_F16:
            Run<S, half>(w, scales, out, tiling);
            break;
        case AK_DTYPE_BF16:
            Run<S, bfloat16_t>(w, scales, out, tiling);
            break;
        default:
            break;
    }
}
"#,
    );
    w.blank();
}

fn entry(_ctx: &EmitCtx, w: &mut SourceWriter) {
    w.lines(
        r#"
switch (tiling.scale_dtype) {
    case AK_DTYPE_F32:
        RunScales<float>(w, scales, out, tiling);
        break;
    case AK_DTYPE_F16:
        RunScales<half>(w, scales, out, tiling);
        break;
    case AK_DTYPE_BF16:
        RunScales<bfloat16_t>(w, scales, out, tiling);
        break;
    default:
        break;
}
"#,
    );
}
