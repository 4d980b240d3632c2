//! FP8 block dequantization reference.

use super::min_rows_per_task;
use crate::formats::{FloatElement, E4M3};
use rayon::prelude::*;

/// Dequantizes `weight [rows, cols]` with the scale grid `[ceil(rows/bo), ceil(cols/bi)]`.
pub(crate) fn dequantize<S: FloatElement, O: FloatElement>(
    weight: &[E4M3],
    scales: &[S],
    cols: usize,
    block: [usize; 2],
    out: &mut [O],
) {
    for_each_block(weight, scales, cols, block, out, |w_block, s, out_block| {
        for (o, w) in out_block.iter_mut().zip(w_block) {
            *o = O::from_f32(w.to_f32() * s);
        }
    });
}

/// Calls `f(weights, scale, out)` for every row segment of one scale block, rows in parallel
/// (the walk the reference and the fast path share).
pub(crate) fn for_each_block<S: FloatElement, O: FloatElement>(
    weight: &[E4M3],
    scales: &[S],
    cols: usize,
    block: [usize; 2],
    out: &mut [O],
    f: impl Fn(&[E4M3], f32, &mut [O]) + Sync,
) {
    if cols == 0 {
        return;
    }
    let grid_cols = cols.div_ceil(block[1]);
    weight
        .par_chunks(cols)
        .zip(out.par_chunks_mut(cols))
        .with_min_len(min_rows_per_task(cols))
        .enumerate()
        .for_each(|(i, (w_row, out_row))| {
            let scale_row = &scales[(i / block[0]) * grid_cols..][..grid_cols];
            for ((w_block, out_block), s) in w_row
                .chunks(block[1])
                .zip(out_row.chunks_mut(block[1]))
                .zip(scale_row)
            {
                f(w_block, s.to_f32(), out_block);
            }
        });
}
