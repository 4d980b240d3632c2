//! Default variants chosen by `ascend-kernels tune --write` from *modelled* NPU costs
//! (sim counters against each target's roofline; see `docs/tuning.md`). Generated: do not
//! edit by hand.

/// `(kernel, target, phase, variant)`: the variant `SimConfig`'s `auto` resolves to.
pub(crate) const TUNED: &[(&str, &str, &str, &str)] = &[];
