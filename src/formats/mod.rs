//! Element formats: the FP8 byte formats (`E4M3`, `E5M2`), the MX scale format (`E8M0`), the
//! round modes of `docs/numerics.md`, and the activation element types (`bf16`, `f16`, `f32`).
//!
//! Every codec here is exact and table-checked against ml_dtypes (see `tests/golden_codecs.rs`).

mod e8m0;
mod element;
mod minifloat;
mod round;

pub use e8m0::E8M0;
pub use element::{DType, Element, FloatElement};
pub use minifloat::{Fp8Format, E4M3, E5M2};
pub use round::{round_f64_to_precision, RoundMode};

/// `2^k` as an `f32`, exact for every `k` in `-149..=127` (including the subnormal range);
/// `0.0` below and `+inf` above that range.
pub fn pow2_f32(k: i32) -> f32 {
    if k > 127 {
        f32::INFINITY
    } else if k >= -126 {
        f32::from_bits(((k + 127) as u32) << 23)
    } else if k >= -149 {
        f32::from_bits(1u32 << (k + 149))
    } else {
        0.0
    }
}

/// `2^k` as an `f64` for `k` in the normal range `-1022..=1023` (built from its bits, exact);
/// `powi` outside it.
pub fn pow2_f64(k: i32) -> f64 {
    if (-1022..=1023).contains(&k) {
        f64::from_bits(((k + 1023) as u64) << 52)
    } else {
        2f64.powi(k)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pow2_covers_subnormals() {
        assert_eq!(pow2_f32(0), 1.0);
        assert_eq!(pow2_f32(-127).to_bits(), 0x0040_0000);
        assert_eq!(pow2_f32(-149).to_bits(), 1);
        assert_eq!(pow2_f32(-150), 0.0);
        assert_eq!(pow2_f32(127), 2f32.powi(127));
        assert!(pow2_f32(128).is_infinite());
    }

    #[test]
    fn pow2_f64_matches_powi() {
        for k in -1100..=1100 {
            assert_eq!(pow2_f64(k), 2f64.powi(k), "2^{k}");
        }
    }
}
