//! Backends: where an op runs. Callers pick one [`Backend`] and never change their code when
//! another becomes available.
//!
//! - [`Backend::Cpu`]: the reference, pure Rust, exact and documented (`docs/numerics.md`),
//!   parallel over rows with rayon.

pub(crate) mod cpu;

/// Where an op runs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Backend {
    /// The CPU reference.
    #[default]
    Cpu,
}

impl Backend {
    /// A short name for messages and timings (`cpu`, `sim-a2`, ...).
    pub fn name(&self) -> String {
        match self {
            Backend::Cpu => "cpu".to_string(),
        }
    }
}
