//! `Backend::Sim`: the generated AscendC kernels, compiled for the host against the strict
//! AscendC emulation in `ascendc/sim/`, called through the launch ABI the generator emits
//! (`OUT_DIR/generated/ak_kernels.rs`) and the session ABI of `ascendc/sim/ak_sim.h`.
//!
//! Every entry point returns `Result`: a violated AscendC rule comes back as
//! [`Error::Backend`](crate::Error::Backend) with the sim's message (core, API call, rule); a
//! build without the sim gives [`Error::BackendUnavailable`](crate::Error::BackendUnavailable).
//! Nothing here panics across the FFI boundary.

mod fp8_block_dequant;
mod matmul;
mod mx_dequant;
mod mx_quant;
mod probe;
mod rms_norm;
mod rope_qk;
mod session;

pub use fp8_block_dequant::fp8_block_dequant;
pub use matmul::{
    bias_split, exact_scale_window, matmul, matmul_planned, mx_matmul, mx_matmul_decode,
    mx_matmul_native, mx_matmul_native_planned, mx_matmul_weight_only, mx_pad_scales, mx_rebalance,
    MatmulArgs, MxOperand,
};
pub use mx_dequant::mx_dequant;
pub use mx_quant::mx_quant;
pub use probe::{sim_probe, ProbeMode};
pub use rms_norm::{rms_norm, rms_norm_planned, RmsNormArgs};
pub use rope_qk::rope_qk;
pub use session::{available, Counters, GmBuffer, Session};

use crate::tiling::{Knobs, Target};

/// Which compiled kernel variant the sim runs, on which target.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SimConfig {
    /// Target the kernels were generated for (and the sim enforces: UB size, dtype support).
    pub target: Target,
    /// Variant name (`v0`, `v1`, ...); see [`variants`].
    pub variant: String,
    /// Vector cores to spread work over (defaults to the target's count).
    pub cores: u32,
}

/// The variant name that stands for "the tuned default of each kernel and shape".
pub const AUTO: &str = "auto";

impl SimConfig {
    /// The tuned default variants (`auto`) on `target`, with the target's core count.
    pub fn new(target: Target) -> Self {
        Self {
            target,
            variant: AUTO.to_string(),
            cores: target.vector_cores(),
        }
    }

    /// This config with `auto` replaced by the variant `ascend-kernels tune` chose for
    /// `kernel` over `rows` rows (`v0` where the table has none); other variants unchanged.
    pub fn resolved(&self, kernel: &str, rows: usize) -> SimConfig {
        if self.variant != AUTO {
            return self.clone();
        }
        let v = crate::tiling::tuned_variant(kernel, self.target, rows).unwrap_or("v0");
        self.clone().with_variant(v)
    }

    /// The same with another variant.
    pub fn with_variant(mut self, variant: &str) -> Self {
        self.variant = variant.to_string();
        self
    }

    /// The same with another core count (at least 1).
    pub fn with_cores(mut self, cores: u32) -> Self {
        self.cores = cores.max(1);
        self
    }
}

/// A compiled variant as listed by [`variants`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VariantInfo {
    /// Kernel name.
    pub kernel: &'static str,
    /// Target.
    pub target: Target,
    /// Variant name.
    pub variant: &'static str,
    /// Its tiling knobs.
    pub knobs: Knobs,
}

/// The kernel variants compiled into this build (empty without the sim).
pub fn variants() -> Vec<VariantInfo> {
    #[cfg(ak_sim)]
    {
        session::ffi::AK_UNITS
            .iter()
            .filter_map(|&(kernel, target, variant, buffer_num, ub_share_pct)| {
                Some(VariantInfo {
                    kernel,
                    target: target.parse().ok()?,
                    variant,
                    knobs: Knobs {
                        buffer_num,
                        ub_share_pct,
                    },
                })
            })
            .collect()
    }
    #[cfg(not(ak_sim))]
    {
        Vec::new()
    }
}

/// The knobs of `kernel`'s configured variant, or why it cannot run.
pub(crate) fn knobs_of(kernel: &str, cfg: &SimConfig) -> crate::Result<Knobs> {
    if !available() {
        return Err(unavailable());
    }
    variants()
        .into_iter()
        .find(|v| v.kernel == kernel && v.target == cfg.target && v.variant == cfg.variant)
        .map(|v| v.knobs)
        .ok_or_else(|| not_compiled(kernel, cfg))
}

pub(crate) fn not_compiled(kernel: &str, cfg: &SimConfig) -> crate::Error {
    crate::Error::BackendUnavailable {
        backend: "sim".into(),
        reason: format!(
            "{kernel} variant `{}` is not compiled for {}",
            cfg.variant, cfg.target
        ),
    }
}

/// The error of an op that has no generated kernel on the sim yet.
pub fn unsupported(kernel: &str) -> crate::Error {
    crate::Error::BackendUnavailable {
        backend: "sim".into(),
        reason: format!("{kernel} has no generated kernel yet"),
    }
}

fn unavailable() -> crate::Error {
    crate::Error::BackendUnavailable {
        backend: "sim".into(),
        reason: session::unavailable_reason(),
    }
}
