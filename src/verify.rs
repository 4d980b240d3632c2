//! Checking op outputs against independently produced golden fixtures (`tests/golden/ops/`):
//! the comparison rules and the fixture runner behind `ascend-kernels verify`.

use crate::error::{Error, Result};
use crate::formats::{DType, Fp8Format, E8M0};
use crate::io::{RawTensor, TensorFile};
use crate::ops;
use crate::runner::{run_op, OpName, OpOptions};
use crate::tensor::TensorView;
use crate::Backend;
use half::{bf16, f16};
use std::path::{Path, PathBuf};

/// How an output must agree with its expected tensor (fixture metadata `compare`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompareRule {
    /// Bit equality.
    Exact,
    /// Bit equality, except that any NaN matches any NaN.
    ExactNan,
    /// At most one ulp of the dtype apart (NaN matches NaN).
    Ulp1,
    /// Within the `mx_matmul` error bound of `docs/numerics.md` of the expected f32-accumulated
    /// result, and within half an output ulp of the exact result when the fixture has it.
    MatmulBound,
}

impl std::str::FromStr for CompareRule {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "exact" => Ok(CompareRule::Exact),
            "exact_nan" => Ok(CompareRule::ExactNan),
            "ulp1" => Ok(CompareRule::Ulp1),
            "matmul_bound" => Ok(CompareRule::MatmulBound),
            _ => Err(format!("unknown compare rule `{s}`")),
        }
    }
}

/// The outcome of comparing one output tensor.
#[derive(Clone, Debug, PartialEq)]
pub struct Comparison {
    /// The output's name.
    pub tensor: String,
    /// Elements compared.
    pub elements: usize,
    /// Elements with identical bits.
    pub identical: usize,
    /// Elements outside the rule.
    pub failures: usize,
    /// The first failure, described.
    pub first_failure: Option<String>,
}

impl Comparison {
    /// True when every element satisfies the rule.
    pub fn passed(&self) -> bool {
        self.failures == 0
    }
}

/// Every element as (bits widened to u64, value as f64).
fn elements(t: &RawTensor) -> Vec<(u64, f64)> {
    let b = &t.bytes;
    match t.dtype {
        DType::F32 => b
            .chunks_exact(4)
            .map(|c| {
                let u = u32::from_le_bytes(c.try_into().unwrap());
                (u as u64, f32::from_bits(u) as f64)
            })
            .collect(),
        DType::F64 => b
            .chunks_exact(8)
            .map(|c| {
                let u = u64::from_le_bytes(c.try_into().unwrap());
                (u, f64::from_bits(u))
            })
            .collect(),
        DType::BF16 => b
            .chunks_exact(2)
            .map(|c| {
                let u = u16::from_le_bytes([c[0], c[1]]);
                (u as u64, bf16::from_bits(u).to_f64())
            })
            .collect(),
        DType::F16 => b
            .chunks_exact(2)
            .map(|c| {
                let u = u16::from_le_bytes([c[0], c[1]]);
                (u as u64, f16::from_bits(u).to_f64())
            })
            .collect(),
        DType::F8E4M3 => b
            .iter()
            .map(|&u| (u as u64, Fp8Format::E4M3.decode(u) as f64))
            .collect(),
        DType::F8E5M2 => b
            .iter()
            .map(|&u| (u as u64, Fp8Format::E5M2.decode(u) as f64))
            .collect(),
        DType::F8E8M0 | DType::U8 => b
            .iter()
            .map(|&u| (u as u64, E8M0(u).to_f32() as f64))
            .collect(),
        DType::I32 => b
            .chunks_exact(4)
            .map(|c| {
                let v = i32::from_le_bytes(c.try_into().unwrap());
                (v as u32 as u64, v as f64)
            })
            .collect(),
        DType::I64 => b
            .chunks_exact(8)
            .map(|c| {
                let v = i64::from_le_bytes(c.try_into().unwrap());
                (v as u64, v as f64)
            })
            .collect(),
    }
}

/// Sign-magnitude bits mapped to a monotone integer line, so ulp distance is a difference.
fn ordered(bits: u64, width_bits: u32) -> i128 {
    let sign = 1u64 << (width_bits - 1);
    let magnitude = (bits & (sign - 1)) as i128;
    if bits & sign != 0 {
        -magnitude
    } else {
        magnitude
    }
}

/// One ulp of `dtype` at magnitude `v`.
fn ulp(dtype: DType, v: f64) -> f64 {
    let (mantissa_bits, emin) = match dtype {
        DType::F32 => (23, -126),
        DType::BF16 => (7, -126),
        DType::F16 => (10, -14),
        _ => (52, -1022),
    };
    let e = if v == 0.0 || !v.is_finite() {
        emin
    } else {
        (v.abs().log2().floor() as i32).max(emin)
    };
    2f64.powi(e - mantissa_bits)
}

/// Compares `got` with `expected` element by element under `rule`; `bound` gives the extra
/// absolute tolerance per element for [`CompareRule::MatmulBound`].
pub fn compare(
    name: &str,
    rule: CompareRule,
    got: &RawTensor,
    expected: &RawTensor,
    bound: Option<&[f64]>,
) -> Result<Comparison> {
    if got.dtype != expected.dtype || got.shape != expected.shape {
        return Err(Error::Shape {
            tensor: name.to_string(),
            expected: format!("{} {:?} (as the fixture)", expected.dtype, expected.shape),
            actual: got.shape.clone(),
        });
    }
    let width = (got.dtype.size() * 8) as u32;
    let (g, e) = (elements(got), elements(expected));
    let mut report = Comparison {
        tensor: name.to_string(),
        elements: g.len(),
        identical: 0,
        failures: 0,
        first_failure: None,
    };
    for (i, ((gb, gv), (eb, ev))) in g.iter().zip(&e).enumerate() {
        if gb == eb {
            report.identical += 1;
            continue;
        }
        let both_nan = gv.is_nan() && ev.is_nan();
        let ok = match rule {
            CompareRule::Exact => false,
            CompareRule::ExactNan => both_nan,
            CompareRule::Ulp1 => {
                both_nan
                    || (ordered(*gb, width) - ordered(*eb, width)).abs() <= 1
                    || bound.is_some_and(|b| (gv - ev).abs() <= b[i])
            }
            CompareRule::MatmulBound => {
                both_nan
                    || (gv.is_finite()
                        && ev.is_finite()
                        && (gv - ev).abs()
                            <= bound.map_or(0.0, |b| b[i]) + ulp(got.dtype, gv.abs().max(ev.abs())))
            }
        };
        if !ok {
            report.failures += 1;
            if report.first_failure.is_none() {
                report.first_failure = Some(format!(
                    "element {i}: got {gv:e} (bits {gb:#x}), expected {ev:e} (bits {eb:#x})"
                ));
            }
        }
    }
    Ok(report)
}

/// f32 rms-norm outputs: torch sums the f32 squares in its own order and its rsqrt is not
/// correctly rounded, while the reference sums in f64 and rounds once. Allowed per element:
/// gamma_H / 2 (an f32 sum of H squares, halved by the square root) plus four roundings,
/// relative to the value, plus one ulp.
fn f32_rms_allowance(expected: &RawTensor) -> Vec<f64> {
    let h = *expected.shape.last().unwrap_or(&1);
    let u = 2f64.powi(-24);
    let gamma = h as f64 * u / (1.0 - h as f64 * u);
    elements(expected)
        .into_iter()
        .map(|(_, v)| (gamma / 2.0 + 4.0 * u) * v.abs() + ulp(DType::F32, v))
        .collect()
}

/// The largest difference between two f32 evaluations of `cos(f32(p * inv_freq_i))` (or sin)
/// whose `inv_freq_i` may differ by one ulp (torch's f32 `pow` is not correctly rounded): the
/// angle moves by up to `p * ulp(inv_freq_i)` plus its own rounding, and each cos/sin may be
/// one ulp off.
fn trig_allowance(theta: f64, rotary_dim: usize, i: usize, p: f64) -> f64 {
    let inv_freq = 1.0 / theta.powf((2 * (i % (rotary_dim / 2))) as f64 / rotary_dim as f64);
    p * ulp(DType::F32, inv_freq) + 2.0 * ulp(DType::F32, p * inv_freq) + 2f64.powi(-23)
}

/// f32 rope outputs computed from our cos/sin table: `o1 = x1 cos - x2 sin` moves by at most
/// `(|x1| + |x2|) * trig_allowance`, plus one ulp of the result.
fn f32_rope_allowance(file: &TensorFile, input: &RawTensor, theta: f64) -> Result<Vec<f64>> {
    let d = *input.shape.last().unwrap_or(&1);
    let rotary_dim = match file.metadata.get("rotary_dim") {
        Some(r) => r.parse().unwrap_or(d),
        None => d,
    };
    let positions: Vec<f64> = elements(file.get("positions")?)
        .into_iter()
        .map(|(_, v)| v)
        .collect();
    let x: Vec<f64> = elements(input).into_iter().map(|(_, v)| v).collect();
    let per_token = x.len() / positions.len().max(1);
    let half = rotary_dim / 2;
    Ok((0..x.len())
        .map(|idx| {
            let (t, j) = (idx / per_token, idx % d);
            if j >= rotary_dim {
                return 0.0;
            }
            let pair = if j < half { idx + half } else { idx - half };
            (x[idx].abs() + x[pair].abs()) * trig_allowance(theta, rotary_dim, j, positions[t])
        })
        .collect())
}

/// `gamma_K * sum_k |x_k w_k| * |sx sw|` per output element (numerics.md, "mx_matmul").
fn matmul_bound(input: &TensorFile) -> Result<Vec<f64>> {
    let decode = |name: &str| -> Result<(Vec<usize>, Vec<f64>)> {
        let t = input.get(name)?;
        Ok((
            t.shape.clone(),
            elements(t).into_iter().map(|(_, v)| v).collect(),
        ))
    };
    let ((xs, x), (ws, w)) = (decode("x")?, decode("w")?);
    let (sx, sw) = (decode("x_scale")?.1, decode("w_scale")?.1);
    let (m, k, n) = (xs[0], xs[1], ws[0]);
    let row = k.div_ceil(64) * 2;
    let u = 2f64.powi(-24);
    let gamma = k as f64 * u / (1.0 - k as f64 * u);
    let mut out = vec![0.0; m * n];
    for i in 0..m {
        for j in 0..n {
            let s: f64 = (0..k)
                .map(|t| {
                    (x[i * k + t] * w[j * k + t] * sx[i * row + t / 32] * sw[j * row + t / 32])
                        .abs()
                })
                .sum();
            out[i * n + j] = gamma * s;
        }
    }
    Ok(out)
}

/// The result of one fixture file.
#[derive(Clone, Debug)]
pub struct FixtureResult {
    /// The file.
    pub path: PathBuf,
    /// The op it exercises.
    pub op: OpName,
    /// One comparison per expected tensor.
    pub comparisons: Vec<Comparison>,
    /// Why the fixture was not run on this backend (its mode reproduces another target's
    /// operator, metadata `sim_targets`), if it was not.
    pub skipped: Option<String>,
}

impl FixtureResult {
    /// True when every comparison passed.
    pub fn passed(&self) -> bool {
        self.comparisons.iter().all(Comparison::passed)
    }
}

fn metadata<'a>(file: &'a TensorFile, key: &str) -> Result<&'a str> {
    file.metadata
        .get(key)
        .map(String::as_str)
        .ok_or_else(|| Error::Format {
            path: file.path.clone(),
            reason: format!("fixture metadata has no `{key}`"),
        })
}

fn parse_meta<T: std::str::FromStr<Err = String>>(file: &TensorFile, key: &str) -> Result<T> {
    metadata(file, key)?
        .parse()
        .map_err(|reason| Error::Format {
            path: file.path.clone(),
            reason,
        })
}

/// Runs the op a fixture names on `backend` and compares every `expected.*` tensor.
pub fn check_fixture(backend: &Backend, path: &Path) -> Result<FixtureResult> {
    let file = TensorFile::read(path)?;
    let op: OpName = parse_meta(&file, "op")?;
    if let (Backend::Sim(cfg), Some(targets)) = (backend, file.metadata.get("sim_targets")) {
        let listed = targets.split(',').any(|t| t.trim() == cfg.target.name());
        if !listed {
            return Ok(FixtureResult {
                path: path.to_path_buf(),
                op,
                comparisons: Vec::new(),
                skipped: Some(format!(
                    "the fixture holds on the sim targets `{targets}` only, not {}",
                    cfg.target
                )),
            });
        }
    }
    let rule: CompareRule = parse_meta(&file, "compare")?;
    let options = OpOptions::from_strings(&file.metadata)?;
    let outputs = run_op(backend, op, &file, &options)?;
    let mut comparisons = Vec::new();
    for (name, got) in &outputs {
        let expected = file.get(&format!("expected.{name}"))?;
        let bound = match (rule, op, got.dtype) {
            (CompareRule::MatmulBound, _, _) => Some(matmul_bound(&file)?),
            (CompareRule::Ulp1, OpName::RmsNorm, DType::F32) => Some(f32_rms_allowance(expected)),
            (CompareRule::Ulp1, OpName::RopeQk, DType::F32) => {
                let input = file.get(if name == "q_out" { "q" } else { "k" })?;
                Some(f32_rope_allowance(
                    &file,
                    input,
                    options.theta.unwrap_or(1e6),
                )?)
            }
            _ => None,
        };
        comparisons.push(compare(name, rule, got, expected, bound.as_deref())?);
    }
    comparisons.extend(extra_checks(backend, op, &file, &outputs)?);
    Ok(FixtureResult {
        path: path.to_path_buf(),
        op,
        comparisons,
        skipped: None,
    })
}

/// Fixture tensors beyond the op's outputs: the exact matmul result (the CPU reference only:
/// other backends accumulate in f32 and are held to the `matmul_bound` rule), the msmodelslim
/// scale layout, the RoPE tables.
fn extra_checks(
    backend: &Backend,
    op: OpName,
    file: &TensorFile,
    outputs: &[(String, RawTensor)],
) -> Result<Vec<Comparison>> {
    let output = |name: &str| outputs.iter().find(|(n, _)| n == name).map(|(_, t)| t);
    let mut out = Vec::new();
    match op {
        OpName::MxMatmul if *backend == Backend::Cpu => {
            if let (Some(exact), Some(y)) = (file.tensors.get("expected.y_f64"), output("y")) {
                // The reference is the best answer: half an output ulp from the exact sum.
                let exact_vals: Vec<f64> = elements(exact).into_iter().map(|(_, v)| v).collect();
                let got: Vec<f64> = elements(y).into_iter().map(|(_, v)| v).collect();
                let mut c = Comparison {
                    tensor: "y vs expected.y_f64".into(),
                    elements: got.len(),
                    identical: 0,
                    failures: 0,
                    first_failure: None,
                };
                for (i, (g, e)) in got.iter().zip(&exact_vals).enumerate() {
                    let ok = (g.is_nan() && e.is_nan())
                        || g == e
                        || (g - e).abs() <= ulp(y.dtype, e.abs()) / 2.0 * (1.0 + 1e-9);
                    c.identical += (g == e) as usize;
                    if !ok {
                        c.failures += 1;
                        c.first_failure
                            .get_or_insert(format!("element {i}: got {g:e}, exact {e:e}"));
                    }
                }
                out.push(c);
            }
        }
        OpName::MxQuant => {
            if let (Some(blocks), Some(scale), Some(x)) = (
                file.tensors.get("expected.scale_blocks"),
                output("scale"),
                file.tensors.get("x"),
            ) {
                let k = *x.shape.last().unwrap_or(&0);
                let pair = scale.to_tensor::<E8M0>("scale")?;
                let ours = ops::pair_scales_to_blocks(pair.view(), k)?;
                let mut raw = RawTensor::from_tensor(&ours);
                raw.dtype = blocks.dtype;
                out.push(compare(
                    "scale_blocks",
                    CompareRule::Exact,
                    &raw,
                    blocks,
                    None,
                )?);
            }
        }
        OpName::RopeQk => out.extend(rope_table_checks(file)?),
        _ => {}
    }
    Ok(out)
}

/// Our cos/sin cache at the fixture's positions against the tables the reference produced.
fn rope_table_checks(file: &TensorFile) -> Result<Vec<Comparison>> {
    let (Some(cos_f32), Some(sin_f32)) = (
        file.tensors.get("expected.cos_f32"),
        file.tensors.get("expected.sin_f32"),
    ) else {
        return Ok(Vec::new());
    };
    let theta: f64 = metadata(file, "theta")?
        .parse()
        .map_err(|_| Error::Format {
            path: file.path.clone(),
            reason: "theta is not a number".into(),
        })?;
    let &[_, rotary_dim] = cos_f32.shape.as_slice() else {
        return Err(Error::shape(
            "expected.cos_f32",
            "[T, rotary_dim]",
            &cos_f32.shape,
        ));
    };
    let positions: Vec<i64> = elements(file.get("positions")?)
        .into_iter()
        .map(|(_, v)| v as i64)
        .collect();
    let cache = ops::RopeCache::for_positions(theta, rotary_dim, &positions)?;
    let half = rotary_dim / 2;
    let (mut cos, mut sin) = (Vec::new(), Vec::new());
    for &p in &positions {
        let row = cache.row(p).ok_or_else(|| Error::InvalidValue {
            tensor: "positions".into(),
            reason: format!("position {p} not in the cache"),
        })?;
        // The reference tables repeat the half-table twice (HF's cat(freqs, freqs)).
        for i in 0..rotary_dim {
            cos.push(row[i % half]);
            sin.push(row[half + i % half]);
        }
    }
    let shape = [positions.len(), rotary_dim];
    let as_raw = |v: &[f32]| -> Result<RawTensor> {
        Ok(RawTensor::from_tensor(
            &TensorView::new(&shape, v)?.to_tensor(),
        ))
    };
    let bound: Vec<f64> = positions
        .iter()
        .flat_map(|&p| (0..rotary_dim).map(move |i| trig_allowance(theta, rotary_dim, i, p as f64)))
        .collect();
    Ok(vec![
        compare(
            "cos_f32",
            CompareRule::Ulp1,
            &as_raw(&cos)?,
            cos_f32,
            Some(&bound),
        )?,
        compare(
            "sin_f32",
            CompareRule::Ulp1,
            &as_raw(&sin)?,
            sin_f32,
            Some(&bound),
        )?,
    ])
}

/// All fixture files under `dir` (recursively), sorted.
pub fn fixture_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let entries = std::fs::read_dir(&d).map_err(|source| Error::Io {
            path: d.display().to_string(),
            source,
        })?;
        for entry in entries {
            let path = entry
                .map_err(|source| Error::Io {
                    path: d.display().to_string(),
                    source,
                })?
                .path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "safetensors") {
                files.push(path);
            }
        }
    }
    files.sort();
    Ok(files)
}
