//! `rms_norm` on the sim.

use super::session::Counters;
use super::SimConfig;
use crate::error::{Error, Result};
use crate::formats::{DType, FloatElement};
use crate::ops::RmsNormMode;
use crate::tiling::rms_norm::{plan, RmsNormPlan, RmsNormShape};

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

pub(crate) fn dtype_code(kernel: &str, d: DType) -> Result<u32> {
    match d {
        DType::F32 => Ok(0),
        DType::F16 => Ok(1),
        DType::BF16 => Ok(2),
        other => Err(Error::DType {
            tensor: format!("{kernel}: x"),
            expected: "F32, F16 or BF16".into(),
            actual: other,
        }),
    }
}

fn shape_of<T: FloatElement>(args: &RmsNormArgs<'_, T>) -> Result<RmsNormShape> {
    let n = args.rows.checked_mul(args.cols);
    let want = |name: &str, len: usize, expected: Option<usize>| -> Result<()> {
        if Some(len) != expected {
            return Err(Error::shape(
                name,
                format!("{} elements", expected.unwrap_or(usize::MAX)),
                &[len],
            ));
        }
        Ok(())
    };
    want("x", args.x.len(), n)?;
    if let Some(r) = args.residual {
        want("residual", r.len(), n)?;
    }
    want("weight", args.weight.len(), Some(args.cols))?;
    let to_u32 =
        |what: &str, v: usize| u32::try_from(v).map_err(|_| Error::shape(what, "< 2^32", &[v]));
    Ok(RmsNormShape {
        rows: to_u32("x rows", args.rows)?,
        cols: to_u32("x cols", args.cols)?,
        elem_bytes: T::DTYPE.size() as u32,
        fused: args.residual.is_some(),
    })
}

/// Runs `rms_norm` on the sim: writes `y` (and `h = x + residual` when `args.residual` is set,
/// which then requires `h`; and the per-row `rstd` when given). Plans the tiling for the
/// configured target and variant.
pub fn rms_norm<T: FloatElement>(
    cfg: &SimConfig,
    args: &RmsNormArgs<'_, T>,
    y: &mut [T],
    h: Option<&mut [T]>,
    rstd: Option<&mut [f32]>,
) -> Result<Counters> {
    let cfg = &cfg.resolved("rms_norm", args.rows);
    let shape = shape_of(args)?;
    let knobs = super::variants()
        .into_iter()
        .find(|v| v.kernel == "rms_norm" && v.target == cfg.target && v.variant == cfg.variant)
        .map(|v| v.knobs);
    let Some(knobs) = knobs else {
        if !super::available() {
            return Err(super::unavailable());
        }
        return Err(Error::BackendUnavailable {
            backend: "sim".into(),
            reason: format!(
                "rms_norm variant `{}` is not compiled for {}",
                cfg.variant, cfg.target
            ),
        });
    };
    let p = plan(cfg.target, knobs, cfg.cores, &shape)
        .map_err(|e| Error::option("sim variant", e.0))?;
    rms_norm_planned(cfg, args, &p, y, h, rstd)
}

/// Runs `rms_norm` with a given plan, unchecked against the variant's budget: the sim is the
/// judge (tests use this to hand it plans that must be refused).
pub fn rms_norm_planned<T: FloatElement>(
    cfg: &SimConfig,
    args: &RmsNormArgs<'_, T>,
    p: &RmsNormPlan,
    y: &mut [T],
    h: Option<&mut [T]>,
    rstd: Option<&mut [f32]>,
) -> Result<Counters> {
    let cfg = &cfg.resolved("rms_norm", args.rows);
    let shape = shape_of(args)?;
    let dtype = dtype_code("rms_norm", T::DTYPE)?;
    if y.len() != args.x.len() {
        return Err(Error::shape(
            "y",
            format!("{} elements", args.x.len()),
            &[y.len()],
        ));
    }
    let mut h = h;
    match (&args.residual, &h) {
        (Some(_), Some(hh)) if hh.len() != args.x.len() => {
            return Err(Error::shape(
                "h",
                format!("{} elements", args.x.len()),
                &[hh.len()],
            ))
        }
        (Some(_), None) => {
            return Err(Error::option(
                "residual",
                "the fused variant needs an output for h",
            ))
        }
        (None, Some(_)) => h = None,
        _ => {}
    }
    if let Some(r) = rstd.as_ref().filter(|r| r.len() != args.rows) {
        return Err(Error::shape(
            "rstd",
            format!("{} elements", args.rows),
            &[r.len()],
        ));
    }
    if p.block_dim == 0 {
        return Ok(Counters::default());
    }
    #[cfg(ak_sim)]
    {
        use super::session::{ffi, GmBuffer, Session};
        let entry = ffi::AK_RMS_NORM_VARIANTS
            .iter()
            .find(|v| v.target == cfg.target.name() && v.variant == cfg.variant)
            .ok_or_else(|| Error::BackendUnavailable {
                backend: "sim".into(),
                reason: format!(
                    "rms_norm variant `{}` is not compiled for {}",
                    cfg.variant, cfg.target
                ),
            })?;
        let ascend = ffi::AK_RMS_NORM_WEIGHT_F32 | ffi::AK_RMS_NORM_ASCEND_RSTD;
        let mut flags = match (args.mode, shape.fused) {
            (RmsNormMode::Hf, _) => 0,
            (RmsNormMode::WeightInF32, _) => ffi::AK_RMS_NORM_WEIGHT_F32,
            (RmsNormMode::AscendA2, false) => ascend,
            // AddRmsNorm on A2/A3 rounds before the weight multiply, scales squares first
            (RmsNormMode::AscendA2, true) => {
                ffi::AK_RMS_NORM_ASCEND_RSTD | ffi::AK_RMS_NORM_SCALE_SQUARES
            }
            (RmsNormMode::Ascend950, false) => ascend | ffi::AK_RMS_NORM_NEWTON_RAPHSON,
            (RmsNormMode::Ascend950, true) => {
                ascend | ffi::AK_RMS_NORM_NEWTON_RAPHSON | ffi::AK_RMS_NORM_F32_SUM
            }
        };
        if shape.fused {
            flags |= ffi::AK_RMS_NORM_FUSED;
        }
        if rstd.is_some() {
            flags |= ffi::AK_RMS_NORM_RSTD;
        }
        let tiling = ffi::AkRmsNormTiling {
            rows: shape.rows,
            cols: shape.cols,
            rows_per_core: p.rows_per_core,
            rows_per_tile: p.rows_per_tile,
            dtype,
            flags,
            eps: args.eps,
            ..Default::default()
        };
        let x = GmBuffer::input("x", args.x);
        let w = GmBuffer::input("weight", args.weight);
        let r = args.residual.map(|r| GmBuffer::input("residual", r));
        let yb = GmBuffer::output("y", y);
        let hb = h.map(|h| GmBuffer::output("h", h));
        let rb = rstd.map(|r| GmBuffer::output("rstd", r));
        let none = std::ptr::null_mut();
        let mut bufs = vec![x, w, yb];
        bufs.extend(r);
        bufs.extend(hb);
        bufs.extend(rb);
        let session = Session::begin(cfg.target, "rms_norm", &bufs)?;
        // SAFETY: every pointer is either null (an argument the kernel does not touch without its
        // flag) or a buffer registered above, alive and borrowed (shared for inputs, exclusive for
        // outputs) for the whole call; the sim checks each GM access against those registrations
        // and refuses writes to the read-only inputs. `tiling` outlives the call.
        let rc = unsafe {
            (entry.launch)(
                p.block_dim,
                std::ptr::null_mut(),
                x.arg(),
                r.map_or(none, |b| b.arg()),
                w.arg(),
                yb.arg(),
                hb.map_or(none, |b| b.arg()),
                rb.map_or(none, |b| b.arg()),
                &tiling,
            )
        };
        session.finish(rc)
    }
    #[cfg(not(ak_sim))]
    {
        let _ = (cfg, dtype, h, shape, rstd);
        Err(super::unavailable())
    }
}
