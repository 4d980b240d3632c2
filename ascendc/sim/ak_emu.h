/* Controls of the emulator runtime that are not part of AscendCL (ak_emu_acl.cpp). Tests use them
 * to make the runtime fail on purpose, to count what is still allocated, and to read the sim's
 * counters. Plain C, extern "C", never throw. See docs/sim.md ("The emulator runtime"). */
#ifndef AK_EMU_H
#define AK_EMU_H

#include <stdint.h>

#include "ak_sim.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The (skip+1)-th next call of `api` made by the calling thread fails with `code` (and the
 * message "<api>: injected fault"). api is an AscendCL function name of acl/acl.h or "launch"
 * (a generated kernel launcher). For aclrtGetSocName the call returns NULL. Returns 0, or
 * ACL_ERROR_INVALID_PARAM for an unknown api name or code 0. */
int32_t akEmuInjectFault(const char* api, uint32_t skip, int32_t code);

/* Forgets every pending fault of the calling thread. */
void akEmuClearFaults(void);

/* Makes aclrtGetSocName report `soc` for emulated device `device_id` (NULL restores the default:
 * device 0 "Ascend910B3" (a2), device 1 "Ascend950PR" (a5)). Process-wide. */
int32_t akEmuSetSocName(int32_t device_id, const char* soc);

/* Device allocations not yet freed (all threads). */
uint64_t akEmuLiveAllocations(void);

/* Device allocations made by the calling thread and not yet freed. */
uint64_t akEmuThreadLiveAllocations(void);

/* Streams created and not yet destroyed (all threads). */
uint64_t akEmuLiveStreams(void);

/* The sim counters of every kernel the calling thread ran (at aclrtSynchronizeStream) since the
 * previous call, then resets them. Returns 0. */
int32_t akEmuTakeThreadCounters(AkSimCounters* out);

#ifdef __cplusplus
}
#endif

#endif /* AK_EMU_H */
