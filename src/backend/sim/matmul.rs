//! The matmul family on the sim: the cube `matmul` kernel (bf16/f16 operands, f32 accumulation
//! in L0C, Fixpipe to the output dtype), and the MX forms composed from it. On both targets the
//! MXFP8 operands are first decoded and scaled to bf16 in GM by the generated `mx_dequant` vector
//! kernel (separate launches: the sim does not model MIX kernels or cross-core sync), then the
//! cube kernel runs on the bf16 workspaces (`docs/kernels/matmul.md`).

use half::bf16;

use super::rms_norm::dtype_code;
use super::session::Counters;
use super::SimConfig;
use crate::error::{Error, Result};
use crate::formats::{DType, FloatElement, Fp8Format, E8M0};
use crate::tiling::matmul::{plan, plan_mx, MatmulPlan, MatmulShape};
use crate::tiling::Target;

/// Operands of [`matmul`]: `x [m, k]`, `w [n, k]`, optional f32 `bias [n]`.
#[derive(Clone, Copy, Debug)]
pub struct MatmulArgs<'a, T> {
    /// Activations, row-major `[m, k]`.
    pub x: &'a [T],
    /// Weights, row-major `[n, k]` (a linear layer's layout).
    pub w: &'a [T],
    /// Optional bias (bf16 operands only).
    pub bias: Option<&'a [f32]>,
    /// Rows of x.
    pub m: usize,
    /// Rows of w.
    pub n: usize,
    /// Inner dimension.
    pub k: usize,
}

/// One MX operand: FP8 bytes `[rows, k]` and pair-layout scales `[rows, ceil(k/64), 2]`.
#[derive(Clone, Copy, Debug)]
pub struct MxOperand<'a> {
    /// Element format.
    pub format: Fp8Format,
    /// FP8 bytes.
    pub elements: &'a [u8],
    /// E8M0 scales, pair layout.
    pub scales: &'a [E8M0],
}

/// Splits an f32 bias into three bf16 parts whose exact sum is the bias (`hi + mid + lo`, each
/// part the truncation of what is left), laid out `[n, 16]` (parts in columns 0..3, zeros after).
/// Non-finite values go whole into `hi`. Exact for `|b| >= 2^-110`; below that the last part
/// can fall under bf16's subnormal range and lose bits (`docs/kernels/matmul.md`).
pub fn bias_split(bias: &[f32]) -> Vec<bf16> {
    let trunc = |v: f32| f32::from_bits(v.to_bits() & 0xFFFF_0000);
    let mut out = vec![bf16::ZERO; bias.len() * 16];
    for (row, &b) in out.chunks_mut(16).zip(bias) {
        if !b.is_finite() {
            row[0] = bf16::from_f32(b);
            continue;
        }
        let hi = trunc(b);
        let r1 = b - hi;
        let mid = trunc(r1);
        let lo = trunc(r1 - mid);
        row[0] = bf16::from_bits((hi.to_bits() >> 16) as u16);
        row[1] = bf16::from_bits((mid.to_bits() >> 16) as u16);
        row[2] = bf16::from_bits((lo.to_bits() >> 16) as u16);
    }
    out
}

/// The `[16, 16]` bf16 left operand of the bias update: every row `(1, 1, 1, 0, ...)`.
fn bias_ones() -> Vec<bf16> {
    let mut v = vec![bf16::ZERO; 256];
    for r in 0..16 {
        v[r * 16..r * 16 + 3].fill(bf16::ONE);
    }
    v
}

fn add(a: Counters, b: Counters) -> Counters {
    Counters {
        gm_to_ub_bytes: a.gm_to_ub_bytes + b.gm_to_ub_bytes,
        ub_to_gm_bytes: a.ub_to_gm_bytes + b.ub_to_gm_bytes,
        vector_instrs: a.vector_instrs + b.vector_instrs,
        vector_elems: a.vector_elems + b.vector_elems,
        cube_macs: a.cube_macs + b.cube_macs,
        max_core_gm_bytes: a.max_core_gm_bytes.max(b.max_core_gm_bytes),
        ub_peak_bytes: a.ub_peak_bytes.max(b.ub_peak_bytes),
        blocks: a.blocks.max(b.blocks),
        reserved: 0,
    }
}

fn shape_of<T>(args: &MatmulArgs<'_, T>) -> Result<MatmulShape> {
    let to_u32 =
        |what: &str, v: usize| u32::try_from(v).map_err(|_| Error::shape(what, "< 2^32", &[v]));
    let want = |name: &str, len: usize, rows: usize| -> Result<()> {
        if Some(len) != rows.checked_mul(args.k) {
            return Err(Error::shape(
                name,
                format!("{rows} x {} elements", args.k),
                &[len],
            ));
        }
        Ok(())
    };
    want("x", args.x.len(), args.m)?;
    want("w", args.w.len(), args.n)?;
    if let Some(b) = args.bias {
        if b.len() != args.n {
            return Err(Error::shape("bias", format!("[{}]", args.n), &[b.len()]));
        }
    }
    Ok(MatmulShape {
        m: to_u32("x rows", args.m)?,
        n: to_u32("w rows", args.n)?,
        k: to_u32("K", args.k)?,
    })
}

/// `out = x · wᵀ (+ bias)` on the cube kernel with the host-planned tiling.
pub fn matmul<T: FloatElement, O: FloatElement>(
    cfg: &SimConfig,
    args: &MatmulArgs<'_, T>,
    out: &mut [O],
) -> Result<Counters> {
    let cfg = &cfg.resolved("matmul", args.m);
    let shape = shape_of(args)?;
    let knobs = super::knobs_of("matmul", cfg)?;
    let p = plan(cfg.target, knobs, cfg.cores, &shape)
        .map_err(|e| Error::option("sim variant", e.0))?;
    matmul_planned(cfg, args, &p, out)
}

/// Runs `matmul` with a given plan, unchecked against the capacities: the sim is the judge
/// (tests use this to hand it plans that must be refused).
pub fn matmul_planned<T: FloatElement, O: FloatElement>(
    cfg: &SimConfig,
    args: &MatmulArgs<'_, T>,
    p: &MatmulPlan,
    out: &mut [O],
) -> Result<Counters> {
    let cfg = &cfg.resolved("matmul", args.m);
    let shape = shape_of(args)?;
    if out.len() != args.m * args.n {
        return Err(Error::shape(
            "out",
            format!("{} x {}", args.m, args.n),
            &[out.len()],
        ));
    }
    let in_dtype = match T::DTYPE {
        DType::BF16 | DType::F16 => dtype_code("matmul", T::DTYPE)?,
        other => {
            return Err(Error::DType {
                tensor: "matmul (sim): x".into(),
                expected: "BF16 or F16 (the cube kernel takes 16-bit operands)".into(),
                actual: other,
            })
        }
    };
    if args.bias.is_some() && T::DTYPE != DType::BF16 {
        return Err(Error::option(
            "bias",
            "the sim matmul adds a bias only to bf16 operands",
        ));
    }
    let out_dtype = dtype_code("matmul", O::DTYPE)?;
    if p.block_dim == 0 || args.m == 0 || args.n == 0 {
        return Ok(Counters::default());
    }
    #[cfg(ak_sim)]
    {
        use super::session::{ffi, GmBuffer, Session};
        let entry = ffi::AK_MATMUL_VARIANTS
            .iter()
            .find(|v| v.target == cfg.target.name() && v.variant == cfg.variant)
            .ok_or_else(|| super::not_compiled("matmul", cfg))?;
        let tiling = ffi::AkMatmulTiling {
            m: shape.m,
            n: shape.n,
            k: shape.k,
            base_m: p.base_m,
            base_n: p.base_n,
            base_k: p.base_k,
            k_l1: p.k_l1,
            tiles_n: p.tiles_n,
            tiles: p.tiles,
            has_bias: u32::from(args.bias.is_some()),
            in_dtype,
            out_dtype,
        };
        let bias3 = args.bias.map(bias_split).unwrap_or_default();
        let ones = if args.bias.is_some() {
            bias_ones()
        } else {
            Vec::new()
        };
        let x = GmBuffer::input("x", args.x);
        let w = GmBuffer::input("w", args.w);
        let b = GmBuffer::input("bias3", &bias3);
        let o1 = GmBuffer::input("ones", &ones);
        let y = GmBuffer::output("out", out);
        let session = Session::begin(cfg.target, "matmul", &[x, w, b, o1, y])?;
        // SAFETY: every pointer is a registered buffer borrowed for the call (null for the empty
        // bias buffers, which the kernel does not touch without has_bias); the sim checks every
        // GM access against the registrations. `tiling` outlives the call.
        let rc = unsafe {
            (entry.launch)(
                p.block_dim,
                std::ptr::null_mut(),
                x.arg(),
                w.arg(),
                b.arg(),
                o1.arg(),
                y.arg(),
                &tiling,
            )
        };
        session.finish(rc)
    }
    #[cfg(not(ak_sim))]
    {
        let _ = (shape, in_dtype, out_dtype);
        Err(super::unavailable())
    }
}

/// The `mx_dequant` configuration the MX forms use to decode: the matmul's target and core
/// count, and the same variant name when `mx_dequant` has it (else `v0`).
fn dequant_cfg(cfg: &SimConfig) -> SimConfig {
    let has = super::variants()
        .iter()
        .any(|v| v.kernel == "mx_dequant" && v.target == cfg.target && v.variant == cfg.variant);
    if has {
        cfg.clone()
    } else {
        cfg.clone().with_variant("v0")
    }
}

/// Decodes one MX operand to bf16 in a GM workspace with the generated `mx_dequant` kernel.
fn decode(
    cfg: &SimConfig,
    op: &MxOperand<'_>,
    rows: usize,
    k: usize,
) -> Result<(Vec<bf16>, Counters)> {
    let mut ws = vec![bf16::ZERO; rows * k];
    let c = super::mx_dequant(
        &dequant_cfg(cfg),
        op.format,
        op.elements,
        op.scales,
        rows,
        k,
        &mut ws,
    )?;
    Ok((ws, c))
}

/// The scale bytes for which every element of a block decodes exactly to bf16: E4M3 `[3, 246]`,
/// E5M2 `[10, 239]` (`docs/kernels/matmul.md`, "Exactness").
pub fn exact_scale_window(format: Fp8Format) -> (i32, i32) {
    match format {
        Fp8Format::E4M3 => (3, 246),
        Fp8Format::E5M2 => (10, 239),
    }
}

/// Per-block exponent rebalancing of the two operands' scales (host side, on the scale bytes
/// only): block `j` of every x row gets `sx - c_j` and of every w row `sw + c_j`, which leaves
/// every product `2^(sx + sw - 254)` unchanged. `c_j` is 0 when both operands already lie in
/// their exact windows, else the value nearest 0 that puts them all there; when no shift can
/// (the scales of one operand in one block span more than the window), the middle of the
/// wanted range, limited so no byte leaves `[0, 254]`. NaN scales (255) and the pad byte are
/// kept. Returns the adjusted pair-layout scales `(x, w)`.
pub fn mx_rebalance(
    fx: Fp8Format,
    x_scales: &[E8M0],
    fw: Fp8Format,
    w_scales: &[E8M0],
    k: usize,
) -> (Vec<E8M0>, Vec<E8M0>) {
    let pl = crate::ops::pair_scale_row(k);
    let nb = k.div_ceil(32);
    let (mut xs, mut ws) = (x_scales.to_vec(), w_scales.to_vec());
    if pl == 0 {
        return (xs, ws);
    }
    let range = |s: &[E8M0], j: usize| {
        s.chunks(pl)
            .map(|r| i32::from(r[j].to_bits()))
            .filter(|&b| b != 255)
            .fold(None, |acc: Option<(i32, i32)>, b| match acc {
                None => Some((b, b)),
                Some((lo, hi)) => Some((lo.min(b), hi.max(b))),
            })
    };
    let ((xlo, xhi), (wlo, whi)) = (exact_scale_window(fx), exact_scale_window(fw));
    for j in 0..nb {
        let (Some((amin, amax)), Some((bmin, bmax))) = (range(x_scales, j), range(w_scales, j))
        else {
            continue;
        };
        let lo = (amax - xhi).max(wlo - bmin);
        let hi = (amin - xlo).min(whi - bmax);
        let safe_lo = (amax - 254).max(-bmin);
        let safe_hi = amin.min(254 - bmax);
        let c = if lo <= hi {
            0.clamp(lo, hi)
        } else {
            ((lo + hi) / 2).clamp(safe_lo, safe_hi)
        };
        if c == 0 {
            continue;
        }
        let shift = |s: &mut [E8M0], d: i32| {
            for r in s.chunks_mut(pl) {
                let b = r[j].to_bits();
                if b != 255 {
                    r[j] = E8M0::from_bits((i32::from(b) + d) as u8);
                }
            }
        };
        shift(&mut xs, -c);
        shift(&mut ws, c);
    }
    (xs, ws)
}

/// MXFP8 × MXFP8 (`mx_matmul`) on the sim: on a5 the native MX cube kernel
/// ([`mx_matmul_native`], one launch), on a2 the decode path ([`mx_matmul_decode`], three
/// launches: a2 has no MX cube instructions).
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
    let kernel = match cfg.target {
        Target::A5 => "matmul_mx",
        Target::A2 => "matmul",
    };
    let cfg = &cfg.resolved(kernel, m);
    match cfg.target {
        Target::A5 => mx_matmul_native(cfg, x, w, bias, m, n, k, out),
        Target::A2 => mx_matmul_decode(cfg, x, w, bias, m, n, k, out),
    }
}

/// The pair-layout scales with the pad byte of an odd block count (`ceil(k/32)` odd) set to
/// `0x00`, the format's pad value (`docs/numerics.md`). `MmadMx` takes K in multiples of 64, so
/// the native kernel multiplies that byte's block (zero data) too, and a non-finite pad (`0xFF`)
/// would make the row NaN; the reference never reads it. Returns `None` when there is no pad.
pub fn mx_pad_scales(scales: &[E8M0], k: usize) -> Option<Vec<E8M0>> {
    let nb = k.div_ceil(32);
    if nb % 2 == 0 {
        return None;
    }
    let pl = nb + 1;
    let mut v = scales.to_vec();
    for row in v.chunks_mut(pl) {
        if let Some(pad) = row.get_mut(pl - 1) {
            *pad = E8M0::from_bits(0);
        }
    }
    Some(v)
}

fn fmt_code(f: Fp8Format) -> u32 {
    match f {
        Fp8Format::E4M3 => 0,
        Fp8Format::E5M2 => 1,
    }
}

fn check_mx_operand(name: &'static str, op: &MxOperand<'_>, rows: usize, k: usize) -> Result<()> {
    if Some(op.elements.len()) != rows.checked_mul(k) {
        return Err(Error::shape(
            name,
            format!("{rows} x {k} elements"),
            &[op.elements.len()],
        ));
    }
    let pl = crate::ops::pair_scale_row(k);
    if Some(op.scales.len()) != rows.checked_mul(pl) {
        return Err(Error::shape(
            name,
            format!("{rows} x {pl} scales (pair layout)"),
            &[op.scales.len()],
        ));
    }
    Ok(())
}

/// MXFP8 × MXFP8 on the a5 native MX cube kernel `matmul_mx` with the host-planned tiling
/// ([`plan_mx`]): fp8 data and e8m0 scales go GM → L1 → L0A/L0B and their scale areas → `MmadMx`
/// (f32 in L0C) → Fixpipe, one launch (`docs/kernels/matmul.md`). a5 only.
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
    let knobs = super::knobs_of("matmul_mx", cfg)?;
    let shape = mx_shape(m, n, k)?;
    let p = plan_mx(cfg.target, knobs, cfg.cores, &shape)
        .map_err(|e| Error::option("sim variant", e.0))?;
    mx_matmul_native_planned(cfg, x, w, bias, m, n, k, &p, out)
}

fn mx_shape(m: usize, n: usize, k: usize) -> Result<MatmulShape> {
    let to_u32 =
        |what: &str, v: usize| u32::try_from(v).map_err(|_| Error::shape(what, "< 2^32", &[v]));
    Ok(MatmulShape {
        m: to_u32("x rows", m)?,
        n: to_u32("w rows", n)?,
        k: to_u32("K", k)?,
    })
}

/// Runs `matmul_mx` with a given plan, unchecked against the capacities: the sim is the judge
/// (tests use this to hand it plans that must be refused).
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
    let cfg = &cfg.resolved("matmul_mx", m);
    let shape = mx_shape(m, n, k)?;
    check_mx_operand("x", x, m, k)?;
    check_mx_operand("w", w, n, k)?;
    if Some(out.len()) != m.checked_mul(n) {
        return Err(Error::shape("out", format!("{m} x {n}"), &[out.len()]));
    }
    if let Some(b) = bias {
        if b.len() != n {
            return Err(Error::shape("bias", format!("[{n}]"), &[b.len()]));
        }
    }
    let out_dtype = dtype_code("matmul_mx", O::DTYPE)?;
    if p.block_dim == 0 || m == 0 || n == 0 {
        return Ok(Counters::default());
    }
    #[cfg(ak_sim)]
    {
        use super::session::{ffi, GmBuffer, Session};
        let entry = ffi::AK_MATMUL_MX_VARIANTS
            .iter()
            .find(|v| v.target == cfg.target.name() && v.variant == cfg.variant)
            .ok_or_else(|| super::not_compiled("matmul_mx", cfg))?;
        let tiling = ffi::AkMatmulMxTiling {
            m: shape.m,
            n: shape.n,
            k: shape.k,
            base_m: p.base_m,
            base_n: p.base_n,
            base_k: p.base_k,
            k_l1: p.k_l1,
            tiles_n: p.tiles_n,
            tiles: p.tiles,
            has_bias: u32::from(bias.is_some()),
            x_fmt: fmt_code(x.format),
            w_fmt: fmt_code(w.format),
            out_dtype,
            ..Default::default()
        };
        let xs_fixed = mx_pad_scales(x.scales, k);
        let ws_fixed = mx_pad_scales(w.scales, k);
        let xs: &[E8M0] = xs_fixed.as_deref().unwrap_or(x.scales);
        let ws: &[E8M0] = ws_fixed.as_deref().unwrap_or(w.scales);
        let bias3 = bias.map(bias_split).unwrap_or_default();
        let ones = if bias.is_some() {
            bias_ones()
        } else {
            Vec::new()
        };
        let zeros = [0u8; 32];
        let gx = GmBuffer::input("x", x.elements);
        let gxs = GmBuffer::input("x_scale", xs);
        let gw = GmBuffer::input("w", w.elements);
        let gws = GmBuffer::input("w_scale", ws);
        let gz = GmBuffer::input("zeros", &zeros);
        let gb = GmBuffer::input("bias3", &bias3);
        let go = GmBuffer::input("ones", &ones);
        let y = GmBuffer::output("out", out);
        let session = Session::begin(cfg.target, "matmul_mx", &[gx, gxs, gw, gws, gz, gb, go, y])?;
        // SAFETY: every pointer is a registered buffer borrowed for the call (null for the empty
        // bias buffers, which the kernel does not touch without has_bias); the sim checks every
        // GM access against the registrations. `tiling` outlives the call.
        let rc = unsafe {
            (entry.launch)(
                p.block_dim,
                std::ptr::null_mut(),
                gx.arg(),
                gxs.arg(),
                gw.arg(),
                gws.arg(),
                gz.arg(),
                gb.arg(),
                go.arg(),
                y.arg(),
                &tiling,
            )
        };
        session.finish(rc)
    }
    #[cfg(not(ak_sim))]
    {
        let _ = (shape, out_dtype);
        Err(super::unavailable())
    }
}

/// MXFP8 × MXFP8 through the decode path (both targets; the only one on a2): scales rebalanced
/// per block ([`mx_rebalance`]), both operands decoded to bf16 (vector kernel), then the cube
/// kernel with f32 accumulation and the optional f32 bias.
#[allow(clippy::too_many_arguments)]
pub fn mx_matmul_decode<O: FloatElement>(
    cfg: &SimConfig,
    x: &MxOperand<'_>,
    w: &MxOperand<'_>,
    bias: Option<&[f32]>,
    m: usize,
    n: usize,
    k: usize,
    out: &mut [O],
) -> Result<Counters> {
    super::knobs_of("matmul", cfg)?;
    let (xs, ws) = mx_rebalance(x.format, x.scales, w.format, w.scales, k);
    let (xr, wr) = (
        MxOperand { scales: &xs, ..*x },
        MxOperand { scales: &ws, ..*w },
    );
    let (xb, c1) = decode(cfg, &xr, m, k)?;
    let (wb, c2) = decode(cfg, &wr, n, k)?;
    let args = MatmulArgs {
        x: &xb,
        w: &wb,
        bias,
        m,
        n,
        k,
    };
    let c3 = matmul(cfg, &args, out)?;
    Ok(add(add(c1, c2), c3))
}

/// bf16 activations × MXFP8 weights (`mx_matmul_weight_only`): w decoded to bf16 (vector
/// kernel), then the cube kernel.
pub fn mx_matmul_weight_only<T: FloatElement, O: FloatElement>(
    cfg: &SimConfig,
    x: &[T],
    w: &MxOperand<'_>,
    m: usize,
    n: usize,
    k: usize,
    out: &mut [O],
) -> Result<Counters> {
    let cfg = &cfg.resolved("matmul", m);
    if T::DTYPE != DType::BF16 {
        return Err(Error::DType {
            tensor: "mx_matmul_weight_only (sim): x".into(),
            expected: "BF16 (weights are decoded to bf16 for the cube)".into(),
            actual: T::DTYPE,
        });
    }
    super::knobs_of("matmul", cfg)?;
    let (wb, c1) = decode(cfg, w, n, k)?;
    let xs: &[bf16] = bytemuck::cast_slice(x);
    let args = MatmulArgs {
        x: xs,
        w: &wb,
        bias: None,
        m,
        n,
        k,
    };
    let c2 = matmul(cfg, &args, out)?;
    Ok(add(c1, c2))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bias_split_is_exact() {
        let mut s = 0x1234_5678u32;
        for i in 0..20_000 {
            s ^= s << 13;
            s ^= s >> 17;
            s ^= s << 5;
            let b = f32::from_bits(s);
            let b = if i % 7 == 0 { -b } else { b };
            let parts = bias_split(&[b]);
            if !b.is_finite() {
                let h = parts[0].to_f32();
                assert!(h.is_nan() == b.is_nan() && (b.is_nan() || h == b));
                continue;
            }
            let sum = f64::from(parts[0].to_f32())
                + f64::from(parts[1].to_f32())
                + f64::from(parts[2].to_f32());
            if b.abs() >= 2f32.powi(-110) || b == 0.0 {
                assert_eq!(sum, f64::from(b), "{b:e}");
            }
        }
    }
}
