//! The MX grouped quant matmul, group sizes `[1, 1, 32]`.

use super::mx::MxView;
use crate::backend::{cpu, Backend, Op};
use crate::device::host::{HostRun, Slot};
use crate::device::ops::{mx_pad_scales, mx_rebalance};
use crate::device::{self, Exec};
use crate::error::{Error, Result};
use crate::formats::{DType, FloatElement, E8M0};
use crate::tensor::{Tensor, TensorView};
use crate::tiling::Target;

/// `y[m,n] = round_out( sum_j dot_j(x[m], w[n]) * sx[m,j] * sw[n,j] + bias[n] )` for
/// `x [M,K]`, `w [N,K]` (both FP8, E4M3 or E5M2 independently), pair-layout E8M0 scales,
/// optional f32 `bias [N]` — the `npu_quant_matmul(..., group_sizes=[1,1,32])` contract.
///
/// The CPU reference is the best answer: each block's dot product is exact (integer
/// arithmetic), blocks are summed with compensated f64 summation, and the result is rounded
/// once to `O` (`docs/numerics.md`, "mx_matmul").
pub fn mx_matmul<O: FloatElement>(
    backend: &Backend,
    x: MxView<'_>,
    w: MxView<'_>,
    bias: Option<TensorView<'_, f32>>,
) -> Result<Tensor<O>> {
    let (m, k) = x.validate("x")?;
    let (n, kw) = w.validate("w")?;
    if x.elements.rank() != 2 {
        return Err(Error::shape("x", "[M, K]", x.elements.shape()));
    }
    if w.elements.rank() != 2 {
        return Err(Error::shape("w", "[N, K]", w.elements.shape()));
    }
    if kw != k {
        return Err(Error::shape(
            "w",
            format!("[N, {k}] (K of x)"),
            w.elements.shape(),
        ));
    }
    let bias = match bias {
        Some(b) => {
            if b.shape() != [n] {
                return Err(Error::shape("bias", format!("[{n}] (N of w)"), b.shape()));
            }
            Some(b.data())
        }
        None => None,
    };
    let mut out = vec![O::from_f32(0.0); m * n];
    backend.run(MxMatmul {
        x,
        w,
        bias,
        dims: (m, n, k),
        out: &mut out,
    })?;
    Ok(Tensor::from_parts(vec![m, n], out))
}

/// One validated `mx_matmul`.
struct MxMatmul<'a, 'o, O> {
    x: MxView<'a>,
    w: MxView<'a>,
    bias: Option<&'a [f32]>,
    dims: (usize, usize, usize),
    out: &'o mut [O],
}

impl<O: FloatElement> Op for MxMatmul<'_, '_, O> {
    type Output = ();

    fn cpu(self) -> Result<()> {
        let (m, n, k) = self.dims;
        cpu::fast::matmul::mx(&self.x, &self.w, self.bias, m, n, k, self.out);
        Ok(())
    }

    /// On a5 the pad byte of odd scale rows is set to the format's `0x00` (the native kernel
    /// reads it, the reference does not); on a2 the scales are rebalanced per block so that
    /// the bf16 decode is exact (`docs/kernels/matmul.md`). Both on host copies.
    fn device(self, exec: &Exec) -> Result<()> {
        let (m, n, k) = self.dims;
        let (xs, ws): (Vec<E8M0>, Vec<E8M0>) = match exec.device.target() {
            Target::A5 => (
                mx_pad_scales(self.x.scales.data(), k)
                    .unwrap_or_else(|| self.x.scales.data().to_vec()),
                mx_pad_scales(self.w.scales.data(), k)
                    .unwrap_or_else(|| self.w.scales.data().to_vec()),
            ),
            Target::A2 => {
                // The knobs check first, as a missing variant is the first thing to report.
                exec.knobs("matmul", &exec.variant_for("matmul", m))?;
                let (x, w) = (&self.x, &self.w);
                mx_rebalance(x.format, x.scales.data(), w.format, w.scales.data(), k)
            }
        };
        let mut run = HostRun::new(exec)?;
        let x = upload_mx(&mut run, &self.x, &xs)?;
        let w = upload_mx(&mut run, &self.w, &ws)?;
        let os = run.output_for::<O>(self.out.len())?;
        let ws_bytes = device::ops::mx_matmul_workspace_bytes(exec, m, n, k, self.bias.is_some())?;
        let wsb = run.output(ws_bytes)?;
        let (out_shape, ws_shape) = ([m, n], [ws_bytes]);
        device::ops::mx_matmul(
            exec,
            run.stream(),
            x.operand(&run),
            w.operand(&run),
            self.bias,
            run.tensor(os, &out_shape, O::DTYPE),
            Some(run.tensor(wsb, &ws_shape, DType::U8)),
        )?;
        run.sync()?;
        run.download(os, self.out)
    }
}

/// An MX operand uploaded for a host-level run.
pub(super) struct UploadedMx<'a> {
    format: crate::formats::Fp8Format,
    elements: Slot,
    scales: Slot,
    element_shape: &'a [usize],
    scale_shape: &'a [usize],
}

impl<'a> UploadedMx<'a> {
    /// The operand's device tensors.
    pub(super) fn operand(&self, run: &HostRun<'_>) -> device::ops::MxDeviceOperand<'a> {
        device::ops::MxDeviceOperand {
            format: self.format,
            elements: run.tensor(self.elements, self.element_shape, DType::U8),
            scales: run.tensor(self.scales, self.scale_shape, DType::U8),
        }
    }
}

/// Uploads `op`'s elements and `scales` (its own or adjusted copies).
pub(super) fn upload_mx<'a>(
    run: &mut HostRun<'_>,
    op: &MxView<'a>,
    scales: &[E8M0],
) -> Result<UploadedMx<'a>> {
    Ok(UploadedMx {
        format: op.format,
        elements: run.input(op.elements.data())?,
        scales: run.input(scales)?,
        element_shape: op.elements.shape(),
        scale_shape: op.scales.shape(),
    })
}
