//! FP8 block dequantization of HF "fp8" checkpoints (`weight` x `weight_scale_inv`).

use super::ceil_div;
use crate::backend::{cpu, Backend};
use crate::error::{Error, Result};
use crate::formats::{FloatElement, E4M3};
use crate::tensor::{Tensor, TensorView};

/// `y[i,j] = round_out(f32(decode(w[i,j])) * f32(s[i / bo, j / bi]))` for `weight [O, I]` and
/// `weight_scale_inv [ceil(O/bo), ceil(I/bi)]` (a multiplier despite its name; f32, bf16 or f16
/// scales). Partial last blocks use the last scale row/column, as vLLM and msmodelslim do.
pub fn fp8_block_dequant<S: FloatElement, O: FloatElement>(
    backend: &Backend,
    weight: TensorView<'_, E4M3>,
    weight_scale_inv: TensorView<'_, S>,
    block: [usize; 2],
) -> Result<Tensor<O>> {
    super::plan("fp8_block_dequant").buffer("y", Some(weight.len()), O::DTYPE.size())?;
    let mut out = crate::output::filled(weight.len(), O::from_f32(0.0));
    fp8_block_dequant_into(backend, weight, weight_scale_inv, block, &mut out)?;
    Ok(Tensor::from_parts(weight.shape().to_vec(), out))
}

/// [`fp8_block_dequant`] into a caller's buffer of `O * I` elements (no allocation; after an
/// error its contents are not a result).
pub fn fp8_block_dequant_into<S: FloatElement, O: FloatElement>(
    backend: &Backend,
    weight: TensorView<'_, E4M3>,
    weight_scale_inv: TensorView<'_, S>,
    block: [usize; 2],
    out: &mut [O],
) -> Result<()> {
    let scales = weight_scale_inv;
    if block[0] == 0 || block[1] == 0 {
        return Err(Error::option(
            "block",
            format!("block sizes must be positive, got {block:?}"),
        ));
    }
    let &[rows, cols] = weight.shape() else {
        return Err(Error::shape("weight", "[out, in]", weight.shape()));
    };
    let grid = [ceil_div(rows, block[0]), ceil_div(cols, block[1])];
    if scales.shape() != grid {
        return Err(Error::shape(
            "weight_scale_inv",
            format!("{grid:?} (the scale grid of weight [{rows}, {cols}] with block {block:?})"),
            scales.shape(),
        ));
    }
    if out.len() != weight.len() {
        return Err(Error::shape(
            "out",
            format!("{} elements", weight.len()),
            &[out.len()],
        ));
    }
    if out.is_empty() {
        return Ok(());
    }
    match backend {
        Backend::Cpu if cpu::fast::elementwise::is_bf16::<O>() => {
            let (w, s) = (weight.data(), scales.data());
            cpu::fast::elementwise::fp8_block_dequant(w, s, cols, block, out)
        }
        Backend::Cpu => cpu::fp8_block::dequantize(weight.data(), scales.data(), cols, block, out),
        Backend::Sim(cfg) => {
            let (w, s) = (weight.data(), scales.data());
            crate::backend::sim::fp8_block_dequant(cfg, w, s, rows, cols, block, out)?;
        }
    }
    Ok(())
}
