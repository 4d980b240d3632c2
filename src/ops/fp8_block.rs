//! FP8 block dequantization of HF "fp8" checkpoints (`weight` x `weight_scale_inv`).

use super::ceil_div;
use crate::backend::{cpu, Backend, Op};
use crate::device::{self, host::HostRun, Exec};
use crate::error::{Error, Result};
use crate::formats::{DType, FloatElement, E4M3};
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
    if out.len() != rows * cols {
        return Err(Error::shape(
            "out",
            format!("{} elements", rows * cols),
            &[out.len()],
        ));
    }
    backend.run(Fp8BlockDequant {
        weight,
        scales,
        block,
        cols,
        out,
    })
}

/// One validated `fp8_block_dequant` into a caller buffer.
struct Fp8BlockDequant<'a, 'o, S, O> {
    weight: TensorView<'a, E4M3>,
    scales: TensorView<'a, S>,
    block: [usize; 2],
    cols: usize,
    out: &'o mut [O],
}

impl<S: FloatElement, O: FloatElement> Op for Fp8BlockDequant<'_, '_, S, O> {
    type Output = ();

    fn cpu(self) -> Result<()> {
        let (w, s) = (self.weight.data(), self.scales.data());
        if cpu::fast::elementwise::is_bf16::<O>() {
            cpu::fast::elementwise::fp8_block_dequant(w, s, self.cols, self.block, self.out);
        } else {
            cpu::fp8_block::dequantize(w, s, self.cols, self.block, self.out);
        }
        Ok(())
    }

    fn device(self, exec: &Exec) -> Result<()> {
        let mut run = HostRun::new(exec)?;
        let ws = run.input(self.weight.data())?;
        let ss = run.input(self.scales.data())?;
        let os = run.output_for::<O>(self.out.len())?;
        let shape = self.weight.shape();
        device::ops::fp8_block_dequant(
            exec,
            run.stream(),
            run.tensor(ws, shape, DType::U8),
            run.tensor(ss, self.scales.shape(), S::DTYPE),
            self.block,
            run.tensor(os, shape, O::DTYPE),
        )?;
        run.sync()?;
        run.download(os, self.out)
    }
}
