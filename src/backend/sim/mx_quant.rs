//! `mx_quant` on the sim.

use super::rms_norm::dtype_code;
use super::session::Counters;
use super::SimConfig;
use crate::error::{Error, Result};
use crate::formats::{FloatElement, RoundMode, E8M0};
use crate::ops::{MxQuantOptions, ScaleAlg, TinyBlocks};
use crate::tiling::mx_quant::{plan, scale_stride, MxQuantShape};

/// Quantizes `x [rows, cols]` into `elements [rows, cols]` and pair-layout `scales [rows, ceil(nb/2) * 2]`.
pub fn mx_quant<T: FloatElement>(
    cfg: &SimConfig,
    x: &[T],
    rows: usize,
    cols: usize,
    options: &MxQuantOptions,
    elements: &mut [u8],
    scales: &mut [E8M0],
) -> Result<Counters> {
    let cfg = &cfg.resolved("mx_quant", rows);
    if options.round != RoundMode::Rint {
        return Err(Error::option(
            "round",
            "the generated mx_quant kernels round FP8 elements with rint only (the only mode Ascend accepts)",
        ));
    }
    let to_u32 =
        |what: &str, v: usize| u32::try_from(v).map_err(|_| Error::shape(what, "< 2^32", &[v]));
    let (r32, c32) = (to_u32("x rows", rows)?, to_u32("x cols", cols)?);
    let n = rows.checked_mul(cols);
    if Some(x.len()) != n || Some(elements.len()) != n {
        return Err(Error::shape(
            "x",
            format!("{rows} x {cols} elements"),
            &[x.len()],
        ));
    }
    let stride = scale_stride(c32);
    if Some(scales.len()) != rows.checked_mul(stride as usize) {
        return Err(Error::shape(
            "scales",
            format!("{rows} x {stride} scales"),
            &[scales.len()],
        ));
    }
    let dtype = dtype_code("mx_quant", T::DTYPE)?;
    let knobs = super::knobs_of("mx_quant", cfg)?;
    let shape = MxQuantShape {
        rows: r32,
        cols: c32,
        in_bytes: T::DTYPE.size() as u32,
    };
    let p = plan(cfg.target, knobs, cfg.cores, &shape)
        .map_err(|e| Error::option("sim variant", e.0))?;
    if p.block_dim == 0 {
        return Ok(Counters::default());
    }
    #[cfg(ak_sim)]
    {
        use super::session::{ffi, GmBuffer, Session};
        let entry = ffi::AK_MX_QUANT_VARIANTS
            .iter()
            .find(|v| v.target == cfg.target.name() && v.variant == cfg.variant)
            .ok_or_else(|| super::not_compiled("mx_quant", cfg))?;
        let mut flags = 0;
        if options.scale_alg == ScaleAlg::Rceil {
            flags |= ffi::AK_MX_RCEIL;
        }
        if options.tiny_blocks == TinyBlocks::Scale {
            flags |= ffi::AK_MX_TINY_SCALE;
        }
        if options.non_finite == crate::ops::NonFiniteBlocks::Nan {
            flags |= ffi::AK_MX_NAN_ELEMENTS;
        }
        let tiling = ffi::AkMxQuantTiling {
            rows: r32,
            cols: c32,
            scale_stride: stride,
            rows_per_core: p.rows_per_core,
            rows_per_tile: p.rows_per_tile,
            blocks_per_tile: p.blocks_per_tile,
            format: match options.dst {
                crate::formats::Fp8Format::E4M3 => ffi::AK_FP8_E4M3,
                crate::formats::Fp8Format::E5M2 => ffi::AK_FP8_E5M2,
            },
            dtype,
            flags,
            ..Default::default()
        };
        let xb = GmBuffer::input("x", x);
        let yb = GmBuffer::output("y", elements);
        let sb = GmBuffer::output("scales", scales);
        let session = Session::begin(cfg.target, "mx_quant", &[xb, yb, sb])?;
        // SAFETY: the three pointers are registered buffers borrowed for the call (outputs
        // exclusively); the sim checks every GM access against them. `tiling` outlives the call.
        let rc = unsafe {
            (entry.launch)(
                p.block_dim,
                std::ptr::null_mut(),
                xb.arg(),
                yb.arg(),
                sb.arg(),
                &tiling,
            )
        };
        session.finish(rc)
    }
    #[cfg(not(ak_sim))]
    {
        let _ = dtype;
        Err(super::unavailable())
    }
}
