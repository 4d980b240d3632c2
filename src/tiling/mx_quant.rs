//! Tiling of `mx_quant`: rows over cores, then whole rows per UB tile, or one row cut into chunks
//! of at most 255 blocks (the WholeReduceMax / Brcb repeat limit) when a row does not fit.

use super::{split_rows, Knobs, Target, TilingError, MAX_COPY_BLOCKS};
use crate::device::kernels::{mx_quant_ub_bytes, AkMxQuantTiling};

pub use super::mx_dequant::{scale_stride, MX_BLOCK};

/// Largest chunk in blocks (one WholeReduceMax repeat per block, at most 255 repeats).
pub const MAX_BLOCKS_PER_TILE: u32 = 255;

/// What `mx_quant` is asked to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MxQuantShape {
    /// Rows.
    pub rows: u32,
    /// Elements per row (K).
    pub cols: u32,
    /// Bytes per input element (2 or 4).
    pub in_bytes: u32,
}

/// The plan: launch geometry and tiling fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MxQuantPlan {
    /// Cores to launch (0: nothing to do).
    pub block_dim: u32,
    /// Rows of every core but the last.
    pub rows_per_core: u32,
    /// Rows per UB tile (1 when rows are chunked).
    pub rows_per_tile: u32,
    /// Blocks per tile and row.
    pub blocks_per_tile: u32,
    /// UB bytes one core allocates.
    pub ub_bytes: u32,
}

/// UB bytes the kernel allocates for a tile of `rows` x `blocks`: the sum of its buffers as
/// declared in its description (`codegen/src/kernels/mx_quant.rs`), the same declarations its
/// `InitBuffer` plan (`ascendc/kernels/mx_quant/mx_quant_ub.h`) is generated from.
pub fn ub_usage(target: Target, knobs: Knobs, in_bytes: u32, rows: u32, blocks: u32) -> u64 {
    // only the fields the buffer sizes read; the element size is given directly
    let tiling = AkMxQuantTiling {
        rows_per_tile: rows,
        blocks_per_tile: blocks,
        ..AkMxQuantTiling::default()
    };
    mx_quant_ub_bytes(&tiling, target, knobs.buffer_num, in_bytes)
}

/// Plans `mx_quant` for `target` and a variant's `knobs` on at most `cores` cores.
pub fn plan(
    target: Target,
    knobs: Knobs,
    cores: u32,
    shape: &MxQuantShape,
) -> Result<MxQuantPlan, TilingError> {
    if !matches!(shape.in_bytes, 2 | 4) {
        return Err(TilingError(format!(
            "mx_quant: input element size {} B is not supported",
            shape.in_bytes
        )));
    }
    if shape.cols == 0 {
        return Err(TilingError("mx_quant: rows must not be empty".into()));
    }
    let (block_dim, rows_per_core) = split_rows(shape.rows, cores);
    if block_dim == 0 {
        return Ok(MxQuantPlan {
            block_dim: 0,
            rows_per_core: 0,
            rows_per_tile: 0,
            blocks_per_tile: 0,
            ub_bytes: 0,
        });
    }
    let budget = u64::from(knobs.ub_budget(target));
    let nb = shape.cols.div_ceil(MX_BLOCK);
    let usage = |r: u32, cb: u32| ub_usage(target, knobs, shape.in_bytes, r, cb);
    let largest = |lo: u32, hi: u32, fits: &dyn Fn(u32) -> bool| {
        let (mut lo, mut hi) = (lo, hi);
        while lo < hi {
            let mid = lo + (hi - lo).div_ceil(2);
            if fits(mid) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        lo
    };
    let (rows_per_tile, blocks_per_tile) = if nb <= MAX_BLOCKS_PER_TILE && usage(1, nb) <= budget {
        let cap = rows_per_core.min(MAX_COPY_BLOCKS);
        (largest(1, cap, &|r| usage(r, nb) <= budget), nb)
    } else {
        let cb = largest(0, nb.min(MAX_BLOCKS_PER_TILE), &|cb| usage(1, cb) <= budget);
        if cb == 0 {
            return Err(TilingError(format!(
                "mx_quant: one block does not fit the {budget} B UB budget on {target}"
            )));
        }
        (1, cb)
    };
    let ub_bytes = usage(rows_per_tile, blocks_per_tile) as u32;
    Ok(MxQuantPlan {
        block_dim,
        rows_per_core,
        rows_per_tile,
        blocks_per_tile,
        ub_bytes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_fit_and_chunk_long_rows() {
        let v0 = Knobs {
            buffer_num: 2,
            ub_share_pct: 100,
        };
        for t in Target::ALL {
            for &(rows, cols) in &[(1, 1), (3, 33), (1000, 4096), (7, 25600)] {
                for ib in [2, 4] {
                    let s = MxQuantShape {
                        rows,
                        cols,
                        in_bytes: ib,
                    };
                    let p = plan(t, v0, t.vector_cores(), &s).unwrap();
                    assert!(p.ub_bytes <= t.ub_bytes(), "{s:?}");
                    assert!(p.blocks_per_tile >= 1 && p.blocks_per_tile <= MAX_BLOCKS_PER_TILE);
                    if p.blocks_per_tile < cols.div_ceil(32) {
                        assert_eq!(p.rows_per_tile, 1);
                    }
                }
            }
        }
    }
}
