//! Element types of tensors: the dtype tag and the float activation types.

use super::{round_f64_to_precision, E4M3, E5M2, E8M0};
use half::{bf16, f16};

/// The dtype of a tensor, as stored in safetensors files.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DType {
    /// IEEE binary32.
    F32,
    /// IEEE binary64.
    F64,
    /// IEEE binary16.
    F16,
    /// bfloat16.
    BF16,
    /// FP8 E4M3FN.
    F8E4M3,
    /// FP8 E5M2.
    F8E5M2,
    /// E8M0 scales.
    F8E8M0,
    /// Unsigned bytes (E8M0 scales in msmodelslim checkpoints).
    U8,
    /// 32-bit signed integers.
    I32,
    /// 64-bit signed integers.
    I64,
}

impl DType {
    /// Bytes per element.
    pub fn size(self) -> usize {
        match self {
            DType::F64 | DType::I64 => 8,
            DType::F32 | DType::I32 => 4,
            DType::F16 | DType::BF16 => 2,
            DType::F8E4M3 | DType::F8E5M2 | DType::F8E8M0 | DType::U8 => 1,
        }
    }

    /// The safetensors spelling (`BF16`, `F8_E4M3`, ...).
    pub fn name(self) -> &'static str {
        match self {
            DType::F32 => "F32",
            DType::F64 => "F64",
            DType::F16 => "F16",
            DType::BF16 => "BF16",
            DType::F8E4M3 => "F8_E4M3",
            DType::F8E5M2 => "F8_E5M2",
            DType::F8E8M0 => "F8_E8M0",
            DType::U8 => "U8",
            DType::I32 => "I32",
            DType::I64 => "I64",
        }
    }
}

impl std::fmt::Display for DType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A plain-old-data tensor element with a known dtype.
pub trait Element: bytemuck::Pod + Send + Sync + 'static {
    /// The dtype tag of this element type.
    const DTYPE: DType;
}

macro_rules! element {
    ($t:ty, $d:ident) => {
        impl Element for $t {
            const DTYPE: DType = DType::$d;
        }
    };
}
element!(f32, F32);
element!(f64, F64);
element!(f16, F16);
element!(bf16, BF16);
element!(E4M3, F8E4M3);
element!(E5M2, F8E5M2);
element!(E8M0, F8E8M0);
element!(u8, U8);
element!(i32, I32);
element!(i64, I64);

/// A floating-point activation type (`bf16`, `f16`, `f32`): exact widening to `f32` and
/// round-to-nearest-even narrowing.
pub trait FloatElement: Element + Copy + PartialEq + std::fmt::Debug {
    /// Exact conversion to `f32`.
    fn to_f32(self) -> f32;
    /// Round-to-nearest-even from `f32` (overflow to infinity, NaN stays NaN).
    fn from_f32(v: f32) -> Self;
    /// Round-to-nearest-even from `f64` in one rounding.
    fn from_f64(v: f64) -> Self;
    /// Round-to-nearest from `f32` with ties away from zero (the Ascend `CAST_ROUND`: carry when
    /// the first dropped bit is 1); overflow to infinity, NaN stays NaN.
    fn from_f32_ties_away(v: f32) -> Self;
    /// The raw bits, widened (for ulp distances and bit-exact comparisons).
    fn to_bits_u32(self) -> u32;
}

impl FloatElement for f32 {
    fn to_f32(self) -> f32 {
        self
    }
    fn from_f32(v: f32) -> Self {
        v
    }
    fn from_f64(v: f64) -> Self {
        v as f32
    }
    fn from_f32_ties_away(v: f32) -> Self {
        v
    }
    fn to_bits_u32(self) -> u32 {
        self.to_bits()
    }
}

impl FloatElement for bf16 {
    fn to_f32(self) -> f32 {
        bf16::to_f32(self)
    }
    fn from_f32(v: f32) -> Self {
        bf16::from_f32(v)
    }
    fn from_f64(v: f64) -> Self {
        if let Some(bits) = super::round::bf16_bits_of_f64(v) {
            return bf16::from_bits(bits);
        }
        if v.is_nan() {
            return bf16::NAN;
        }
        bf16::from_f32(round_f64_to_precision(v, 8, -126, 127) as f32)
    }
    fn from_f32_ties_away(v: f32) -> Self {
        if v.is_nan() {
            return bf16::from_f32(v);
        }
        // bf16 is the top half of f32: add half of the dropped part's unit to the magnitude and
        // truncate (a carry into the exponent rounds up a binade, or to infinity)
        let bits = v.to_bits();
        let magnitude = ((bits & 0x7FFF_FFFF) + 0x8000) >> 16;
        bf16::from_bits(((bits >> 16) & 0x8000) as u16 | magnitude as u16)
    }
    fn to_bits_u32(self) -> u32 {
        self.to_bits() as u32
    }
}

impl FloatElement for f16 {
    fn to_f32(self) -> f32 {
        f16::to_f32(self)
    }
    fn from_f32(v: f32) -> Self {
        f16::from_f32(v)
    }
    fn from_f64(v: f64) -> Self {
        if v.is_nan() {
            return f16::NAN;
        }
        f16::from_f32(round_f64_to_precision(v, 11, -14, 15) as f32)
    }
    fn from_f32_ties_away(v: f32) -> Self {
        let nearest = f16::from_f32(v);
        if !v.is_finite() || !nearest.is_finite() || nearest.to_f32() == v {
            return nearest;
        }
        // the f16 neighbour on the other side of v; a tie goes to the larger magnitude
        let below = nearest.to_f32().abs() < v.abs();
        let bits = nearest.to_bits();
        let other = if below {
            f16::from_bits(bits + 1)
        } else {
            f16::from_bits(bits - 1)
        };
        let (d_near, d_other) = ((v - nearest.to_f32()).abs(), (other.to_f32() - v).abs());
        if d_near == d_other && below {
            other
        } else {
            nearest
        }
    }
    fn to_bits_u32(self) -> u32 {
        self.to_bits() as u32
    }
}
