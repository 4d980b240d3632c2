// ascend-kernels sim, part of kernel_operator.h (kernels include only that header; see docs/sim.md).
// Sim-internal helpers shared by every API: dtype tags, UB/GM access, the operand liveness and bounds checks.
#ifndef AK_SIM_BASIC_API_SIM_CHECK_H
#define AK_SIM_BASIC_API_SIM_CHECK_H
// Not self-contained: kernel_operator.h includes the parts in order after its prelude (built-in
// enums, qualifiers, the namespace macros).

AK_SIM_API_BEGIN
// ------------------------------------------------------------------------------------ sim helpers
AK_SIM_API_END
AK_SIM_IMPL_BEGIN

enum Dt : uint32_t {
    DT_BOOL = 0,
    DT_I8,
    DT_U8,
    DT_I16,
    DT_U16,
    DT_I32,
    DT_U32,
    DT_I64,
    DT_U64,
    DT_F16,
    DT_BF16,
    DT_F32,
    DT_F64,
    DT_E4M3,
    DT_E5M2,
    DT_E8M0,
    DT_OTHER,
};

template <typename T>
constexpr Dt DtOf()
{
    using U = typename std::remove_cv<T>::type;
    if constexpr (std::is_same<U, bool>::value) return DT_BOOL;
    else if constexpr (std::is_same<U, int8_t>::value) return DT_I8;
    else if constexpr (std::is_same<U, uint8_t>::value) return DT_U8;
    else if constexpr (std::is_same<U, int16_t>::value) return DT_I16;
    else if constexpr (std::is_same<U, uint16_t>::value) return DT_U16;
    else if constexpr (std::is_same<U, int32_t>::value) return DT_I32;
    else if constexpr (std::is_same<U, uint32_t>::value) return DT_U32;
    else if constexpr (std::is_same<U, int64_t>::value) return DT_I64;
    else if constexpr (std::is_same<U, uint64_t>::value) return DT_U64;
    else if constexpr (std::is_same<U, half>::value) return DT_F16;
    else if constexpr (std::is_same<U, bfloat16_t>::value) return DT_BF16;
    else if constexpr (std::is_same<U, float>::value) return DT_F32;
    else if constexpr (std::is_same<U, double>::value) return DT_F64;
    else if constexpr (std::is_same<U, fp8_e4m3fn_t>::value) return DT_E4M3;
    else if constexpr (std::is_same<U, fp8_e5m2_t>::value) return DT_E5M2;
    else if constexpr (std::is_same<U, fp8_e8m0_t>::value) return DT_E8M0;
    else return DT_OTHER;
}

inline const char* DtName(Dt d)
{
    static const char* const names[] = {"bool",  "int8_t", "uint8_t",    "int16_t",    "uint16_t",    "int32_t",
                                        "uint32_t", "int64_t", "uint64_t", "half", "bfloat16_t", "float",
                                        "double", "fp8_e4m3fn_t", "fp8_e5m2_t", "fp8_e8m0_t", "(other)"};
    return d <= DT_OTHER ? names[d] : "?";
}

constexpr uint32_t B(Dt d) { return 1u << static_cast<uint32_t>(d); }
constexpr uint32_t kIntsAll = B(DT_I8) | B(DT_U8) | B(DT_I16) | B(DT_U16) | B(DT_I32) | B(DT_U32) | B(DT_I64) | B(DT_U64);
constexpr uint32_t kFp8s = B(DT_E4M3) | B(DT_E5M2) | B(DT_E8M0);
constexpr uint32_t kCopyA2 = kIntsAll | B(DT_F16) | B(DT_BF16) | B(DT_F32) | B(DT_F64) | B(DT_BOOL);
constexpr uint32_t kCopyA5 = kCopyA2 | kFp8s;

inline void DtCheck(const char* api, Dt d, uint32_t maskA2, uint32_t maskA5, const char* docRef)
{
    CoreState& c = Core(api);
    const uint32_t m = c.target == TARGET_A5 ? maskA5 : maskA2;
    if ((m & B(d)) == 0) {
        Fail(api, Fmt("dtype %s is not supported on %s (%s)", DtName(d), TargetName(c.target), docRef));
    }
}

template <typename T>
inline T UbLoad(uint32_t addr)
{
    T v;
    std::memcpy(static_cast<void*>(&v), Core("UB").ub.data() + addr, sizeof(T));
    return v;
}
template <typename T>
inline void UbStore(uint32_t addr, const T& v)
{
    std::memcpy(Core("UB").ub.data() + addr, static_cast<const void*>(&v), sizeof(T));
}

inline uint32_t CurTarget() { return Core("target").target; }

inline void CountVec(uint64_t instrs, uint64_t elems)
{
    CoreState& c = Core("vector");
    c.vecInstrs += instrs;
    c.vecElems += elems;
    VectorInstrEnd();
}

template <typename T>
constexpr bool kFloatLike = std::is_same<T, float>::value || std::is_same<T, half>::value ||
                            std::is_same<T, bfloat16_t>::value;

template <typename T>
inline bool IsNan(const T& v)
{
    if constexpr (kFloatLike<T>) {
        return std::isnan(static_cast<float>(v));
    } else {
        (void)v;
        return false;
    }
}

AK_SIM_IMPL_END
AK_SIM_API_BEGIN
AK_SIM_API_END

#endif  // AK_SIM_BASIC_API_SIM_CHECK_H
