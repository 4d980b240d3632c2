//! `fp8_block_dequant` on the sim.

use super::rms_norm::dtype_code;
use super::session::Counters;
use super::SimConfig;
use crate::error::{Error, Result};
use crate::formats::{FloatElement, E4M3};
use crate::tiling::fp8_block_dequant::{plan, Fp8BlockShape};

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
    let cfg = &cfg.resolved("fp8_block_dequant", rows);
    let to_u32 =
        |what: &str, v: usize| u32::try_from(v).map_err(|_| Error::shape(what, "< 2^32", &[v]));
    let (r32, c32) = (to_u32("weight rows", rows)?, to_u32("weight cols", cols)?);
    let (bo, bi) = (
        to_u32("block rows", block[0])?,
        to_u32("block cols", block[1])?,
    );
    let n = rows.checked_mul(cols);
    if Some(weight.len()) != n || Some(out.len()) != n {
        return Err(Error::shape(
            "weight",
            format!("{rows} x {cols} elements"),
            &[weight.len()],
        ));
    }
    if bo == 0 || bi == 0 {
        return Err(Error::option("block", "block sizes must be positive"));
    }
    let grid = [rows.div_ceil(block[0]), cols.div_ceil(block[1])];
    if scales.len() != grid[0] * grid[1] {
        return Err(Error::shape(
            "weight_scale_inv",
            format!("{grid:?}"),
            &[scales.len()],
        ));
    }
    let scale_dtype = dtype_code("fp8_block_dequant", S::DTYPE)?;
    let dtype = dtype_code("fp8_block_dequant", O::DTYPE)?;
    let knobs = super::knobs_of("fp8_block_dequant", cfg)?;
    let shape = Fp8BlockShape {
        rows: r32,
        cols: c32,
        block: [bo, bi],
        scale_bytes: S::DTYPE.size() as u32,
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
        let entry = ffi::AK_FP8_BLOCK_DEQUANT_VARIANTS
            .iter()
            .find(|v| v.target == cfg.target.name() && v.variant == cfg.variant)
            .ok_or_else(|| super::not_compiled("fp8_block_dequant", cfg))?;
        let tiling = ffi::AkFp8BlockDequantTiling {
            rows: r32,
            cols: c32,
            block_rows: bo,
            block_cols: bi,
            grid_cols: grid[1] as u32,
            rows_per_core: p.rows_per_core,
            rows_per_tile: p.rows_per_tile,
            cols_per_tile: p.cols_per_tile,
            scale_dtype,
            dtype,
        };
        let w = GmBuffer::input("w", weight);
        let s = GmBuffer::input("scales", scales);
        let o = GmBuffer::output("out", out);
        let session = Session::begin(cfg.target, "fp8_block_dequant", &[w, s, o])?;
        // SAFETY: the three pointers are registered buffers borrowed for the call; the sim checks
        // every GM access against them. `tiling` outlives the call.
        let rc = unsafe {
            (entry.launch)(
                p.block_dim,
                std::ptr::null_mut(),
                w.arg(),
                s.arg(),
                o.arg(),
                &tiling,
            )
        };
        session.finish(rc)
    }
    #[cfg(not(ak_sim))]
    {
        let _ = (scale_dtype, dtype);
        Err(super::unavailable())
    }
}
