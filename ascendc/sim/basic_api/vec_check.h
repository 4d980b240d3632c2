// ascend-kernels sim, part of kernel_operator.h (kernels include only that header; see docs/sim.md).
// Vector operand checks, element arithmetic and the per-target dtype tables shared by the vector APIs.
#ifndef AK_SIM_BASIC_API_VEC_CHECK_H
#define AK_SIM_BASIC_API_VEC_CHECK_H
// Not self-contained: kernel_operator.h includes the parts in order after its prelude (built-in
// enums, qualifiers, the namespace macros).

AK_SIM_API_BEGIN
// ------------------------------------------------------------------------------------ operand checks
AK_SIM_API_END
AK_SIM_IMPL_BEGIN

// A vector operand: live, `count` elements inside the tensor, 32-byte aligned start (UB alignment
// rule for vector instructions, asc-devkit docs/zh/api/SIMD-API/通用说明和约束.md).
template <typename T>
inline void Operand(const char* api, const char* what, const LocalTensor<T>& t, uint64_t count, bool read,
                    uint32_t align = kBlockBytes, uint8_t pipe = SP_V)
{
    t.simLive(api, what);
    if (count > t.simSize_) {
        Fail(api, Fmt("%s: %llu elements exceed the tensor size %u elements (out of range, npuchk %s)", what,
                      static_cast<unsigned long long>(count), t.simSize_, read ? "ErrorRead3" : "ErrorWrite3"));
    }
    if (t.simAddr_ % align != 0) {
        Fail(api, Fmt("%s: UB address %u is not %u-byte aligned (npuchk %s)", what, t.simAddr_, align,
                      read ? "ErrorRead4" : "ErrorWrite4"));
    }
    if (read) {
        UbCheckInit(api, what, t.simAddr_, count * sizeof(T), pipe);
    }
}

// dst may alias a source only 100% (same start address) (通用说明和约束: address overlap).
template <typename T, typename U>
inline void NoPartialOverlap(const char* api, const LocalTensor<T>& dst, uint64_t dn, const LocalTensor<U>& src,
                             uint64_t sn, const char* what)
{
    const uint64_t d0 = dst.simAddr_, d1 = d0 + dn * sizeof(T);
    const uint64_t s0 = src.simAddr_, s1 = s0 + sn * sizeof(U);
    if (dn == 0 || sn == 0 || d1 <= s0 || s1 <= d0) {
        return;
    }
    if (d0 == s0 && sizeof(T) == sizeof(U)) {
        return;
    }
    Fail(api, Fmt("dst and %s overlap partially (UB [%llu, %llu) vs [%llu, %llu)); only complete (100%%) aliasing "
                  "of same-size operands is allowed", what, static_cast<unsigned long long>(d0),
                  static_cast<unsigned long long>(d1), static_cast<unsigned long long>(s0),
                  static_cast<unsigned long long>(s1)));
}

inline void CountCheck(const char* api, int64_t count)
{
    if (count < 0) {
        Fail(api, Fmt("count %lld is negative", static_cast<long long>(count)));
    }
}

template <typename T>
inline std::vector<T> LoadN(uint32_t addr, uint64_t n)
{
    std::vector<T> v(n);
    if (n > 0) {
        std::memcpy(static_cast<void*>(v.data()), Core("UB").ub.data() + addr, n * sizeof(T));
    }
    return v;
}

template <typename T>
inline void StoreN(uint32_t addr, const std::vector<T>& v, uint8_t pipe = SP_V, const char* api = "UB write")
{
    if (!v.empty()) {
        std::memcpy(Core("UB").ub.data() + addr, static_cast<const void*>(v.data()), v.size() * sizeof(T));
        UbMarkWritten(addr, v.size() * sizeof(T), pipe, api);
    }
}

// Element arithmetic: float-like types compute in float and round to T (RNE); integers wrap.
template <typename T>
inline T FromF(float f)
{
    return T(f);
}

template <typename T>
inline T WrapInt(int64_t v)
{
    using UT = typename std::make_unsigned<T>::type;
    return static_cast<T>(static_cast<UT>(static_cast<uint64_t>(v)));
}

enum BinOp { OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_MAX, OP_MIN, OP_AND, OP_OR };

template <typename T>
inline T Bin(BinOp op, T a, T b)
{
    if constexpr (kFloatLike<T>) {
        const float x = static_cast<float>(a), y = static_cast<float>(b);
        switch (op) {
            case OP_ADD: return FromF<T>(x + y);
            case OP_SUB: return FromF<T>(x - y);
            case OP_MUL: return FromF<T>(x * y);
            case OP_DIV: return FromF<T>(x / y);
            case OP_MAX: return (std::isnan(x) || std::isnan(y)) ? FromF<T>(NAN) : (x >= y ? a : b);
            case OP_MIN: return (std::isnan(x) || std::isnan(y)) ? FromF<T>(NAN) : (x <= y ? a : b);
            default: break;
        }
        // bitwise ops on float-like types: on the bit patterns
        using Bits = typename std::conditional<sizeof(T) == 2, uint16_t, uint32_t>::type;
        Bits ba, bb;
        std::memcpy(&ba, static_cast<const void*>(&a), sizeof(T));
        std::memcpy(&bb, static_cast<const void*>(&b), sizeof(T));
        const Bits br = op == OP_AND ? static_cast<Bits>(ba & bb) : static_cast<Bits>(ba | bb);
        T r;
        std::memcpy(static_cast<void*>(&r), &br, sizeof(T));
        return r;
    } else {
        switch (op) {
            case OP_ADD: return WrapInt<T>(static_cast<int64_t>(a) + static_cast<int64_t>(b));
            case OP_SUB: return WrapInt<T>(static_cast<int64_t>(a) - static_cast<int64_t>(b));
            case OP_MUL: {
                using UT = typename std::make_unsigned<T>::type;
                return static_cast<T>(static_cast<UT>(static_cast<uint64_t>(static_cast<UT>(a)) *
                                                      static_cast<uint64_t>(static_cast<UT>(b))));
            }
            case OP_DIV:
                if (b == 0) return T(0);
                if (std::is_signed<T>::value && b == static_cast<T>(-1)) return WrapInt<T>(-static_cast<int64_t>(a));
                return static_cast<T>(a / b);
            case OP_MAX: return a >= b ? a : b;
            case OP_MIN: return a <= b ? a : b;
            case OP_AND: return static_cast<T>(a & b);
            case OP_OR: return static_cast<T>(a | b);
        }
        return a;
    }
}

enum UnOp { OP_ABS, OP_EXP, OP_LN, OP_SQRT, OP_RSQRT, OP_RECIP, OP_RELU, OP_NOT };

template <typename T>
inline T Un(UnOp op, T a)
{
    if constexpr (kFloatLike<T>) {
        const float x = static_cast<float>(a);
        switch (op) {
            case OP_ABS: return FromF<T>(std::fabs(x));
            case OP_EXP: return FromF<T>(std::exp(x));
            case OP_LN: return FromF<T>(std::log(x));
            case OP_SQRT: return FromF<T>(std::sqrt(x));
            case OP_RSQRT: {
                const float s = std::sqrt(x);
                return FromF<T>(1.0f / s);
            }
            case OP_RECIP: return FromF<T>(1.0f / x);
            case OP_RELU: return std::isnan(x) ? a : (x > 0.0f ? a : FromF<T>(0.0f));
            case OP_NOT: break;
        }
        using Bits = typename std::conditional<sizeof(T) == 2, uint16_t, uint32_t>::type;
        Bits ba;
        std::memcpy(&ba, static_cast<const void*>(&a), sizeof(T));
        ba = static_cast<Bits>(~ba);
        T r;
        std::memcpy(static_cast<void*>(&r), &ba, sizeof(T));
        return r;
    } else {
        switch (op) {
            case OP_ABS: return a < 0 ? WrapInt<T>(-static_cast<int64_t>(a)) : a;
            case OP_RELU: return a > 0 ? a : T(0);
            case OP_NOT: return static_cast<T>(~a);
            default: return a;
        }
    }
}

// Per-target dtype sets (asc-devkit docs/zh/api/SIMD-API/基础API/Memory矢量计算/<category>/<Op>.md).
constexpr uint32_t kA2Arith = B(DT_I16) | B(DT_F16) | B(DT_I32) | B(DT_F32);
constexpr uint32_t kA2Float = B(DT_F16) | B(DT_F32);
constexpr uint32_t kA2Logic = B(DT_I16) | B(DT_U16);
constexpr uint32_t kA5AddMax = kIntsAll | B(DT_F16) | B(DT_BF16) | B(DT_F32);
constexpr uint32_t kA5Mul = B(DT_I16) | B(DT_U16) | B(DT_F16) | B(DT_BF16) | B(DT_I32) | B(DT_U32) | B(DT_F32) |
                            B(DT_I64) | B(DT_U64);
constexpr uint32_t kA5Div = B(DT_I16) | B(DT_U16) | B(DT_F16) | B(DT_I32) | B(DT_U32) | B(DT_F32) | B(DT_I64) |
                            B(DT_U64);
constexpr uint32_t kA5ScalarAddMax = B(DT_I8) | B(DT_U8) | B(DT_I16) | B(DT_F16) | B(DT_BF16) | B(DT_I32) |
                                     B(DT_F32) | B(DT_I64) | B(DT_U64);
constexpr uint32_t kA5ScalarMul = B(DT_I16) | B(DT_F16) | B(DT_BF16) | B(DT_I32) | B(DT_F32) | B(DT_I64) | B(DT_U64);
constexpr uint32_t kA5Abs = B(DT_I8) | B(DT_I16) | B(DT_F16) | B(DT_I32) | B(DT_F32) | B(DT_I64);
constexpr uint32_t kA2Relu = B(DT_F16) | B(DT_I32) | B(DT_F32);
constexpr uint32_t kA5Relu = kA2Relu | B(DT_I64);
constexpr uint32_t kA5Logic = kIntsAll;
constexpr uint32_t kA5Not = kIntsAll | B(DT_F16) | B(DT_F32);
constexpr uint32_t kA2Shift = B(DT_I16) | B(DT_U16) | B(DT_I32) | B(DT_U32);
constexpr uint32_t kA2Dup = B(DT_I16) | B(DT_U16) | B(DT_F16) | B(DT_BF16) | B(DT_I32) | B(DT_U32) | B(DT_F32);
constexpr uint32_t kA5Dup = kA2Dup | B(DT_BOOL) | B(DT_I8) | B(DT_U8) | B(DT_I64) | B(DT_U64) | kFp8s;
constexpr uint32_t kA5Sel = kIntsAll | B(DT_F16) | B(DT_BF16) | B(DT_F32);
constexpr uint32_t kA5RedMax = B(DT_I16) | B(DT_U16) | B(DT_F16) | B(DT_I32) | B(DT_U32) | B(DT_F32);
constexpr uint32_t kA5RedSum = B(DT_F16) | B(DT_F32) | B(DT_I32) | B(DT_U32);
constexpr uint32_t kA5Brcb = kIntsAll | B(DT_F16) | B(DT_BF16) | B(DT_F32);

template <typename T>
inline void BinaryCount(const char* api, BinOp op, uint32_t a2, uint32_t a5, const char* doc, const LocalTensor<T>& dst,
                        const LocalTensor<T>& src0, const LocalTensor<T>& src1, int32_t count)
{
    DtCheck(api, DtOf<T>(), a2, a5, doc);
    CountCheck(api, count);
    Operand(api, "src0", src0, count, true);
    Operand(api, "src1", src1, count, true);
    Operand(api, "dst", dst, count, false);
    NoPartialOverlap(api, dst, count, src0, count, "src0");
    NoPartialOverlap(api, dst, count, src1, count, "src1");
    std::vector<T> x = LoadN<T>(src0.simAddr_, count);
    const std::vector<T> y = LoadN<T>(src1.simAddr_, count);
    for (int32_t i = 0; i < count; ++i) {
        x[i] = Bin<T>(op, x[i], y[i]);
    }
    StoreN<T>(dst.simAddr_, x, sim::SP_V, api);
    CountVec(1, static_cast<uint64_t>(count));
}

template <typename T>
inline void ScalarCount(const char* api, BinOp op, uint32_t a2, uint32_t a5, const char* doc, const LocalTensor<T>& dst,
                        const LocalTensor<T>& src, const T& scalar, int32_t count)
{
    DtCheck(api, DtOf<T>(), a2, a5, doc);
    CountCheck(api, count);
    Operand(api, "src", src, count, true);
    Operand(api, "dst", dst, count, false);
    NoPartialOverlap(api, dst, count, src, count, "src");
    std::vector<T> x = LoadN<T>(src.simAddr_, count);
    for (int32_t i = 0; i < count; ++i) {
        x[i] = Bin<T>(op, x[i], scalar);
    }
    StoreN<T>(dst.simAddr_, x, sim::SP_V, api);
    CountVec(1, static_cast<uint64_t>(count));
}

template <typename T>
inline void UnaryCount(const char* api, UnOp op, uint32_t a2, uint32_t a5, const char* doc, const LocalTensor<T>& dst,
                       const LocalTensor<T>& src, int32_t count)
{
    DtCheck(api, DtOf<T>(), a2, a5, doc);
    CountCheck(api, count);
    Operand(api, "src", src, count, true);
    Operand(api, "dst", dst, count, false);
    NoPartialOverlap(api, dst, count, src, count, "src");
    std::vector<T> x = LoadN<T>(src.simAddr_, count);
    for (int32_t i = 0; i < count; ++i) {
        x[i] = Un<T>(op, x[i]);
    }
    StoreN<T>(dst.simAddr_, x, sim::SP_V, api);
    CountVec(1, static_cast<uint64_t>(count));
}

AK_SIM_IMPL_END
AK_SIM_API_BEGIN
AK_SIM_API_END

#endif  // AK_SIM_BASIC_API_VEC_CHECK_H
