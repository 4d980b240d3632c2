//! RoPE reference (NeoX / half rotation).
//!
//! HF rounding (default): `c = round(cos)`, `s = round(sin)`,
//! `o1 = round(round(x1*c) - round(x2*s))`, `o2 = round(round(x2*c) + round(x1*s))`, each
//! product and sum an f32 operation on dtype values rounded back to the dtype, as torch does in
//! bf16. `f32_compute`: `o1 = round(x1*cos - x2*sin)` with f32 cos/sin and f32 arithmetic.

use crate::formats::FloatElement;
use crate::ops::{RopeCache, RopeOptions};
use rayon::prelude::*;

/// Rotates, in place, every head of `x [T, heads, d]` (token-major) by its token's position.
pub(crate) fn apply<T: FloatElement>(
    x: &mut [T],
    d: usize,
    positions: &[i64],
    cache: &RopeCache,
    options: &RopeOptions,
) {
    let tokens = positions.len();
    if tokens == 0 || x.is_empty() {
        return;
    }
    let per_token = x.len() / tokens;
    let half = cache.rotary_dim() / 2;
    let r = |v: f32| T::from_f32(v).to_f32();
    x.par_chunks_mut(per_token)
        .zip(positions.par_iter())
        .for_each(|(token, &p)| {
            let row = cache
                .row(p)
                .expect("ops::rope_qk checks that the cache covers every position");
            let (cos, sin) = row.split_at(half);
            for head in token.chunks_mut(d) {
                for i in 0..half {
                    let (x1, x2) = (head[i].to_f32(), head[i + half].to_f32());
                    let (o1, o2) = if options.f32_compute {
                        (x1 * cos[i] - x2 * sin[i], x2 * cos[i] + x1 * sin[i])
                    } else {
                        let (c, s) = (r(cos[i]), r(sin[i]));
                        (r(x1 * c) - r(x2 * s), r(x2 * c) + r(x1 * s))
                    };
                    head[i] = T::from_f32(o1);
                    head[i + half] = T::from_f32(o2);
                }
            }
        });
}
