// ascend-kernels sim: a strict host (CPU) emulation of the classic AscendC "membase" API subset
// listed in ascendc/sim/CONTRACT.md section 4. Generated kernels include "kernel_operator.h";
// compiled with -DAK_SIM -DASCENDC_CPU_DEBUG=1 -D__NPU_ARCH__=2201|3510 and -I ascendc/sim they get
// this header instead of CANN's. Names, template parameters and argument order follow asc-devkit
// include/basic_api/*.h so the same source compiles with CANN. Every violated rule throws a
// sim::Violation that AscendC::sim::Launch turns into an error (see docs/sim.md).
#ifndef AK_SIM_KERNEL_OPERATOR_H
#define AK_SIM_KERNEL_OPERATOR_H

#include <cmath>
#include <cstdint>
#include <algorithm>
#include <cstring>
#include <limits>
#include <type_traits>
#include <vector>

#include "ak_sim.h"
#include "sim_runtime.h"
#include "sim_types.h"

#ifndef __NPU_ARCH__
#error "the sim needs -D__NPU_ARCH__=2201 (a2) or -D__NPU_ARCH__=3510 (a5)"
#endif
#if (__NPU_ARCH__ != 2201) && (__NPU_ARCH__ != 3510)
#error "the sim supports __NPU_ARCH__ 2201 (a2) and 3510 (a5) only"
#endif

// No fused multiply-add contraction in kernel code (hardware rounds every vector op). GCC in ISO mode
// (-std=c++17) already defaults to -ffp-contract=off; clang honours this pragma.
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#endif

// Qualifiers compile to nothing (as in the CANN CPU twin): generated code must not overload on them.
#define __aicore__
#define __global__
#define __gm__
#define __ubuf__
#define __vector__
#define __cube__
#define __mix__(a, b)
#define __inout_pipe__(x)
#define __sync_alias__
#define __sync_noalias__
#ifndef GM_ADDR
#define GM_ADDR uint8_t*
#endif
// The kernel types of KERNEL_TASK_TYPE_DEFAULT (asc-devkit impl/basic_api/utils/kernel_utils_macros.h,
// same names and order). The sim runs every kernel the same way; the macro only checks its argument.
enum KernelMetaType : uint8_t {
    KERNEL_TYPE_AIV_ONLY,
    KERNEL_TYPE_AIC_ONLY,
    KERNEL_TYPE_MIX_AIV_1_0,
    KERNEL_TYPE_MIX_AIC_1_0,
    KERNEL_TYPE_MIX_AIC_1_1,
    KERNEL_TYPE_MIX_AIC_1_2,
    KERNEL_TYPE_AICORE,
    KERNEL_TYPE_VECTORCORE,
    KERNEL_TYPE_MIX_AICORE,
    KERNEL_TYPE_MIX_VECTOR_CORE,
    KERNEL_TYPE_MAX,
};
#define KERNEL_TASK_TYPE_DEFAULT(x) \
    static_assert(static_cast<KernelMetaType>(x) < KERNEL_TYPE_MAX, "KERNEL_TASK_TYPE_DEFAULT takes a KernelMetaType")
#define ASCEND_IS_AIV (true)
#define ASCEND_IS_AIC (false)

// Compiler built-in enums of the device toolchain.
enum pipe_t : int {
    PIPE_S = 0,
    PIPE_V,
    PIPE_M,
    PIPE_MTE1,
    PIPE_MTE2,
    PIPE_MTE3,
    PIPE_ALL,
    PIPE_MTE4,
    PIPE_MTE5,
    PIPE_V2,
    PIPE_FIX,
};
// Fixpipe quantisation modes (a compiler built-in enum on the device toolchain).
enum QuantMode_t : int {
    NoQuant = 0,
    F322F16,
    F322BF16,
    DEQF16,
    VDEQF16,
    QF322B8_PRE,
    VQF322B8_PRE,
    REQ8,
    VREQ8,
};
enum event_t : int {
    EVENT_ID0 = 0,
    EVENT_ID1,
    EVENT_ID2,
    EVENT_ID3,
    EVENT_ID4,
    EVENT_ID5,
    EVENT_ID6,
    EVENT_ID7,
};

// Everything that depends on __NPU_ARCH__ lives in an inline namespace named after the arch, so
// kernels of both targets can be linked into one binary without ODR clashes (the layouts of e.g.
// DataCopyExtParams differ between a2 and a5).
#define AK_SIM_NS_CAT2(a, b) a##b
#define AK_SIM_NS_CAT(a, b) AK_SIM_NS_CAT2(a, b)
#define AK_SIM_ARCH_NS AK_SIM_NS_CAT(arch, __NPU_ARCH__)
#define AK_SIM_API_BEGIN namespace AscendC { inline namespace AK_SIM_ARCH_NS {
#define AK_SIM_API_END } }
#define AK_SIM_IMPL_BEGIN namespace AscendC { namespace sim { inline namespace AK_SIM_ARCH_NS {
#define AK_SIM_IMPL_END } } }

// The API, split along the asc-devkit include/basic_api layout (docs/sim.md, "Files"). Order matters:
// each part uses only what the parts before it declare.
#include "basic_api/kernel_struct.h"
#include "basic_api/sim_check.h"
#include "basic_api/kernel_tensor.h"
#include "basic_api/kernel_tpipe.h"
#include "basic_api/kernel_operator_sys_var_intf.h"
#include "basic_api/kernel_operator_block_sync_intf.h"
#include "basic_api/vec_check.h"
#include "basic_api/kernel_operator_vec_binary_intf.h"
#include "basic_api/kernel_operator_vec_level0_intf.h"
#include "basic_api/kernel_operator_vec_duplicate_intf.h"
#include "basic_api/kernel_operator_vec_vconv_intf.h"
#include "basic_api/kernel_operator_vec_cmpsel_intf.h"
#include "basic_api/kernel_operator_vec_reduce_intf.h"
#include "basic_api/kernel_operator_vec_duplicate_l0.h"
#include "basic_api/kernel_operator_vec_brcb_intf.h"
#include "basic_api/kernel_operator_data_copy_intf.h"
#include "basic_api/kernel_struct_mm.h"
#include "basic_api/kernel_operator_mm_intf.h"
#include "basic_api/kernel_operator_mm_mx_intf.h"
#include "basic_api/kernel_operator_fixpipe_intf.h"

// GetTPipePtr is a global function (asc-devkit kernel_common.h), not a member of AscendC. `static`:
// the a2 and a5 kernels of one binary each get their own (their TPipe types differ).
static inline AscendC::TPipe* GetTPipePtr() { return AscendC::sim::PipePtrSlot(); }

// The device intrinsic behind PipeBarrier<pipe>() (a compiler built-in); same meaning.
inline void pipe_barrier(pipe_t p)
{
    if (p == PIPE_ALL) {
        AscendC::sim::PipeBarrierAll();
    }
}

#endif  // AK_SIM_KERNEL_OPERATOR_H
