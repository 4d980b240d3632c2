//! The vector kernels of the fast path: FP8/bf16 decoding to f32 and the block-scaled dot
//! product, with an AVX2+FMA version chosen at run time and a portable one computing the same
//! quantities (in another order, which the error bounds of `super::matmul` allow).

#[cfg(target_arch = "x86_64")]
use super::has_avx2_fma;
use crate::formats::Fp8Format;

/// The matmul block: scales apply per 32 elements of K.
pub(crate) const BLOCK: usize = 32;

/// Decodes FP8 codes to f32 (exact), returning false when a NaN or Inf code is present (the
/// decoded values of those lanes are then meaningless and the caller must not use the row).
pub(crate) fn decode_fp8(format: Fp8Format, codes: &[u8], out: &mut [f32]) -> bool {
    assert_eq!(codes.len(), out.len(), "decode_fp8: one output per code");
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
    assert!(
        x.len() == w.len() && x.len() == c.len() * BLOCK,
        "scaled_dot: x, w and 32 per scale"
    );
    #[cfg(target_arch = "x86_64")]
    if has_avx2_fma() {
        // SAFETY: the CPU supports AVX2 and FMA (checked just above).
        return unsafe { avx2::scaled_dot(x, w, c) };
    }
    scaled_dot_portable(x, w, c)
}

/// A weight row in its stored form, as the lane kernel reads it.
#[derive(Clone, Copy)]
pub(crate) enum WRow<'a> {
    /// FP8 codes.
    Fp8(Fp8Format, &'a [u8]),
    /// bf16 bit patterns.
    Bf16(&'a [u16]),
    /// Values and magnitudes already decoded, in [`permute16`] order, `32 · nb` long (for rows
    /// reused across many x rows).
    Decoded(&'a [f32], &'a [f32]),
}

/// True when [`lane_dot`] runs (AVX2 + FMA); otherwise callers use [`scaled_dot`] alone.
pub(crate) fn lane_dot_available() -> bool {
    #[cfg(target_arch = "x86_64")]
    return has_avx2_fma();
    #[cfg(not(target_arch = "x86_64"))]
    false
}

/// Reorders each group of 16 values to the order [`lane_dot`] widens 16-bit lanes in:
/// `0..4, 8..12` then `4..8, 12..16`. `src.len()` is a multiple of 16.
pub(crate) fn permute16(src: &[f32], dst: &mut [f32]) {
    for (s, d) in src.chunks_exact(16).zip(dst.chunks_exact_mut(16)) {
        for (i, o) in [0, 1, 2, 3, 8, 9, 10, 11, 4, 5, 6, 7, 12, 13, 14, 15]
            .into_iter()
            .enumerate()
        {
            d[i] = s[o];
        }
    }
}

/// Like [`scaled_dot`] but with f32 block sums: per block of 32, each product goes through at most
/// three f32 roundings (an FMA into one of two accumulators, their sum, and the fold of 8 lanes
/// into 4), and blocks are summed in f64 — `|error| ≤ (γ_3(f32) + γ_{nb+8}(f64)) · A`. `xp`/`xap`
/// are x and |x| in [`permute16`] order, `32 · c.len()` long; `w` has `k ≤ 32 · c.len()` entries
/// (the rest count as zero). `None` when `w` holds a NaN/Inf code or the CPU lacks AVX2/FMA. With
/// `with_abs == false` the second value is 0 and only the signed sum is computed (the caller then
/// bounds `Σ|terms|` another way).
pub(crate) fn lane_dot(
    xp: &[f32],
    xap: &[f32],
    w: WRow<'_>,
    c: &[f64],
    with_abs: bool,
) -> Option<(f64, f64)> {
    assert!(
        xp.len() == xap.len() && xp.len() == c.len() * BLOCK,
        "lane_dot: x, |x| and 32 per scale"
    );
    #[cfg(target_arch = "x86_64")]
    if has_avx2_fma() {
        // SAFETY: the CPU supports AVX2 and FMA (checked just above).
        return unsafe { avx2::lane_dot(xp, xap, w, c, with_abs) };
    }
    None
}

/// Blocks whose scaled sums [`lane_fp8_direct`] adds in f32 before widening them to f64.
pub(crate) const DIRECT_GROUP: usize = 4;

/// The power of two the raw FP8 bit patterns of [`lane_fp8_direct`] are below their values:
/// `2^-(127 − bias)` (the f32 and FP8 exponent biases differ by 120 for E4M3, 112 for E5M2).
fn raw_shift(format: Fp8Format) -> i32 {
    match format {
        Fp8Format::E4M3 => 120,
        Fp8Format::E5M2 => 112,
    }
}

/// Prepares an x row (`32 · nb` values, zero padded) for [`lane_fp8_direct`] with `format` weights:
/// `out = x · 2^p`, exact because `0 ≤ p` (`p ≤ 127 − bias`, as large as keeps every `|x · 2^p| <
/// 2^127` when `max|x| < 2^127`), stored in slot order — within each block of 32, slot `8c + q`
/// holds element `4q + c`, the order in which the kernel splits the four bytes of each 32-bit lane
/// — and its magnitudes in `out_abs`. Returns `2^(127 − bias − p) ≥ 1`, the factor that restores
/// the sums' units.
pub(crate) fn prescale_for(
    format: Fp8Format,
    x: &[f32],
    out: &mut [f32],
    out_abs: &mut [f32],
) -> f64 {
    let max = x.iter().fold(0f32, |m, v| m.max(v.abs()));
    let top = if max > 0.0 && max.is_finite() {
        // The unbiased exponent of max (a subnormal max counts as 2^-126).
        ((max.to_bits() >> 23) as i32 - 127).max(-126)
    } else {
        -126
    };
    let p = raw_shift(format).min(126 - top).max(0);
    let factor = crate::formats::pow2_f32(p);
    for (xb, ob) in x.chunks_exact(BLOCK).zip(out.chunks_exact_mut(BLOCK)) {
        for (slot, o) in ob.iter_mut().enumerate() {
            let (c, q) = (slot / 8, slot % 8);
            *o = xb[4 * q + c] * factor;
        }
    }
    for (a, v) in out_abs.iter_mut().zip(out.iter()) {
        *a = v.abs();
    }
    crate::formats::pow2_f64(raw_shift(format) - p)
}

/// E8M0 scale bytes as `2^(e − 127)` in f32 (exact: 2^-127 is an f32 subnormal), built from
/// their bits; false when one is NaN (0xFF). Both slices have one length.
pub(crate) fn e8m0_scales(bytes: &[u8], f32s: &mut [f32]) -> bool {
    assert_eq!(bytes.len(), f32s.len(), "e8m0_scales: one output per byte");
    #[cfg(target_arch = "x86_64")]
    if has_avx2_fma() {
        // SAFETY: the CPU supports AVX2 and FMA (checked just above).
        return unsafe { avx2::e8m0_scales(bytes, f32s) };
    }
    e8m0_scales_portable(bytes, f32s)
}

fn e8m0_scales_portable(bytes: &[u8], f32s: &mut [f32]) -> bool {
    let mut nan = false;
    for (&e, a) in bytes.iter().zip(f32s.iter_mut()) {
        nan |= e == 0xFF;
        let e = u32::from(e);
        *a = f32::from_bits(if e == 0 { 0x0040_0000 } else { e << 23 });
    }
    !nan
}

/// What [`lane_fp8_direct`] returns for one row.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct DirectSums {
    /// The scaled sum, in the prescaled units.
    pub sum: f64,
    /// Upper bounds on `Σ_b c_b · l1_b` and on `Σ_b c_b`.
    pub l1: f64,
    /// See `l1`.
    pub scale_sum: f64,
}

impl DirectSums {
    /// `l1` and `scale_sum` come from `n` f32 products and sums of non-negative terms: each
    /// rounding to nearest loses at most `2^-24` relatively or `2^-150` absolutely (below the
    /// normal range), so widening by `4(n + 8)·2^-24` and `n·2^-148` makes them upper bounds.
    fn new(sum: f64, l1: f32, scale_sum: f32, n: usize) -> Self {
        let widen = |v: f32| {
            f64::from(v) * (1.0 + (n + 8) as f64 * 2f64.powi(-22)) + n as f64 * 2f64.powi(-148)
        };
        DirectSums {
            sum,
            l1: widen(l1),
            scale_sum: widen(scale_sum),
        }
    }
}

/// The direct first tier of the small-M FP8 matmul: `Σ_b c_b Σ_{k in b} x_k w_k` for `x` from
/// [`prescale_for`] (in its units: multiply by its factor), `c` the `nb` block scales (powers
/// of two, see [`e8m0_scales`]), `codes` the weight row (`32(nb − 1) < k ≤ 32 · nb`), with
/// the bounds `Σ_b c_b · l1[b]` and `Σ_b c_b` (`l1`: upper bounds on `Σ|x|` per block, true
/// units). Each code's bits are moved into f32 position without rebiasing — exact for every
/// finite code, subnormals becoming f32 subnormals — so products carry `2^-(127 − bias)`,
/// which the prescale cancels. Per block the products (exact unless they underflow or
/// overflow; an overflow makes the sum non-finite, which no bound accepts) meet two f32
/// roundings; scaled by `c_b` they are added in f32 over [`DIRECT_GROUP`] blocks, folded from 8
/// lanes to 4 and widened to f64: at most `DIRECT_GROUP + 2` f32 roundings per product,
/// `|error| ≤ (γ_6(f32) + γ_{nb+8}(f64))·A`.
/// With `magnitudes`, `x` holds `|x|` (the prescale's `out_abs`) and the codes' signs are
/// dropped: the same sum of `|x_k w_k|`, the `Σ|terms|` of the error bound (low by at most
/// the same relative error). `None` for a NaN/Inf code, or without AVX2/FMA.
pub(crate) fn lane_fp8_direct(
    x: &[f32],
    c: &[f32],
    l1: &[f32],
    format: Fp8Format,
    codes: &[u8],
    magnitudes: bool,
) -> Option<DirectSums> {
    // The kernel reads x and l1 by block, and every block from the last partial one on as
    // that partial block: at most one block may lie past the codes.
    assert!(
        x.len() == c.len() * BLOCK
            && l1.len() == c.len()
            && codes.len() <= x.len()
            && codes.len() + BLOCK > x.len(),
        "lane_fp8_direct: x, l1 and the codes must cover the same blocks"
    );
    #[cfg(target_arch = "x86_64")]
    if has_avx2_fma() {
        // SAFETY: the CPU supports AVX2 and FMA (checked just above).
        return unsafe {
            match (format, magnitudes) {
                (Fp8Format::E4M3, false) => avx2::lane_fp8_direct::<false, false>(x, c, l1, codes),
                (Fp8Format::E5M2, false) => avx2::lane_fp8_direct::<true, false>(x, c, l1, codes),
                (Fp8Format::E4M3, true) => avx2::lane_fp8_direct::<false, true>(x, c, l1, codes),
                (Fp8Format::E5M2, true) => avx2::lane_fp8_direct::<true, true>(x, c, l1, codes),
            }
        };
    }
    None
}

/// Reorders an x row (`32 · nb` values) for [`lane_bf16_direct`]: within each 16, the even
/// elements then the odd ones (the order in which the kernel splits the two bf16 values of
/// each 32-bit lane), with magnitudes in `out_abs`.
pub(crate) fn even_odd(x: &[f32], out: &mut [f32], out_abs: &mut [f32]) {
    for (xs, os) in x.chunks_exact(16).zip(out.chunks_exact_mut(16)) {
        for (slot, o) in os.iter_mut().enumerate() {
            *o = xs[2 * (slot % 8) + slot / 8];
        }
    }
    for (a, v) in out_abs.iter_mut().zip(out.iter()) {
        *a = v.abs();
    }
}

/// The direct first tier for a bf16 weight row: `(Σ x_k w_k, max_k |w_k|)` for `x` from
/// [`even_odd`] (`32 · nb` long) and `bits` (`32(nb − 1) < k ≤ 32 · nb` bf16 patterns). Products of
/// two bf16 values are exact in f32 unless they underflow; they meet the same f32 roundings as in
/// [`lane_fp8_direct`] (blocks of 32 added in f32 over [`DIRECT_GROUP`] blocks, then f64): `|error|
/// ≤ (γ_6(f32) + γ_{nb+8}(f64))·A`. With `magnitudes`, `x` holds `|x|` and signs are dropped: `A`
/// itself (low by at most the same relative error). A NaN/Inf weight makes the sum or the maximum
/// non-finite. `None` without AVX2/FMA.
pub(crate) fn lane_bf16_direct(x: &[f32], bits: &[u16], magnitudes: bool) -> Option<(f64, f32)> {
    // As in lane_fp8_direct: at most one block past the weights.
    assert!(
        x.len() % BLOCK == 0 && bits.len() <= x.len() && bits.len() + BLOCK > x.len(),
        "lane_bf16_direct: x and the weights must cover the same blocks"
    );
    #[cfg(target_arch = "x86_64")]
    if has_avx2_fma() {
        // SAFETY: the CPU supports AVX2 and FMA (checked just above).
        return Some(unsafe {
            if magnitudes {
                avx2::lane_bf16_direct::<true>(x, bits)
            } else {
                avx2::lane_bf16_direct::<false>(x, bits)
            }
        });
    }
    None
}

/// Elements [`tile_dots`] adds in f32 before widening to f64 (two blocks).
pub(crate) const TILE_GROUP: usize = 2 * BLOCK;

/// The f32 roundings a product meets in [`tile_dots`]: one per FMA of its lane over a group
/// (`TILE_GROUP / 8`), and the fold from 8 lanes to 4.
pub(crate) const TILE_ROUNDINGS: usize = TILE_GROUP / 8 + 1;

/// `Σ_k x_r[k]·w_n[k]` for `MR` x rows and `NR` w rows (f32 values with every scale folded in, one
/// length, a multiple of 32): FMAs into one f32 accumulator per pair and lane over [`TILE_GROUP`]
/// elements, folded to 4 lanes and added in f64 — `|error| ≤ (γ_L(f32) + γ_{groups+8}(f64))·A`, `L
/// =` [`TILE_ROUNDINGS`], products exact unless they underflow (an overflow leaves a non-finite
/// sum). Each x vector loaded serves `NR` weight rows and each w vector `MR` x rows. `None` without
/// AVX2/FMA.
pub(crate) fn tile_dots<const MR: usize, const NR: usize>(
    x: [&[f32]; MR],
    w: [&[f32]; NR],
) -> Option<[[f64; NR]; MR]> {
    let len = w.first().map_or(0, |v| v.len());
    assert!(
        len % BLOCK == 0 && x.iter().chain(&w).all(|v| v.len() == len),
        "tile_dots: rows of one length, a multiple of 32"
    );
    #[cfg(target_arch = "x86_64")]
    if has_avx2_fma() {
        // SAFETY: the CPU supports AVX2 and FMA (checked just above).
        return Some(unsafe { avx2::tile_dots(x, w) });
    }
    None
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
pub(crate) mod avx2 {
    use super::BLOCK;
    use crate::formats::Fp8Format;
    use std::arch::x86_64::*;

    /// 8 FP8 codes at `p` to f32 with integer operations only (no denormal f32 ever appears):
    /// the magnitude bits move into the f32 exponent/mantissa fields and are rebiased; a
    /// subnormal code is decoded as the normal `1.m · 2^emin` minus `2^emin` (an exact
    /// subtraction). Returns the values and a mask of the NaN/Inf codes (whose values are
    /// meaningless). The caller guarantees 8 readable bytes at `p`.
    #[target_feature(enable = "avx2,fma")]
    #[inline]
    pub(crate) unsafe fn fp8x8(format: Fp8Format, p: *const u8) -> (__m256, __m256i) {
        let (mbits, bias, special) = match format {
            Fp8Format::E4M3 => (3, 7, 0x7F),
            Fp8Format::E5M2 => (2, 15, 0x7C),
        };
        // SAFETY: the caller guarantees 8 readable bytes at `p`.
        let b = _mm256_cvtepu8_epi32(_mm_loadl_epi64(p as *const __m128i));
        let mag = _mm256_and_si256(b, _mm256_set1_epi32(0x7F));
        let exp = _mm256_and_si256(mag, _mm256_set1_epi32(0x7F >> mbits << mbits));
        let special = _mm256_set1_epi32(special);
        let bad = _mm256_cmpeq_epi32(_mm256_and_si256(mag, special), special);
        let is_sub = _mm256_cmpeq_epi32(exp, _mm256_setzero_si256());
        let bits = _mm256_sll_epi32(mag, _mm_cvtsi32_si128(23 - mbits));
        let bits = _mm256_add_epi32(bits, _mm256_set1_epi32((127 - bias) << 23));
        let bits = _mm256_add_epi32(bits, _mm256_and_si256(is_sub, _mm256_set1_epi32(1 << 23)));
        let v = _mm256_castsi256_ps(bits);
        let emin = _mm256_set1_ps(f32::from_bits(((128 - bias) as u32) << 23));
        let v = _mm256_blendv_ps(v, _mm256_sub_ps(v, emin), _mm256_castsi256_ps(is_sub));
        let sign = _mm256_slli_epi32(_mm256_srli_epi32(b, 7), 31);
        (_mm256_or_ps(v, _mm256_castsi256_ps(sign)), bad)
    }

    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn decode_fp8(format: Fp8Format, codes: &[u8], out: &mut [f32]) -> bool {
        let mut bad = _mm256_setzero_si256();
        let mut chunks = codes.chunks_exact(8);
        let mut outs = out.chunks_exact_mut(8);
        for (c, o) in (&mut chunks).zip(&mut outs) {
            // SAFETY: `c` holds exactly 8 bytes.
            let (v, special) = fp8x8(format, c.as_ptr());
            bad = _mm256_or_si256(bad, special);
            // SAFETY: `o` holds exactly 8 f32s.
            _mm256_storeu_ps(o.as_mut_ptr(), v);
        }
        let tail_ok = super::decode_fp8_portable(format, chunks.remainder(), outs.into_remainder());
        _mm256_testz_si256(bad, bad) == 1 && tail_ok
    }

    /// A block of 32 FP8 codes (E5M2 when `E5`, else E4M3) as two halves of 16 bf16 bit
    /// patterns (natural order), or `None` when the block holds a NaN or Inf code. A normal
    /// code's bf16 pattern is its sign-extended byte shifted into place, masked and rebiased:
    /// four operations per 16 codes. Zero and subnormal codes (exponent field 0) are patched
    /// from a table only in blocks the cheap check flags.
    #[target_feature(enable = "avx2,fma")]
    #[inline]
    unsafe fn fp8_block<const E5: bool>(b: __m256i) -> Option<[__m256i; 2]> {
        let (exp_mask, special) = if E5 { (0x7C_u8, 0x7C_u8) } else { (0x78, 0x7F) };
        let exp = _mm256_and_si256(b, _mm256_set1_epi8(exp_mask as i8));
        let spec_src = if E5 {
            exp
        } else {
            _mm256_and_si256(b, _mm256_set1_epi8(0x7F))
        };
        let unusual = _mm256_or_si256(
            _mm256_cmpeq_epi8(exp, _mm256_setzero_si256()),
            _mm256_cmpeq_epi8(spec_src, _mm256_set1_epi8(special as i8)),
        );
        let mut halves = [
            fp8_half::<E5>(_mm256_castsi256_si128(b)),
            fp8_half::<E5>(_mm256_extracti128_si256(b, 1)),
        ];
        if _mm256_testz_si256(unusual, unusual) == 0 {
            let special = _mm256_cmpeq_epi8(spec_src, _mm256_set1_epi8(special as i8));
            if _mm256_testz_si256(special, special) == 0 {
                return None;
            }
            // Zero and subnormal codes (exponent field 0): their bf16 patterns from a table
            // indexed by the mantissa bits (pshufb, high and low bytes apart), signs kept.
            let exp0 = _mm256_cmpeq_epi8(exp, _mm256_setzero_si256());
            let (hi_t, lo_t, m_mask) = if E5 {
                (
                    _mm256_setr_epi8(
                        0, 0x37, 0x38, 0x38, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x37, 0x38,
                        0x38, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                    ),
                    _mm256_setr_epi8(
                        0, -128, 0, 0x40, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, -128, 0, 0x40, 0,
                        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                    ),
                    0x03,
                )
            } else {
                (
                    _mm256_setr_epi8(
                        0, 0x3B, 0x3B, 0x3B, 0x3C, 0x3C, 0x3C, 0x3C, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                        0x3B, 0x3B, 0x3B, 0x3C, 0x3C, 0x3C, 0x3C, 0, 0, 0, 0, 0, 0, 0, 0,
                    ),
                    _mm256_setr_epi8(
                        0, 0, -128, -64, 0, 0x20, 0x40, 0x60, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, -128,
                        -64, 0, 0x20, 0x40, 0x60, 0, 0, 0, 0, 0, 0, 0, 0,
                    ),
                    0x07,
                )
            };
            let idx = _mm256_and_si256(b, _mm256_set1_epi8(m_mask));
            let (hi, lo) = (
                _mm256_shuffle_epi8(hi_t, idx),
                _mm256_shuffle_epi8(lo_t, idx),
            );
            let (a, c) = (_mm256_unpacklo_epi8(lo, hi), _mm256_unpackhi_epi8(lo, hi));
            let tabled = [
                _mm256_permute2x128_si256::<0x20>(a, c),
                _mm256_permute2x128_si256::<0x31>(a, c),
            ];
            let masks = [
                _mm256_cvtepi8_epi16(_mm256_castsi256_si128(exp0)),
                _mm256_cvtepi8_epi16(_mm256_extracti128_si256(exp0, 1)),
            ];
            let sign = _mm256_set1_epi16(0x8000_u16 as i16);
            for ((h, t), m) in halves.iter_mut().zip(tabled).zip(masks) {
                let t = _mm256_or_si256(t, _mm256_and_si256(*h, sign));
                *h = _mm256_blendv_epi8(*h, t, m);
            }
        }
        Some(halves)
    }

    /// 16 codes (no zero/subnormal/special among them) to bf16 bit patterns.
    #[target_feature(enable = "avx2,fma")]
    #[inline]
    unsafe fn fp8_half<const E5: bool>(v: __m128i) -> __m256i {
        let w = _mm256_cvtepi8_epi16(v);
        let (w, mask, rebias) = if E5 {
            (_mm256_slli_epi16::<5>(w), 0x8FE0_u16 as i16, 0x3800_i16)
        } else {
            (_mm256_slli_epi16::<4>(w), 0x87F0_u16 as i16, 0x3C00_i16)
        };
        _mm256_add_epi16(
            _mm256_and_si256(w, _mm256_set1_epi16(mask)),
            _mm256_set1_epi16(rebias),
        )
    }

    /// Block `j` of `codes`, zero padded past the end.
    #[target_feature(enable = "avx2,fma")]
    #[inline]
    unsafe fn load_block(codes: &[u8], j: usize) -> __m256i {
        let start = j * BLOCK;
        match codes.get(start..start + BLOCK) {
            // SAFETY: `full` is 32 readable bytes.
            Some(full) => _mm256_loadu_si256(full.as_ptr() as *const __m256i),
            None => {
                let mut tail = [0u8; BLOCK];
                let rest = codes.get(start..).unwrap_or(&[]);
                tail[..rest.len()].copy_from_slice(rest);
                // SAFETY: `tail` is 32 bytes.
                _mm256_loadu_si256(tail.as_ptr() as *const __m256i)
            }
        }
    }

    /// One block's f32 sums: `(Σ x·w in two accumulators, Σ |x|·|w| in two)` (the magnitudes
    /// only when `ABS`), or `None` when the block holds a NaN/Inf code. `o` is the block's
    /// offset in `xp`/`xap`; the caller guarantees `o + 32 ≤ xp.len() = xap.len()`.
    #[target_feature(enable = "avx2,fma")]
    #[inline]
    unsafe fn fp8_block_sums<const ABS: bool, const E5: bool>(
        xp: &[f32],
        xap: &[f32],
        o: usize,
        bytes: __m256i,
    ) -> Option<[__m256; 4]> {
        let zero = _mm256_setzero_si256();
        let abs_mask = _mm256_set1_epi16(0x7FFF);
        let halves = fp8_block::<E5>(bytes)?;
        let (mut acc0, mut acc1) = (_mm256_setzero_ps(), _mm256_setzero_ps());
        let (mut ab0, mut ab1) = (_mm256_setzero_ps(), _mm256_setzero_ps());
        for (h, wv) in halves.into_iter().enumerate() {
            let o = o + 16 * h;
            // SAFETY: `o + 16 ≤ xp.len() = xap.len()` (the caller's guarantee).
            let (x_lo, x_hi) = (
                _mm256_loadu_ps(xp.as_ptr().add(o)),
                _mm256_loadu_ps(xp.as_ptr().add(o + 8)),
            );
            acc0 = _mm256_fmadd_ps(
                x_lo,
                _mm256_castsi256_ps(_mm256_unpacklo_epi16(zero, wv)),
                acc0,
            );
            acc1 = _mm256_fmadd_ps(
                x_hi,
                _mm256_castsi256_ps(_mm256_unpackhi_epi16(zero, wv)),
                acc1,
            );
            if ABS {
                let wa = _mm256_and_si256(wv, abs_mask);
                // SAFETY: as above.
                let (xa_lo, xa_hi) = (
                    _mm256_loadu_ps(xap.as_ptr().add(o)),
                    _mm256_loadu_ps(xap.as_ptr().add(o + 8)),
                );
                ab0 = _mm256_fmadd_ps(
                    xa_lo,
                    _mm256_castsi256_ps(_mm256_unpacklo_epi16(zero, wa)),
                    ab0,
                );
                ab1 = _mm256_fmadd_ps(
                    xa_hi,
                    _mm256_castsi256_ps(_mm256_unpackhi_epi16(zero, wa)),
                    ab1,
                );
            }
        }
        Some([acc0, acc1, ab0, ab1])
    }

    /// `None` for a row with a NaN or Inf code anywhere: the caller then takes the f64 path
    /// (keeping that rare case out of this loop keeps every accumulator in a register).
    #[target_feature(enable = "avx2,fma")]
    unsafe fn lane_fp8<const ABS: bool, const E5: bool>(
        xp: &[f32],
        xap: &[f32],
        codes: &[u8],
        c: &[f64],
    ) -> Option<(f64, f64)> {
        let mut t0 = _mm256_setzero_pd();
        let mut a0 = _mm256_setzero_pd();
        for (j, &cb) in c.iter().enumerate() {
            let bytes = load_block(codes, j);
            // SAFETY: `32·j + 32 ≤ 32·c.len() = xp.len() = xap.len()`.
            let [acc0, acc1, ab0, ab1] = fp8_block_sums::<ABS, E5>(xp, xap, j * BLOCK, bytes)?;
            t0 = carry(t0, acc0, acc1, cb);
            if ABS {
                a0 = carry(a0, ab0, ab1, cb);
            }
        }
        Some((hsum(t0), hsum(a0)))
    }

    /// The code in the high byte of each 16-bit lane of `v` as a raw bf16 pattern (see
    /// [`super::lane_fp8_direct`]): an arithmetic shift puts the magnitude bits at the top of
    /// the bf16 exponent/mantissa fields, the mask keeps the sign (unless `ABS`) and clears its
    /// copies and the low byte's bits.
    #[target_feature(enable = "avx2,fma")]
    #[inline]
    unsafe fn raw_high<const E5: bool, const ABS: bool>(v: __m256i) -> __m256i {
        let sign = if ABS { 0 } else { 0x8000_u16 };
        if E5 {
            let keep = _mm256_set1_epi16((sign | 0x0FE0) as i16);
            _mm256_and_si256(_mm256_srai_epi16::<3>(v), keep)
        } else {
            let keep = _mm256_set1_epi16((sign | 0x07F0) as i16);
            _mm256_and_si256(_mm256_srai_epi16::<4>(v), keep)
        }
    }

    /// 32 codes as four vectors of raw f32 patterns, vector `c` holding byte `c` of each 32-bit
    /// lane: bf16 patterns of the odd and the even bytes (16-bit lanes), whose high and low
    /// halves of each 32-bit lane are f32 patterns once the other half is zero.
    #[target_feature(enable = "avx2,fma")]
    #[inline]
    unsafe fn raw_block<const E5: bool, const ABS: bool>(b: __m256i) -> [__m256; 4] {
        let odd = raw_high::<E5, ABS>(b);
        let even = raw_high::<E5, ABS>(_mm256_slli_epi16::<8>(b));
        let high = _mm256_set1_epi32(0xFFFF_0000_u32 as i32);
        [
            _mm256_castsi256_ps(_mm256_slli_epi32::<16>(even)),
            _mm256_castsi256_ps(_mm256_slli_epi32::<16>(odd)),
            _mm256_castsi256_ps(_mm256_and_si256(even, high)),
            _mm256_castsi256_ps(_mm256_and_si256(odd, high)),
        ]
    }

    /// See [`super::lane_bf16_direct`].
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn lane_bf16_direct<const ABS: bool>(x: &[f32], bits: &[u16]) -> (f64, f32) {
        let nb = x.len() / BLOCK;
        // A partial last block, zero padded (copied before the loop, as in the FP8 kernel).
        let full = bits.len() / BLOCK;
        let mut tail = [0u16; BLOCK];
        tail[..bits.len() - full * BLOCK].copy_from_slice(&bits[full * BLOCK..]);
        let magnitude = _mm256_set1_epi16(0x7FFF);
        let high = _mm256_set1_epi32(0xFFFF_0000_u32 as i32);
        let mut largest = _mm256_setzero_si256();
        let mut total = _mm256_setzero_pd();
        let mut block = 0;
        while block < nb {
            let mut group = _mm256_setzero_ps();
            for _ in 0..super::DIRECT_GROUP.min(nb - block) {
                let p = if block < full {
                    // SAFETY: block `block` lies inside `bits`.
                    bits.as_ptr().add(block * BLOCK)
                } else {
                    tail.as_ptr()
                };
                let mut sums = [_mm256_setzero_ps(); 2];
                for (h, sum) in sums.iter_mut().enumerate() {
                    // SAFETY: `p` points at 32 readable u16s (a full block or `tail`).
                    let v = _mm256_loadu_si256(p.add(16 * h) as *const __m256i);
                    let m = _mm256_and_si256(v, magnitude);
                    largest = _mm256_max_epu16(largest, m);
                    let v = if ABS { m } else { v };
                    let odd = _mm256_castsi256_ps(_mm256_and_si256(v, high));
                    let even = _mm256_castsi256_ps(_mm256_slli_epi32::<16>(v));
                    // SAFETY: `32·block + 32 ≤ 32·nb = x.len()`.
                    let xq = x.as_ptr().add(block * BLOCK + 16 * h);
                    *sum = _mm256_fmadd_ps(
                        _mm256_loadu_ps(xq.add(8)),
                        odd,
                        _mm256_mul_ps(_mm256_loadu_ps(xq), even),
                    );
                }
                group = _mm256_add_ps(group, _mm256_add_ps(sums[0], sums[1]));
                block += 1;
            }
            total = carry(total, group, _mm256_setzero_ps(), 1.0);
        }
        let mut lanes = [0u16; 16];
        _mm256_storeu_si256(lanes.as_mut_ptr() as *mut __m256i, largest);
        let max_bits = lanes.iter().copied().max().unwrap_or(0);
        (hsum(total), f32::from_bits(u32::from(max_bits) << 16))
    }

    /// See [`super::tile_dots`].
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn tile_dots<const MR: usize, const NR: usize>(
        x: [&[f32]; MR],
        w: [&[f32]; NR],
    ) -> [[f64; NR]; MR] {
        let len = w.first().map_or(0, |v| v.len());
        let mut total = [[_mm256_setzero_pd(); NR]; MR];
        let mut start = 0;
        while start < len {
            let end = (start + super::TILE_GROUP).min(len);
            let mut acc = [[_mm256_setzero_ps(); NR]; MR];
            for e in (start..end).step_by(8) {
                let mut wv = [_mm256_setzero_ps(); NR];
                for (v, row) in wv.iter_mut().zip(&w) {
                    // SAFETY: `e + 8 ≤ len = row.len()` (lengths are multiples of 32).
                    *v = _mm256_loadu_ps(row.as_ptr().add(e));
                }
                for (a, row) in acc.iter_mut().zip(&x) {
                    // SAFETY: as above, for every x row.
                    let xv = _mm256_loadu_ps(row.as_ptr().add(e));
                    for (a, v) in a.iter_mut().zip(&wv) {
                        *a = _mm256_fmadd_ps(xv, *v, *a);
                    }
                }
            }
            for (t, a) in total.iter_mut().zip(&acc) {
                for (t, a) in t.iter_mut().zip(a) {
                    *t = carry(*t, *a, _mm256_setzero_ps(), 1.0);
                }
            }
            start = end;
        }
        let mut out = [[0f64; NR]; MR];
        for (o, t) in out.iter_mut().zip(&total) {
            for (o, t) in o.iter_mut().zip(t) {
                *o = hsum(*t);
            }
        }
        out
    }

    /// See [`super::e8m0_scales`].
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn e8m0_scales(bytes: &[u8], f32s: &mut [f32]) -> bool {
        let n = bytes.len() / 8 * 8;
        let mut nan = _mm256_setzero_si256();
        for i in (0..n).step_by(8) {
            // SAFETY: `i + 8 ≤ n ≤ len` for both slices.
            let e = _mm256_cvtepu8_epi32(_mm_loadl_epi64(bytes.as_ptr().add(i) as *const __m128i));
            nan = _mm256_or_si256(nan, _mm256_cmpeq_epi32(e, _mm256_set1_epi32(0xFF)));
            let zero = _mm256_cmpeq_epi32(e, _mm256_setzero_si256());
            let bits = _mm256_blendv_epi8(
                _mm256_slli_epi32::<23>(e),
                _mm256_set1_epi32(0x0040_0000),
                zero,
            );
            _mm256_storeu_ps(f32s.as_mut_ptr().add(i), _mm256_castsi256_ps(bits));
        }
        let tail = super::e8m0_scales_portable(&bytes[n..], &mut f32s[n..]);
        _mm256_testz_si256(nan, nan) == 1 && tail
    }

    /// See [`super::lane_fp8_direct`].
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn lane_fp8_direct<const E5: bool, const ABS: bool>(
        x: &[f32],
        c: &[f32],
        l1: &[f32],
        codes: &[u8],
    ) -> Option<super::DirectSums> {
        let (mut l1_sum, mut scale_sum) = (0f32, 0f32);
        // NaN/Inf codes: E4M3 S.1111.111, E5M2 S.11111.xx — the largest masked byte.
        let special = _mm256_set1_epi8(if E5 { 0x7C } else { 0x7F });
        let mut largest = _mm256_setzero_si256();
        let mut total = _mm256_setzero_pd();
        // A partial last block, zero padded (copied here: a call inside the loop would push
        // the accumulators out of registers).
        let full = codes.len() / BLOCK;
        let mut tail = [0u8; BLOCK];
        tail[..codes.len() - full * BLOCK].copy_from_slice(&codes[full * BLOCK..]);
        for (g, cs) in c.chunks(super::DIRECT_GROUP).enumerate() {
            let mut group = _mm256_setzero_ps();
            for (i, cb) in cs.iter().enumerate() {
                let block = g * super::DIRECT_GROUP + i;
                let start = block * BLOCK;
                // SAFETY: `block < nb = l1.len()`.
                l1_sum += cb * *l1.get_unchecked(block);
                scale_sum += cb;
                // Blocks past the codes (`codes.len() ≤ 32 · nb`) read as the zero padded tail.
                let p = if block < full {
                    // SAFETY: block `block` lies inside `codes`.
                    codes.as_ptr().add(start)
                } else {
                    tail.as_ptr()
                };
                // SAFETY: `p` points at 32 readable bytes (a full block or `tail`).
                let b = _mm256_loadu_si256(p as *const __m256i);
                largest = _mm256_max_epu8(largest, _mm256_and_si256(b, special));
                let [w0, w1, w2, w3] = raw_block::<E5, ABS>(b);
                // SAFETY: `start + 32 ≤ 32 · c.len() = x.len()`.
                let xq = x.as_ptr().add(start);
                let acc0 = _mm256_fmadd_ps(
                    _mm256_loadu_ps(xq.add(8)),
                    w1,
                    _mm256_mul_ps(_mm256_loadu_ps(xq), w0),
                );
                let acc1 = _mm256_fmadd_ps(
                    _mm256_loadu_ps(xq.add(24)),
                    w3,
                    _mm256_mul_ps(_mm256_loadu_ps(xq.add(16)), w2),
                );
                group = _mm256_fmadd_ps(_mm256_add_ps(acc0, acc1), _mm256_set1_ps(*cb), group);
            }
            total = carry(total, group, _mm256_setzero_ps(), 1.0);
        }
        let bad = _mm256_cmpeq_epi8(largest, special);
        (_mm256_testz_si256(bad, bad) == 1)
            .then(|| super::DirectSums::new(hsum(total), l1_sum, scale_sum, c.len()))
    }

    /// bf16 weights: widened by a 16-bit shift (as patterns), magnitudes always summed.
    #[target_feature(enable = "avx2,fma")]
    unsafe fn lane_bf16(xp: &[f32], xap: &[f32], bits: &[u16], c: &[f64]) -> (f64, f64) {
        let zero = _mm256_setzero_si256();
        let abs_mask = _mm256_set1_epi16(0x7FFF);
        let mut t0 = _mm256_setzero_pd();
        let mut a0 = _mm256_setzero_pd();
        for (j, &cb) in c.iter().enumerate() {
            let (mut acc0, mut acc1) = (_mm256_setzero_ps(), _mm256_setzero_ps());
            let (mut ab0, mut ab1) = (_mm256_setzero_ps(), _mm256_setzero_ps());
            for h in 0..2 {
                let start = j * BLOCK + 16 * h;
                let mut tail = [0u16; 16];
                let chunk: &[u16] = match bits.get(start..start + 16) {
                    Some(full) => full,
                    None => {
                        let rest = bits.get(start..).unwrap_or(&[]);
                        tail[..rest.len()].copy_from_slice(rest);
                        &tail
                    }
                };
                // SAFETY: `chunk` is 16 u16s (32 bytes).
                let wv = _mm256_loadu_si256(chunk.as_ptr() as *const __m256i);
                let wa = _mm256_and_si256(wv, abs_mask);
                // SAFETY: `start + 16 ≤ 32 · c.len() = xp.len() = xap.len()`.
                let (x_lo, x_hi) = (
                    _mm256_loadu_ps(xp.as_ptr().add(start)),
                    _mm256_loadu_ps(xp.as_ptr().add(start + 8)),
                );
                // SAFETY: as above.
                let (xa_lo, xa_hi) = (
                    _mm256_loadu_ps(xap.as_ptr().add(start)),
                    _mm256_loadu_ps(xap.as_ptr().add(start + 8)),
                );
                let (w_lo, w_hi) = (
                    _mm256_unpacklo_epi16(zero, wv),
                    _mm256_unpackhi_epi16(zero, wv),
                );
                let (a_lo, a_hi) = (
                    _mm256_unpacklo_epi16(zero, wa),
                    _mm256_unpackhi_epi16(zero, wa),
                );
                acc0 = _mm256_fmadd_ps(x_lo, _mm256_castsi256_ps(w_lo), acc0);
                acc1 = _mm256_fmadd_ps(x_hi, _mm256_castsi256_ps(w_hi), acc1);
                ab0 = _mm256_fmadd_ps(xa_lo, _mm256_castsi256_ps(a_lo), ab0);
                ab1 = _mm256_fmadd_ps(xa_hi, _mm256_castsi256_ps(a_hi), ab1);
            }
            t0 = carry(t0, acc0, acc1, cb);
            a0 = carry(a0, ab0, ab1, cb);
        }
        (hsum(t0), hsum(a0))
    }

    /// Weights already decoded to f32 (lane order) with their magnitudes.
    #[target_feature(enable = "avx2,fma")]
    unsafe fn lane_decoded(xp: &[f32], xap: &[f32], v: &[f32], a: &[f32], c: &[f64]) -> (f64, f64) {
        let mut t0 = _mm256_setzero_pd();
        let mut a0 = _mm256_setzero_pd();
        let blocks = xp.chunks_exact(BLOCK).zip(xap.chunks_exact(BLOCK));
        let blocks = blocks
            .zip(v.chunks_exact(BLOCK).zip(a.chunks_exact(BLOCK)))
            .zip(c);
        for (((x, xa), (v, a)), &cb) in blocks {
            let (mut acc0, mut acc1) = (_mm256_setzero_ps(), _mm256_setzero_ps());
            let (mut ab0, mut ab1) = (_mm256_setzero_ps(), _mm256_setzero_ps());
            for h in 0..2 {
                let o = 16 * h;
                // SAFETY: every slice here is one 32-element block; lanes o..o+16 are in it.
                acc0 = _mm256_fmadd_ps(
                    _mm256_loadu_ps(x.as_ptr().add(o)),
                    _mm256_loadu_ps(v.as_ptr().add(o)),
                    acc0,
                );
                acc1 = _mm256_fmadd_ps(
                    _mm256_loadu_ps(x.as_ptr().add(o + 8)),
                    _mm256_loadu_ps(v.as_ptr().add(o + 8)),
                    acc1,
                );
                ab0 = _mm256_fmadd_ps(
                    _mm256_loadu_ps(xa.as_ptr().add(o)),
                    _mm256_loadu_ps(a.as_ptr().add(o)),
                    ab0,
                );
                ab1 = _mm256_fmadd_ps(
                    _mm256_loadu_ps(xa.as_ptr().add(o + 8)),
                    _mm256_loadu_ps(a.as_ptr().add(o + 8)),
                    ab1,
                );
            }
            t0 = carry(t0, acc0, acc1, cb);
            a0 = carry(a0, ab0, ab1, cb);
        }
        (hsum(t0), hsum(a0))
    }

    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn lane_dot(
        xp: &[f32],
        xap: &[f32],
        w: super::WRow<'_>,
        c: &[f64],
        with_abs: bool,
    ) -> Option<(f64, f64)> {
        match w {
            super::WRow::Fp8(Fp8Format::E4M3, codes) if with_abs => {
                lane_fp8::<true, false>(xp, xap, codes, c)
            }
            super::WRow::Fp8(Fp8Format::E4M3, codes) => lane_fp8::<false, false>(xp, xap, codes, c),
            super::WRow::Fp8(Fp8Format::E5M2, codes) if with_abs => {
                lane_fp8::<true, true>(xp, xap, codes, c)
            }
            super::WRow::Fp8(Fp8Format::E5M2, codes) => lane_fp8::<false, true>(xp, xap, codes, c),
            super::WRow::Bf16(bits) => Some(lane_bf16(xp, xap, bits, c)),
            super::WRow::Decoded(v, a) => Some(lane_decoded(xp, xap, v, a, c)),
        }
    }

    /// Ends a block: its two f32 accumulators are added and their 8 lanes folded pairwise into 4
    /// (two more f32 roundings per sum), widened to f64 and added to `total` times the block's
    /// scale `c` (exact: a power of two) — one conversion and one f64 accumulator per block.
    #[target_feature(enable = "avx2,fma")]
    #[inline]
    unsafe fn carry(total: __m256d, a: __m256, b: __m256, c: f64) -> __m256d {
        let v = _mm256_add_ps(a, b);
        let folded = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
        _mm256_fmadd_pd(_mm256_cvtps_pd(folded), _mm256_set1_pd(c), total)
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
        (hsum(_mm256_add_pd(t0, t1)), hsum(_mm256_add_pd(a0, a1)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_rng::xorshift64;

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
    fn lane_dot_decodes_every_finite_code_exactly() {
        if !lane_dot_available() {
            return;
        }
        for format in [Fp8Format::E4M3, Fp8Format::E5M2] {
            let table = format.table();
            let codes: Vec<u8> = (0..=255u8)
                .filter(|&c| table[c as usize].is_finite())
                .collect();
            for block in codes.chunks(BLOCK) {
                for i in 0..block.len() {
                    // One-hot x picks code i: the dot is that code's value, exactly.
                    let mut x = vec![0f32; BLOCK];
                    x[i] = 1.0;
                    let mut xp = vec![0f32; BLOCK];
                    permute16(&x, &mut xp);
                    let xap: Vec<f32> = xp.iter().map(|v| v.abs()).collect();
                    for with_abs in [false, true] {
                        let (s, a) =
                            lane_dot(&xp, &xap, WRow::Fp8(format, block), &[1.0], with_abs)
                                .expect("finite codes");
                        let want = table[block[i] as usize] as f64;
                        assert_eq!(
                            s.to_bits() & !(1 << 63),
                            want.to_bits() & !(1 << 63),
                            "{format:?} {:#04x}",
                            block[i]
                        );
                        assert_eq!(s, want, "{format:?} {:#04x}", block[i]);
                        if with_abs {
                            assert_eq!(a, want.abs(), "{format:?} {:#04x} magnitude", block[i]);
                        }
                    }
                }
            }
            let nan_code = (0..=255u8)
                .find(|&c| !table[c as usize].is_finite())
                .unwrap();
            let row = [nan_code; BLOCK];
            let xp = vec![1f32; BLOCK];
            assert!(lane_dot(&xp, &xp, WRow::Fp8(format, &row), &[1.0], false).is_none());
        }
    }

    #[test]
    fn bf16_direct_sums_stay_within_their_bound() {
        if !lane_dot_available() {
            return;
        }
        let mut next = xorshift64(0x9E37_79B9_7F4A_7C15);
        for k in [1usize, 31, 32, 33, 200, 1024] {
            let nb = k.div_ceil(BLOCK);
            // bf16 values over 2^-20..2^20 of both signs: sums with cancellation.
            let mut value = || {
                let r = next();
                let bits = ((r >> 63) << 15) as u16 | ((107 + (r >> 8) % 41) << 7) as u16;
                half::bf16::from_bits(bits | (r & 0x7F) as u16)
            };
            let x: Vec<f32> = (0..k).map(|_| value().to_f32()).collect();
            let w: Vec<half::bf16> = (0..k).map(|_| value()).collect();
            let mut xp = x.clone();
            xp.resize(nb * BLOCK, 0.0);
            let (mut eo, mut eo_abs) = (vec![0f32; xp.len()], vec![0f32; xp.len()]);
            even_odd(&xp, &mut eo, &mut eo_abs);
            let bits: Vec<u16> = w.iter().map(|v| v.to_bits()).collect();
            let (s, w_max) = lane_bf16_direct(&eo, &bits, false).expect("AVX2");
            let (a, _) = lane_bf16_direct(&eo_abs, &bits, true).expect("AVX2");
            let terms = x.iter().zip(&w).map(|(p, q)| f64::from(*p) * q.to_f64());
            let exact: f64 = terms.clone().sum();
            let magnitude: f64 = terms.map(f64::abs).sum();
            let u = 2f64.powi(-24);
            let bound = (6.0 * u / (1.0 - 6.0 * u) + (nb + 8) as f64 * f64::EPSILON) * magnitude;
            assert!(
                (s - exact).abs() <= bound,
                "k {k}: {s} vs {exact} (bound {bound})"
            );
            assert!(
                (a - magnitude).abs() <= bound,
                "k {k}: magnitudes {a} vs {magnitude}"
            );
            let true_max = w.iter().map(|v| v.to_f32().abs()).fold(0f32, f32::max);
            assert_eq!(w_max, true_max, "k {k}");
        }
    }

    #[test]
    fn fp8_direct_sums_stay_within_their_bound() {
        if !lane_dot_available() {
            return;
        }
        let mut next = xorshift64(0x0123_4567_89AB_CDEF);
        for format in [Fp8Format::E4M3, Fp8Format::E5M2] {
            let table = format.table();
            for k in [1usize, 32, 70, 1024] {
                let nb = k.div_ceil(BLOCK);
                let codes: Vec<u8> = (0..k)
                    .map(|_| loop {
                        let c = next() as u8;
                        if table[c as usize].is_finite() {
                            break c;
                        }
                    })
                    .collect();
                let scale_bytes: Vec<u8> = (0..nb).map(|_| 117 + (next() % 20) as u8).collect();
                let x: Vec<f32> = (0..nb * BLOCK)
                    .map(|i| {
                        if i < k {
                            (next() % 2001) as f32 / 100.0 - 10.0
                        } else {
                            0.0
                        }
                    })
                    .collect();
                let (mut xs, mut xs_abs) = (vec![0f32; x.len()], vec![0f32; x.len()]);
                let unscale = prescale_for(format, &x, &mut xs, &mut xs_abs);
                let mut c = vec![0f32; nb];
                assert!(e8m0_scales(&scale_bytes, &mut c));
                let l1: Vec<f32> = x
                    .chunks(BLOCK)
                    .map(|b| b.iter().map(|v| v.abs()).sum())
                    .collect();
                let d = lane_fp8_direct(&xs, &c, &l1, format, &codes, false).expect("AVX2");
                let a = lane_fp8_direct(&xs_abs, &c, &l1, format, &codes, true).expect("AVX2");
                let term = |i: usize| {
                    f64::from(x[i]) * f64::from(table[codes[i] as usize]) * f64::from(c[i / BLOCK])
                };
                let exact: f64 = (0..k).map(term).sum();
                let magnitude: f64 = (0..k).map(|i| term(i).abs()).sum();
                let u = 2f64.powi(-24);
                let rel = 6.0 * u / (1.0 - 6.0 * u) + (nb + 8) as f64 * f64::EPSILON;
                let (s, a) = (d.sum * unscale, a.sum * unscale);
                assert!(
                    (s - exact).abs() <= rel * magnitude,
                    "{format:?} k {k}: {s} vs {exact}"
                );
                assert!(
                    (a - magnitude).abs() <= rel * magnitude,
                    "{format:?} k {k}: |{a}|"
                );
                let scale_sum: f64 = c.iter().map(|&v| f64::from(v)).sum();
                assert!(d.scale_sum >= scale_sum && d.scale_sum <= scale_sum * 1.001);
                let l1_sum: f64 = c
                    .iter()
                    .zip(&l1)
                    .map(|(&a, &b)| f64::from(a) * f64::from(b))
                    .sum();
                assert!(d.l1 >= l1_sum && d.l1 <= l1_sum * 1.001, "{format:?} k {k}");
            }
        }
    }

    #[test]
    fn tile_sums_stay_within_their_bound() {
        if !lane_dot_available() {
            return;
        }
        let mut next = xorshift64(0xDEAD_BEEF_0BAD_F00D);
        let len = 8 * BLOCK;
        let mut row = || -> Vec<f32> {
            (0..len)
                .map(|_| {
                    let r = next();
                    let v = half::bf16::from_bits(
                        ((r >> 63) << 15) as u16
                            | ((110 + (r >> 8) % 30) << 7) as u16
                            | (r & 0x7F) as u16,
                    );
                    v.to_f32()
                })
                .collect()
        };
        let x: Vec<Vec<f32>> = (0..3).map(|_| row()).collect();
        let w: Vec<Vec<f32>> = (0..2).map(|_| row()).collect();
        let sums =
            tile_dots([&x[0][..], &x[1][..], &x[2][..]], [&w[0][..], &w[1][..]]).expect("AVX2");
        let u = 2f64.powi(-24);
        let l = TILE_ROUNDINGS as f64;
        let rel = l * u / (1.0 - l * u) + (len / TILE_GROUP + 8) as f64 * f64::EPSILON;
        for (r, xr) in x.iter().enumerate() {
            for (n, wn) in w.iter().enumerate() {
                let terms = xr
                    .iter()
                    .zip(wn)
                    .map(|(a, b)| f64::from(*a) * f64::from(*b));
                let exact: f64 = terms.clone().sum();
                let magnitude: f64 = terms.map(f64::abs).sum();
                let s = sums[r][n];
                assert!(
                    (s - exact).abs() <= rel * magnitude,
                    "x {r} w {n}: {s} vs {exact}"
                );
            }
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
        let exact: f64 = (0..96).map(|i| (x[i] * w[i]) as f64 * c[i / 32]).sum();
        assert_eq!(want.0, exact);
    }
}
