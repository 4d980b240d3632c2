// ascend-kernels sim, part of kernel_operator.h (kernels include only that header; see docs/sim.md).
// PipeBarrier, SetFlag, WaitFlag (asc-devkit include/basic_api/kernel_operator_block_sync_intf.h).
#ifndef AK_SIM_BASIC_API_KERNEL_OPERATOR_BLOCK_SYNC_INTF_H
#define AK_SIM_BASIC_API_KERNEL_OPERATOR_BLOCK_SYNC_INTF_H
// Not self-contained: kernel_operator.h includes the parts in order after its prelude (built-in
// enums, qualifiers, the namespace macros).

AK_SIM_API_BEGIN
// Execution is sequential per core; PIPE_ALL makes every earlier write visible to every pipe (sync
// check), other pipes order only themselves.
template <pipe_t pipe>
inline void PipeBarrier()
{
    if (pipe == PIPE_ALL) {
        sim::PipeBarrierAll();
    } else if (pipe == PIPE_V) {
        sim::PipeBarrierVector();
    }
}

template <HardEvent event>
inline void SetFlag(int32_t eventID)
{
    sim::EventSet("SetFlag", static_cast<int>(event), eventID);
}

template <HardEvent event>
inline void WaitFlag(int32_t eventID)
{
    sim::EventWait("WaitFlag", static_cast<int>(event), eventID);
}
AK_SIM_API_END

#endif  // AK_SIM_BASIC_API_KERNEL_OPERATOR_BLOCK_SYNC_INTF_H
