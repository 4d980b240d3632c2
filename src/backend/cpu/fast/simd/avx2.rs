//! The x86-64 AVX2 + FMA tier of [`super`]: every function needs both features (the dispatchers
//! check them once, `super::super::has_avx2_fma`).

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
                    0, 0x37, 0x38, 0x38, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x37, 0x38, 0x38,
                    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                ),
                _mm256_setr_epi8(
                    0, -128, 0, 0x40, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, -128, 0, 0x40, 0, 0,
                    0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                ),
                0x03,
            )
        } else {
            (
                _mm256_setr_epi8(
                    0, 0x3B, 0x3B, 0x3B, 0x3C, 0x3C, 0x3C, 0x3C, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x3B,
                    0x3B, 0x3B, 0x3C, 0x3C, 0x3C, 0x3C, 0, 0, 0, 0, 0, 0, 0, 0,
                ),
                _mm256_setr_epi8(
                    0, 0, -128, -64, 0, 0x20, 0x40, 0x60, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, -128, -64,
                    0, 0x20, 0x40, 0x60, 0, 0, 0, 0, 0, 0, 0, 0,
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
