//! Dense matmul (`x · wᵀ` in bf16/f16/f32) and the weight-only MX matmul (float activations ×
//! MXFP8 weights), the two linears a Qwen3 forward needs besides `mx_matmul`.

use super::mx::MxView;
use super::mx_matmul::upload_mx;
use crate::backend::{cpu, Backend, Op};
use crate::device::{self, host::HostRun, Exec};
use crate::error::{Error, Result};
use crate::formats::{DType, FloatElement};
use crate::tensor::{Tensor, TensorView};

fn check_2d<T: crate::formats::Element>(
    name: &str,
    t: &TensorView<'_, T>,
    what: &str,
) -> Result<(usize, usize)> {
    match *t.shape() {
        [a, b] if b > 0 => Ok((a, b)),
        _ => Err(Error::shape(name, what, t.shape())),
    }
}

/// `y[m,n] = round_out(Σ_k x[m,k] · w[n,k])` for `x [M,K]` and `w [N,K]` (a linear layer's
/// weight layout). The CPU reference sums the exact products with compensated f64 summation and
/// rounds once; an f32-accumulating backend must land within `γ_K · Σ|x w|` plus half an output
/// ulp of it.
pub fn matmul<T: FloatElement, O: FloatElement>(
    backend: &Backend,
    x: TensorView<'_, T>,
    w: TensorView<'_, T>,
) -> Result<Tensor<O>> {
    let (m, k) = check_2d("x", &x, "[M, K]")?;
    let (n, kw) = check_2d("w", &w, "[N, K]")?;
    if kw != k {
        return Err(Error::shape("w", format!("[N, {k}] (K of x)"), w.shape()));
    }
    let mut out = vec![O::from_f32(0.0); m * n];
    backend.run(Dense {
        x,
        w,
        dims: (m, n, k),
        out: &mut out,
    })?;
    Ok(Tensor::from_parts(vec![m, n], out))
}

/// One validated dense matmul.
struct Dense<'a, 'o, T, O> {
    x: TensorView<'a, T>,
    w: TensorView<'a, T>,
    dims: (usize, usize, usize),
    out: &'o mut [O],
}

impl<T: FloatElement, O: FloatElement> Op for Dense<'_, '_, T, O> {
    type Output = ();

    fn cpu(self) -> Result<()> {
        let (m, n, k) = self.dims;
        let (x, w) = (self.x.data(), self.w.data());
        if cpu::fast::matmul::supports::<T>() {
            cpu::fast::matmul::dense(x, w, m, n, k, self.out);
        } else {
            cpu::matmul::dense(x, w, n, k, self.out);
        }
        Ok(())
    }

    fn device(self, exec: &Exec) -> Result<()> {
        let (m, n, _) = self.dims;
        let mut run = HostRun::new(exec)?;
        let xs = run.input(self.x.data())?;
        let ws = run.input(self.w.data())?;
        let os = run.output_for::<O>(self.out.len())?;
        let out_shape = [m, n];
        device::ops::matmul(
            exec,
            run.stream(),
            run.tensor(xs, self.x.shape(), T::DTYPE),
            run.tensor(ws, self.w.shape(), T::DTYPE),
            None,
            run.tensor(os, &out_shape, O::DTYPE),
            None,
        )?;
        run.sync()?;
        run.download(os, self.out)
    }
}

/// Weight-only MX matmul: `y[m,n] = round_out(Σ_k x[m,k] · decode(w[n,k]) · sw[n, k/32])` for
/// float activations `x [M,K]` and MXFP8 weights `w [N,K]` with pair-layout scales — weights stay
/// at half the bf16 footprint. The CPU reference is exact per product and compensated across
/// the sum, rounded once.
pub fn mx_matmul_weight_only<T: FloatElement, O: FloatElement>(
    backend: &Backend,
    x: TensorView<'_, T>,
    w: MxView<'_>,
) -> Result<Tensor<O>> {
    let (m, k) = check_2d("x", &x, "[M, K]")?;
    let (n, kw) = w.validate("w")?;
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
    let mut out = vec![O::from_f32(0.0); m * n];
    backend.run(WeightOnly {
        x,
        w,
        dims: (m, n, k),
        out: &mut out,
    })?;
    Ok(Tensor::from_parts(vec![m, n], out))
}

/// One validated weight-only MX matmul.
struct WeightOnly<'a, 'o, T, O> {
    x: TensorView<'a, T>,
    w: MxView<'a>,
    dims: (usize, usize, usize),
    out: &'o mut [O],
}

impl<T: FloatElement, O: FloatElement> Op for WeightOnly<'_, '_, T, O> {
    type Output = ();

    fn cpu(self) -> Result<()> {
        let (m, n, k) = self.dims;
        if cpu::fast::matmul::supports::<T>() {
            cpu::fast::matmul::weight_only(self.x.data(), &self.w, m, n, k, self.out);
        } else {
            cpu::matmul::weight_only(self.x.data(), &self.w, n, k, self.out);
        }
        Ok(())
    }

    fn device(self, exec: &Exec) -> Result<()> {
        let (m, n, k) = self.dims;
        let mut run = HostRun::new(exec)?;
        let xs = run.input(self.x.data())?;
        let w = upload_mx(&mut run, &self.w, self.w.scales.data())?;
        let os = run.output_for::<O>(self.out.len())?;
        let ws_bytes = device::ops::mx_matmul_weight_only_workspace_bytes(n, k)?;
        let wsb = run.output(ws_bytes)?;
        let (out_shape, ws_shape) = ([m, n], [ws_bytes]);
        device::ops::mx_matmul_weight_only(
            exec,
            run.stream(),
            run.tensor(xs, self.x.shape(), T::DTYPE),
            w.operand(&run),
            run.tensor(os, &out_shape, O::DTYPE),
            Some(run.tensor(wsb, &ws_shape, DType::U8)),
        )?;
        run.sync()?;
        run.download(os, self.out)
    }
}
