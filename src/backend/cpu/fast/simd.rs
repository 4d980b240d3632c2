//! The vector kernels of the fast path: FP8/bf16 decoding to f32 and the block-scaled dot
//! product, with an AVX2+FMA version chosen at run time and a portable one computing the same
//! quantities (in another order, which the error bounds of `super::matmul` allow).

use crate::formats::Fp8Format;

/// The matmul block: scales apply per 32 elements of K.
pub(crate) const BLOCK: usize = 32;

#[cfg(target_arch = "x86_64")]
fn has_avx2_fma() -> bool {
    use std::sync::OnceLock;
    static DETECTED: OnceLock<bool> = OnceLock::new();
    *DETECTED.get_or_init(|| {
        std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
    })
}

/// Decodes FP8 codes to f32 (exact), returning false when a NaN or Inf code is present (the
/// decoded values of those lanes are then meaningless and the caller must not use the row).
pub(crate) fn decode_fp8(format: Fp8Format, codes: &[u8], out: &mut [f32]) -> bool {
    debug_assert_eq!(codes.len(), out.len());
    #[cfg(target_arch = "x86_64")]
    if has_avx2_fma() {
        // SAFETY: the CPU supports AVX2 and FMA (checked just above).
        return unsafe { avx2::decode_fp8(format, codes, out) };
    }
    decode_fp8_portable(format, codes, out)
}

fn decode_fp8_portable(format: Fp8Format, codes: &[u8], out: &mut [f32]) -> bool {
    let table = format.table();
    let mut finite = true;
    for (o, &c) in out.iter_mut().zip(codes) {
        let v = table[c as usize];
        finite &= v.is_finite();
        *o = v;
    }
    finite
}

/// `(Σ_b c_b Σ_{k in b} f32(x_k w_k), Σ_b c_b Σ_{k in b} |f32(x_k w_k)|)`: products in f32 (exact
/// for operands of at most 16 significant bits between them, unless they underflow), the signed
/// sums in f64, the absolute sums in f32 per block then f64. `x.len() == w.len() == 32 · c.len()`.
pub(crate) fn scaled_dot(x: &[f32], w: &[f32], c: &[f64]) -> (f64, f64) {
    debug_assert!(x.len() == w.len() && x.len() == c.len() * BLOCK);
    #[cfg(target_arch = "x86_64")]
    if has_avx2_fma() {
        // SAFETY: the CPU supports AVX2 and FMA (checked just above).
        return unsafe { avx2::scaled_dot(x, w, c) };
    }
    scaled_dot_portable(x, w, c)
}

fn scaled_dot_portable(x: &[f32], w: &[f32], c: &[f64]) -> (f64, f64) {
    let (mut sum, mut abs) = (0.0f64, 0.0f64);
    for ((xb, wb), &cb) in x.chunks_exact(BLOCK).zip(w.chunks_exact(BLOCK)).zip(c) {
        let (mut s, mut a) = (0.0f64, 0.0f32);
        for (&p, &q) in xb.iter().zip(wb) {
            let prod = p * q;
            s += prod as f64;
            a += prod.abs();
        }
        sum += s * cb;
        abs += a as f64 * cb;
    }
    (sum, abs)
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use super::BLOCK;
    use crate::formats::Fp8Format;
    use std::arch::x86_64::*;

    /// FP8 → f32 with integer operations only (no denormal f32 ever appears): the magnitude bits
    /// move into the f32 exponent/mantissa fields and are rebiased; a subnormal code is decoded
    /// as the normal `1.m · 2^emin` minus `2^emin` (an exact subtraction).
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn decode_fp8(format: Fp8Format, codes: &[u8], out: &mut [f32]) -> bool {
        let (mbits, bias) = match format {
            Fp8Format::E4M3 => (3, 7),
            Fp8Format::E5M2 => (2, 15),
        };
        let shift = _mm_cvtsi32_si128(23 - mbits);
        let rebias = _mm256_set1_epi32((127 - bias) << 23);
        let one_exp = _mm256_set1_epi32(1 << 23);
        let emin = _mm256_set1_ps(f32::from_bits(((128 - bias) as u32) << 23));
        let mag_mask = _mm256_set1_epi32(0x7F);
        let exp_mask = _mm256_set1_epi32(0x7F >> mbits << mbits);
        let special = match format {
            Fp8Format::E4M3 => _mm256_set1_epi32(0x7F),
            Fp8Format::E5M2 => _mm256_set1_epi32(0x7C),
        };
        let zero = _mm256_setzero_si256();
        let mut bad = _mm256_setzero_si256();
        let mut chunks = codes.chunks_exact(8);
        let mut outs = out.chunks_exact_mut(8);
        for (c, o) in (&mut chunks).zip(&mut outs) {
            // SAFETY: `c` holds exactly 8 bytes; the load reads 8 bytes.
            let b = _mm256_cvtepu8_epi32(_mm_loadl_epi64(c.as_ptr() as *const __m128i));
            let mag = _mm256_and_si256(b, mag_mask);
            let exp = _mm256_and_si256(mag, exp_mask);
            bad = _mm256_or_si256(bad, _mm256_cmpeq_epi32(_mm256_and_si256(mag, special), special));
            let is_sub = _mm256_cmpeq_epi32(exp, zero);
            let bits = _mm256_add_epi32(_mm256_sll_epi32(mag, shift), rebias);
            let bits = _mm256_add_epi32(bits, _mm256_and_si256(is_sub, one_exp));
            let v = _mm256_castsi256_ps(bits);
            let v = _mm256_blendv_ps(v, _mm256_sub_ps(v, emin), _mm256_castsi256_ps(is_sub));
            let sign = _mm256_slli_epi32(_mm256_srli_epi32(b, 7), 31);
            let v = _mm256_or_ps(v, _mm256_castsi256_ps(sign));
            // SAFETY: `o` holds exactly 8 f32s.
            _mm256_storeu_ps(o.as_mut_ptr(), v);
        }
        let tail_ok = super::decode_fp8_portable(
            format,
            chunks.remainder(),
            outs.into_remainder(),
        );
        _mm256_testz_si256(bad, bad) == 1 && tail_ok
    }

    #[target_feature(enable = "avx2,fma")]
    unsafe fn hsum(v: __m256d) -> f64 {
        let pair = _mm_add_pd(_mm256_castpd256_pd128(v), _mm256_extractf128_pd(v, 1));
        _mm_cvtsd_f64(_mm_add_sd(pair, _mm_unpackhi_pd(pair, pair)))
    }

    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn scaled_dot(x: &[f32], w: &[f32], c: &[f64]) -> (f64, f64) {
        let abs_mask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7FFF_FFFF));
        let (mut t0, mut t1) = (_mm256_setzero_pd(), _mm256_setzero_pd());
        let (mut a0, mut a1) = (_mm256_setzero_pd(), _mm256_setzero_pd());
        let blocks = x.chunks_exact(BLOCK).zip(w.chunks_exact(BLOCK)).zip(c);
        for ((xb, wb), &cb) in blocks {
            let (mut b0, mut b1) = (_mm256_setzero_pd(), _mm256_setzero_pd());
            let mut ab = _mm256_setzero_ps();
            for q in 0..BLOCK / 8 {
                // SAFETY: `xb` and `wb` hold 32 f32s; lanes 8q..8q+8 are in bounds.
                let p = _mm256_mul_ps(
                    _mm256_loadu_ps(xb.as_ptr().add(8 * q)),
                    _mm256_loadu_ps(wb.as_ptr().add(8 * q)),
                );
                b0 = _mm256_add_pd(b0, _mm256_cvtps_pd(_mm256_castps256_ps128(p)));
                b1 = _mm256_add_pd(b1, _mm256_cvtps_pd(_mm256_extractf128_ps(p, 1)));
                ab = _mm256_add_ps(ab, _mm256_and_ps(p, abs_mask));
            }
            let cv = _mm256_set1_pd(cb);
            t0 = _mm256_fmadd_pd(b0, cv, t0);
            t1 = _mm256_fmadd_pd(b1, cv, t1);
            a0 = _mm256_fmadd_pd(_mm256_cvtps_pd(_mm256_castps256_ps128(ab)), cv, a0);
            a1 = _mm256_fmadd_pd(_mm256_cvtps_pd(_mm256_extractf128_ps(ab, 1)), cv, a1);
        }
        (
            hsum(_mm256_add_pd(t0, t1)),
            hsum(_mm256_add_pd(a0, a1)),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fp8_decoding_matches_the_tables_for_every_code() {
        for format in [Fp8Format::E4M3, Fp8Format::E5M2] {
            let codes: Vec<u8> = (0..=255u8).chain(0..=255u8).take(509).collect();
            let mut fast = vec![0f32; codes.len()];
            let mut slow = vec![0f32; codes.len()];
            let fast_ok = decode_fp8(format, &codes, &mut fast);
            decode_fp8_portable(format, &codes, &mut slow);
            assert!(!fast_ok, "{format:?}: NaN codes not flagged");
            for ((&c, a), b) in codes.iter().zip(&fast).zip(&slow) {
                if b.is_finite() {
                    assert_eq!(a.to_bits(), b.to_bits(), "{format:?} code {c:#04x}");
                }
            }
            let finite: Vec<u8> = (0..=255u8)
                .filter(|&c| format.table()[c as usize].is_finite())
                .collect();
            let mut out = vec![0f32; finite.len()];
            assert!(decode_fp8(format, &finite, &mut out), "{format:?}");
        }
    }

    #[test]
    fn vector_and_portable_dots_agree_on_exact_sums() {
        // Small integers: every sum is exact in any order, so both versions must agree bitwise.
        let x: Vec<f32> = (0..96).map(|i| (i % 7) as f32 - 3.0).collect();
        let w: Vec<f32> = (0..96).map(|i| (i % 5) as f32 - 2.0).collect();
        let c = [0.5, 4.0, -0.0f64.abs() + 1.0];
        let want = scaled_dot_portable(&x, &w, &c);
        assert_eq!(scaled_dot(&x, &w, &c), want);
        let exact: f64 = (0..96)
            .map(|i| (x[i] * w[i]) as f64 * c[i / 32])
            .sum();
        assert_eq!(want.0, exact);
    }
}
