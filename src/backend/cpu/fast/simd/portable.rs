//! The portable tier of [`super`]: plain Rust, the same quantities as the AVX2 kernels (the sums
//! in another order, within the same bounds), on every target.

use super::BLOCK;
use crate::formats::Fp8Format;

/// See [`super::decode_fp8`].
pub(super) fn decode_fp8_portable(format: Fp8Format, codes: &[u8], out: &mut [f32]) -> bool {
    let table = format.table();
    let mut finite = true;
    for (o, &c) in out.iter_mut().zip(codes) {
        let v = table[c as usize];
        finite &= v.is_finite();
        *o = v;
    }
    finite
}

/// See [`super::e8m0_scales`].
pub(super) fn e8m0_scales_portable(bytes: &[u8], f32s: &mut [f32]) -> bool {
    let mut nan = false;
    for (&e, a) in bytes.iter().zip(f32s.iter_mut()) {
        nan |= e == 0xFF;
        let e = u32::from(e);
        *a = f32::from_bits(if e == 0 { 0x0040_0000 } else { e << 23 });
    }
    !nan
}

/// See [`super::scaled_dot`].
pub(super) fn scaled_dot_portable(x: &[f32], w: &[f32], c: &[f64]) -> (f64, f64) {
    let (mut sum, mut abs) = (0.0f64, 0.0f64);
    for ((xb, wb), &cb) in x.chunks_exact(BLOCK).zip(w.chunks_exact(BLOCK)).zip(c) {
        let (mut s, mut a) = (0.0f64, 0.0f32);
        for (&p, &q) in xb.iter().zip(wb) {
            let prod = p * q;
            s += prod as f64;
            a += prod.abs();
        }
        sum += s * cb;
        abs += a as f64 * cb;
    }
    (sum, abs)
}
