//! Running one op on the tensors of a safetensors file, with options given as values or
//! strings: what the `op` CLI and the `verify` command share.

use crate::error::{Error, Result};
use crate::formats::{DType, FloatElement, Fp8Format, RoundMode, E4M3, E8M0};
use crate::io::{RawTensor, TensorFile};
use crate::ops::{
    self, AddRmsNormMode, AddRmsNormOptions, MxQuantOptions, MxView, NonFiniteBlocks, RmsNormMode,
    RmsNormOptions, RopeCache, RopeMode, RopeOptions, ScaleAlg, TinyBlocks,
};
use crate::tensor::Tensor;
use crate::Backend;
use half::{bf16, f16};
use std::collections::HashMap;

/// The ops that run on files.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OpName {
    /// Dynamic MX quantization: `x` -> `y`, `scale`.
    MxQuant,
    /// MX dequantization: `y`, `scale` -> `x`.
    MxDequant,
    /// MX matmul: `x`, `x_scale`, `w`, `w_scale` [, `bias`] -> `y`.
    MxMatmul,
    /// FP8 block dequantization: `weight`, `weight_scale_inv` -> `y`.
    Fp8BlockDequant,
    /// RMSNorm: `x`, `weight` [, `residual`] -> `y` [, `residual_out`]; in the Ascend modes
    /// `x`, `weight` -> `y`, `rstd` (what `npu_rms_norm` returns).
    RmsNorm,
    /// Add + RMSNorm (`npu_add_rms_norm`): `x1`, `x2`, `gamma` -> `y`, `rstd`, `x`.
    AddRmsNorm,
    /// NeoX RoPE on Q and K: `q`, `k`, `positions` -> `q_out`, `k_out`.
    RopeQk,
    /// `npu_rotary_mul` (half): `x`, `r1`, `r2` -> `y`.
    RotaryMul,
}

impl OpName {
    /// Every op, in the README's order.
    pub const ALL: [OpName; 8] = [
        OpName::MxQuant,
        OpName::MxDequant,
        OpName::MxMatmul,
        OpName::Fp8BlockDequant,
        OpName::RmsNorm,
        OpName::AddRmsNorm,
        OpName::RopeQk,
        OpName::RotaryMul,
    ];

    /// The CLI spelling (`mx-quant`, ...).
    pub fn name(self) -> &'static str {
        match self {
            OpName::MxQuant => "mx-quant",
            OpName::MxDequant => "mx-dequant",
            OpName::MxMatmul => "mx-matmul",
            OpName::Fp8BlockDequant => "fp8-block-dequant",
            OpName::RmsNorm => "rms-norm",
            OpName::AddRmsNorm => "add-rms-norm",
            OpName::RopeQk => "rope-qk",
            OpName::RotaryMul => "rotary-mul",
        }
    }
}

impl std::str::FromStr for OpName {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        OpName::ALL
            .into_iter()
            .find(|o| o.name() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = OpName::ALL.iter().map(|o| o.name()).collect();
                format!("unknown op `{s}` (expected one of {})", names.join(", "))
            })
    }
}

/// Output dtypes of the ops that choose one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutDType {
    /// IEEE binary32.
    F32,
    /// bfloat16.
    Bf16,
    /// IEEE binary16.
    F16,
}

impl std::str::FromStr for OutDType {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "f32" => Ok(OutDType::F32),
            "bf16" => Ok(OutDType::Bf16),
            "f16" => Ok(OutDType::F16),
            _ => Err(format!(
                "unknown output dtype `{s}` (expected f32, bf16 or f16)"
            )),
        }
    }
}

/// Every option of every op; `None` means the op's default. An option given to an op it does
/// not apply to is an error ([`OpOptions::check_applicable`]).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct OpOptions {
    /// mx-quant: element format [e4m3].
    pub dst: Option<Fp8Format>,
    /// mx-quant: scale rule [ocp].
    pub scale_alg: Option<ScaleAlg>,
    /// mx-quant: element rounding [rint].
    pub round: Option<RoundMode>,
    /// mx-quant: tiny blocks under ocp [flush].
    pub tiny_blocks: Option<TinyBlocks>,
    /// mx-quant: elements of NaN/Inf blocks [zero].
    pub non_finite: Option<NonFiniteBlocks>,
    /// rms-norm, add-rms-norm, rope-qk, rotary-mul: the arithmetic, in the op's spelling
    /// ([`RmsNormMode`], [`AddRmsNormMode`], [`RopeMode`]) [hf].
    pub mode: Option<String>,
    /// mx-dequant [f32], mx-matmul and fp8-block-dequant [bf16]: output dtype.
    pub out_dtype: Option<OutDType>,
    /// fp8-block-dequant: block shape `rows,cols` [128,128].
    pub block: Option<String>,
    /// rms-norm, add-rms-norm: epsilon [1e-6].
    pub eps: Option<f32>,
    /// rms-norm: weight multiply in f32 (the same as mode `weight-in-f32`).
    pub weight_in_f32: bool,
    /// rope-qk: base theta [1e6].
    pub theta: Option<f64>,
    /// rope-qk: rotary dimension [head_dim].
    pub rotary_dim: Option<usize>,
    /// rope-qk: f32 cos/sin and arithmetic (the same as mode `f32`).
    pub f32_compute: bool,
}

fn parse_value<T: std::str::FromStr>(key: &str, value: &str) -> Result<T>
where
    T::Err: std::fmt::Display,
{
    value
        .parse::<T>()
        .map_err(|e| Error::option(&format!("--{}", key.replace('_', "-")), e.to_string()))
}

fn parse_flag(key: &str, value: &str) -> Result<bool> {
    match value {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(Error::option(
            &format!("--{}", key.replace('_', "-")),
            format!("expected true or false, got `{value}`"),
        )),
    }
}

impl OpOptions {
    /// Reads options from string pairs (safetensors metadata of golden fixtures, which use the
    /// CLI's spellings); keys that are not options are ignored.
    pub fn from_strings(pairs: &HashMap<String, String>) -> Result<Self> {
        let mut o = OpOptions::default();
        for (key, value) in pairs {
            match key.as_str() {
                "dst" => o.dst = Some(parse_value(key, value)?),
                "scale_alg" => o.scale_alg = Some(parse_value(key, value)?),
                "round" => o.round = Some(parse_value(key, value)?),
                "tiny_blocks" => o.tiny_blocks = Some(parse_value(key, value)?),
                "non_finite" => o.non_finite = Some(parse_value(key, value)?),
                "mode" => o.mode = Some(value.clone()),
                "out_dtype" => o.out_dtype = Some(parse_value(key, value)?),
                "block" => o.block = Some(value.clone()),
                "eps" => o.eps = Some(parse_value(key, value)?),
                "weight_in_f32" => o.weight_in_f32 = parse_flag(key, value)?,
                "theta" => o.theta = Some(parse_value(key, value)?),
                "rotary_dim" => o.rotary_dim = Some(parse_value(key, value)?),
                "f32_compute" => o.f32_compute = parse_flag(key, value)?,
                _ => {}
            }
        }
        Ok(o)
    }

    /// Rejects options that do not apply to `op`, so a typo never goes unnoticed.
    pub fn check_applicable(&self, op: OpName) -> Result<()> {
        use OpName::*;
        let given: [(&str, bool, &[OpName]); 13] = [
            ("--dst", self.dst.is_some(), &[MxQuant]),
            ("--scale-alg", self.scale_alg.is_some(), &[MxQuant]),
            ("--round", self.round.is_some(), &[MxQuant]),
            ("--tiny-blocks", self.tiny_blocks.is_some(), &[MxQuant]),
            ("--non-finite", self.non_finite.is_some(), &[MxQuant]),
            (
                "--mode",
                self.mode.is_some(),
                &[RmsNorm, AddRmsNorm, RopeQk, RotaryMul],
            ),
            (
                "--out-dtype",
                self.out_dtype.is_some(),
                &[MxDequant, MxMatmul, Fp8BlockDequant],
            ),
            ("--block", self.block.is_some(), &[Fp8BlockDequant]),
            ("--eps", self.eps.is_some(), &[RmsNorm, AddRmsNorm]),
            ("--weight-in-f32", self.weight_in_f32, &[RmsNorm]),
            ("--theta", self.theta.is_some(), &[RopeQk]),
            ("--rotary-dim", self.rotary_dim.is_some(), &[RopeQk]),
            ("--f32-compute", self.f32_compute, &[RopeQk]),
        ];
        for (flag, present, ops) in given {
            if present && !ops.contains(&op) {
                return Err(Error::option(
                    flag,
                    format!("does not apply to {}", op.name()),
                ));
            }
        }
        Ok(())
    }
}

/// Runs `op` on the tensors of `input` and returns its named outputs.
pub fn run_op(
    backend: &Backend,
    op: OpName,
    input: &TensorFile,
    args: &OpOptions,
) -> Result<Outputs> {
    args.check_applicable(op)?;
    match op {
        OpName::MxQuant => mx_quant(backend, input, args),
        OpName::MxDequant => mx_dequant(backend, input, args),
        OpName::MxMatmul => mx_matmul(backend, input, args),
        OpName::Fp8BlockDequant => fp8_block_dequant(backend, input, args),
        OpName::RmsNorm => rms_norm(backend, input, args),
        OpName::AddRmsNorm => add_rms_norm(backend, input, args),
        OpName::RopeQk => rope_qk(backend, input, args),
        OpName::RotaryMul => rotary_mul(backend, input, args),
    }
}

/// Named output tensors of an op.
pub type Outputs = Vec<(String, RawTensor)>;

fn fp8_dtype(format: Fp8Format) -> DType {
    match format {
        Fp8Format::E4M3 => DType::F8E4M3,
        Fp8Format::E5M2 => DType::F8E5M2,
    }
}

fn fp8_format(name: &str, raw: &RawTensor) -> Result<Fp8Format> {
    match raw.dtype {
        DType::F8E4M3 => Ok(Fp8Format::E4M3),
        DType::F8E5M2 => Ok(Fp8Format::E5M2),
        other => Err(Error::DType {
            tensor: name.to_string(),
            expected: "F8_E4M3 or F8_E5M2".to_string(),
            actual: other,
        }),
    }
}

/// E8M0 scales stored as F8_E8M0 or as U8 bytes (msmodelslim / torch_npu).
fn scales(input: &TensorFile, name: &str) -> Result<Tensor<E8M0>> {
    let raw = input.get(name)?;
    match raw.dtype {
        DType::F8E8M0 | DType::U8 => raw.to_tensor_as(name, raw.dtype),
        other => Err(Error::DType {
            tensor: name.to_string(),
            expected: "F8_E8M0 or U8".to_string(),
            actual: other,
        }),
    }
}

fn fp8_bytes(input: &TensorFile, name: &str) -> Result<(Fp8Format, Tensor<u8>)> {
    let raw = input.get(name)?;
    let format = fp8_format(name, raw)?;
    Ok((format, raw.to_tensor_as(name, raw.dtype)?))
}

fn float_dtype_error(name: &str, actual: DType) -> Error {
    Error::DType {
        tensor: name.to_string(),
        expected: "BF16, F16 or F32".to_string(),
        actual,
    }
}

/// Calls `$body` with `$t` bound to the Rust type of a BF16/F16/F32 dtype.
macro_rules! with_float {
    ($dtype:expr, $name:expr, $t:ident => $body:expr) => {
        match $dtype {
            DType::BF16 => {
                type $t = bf16;
                $body
            }
            DType::F16 => {
                type $t = f16;
                $body
            }
            DType::F32 => {
                type $t = f32;
                $body
            }
            other => Err(float_dtype_error($name, other)),
        }
    };
}

fn out_tensor<O: FloatElement>(t: Tensor<O>) -> RawTensor {
    RawTensor::from_tensor(&t)
}

fn mx_quant(backend: &Backend, input: &TensorFile, args: &OpOptions) -> Result<Outputs> {
    let options = MxQuantOptions {
        dst: args.dst.unwrap_or_default(),
        scale_alg: args.scale_alg.unwrap_or_default(),
        round: args.round.unwrap_or_default(),
        tiny_blocks: args.tiny_blocks.unwrap_or_default(),
        non_finite: args.non_finite.unwrap_or_default(),
    };
    let x = input.get("x")?;
    let q = with_float!(x.dtype, "x", T => {
        let x = x.to_tensor::<T>("x")?;
        ops::mx_quant(backend, x.view(), &options)
    })?;
    let y = RawTensor {
        dtype: fp8_dtype(q.format),
        shape: q.elements.shape().to_vec(),
        bytes: q.elements.data().to_vec(),
    };
    Ok(vec![
        ("y".into(), y),
        ("scale".into(), RawTensor::from_tensor(&q.scales)),
    ])
}

fn mx_dequant(backend: &Backend, input: &TensorFile, args: &OpOptions) -> Result<Outputs> {
    let (format, y) = fp8_bytes(input, "y")?;
    let scale = scales(input, "scale")?;
    let view = MxView {
        format,
        elements: y.view(),
        scales: scale.view(),
    };
    let x = match args.out_dtype.unwrap_or(OutDType::F32) {
        OutDType::F32 => out_tensor(ops::mx_dequant::<f32>(backend, view)?),
        OutDType::Bf16 => out_tensor(ops::mx_dequant::<bf16>(backend, view)?),
        OutDType::F16 => out_tensor(ops::mx_dequant::<f16>(backend, view)?),
    };
    Ok(vec![("x".into(), x)])
}

fn mx_matmul(backend: &Backend, input: &TensorFile, args: &OpOptions) -> Result<Outputs> {
    let (fx, x) = fp8_bytes(input, "x")?;
    let (fw, w) = fp8_bytes(input, "w")?;
    let (sx, sw) = (scales(input, "x_scale")?, scales(input, "w_scale")?);
    let bias = match input.tensors.contains_key("bias") {
        true => Some(input.typed::<f32>("bias")?),
        false => None,
    };
    let xv = MxView {
        format: fx,
        elements: x.view(),
        scales: sx.view(),
    };
    let wv = MxView {
        format: fw,
        elements: w.view(),
        scales: sw.view(),
    };
    let b = bias.as_ref().map(|b| b.view());
    let y = match args.out_dtype.unwrap_or(OutDType::Bf16) {
        OutDType::F32 => out_tensor(ops::mx_matmul::<f32>(backend, xv, wv, b)?),
        OutDType::Bf16 => out_tensor(ops::mx_matmul::<bf16>(backend, xv, wv, b)?),
        OutDType::F16 => out_tensor(ops::mx_matmul::<f16>(backend, xv, wv, b)?),
    };
    Ok(vec![("y".into(), y)])
}

fn parse_block(text: &str) -> Result<[usize; 2]> {
    let parts: Vec<&str> = text.split(',').collect();
    let parsed: Option<Vec<usize>> = parts.iter().map(|p| p.trim().parse().ok()).collect();
    match parsed.as_deref() {
        Some(&[r, c]) if r > 0 && c > 0 => Ok([r, c]),
        _ => Err(Error::option(
            "--block",
            format!("expected two positive sizes `rows,cols`, got `{text}`"),
        )),
    }
}

fn fp8_block_dequant(backend: &Backend, input: &TensorFile, args: &OpOptions) -> Result<Outputs> {
    let block = parse_block(args.block.as_deref().unwrap_or("128,128"))?;
    let weight = input.typed::<E4M3>("weight")?;
    let scale = input.get("weight_scale_inv")?;
    let out = args.out_dtype.unwrap_or(OutDType::Bf16);
    let y = with_float!(scale.dtype, "weight_scale_inv", S => {
        let s = scale.to_tensor::<S>("weight_scale_inv")?;
        match out {
            OutDType::F32 => ops::fp8_block_dequant::<S, f32>(backend, weight.view(), s.view(), block).map(out_tensor),
            OutDType::Bf16 => ops::fp8_block_dequant::<S, bf16>(backend, weight.view(), s.view(), block).map(out_tensor),
            OutDType::F16 => ops::fp8_block_dequant::<S, f16>(backend, weight.view(), s.view(), block).map(out_tensor),
        }
    })?;
    Ok(vec![("y".into(), y)])
}

/// A mode option in the op's spelling, with the legacy flag that names one of its modes.
fn parse_mode<M: std::str::FromStr<Err = String> + Default + PartialEq + Copy>(
    args: &OpOptions,
    flag: Option<(&str, bool, M)>,
) -> Result<M> {
    let mode = match &args.mode {
        Some(text) => parse_value::<M>("mode", text)?,
        None => M::default(),
    };
    if let Some((name, true, implied)) = flag {
        if args.mode.is_some() && mode != implied {
            return Err(Error::option(
                name,
                format!("contradicts --mode {}", args.mode.as_deref().unwrap_or("")),
            ));
        }
        return Ok(implied);
    }
    Ok(mode)
}

fn rms_norm(backend: &Backend, input: &TensorFile, args: &OpOptions) -> Result<Outputs> {
    let mode: RmsNormMode = parse_mode(
        args,
        Some((
            "--weight-in-f32",
            args.weight_in_f32,
            RmsNormMode::WeightInF32,
        )),
    )?;
    let options = RmsNormOptions {
        eps: args.eps.unwrap_or(1e-6),
        mode,
    };
    let x = input.get("x")?;
    with_float!(x.dtype, "x", T => {
        let x = x.to_tensor::<T>("x")?;
        let weight = input.typed::<T>("weight")?;
        if input.tensors.contains_key("residual") {
            let residual = input.typed::<T>("residual")?;
            let (y, h) = ops::rms_norm_residual(backend, x.view(), residual.view(), weight.view(), &options)?;
            Ok(vec![("y".into(), out_tensor(y)), ("residual_out".into(), out_tensor(h))])
        } else if mode.ascend_target().is_some() {
            // what npu_rms_norm returns
            let (y, rstd) = ops::rms_norm_rstd(backend, x.view(), weight.view(), &options)?;
            Ok(vec![("y".into(), out_tensor(y)), ("rstd".into(), out_tensor(rstd))])
        } else {
            let y = ops::rms_norm(backend, x.view(), weight.view(), &options)?;
            Ok(vec![("y".into(), out_tensor(y))])
        }
    })
}

fn add_rms_norm(backend: &Backend, input: &TensorFile, args: &OpOptions) -> Result<Outputs> {
    let options = AddRmsNormOptions {
        eps: args.eps.unwrap_or(1e-6),
        mode: parse_mode::<AddRmsNormMode>(args, None)?,
    };
    let x1 = input.get("x1")?;
    with_float!(x1.dtype, "x1", T => {
        let x1 = x1.to_tensor::<T>("x1")?;
        let x2 = input.typed::<T>("x2")?;
        let gamma = input.typed::<T>("gamma")?;
        let out = ops::add_rms_norm(backend, x1.view(), x2.view(), gamma.view(), &options)?;
        Ok(vec![
            ("y".into(), out_tensor(out.y)),
            ("rstd".into(), out_tensor(out.rstd)),
            ("x".into(), out_tensor(out.x)),
        ])
    })
}

fn positions(input: &TensorFile) -> Result<Vec<i64>> {
    let raw = input.get("positions")?;
    let p = match raw.dtype {
        DType::I64 => raw.to_tensor::<i64>("positions")?.into_data(),
        DType::I32 => raw
            .to_tensor::<i32>("positions")?
            .into_data()
            .into_iter()
            .map(i64::from)
            .collect(),
        other => {
            return Err(Error::DType {
                tensor: "positions".to_string(),
                expected: "I32 or I64".to_string(),
                actual: other,
            })
        }
    };
    if raw.shape.len() != 1 {
        return Err(Error::shape("positions", "[T]", &raw.shape));
    }
    Ok(p)
}

fn rope_qk(backend: &Backend, input: &TensorFile, args: &OpOptions) -> Result<Outputs> {
    let positions = positions(input)?;
    let q = input.get("q")?;
    let head_dim = q.shape.last().copied().unwrap_or(0);
    let rotary_dim = args.rotary_dim.unwrap_or(head_dim);
    // Options against shapes first (cheap), then a cache of just the positions present.
    if rotary_dim > head_dim {
        return Err(Error::option(
            "--rotary-dim",
            format!("{rotary_dim} exceeds head_dim {head_dim} (the last axis of q)"),
        ));
    }
    let cache = RopeCache::for_positions(args.theta.unwrap_or(1e6), rotary_dim, &positions)?;
    let options = RopeOptions {
        mode: parse_mode(
            args,
            Some(("--f32-compute", args.f32_compute, RopeMode::F32Compute)),
        )?,
    };
    with_float!(q.dtype, "q", T => {
        let q = q.to_tensor::<T>("q")?;
        let k = input.typed::<T>("k")?;
        let (qo, ko) = ops::rope_qk(backend, q.view(), k.view(), &positions, &cache, &options)?;
        Ok(vec![("q_out".into(), out_tensor(qo)), ("k_out".into(), out_tensor(ko))])
    })
}

fn rotary_mul(backend: &Backend, input: &TensorFile, args: &OpOptions) -> Result<Outputs> {
    let mode = match &args.mode {
        Some(_) => parse_mode::<RopeMode>(args, None)?,
        None => RopeMode::AscendRotaryMul,
    };
    let x = input.get("x")?;
    with_float!(x.dtype, "x", T => {
        let x = x.to_tensor::<T>("x")?;
        let r1 = input.typed::<T>("r1")?;
        let r2 = input.typed::<T>("r2")?;
        let y = ops::rotary_mul(backend, x.view(), r1.view(), r2.view(), mode)?;
        Ok(vec![("y".into(), out_tensor(y))])
    })
}
