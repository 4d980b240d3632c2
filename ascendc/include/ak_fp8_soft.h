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

// f32 -> E4M3FN / E5M2 code bytes, nearest-even, on a2 (no fp8 types): `v` must be finite and
// already clamped to +-max (saturation); the codes come back as half values 0..255 in `code`.
// Rounding to the element grid is the magic-constant trick done per lane: with
// q = 2^(max(e, emin) - mbits) the lane's quantum (emin = -6 / -14, mbits = 3 / 2),
// (|v| + 1.5 * 2^23 * q) - 1.5 * 2^23 * q is |v| rounded to a multiple of q by the f32 adder's
// own round-to-nearest-even; the constant's bits are ((max(E, Emin) + K) << 23) | 0x400000 built
// from |v|'s exponent field E with int32 shifts (K = 20 for E4M3, 21 for E5M2). The rounded value is
// an exact element, so it converts exactly to binary16 (E4M3 after x 2^-8, the inverse of the
// decode trick) and the code is the binary16's bits >> 7 (E4M3) or >> 8 (E5M2), plus the sign.
template <bool E5M2>
__aicore__ inline void AkFloatToFp8Soft(const AscendC::LocalTensor<half>& code, const AscendC::LocalTensor<float>& v,
                                        const AscendC::LocalTensor<float>& mag,
                                        const AscendC::LocalTensor<int32_t>& tmp32,
                                        const AscendC::LocalTensor<int16_t>& bits,
                                        const AscendC::LocalTensor<int16_t>& sign, uint32_t count)
{
    constexpr int32_t kMinExpField = E5M2 ? 113 : 121; // biased f32 exponent of the smallest normal
    constexpr int32_t kConstBias = E5M2 ? 21 : 20;
    constexpr int16_t kCodeShift = E5M2 ? 8 : 7;
    AscendC::LocalTensor<int32_t> magBits = mag.ReinterpretCast<int32_t>();
    AscendC::Abs(mag, v, count);
    AscendC::PipeBarrier<PIPE_V>();
    AscendC::ShiftRight(tmp32, magBits, static_cast<int32_t>(23), count);
    AscendC::PipeBarrier<PIPE_V>();
    AscendC::Maxs(tmp32, tmp32, kMinExpField, count);
    AscendC::PipeBarrier<PIPE_V>();
    AscendC::Adds(tmp32, tmp32, kConstBias, count);
    AscendC::PipeBarrier<PIPE_V>();
    AscendC::ShiftLeft(tmp32, tmp32, static_cast<int32_t>(23), count);
    AscendC::PipeBarrier<PIPE_V>();
    AscendC::Adds(tmp32, tmp32, static_cast<int32_t>(0x400000), count);
    AscendC::PipeBarrier<PIPE_V>();
    AscendC::Add(mag, mag, tmp32.ReinterpretCast<float>(), count);
    AscendC::PipeBarrier<PIPE_V>();
    AscendC::Sub(mag, mag, tmp32.ReinterpretCast<float>(), count);
    AscendC::PipeBarrier<PIPE_V>();
    if constexpr (!E5M2) {
        AscendC::Muls(mag, mag, 0.00390625f, count); // 2^-8: re-bias 7 -> 15
        AscendC::PipeBarrier<PIPE_V>();
    }
    AscendC::Cast(code, mag, AscendC::RoundMode::CAST_RINT, count); // exact
    AscendC::PipeBarrier<PIPE_V>();
    AscendC::ShiftRight(bits, code.ReinterpretCast<int16_t>(), kCodeShift, count);
    // sign bit of v -> bit 7 of the code
    AscendC::ShiftRight(tmp32.ReinterpretCast<uint32_t>(), v.ReinterpretCast<uint32_t>(), static_cast<uint32_t>(31),
                        count);
    AscendC::PipeBarrier<PIPE_V>();
    AscendC::Cast(sign, tmp32, AscendC::RoundMode::CAST_NONE, count);
    AscendC::PipeBarrier<PIPE_V>();
    AscendC::ShiftLeft(sign, sign, static_cast<int16_t>(7), count);
    AscendC::PipeBarrier<PIPE_V>();
    AscendC::Or(bits, bits, sign, count);
    AscendC::PipeBarrier<PIPE_V>();
    AscendC::Cast(code, bits, AscendC::RoundMode::CAST_RINT, count); // exact for 0..255
    AscendC::PipeBarrier<PIPE_V>();
}

#endif // AK_FP8_SOFT_H
