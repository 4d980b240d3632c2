//! Default variants chosen by `ascend-kernels tune --write` from *modelled* NPU costs
//! (sim counters against each target's roofline; see `docs/tuning.md`). Generated: do not
//! edit by hand.

/// `(kernel, target, phase, variant)`: the variant `SimConfig`'s `auto` resolves to.
pub(crate) const TUNED: &[(&str, &str, &str, &str)] = &[
    ("fp8_block_dequant", "a2", "prefill", "v0"),
    ("fp8_block_dequant", "a5", "prefill", "v0"),
    ("matmul", "a2", "decode", "v1"),
    ("matmul", "a2", "prefill", "v0"),
    ("matmul", "a5", "decode", "v1"),
    ("matmul", "a5", "prefill", "v0"),
    ("matmul_mx", "a5", "decode", "v1"),
    ("matmul_mx", "a5", "prefill", "v0"),
    ("mx_dequant", "a2", "prefill", "v0"),
    ("mx_dequant", "a5", "prefill", "v0"),
    ("mx_quant", "a2", "decode", "v0"),
    ("mx_quant", "a2", "prefill", "v0"),
    ("mx_quant", "a5", "decode", "v0"),
    ("mx_quant", "a5", "prefill", "v0"),
    ("rms_norm", "a2", "decode", "v0"),
    ("rms_norm", "a2", "prefill", "v0"),
    ("rms_norm", "a5", "decode", "v0"),
    ("rms_norm", "a5", "prefill", "v0"),
    ("rope_qk", "a2", "decode", "v0"),
    ("rope_qk", "a2", "prefill", "v0"),
    ("rope_qk", "a5", "decode", "v0"),
    ("rope_qk", "a5", "prefill", "v0"),
];
