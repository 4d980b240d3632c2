//! The safe public API: one function per op. Each validates its inputs (shapes, dtypes,
//! options) and returns an [`Error`](crate::Error) naming what is wrong, then dispatches to the
//! chosen [`Backend`](crate::Backend). Nothing here panics on bad input or returns partial
//! output.

mod fp8_block;
mod matmul;
mod mx;
mod mx_matmul;
mod rms_norm;
mod rope;

pub use fp8_block::{fp8_block_dequant, fp8_block_dequant_into};
pub use matmul::{matmul, mx_matmul_weight_only};
pub use mx::{
    block_scales_to_pair, mx_dequant, mx_dequant_into, mx_quant, mx_quant_into, pair_scale_row,
    pair_scales_to_blocks, MxQuantOptions, MxTensor, MxView, NonFiniteBlocks, ScaleAlg, TinyBlocks,
    MX_BLOCK,
};
pub use mx_matmul::mx_matmul;
pub use rms_norm::{
    add_rms_norm, rms_norm, rms_norm_into, rms_norm_residual, rms_norm_residual_into,
    rms_norm_rstd, AddRmsNormMode, AddRmsNormOptions, AddRmsNormOutput, RmsNormMode,
    RmsNormOptions,
};
pub use rope::{rope_qk, rotary_mul, RopeCache, RopeMode, RopeOptions};

use crate::error::{Error, Result};
use crate::formats::Element;
use crate::tensor::TensorView;

/// Checks that a tensor has rank >= 1 and a non-empty last axis; returns (rows, last).
pub(crate) fn rows_and_last<T: Element>(
    name: &str,
    view: &TensorView<'_, T>,
) -> Result<(usize, usize)> {
    let last = match view.shape().last() {
        Some(&d) if d > 0 => d,
        _ => {
            return Err(Error::shape(
                name,
                "rank >= 1 with a non-empty last axis",
                view.shape(),
            ))
        }
    };
    Ok((view.len() / last, last))
}

/// Number of `block`-sized groups covering `n`.
pub(crate) fn ceil_div(n: usize, block: usize) -> usize {
    n.div_ceil(block)
}
