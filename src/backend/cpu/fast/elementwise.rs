//! Vectorizable forms of the element-wise references (FP8 block dequantization, RMSNorm,
//! the residual add) for bf16 data: the same f32 operations per element as the reference,
//! written branch-free and compiled for AVX2 when the CPU has it, so they are bit-identical
//! by construction. The one reduction (RMSNorm's sum of squares) is summed in a different
//! order and certified: see [`inv_rms`].

use crate::backend::cpu::min_rows_per_task;
use crate::backend::cpu::rms_norm as reference;
use crate::formats::{FloatElement, E4M3};
use crate::ops::{RmsNormMode, RmsNormOptions};
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

/// One block of a row: `out = bf16(f32(decode(w)) · s)`.
pub(crate) fn dequant_block_bf16(w: &[E4M3], s: f32, out: &mut [u16]) {
    #[cfg(target_arch = "x86_64")]
    if avx2::available() {
        // SAFETY: the CPU supports AVX2 and FMA (checked just above).
        return unsafe { avx2::dequant(w, s, out) };
    }
    dequant_scalar(w, s, out)
}

fn dequant_scalar(w: &[E4M3], s: f32, out: &mut [u16]) {
    let table = crate::formats::Fp8Format::E4M3.table();
    for (o, c) in out.iter_mut().zip(w) {
        *o = bf16_bits(table[c.to_bits() as usize] * s);
    }
}

/// `out = bf16(bf16(x · r) · w)` (HF) or `bf16(x · r · w)` (`weight_in_f32`).
pub(crate) fn normalize_bf16(x: &[u16], w: &[u16], r: f32, weight_in_f32: bool, out: &mut [u16]) {
    #[cfg(target_arch = "x86_64")]
    if avx2::available() {
        // SAFETY: the CPU supports AVX2 and FMA (checked just above).
        return unsafe { avx2::normalize(x, w, r, weight_in_f32, out) };
    }
    normalize_scalar(x, w, r, weight_in_f32, out)
}

fn normalize_scalar(x: &[u16], w: &[u16], r: f32, weight_in_f32: bool, out: &mut [u16]) {
    {
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

/// `out = bf16(a + b)` with an f32 sum.
pub(crate) fn add_bf16(a: &[u16], b: &[u16], out: &mut [u16]) {
    #[cfg(target_arch = "x86_64")]
    if super::has_avx2_fma() {
        /// The same loop compiled for AVX2 (the compiler vectorizes it).
        #[target_feature(enable = "avx2,fma")]
        unsafe fn wide(a: &[u16], b: &[u16], out: &mut [u16]) {
            add_scalar(a, b, out)
        }
        // SAFETY: the CPU supports AVX2 and FMA (checked just above).
        return unsafe { wide(a, b, out) };
    }
    add_scalar(a, b, out)
}

#[inline(always)]
fn add_scalar(a: &[u16], b: &[u16], out: &mut [u16]) {
    for ((o, &p), &q) in out.iter_mut().zip(a).zip(b) {
        *o = bf16_bits(widen(p) + widen(q));
    }
}

/// `Σ x²` in f64 with eight interleaved accumulators (vectorizes; every square of a bf16 is
/// exact in f64).
fn sum_squares(x: &[u16]) -> f64 {
    #[cfg(target_arch = "x86_64")]
    if avx2::available() {
        // SAFETY: the CPU supports AVX2 and FMA (checked just above).
        return unsafe { avx2::sum_squares(x) };
    }
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
    crate::backend::cpu::fp8_block::for_each_block(weight, scales, cols, block, out, |w, s, o| {
        dequant_block_bf16(w, s, bits_mut(o))
    });
}

/// RMSNorm of bf16 rows (`T` must be bf16) in the HF modes (`Hf`, `WeightInF32`); the
/// reference's arguments and result.
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
            normalize_bf16(row, w, r, options.mode == RmsNormMode::WeightInF32, out_row);
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

/// The same kernels written with AVX2 intrinsics: the same f32 operations per element
/// (bit-identical to the scalar forms, which the tests check), 8 lanes at a time.
#[cfg(target_arch = "x86_64")]
mod avx2 {
    use super::{dequant_scalar, normalize_scalar, E4M3};
    use crate::backend::cpu::fast::simd::avx2::fp8x8;
    use crate::formats::Fp8Format;
    use std::arch::x86_64::*;

    pub(super) fn available() -> bool {
        super::super::has_avx2_fma()
    }

    /// [`bf16_bits`] of 8 lanes, as 8 u16 in order.
    #[target_feature(enable = "avx2,fma")]
    unsafe fn round8(v: __m256) -> __m128i {
        let x = _mm256_castps_si256(v);
        let lsb = _mm256_and_si256(_mm256_srli_epi32(x, 16), _mm256_set1_epi32(1));
        let rounded = _mm256_srli_epi32(
            _mm256_add_epi32(_mm256_add_epi32(x, _mm256_set1_epi32(0x7FFF)), lsb),
            16,
        );
        let nan = _mm256_or_si256(_mm256_srli_epi32(x, 16), _mm256_set1_epi32(0x40));
        let is_nan = _mm256_cmpgt_epi32(
            _mm256_and_si256(x, _mm256_set1_epi32(0x7FFF_FFFF)),
            _mm256_set1_epi32(0x7F80_0000),
        );
        let r = _mm256_blendv_epi8(rounded, nan, is_nan);
        let packed = _mm256_packus_epi32(r, r);
        _mm256_castsi256_si128(_mm256_permute4x64_epi64(packed, 0b1000))
    }

    /// 8 bf16 (bit patterns) widened to f32.
    #[target_feature(enable = "avx2,fma")]
    unsafe fn widen8(p: *const u16) -> __m256 {
        // SAFETY: the caller guarantees 8 readable u16s at `p`.
        let v = _mm256_cvtepu16_epi32(_mm_loadu_si128(p as *const __m128i));
        _mm256_castsi256_ps(_mm256_slli_epi32(v, 16))
    }

    /// 8 E4M3 codes to f32 exactly (the decode table's values, NaN codes included).
    #[target_feature(enable = "avx2,fma")]
    unsafe fn e4m3x8(p: *const u8, nan_pos: __m256, nan_neg: __m256) -> __m256 {
        // SAFETY: the caller guarantees 8 readable bytes at `p`.
        let (v, is_nan) = fp8x8(Fp8Format::E4M3, p);
        let nan = _mm256_blendv_ps(nan_pos, nan_neg, v);
        _mm256_blendv_ps(v, nan, _mm256_castsi256_ps(is_nan))
    }

    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn dequant(w: &[E4M3], s: f32, out: &mut [u16]) {
        let table = crate::formats::Fp8Format::E4M3.table();
        let (nan_pos, nan_neg) = (_mm256_set1_ps(table[0x7F]), _mm256_set1_ps(table[0xFF]));
        let sv = _mm256_set1_ps(s);
        let n = w.len().min(out.len()) / 8 * 8;
        for i in (0..n).step_by(8) {
            // SAFETY: `i + 8 ≤ n` elements of both slices.
            let v = e4m3x8(w.as_ptr().add(i) as *const u8, nan_pos, nan_neg);
            _mm_storeu_si128(
                out.as_mut_ptr().add(i) as *mut __m128i,
                round8(_mm256_mul_ps(v, sv)),
            );
        }
        dequant_scalar(&w[n..], s, &mut out[n..]);
    }

    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn normalize(
        x: &[u16],
        w: &[u16],
        r: f32,
        weight_in_f32: bool,
        out: &mut [u16],
    ) {
        let rv = _mm256_set1_ps(r);
        let n = x.len().min(w.len()).min(out.len()) / 8 * 8;
        for i in (0..n).step_by(8) {
            // SAFETY: `i + 8 ≤ n` elements of every slice.
            let (v, g) = (widen8(x.as_ptr().add(i)), widen8(w.as_ptr().add(i)));
            let normed = _mm256_mul_ps(v, rv);
            let y = if weight_in_f32 {
                _mm256_mul_ps(normed, g)
            } else {
                let once = _mm256_cvtepu16_epi32(round8(normed));
                _mm256_mul_ps(_mm256_castsi256_ps(_mm256_slli_epi32(once, 16)), g)
            };
            _mm_storeu_si128(out.as_mut_ptr().add(i) as *mut __m128i, round8(y));
        }
        normalize_scalar(&x[n..], &w[n..], r, weight_in_f32, &mut out[n..]);
    }

    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn sum_squares(x: &[u16]) -> f64 {
        let (mut a0, mut a1) = (_mm256_setzero_pd(), _mm256_setzero_pd());
        let n = x.len() / 8 * 8;
        for i in (0..n).step_by(8) {
            // SAFETY: `i + 8 ≤ n`.
            let v = widen8(x.as_ptr().add(i));
            let (lo, hi) = (
                _mm256_cvtps_pd(_mm256_castps256_ps128(v)),
                _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1)),
            );
            // The square of a bf16 is exact in f64: the FMA rounds only the sum.
            a0 = _mm256_fmadd_pd(lo, lo, a0);
            a1 = _mm256_fmadd_pd(hi, hi, a1);
        }
        let mut lanes = [0f64; 4];
        _mm256_storeu_pd(lanes.as_mut_ptr(), _mm256_add_pd(a0, a1));
        let tail: f64 = x[n..]
            .iter()
            .map(|&b| {
                let f = f32::from_bits((b as u32) << 16) as f64;
                f * f
            })
            .sum();
        lanes.iter().sum::<f64>() + tail
    }

    #[cfg(test)]
    #[test]
    fn lanes_equal_the_scalar_forms() {
        let x: Vec<u16> = (0..=u16::MAX).collect();
        let w: Vec<u16> = x.iter().map(|v| v.rotate_left(3)).collect();
        let mut a = vec![0u16; x.len()];
        let mut b = a.clone();
        for r in [1.0f32, 0.37, 3.1e-5, 7.0e30, f32::NAN] {
            for wf in [false, true] {
                // SAFETY: this test runs only where AVX2 and FMA are present.
                if !available() {
                    return;
                }
                unsafe { normalize(&x, &w, r, wf, &mut a) };
                normalize_scalar(&x, &w, r, wf, &mut b);
                for (i, (p, q)) in a.iter().zip(&b).enumerate() {
                    let nan = |v: u16| (v & 0x7FFF) > 0x7F80;
                    assert!(
                        p == q || (nan(*p) && nan(*q)),
                        "normalize {i}: {p:#x} vs {q:#x}"
                    );
                }
            }
        }
        let codes: Vec<E4M3> = (0..4096u32)
            .map(|i| E4M3::from_bits((i * 7 % 256) as u8))
            .collect();
        let mut a = vec![0u16; codes.len()];
        let mut b = a.clone();
        for s in [1.0f32, 1e-3, 3.0e38, 1e-40] {
            // SAFETY: as above.
            unsafe { dequant(&codes, s, &mut a) };
            dequant_scalar(&codes, s, &mut b);
            for (i, (p, q)) in a.iter().zip(&b).enumerate() {
                let nan = |v: u16| (v & 0x7FFF) > 0x7F80;
                assert!(
                    p == q || (nan(*p) && nan(*q)),
                    "dequant {i}: {p:#x} vs {q:#x}"
                );
            }
        }
    }
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
            let mode = if weight_in_f32 { RmsNormMode::WeightInF32 } else { RmsNormMode::Hf };
            let opts = RmsNormOptions { eps: 1e-6, mode };
            rms_norm(&x, &g, cols, &opts, &mut fast);
            reference::rms_norm(&x, &g, cols, &opts, &mut slow, None);
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
