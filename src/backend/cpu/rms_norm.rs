//! RMSNorm reference.
//!
//! Rounding points (`docs/numerics.md`, "rms_norm"): the mean square is summed in f64 and
//! rounded once to f32 (a sum beyond the f32 range is +inf, as in f32); `eps` is added in f32;
//! the reciprocal square root is computed in f64 and rounded to f32; `x * r` is an f32 product;
//! then either `round(round(x * r) * w)` (HF) or `round(x * r * w)` with f32 products
//! (`weight_in_f32`).

use super::min_rows_per_task;
use crate::formats::FloatElement;
use crate::ops::RmsNormOptions;
use rayon::prelude::*;

/// The per-row factor `r = 1 / sqrt(mean(x^2) + eps)` as an f32.
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

/// Normalizes rows of length `h`.
pub(crate) fn rms_norm<T: FloatElement>(
    x: &[T],
    weight: &[T],
    h: usize,
    options: &RmsNormOptions,
    out: &mut [T],
) {
    x.par_chunks(h)
        .zip(out.par_chunks_mut(h))
        .with_min_len(min_rows_per_task(h))
        .for_each(|(row, out_row)| {
            let r = inv_rms(row, options.eps);
            for ((o, v), w) in out_row.iter_mut().zip(row).zip(weight) {
                let normed = v.to_f32() * r;
                *o = if options.weight_in_f32 {
                    T::from_f32(normed * w.to_f32())
                } else {
                    T::from_f32(T::from_f32(normed).to_f32() * w.to_f32())
                };
            }
        });
}

/// `out = round(x + residual)` element-wise: an f32 sum rounded to `T`, as torch adds bf16.
pub(crate) fn add<T: FloatElement>(x: &[T], residual: &[T], out: &mut [T]) {
    out.par_iter_mut()
        .with_min_len(4096)
        .zip(x.par_iter().zip(residual.par_iter()))
        .for_each(|(o, (a, b))| *o = T::from_f32(a.to_f32() + b.to_f32()));
}
