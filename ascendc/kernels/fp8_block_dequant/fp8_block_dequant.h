// fp8_block_dequant.h: FP8 (E4M3FN) weights with one scale per [block_rows, block_cols] block to
// f32/f16/bf16 (docs/kernels/fp8_block_dequant.md).
//
// out[r, c] = round_T(f32(w[r, c]) * f32(s[r / block_rows, c / block_cols])). Rows are split over cores;
// a core walks column chunks of cols_per_tile and, in each, tiles of rows_per_tile rows; the scales of a
// chunk are expanded once per scale row. On targets without FP8 conversions (Traits::SOFT_FP8) the codes
// are decoded with integer vector ops (ak_fp8_soft.h), elsewhere by Cast.
//
// Template parameters: S the scale type, T the output type; BUFFER_NUM the depth of the in/out queues;
// Traits the target (Traits::Fp8E4m3 exists only where !Traits::SOFT_FP8). Buffers:
// fp8_block_dequant_ub.h (generated).
#ifndef AK_FP8_BLOCK_DEQUANT_H
#define AK_FP8_BLOCK_DEQUANT_H

#include "kernel_operator.h"
#include "ak_kernels.h"
#include "ak_fp8_soft.h"
#include "common/ak_kernel.h"
#include "fp8_block_dequant/fp8_block_dequant_ub.h"

using namespace AscendC;

template <typename S, typename T, int32_t BUFFER_NUM, typename Traits>
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
        const AkRowRange core = AkCoreRows(tiling.rows, tiling.rows_per_core);
        rowStart_ = core.start;
        rowCount_ = core.count;
        wGm_.SetGlobalBuffer(reinterpret_cast<__gm__ uint8_t*>(w) + static_cast<uint64_t>(rowStart_) * cols_,
                             static_cast<uint64_t>(rowCount_) * cols_);
        sGm_.SetGlobalBuffer(reinterpret_cast<__gm__ S*>(scales),
                             static_cast<uint64_t>(AkCeilDiv(tiling.rows, blockRows_)) * gridCols_);
        outGm_.SetGlobalBuffer(reinterpret_cast<__gm__ T*>(out) + static_cast<uint64_t>(rowStart_) * cols_,
                               static_cast<uint64_t>(rowCount_) * cols_);

        const uint32_t elems = rowsPerTile_ * colsPerTile_;
        ub_.Init(pipe_, tiling);
        if constexpr (Traits::SOFT_FP8) {
            // Compare/Select run on whole 256-B repeats: give the lanes past a short tile defined values
            LocalTensor<float> values = ub_.valueBuf.template Get<float>();
            Duplicate(values, 0.0f, elems);
            PipeBarrier<PIPE_V>();
        }
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
        LocalTensor<uint8_t> wLocal = ub_.inQueW.template AllocTensor<uint8_t>();
        DataCopyExtParams params(static_cast<uint16_t>(rows), len, cols_ - len, 0, 0);
        const uint8_t pad = static_cast<uint8_t>(AkAlignUp(len, AK_BLOCK_BYTES) - len);
        DataCopyPad(wLocal, wGm_[static_cast<uint64_t>(row) * cols_ + col], params,
                    DataCopyPadExtParams<uint8_t>(pad != 0, 0, pad, 0));
        ub_.inQueW.EnQue(wLocal);
    }

    // expanded[j] = f32(s[scaleRow, (col + j) / blockCols_]) for j < len
    __aicore__ inline void ExpandScales(uint32_t scaleRow, uint32_t col, uint32_t len)
    {
        const uint32_t first = col / blockCols_;
        const uint32_t count = (col + len - 1) / blockCols_ - first + 1;
        LocalTensor<S> sLocal = ub_.inQueS.template AllocTensor<S>();
        const uint8_t pad = static_cast<uint8_t>(AkAlignUp(count, AK_BLOCK_BYTES / sizeof(S)) - count);
        DataCopyPad(sLocal, sGm_[static_cast<uint64_t>(scaleRow) * gridCols_ + first],
                    DataCopyExtParams(1, count * sizeof(S), 0, 0, 0),
                    DataCopyPadExtParams<S>(pad != 0, 0, pad, static_cast<S>(0)));
        ub_.inQueS.EnQue(sLocal);
        sLocal = ub_.inQueS.template DeQue<S>();
        LocalTensor<float> scaleF32 = ub_.scaleBuf.template Get<float>();
        AkToFloat(scaleF32, sLocal, AkAlignUp(count, AK_F32_PER_BLOCK));
        PipeBarrier<PIPE_V>();
        ub_.inQueS.FreeTensor(sLocal);

        event_t vToS = static_cast<event_t>(pipe_.FetchEventID(HardEvent::V_S));
        SetFlag<HardEvent::V_S>(vToS);
        WaitFlag<HardEvent::V_S>(vToS);
        LocalTensor<float> expanded = ub_.expandBuf.template Get<float>();
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
        LocalTensor<float> values = ub_.valueBuf.template Get<float>();
        LocalTensor<uint8_t> wLocal = ub_.inQueW.template DeQue<uint8_t>();
        if constexpr (Traits::SOFT_FP8) {
            LocalTensor<half> tmpHalf = ub_.halfBuf.template Get<half>();
            LocalTensor<int16_t> bits = ub_.bitsBuf.template Get<int16_t>();
            LocalTensor<int16_t> aux = ub_.auxBuf.template Get<int16_t>();
            LocalTensor<uint8_t> mask = ub_.maskBuf.template Get<uint8_t>();
            AkE4m3ToFloatSoft(values, wLocal, tmpHalf, bits, aux, mask, count,
                              AkAlignUp(count, AK_REPEAT_BYTES / sizeof(float)));
        } else {
            Cast(values, wLocal.ReinterpretCast<typename Traits::Fp8E4m3>(), RoundMode::CAST_NONE, count);
            PipeBarrier<PIPE_V>();
        }
        ub_.inQueW.FreeTensor(wLocal);

        LocalTensor<float> expanded = ub_.expandBuf.template Get<float>();
        for (uint32_t r = 0; r < rows; ++r) {
            const uint32_t scaleRow = (rowStart_ + row + r) / blockRows_;
            if (scaleRow != expandedFor_) {
                ExpandScales(scaleRow, col, len);
                expandedFor_ = scaleRow;
            }
            Mul(values[r * stride], values[r * stride], expanded, len);
            PipeBarrier<PIPE_V>();
        }
        LocalTensor<T> outLocal = ub_.outQue.template AllocTensor<T>();
        AkFromFloat(outLocal, values, count);
        PipeBarrier<PIPE_V>();
        ub_.outQue.EnQue(outLocal);
    }

    __aicore__ inline void CopyOut(uint32_t row, uint32_t rows, uint32_t col, uint32_t len)
    {
        const uint32_t ubRowBytes = AkAlignUp(len, AK_BLOCK_BYTES) * sizeof(T);
        const uint32_t copiedBytes = AkAlignUp(len * sizeof(T), AK_BLOCK_BYTES);
        DataCopyExtParams params(static_cast<uint16_t>(rows), len * sizeof(T),
                                 (ubRowBytes - copiedBytes) / AK_BLOCK_BYTES, (cols_ - len) * sizeof(T), 0);
        LocalTensor<T> outLocal = ub_.outQue.template DeQue<T>();
        DataCopyPad(outGm_[static_cast<uint64_t>(row) * cols_ + col], outLocal, params);
        ub_.outQue.FreeTensor(outLocal);
    }

    TPipe pipe_;
    AkFp8BlockDequantUb<S, T, BUFFER_NUM, Traits> ub_;
    GlobalTensor<uint8_t> wGm_;
    GlobalTensor<S> sGm_;
    GlobalTensor<T> outGm_;
    uint32_t cols_ = 0;
    uint32_t blockRows_ = 1;
    uint32_t blockCols_ = 1;
    uint32_t gridCols_ = 0;
    uint32_t rowsPerTile_ = 0;
    uint32_t colsPerTile_ = 0;
    uint32_t rowStart_ = 0;
    uint32_t rowCount_ = 0;
    uint32_t expandedFor_ = UINT32_MAX;
};

#endif // AK_FP8_BLOCK_DEQUANT_H
