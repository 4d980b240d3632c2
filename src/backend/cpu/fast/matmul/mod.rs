//! Certified fast matmuls (dense bf16/f16, weight-only MX, MX × MX).
//!
//! Every operand value has at most 8 (bf16), 11 (f16) or 4 (FP8) significant bits, so the f32
//! product of two of them is exact unless it underflows; scales are powers of two. A fast sum
//! `s` adds those products in some order, part of it in f32 (per block, per group of blocks or
//! per tile), the rest in f64. With `A = Σ|terms|` (or an upper bound on it) and `L` the most
//! roundings any term goes through, `|s − S| ≤ γ_L · A` (Higham, *Accuracy and Stability*,
//! §4.2, for any order), plus `2^-150` per f32 operation below the normal range, times the scale
//! applied after it. The reference's compensated value lies within `2u·|S| + 2γ_n²·A` of `S`
//! (Neumaier). If both ends of `s ± (both bounds)` round to the same output, so does the
//! reference's value, and that output is returned; otherwise the next tier tries, and the last
//! is the reference function (also for every NaN/Inf case). The tiers, in order:
//!
//! - *direct* (fewer than 4 x rows, FP8 or bf16 weights): each weight row is read once, in its
//!   stored form, by [`simd::lane_fp8_direct`] / [`simd::lane_bf16_direct`];
//! - *tile* (4 x rows or more): weight rows decoded with their scales folded in, 4 × 2 tiles by
//!   [`simd::tile_dots`];
//! - *lanes*: f32 block sums by [`simd::lane_dot`], with summed magnitudes;
//! - *f64*: [`simd::scaled_dot`];
//! - the reference.
//!
//! The files follow the tiers: `direct.rs` and `tile.rs` hold the first two, `operands.rs` the
//! decoded operands they start from; this file holds the bounds ([`certify`]), the driver that
//! runs the tiers in order and holds the lanes and f64 tiers (`run`), and the entry points. The
//! vector kernels themselves are in [`simd`], one module per instruction-set tier.

use super::simd::{self, BLOCK};
use crate::backend::cpu::matmul::{dense_dot, weight_only_dot};
use crate::backend::cpu::mx_matmul::{mx_dot, MxRow};
use crate::formats::{DType, FloatElement, Fp8Format, E8M0};
use crate::ops::MxView;
use rayon::prelude::*;
use std::sync::atomic::{AtomicUsize, Ordering};

mod direct;
mod operands;
#[cfg(test)]
mod tests;
mod tile;

use direct::{direct_tier, DirectRows};
use operands::{fold_scales, ScaledRows, Source};
use tile::{tile_tier, TileBuffers, TileCtx};

/// Outputs recomputed by the reference since the process started (for tests and profiling).
static FALLBACKS: AtomicUsize = AtomicUsize::new(0);

/// Outputs the fast matmuls handed to the reference so far.
pub(crate) fn fallbacks() -> usize {
    FALLBACKS.load(Ordering::Relaxed)
}

/// True when the fast path's product argument holds for `T` (bf16 and f16 inputs).
pub(crate) fn supports<T: FloatElement>() -> bool {
    matches!(T::DTYPE, DType::BF16 | DType::F16)
}

/// `γ_n = n·u / (1 − n·u)`, `u = 2^-53`.
fn gamma(n: usize) -> f64 {
    let nu = n as f64 * (f64::EPSILON / 2.0);
    nu / (1.0 - nu)
}

/// `γ_n` in f32 arithmetic, `u = 2^-24`.
const fn gamma_f32(n: usize) -> f64 {
    let nu = n as f64 / 16_777_216.0;
    nu / (1.0 - nu)
}

/// `γ_3(f32)`: the f32 roundings a product sees in the lane kernels.
const GAMMA3_F32: f64 = gamma_f32(3);

/// The f32 roundings a product sees in [`simd::tile_dots`].
const GAMMA_TILE_F32: f64 = gamma_f32(simd::TILE_ROUNDINGS);

/// The f32 roundings a product sees in [`simd::lane_fp8_direct`].
const GAMMA_DIRECT_F32: f64 = gamma_f32(simd::DIRECT_GROUP + 2);

/// The output when `s` provably rounds like the exact sum's reference value, else `None`.
/// `rel`: the fast sum's error bound as a multiple of `Σ|terms|`; `reference_rel`: the
/// reference's, [`reference_rel`]; `scale_sum`: an upper bound on the scales applied after the
/// f32 operations, per 64 of them (bounds the underflow of f32
/// products and sums).
fn certify<O: FloatElement>(
    s: f64,
    abs: f64,
    scale_sum: f64,
    rel: f64,
    reference_rel: f64,
) -> Option<O> {
    if !(s.is_finite() && abs.is_finite()) || abs == 0.0 {
        return None;
    }
    // `abs` is an upper bound, or a sum of non-negative terms formed with at most 32 f32
    // roundings per term (low by at most γ_32(f32)): widening by 1e-5 covers both.
    let abs = abs * (1.0 + 1e-5);
    // 2^-150: half the spacing of f32 subnormals, the most an underflowing f32 op can lose.
    const HALF_SUBNORMAL_F32: f64 = 7.006_492_321_624_085e-46;
    let underflow = 2.0 * BLOCK as f64 * HALF_SUBNORMAL_F32 * scale_sum;
    let fast = rel * abs + underflow;
    let reference = f64::EPSILON * (s.abs() + fast) + reference_rel * abs;
    // A few f64 ulps of margin for forming `s ± e` itself.
    let e = (fast + reference) * (1.0 + 1e-9) + 4.0 * f64::EPSILON * s.abs();
    if !e.is_finite() {
        return None;
    }
    let (lo, hi) = (O::from_f64(s - e), O::from_f64(s + e));
    (lo.to_bits_u32() == hi.to_bits_u32()).then_some(lo)
}

/// `2γ_n²` for the reference's `n` terms: its compensated sum's error beyond `2u·|S|`, as a
/// multiple of `Σ|terms|`.
fn reference_rel(terms: usize) -> f64 {
    2.0 * gamma(terms).powi(2)
}

/// Bit `r` of a mask of the first 32 x rows (false beyond them).
fn marked(mask: u32, r: usize) -> bool {
    r < 32 && mask & (1 << r) != 0
}

/// The least f32 at or above `v ≥ 0` (`inf` beyond f32's range).
fn f32_at_least(v: f64) -> f32 {
    let f = v as f32;
    if f64::from(f) < v {
        f32::from_bits(f.to_bits() + 1)
    } else {
        f
    }
}

/// An upper bound on `Σ a_i·b_i` for non-negative terms: four partial sums (independent
/// chains), widened by the relative rounding error any order of `n` additions can make.
fn bound_dot(a: &[f64], b: &[f64]) -> f64 {
    let mut acc = [0f64; 4];
    let (ca, cb) = (a.chunks_exact(4), b.chunks_exact(4));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for i in 0..4 {
            acc[i] += x[i] * y[i];
        }
    }
    for (x, y) in ra.iter().zip(rb) {
        acc[0] += x * y;
    }
    (acc[0] + acc[1] + acc[2] + acc[3]) * (1.0 + (a.len() + 8) as f64 * f64::EPSILON)
}

/// An upper bound on `Σ a_i` for non-negative terms (see [`bound_dot`]).
fn bound_sum(a: &[f64]) -> f64 {
    let mut acc = [0f64; 4];
    let chunks = a.chunks_exact(4);
    let rest = chunks.remainder();
    for x in chunks {
        for i in 0..4 {
            acc[i] += x[i];
        }
    }
    let tail: f64 = rest.iter().sum();
    (acc[0] + acc[1] + acc[2] + acc[3] + tail) * (1.0 + (a.len() + 8) as f64 * f64::EPSILON)
}

fn padded(k: usize) -> (usize, usize) {
    let nb = k.div_ceil(BLOCK);
    (nb * BLOCK, nb)
}

/// From this many x rows on, a weight row is decoded once rather than read per x row.
const REUSE_ROWS: usize = 4;

/// Weight rows decoded per task: enough to amortize x's reads, few enough to stay in cache.
const W_ROWS_PER_TASK: usize = 8;

/// `out[m, n]` for every pair of x rows and w rows; `reference(m, n)` is the fallback and
/// `terms` its summand count.
#[allow(clippy::too_many_arguments)]
fn run<T: FloatElement, O: FloatElement>(
    x: Source<'_, T>,
    w: Source<'_, T>,
    bias: Option<&[f32]>,
    m: usize,
    n: usize,
    k: usize,
    terms: usize,
    reference: impl Fn(usize, usize) -> f64 + Sync,
    out: &mut [O],
) {
    let (kp, nb) = padded(k);
    let xd = x.decode_all(m, k);
    let lanes_rel = GAMMA3_F32 * (1.0 + 1e-6) + gamma(nb + 8);
    let direct_rel = GAMMA_DIRECT_F32 * (1.0 + 1e-6) + gamma(nb + 8);
    let ref_rel = reference_rel(terms);
    let scalar_rel = gamma(kp + nb + 16);
    // Outputs transposed, `[n, m]`, so each task owns a contiguous slice.
    let mut out_t = vec![O::from_f32(0.0); m * n];
    // Per task: weight-row buffers (the three `kp` long ones are made when first needed: the
    // direct tier alone does not use them) and scales.
    let buffers = || {
        let none = Vec::<f32>::new;
        let row = (
            none(),
            none(),
            none(),
            vec![0f64; nb],
            vec![0f64; nb],
            vec![0f32; nb],
        );
        (row, TileBuffers::default())
    };
    let lanes_on = !xd.permuted.is_empty();
    // x rows with their scales folded in, for the direct tier (few x rows, FP8 or bf16
    // weights) or the tile tier (many x rows).
    let scaled = lanes_on.then(|| ScaledRows::new(&xd, m, kp));
    let direct = match (w, &scaled) {
        (Source::Mx(mx), Some(x)) if m < REUSE_ROWS => {
            Some(DirectRows::new(x, Some(mx.format), m, kp))
        }
        (Source::Float(_), Some(x)) if m < REUSE_ROWS && T::DTYPE == DType::BF16 => {
            Some(DirectRows::new(x, None, m, kp))
        }
        _ => None,
    };
    // Many x rows: tiles of x rows × weight rows, each load serving several products.
    let tiles = scaled.as_ref().filter(|_| m >= REUSE_ROWS);
    let tile_ctx = tiles.map(|x| TileCtx::<O> {
        x,
        m,
        kp,
        nb,
        bias,
        rel: GAMMA_TILE_F32 * (1.0 + 1e-6) + gamma(kp.div_ceil(simd::TILE_GROUP) + 8),
        ref_rel,
        _out: std::marker::PhantomData,
    });
    // Few x rows: each weight row is read once, so tasks are larger (fewer hand-offs).
    let rows_per_task = if m < REUSE_ROWS {
        (n / (16 * rayon::current_num_threads())).max(2 * W_ROWS_PER_TASK)
    } else {
        W_ROWS_PER_TASK
    };
    out_t
        .par_chunks_mut(rows_per_task * m)
        .enumerate()
        .for_each_init(buffers, |((wv, wp, wpa, ws, c, cw), tb), (task, chunk)| {
            let j0 = task * rows_per_task;
            if !super::subnormals_kept() {
                // Flush-to-zero or denormals-are-zero on this thread: the bounds below would
                // not hold, so the reference computes every output of the task.
                for (i, col) in chunk.chunks_mut(m).enumerate() {
                    for (r, o) in col.iter_mut().enumerate() {
                        *o = fallback(&reference, r, j0 + i);
                    }
                }
                return;
            }
            if let Some(ctx) = &tile_ctx {
                tb.decode(&w, j0, chunk.len() / m, k, kp);
                tb.marks.clear();
                tb.marks.resize(chunk.len(), false);
                tile_tier(ctx, j0, &tb.values, &tb.max, chunk, &mut tb.marks);
            }
            for (i, col) in chunk.chunks_mut(m).enumerate() {
                let j = task * rows_per_task + i;
                let b = bias.map_or(0.0, |b| b[j] as f64);
                // First tier for a weight row read once (FP8 or bf16), in its stored form.
                // `done` marks the outputs it certified, `tried` those it ran for; the rest take
                // the general tiers below.
                let (mut done, mut tried) = (0u32, 0u32);
                if let Some(dr) = &direct {
                    fn row(x: &[f32], r: usize, kp: usize) -> &[f32] {
                        &x[r * kp..][..kp]
                    }
                    if let Some((format, codes, w_scales)) = w.fp8_row(j, k) {
                        if simd::e8m0_scales(w_scales, &mut cw[..]) {
                            let cw = &cw[..];
                            let sums = |x: &[f32], r: usize, magnitudes| {
                                let l1 = &dr.l1[r * nb..][..nb];
                                simd::lane_fp8_direct(
                                    row(x, r, kp),
                                    cw,
                                    l1,
                                    format,
                                    codes,
                                    magnitudes,
                                )
                            };
                            // The f32 operations after scaling lose at most as much to
                            // underflow as a block with scale 1 does, once per group.
                            let groups = nb.div_ceil(simd::DIRECT_GROUP) as f64;
                            (done, tried) = direct_tier(
                                col,
                                &dr.scaled.usable,
                                (direct_rel, ref_rel),
                                |r| {
                                    let (d, u) = (sums(&dr.values, r, false)?, dr.unscale[r]);
                                    let cheap = d.l1 * format.max() as f64 + b.abs();
                                    Some((d.sum * u + b, cheap, (d.scale_sum + groups) * u))
                                },
                                |r| {
                                    Some(
                                        sums(&dr.magnitudes, r, true)?.sum * dr.unscale[r]
                                            + b.abs(),
                                    )
                                },
                            );
                        }
                    } else if let Some(bits) = w.bf16_row(j, k) {
                        // Unit scales: every block's f32 operations, plus once per group.
                        let scale_sum = (nb + nb.div_ceil(simd::DIRECT_GROUP)) as f64;
                        (done, tried) = direct_tier(
                            col,
                            &dr.scaled.usable,
                            (direct_rel, ref_rel),
                            |r| {
                                let (s, w_max) =
                                    simd::lane_bf16_direct(row(&dr.values, r, kp), bits, false)?;
                                let cheap = dr.scaled.l1_total[r] * f64::from(w_max) + b.abs();
                                Some((s + b, cheap, scale_sum))
                            },
                            |r| {
                                Some(
                                    simd::lane_bf16_direct(row(&dr.magnitudes, r, kp), bits, true)?
                                        .0
                                        + b.abs(),
                                )
                            },
                        );
                    }
                    if done == (1 << m) - 1 {
                        continue;
                    }
                }
                // Outputs the tile tier certified (many x rows only).
                let tiled = tb
                    .marks
                    .get(i * m..(i + 1) * m)
                    .filter(|_| tile_ctx.is_some());
                if tiled.is_some_and(|t| t.iter().all(|&d| d)) {
                    continue;
                }
                if wv.is_empty() {
                    for buffer in [&mut *wv, &mut *wp, &mut *wpa] {
                        buffer.resize(kp, 0.0);
                    }
                }
                // Rows reused by many x rows are decoded once (values, then lane order); a row
                // used once is read in stored form. Scalar f32 values are made only if needed.
                let mut w_decoded = None;
                let stored = if lanes_on && m >= REUSE_ROWS {
                    let ok = w.decode(j, k, &mut wv[..], &mut ws[..]);
                    w_decoded = Some(ok);
                    simd::permute16(wv, &mut wp[..]);
                    for (a, v) in wpa.iter_mut().zip(wp.iter()) {
                        *a = v.abs();
                    }
                    ok.then_some(simd::WRow::Decoded(&wp[..], &wpa[..]))
                } else if lanes_on {
                    w.decode_scales(j, k, &mut ws[..]);
                    w.stored_row(j, k)
                } else {
                    w_decoded = Some(w.decode(j, k, &mut wv[..], &mut ws[..]));
                    None
                };
                for (r, o) in col.iter_mut().enumerate() {
                    if marked(done, r) || tiled.is_some_and(|t| t[r]) {
                        continue;
                    }
                    if !xd.finite[r] {
                        *o = fallback(&reference, r, j);
                        continue;
                    }
                    // Per-block scales of this output: w's alone without x scales (no copy).
                    let c: &[f64] = if x.has_scales() {
                        let xs = &xd.scales[r * nb..][..nb];
                        for ((cb, a), b) in c.iter_mut().zip(xs).zip(ws.iter()) {
                            *cb = a * b;
                        }
                        &c[..]
                    } else {
                        &ws[..]
                    };
                    let scale_sum = bound_sum(c);
                    let lanes = stored.and_then(|row| {
                        let (xp, xap) = (
                            &xd.permuted[r * kp..][..kp],
                            &xd.permuted_abs[r * kp..][..kp],
                        );
                        // FP8 weights: bound Σ|terms| by max|w| · Σ|x| per block first, and
                        // sum the magnitudes only when that bound is too loose to certify
                        // (unless the first tier already found it so).
                        let first_tier_ran = marked(tried, r);
                        if let (simd::WRow::Fp8(format, _), false) = (row, first_tier_ran) {
                            let l1 = &xd.block_l1[r * nb..][..nb];
                            let cheap = bound_dot(c, l1) * format.max() as f64;
                            let (s, _) = simd::lane_dot(xp, xap, row, c, false)?;
                            if let Some(v) =
                                certify::<O>(s + b, cheap + b.abs(), scale_sum, lanes_rel, ref_rel)
                            {
                                return Some(v);
                            }
                        }
                        let (s, a) = simd::lane_dot(xp, xap, row, c, true)?;
                        certify::<O>(s + b, a + b.abs(), scale_sum, lanes_rel, ref_rel)
                    });
                    let certified = lanes.or_else(|| {
                        // Scales are already decoded into `c`; only the values are missing.
                        let ok =
                            *w_decoded.get_or_insert_with(|| w.decode_values(j, k, &mut wv[..]));
                        if !ok {
                            return None;
                        }
                        let (s, a) = simd::scaled_dot(&xd.values[r * kp..][..kp], &wv[..], c);
                        certify::<O>(s + b, a + b.abs(), scale_sum, scalar_rel, ref_rel)
                    });
                    *o = certified.unwrap_or_else(|| fallback(&reference, r, j));
                }
            }
        });
    if m == 1 {
        out.copy_from_slice(&out_t);
    } else {
        out.par_chunks_mut(n).enumerate().for_each(|(r, row)| {
            for (j, o) in row.iter_mut().enumerate() {
                *o = out_t[j * m + r];
            }
        });
    }
}

fn fallback<O: FloatElement>(reference: &impl Fn(usize, usize) -> f64, r: usize, j: usize) -> O {
    FALLBACKS.fetch_add(1, Ordering::Relaxed);
    O::from_f64(reference(r, j))
}

/// Dense `y = x · wᵀ` (bf16/f16 inputs; see [`supports`]).
pub(crate) fn dense<T: FloatElement, O: FloatElement>(
    x: &[T],
    w: &[T],
    m: usize,
    n: usize,
    k: usize,
    out: &mut [O],
) {
    let reference = |r: usize, j: usize| dense_dot(&x[r * k..][..k], &w[j * k..][..k]);
    run(
        Source::Float(x),
        Source::Float(w),
        None,
        m,
        n,
        k,
        k,
        reference,
        out,
    );
}

/// Weight-only `y = x · dequant(w)ᵀ` (bf16/f16 activations; see [`supports`]).
pub(crate) fn weight_only<T: FloatElement, O: FloatElement>(
    x: &[T],
    w: &MxView<'_>,
    m: usize,
    n: usize,
    k: usize,
    out: &mut [O],
) {
    let sr = crate::ops::pair_scale_row(k);
    let (codes, scales) = (w.elements.data(), w.scales.data());
    let reference = |r: usize, j: usize| {
        let (c, s) = (&codes[j * k..][..k], &scales[j * sr..][..sr]);
        weight_only_dot(&x[r * k..][..k], c, s, w.format)
    };
    run(
        Source::Float(x),
        Source::<T>::Mx(w),
        None,
        m,
        n,
        k,
        k,
        reference,
        out,
    );
}

/// MX × MX `y = x · wᵀ (+ bias)`.
pub(crate) fn mx<'a, O: FloatElement>(
    x: &MxView<'a>,
    w: &MxView<'a>,
    bias: Option<&[f32]>,
    m: usize,
    n: usize,
    k: usize,
    out: &mut [O],
) {
    let sr = crate::ops::pair_scale_row(k);
    let row = |v: &MxView<'a>, r: usize| MxRow {
        codes: &v.elements.data()[r * k..][..k],
        scales: &v.scales.data()[r * sr..][..sr],
        format: v.format,
    };
    let reference = |r: usize, j: usize| mx_dot(&row(x, r), &row(w, j), bias.map(|b| b[j]));
    let terms = 2 * k.div_ceil(BLOCK) + 1;
    run(
        Source::<f32>::Mx(x),
        Source::Mx(w),
        bias,
        m,
        n,
        k,
        terms,
        reference,
        out,
    );
}
