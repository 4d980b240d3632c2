// mx_quant.h: dynamic MX quantization (docs/kernels/mx_quant.md, docs/numerics.md "mx_quant").
//
// Per block of 32 elements along the last axis of x [rows, cols]: amax (WholeReduceMax over |x|),
// the E8M0 scale byte (OCP: max(E(amax) - emax, 0); RCEIL: the exponent of amax * f32(1/max)
// rounded up), 0xFF for blocks holding NaN or Inf; the elements sat_rint(x * 2^(127 - byte)) as
// FP8 E4M3FN or E5M2 codes (0 for OCP tiny blocks unless TINY_SCALE), 0x00 in non-finite blocks as
// the NPU's saturating cast writes NaN (0x7F with NAN_ELEMENTS). Scales are written in the Ascend
// pair layout (scale_stride bytes per row, an odd block count padded with 0x00).
//
// Template parameters: T the element type of x; BUFFER_NUM the depth of the queues; Traits the
// target (Traits::SOFT_FP8: no FP8 types, the codes are computed with integer vector ops,
// ak_fp8_soft.h; otherwise the hardware Cast to Traits::Fp8E4m3 / Fp8E5m2, which exist only
// there). Format, scale algorithm and policies are runtime flags (they change a constant or one
// Select). Buffers: mx_quant_ub.h (generated).
//
// Vector code: conditions are bit masks of Compare/Compares consumed by Select; PipeBarrier<PIPE_V>
// separates an instruction only from earlier ones whose result it reads or whose operands or result
// it overwrites (instructions between two barriers are independent); the emulator's same-pipe check
// (AK_SIM_VECTOR_ORDER_CHECK=1, run on this kernel in CI) holds every barrier to that rule.
#ifndef AK_MX_QUANT_H
#define AK_MX_QUANT_H

#include "kernel_operator.h"
#include "ak_kernels.h"
#include "common/ak_kernel.h"
#include "ak_fp8_soft.h"
#include "mx_quant/mx_quant_ub.h"

using namespace AscendC;


// f32 fields
constexpr int32_t F32_MANT_BITS = 23;                  // bits >> 23 of a non-negative f32: its biased exponent E
constexpr float F32_MAX = 3.40282346638528859812e+38f; // amax <= F32_MAX iff the block has no NaN/Inf
// E8M0 scale bytes and the per-block multiplier 2^(127 - byte), built as f32 bits (254 - byte) << 23
constexpr int32_t E8M0_MULT_EXP_SUM = 254; // exponent field of 2^(127 - byte) is 254 - byte (0 for 254)
constexpr float E8M0_NAN_BYTE = 255.0f;    // scale byte of a block holding NaN or Inf
// RCEIL: byte = E + 1 when S's mantissa M is non-zero (E > 0), or M > 0x400000 (S > 2^-127) for E == 0;
// adding these to S's bits carries into the exponent field exactly then
constexpr int32_t RCEIL_CARRY_NORMAL = 0x7FFFFF;    // M + 0x7FFFFF >= 2^23 iff M > 0
constexpr int32_t RCEIL_CARRY_SUBNORMAL = 0x3FFFFF; // M + 0x3FFFFF >= 2^23 iff M > 0x400000
// The per-block vectors are slots of one buffer: MX_SCALE_SLOTS x lanes 32-bit lanes (mx_quant_ub.h)
constexpr uint32_t MX_SCALE_SLOTS = 6;

// Per-format constants (E4M3FN, E5M2).
template <bool E5M2>
struct MxFp8Format {
    static constexpr int32_t EMAX = E5M2 ? 15 : 8;                           // OCP: byte = max(E(amax) - EMAX, 0)
    static constexpr float MAX_FINITE = E5M2 ? 57344.0f : 448.0f;            // saturation bound
    static constexpr float RCP_MAX = E5M2 ? 1.0f / 57344.0f : 1.0f / 448.0f; // f32 bits 0x37924925 / 0x3B124925
    // OCP byte is 0 (a tiny block, flushed by default) iff E(amax) <= EMAX iff amax < 2^(EMAX - 126)
    static constexpr float TINY_AMAX = E5M2 ? 0x1p-111f : 0x1p-118f;
};

template <typename T, int32_t BUFFER_NUM, typename Traits>
class KernelMxQuant {
public:
    __aicore__ inline KernelMxQuant() {}

    __aicore__ inline void Init(GM_ADDR x, GM_ADDR y, GM_ADDR scales, const AkMxQuantTiling& tiling)
    {
        cols_ = tiling.cols;
        blocks_ = AkCeilDiv(cols_, AK_MX_BLOCK);
        scaleStride_ = tiling.scale_stride;
        rowsPerTile_ = tiling.rows_per_tile;
        blocksPerTile_ = tiling.blocks_per_tile;
        e5m2_ = tiling.format == AK_FP8_E5M2;
        rceil_ = (tiling.flags & AK_MX_RCEIL) != 0;
        flushTiny_ = (tiling.flags & AK_MX_TINY_SCALE) == 0;
        nanElements_ = (tiling.flags & AK_MX_NAN_ELEMENTS) != 0;

        const AkRowRange core = AkCoreRows(tiling.rows, tiling.rows_per_core);
        rowCount_ = core.count;
        const uint64_t base = static_cast<uint64_t>(core.start) * cols_;
        xGm_.SetGlobalBuffer(reinterpret_cast<__gm__ T*>(x) + base, static_cast<uint64_t>(rowCount_) * cols_);
        yGm_.SetGlobalBuffer(reinterpret_cast<__gm__ uint8_t*>(y) + base, static_cast<uint64_t>(rowCount_) * cols_);
        sGm_.SetGlobalBuffer(reinterpret_cast<__gm__ uint8_t*>(scales) +
                                 static_cast<uint64_t>(core.start) * scaleStride_,
                             static_cast<uint64_t>(rowCount_) * scaleStride_);

        // The tile and its vectors as mx_quant_ub.h sizes them: rowsPerTile_ rows of blocksPerTile_
        // blocks; per-block vectors keep one 32-lane row per tile row (room for the pad byte of an odd
        // block count); Compare/Compares/Select work on whole 256-B repeats (64 lanes of 32 bits).
        const uint32_t elems = rowsPerTile_ * blocksPerTile_ * AK_MX_BLOCK;
        cmpElems_ = AkAlignUp(elems, AK_REPEAT_BYTES / sizeof(float));
        scaleRow_ = AkAlignUp(blocksPerTile_ + 1, AK_BLOCK_BYTES);
        blockLanes_ = AkAlignUp(rowsPerTile_ * scaleRow_, AK_REPEAT_BYTES / sizeof(float));
        blockMaskBytes_ = AkAlignUp(blockLanes_ / 8, AK_BLOCK_BYTES);
        bitsOffset_ = cmpElems_ * sizeof(half);
        signOffset_ = bitsOffset_ + elems * sizeof(int16_t);
        ub_.Init(pipe_, tiling);

        if constexpr (Traits::SOFT_FP8) {
            // Select runs on whole 256-B repeats: lanes past a short tile get defined values
            Duplicate(ub_.encodeBuf.template Get<half>(), static_cast<half>(0), cmpElems_);
        }
        Duplicate(ub_.valueBuf.template Get<float>(), 0.0f, cmpElems_);
        PipeBarrier<PIPE_V>(); // the first tile's vector ops read and overwrite these lanes
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
        return AkMin(blocks * AK_MX_BLOCK, cols_ - blk * AK_MX_BLOCK);
    }

    // slot `i` of the per-block vectors, as U
    template <typename U>
    __aicore__ inline LocalTensor<U> Slot(uint32_t i)
    {
        return ub_.scaleBuf.template Get<float>()[i * blockLanes_].template ReinterpretCast<U>();
    }

    // mask `i` (0, 1: per-block; 2: the elements'), one bit per lane
    __aicore__ inline LocalTensor<uint8_t> Mask(uint32_t i)
    {
        return ub_.maskBuf.template Get<uint8_t>()[i * blockMaskBytes_];
    }

    __aicore__ inline void CopyIn(uint32_t row, uint32_t rows, uint32_t blk, uint32_t blocks)
    {
        // UB rows are whole blocks (blocks * 32 elements) apart and zero past the data, so a short
        // last block's amax covers its real elements only
        const uint32_t len = ChunkLen(blk, blocks);
        const uint32_t rowElems = blocks * AK_MX_BLOCK;
        const uint32_t natural = AkAlignUp(len, AK_BLOCK_BYTES / sizeof(T)); // DataCopyPad's own row pitch
        const uint32_t gapBlocks = (rowElems - natural) * sizeof(T) / AK_BLOCK_BYTES;
        LocalTensor<T> xLocal = ub_.inQueX.template AllocTensor<T>();
        DataCopyExtParams params(static_cast<uint16_t>(rows), len * sizeof(T), (cols_ - len) * sizeof(T), gapBlocks, 0);
        const uint8_t pad = static_cast<uint8_t>(natural - len);
        DataCopyPad(xLocal, xGm_[static_cast<uint64_t>(row) * cols_ + blk * AK_MX_BLOCK], params,
                    DataCopyPadExtParams<T>(pad != 0, 0, pad, static_cast<T>(0)));
        if (natural != rowElems) {
            event_t mte2ToV = static_cast<event_t>(pipe_.FetchEventID(HardEvent::MTE2_V));
            SetFlag<HardEvent::MTE2_V>(mte2ToV);
            WaitFlag<HardEvent::MTE2_V>(mte2ToV);
            for (uint32_t r = 0; r < rows; ++r) {
                Duplicate(xLocal[r * rowElems + natural], static_cast<T>(0), rowElems - natural);
            }
        }
        ub_.inQueX.EnQue(xLocal);
    }

    __aicore__ inline void Compute(uint32_t rows, uint32_t blocks)
    {
        const uint32_t rowElems = blocks * AK_MX_BLOCK;
        const uint32_t count = rows * rowElems;
        const uint32_t cmpCount = AkAlignUp(count, AK_REPEAT_BYTES / sizeof(float));
        const uint32_t scaleCount = rows * scaleRow_;
        const uint32_t lanes = AkAlignUp(scaleCount, AK_REPEAT_BYTES / sizeof(float));
        LocalTensor<float> values = ub_.valueBuf.template Get<float>();
        LocalTensor<float> work = ub_.workBuf.template Get<float>();
        LocalTensor<float> amax = Slot<float>(0);

        LocalTensor<T> xLocal = ub_.inQueX.template DeQue<T>();
        AkToFloat(values, xLocal, count);
        PipeBarrier<PIPE_V>();
        ub_.inQueX.FreeTensor(xLocal);

        // amax per block (lanes past the row's blocks stay 0: the pad byte and unused lanes)
        Abs(work, values, count);
        Duplicate(amax, 0.0f, lanes);
        PipeBarrier<PIPE_V>();
        for (uint32_t r = 0; r < rows; ++r) {
            WholeReduceMax(amax[r * scaleRow_], work[r * rowElems], static_cast<int32_t>(AK_MX_BLOCK),
                           static_cast<int32_t>(blocks), 1, 1, AK_MX_BLOCK / AK_F32_PER_BLOCK,
                           ReduceOrder::ORDER_ONLY_VALUE);
        }
        PipeBarrier<PIPE_V>();

        // scale bytes (f32 0..255) and multipliers (f32) per block
        if (rceil_) {
            if (e5m2_) {
                RceilScales<true>(lanes);
            } else {
                RceilScales<false>(lanes);
            }
        } else {
            if (e5m2_) {
                OcpScales<true>(lanes);
            } else {
                OcpScales<false>(lanes);
            }
        }

        // scale bytes out (f32 -> half -> uint8, exact for 0..255); multipliers broadcast to the
        // 32 lanes of their block
        LocalTensor<float> byteF = Slot<float>(5);
        LocalTensor<float> multF = Slot<float>(2);
        LocalTensor<half> byteH = Slot<half>(3);
        Cast(byteH, byteF, RoundMode::CAST_RINT, scaleCount);
        const uint8_t repeats = static_cast<uint8_t>(AkCeilDiv(blocks, 8));
        for (uint32_t r = 0; r < rows; ++r) {
            if (r > 0 && blocks % 8 != 0) {
                // row r - 1's last repeat (8 blocks) ran into this row's first lanes: write them after it
                PipeBarrier<PIPE_V>();
            }
            for (uint32_t part = 0; part < AK_MX_BLOCK / AK_F32_PER_BLOCK; ++part) {
                Brcb(work[r * rowElems + part * AK_F32_PER_BLOCK], multF[r * scaleRow_], repeats,
                     BrcbRepeatParams(AK_MX_BLOCK / AK_F32_PER_BLOCK, 8 * AK_MX_BLOCK / AK_F32_PER_BLOCK));
            }
        }
        PipeBarrier<PIPE_V>();
        LocalTensor<uint8_t> sLocal = ub_.outQueS.template AllocTensor<uint8_t>();
        Cast(sLocal, byteH, RoundMode::CAST_RINT, scaleCount);
        ub_.outQueS.EnQue(sLocal);

        // elements: x * multiplier, then the FP8 codes (saturating)
        Mul(values, values, work, count);
        PipeBarrier<PIPE_V>();
        LocalTensor<uint8_t> yLocal = ub_.outQueY.template AllocTensor<uint8_t>();
        if constexpr (Traits::SOFT_FP8) {
            if (e5m2_) {
                EncodeSoft<true>(yLocal, count, cmpCount);
            } else {
                EncodeSoft<false>(yLocal, count, cmpCount);
            }
        } else {
            EncodeHw(yLocal, count, cmpCount);
        }
        ub_.outQueY.EnQue(yLocal);
    }

    // OCP: byte = max(E(amax) - EMAX, 0); multiplier 2^(127 - byte), 0 for flushed tiny blocks;
    // byte 0xFF and multiplier NaN for non-finite blocks. Reads slot 0 (amax), writes slots 5 (byte,
    // f32) and 2 (multiplier, f32); ends with a barrier.
    template <bool E5M2>
    __aicore__ inline void OcpScales(uint32_t n)
    {
        using Fmt = MxFp8Format<E5M2>;
        LocalTensor<float> amax = Slot<float>(0);
        LocalTensor<int32_t> byteI = Slot<int32_t>(1);
        LocalTensor<int32_t> multI = Slot<int32_t>(2);
        LocalTensor<float> byteF = Slot<float>(5);
        LocalTensor<uint8_t> finite = Mask(0);
        LocalTensor<uint8_t> notTiny = Mask(1);

        ShiftRight(byteI, amax.ReinterpretCast<int32_t>(), F32_MANT_BITS, n);
        Compares(finite, amax, F32_MAX, CMPMODE::LE, n);
        if (flushTiny_) {
            Compares(notTiny, amax, Fmt::TINY_AMAX, CMPMODE::GE, n);
        }
        PipeBarrier<PIPE_V>();
        Adds(byteI, byteI, -Fmt::EMAX, n);
        PipeBarrier<PIPE_V>();
        Maxs(byteI, byteI, 0, n);
        PipeBarrier<PIPE_V>();
        Muls(multI, byteI, -1, n);
        Cast(byteF, byteI, RoundMode::CAST_RINT, n);
        PipeBarrier<PIPE_V>();
        Adds(multI, multI, E8M0_MULT_EXP_SUM, n);
        Select(byteF, finite, byteF, E8M0_NAN_BYTE, SELMODE::VSEL_TENSOR_SCALAR_MODE, n);
        PipeBarrier<PIPE_V>();
        ShiftLeft(multI, multI, F32_MANT_BITS, n);
        PipeBarrier<PIPE_V>();
        LocalTensor<float> multF = multI.ReinterpretCast<float>();
        if (flushTiny_) {
            Select(multF, notTiny, multF, 0.0f, SELMODE::VSEL_TENSOR_SCALAR_MODE, n);
            PipeBarrier<PIPE_V>();
        }
        Select(multF, finite, multF, __builtin_nanf(""), SELMODE::VSEL_TENSOR_SCALAR_MODE, n);
        PipeBarrier<PIPE_V>();
    }

    // RCEIL: S = amax * f32(1/max), byte = E(S) rounded up (RCEIL_CARRY_*), 0xFF for non-finite
    // blocks; multiplier 2^(127 - byte) (NaN for non-finite blocks; tiny blocks are not flushed).
    // Same slots as OcpScales; uses 1, 3 and 4 as scratch.
    template <bool E5M2>
    __aicore__ inline void RceilScales(uint32_t n)
    {
        using Fmt = MxFp8Format<E5M2>;
        LocalTensor<float> amax = Slot<float>(0);
        LocalTensor<float> s = Slot<float>(1);
        LocalTensor<int32_t> sBits = s.ReinterpretCast<int32_t>();
        LocalTensor<int32_t> byteNormal = Slot<int32_t>(2);
        LocalTensor<int32_t> byteSubnormal = Slot<int32_t>(3);
        LocalTensor<int32_t> expo = Slot<int32_t>(4);
        LocalTensor<float> byteF = Slot<float>(5);
        LocalTensor<uint8_t> finite = Mask(0);
        LocalTensor<uint8_t> subnormal = Mask(1);

        Muls(s, amax, Fmt::RCP_MAX, n);
        Compares(finite, amax, F32_MAX, CMPMODE::LE, n);
        PipeBarrier<PIPE_V>();
        Adds(byteNormal, sBits, RCEIL_CARRY_NORMAL, n);
        Adds(byteSubnormal, sBits, RCEIL_CARRY_SUBNORMAL, n);
        ShiftRight(expo, sBits, F32_MANT_BITS, n);
        PipeBarrier<PIPE_V>();
        ShiftRight(byteNormal, byteNormal, F32_MANT_BITS, n);
        ShiftRight(byteSubnormal, byteSubnormal, F32_MANT_BITS, n);
        Compares(subnormal, expo, 0, CMPMODE::EQ, n);
        PipeBarrier<PIPE_V>();
        Cast(byteNormal.ReinterpretCast<float>(), byteNormal, RoundMode::CAST_RINT, n);
        Cast(byteSubnormal.ReinterpretCast<float>(), byteSubnormal, RoundMode::CAST_RINT, n);
        PipeBarrier<PIPE_V>();
        Select(byteF, subnormal, byteSubnormal.ReinterpretCast<float>(), byteNormal.ReinterpretCast<float>(),
               SELMODE::VSEL_TENSOR_TENSOR_MODE, n);
        PipeBarrier<PIPE_V>();
        LocalTensor<int32_t> byteI = sBits;
        Cast(byteI, byteF, RoundMode::CAST_RINT, n);
        PipeBarrier<PIPE_V>();
        LocalTensor<int32_t> multI = Slot<int32_t>(2);
        Muls(multI, byteI, -1, n);
        Select(byteF, finite, byteF, E8M0_NAN_BYTE, SELMODE::VSEL_TENSOR_SCALAR_MODE, n);
        PipeBarrier<PIPE_V>();
        Adds(multI, multI, E8M0_MULT_EXP_SUM, n);
        PipeBarrier<PIPE_V>();
        ShiftLeft(multI, multI, F32_MANT_BITS, n);
        PipeBarrier<PIPE_V>();
        LocalTensor<float> multF = multI.ReinterpretCast<float>();
        Select(multF, finite, multF, __builtin_nanf(""), SELMODE::VSEL_TENSOR_SCALAR_MODE, n);
        PipeBarrier<PIPE_V>();
    }

    // SOFT_FP8: the FP8 codes of values (x * multiplier) with integer vector ops (ak_fp8_soft.h);
    // NaN lanes (non-finite blocks) -> 0x00 as the NPU's saturating cast writes them, or 0x7F
    // (NAN_ELEMENTS)
    template <bool E5M2>
    __aicore__ inline void EncodeSoft(const LocalTensor<uint8_t>& yLocal, uint32_t count, uint32_t cmpCount)
    {
        LocalTensor<half> code = ub_.encodeBuf.template GetWithOffset<half>(cmpElems_, 0);
        LocalTensor<int16_t> bits = ub_.encodeBuf.template GetWithOffset<int16_t>(count, bitsOffset_);
        LocalTensor<int16_t> sign = ub_.encodeBuf.template GetWithOffset<int16_t>(count, signOffset_);
        LocalTensor<uint8_t> nanMask = Mask(2);
        LocalTensor<float> values = ub_.valueBuf.template Get<float>();
        Compare(nanMask, values, values, CMPMODE::EQ, cmpCount); // 1 where not NaN
        AkFloatToFp8Soft<E5M2>(code, values, ub_.workBuf.template Get<int32_t>(), bits, sign,
                               MxFp8Format<E5M2>::MAX_FINITE, count);
        Select(code, nanMask, code, static_cast<half>(nanElements_ ? 0x7F : 0x00), SELMODE::VSEL_TENSOR_SCALAR_MODE,
               cmpCount);
        PipeBarrier<PIPE_V>();
        Cast(yLocal, code, RoundMode::CAST_RINT, cmpCount);
    }

    // Hardware FP8: clamp to +-max (the saturation; NaN stays NaN), then the saturating cast: NaN
    // lanes (non-finite blocks) become 0x00 (Cast.md), as the NPU writes them; NAN_ELEMENTS asks for 0x7F
    __aicore__ inline void EncodeHw(const LocalTensor<uint8_t>& yLocal, uint32_t count, uint32_t cmpCount)
    {
        LocalTensor<float> values = ub_.valueBuf.template Get<float>();
        LocalTensor<uint8_t> nanMask = Mask(2);
        const float maxFinite = e5m2_ ? MxFp8Format<true>::MAX_FINITE : MxFp8Format<false>::MAX_FINITE;
        Mins(values, values, maxFinite, count);
        PipeBarrier<PIPE_V>();
        Maxs(values, values, -maxFinite, count);
        PipeBarrier<PIPE_V>();
        if (e5m2_) {
            Cast(yLocal.ReinterpretCast<typename Traits::Fp8E5m2>(), values, RoundMode::CAST_RINT, cmpCount);
        } else {
            Cast(yLocal.ReinterpretCast<typename Traits::Fp8E4m3>(), values, RoundMode::CAST_RINT, cmpCount);
        }
        if (nanElements_) {
            Compare(nanMask, values, values, CMPMODE::EQ, cmpCount); // 1 where not NaN
        }
        // Select reads the cast's bytes; the next tile's first instruction overwrites `values`
        PipeBarrier<PIPE_V>();
        if (nanElements_) {
            Select(yLocal, nanMask, yLocal, static_cast<uint8_t>(0x7F), SELMODE::VSEL_TENSOR_SCALAR_MODE, cmpCount);
        }
    }

    __aicore__ inline void CopyOut(uint32_t row, uint32_t rows, uint32_t blk, uint32_t blocks)
    {
        const uint32_t len = ChunkLen(blk, blocks);
        LocalTensor<uint8_t> yLocal = ub_.outQueY.template DeQue<uint8_t>();
        // UB rows are blocks * 32 bytes apart, a multiple of 32: no UB-side stride needed
        DataCopyExtParams yParams(static_cast<uint16_t>(rows), len, 0, cols_ - len, 0);
        DataCopyPad(yGm_[static_cast<uint64_t>(row) * cols_ + blk * AK_MX_BLOCK], yLocal, yParams);
        ub_.outQueY.FreeTensor(yLocal);

        // the chunk's scale bytes, plus the pad byte after the last block of an odd count
        const bool last = blk + blocks == blocks_;
        const uint32_t nScales = blocks + ((last && (blocks_ % 2) != 0) ? 1 : 0);
        LocalTensor<uint8_t> sLocal = ub_.outQueS.template DeQue<uint8_t>();
        const uint32_t ubGap = (scaleRow_ - AkAlignUp(nScales, AK_BLOCK_BYTES)) / AK_BLOCK_BYTES;
        DataCopyExtParams sParams(static_cast<uint16_t>(rows), nScales, ubGap, scaleStride_ - nScales, 0);
        DataCopyPad(sGm_[static_cast<uint64_t>(row) * scaleStride_ + blk], sLocal, sParams);
        ub_.outQueS.FreeTensor(sLocal);
    }

    TPipe pipe_;
    AkMxQuantUb<T, BUFFER_NUM, Traits> ub_;
    GlobalTensor<T> xGm_;
    GlobalTensor<uint8_t> yGm_;
    GlobalTensor<uint8_t> sGm_;
    uint32_t cols_ = 0;
    uint32_t blocks_ = 0;
    uint32_t scaleStride_ = 0;
    uint32_t rowsPerTile_ = 0;
    uint32_t blocksPerTile_ = 0;
    uint32_t scaleRow_ = 0;
    uint32_t blockLanes_ = 0;
    uint32_t blockMaskBytes_ = 0;
    uint32_t cmpElems_ = 0;
    uint32_t bitsOffset_ = 0;
    uint32_t signOffset_ = 0;
    uint32_t rowCount_ = 0;
    bool e5m2_ = false;
    bool rceil_ = false;
    bool flushTiny_ = true;
    bool nanElements_ = false;
};

#endif // AK_MX_QUANT_H
