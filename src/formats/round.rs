//! Round modes and correctly rounded narrowing from `f64`.

/// How a value that falls between two representable values is rounded.
///
/// `Rint` is the default everywhere; `Round` is what msmodelslim's MXFP8 weight export uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum RoundMode {
    /// Nearest, ties to even (IEEE default; Ascend `CAST_RINT`).
    #[default]
    Rint,
    /// Nearest, ties away from zero (Ascend `CAST_ROUND`).
    Round,
    /// Toward negative infinity.
    Floor,
    /// Toward positive infinity.
    Ceil,
    /// Toward zero.
    Trunc,
}

impl RoundMode {
    /// All modes, in the order the codec fixtures use.
    pub const ALL: [RoundMode; 5] = [
        RoundMode::Rint,
        RoundMode::Round,
        RoundMode::Floor,
        RoundMode::Ceil,
        RoundMode::Trunc,
    ];

    /// The lower-case name used by the CLI (`rint`, `round`, `floor`, `ceil`, `trunc`).
    pub fn name(self) -> &'static str {
        match self {
            RoundMode::Rint => "rint",
            RoundMode::Round => "round",
            RoundMode::Floor => "floor",
            RoundMode::Ceil => "ceil",
            RoundMode::Trunc => "trunc",
        }
    }

    /// Rounds a non-negative magnitude `q` to an integer; `negative` says whether the value the
    /// magnitude belongs to is negative (which swaps floor and ceil).
    pub(crate) fn round_magnitude(self, q: f32, negative: bool) -> f32 {
        match self {
            RoundMode::Rint => q.round_ties_even(),
            RoundMode::Round => q.round(),
            RoundMode::Trunc => q.trunc(),
            RoundMode::Floor if negative => q.ceil(),
            RoundMode::Floor => q.floor(),
            RoundMode::Ceil if negative => q.floor(),
            RoundMode::Ceil => q.ceil(),
        }
    }
}

impl std::str::FromStr for RoundMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        RoundMode::ALL
            .into_iter()
            .find(|m| m.name() == s)
            .ok_or_else(|| {
                format!("unknown round mode `{s}` (expected rint, round, floor, ceil or trunc)")
            })
    }
}

/// Rounds `v` to nearest-even on a binary grid with `precision` significand bits (implicit bit
/// included), smallest normal exponent `emin` (gradual underflow below it) and largest exponent
/// `emax` (values that round beyond the largest finite become infinite). The result is exactly
/// representable in the target format, so a following conversion to it is exact.
///
/// This is one rounding from `f64`, unlike `f64 -> f32 -> bf16`, which can round twice.
pub fn round_f64_to_precision(v: f64, precision: u32, emin: i32, emax: i32) -> f64 {
    if !v.is_finite() || v == 0.0 {
        return v;
    }
    let exponent = (((v.to_bits() >> 52) & 0x7FF) as i32 - 1023).max(emin);
    // ulp = 2^(exponent - (precision - 1)); dividing by a power of two is exact here.
    let ulp = super::pow2_f64(exponent - (precision as i32 - 1));
    let rounded = (v / ulp).round_ties_even() * ulp;
    if rounded.abs() >= super::pow2_f64(emax + 1) {
        f64::INFINITY.copysign(v)
    } else {
        rounded
    }
}

/// [`round_f64_to_precision`] to bf16 (one rounding, to nearest even) by bit arithmetic, for
/// values in the normal bf16 range; `None` elsewhere. Proved equal by the test below over
/// random values and ties.
pub(crate) fn bf16_bits_of_f64(v: f64) -> Option<u16> {
    let a = v.abs();
    if !(a >= f64::from(f32::MIN_POSITIVE) && a < 3.4e38) {
        return None;
    }
    // Keep 8 significant bits of the f64's 53: round the low 45 bits away, ties to even.
    let b = v.to_bits();
    let rounded = (b + (1u64 << 44) - 1 + ((b >> 45) & 1)) & !((1u64 << 45) - 1);
    // Exact: at most 8 significant bits, in f32's range (or rounding up to 2^128, which is inf).
    Some((f64::from_bits(rounded) as f32).to_bits().wrapping_shr(16) as u16)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn f64_rounding_to_bf16_grid_is_single_rounding() {
        // 1 + 2^-8 + 2^-40 lies just above the bf16 tie 1 + 2^-8, so one rounding goes up;
        // f32 cannot hold the 2^-40, so rounding through f32 lands on the tie and goes to even.
        let v = 1.0 + 2f64.powi(-8) + 2f64.powi(-40);
        let r = round_f64_to_precision(v, 8, -126, 127);
        assert_eq!(r, 1.0 + 2f64.powi(-7));
        // Via f32 the sticky bit is lost and the tie goes to even (down).
        let via_f32 = half::bf16::from_f32(v as f32).to_f64();
        assert_eq!(via_f32, 1.0);
    }

    #[test]
    fn overflow_and_subnormals() {
        assert!(round_f64_to_precision(65520.0, 11, -14, 15).is_infinite());
        assert_eq!(round_f64_to_precision(65519.0, 11, -14, 15), 65504.0);
        assert_eq!(round_f64_to_precision(2f64.powi(-25), 11, -14, 15), 0.0);
        assert_eq!(
            round_f64_to_precision(1.5 * 2f64.powi(-24), 11, -14, 15),
            2f64.powi(-23)
        );
    }

    #[test]
    fn parse_names() {
        for m in RoundMode::ALL {
            assert_eq!(m.name().parse::<RoundMode>().unwrap(), m);
        }
        assert!("nearest".parse::<RoundMode>().is_err());
    }

    #[test]
    fn bit_rounding_to_bf16_matches_from_f64() {
        let mut next = crate::test_rng::xorshift64(0x1234_5678_9abc_def1);
        let mut checked = 0;
        for i in 0..2_000_000u64 {
            let state = next();
            // Random bit patterns, and values at and next to bf16 ties.
            let in_range =
                (state & 0x800F_FFFF_FFFF_FFFF) | ((1023 - 127 + (state >> 20) % 256) << 52);
            let v = match i % 4 {
                0 => f64::from_bits(state),
                3 => f64::from_bits(in_range),
                1 => f64::from_bits((state & !((1u64 << 45) - 1)) | (1u64 << 44)),
                _ => f64::from_bits(((state & !((1u64 << 45) - 1)) | (1u64 << 44)) ^ (state >> 63)),
            };
            if let Some(b) = bf16_bits_of_f64(v) {
                let spec = round_f64_to_precision(v, 8, -126, 127) as f32;
                assert_eq!(u32::from(b) << 16, spec.to_bits(), "{v:e}");
                checked += 1;
            }
        }
        assert!(checked > 500_000, "only {checked} values in range");
    }
}
