// rms_norm.h: RMSNorm over the last axis, optionally fused with a residual add (docs/kernels/rms_norm.md).
//
// y = round(round(x * rstd) * w), rstd = 1 / sqrt(mean(x^2) + eps) in f32 (HF Qwen3RMSNorm), with the
// Ascend modes as runtime flags (AK_RMS_NORM_*). Rows are split over cores and into UB tiles of
// rows_per_tile rows, each row padded to 32 B in UB by DataCopyPad, so any cols works.
//
// Template parameters: T the element type of x, residual, weight, y and h; BUFFER_NUM the depth of
// the in/out queues; Traits the target (Traits::NEWTON_RAPHSON_RSTD: the Ascend 950's rstd); mode
// key FUSED: h = x + residual is written and normalised. Buffers: rms_norm_ub.h (generated).
#ifndef AK_RMS_NORM_H
#define AK_RMS_NORM_H

#include "kernel_operator.h"
#include "ak_kernels.h"
#include "common/ak_kernel.h"
#include "rms_norm/rms_norm_ub.h"

using namespace AscendC;

template <typename T, int32_t BUFFER_NUM, typename Traits, bool FUSED>
class KernelRmsNorm {
public:
    __aicore__ inline KernelRmsNorm() {}

    __aicore__ inline void Init(GM_ADDR x, GM_ADDR residual, GM_ADDR weight, GM_ADDR y, GM_ADDR h, GM_ADDR rstd,
                                const AkRmsNormTiling& tiling)
    {
        cols_ = tiling.cols;
        stride_ = AkAlignUp(cols_, AK_BLOCK_BYTES / sizeof(T));
        rowsPerTile_ = tiling.rows_per_tile;
        eps_ = tiling.eps;
        avg_ = 1.0f / static_cast<float>(cols_);
        weightF32_ = (tiling.flags & AK_RMS_NORM_WEIGHT_F32) != 0;
        ascendRstd_ = (tiling.flags & AK_RMS_NORM_ASCEND_RSTD) != 0;
        scaleSquares_ = (tiling.flags & AK_RMS_NORM_SCALE_SQUARES) != 0;
        newtonRaphson_ = (tiling.flags & AK_RMS_NORM_NEWTON_RAPHSON) != 0;
        f32Sum_ = (tiling.flags & AK_RMS_NORM_F32_SUM) != 0;
        writeRstd_ = (tiling.flags & AK_RMS_NORM_RSTD) != 0;

        const AkRowRange core = AkCoreRows(tiling.rows, tiling.rows_per_core);
        rowCount_ = core.count;
        const uint64_t base = static_cast<uint64_t>(core.start) * cols_;
        const uint64_t len = static_cast<uint64_t>(rowCount_) * cols_;
        xGm_.SetGlobalBuffer(reinterpret_cast<__gm__ T*>(x) + base, len);
        yGm_.SetGlobalBuffer(reinterpret_cast<__gm__ T*>(y) + base, len);
        wGm_.SetGlobalBuffer(reinterpret_cast<__gm__ T*>(weight), cols_);
        if constexpr (FUSED) {
            rGm_.SetGlobalBuffer(reinterpret_cast<__gm__ T*>(residual) + base, len);
            hGm_.SetGlobalBuffer(reinterpret_cast<__gm__ T*>(h) + base, len);
        }
        if (writeRstd_) {
            rstdGm_.SetGlobalBuffer(reinterpret_cast<__gm__ float*>(rstd) + core.start, rowCount_);
        }
        ub_.Init(pipe_, tiling);
    }

    __aicore__ inline void Process()
    {
        if (rowCount_ == 0) {
            return;
        }
        LoadWeight();
        for (uint32_t row = 0; row < rowCount_; row += rowsPerTile_) {
            const uint32_t rows = AkMin(rowsPerTile_, rowCount_ - row);
            CopyIn(row, rows);
            Compute(rows);
            CopyOut(row, rows);
        }
    }

private:
    // gamma -> f32 once per core
    __aicore__ inline void LoadWeight()
    {
        LocalTensor<T> wLocal = ub_.inQueW.template AllocTensor<T>();
        DataCopyPad(wLocal, wGm_, RowParams(1), PadParams());
        ub_.inQueW.EnQue(wLocal);
        wLocal = ub_.inQueW.template DeQue<T>();
        LocalTensor<float> wF32 = ub_.wBuf.template Get<float>();
        AkToFloat(wF32, wLocal, stride_);
        PipeBarrier<PIPE_V>();
        ub_.inQueW.FreeTensor(wLocal);
    }

    __aicore__ inline void CopyIn(uint32_t row, uint32_t rows)
    {
        const uint64_t offset = static_cast<uint64_t>(row) * cols_;
        LocalTensor<T> xLocal = ub_.inQueX.template AllocTensor<T>();
        DataCopyPad(xLocal, xGm_[offset], RowParams(rows), PadParams());
        ub_.inQueX.EnQue(xLocal);
        if constexpr (FUSED) {
            LocalTensor<T> rLocal = ub_.inQueR.template AllocTensor<T>();
            DataCopyPad(rLocal, rGm_[offset], RowParams(rows), PadParams());
            ub_.inQueR.EnQue(rLocal);
        }
    }

    // rstd of one row from its sum of squares (scaled by 1/cols already with SCALE_SQUARES)
    __aicore__ inline float Rstd(float sum)
    {
        if (!ascendRstd_) {
            const float mean = sum / static_cast<float>(cols_);
            return 1.0f / sqrt(mean + eps_);
        }
        const float var = (scaleSquares_ ? sum : sum * avg_) + eps_;
        if constexpr (Traits::NEWTON_RAPHSON_RSTD) {
            if (newtonRaphson_) {
                return RstdNewtonRaphson(var);
            }
        }
        // the square root and the division each rounded to f32
        const float root = sqrt(var);
        return 1.0f / root;
    }

    // Used where Traits::NEWTON_RAPHSON_RSTD: the Ascend 950's rstd (ops-nn norm_common
    // reduce_common_regbase.h ComputeRstdNewtonRaphsonReg):
    // y = sqrt(1/var), one Newton step, one residual correction; MulAddDst is dst = src0 * src1 + dst.
    // Lane 0 of 8-lane vectors carries the row.
    __aicore__ inline float RstdNewtonRaphson(float var)
    {
        LocalTensor<float> n = ub_.nrBuf.template Get<float>();
        LocalTensor<float> v = n;
        LocalTensor<float> r = n[AK_F32_PER_BLOCK];
        LocalTensor<float> yv = n[2 * AK_F32_PER_BLOCK];
        LocalTensor<float> t = n[3 * AK_F32_PER_BLOCK];
        LocalTensor<float> t1 = n[4 * AK_F32_PER_BLOCK];
        LocalTensor<float> rs = n[5 * AK_F32_PER_BLOCK];
        LocalTensor<float> s = n[6 * AK_F32_PER_BLOCK];
        LocalTensor<float> u = n[7 * AK_F32_PER_BLOCK];
        const uint32_t k = AK_F32_PER_BLOCK;
        Duplicate(v, var, k);
        Duplicate(u, 1.0f, k);
        Duplicate(t1, 1.5f, k);
        Duplicate(s, 1.0f, k);
        PipeBarrier<PIPE_V>();
        Div(r, u, v, k); // r = 1 / var
        PipeBarrier<PIPE_V>();
        Sqrt(yv, r, k);       // y = sqrt(r)
        Muls(t, v, -0.5f, k); // t = -0.5 var
        PipeBarrier<PIPE_V>();
        Mul(t, t, yv, k); // t = t y
        PipeBarrier<PIPE_V>();
        MulAddDst(t1, t, yv, k); // t1 = t y + 1.5
        PipeBarrier<PIPE_V>();
        Mul(rs, yv, t1, k);   // rstd = y t1
        Muls(u, v, -1.0f, k); // t3 = -var
        PipeBarrier<PIPE_V>();
        MulAddDst(s, u, r, k); // s = t3 r + 1
        Muls(t, rs, -1.0f, k); // t4 = -rstd
        PipeBarrier<PIPE_V>();
        MulAddDst(r, t, rs, k); // r = t4 rstd + r
        PipeBarrier<PIPE_V>();
        MulAddDst(s, v, r, k); // s = var r + s
        PipeBarrier<PIPE_V>();
        Mul(s, s, rs, k); // s = s rstd
        Duplicate(u, 0.5f, k);
        PipeBarrier<PIPE_V>();
        MulAddDst(rs, s, u, k); // rstd = s 0.5 + rstd
        event_t vToS = static_cast<event_t>(pipe_.FetchEventID(HardEvent::V_S));
        SetFlag<HardEvent::V_S>(vToS);
        WaitFlag<HardEvent::V_S>(vToS);
        const float out = rs.GetValue(0);
        event_t sToV = static_cast<event_t>(pipe_.FetchEventID(HardEvent::S_V));
        SetFlag<HardEvent::S_V>(sToV);
        WaitFlag<HardEvent::S_V>(sToV);
        // the kernel's Select: var == +inf gives 0, var == 0 gives +inf
        if (var == BitsToFloat(0x7F800000u)) {
            return 0.0f;
        }
        if (var == 0.0f) {
            return BitsToFloat(0x7F800000u);
        }
        return out;
    }

    __aicore__ inline float BitsToFloat(uint32_t bits)
    {
        union {
            uint32_t u;
            float f;
        } c;
        c.u = bits;
        return c.f;
    }
    __aicore__ inline void Compute(uint32_t rows)
    {
        const uint32_t count = rows * stride_;
        LocalTensor<float> xF32 = ub_.xBuf.template Get<float>();
        LocalTensor<float> sq = ub_.sqBuf.template Get<float>();
        LocalTensor<float> sums = ub_.sumBuf.template Get<float>();
        LocalTensor<float> work = ub_.workBuf.template Get<float>();
        LocalTensor<float> wF32 = ub_.wBuf.template Get<float>();

        LocalTensor<T> xLocal = ub_.inQueX.template DeQue<T>();
        AkToFloat(xF32, xLocal, count);
        PipeBarrier<PIPE_V>();
        ub_.inQueX.FreeTensor(xLocal);
        if constexpr (FUSED) {
            // h = round(x + residual); the norm runs on h (on the f32 sum with F32_SUM)
            LocalTensor<T> rLocal = ub_.inQueR.template DeQue<T>();
            AkToFloat(sq, rLocal, count);
            PipeBarrier<PIPE_V>();
            ub_.inQueR.FreeTensor(rLocal);
            Add(xF32, xF32, sq, count);
            PipeBarrier<PIPE_V>();
            LocalTensor<T> hLocal = ub_.outQueH.template AllocTensor<T>();
            AkFromFloat(hLocal, xF32, count);
            PipeBarrier<PIPE_V>();
            if (!f32Sum_) {
                AkToFloat(xF32, hLocal, count);
                PipeBarrier<PIPE_V>();
            }
            ub_.outQueH.EnQue(hLocal);
        }

        // per row: sum(x^2) (of x^2 / cols with SCALE_SQUARES) -> sums[8 * r]
        Mul(sq, xF32, xF32, count);
        PipeBarrier<PIPE_V>();
        if (scaleSquares_) {
            Muls(sq, sq, avg_, count);
            PipeBarrier<PIPE_V>();
        }
        for (uint32_t r = 0; r < rows; ++r) {
            ReduceSum(sums[r * AK_F32_PER_BLOCK], sq[r * stride_], work, cols_);
            PipeBarrier<PIPE_V>();
        }
        event_t vToS = static_cast<event_t>(pipe_.FetchEventID(HardEvent::V_S));
        SetFlag<HardEvent::V_S>(vToS);
        WaitFlag<HardEvent::V_S>(vToS);

        // x * rstd, row by row (rstd is a scalar per row, kept in sums[8 * r] for the RSTD output)
        for (uint32_t r = 0; r < rows; ++r) {
            const float rstd = Rstd(sums.GetValue(r * AK_F32_PER_BLOCK));
            sums.SetValue(r * AK_F32_PER_BLOCK, rstd);
            Muls(xF32[r * stride_], xF32[r * stride_], rstd, cols_);
        }
        PipeBarrier<PIPE_V>();

        LocalTensor<T> yLocal = ub_.outQueY.template AllocTensor<T>();
        if (!weightF32_) {
            // HF: the cast to the output dtype comes before the weight multiply
            AkRoundTrip(xF32, yLocal, count);
        }
        for (uint32_t r = 0; r < rows; ++r) {
            Mul(xF32[r * stride_], xF32[r * stride_], wF32, cols_);
        }
        PipeBarrier<PIPE_V>();
        AkFromFloat(yLocal, xF32, count);
        PipeBarrier<PIPE_V>();
        ub_.outQueY.EnQue(yLocal);
    }

    __aicore__ inline void CopyOut(uint32_t row, uint32_t rows)
    {
        const uint64_t offset = static_cast<uint64_t>(row) * cols_;
        LocalTensor<T> yLocal = ub_.outQueY.template DeQue<T>();
        DataCopyPad(yGm_[offset], yLocal, RowParams(rows));
        ub_.outQueY.FreeTensor(yLocal);
        if constexpr (FUSED) {
            LocalTensor<T> hLocal = ub_.outQueH.template DeQue<T>();
            DataCopyPad(hGm_[offset], hLocal, RowParams(rows));
            ub_.outQueH.FreeTensor(hLocal);
        }
        if (writeRstd_) {
            // one f32 per row, each the first lane of a 32-B block of sums
            LocalTensor<float> sums = ub_.sumBuf.template Get<float>();
            event_t sToMte3 = static_cast<event_t>(pipe_.FetchEventID(HardEvent::S_MTE3));
            SetFlag<HardEvent::S_MTE3>(sToMte3);
            WaitFlag<HardEvent::S_MTE3>(sToMte3);
            DataCopyPad(rstdGm_[row], sums, DataCopyExtParams(static_cast<uint16_t>(rows), sizeof(float), 0, 0, 0));
            event_t mte3ToV = static_cast<event_t>(pipe_.FetchEventID(HardEvent::MTE3_V));
            SetFlag<HardEvent::MTE3_V>(mte3ToV);
            WaitFlag<HardEvent::MTE3_V>(mte3ToV);
        }
    }

    // `rows` rows of cols_ elements, contiguous in GM, each padded to stride_ in UB
    __aicore__ inline DataCopyExtParams RowParams(uint32_t rows) const
    {
        return DataCopyExtParams(static_cast<uint16_t>(rows), cols_ * sizeof(T), 0, 0, 0);
    }

    // zero the padding lanes so whole-tile vector ops only ever see finite values there
    __aicore__ inline DataCopyPadExtParams<T> PadParams() const
    {
        const uint8_t pad = static_cast<uint8_t>(stride_ - cols_);
        return DataCopyPadExtParams<T>(pad != 0, 0, pad, static_cast<T>(0));
    }

    TPipe pipe_;
    AkRmsNormUb<T, BUFFER_NUM, Traits, FUSED> ub_;
    GlobalTensor<T> xGm_;
    GlobalTensor<T> rGm_;
    GlobalTensor<T> wGm_;
    GlobalTensor<T> yGm_;
    GlobalTensor<T> hGm_;
    GlobalTensor<float> rstdGm_;
    uint32_t cols_ = 0;
    uint32_t stride_ = 0;
    uint32_t rowsPerTile_ = 0;
    uint32_t rowCount_ = 0;
    float eps_ = 0.0f;
    float avg_ = 0.0f;
    bool weightF32_ = false;
    bool ascendRstd_ = false;
    bool scaleSquares_ = false;
    bool newtonRaphson_ = false;
    bool f32Sum_ = false;
    bool writeRstd_ = false;
};

#endif // AK_RMS_NORM_H
