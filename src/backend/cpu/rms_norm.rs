//! RMSNorm reference, in the HF modes and the Ascend modes (`docs/numerics.md`, "rms_norm").
//!
//! HF (`Qwen3RMSNorm`): the mean square is summed in f64 and rounded once to f32 (a sum beyond
//! the f32 range is +inf, as in f32); `eps` is added in f32; the reciprocal square root is
//! computed in f64 and rounded to f32; `x * r` is an f32 product; then either
//! `round(round(x * r) * w)` (HF) or `round(x * r * w)` with f32 products (`WeightInF32`).
//!
//! Ascend (hicann/ops-nn `rms_norm` and `add_rms_norm` kernels): the same f64 sum of squares
//! rounded to f32 stands for the kernel's f32 reduction (whose order is the one thing not
//! reproduced); from there every step is the kernel's f32 arithmetic: `mean = S · f32(1/H)`,
//! `+ eps`, then `1 / sqrt` (Atlas A2/A3: two roundings) or the Ascend 950's Newton-Raphson
//! refinement with fused multiply-adds ([`rstd_newton_raphson`]).

use super::min_rows_per_task;
use crate::formats::FloatElement;
use crate::ops::{AddRmsNormMode, RmsNormMode, RmsNormOptions};
use rayon::prelude::*;

/// The f32 value of a sum of squares computed in f64: beyond the f32 range it is +inf, as the
/// f32 sums of HF and the NPU are.
fn sum_to_f32(sum_sq: f64) -> f32 {
    if sum_sq > f32::MAX as f64 {
        f32::INFINITY
    } else {
        sum_sq as f32
    }
}

/// `Σ v²` of a row of f32 values, each square an f32 product (exact for bf16/f16 inputs),
/// summed in f64.
fn sum_squares_f32(row: impl Iterator<Item = f32>) -> f64 {
    row.map(|v| (v * v) as f64).sum()
}

/// The HF per-row factor `r = 1 / sqrt(mean(x^2) + eps)` as an f32, correctly rounded.
pub(crate) fn inv_rms<T: FloatElement>(row: &[T], eps: f32) -> f32 {
    let sum_sq: f64 = row
        .iter()
        .map(|v| {
            let v = v.to_f32() as f64;
            v * v
        })
        .sum();
    // HF and the NPU hold the sum of squares in f32: past the f32 range it is +inf, so r = 0
    // and the outputs are ±0 (NaN for infinite inputs), whatever the mean would be in f64.
    let mean_sq = if sum_sq > f32::MAX as f64 {
        f32::INFINITY
    } else {
        (sum_sq / row.len() as f64) as f32
    };
    (1.0 / ((mean_sq + eps) as f64).sqrt()) as f32
}

/// `f32(1/H)`, the kernels' `avgFactor`.
fn avg_factor(h: usize) -> f32 {
    1.0f32 / h as f32
}

/// The Atlas A2/A3 reciprocal square root: `1 / sqrt(var)` with the square root and the
/// division each rounded to f32 (ops-nn `rms_norm.h`: `1 / sqrt(reduceOut * avg_factor +
/// epsilon)`; `add_rms_norm.h`: `Sqrt` then `Div`).
pub(crate) fn rstd_sqrt_div(var: f32) -> f32 {
    1.0f32 / var.sqrt()
}

/// The Ascend 950's reciprocal square root (ops-nn `norm_common/op_kernel/
/// reduce_common_regbase.h`, `ComputeRstdNewtonRaphsonReg`): `y = sqrt(1/var)` refined by one
/// Newton step and a residual correction, every `Mula`/`MulAddDst` a fused multiply-add (the
/// residual `1 - var·r` only means something fused), `var == +inf` giving 0 and `var == 0`
/// giving +inf. Equal to the correctly rounded `1/sqrt(var)` on all but 4 of the 2^25 f32
/// values of `[0.25, 4)` (`docs/numerics.md`).
pub(crate) fn rstd_newton_raphson(var: f32) -> f32 {
    let r = 1.0f32 / var;
    let y = r.sqrt();
    let t = (var * -0.5) * y;
    let t1 = t.mul_add(y, 1.5);
    let rstd = y * t1;
    let s = (-var).mul_add(r, 1.0);
    let r = (-rstd).mul_add(rstd, r);
    let s = var.mul_add(r, s);
    let s = s * rstd;
    let rstd = s.mul_add(0.5, rstd);
    if var == f32::INFINITY {
        0.0
    } else if var == 0.0 {
        f32::INFINITY
    } else {
        rstd
    }
}

/// The per-row factor of an Ascend mode from the row's f32 values (`x`, or the f32 sum of the
/// 950's AddRmsNorm): `mean = f32(S) · f32(1/H)`, `var = mean + eps`, then the mode's
/// reciprocal square root. `scale_first` is the A2/A3 AddRmsNorm order, which scales every
/// square by `1/H` before the sum.
fn ascend_rstd(
    values: impl Iterator<Item = f32> + Clone,
    h: usize,
    eps: f32,
    newton_raphson: bool,
    scale_first: bool,
) -> f32 {
    let avg = avg_factor(h);
    let mean = if scale_first {
        sum_to_f32(values.map(|v| ((v * v) * avg) as f64).sum())
    } else {
        sum_to_f32(sum_squares_f32(values)) * avg
    };
    let var = mean + eps;
    if newton_raphson {
        rstd_newton_raphson(var)
    } else {
        rstd_sqrt_div(var)
    }
}

/// The per-row factor of `row` in `mode`.
pub(crate) fn row_rstd<T: FloatElement>(row: &[T], eps: f32, mode: RmsNormMode) -> f32 {
    let values = row.iter().map(|v| v.to_f32());
    match mode {
        RmsNormMode::Hf | RmsNormMode::WeightInF32 => inv_rms(row, eps),
        RmsNormMode::AscendA2 => ascend_rstd(values, row.len(), eps, false, false),
        RmsNormMode::Ascend950 => ascend_rstd(values, row.len(), eps, true, false),
    }
}

/// `y` of one element: HF rounds `x·r` to `T` before the weight multiply; the other modes
/// round once after `(x·r)·w`.
fn normalize<T: FloatElement>(v: f32, r: f32, w: f32, round_before_weight: bool) -> T {
    let normed = v * r;
    if round_before_weight {
        T::from_f32(T::from_f32(normed).to_f32() * w)
    } else {
        T::from_f32(normed * w)
    }
}

/// Normalizes rows of length `h`; writes the per-row factors to `rstd` when given.
pub(crate) fn rms_norm<T: FloatElement>(
    x: &[T],
    weight: &[T],
    h: usize,
    options: &RmsNormOptions,
    out: &mut [T],
    rstd: Option<&mut [f32]>,
) {
    let round_before_weight = options.mode == RmsNormMode::Hf;
    let run = |row: &[T], out_row: &mut [T]| {
        let r = row_rstd(row, options.eps, options.mode);
        for ((o, v), w) in out_row.iter_mut().zip(row).zip(weight) {
            *o = normalize(v.to_f32(), r, w.to_f32(), round_before_weight);
        }
        r
    };
    match rstd {
        Some(rstd) => x
            .par_chunks(h)
            .zip(out.par_chunks_mut(h))
            .zip(rstd.par_iter_mut())
            .with_min_len(min_rows_per_task(h))
            .for_each(|((row, out_row), r)| *r = run(row, out_row)),
        None => x
            .par_chunks(h)
            .zip(out.par_chunks_mut(h))
            .with_min_len(min_rows_per_task(h))
            .for_each(|(row, out_row)| {
                run(row, out_row);
            }),
    }
}

/// `out = round(x + residual)` element-wise: an f32 sum rounded to `T`, as torch adds bf16.
pub(crate) fn add<T: FloatElement>(x: &[T], residual: &[T], out: &mut [T]) {
    out.par_iter_mut()
        .with_min_len(4096)
        .zip(x.par_iter().zip(residual.par_iter()))
        .for_each(|(o, (a, b))| *o = T::from_f32(a.to_f32() + b.to_f32()));
}

/// Outputs of [`add_rms_norm`], flattened: `y` and `x` of the input's length, `rstd` one per row.
pub(crate) struct AddRmsNormBuffers<'a, T> {
    pub y: &'a mut [T],
    pub rstd: &'a mut [f32],
    pub x: &'a mut [T],
}

/// Add + RMSNorm in `mode` (`docs/numerics.md`, "add_rms_norm"):
/// - `Hf`: `x = round(x1 + x2)`, then the HF norm of `x`;
/// - `AscendA2` (AddRmsNorm on Atlas A2/A3): the same `x`, squares scaled by `1/H` before the
///   sum, `1/sqrt` in two roundings, `y = round(round(x·r)·w)`;
/// - `Ascend950`: the f32 sum `s = x1 + x2` is normalized (`x = round(s)` is only an output),
///   Newton-Raphson `r`, `y = round((s·r)·w)`.
pub(crate) fn add_rms_norm<T: FloatElement>(
    x1: &[T],
    x2: &[T],
    weight: &[T],
    h: usize,
    eps: f32,
    mode: AddRmsNormMode,
    out: AddRmsNormBuffers<'_, T>,
) {
    x1.par_chunks(h)
        .zip(x2.par_chunks(h))
        .zip(out.y.par_chunks_mut(h))
        .zip(out.x.par_chunks_mut(h))
        .zip(out.rstd.par_iter_mut())
        .with_min_len(min_rows_per_task(h))
        .for_each(|((((a, b), y), x), r)| {
            for ((o, p), q) in x.iter_mut().zip(a).zip(b) {
                *o = T::from_f32(p.to_f32() + q.to_f32());
            }
            match mode {
                AddRmsNormMode::Hf | AddRmsNormMode::AscendA2 => {
                    *r = if mode == AddRmsNormMode::Hf {
                        inv_rms(x, eps)
                    } else {
                        ascend_rstd(x.iter().map(|v| v.to_f32()), h, eps, false, true)
                    };
                    for ((o, v), w) in y.iter_mut().zip(x.iter()).zip(weight) {
                        *o = normalize(v.to_f32(), *r, w.to_f32(), true);
                    }
                }
                AddRmsNormMode::Ascend950 => {
                    let sums = a.iter().zip(b).map(|(p, q)| p.to_f32() + q.to_f32());
                    *r = ascend_rstd(sums.clone(), h, eps, true, false);
                    for ((o, s), w) in y.iter_mut().zip(sums).zip(weight) {
                        *o = normalize(s, *r, w.to_f32(), false);
                    }
                }
            }
        });
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The correctly rounded `1/sqrt(v)`.
    fn rsqrt_cr(v: f32) -> f32 {
        (1.0 / (v as f64).sqrt()) as f32
    }

    #[test]
    fn newton_raphson_is_nearly_the_correctly_rounded_rsqrt() {
        // every 97th f32 of [0.25, 4): the refinement misses the correctly rounded value on
        // 4 of all 2^25 values there (measured exhaustively, docs/numerics.md)
        let (lo, hi) = (0.25f32.to_bits(), 4.0f32.to_bits());
        let mut misses = 0;
        let mut n = 0;
        for bits in (lo..hi).step_by(97) {
            let v = f32::from_bits(bits);
            n += 1;
            misses += (rstd_newton_raphson(v) != rsqrt_cr(v)) as usize;
        }
        assert!(n > 300_000);
        assert!(misses <= 1, "{misses} misses");
        assert_eq!(rstd_newton_raphson(f32::INFINITY), 0.0);
        assert_eq!(rstd_newton_raphson(0.0), f32::INFINITY);
        assert!(rstd_newton_raphson(f32::NAN).is_nan());
    }

    #[test]
    fn sqrt_then_divide_differs_from_the_correctly_rounded_rsqrt() {
        // 1/sqrt in two roundings is off by an ulp on about a quarter of the values
        let (lo, hi) = (0.25f32.to_bits(), 4.0f32.to_bits());
        let differ = (lo..hi)
            .step_by(101)
            .filter(|&b| {
                let v = f32::from_bits(b);
                rstd_sqrt_div(v) != rsqrt_cr(v)
            })
            .count();
        let n = (lo..hi).step_by(101).count();
        assert!(differ * 5 > n && differ * 3 < n, "{differ} of {n}");
    }
}
