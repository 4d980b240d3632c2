//! The CPU reference: the spec of `docs/numerics.md` made executable. Simple, exact, readable;
//! parallel over rows with rayon. Shapes are validated by `crate::ops` before these run.

pub(crate) mod fast;
pub(crate) mod fp8_block;
pub(crate) mod matmul;
pub(crate) mod mx;
pub(crate) mod mx_fast;
pub(crate) mod mx_matmul;
pub(crate) mod rms_norm;
pub(crate) mod rope;

/// Rows handed to one rayon task at least, so tiny rows do not drown in scheduling.
pub(crate) fn min_rows_per_task(row_len: usize) -> usize {
    (4096 / row_len.max(1)).max(1)
}
