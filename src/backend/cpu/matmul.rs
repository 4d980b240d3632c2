//! Dense and weight-only matmul references: exact products (an f64 holds the product of two
//! values of at most 24 significant bits each), Neumaier-compensated f64 sums, one rounding.

use crate::formats::FloatElement;
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

/// Widens a row to f64 once, so the inner loops read plain numbers.
fn widen<T: FloatElement>(v: &[T]) -> Vec<f64> {
    v.iter().map(|x| x.to_f32() as f64).collect()
}

/// Output rows are independent: parallel over rows of x for prefill, over columns for decode.
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

/// `y = x · wᵀ`, `x [m,k]`, `w [n,k]`.
pub(crate) fn dense<T: FloatElement, O: FloatElement>(
    x: &[T],
    w: &[T],
    m: usize,
    n: usize,
    k: usize,
    out: &mut [O],
) {
    let (xf, wf) = (widen(x), widen(w));
    debug_assert_eq!(out.len(), m * n);
    for_each_output(out, n, |i, j| {
        let mut acc = CompensatedSum::default();
        for (a, b) in xf[i * k..][..k].iter().zip(&wf[j * k..][..k]) {
            acc.add(a * b);
        }
        acc.value()
    });
}

/// `y = x · dequant(w)ᵀ` with MX weights; the scale multiplies each block's exact partial sum.
pub(crate) fn weight_only<T: FloatElement, O: FloatElement>(
    x: &[T],
    w: &MxView<'_>,
    n: usize,
    k: usize,
    out: &mut [O],
) {
    let xf = widen(x);
    debug_assert_eq!(out.len() * k, x.len() * n);
    let table = w.format.table();
    let wf: Vec<f64> = w
        .elements
        .data()
        .iter()
        .map(|&b| table[b as usize] as f64)
        .collect();
    let scale_row = k.div_ceil(MX_BLOCK).div_ceil(2) * 2;
    let scales = w.scales.data();
    for_each_output(out, n, |i, j| {
        let mut acc = CompensatedSum::default();
        for (b, (xs, ws)) in xf[i * k..][..k]
            .chunks(MX_BLOCK)
            .zip(wf[j * k..][..k].chunks(MX_BLOCK))
            .enumerate()
        {
            // Scales are powers of two: multiplying each exact product by one is exact.
            let s = scales[j * scale_row + b].to_f32() as f64;
            for (a, c) in xs.iter().zip(ws) {
                acc.add(a * c * s);
            }
        }
        acc.value()
    });
}
