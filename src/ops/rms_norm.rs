//! RMSNorm over the last axis (HF `Qwen3RMSNorm` semantics), plain and with a fused residual.

use super::rows_and_last;
use crate::backend::cpu::fast::elementwise as fast;
use crate::backend::{cpu, Backend, Op};
use crate::device::{self, host::HostRun, Exec};
use crate::error::{Error, Result};
use crate::formats::FloatElement;
use crate::tensor::{Tensor, TensorView};

/// Options of [`rms_norm`] and [`rms_norm_residual`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RmsNormOptions {
    /// Added to the mean square before the reciprocal square root (`rms_norm_eps`, 1e-6 for
    /// Qwen3); used as an f32, as HF does.
    pub eps: f32,
    /// `false` (default, HF): `y = round(round(x * r) * w)`, the cast before the weight multiply.
    /// `true` (fused vllm-ascend kernels): `y = round(x * r * w)` in f32.
    pub weight_in_f32: bool,
}

impl Default for RmsNormOptions {
    fn default() -> Self {
        RmsNormOptions {
            eps: 1e-6,
            weight_in_f32: false,
        }
    }
}

fn validate<T: FloatElement>(
    x: &TensorView<'_, T>,
    weight: TensorView<'_, T>,
    options: &RmsNormOptions,
) -> Result<usize> {
    let (_, h) = rows_and_last("x", x)?;
    if weight.shape() != [h] {
        return Err(Error::shape(
            "weight",
            format!("[{h}] (last axis of x)"),
            weight.shape(),
        ));
    }
    if !(options.eps.is_finite() && options.eps >= 0.0) {
        return Err(Error::option(
            "eps",
            format!("must be finite and >= 0, got {}", options.eps),
        ));
    }
    Ok(h)
}

/// RMSNorm of every row of `x [..., H]` with `weight [H]`; works on per-head rows (QK-norm)
/// by passing `x [T, heads, head_dim]` and `weight [head_dim]`.
pub fn rms_norm<T: FloatElement>(
    backend: &Backend,
    x: TensorView<'_, T>,
    weight: TensorView<'_, T>,
    options: &RmsNormOptions,
) -> Result<Tensor<T>> {
    let mut out = crate::output::filled(x.len(), T::from_f32(0.0));
    rms_norm_into(backend, x, weight, options, &mut out)?;
    Ok(Tensor::from_parts(x.shape().to_vec(), out))
}

/// [`rms_norm`] into a caller's buffer of `x.len()` elements (no allocation; after an error its
/// contents are not a result).
pub fn rms_norm_into<T: FloatElement>(
    backend: &Backend,
    x: TensorView<'_, T>,
    weight: TensorView<'_, T>,
    options: &RmsNormOptions,
    out: &mut [T],
) -> Result<()> {
    let h = validate(&x, weight, options)?;
    check_out("out", x.len(), out.len())?;
    backend.run(RmsNorm {
        x,
        weight,
        residual: None,
        h,
        options,
        out,
    })
}

/// Fused residual RMSNorm: `h = round(x + residual)`, `y = rms_norm(h)`; returns `(y, h)`.
pub fn rms_norm_residual<T: FloatElement>(
    backend: &Backend,
    x: TensorView<'_, T>,
    residual: TensorView<'_, T>,
    weight: TensorView<'_, T>,
    options: &RmsNormOptions,
) -> Result<(Tensor<T>, Tensor<T>)> {
    let mut out = crate::output::filled(x.len(), T::from_f32(0.0));
    let mut sum = crate::output::filled(x.len(), T::from_f32(0.0));
    rms_norm_residual_into(backend, x, residual, weight, options, &mut out, &mut sum)?;
    let shape = x.shape().to_vec();
    Ok((
        Tensor::from_parts(shape.clone(), out),
        Tensor::from_parts(shape, sum),
    ))
}

/// [`rms_norm_residual`] into caller buffers `out` (y) and `sum` (h), each of `x.len()`
/// elements (no allocation; after an error their contents are not a result).
pub fn rms_norm_residual_into<T: FloatElement>(
    backend: &Backend,
    x: TensorView<'_, T>,
    residual: TensorView<'_, T>,
    weight: TensorView<'_, T>,
    options: &RmsNormOptions,
    out: &mut [T],
    sum: &mut [T],
) -> Result<()> {
    if residual.shape() != x.shape() {
        return Err(Error::shape(
            "residual",
            format!("{:?} (shape of x)", x.shape()),
            residual.shape(),
        ));
    }
    let h = validate(&x, weight, options)?;
    check_out("out", x.len(), out.len())?;
    check_out("sum", x.len(), sum.len())?;
    backend.run(RmsNorm {
        x,
        weight,
        residual: Some((residual, sum)),
        h,
        options,
        out,
    })
}

fn check_out(name: &str, want: usize, have: usize) -> Result<()> {
    if have != want {
        return Err(Error::shape(name, format!("{want} elements (x)"), &[have]));
    }
    Ok(())
}

/// One validated `rms_norm` (plain, or fused with `residual` and its sum output).
struct RmsNorm<'a, 'o, T> {
    x: TensorView<'a, T>,
    weight: TensorView<'a, T>,
    residual: Option<(TensorView<'a, T>, &'o mut [T])>,
    h: usize,
    options: &'a RmsNormOptions,
    out: &'o mut [T],
}

impl<T: FloatElement> Op for RmsNorm<'_, '_, T> {
    type Output = ();

    fn cpu(self) -> Result<()> {
        let (x, w, h, o) = (self.x.data(), self.weight.data(), self.h, self.options);
        let bf16 = fast::is_bf16::<T>();
        match self.residual {
            None if bf16 => fast::rms_norm(x, w, h, o, self.out),
            None => cpu::rms_norm::rms_norm(x, w, h, o, self.out),
            Some((r, sum)) if bf16 => {
                fast::add(x, r.data(), sum);
                fast::rms_norm(sum, w, h, o, self.out);
            }
            Some((r, sum)) => {
                cpu::rms_norm::add(x, r.data(), sum);
                cpu::rms_norm::rms_norm(sum, w, h, o, self.out);
            }
        }
        Ok(())
    }

    fn device(self, exec: &Exec) -> Result<()> {
        let mut run = HostRun::new(exec)?;
        let dt = T::DTYPE;
        let xs = run.input(self.x.data())?;
        let ws = run.input(self.weight.data())?;
        let ys = run.output_for::<T>(self.out.len())?;
        let (rs, hs) = match &self.residual {
            Some((r, _)) => (
                Some(run.input(r.data())?),
                Some(run.output_for::<T>(r.len())?),
            ),
            None => (None, None),
        };
        let shape = self.x.shape();
        let residual = rs
            .zip(hs)
            .map(|(r, h)| (run.tensor(r, shape, dt), run.tensor(h, shape, dt)));
        device::ops::rms_norm(
            exec,
            run.stream(),
            run.tensor(xs, shape, dt),
            run.tensor(ws, self.weight.shape(), dt),
            residual,
            run.tensor(ys, shape, dt),
            self.options,
        )?;
        run.sync()?;
        run.download(ys, self.out)?;
        if let (Some((_, sum)), Some(hs)) = (self.residual, hs) {
            run.download(hs, sum)?;
        }
        Ok(())
    }
}
