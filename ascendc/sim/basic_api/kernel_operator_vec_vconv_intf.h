// ascend-kernels sim, part of kernel_operator.h (kernels include only that header; see docs/sim.md).
// Cast and its per-target conversion tables (asc-devkit include/basic_api/kernel_operator_vec_vconv_intf.h).
#ifndef AK_SIM_BASIC_API_KERNEL_OPERATOR_VEC_VCONV_INTF_H
#define AK_SIM_BASIC_API_KERNEL_OPERATOR_VEC_VCONV_INTF_H
// Not self-contained: kernel_operator.h includes the parts in order after its prelude (built-in
// enums, qualifiers, the namespace macros).

AK_SIM_API_BEGIN
// ------------------------------------------------------------------------------------ Cast
AK_SIM_API_END
AK_SIM_IMPL_BEGIN

constexpr uint32_t RM(RoundMode m) { return 1u << static_cast<uint32_t>(m); }
constexpr uint32_t kRmAll5 = RM(RoundMode::CAST_RINT) | RM(RoundMode::CAST_FLOOR) | RM(RoundMode::CAST_CEIL) |
                             RM(RoundMode::CAST_ROUND) | RM(RoundMode::CAST_TRUNC);
constexpr uint32_t kRmNone = RM(RoundMode::CAST_NONE);
constexpr uint32_t kRmRint = RM(RoundMode::CAST_RINT);

struct CastRule {
    Dt src, dst;
    uint32_t modes;
};

// asc-devkit docs/zh/api/SIMD-API/基础API/Memory矢量计算/类型转换/Cast.md, table
// "Atlas A2 训练系列产品/Atlas A2 推理系列产品支持的数据类型组合情况" (int4b_t rows and int32->half,
// which needs SetDeqScale, are not modelled).
inline const std::vector<CastRule>& CastTableA2()
{
    static const std::vector<CastRule> t = {
        {DT_I8, DT_F16, kRmNone},
        {DT_U8, DT_F16, kRmNone},
        {DT_I16, DT_F16, kRmAll5 | kRmNone},
        {DT_I16, DT_F32, kRmNone},
        {DT_F16, DT_I8, kRmAll5 | kRmNone},
        {DT_F16, DT_U8, kRmAll5 | kRmNone},
        {DT_F16, DT_I16, kRmAll5},
        {DT_F16, DT_I32, kRmAll5},
        {DT_F16, DT_F32, kRmNone},
        {DT_BF16, DT_I32, kRmAll5},
        {DT_BF16, DT_F32, kRmNone},
        {DT_I32, DT_I16, kRmNone},
        {DT_I32, DT_F32, kRmAll5 | kRmNone},
        {DT_I32, DT_I64, kRmNone},
        {DT_F32, DT_I16, kRmAll5},
        {DT_F32, DT_F16, kRmAll5 | RM(RoundMode::CAST_ODD) | kRmNone},
        {DT_F32, DT_BF16, kRmAll5},
        {DT_F32, DT_I32, kRmAll5},
        {DT_F32, DT_F32, kRmAll5},
        {DT_F32, DT_I64, kRmAll5},
        {DT_I64, DT_I32, kRmNone},
        {DT_I64, DT_F32, kRmAll5},
    };
    return t;
}

// Same doc, table "Ascend 950PR/Ascend 950DT支持的数据类型组合情况" (int4/fp4/hifloat8/complex/double
// rows not modelled).
inline const std::vector<CastRule>& CastTableA5()
{
    static const std::vector<CastRule> t = {
        {DT_I8, DT_I16, kRmNone},
        {DT_I8, DT_F16, kRmNone},
        {DT_I8, DT_I32, kRmNone},
        {DT_U8, DT_U16, kRmNone},
        {DT_U8, DT_F16, kRmNone},
        {DT_U8, DT_U32, kRmNone},
        {DT_E5M2, DT_F32, kRmNone},
        {DT_E4M3, DT_F32, kRmNone},
        {DT_I16, DT_U8, kRmNone},
        {DT_I16, DT_F16, kRmAll5},
        {DT_I16, DT_I32, kRmNone},
        {DT_I16, DT_U32, kRmNone},
        {DT_I16, DT_F32, kRmNone},
        {DT_U16, DT_U8, kRmNone},
        {DT_U16, DT_U32, kRmNone},
        {DT_F16, DT_I8, kRmAll5},
        {DT_F16, DT_U8, kRmAll5},
        {DT_F16, DT_I16, kRmAll5},
        {DT_F16, DT_BF16, kRmAll5},
        {DT_F16, DT_I32, kRmAll5},
        {DT_F16, DT_F32, kRmNone},
        {DT_BF16, DT_F16, kRmAll5},
        {DT_BF16, DT_I32, kRmAll5},
        {DT_BF16, DT_F32, kRmNone},
        {DT_I32, DT_U8, kRmNone},
        {DT_I32, DT_I16, kRmNone},
        {DT_I32, DT_U16, kRmNone},
        {DT_I32, DT_F32, kRmAll5},
        {DT_I32, DT_I64, kRmNone},
        {DT_U32, DT_U8, kRmNone},
        {DT_U32, DT_I16, kRmNone},
        {DT_U32, DT_U16, kRmNone},
        {DT_F32, DT_E5M2, kRmRint},
        {DT_F32, DT_E4M3, kRmRint},
        {DT_F32, DT_I16, kRmAll5},
        {DT_F32, DT_F16, kRmAll5 | RM(RoundMode::CAST_ODD) | kRmNone},
        {DT_F32, DT_BF16, kRmAll5},
        {DT_F32, DT_I32, kRmAll5},
        {DT_F32, DT_F32, kRmAll5},
        {DT_F32, DT_I64, kRmAll5},
        {DT_I64, DT_I32, kRmNone},
        {DT_I64, DT_F32, kRmAll5},
    };
    return t;
}

inline const char* RoundModeName(RoundMode m)
{
    switch (m) {
        case RoundMode::CAST_NONE: return "CAST_NONE";
        case RoundMode::CAST_RINT: return "CAST_RINT";
        case RoundMode::CAST_FLOOR: return "CAST_FLOOR";
        case RoundMode::CAST_CEIL: return "CAST_CEIL";
        case RoundMode::CAST_ROUND: return "CAST_ROUND";
        case RoundMode::CAST_TRUNC: return "CAST_TRUNC";
        case RoundMode::CAST_ODD: return "CAST_ODD";
        default: return "(other)";
    }
}

inline RoundKind KindOf(RoundMode m)
{
    switch (m) {
        case RoundMode::CAST_FLOOR: return RK_FLOOR;
        case RoundMode::CAST_CEIL: return RK_CEIL;
        case RoundMode::CAST_ROUND: return RK_ROUND;
        case RoundMode::CAST_TRUNC: return RK_TRUNC;
        case RoundMode::CAST_ODD: return RK_ODD;
        default: return RK_RINT;  // CAST_NONE (lossy) and CAST_RINT
    }
}

inline constexpr SmallFloatFmt kFmtF32{8, 23, true, 0x7FC00000u, 3.4028234663852886e38, false};

template <typename U>
inline double ToDouble(const U& v)
{
    if constexpr (std::is_same<U, fp8_e4m3fn_t>::value || std::is_same<U, fp8_e5m2_t>::value ||
                  std::is_same<U, half>::value || std::is_same<U, bfloat16_t>::value) {
        return static_cast<double>(static_cast<float>(v));
    } else {
        return static_cast<double>(v);
    }
}

// Rounds x to an integer value with the given rounding.
inline double RoundToInt(double x, RoundKind rk)
{
    const bool neg = std::signbit(x);
    const double a = std::fabs(x);
    double n = std::floor(a);
    if (RoundUp(n, a - n, neg, rk)) {
        n += 1.0;
    }
    return neg ? -n : n;
}

template <typename T, typename U>
inline T ConvertOne(const U& s, RoundKind rk)
{
    // exact widenings and the common RINT narrowings: fast paths
    if constexpr (std::is_same<T, float>::value &&
                  (std::is_same<U, half>::value || std::is_same<U, bfloat16_t>::value ||
                   std::is_same<U, fp8_e4m3fn_t>::value || std::is_same<U, fp8_e5m2_t>::value)) {
        (void)rk;
        return static_cast<float>(s);
    } else if constexpr ((std::is_same<T, half>::value || std::is_same<T, bfloat16_t>::value) &&
                         std::is_same<U, float>::value) {
        if (rk == RK_RINT) {
            return T(s);
        }
    }
    const double v = ToDouble<U>(s);
    if constexpr (std::is_same<T, fp8_e4m3fn_t>::value || std::is_same<T, fp8_e5m2_t>::value) {
        // The saturating float -> fp8 conversion (asc-devkit Reg矢量计算/类型转换/Cast.md, table 4,
        // "float to float, saturating mode": NaN gives 0, values beyond the largest finite one give
        // +-max; Memory Cast overflows in saturating mode by default, 数据结构/precision_conversion.md).
        // So NaN -> 0x00 and +-inf -> +-max in both formats.
        if (std::isnan(v)) {
            T r;
            r.bits_ = 0;
            return r;
        }
        if (std::isinf(v)) {
            T r;
            const uint8_t maxBits = std::is_same<T, fp8_e4m3fn_t>::value ? 0x7E : 0x7B;
            r.bits_ = static_cast<uint8_t>(maxBits | (v < 0 ? 0x80 : 0x00));
            return r;
        }
    }
    if constexpr (std::is_same<T, half>::value) {
        return half::FromBits(static_cast<uint16_t>(RoundSmallFloat(v, kFmtHalf, rk)));
    } else if constexpr (std::is_same<T, bfloat16_t>::value) {
        return bfloat16_t::FromBits(static_cast<uint16_t>(RoundSmallFloat(v, kFmtBf16, rk)));
    } else if constexpr (std::is_same<T, fp8_e4m3fn_t>::value) {
        fp8_e4m3fn_t r;
        r.bits_ = static_cast<uint8_t>(RoundSmallFloat(v, kFmtE4M3, rk));
        return r;
    } else if constexpr (std::is_same<T, fp8_e5m2_t>::value) {
        fp8_e5m2_t r;
        r.bits_ = static_cast<uint8_t>(RoundSmallFloat(v, kFmtE5M2, rk));
        return r;
    } else if constexpr (std::is_same<T, float>::value) {
        if (std::is_same<U, float>::value) {
            // float -> float: round to an integral value
            return std::isnan(v) || std::isinf(v) ? static_cast<float>(v) : static_cast<float>(RoundToInt(v, rk));
        }
        const uint32_t bits = RoundSmallFloat(v, kFmtF32, rk);
        float f;
        std::memcpy(&f, &bits, 4);
        return f;
    } else {
        static_assert(std::is_integral<T>::value, "Cast to an unsupported type");
        // to integer: round, then saturate; NaN -> 0 (asc-devkit precision_conversion.md: overflow saturates)
        if (std::isnan(v)) {
            return T(0);
        }
        const double r = sim::kFloatLike<U> || std::is_same<U, fp8_e4m3fn_t>::value ||
                                 std::is_same<U, fp8_e5m2_t>::value
                             ? RoundToInt(v, rk)
                             : v;
        const double lo = static_cast<double>(std::numeric_limits<T>::min());
        const double hi = static_cast<double>(std::numeric_limits<T>::max());
        if (r <= lo) return std::numeric_limits<T>::min();
        if (r >= hi) return std::numeric_limits<T>::max();
        if constexpr (std::is_integral<U>::value) {
            return static_cast<T>(s);  // in range: exact
        }
        return static_cast<T>(r);
    }
}

AK_SIM_IMPL_END
AK_SIM_API_BEGIN

template <typename T, typename U>
inline void Cast(const LocalTensor<T>& dst, const LocalTensor<U>& src, const RoundMode& roundMode, const uint32_t count)
{
    const char* api = "Cast";
    sim::CoreState& c = sim::Core(api);
    const sim::Dt sd = sim::DtOf<U>(), dd = sim::DtOf<T>();
    const std::vector<sim::CastRule>& table = c.target == sim::TARGET_A5 ? sim::CastTableA5() : sim::CastTableA2();
    const char* doc = "asc-devkit Memory矢量计算/类型转换/Cast.md";
    bool pair = false;
    uint32_t modes = 0;
    for (const sim::CastRule& r : table) {
        if (r.src == sd && r.dst == dd) {
            pair = true;
            modes = r.modes;
        }
    }
    if (!pair) {
        sim::Fail(api, sim::Fmt("%s -> %s is not a supported conversion on %s (%s)", sim::DtName(sd), sim::DtName(dd),
                                sim::TargetName(c.target), doc));
    }
    if ((modes & sim::RM(roundMode)) == 0) {
        sim::Fail(api, sim::Fmt("%s -> %s does not support RoundMode::%s on %s (%s)", sim::DtName(sd), sim::DtName(dd),
                                sim::RoundModeName(roundMode), sim::TargetName(c.target), doc));
    }
    sim::Operand(api, "src", src, count, true);
    sim::Operand(api, "dst", dst, count, false);
    sim::NoPartialOverlap(api, dst, count, src, count, "src");
    const std::vector<U> x = sim::LoadN<U>(src.simAddr_, count);
    std::vector<T> y(count);
    const sim::RoundKind rk = sim::KindOf(roundMode);
    for (uint32_t i = 0; i < count; ++i) {
        y[i] = sim::ConvertOne<T, U>(x[i], rk);
    }
    sim::StoreN<T>(dst.simAddr_, y, sim::SP_V, api);
    sim::CountVec(1, count);
}
AK_SIM_API_END

#endif  // AK_SIM_BASIC_API_KERNEL_OPERATOR_VEC_VCONV_INTF_H
