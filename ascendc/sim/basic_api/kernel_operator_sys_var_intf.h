// ascend-kernels sim, part of kernel_operator.h (kernels include only that header; see docs/sim.md).
// GetBlockIdx, GetBlockNum, GetSubBlockIdx/Num (asc-devkit include/basic_api/kernel_operator_sys_var_intf.h).
#ifndef AK_SIM_BASIC_API_KERNEL_OPERATOR_SYS_VAR_INTF_H
#define AK_SIM_BASIC_API_KERNEL_OPERATOR_SYS_VAR_INTF_H
// Not self-contained: kernel_operator.h includes the parts in order after its prelude (built-in
// enums, qualifiers, the namespace macros).

AK_SIM_API_BEGIN
// ------------------------------------------------------------------------------------ system
inline int64_t GetBlockIdx()
{
    sim::CoreState* c = sim::CurrentCore();
    return c != nullptr ? static_cast<int64_t>(c->blockIdx) : 0;
}
inline int64_t GetBlockNum()
{
    sim::CoreState* c = sim::CurrentCore();
    return c != nullptr ? static_cast<int64_t>(c->blockNum) : 1;
}
inline int64_t GetSubBlockIdx() { return 0; }
inline int64_t GetSubBlockNum() { return 1; }
AK_SIM_API_END

#endif  // AK_SIM_BASIC_API_KERNEL_OPERATOR_SYS_VAR_INTF_H
