//! RMSNorm over the last axis: HF `Qwen3RMSNorm` semantics, the fused residual, and the Ascend
//! operators `aclnnRmsNorm` (`torch_npu.npu_rms_norm`) and `AddRmsNorm`
//! (`torch_npu.npu_add_rms_norm`) bit for bit where their arithmetic is fixed.

use super::rows_and_last;
use crate::backend::cpu::fast::elementwise as fast;
use crate::backend::{cpu, Backend, Op};
use crate::device::{self, host::HostRun, Exec};
use crate::error::{Error, Result};
use crate::formats::{DType, FloatElement};
use crate::tensor::{Tensor, TensorView};
use crate::tiling::Target;

/// What an RMSNorm computes, beyond the common `r = 1/sqrt(mean(x²) + eps)`
/// (`docs/numerics.md`, "rms_norm").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum RmsNormMode {
    /// HF `Qwen3RMSNorm` (the default): `r` correctly rounded,
    /// `y = round(round(x·r)·w)` — the cast to the input dtype before the weight multiply.
    #[default]
    Hf,
    /// HF's `r`, `y = round((x·r)·w)` with f32 products (the fused vllm-ascend kernels).
    WeightInF32,
    /// `aclnnRmsNorm` / `torch_npu.npu_rms_norm` on Atlas A2/A3 (ops-nn `rms_norm.h`):
    /// `mean = f32(Σx²)·f32(1/H)`, `r = 1/sqrt(mean + eps)` with the square root and the division
    /// each rounded to f32, `y = round((x·r)·w)`.
    AscendA2,
    /// `aclnnRmsNorm` on the Ascend 950 (ops-nn `arch35/rms_norm_regbase_perf.h`, rows that fit
    /// in UB): the same `mean`, `r` by the Newton-Raphson refinement of
    /// `ComputeRstdNewtonRaphson`, `y = round((x·r)·w)`.
    Ascend950,
}

impl RmsNormMode {
    /// Every mode, in the CLI's order.
    pub const ALL: [RmsNormMode; 4] = [
        RmsNormMode::Hf,
        RmsNormMode::WeightInF32,
        RmsNormMode::AscendA2,
        RmsNormMode::Ascend950,
    ];

    /// The CLI spelling.
    pub fn name(self) -> &'static str {
        match self {
            RmsNormMode::Hf => "hf",
            RmsNormMode::WeightInF32 => "weight-in-f32",
            RmsNormMode::AscendA2 => "ascend-a2",
            RmsNormMode::Ascend950 => "ascend-950",
        }
    }

    /// The target whose hardware operator this mode reproduces (`None`: not an Ascend mode,
    /// available everywhere).
    pub fn ascend_target(self) -> Option<Target> {
        match self {
            RmsNormMode::Hf | RmsNormMode::WeightInF32 => None,
            RmsNormMode::AscendA2 => Some(Target::A2),
            RmsNormMode::Ascend950 => Some(Target::A5),
        }
    }
}

impl std::str::FromStr for RmsNormMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        RmsNormMode::ALL
            .into_iter()
            .find(|m| m.name() == s)
            .ok_or_else(|| {
                format!("unknown rms_norm mode `{s}` (expected hf, weight-in-f32, ascend-a2 or ascend-950)")
            })
    }
}

/// Options of [`rms_norm`], [`rms_norm_rstd`] and [`rms_norm_residual`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RmsNormOptions {
    /// Added to the mean square before the reciprocal square root (`rms_norm_eps`, 1e-6 for
    /// Qwen3); used as an f32, as HF and the NPU do.
    pub eps: f32,
    /// The arithmetic (default HF).
    pub mode: RmsNormMode,
}

impl Default for RmsNormOptions {
    fn default() -> Self {
        RmsNormOptions {
            eps: 1e-6,
            mode: RmsNormMode::Hf,
        }
    }
}

/// What an Add + RMSNorm computes (`docs/numerics.md`, "add_rms_norm").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum AddRmsNormMode {
    /// HF (the default): `x = round(x1 + x2)`, then the HF norm of `x` ([`RmsNormMode::Hf`]).
    #[default]
    Hf,
    /// `AddRmsNorm` / `torch_npu.npu_add_rms_norm` on Atlas A2/A3 (ops-nn `add_rms_norm.h`,
    /// golden v1): the norm of the rounded sum `x`, squares scaled by `f32(1/H)` before they are
    /// summed, `r = 1/sqrt` in two roundings, `y = round(round(x·r)·w)`.
    AscendA2,
    /// `AddRmsNorm` on the Ascend 950 (ops-nn `arch35/add_rms_norm_regbase.h`, golden v2): the
    /// norm of the f32 sum `s = x1 + x2` (not of its rounding), Newton-Raphson `r`,
    /// `y = round((s·r)·w)`; `x = round(s)` is returned.
    Ascend950,
}

impl AddRmsNormMode {
    /// Every mode, in the CLI's order.
    pub const ALL: [AddRmsNormMode; 3] = [
        AddRmsNormMode::Hf,
        AddRmsNormMode::AscendA2,
        AddRmsNormMode::Ascend950,
    ];

    /// The CLI spelling.
    pub fn name(self) -> &'static str {
        match self {
            AddRmsNormMode::Hf => "hf",
            AddRmsNormMode::AscendA2 => "ascend-a2",
            AddRmsNormMode::Ascend950 => "ascend-950",
        }
    }

    /// The target whose hardware operator this mode reproduces (`None` for HF).
    pub fn ascend_target(self) -> Option<Target> {
        match self {
            AddRmsNormMode::Hf => None,
            AddRmsNormMode::AscendA2 => Some(Target::A2),
            AddRmsNormMode::Ascend950 => Some(Target::A5),
        }
    }

    /// The Ascend mode of `target`'s hardware operator.
    pub fn of_target(target: Target) -> Self {
        match target {
            Target::A2 => AddRmsNormMode::AscendA2,
            Target::A5 => AddRmsNormMode::Ascend950,
        }
    }
}

impl From<AddRmsNormMode> for RmsNormMode {
    /// The norm's arithmetic of an Add + RMSNorm mode (the sum's is implied by the mode).
    fn from(mode: AddRmsNormMode) -> Self {
        match mode {
            AddRmsNormMode::Hf => RmsNormMode::Hf,
            AddRmsNormMode::AscendA2 => RmsNormMode::AscendA2,
            AddRmsNormMode::Ascend950 => RmsNormMode::Ascend950,
        }
    }
}

impl std::str::FromStr for AddRmsNormMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        AddRmsNormMode::ALL
            .into_iter()
            .find(|m| m.name() == s)
            .ok_or_else(|| {
                format!("unknown add_rms_norm mode `{s}` (expected hf, ascend-a2 or ascend-950)")
            })
    }
}

/// Options of [`add_rms_norm`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AddRmsNormOptions {
    /// Added to the mean square (an f32), 1e-6 by default as in `npu_add_rms_norm`.
    pub eps: f32,
    /// The arithmetic (default HF).
    pub mode: AddRmsNormMode,
}

impl Default for AddRmsNormOptions {
    fn default() -> Self {
        AddRmsNormOptions {
            eps: 1e-6,
            mode: AddRmsNormMode::Hf,
        }
    }
}

/// The outputs of [`add_rms_norm`], as `npu_add_rms_norm` returns them.
#[derive(Clone, Debug, PartialEq)]
pub struct AddRmsNormOutput<T> {
    /// The normalized rows, shape of `x1`.
    pub y: Tensor<T>,
    /// The per-row factor `r`, f32, shape `[..., 1]`.
    pub rstd: Tensor<f32>,
    /// `round(x1 + x2)`, shape of `x1`.
    pub x: Tensor<T>,
}

fn check_eps(eps: f32) -> Result<()> {
    if !(eps.is_finite() && eps >= 0.0) {
        return Err(Error::option(
            "eps",
            format!("must be finite and >= 0, got {eps}"),
        ));
    }
    Ok(())
}

fn validate<T: FloatElement>(
    x: &TensorView<'_, T>,
    weight: TensorView<'_, T>,
    eps: f32,
) -> Result<usize> {
    let (_, h) = rows_and_last("x", x)?;
    if weight.shape() != [h] {
        return Err(Error::shape(
            "weight",
            format!("[{h}] (last axis of x)"),
            weight.shape(),
        ));
    }
    check_eps(eps)?;
    Ok(h)
}

/// The error for rows of length 0 where an op returns `rstd`: the mean square of an empty row
/// is 0/0, so no factor is defined for it.
fn empty_rows(name: &str, shape: &[usize]) -> Error {
    Error::shape(
        name,
        "a last axis of at least 1 (rstd of an empty row is undefined)",
        shape,
    )
}

/// The shape of `rstd` for rows of `shape`: the last axis replaced by 1 (`npu_rms_norm`).
fn rstd_shape(shape: &[usize]) -> Vec<usize> {
    let mut s = shape[..shape.len() - 1].to_vec();
    s.push(1);
    s
}

/// RMSNorm of every row of `x [..., H]` with `weight [H]`; works on per-head rows (QK-norm)
/// by passing `x [T, heads, head_dim]` and `weight [head_dim]`.
pub fn rms_norm<T: FloatElement>(
    backend: &Backend,
    x: TensorView<'_, T>,
    weight: TensorView<'_, T>,
    options: &RmsNormOptions,
) -> Result<Tensor<T>> {
    validate(&x, weight, options.eps)?;
    let outputs = [("y", Some(x.len()), T::DTYPE.size())];
    let inputs = super::nbytes(x.data()) + super::nbytes(weight.data());
    super::plan_op("rms_norm", &outputs, inputs, Some(0))?;
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
    let h = validate(&x, weight, options.eps)?;
    check_out("out", x.len(), out.len())?;
    if x.is_empty() {
        return Ok(());
    }
    backend.run(RmsNorm {
        x,
        weight,
        residual: None,
        h,
        options,
        out,
        rstd: None,
    })
}

/// RMSNorm returning `(y, rstd)` as `torch_npu.npu_rms_norm` does: `rstd` is the f32 factor of
/// every row, shape `[..., 1]`.
pub fn rms_norm_rstd<T: FloatElement>(
    backend: &Backend,
    x: TensorView<'_, T>,
    weight: TensorView<'_, T>,
    options: &RmsNormOptions,
) -> Result<(Tensor<T>, Tensor<f32>)> {
    let h = validate(&x, weight, options.eps)?;
    let (rows, _) = rows_and_last("x", &x)?;
    let outputs = [
        ("y", Some(x.len()), T::DTYPE.size()),
        ("rstd", Some(rows), std::mem::size_of::<f32>()),
    ];
    let inputs = super::nbytes(x.data()) + super::nbytes(weight.data());
    super::plan_op("rms_norm", &outputs, inputs, Some(0))?;
    if h == 0 && rows > 0 {
        return Err(empty_rows("x", x.shape()));
    }
    let mut out = crate::output::filled(x.len(), T::from_f32(0.0));
    let mut rstd = crate::output::filled(rows, 0.0f32);
    if x.is_empty() {
        return Ok((
            Tensor::from_parts(x.shape().to_vec(), out),
            Tensor::from_parts(rstd_shape(x.shape()), rstd),
        ));
    }
    backend.run(RmsNorm {
        x,
        weight,
        residual: None,
        h,
        options,
        out: &mut out,
        rstd: Some(&mut rstd),
    })?;
    Ok((
        Tensor::from_parts(x.shape().to_vec(), out),
        Tensor::from_parts(rstd_shape(x.shape()), rstd),
    ))
}

/// Fused residual RMSNorm: `h = round(x + residual)`, `y = rms_norm(h)`; returns `(y, h)`.
/// HF modes only: the Ascend operators are [`add_rms_norm`].
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
    validate(&x, weight, options.eps)?;
    let size = T::DTYPE.size();
    let outputs = [
        ("y", Some(x.len()), size),
        ("residual_out", Some(x.len()), size),
    ];
    let inputs = 2 * super::nbytes(x.data()) + super::nbytes(weight.data());
    super::plan_op("rms_norm_residual", &outputs, inputs, Some(0))?;
    let mut out = crate::output::filled(x.len(), T::from_f32(0.0));
    let mut sum = crate::output::filled(x.len(), T::from_f32(0.0));
    rms_norm_residual_into(backend, x, residual, weight, options, &mut out, &mut sum)?;
    let shape = x.shape().to_vec();
    Ok((
        Tensor::from_parts(shape.clone(), out),
        Tensor::from_parts(shape, sum),
    ))
}

/// [`rms_norm_residual`] into a caller's buffers `out` (y) and `sum` (h), `x.len()` elements
/// each (no allocation; after an error their contents are not a result).
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
    let h = validate(&x, weight, options.eps)?;
    if options.mode.ascend_target().is_some() {
        return Err(Error::option(
            "mode",
            format!(
                "`{}` with a residual is add_rms_norm (npu_add_rms_norm), not rms_norm_residual",
                options.mode.name()
            ),
        ));
    }
    check_out("out", x.len(), out.len())?;
    check_out("sum", x.len(), sum.len())?;
    if x.is_empty() {
        return Ok(());
    }
    backend.run(RmsNorm {
        x,
        weight,
        residual: Some((residual, sum)),
        h,
        options,
        out,
        rstd: None,
    })
}

/// Add + RMSNorm as `torch_npu.npu_add_rms_norm(x1, x2, gamma, epsilon)` computes it in the
/// Ascend modes (HF's fused residual in [`AddRmsNormMode::Hf`]): returns `y`, `rstd` and
/// `x = round(x1 + x2)`.
pub fn add_rms_norm<T: FloatElement>(
    backend: &Backend,
    x1: TensorView<'_, T>,
    x2: TensorView<'_, T>,
    gamma: TensorView<'_, T>,
    options: &AddRmsNormOptions,
) -> Result<AddRmsNormOutput<T>> {
    let (_, h) = rows_and_last("x1", &x1)?;
    if x2.shape() != x1.shape() {
        return Err(Error::shape(
            "x2",
            format!("{:?} (shape of x1)", x1.shape()),
            x2.shape(),
        ));
    }
    if gamma.shape() != [h] {
        return Err(Error::shape(
            "gamma",
            format!("[{h}] (last axis of x1)"),
            gamma.shape(),
        ));
    }
    check_eps(options.eps)?;
    let (rows, _) = rows_and_last("x1", &x1)?;
    let size = T::DTYPE.size();
    let outputs = [
        ("y", Some(x1.len()), size),
        ("rstd", Some(rows), std::mem::size_of::<f32>()),
        ("x", Some(x1.len()), size),
    ];
    let inputs = super::nbytes(x1.data()) + super::nbytes(x2.data()) + super::nbytes(gamma.data());
    super::plan_op("add_rms_norm", &outputs, inputs, Some(0))?;
    if h == 0 && rows > 0 {
        return Err(empty_rows("x1", x1.shape()));
    }
    let mut y = crate::output::filled(x1.len(), T::from_f32(0.0));
    let mut x = crate::output::filled(x1.len(), T::from_f32(0.0));
    let mut rstd = crate::output::filled(rows, 0.0f32);
    if x1.is_empty() {
        let shape = x1.shape().to_vec();
        return Ok(AddRmsNormOutput {
            y: Tensor::from_parts(shape.clone(), y),
            rstd: Tensor::from_parts(rstd_shape(&shape), rstd),
            x: Tensor::from_parts(shape, x),
        });
    }
    backend.run(AddRmsNorm {
        x1,
        x2,
        gamma,
        h,
        options,
        y: &mut y,
        rstd: &mut rstd,
        x: &mut x,
    })?;
    let shape = x1.shape().to_vec();
    Ok(AddRmsNormOutput {
        y: Tensor::from_parts(shape.clone(), y),
        rstd: Tensor::from_parts(rstd_shape(&shape), rstd),
        x: Tensor::from_parts(shape, x),
    })
}

fn check_out(name: &str, want: usize, have: usize) -> Result<()> {
    if have != want {
        return Err(Error::shape(name, format!("{want} elements (x)"), &[have]));
    }
    Ok(())
}

/// One validated `rms_norm` (plain, or fused with `residual` and its sum output; with the
/// per-row `rstd` when asked).
struct RmsNorm<'a, 'o, T> {
    x: TensorView<'a, T>,
    weight: TensorView<'a, T>,
    residual: Option<(TensorView<'a, T>, &'o mut [T])>,
    h: usize,
    options: &'a RmsNormOptions,
    out: &'o mut [T],
    rstd: Option<&'o mut [f32]>,
}

impl<T: FloatElement> Op for RmsNorm<'_, '_, T> {
    type Output = ();

    fn cpu(self) -> Result<()> {
        let (x, w, h, o) = (self.x.data(), self.weight.data(), self.h, self.options);
        // the certified bf16 fast path covers the HF modes without an rstd output
        let fast_path = fast::is_bf16::<T>()
            && matches!(o.mode, RmsNormMode::Hf | RmsNormMode::WeightInF32)
            && self.rstd.is_none();
        match self.residual {
            None if fast_path => fast::rms_norm(x, w, h, o, self.out),
            None => cpu::rms_norm::rms_norm(x, w, h, o, self.out, self.rstd),
            Some((r, sum)) if fast_path => {
                fast::add(x, r.data(), sum);
                fast::rms_norm(sum, w, h, o, self.out);
            }
            Some((r, sum)) => {
                cpu::rms_norm::add(x, r.data(), sum);
                cpu::rms_norm::rms_norm(sum, w, h, o, self.out, self.rstd);
            }
        }
        Ok(())
    }

    fn device(self, exec: &Exec) -> Result<()> {
        let mut run = HostRun::new(exec)?;
        let dt = T::DTYPE;
        let rows = self.x.len() / self.h;
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
        let rstd_slot = match &self.rstd {
            Some(_) => Some(run.output_for::<f32>(rows)?),
            None => None,
        };
        let shape = self.x.shape();
        let residual = rs
            .zip(hs)
            .map(|(r, h)| (run.tensor(r, shape, dt), run.tensor(h, shape, dt)));
        let rstd_shape = [rows];
        device::ops::rms_norm(
            exec,
            run.stream(),
            run.tensor(xs, shape, dt),
            run.tensor(ws, self.weight.shape(), dt),
            residual,
            run.tensor(ys, shape, dt),
            rstd_slot.map(|s| run.tensor(s, &rstd_shape, DType::F32)),
            self.options,
        )?;
        run.sync()?;
        run.download(ys, self.out)?;
        if let (Some((_, sum)), Some(hs)) = (self.residual, hs) {
            run.download(hs, sum)?;
        }
        if let (Some(rstd), Some(slot)) = (self.rstd, rstd_slot) {
            run.download(slot, rstd)?;
        }
        Ok(())
    }
}

/// One validated `add_rms_norm`.
struct AddRmsNorm<'a, 'o, T> {
    x1: TensorView<'a, T>,
    x2: TensorView<'a, T>,
    gamma: TensorView<'a, T>,
    h: usize,
    options: &'a AddRmsNormOptions,
    y: &'o mut [T],
    rstd: &'o mut [f32],
    x: &'o mut [T],
}

impl<T: FloatElement> Op for AddRmsNorm<'_, '_, T> {
    type Output = ();

    fn cpu(self) -> Result<()> {
        cpu::rms_norm::add_rms_norm(
            self.x1.data(),
            self.x2.data(),
            self.gamma.data(),
            self.h,
            self.options.eps,
            self.options.mode,
            cpu::rms_norm::AddRmsNormBuffers {
                y: self.y,
                rstd: self.rstd,
                x: self.x,
            },
        );
        Ok(())
    }

    fn device(self, exec: &Exec) -> Result<()> {
        // the fused kernel in the mode's arithmetic: x1 is `x`, x2 the residual
        let options = RmsNormOptions {
            eps: self.options.eps,
            mode: self.options.mode.into(),
        };
        RmsNorm {
            x: self.x1,
            weight: self.gamma,
            residual: Some((self.x2, self.x)),
            h: self.h,
            options: &options,
            out: self.y,
            rstd: Some(self.rstd),
        }
        .device(exec)
    }
}
