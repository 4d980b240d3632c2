//! Backends: where an op runs. Callers pick one [`Backend`] and never change their code when
//! another becomes available.
//!
//! - [`Backend::Cpu`]: the reference, pure Rust, exact and documented (`docs/numerics.md`),
//!   parallel over rows with rayon.
//! - [`Backend::Sim`] and [`Backend::Npu`]: the generated AscendC kernels through the device
//!   path ([`crate::device`]) — the same code, on the emulator runtime or on CANN's.
//!
//! Every op is one [`Op`]: a CPU method and a device method. [`Backend::run`] is the one place
//! that chooses between them, so a backend is added here, not at every call site.

pub(crate) mod cpu;
pub mod sim;

use crate::device::{Device, Exec};
use crate::error::{Error, Result};
use crate::tiling::Target;
use std::path::PathBuf;

/// How many matmul outputs the CPU backend's fast path could not certify and recomputed with
/// the reference since the process started (a diagnostic: results are exact either way).
pub fn cpu_matmul_fallbacks() -> usize {
    cpu::fast::matmul::fallbacks()
}

pub use sim::SimConfig;

/// Which NPU and kernel variants [`Backend::Npu`] runs.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct NpuConfig {
    /// The NPU (`aclrtSetDevice` id).
    pub device_id: i32,
    /// Variant name (`auto` for the tuned defaults, `v0`, ...).
    pub variant: String,
    /// Vector cores to spread work over (`None`: the target's count).
    pub cores: Option<u32>,
    /// The kernel library to load instead of the one [`crate::device::cann`] finds.
    pub kernel_library: Option<PathBuf>,
}

impl NpuConfig {
    /// NPU `device_id` with the tuned default variants.
    pub fn new(device_id: i32) -> Self {
        NpuConfig {
            device_id,
            variant: crate::device::AUTO.to_string(),
            cores: None,
            kernel_library: None,
        }
    }
}

/// Where an op runs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Backend {
    /// The CPU reference.
    #[default]
    Cpu,
    /// The generated AscendC kernels on the emulator runtime (`ascendc/sim/`): the device path
    /// with an emulated Atlas A2/A3 or Ascend 950, for a chosen target and variant.
    Sim(SimConfig),
    /// The generated AscendC kernels on an NPU through CANN: the device path with
    /// `libascendcl.so` and a kernel library built with the toolkit; the target follows from the
    /// device's SoC name.
    Npu(NpuConfig),
}

/// One op, runnable on every backend.
pub(crate) trait Op {
    /// What it returns.
    type Output;
    /// The CPU reference (or its certified fast path).
    fn cpu(self) -> Result<Self::Output>;
    /// The generated kernels on a device.
    fn device(self, exec: &Exec) -> Result<Self::Output>;
}

impl Backend {
    /// Parses the command line's `--backend cpu|sim|npu[:N]` and `--target a2|a5` (the target
    /// applies to `sim` only, and defaults to `a2`; an NPU's target is its SoC's).
    pub fn from_cli(backend: &str, target: Option<&str>) -> Result<Backend> {
        let bad = |flag: &str, reason: String| Error::option(flag, reason);
        match (backend, target) {
            ("cpu", None) => Ok(Backend::Cpu),
            ("cpu", Some(_)) => Err(bad("--target", "applies to --backend sim only".into())),
            ("sim", t) => {
                let target = t
                    .unwrap_or("a2")
                    .parse::<Target>()
                    .map_err(|e| bad("--target", e))?;
                Ok(Backend::Sim(SimConfig::new(target)))
            }
            (npu, None) if npu == "npu" || npu.starts_with("npu:") => {
                let id = match npu.strip_prefix("npu:") {
                    None => 0,
                    Some(n) => n.parse::<i32>().ok().filter(|&n| n >= 0).ok_or_else(|| {
                        bad(
                            "--backend",
                            format!("`{npu}`: the device id after `npu:` must be a number >= 0"),
                        )
                    })?,
                };
                Ok(Backend::Npu(NpuConfig::new(id)))
            }
            (npu, Some(_)) if npu == "npu" || npu.starts_with("npu:") => Err(bad(
                "--target",
                "does not apply to --backend npu (the NPU's SoC gives the target)".into(),
            )),
            (other, _) => Err(bad(
                "--backend",
                format!("unknown backend `{other}` (expected cpu, sim or npu[:N])"),
            )),
        }
    }

    /// Parses a backend name as `verify`, `op` and the Python package spell it: `cpu`,
    /// `sim-a2`, `sim-a5` (`sim` alone is `sim-a2`), `npu` or `npu:N`. The one place backend
    /// names are read: a new backend is one more arm here.
    pub fn parse(name: &str) -> Result<Backend> {
        let unknown = || {
            Error::option(
                "backend",
                format!("unknown backend `{name}` (expected cpu, sim-a2, sim-a5 or npu[:N])"),
            )
        };
        match name.split_once('-') {
            Some(("sim", target)) => Backend::from_cli("sim", Some(target)),
            Some(_) => Err(unknown()),
            None if name == "cpu" || name == "sim" || name == "npu" || name.starts_with("npu:") => {
                Backend::from_cli(name, None)
            }
            None => Err(unknown()),
        }
    }

    /// A short name for messages and timings (`cpu`, `sim-a2-auto`, `npu0-auto`).
    pub fn name(&self) -> String {
        match self {
            Backend::Cpu => "cpu".to_string(),
            Backend::Sim(c) => format!("sim-{}-{}", c.target, c.variant),
            Backend::Npu(c) => format!("npu{}-{}", c.device_id, c.variant),
        }
    }

    /// The device and execution config of a device backend; `None` for the CPU.
    pub fn exec(&self) -> Result<Option<Exec>> {
        match self {
            Backend::Cpu => Ok(None),
            Backend::Sim(c) => {
                let device = Device::emulator(c.target)?;
                Ok(Some(Exec {
                    device,
                    variant: c.variant.clone(),
                    cores: c.cores,
                }))
            }
            Backend::Npu(c) => {
                let device = Device::npu(c.device_id, c.kernel_library.as_deref())?;
                let cores = c.cores.unwrap_or_else(|| device.target().vector_cores());
                Ok(Some(Exec {
                    device,
                    variant: c.variant.clone(),
                    cores,
                }))
            }
        }
    }

    /// Whether this backend can run here: for a device backend, its runtime, device and kernel
    /// library load; the error says what is missing otherwise.
    pub fn check_available(&self) -> Result<()> {
        self.exec().map(|_| ())
    }

    /// Runs `op` here.
    pub(crate) fn run<O: Op>(&self, op: O) -> Result<O::Output> {
        match self.exec()? {
            None => op.cpu(),
            Some(exec) => op.device(&exec),
        }
    }
}
