//! `mx_dequant` on the sim.

use super::rms_norm::dtype_code;
use super::session::Counters;
use super::SimConfig;
use crate::error::{Error, Result};
use crate::formats::{FloatElement, Fp8Format, E8M0};
use crate::tiling::mx_dequant::{plan, scale_stride, MxDequantShape};

/// Dequantizes `elements [rows, cols]` with pair-layout `scales [rows, ceil(nb/2), 2]` into `out`.
pub fn mx_dequant<O: FloatElement>(
    cfg: &SimConfig,
    format: Fp8Format,
    elements: &[u8],
    scales: &[E8M0],
    rows: usize,
    cols: usize,
    out: &mut [O],
) -> Result<Counters> {
    let cfg = &cfg.resolved("mx_dequant", rows);
    let to_u32 =
        |what: &str, v: usize| u32::try_from(v).map_err(|_| Error::shape(what, "< 2^32", &[v]));
    let (r32, c32) = (to_u32("y rows", rows)?, to_u32("y cols", cols)?);
    let n = rows.checked_mul(cols);
    if Some(elements.len()) != n || Some(out.len()) != n {
        return Err(Error::shape(
            "y",
            format!("{rows} x {cols} elements"),
            &[elements.len()],
        ));
    }
    let stride = scale_stride(c32);
    if Some(scales.len()) != rows.checked_mul(stride as usize) {
        return Err(Error::shape(
            "y_scale",
            format!("{rows} x {stride} scales"),
            &[scales.len()],
        ));
    }
    let dtype = dtype_code("mx_dequant", O::DTYPE)?;
    let knobs = super::knobs_of("mx_dequant", cfg)?;
    let shape = MxDequantShape {
        rows: r32,
        cols: c32,
        out_bytes: O::DTYPE.size() as u32,
    };
    let p = plan(cfg.target, knobs, cfg.cores, &shape)
        .map_err(|e| Error::option("sim variant", e.0))?;
    if p.block_dim == 0 {
        return Ok(Counters::default());
    }
    #[cfg(ak_sim)]
    {
        use super::session::{ffi, GmBuffer, Session};
        let entry = ffi::AK_MX_DEQUANT_VARIANTS
            .iter()
            .find(|v| v.target == cfg.target.name() && v.variant == cfg.variant)
            .ok_or_else(|| super::not_compiled("mx_dequant", cfg))?;
        let tiling = ffi::AkMxDequantTiling {
            rows: r32,
            cols: c32,
            scale_stride: stride,
            rows_per_core: p.rows_per_core,
            rows_per_tile: p.rows_per_tile,
            blocks_per_tile: p.blocks_per_tile,
            format: match format {
                Fp8Format::E4M3 => ffi::AK_FP8_E4M3,
                Fp8Format::E5M2 => ffi::AK_FP8_E5M2,
            },
            dtype,
        };
        let y = GmBuffer::input("y", elements);
        let s = GmBuffer::input("scales", scales);
        let o = GmBuffer::output("out", out);
        let session = Session::begin(cfg.target, "mx_dequant", &[y, s, o])?;
        // SAFETY: the three pointers are registered buffers borrowed for the call; the sim checks
        // every GM access against them. `tiling` outlives the call.
        let rc = unsafe {
            (entry.launch)(
                p.block_dim,
                std::ptr::null_mut(),
                y.arg(),
                s.arg(),
                o.arg(),
                &tiling,
            )
        };
        session.finish(rc)
    }
    #[cfg(not(ak_sim))]
    {
        let _ = (format, dtype);
        Err(super::unavailable())
    }
}
