//! Backends: where an op runs. Callers pick one [`Backend`] and never change their code when
//! another becomes available.
//!
//! - [`Backend::Cpu`]: the reference, pure Rust, exact and documented (`docs/numerics.md`),
//!   parallel over rows with rayon.

pub(crate) mod cpu;
pub mod sim;

/// Where an op runs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Backend {
    /// The CPU reference.
    #[default]
    Cpu,
    /// The generated AscendC kernels run on the host AscendC emulation (`ascendc/sim/`), for a
    /// chosen target and variant. Ops without a generated kernel yet report `BackendUnavailable`.
    Sim(sim::SimConfig),
}

impl Backend {
    /// A short name for messages and timings (`cpu`, `sim-a2`, ...).
    pub fn name(&self) -> String {
        match self {
            Backend::Cpu => "cpu".to_string(),
            Backend::Sim(c) => format!("sim-{}-{}", c.target, c.variant),
        }
    }
}
