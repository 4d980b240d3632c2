//! Tiling of `fp8_block_dequant`: rows over cores, then tiles of rows x column chunks.

use super::{align_up, split_rows, Knobs, Target, TilingError, MAX_COPY_BLOCKS};
use crate::device::kernels::{fp8_block_dequant_ub_bytes, AkFp8BlockDequantTiling};

/// Columns per tile are a multiple of this (whole 256-B f32 repeats for Compare/Select).
pub const COL_GRANULE: u32 = 64;
/// Upper bound of columns per tile (keeps several rows per tile on long rows).
pub const MAX_COLS_PER_TILE: u32 = 4096;

/// What `fp8_block_dequant` is asked to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fp8BlockShape {
    /// Weight rows.
    pub rows: u32,
    /// Weight columns.
    pub cols: u32,
    /// Scale block `[bo, bi]`.
    pub block: [u32; 2],
    /// Bytes per scale element (2 or 4).
    pub scale_bytes: u32,
    /// Bytes per output element (2 or 4).
    pub out_bytes: u32,
}

/// The plan: launch geometry and tiling fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fp8BlockPlan {
    /// Cores to launch (0: nothing to do).
    pub block_dim: u32,
    /// Rows of every core but the last.
    pub rows_per_core: u32,
    /// Rows per UB tile.
    pub rows_per_tile: u32,
    /// Columns per UB tile.
    pub cols_per_tile: u32,
    /// UB bytes one core allocates.
    pub ub_bytes: u32,
}

/// UB bytes the kernel allocates for `rows` x `cols` tiles on `target`: the sum of its buffers as
/// declared in its description (`codegen/src/kernels/fp8_block_dequant.rs`), the declarations its
/// `InitBuffer` plan (`ascendc/kernels/fp8_block_dequant/fp8_block_dequant_ub.h`) is generated from.
pub fn ub_usage(target: Target, knobs: Knobs, shape: &Fp8BlockShape, rows: u32, cols: u32) -> u64 {
    // only the fields the buffer sizes read; the element sizes are given directly
    let tiling = AkFp8BlockDequantTiling {
        block_cols: shape.block[1],
        rows_per_tile: rows,
        cols_per_tile: cols,
        ..AkFp8BlockDequantTiling::default()
    };
    fp8_block_dequant_ub_bytes(
        &tiling,
        target,
        knobs.buffer_num,
        shape.scale_bytes,
        shape.out_bytes,
    )
}

/// Plans `fp8_block_dequant` for `target` and a variant's `knobs` on at most `cores` cores.
pub fn plan(
    target: Target,
    knobs: Knobs,
    cores: u32,
    shape: &Fp8BlockShape,
) -> Result<Fp8BlockPlan, TilingError> {
    if shape.block[0] == 0 || shape.block[1] == 0 {
        return Err(TilingError(
            "fp8_block_dequant: block sizes must be positive".into(),
        ));
    }
    if !matches!(shape.out_bytes, 2 | 4) || !matches!(shape.scale_bytes, 2 | 4) {
        return Err(TilingError(
            "fp8_block_dequant: 16- or 32-bit scales and outputs only".into(),
        ));
    }
    let (block_dim, rows_per_core) = split_rows(shape.rows, cores);
    if block_dim == 0 || shape.cols == 0 {
        return Ok(Fp8BlockPlan {
            block_dim: 0,
            rows_per_core: 0,
            rows_per_tile: 0,
            cols_per_tile: 0,
            ub_bytes: 0,
        });
    }
    let budget = u64::from(knobs.ub_budget(target));
    let mut cols = align_up(shape.cols, COL_GRANULE).min(MAX_COLS_PER_TILE);
    while cols > COL_GRANULE && ub_usage(target, knobs, shape, 1, cols) > budget {
        cols = align_up(cols / 2, COL_GRANULE);
    }
    if ub_usage(target, knobs, shape, 1, cols) > budget {
        return Err(TilingError(format!(
            "fp8_block_dequant: no tile fits the {budget} B UB budget on {target}"
        )));
    }
    let cap = rows_per_core.min(MAX_COPY_BLOCKS);
    let (mut lo, mut hi) = (1u32, cap);
    while lo < hi {
        let mid = lo + (hi - lo).div_ceil(2);
        if ub_usage(target, knobs, shape, mid, cols) <= budget {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    let ub_bytes = ub_usage(target, knobs, shape, lo, cols) as u32;
    Ok(Fp8BlockPlan {
        block_dim,
        rows_per_core,
        rows_per_tile: lo,
        cols_per_tile: cols,
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
        let closed_form = |t: Target, k: Knobs, s: &Fp8BlockShape, rows: u32, cols: u32| -> u64 {
            let b = |n: u64| n.div_ceil(32) * 32;
            let buf = u64::from(k.buffer_num);
            let elems = u64::from(rows) * u64::from(cols);
            let max_scales = u64::from(cols / s.block[1] + 2);
            let mut total = buf * (b(elems) + b(elems * u64::from(s.out_bytes)))
                + b(max_scales * u64::from(s.scale_bytes))
                + 3 * b(elems * 2)
                + b(max_scales * 4)
                + b(u64::from(cols) * 4)
                + b(elems * 4);
            if t == Target::A2 {
                total += b(elems / 8);
            }
            total
        };
        for t in Target::ALL {
            for buffer_num in [1, 2] {
                let k = Knobs {
                    buffer_num,
                    ub_share_pct: 100,
                };
                for block in [[128, 128], [1, 32], [7, 100]] {
                    for (scale_bytes, out_bytes) in [(4, 2), (2, 4), (2, 2)] {
                        for (rows, cols) in [(1, 64), (3, 128), (16, 512), (5, 1024)] {
                            let s = Fp8BlockShape {
                                rows: 100,
                                cols: 1024,
                                block,
                                scale_bytes,
                                out_bytes,
                            };
                            assert_eq!(
                                ub_usage(t, k, &s, rows, cols),
                                closed_form(t, k, &s, rows, cols),
                                "{t} {s:?} {rows} {cols}"
                            );
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn plans_fit() {
        let v0 = Knobs {
            buffer_num: 2,
            ub_share_pct: 100,
        };
        for t in Target::ALL {
            for &(rows, cols, bo, bi) in &[
                (1, 1, 1, 1),
                (300, 200, 128, 128),
                (7168, 7168, 128, 128),
                (5, 100_000, 3, 7),
            ] {
                let s = Fp8BlockShape {
                    rows,
                    cols,
                    block: [bo, bi],
                    scale_bytes: 4,
                    out_bytes: 2,
                };
                let p = plan(t, v0, t.vector_cores(), &s).unwrap();
                assert!(p.ub_bytes <= t.ub_bytes());
                assert_eq!(p.cols_per_tile % COL_GRANULE, 0);
                assert!(p.rows_per_tile >= 1);
            }
        }
    }
}
