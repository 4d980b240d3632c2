// rope_qk.h: fused NeoX (half-rotation) RoPE on Q and K with a cos/sin cache gathered by position
// (docs/kernels/rope_qk.md).
//
// o1 = x1*c - x2*s, o2 = x2*c + x1*s on the first rotary_dim dims of every head, the rest passed
// through; HF rounding unless the Ascend flags (AK_ROPE_*) ask for f32 compute. Tokens are split over
// cores and into UB tiles of rows_per_tile tokens; the halves are copied with strided DataCopyPad so
// each lands 32-B aligned; each token's cos/sin row is expanded once per head with UB->UB DataCopy.
//
// Template parameters: T the element type of q, k and the outputs; BUFFER_NUM the depth of the
// in/out queues; Traits the target (no target-specific path). Buffers: rope_qk_ub.h (generated).
#ifndef AK_ROPE_QK_H
#define AK_ROPE_QK_H

#include "kernel_operator.h"
#include "ak_kernels.h"
#include "common/ak_kernel.h"
#include "rope_qk/rope_qk_ub.h"

using namespace AscendC;

template <typename T, int32_t BUFFER_NUM, typename Traits>
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

        const AkRowRange core = AkCoreRows(tiling.tokens, tiling.rows_per_core);
        tokenStart_ = core.start;
        tokenCount_ = core.count;
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
        ub_.Init(pipe_, tiling);
        // per-head cos/sin slots are wider than a cache row when half_ is not a multiple of 16:
        // the lanes past the row stay 0
        Duplicate(ub_.cosBuf.template Get<float>(), 0.0f, n);
        Duplicate(ub_.sinBuf.template Get<float>(), 0.0f, n);
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
        LocalTensor<T> x1 = ub_.inQueX1.template AllocTensor<T>();
        DataCopyPad(x1, in[base], HalfParams(rows * heads), padParams);
        ub_.inQueX1.EnQue(x1);
        LocalTensor<T> x2 = ub_.inQueX2.template AllocTensor<T>();
        DataCopyPad(x2, in[base + half_], HalfParams(rows * heads), padParams);
        ub_.inQueX2.EnQue(x2);

        // gather each token's cos and sin row by its position
        LocalTensor<float> cosLocal = ub_.inQueCos.template AllocTensor<float>();
        LocalTensor<float> sinLocal = ub_.inQueSin.template AllocTensor<float>();
        const DataCopyExtParams rowParams(1, half_ * sizeof(float), 0, 0, 0);
        const uint8_t rowPadLanes = static_cast<uint8_t>(csStride_ - half_);
        const DataCopyPadExtParams<float> rowPad(rowPadLanes != 0, 0, rowPadLanes, 0.0f);
        for (uint32_t r = 0; r < rows; ++r) {
            const uint64_t p = static_cast<uint64_t>(posGm_.GetValue(tokenStart_ + tok + r));
            DataCopyPad(cosLocal[r * csStride_], cacheGm_[p * rotary_], rowParams, rowPad);
            DataCopyPad(sinLocal[r * csStride_], cacheGm_[p * rotary_ + half_], rowParams, rowPad);
        }
        ub_.inQueCos.EnQue(cosLocal);
        ub_.inQueSin.EnQue(sinLocal);
    }

    // x = f32(round_T(x)) in HF mode (each product and sum is a dtype value there)
    __aicore__ inline void Round(const LocalTensor<float>& x, uint32_t n)
    {
        if (hfRounding_) {
            AkRoundTrip(x, ub_.scratchBuf.template Get<T>(), n);
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
        LocalTensor<float> cosE = ub_.cosBuf.template Get<float>();
        LocalTensor<float> sinE = ub_.sinBuf.template Get<float>();
        LocalTensor<float> x1 = ub_.x1Buf.template Get<float>();
        LocalTensor<float> x2 = ub_.x2Buf.template Get<float>();
        LocalTensor<float> t1 = ub_.t1Buf.template Get<float>();
        LocalTensor<float> t2 = ub_.t2Buf.template Get<float>();

        // one cos/sin row per head (UB -> UB copies of whole 32-B blocks)
        LocalTensor<float> cosLocal = ub_.inQueCos.template DeQue<float>();
        LocalTensor<float> sinLocal = ub_.inQueSin.template DeQue<float>();
        for (uint32_t r = 0; r < rows; ++r) {
            for (uint32_t h = 0; h < heads; ++h) {
                DataCopy(cosE[(r * heads + h) * halfStride_], cosLocal[r * csStride_], csStride_);
                DataCopy(sinE[(r * heads + h) * halfStride_], sinLocal[r * csStride_], csStride_);
            }
        }
        PipeBarrier<PIPE_V>();
        ub_.inQueCos.FreeTensor(cosLocal);
        ub_.inQueSin.FreeTensor(sinLocal);
        if (roundCosSin_) {
            AkRoundTrip(cosE, ub_.scratchBuf.template Get<T>(), n);
            AkRoundTrip(sinE, ub_.scratchBuf.template Get<T>(), n);
        }

        LocalTensor<T> x1Local = ub_.inQueX1.template DeQue<T>();
        LocalTensor<T> x2Local = ub_.inQueX2.template DeQue<T>();
        AkToFloat(x1, x1Local, n);
        AkToFloat(x2, x2Local, n);
        PipeBarrier<PIPE_V>();
        ub_.inQueX1.FreeTensor(x1Local);
        ub_.inQueX2.FreeTensor(x2Local);

        // o1 = x1*c - x2*s
        Mul(t1, x1, cosE, n);
        Mul(t2, x2, sinE, n);
        PipeBarrier<PIPE_V>();
        Round(t1, n);
        Round(t2, n);
        Sub(t1, t1, t2, n);
        PipeBarrier<PIPE_V>();
        LocalTensor<T> o1 = ub_.outQueO1.template AllocTensor<T>();
        Narrow(o1, t1, n);
        PipeBarrier<PIPE_V>();
        ub_.outQueO1.EnQue(o1);

        // o2 = x2*c + x1*s
        Mul(t1, x2, cosE, n);
        Mul(t2, x1, sinE, n);
        PipeBarrier<PIPE_V>();
        Round(t1, n);
        Round(t2, n);
        Add(t1, t1, t2, n);
        PipeBarrier<PIPE_V>();
        LocalTensor<T> o2 = ub_.outQueO2.template AllocTensor<T>();
        Narrow(o2, t1, n);
        PipeBarrier<PIPE_V>();
        ub_.outQueO2.EnQue(o2);
    }

    __aicore__ inline void CopyOut(const GlobalTensor<T>& out, uint64_t base, uint32_t rows, uint32_t heads)
    {
        const DataCopyExtParams params(static_cast<uint16_t>(rows * heads), half_ * sizeof(T), 0,
                                       (headDim_ - half_) * sizeof(T), 0);
        LocalTensor<T> o1 = ub_.outQueO1.template DeQue<T>();
        DataCopyPad(out[base], o1, params);
        ub_.outQueO1.FreeTensor(o1);
        LocalTensor<T> o2 = ub_.outQueO2.template DeQue<T>();
        DataCopyPad(out[base + half_], o2, params);
        ub_.outQueO2.FreeTensor(o2);
    }

    // dims [rotary, head_dim) are copied through UB unchanged
    __aicore__ inline void PassThrough(const GlobalTensor<T>& in, const GlobalTensor<T>& out, uint64_t base,
                                       uint32_t headRows)
    {
        LocalTensor<T> passLocal = ub_.passBuf.template Get<T>();
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
    AkRopeQkUb<T, BUFFER_NUM, Traits> ub_;
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
    uint32_t tokenStart_ = 0;
    uint32_t tokenCount_ = 0;
    bool hfRounding_ = true;
    bool roundCosSin_ = true;
    bool roundAway_ = false;
};

#endif // AK_ROPE_QK_H
