//! Vectorizable forms of the element-wise references (FP8 block dequantization, RMSNorm,
//! the residual add) for bf16 data: the same f32 operations per element as the reference,
//! written branch-free and compiled for AVX2 when the CPU has it, so they are bit-identical
//! by construction. The one reduction (RMSNorm's sum of squares) is summed in a different
//! order and certified: see [`inv_rms`].

use crate::backend::cpu::min_rows_per_task;
use crate::backend::cpu::rms_norm as reference;
use crate::formats::{FloatElement, E4M3};
use crate::ops::RmsNormOptions;
use half::bf16;
use rayon::prelude::*;

/// `bf16::from_f32` without branches: round to nearest even, NaN kept quiet with its top
/// payload bits (what the `half` crate does).
#[inline(always)]
pub(crate) fn bf16_bits(v: f32) -> u16 {
    let x = v.to_bits();
    let rounded = x.wrapping_add(0x7FFF + ((x >> 16) & 1)) >> 16;
    let quiet_nan = (x >> 16) | 0x40;
    (if x & 0x7FFF_FFFF > 0x7F80_0000 {
        quiet_nan
    } else {
        rounded
    }) as u16
}

#[inline(always)]
fn widen(bits: u16) -> f32 {
    f32::from_bits((bits as u32) << 16)
}

/// Runs `f` compiled for AVX2+FMA when available (the body is generic, so the compiler
/// vectorizes it for that target), else as is.
macro_rules! multiversion {
    ($(#[$m:meta])* fn $name:ident($($arg:ident: $ty:ty),*) $body:block) => {
        $(#[$m])*
        pub(crate) fn $name($($arg: $ty),*) {
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx2,fma")]
                unsafe fn wide($($arg: $ty),*) $body
                if std::arch::is_x86_feature_detected!("avx2")
                    && std::arch::is_x86_feature_detected!("fma")
                {
                    // SAFETY: the CPU supports AVX2 and FMA (checked just above).
                    return unsafe { wide($($arg),*) };
                }
            }
            $body
        }
    };
}

multiversion! {
    /// One block of a row: `out = bf16(f32(decode(w)) · s)`.
    fn dequant_block_bf16(w: &[E4M3], s: f32, out: &mut [u16]) {
        let table = crate::formats::Fp8Format::E4M3.table();
        for (o, c) in out.iter_mut().zip(w) {
            *o = bf16_bits(table[c.to_bits() as usize] * s);
        }
    }
}

multiversion! {
    /// `out = bf16(bf16(x · r) · w)` (HF) or `bf16(x · r · w)` (`weight_in_f32`).
    fn normalize_bf16(x: &[u16], w: &[u16], r: f32, weight_in_f32: bool, out: &mut [u16]) {
        if weight_in_f32 {
            for ((o, &v), &g) in out.iter_mut().zip(x).zip(w) {
                *o = bf16_bits(widen(v) * r * widen(g));
            }
        } else {
            for ((o, &v), &g) in out.iter_mut().zip(x).zip(w) {
                *o = bf16_bits(widen(bf16_bits(widen(v) * r)) * widen(g));
            }
        }
    }
}

multiversion! {
    /// `out = bf16(a + b)` with an f32 sum.
    fn add_bf16(a: &[u16], b: &[u16], out: &mut [u16]) {
        for ((o, &p), &q) in out.iter_mut().zip(a).zip(b) {
            *o = bf16_bits(widen(p) + widen(q));
        }
    }
}

/// `Σ x²` in f64 with eight interleaved accumulators (vectorizes; every square of a bf16 is
/// exact in f64).
fn sum_squares(x: &[u16]) -> f64 {
    let mut acc = [0f64; 8];
    let mut chunks = x.chunks_exact(8);
    for c in &mut chunks {
        for (a, &v) in acc.iter_mut().zip(c) {
            let f = widen(v) as f64;
            *a += f * f;
        }
    }
    for (a, &v) in acc.iter_mut().zip(chunks.remainder()) {
        let f = widen(v) as f64;
        *a += f * f;
    }
    acc.iter().sum()
}

/// The reference's `r` for one bf16 row. The squares are non-negative, so both this sum and
/// the reference's sequential one lie within `γ_H · S` of the exact sum `S`: when every value
/// in `S_fast · (1 ± 2.01 γ_H)` gives the same mean square, so does the reference's, and `r`
/// follows from it the same way. Otherwise the reference computes `r`.
pub(crate) fn inv_rms(row: &[u16], eps: f32) -> f32 {
    let s = sum_squares(row);
    let h = row.len() as f64;
    let u = f64::EPSILON / 2.0;
    let gamma = h * u / (1.0 - h * u);
    let (lo, hi) = (s * (1.0 - 2.01 * gamma), s * (1.0 + 2.01 * gamma));
    let mean_sq = |v: f64| {
        if v > f32::MAX as f64 {
            f32::INFINITY
        } else {
            (v / h) as f32
        }
    };
    let ms = mean_sq(s);
    if !s.is_finite()
        || mean_sq(lo).to_bits() != ms.to_bits()
        || mean_sq(hi).to_bits() != ms.to_bits()
    {
        let values: Vec<bf16> = row.iter().map(|&b| bf16::from_bits(b)).collect();
        return reference::inv_rms(&values, eps);
    }
    (1.0 / ((ms + eps) as f64).sqrt()) as f32
}

fn bits<T: FloatElement>(v: &[T]) -> &[u16] {
    bytemuck::cast_slice(v)
}

fn bits_mut<T: FloatElement>(v: &mut [T]) -> &mut [u16] {
    bytemuck::cast_slice_mut(v)
}

/// FP8 block dequantization to bf16 (`O` must be bf16: see [`is_bf16`]); the reference's
/// arguments and result.
pub(crate) fn fp8_block_dequant<S: FloatElement, O: FloatElement>(
    weight: &[E4M3],
    scales: &[S],
    cols: usize,
    block: [usize; 2],
    out: &mut [O],
) {
    debug_assert!(is_bf16::<O>());
    if cols == 0 {
        return;
    }
    let grid_cols = cols.div_ceil(block[1]);
    weight
        .par_chunks(cols)
        .zip(bits_mut(out).par_chunks_mut(cols))
        .with_min_len(min_rows_per_task(cols))
        .enumerate()
        .for_each(|(i, (w_row, out_row))| {
            let scale_row = &scales[(i / block[0]) * grid_cols..][..grid_cols];
            let blocks = w_row.chunks(block[1]).zip(out_row.chunks_mut(block[1]));
            for ((w, o), s) in blocks.zip(scale_row) {
                dequant_block_bf16(w, s.to_f32(), o);
            }
        });
}

/// RMSNorm of bf16 rows (`T` must be bf16); the reference's arguments and result.
pub(crate) fn rms_norm<T: FloatElement>(
    x: &[T],
    weight: &[T],
    h: usize,
    options: &RmsNormOptions,
    out: &mut [T],
) {
    debug_assert!(is_bf16::<T>());
    let w = bits(weight);
    bits(x)
        .par_chunks(h)
        .zip(bits_mut(out).par_chunks_mut(h))
        .with_min_len(min_rows_per_task(h))
        .for_each(|(row, out_row)| {
            let r = inv_rms(row, options.eps);
            normalize_bf16(row, w, r, options.weight_in_f32, out_row);
        });
}

/// `out = bf16(x + residual)` (`T` must be bf16).
pub(crate) fn add<T: FloatElement>(x: &[T], residual: &[T], out: &mut [T]) {
    debug_assert!(is_bf16::<T>());
    const CHUNK: usize = 16 * 1024;
    bits(x)
        .par_chunks(CHUNK)
        .zip(bits(residual).par_chunks(CHUNK))
        .zip(bits_mut(out).par_chunks_mut(CHUNK))
        .for_each(|((a, b), o)| add_bf16(a, b, o));
}

/// True when `T` is bf16 (the element type these kernels handle).
pub(crate) fn is_bf16<T: FloatElement>() -> bool {
    T::DTYPE == crate::formats::DType::BF16
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::cpu::rms_norm::inv_rms as reference_inv_rms;
    use proptest::prelude::*;

    #[test]
    fn bf16_rounding_matches_half_on_every_high_half_and_edge_low_halves() {
        let lows = [
            0u32, 1, 0x3FFF, 0x4000, 0x7FFF, 0x8000, 0x8001, 0xBFFF, 0xC000, 0xFFFF,
        ];
        for hi in 0..=0xFFFFu32 {
            for &lo in &lows {
                let v = f32::from_bits(hi << 16 | lo);
                assert_eq!(
                    bf16_bits(v),
                    bf16::from_f32(v).to_bits(),
                    "{:#010x}",
                    hi << 16 | lo
                );
            }
        }
    }

    /// Bit patterns with every NaN made one NaN: Rust leaves the payload of a NaN produced by
    /// arithmetic unspecified (the compiler may commute operands), so only "is NaN" is compared.
    fn canon<T: FloatElement>(v: &[T]) -> Vec<u32> {
        v.iter()
            .map(|x| {
                if x.to_f32().is_nan() {
                    u32::MAX
                } else {
                    x.to_bits_u32()
                }
            })
            .collect()
    }

    fn to_bf16(v: &[u16]) -> Vec<bf16> {
        v.iter().map(|&b| bf16::from_bits(b)).collect()
    }

    proptest! {
        #[test]
        fn drivers_equal_the_references(
            (rows, cols, w, x, s) in (1usize..40, 1usize..300).prop_flat_map(|(r, c)| (
                Just(r), Just(c),
                prop::collection::vec(any::<u8>(), r * c),
                prop::collection::vec(any::<u16>(), r * c),
                prop::collection::vec(-1e3f32..1e3, r.div_ceil(7) * c.div_ceil(16)),
            )),
            weight_in_f32 in any::<bool>(),
        ) {
            let w: Vec<E4M3> = w.into_iter().map(E4M3::from_bits).collect();
            let (mut fast, mut slow) = (vec![bf16::ZERO; rows * cols], vec![bf16::ZERO; rows * cols]);
            fp8_block_dequant(&w, &s, cols, [7, 16], &mut fast);
            crate::backend::cpu::fp8_block::dequantize(&w, &s, cols, [7, 16], &mut slow);
            prop_assert_eq!(canon(&fast), canon(&slow));

            let x = to_bf16(&x);
            let g = to_bf16(&x.iter().take(cols).map(|v| v.to_bits() ^ 0x1234).collect::<Vec<_>>());
            let opts = RmsNormOptions { eps: 1e-6, weight_in_f32 };
            rms_norm(&x, &g, cols, &opts, &mut fast);
            reference::rms_norm(&x, &g, cols, &opts, &mut slow);
            prop_assert_eq!(canon(&fast), canon(&slow));
            let y: Vec<bf16> = x.iter().rev().copied().collect();
            add(&x, &y, &mut fast);
            reference::add(&x, &y, &mut slow);
            prop_assert_eq!(canon(&fast), canon(&slow));
        }

        #[test]
        fn inv_rms_equals_the_reference(row in prop::collection::vec(any::<u16>(), 1..600), eps in prop_oneof![Just(1e-6f32), Just(0.0f32)]) {
            let values: Vec<bf16> = row.iter().map(|&b| bf16::from_bits(b)).collect();
            prop_assert_eq!(canon(&[inv_rms(&row, eps)]), canon(&[reference_inv_rms(&values, eps)]));
        }

        #[test]
        fn normalize_and_add_equal_the_reference_formulas(
            row in prop::collection::vec((any::<u16>(), any::<u16>()), 1..100),
            r in any::<f32>(),
        ) {
            let (x, w): (Vec<u16>, Vec<u16>) = row.into_iter().unzip();
            let mut out = vec![0u16; x.len()];
            for weight_in_f32 in [false, true] {
                normalize_bf16(&x, &w, r, weight_in_f32, &mut out);
                for ((&o, &v), &g) in out.iter().zip(&x).zip(&w) {
                    let (v, g) = (bf16::from_bits(v).to_f32(), bf16::from_bits(g).to_f32());
                    let want = if weight_in_f32 {
                        bf16::from_f32(v * r * g)
                    } else {
                        bf16::from_f32(bf16::from_f32(v * r).to_f32() * g)
                    };
                    prop_assert_eq!(canon(&[bf16::from_bits(o)]), canon(&[want]));
                }
            }
            add_bf16(&x, &w, &mut out);
            for ((&o, &a), &b) in out.iter().zip(&x).zip(&w) {
                let want = bf16::from_f32(bf16::from_bits(a).to_f32() + bf16::from_bits(b).to_f32());
                prop_assert_eq!(canon(&[bf16::from_bits(o)]), canon(&[want]));
            }
        }
    }
}
