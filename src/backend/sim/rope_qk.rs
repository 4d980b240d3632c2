//! `rope_qk` on the sim.

use super::rms_norm::dtype_code;
use super::session::Counters;
use super::SimConfig;
use crate::error::{Error, Result};
use crate::formats::{DType, FloatElement};
use crate::ops::{RopeCache, RopeMode, RopeOptions};
use crate::tiling::rope_qk::{plan, RopeShape};

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
    let cfg = &cfg.resolved("rope_qk", positions.len());
    let tokens = positions.len();
    let to_u32 =
        |what: &str, v: usize| u32::try_from(v).map_err(|_| Error::shape(what, "< 2^32", &[v]));
    if tokens == 0 || (q.is_empty() && k.is_empty()) {
        return Ok(Counters::default());
    }
    if head_dim == 0 || q.len() % (tokens * head_dim) != 0 || k.len() % (tokens * head_dim) != 0 {
        return Err(Error::shape("q", "[tokens, heads, head_dim]", &[q.len()]));
    }
    if q_out.len() != q.len() || k_out.len() != k.len() {
        return Err(Error::shape(
            "q_out",
            format!("{} elements", q.len()),
            &[q_out.len()],
        ));
    }
    let pos: Vec<i32> = positions
        .iter()
        .map(|&p| {
            if p >= 0 && (p as u64) < cache.max_positions() as u64 {
                Ok(p as i32)
            } else {
                Err(Error::InvalidValue {
                    tensor: "positions".into(),
                    reason: format!("position {p} outside the cache"),
                })
            }
        })
        .collect::<Result<_>>()?;
    let shape = RopeShape {
        tokens: to_u32("tokens", tokens)?,
        heads_q: to_u32("heads_q", q.len() / (tokens * head_dim))?,
        heads_k: to_u32("heads_k", k.len() / (tokens * head_dim))?,
        head_dim: to_u32("head_dim", head_dim)?,
        rotary_dim: to_u32("rotary_dim", cache.rotary_dim())?,
        elem_bytes: T::DTYPE.size() as u32,
    };
    let dtype = dtype_code("rope_qk", T::DTYPE)?;
    let knobs = super::knobs_of("rope_qk", cfg)?;
    let p = plan(cfg.target, knobs, cfg.cores, &shape)
        .map_err(|e| Error::option("sim variant", e.0))?;
    if p.block_dim == 0 {
        return Ok(Counters::default());
    }
    #[cfg(ak_sim)]
    {
        use super::session::{ffi, GmBuffer, Session};
        let entry = ffi::AK_ROPE_QK_VARIANTS
            .iter()
            .find(|v| v.target == cfg.target.name() && v.variant == cfg.variant)
            .ok_or_else(|| super::not_compiled("rope_qk", cfg))?;
        let tiling = ffi::AkRopeQkTiling {
            tokens: shape.tokens,
            heads_q: shape.heads_q,
            heads_k: shape.heads_k,
            head_dim: shape.head_dim,
            rotary_dim: shape.rotary_dim,
            max_positions: to_u32("max_positions", cache.max_positions())?,
            rows_per_core: p.rows_per_core,
            rows_per_tile: p.rows_per_tile,
            dtype,
            flags: {
                let f32_cs = ffi::AK_ROPE_F32_COMPUTE | ffi::AK_ROPE_DTYPE_COS_SIN;
                match options.mode {
                    RopeMode::Hf => 0,
                    RopeMode::F32Compute => ffi::AK_ROPE_F32_COMPUTE,
                    RopeMode::AscendRotaryMul => f32_cs,
                    // ApplyRotaryPosEmb computes f16 in f16: HF's arithmetic
                    RopeMode::AscendApplyRotaryPosEmb if T::DTYPE == DType::F16 => 0,
                    RopeMode::AscendApplyRotaryPosEmb => f32_cs | ffi::AK_ROPE_ROUND_AWAY,
                }
            },
        };
        let qb = GmBuffer::input("q", q);
        let kb = GmBuffer::input("k", k);
        let pb = GmBuffer::input("positions", &pos);
        let cb = GmBuffer::input("cache", cache.table());
        let qo = GmBuffer::output("q_out", q_out);
        let ko = GmBuffer::output("k_out", k_out);
        let session = Session::begin(cfg.target, "rope_qk", &[qb, kb, pb, cb, qo, ko])?;
        // SAFETY: the six pointers are registered buffers borrowed for the call (outputs
        // exclusively); the sim checks every GM access against them. `tiling` outlives the call.
        let rc = unsafe {
            (entry.launch)(
                p.block_dim,
                std::ptr::null_mut(),
                qb.arg(),
                kb.arg(),
                pb.arg(),
                cb.arg(),
                qo.arg(),
                ko.arg(),
                &tiling,
            )
        };
        session.finish(rc)
    }
    #[cfg(not(ak_sim))]
    {
        let _ = (dtype, options, pos);
        Err(super::unavailable())
    }
}
