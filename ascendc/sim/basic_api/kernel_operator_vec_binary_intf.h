// ascend-kernels sim, part of kernel_operator.h (kernels include only that header; see docs/sim.md).
// Binary, tensor-scalar and unary vector ops, count form (asc-devkit
// include/basic_api/kernel_operator_vec_binary_intf.h, kernel_operator_vec_binary_scalar_intf.h,
// kernel_operator_vec_unary_intf.h).
#ifndef AK_SIM_BASIC_API_KERNEL_OPERATOR_VEC_BINARY_INTF_H
#define AK_SIM_BASIC_API_KERNEL_OPERATOR_VEC_BINARY_INTF_H
// Not self-contained: kernel_operator.h includes the parts in order after its prelude (built-in
// enums, qualifiers, the namespace macros).

AK_SIM_API_BEGIN
// ------------------------------------------------------------------------------------ vector: binary
#define AK_SIM_BINARY(NAME, OP, A2, A5, DOC)                                                                   \
    template <typename T>                                                                                      \
    inline void NAME(const LocalTensor<T>& dst, const LocalTensor<T>& src0, const LocalTensor<T>& src1,        \
                     const int32_t& count)                                                                     \
    {                                                                                                          \
        sim::BinaryCount<T>(#NAME, sim::OP, A2, A5, DOC, dst, src0, src1, count);                              \
    }

AK_SIM_BINARY(Add, OP_ADD, sim::kA2Arith, sim::kA5AddMax, "asc-devkit Memory矢量计算/基础算术/Add.md")
AK_SIM_BINARY(Sub, OP_SUB, sim::kA2Arith, sim::kA5AddMax, "asc-devkit Memory矢量计算/基础算术/Sub.md")
AK_SIM_BINARY(Mul, OP_MUL, sim::kA2Arith, sim::kA5Mul, "asc-devkit Memory矢量计算/基础算术/Mul.md")
AK_SIM_BINARY(Div, OP_DIV, sim::kA2Float, sim::kA5Div, "asc-devkit Memory矢量计算/基础算术/Div.md")
AK_SIM_BINARY(Max, OP_MAX, sim::kA2Arith, sim::kA5AddMax, "asc-devkit Memory矢量计算/基础算术/Max.md")
AK_SIM_BINARY(Min, OP_MIN, sim::kA2Arith, sim::kA5AddMax, "asc-devkit Memory矢量计算/基础算术/Min.md")
AK_SIM_BINARY(And, OP_AND, sim::kA2Logic, sim::kA5Logic, "asc-devkit Memory矢量计算/逻辑计算/And.md")
AK_SIM_BINARY(Or, OP_OR, sim::kA2Logic, sim::kA5Logic, "asc-devkit Memory矢量计算/逻辑计算/Or.md")
#undef AK_SIM_BINARY

// MulAddDst (asc-devkit Memory矢量计算/复合计算/MulAddDst.md): dst = src0 * src1 + dst, count form.
// The sim models float operands only, as one fused multiply-add (one rounding): the doc gives the
// formula but not its rounding; ops-nn's Newton-Raphson rstd (norm/norm_common/op_kernel/
// reduce_common_regbase.h, ComputeRstdNewtonRaphsonReg) forms the residual 1 - var * r with it,
// which only means something fused. docs/sim.md lists this as an assumption.
template <typename T, typename U>
inline void MulAddDst(const LocalTensor<T>& dst, const LocalTensor<U>& src0, const LocalTensor<U>& src1,
                      const int32_t& count)
{
    const char* api = "MulAddDst";
    if (!std::is_same<T, float>::value || !std::is_same<U, float>::value) {
        sim::Fail(api, sim::Fmt("dst %s, src %s: the sim models float operands only",
                                sim::DtName(sim::DtOf<T>()), sim::DtName(sim::DtOf<U>())));
    }
    sim::CountCheck(api, count);
    sim::Operand(api, "src0", src0, count, true);
    sim::Operand(api, "src1", src1, count, true);
    sim::Operand(api, "dst", dst, count, true);
    sim::NoPartialOverlap(api, dst, count, src0, count, "src0");
    sim::NoPartialOverlap(api, dst, count, src1, count, "src1");
    const std::vector<U> a = sim::LoadN<U>(src0.simAddr_, count);
    const std::vector<U> b = sim::LoadN<U>(src1.simAddr_, count);
    std::vector<T> d = sim::LoadN<T>(dst.simAddr_, count);
    for (int32_t i = 0; i < count; ++i) {
        d[i] = static_cast<T>(std::fma(static_cast<float>(a[i]), static_cast<float>(b[i]), static_cast<float>(d[i])));
    }
    sim::StoreN<T>(dst.simAddr_, d, sim::SP_V, api);
    sim::CountVec(1, static_cast<uint64_t>(count));
}

// ------------------------------------------------------------------------------------ vector: scalar
#define AK_SIM_SCALAR(NAME, OP, A2, A5, DOC)                                                                   \
    template <typename T, bool isSetMask = true>                                                               \
    inline void NAME(const LocalTensor<T>& dst, const LocalTensor<T>& src, const T& scalarValue,               \
                     const int32_t& count)                                                                     \
    {                                                                                                          \
        sim::ScalarCount<T>(#NAME, sim::OP, A2, A5, DOC, dst, src, scalarValue, count);                        \
    }

AK_SIM_SCALAR(Adds, OP_ADD, sim::kA2Arith, sim::kA5ScalarAddMax, "asc-devkit Memory矢量计算/基础算术/Adds.md")
AK_SIM_SCALAR(Muls, OP_MUL, sim::kA2Arith, sim::kA5ScalarMul, "asc-devkit Memory矢量计算/基础算术/Muls.md")
AK_SIM_SCALAR(Maxs, OP_MAX, sim::kA2Arith, sim::kA5ScalarAddMax, "asc-devkit Memory矢量计算/基础算术/Maxs.md")
AK_SIM_SCALAR(Mins, OP_MIN, sim::kA2Arith, sim::kA5ScalarAddMax, "asc-devkit Memory矢量计算/基础算术/Mins.md")
#undef AK_SIM_SCALAR

AK_SIM_API_END
AK_SIM_IMPL_BEGIN
template <typename T>
inline void ShiftCount(const char* api, bool left, const LocalTensor<T>& dst, const LocalTensor<T>& src,
                       const T& scalarValue, int32_t count)
{
    const char* doc = left ? "asc-devkit Memory矢量计算/逻辑计算/ShiftLeft.md" : "asc-devkit Memory矢量计算/逻辑计算/ShiftRight.md";
    DtCheck(api, DtOf<T>(), kA2Shift, kA5Logic, doc);
    CountCheck(api, count);
    const int64_t sh = static_cast<int64_t>(scalarValue);
    const int64_t bits = static_cast<int64_t>(sizeof(T) * 8);
    if (CurTarget() == TARGET_A2) {
        if (sh < 0 || sh > bits) {
            Fail(api, Fmt("shift %lld outside [0, %lld] for a %lld-bit type on a2 (%s)", static_cast<long long>(sh),
                          static_cast<long long>(bits), static_cast<long long>(bits), doc));
        }
    } else if (sh < 0) {
        Fail(api, Fmt("negative shift %lld (%s)", static_cast<long long>(sh), doc));
    }
    Operand(api, "src", src, count, true);
    Operand(api, "dst", dst, count, false);
    NoPartialOverlap(api, dst, count, src, count, "src");
    using UT = typename std::make_unsigned<T>::type;
    std::vector<T> x = LoadN<T>(src.simAddr_, count);
    for (int32_t i = 0; i < count; ++i) {
        if (left) {
            x[i] = sh >= bits ? T(0) : static_cast<T>(static_cast<UT>(static_cast<UT>(x[i]) << sh));
        } else if (std::is_signed<T>::value) {
            const int64_t v = static_cast<int64_t>(x[i]);
            x[i] = static_cast<T>(sh >= bits ? (v < 0 ? -1 : 0) : (v >> sh));
        } else {
            x[i] = sh >= bits ? T(0) : static_cast<T>(static_cast<UT>(x[i]) >> sh);
        }
    }
    StoreN<T>(dst.simAddr_, x, sim::SP_V, api);
    CountVec(1, static_cast<uint64_t>(count));
}
AK_SIM_IMPL_END
AK_SIM_API_BEGIN

template <typename T, bool isSetMask = true>
inline void ShiftLeft(const LocalTensor<T>& dst, const LocalTensor<T>& src, const T& scalarValue, const int32_t& count)
{
    sim::ShiftCount<T>("ShiftLeft", true, dst, src, scalarValue, count);
}
template <typename T, bool isSetMask = true>
inline void ShiftRight(const LocalTensor<T>& dst, const LocalTensor<T>& src, const T& scalarValue, const int32_t& count)
{
    sim::ShiftCount<T>("ShiftRight", false, dst, src, scalarValue, count);
}

// ------------------------------------------------------------------------------------ vector: unary
#define AK_SIM_UNARY(NAME, OP, A2, A5, DOC)                                                                    \
    template <typename T>                                                                                      \
    inline void NAME(const LocalTensor<T>& dst, const LocalTensor<T>& src, const int32_t& count)               \
    {                                                                                                          \
        sim::UnaryCount<T>(#NAME, sim::OP, A2, A5, DOC, dst, src, count);                                      \
    }

AK_SIM_UNARY(Abs, OP_ABS, sim::kA2Float, sim::kA5Abs, "asc-devkit Memory矢量计算/基础算术/Abs.md")
AK_SIM_UNARY(Exp, OP_EXP, sim::kA2Float, sim::kA2Float, "asc-devkit Memory矢量计算/基础算术/Exp.md")
AK_SIM_UNARY(Ln, OP_LN, sim::kA2Float, sim::kA2Float, "asc-devkit Memory矢量计算/基础算术/Ln.md")
AK_SIM_UNARY(Sqrt, OP_SQRT, sim::kA2Float, sim::kA2Float, "asc-devkit Memory矢量计算/基础算术/Sqrt.md")
AK_SIM_UNARY(Rsqrt, OP_RSQRT, sim::kA2Float, sim::kA2Float, "asc-devkit Memory矢量计算/基础算术/Rsqrt.md")
AK_SIM_UNARY(Reciprocal, OP_RECIP, sim::kA2Float, sim::kA2Float, "asc-devkit Memory矢量计算/基础算术/Reciprocal.md")
AK_SIM_UNARY(Relu, OP_RELU, sim::kA2Relu, sim::kA5Relu, "asc-devkit Memory矢量计算/基础算术/Relu.md")
AK_SIM_UNARY(Not, OP_NOT, sim::kA2Logic, sim::kA5Not, "asc-devkit Memory矢量计算/逻辑计算/Not.md")
#undef AK_SIM_UNARY
AK_SIM_API_END

#endif  // AK_SIM_BASIC_API_KERNEL_OPERATOR_VEC_BINARY_INTF_H
