//! RMSNorm over the last axis (HF `Qwen3RMSNorm` semantics), plain and with a fused residual.

use super::rows_and_last;
use crate::backend::cpu::fast::elementwise as fast;
use crate::backend::{cpu, sim, Backend};
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
    validate(&x, weight, options)?;
    super::plan("rms_norm").buffer("y", Some(x.len()), T::DTYPE.size())?;
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
    if out.len() != x.len() {
        return Err(Error::shape(
            "out",
            format!("{} elements (x)", x.len()),
            &[out.len()],
        ));
    }
    if x.is_empty() {
        return Ok(());
    }
    match backend {
        Backend::Cpu if fast::is_bf16::<T>() => {
            fast::rms_norm(x.data(), weight.data(), h, options, out)
        }
        Backend::Cpu => cpu::rms_norm::rms_norm(x.data(), weight.data(), h, options, out),
        Backend::Sim(cfg) => {
            let xs = super::spans(&[super::bytes_of(x.data())]);
            let w = super::unaliased("rms_norm", weight.data(), &xs)?;
            let w = TensorView::new(weight.shape(), &w)?;
            sim::rms_norm(cfg, &sim_args(&x, None, &w, h, options), out, None)?;
        }
    }
    Ok(())
}

/// Fused residual RMSNorm: `h = round(x + residual)`, `y = rms_norm(h)`; returns `(y, h)`.
pub fn rms_norm_residual<T: FloatElement>(
    backend: &Backend,
    x: TensorView<'_, T>,
    residual: TensorView<'_, T>,
    weight: TensorView<'_, T>,
    options: &RmsNormOptions,
) -> Result<(Tensor<T>, Tensor<T>)> {
    if residual.shape() != x.shape() {
        return Err(Error::shape(
            "residual",
            format!("{:?} (shape of x)", x.shape()),
            residual.shape(),
        ));
    }
    let h = validate(&x, weight, options)?;
    let mut plan = super::plan("rms_norm_residual");
    plan.buffer("y", Some(x.len()), T::DTYPE.size())?;
    plan.buffer("residual_out", Some(x.len()), T::DTYPE.size())?;
    let mut out = crate::output::filled(x.len(), T::from_f32(0.0));
    let mut sum = crate::output::filled(x.len(), T::from_f32(0.0));
    let shape = x.shape().to_vec();
    if x.is_empty() {
        return Ok((
            Tensor::from_parts(shape.clone(), out),
            Tensor::from_parts(shape, sum),
        ));
    }
    match backend {
        Backend::Cpu if fast::is_bf16::<T>() => {
            fast::add(x.data(), residual.data(), &mut sum);
            fast::rms_norm(&sum, weight.data(), h, options, &mut out);
        }
        Backend::Cpu => {
            cpu::rms_norm::add(x.data(), residual.data(), &mut sum);
            cpu::rms_norm::rms_norm(&sum, weight.data(), h, options, &mut out);
        }
        Backend::Sim(cfg) => {
            use super::{bytes_of, spans, unaliased};
            let xb = bytes_of(x.data());
            let r = unaliased("rms_norm_residual", residual.data(), &spans(&[xb]))?;
            let seen = [xb, bytes_of(&r)];
            let w = unaliased("rms_norm_residual", weight.data(), &spans(&seen))?;
            let (r, w) = (
                TensorView::new(residual.shape(), &r)?,
                TensorView::new(weight.shape(), &w)?,
            );
            let args = sim_args(&x, Some(&r), &w, h, options);
            sim::rms_norm(cfg, &args, &mut out, Some(&mut sum))?;
        }
    }
    Ok((
        Tensor::from_parts(shape.clone(), out),
        Tensor::from_parts(shape, sum),
    ))
}

fn sim_args<'a, T: FloatElement>(
    x: &TensorView<'a, T>,
    residual: Option<&TensorView<'a, T>>,
    weight: &TensorView<'a, T>,
    h: usize,
    options: &RmsNormOptions,
) -> sim::RmsNormArgs<'a, T> {
    sim::RmsNormArgs {
        x: x.data(),
        residual: residual.map(|r| r.data()),
        weight: weight.data(),
        rows: x.len() / h,
        cols: h,
        eps: options.eps,
        weight_in_f32: options.weight_in_f32,
    }
}
