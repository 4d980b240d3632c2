//! The MX matmul reference: exact block dot products, compensated f64 across blocks, one
//! final rounding.

use super::matmul::CompensatedSum;
use crate::formats::{FloatElement, Fp8Format};
use crate::ops::{MxView, MX_BLOCK};
use rayon::prelude::*;

/// An FP8 operand as integers: `value = int * 2^-shift`, exact for every finite code.
struct IntOperand<'a> {
    ints: Vec<i64>,
    /// True where the code is NaN or Inf.
    non_finite: Vec<bool>,
    shift: i32,
    format: Fp8Format,
    bytes: &'a [u8],
}

/// `2^shift` makes every finite code an integer: the smallest subnormal is 2^-9 (E4M3) or
/// 2^-16 (E5M2).
fn int_shift(format: Fp8Format) -> i32 {
    match format {
        Fp8Format::E4M3 => 9,
        Fp8Format::E5M2 => 16,
    }
}

impl<'a> IntOperand<'a> {
    fn new(format: Fp8Format, bytes: &'a [u8]) -> Self {
        let shift = int_shift(format);
        let table = format.table();
        let lut: Vec<(i64, bool)> = (0..256)
            .map(|b| {
                let v = table[b];
                if v.is_finite() {
                    // Exact: |v| * 2^shift is an integer below 2^32.
                    ((v as f64 * 2f64.powi(shift)) as i64, false)
                } else {
                    (0, true)
                }
            })
            .collect();
        IntOperand {
            ints: bytes.iter().map(|&b| lut[b as usize].0).collect(),
            non_finite: bytes.iter().map(|&b| lut[b as usize].1).collect(),
            shift,
            format,
            bytes,
        }
    }
}

/// `y[m,n]` for rows `m` of x and `n` of w; shapes validated by the caller.
pub(crate) fn matmul<O: FloatElement>(
    x: &MxView<'_>,
    w: &MxView<'_>,
    bias: Option<&[f32]>,
    m: usize,
    n: usize,
    k: usize,
    out: &mut [O],
) {
    let xi = IntOperand::new(x.format, x.elements.data());
    let wi = IntOperand::new(w.format, w.elements.data());
    let nb = k.div_ceil(MX_BLOCK);
    let scale_row = nb.div_ceil(2) * 2;
    let (sx, sw) = (x.scales.data(), w.scales.data());
    debug_assert_eq!(out.len(), m * n);
    out.par_iter_mut()
        .with_min_len(16)
        .enumerate()
        .for_each(|(idx, o)| {
            let (row, col) = (idx / n, idx % n);
            let mut acc = CompensatedSum::default();
            for j in 0..nb {
                let lo = row * k + j * MX_BLOCK;
                let wlo = col * k + j * MX_BLOCK;
                let len = MX_BLOCK.min(k - j * MX_BLOCK);
                let (ex, ew) = (sx[row * scale_row + j], sw[col * scale_row + j]);
                let block = block_value(&xi, &wi, lo, wlo, len, ex.exponent(), ew.exponent());
                match block {
                    BlockValue::Exact(hi, lo) => {
                        acc.add(hi);
                        acc.add(lo);
                    }
                    BlockValue::Float(v) => acc.add(v),
                }
            }
            if let Some(b) = bias {
                acc.add(b[col] as f64);
            }
            *o = O::from_f64(acc.value());
        });
}

enum BlockValue {
    /// The exact block value as `hi + lo` (two f64s whose sum is exact).
    Exact(f64, f64),
    /// A block with a NaN/Inf element or a NaN scale, in IEEE f64 arithmetic.
    Float(f64),
}

fn block_value(
    x: &IntOperand<'_>,
    w: &IntOperand<'_>,
    x_start: usize,
    w_start: usize,
    len: usize,
    x_exp: Option<i32>,
    w_exp: Option<i32>,
) -> BlockValue {
    let xs = x_start..x_start + len;
    let ws = w_start..w_start + len;
    let special =
        x.non_finite[xs.clone()].iter().any(|&f| f) || w.non_finite[ws.clone()].iter().any(|&f| f);
    let (Some(ex), Some(ew)) = (x_exp, w_exp) else {
        return BlockValue::Float(f64::NAN);
    };
    let scale = 2f64.powi(ex + ew);
    if special {
        let (tx, tw) = (x.format.table(), w.format.table());
        let dot: f64 = x.bytes[xs]
            .iter()
            .zip(&w.bytes[ws])
            .map(|(&a, &b)| tx[a as usize] as f64 * tw[b as usize] as f64)
            .sum();
        return BlockValue::Float(dot * scale);
    }
    let dot: i128 = x.ints[xs]
        .iter()
        .zip(&w.ints[ws])
        .map(|(&a, &b)| a as i128 * b as i128)
        .sum();
    // |dot| < 2^69, so hi carries the top 53 bits and lo the rest exactly.
    let hi = dot as f64;
    let lo = (dot - hi as i128) as f64;
    let unit = scale * 2f64.powi(-(x.shift + w.shift));
    BlockValue::Exact(hi * unit, lo * unit)
}
