//! The *tile* tier (4 x rows or more): weight rows decoded with their scales folded in, 4 × 2
//! output tiles by [`simd::tile_dots`].

use super::*;

/// A task's weight rows for the tile tier, and which of its outputs the tier certified.
#[derive(Default)]
pub(super) struct TileBuffers {
    pub(super) values: Vec<f32>,
    pub(super) max: Vec<f64>,
    pub(super) marks: Vec<bool>,
    pub(super) scales: Vec<f64>,
}

impl TileBuffers {
    /// Decodes weight rows `j0..j0 + rows` with their scales folded in and the per-block
    /// maxima of their magnitudes (NaN for a row with a NaN code or scale or an inexact product;
    /// an Inf weight gives an Inf maximum; either way no bound from that row certifies).
    pub(super) fn decode<T: FloatElement>(
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
pub(super) struct TileCtx<'a, O> {
    pub(super) x: &'a ScaledRows,
    pub(super) m: usize,
    pub(super) kp: usize,
    pub(super) nb: usize,
    pub(super) bias: Option<&'a [f32]>,
    pub(super) rel: f64,
    pub(super) ref_rel: f64,
    pub(super) _out: std::marker::PhantomData<O>,
}

/// The tile tier for one task's weight rows `j0..j0 + rows`, decoded with their scales folded
/// in (`w_values`, `rows × kp`) and per-block maxima of their magnitudes (`w_max`, `rows × nb`;
/// NaN or Inf for a row the tier cannot use). Certified outputs go into `chunk`
/// (`[rows, m]`) and are marked in `marks`; `Σ|terms|` is bounded per block by
/// `max|w_b| · Σ|x_b|`.
pub(super) fn tile_tier<O: FloatElement>(
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
pub(super) struct TileAt {
    pub(super) r0: usize,
    pub(super) i0: usize,
    pub(super) j0: usize,
}

pub(super) fn tile_block<O: FloatElement, const MR: usize, const NR: usize>(
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
