//! Dense and weight-only matmul references: exact products (an f64 holds the product of two
//! values of at most 24 significant bits each), Neumaier-compensated f64 sums, one rounding.
//! The per-output functions (`dense_dot`, `weight_only_dot`) are also what the fast path
//! (`super::fast::matmul`) falls back on when it cannot certify its own rounding.

use crate::formats::{FloatElement, Fp8Format, E8M0};
use crate::ops::{MxView, MX_BLOCK};
use rayon::prelude::*;

/// Neumaier's compensated sum; `naive` carries IEEE semantics for infinities and NaN.
#[derive(Default)]
pub(crate) struct CompensatedSum {
    sum: f64,
    compensation: f64,
    naive: f64,
}

impl CompensatedSum {
    /// Adds one term.
    pub(crate) fn add(&mut self, v: f64) {
        self.naive += v;
        let t = self.sum + v;
        if self.sum.abs() >= v.abs() {
            self.compensation += (self.sum - t) + v;
        } else {
            self.compensation += (v - t) + self.sum;
        }
        self.sum = t;
    }

    /// The compensated total (the plain sum when it is not finite).
    pub(crate) fn value(&self) -> f64 {
        if self.naive.is_finite() {
            self.sum + self.compensation
        } else {
            self.naive
        }
    }
}

/// Output rows are independent: parallel over every output element.
fn for_each_output<O: FloatElement>(
    out: &mut [O],
    n: usize,
    f: impl Fn(usize, usize) -> f64 + Sync,
) {
    out.par_iter_mut()
        .with_min_len(8)
        .enumerate()
        .for_each(|(idx, o)| *o = O::from_f64(f(idx / n, idx % n)));
}

/// The reference value of one dense output before rounding: the exact products (two values of
/// at most 24 significant bits each) summed with compensation.
pub(crate) fn dense_dot<T: FloatElement>(x: &[T], w: &[T]) -> f64 {
    let mut acc = CompensatedSum::default();
    for (a, b) in x.iter().zip(w) {
        acc.add(a.to_f32() as f64 * b.to_f32() as f64);
    }
    acc.value()
}

/// The reference value of one weight-only output before rounding: `x` against one weight row's
/// codes and its block scales (a scale is a power of two, so each scaled product is exact).
pub(crate) fn weight_only_dot<T: FloatElement>(
    x: &[T],
    codes: &[u8],
    scales: &[E8M0],
    format: Fp8Format,
) -> f64 {
    let table = format.table();
    let mut acc = CompensatedSum::default();
    for ((xs, ws), s) in x.chunks(MX_BLOCK).zip(codes.chunks(MX_BLOCK)).zip(scales) {
        let s = s.to_f32() as f64;
        for (a, &c) in xs.iter().zip(ws) {
            acc.add(a.to_f32() as f64 * table[c as usize] as f64 * s);
        }
    }
    acc.value()
}

/// `y = x · wᵀ`, `x [m,k]`, `w [n,k]`.
pub(crate) fn dense<T: FloatElement, O: FloatElement>(
    x: &[T],
    w: &[T],
    n: usize,
    k: usize,
    out: &mut [O],
) {
    for_each_output(out, n, |i, j| dense_dot(&x[i * k..][..k], &w[j * k..][..k]));
}

/// `y = x · dequant(w)ᵀ` with MX weights; the scale multiplies each block's exact products.
pub(crate) fn weight_only<T: FloatElement, O: FloatElement>(
    x: &[T],
    w: &MxView<'_>,
    n: usize,
    k: usize,
    out: &mut [O],
) {
    let scale_row = crate::ops::pair_scale_row(k);
    let (codes, scales) = (w.elements.data(), w.scales.data());
    for_each_output(out, n, |i, j| {
        weight_only_dot(
            &x[i * k..][..k],
            &codes[j * k..][..k],
            &scales[j * scale_row..][..scale_row],
            w.format,
        )
    });
}
