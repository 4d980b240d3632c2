//! Tiling of `mx_dequant`: rows over cores, then whole rows per UB tile, or one row cut into
//! chunks of 32-element blocks when a row does not fit.

use super::{split_rows, Knobs, Target, TilingError, MAX_COPY_BLOCKS};
use crate::device::kernels::{mx_dequant_ub_bytes, AkMxDequantTiling};

/// Elements per MX block.
pub const MX_BLOCK: u32 = 32;
/// Largest chunk in blocks (one Brcb call covers 8 blocks per repeat, at most 255 repeats).
pub const MAX_BLOCKS_PER_TILE: u32 = 255 * 8;

/// What `mx_dequant` is asked to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MxDequantShape {
    /// Rows.
    pub rows: u32,
    /// Elements per row (K).
    pub cols: u32,
    /// Bytes per output element (2 or 4).
    pub out_bytes: u32,
}

/// The plan: launch geometry and tiling fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MxDequantPlan {
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

/// Scale bytes per row in the Ascend pair layout: `2 * ceil(ceil(cols / 32) / 2)`.
pub fn scale_stride(cols: u32) -> u32 {
    cols.div_ceil(MX_BLOCK).div_ceil(2) * 2
}

/// UB bytes the kernel allocates for a tile of `rows` x `blocks` on `target`: the sum of its
/// buffers as declared in its description (`codegen/src/kernels/mx_dequant.rs`), the declarations
/// its `InitBuffer` plan (`ascendc/kernels/mx_dequant/mx_dequant_ub.h`) is generated from.
pub fn ub_usage(target: Target, knobs: Knobs, out_bytes: u32, rows: u32, blocks: u32) -> u64 {
    // only the fields the buffer sizes read; the element size is given directly
    let tiling = AkMxDequantTiling {
        rows_per_tile: rows,
        blocks_per_tile: blocks,
        ..AkMxDequantTiling::default()
    };
    mx_dequant_ub_bytes(&tiling, target, knobs.buffer_num, out_bytes)
}

/// Plans `mx_dequant` for `target` and a variant's `knobs` on at most `cores` cores.
pub fn plan(
    target: Target,
    knobs: Knobs,
    cores: u32,
    shape: &MxDequantShape,
) -> Result<MxDequantPlan, TilingError> {
    if !matches!(shape.out_bytes, 2 | 4) {
        return Err(TilingError(format!(
            "mx_dequant: output element size {} B is not supported",
            shape.out_bytes
        )));
    }
    if shape.cols == 0 {
        return Err(TilingError("mx_dequant: rows must not be empty".into()));
    }
    let (block_dim, rows_per_core) = split_rows(shape.rows, cores);
    if block_dim == 0 {
        return Ok(MxDequantPlan {
            block_dim: 0,
            rows_per_core: 0,
            rows_per_tile: 0,
            blocks_per_tile: 0,
            ub_bytes: 0,
        });
    }
    let budget = u64::from(knobs.ub_budget(target));
    let nb = shape.cols.div_ceil(MX_BLOCK);
    let usage = |r: u32, cb: u32| ub_usage(target, knobs, shape.out_bytes, r, cb);
    let (rows_per_tile, blocks_per_tile) = if nb <= MAX_BLOCKS_PER_TILE && usage(1, nb) <= budget {
        let cap = rows_per_core.min(MAX_COPY_BLOCKS);
        // largest r <= cap with usage(r, nb) <= budget (usage is monotone in r)
        let (mut lo, mut hi) = (1u32, cap);
        while lo < hi {
            let mid = lo + (hi - lo).div_ceil(2);
            if usage(mid, nb) <= budget {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        (lo, nb)
    } else {
        let (mut lo, mut hi) = (0u32, nb.min(MAX_BLOCKS_PER_TILE));
        while lo < hi {
            let mid = lo + (hi - lo).div_ceil(2);
            if usage(1, mid) <= budget {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        if lo == 0 {
            return Err(TilingError(format!(
                "mx_dequant: one block does not fit the {budget} B UB budget on {target}"
            )));
        }
        (1, lo)
    };
    let ub_bytes = usage(rows_per_tile, blocks_per_tile) as u32;
    Ok(MxDequantPlan {
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

    /// The generated accounting against the closed form the hand-written `ub_usage` computed
    /// before the buffers were declared once: the declarations describe the same kernel.
    #[test]
    fn generated_accounting_equals_the_closed_form() {
        use super::super::{align_up, BLOCK_BYTES};
        let closed_form =
            |target: Target, knobs: Knobs, out_bytes: u32, rows: u32, blocks: u32| -> u64 {
                let b = |n: u64| n.div_ceil(32) * 32;
                let buf = u64::from(knobs.buffer_num);
                let elems = u64::from(rows) * u64::from(blocks) * u64::from(MX_BLOCK);
                let scale_elems = u64::from(rows) * u64::from(align_up(blocks, BLOCK_BYTES));
                let cmp = elems.div_ceil(64) * 64;
                let mut total = buf * (b(elems) + b(scale_elems) + b(elems * u64::from(out_bytes)))
                    + 3 * b(elems * 2)
                    + b(scale_elems * 4)
                    + b((elems + 8 * u64::from(MX_BLOCK)) * 4)
                    + b(cmp * 4);
                if target == Target::A2 {
                    total += b(b(cmp / 8));
                }
                total
            };
        for t in Target::ALL {
            for buffer_num in [1, 2] {
                let k = Knobs {
                    buffer_num,
                    ub_share_pct: 100,
                };
                for out_bytes in [2, 4] {
                    for (rows, blocks) in [(1, 1), (1, 3), (2, 64), (7, 5), (1, 2040), (33, 4)] {
                        assert_eq!(
                            ub_usage(t, k, out_bytes, rows, blocks),
                            closed_form(t, k, out_bytes, rows, blocks),
                            "{t} {buffer_num} {out_bytes} {rows} {blocks}"
                        );
                    }
                }
            }
        }
    }

    const V0: Knobs = Knobs {
        buffer_num: 2,
        ub_share_pct: 100,
    };

    #[test]
    fn plans_fit_and_chunk_long_rows() {
        for t in Target::ALL {
            for &(rows, cols) in &[(1, 1), (3, 33), (1000, 4096), (7, 25600), (2, 200_000)] {
                for ob in [2, 4] {
                    let s = MxDequantShape {
                        rows,
                        cols,
                        out_bytes: ob,
                    };
                    let p = plan(t, V0, t.vector_cores(), &s).unwrap();
                    assert!(u64::from(p.ub_bytes) <= u64::from(t.ub_bytes()), "{s:?}");
                    assert!(p.rows_per_tile >= 1 && p.blocks_per_tile >= 1);
                    if p.blocks_per_tile < cols.div_ceil(32) {
                        assert_eq!(p.rows_per_tile, 1, "chunked rows are tiled one at a time");
                    }
                }
            }
        }
    }

    #[test]
    fn scale_rows_are_pair_padded() {
        assert_eq!(scale_stride(32), 2);
        assert_eq!(scale_stride(65), 4);
        assert_eq!(scale_stride(64), 2);
    }
}
