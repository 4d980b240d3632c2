// ak_fp8_soft.h: FP8 (E4M3FN, E5M2) and E8M0 decoding with integer vector ops, for targets without
// fp8/e8m0 types (a2 = dav-c220). Exact: every code decodes to the f32 value ml_dtypes gives
// (E4M3FN 0x7F/0xFF -> NaN; E8M0 0x00 -> 2^-127, 0xFF -> NaN).
//
// The byte -> int16 step goes through half (u8 -> half is exact, half -> int16 with CAST_RINT is
// exact for 0..255), because a2 has no direct u8 -> int16 cast. All bit manipulation stays in int16
// lanes, the only integer width a2's And/Or accept.
#ifndef AK_FP8_SOFT_H
#define AK_FP8_SOFT_H

#include "kernel_operator.h"

// bytes -> int16 lanes holding 0..255
__aicore__ inline void AkBytesToInt16(const AscendC::LocalTensor<int16_t>& dst, const AscendC::LocalTensor<uint8_t>& src,
                                      const AscendC::LocalTensor<half>& tmpHalf, uint32_t count)
{
    AscendC::Cast(tmpHalf, src, AscendC::RoundMode::CAST_NONE, count);
    AscendC::PipeBarrier<PIPE_V>();
    AscendC::Cast(dst, tmpHalf, AscendC::RoundMode::CAST_RINT, count);
    AscendC::PipeBarrier<PIPE_V>();
}

// E8M0 scale bytes -> f32 2^(b - 127). The f32 is built as a bfloat16 (its upper half):
// bits = b << 7, plus the quiet bit 1 << 6 for b == 0 (the subnormal 2^-127) and b == 0xFF (NaN).
// The flag is 1 - min(b * (255 - b), 1), computed with int16 arithmetic (b * (255 - b) <= 16256).
__aicore__ inline void AkE8m0ToFloat(const AscendC::LocalTensor<float>& dst, const AscendC::LocalTensor<uint8_t>& src,
                                     const AscendC::LocalTensor<half>& tmpHalf,
                                     const AscendC::LocalTensor<int16_t>& bits,
                                     const AscendC::LocalTensor<int16_t>& flag, uint32_t count)
{
    AkBytesToInt16(bits, src, tmpHalf, count);
    AscendC::Muls(flag, bits, static_cast<int16_t>(-1), count);
    AscendC::PipeBarrier<PIPE_V>();
    AscendC::Adds(flag, flag, static_cast<int16_t>(255), count);
    AscendC::PipeBarrier<PIPE_V>();
    AscendC::Mul(flag, flag, bits, count);
    AscendC::PipeBarrier<PIPE_V>();
    AscendC::Mins(flag, flag, static_cast<int16_t>(1), count);
    AscendC::PipeBarrier<PIPE_V>();
    AscendC::Muls(flag, flag, static_cast<int16_t>(-1), count);
    AscendC::PipeBarrier<PIPE_V>();
    AscendC::Adds(flag, flag, static_cast<int16_t>(1), count);
    AscendC::PipeBarrier<PIPE_V>();
    AscendC::ShiftLeft(flag, flag, static_cast<int16_t>(6), count);
    AscendC::ShiftLeft(bits, bits, static_cast<int16_t>(7), count);
    AscendC::PipeBarrier<PIPE_V>();
    AscendC::Or(bits, bits, flag, count);
    AscendC::PipeBarrier<PIPE_V>();
    AscendC::Cast(dst, bits.ReinterpretCast<bfloat16_t>(), AscendC::RoundMode::CAST_NONE, count);
    AscendC::PipeBarrier<PIPE_V>();
}

// E5M2 bytes -> f32: an E5M2 byte is the upper byte of the binary16 with the same value
// (including +-Inf and NaN), so bits = b << 8 and the half -> f32 cast is exact.
__aicore__ inline void AkE5m2ToFloatSoft(const AscendC::LocalTensor<float>& dst,
                                         const AscendC::LocalTensor<uint8_t>& src,
                                         const AscendC::LocalTensor<half>& tmpHalf,
                                         const AscendC::LocalTensor<int16_t>& bits, uint32_t count)
{
    AkBytesToInt16(bits, src, tmpHalf, count);
    AscendC::ShiftLeft(bits, bits, static_cast<int16_t>(8), count);
    AscendC::PipeBarrier<PIPE_V>();
    AscendC::Cast(dst, bits.ReinterpretCast<half>(), AscendC::RoundMode::CAST_NONE, count);
    AscendC::PipeBarrier<PIPE_V>();
}

// E4M3FN bytes -> f32 (the catlass A2 trick, done in int16 lanes): with s = b >> 7 and
// m = b & 0x7F, the binary16 with bits (s << 15) | (m << 7) has E4M3's exponent field in its own
// and the 3 mantissa bits on top of its 10, so its value times 2^8 (re-bias 7 -> 15) is the E4M3
// value, subnormals included. The NaN code (m == 0x7F) lands on +-480, which no finite E4M3 value
// reaches (max 448), and is replaced by NaN: Compares (tensor-scalar compare) writes a bit mask, one
// bit per float, 1 where the value is not +-480, and Select in VSEL_TENSOR_SCALAR_MODE keeps dst where
// the bit is 1 and takes the NaN scalar where it is 0. `cmpCount` is `count` rounded up to whole 256-B
// repeats (64 floats, Compares only compares whole repeats); dst[count, cmpCount) must be initialised
// by the caller, and `mask` holds cmpCount / 8 bytes.
__aicore__ inline void AkE4m3ToFloatSoft(const AscendC::LocalTensor<float>& dst,
                                         const AscendC::LocalTensor<uint8_t>& src,
                                         const AscendC::LocalTensor<half>& tmpHalf,
                                         const AscendC::LocalTensor<int16_t>& bits,
                                         const AscendC::LocalTensor<int16_t>& sign,
                                         const AscendC::LocalTensor<uint8_t>& mask, uint32_t count,
                                         uint32_t cmpCount)
{
    AkBytesToInt16(bits, src, tmpHalf, count);
    AscendC::ShiftRight(sign, bits, static_cast<int16_t>(7), count); // s
    AscendC::PipeBarrier<PIPE_V>();
    AscendC::ShiftLeft(tmpHalf.ReinterpretCast<int16_t>(), sign, static_cast<int16_t>(7), count); // s << 7
    AscendC::PipeBarrier<PIPE_V>();
    AscendC::Sub(bits, bits, tmpHalf.ReinterpretCast<int16_t>(), count); // m
    AscendC::ShiftLeft(sign, sign, static_cast<int16_t>(15), count);    // s << 15
    AscendC::PipeBarrier<PIPE_V>();
    AscendC::ShiftLeft(bits, bits, static_cast<int16_t>(7), count); // m << 7
    AscendC::PipeBarrier<PIPE_V>();
    AscendC::Or(bits, bits, sign, count);
    AscendC::PipeBarrier<PIPE_V>();
    AscendC::Cast(dst, bits.ReinterpretCast<half>(), AscendC::RoundMode::CAST_NONE, count);
    AscendC::PipeBarrier<PIPE_V>();
    AscendC::Muls(dst, dst, 256.0f, count);
    AscendC::PipeBarrier<PIPE_V>();
    const float nan = __builtin_nanf("");
    AscendC::Compares(mask, dst, 480.0f, AscendC::CMPMODE::NE, cmpCount);
    AscendC::PipeBarrier<PIPE_V>();
    AscendC::Select(dst, mask, dst, nan, AscendC::SELMODE::VSEL_TENSOR_SCALAR_MODE, cmpCount);
    AscendC::PipeBarrier<PIPE_V>();
    AscendC::Compares(mask, dst, -480.0f, AscendC::CMPMODE::NE, cmpCount);
    AscendC::PipeBarrier<PIPE_V>();
    AscendC::Select(dst, mask, dst, nan, AscendC::SELMODE::VSEL_TENSOR_SCALAR_MODE, cmpCount);
    AscendC::PipeBarrier<PIPE_V>();
}

// f32 -> E4M3FN / E5M2 code bytes, nearest-even, saturating, on a2 (no fp8 types). `v` holds the
// values (count lanes; overwritten with scratch); NaN lanes produce an unspecified code (the caller
// replaces them); the codes come back as half values 0..255 in `code`.
// Rounding to the element grid is the magic-constant trick done per lane: with
// q = 2^(max(e, emin) - mbits) the lane's quantum (emin = -6 / -14, mbits = 3 / 2) and C = 2^23 * q,
// (|v| + C) - C is |v| rounded to a multiple of q by the f32 adder's own round-to-nearest-even
// (|v| < C, so the sum stays in C's binade, whose ulp is q; C / q is even, so ties go to even);
// C's bits are (max(E, Emin) + 23 - mbits) << 23, built from |v|'s exponent field E with int32 ops.
// The rounded value is an exact element, so it converts exactly to binary16 (E4M3 after x 2^-8, the
// inverse of the decode trick) and the code is the binary16's bits >> 7 (E4M3) or >> 8 (E5M2), plus
// v's sign bit moved to bit 7 (so -0 and negatives rounding to 0 give 0x80, as the format does).
template <bool E5M2>
struct AkFp8SoftFormat {
    static constexpr int32_t MIN_NORMAL_EXP_FIELD = E5M2 ? 113 : 121; // biased f32 exponent of 2^emin
    static constexpr int32_t MANT_BITS = E5M2 ? 2 : 3;
    static constexpr int16_t HALF_CODE_SHIFT = E5M2 ? 8 : 7; // binary16 bits >> this = code without sign
    static constexpr float REBIAS = 0.00390625f;             // 2^-8: E4M3 bias 7 -> binary16 bias 15
};
constexpr int32_t AK_F32_EXP_SHIFT = 23;  // f32 bits >> 23: sign and biased exponent
constexpr uint32_t AK_F32_SIGN_SHIFT = 31; // f32 bits >> 31: the sign bit
constexpr int16_t AK_FP8_SIGN_SHIFT = 7;  // the sign's bit in an FP8 code

template <bool E5M2>
__aicore__ inline void AkFloatToFp8Soft(const AscendC::LocalTensor<half>& code, const AscendC::LocalTensor<float>& v,
                                        const AscendC::LocalTensor<int32_t>& tmp32,
                                        const AscendC::LocalTensor<int16_t>& bits,
                                        const AscendC::LocalTensor<int16_t>& sign, float maxFinite, uint32_t count)
{
    using Fmt = AkFp8SoftFormat<E5M2>;
    AscendC::LocalTensor<int32_t> vBits = v.ReinterpretCast<int32_t>();
    AscendC::LocalTensor<float> c = tmp32.ReinterpretCast<float>();
    // sign bit of v (0/1) -> int16 -> bit 7 of the code; meanwhile |v| clamped to the largest finite
    // element (the saturation; |v| <= max leaves the element exponent unchanged)
    AscendC::ShiftRight(tmp32.ReinterpretCast<uint32_t>(), v.ReinterpretCast<uint32_t>(), AK_F32_SIGN_SHIFT, count);
    AscendC::PipeBarrier<PIPE_V>();
    AscendC::Cast(sign, tmp32, AscendC::RoundMode::CAST_NONE, count);
    AscendC::Abs(v, v, count);
    AscendC::PipeBarrier<PIPE_V>();
    AscendC::ShiftLeft(sign, sign, AK_FP8_SIGN_SHIFT, count);
    AscendC::Mins(v, v, maxFinite, count);
    AscendC::PipeBarrier<PIPE_V>();
    // C = 2^23 * q as f32 bits
    AscendC::ShiftRight(tmp32, vBits, AK_F32_EXP_SHIFT, count);
    AscendC::PipeBarrier<PIPE_V>();
    AscendC::Maxs(tmp32, tmp32, Fmt::MIN_NORMAL_EXP_FIELD, count);
    AscendC::PipeBarrier<PIPE_V>();
    AscendC::Adds(tmp32, tmp32, AK_F32_EXP_SHIFT - Fmt::MANT_BITS, count);
    AscendC::PipeBarrier<PIPE_V>();
    AscendC::ShiftLeft(tmp32, tmp32, AK_F32_EXP_SHIFT, count);
    AscendC::PipeBarrier<PIPE_V>();
    AscendC::Add(v, v, c, count);
    AscendC::PipeBarrier<PIPE_V>();
    AscendC::Sub(v, v, c, count);
    AscendC::PipeBarrier<PIPE_V>();
    if constexpr (!E5M2) {
        AscendC::Muls(v, v, Fmt::REBIAS, count);
        AscendC::PipeBarrier<PIPE_V>();
    }
    AscendC::Cast(code, v, AscendC::RoundMode::CAST_RINT, count); // exact
    AscendC::PipeBarrier<PIPE_V>();
    AscendC::ShiftRight(bits, code.ReinterpretCast<int16_t>(), Fmt::HALF_CODE_SHIFT, count);
    AscendC::PipeBarrier<PIPE_V>();
    AscendC::Or(bits, bits, sign, count);
    AscendC::PipeBarrier<PIPE_V>();
    AscendC::Cast(code, bits, AscendC::RoundMode::CAST_NONE, count); // exact for 0..255
    AscendC::PipeBarrier<PIPE_V>();
}

#endif // AK_FP8_SOFT_H
