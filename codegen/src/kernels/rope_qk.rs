//! `rope_qk`: fused NeoX (half-rotation) RoPE on Q and K with a cos/sin cache gathered by position.

use crate::desc::{CType, Dir, EmitCtx, Field, GmArg, KernelCode, KernelDesc, Target, Variant};
use crate::writer::SourceWriter;

/// The description of `rope_qk`.
pub fn desc() -> KernelDesc {
    KernelDesc {
        name: "rope_qk",
        camel: "RopeQk",
        doc: "q [tokens, heads_q, head_dim] and k [tokens, heads_k, head_dim] rotated by the cache row of each
              token's position (cache [positions, rotary_dim] f32 = [cos | sin]): o1 = x1*c - x2*s,
              o2 = x2*c + x1*s on the first rotary_dim dims (x1 = dims 0..rd/2, x2 = rd/2..rd), the rest
              passed through. HF rounding (each product and sum rounded to the dtype, c and s rounded
              too) unless flag F32_COMPUTE (f32 products and sum, one rounding; with DTYPE_COS_SIN c and
              s rounded to the dtype first, with ROUND_AWAY the final rounding ties away from zero: the
              Ascend RotaryPositionEmbedding and ApplyRotaryPosEmb arithmetic). The halves are copied with strided DataCopyPad so each lands
              32-B aligned; each token's cos/sin row is expanded once per head with UB->UB DataCopy.",
        gm_args: vec![
            GmArg { name: "q", dir: Dir::In, doc: "[tokens, heads_q, head_dim] (dtype)" },
            GmArg { name: "k", dir: Dir::In, doc: "[tokens, heads_k, head_dim] (dtype)" },
            GmArg { name: "positions", dir: Dir::In, doc: "[tokens] int32" },
            GmArg { name: "cache", dir: Dir::In, doc: "[max_positions, rotary_dim] f32" },
            GmArg { name: "q_out", dir: Dir::Out, doc: "[tokens, heads_q, head_dim] (dtype)" },
            GmArg { name: "k_out", dir: Dir::Out, doc: "[tokens, heads_k, head_dim] (dtype)" },
        ],
        tiling: vec![
            Field { name: "tokens", ty: CType::U32, doc: "number of tokens" },
            Field { name: "heads_q", ty: CType::U32, doc: "heads of q" },
            Field { name: "heads_k", ty: CType::U32, doc: "heads of k" },
            Field { name: "head_dim", ty: CType::U32, doc: "elements per head" },
            Field { name: "rotary_dim", ty: CType::U32, doc: "rotated leading dims (even, <= head_dim)" },
            Field { name: "max_positions", ty: CType::U32, doc: "rows of the cache" },
            Field { name: "rows_per_core", ty: CType::U32, doc: "tokens of every core but the last" },
            Field { name: "rows_per_tile", ty: CType::U32, doc: "tokens per UB tile" },
            Field { name: "dtype", ty: CType::U32, doc: "AK_DTYPE_* of q, k and the outputs" },
            Field { name: "flags", ty: CType::U32, doc: "AK_ROPE_F32_COMPUTE | AK_ROPE_DTYPE_COS_SIN | AK_ROPE_ROUND_AWAY" },
        ],
        variants: vec![
            Variant { name: "v0", buffer_num: 2, ub_share_pct: 100, doc: "double-buffered" },
            Variant { name: "v1", buffer_num: 1, ub_share_pct: 100, doc: "single-buffered" },
        ],
        targets: &Target::ALL,
        includes: vec!["ak_common.h"],
        code: KernelCode::Inline { body, entry },
    }
}

fn body(_ctx: &EmitCtx, w: &mut SourceWriter) {
    w.lines(
        r#"
template <typename T>
class KernelRopeQk {
public:
    __aicore__ inline KernelRopeQk() {}

    __aicore__ inline void Init(GM_ADDR q, GM_ADDR k, GM_ADDR positions, GM_ADDR cache, GM_ADDR qOut, GM_ADDR kOut,
                                const AkRopeQkTiling& tiling)
    {
        headDim_ = tiling.head_dim;
        rotary_ = tiling.rotary_dim;
        half_ = rotary_ / 2;
        pass_ = headDim_ - rotary_;
        headsQ_ = tiling.heads_q;
        headsK_ = tiling.heads_k;
        rowsPerTile_ = tiling.rows_per_tile;
        hfRounding_ = (tiling.flags & AK_ROPE_F32_COMPUTE) == 0;
        roundCosSin_ = hfRounding_ || (tiling.flags & AK_ROPE_DTYPE_COS_SIN) != 0;
        roundAway_ = !hfRounding_ && (tiling.flags & AK_ROPE_ROUND_AWAY) != 0;
        halfStride_ = AkAlignUp(half_, AK_BLOCK_BYTES / sizeof(T));
        csStride_ = AkAlignUp(half_, AK_F32_PER_BLOCK);
        passStride_ = AkAlignUp(pass_, AK_BLOCK_BYTES / sizeof(T));

        tokenStart_ = GetBlockIdx() * tiling.rows_per_core;
        tokenCount_ = tokenStart_ >= tiling.tokens ? 0 : AkMin(tiling.rows_per_core, tiling.tokens - tokenStart_);
        qGm_.SetGlobalBuffer(reinterpret_cast<__gm__ T*>(q), static_cast<uint64_t>(tiling.tokens) * headsQ_ * headDim_);
        kGm_.SetGlobalBuffer(reinterpret_cast<__gm__ T*>(k), static_cast<uint64_t>(tiling.tokens) * headsK_ * headDim_);
        qOutGm_.SetGlobalBuffer(reinterpret_cast<__gm__ T*>(qOut),
                                static_cast<uint64_t>(tiling.tokens) * headsQ_ * headDim_);
        kOutGm_.SetGlobalBuffer(reinterpret_cast<__gm__ T*>(kOut),
                                static_cast<uint64_t>(tiling.tokens) * headsK_ * headDim_);
        posGm_.SetGlobalBuffer(reinterpret_cast<__gm__ int32_t*>(positions), tiling.tokens);
        cacheGm_.SetGlobalBuffer(reinterpret_cast<__gm__ float*>(cache),
                                 static_cast<uint64_t>(tiling.max_positions) * rotary_);

        const uint32_t heads = AkMax(headsQ_, headsK_);
        const uint32_t n = rowsPerTile_ * heads * halfStride_;
        pipe_.InitBuffer(inQueX1_, BUFFER_NUM, n * sizeof(T));
        pipe_.InitBuffer(inQueX2_, BUFFER_NUM, n * sizeof(T));
        pipe_.InitBuffer(inQueCos_, BUFFER_NUM, rowsPerTile_ * csStride_ * sizeof(float));
        pipe_.InitBuffer(inQueSin_, BUFFER_NUM, rowsPerTile_ * csStride_ * sizeof(float));
        pipe_.InitBuffer(outQueO1_, BUFFER_NUM, n * sizeof(T));
        pipe_.InitBuffer(outQueO2_, BUFFER_NUM, n * sizeof(T));
        if (pass_ > 0) {
            pipe_.InitBuffer(passBuf_, rowsPerTile_ * heads * passStride_ * sizeof(T));
        }
        pipe_.InitBuffer(cosBuf_, n * sizeof(float));
        pipe_.InitBuffer(sinBuf_, n * sizeof(float));
        pipe_.InitBuffer(x1Buf_, n * sizeof(float));
        pipe_.InitBuffer(x2Buf_, n * sizeof(float));
        pipe_.InitBuffer(t1Buf_, n * sizeof(float));
        pipe_.InitBuffer(t2Buf_, n * sizeof(float));
        pipe_.InitBuffer(scratchBuf_, n * sizeof(T));
        // per-head cos/sin slots are wider than a cache row when half_ is not a multiple of 16:
        // the lanes past the row stay 0
        Duplicate(cosBuf_.Get<float>(), 0.0f, n);
        Duplicate(sinBuf_.Get<float>(), 0.0f, n);
        PipeBarrier<PIPE_V>();
    }

    __aicore__ inline void Process()
    {
        Rotate(qGm_, qOutGm_, headsQ_);
        Rotate(kGm_, kOutGm_, headsK_);
    }

private:
    __aicore__ inline void Rotate(const GlobalTensor<T>& in, const GlobalTensor<T>& out, uint32_t heads)
    {
        if (heads == 0) {
            return;
        }
        for (uint32_t tok = 0; tok < tokenCount_; tok += rowsPerTile_) {
            const uint32_t rows = AkMin(rowsPerTile_, tokenCount_ - tok);
            const uint64_t base = static_cast<uint64_t>(tokenStart_ + tok) * heads * headDim_;
            CopyIn(in, base, tok, rows, heads);
            Compute(rows, heads);
            CopyOut(out, base, rows, heads);
            if (pass_ > 0) {
                PassThrough(in, out, base, rows * heads);
            }
        }
    }

    // x1 = dims [0, half) and x2 = [half, rotary) of every head, each head padded to halfStride_
    __aicore__ inline DataCopyExtParams HalfParams(uint32_t heads) const
    {
        return DataCopyExtParams(static_cast<uint16_t>(heads), half_ * sizeof(T), (headDim_ - half_) * sizeof(T), 0, 0);
    }

    __aicore__ inline void CopyIn(const GlobalTensor<T>& in, uint64_t base, uint32_t tok, uint32_t rows, uint32_t heads)
    {
        const uint8_t pad = static_cast<uint8_t>(halfStride_ - half_);
        const DataCopyPadExtParams<T> padParams(pad != 0, 0, pad, static_cast<T>(0));
        LocalTensor<T> x1 = inQueX1_.AllocTensor<T>();
        DataCopyPad(x1, in[base], HalfParams(rows * heads), padParams);
        inQueX1_.EnQue(x1);
        LocalTensor<T> x2 = inQueX2_.AllocTensor<T>();
        DataCopyPad(x2, in[base + half_], HalfParams(rows * heads), padParams);
        inQueX2_.EnQue(x2);

        // gather each token's cos and sin row by its position
        LocalTensor<float> cosLocal = inQueCos_.AllocTensor<float>();
        LocalTensor<float> sinLocal = inQueSin_.AllocTensor<float>();
        const DataCopyExtParams rowParams(1, half_ * sizeof(float), 0, 0, 0);
        const uint8_t rowPadLanes = static_cast<uint8_t>(csStride_ - half_);
        const DataCopyPadExtParams<float> rowPad(rowPadLanes != 0, 0, rowPadLanes, 0.0f);
        for (uint32_t r = 0; r < rows; ++r) {
            const uint64_t p = static_cast<uint64_t>(posGm_.GetValue(tokenStart_ + tok + r));
            DataCopyPad(cosLocal[r * csStride_], cacheGm_[p * rotary_], rowParams, rowPad);
            DataCopyPad(sinLocal[r * csStride_], cacheGm_[p * rotary_ + half_], rowParams, rowPad);
        }
        inQueCos_.EnQue(cosLocal);
        inQueSin_.EnQue(sinLocal);
    }

    // x = f32(round_T(x)) in HF mode (each product and sum is a dtype value there)
    __aicore__ inline void Round(const LocalTensor<float>& x, uint32_t n)
    {
        if (hfRounding_) {
            AkRoundTrip(x, scratchBuf_.Get<T>(), n);
        }
    }

    // the final rounding to T: nearest-even, or ties away from zero (CAST_ROUND) with ROUND_AWAY
    __aicore__ inline void Narrow(const LocalTensor<T>& dst, const LocalTensor<float>& src, uint32_t n)
    {
        if constexpr (AkIsSame<T, float>::value) {
            AkFromFloat(dst, src, n);
        } else {
            Cast(dst, src, roundAway_ ? RoundMode::CAST_ROUND : RoundMode::CAST_RINT, n);
        }
    }

    __aicore__ inline void Compute(uint32_t rows, uint32_t heads)
    {
        const uint32_t n = rows * heads * halfStride_;
        LocalTensor<float> cosE = cosBuf_.Get<float>();
        LocalTensor<float> sinE = sinBuf_.Get<float>();
        LocalTensor<float> x1 = x1Buf_.Get<float>();
        LocalTensor<float> x2 = x2Buf_.Get<float>();
        LocalTensor<float> t1 = t1Buf_.Get<float>();
        LocalTensor<float> t2 = t2Buf_.Get<float>();

        // one cos/sin row per head (UB -> UB copies of whole 32-B blocks)
        LocalTensor<float> cosLocal = inQueCos_.DeQue<float>();
        LocalTensor<float> sinLocal = inQueSin_.DeQue<float>();
        for (uint32_t r = 0; r < rows; ++r) {
            for (uint32_t h = 0; h < heads; ++h) {
                DataCopy(cosE[(r * heads + h) * halfStride_], cosLocal[r * csStride_], csStride_);
                DataCopy(sinE[(r * heads + h) * halfStride_], sinLocal[r * csStride_], csStride_);
            }
        }
        PipeBarrier<PIPE_V>();
        inQueCos_.FreeTensor(cosLocal);
        inQueSin_.FreeTensor(sinLocal);
        if (roundCosSin_) {
            AkRoundTrip(cosE, scratchBuf_.Get<T>(), n);
            AkRoundTrip(sinE, scratchBuf_.Get<T>(), n);
        }

        LocalTensor<T> x1Local = inQueX1_.DeQue<T>();
        LocalTensor<T> x2Local = inQueX2_.DeQue<T>();
        AkToFloat(x1, x1Local, n);
        AkToFloat(x2, x2Local, n);
        PipeBarrier<PIPE_V>();
        inQueX1_.FreeTensor(x1Local);
        inQueX2_.FreeTensor(x2Local);

        // o1 = x1*c - x2*s
        Mul(t1, x1, cosE, n);
        Mul(t2, x2, sinE, n);
        PipeBarrier<PIPE_V>();
        Round(t1, n);
        Round(t2, n);
        Sub(t1, t1, t2, n);
        PipeBarrier<PIPE_V>();
        LocalTensor<T> o1 = outQueO1_.AllocTensor<T>();
        Narrow(o1, t1, n);
        PipeBarrier<PIPE_V>();
        outQueO1_.EnQue(o1);

        // o2 = x2*c + x1*s
        Mul(t1, x2, cosE, n);
        Mul(t2, x1, sinE, n);
        PipeBarrier<PIPE_V>();
        Round(t1, n);
        Round(t2, n);
        Add(t1, t1, t2, n);
        PipeBarrier<PIPE_V>();
        LocalTensor<T> o2 = outQueO2_.AllocTensor<T>();
        Narrow(o2, t1, n);
        PipeBarrier<PIPE_V>();
        outQueO2_.EnQue(o2);
    }

    __aicore__ inline void CopyOut(const GlobalTensor<T>& out, uint64_t base, uint32_t rows, uint32_t heads)
    {
        const DataCopyExtParams params(static_cast<uint16_t>(rows * heads), half_ * sizeof(T), 0,
                                       (headDim_ - half_) * sizeof(T), 0);
        LocalTensor<T> o1 = outQueO1_.DeQue<T>();
        DataCopyPad(out[base], o1, params);
        outQueO1_.FreeTensor(o1);
        LocalTensor<T> o2 = outQueO2_.DeQue<T>();
        DataCopyPad(out[base + half_], o2, params);
        outQueO2_.FreeTensor(o2);
    }

    // dims [rotary, head_dim) are copied through UB unchanged
    __aicore__ inline void PassThrough(const GlobalTensor<T>& in, const GlobalTensor<T>& out, uint64_t base,
                                       uint32_t headRows)
    {
        LocalTensor<T> passLocal = passBuf_.Get<T>();
        DataCopyPad(passLocal, in[base + rotary_],
                    DataCopyExtParams(static_cast<uint16_t>(headRows), pass_ * sizeof(T), rotary_ * sizeof(T), 0, 0),
                    DataCopyPadExtParams<T>(false, 0, 0, static_cast<T>(0)));
        event_t inToOut = static_cast<event_t>(pipe_.FetchEventID(HardEvent::MTE2_MTE3));
        SetFlag<HardEvent::MTE2_MTE3>(inToOut);
        WaitFlag<HardEvent::MTE2_MTE3>(inToOut);
        DataCopyPad(out[base + rotary_], passLocal,
                    DataCopyExtParams(static_cast<uint16_t>(headRows), pass_ * sizeof(T), 0, rotary_ * sizeof(T), 0));
        event_t outToIn = static_cast<event_t>(pipe_.FetchEventID(HardEvent::MTE3_MTE2));
        SetFlag<HardEvent::MTE3_MTE2>(outToIn);
        WaitFlag<HardEvent::MTE3_MTE2>(outToIn);
    }

    TPipe pipe_;
    TQue<QuePosition::VECIN, BUFFER_NUM> inQueX1_;
    TQue<QuePosition::VECIN, BUFFER_NUM> inQueX2_;
    TQue<QuePosition::VECIN, BUFFER_NUM> inQueCos_;
    TQue<QuePosition::VECIN, BUFFER_NUM> inQueSin_;
    TQue<QuePosition::VECOUT, BUFFER_NUM> outQueO1_;
    TQue<QuePosition::VECOUT, BUFFER_NUM> outQueO2_;
    TBuf<TPosition::VECCALC> passBuf_;
    TBuf<TPosition::VECCALC> cosBuf_;
    TBuf<TPosition::VECCALC> sinBuf_;
    TBuf<TPosition::VECCALC> x1Buf_;
    TBuf<TPosition::VECCALC> x2Buf_;
    TBuf<TPosition::VECCALC> t1Buf_;
    TBuf<TPosition::VECCALC> t2Buf_;
    TBuf<TPosition::VECCALC> scratchBuf_;
    GlobalTensor<T> qGm_;
    GlobalTensor<T> kGm_;
    GlobalTensor<T> qOutGm_;
    GlobalTensor<T> kOutGm_;
    GlobalTensor<int32_t> posGm_;
    GlobalTensor<float> cacheGm_;
    uint32_t headDim_ = 0;
    uint32_t rotary_ = 0;
    uint32_t half_ = 0;
    uint32_t pass_ = 0;
    uint32_t headsQ_ = 0;
    uint32_t headsK_ = 0;
    uint32_t rowsPerTile_ = 0;
    uint32_t halfStride_ = 0;
    uint32_t csStride_ = 0;
    uint32_t passStride_ = 0;
    uint32_t tokenStart_ = 0;
    uint32_t tokenCount_ = 0;
    bool hfRounding_ = true;
    bool roundCosSin_ = true;
    bool roundAway_ = false;
};

template <typename T>
__aicore__ inline void Run(GM_ADDR q, GM_ADDR k, GM_ADDR positions, GM_ADDR cache, GM_ADDR qOut, GM_ADDR kOut,
                           const AkRopeQkTiling& tiling)
{
    KernelRopeQk<T> op;
    op.Init(q, k, positions, cache, qOut, kOut, tiling);
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
        Run<float>(q, k, positions, cache, q_out, k_out, tiling);
        break;
    case AK_DTYPE_F16:
        Run<half>(q, k, positions, cache, q_out, k_out, tiling);
        break;
    case AK_DTYPE_BF16:
        Run<bfloat16_t>(q, k, positions, cache, q_out, k_out, tiling);
        break;
    default:
        break;
}
"#,
    );
}
