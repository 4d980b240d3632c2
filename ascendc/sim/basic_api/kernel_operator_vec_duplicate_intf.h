// ascend-kernels sim, part of kernel_operator.h (kernels include only that header; see docs/sim.md).
// Duplicate, count form (asc-devkit include/basic_api/kernel_operator_vec_duplicate_intf.h; the Level-0 form,
// which uses the reduction lane helpers, is kernel_operator_vec_duplicate_l0.h).
#ifndef AK_SIM_BASIC_API_KERNEL_OPERATOR_VEC_DUPLICATE_INTF_H
#define AK_SIM_BASIC_API_KERNEL_OPERATOR_VEC_DUPLICATE_INTF_H
// Not self-contained: kernel_operator.h includes the parts in order after its prelude (built-in
// enums, qualifiers, the namespace macros).

AK_SIM_API_BEGIN
// ------------------------------------------------------------------------------------ Duplicate
template <typename T>
inline void Duplicate(const LocalTensor<T>& dst, const T& scalarValue, const int32_t& count)
{
    const char* api = "Duplicate";
    sim::DtCheck(api, sim::DtOf<T>(), sim::kA2Dup, sim::kA5Dup, "asc-devkit Memory矢量计算/数据填充/Duplicate.md");
    sim::CountCheck(api, count);
    sim::Operand(api, "dst", dst, count, false);
    std::vector<T> x(static_cast<size_t>(count), scalarValue);
    sim::StoreN<T>(dst.simAddr_, x, sim::SP_V, api);
    sim::CountVec(1, static_cast<uint64_t>(count));
}
AK_SIM_API_END

#endif  // AK_SIM_BASIC_API_KERNEL_OPERATOR_VEC_DUPLICATE_INTF_H
