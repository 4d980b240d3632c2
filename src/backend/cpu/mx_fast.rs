//! A table-driven `mx_quant` for bf16 input, bit-identical to the reference in `mx.rs`
//! (the tests below check every bf16 value under every scale byte and option).
//!
//! A bf16 value times `2^(127 - byte)` only changes its exponent, so the FP8 code of the scaled
//! value depends on (scaled exponent, 7 mantissa bits) alone: one table per (format, rounding)
//! maps those to the code, built once from the reference encoder. Values whose scaled exponent
//! falls outside the table (bf16 subnormals, or values far below the block's amax that round to
//! zero) go through the reference encoder.

use super::min_rows_per_task;
use super::mx::{ocp_scale, rceil_scale, BlockScale, NAN_ELEMENT};
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
    let scale_row = nb.div_ceil(2) * 2;
    let t = table(options.dst, options.round);
    x.par_chunks(k)
        .zip(elements.par_chunks_mut(k))
        .zip(scales.par_chunks_mut(scale_row))
        .with_min_len(min_rows_per_task(k))
        .for_each(|((x_row, out_row), scale_row)| {
            for (b, (xb, ob)) in x_row
                .chunks(MX_BLOCK)
                .zip(out_row.chunks_mut(MX_BLOCK))
                .enumerate()
            {
                scale_row[b] = match block_scale(xb, options) {
                    BlockScale::NonFinite => {
                        ob.fill(NAN_ELEMENT);
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
                };
            }
            scale_row[nb..].fill(E8M0::MIN);
        });
}

#[cfg(test)]
mod tests {
    use super::super::mx::quantize_reference;
    use super::*;
    use crate::ops::TinyBlocks;

    /// Every bf16 bit pattern, in blocks of 32 that each hold one pattern next to a "block
    /// setter" whose exponent fixes the scale byte, for every scale byte the rules produce.
    #[test]
    fn every_bf16_under_every_option_matches_the_reference() {
        for dst in [Fp8Format::E4M3, Fp8Format::E5M2] {
            for scale_alg in [ScaleAlg::Ocp, ScaleAlg::Rceil] {
                for round in [RoundMode::Rint, RoundMode::Round] {
                    for tiny_blocks in [TinyBlocks::Flush, TinyBlocks::Scale] {
                        let options = MxQuantOptions {
                            dst,
                            scale_alg,
                            round,
                            tiny_blocks,
                        };
                        check(&options);
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
