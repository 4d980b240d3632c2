// mx_dequant.h: MXFP8 (E4M3FN or E5M2 elements, one E8M0 scale per 32) to f32/f16/bf16
// (docs/kernels/mx_dequant.md).
//
// out = round_T(decode(y) * 2^(s - 127)) in f32. Rows are split over cores; a tile is rows_per_tile
// whole rows, or one row cut into chunks of blocks_per_tile blocks. Scales are decoded to f32 and
// broadcast to their 32 lanes with Brcb; elements are decoded with integer vector ops on targets
// without FP8 conversions (Traits::SOFT_FP8, ak_fp8_soft.h), elsewhere by Cast.
//
// Template parameters: T the output type; BUFFER_NUM the depth of the in/out queues; Traits the target
// (Traits::Fp8E4m3 / Fp8E5m2 exist only where !Traits::SOFT_FP8). Buffers: mx_dequant_ub.h (generated).
#ifndef AK_MX_DEQUANT_H
#define AK_MX_DEQUANT_H

#include "kernel_operator.h"
#include "ak_kernels.h"
#include "ak_fp8_soft.h"
#include "common/ak_kernel.h"
#include "mx_dequant/mx_dequant_ub.h"

using namespace AscendC;

template <typename T, int32_t BUFFER_NUM, typename Traits>
class KernelMxDequant {
public:
    __aicore__ inline KernelMxDequant() {}

    __aicore__ inline void Init(GM_ADDR y, GM_ADDR scales, GM_ADDR out, const AkMxDequantTiling& tiling)
    {
        cols_ = tiling.cols;
        blocks_ = AkCeilDiv(cols_, AK_MX_BLOCK);
        scaleStride_ = tiling.scale_stride;
        rowsPerTile_ = tiling.rows_per_tile;
        blocksPerTile_ = tiling.blocks_per_tile;
        e5m2_ = tiling.format == AK_FP8_E5M2;

        const AkRowRange core = AkCoreRows(tiling.rows, tiling.rows_per_core);
        rowCount_ = core.count;
        yGm_.SetGlobalBuffer(reinterpret_cast<__gm__ uint8_t*>(y) + static_cast<uint64_t>(core.start) * cols_,
                             static_cast<uint64_t>(rowCount_) * cols_);
        sGm_.SetGlobalBuffer(reinterpret_cast<__gm__ uint8_t*>(scales) +
                                 static_cast<uint64_t>(core.start) * scaleStride_,
                             static_cast<uint64_t>(rowCount_) * scaleStride_);
        outGm_.SetGlobalBuffer(reinterpret_cast<__gm__ T*>(out) + static_cast<uint64_t>(core.start) * cols_,
                               static_cast<uint64_t>(rowCount_) * cols_);

        // one tile: rowsPerTile_ rows of blocksPerTile_ * 32 elements (chunkElems_)
        chunkElems_ = blocksPerTile_ * AK_MX_BLOCK;
        chunkScales_ = AkAlignUp(blocksPerTile_, AK_BLOCK_BYTES);
        const uint32_t elems = rowsPerTile_ * chunkElems_;
        ub_.Init(pipe_, tiling);
        if constexpr (Traits::SOFT_FP8) {
            // Compare/Select run on whole 256-B repeats: give the lanes past a tile defined values
            LocalTensor<float> values = ub_.valueBuf.template Get<float>();
            Duplicate(values, 0.0f, AkAlignUp(elems, AK_REPEAT_BYTES / sizeof(float)));
            PipeBarrier<PIPE_V>();
        }
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
        return AkMin(blocks * AK_MX_BLOCK, cols_ - blk * AK_MX_BLOCK);
    }

    __aicore__ inline void CopyIn(uint32_t row, uint32_t rows, uint32_t blk, uint32_t blocks)
    {
        const uint32_t len = ChunkLen(blk, blocks);
        LocalTensor<uint8_t> yLocal = ub_.inQueY.template AllocTensor<uint8_t>();
        DataCopyExtParams yParams(static_cast<uint16_t>(rows), len, cols_ - len, 0, 0);
        const uint8_t yPad = static_cast<uint8_t>(AkAlignUp(len, AK_BLOCK_BYTES) - len);
        DataCopyPad(yLocal, yGm_[static_cast<uint64_t>(row) * cols_ + blk * AK_MX_BLOCK], yParams,
                    DataCopyPadExtParams<uint8_t>(yPad != 0, 0, yPad, 0));
        ub_.inQueY.EnQue(yLocal);

        LocalTensor<uint8_t> sLocal = ub_.inQueS.template AllocTensor<uint8_t>();
        DataCopyExtParams sParams(static_cast<uint16_t>(rows), blocks, scaleStride_ - blocks, 0, 0);
        const uint8_t sPad = static_cast<uint8_t>(AkAlignUp(blocks, AK_BLOCK_BYTES) - blocks);
        DataCopyPad(sLocal, sGm_[static_cast<uint64_t>(row) * scaleStride_ + blk], sParams,
                    DataCopyPadExtParams<uint8_t>(sPad != 0, 0, sPad, 0));
        ub_.inQueS.EnQue(sLocal);
    }

    __aicore__ inline void Compute(uint32_t rows, uint32_t blocks)
    {
        // UB row strides: rows are whole (chunk == row) or there is one row, so a tile is dense
        const uint32_t rowElems = blocks * AK_MX_BLOCK;
        const uint32_t rowScales = AkAlignUp(blocks, AK_BLOCK_BYTES);
        const uint32_t count = rows * rowElems;
        LocalTensor<half> tmpHalf = ub_.halfBuf.template Get<half>();
        LocalTensor<int16_t> bits = ub_.bitsBuf.template Get<int16_t>();
        LocalTensor<int16_t> aux = ub_.auxBuf.template Get<int16_t>();
        LocalTensor<float> scaleF32 = ub_.scaleBuf.template Get<float>();
        LocalTensor<float> expanded = ub_.expandBuf.template Get<float>();
        LocalTensor<float> values = ub_.valueBuf.template Get<float>();

        // scales: E8M0 -> f32, then each broadcast to the 32 lanes of its block
        LocalTensor<uint8_t> sLocal = ub_.inQueS.template DeQue<uint8_t>();
        AkE8m0ToFloat(scaleF32, sLocal, tmpHalf, bits, aux, rows * rowScales);
        ub_.inQueS.FreeTensor(sLocal);
        const uint8_t repeats = static_cast<uint8_t>(AkCeilDiv(blocks, 8));
        for (uint32_t r = 0; r < rows; ++r) {
            if (r > 0 && blocks % 8 != 0) {
                // row r - 1's last repeat (8 blocks) ran into this row's first lanes: write them after it
                PipeBarrier<PIPE_V>();
            }
            for (uint32_t part = 0; part < AK_MX_BLOCK / AK_F32_PER_BLOCK; ++part) {
                // repeat i: scales 8i..8i+7 -> blocks 4 apart (one 32-lane block each), shifted by part
                Brcb(expanded[r * rowElems + part * AK_F32_PER_BLOCK], scaleF32[r * rowScales], repeats,
                     BrcbRepeatParams(AK_MX_BLOCK / AK_F32_PER_BLOCK, 8 * AK_MX_BLOCK / AK_F32_PER_BLOCK));
            }
        }
        PipeBarrier<PIPE_V>();

        // elements: FP8 -> f32
        LocalTensor<uint8_t> yLocal = ub_.inQueY.template DeQue<uint8_t>();
        if constexpr (Traits::SOFT_FP8) {
            if (e5m2_) {
                AkE5m2ToFloatSoft(values, yLocal, tmpHalf, bits, count);
            } else {
                LocalTensor<uint8_t> mask = ub_.maskBuf.template Get<uint8_t>();
                AkE4m3ToFloatSoft(values, yLocal, tmpHalf, bits, aux, mask, count,
                                  AkAlignUp(count, AK_REPEAT_BYTES / sizeof(float)));
            }
        } else {
            if (e5m2_) {
                Cast(values, yLocal.ReinterpretCast<typename Traits::Fp8E5m2>(), RoundMode::CAST_NONE, count);
            } else {
                Cast(values, yLocal.ReinterpretCast<typename Traits::Fp8E4m3>(), RoundMode::CAST_NONE, count);
            }
            PipeBarrier<PIPE_V>();
        }
        ub_.inQueY.FreeTensor(yLocal);

        Mul(values, values, expanded, count);
        PipeBarrier<PIPE_V>();
        LocalTensor<T> outLocal = ub_.outQue.template AllocTensor<T>();
        AkFromFloat(outLocal, values, count);
        PipeBarrier<PIPE_V>();
        ub_.outQue.EnQue(outLocal);
    }

    __aicore__ inline void CopyOut(uint32_t row, uint32_t rows, uint32_t blk, uint32_t blocks)
    {
        const uint32_t len = ChunkLen(blk, blocks);
        // UB rows are blocks * 32 elements apart; DataCopyPad steps 32-B-rounded rows, plus srcStride blocks
        const uint32_t ubRowBytes = blocks * AK_MX_BLOCK * sizeof(T);
        const uint32_t copiedBytes = AkAlignUp(len * sizeof(T), AK_BLOCK_BYTES);
        DataCopyExtParams params(static_cast<uint16_t>(rows), len * sizeof(T),
                                 (ubRowBytes - copiedBytes) / AK_BLOCK_BYTES, (cols_ - len) * sizeof(T), 0);
        LocalTensor<T> outLocal = ub_.outQue.template DeQue<T>();
        DataCopyPad(outGm_[static_cast<uint64_t>(row) * cols_ + blk * AK_MX_BLOCK], outLocal, params);
        ub_.outQue.FreeTensor(outLocal);
    }

    TPipe pipe_;
    AkMxDequantUb<T, BUFFER_NUM, Traits> ub_;
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

#endif // AK_MX_DEQUANT_H
