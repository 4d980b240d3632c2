//! Kernel tuning: sweep the generator's variants per op and shape on the sim, cost each from
//! the sim's counters against the target's roofline (modelled, not measured), and choose the
//! variant host tiling uses by default (`crate::tiling::tuned`). The CLI is `ascend-kernels
//! tune`; `docs/tuning.md` holds the table it writes.

pub mod model;
pub mod report;
pub mod sweep;

pub use model::{cost, Cost, TargetModel};
pub use sweep::{run, ModelShape, Phase, Point, MODELS};
