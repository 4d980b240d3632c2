//! Host tiling: how a kernel's work is split over vector cores and into UB tiles, per target and
//! variant. Plain Rust, shared by every backend that runs the generated kernels (`Sim`, `Npu`),
//! and unit-tested on its own. The UB accounting of each kernel mirrors, buffer for buffer, the
//! `InitBuffer` calls of its generated source (`codegen/src/kernels/`).

pub mod fp8_block_dequant;
pub mod matmul;
pub mod mx_dequant;
pub mod mx_quant;
pub mod rms_norm;
pub mod rope_qk;
mod tuned;

use std::fmt;

pub use ascend_kernels_codegen::{Target, TargetCaps};

/// The variant `ascend-kernels tune` chose for `kernel` on `target` for an op over `rows`
/// rows (tokens): decode up to 16 rows, prefill above. `None` when the table has no entry.
pub fn tuned_variant(kernel: &str, target: Target, rows: usize) -> Option<&'static str> {
    let phase = if rows <= 16 { "decode" } else { "prefill" };
    tuned::TUNED
        .iter()
        .find(|(k, t, p, _)| *k == kernel && *t == target.name() && *p == phase)
        .map(|(_, _, _, v)| *v)
}

/// The tuning knobs of a compiled variant that host tiling must respect.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Knobs {
    /// Queue depth compiled into the kernel (`BUFFER_NUM`).
    pub buffer_num: u32,
    /// Share of the usable UB, in percent, the tiles may use.
    pub ub_share_pct: u32,
}

impl Knobs {
    /// UB bytes a variant may plan for on `target`.
    pub fn ub_budget(self, target: Target) -> u32 {
        (u64::from(target.ub_bytes()) * u64::from(self.ub_share_pct.min(100)) / 100) as u32
    }
}

/// Why a shape cannot be tiled for a variant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TilingError(pub String);

impl fmt::Display for TilingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for TilingError {}

/// The 32-byte UB block: DataCopy granule and UB address alignment.
pub const BLOCK_BYTES: u32 = 32;
/// Largest `blockCount` of one `DataCopyPad`.
pub const MAX_COPY_BLOCKS: u32 = 4095;
/// Largest `blockLen` (bytes) of one `DataCopyPad`.
pub const MAX_COPY_BLOCK_LEN: u32 = 2_097_151;

/// `n` rounded up to a multiple of `a`.
pub fn align_up(n: u32, a: u32) -> u32 {
    n.div_ceil(a) * a
}

/// How `items` independent rows are spread over at most `cores` cores: every core but the last
/// gets `per_core`, the last the remainder. Returns `(block_dim, per_core)`; `(0, 0)` for no rows.
pub fn split_rows(items: u32, cores: u32) -> (u32, u32) {
    if items == 0 {
        return (0, 0);
    }
    let per_core = items.div_ceil(cores.max(1));
    (items.div_ceil(per_core), per_core)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_covers_every_row_once() {
        for items in 0..200u32 {
            for cores in 1..50u32 {
                let (dim, per) = split_rows(items, cores);
                assert!(dim <= cores);
                if items == 0 {
                    assert_eq!((dim, per), (0, 0));
                    continue;
                }
                assert!(
                    dim >= 1 && (dim - 1) * per < items && dim * per >= items,
                    "{items} {cores}"
                );
            }
        }
    }

    #[test]
    fn budgets() {
        let k = Knobs {
            buffer_num: 2,
            ub_share_pct: 50,
        };
        assert_eq!(k.ub_budget(Target::A2), 98_304);
        assert_eq!("a5".parse::<Target>().unwrap(), Target::A5);
        assert!("a3".parse::<Target>().is_err());
    }
}
