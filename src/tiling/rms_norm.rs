//! Tiling of `rms_norm`: rows over cores, then rows per UB tile.

use super::{split_rows, Knobs, Target, TilingError, MAX_COPY_BLOCKS, MAX_COPY_BLOCK_LEN};
use crate::device::kernels::{rms_norm_ub_bytes, AkRmsNormTiling};

/// What `rms_norm` is asked to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RmsNormShape {
    /// Rows (tokens, or tokens x heads for QK-norm).
    pub rows: u32,
    /// Elements per row.
    pub cols: u32,
    /// Bytes per element of x / residual / weight / y (2 or 4).
    pub elem_bytes: u32,
    /// Fused residual add (two more input and output streams).
    pub fused: bool,
}

/// The plan: launch geometry and the tiling fields of the kernel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RmsNormPlan {
    /// Cores to launch (0: nothing to do).
    pub block_dim: u32,
    /// Rows of every core but the last.
    pub rows_per_core: u32,
    /// Rows per UB tile.
    pub rows_per_tile: u32,
    /// UB bytes one core allocates with this plan (sum of the kernel's `InitBuffer` lengths).
    pub ub_bytes: u32,
}

/// UB bytes the kernel allocates for `rows_per_tile` rows: the sum of its buffers as declared in
/// its description (`codegen/src/kernels/rms_norm.rs`), the same declarations its `InitBuffer`
/// plan (`ascendc/kernels/rms_norm/rms_norm_ub.h`) is generated from.
pub fn ub_usage(shape: &RmsNormShape, knobs: Knobs, rows_per_tile: u32) -> u64 {
    // only the fields the buffer sizes read; the element size is given directly
    let tiling = AkRmsNormTiling {
        cols: shape.cols,
        rows_per_tile,
        ..AkRmsNormTiling::default()
    };
    // no buffer of rms_norm depends on the target
    rms_norm_ub_bytes(
        &tiling,
        Target::A2,
        knobs.buffer_num,
        shape.elem_bytes,
        shape.fused,
    )
}

/// Plans `rms_norm` for `target` and a variant's `knobs` on at most `cores` cores.
pub fn plan(
    target: Target,
    knobs: Knobs,
    cores: u32,
    shape: &RmsNormShape,
) -> Result<RmsNormPlan, TilingError> {
    if !matches!(shape.elem_bytes, 2 | 4) {
        return Err(TilingError(format!(
            "rms_norm: element size {} B is not supported",
            shape.elem_bytes
        )));
    }
    if shape.cols == 0 {
        return Err(TilingError("rms_norm: rows must not be empty".into()));
    }
    if u64::from(shape.cols) * u64::from(shape.elem_bytes) > u64::from(MAX_COPY_BLOCK_LEN) {
        return Err(TilingError(format!(
            "rms_norm: a row of {} elements exceeds one DataCopyPad block",
            shape.cols
        )));
    }
    let (block_dim, rows_per_core) = split_rows(shape.rows, cores);
    if block_dim == 0 {
        return Ok(RmsNormPlan {
            block_dim: 0,
            rows_per_core: 0,
            rows_per_tile: 0,
            ub_bytes: 0,
        });
    }
    let budget = u64::from(knobs.ub_budget(target));
    let one = ub_usage(shape, knobs, 1);
    if one > budget {
        return Err(TilingError(format!(
            "rms_norm: one row of {} elements needs {one} B of UB, more than the {budget} B this variant may use on {target}",
            shape.cols
        )));
    }
    // ub_usage is affine in rows_per_tile: solve, then clamp.
    let per_row = ub_usage(shape, knobs, 2) - one;
    let max_rows = 1 + (budget - one) / per_row.max(1);
    let rows_per_tile = max_rows
        .min(u64::from(rows_per_core))
        .min(u64::from(MAX_COPY_BLOCKS)) as u32;
    let ub_bytes = ub_usage(shape, knobs, rows_per_tile) as u32;
    Ok(RmsNormPlan {
        block_dim,
        rows_per_core,
        rows_per_tile,
        ub_bytes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const V0: Knobs = Knobs {
        buffer_num: 2,
        ub_share_pct: 100,
    };

    fn shape(rows: u32, cols: u32, elem_bytes: u32, fused: bool) -> RmsNormShape {
        RmsNormShape {
            rows,
            cols,
            elem_bytes,
            fused,
        }
    }

    #[test]
    fn plans_fit_the_budget_and_cover_all_rows() {
        for t in Target::ALL {
            for &(rows, cols) in &[(1, 1), (7, 100), (1000, 128), (33, 4096), (5, 8191)] {
                for e in [2, 4] {
                    for fused in [false, true] {
                        let s = shape(rows, cols, e, fused);
                        let p = match plan(t, V0, t.vector_cores(), &s) {
                            Ok(p) => p,
                            Err(_) => {
                                // refused only when a single row does not fit
                                assert!(ub_usage(&s, V0, 1) > u64::from(t.ub_bytes()), "{s:?}");
                                continue;
                            }
                        };
                        assert!(p.ub_bytes <= t.ub_bytes(), "{s:?}");
                        assert!(p.rows_per_tile >= 1 && p.rows_per_tile <= p.rows_per_core);
                        assert!(p.block_dim * p.rows_per_core >= rows);
                        // one more row per tile would not fit (unless limited by the core's rows)
                        if p.rows_per_tile < p.rows_per_core {
                            assert!(
                                ub_usage(&s, V0, p.rows_per_tile + 1) > u64::from(t.ub_bytes())
                            );
                        }
                    }
                }
            }
        }
    }

    /// The generated accounting against the closed form docs/kernels/rms_norm.md gave before the
    /// buffers were declared once (each allocation rounded up to 32 B): the declarations describe
    /// the same kernel.
    #[test]
    fn generated_accounting_equals_the_closed_form() {
        use super::super::{align_up, BLOCK_BYTES};
        let closed_form = |s: &RmsNormShape, k: Knobs, r: u32| -> u64 {
            let e = u64::from(s.elem_bytes);
            let stride = u64::from(align_up(s.cols, BLOCK_BYTES / s.elem_bytes));
            let r = u64::from(r);
            let b = |n: u64| n.div_ceil(32) * 32;
            let streams = if s.fused { 2 } else { 1 };
            let queues = 2 * streams * u64::from(k.buffer_num) * b(r * stride * e);
            let weight = b(stride * e) + b(stride * 4);
            let work = b(u64::from(s.cols).div_ceil(64).div_ceil(8) * 8 * 4);
            queues + weight + 2 * b(r * stride * 4) + b(r * 32) + work + 256
        };
        for buffer_num in [1, 2] {
            let k = Knobs {
                buffer_num,
                ub_share_pct: 100,
            };
            for cols in [1, 7, 8, 15, 16, 100, 1000, 4096, 5120, 8191] {
                for e in [2, 4] {
                    for fused in [false, true] {
                        for r in [1, 2, 3, 17, 255] {
                            let s = shape(8, cols, e, fused);
                            assert_eq!(
                                ub_usage(&s, k, r),
                                closed_form(&s, k, r),
                                "{s:?} {k:?} {r}"
                            );
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn qwen3_hidden_sizes_fit_the_default_variant() {
        for t in Target::ALL {
            for cols in [128, 1024, 2048, 2560, 4096, 5120] {
                for fused in [false, true] {
                    assert!(
                        plan(t, V0, t.vector_cores(), &shape(16, cols, 2, fused)).is_ok(),
                        "{t} {cols}"
                    );
                }
            }
        }
    }

    #[test]
    fn too_long_rows_are_an_error_that_names_the_budget() {
        let e = plan(Target::A2, V0, 40, &shape(4, 16384, 4, true)).unwrap_err();
        assert!(e.0.contains("more than the 188160 B"), "{e}");
        // the single-buffered variant fits a longer row than the double-buffered one
        let v1 = Knobs {
            buffer_num: 1,
            ub_share_pct: 100,
        };
        assert!(plan(Target::A2, v1, 40, &shape(4, 8192, 2, true)).is_ok());
    }

    #[test]
    fn a5_fits_more_rows_per_tile_than_a2() {
        let s = shape(4096, 4096, 2, false);
        let a2 = plan(Target::A2, V0, 1, &s).unwrap();
        let a5 = plan(Target::A5, V0, 1, &s).unwrap();
        assert!(a5.rows_per_tile > a2.rows_per_tile);
    }

    #[test]
    fn empty_input_launches_nothing() {
        assert_eq!(
            plan(Target::A2, V0, 40, &shape(0, 128, 2, false))
                .unwrap()
                .block_dim,
            0
        );
    }
}
