//! `Backend::Sim`: the generated AscendC kernels through the device path on the emulator
//! runtime ([`crate::device`]; the emulator is `ascendc/sim/`, its rules are `docs/sim.md`).
//!
//! Besides [`SimConfig`], this module is the kernel author's bench: one kernel run on host data
//! with the sim's counters ([`Counters`]: bytes moved, vector instructions, cube MACs, the UB
//! peak), and the `*_planned` runs that hand the emulator a tiling of the caller's choosing (to
//! show it refuses a bad one). Every run goes through the same device path as `ops::*`: the
//! counters are those of the kernels the calling thread ran ([`crate::device::emulator::measure`]).
//!
//! A violated AscendC rule comes back as [`Error::Runtime`](crate::Error::Runtime) from
//! `aclrtSynchronizeStream`, whose message names the kernel, the core, the API and the rule; a
//! build without the emulator gives [`Error::BackendUnavailable`](crate::Error::BackendUnavailable).

use crate::device::emulator::measure;
use crate::device::host::HostRun;
use crate::device::{self, Device, Exec};
use crate::error::{Error, Result};
use crate::formats::{DType, FloatElement, Fp8Format, E4M3, E8M0};
use crate::ops::{
    self, MxQuantOptions, MxView, RmsNormMode, RmsNormOptions, RopeCache, RopeOptions,
};
use crate::tensor::TensorView;
use crate::tiling::matmul::{plan, plan_mx, MatmulPlan, MatmulShape};
use crate::tiling::rms_norm::RmsNormPlan;
use crate::tiling::{Knobs, Target};
use crate::Backend;

pub use crate::device::emulator::Counters;
pub use crate::device::ops::{exact_scale_window, mx_pad_scales, mx_rebalance, ProbeMode};
pub use crate::device::AUTO;

/// Which compiled kernel variant the emulator runs, on which target.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SimConfig {
    /// Target the kernels were generated for (and the emulated device enforces: UB size, dtype
    /// support).
    pub target: Target,
    /// Variant name (`v0`, `v1`, ..., or [`AUTO`]); see [`variants`].
    pub variant: String,
    /// Vector cores to spread work over (defaults to the target's count).
    pub cores: u32,
}

impl SimConfig {
    /// The tuned default variants (`auto`) on `target`, with the target's core count.
    pub fn new(target: Target) -> Self {
        Self {
            target,
            variant: AUTO.to_string(),
            cores: target.vector_cores(),
        }
    }

    /// This config with `auto` replaced by the variant `ascend-kernels tune` chose for
    /// `kernel` over `rows` rows (`v0` where the table has none); other variants unchanged.
    pub fn resolved(&self, kernel: &str, rows: usize) -> SimConfig {
        if self.variant != AUTO {
            return self.clone();
        }
        let v = crate::tiling::tuned_variant(kernel, self.target, rows).unwrap_or("v0");
        self.clone().with_variant(v)
    }

    /// The same with another variant.
    pub fn with_variant(mut self, variant: &str) -> Self {
        self.variant = variant.to_string();
        self
    }

    /// The same with another core count (at least 1).
    pub fn with_cores(mut self, cores: u32) -> Self {
        self.cores = cores.max(1);
        self
    }

    fn backend(&self) -> Backend {
        Backend::Sim(self.clone())
    }

    fn exec(&self) -> Result<Exec> {
        Ok(Exec {
            device: Device::emulator(self.target)?,
            variant: self.variant.clone(),
            cores: self.cores,
        })
    }
}

/// A compiled variant as listed by [`variants`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VariantInfo {
    /// Kernel name.
    pub kernel: &'static str,
    /// Target.
    pub target: Target,
    /// Variant name.
    pub variant: &'static str,
    /// Its tiling knobs.
    pub knobs: Knobs,
}

/// The kernel variants compiled into the emulator's kernel libraries (empty without the
/// emulator).
pub fn variants() -> Vec<VariantInfo> {
    if !available() {
        return Vec::new();
    }
    let knobs = |kernel: &str, target: &str, variant: &str| {
        device::kernels::AK_VARIANTS
            .iter()
            .find(|(k, t, v, _, _)| *k == kernel && *t == target && *v == variant)
            .map(|&(_, _, _, buffer_num, ub_share_pct)| Knobs {
                buffer_num,
                ub_share_pct,
            })
    };
    device::kernels::AK_EMULATOR_UNITS
        .iter()
        .filter_map(|&(kernel, target, variant)| {
            Some(VariantInfo {
                kernel,
                target: target.parse().ok()?,
                variant,
                knobs: knobs(kernel, target, variant)?,
            })
        })
        .collect()
}

/// Whether this build has the emulator.
pub fn available() -> bool {
    device::emulator::unavailable_reason().is_none()
}

/// The error of an op that has no generated kernel yet.
pub fn unsupported(kernel: &str) -> Error {
    Error::BackendUnavailable {
        backend: "sim".into(),
        reason: format!("{kernel} has no generated kernel yet"),
    }
}

/// Inputs of [`rms_norm`]: `x` (and `residual`) are `[rows, cols]`, `weight` is `[cols]`.
#[derive(Clone, Copy, Debug)]
pub struct RmsNormArgs<'a, T> {
    /// Activations.
    pub x: &'a [T],
    /// Residual to add first (fused variant), or none.
    pub residual: Option<&'a [T]>,
    /// Gamma.
    pub weight: &'a [T],
    /// Rows.
    pub rows: usize,
    /// Elements per row.
    pub cols: usize,
    /// Epsilon.
    pub eps: f32,
    /// The arithmetic; with a residual, the Add + RMSNorm of the same name
    /// ([`AddRmsNormMode`](crate::ops::AddRmsNormMode)).
    pub mode: RmsNormMode,
}

impl<T> RmsNormArgs<'_, T> {
    fn options(&self) -> RmsNormOptions {
        RmsNormOptions {
            eps: self.eps,
            mode: self.mode,
        }
    }

    /// Checks the host slices against `rows x cols` before anything is allocated.
    fn check(&self, y: usize, h: Option<usize>, rstd: Option<usize>) -> Result<()> {
        let n = self.rows.checked_mul(self.cols).ok_or_else(|| {
            Error::shape(
                "x",
                "rows x cols that fits in usize",
                &[self.rows, self.cols],
            )
        })?;
        let want = |name: &str, len: usize, expected: usize| -> Result<()> {
            if len != expected {
                return Err(Error::shape(name, format!("{expected} elements"), &[len]));
            }
            Ok(())
        };
        want("x", self.x.len(), n)?;
        want("weight", self.weight.len(), self.cols)?;
        want("y", y, n)?;
        match (self.residual, h) {
            (Some(r), Some(h)) => {
                want("residual", r.len(), n)?;
                want("h", h, n)?;
            }
            (Some(_), None) => {
                return Err(Error::option(
                    "residual",
                    "the fused variant needs an output for h",
                ))
            }
            (None, _) => {}
        }
        if let Some(r) = rstd {
            want("rstd", r, self.rows)?;
        }
        Ok(())
    }
}

/// `rms_norm` on the emulator: writes `y` (and `h = x + residual` when `args.residual` is set,
/// which then requires `h`; with a residual and an Ascend mode this is that target's
/// AddRmsNorm; and the per-row f32 `rstd` when given). Plans the tiling for the configured
/// target and variant.
pub fn rms_norm<T: FloatElement>(
    cfg: &SimConfig,
    args: &RmsNormArgs<'_, T>,
    y: &mut [T],
    h: Option<&mut [T]>,
    rstd: Option<&mut [f32]>,
) -> Result<Counters> {
    run_rms_norm(cfg, args, None, y, h, rstd)
}

/// `rms_norm` with a given plan and the configured (concrete) variant, unchecked against the
/// variant's budget: the emulator is the judge.
pub fn rms_norm_planned<T: FloatElement>(
    cfg: &SimConfig,
    args: &RmsNormArgs<'_, T>,
    p: &RmsNormPlan,
    y: &mut [T],
    h: Option<&mut [T]>,
    rstd: Option<&mut [f32]>,
) -> Result<Counters> {
    run_rms_norm(cfg, args, Some(p), y, h, rstd)
}

fn run_rms_norm<T: FloatElement>(
    cfg: &SimConfig,
    args: &RmsNormArgs<'_, T>,
    plan: Option<&RmsNormPlan>,
    y: &mut [T],
    h: Option<&mut [T]>,
    rstd: Option<&mut [f32]>,
) -> Result<Counters> {
    args.check(
        y.len(),
        h.as_ref().map(|h| h.len()),
        rstd.as_ref().map(|r| r.len()),
    )?;
    let exec = cfg.exec()?;
    let shape = [args.rows, args.cols];
    let rstd_shape = [args.rows];
    let dt = T::DTYPE;
    let o = args.options();
    measure(|| {
        let mut run = HostRun::new(&exec)?;
        let xs = run.input(args.x)?;
        let ws = run.input(args.weight)?;
        let ys = run.output_for::<T>(y.len())?;
        let fused = match args.residual {
            Some(r) => Some((run.input(r)?, run.output_for::<T>(r.len())?)),
            None => None,
        };
        let rs = match &rstd {
            Some(r) => Some(run.output_for::<f32>(r.len())?),
            None => None,
        };
        let residual = fused.map(|(r, h)| (run.tensor(r, &shape, dt), run.tensor(h, &shape, dt)));
        let rstd_t = rs.map(|r| run.tensor(r, &rstd_shape, DType::F32));
        let x = run.tensor(xs, &shape, dt);
        let w = run.tensor(ws, &shape[1..], dt);
        let yt = run.tensor(ys, &shape, dt);
        match plan {
            Some(p) => {
                let variant = exec.variant_for("rms_norm", args.rows);
                device::ops::rms_norm_planned(
                    &exec,
                    &variant,
                    p,
                    run.stream(),
                    x,
                    w,
                    residual,
                    yt,
                    rstd_t,
                    &o,
                )?
            }
            None => device::ops::rms_norm(&exec, run.stream(), x, w, residual, yt, rstd_t, &o)?,
        }
        run.sync()?;
        run.download(ys, y)?;
        if let (Some((_, hs)), Some(h)) = (fused, h) {
            run.download(hs, h)?;
        }
        if let (Some(rs), Some(r)) = (rs, rstd) {
            run.download(rs, r)?;
        }
        Ok(())
    })
    .map(|((), c)| c)
}

/// Quantizes `x [rows, cols]` into `elements [rows, cols]` and pair-layout `scales`.
pub fn mx_quant<T: FloatElement>(
    cfg: &SimConfig,
    x: &[T],
    rows: usize,
    cols: usize,
    options: &MxQuantOptions,
    elements: &mut [u8],
    scales: &mut [E8M0],
) -> Result<Counters> {
    let shape = [rows, cols];
    let x = TensorView::new(&shape, x)?;
    measure(|| ops::mx_quant_into(&cfg.backend(), x, options, elements, scales)).map(|((), c)| c)
}

/// Dequantizes `elements [rows, cols]` with pair-layout `scales` into `out`.
pub fn mx_dequant<O: FloatElement>(
    cfg: &SimConfig,
    format: Fp8Format,
    elements: &[u8],
    scales: &[E8M0],
    rows: usize,
    cols: usize,
    out: &mut [O],
) -> Result<Counters> {
    let shape = [rows, cols];
    let scale_shape = [rows, ops::pair_scale_row(cols) / 2, 2];
    let y = MxView {
        format,
        elements: TensorView::new(&shape, elements)?,
        scales: TensorView::new(&scale_shape, scales)?,
    };
    measure(|| ops::mx_dequant_into(&cfg.backend(), y, out)).map(|((), c)| c)
}

/// Dequantizes `weight [rows, cols]` with `scales [ceil(rows/bo), ceil(cols/bi)]` into `out`.
pub fn fp8_block_dequant<S: FloatElement, O: FloatElement>(
    cfg: &SimConfig,
    weight: &[E4M3],
    scales: &[S],
    rows: usize,
    cols: usize,
    block: [usize; 2],
    out: &mut [O],
) -> Result<Counters> {
    if block[0] == 0 || block[1] == 0 {
        return Err(Error::option("block", "block sizes must be positive"));
    }
    let shape = [rows, cols];
    let grid = [rows.div_ceil(block[0]), cols.div_ceil(block[1])];
    let w = TensorView::new(&shape, weight)?;
    let s = TensorView::new(&grid, scales)?;
    measure(|| ops::fp8_block_dequant_into(&cfg.backend(), w, s, block, out)).map(|((), c)| c)
}

/// Rotates `q [tokens, heads_q, d]` and `k [tokens, heads_k, d]` into `q_out` / `k_out`.
#[allow(clippy::too_many_arguments)]
pub fn rope_qk<T: FloatElement>(
    cfg: &SimConfig,
    q: &[T],
    k: &[T],
    head_dim: usize,
    positions: &[i64],
    cache: &RopeCache,
    options: &RopeOptions,
    q_out: &mut [T],
    k_out: &mut [T],
) -> Result<Counters> {
    let tokens = positions.len();
    let per_token = tokens.checked_mul(head_dim).filter(|&n| n > 0);
    let heads = |len: usize| per_token.map_or(0, |n| len / n);
    let (qs, ks) = (
        [tokens, heads(q.len()), head_dim],
        [tokens, heads(k.len()), head_dim],
    );
    let qv = TensorView::new(&qs, q)?;
    let kv = TensorView::new(&ks, k)?;
    if q_out.len() != q.len() || k_out.len() != k.len() {
        return Err(Error::shape(
            "q_out",
            format!("{} elements", q.len()),
            &[q_out.len()],
        ));
    }
    let ((qo, ko), c) =
        measure(|| ops::rope_qk(&cfg.backend(), qv, kv, positions, cache, options))?;
    q_out.copy_from_slice(qo.data());
    k_out.copy_from_slice(ko.data());
    Ok(c)
}

/// Operands of [`matmul`]: `x [m, k]`, `w [n, k]`, optional f32 `bias [n]`.
#[derive(Clone, Copy, Debug)]
pub struct MatmulArgs<'a, T> {
    /// Activations, row-major `[m, k]`.
    pub x: &'a [T],
    /// Weights, row-major `[n, k]` (a linear layer's layout).
    pub w: &'a [T],
    /// Optional f32 bias `[n]`.
    pub bias: Option<&'a [f32]>,
    /// Rows of x.
    pub m: usize,
    /// Rows of w.
    pub n: usize,
    /// Inner dimension.
    pub k: usize,
}

/// One MX operand on the host: FP8 bytes `[rows, k]` and pair-layout scales.
#[derive(Clone, Copy, Debug)]
pub struct MxOperand<'a> {
    /// Element format.
    pub format: Fp8Format,
    /// FP8 bytes.
    pub elements: &'a [u8],
    /// E8M0 scales, pair layout.
    pub scales: &'a [E8M0],
}

fn matmul_shape(m: usize, n: usize, k: usize) -> Result<MatmulShape> {
    let u = |what: &str, v: usize| u32::try_from(v).map_err(|_| Error::shape(what, "< 2^32", &[v]));
    Ok(MatmulShape {
        m: u("x rows", m)?,
        n: u("w rows", n)?,
        k: u("K", k)?,
    })
}

/// `out = x · wᵀ (+ bias)` on the cube kernel with the host-planned tiling.
pub fn matmul<T: FloatElement, O: FloatElement>(
    cfg: &SimConfig,
    args: &MatmulArgs<'_, T>,
    out: &mut [O],
) -> Result<Counters> {
    let exec = cfg.exec()?;
    let variant = exec.variant_for("matmul", args.m);
    let knobs = exec.knobs("matmul", &variant)?;
    let p = plan(
        cfg.target,
        knobs,
        cfg.cores,
        &matmul_shape(args.m, args.n, args.k)?,
    )
    .map_err(|e| Error::option("variant", e.0))?;
    matmul_planned(&cfg.clone().with_variant(&variant), args, &p, out)
}

/// `matmul` with a given plan, unchecked against the capacities: the emulator is the judge.
pub fn matmul_planned<T: FloatElement, O: FloatElement>(
    cfg: &SimConfig,
    args: &MatmulArgs<'_, T>,
    p: &MatmulPlan,
    out: &mut [O],
) -> Result<Counters> {
    let exec = cfg.exec()?;
    let variant = exec.variant_for("matmul", args.m);
    let (xs, ws, os) = ([args.m, args.k], [args.n, args.k], [args.m, args.n]);
    for (name, len, rows) in [("x", args.x.len(), args.m), ("w", args.w.len(), args.n)] {
        if Some(len) != rows.checked_mul(args.k) {
            return Err(Error::shape(
                name,
                format!("{rows} x {} elements", args.k),
                &[len],
            ));
        }
    }
    if Some(out.len()) != args.m.checked_mul(args.n) {
        return Err(Error::shape(
            "out",
            format!("{} x {}", args.m, args.n),
            &[out.len()],
        ));
    }
    measure(|| {
        let mut run = HostRun::new(&exec)?;
        let x = run.input(args.x)?;
        let w = run.input(args.w)?;
        let o = run.output_for::<O>(out.len())?;
        let ws_bytes = device::ops::matmul_workspace_bytes(args.n, args.bias.is_some())?;
        let wsb = run.output(ws_bytes)?;
        let ws_shape = [ws_bytes];
        device::ops::matmul_planned(
            &exec,
            &variant,
            p,
            run.stream(),
            run.tensor(x, &xs, T::DTYPE),
            run.tensor(w, &ws, T::DTYPE),
            args.bias,
            run.tensor(o, &os, O::DTYPE),
            Some(run.tensor(wsb, &ws_shape, DType::U8)),
        )?;
        run.sync()?;
        run.download(o, out)
    })
    .map(|((), c)| c)
}

/// Checks an operand's lengths: `rows × k` elements and `rows × pair_scale_row(k)` scales.
fn check_mx_operand(name: &str, op: &MxOperand<'_>, rows: usize, k: usize) -> Result<()> {
    if Some(op.elements.len()) != rows.checked_mul(k) {
        return Err(Error::shape(
            name,
            format!("{rows} x {k} elements"),
            &[op.elements.len()],
        ));
    }
    let pl = ops::pair_scale_row(k);
    if Some(op.scales.len()) != rows.checked_mul(pl) {
        return Err(Error::shape(
            name,
            format!("{rows} x {pl} scales (pair layout)"),
            &[op.scales.len()],
        ));
    }
    Ok(())
}

fn mx_view<'a>(
    op: &MxOperand<'a>,
    shape: &'a [usize; 2],
    scale_shape: &'a [usize; 3],
) -> Result<MxView<'a>> {
    Ok(MxView {
        format: op.format,
        elements: TensorView::new(shape, op.elements)?,
        scales: TensorView::new(scale_shape, op.scales)?,
    })
}

/// MXFP8 × MXFP8 (`ops::mx_matmul`) on the emulator: on a5 the native MX cube kernel (one
/// launch), on a2 the decode path (three launches).
#[allow(clippy::too_many_arguments)]
pub fn mx_matmul<O: FloatElement>(
    cfg: &SimConfig,
    x: &MxOperand<'_>,
    w: &MxOperand<'_>,
    bias: Option<&[f32]>,
    m: usize,
    n: usize,
    k: usize,
    out: &mut [O],
) -> Result<Counters> {
    check_mx_operand("x", x, m, k)?;
    check_mx_operand("w", w, n, k)?;
    let pl = ops::pair_scale_row(k) / 2;
    let (xs, wsh, xss, wss) = ([m, k], [n, k], [m, pl, 2], [n, pl, 2]);
    let (xv, wv) = (mx_view(x, &xs, &xss)?, mx_view(w, &wsh, &wss)?);
    let bias_shape = [bias.map_or(0, <[f32]>::len)];
    let b = bias.map(|b| TensorView::new(&bias_shape, b)).transpose()?;
    if Some(out.len()) != m.checked_mul(n) {
        return Err(Error::shape("out", format!("{m} x {n}"), &[out.len()]));
    }
    let (y, c) = measure(|| ops::mx_matmul::<O>(&cfg.backend(), xv, wv, b))?;
    out.copy_from_slice(y.data());
    Ok(c)
}

/// MXFP8 × MXFP8 on the a5 native MX cube kernel `matmul_mx` with the host-planned tiling
/// ([`plan_mx`]). a5 only.
#[allow(clippy::too_many_arguments)]
pub fn mx_matmul_native<O: FloatElement>(
    cfg: &SimConfig,
    x: &MxOperand<'_>,
    w: &MxOperand<'_>,
    bias: Option<&[f32]>,
    m: usize,
    n: usize,
    k: usize,
    out: &mut [O],
) -> Result<Counters> {
    let exec = cfg.exec()?;
    let variant = exec.variant_for("matmul_mx", m);
    let knobs = exec.knobs("matmul_mx", &variant)?;
    let p = plan_mx(cfg.target, knobs, cfg.cores, &matmul_shape(m, n, k)?)
        .map_err(|e| Error::option("variant", e.0))?;
    let cfg = cfg.clone().with_variant(&variant);
    mx_matmul_native_planned(&cfg, x, w, bias, m, n, k, &p, out)
}

/// `matmul_mx` with a given plan, unchecked against the capacities: the emulator is the judge.
/// The pad byte of odd scale rows is set to `0x00` on host copies ([`mx_pad_scales`]).
#[allow(clippy::too_many_arguments)]
pub fn mx_matmul_native_planned<O: FloatElement>(
    cfg: &SimConfig,
    x: &MxOperand<'_>,
    w: &MxOperand<'_>,
    bias: Option<&[f32]>,
    m: usize,
    n: usize,
    k: usize,
    p: &MatmulPlan,
    out: &mut [O],
) -> Result<Counters> {
    let exec = cfg.exec()?;
    let variant = exec.variant_for("matmul_mx", m);
    let pl = ops::pair_scale_row(k);
    check_mx_operand("x", x, m, k)?;
    check_mx_operand("w", w, n, k)?;
    if Some(out.len()) != m.checked_mul(n) {
        return Err(Error::shape("out", format!("{m} x {n}"), &[out.len()]));
    }
    let xs = mx_pad_scales(x.scales, k).unwrap_or_else(|| x.scales.to_vec());
    let wsc = mx_pad_scales(w.scales, k).unwrap_or_else(|| w.scales.to_vec());
    let (xshape, wshape, os) = ([m, k], [n, k], [m, n]);
    let (xss, wss) = ([m, pl / 2, 2], [n, pl / 2, 2]);
    measure(|| {
        let mut run = HostRun::new(&exec)?;
        let xe = run.input(x.elements)?;
        let xsc = run.input(&xs)?;
        let we = run.input(w.elements)?;
        let wscs = run.input(&wsc)?;
        let o = run.output_for::<O>(out.len())?;
        let ws_bytes = device::ops::mx_matmul_workspace_bytes(&exec, m, n, k, bias.is_some())?;
        let wsb = run.output(ws_bytes)?;
        let ws_shape = [ws_bytes];
        let xo = device::ops::MxDeviceOperand {
            format: x.format,
            elements: run.tensor(xe, &xshape, DType::U8),
            scales: run.tensor(xsc, &xss, DType::U8),
        };
        let wo = device::ops::MxDeviceOperand {
            format: w.format,
            elements: run.tensor(we, &wshape, DType::U8),
            scales: run.tensor(wscs, &wss, DType::U8),
        };
        device::ops::mx_matmul_native_planned(
            &exec,
            &variant,
            p,
            run.stream(),
            xo,
            wo,
            bias,
            run.tensor(o, &os, O::DTYPE),
            Some(run.tensor(wsb, &ws_shape, DType::U8)),
        )?;
        run.sync()?;
        run.download(o, out)
    })
    .map(|((), c)| c)
}

/// bf16 activations × MXFP8 weights (`ops::mx_matmul_weight_only`) on the emulator.
pub fn mx_matmul_weight_only<T: FloatElement, O: FloatElement>(
    cfg: &SimConfig,
    x: &[T],
    w: &MxOperand<'_>,
    m: usize,
    n: usize,
    k: usize,
    out: &mut [O],
) -> Result<Counters> {
    check_mx_operand("w", w, n, k)?;
    let pl = ops::pair_scale_row(k) / 2;
    let (xs, wsh, wss) = ([m, k], [n, k], [n, pl, 2]);
    let xv = TensorView::new(&xs, x)?;
    let wv = mx_view(w, &wsh, &wss)?;
    if Some(out.len()) != m.checked_mul(n) {
        return Err(Error::shape("out", format!("{m} x {n}"), &[out.len()]));
    }
    let (y, c) = measure(|| ops::mx_matmul_weight_only::<T, O>(&cfg.backend(), xv, wv))?;
    out.copy_from_slice(y.data());
    Ok(c)
}

/// Copies `src` to `dst` (`n = src.len()` f32) with the probe kernel compiled for `a2`, launched
/// on the emulated `target` device: the emulator must accept `ProbeMode::Copy` on aligned
/// lengths (on a2) and refuse everything else with a message naming the rule.
pub fn sim_probe(
    target: Target,
    mode: ProbeMode,
    src: &[f32],
    dst: &mut [f32],
) -> Result<Counters> {
    let n = u32::try_from(src.len())
        .map_err(|_| Error::shape("src", "< 2^32 elements", &[src.len()]))?;
    let kernels = Device::emulator(Target::A2)?;
    let exec = Exec::new(Device::emulator(target)?);
    measure(|| {
        let mut run = HostRun::new(&exec)?;
        let s = run.input(src)?;
        let d = run.output_for::<f32>(dst.len())?;
        let (ss, ds) = ([src.len()], [dst.len()]);
        let (sp, dp) = (
            run.tensor(s, &ss, DType::F32).ptr(),
            run.tensor(d, &ds, DType::F32).ptr(),
        );
        device::ops::sim_probe(&kernels, &exec.device, run.stream(), mode, n, sp, dp)?;
        run.sync()?;
        run.download(d, dst)
    })
    .map(|((), c)| c)
}
