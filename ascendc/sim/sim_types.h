// Host (CPU) emulation of the AscendC scalar types used by generated kernels.
// Part of the ascend-kernels sim (see ascendc/sim/CONTRACT.md and docs/sim.md).
//
// half, bfloat16_t and the fp8 types are plain structs holding the bit pattern. Converting a
// float/double to them rounds to nearest-even (IEEE overflow to +-inf for half/bf16); converting
// back is exact. They have no arithmetic operators of their own: arithmetic on them goes through
// the implicit conversion to float, and assigning the float result back rounds to nearest-even,
// which is "compute in float, round to the narrow type after every operation".
//
// The vector Cast (kernel_operator.h) uses sim::RoundSmallFloat with an explicit RoundMode.
#ifndef AK_SIM_TYPES_H
#define AK_SIM_TYPES_H

#include <cmath>
#include <cstdint>
#include <cstring>
#include <type_traits>

namespace AscendC {
namespace sim {

// Rounding of a real value to an integer-valued magnitude. mode: 0 rint (nearest even),
// 1 floor, 2 ceil, 3 round (half away from zero), 4 trunc, 5 odd (Von Neumann / round to odd).
enum RoundKind : int { RK_RINT = 0, RK_FLOOR, RK_CEIL, RK_ROUND, RK_TRUNC, RK_ODD };

// Decides whether the truncated magnitude n (with fractional remainder frac in [0,1)) is bumped
// up by one ulp, for a value of the given sign.
inline bool RoundUp(double n, double frac, bool negative, RoundKind rk)
{
    if (frac == 0.0) {
        return false;
    }
    const bool nOdd = std::fmod(n, 2.0) != 0.0;
    switch (rk) {
        case RK_RINT: return frac > 0.5 || (frac == 0.5 && nOdd);
        case RK_FLOOR: return negative;
        case RK_CEIL: return !negative;
        case RK_ROUND: return frac >= 0.5;
        case RK_TRUNC: return false;
        case RK_ODD: return !nOdd;
    }
    return false;
}

// Description of a small binary floating-point format.
struct SmallFloatFmt {
    int ebits;           // exponent bits
    int mbits;           // explicit mantissa bits
    bool hasInf;         // IEEE-style inf/NaN at the all-ones exponent
    uint32_t nanBits;    // canonical NaN (without sign)
    double maxFinite;    // largest finite magnitude
    bool saturate;       // finite overflow (and inf when !hasInf) saturates to maxFinite
};

inline constexpr SmallFloatFmt kFmtHalf{5, 10, true, 0x7E00u, 65504.0, false};
inline constexpr SmallFloatFmt kFmtBf16{8, 7, true, 0x7FC0u, 3.3895313892515355e38, false};
// OCP FP8 E4M3FN: no inf, NaN = S.1111.111, max 448. Conversions saturate (documented choice).
inline constexpr SmallFloatFmt kFmtE4M3{4, 3, false, 0x7Fu, 448.0, true};
// OCP FP8 E5M2: IEEE-like, max 57344. Finite overflow saturates (documented choice).
inline constexpr SmallFloatFmt kFmtE5M2{5, 2, true, 0x7Eu, 57344.0, true};

// Encodes v into the format with the given rounding. Exact for every double input.
inline uint32_t RoundSmallFloat(double v, const SmallFloatFmt& f, RoundKind rk)
{
    const uint32_t signBit = 1u << (f.ebits + f.mbits);
    const uint32_t expMask = (1u << f.ebits) - 1u;
    if (std::isnan(v)) {
        return f.nanBits | (std::signbit(v) ? signBit : 0u);
    }
    const bool neg = std::signbit(v);
    const uint32_t s = neg ? signBit : 0u;
    double a = std::fabs(v);
    // Encoding of the largest finite value and of infinity.
    uint32_t maxBits;
    if (f.hasInf) {
        maxBits = ((expMask - 1u) << f.mbits) | ((1u << f.mbits) - 1u);
    } else {
        maxBits = (expMask << f.mbits) | ((1u << f.mbits) - 2u);  // e4m3fn: 0x7E
    }
    const uint32_t infBits = f.hasInf ? (expMask << f.mbits) : maxBits;
    if (std::isinf(a)) {
        if (f.hasInf) {
            return s | infBits;
        }
        return f.saturate ? (s | maxBits) : (f.nanBits | s);
    }
    if (a == 0.0) {
        return s;
    }
    const int bias = (1 << (f.ebits - 1)) - 1;
    const int emin = 1 - bias;
    int e2 = 0;
    (void)std::frexp(a, &e2);  // a = m * 2^e2, m in [0.5, 1)
    int e = e2 - 1;            // a = (2m) * 2^e
    if (e < emin) {
        e = emin;
    }
    const double q = std::ldexp(1.0, e - f.mbits);  // quantum in this binade
    const double scaled = a / q;                    // exact (power-of-two scaling)
    double n = std::floor(scaled);
    const double frac = scaled - n;
    if (RoundUp(n, frac, neg, rk)) {
        n += 1.0;
    }
    const double r = n * q;
    if (r > f.maxFinite) {
        if (f.saturate) {
            return s | maxBits;
        }
        // IEEE: directed modes that round towards zero give the largest finite value.
        const bool toZero = rk == RK_TRUNC || (rk == RK_FLOOR && !neg) || (rk == RK_CEIL && neg) ||
                            rk == RK_ODD;
        return s | (toZero ? maxBits : infBits);
    }
    if (r == 0.0) {
        return s;
    }
    // Re-derive exponent/mantissa from the rounded value (it may have moved up one binade).
    int re2 = 0;
    (void)std::frexp(r, &re2);
    int re = re2 - 1;
    if (re < emin) {
        // subnormal: mantissa = r / 2^(emin - mbits)
        const double m = r / std::ldexp(1.0, emin - f.mbits);
        return s | static_cast<uint32_t>(m);
    }
    const double m = r / std::ldexp(1.0, re - f.mbits) - std::ldexp(1.0, f.mbits);
    const uint32_t biased = static_cast<uint32_t>(re + bias);
    return s | (biased << f.mbits) | static_cast<uint32_t>(m);
}

inline double DecodeSmallFloat(uint32_t bits, const SmallFloatFmt& f)
{
    const uint32_t signBit = 1u << (f.ebits + f.mbits);
    const uint32_t expMask = (1u << f.ebits) - 1u;
    const bool neg = (bits & signBit) != 0;
    const uint32_t ex = (bits >> f.mbits) & expMask;
    const uint32_t man = bits & ((1u << f.mbits) - 1u);
    const int bias = (1 << (f.ebits - 1)) - 1;
    double r;
    if (f.hasInf && ex == expMask) {
        r = man == 0 ? INFINITY : NAN;
    } else if (!f.hasInf && ex == expMask && man == ((1u << f.mbits) - 1u)) {
        r = NAN;
    } else if (ex == 0) {
        r = std::ldexp(static_cast<double>(man), 1 - bias - f.mbits);
    } else {
        r = std::ldexp(static_cast<double>(man + (1u << f.mbits)), static_cast<int>(ex) - bias - f.mbits);
    }
    return neg ? -r : r;
}

// Fast exact paths for the common float <-> half/bf16 conversions (round to nearest even, IEEE
// overflow to inf, NaN kept quiet). Equivalent to RoundSmallFloat(v, kFmtHalf/kFmtBf16, RK_RINT).
inline uint16_t F32ToF16Rne(float f)
{
    uint32_t x;
    std::memcpy(&x, &f, 4);
    const uint32_t sign = (x >> 16) & 0x8000u;
    const uint32_t ax = x & 0x7FFFFFFFu;
    if (ax > 0x7F800000u) {
        return static_cast<uint16_t>(sign | 0x7E00u);  // NaN
    }
    if (ax >= (143u << 23)) {
        return static_cast<uint16_t>(sign | 0x7C00u);  // >= 2^16 (or inf): inf
    }
    if (ax >= (113u << 23)) {
        // normal half: rebias the exponent, round away the low 13 mantissa bits (ties to even);
        // a carry out of the mantissa correctly bumps the exponent (up to inf at 65520).
        const uint32_t r = ax - (112u << 23);
        const uint32_t rounded = r + 0xFFFu + ((r >> 13) & 1u);
        return static_cast<uint16_t>(sign | (rounded >> 13));
    }
    // subnormal half (or zero): value / 2^-24 rounded to an integer, ties to even
    const uint32_t e = ax >> 23;
    if (e < 102u) {
        return static_cast<uint16_t>(sign);  // below 2^-25: rounds to zero
    }
    const uint32_t mant = (ax & 0x7FFFFFu) | 0x800000u;
    const uint32_t shift = 126u - e;  // 14..24
    uint32_t q = mant >> shift;
    const uint32_t rem = mant & ((1u << shift) - 1u);
    const uint32_t halfway = 1u << (shift - 1u);
    if (rem > halfway || (rem == halfway && (q & 1u) != 0u)) {
        ++q;
    }
    return static_cast<uint16_t>(sign | q);
}

inline float F16ToF32(uint16_t h)
{
    const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
    const uint32_t e = (h >> 10) & 0x1Fu;
    const uint32_t m = h & 0x3FFu;
    uint32_t bits;
    if (e == 0) {
        const float v = static_cast<float>(m) * 5.9604644775390625e-08f;  // m * 2^-24, exact
        return sign != 0 ? -v : v;
    }
    if (e == 31) {
        bits = sign | 0x7F800000u | (m << 13);
    } else {
        bits = sign | ((e + 112u) << 23) | (m << 13);
    }
    float f;
    std::memcpy(&f, &bits, 4);
    return f;
}

inline uint16_t F32ToBf16Rne(float f)
{
    uint32_t x;
    std::memcpy(&x, &f, 4);
    if ((x & 0x7FFFFFFFu) > 0x7F800000u) {
        return static_cast<uint16_t>(((x >> 16) & 0x8000u) | 0x7FC0u);
    }
    return static_cast<uint16_t>((x + 0x7FFFu + ((x >> 16) & 1u)) >> 16);
}

inline float Bf16ToF32(uint16_t b)
{
    const uint32_t bits = static_cast<uint32_t>(b) << 16;
    float f;
    std::memcpy(&f, &bits, 4);
    return f;
}

template <typename U>
inline constexpr bool kIsArith = std::is_arithmetic<U>::value;

}  // namespace sim
}  // namespace AscendC

// ---------------------------------------------------------------------------------------------
// half: IEEE binary16.
struct half {
    uint16_t bits_ = 0;
    half() = default;
    template <typename U, typename std::enable_if<AscendC::sim::kIsArith<U>, int>::type = 0>
    half(U v)  // NOLINT: implicit like the device type
        : bits_(std::is_same<U, float>::value
                    ? AscendC::sim::F32ToF16Rne(static_cast<float>(v))
                    : static_cast<uint16_t>(AscendC::sim::RoundSmallFloat(static_cast<double>(v),
                                                                           AscendC::sim::kFmtHalf,
                                                                           AscendC::sim::RK_RINT)))
    {}
    operator float() const { return AscendC::sim::F16ToF32(bits_); }
    static half FromBits(uint16_t b)
    {
        half h;
        h.bits_ = b;
        return h;
    }
    uint16_t Bits() const { return bits_; }
};

// bfloat16_t: the upper half of an IEEE binary32.
struct bfloat16_t {
    uint16_t bits_ = 0;
    bfloat16_t() = default;
    template <typename U, typename std::enable_if<AscendC::sim::kIsArith<U>, int>::type = 0>
    bfloat16_t(U v)  // NOLINT
        : bits_(std::is_same<U, float>::value
                    ? AscendC::sim::F32ToBf16Rne(static_cast<float>(v))
                    : static_cast<uint16_t>(AscendC::sim::RoundSmallFloat(static_cast<double>(v),
                                                                           AscendC::sim::kFmtBf16,
                                                                           AscendC::sim::RK_RINT)))
    {}
    bfloat16_t(half h) : bfloat16_t(static_cast<float>(h)) {}
    operator float() const { return AscendC::sim::Bf16ToF32(bits_); }
    static bfloat16_t FromBits(uint16_t b)
    {
        bfloat16_t h;
        h.bits_ = b;
        return h;
    }
    uint16_t Bits() const { return bits_; }
};

// fp8 types (Ascend 950 / a5 only: the sim rejects them at run time on a2).
struct fp8_e4m3fn_t {
    uint8_t bits_ = 0;
    fp8_e4m3fn_t() = default;
    template <typename U, typename std::enable_if<AscendC::sim::kIsArith<U>, int>::type = 0>
    fp8_e4m3fn_t(U v)  // NOLINT
        : bits_(static_cast<uint8_t>(AscendC::sim::RoundSmallFloat(static_cast<double>(v),
                                                                    AscendC::sim::kFmtE4M3,
                                                                    AscendC::sim::RK_RINT)))
    {}
    operator float() const
    {
        return static_cast<float>(AscendC::sim::DecodeSmallFloat(bits_, AscendC::sim::kFmtE4M3));
    }
};

struct fp8_e5m2_t {
    uint8_t bits_ = 0;
    fp8_e5m2_t() = default;
    template <typename U, typename std::enable_if<AscendC::sim::kIsArith<U>, int>::type = 0>
    fp8_e5m2_t(U v)  // NOLINT
        : bits_(static_cast<uint8_t>(AscendC::sim::RoundSmallFloat(static_cast<double>(v),
                                                                    AscendC::sim::kFmtE5M2,
                                                                    AscendC::sim::RK_RINT)))
    {}
    operator float() const
    {
        return static_cast<float>(AscendC::sim::DecodeSmallFloat(bits_, AscendC::sim::kFmtE5M2));
    }
};

// E8M0: an exponent-only scale, value 2^(bits-127); 0xFF is NaN.
struct fp8_e8m0_t {
    uint8_t bits_ = 0;
    fp8_e8m0_t() = default;
    operator float() const
    {
        return bits_ == 0xFF ? NAN : static_cast<float>(std::ldexp(1.0, static_cast<int>(bits_) - 127));
    }
};

static_assert(sizeof(half) == 2 && sizeof(bfloat16_t) == 2, "16-bit types");
static_assert(sizeof(fp8_e4m3fn_t) == 1 && sizeof(fp8_e5m2_t) == 1 && sizeof(fp8_e8m0_t) == 1, "fp8");

#endif  // AK_SIM_TYPES_H
