//! The FP8 formats E4M3FN and E5M2, as ml_dtypes defines them.

use super::RoundMode;
use bytemuck::{Pod, Zeroable};

/// Fixed facts about one FP8 format.
#[derive(Clone, Copy, Debug)]
struct Spec {
    /// Explicit mantissa bits.
    mbits: u32,
    /// Exponent bias.
    bias: i32,
    /// Largest finite magnitude.
    max: f32,
    /// Code of the largest finite magnitude (positive).
    max_code: u8,
    /// Code of +infinity, if the format has one.
    inf_code: Option<u8>,
    /// `emax`: exponent of the largest power of two in range (8 for E4M3, 15 for E5M2).
    emax: i32,
}

const E4M3_SPEC: Spec = Spec {
    mbits: 3,
    bias: 7,
    max: 448.0,
    max_code: 0x7E,
    inf_code: None,
    emax: 8,
};

const E5M2_SPEC: Spec = Spec {
    mbits: 2,
    bias: 15,
    max: 57344.0,
    max_code: 0x7B,
    inf_code: Some(0x7C),
    emax: 15,
};

/// The NaN code this library writes (with the sign of the input where there is one).
const NAN_CODE: u8 = 0x7F;

const fn decode_with(spec: Spec, byte: u8) -> f32 {
    let sign = if byte & 0x80 != 0 { -1.0f32 } else { 1.0f32 };
    let ebits = 7 - spec.mbits;
    let exp_field = ((byte & 0x7F) >> spec.mbits) as i32;
    let mantissa = (byte as u32) & ((1 << spec.mbits) - 1);
    let all_ones = (1 << ebits) - 1;
    if exp_field == all_ones {
        match spec.inf_code {
            // E5M2: IEEE-like top binade.
            Some(_) => {
                return if mantissa == 0 {
                    sign * f32::INFINITY
                } else {
                    f32::NAN
                };
            }
            // E4M3FN: only S.1111.111 is NaN; the rest of the top binade is finite.
            None => {
                if mantissa == (1 << spec.mbits) - 1 {
                    return f32::NAN;
                }
            }
        }
    }
    // value = m * 2^(e - bias - mbits) with the implicit bit for normals; exact in f32.
    let (significand, exponent) = if exp_field == 0 {
        (mantissa, 1 - spec.bias - spec.mbits as i32)
    } else {
        (
            mantissa | (1 << spec.mbits),
            exp_field - spec.bias - spec.mbits as i32,
        )
    };
    let scale = f32::from_bits(((exponent + 127) as u32) << 23);
    sign * significand as f32 * scale
}

const fn decode_table(spec: Spec) -> [f32; 256] {
    let mut table = [0.0f32; 256];
    let mut i = 0;
    while i < 256 {
        table[i] = decode_with(spec, i as u8);
        i += 1;
    }
    table
}

static E4M3_TABLE: [f32; 256] = decode_table(E4M3_SPEC);
static E5M2_TABLE: [f32; 256] = decode_table(E5M2_SPEC);

fn encode_with(spec: Spec, v: f32, mode: RoundMode) -> u8 {
    let sign = ((v.to_bits() >> 24) & 0x80) as u8;
    if v.is_nan() {
        return sign | NAN_CODE;
    }
    let a = v.abs();
    if a.is_infinite() {
        return sign | spec.inf_code.unwrap_or(NAN_CODE);
    }
    if a > spec.max {
        return sign | spec.max_code;
    }
    // Quantization step of a's binade, clamped at the subnormal binade.
    let emin = 1 - spec.bias;
    let exponent = (((a.to_bits() >> 23) & 0xFF) as i32 - 127).max(emin);
    let step_exp = exponent - spec.mbits as i32;
    // a / 2^step_exp is exact: a power-of-two scaling that stays in f32's normal range.
    let q = a * f32::from_bits(((127 - step_exp) as u32) << 23);
    let mut n = mode.round_magnitude(q, sign != 0) as u32;
    if n == 0 {
        return sign;
    }
    let mut exponent = exponent;
    if n == 2 << spec.mbits {
        // Rounded up into the next binade.
        n >>= 1;
        exponent += 1;
    }
    let code = if n < (1 << spec.mbits) {
        // Subnormal (only possible at exponent == emin).
        n as u8
    } else {
        (((exponent + spec.bias) as u32) << spec.mbits | (n - (1 << spec.mbits))) as u8
    };
    // Rounding up past the largest finite value saturates.
    if code > spec.max_code {
        sign | spec.max_code
    } else {
        sign | code
    }
}

macro_rules! fp8_type {
    ($(#[$doc:meta])* $name:ident, $spec:ident, $table:ident) => {
        $(#[$doc])*
        #[repr(transparent)]
        #[derive(Clone, Copy, PartialEq, Eq, Hash, Default, Pod, Zeroable)]
        pub struct $name(pub u8);

        impl $name {
            /// Largest finite value.
            pub const MAX: $name = $name($spec.max_code);
            /// The NaN code this library writes.
            pub const NAN: $name = $name(NAN_CODE);
            /// Positive zero.
            pub const ZERO: $name = $name(0);

            /// The raw byte.
            pub fn to_bits(self) -> u8 {
                self.0
            }

            /// Wraps a raw byte.
            pub fn from_bits(bits: u8) -> Self {
                $name(bits)
            }

            /// Decodes to `f32` (exact).
            pub fn to_f32(self) -> f32 {
                $table[self.0 as usize]
            }

            /// Encodes with round-to-nearest-even and saturation of finite overflow.
            pub fn from_f32(v: f32) -> Self {
                Self::from_f32_rounded(v, RoundMode::Rint)
            }

            /// Encodes with the given round mode; finite values beyond the largest finite
            /// magnitude saturate to it; NaN stays NaN.
            pub fn from_f32_rounded(v: f32, mode: RoundMode) -> Self {
                $name(encode_with($spec, v, mode))
            }

            /// True for the NaN codes.
            pub fn is_nan(self) -> bool {
                self.to_f32().is_nan()
            }
        }

        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "{}(0x{:02X} = {})", stringify!($name), self.0, self.to_f32())
            }
        }
    };
}

fp8_type!(
    /// FP8 E4M3FN: `S EEEE MMM`, bias 7, no infinity, NaN = `0x7F`/`0xFF`, max 448.
    E4M3,
    E4M3_SPEC,
    E4M3_TABLE
);
fp8_type!(
    /// FP8 E5M2: `S EEEEE MM`, bias 15, ±inf = `0x7C`/`0xFC`, NaN = `0x7D..=0x7F` (and negatives),
    /// max 57344.
    E5M2,
    E5M2_SPEC,
    E5M2_TABLE
);

/// Which FP8 element format an MX or FP8 tensor holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Fp8Format {
    /// FP8 E4M3FN (the default).
    #[default]
    E4M3,
    /// FP8 E5M2.
    E5M2,
}

impl Fp8Format {
    fn spec(self) -> Spec {
        match self {
            Fp8Format::E4M3 => E4M3_SPEC,
            Fp8Format::E5M2 => E5M2_SPEC,
        }
    }

    /// The 256-entry decode table.
    pub fn table(self) -> &'static [f32; 256] {
        match self {
            Fp8Format::E4M3 => &E4M3_TABLE,
            Fp8Format::E5M2 => &E5M2_TABLE,
        }
    }

    /// Decodes one byte (exact).
    pub fn decode(self, byte: u8) -> f32 {
        self.table()[byte as usize]
    }

    /// Encodes one value with `mode` and saturation of finite overflow.
    pub fn encode(self, v: f32, mode: RoundMode) -> u8 {
        encode_with(self.spec(), v, mode)
    }

    /// `emax`, the exponent of the largest power of two in range: 8 (E4M3) or 15 (E5M2).
    pub fn emax(self) -> i32 {
        self.spec().emax
    }

    /// Largest finite magnitude: 448 or 57344.
    pub fn max(self) -> f32 {
        self.spec().max
    }

    /// The CLI spelling: `e4m3` or `e5m2`.
    pub fn name(self) -> &'static str {
        match self {
            Fp8Format::E4M3 => "e4m3",
            Fp8Format::E5M2 => "e5m2",
        }
    }
}

impl std::str::FromStr for Fp8Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "e4m3" | "e4m3fn" => Ok(Fp8Format::E4M3),
            "e5m2" => Ok(Fp8Format::E5M2),
            _ => Err(format!("unknown FP8 format `{s}` (expected e4m3 or e5m2)")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_codes() {
        assert_eq!(E4M3(0x7E).to_f32(), 448.0);
        assert_eq!(E4M3(0x01).to_f32(), 2f32.powi(-9));
        assert_eq!(E4M3(0x08).to_f32(), 2f32.powi(-6));
        assert!(E4M3(0x7F).to_f32().is_nan() && E4M3(0xFF).to_f32().is_nan());
        assert_eq!(E4M3(0x80).to_f32().to_bits(), (-0.0f32).to_bits());
        assert_eq!(E5M2(0x7B).to_f32(), 57344.0);
        assert_eq!(E5M2(0x7C).to_f32(), f32::INFINITY);
        assert_eq!(E5M2(0xFC).to_f32(), f32::NEG_INFINITY);
        assert!(E5M2(0x7D).to_f32().is_nan());
        assert_eq!(E5M2(0x01).to_f32(), 2f32.powi(-16));
        for (v, code) in [
            (4.0, 0x48),
            (32.0, 0x60),
            (240.0, 0x77),
            (256.0, 0x78),
            (448.0, 0x7E),
        ] {
            assert_eq!(E4M3::from_f32(v).0, code, "{v}");
        }
    }

    #[test]
    fn saturation_and_specials() {
        assert_eq!(E4M3::from_f32(1e6).0, 0x7E);
        assert_eq!(E4M3::from_f32(-1e6).0, 0xFE);
        assert_eq!(E4M3::from_f32_rounded(447.9, RoundMode::Ceil).0, 0x7E);
        assert_eq!(E4M3::from_f32(f32::INFINITY).0, 0x7F);
        assert_eq!(E5M2::from_f32(f32::NEG_INFINITY).0, 0xFC);
        assert_eq!(E5M2::from_f32(1e9).0, 0x7B);
        assert_eq!(E4M3::from_f32(-0.0).0, 0x80);
        assert_eq!(E4M3::from_f32_rounded(-1e-10, RoundMode::Floor).0, 0x81);
        assert_eq!(E4M3::from_f32_rounded(-1e-10, RoundMode::Ceil).0, 0x80);
        assert_eq!(E4M3::from_f32_rounded(1e-10, RoundMode::Ceil).0, 0x01);
    }

    #[test]
    fn ties() {
        // 2^-10 is half the smallest subnormal: rint -> +0, round -> 2^-9.
        let tie = 2f32.powi(-10);
        assert_eq!(E4M3::from_f32_rounded(tie, RoundMode::Rint).0, 0x00);
        assert_eq!(E4M3::from_f32_rounded(tie, RoundMode::Round).0, 0x01);
        // 1.0625 lies halfway between 1.0 (0x38) and 1.125 (0x39).
        assert_eq!(E4M3::from_f32_rounded(1.0625, RoundMode::Rint).0, 0x38);
        assert_eq!(E4M3::from_f32_rounded(1.0625, RoundMode::Round).0, 0x39);
        // Carry into the next binade: 15.5 rounds to 16 (0x58).
        assert_eq!(E4M3::from_f32(15.5).0, 0x58);
    }

    #[test]
    fn roundtrip_every_finite_code() {
        for format in [Fp8Format::E4M3, Fp8Format::E5M2] {
            for byte in 0..=255u8 {
                let v = format.decode(byte);
                if v.is_finite() {
                    for mode in RoundMode::ALL {
                        assert_eq!(
                            format.encode(v, mode),
                            byte,
                            "{format:?} {byte:#x} {mode:?}"
                        );
                    }
                }
            }
        }
    }
}
