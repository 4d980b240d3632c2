//! `mx_quant`: dynamic MX quantization (blocks of 32 along the last axis, E8M0 scale per block,
//! FP8 E4M3FN or E5M2 elements), Ascend DynamicMxQuant semantics.

use crate::desc::{CType, Dir, EmitCtx, Field, GmArg, KernelCode, KernelDesc, Target, Variant};
use crate::writer::SourceWriter;

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
        includes: vec!["ak_common.h", "ak_fp8_soft.h"],
        code: KernelCode::Inline { body, entry },
    }
}

fn body(ctx: &EmitCtx, w: &mut SourceWriter) {
    let soft = ctx.target == Target::A2;
    w.lines(
        r#"
constexpr uint32_t MX_BLOCK = 32;

__aicore__ inline float AkBitsToFloat(uint32_t bits)
{
    union {
        uint32_t u;
        float f;
    } v;
    v.u = bits;
    return v.f;
}

template <typename T>
class KernelMxQuant {
public:
    __aicore__ inline KernelMxQuant() {}

    __aicore__ inline void Init(GM_ADDR x, GM_ADDR y, GM_ADDR scales, const AkMxQuantTiling& tiling)
    {
        cols_ = tiling.cols;
        blocks_ = AkCeilDiv(cols_, MX_BLOCK);
        scaleStride_ = tiling.scale_stride;
        rowsPerTile_ = tiling.rows_per_tile;
        blocksPerTile_ = tiling.blocks_per_tile;
        e5m2_ = tiling.format == AK_FP8_E5M2;
        rceil_ = (tiling.flags & AK_MX_RCEIL) != 0;
        flushTiny_ = (tiling.flags & AK_MX_TINY_SCALE) == 0;
        nanElements_ = (tiling.flags & AK_MX_NAN_ELEMENTS) != 0;

        const uint32_t rowStart = GetBlockIdx() * tiling.rows_per_core;
        rowCount_ = rowStart >= tiling.rows ? 0 : AkMin(tiling.rows_per_core, tiling.rows - rowStart);
        const uint64_t base = static_cast<uint64_t>(rowStart) * cols_;
        xGm_.SetGlobalBuffer(reinterpret_cast<__gm__ T*>(x) + base, static_cast<uint64_t>(rowCount_) * cols_);
        yGm_.SetGlobalBuffer(reinterpret_cast<__gm__ uint8_t*>(y) + base, static_cast<uint64_t>(rowCount_) * cols_);
        sGm_.SetGlobalBuffer(reinterpret_cast<__gm__ uint8_t*>(scales) + static_cast<uint64_t>(rowStart) * scaleStride_,
                             static_cast<uint64_t>(rowCount_) * scaleStride_);

        // a tile: rowsPerTile_ rows of blocksPerTile_ blocks; per-block vectors keep one 32-lane row
        // per tile row (room for the pad byte of an odd block count)
        const uint32_t elems = rowsPerTile_ * blocksPerTile_ * MX_BLOCK;
        const uint32_t cmpElems = AkAlignUp(elems, AK_REPEAT_BYTES / sizeof(float));
        scaleRow_ = AkAlignUp(blocksPerTile_ + 1, AK_BLOCK_BYTES);
        const uint32_t scaleElems = rowsPerTile_ * scaleRow_;
        pipe_.InitBuffer(inQueX_, BUFFER_NUM, elems * sizeof(T));
        pipe_.InitBuffer(outQueY_, BUFFER_NUM, cmpElems);
        pipe_.InitBuffer(outQueS_, BUFFER_NUM, scaleElems);
        pipe_.InitBuffer(valueBuf_, cmpElems * sizeof(float));
        pipe_.InitBuffer(absBuf_, elems * sizeof(float));
        pipe_.InitBuffer(expandBuf_, (elems + 8 * MX_BLOCK) * sizeof(float));
        pipe_.InitBuffer(amaxBuf_, scaleElems * sizeof(float));
        pipe_.InitBuffer(byteBuf_, scaleElems * sizeof(int32_t));
        pipe_.InitBuffer(flagBuf_, scaleElems * sizeof(int32_t));
        pipe_.InitBuffer(tmpBuf_, scaleElems * sizeof(int32_t));
        pipe_.InitBuffer(multBuf_, scaleElems * sizeof(int32_t));
        pipe_.InitBuffer(rceilBuf_, scaleElems * sizeof(int32_t));
        pipe_.InitBuffer(byte16Buf_, scaleElems * sizeof(int16_t));
        pipe_.InitBuffer(byteHalfBuf_, scaleElems * sizeof(half));
        pipe_.InitBuffer(maskBuf_, AkAlignUp(cmpElems / 8, AK_BLOCK_BYTES));
"#,
    );
    if soft {
        w.lines(
            r#"
        pipe_.InitBuffer(codeBuf_, cmpElems * sizeof(half));
        pipe_.InitBuffer(enc32Buf_, elems * sizeof(int32_t));
        pipe_.InitBuffer(bitsBuf_, elems * sizeof(int16_t));
        pipe_.InitBuffer(signBuf_, elems * sizeof(int16_t));
        // Compare/Select run on whole 256-B repeats: lanes past a short tile get defined values
        Duplicate(codeBuf_.Get<half>(), static_cast<half>(0), cmpElems);
"#,
        );
    }
    w.lines(
        r#"
        Duplicate(valueBuf_.Get<float>(), 0.0f, cmpElems);
        PipeBarrier<PIPE_V>();
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
    __aicore__ inline uint32_t ChunkLen(uint32_t blk, uint32_t blocks) const
    {
        return AkMin(blocks * MX_BLOCK, cols_ - blk * MX_BLOCK);
    }

    __aicore__ inline void CopyIn(uint32_t row, uint32_t rows, uint32_t blk, uint32_t blocks)
    {
        // UB rows are whole blocks (blocks * 32 elements) apart and zero past the data, so a short
        // last block's amax covers its real elements only
        const uint32_t len = ChunkLen(blk, blocks);
        const uint32_t rowElems = blocks * MX_BLOCK;
        const uint32_t natural = AkAlignUp(len, AK_BLOCK_BYTES / sizeof(T)); // DataCopyPad's own row pitch
        const uint32_t gapBlocks = (rowElems - natural) * sizeof(T) / AK_BLOCK_BYTES;
        LocalTensor<T> xLocal = inQueX_.AllocTensor<T>();
        DataCopyExtParams params(static_cast<uint16_t>(rows), len * sizeof(T), (cols_ - len) * sizeof(T), gapBlocks, 0);
        const uint8_t pad = static_cast<uint8_t>(natural - len);
        DataCopyPad(xLocal, xGm_[static_cast<uint64_t>(row) * cols_ + blk * MX_BLOCK], params,
                    DataCopyPadExtParams<T>(pad != 0, 0, pad, static_cast<T>(0)));
        if (natural != rowElems) {
            event_t mte2ToV = static_cast<event_t>(pipe_.FetchEventID(HardEvent::MTE2_V));
            SetFlag<HardEvent::MTE2_V>(mte2ToV);
            WaitFlag<HardEvent::MTE2_V>(mte2ToV);
            for (uint32_t r = 0; r < rows; ++r) {
                Duplicate(xLocal[r * rowElems + natural], static_cast<T>(0), rowElems - natural);
            }
        }
        inQueX_.EnQue(xLocal);
    }

    __aicore__ inline void Compute(uint32_t rows, uint32_t blocks)
    {
        const uint32_t rowElems = blocks * MX_BLOCK;
        const uint32_t count = rows * rowElems;
        const uint32_t scaleCount = rows * scaleRow_;
        LocalTensor<float> values = valueBuf_.Get<float>();
        LocalTensor<float> absX = absBuf_.Get<float>();
        LocalTensor<float> amax = amaxBuf_.Get<float>();
        LocalTensor<int32_t> amaxBits = amax.ReinterpretCast<int32_t>();
        LocalTensor<int32_t> byte = byteBuf_.Get<int32_t>();
        LocalTensor<int32_t> flag = flagBuf_.Get<int32_t>();
        LocalTensor<int32_t> tmp = tmpBuf_.Get<int32_t>();
        LocalTensor<int32_t> mult = multBuf_.Get<int32_t>();

        LocalTensor<T> xLocal = inQueX_.DeQue<T>();
        AkToFloat(values, xLocal, count);
        PipeBarrier<PIPE_V>();
        inQueX_.FreeTensor(xLocal);

        // amax per block (lanes past the row's blocks stay 0: the pad byte and unused lanes)
        Abs(absX, values, count);
        Duplicate(amax, 0.0f, scaleCount);
        PipeBarrier<PIPE_V>();
        for (uint32_t r = 0; r < rows; ++r) {
            WholeReduceMax(amax[r * scaleRow_], absX[r * rowElems], static_cast<int32_t>(MX_BLOCK),
                           static_cast<int32_t>(blocks), 1, 1, MX_BLOCK / AK_F32_PER_BLOCK,
                           ReduceOrder::ORDER_ONLY_VALUE);
        }
        PipeBarrier<PIPE_V>();

        // flag = 1 for a block holding NaN or Inf (amax exponent field 255)
        ShiftRight(tmp, amaxBits, static_cast<int32_t>(23), scaleCount);
        PipeBarrier<PIPE_V>();
        Adds(flag, tmp, static_cast<int32_t>(-254), scaleCount);
        PipeBarrier<PIPE_V>();
        Maxs(flag, flag, static_cast<int32_t>(0), scaleCount);
        if (rceil_) {
            RceilBytes(amax, byte, tmp, mult, scaleCount);
        } else {
            // OCP: byte = max(E(amax) - emax, 0)
            Adds(byte, tmp, static_cast<int32_t>(e5m2_ ? -15 : -8), scaleCount);
            PipeBarrier<PIPE_V>();
            Maxs(byte, byte, static_cast<int32_t>(0), scaleCount);
        }
        PipeBarrier<PIPE_V>();

        // multiplier bits: 2^(127 - byte) = (254 - byte) << 23, 0 for flushed tiny blocks, NaN for
        // non-finite blocks; the byte itself becomes 0xFF there
        Muls(mult, byte, static_cast<int32_t>(-1), scaleCount);
        PipeBarrier<PIPE_V>();
        Adds(mult, mult, static_cast<int32_t>(254), scaleCount);
        PipeBarrier<PIPE_V>();
        ShiftLeft(mult, mult, static_cast<int32_t>(23), scaleCount);
        PipeBarrier<PIPE_V>();
        if (!rceil_ && flushTiny_) {
            Mins(tmp, byte, static_cast<int32_t>(1), scaleCount);
            PipeBarrier<PIPE_V>();
            Mul(mult, mult, tmp, scaleCount);
        }
        Muls(tmp, flag, static_cast<int32_t>(-1), scaleCount);
        PipeBarrier<PIPE_V>();
        Adds(tmp, tmp, static_cast<int32_t>(1), scaleCount); // 1 - flag
        PipeBarrier<PIPE_V>();
        Mul(mult, mult, tmp, scaleCount);
        Mul(byte, byte, tmp, scaleCount);
        PipeBarrier<PIPE_V>();
        Muls(tmp, flag, static_cast<int32_t>(0x7FC00000), scaleCount);
        PipeBarrier<PIPE_V>();
        Add(mult, mult, tmp, scaleCount);
        Muls(tmp, flag, static_cast<int32_t>(255), scaleCount);
        PipeBarrier<PIPE_V>();
        Add(byte, byte, tmp, scaleCount);
        PipeBarrier<PIPE_V>();

        // scale bytes out (int32 -> int16 -> half -> uint8, all exact for 0..255)
        LocalTensor<int16_t> byte16 = byte16Buf_.Get<int16_t>();
        LocalTensor<half> byteHalf = byteHalfBuf_.Get<half>();
        Cast(byte16, byte, RoundMode::CAST_NONE, scaleCount);
        PipeBarrier<PIPE_V>();
        Cast(byteHalf, byte16, RoundMode::CAST_RINT, scaleCount);
        PipeBarrier<PIPE_V>();
        LocalTensor<uint8_t> sLocal = outQueS_.AllocTensor<uint8_t>();
        Cast(sLocal, byteHalf, RoundMode::CAST_RINT, scaleCount);
        PipeBarrier<PIPE_V>();
        outQueS_.EnQue(sLocal);

        // elements: x * multiplier (broadcast per block), clamped to +-max (saturation)
        LocalTensor<float> expanded = expandBuf_.Get<float>();
        LocalTensor<float> multF32 = mult.ReinterpretCast<float>();
        const uint8_t repeats = static_cast<uint8_t>(AkCeilDiv(blocks, 8));
        for (uint32_t r = 0; r < rows; ++r) {
            for (uint32_t part = 0; part < MX_BLOCK / AK_F32_PER_BLOCK; ++part) {
                Brcb(expanded[r * rowElems + part * AK_F32_PER_BLOCK], multF32[r * scaleRow_], repeats,
                     BrcbRepeatParams(MX_BLOCK / AK_F32_PER_BLOCK, 8 * MX_BLOCK / AK_F32_PER_BLOCK));
            }
        }
        PipeBarrier<PIPE_V>();
        Mul(values, values, expanded, count);
        PipeBarrier<PIPE_V>();
        const float maxFinite = e5m2_ ? 57344.0f : 448.0f;
        Mins(values, values, maxFinite, count);
        PipeBarrier<PIPE_V>();
        Maxs(values, values, -maxFinite, count);
        PipeBarrier<PIPE_V>();

        const uint32_t cmpCount = AkAlignUp(count, AK_REPEAT_BYTES / sizeof(float));
        LocalTensor<uint8_t> mask = maskBuf_.Get<uint8_t>();
        LocalTensor<uint8_t> yLocal = outQueY_.AllocTensor<uint8_t>();
"#,
    );
    if soft {
        w.lines(
            r#"
        LocalTensor<half> code = codeBuf_.Get<half>();
        if (e5m2_) {
            AkFloatToFp8Soft<true>(code, values, absX, enc32Buf_.Get<int32_t>(), bitsBuf_.Get<int16_t>(),
                                   signBuf_.Get<int16_t>(), count);
        } else {
            AkFloatToFp8Soft<false>(code, values, absX, enc32Buf_.Get<int32_t>(), bitsBuf_.Get<int16_t>(),
                                    signBuf_.Get<int16_t>(), count);
        }
        // NaN lanes (non-finite blocks) -> 0x00 as the NPU's saturating cast writes them, or 0x7F
        Compare(mask, values, values, CMPMODE::EQ, cmpCount);
        PipeBarrier<PIPE_V>();
        Select(code, mask, code, static_cast<half>(nanElements_ ? 127 : 0), SELMODE::VSEL_TENSOR_SCALAR_MODE,
               cmpCount);
        PipeBarrier<PIPE_V>();
        Cast(yLocal, code, RoundMode::CAST_RINT, cmpCount);
        PipeBarrier<PIPE_V>();
"#,
        );
    } else {
        w.lines(
            r#"
        if (e5m2_) {
            Cast(yLocal.ReinterpretCast<fp8_e5m2_t>(), values, RoundMode::CAST_RINT, cmpCount);
        } else {
            Cast(yLocal.ReinterpretCast<fp8_e4m3fn_t>(), values, RoundMode::CAST_RINT, cmpCount);
        }
        PipeBarrier<PIPE_V>();
        // NaN lanes (non-finite blocks): the saturating cast wrote 0x00 (Cast.md), as the NPU does;
        // NAN_ELEMENTS asks for 0x7F
        if (nanElements_) {
            Compare(mask, values, values, CMPMODE::EQ, cmpCount);
            PipeBarrier<PIPE_V>();
            Select(yLocal, mask, yLocal, static_cast<uint8_t>(0x7F), SELMODE::VSEL_TENSOR_SCALAR_MODE, cmpCount);
            PipeBarrier<PIPE_V>();
        }
"#,
        );
    }
    w.lines(
        r#"
        outQueY_.EnQue(yLocal);
    }

    // RCEIL: S = amax * f32(1/max); byte = E(S) + 1 if (0 < E < 254 and M > 0) or (E == 0 and M > 2^22)
    __aicore__ inline void RceilBytes(const LocalTensor<float>& amax, const LocalTensor<int32_t>& byte,
                                      const LocalTensor<int32_t>& tmp, const LocalTensor<int32_t>& scratch,
                                      uint32_t n)
    {
        LocalTensor<float> s = scratch.ReinterpretCast<float>();
        Muls(s, amax, AkBitsToFloat(e5m2_ ? 0x37924925u : 0x3B124925u), n);
        PipeBarrier<PIPE_V>();
        ShiftRight(byte, scratch, static_cast<int32_t>(23), n); // E (S >= 0)
        ShiftLeft(scratch, scratch, static_cast<int32_t>(9), n);
        PipeBarrier<PIPE_V>();
        ShiftRight(scratch.ReinterpretCast<uint32_t>(), scratch.ReinterpretCast<uint32_t>(), 9u, n); // M
        PipeBarrier<PIPE_V>();
        // c1 = (M > 0) * (E > 0) * (E < 254)
        Mins(tmp, scratch, static_cast<int32_t>(1), n);
        PipeBarrier<PIPE_V>();
        LocalTensor<int32_t> t2 = rceilBuf_.Get<int32_t>();
        Mins(t2, byte, static_cast<int32_t>(1), n); // E > 0
        PipeBarrier<PIPE_V>();
        Mul(tmp, tmp, t2, n);
        PipeBarrier<PIPE_V>();
        Muls(t2, byte, static_cast<int32_t>(-1), n);
        PipeBarrier<PIPE_V>();
        Adds(t2, t2, static_cast<int32_t>(254), n);
        PipeBarrier<PIPE_V>();
        Maxs(t2, t2, static_cast<int32_t>(0), n);
        PipeBarrier<PIPE_V>();
        Mins(t2, t2, static_cast<int32_t>(1), n); // E < 254
        PipeBarrier<PIPE_V>();
        Mul(tmp, tmp, t2, n);
        PipeBarrier<PIPE_V>();
        Add(byte, byte, tmp, n);
        PipeBarrier<PIPE_V>();
        // c2 = (E == 0) * (M > 0x400000); E == 0 iff byte (so far) == 0 and c1 == 0
        Adds(scratch, scratch, static_cast<int32_t>(-0x400000), n);
        PipeBarrier<PIPE_V>();
        Maxs(scratch, scratch, static_cast<int32_t>(0), n);
        PipeBarrier<PIPE_V>();
        Mins(scratch, scratch, static_cast<int32_t>(1), n);
        Mins(t2, byte, static_cast<int32_t>(1), n);
        PipeBarrier<PIPE_V>();
        Muls(t2, t2, static_cast<int32_t>(-1), n);
        PipeBarrier<PIPE_V>();
        Adds(t2, t2, static_cast<int32_t>(1), n); // E == 0
        PipeBarrier<PIPE_V>();
        Mul(scratch, scratch, t2, n);
        PipeBarrier<PIPE_V>();
        Add(byte, byte, scratch, n);
        PipeBarrier<PIPE_V>();
    }

    __aicore__ inline void CopyOut(uint32_t row, uint32_t rows, uint32_t blk, uint32_t blocks)
    {
        const uint32_t len = ChunkLen(blk, blocks);
        LocalTensor<uint8_t> yLocal = outQueY_.DeQue<uint8_t>();
        // UB rows are blocks * 32 bytes apart, a multiple of 32: no UB-side stride needed
        DataCopyExtParams yParams(static_cast<uint16_t>(rows), len, 0, cols_ - len, 0);
        DataCopyPad(yGm_[static_cast<uint64_t>(row) * cols_ + blk * MX_BLOCK], yLocal, yParams);
        outQueY_.FreeTensor(yLocal);

        // the chunk's scale bytes, plus the pad byte after the last block of an odd count
        const bool last = blk + blocks == blocks_;
        const uint32_t nScales = blocks + ((last && (blocks_ % 2) != 0) ? 1 : 0);
        LocalTensor<uint8_t> sLocal = outQueS_.DeQue<uint8_t>();
        const uint32_t ubGap = (scaleRow_ - AkAlignUp(nScales, AK_BLOCK_BYTES)) / AK_BLOCK_BYTES;
        DataCopyExtParams sParams(static_cast<uint16_t>(rows), nScales, ubGap, scaleStride_ - nScales, 0);
        DataCopyPad(sGm_[static_cast<uint64_t>(row) * scaleStride_ + blk], sLocal, sParams);
        outQueS_.FreeTensor(sLocal);
    }

    TPipe pipe_;
    TQue<QuePosition::VECIN, BUFFER_NUM> inQueX_;
    TQue<QuePosition::VECOUT, BUFFER_NUM> outQueY_;
    TQue<QuePosition::VECOUT, BUFFER_NUM> outQueS_;
    TBuf<TPosition::VECCALC> valueBuf_;
    TBuf<TPosition::VECCALC> absBuf_;
    TBuf<TPosition::VECCALC> expandBuf_;
    TBuf<TPosition::VECCALC> amaxBuf_;
    TBuf<TPosition::VECCALC> byteBuf_;
    TBuf<TPosition::VECCALC> flagBuf_;
    TBuf<TPosition::VECCALC> tmpBuf_;
    TBuf<TPosition::VECCALC> multBuf_;
    TBuf<TPosition::VECCALC> rceilBuf_;
    TBuf<TPosition::VECCALC> byte16Buf_;
    TBuf<TPosition::VECCALC> byteHalfBuf_;
    TBuf<TPosition::VECCALC> maskBuf_;
"#,
    );
    if soft {
        w.lines(
            r#"
    TBuf<TPosition::VECCALC> codeBuf_;
    TBuf<TPosition::VECCALC> enc32Buf_;
    TBuf<TPosition::VECCALC> bitsBuf_;
    TBuf<TPosition::VECCALC> signBuf_;
"#,
        );
    }
    w.lines(
        r#"
    GlobalTensor<T> xGm_;
    GlobalTensor<uint8_t> yGm_;
    GlobalTensor<uint8_t> sGm_;
    uint32_t cols_ = 0;
    uint32_t blocks_ = 0;
    uint32_t scaleStride_ = 0;
    uint32_t rowsPerTile_ = 0;
    uint32_t blocksPerTile_ = 0;
    uint32_t scaleRow_ = 0;
    uint32_t rowCount_ = 0;
    bool e5m2_ = false;
    bool rceil_ = false;
    bool flushTiny_ = true;
    bool nanElements_ = false;
};

template <typename T>
__aicore__ inline void Run(GM_ADDR x, GM_ADDR y, GM_ADDR scales, const AkMxQuantTiling& tiling)
{
    KernelMxQuant<T> op;
    op.Init(x, y, scales, tiling);
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
        Run<float>(x, y, scales, tiling);
        break;
    case AK_DTYPE_F16:
        Run<half>(x, y, scales, tiling);
        break;
    case AK_DTYPE_BF16:
        Run<bfloat16_t>(x, y, scales, tiling);
        break;
    default:
        break;
}
"#,
    );
}
