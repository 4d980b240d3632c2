//! MX quantization and dequantization, per `docs/numerics.md`.

use super::min_rows_per_task;
use crate::formats::{pow2_f32, DType, FloatElement, Fp8Format, E8M0};
use crate::ops::{MxQuantOptions, NonFiniteBlocks, ScaleAlg, TinyBlocks, MX_BLOCK};
use rayon::prelude::*;

/// The element byte written for every element of a block whose scale is NaN: `0x00` as the NPU
/// writes it (its saturating cast turns the NaN products into 0), or the E4M3/E5M2 NaN `0x7F`.
pub(crate) fn non_finite_element(options: &MxQuantOptions) -> u8 {
    match options.non_finite {
        NonFiniteBlocks::Zero => 0x00,
        NonFiniteBlocks::Nan => 0x7F,
    }
}

/// `f32(1/448)` and `f32(1/57344)` as the Ascend kernel multiplies by them (RCEIL).
const RCP_E4M3_MAX: u32 = 0x3B12_4925;
const RCP_E5M2_MAX: u32 = 0x3792_4925;

/// The scale decision for one block.
pub(crate) enum BlockScale {
    /// Multiply elements by `2^(127 - byte)`.
    Scaled(E8M0),
    /// Elements become ±0; the byte is still written (an all-zero block, or a tiny block under
    /// `TinyBlocks::Flush`).
    Flushed(E8M0),
    /// A NaN or Inf in the block: scale 0xFF, every element [`non_finite_element`].
    NonFinite,
}

/// OCP: the scale from the largest biased f32 exponent field of the block's elements (exact for
/// bf16, f16 and f32 inputs: f16 subnormals are normal in f32).
pub(crate) fn ocp_scale(max_exp_field: u32, format: Fp8Format, tiny: TinyBlocks) -> BlockScale {
    if max_exp_field == 0xFF {
        return BlockScale::NonFinite;
    }
    let byte = (max_exp_field as i32 - format.emax()).max(0) as u8;
    match (byte, tiny) {
        (0, TinyBlocks::Flush) => BlockScale::Flushed(E8M0(0)),
        _ => BlockScale::Scaled(E8M0(byte)),
    }
}

/// RCEIL: `S = amax * f32(1/max)`, its exponent field rounded up when the mantissa is nonzero;
/// `amax` is the block's largest magnitude (NaN or Inf: non-finite).
pub(crate) fn rceil_scale(amax: f32, format: Fp8Format) -> BlockScale {
    if !amax.is_finite() {
        return BlockScale::NonFinite;
    }
    if amax == 0.0 {
        return BlockScale::Flushed(E8M0(0));
    }
    let rcp = f32::from_bits(match format {
        Fp8Format::E4M3 => RCP_E4M3_MAX,
        Fp8Format::E5M2 => RCP_E5M2_MAX,
    });
    let s = (amax * rcp).to_bits();
    let (mut e, m) = ((s >> 23) & 0xFF, s & 0x7F_FFFF);
    if (e > 0 && e < 254 && m > 0) || (e == 0 && m > 0x40_0000) {
        e += 1;
    }
    BlockScale::Scaled(E8M0(e as u8))
}

/// The scale of a block of f32 values.
fn block_scale(block: &[f32], options: &MxQuantOptions) -> BlockScale {
    match options.scale_alg {
        ScaleAlg::Ocp => {
            let max_exp = block
                .iter()
                .map(|v| (v.to_bits() >> 23) & 0xFF)
                .max()
                .unwrap_or(0);
            ocp_scale(max_exp, options.dst, options.tiny_blocks)
        }
        ScaleAlg::Rceil => {
            // NaN propagates through neither max nor comparisons: look for it first.
            if block.iter().any(|v| v.is_nan()) {
                return BlockScale::NonFinite;
            }
            rceil_scale(
                block.iter().fold(0.0f32, |m, v| m.max(v.abs())),
                options.dst,
            )
        }
    }
}

/// Quantizes one block of `x` (already widened to f32) into `out`; returns the scale byte.
fn quantize_block(block: &[f32], options: &MxQuantOptions, out: &mut [u8]) -> E8M0 {
    match block_scale(block, options) {
        BlockScale::NonFinite => {
            out.fill(non_finite_element(options));
            E8M0::NAN
        }
        BlockScale::Flushed(byte) => {
            for (o, v) in out.iter_mut().zip(block) {
                *o = if v.is_sign_negative() { 0x80 } else { 0x00 };
            }
            byte
        }
        BlockScale::Scaled(byte) => {
            let recip = pow2_f32(127 - byte.0 as i32);
            for (o, &v) in out.iter_mut().zip(block) {
                *o = options.dst.encode(v * recip, options.round);
            }
            byte
        }
    }
}

/// Quantizes rows of length `k`; `scales` holds `2 * ceil(nb/2)` bytes per row. bf16 input
/// takes the table-driven path of `mx_fast`, which produces the same bytes.
pub(crate) fn quantize<T: FloatElement>(
    x: &[T],
    k: usize,
    options: &MxQuantOptions,
    elements: &mut [u8],
    scales: &mut [E8M0],
) {
    if T::DTYPE == DType::BF16 && super::mx_fast::supports(options) {
        let bits: &[u16] = bytemuck::cast_slice(x);
        return super::mx_fast::quantize_bf16(bits, k, options, elements, scales);
    }
    quantize_reference(x, k, options, elements, scales);
}

/// The reference: every block widened to f32 and quantized by [`quantize_block`].
pub(crate) fn quantize_reference<T: FloatElement>(
    x: &[T],
    k: usize,
    options: &MxQuantOptions,
    elements: &mut [u8],
    scales: &mut [E8M0],
) {
    let nb = k.div_ceil(MX_BLOCK);
    let scale_row = crate::ops::pair_scale_row(k);
    x.par_chunks(k)
        .zip(elements.par_chunks_mut(k))
        .zip(scales.par_chunks_mut(scale_row))
        .with_min_len(min_rows_per_task(k))
        .for_each(|((x_row, out_row), scale_row)| {
            let mut block = [0.0f32; MX_BLOCK];
            for (b, (x_block, out_block)) in x_row
                .chunks(MX_BLOCK)
                .zip(out_row.chunks_mut(MX_BLOCK))
                .enumerate()
            {
                let widened = &mut block[..x_block.len()];
                for (w, v) in widened.iter_mut().zip(x_block) {
                    *w = v.to_f32();
                }
                scale_row[b] = quantize_block(widened, options, out_block);
            }
            // The pad byte of an odd block count.
            scale_row[nb..].fill(E8M0::MIN);
        });
}

/// Dequantizes rows of length `k`: `decode(y) * 2^(byte - 127)` in f32, then RNE to `O`.
pub(crate) fn dequantize<O: FloatElement>(
    format: Fp8Format,
    y: &[u8],
    scales: &[E8M0],
    k: usize,
    out: &mut [O],
) {
    let scale_row = crate::ops::pair_scale_row(k);
    let table = format.table();
    y.par_chunks(k)
        .zip(out.par_chunks_mut(k))
        .zip(scales.par_chunks(scale_row))
        .with_min_len(min_rows_per_task(k))
        .for_each(|((y_row, out_row), scale_row)| {
            for ((y_block, out_block), scale) in y_row
                .chunks(MX_BLOCK)
                .zip(out_row.chunks_mut(MX_BLOCK))
                .zip(scale_row)
            {
                let s = scale.to_f32();
                for (o, &b) in out_block.iter_mut().zip(y_block) {
                    *o = O::from_f32(table[b as usize] * s);
                }
            }
        });
}
