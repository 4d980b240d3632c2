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

use super::simd::{self, BLOCK};
use crate::backend::cpu::matmul::{dense_dot, weight_only_dot};
use crate::backend::cpu::mx_matmul::{mx_dot, MxRow};
use crate::formats::{DType, FloatElement, Fp8Format, E8M0};
use crate::ops::MxView;
use rayon::prelude::*;
use std::sync::atomic::{AtomicUsize, Ordering};

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

/// One operand decoded to padded f32 rows (`kp = 32·nb` values) and f64 block scales.
struct Decoded {
    values: Vec<f32>,
    /// `values` and their magnitudes in `simd::permute16` order (empty without AVX2).
    permuted: Vec<f32>,
    permuted_abs: Vec<f32>,
    /// `Σ|x|` per block (`rows × nb`), for the cheap bound on `Σ|terms|`.
    block_l1: Vec<f64>,
    scales: Vec<f64>,
    /// True when `scales` are real (an MX operand), not all ones.
    x_scaled: bool,
    finite: Vec<bool>,
}

/// Rows of an operand as the fast path reads them.
#[derive(Clone, Copy)]
enum Source<'a, T> {
    Float(&'a [T]),
    Mx(&'a MxView<'a>),
}

impl<T: FloatElement> Source<'_, T> {
    /// Decodes row `r` into `values` (`kp` long, zero padded) and `scales` (`nb` long);
    /// false when an FP8 code is NaN/Inf.
    fn decode(&self, r: usize, k: usize, values: &mut [f32], scales: &mut [f64]) -> bool {
        self.decode_scales(r, k, scales);
        self.decode_values(r, k, values)
    }

    /// Only the values of row `r` (zero padded); false when an FP8 code is NaN/Inf.
    fn decode_values(&self, r: usize, k: usize, values: &mut [f32]) -> bool {
        values[k..].fill(0.0);
        match self {
            Source::Float(data) => {
                for (v, x) in values.iter_mut().zip(&data[r * k..][..k]) {
                    *v = x.to_f32();
                }
                true
            }
            Source::Mx(mx) => simd::decode_fp8(
                mx.format,
                &mx.elements.data()[r * k..][..k],
                &mut values[..k],
            ),
        }
    }

    /// Only the block scales of row `r`.
    fn decode_scales(&self, r: usize, k: usize, scales: &mut [f64]) {
        match self {
            Source::Float(_) => scales.fill(1.0),
            Source::Mx(mx) => {
                let s = &mx.scales.data()[r * crate::ops::pair_scale_row(k)..];
                for (c, e) in scales.iter_mut().zip(s) {
                    *c = e8m0_f64(*e);
                }
            }
        }
    }

    fn decode_all(&self, rows: usize, k: usize) -> Decoded {
        let (kp, nb) = padded(k);
        let mut d = Decoded {
            values: vec![0.0; rows * kp],
            permuted: Vec::new(),
            permuted_abs: Vec::new(),
            block_l1: Vec::new(),
            scales: vec![0.0; rows * nb],
            x_scaled: self.has_scales(),
            finite: vec![false; rows],
        };
        d.values
            .par_chunks_mut(kp)
            .zip(d.scales.par_chunks_mut(nb))
            .zip(d.finite.par_iter_mut())
            .enumerate()
            .for_each(|(r, ((v, s), f))| *f = self.decode(r, k, v, s));
        if simd::lane_dot_available() {
            d.permuted = vec![0.0; rows * kp];
            simd::permute16(&d.values, &mut d.permuted);
            d.permuted_abs = d.permuted.iter().map(|v| v.abs()).collect();
            d.block_l1 = d
                .values
                .chunks(BLOCK)
                .map(|b| b.iter().map(|v| v.abs() as f64).sum::<f64>() * (1.0 + 1e-12))
                .collect();
        }
        d
    }

    /// Row `r` in stored form for [`simd::lane_dot`] (bf16 and FP8 rows only).
    fn stored_row(&self, r: usize, k: usize) -> Option<simd::WRow<'_>> {
        match self {
            Source::Float(data) if T::DTYPE == DType::BF16 => {
                Some(simd::WRow::Bf16(bytemuck::cast_slice(&data[r * k..][..k])))
            }
            Source::Float(_) => None,
            Source::Mx(mx) => Some(simd::WRow::Fp8(
                mx.format,
                &mx.elements.data()[r * k..][..k],
            )),
        }
    }

    fn has_scales(&self) -> bool {
        matches!(self, Source::Mx(_))
    }

    /// bf16 row `r` as stored (bf16 operands only).
    fn bf16_row(&self, r: usize, k: usize) -> Option<&[u16]> {
        match self {
            Source::Float(data) if T::DTYPE == DType::BF16 => {
                Some(bytemuck::cast_slice(&data[r * k..][..k]))
            }
            _ => None,
        }
    }

    /// FP8 row `r` with its `nb` E8M0 scale bytes, as stored (MX operands only).
    fn fp8_row(&self, r: usize, k: usize) -> Option<(Fp8Format, &[u8], &[u8])> {
        match self {
            Source::Float(_) => None,
            Source::Mx(mx) => {
                let scales = &mx.scales.data()[r * crate::ops::pair_scale_row(k)..];
                Some((
                    mx.format,
                    &mx.elements.data()[r * k..][..k],
                    bytemuck::cast_slice(&scales[..k.div_ceil(BLOCK)]),
                ))
            }
        }
    }
}

fn e8m0_f64(e: E8M0) -> f64 {
    // 2^(b-127) for b in 0..=254 is a normal f64 with biased exponent b + 896: build its bits.
    let b = e.to_bits();
    if b == 0xFF {
        f64::NAN
    } else {
        f64::from_bits((u64::from(b) + 896) << 52)
    }
}

/// The x rows of a matmul with their block scales folded into the values (exact in f32, or the
/// row is not used), per-block `Σ|x|` bounds with the scales applied, and their row totals:
/// what the direct and tile tiers start from.
struct ScaledRows {
    values: Vec<f32>,
    l1: Vec<f64>,
    /// An upper bound on each row's `Σ|x|` (scales applied).
    l1_total: Vec<f64>,
    /// False for rows with a NaN/Inf or whose scaled values are not exact in f32.
    usable: Vec<bool>,
}

impl ScaledRows {
    fn new(xd: &Decoded, m: usize, kp: usize) -> Self {
        let nb = kp / BLOCK;
        let mut t = ScaledRows {
            values: xd.values.clone(),
            l1: xd.block_l1.clone(),
            l1_total: Vec::new(),
            usable: xd.finite.clone(),
        };
        if xd.x_scaled {
            for r in 0..m {
                let scales = &xd.scales[r * nb..][..nb];
                t.usable[r] &= fold_scales(&mut t.values[r * kp..][..kp], scales);
                for (l, c) in t.l1[r * nb..][..nb].iter_mut().zip(scales) {
                    *l *= c;
                }
            }
        }
        t.l1_total = t.l1.chunks(nb.max(1)).map(bound_sum).collect();
        t
    }
}

/// The x rows of a few-row matmul for [`simd::lane_fp8_direct`] (prescaled, slot order) or
/// [`simd::lane_bf16_direct`] (even/odd order), from their [`ScaledRows`]: values and
/// magnitudes in the kernel's order, per-block `Σ|x|` bounds in f32, and the unscale factors.
struct DirectRows<'a> {
    scaled: &'a ScaledRows,
    values: Vec<f32>,
    magnitudes: Vec<f32>,
    l1: Vec<f32>,
    unscale: Vec<f64>,
}

impl<'a> DirectRows<'a> {
    /// For FP8 weights of `format`, or bf16 weights (`None`).
    fn new(scaled: &'a ScaledRows, format: Option<Fp8Format>, m: usize, kp: usize) -> Self {
        let mut d = DirectRows {
            scaled,
            values: vec![0f32; m * kp],
            magnitudes: vec![0f32; m * kp],
            l1: scaled.l1.iter().map(|&v| f32_at_least(v)).collect(),
            unscale: vec![1.0; m],
        };
        for r in 0..m {
            let x = &scaled.values[r * kp..][..kp];
            let (out, out_abs) = (
                &mut d.values[r * kp..][..kp],
                &mut d.magnitudes[r * kp..][..kp],
            );
            d.unscale[r] = match format {
                Some(format) => simd::prescale_for(format, x, out, out_abs),
                None => {
                    simd::even_odd(x, out, out_abs);
                    1.0
                }
            };
        }
        d
    }
}

/// Multiplies each block of 32 values by its scale in place; false when a product is not
/// exact in f32 (out of range or precision, or a NaN scale).
fn fold_scales(values: &mut [f32], scales: &[f64]) -> bool {
    let mut exact = true;
    for (block, c) in values.chunks_mut(BLOCK).zip(scales) {
        for v in block {
            let p = f64::from(*v) * c;
            *v = p as f32;
            exact &= f64::from(*v) == p;
        }
    }
    exact
}

/// Bit `r` of a mask of the first 32 x rows (false beyond them).
fn marked(mask: u32, r: usize) -> bool {
    r < 32 && mask & (1 << r) != 0
}

/// A task's weight rows for the tile tier, and which of its outputs the tier certified.
#[derive(Default)]
struct TileBuffers {
    values: Vec<f32>,
    max: Vec<f64>,
    marks: Vec<bool>,
    scales: Vec<f64>,
}

impl TileBuffers {
    /// Decodes weight rows `j0..j0 + rows` with their scales folded in and the per-block
    /// maxima of their magnitudes (NaN for a row with a NaN code or scale or an inexact product;
    /// an Inf weight gives an Inf maximum; either way no bound from that row certifies).
    fn decode<T: FloatElement>(
        &mut self,
        w: &Source<'_, T>,
        j0: usize,
        rows: usize,
        k: usize,
        kp: usize,
    ) {
        let nb = kp / BLOCK;
        self.values.resize(rows * kp, 0.0);
        self.max.resize(rows * nb, 0.0);
        self.scales.resize(nb, 0.0);
        for i in 0..rows {
            let values = &mut self.values[i * kp..][..kp];
            let ok =
                w.decode(j0 + i, k, values, &mut self.scales) && fold_scales(values, &self.scales);
            for (mx, block) in self.max[i * nb..][..nb]
                .iter_mut()
                .zip(values.chunks(BLOCK))
            {
                let largest = block.iter().fold(0f32, |a, v| a.max(v.abs()));
                *mx = if ok { f64::from(largest) } else { f64::NAN };
            }
        }
    }
}

/// What the tile tier needs about the whole matmul.
struct TileCtx<'a, O> {
    x: &'a ScaledRows,
    m: usize,
    kp: usize,
    nb: usize,
    bias: Option<&'a [f32]>,
    rel: f64,
    ref_rel: f64,
    _out: std::marker::PhantomData<O>,
}

/// The tile tier for one task's weight rows `j0..j0 + rows`, decoded with their scales folded
/// in (`w_values`, `rows × kp`) and per-block maxima of their magnitudes (`w_max`, `rows × nb`;
/// NaN or Inf for a row the tier cannot use). Certified outputs go into `chunk`
/// (`[rows, m]`) and are marked in `marks`; `Σ|terms|` is bounded per block by
/// `max|w_b| · Σ|x_b|`.
fn tile_tier<O: FloatElement>(
    ctx: &TileCtx<'_, O>,
    j0: usize,
    w_values: &[f32],
    w_max: &[f64],
    chunk: &mut [O],
    marks: &mut [bool],
) {
    let rows = chunk.len() / ctx.m;
    let mut r0 = 0;
    while r0 < ctx.m {
        let mr = (ctx.m - r0).min(4);
        let mut i0 = 0;
        while i0 < rows {
            let nr = (rows - i0).min(2);
            let at = TileAt { r0, i0, j0 };
            match (mr, nr) {
                (4, 2) => tile_block::<O, 4, 2>(ctx, at, w_values, w_max, chunk, marks),
                (4, _) => tile_block::<O, 4, 1>(ctx, at, w_values, w_max, chunk, marks),
                (3, 2) => tile_block::<O, 3, 2>(ctx, at, w_values, w_max, chunk, marks),
                (3, _) => tile_block::<O, 3, 1>(ctx, at, w_values, w_max, chunk, marks),
                (2, 2) => tile_block::<O, 2, 2>(ctx, at, w_values, w_max, chunk, marks),
                (2, _) => tile_block::<O, 2, 1>(ctx, at, w_values, w_max, chunk, marks),
                (_, 2) => tile_block::<O, 1, 2>(ctx, at, w_values, w_max, chunk, marks),
                _ => tile_block::<O, 1, 1>(ctx, at, w_values, w_max, chunk, marks),
            }
            i0 += nr;
        }
        r0 += mr;
    }
}

/// A tile's first x row, first weight row in the task, and the task's first weight row.
#[derive(Clone, Copy)]
struct TileAt {
    r0: usize,
    i0: usize,
    j0: usize,
}

fn tile_block<O: FloatElement, const MR: usize, const NR: usize>(
    ctx: &TileCtx<'_, O>,
    at: TileAt,
    w_values: &[f32],
    w_max: &[f64],
    chunk: &mut [O],
    marks: &mut [bool],
) {
    let (m, kp, nb) = (ctx.m, ctx.kp, ctx.nb);
    let xs: [&[f32]; MR] = std::array::from_fn(|a| &ctx.x.values[(at.r0 + a) * kp..][..kp]);
    let ws: [&[f32]; NR] = std::array::from_fn(|b| &w_values[(at.i0 + b) * kp..][..kp]);
    let Some(sums) = simd::tile_dots(xs, ws) else {
        return;
    };
    // max|w| per weight row of the tile (NaN for rows the tier cannot use).
    let w_row_max: [f64; NR] = std::array::from_fn(|b| {
        let blocks = &w_max[(at.i0 + b) * nb..][..nb];
        blocks.iter().fold(0f64, |a, &v| {
            if v.is_nan() || a.is_nan() {
                f64::NAN
            } else {
                a.max(v)
            }
        })
    });
    let groups = kp.div_ceil(simd::TILE_GROUP);
    let scale_sum = (nb + groups) as f64;
    for (a, row) in sums.iter().enumerate() {
        let r = at.r0 + a;
        if !ctx.x.usable[r] {
            continue;
        }
        for (bi, &sum) in row.iter().enumerate() {
            let i = at.i0 + bi;
            let bias = ctx.bias.map_or(0.0, |b| f64::from(b[at.j0 + i]));
            let bounded =
                |a: f64| certify::<O>(sum + bias, a + bias.abs(), scale_sum, ctx.rel, ctx.ref_rel);
            // max|w| · Σ|x| first (one product), the per-block bound when that is too loose.
            let coarse = w_row_max[bi] * ctx.x.l1_total[r];
            let certified = bounded(coarse)
                .or_else(|| bounded(bound_dot(&w_max[i * nb..][..nb], &ctx.x.l1[r * nb..][..nb])));
            if let Some(v) = certified {
                chunk[i * m + r] = v;
                marks[i * m + r] = true;
            }
        }
    }
}

/// The direct tier for one weight row against every usable x row (`col` holds its outputs):
/// `first(r)` gives the fast sum (true units, bias included), an upper bound on `Σ|terms|` and
/// the scale sum of its underflow term, or `None` when the kernel cannot run;
/// `magnitudes(r)` the computed `Σ|terms|` for when that bound is too loose to certify. `rel`:
/// the kernel's and the reference's error bounds (see [`certify`]). Returns the masks of the
/// outputs certified and of those tried.
fn direct_tier<O: FloatElement>(
    col: &mut [O],
    usable: &[bool],
    (rel, ref_rel): (f64, f64),
    first: impl Fn(usize) -> Option<(f64, f64, f64)>,
    magnitudes: impl Fn(usize) -> Option<f64>,
) -> (u32, u32) {
    let (mut done, mut tried) = (0u32, 0u32);
    for (r, o) in col.iter_mut().enumerate() {
        if !usable[r] {
            continue;
        }
        tried |= 1 << r;
        let Some((s, cheap, scale_sum)) = first(r) else {
            continue;
        };
        let bounded = |abs| certify::<O>(s, abs, scale_sum, rel, ref_rel);
        if let Some(v) = bounded(cheap).or_else(|| bounded(magnitudes(r)?)) {
            *o = v;
            done |= 1 << r;
        }
    }
    (done, tried)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::cpu::{matmul as reference, mx_matmul};
    use crate::formats::Fp8Format;
    use crate::tensor::TensorView;
    use half::{bf16, f16};
    use proptest::prelude::*;

    /// bf16 values over a wide exponent range, with zeros, and (rarely) Inf/NaN.
    fn bf16_value() -> impl Strategy<Value = bf16> {
        prop_oneof![
            400 => (any::<bool>(), 100u16..160, 0u16..128)
                .prop_map(|(s, e, m)| bf16::from_bits((s as u16) << 15 | e << 7 | m)),
            40 => (any::<bool>(), 0u16..255, 0u16..128)
                .prop_map(|(s, e, m)| bf16::from_bits((s as u16) << 15 | e << 7 | m)),
            20 => Just(bf16::ZERO),
            1 => prop_oneof![Just(bf16::INFINITY), Just(bf16::NAN)],
        ]
    }

    fn scale_byte() -> impl Strategy<Value = u8> {
        prop_oneof![40 => 110u8..145, 2 => 0u8..4, 2 => 250u8..255, 1 => Just(255u8)]
    }

    fn format() -> impl Strategy<Value = Fp8Format> {
        prop_oneof![Just(Fp8Format::E4M3), Just(Fp8Format::E5M2)]
    }

    fn bits<O: FloatElement>(v: &[O]) -> Vec<u32> {
        v.iter().map(|x| x.to_bits_u32()).collect()
    }

    fn both_outputs_dense<O: FloatElement>(x: &[bf16], w: &[bf16], m: usize, n: usize, k: usize) {
        let mut fast = vec![O::from_f32(0.0); m * n];
        let mut slow = fast.clone();
        dense(x, w, m, n, k, &mut fast);
        reference::dense(x, w, n, k, &mut slow);
        assert_eq!(bits(&fast), bits(&slow), "dense m={m} n={n} k={k}");
    }

    #[derive(Debug)]
    struct Mx {
        codes: Vec<u8>,
        scales: Vec<E8M0>,
        shape: [usize; 2],
        scale_shape: [usize; 3],
        format: Fp8Format,
    }

    impl Mx {
        fn new(rows: usize, k: usize, format: Fp8Format, codes: Vec<u8>, bytes: Vec<u8>) -> Self {
            let pairs = k.div_ceil(BLOCK).div_ceil(2);
            Mx {
                codes,
                scales: bytes.into_iter().map(E8M0::from_bits).collect(),
                shape: [rows, k],
                scale_shape: [rows, pairs, 2],
                format,
            }
        }
        fn view(&self) -> MxView<'_> {
            MxView {
                format: self.format,
                elements: TensorView::new(&self.shape, &self.codes).unwrap(),
                scales: TensorView::new(&self.scale_shape, &self.scales).unwrap(),
            }
        }
    }

    /// Mostly normal codes (the lane kernel's fast case), some zeros, rarely subnormal or
    /// any byte at all (0x7B and below in magnitude are finite in both formats).
    fn code() -> impl Strategy<Value = u8> {
        let signed = |lo: u8, hi: u8| (any::<bool>(), lo..hi).prop_map(|(s, c)| (s as u8) << 7 | c);
        prop_oneof![4000 => signed(0x08, 0x7C), 40 => Just(0u8), 4 => signed(0, 8), 1 => any::<u8>()]
    }

    fn mx_operand(rows: usize, k: usize) -> impl Strategy<Value = Mx> {
        let pairs = k.div_ceil(BLOCK).div_ceil(2);
        (
            format(),
            prop::collection::vec(code(), rows * k),
            prop::collection::vec(scale_byte(), rows * pairs * 2),
        )
            .prop_map(move |(f, c, s)| Mx::new(rows, k, f, c, s))
    }

    fn shapes() -> impl Strategy<Value = (usize, usize, usize)> {
        (
            prop_oneof![1usize..5, 5usize..11],
            1usize..19,
            prop_oneof![1usize..40, 60usize..200],
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        #[test]
        fn dense_equals_the_reference(
            (m, n, k, x, w) in shapes().prop_flat_map(|(m, n, k)| (
                Just(m), Just(n), Just(k),
                prop::collection::vec(bf16_value(), m * k),
                prop::collection::vec(bf16_value(), n * k),
            ))
        ) {
            both_outputs_dense::<bf16>(&x, &w, m, n, k);
            both_outputs_dense::<f16>(&x, &w, m, n, k);
            both_outputs_dense::<f32>(&x, &w, m, n, k);
        }

        #[test]
        fn weight_only_equals_the_reference(
            (m, n, k, x, w) in shapes().prop_flat_map(|(m, n, k)| (
                Just(m), Just(n), Just(k),
                prop::collection::vec(bf16_value(), m * k),
                mx_operand(n, k),
            ))
        ) {
            let (mut fast, mut slow) = (vec![bf16::ZERO; m * n], vec![bf16::ZERO; m * n]);
            weight_only(&x, &w.view(), m, n, k, &mut fast);
            reference::weight_only(&x, &w.view(), n, k, &mut slow);
            prop_assert_eq!(bits(&fast), bits(&slow));
            let (mut fast, mut slow) = (vec![0f32; m * n], vec![0f32; m * n]);
            weight_only(&x, &w.view(), m, n, k, &mut fast);
            reference::weight_only(&x, &w.view(), n, k, &mut slow);
            prop_assert_eq!(bits(&fast), bits(&slow));
        }

        #[test]
        fn mx_equals_the_reference(
            (m, n, k, x, w, bias) in shapes().prop_flat_map(|(m, n, k)| (
                Just(m), Just(n), Just(k),
                mx_operand(m, k),
                mx_operand(n, k),
                prop::option::of(prop::collection::vec(-1e3f32..1e3, n)),
            ))
        ) {
            let b = bias.as_deref();
            let (mut fast, mut slow) = (vec![bf16::ZERO; m * n], vec![bf16::ZERO; m * n]);
            mx(&x.view(), &w.view(), b, m, n, k, &mut fast);
            mx_matmul::matmul(&x.view(), &w.view(), b, m, n, k, &mut slow);
            prop_assert_eq!(bits(&fast), bits(&slow));
            let (mut fast, mut slow) = (vec![0f32; m * n], vec![0f32; m * n]);
            mx(&x.view(), &w.view(), b, m, n, k, &mut fast);
            mx_matmul::matmul(&x.view(), &w.view(), b, m, n, k, &mut slow);
            prop_assert_eq!(bits(&fast), bits(&slow));
        }
    }

    #[test]
    fn special_codes_and_scales_in_single_rows_match_the_reference() {
        // One x row takes the direct first tier (bf16 outputs: f32 ones are rarely certified);
        // a NaN/Inf code or a NaN scale must not be decoded as a finite value there. The
        // special value sits in several blocks in turn.
        let k = 160;
        let x: Vec<bf16> = (0..k)
            .map(|i| bf16::from_f32(1.0 + (i % 3) as f32))
            .collect();
        let cases = [
            (Fp8Format::E4M3, 0x7F_u8, 0x38_u8),
            (Fp8Format::E4M3, 0xFF, 0x38),
            (Fp8Format::E5M2, 0x7C, 0x3C),
            (Fp8Format::E5M2, 0xFE, 0x3C),
        ];
        for (format, special, one) in cases {
            for at in [0, 31, 32, 100, k - 1] {
                let mut codes = vec![one; 2 * k];
                codes[k + at] = special;
                let w = Mx::new(2, k, format, codes, vec![127; 2 * 6]);
                let (mut fast, mut slow) = (vec![bf16::ZERO; 2], vec![bf16::ZERO; 2]);
                weight_only(&x, &w.view(), 1, 2, k, &mut fast);
                reference::weight_only(&x, &w.view(), 2, k, &mut slow);
                assert!(!slow[1].is_finite(), "{format:?} {special:#04x} at {at}");
                assert_eq!(fast[0], slow[0], "{format:?} {special:#04x} at {at}");
                assert_eq!(fast[1].to_bits(), slow[1].to_bits(), "{format:?} at {at}");
            }
        }
        let mut scales = vec![127u8; 2 * 6];
        scales[6 + 3] = 0xFF;
        let w = Mx::new(2, k, Fp8Format::E4M3, vec![0x38; 2 * k], scales);
        let (mut fast, mut slow) = (vec![bf16::ZERO; 2], vec![bf16::ZERO; 2]);
        weight_only(&x, &w.view(), 1, 2, k, &mut fast);
        reference::weight_only(&x, &w.view(), 2, k, &mut slow);
        assert!(slow[1].is_nan() && fast[1].is_nan() && fast[0] == slow[0]);
    }

    #[test]
    fn huge_and_subnormal_activations_in_one_row_match_the_reference() {
        // max|x| ≥ 2^127 leaves no room to prescale x up: the direct tier keeps x as it is
        // (p = 0) and its products may underflow, which its bound covers. bf16 x of both
        // extremes in one row, against FP8 weights.
        let k = 96;
        let mut x = vec![bf16::from_bits(0x0001); k]; // 2^-133, the least bf16 subnormal
        x[5] = bf16::from_bits(0x7F7F); // the largest finite bf16, ≈ 1.99·2^127
        x[40] = bf16::from_bits(0x8003);
        for format in [Fp8Format::E4M3, Fp8Format::E5M2] {
            let codes: Vec<u8> = (0..2 * k)
                .map(|i| if i == 5 { 0 } else { 0x21 + (i % 7) as u8 })
                .collect();
            let w = Mx::new(2, k, format, codes, vec![127; 2 * 4]);
            let (mut fast, mut slow) = (vec![bf16::ZERO; 2], vec![bf16::ZERO; 2]);
            weight_only(&x, &w.view(), 1, 2, k, &mut fast);
            reference::weight_only(&x, &w.view(), 2, k, &mut slow);
            assert_eq!(bits(&fast), bits(&slow), "{format:?}");
        }
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn flush_to_zero_threads_leave_every_output_to_the_reference() {
        fn set_flush_to_zero() {
            let mut csr: u32 = 0;
            // SAFETY: stores MXCSR into the live local, then loads it back with FTZ and DAZ
            // set; this affects only the calling (pool) thread's floating-point mode.
            unsafe {
                std::arch::asm!("stmxcsr [{}]", in(reg) std::ptr::addr_of_mut!(csr));
                csr |= (1 << 15) | (1 << 6);
                std::arch::asm!("ldmxcsr [{}]", in(reg) std::ptr::addr_of!(csr));
            }
        }
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .start_handler(|_| set_flush_to_zero())
            .build()
            .expect("a one-thread pool");
        let (k, n) = (64, 5);
        let x: Vec<bf16> = (0..k)
            .map(|i| bf16::from_f32(i as f32 * 0.25 - 3.0))
            .collect();
        let w: Vec<bf16> = (0..n * k)
            .map(|i| bf16::from_f32((i % 9) as f32 - 4.0))
            .collect();
        let before = fallbacks();
        let mut fast = vec![bf16::ZERO; n];
        pool.install(|| dense(&x, &w, 1, n, k, &mut fast));
        assert!(
            fallbacks() >= before + n,
            "flush-to-zero outputs were certified"
        );
        let mut slow = vec![bf16::ZERO; n];
        reference::dense(&x, &w, n, k, &mut slow);
        assert_eq!(fast, slow);
    }

    #[test]
    fn cancelling_single_row_sums_match_the_reference() {
        // Each weight row's last entry nearly cancels the rest of its dot product, so the
        // sums are far smaller than Σ|terms| and an understated error bound would certify
        // wrong roundings (the bounds of the direct tiers are what this exercises).
        let (k, n) = (1024, 512);
        let mut random = crate::test_rng::xorshift64(0x2545_f491_4f6c_dd1d);
        let mut next = || (random() >> 40) as f32 / (1u64 << 24) as f32 * 4.0 - 2.0;
        let x: Vec<bf16> = (0..k).map(|_| bf16::from_f32(next())).collect();
        let mut w = Vec::with_capacity(n * k);
        for _ in 0..n {
            let row: Vec<bf16> = (0..k - 1).map(|_| bf16::from_f32(next())).collect();
            let partial: f64 = row
                .iter()
                .zip(&x)
                .map(|(a, b)| a.to_f64() * b.to_f64())
                .sum();
            w.extend(row);
            w.push(bf16::from_f64(-partial / x[k - 1].to_f64()));
        }
        let (mut fast, mut slow) = (vec![bf16::ZERO; n], vec![bf16::ZERO; n]);
        dense(&x, &w, 1, n, k, &mut fast);
        reference::dense(&x, &w, n, k, &mut slow);
        assert_eq!(bits(&fast), bits(&slow));
    }

    #[test]
    fn an_exact_tie_is_handed_to_the_reference() {
        // 1 + 2^-8 lies exactly between two bf16 values: no bound can certify it.
        let x = [bf16::ONE, bf16::from_f32(1.0 / 256.0)];
        let w = [bf16::ONE, bf16::ONE];
        let before = fallbacks();
        let mut out = [bf16::ZERO];
        dense(&x, &w, 1, 1, 2, &mut out);
        assert!(
            fallbacks() > before,
            "the tie was not recomputed by the reference"
        );
        assert_eq!(out[0], bf16::ONE, "ties go to even");
    }

    #[test]
    fn ordinary_sums_are_certified_without_the_reference() {
        let k = 1024;
        let x: Vec<bf16> = (0..k)
            .map(|i| bf16::from_f32((i % 13) as f32 * 0.37 - 2.0))
            .collect();
        let w: Vec<bf16> = (0..k)
            .map(|i| bf16::from_f32((i % 7) as f32 * 0.11 + 0.5))
            .collect();
        let mut fast = [bf16::ZERO];
        // Another test may fall back concurrently; repeat until a quiet window proves ours did not.
        let certified = (0..20).any(|_| {
            let before = fallbacks();
            dense(&x, &w, 1, 1, k, &mut fast);
            fallbacks() == before
        });
        assert!(certified, "an ordinary dot product always fell back");
        let mut slow = [bf16::ZERO];
        reference::dense(&x, &w, 1, k, &mut slow);
        assert_eq!(fast, slow);
    }
}
