/* Session ABI of the ascend-kernels AscendC host emulation ("sim"). See CONTRACT.md section 3.
 * Plain C; every function is extern "C", never throws and never aborts. A session belongs to the
 * calling thread (thread-local), so sessions on different threads are independent. */
#ifndef AK_SIM_H
#define AK_SIM_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct AkSimCounters {
    uint64_t gm_to_ub_bytes;    /* bytes moved GM -> local (all cores) */
    uint64_t ub_to_gm_bytes;    /* bytes moved local -> GM (all cores) */
    uint64_t vector_instrs;     /* vector API calls (each count-form call = 1, Level-0 = repeat count) */
    uint64_t vector_elems;      /* elements processed by those calls */
    uint64_t cube_macs;         /* multiply-accumulates done by Mmad (0 for vector kernels) */
    uint64_t max_core_gm_bytes; /* the largest per-core GM traffic (the critical core) */
    uint64_t ub_peak_bytes;     /* the largest InitBuffer total on one core */
    uint32_t blocks;            /* block_dim of the launch */
    uint32_t reserved;
} AkSimCounters;

enum { AK_SIM_TARGET_A2 = 0, AK_SIM_TARGET_A5 = 1 };

/* Opens a session on the calling thread. 0 ok; nonzero if a session is already open or the
 * target is unknown. */
int32_t ak_sim_begin(uint32_t target);

/* Registers a GM buffer [ptr, ptr+len) the kernel may access; writable=0 makes it read-only.
 * 0 ok; nonzero if no session is open, the arguments are invalid or the buffer overlaps one
 * already registered. */
int32_t ak_sim_register_gm(const void* ptr, uint64_t len, int32_t writable, const char* name);

/* Closes the session. Fills *counters (if not NULL). Returns 0 if every launch of the session was
 * clean, else nonzero with the first violation as a NUL-terminated message in err (if err_len>0). */
int32_t ak_sim_end(AkSimCounters* counters, char* err, uint64_t err_len);

#ifdef __cplusplus
}
#endif

#ifdef __cplusplus
#include <functional>

namespace AscendC {
namespace sim {
/* Runs fn once per block, each block on its own thread with its own UB arena and block index.
 * arch is the __NPU_ARCH__ the kernel translation unit was compiled for (checked against the
 * session target). Returns 0 if clean, nonzero after a violation (kept for ak_sim_end). */
int32_t LaunchImpl(uint32_t block_dim, int arch, const std::function<void()>& fn) noexcept;

#ifndef __NPU_ARCH__
#define AK_SIM_ARCH_OF_TU 0
#else
#define AK_SIM_ARCH_OF_TU __NPU_ARCH__
#endif

/* Arch is a template parameter (defaulted per translation unit) so that the a2 and a5
 * instantiations never collide when both are linked into one binary. */
template <int Arch = AK_SIM_ARCH_OF_TU, typename F>
inline int32_t Launch(uint32_t block_dim, F&& fn) noexcept
{
    try {
        std::function<void()> f(std::forward<F>(fn));
        return LaunchImpl(block_dim, Arch, f);
    } catch (...) {
        return -1;
    }
}
/* One GM argument of an enqueued kernel: its device pointer (null for an argument the kernel does
 * not touch), its name for messages, and whether the kernel writes it. */
struct KernelArg {
    const void* ptr;
    const char* name;
    int written;
};

/* The emulator runtime's launch (ak_emu_acl.cpp): checks the stream and that every non-null
 * argument points into a device allocation of the stream's device, pins those allocations, and
 * queues fn on the stream; it runs at aclrtSynchronizeStream in a sim session over exactly those
 * allocations. Returns ACL_SUCCESS or an AscendCL error code (the message is in
 * aclGetRecentErrMsg). */
int32_t EnqueueKernelImpl(void* stream, const char* kernel, int arch, uint32_t block_dim, const KernelArg* args,
                          uint32_t nargs, std::function<void()> fn) noexcept;

/* What a generated launcher calls under AK_SIM (Arch as for Launch). */
template <int Arch = AK_SIM_ARCH_OF_TU, typename F>
inline int32_t EnqueueKernel(void* stream, const char* kernel, uint32_t block_dim, const KernelArg* args,
                             uint32_t nargs, F&& fn) noexcept
{
    try {
        return EnqueueKernelImpl(stream, kernel, Arch, block_dim, args, nargs, std::function<void()>(std::forward<F>(fn)));
    } catch (...) {
        return 507000; /* ACL_ERROR_RT_INTERNAL_ERROR: out of host memory building the task */
    }
}
}  // namespace sim
}  // namespace AscendC
#endif

#endif /* AK_SIM_H */
