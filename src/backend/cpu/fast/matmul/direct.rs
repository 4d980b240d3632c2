//! The *direct* tier (fewer than 4 x rows, FP8 or bf16 weights): each weight row is read once,
//! in its stored form, by [`simd::lane_fp8_direct`] / [`simd::lane_bf16_direct`], against x rows
//! prepared in the kernel's lane order ([`DirectRows`]).

use super::*;

/// The x rows of a few-row matmul for [`simd::lane_fp8_direct`] (prescaled, slot order) or
/// [`simd::lane_bf16_direct`] (even/odd order), from their [`ScaledRows`]: values and
/// magnitudes in the kernel's order, per-block `Σ|x|` bounds in f32, and the unscale factors.
pub(super) struct DirectRows<'a> {
    pub(super) scaled: &'a ScaledRows,
    pub(super) values: Vec<f32>,
    pub(super) magnitudes: Vec<f32>,
    pub(super) l1: Vec<f32>,
    pub(super) unscale: Vec<f64>,
}

impl<'a> DirectRows<'a> {
    /// For FP8 weights of `format`, or bf16 weights (`None`).
    pub(super) fn new(
        scaled: &'a ScaledRows,
        format: Option<Fp8Format>,
        m: usize,
        kp: usize,
    ) -> Self {
        let mut d = DirectRows {
            scaled,
            values: vec![0f32; m * kp],
            magnitudes: vec![0f32; m * kp],
            l1: scaled.l1.iter().map(|&v| f32_at_least(v)).collect(),
            unscale: vec![1.0; m],
        };
        for r in 0..m {
            let x = &scaled.values[r * kp..][..kp];
            let (out, out_abs) = (
                &mut d.values[r * kp..][..kp],
                &mut d.magnitudes[r * kp..][..kp],
            );
            d.unscale[r] = match format {
                Some(format) => simd::prescale_for(format, x, out, out_abs),
                None => {
                    simd::even_odd(x, out, out_abs);
                    1.0
                }
            };
        }
        d
    }
}

/// The direct tier for one weight row against every usable x row (`col` holds its outputs):
/// `first(r)` gives the fast sum (true units, bias included), an upper bound on `Σ|terms|` and
/// the scale sum of its underflow term, or `None` when the kernel cannot run;
/// `magnitudes(r)` the computed `Σ|terms|` for when that bound is too loose to certify. `rel`:
/// the kernel's and the reference's error bounds (see [`certify`]). Returns the masks of the
/// outputs certified and of those tried.
pub(super) fn direct_tier<O: FloatElement>(
    col: &mut [O],
    usable: &[bool],
    (rel, ref_rel): (f64, f64),
    first: impl Fn(usize) -> Option<(f64, f64, f64)>,
    magnitudes: impl Fn(usize) -> Option<f64>,
) -> (u32, u32) {
    let (mut done, mut tried) = (0u32, 0u32);
    for (r, o) in col.iter_mut().enumerate() {
        if !usable[r] {
            continue;
        }
        tried |= 1 << r;
        let Some((s, cheap, scale_sum)) = first(r) else {
            continue;
        };
        let bounded = |abs| certify::<O>(s, abs, scale_sum, rel, ref_rel);
        if let Some(v) = bounded(cheap).or_else(|| bounded(magnitudes(r)?)) {
            *o = v;
            done |= 1 << r;
        }
    }
    (done, tried)
}
