//! The vector kernels of the fast path: FP8/bf16 decoding to f32 and the block-scaled dot
//! product, with an AVX2+FMA version chosen at run time and a portable one computing the same
//! quantities (in another order, which the error bounds of `super::matmul` allow).
//!
//! One module per tier: this file holds what every tier shares (the block size, the operand
//! layouts and prescales, the bounds' constants) and the dispatchers, which run the AVX2 + FMA
//! tier ([`avx2`], x86-64 with both features) or else the portable tier (`portable`, or `None`
//! where a kernel has no portable form and the caller falls back to the next matmul tier). No
//! aarch64 NEON tier exists yet: aarch64 runs the portable tier.

#[cfg(target_arch = "x86_64")]
use super::has_avx2_fma;
use crate::formats::Fp8Format;
use portable::{decode_fp8_portable, e8m0_scales_portable, scaled_dot_portable};

/// The x86-64 AVX2 + FMA tier (compiled on x86-64, run when the CPU has both features).
#[cfg(target_arch = "x86_64")]
pub(crate) mod avx2;
/// The portable tier: plain Rust on every target, and the fallback of the dispatchers.
mod portable;
#[cfg(test)]
mod tests;

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
