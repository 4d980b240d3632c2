// ak_kernel.h: what every kernel of ascend-kernels shares: the target traits, the device helpers,
// the rows-over-cores prologue and the runner the generated entry points call.
//
// A kernel lives in ascendc/kernels/<kernel>/<kernel>.h as a class template
//
//     template <typename T /* element types */, int32_t BUFFER_NUM, typename Traits, bool KEY /* mode keys */>
//     class KernelX { Init(GM_ADDR..., const AkXTiling&); Process(); };
//
// whose buffers are declared once in its description (codegen/src/kernels/<kernel>.rs) and
// generated into <kernel>_ub.h. The generated entry point ak_<kernel>_<target>_<variant> picks the
// element types and mode keys from the tiling at run time and calls AkRunKernel on the
// instantiation (docs/codegen.md).
#ifndef AK_KERNEL_H
#define AK_KERNEL_H

#include "kernel_operator.h"
#include "ak_common.h"
#include "common/ak_target_traits.h"

// The rows [start, start + count) of a [rows, ...] tensor this core owns: every core but the last
// takes rowsPerCore rows (the host's split_rows), a core past the end none.
struct AkRowRange {
    uint32_t start;
    uint32_t count;
};

__aicore__ inline AkRowRange AkCoreRows(uint32_t rows, uint32_t rowsPerCore)
{
    AkRowRange r;
    r.start = static_cast<uint32_t>(AscendC::GetBlockIdx()) * rowsPerCore;
    r.count = r.start >= rows ? 0 : AkMin(rowsPerCore, rows - r.start);
    return r;
}

// Runs one instantiation of a kernel class on this core: Init with the GM arguments (in launch
// order) and the tiling, then Process.
template <typename Kernel, typename Tiling, typename... GmArgs>
__aicore__ inline void AkRunKernel(const Tiling& tiling, GmArgs... gm)
{
    Kernel op;
    op.Init(gm..., tiling);
    op.Process();
}

#endif // AK_KERNEL_H
