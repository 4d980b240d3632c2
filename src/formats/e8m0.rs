//! E8M0, the MX scale format: an unsigned biased exponent, `2^(byte - 127)`.

use super::{pow2_f32, RoundMode};
use bytemuck::{Pod, Zeroable};

/// E8M0 (`float8_e8m0fnu`): value `2^(b - 127)` for `b` in `0..=254`; `0xFF` is NaN. There is no
/// zero, no sign and no infinity. Byte 0 is `2^-127`, an `f32` subnormal.
#[repr(transparent)]
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default, Pod, Zeroable)]
pub struct E8M0(pub u8);

impl E8M0 {
    /// `2^127`, the largest value.
    pub const MAX: E8M0 = E8M0(0xFE);
    /// `2^-127`, the smallest value.
    pub const MIN: E8M0 = E8M0(0x00);
    /// `1.0`.
    pub const ONE: E8M0 = E8M0(0x7F);
    /// NaN.
    pub const NAN: E8M0 = E8M0(0xFF);

    /// The raw byte.
    pub fn to_bits(self) -> u8 {
        self.0
    }

    /// Wraps a raw byte.
    pub fn from_bits(bits: u8) -> Self {
        E8M0(bits)
    }

    /// The power of two this scale stands for, `byte - 127`, or `None` for NaN.
    pub fn exponent(self) -> Option<i32> {
        (self.0 != 0xFF).then_some(self.0 as i32 - 127)
    }

    /// Decodes to `f32` exactly (byte 0 gives the subnormal `2^-127`, not zero).
    pub fn to_f32(self) -> f32 {
        match self.exponent() {
            Some(e) => pow2_f32(e),
            None => f32::NAN,
        }
    }

    /// Encodes with round-to-nearest (a tie between `2^e` and `2^(e+1)` goes up, as ml_dtypes
    /// does) and saturation.
    pub fn from_f32(v: f32) -> Self {
        Self::from_f32_rounded(v, RoundMode::Rint)
    }

    /// Encodes with the given round mode:
    /// NaN, infinities and negative values give NaN (`0xFF`); `±0` and positive values below
    /// `2^-127` give `0x00`; values above `2^127` give `0xFE`. Otherwise the two neighbouring
    /// powers of two are rounded between in linear distance; `Rint` and `Round` both send a tie
    /// (`1.5 · 2^e`) up, because both neighbours have an odd (implicit) significand.
    pub fn from_f32_rounded(v: f32, mode: RoundMode) -> Self {
        if v.is_nan() || v.is_infinite() || v < 0.0 {
            return E8M0::NAN;
        }
        if v == 0.0 || v < pow2_f32(-127) {
            return E8M0::MIN;
        }
        if v > pow2_f32(127) {
            return E8M0::MAX;
        }
        let bits = v.to_bits();
        let exp_field = (bits >> 23) & 0xFF;
        // floor(log2 v) and whether v is an exact power of two; the subnormal case only
        // covers [2^-127, 2^-126), where the leading bit is bit 22.
        let (floor_log2, exact, above_half) = if exp_field == 0 {
            let mantissa = bits & 0x7F_FFFF;
            let rest = mantissa & 0x3F_FFFF;
            (-127, rest == 0, rest >= 0x20_0000)
        } else {
            let mantissa = bits & 0x7F_FFFF;
            (exp_field as i32 - 127, mantissa == 0, mantissa >= 0x40_0000)
        };
        let up = !exact
            && match mode {
                RoundMode::Rint | RoundMode::Round => above_half,
                RoundMode::Ceil => true,
                RoundMode::Floor | RoundMode::Trunc => false,
            };
        let e = floor_log2 + up as i32;
        E8M0(((e + 127).min(254)) as u8)
    }

    /// True for `0xFF`.
    pub fn is_nan(self) -> bool {
        self.0 == 0xFF
    }
}

impl std::fmt::Debug for E8M0 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.exponent() {
            Some(e) => write!(f, "E8M0(0x{:02X} = 2^{e})", self.0),
            None => write!(f, "E8M0(0xFF = NaN)"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode_edges() {
        assert_eq!(E8M0(0).to_f32().to_bits(), 0x0040_0000);
        assert_eq!(E8M0(127).to_f32(), 1.0);
        assert_eq!(E8M0(254).to_f32(), 2f32.powi(127));
        assert!(E8M0(255).to_f32().is_nan());
    }

    #[test]
    fn encode_matches_ml_dtypes_samples() {
        // ml_dtypes 0.6: [1.5, 3.0, 6.0] -> [128, 129, 130]; 1e-40 and 2^-128 -> 0.
        assert_eq!(E8M0::from_f32(1.5).0, 128);
        assert_eq!(E8M0::from_f32(3.0).0, 129);
        assert_eq!(E8M0::from_f32(6.0).0, 130);
        assert_eq!(E8M0::from_f32(1e-40).0, 0);
        assert_eq!(E8M0::from_f32(2f32.powi(-128)).0, 0);
        assert_eq!(E8M0::from_f32(-1.0).0, 0xFF);
        assert_eq!(E8M0::from_f32(f32::INFINITY).0, 0xFF);
        // Our deviation from ml_dtypes (which gives NaN): zero saturates to the smallest scale.
        assert_eq!(E8M0::from_f32(0.0).0, 0);
        assert_eq!(E8M0::from_f32(f32::MAX).0, 254);
    }

    #[test]
    fn modes() {
        let v = 1.25f32;
        assert_eq!(E8M0::from_f32_rounded(v, RoundMode::Rint).0, 127);
        assert_eq!(E8M0::from_f32_rounded(v, RoundMode::Ceil).0, 128);
        assert_eq!(E8M0::from_f32_rounded(1.75, RoundMode::Round).0, 128);
        assert_eq!(E8M0::from_f32_rounded(1.75, RoundMode::Trunc).0, 127);
        // In the subnormal binade [2^-127, 2^-126).
        assert_eq!(
            E8M0::from_f32_rounded(1.75 * 2f32.powi(-127), RoundMode::Rint).0,
            1
        );
        assert_eq!(
            E8M0::from_f32_rounded(1.25 * 2f32.powi(-127), RoundMode::Rint).0,
            0
        );
        for b in 0..=254u8 {
            for mode in RoundMode::ALL {
                assert_eq!(E8M0::from_f32_rounded(E8M0(b).to_f32(), mode).0, b);
            }
        }
    }
}
