//! The MX matmul reference: exact block dot products, compensated f64 across blocks, one
//! final rounding. [`mx_dot`] is one output before rounding; the fast path
//! (`super::fast::matmul`) falls back on it when it cannot certify its own rounding.

use super::matmul::CompensatedSum;
use crate::formats::{FloatElement, Fp8Format, E8M0};
use crate::ops::{MxView, MX_BLOCK};
use rayon::prelude::*;

/// `2^shift` makes every finite code an integer: the smallest subnormal is 2^-9 (E4M3) or
/// 2^-16 (E5M2).
fn int_shift(format: Fp8Format) -> i32 {
    match format {
        Fp8Format::E4M3 => 9,
        Fp8Format::E5M2 => 16,
    }
}

/// A code as `int * 2^-shift` (exact: below 2^32), or `None` for NaN/Inf codes.
fn as_int(format: Fp8Format, code: u8) -> Option<i64> {
    let v = format.table()[code as usize];
    v.is_finite()
        .then(|| (v as f64 * 2f64.powi(int_shift(format))) as i64)
}

/// One row of an MX operand: codes, their format and the row's block scales.
pub(crate) struct MxRow<'a> {
    /// FP8 codes, `K` of them.
    pub codes: &'a [u8],
    /// Block scales (at least `ceil(K/32)`; a pair pad byte is never read).
    pub scales: &'a [E8M0],
    /// Element format.
    pub format: Fp8Format,
}

/// One output before rounding: `Σ_j dot_j · sx_j · sw_j (+ bias)`.
pub(crate) fn mx_dot(x: &MxRow<'_>, w: &MxRow<'_>, bias: Option<f32>) -> f64 {
    let mut acc = CompensatedSum::default();
    let blocks = x.codes.chunks(MX_BLOCK).zip(w.codes.chunks(MX_BLOCK));
    for (j, (xb, wb)) in blocks.enumerate() {
        match block_value(x.format, xb, x.scales[j], w.format, wb, w.scales[j]) {
            BlockValue::Exact(hi, lo) => {
                acc.add(hi);
                acc.add(lo);
            }
            BlockValue::Float(v) => acc.add(v),
        }
    }
    if let Some(b) = bias {
        acc.add(b as f64);
    }
    acc.value()
}

/// `y[m,n]` for rows `m` of x and `n` of w; shapes validated by the caller.
#[cfg_attr(not(test), allow(dead_code))] // the spec; the fast path is tested against it
pub(crate) fn matmul<'a, O: FloatElement>(
    x: &MxView<'a>,
    w: &MxView<'a>,
    bias: Option<&[f32]>,
    m: usize,
    n: usize,
    k: usize,
    out: &mut [O],
) {
    let scale_row = crate::ops::pair_scale_row(k);
    debug_assert_eq!(out.len(), m * n);
    let row = |v: &MxView<'a>, r: usize| MxRow {
        codes: &v.elements.data()[r * k..][..k],
        scales: &v.scales.data()[r * scale_row..][..scale_row],
        format: v.format,
    };
    out.par_iter_mut()
        .with_min_len(16)
        .enumerate()
        .for_each(|(idx, o)| {
            let (r, c) = (idx / n, idx % n);
            *o = O::from_f64(mx_dot(&row(x, r), &row(w, c), bias.map(|b| b[c])));
        });
}

enum BlockValue {
    /// The exact block value as `hi + lo` (two f64s whose sum is exact).
    Exact(f64, f64),
    /// A block with a NaN/Inf element or a NaN scale, in IEEE f64 arithmetic.
    Float(f64),
}

fn block_value(xf: Fp8Format, x: &[u8], sx: E8M0, wf: Fp8Format, w: &[u8], sw: E8M0) -> BlockValue {
    let (Some(ex), Some(ew)) = (sx.exponent(), sw.exponent()) else {
        return BlockValue::Float(f64::NAN);
    };
    let scale = 2f64.powi(ex + ew);
    let mut dot: i128 = 0;
    for (&a, &b) in x.iter().zip(w) {
        match (as_int(xf, a), as_int(wf, b)) {
            (Some(a), Some(b)) => dot += a as i128 * b as i128,
            _ => {
                let (tx, tw) = (xf.table(), wf.table());
                let v: f64 = x
                    .iter()
                    .zip(w)
                    .map(|(&a, &b)| tx[a as usize] as f64 * tw[b as usize] as f64)
                    .sum();
                return BlockValue::Float(v * scale);
            }
        }
    }
    // |dot| < 2^69, so hi carries the top 53 bits and lo the rest exactly.
    let hi = dot as f64;
    let lo = (dot - hi as i128) as f64;
    let unit = scale * 2f64.powi(-(int_shift(xf) + int_shift(wf)));
    BlockValue::Exact(hi * unit, lo * unit)
}
