//! A table-driven `mx_quant` for bf16 input, bit-identical to the reference in `mx.rs`
//! (the tests below check every bf16 value under every scale byte and option).
//!
//! A bf16 value times `2^(127 - byte)` only changes its exponent, so the FP8 code of the scaled
//! value depends on (scaled exponent, 7 mantissa bits) alone: one table per (format, rounding)
//! maps those to the code, built once from the reference encoder. Values whose scaled exponent
//! falls outside the table (bf16 subnormals, or values far below the block's amax that round to
//! zero) go through the reference encoder.

use super::min_rows_per_task;
use super::mx::{non_finite_element, ocp_scale, rceil_scale, BlockScale};
use crate::formats::{pow2_f32, Fp8Format, RoundMode, E8M0};
use crate::ops::{MxQuantOptions, ScaleAlg, MX_BLOCK};
use half::bf16;
use rayon::prelude::*;
use std::sync::OnceLock;

/// Codes for scaled exponents `lo..=hi` (unbiased) and every 7-bit mantissa, positive sign.
struct EncodeTable {
    lo: i32,
    hi: i32,
    codes: Vec<u8>,
}

impl EncodeTable {
    fn build(format: Fp8Format, round: RoundMode) -> Self {
        // Below 2^lo every value rounds to zero under rint/round (half the smallest subnormal is
        // 2^(emin - mbits - 1)); above 2^hi the block rule never puts an element.
        let (lo, hi) = match format {
            Fp8Format::E4M3 => (-11, 8),
            Fp8Format::E5M2 => (-18, 15),
        };
        let mut codes = Vec::with_capacity(((hi - lo + 1) * 128) as usize);
        for e in lo..=hi {
            for m in 0..128u32 {
                let v = (1.0 + m as f32 / 128.0) * pow2_f32(e);
                codes.push(format.encode(v, round));
            }
        }
        EncodeTable { lo, hi, codes }
    }
}

fn table(format: Fp8Format, round: RoundMode) -> &'static EncodeTable {
    static TABLES: [OnceLock<EncodeTable>; 4] = [const { OnceLock::new() }; 4];
    let idx = match (format, round) {
        (Fp8Format::E4M3, RoundMode::Rint) => 0,
        (Fp8Format::E4M3, _) => 1,
        (Fp8Format::E5M2, RoundMode::Rint) => 2,
        (Fp8Format::E5M2, _) => 3,
    };
    TABLES[idx].get_or_init(|| EncodeTable::build(format, round))
}

/// True when this path applies (bf16 input, rint or round elements).
pub(crate) fn supports(options: &MxQuantOptions) -> bool {
    matches!(options.round, RoundMode::Rint | RoundMode::Round)
}

fn block_scale(block: &[u16], options: &MxQuantOptions) -> BlockScale {
    match options.scale_alg {
        ScaleAlg::Ocp => {
            let max_exp = block
                .iter()
                .map(|b| ((b >> 7) & 0xFF) as u32)
                .max()
                .unwrap_or(0);
            ocp_scale(max_exp, options.dst, options.tiny_blocks)
        }
        ScaleAlg::Rceil => {
            // Magnitude bit patterns order like the values; NaN and Inf sort above every finite.
            let max_bits = block.iter().map(|b| b & 0x7FFF).max().unwrap_or(0);
            rceil_scale(f32::from_bits((max_bits as u32) << 16), options.dst)
        }
    }
}

fn encode_block(
    block: &[u16],
    out: &mut [u8],
    byte: E8M0,
    options: &MxQuantOptions,
    t: &EncodeTable,
) {
    let shift = byte.0 as i32 - 127;

    let recip = pow2_f32(-shift);
    for (o, &b) in out.iter_mut().zip(block) {
        let exp_field = ((b >> 7) & 0xFF) as i32;
        let e = exp_field - 127 - shift;
        let sign = ((b >> 8) & 0x80) as u8;
        *o = if exp_field != 0 && e >= t.lo && e <= t.hi {
            sign | t.codes[((e - t.lo) * 128 + (b & 0x7F) as i32) as usize]
        } else if exp_field != 0 && e < t.lo {
            sign
        } else {
            // bf16 zeros and subnormals: the reference path.
            options
                .dst
                .encode(bf16::from_bits(b).to_f32() * recip, options.round)
        };
    }
}

/// `mx_quant` of bf16 rows of length `k` (bits), the same bytes as the reference.
pub(crate) fn quantize_bf16(
    x: &[u16],
    k: usize,
    options: &MxQuantOptions,
    elements: &mut [u8],
    scales: &mut [E8M0],
) {
    let nb = k.div_ceil(MX_BLOCK);
    let scale_row = crate::ops::pair_scale_row(k);
    let t = table(options.dst, options.round);
    x.par_chunks(k)
        .zip(elements.par_chunks_mut(k))
        .zip(scales.par_chunks_mut(scale_row))
        .with_min_len(min_rows_per_task(k))
        .for_each(|((x_row, out_row), scale_row)| {
            #[cfg(target_arch = "x86_64")]
            if lanes::available() {
                // SAFETY: the CPU supports AVX2 (checked just above).
                unsafe { lanes::quantize_row(x_row, out_row, scale_row, options, t) };
                scale_row[nb..].fill(E8M0::MIN);
                return;
            }
            for (b, (xb, ob)) in x_row
                .chunks(MX_BLOCK)
                .zip(out_row.chunks_mut(MX_BLOCK))
                .enumerate()
            {
                scale_row[b] = quantize_block(xb, ob, block_scale(xb, options), options, t);
            }
            scale_row[nb..].fill(E8M0::MIN);
        });
}

/// Writes one block's elements for a scale decision and returns its scale byte.
fn quantize_block(
    xb: &[u16],
    ob: &mut [u8],
    scale: BlockScale,
    options: &MxQuantOptions,
    t: &EncodeTable,
) -> E8M0 {
    match scale {
        BlockScale::NonFinite => {
            ob.fill(non_finite_element(options));
            E8M0::NAN
        }
        BlockScale::Flushed(byte) => {
            for (o, &v) in ob.iter_mut().zip(xb) {
                *o = ((v >> 8) & 0x80) as u8;
            }
            byte
        }
        BlockScale::Scaled(byte) => {
            encode_block(xb, ob, byte, options, t);
            byte
        }
    }
}

/// An AVX2 encoder for whole blocks of 32 computing each code arithmetically (the same
/// rounding as the table: a bf16 value has 8 significant bits, so its code is a rounded shift
/// of `1.m` by the scaled exponent). Blocks holding bf16 subnormals are left to the table path.
#[cfg(target_arch = "x86_64")]
mod lanes {
    use super::BlockScale;
    use crate::formats::{Fp8Format, RoundMode, E8M0};
    use crate::ops::{MxQuantOptions, ScaleAlg};
    use std::arch::x86_64::*;

    /// One row: full OCP blocks take the scale from a vector max of exponent fields and are
    /// encoded in lanes; every other block goes through the scalar functions of the parent.
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn quantize_row(
        x: &[u16],
        out: &mut [u8],
        scales: &mut [E8M0],
        options: &MxQuantOptions,
        t: &super::EncodeTable,
    ) {
        let lanes_ok = matches!(options.round, RoundMode::Rint | RoundMode::Round);
        for (b, (xb, ob)) in x.chunks(32).zip(out.chunks_mut(32)).enumerate() {
            let full = <&[u16; 32]>::try_from(xb).ok().filter(|_| lanes_ok);
            let scale = match (full, options.scale_alg) {
                (Some(block), ScaleAlg::Ocp) => {
                    super::ocp_scale(max_exp_field(block), options.dst, options.tiny_blocks)
                }
                _ => super::block_scale(xb, options),
            };
            if let (Some(block), BlockScale::Scaled(byte)) = (full, &scale) {
                let o: &mut [u8; 32] = ob.try_into().expect("a full block");
                if encode_avx2(block, o, byte.0 as i32 - 127, options) {
                    scales[b] = *byte;
                    continue;
                }
            }
            scales[b] = super::quantize_block(xb, ob, scale, options, t);
        }
    }

    /// The largest biased exponent field of 32 bf16 values.
    #[target_feature(enable = "avx2")]
    unsafe fn max_exp_field(block: &[u16; 32]) -> u32 {
        let mask = _mm256_set1_epi16(0x7F80);
        // SAFETY: two loads of 16 u16s from a 32-element block.
        let a = _mm256_loadu_si256(block.as_ptr() as *const __m256i);
        let b = _mm256_loadu_si256(block.as_ptr().add(16) as *const __m256i);
        let m = _mm256_max_epu16(_mm256_and_si256(a, mask), _mm256_and_si256(b, mask));
        let m = _mm_max_epu16(_mm256_castsi256_si128(m), _mm256_extracti128_si256(m, 1));
        let m = _mm_max_epu16(m, _mm_srli_si128(m, 8));
        let m = _mm_max_epu16(m, _mm_srli_si128(m, 4));
        let m = _mm_max_epu16(m, _mm_srli_si128(m, 2));
        (_mm_extract_epi16(m, 0) as u32) >> 7
    }

    pub(super) fn available() -> bool {
        crate::backend::cpu::fast::has_avx2_fma()
    }

    /// Rounds `v >> d` (per lane, `d` in 1..=31) to nearest, ties to even or away.
    #[target_feature(enable = "avx2")]
    unsafe fn round_shift(v: __m256i, d: __m256i, ties_even: bool) -> __m256i {
        let one = _mm256_set1_epi32(1);
        let half_minus_one =
            _mm256_sub_epi32(_mm256_sllv_epi32(one, _mm256_sub_epi32(d, one)), one);
        let tie = if ties_even {
            _mm256_and_si256(_mm256_srlv_epi32(v, d), one)
        } else {
            one
        };
        _mm256_srlv_epi32(
            _mm256_add_epi32(_mm256_add_epi32(v, half_minus_one), tie),
            d,
        )
    }

    /// Encodes `block` scaled by `2^-shift` into `out`; false (nothing written) when the block
    /// holds a bf16 subnormal.
    #[target_feature(enable = "avx2")]
    unsafe fn encode_avx2(
        block: &[u16; 32],
        out: &mut [u8; 32],
        shift: i32,
        options: &MxQuantOptions,
    ) -> bool {
        let (mbits, bias, max_code) = match options.dst {
            Fp8Format::E4M3 => (3, 7, 0x7E),
            Fp8Format::E5M2 => (2, 15, 0x7B),
        };
        let ties_even = options.round == RoundMode::Rint;
        let emin = 1 - bias;
        let mut codes = [_mm256_setzero_si256(); 4];
        for (q, code) in codes.iter_mut().enumerate() {
            // SAFETY: lanes 8q..8q+8 of a 32-element block.
            let b =
                _mm256_cvtepu16_epi32(_mm_loadu_si128(block.as_ptr().add(8 * q) as *const __m128i));
            let exp_field = _mm256_and_si256(_mm256_srli_epi32(b, 7), _mm256_set1_epi32(0xFF));
            let m7 = _mm256_and_si256(b, _mm256_set1_epi32(0x7F));
            let is_zero_exp = _mm256_cmpeq_epi32(exp_field, _mm256_setzero_si256());
            let subnormal_input =
                _mm256_andnot_si256(_mm256_cmpeq_epi32(m7, _mm256_setzero_si256()), is_zero_exp);
            if _mm256_testz_si256(subnormal_input, subnormal_input) == 0 {
                return false;
            }
            // Scaled unbiased exponent e = exp_field - 127 - shift.
            let e = _mm256_sub_epi32(exp_field, _mm256_set1_epi32(127 + shift));
            // Normal range: round ((e + bias) << 7 | m7) by 7 - mbits bits, saturate.
            let v = _mm256_or_si256(
                _mm256_slli_epi32(_mm256_add_epi32(e, _mm256_set1_epi32(bias)), 7),
                m7,
            );
            let normal = round_shift(v, _mm256_set1_epi32(7 - mbits), ties_even);
            let normal = _mm256_min_epi32(normal, _mm256_set1_epi32(max_code));
            // Subnormal range: round (128 + m7) by d = (emin - mbits) + 7 - e - ... bits:
            // the code counts units of 2^(emin - mbits), the value is (128 + m7)·2^(e - 7).
            let d = _mm256_sub_epi32(_mm256_set1_epi32(emin - mbits + 7), e);
            let d = _mm256_min_epi32(d, _mm256_set1_epi32(31));
            let sub = round_shift(_mm256_or_si256(m7, _mm256_set1_epi32(128)), d, ties_even);
            let in_normal = _mm256_cmpgt_epi32(e, _mm256_set1_epi32(emin - 1));
            let mag = _mm256_blendv_epi8(sub, normal, in_normal);
            let mag = _mm256_andnot_si256(is_zero_exp, mag);
            let sign = _mm256_and_si256(_mm256_srli_epi32(b, 8), _mm256_set1_epi32(0x80));
            *code = _mm256_or_si256(mag, sign);
        }
        let lo = _mm256_packus_epi32(codes[0], codes[1]);
        let hi = _mm256_packus_epi32(codes[2], codes[3]);
        let bytes = _mm256_packus_epi16(lo, hi);
        // The packs interleave 128-bit lanes: restore element order.
        let bytes = _mm256_permutevar8x32_epi32(bytes, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
        // SAFETY: `out` is 32 bytes.
        _mm256_storeu_si256(out.as_mut_ptr() as *mut __m256i, bytes);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::super::mx::quantize_reference;
    use super::*;
    use crate::ops::{NonFiniteBlocks, TinyBlocks};

    /// Every bf16 bit pattern, in blocks of 32 that each hold one pattern next to a "block
    /// setter" whose exponent fixes the scale byte, for every scale byte the rules produce.
    #[test]
    fn every_bf16_under_every_option_matches_the_reference() {
        for dst in [Fp8Format::E4M3, Fp8Format::E5M2] {
            for scale_alg in [ScaleAlg::Ocp, ScaleAlg::Rceil] {
                for round in [RoundMode::Rint, RoundMode::Round] {
                    for tiny_blocks in [TinyBlocks::Flush, TinyBlocks::Scale] {
                        for non_finite in [NonFiniteBlocks::Zero, NonFiniteBlocks::Nan] {
                            let options = MxQuantOptions {
                                dst,
                                scale_alg,
                                round,
                                tiny_blocks,
                                non_finite,
                            };
                            check(&options);
                        }
                    }
                }
            }
        }
    }

    fn check(options: &MxQuantOptions) {
        for pass in 0..6 {
            check_pass(options, pass);
        }
    }

    fn check_pass(options: &MxQuantOptions, pass: usize) {
        // Blocks of 32: [setter, 31 consecutive bf16 patterns]. The setter's exponent (swept
        // over 0..=254, differently in each pass) sets the scale byte whenever it is the
        // block's largest, so each pattern meets scale bytes far above its own exponent too.
        let patterns: Vec<u16> = (0..=u16::MAX).collect();
        let mut x: Vec<u16> = Vec::new();
        for (i, chunk) in patterns.chunks(31).enumerate() {
            let setter_exp = ((i * 37 + pass * 101) % 255) as u16;
            x.push((setter_exp << 7) | (i as u16 & 0x7F));
            x.extend_from_slice(chunk);
            x.resize(x.len().div_ceil(32) * 32, 0);
        }
        let k = 64; // two blocks per row: the pair layout is exercised too
        x.resize(x.len().div_ceil(k) * k, 0);
        let rows = x.len() / k;
        let scale_row = 2;
        let (mut fe, mut fs) = (vec![0u8; x.len()], vec![E8M0(0x55); rows * scale_row]);
        let (mut re, mut rs) = (vec![0u8; x.len()], vec![E8M0(0x55); rows * scale_row]);
        quantize_bf16(&x, k, options, &mut fe, &mut fs);
        let xb: Vec<bf16> = x.iter().map(|&b| bf16::from_bits(b)).collect();
        quantize_reference(&xb, k, options, &mut re, &mut rs);
        assert_eq!(fs, rs, "scales differ under {options:?}");
        for (i, (a, b)) in fe.iter().zip(&re).enumerate() {
            assert_eq!(a, b, "element {i} (bf16 {:#06x}) under {options:?}", x[i]);
        }
    }
}
