//! Backends: where an op runs. Callers pick one [`Backend`] and never change their code when
//! another becomes available.
//!
//! - [`Backend::Cpu`]: the reference, pure Rust, exact and documented (`docs/numerics.md`),
//!   parallel over rows with rayon.

pub(crate) mod cpu;

/// How many matmul outputs the CPU backend's fast path could not certify and recomputed with
/// the reference since the process started (a diagnostic: results are exact either way).
pub fn cpu_matmul_fallbacks() -> usize {
    cpu::fast::matmul::fallbacks()
}
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
    /// Parses the command line's `--backend cpu|sim` and `--target a2|a5` (the target applies
    /// to `sim` only, and defaults to `a2`).
    pub fn from_cli(backend: &str, target: Option<&str>) -> crate::Result<Backend> {
        let bad = |flag: &str, reason: String| crate::Error::option(flag, reason);
        match (backend, target) {
            ("cpu", None) => Ok(Backend::Cpu),
            ("cpu", Some(_)) => Err(bad("--target", "applies to --backend sim only".into())),
            ("sim", t) => {
                let target = t
                    .unwrap_or("a2")
                    .parse::<crate::tiling::Target>()
                    .map_err(|e| bad("--target", e.to_string()))?;
                Ok(Backend::Sim(sim::SimConfig::new(target)))
            }
            (other, _) => Err(bad(
                "--backend",
                format!("unknown backend `{other}` (expected cpu or sim)"),
            )),
        }
    }

    /// Parses a backend name as `verify`, `op` and the Python package spell it: `cpu`,
    /// `sim-a2`, `sim-a5` (`sim` alone is `sim-a2`). The one place backend names are read:
    /// a new backend is one more arm here.
    pub fn parse(name: &str) -> crate::Result<Backend> {
        match name.split_once('-') {
            Some(("sim", target)) => Backend::from_cli("sim", Some(target)),
            Some(_) => Err(crate::Error::option(
                "backend",
                format!("unknown backend `{name}` (expected cpu, sim-a2 or sim-a5)"),
            )),
            None => Backend::from_cli(name, None).map_err(|_| {
                crate::Error::option(
                    "backend",
                    format!("unknown backend `{name}` (expected cpu, sim-a2 or sim-a5)"),
                )
            }),
        }
    }

    /// A short name for messages and timings (`cpu`, `sim-a2`, ...).
    pub fn name(&self) -> String {
        match self {
            Backend::Cpu => "cpu".to_string(),
            Backend::Sim(c) => format!("sim-{}-{}", c.target, c.variant),
        }
    }
}
