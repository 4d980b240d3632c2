//! The vector kernels on a device: `rms_norm`, `mx_quant`, `mx_dequant`, `fp8_block_dequant`,
//! `rope_qk`, and the emulator's `sim_probe`.

use super::{
    dtype_code, fp8_code, fp8_dtypes, plan_error, rows_and_last, u32_of, DeviceTensor, FLOATS,
    SCALE_DTYPES,
};
use crate::device::kernels::{
    AkFp8BlockDequantTiling, AkMxDequantTiling, AkMxQuantTiling, AkRmsNormTiling, AkRopeQkTiling,
    AkSimProbeTiling, DevicePtr, Fp8BlockDequantGm, MxDequantGm, MxQuantGm, RmsNormGm, RopeQkGm,
    SimProbeGm, StreamHandle, AK_MX_NAN_ELEMENTS, AK_MX_RCEIL, AK_MX_TINY_SCALE,
    AK_RMS_NORM_ASCEND_RSTD, AK_RMS_NORM_F32_SUM, AK_RMS_NORM_FUSED, AK_RMS_NORM_NEWTON_RAPHSON,
    AK_RMS_NORM_RSTD, AK_RMS_NORM_SCALE_SQUARES, AK_RMS_NORM_WEIGHT_F32, AK_ROPE_DTYPE_COS_SIN,
    AK_ROPE_F32_COMPUTE, AK_ROPE_ROUND_AWAY,
};
use crate::device::{Device, Exec};
use crate::error::{Error, Result};
use crate::formats::{DType, Fp8Format, RoundMode};
use crate::ops::{
    MxQuantOptions, NonFiniteBlocks, RmsNormMode, RmsNormOptions, RopeMode, RopeOptions, ScaleAlg,
    TinyBlocks,
};
use crate::tiling::{self, Target};

/// RMSNorm of every row of `x [..., H]` with `weight [H]` into `y` (shape of `x`); with
/// `residual = Some((r, h))` the fused form `h = x + r`, `y = rms_norm(h)` — in an Ascend mode
/// the AddRmsNorm of that mode (`docs/numerics.md`); with `rstd` (F32 `[rows]`) each row's
/// factor. All other tensors share `x`'s dtype (F32, F16 or BF16). An Ascend mode runs on the
/// target whose operator it reproduces only.
#[allow(clippy::too_many_arguments)]
pub fn rms_norm(
    exec: &Exec,
    stream: StreamHandle,
    x: DeviceTensor<'_>,
    weight: DeviceTensor<'_>,
    residual: Option<(DeviceTensor<'_>, DeviceTensor<'_>)>,
    y: DeviceTensor<'_>,
    rstd: Option<DeviceTensor<'_>>,
    options: &RmsNormOptions,
) -> Result<()> {
    let (rows, _) = rows_and_last("x", &x)?;
    let shape = rms_shape(&x, residual.is_some())?;
    let variant = exec.variant_for("rms_norm", rows);
    let knobs = exec.knobs("rms_norm", &variant)?;
    let p = tiling::rms_norm::plan(exec.device.target(), knobs, exec.cores, &shape)
        .map_err(plan_error)?;
    rms_norm_planned(
        exec, &variant, &p, stream, x, weight, residual, y, rstd, options,
    )
}

fn rms_shape(x: &DeviceTensor<'_>, fused: bool) -> Result<tiling::rms_norm::RmsNormShape> {
    let (rows, cols) = rows_and_last("x", x)?;
    Ok(tiling::rms_norm::RmsNormShape {
        rows: u32_of("x rows", rows)?,
        cols: u32_of("x cols", cols)?,
        elem_bytes: x.dtype().size() as u32,
        fused,
    })
}

/// [`rms_norm`] with variant `variant` and a given plan, unchecked against the variant's budget:
/// the runtime is the judge (tests hand the emulator plans it must refuse).
#[allow(clippy::too_many_arguments)]
pub fn rms_norm_planned(
    exec: &Exec,
    variant: &str,
    p: &tiling::rms_norm::RmsNormPlan,
    stream: StreamHandle,
    x: DeviceTensor<'_>,
    weight: DeviceTensor<'_>,
    residual: Option<(DeviceTensor<'_>, DeviceTensor<'_>)>,
    y: DeviceTensor<'_>,
    rstd: Option<DeviceTensor<'_>>,
    options: &RmsNormOptions,
) -> Result<()> {
    let (rows, cols) = rows_and_last("x", &x)?;
    let dt = x.dtype();
    let dtype = dtype_code("x", dt)?;
    x.expect("x", &FLOATS, x.shape())?;
    weight.expect("weight", &[dt], &[cols])?;
    y.expect("y", &[dt], x.shape())?;
    if let Some((r, h)) = &residual {
        r.expect("residual", &[dt], x.shape())?;
        h.expect("h", &[dt], x.shape())?;
    }
    if let Some(r) = &rstd {
        r.expect("rstd", &[DType::F32], &[rows])?;
    }
    let target = exec.device.target();
    if let Some(t) = options.mode.ascend_target().filter(|&t| t != target) {
        return Err(Error::option(
            "mode",
            format!(
                "`{}` reproduces the {t} operator; the {target} kernels implement the {target} one",
                options.mode.name()
            ),
        ));
    }
    if !(options.eps.is_finite() && options.eps >= 0.0) {
        return Err(Error::option(
            "eps",
            format!("must be finite and >= 0, got {}", options.eps),
        ));
    }
    let shape = rms_shape(&x, residual.is_some())?;
    if p.block_dim == 0 {
        return Ok(());
    }
    let ascend = AK_RMS_NORM_WEIGHT_F32 | AK_RMS_NORM_ASCEND_RSTD;
    let mut flags = match (options.mode, shape.fused) {
        (RmsNormMode::Hf, _) => 0,
        (RmsNormMode::WeightInF32, _) => AK_RMS_NORM_WEIGHT_F32,
        (RmsNormMode::AscendA2, false) => ascend,
        // AddRmsNorm on A2/A3 rounds before the weight multiply and scales squares first
        (RmsNormMode::AscendA2, true) => AK_RMS_NORM_ASCEND_RSTD | AK_RMS_NORM_SCALE_SQUARES,
        (RmsNormMode::Ascend950, false) => ascend | AK_RMS_NORM_NEWTON_RAPHSON,
        (RmsNormMode::Ascend950, true) => ascend | AK_RMS_NORM_NEWTON_RAPHSON | AK_RMS_NORM_F32_SUM,
    };
    if shape.fused {
        flags |= AK_RMS_NORM_FUSED;
    }
    if rstd.is_some() {
        flags |= AK_RMS_NORM_RSTD;
    }
    let t = AkRmsNormTiling {
        rows: shape.rows,
        cols: shape.cols,
        rows_per_core: p.rows_per_core,
        rows_per_tile: p.rows_per_tile,
        dtype,
        flags,
        eps: options.eps,
        ..Default::default()
    };
    let gm = RmsNormGm {
        x: x.arg(),
        residual: residual.map_or(DevicePtr::NULL, |(r, _)| r.arg()),
        weight: weight.arg(),
        y: y.arg(),
        h: residual.map_or(DevicePtr::NULL, |(_, h)| h.arg()),
        rstd: rstd.map_or(DevicePtr::NULL, |r| r.arg()),
    };
    let d = &exec.device;
    gm.launch(d.kernels(), d.target(), variant, p.block_dim, stream, &t)
}

/// Dynamic MX quantization of `x [..., K]` (F32, F16 or BF16) into FP8 `y` (shape of `x`, dtype
/// the format's or U8) and pair-layout E8M0 `scales [..., ceil(K/64), 2]` (F8_E8M0 or U8).
/// The generated kernels round with `rint` only.
pub fn mx_quant(
    exec: &Exec,
    stream: StreamHandle,
    x: DeviceTensor<'_>,
    y: DeviceTensor<'_>,
    scales: DeviceTensor<'_>,
    options: &MxQuantOptions,
) -> Result<()> {
    if options.round != RoundMode::Rint {
        return Err(Error::option(
            "round",
            "the generated mx_quant kernels round FP8 elements with rint only (the only mode Ascend accepts)",
        ));
    }
    let (rows, cols) = rows_and_last("x", &x)?;
    x.expect("x", &FLOATS, x.shape())?;
    y.expect("y", &fp8_dtypes(options.dst), x.shape())?;
    let (r32, c32) = (u32_of("x rows", rows)?, u32_of("x cols", cols)?);
    let stride = tiling::mx_quant::scale_stride(c32);
    let mut scale_shape = x.shape()[..x.shape().len() - 1].to_vec();
    scale_shape.extend([stride as usize / 2, 2]);
    scales.expect("scales", &SCALE_DTYPES, &scale_shape)?;
    let dtype = dtype_code("x", x.dtype())?;
    let variant = exec.variant_for("mx_quant", rows);
    let knobs = exec.knobs("mx_quant", &variant)?;
    let shape = tiling::mx_quant::MxQuantShape {
        rows: r32,
        cols: c32,
        in_bytes: x.dtype().size() as u32,
    };
    let p = tiling::mx_quant::plan(exec.device.target(), knobs, exec.cores, &shape)
        .map_err(plan_error)?;
    if p.block_dim == 0 {
        return Ok(());
    }
    let mut flags = 0;
    if options.scale_alg == ScaleAlg::Rceil {
        flags |= AK_MX_RCEIL;
    }
    if options.tiny_blocks == TinyBlocks::Scale {
        flags |= AK_MX_TINY_SCALE;
    }
    if options.non_finite == NonFiniteBlocks::Nan {
        flags |= AK_MX_NAN_ELEMENTS;
    }
    let t = AkMxQuantTiling {
        rows: r32,
        cols: c32,
        scale_stride: stride,
        rows_per_core: p.rows_per_core,
        rows_per_tile: p.rows_per_tile,
        blocks_per_tile: p.blocks_per_tile,
        format: fp8_code(options.dst)?,
        dtype,
        flags,
        ..Default::default()
    };
    let gm = MxQuantGm {
        x: x.arg(),
        y: y.arg(),
        scales: scales.arg(),
    };
    let d = &exec.device;
    gm.launch(d.kernels(), d.target(), &variant, p.block_dim, stream, &t)
}

/// MX dequantization of FP8 `y [..., K]` (`format`) with pair-layout `scales` into `out`
/// (shape of `y`; F32, F16 or BF16).
pub fn mx_dequant(
    exec: &Exec,
    stream: StreamHandle,
    format: Fp8Format,
    y: DeviceTensor<'_>,
    scales: DeviceTensor<'_>,
    out: DeviceTensor<'_>,
) -> Result<()> {
    let (rows, cols) = rows_and_last("y", &y)?;
    y.expect("y", &fp8_dtypes(format), y.shape())?;
    out.expect("out", &FLOATS, y.shape())?;
    let (r32, c32) = (u32_of("y rows", rows)?, u32_of("y cols", cols)?);
    let stride = tiling::mx_dequant::scale_stride(c32);
    let mut scale_shape = y.shape()[..y.shape().len() - 1].to_vec();
    scale_shape.extend([stride as usize / 2, 2]);
    scales.expect("y_scale", &SCALE_DTYPES, &scale_shape)?;
    let dtype = dtype_code("out", out.dtype())?;
    let variant = exec.variant_for("mx_dequant", rows);
    let knobs = exec.knobs("mx_dequant", &variant)?;
    let shape = tiling::mx_dequant::MxDequantShape {
        rows: r32,
        cols: c32,
        out_bytes: out.dtype().size() as u32,
    };
    let p = tiling::mx_dequant::plan(exec.device.target(), knobs, exec.cores, &shape)
        .map_err(plan_error)?;
    if p.block_dim == 0 {
        return Ok(());
    }
    let t = AkMxDequantTiling {
        rows: r32,
        cols: c32,
        scale_stride: stride,
        rows_per_core: p.rows_per_core,
        rows_per_tile: p.rows_per_tile,
        blocks_per_tile: p.blocks_per_tile,
        format: fp8_code(format)?,
        dtype,
    };
    let gm = MxDequantGm {
        y: y.arg(),
        scales: scales.arg(),
        out: out.arg(),
    };
    let d = &exec.device;
    gm.launch(d.kernels(), d.target(), &variant, p.block_dim, stream, &t)
}

/// FP8 block dequantization: E4M3 `weight [O, I]` (F8_E4M3 or U8) times `scales
/// [ceil(O/bo), ceil(I/bi)]` (F32, F16 or BF16) into `out [O, I]` (F32, F16 or BF16).
pub fn fp8_block_dequant(
    exec: &Exec,
    stream: StreamHandle,
    weight: DeviceTensor<'_>,
    scales: DeviceTensor<'_>,
    block: [usize; 2],
    out: DeviceTensor<'_>,
) -> Result<()> {
    let [rows, cols] = match *weight.shape() {
        [o, i] => [o, i],
        _ => return Err(Error::shape("weight", "[O, I]", weight.shape())),
    };
    weight.expect("weight", &fp8_dtypes(Fp8Format::E4M3), weight.shape())?;
    out.expect("out", &FLOATS, weight.shape())?;
    if block[0] == 0 || block[1] == 0 {
        return Err(Error::option("block", "block sizes must be positive"));
    }
    let grid = [rows.div_ceil(block[0]), cols.div_ceil(block[1])];
    scales.expect("weight_scale_inv", &FLOATS, &grid)?;
    let (r32, c32) = (u32_of("weight rows", rows)?, u32_of("weight cols", cols)?);
    let (bo, bi) = (
        u32_of("block rows", block[0])?,
        u32_of("block cols", block[1])?,
    );
    let scale_dtype = dtype_code("weight_scale_inv", scales.dtype())?;
    let dtype = dtype_code("out", out.dtype())?;
    let variant = exec.variant_for("fp8_block_dequant", rows);
    let knobs = exec.knobs("fp8_block_dequant", &variant)?;
    let shape = tiling::fp8_block_dequant::Fp8BlockShape {
        rows: r32,
        cols: c32,
        block: [bo, bi],
        scale_bytes: scales.dtype().size() as u32,
        out_bytes: out.dtype().size() as u32,
    };
    let p = tiling::fp8_block_dequant::plan(exec.device.target(), knobs, exec.cores, &shape)
        .map_err(plan_error)?;
    if p.block_dim == 0 {
        return Ok(());
    }
    let t = AkFp8BlockDequantTiling {
        rows: r32,
        cols: c32,
        block_rows: bo,
        block_cols: bi,
        grid_cols: u32_of("grid cols", grid[1])?,
        rows_per_core: p.rows_per_core,
        rows_per_tile: p.rows_per_tile,
        cols_per_tile: p.cols_per_tile,
        scale_dtype,
        dtype,
    };
    let gm = Fp8BlockDequantGm {
        w: weight.arg(),
        scales: scales.arg(),
        out: out.arg(),
    };
    let d = &exec.device;
    gm.launch(d.kernels(), d.target(), &variant, p.block_dim, stream, &t)
}

/// Fused NeoX RoPE: `q [T, Hq, D]` and `k [T, Hk, D]` rotated at `positions [T]` (I32) with the
/// cos/sin table `cache [max_positions, rotary_dim]` (F32, rows `[cos.., sin..]` as
/// [`crate::ops::RopeCache`] builds them) into `q_out`, `k_out`. Every position must lie in
/// `0..max_positions` (the host path checks it; here the kernel would read outside the table).
#[allow(clippy::too_many_arguments)]
pub fn rope_qk(
    exec: &Exec,
    stream: StreamHandle,
    q: DeviceTensor<'_>,
    k: DeviceTensor<'_>,
    positions: DeviceTensor<'_>,
    cache: DeviceTensor<'_>,
    q_out: DeviceTensor<'_>,
    k_out: DeviceTensor<'_>,
    options: &RopeOptions,
) -> Result<()> {
    let (tokens, heads_q, head_dim) = match *q.shape() {
        [t, h, d] if d > 0 => (t, h, d),
        _ => return Err(Error::shape("q", "[tokens, heads, head_dim]", q.shape())),
    };
    let heads_k = match *k.shape() {
        [t, h, d] if t == tokens && d == head_dim => h,
        _ => {
            return Err(Error::shape(
                "k",
                format!("[{tokens}, heads, {head_dim}] (tokens and head_dim of q)"),
                k.shape(),
            ))
        }
    };
    let dt = q.dtype();
    let target = exec.device.target();
    if let Some(t) = options.mode.ascend_target().filter(|&t| t != target) {
        return Err(Error::option(
            "mode",
            format!(
                "`{}` reproduces the {t} operator, which the {target} kernels do not implement",
                options.mode.name()
            ),
        ));
    }
    q.expect("q", &FLOATS, q.shape())?;
    k.expect("k", &[dt], k.shape())?;
    q_out.expect("q_out", &[dt], q.shape())?;
    k_out.expect("k_out", &[dt], k.shape())?;
    positions.expect("positions", &[DType::I32], &[tokens])?;
    let (max_positions, rotary_dim) = match *cache.shape() {
        [p, r] if p > 0 && r > 0 && r % 2 == 0 && r <= head_dim => (p, r),
        _ => {
            return Err(Error::shape(
                "cache",
                format!("[max_positions, rotary_dim] with an even rotary_dim <= {head_dim}"),
                cache.shape(),
            ))
        }
    };
    cache.expect("cache", &[DType::F32], cache.shape())?;
    let shape = tiling::rope_qk::RopeShape {
        tokens: u32_of("tokens", tokens)?,
        heads_q: u32_of("heads_q", heads_q)?,
        heads_k: u32_of("heads_k", heads_k)?,
        head_dim: u32_of("head_dim", head_dim)?,
        rotary_dim: u32_of("rotary_dim", rotary_dim)?,
        elem_bytes: dt.size() as u32,
    };
    let dtype = dtype_code("q", dt)?;
    let variant = exec.variant_for("rope_qk", tokens);
    let knobs = exec.knobs("rope_qk", &variant)?;
    let p = tiling::rope_qk::plan(exec.device.target(), knobs, exec.cores, &shape)
        .map_err(plan_error)?;
    if p.block_dim == 0 {
        return Ok(());
    }
    let t = AkRopeQkTiling {
        tokens: shape.tokens,
        heads_q: shape.heads_q,
        heads_k: shape.heads_k,
        head_dim: shape.head_dim,
        rotary_dim: shape.rotary_dim,
        max_positions: u32_of("max_positions", max_positions)?,
        rows_per_core: p.rows_per_core,
        rows_per_tile: p.rows_per_tile,
        dtype,
        flags: {
            let f32_cs = AK_ROPE_F32_COMPUTE | AK_ROPE_DTYPE_COS_SIN;
            match options.mode {
                RopeMode::Hf => 0,
                RopeMode::F32Compute => AK_ROPE_F32_COMPUTE,
                RopeMode::AscendRotaryMul => f32_cs,
                // ApplyRotaryPosEmb computes f16 in f16: HF's arithmetic
                RopeMode::AscendApplyRotaryPosEmb if dt == DType::F16 => 0,
                RopeMode::AscendApplyRotaryPosEmb => f32_cs | AK_ROPE_ROUND_AWAY,
            }
        },
    };
    let gm = RopeQkGm {
        q: q.arg(),
        k: k.arg(),
        positions: positions.arg(),
        cache: cache.arg(),
        q_out: q_out.arg(),
        k_out: k_out.arg(),
    };
    let d = &exec.device;
    gm.launch(d.kernels(), d.target(), &variant, p.block_dim, stream, &t)
}

/// What [`sim_probe`] does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum ProbeMode {
    /// The correct copy (`n * 4` must be a multiple of 32 B, or the emulator refuses the
    /// DataCopy).
    Copy = 0,
    /// Frees the same tensor twice.
    DoubleFree = 1,
    /// Dequeues from an empty queue.
    EmptyDeQue = 2,
    /// Leaves an allocated tensor unfreed at kernel end.
    Leak = 3,
    /// Writes a tensor after handing it to the queue (a missing-sync bug on hardware).
    UseAfterEnQue = 4,
}

/// The emulator's probe kernel (compiled for a2 only, from `kernels`' library), launched on
/// `device`'s `stream`: copies `n` f32 from `src` to `dst` in `mode`. Negative tests use it to
/// show that the emulator refuses kernel misuse, and an a2 kernel on an a5 device.
#[allow(clippy::too_many_arguments)]
pub fn sim_probe(
    kernels: &Device,
    device: &Device,
    stream: StreamHandle,
    mode: ProbeMode,
    n: u32,
    src: DevicePtr,
    dst: DevicePtr,
) -> Result<()> {
    let t = AkSimProbeTiling {
        n,
        mode: mode as u32,
    };
    device.bind()?;
    let gm = SimProbeGm { src, dst };
    gm.launch(kernels.kernels(), Target::A2, "v0", 1, stream, &t)
}
