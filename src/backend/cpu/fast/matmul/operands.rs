//! The operands of the certified matmuls as the tiers read them: decoded to padded f32 rows with
//! f64 block scales ([`Decoded`], from a [`Source`]), and the x rows with their scales folded in
//! ([`ScaledRows`]) that the direct and tile tiers start from.

use super::*;

/// One operand decoded to padded f32 rows (`kp = 32·nb` values) and f64 block scales.
pub(super) struct Decoded {
    pub(super) values: Vec<f32>,
    /// `values` and their magnitudes in `simd::permute16` order (empty without AVX2).
    pub(super) permuted: Vec<f32>,
    pub(super) permuted_abs: Vec<f32>,
    /// `Σ|x|` per block (`rows × nb`), for the cheap bound on `Σ|terms|`.
    pub(super) block_l1: Vec<f64>,
    pub(super) scales: Vec<f64>,
    /// True when `scales` are real (an MX operand), not all ones.
    pub(super) x_scaled: bool,
    pub(super) finite: Vec<bool>,
}

/// Rows of an operand as the fast path reads them.
#[derive(Clone, Copy)]
pub(super) enum Source<'a, T> {
    Float(&'a [T]),
    Mx(&'a MxView<'a>),
}

impl<T: FloatElement> Source<'_, T> {
    /// Decodes row `r` into `values` (`kp` long, zero padded) and `scales` (`nb` long);
    /// false when an FP8 code is NaN/Inf.
    pub(super) fn decode(
        &self,
        r: usize,
        k: usize,
        values: &mut [f32],
        scales: &mut [f64],
    ) -> bool {
        self.decode_scales(r, k, scales);
        self.decode_values(r, k, values)
    }

    /// Only the values of row `r` (zero padded); false when an FP8 code is NaN/Inf.
    pub(super) fn decode_values(&self, r: usize, k: usize, values: &mut [f32]) -> bool {
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
    pub(super) fn decode_scales(&self, r: usize, k: usize, scales: &mut [f64]) {
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

    pub(super) fn decode_all(&self, rows: usize, k: usize) -> Decoded {
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
    pub(super) fn stored_row(&self, r: usize, k: usize) -> Option<simd::WRow<'_>> {
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

    pub(super) fn has_scales(&self) -> bool {
        matches!(self, Source::Mx(_))
    }

    /// bf16 row `r` as stored (bf16 operands only).
    pub(super) fn bf16_row(&self, r: usize, k: usize) -> Option<&[u16]> {
        match self {
            Source::Float(data) if T::DTYPE == DType::BF16 => {
                Some(bytemuck::cast_slice(&data[r * k..][..k]))
            }
            _ => None,
        }
    }

    /// FP8 row `r` with its `nb` E8M0 scale bytes, as stored (MX operands only).
    pub(super) fn fp8_row(&self, r: usize, k: usize) -> Option<(Fp8Format, &[u8], &[u8])> {
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

pub(super) fn e8m0_f64(e: E8M0) -> f64 {
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
pub(super) struct ScaledRows {
    pub(super) values: Vec<f32>,
    pub(super) l1: Vec<f64>,
    /// An upper bound on each row's `Σ|x|` (scales applied).
    pub(super) l1_total: Vec<f64>,
    /// False for rows with a NaN/Inf or whose scaled values are not exact in f32.
    pub(super) usable: Vec<bool>,
}

impl ScaledRows {
    pub(super) fn new(xd: &Decoded, m: usize, kp: usize) -> Self {
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

/// Multiplies each block of 32 values by its scale in place; false when a product is not
/// exact in f32 (out of range or precision, or a NaN scale).
pub(super) fn fold_scales(values: &mut [f32], scales: &[f64]) -> bool {
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
