//! `sim_probe` on the sim: a copy kernel with deliberate misuse modes, for negative tests.

use super::session::Counters;
use crate::error::{Error, Result};
use crate::tiling::Target;

/// What [`sim_probe`] does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum ProbeMode {
    /// The correct copy (`n * 4` must be a multiple of 32 B, or the sim refuses the DataCopy).
    Copy = 0,
    /// Frees the same tensor twice.
    DoubleFree = 1,
    /// Dequeues from an empty queue.
    EmptyDeQue = 2,
    /// Leaves an allocated tensor unfreed at kernel end.
    Leak = 3,
    /// Writes a tensor after handing it to the queue (a missing-sync bug on hardware).
    UseAfterEnQue = 4,
}

/// Copies `src` to `dst` (`n = src.len()` f32) with the probe kernel compiled for `a2`, launched
/// as a `target` kernel session: the sim must accept `ProbeMode::Copy` on aligned lengths and
/// refuse everything else with a message naming the rule.
pub fn sim_probe(
    target: Target,
    mode: ProbeMode,
    src: &[f32],
    dst: &mut [f32],
) -> Result<Counters> {
    let n = u32::try_from(src.len())
        .map_err(|_| Error::shape("src", "< 2^32 elements", &[src.len()]))?;
    #[cfg(ak_sim)]
    {
        use super::session::{ffi, GmBuffer, Session};
        let tiling = ffi::AkSimProbeTiling {
            n,
            mode: mode as u32,
        };
        let s = GmBuffer::input("src", src);
        let d = GmBuffer::output("dst", dst);
        let session = Session::begin(target, "sim_probe", &[s, d])?;
        // SAFETY: both pointers are registered buffers borrowed for the call (the sim checks every
        // GM access against them, so a too-short `dst` is an error, not a write past it).
        let rc = unsafe {
            ffi::ak_sim_probe_a2_v0_launch(1, std::ptr::null_mut(), s.arg(), d.arg(), &tiling)
        };
        session.finish(rc)
    }
    #[cfg(not(ak_sim))]
    {
        let _ = (target, mode, n, dst);
        Err(super::unavailable())
    }
}
