// ascend-kernels sim, part of kernel_operator.h (kernels include only that header; see docs/sim.md).
// Compare, Compares, Select (asc-devkit include/basic_api/kernel_operator_vec_cmpsel_intf.h).
#ifndef AK_SIM_BASIC_API_KERNEL_OPERATOR_VEC_CMPSEL_INTF_H
#define AK_SIM_BASIC_API_KERNEL_OPERATOR_VEC_CMPSEL_INTF_H
// Not self-contained: kernel_operator.h includes the parts in order after its prelude (built-in
// enums, qualifiers, the namespace macros).

AK_SIM_API_BEGIN
// ------------------------------------------------------------------------------------ Compare/Select
AK_SIM_API_END
AK_SIM_IMPL_BEGIN
template <typename T>
inline bool CmpOne(CMPMODE m, T a, T b)
{
    const double x = ToDouble<T>(a), y = ToDouble<T>(b);
    switch (m) {
        case CMPMODE::LT: return x < y;
        case CMPMODE::GT: return x > y;
        case CMPMODE::EQ: return x == y;
        case CMPMODE::LE: return x <= y;
        case CMPMODE::GE: return x >= y;
        case CMPMODE::NE: return x != y;
    }
    return false;
}

// Compare (tensor-tensor, dst int8_t/uint8_t) and Compares (tensor-scalar, dst uint8_t only): the same
// bit-mask result, one bit per element, LSB first (Compare.md, Compares.md).
template <typename T, typename U>
inline void CompareImpl(const char* api, const char* doc, uint32_t dstTypes, const LocalTensor<U>& dst,
                        const LocalTensor<T>& src0, const LocalTensor<T>* src1, T scalar, CMPMODE cmpMode,
                        uint32_t count)
{
    const Dt d = DtOf<T>();
    DtCheck(api, d, kA2Float | B(DT_I32), kIntsAll | B(DT_F16) | B(DT_BF16) | B(DT_F32), doc);
    if (CurTarget() == TARGET_A2 && d == DT_I32 && cmpMode != CMPMODE::EQ) {
        Fail(api, Fmt("int32_t supports only CMPMODE::EQ on a2 (%s)", doc));
    }
    DtCheck(api, DtOf<U>(), dstTypes, dstTypes, doc);
    if ((static_cast<uint64_t>(count) * sizeof(T)) % kRepeatBytes != 0) {
        Fail(api, Fmt("count*sizeof(T) = %llu B is not a multiple of 256 B (only whole 256-B repeats are compared; "
                      "%s)", static_cast<unsigned long long>(static_cast<uint64_t>(count) * sizeof(T)), doc));
    }
    Operand(api, "src0", src0, count, true);
    if (src1 != nullptr) {
        Operand(api, "src1", *src1, count, true);
    }
    const uint64_t outBytes = count / 8;
    Operand(api, "dst", dst, (outBytes + sizeof(U) - 1) / sizeof(U), false);
    const std::vector<T> x = LoadN<T>(src0.simAddr_, count);
    std::vector<T> y;
    if (src1 != nullptr) {
        y = LoadN<T>(src1->simAddr_, count);
    }
    std::vector<uint8_t> bits(outBytes, 0);
    for (uint32_t i = 0; i < count; ++i) {
        if (CmpOne<T>(cmpMode, x[i], src1 != nullptr ? y[i] : scalar)) {
            bits[i / 8] = static_cast<uint8_t>(bits[i / 8] | (1u << (i % 8)));
        }
    }
    StoreN<uint8_t>(dst.simAddr_, bits, sim::SP_V, api);
    CountVec(1, count);
}

template <typename T, typename U>
inline void SelectImpl(const char* api, const LocalTensor<T>& dst, const LocalTensor<U>& selMask,
                       const LocalTensor<T>& src0, const LocalTensor<T>* src1, T scalar, SELMODE selMode,
                       uint32_t count)
{
    const char* doc = "asc-devkit Memory矢量计算/比较与选择/Select.md";
    DtCheck(api, DtOf<T>(), kA2Float, kA5Sel, doc);
    if (selMode == SELMODE::VSEL_CMPMASK_SPR) {
        Fail(api, "SELMODE::VSEL_CMPMASK_SPR (mask from the CMPMASK register) is not modelled by the sim");
    }
    if (src1 != nullptr && selMode != SELMODE::VSEL_TENSOR_TENSOR_MODE) {
        Fail(api, "tensor-tensor Select needs SELMODE::VSEL_TENSOR_TENSOR_MODE");
    }
    if (src1 == nullptr && selMode != SELMODE::VSEL_TENSOR_SCALAR_MODE) {
        Fail(api, "tensor-scalar Select needs SELMODE::VSEL_TENSOR_SCALAR_MODE");
    }
    const uint64_t maskBytes = (static_cast<uint64_t>(count) + 7) / 8;
    const uint64_t maskElems = (maskBytes + sizeof(U) - 1) / sizeof(U);
    Operand(api, "selMask", selMask, maskElems, false);
    UbCheckInit(api, "selMask", selMask.simAddr_, maskBytes);
    Operand(api, "src0", src0, count, true);
    if (src1 != nullptr) {
        Operand(api, "src1", *src1, count, true);
    }
    Operand(api, "dst", dst, count, false);
    NoPartialOverlap(api, dst, count, src0, count, "src0");
    if (src1 != nullptr) {
        NoPartialOverlap(api, dst, count, *src1, count, "src1");
    }
    const std::vector<uint8_t> m = LoadN<uint8_t>(selMask.simAddr_, maskBytes);
    std::vector<T> x = LoadN<T>(src0.simAddr_, count);
    std::vector<T> y;
    if (src1 != nullptr) {
        y = LoadN<T>(src1->simAddr_, count);
    }
    for (uint32_t i = 0; i < count; ++i) {
        const bool bit = ((m[i / 8] >> (i % 8)) & 1u) != 0;
        if (!bit) {
            x[i] = src1 != nullptr ? y[i] : scalar;
        }
    }
    StoreN<T>(dst.simAddr_, x, sim::SP_V, api);
    CountVec(1, count);
}
AK_SIM_IMPL_END
AK_SIM_API_BEGIN

template <typename T, typename U>
inline void Compare(const LocalTensor<U>& dst, const LocalTensor<T>& src0, const LocalTensor<T>& src1, CMPMODE cmpMode,
                    uint32_t count)
{
    sim::CompareImpl<T, U>("Compare", "asc-devkit Memory矢量计算/比较与选择/Compare.md", sim::B(sim::DT_U8) | sim::B(sim::DT_I8),
                           dst, src0, &src1, T(0), cmpMode, count);
}

// The tensor-scalar compare is Compares; there is no Compare(dst, src0, scalar, mode, count) in the
// real API (kernel_operator_vec_cmpsel_intf.h), so the sim has none either.
template <typename T, typename U>
inline void Compares(const LocalTensor<U>& dst, const LocalTensor<T>& src0, const T src1Scalar, CMPMODE cmpMode,
                     uint32_t count)
{
    sim::CompareImpl<T, U>("Compares", "asc-devkit Memory矢量计算/比较与选择/Compares.md", sim::B(sim::DT_U8), dst, src0,
                           nullptr, src1Scalar, cmpMode, count);
}

template <typename T, typename U>
inline void Select(const LocalTensor<T>& dst, const LocalTensor<U>& selMask, const LocalTensor<T>& src0,
                   const LocalTensor<T>& src1, SELMODE selMode, uint32_t count)
{
    sim::SelectImpl<T, U>("Select", dst, selMask, src0, &src1, T(0), selMode, count);
}

template <typename T, typename U>
inline void Select(const LocalTensor<T>& dst, const LocalTensor<U>& selMask, const LocalTensor<T>& src0, T src1,
                   SELMODE selMode, uint32_t count)
{
    sim::SelectImpl<T, U>("Select(scalar)", dst, selMask, src0, nullptr, src1, selMode, count);
}
AK_SIM_API_END

#endif  // AK_SIM_BASIC_API_KERNEL_OPERATOR_VEC_CMPSEL_INTF_H
