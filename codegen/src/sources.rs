//! The AscendC sources of the kernels (`ascendc/kernels/`), embedded so that `emit` can ship them
//! in the CANN project next to the generated units (`kernels/<path>`, found through the
//! project's `kernels/` include directory, as `-I ascendc/kernels` finds them in the emulator
//! build). The list holds every file of the folder (a test walks it); the generated ones among
//! them (`ak_target_traits.h`, `*_ub.h`) are checked against the generator by the snapshot tests.

/// `(path under ascendc/kernels/, contents)` of every kernel source file.
pub const KERNEL_SOURCES: &[(&str, &str)] = &[
    (
        "common/ak_kernel.h",
        include_str!("../../ascendc/kernels/common/ak_kernel.h"),
    ),
    (
        "common/ak_target_traits.h",
        include_str!("../../ascendc/kernels/common/ak_target_traits.h"),
    ),
    (
        "common/ak_block_mmad.h",
        include_str!("../../ascendc/kernels/common/ak_block_mmad.h"),
    ),
    (
        "matmul/matmul.h",
        include_str!("../../ascendc/kernels/matmul/matmul.h"),
    ),
    (
        "matmul_mx/matmul_mx.h",
        include_str!("../../ascendc/kernels/matmul_mx/matmul_mx.h"),
    ),
    (
        "mx_quant/mx_quant.h",
        include_str!("../../ascendc/kernels/mx_quant/mx_quant.h"),
    ),
    (
        "mx_quant/mx_quant_ub.h",
        include_str!("../../ascendc/kernels/mx_quant/mx_quant_ub.h"),
    ),
    (
        "rms_norm/rms_norm.h",
        include_str!("../../ascendc/kernels/rms_norm/rms_norm.h"),
    ),
    (
        "rms_norm/rms_norm_ub.h",
        include_str!("../../ascendc/kernels/rms_norm/rms_norm_ub.h"),
    ),
    (
        "rope_qk/rope_qk.h",
        include_str!("../../ascendc/kernels/rope_qk/rope_qk.h"),
    ),
    (
        "rope_qk/rope_qk_ub.h",
        include_str!("../../ascendc/kernels/rope_qk/rope_qk_ub.h"),
    ),
    (
        "fp8_block_dequant/fp8_block_dequant.h",
        include_str!("../../ascendc/kernels/fp8_block_dequant/fp8_block_dequant.h"),
    ),
    (
        "fp8_block_dequant/fp8_block_dequant_ub.h",
        include_str!("../../ascendc/kernels/fp8_block_dequant/fp8_block_dequant_ub.h"),
    ),
    (
        "mx_dequant/mx_dequant.h",
        include_str!("../../ascendc/kernels/mx_dequant/mx_dequant.h"),
    ),
    (
        "mx_dequant/mx_dequant_ub.h",
        include_str!("../../ascendc/kernels/mx_dequant/mx_dequant_ub.h"),
    ),
    (
        "sim_probe/sim_probe.h",
        include_str!("../../ascendc/kernels/sim_probe/sim_probe.h"),
    ),
    (
        "sim_probe/sim_probe_ub.h",
        include_str!("../../ascendc/kernels/sim_probe/sim_probe_ub.h"),
    ),
];
