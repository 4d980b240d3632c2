//! RoPE reference (NeoX / half rotation), per `docs/numerics.md` ("rope_qk").
//!
//! HF rounding (default): `c = round(cos)`, `s = round(sin)`,
//! `o1 = round(round(x1*c) - round(x2*s))`, `o2 = round(round(x2*c) + round(x1*s))`, each
//! product and sum an f32 operation on dtype values rounded back to the dtype, as torch does in
//! bf16. `F32Compute`: `o1 = round(x1*cos - x2*sin)` with f32 cos/sin and f32 arithmetic.
//! Ascend (`npu_rotary_mul`, `ApplyRotaryPosEmb`): `c`, `s` rounded to the dtype, the products
//! and the sum in f32, one rounding (ties away from zero for `ApplyRotaryPosEmb` on bf16).

use crate::formats::{DType, FloatElement};
use crate::ops::{RopeCache, RopeMode, RopeOptions};
use rayon::prelude::*;

/// How one pair is rotated: the arithmetic of a mode for element type `T`.
#[derive(Clone, Copy)]
enum Arithmetic {
    /// Every product and sum rounded to `T` (HF; ApplyRotaryPosEmb on f16).
    RoundEach,
    /// f32 products and sum, one rounding; cos/sin rounded to `T` first when `dtype_cos_sin`,
    /// the final rounding ties away from zero when `ties_away`.
    F32 {
        dtype_cos_sin: bool,
        ties_away: bool,
    },
}

fn arithmetic<T: FloatElement>(mode: RopeMode) -> Arithmetic {
    match mode {
        RopeMode::Hf => Arithmetic::RoundEach,
        RopeMode::F32Compute => Arithmetic::F32 {
            dtype_cos_sin: false,
            ties_away: false,
        },
        RopeMode::AscendRotaryMul => Arithmetic::F32 {
            dtype_cos_sin: true,
            ties_away: false,
        },
        RopeMode::AscendApplyRotaryPosEmb if T::DTYPE == DType::F16 => Arithmetic::RoundEach,
        RopeMode::AscendApplyRotaryPosEmb => Arithmetic::F32 {
            dtype_cos_sin: true,
            ties_away: true,
        },
    }
}

/// `(o1, o2)` of the pair `(x1, x2)` rotated by `(cos, sin)`.
pub(crate) fn rotate_pair<T: FloatElement>(
    x1: T,
    x2: T,
    cos: f32,
    sin: f32,
    mode: RopeMode,
) -> (T, T) {
    let r = |v: f32| T::from_f32(v).to_f32();
    let (x1, x2) = (x1.to_f32(), x2.to_f32());
    match arithmetic::<T>(mode) {
        Arithmetic::RoundEach => {
            let (c, s) = (r(cos), r(sin));
            (
                T::from_f32(r(x1 * c) - r(x2 * s)),
                T::from_f32(r(x2 * c) + r(x1 * s)),
            )
        }
        Arithmetic::F32 {
            dtype_cos_sin,
            ties_away,
        } => {
            let (c, s) = if dtype_cos_sin {
                (r(cos), r(sin))
            } else {
                (cos, sin)
            };
            let (o1, o2) = (x1 * c - x2 * s, x2 * c + x1 * s);
            if ties_away {
                (T::from_f32_ties_away(o1), T::from_f32_ties_away(o2))
            } else {
                (T::from_f32(o1), T::from_f32(o2))
            }
        }
    }
}

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
    x.par_chunks_mut(per_token)
        .zip(positions.par_iter())
        .for_each(|(token, &p)| {
            let row = cache
                .row(p)
                .expect("ops::rope_qk checks that the cache covers every position");
            let (cos, sin) = row.split_at(half);
            for head in token.chunks_mut(d) {
                for i in 0..half {
                    let (o1, o2) =
                        rotate_pair(head[i], head[i + half], cos[i], sin[i], options.mode);
                    head[i] = o1;
                    head[i + half] = o2;
                }
            }
        });
}

#[cfg(test)]
mod tests {
    use super::*;
    use half::{bf16, f16};

    #[test]
    fn ties_away_rounds_halfway_cases_up_in_magnitude() {
        // 1 + 2^-8 is halfway between bf16 1 and 1 + 2^-7: RNE gives 1, ties-away 1 + 2^-7
        let v = 1.0 + 2f32.powi(-8);
        assert_eq!(bf16::from_f32(v).to_f32(), 1.0);
        assert_eq!(bf16::from_f32_ties_away(v).to_f32(), 1.0 + 2f32.powi(-7));
        assert_eq!(
            bf16::from_f32_ties_away(-v).to_f32(),
            -(1.0 + 2f32.powi(-7))
        );
        // 1 + 3·2^-8 is halfway too; RNE goes up to the even 1 + 2^-6 and so does ties-away
        let w = 1.0 + 3.0 * 2f32.powi(-8);
        assert_eq!(bf16::from_f32_ties_away(w), bf16::from_f32(w));
        // not a tie: nearest either way
        let u = 1.0 + 2f32.powi(-8) + 2f32.powi(-20);
        assert_eq!(bf16::from_f32_ties_away(u), bf16::from_f32(u));
        assert!(bf16::from_f32_ties_away(f32::NAN).is_nan());
        assert_eq!(bf16::from_f32_ties_away(f32::MAX).to_f32(), f32::INFINITY);
        let h = 1.0 + 2f32.powi(-11);
        assert_eq!(f16::from_f32(h).to_f32(), 1.0);
        assert_eq!(f16::from_f32_ties_away(h).to_f32(), 1.0 + 2f32.powi(-10));
        assert_eq!(
            f16::from_f32_ties_away(-h).to_f32(),
            -(1.0 + 2f32.powi(-10))
        );
        assert_eq!(f16::from_f32_ties_away(0.3), f16::from_f32(0.3));
    }

    #[test]
    fn ascend_rotary_mul_rounds_cos_sin_then_once() {
        let (x1, x2) = (bf16::from_f32(1.5), bf16::from_f32(-0.75));
        let (c, s) = (0.1f32, 0.2f32);
        let (cb, sb) = (bf16::from_f32(c).to_f32(), bf16::from_f32(s).to_f32());
        let (o1, o2) = rotate_pair(x1, x2, c, s, RopeMode::AscendRotaryMul);
        assert_eq!(o1, bf16::from_f32(1.5 * cb + 0.75 * sb));
        assert_eq!(o2, bf16::from_f32(-0.75 * cb + 1.5 * sb));
    }
}
