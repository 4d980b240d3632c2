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

/// Checks that a tensor has rank >= 1; returns (rows, last), rows being the product of the
/// leading axes. A zero-sized axis is allowed (the op's result is then empty); leading axes whose
/// product overflows (possible only beside a zero-sized last axis) are refused.
pub(crate) fn rows_and_last<T: Element>(
    name: &str,
    view: &TensorView<'_, T>,
) -> Result<(usize, usize)> {
    let Some((&last, leading)) = view.shape().split_last() else {
        return Err(Error::shape(name, "rank >= 1", view.shape()));
    };
    let rows = crate::budget::product(leading).ok_or_else(|| {
        Error::shape(
            name,
            "leading axes whose product fits in usize",
            view.shape(),
        )
    })?;
    Ok((rows, last))
}

/// [`matmul_scratch`] with an f32 output, for callers outside the ops (`None` on overflow).
pub(crate) fn matmul_scratch_bytes(m: usize, n: usize, k: usize) -> Option<u64> {
    matmul_scratch(m, n, k, 4)
}

/// Holds op `op`'s buffers to the budget before it allocates any: each output
/// (`(name, element count or None on overflow, bytes per element)`), the device path's copies
/// of the inputs (`input_bytes`) and of the outputs, and `scratch` bytes (the most any backend
/// allocates besides; `None` on overflow). The same for every backend.
pub(crate) fn plan_op(
    op: &str,
    outputs: &[(&str, Option<usize>, usize)],
    input_bytes: u64,
    scratch: Option<u64>,
) -> Result<()> {
    let mut p = plan(op);
    let mut output_bytes = 0u64;
    for &(name, count, size) in outputs {
        p.buffer(name, count, size)?;
        let bytes = count.and_then(|c| (c as u64).checked_mul(size as u64));
        output_bytes = bytes
            .and_then(|b| output_bytes.checked_add(b))
            .unwrap_or(u64::MAX);
    }
    p.bytes(
        "device copies of the inputs and outputs",
        input_bytes.saturating_add(output_bytes),
    )?;
    p.bytes("scratch", scratch.unwrap_or(u64::MAX))
}

/// Bytes of a tensor's data.
pub(crate) fn nbytes<T>(data: &[T]) -> u64 {
    std::mem::size_of_val(data) as u64
}

/// A plan of what op `op` will allocate, held to the budget in force
/// ([`Budget::current`](crate::budget::Budget::current)).
pub(crate) fn plan(op: &str) -> crate::budget::Plan {
    crate::budget::Budget::current().plan(op)
}

/// Scratch bytes the matmul backends allocate beyond the output for `m` x rows, `n` weight rows
/// and depth `k`, the largest of: the CPU fast path (a transposed output copy, and x rows decoded
/// to f32 in six arrays of `m * kp` plus per-block f64 scales and bounds) and the sim (both
/// operands decoded to bf16, their scales copied twice, the bias split).
pub(crate) fn matmul_scratch(m: usize, n: usize, k: usize, out_bytes: usize) -> Option<u64> {
    let (m, n, k, o) = (m as u64, n as u64, k as u64, out_bytes as u64);
    let kp = k.div_ceil(32).checked_mul(32)?;
    let cpu = m
        .checked_mul(n)?
        .checked_mul(o)?
        .checked_add(m.checked_mul(kp)?.checked_mul(6 * 4 + 2)?)?;
    let sim = m
        .checked_add(n)?
        .checked_mul(k.checked_mul(2)?.checked_add(kp / 16 * 2)?)?
        .checked_add(n.checked_mul(32)?)?;
    Some(cpu.max(sim))
}

/// Number of `block`-sized groups covering `n`.
pub(crate) fn ceil_div(n: usize, block: usize) -> usize {
    n.div_ceil(block)
}

/// The result of a matmul with a zero-sized dimension, the same on every backend without running
/// one: `[M, N]` where each element is the empty sum (`+0`) plus the bias (rounded once to `O`);
/// empty when `M` or `N` is 0.
pub(crate) fn empty_sum_product<O: crate::formats::FloatElement>(
    m: usize,
    n: usize,
    bias: Option<&[f32]>,
) -> crate::tensor::Tensor<O> {
    let mut out = Vec::with_capacity(m * n);
    for _ in 0..m {
        match bias {
            Some(b) => out.extend(b.iter().map(|&v| O::from_f64(0.0 + f64::from(v)))),
            None => out.extend(std::iter::repeat_n(O::from_f32(0.0), n)),
        }
    }
    crate::tensor::Tensor::from_parts(vec![m, n], out)
}
