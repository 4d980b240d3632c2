//! Tiling of `rope_qk`: tokens over cores, then tokens per UB tile (all heads of a token together).

use super::{split_rows, Knobs, Target, TilingError, MAX_COPY_BLOCKS};
use crate::device::kernels::{rope_qk_ub_bytes, AkRopeQkTiling};

/// What `rope_qk` is asked to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RopeShape {
    /// Tokens.
    pub tokens: u32,
    /// Heads of q.
    pub heads_q: u32,
    /// Heads of k.
    pub heads_k: u32,
    /// Elements per head.
    pub head_dim: u32,
    /// Rotated leading dims (even, <= head_dim).
    pub rotary_dim: u32,
    /// Bytes per element (2 or 4).
    pub elem_bytes: u32,
}

/// The plan: launch geometry and tiling fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RopePlan {
    /// Cores to launch (0: nothing to do).
    pub block_dim: u32,
    /// Tokens of every core but the last.
    pub rows_per_core: u32,
    /// Tokens per UB tile.
    pub rows_per_tile: u32,
    /// UB bytes one core allocates.
    pub ub_bytes: u32,
}

/// UB bytes the kernel allocates for `rows` tokens per tile: the sum of its buffers as declared in
/// its description (`codegen/src/kernels/rope_qk.rs`), the declarations its `InitBuffer` plan
/// (`ascendc/kernels/rope_qk/rope_qk_ub.h`) is generated from.
pub fn ub_usage(knobs: Knobs, s: &RopeShape, rows: u32) -> u64 {
    // only the fields the buffer sizes read; the element size is given directly
    let tiling = AkRopeQkTiling {
        heads_q: s.heads_q,
        heads_k: s.heads_k,
        head_dim: s.head_dim,
        rotary_dim: s.rotary_dim,
        rows_per_tile: rows,
        ..AkRopeQkTiling::default()
    };
    // no buffer of rope_qk depends on the target
    rope_qk_ub_bytes(&tiling, Target::A2, knobs.buffer_num, s.elem_bytes)
}

/// Plans `rope_qk` for `target` and a variant's `knobs` on at most `cores` cores.
pub fn plan(
    target: Target,
    knobs: Knobs,
    cores: u32,
    s: &RopeShape,
) -> Result<RopePlan, TilingError> {
    if !matches!(s.elem_bytes, 2 | 4) {
        return Err(TilingError("rope_qk: 16- or 32-bit elements only".into()));
    }
    if s.rotary_dim == 0 || s.rotary_dim % 2 != 0 || s.rotary_dim > s.head_dim {
        return Err(TilingError(format!(
            "rope_qk: rotary_dim {} must be even, > 0 and <= head_dim",
            s.rotary_dim
        )));
    }
    let (block_dim, rows_per_core) = split_rows(s.tokens, cores);
    if block_dim == 0 || s.heads_q.max(s.heads_k) == 0 {
        return Ok(RopePlan {
            block_dim: 0,
            rows_per_core: 0,
            rows_per_tile: 0,
            ub_bytes: 0,
        });
    }
    let budget = u64::from(knobs.ub_budget(target));
    if ub_usage(knobs, s, 1) > budget {
        return Err(TilingError(format!(
            "rope_qk: one token's heads need more than the {budget} B UB budget on {target}"
        )));
    }
    let heads = s.heads_q.max(s.heads_k);
    let cap = rows_per_core.min(MAX_COPY_BLOCKS / heads).max(1);
    let (mut lo, mut hi) = (1u32, cap);
    while lo < hi {
        let mid = lo + (hi - lo).div_ceil(2);
        if ub_usage(knobs, s, mid) <= budget {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    Ok(RopePlan {
        block_dim,
        rows_per_core,
        rows_per_tile: lo,
        ub_bytes: ub_usage(knobs, s, lo) as u32,
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
        let closed_form = |k: Knobs, s: &RopeShape, rows: u32| -> u64 {
            let b = |n: u64| n.div_ceil(32) * 32;
            let e = u64::from(s.elem_bytes);
            let per_block = BLOCK_BYTES / s.elem_bytes;
            let half = s.rotary_dim / 2;
            let heads = u64::from(s.heads_q.max(s.heads_k));
            let n = u64::from(rows) * heads * u64::from(align_up(half, per_block));
            let cs = u64::from(rows) * u64::from(align_up(half, 8));
            let pass = s.head_dim - s.rotary_dim;
            let buf = u64::from(k.buffer_num);
            let mut total = buf * (4 * b(n * e) + 2 * b(cs * 4)) + 6 * b(n * 4) + b(n * e);
            if pass > 0 {
                total += b(u64::from(rows) * heads * u64::from(align_up(pass, per_block)) * e);
            }
            total
        };
        for buffer_num in [1, 2] {
            let k = Knobs {
                buffer_num,
                ub_share_pct: 100,
            };
            for (hq, hk, hd, rd) in [
                (64, 8, 128, 128),
                (2, 3, 64, 32),
                (1, 1, 10, 6),
                (5, 2, 80, 64),
            ] {
                for e in [2, 4] {
                    for rows in [1, 2, 7, 64] {
                        let s = RopeShape {
                            tokens: 100,
                            heads_q: hq,
                            heads_k: hk,
                            head_dim: hd,
                            rotary_dim: rd,
                            elem_bytes: e,
                        };
                        assert_eq!(
                            ub_usage(k, &s, rows),
                            closed_form(k, &s, rows),
                            "{s:?} {rows}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn qwen3_shapes_fit() {
        let v0 = Knobs {
            buffer_num: 2,
            ub_share_pct: 100,
        };
        for t in Target::ALL {
            let s = RopeShape {
                tokens: 100,
                heads_q: 64,
                heads_k: 8,
                head_dim: 128,
                rotary_dim: 128,
                elem_bytes: 2,
            };
            let p = plan(t, v0, t.vector_cores(), &s).unwrap();
            assert!(p.ub_bytes <= t.ub_bytes() && p.rows_per_tile >= 1);
        }
    }
}
