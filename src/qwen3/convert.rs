//! Checkpoint conversion (the library side of `ascend-kernels convert`):
//! FP8-block or MXFP8 → bf16 (`model.safetensors`, as transformers reads it), and bf16 or
//! FP8-block → MXFP8 in the msmodelslim W8A8_MXFP8 layout (`quant_model_weight_w8a8_mxfp8.safetensors`
//! + `quant_model_description.json`).
//!
//! To MXFP8, a weight is dequantized to bf16 first (FP8-block scales are not powers of two, so
//! there is no exact re-labelling) and quantized by [`ops::mx_quant`] with OCP floor scales, tiny
//! blocks scaled (not flushed, as msmodelslim's microxcaling port does) and the chosen element
//! rounding: `Round` (half away from zero) reproduces msmodelslim's export byte for byte, `Rint`
//! is what the Ascend `DynamicMxQuant` kernel would produce. An MXFP8 input converted to MXFP8 is
//! copied as it is. Embedding, norms and lm_head stay bf16 (`"FLOAT"`).

use super::checkpoint::{Checkpoint, Linear, LINEAR_NAMES};
use crate::backend::Backend;
use crate::error::{Error, Result};
use crate::files::ModelDir;
use crate::formats::{DType, RoundMode};
use crate::io::{serialize, write_atomic, RawTensor};
use crate::ops::{self, MxQuantOptions, ScaleAlg, TinyBlocks};
use crate::tensor::Tensor;
use half::bf16;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

/// The format to convert to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConvertTarget {
    /// Plain bf16 weights, `model.safetensors`.
    Bf16,
    /// msmodelslim W8A8_MXFP8.
    Mxfp8,
}

impl std::str::FromStr for ConvertTarget {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "bf16" => Ok(ConvertTarget::Bf16),
            "mxfp8" => Ok(ConvertTarget::Mxfp8),
            _ => Err(format!("unknown target `{s}` (expected bf16 or mxfp8)")),
        }
    }
}

/// Options of [`convert`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConvertOptions {
    /// The output format.
    pub to: ConvertTarget,
    /// Element rounding of the MXFP8 quantization: `Round` (msmodelslim, the default) or `Rint`.
    pub round: RoundMode,
    /// Replace an output directory that is not empty (otherwise refused).
    pub replace: bool,
}

impl Default for ConvertOptions {
    fn default() -> Self {
        ConvertOptions {
            to: ConvertTarget::Mxfp8,
            round: RoundMode::Round,
            replace: false,
        }
    }
}

/// What [`convert`] wrote.
#[derive(Clone, Debug, PartialEq)]
pub struct ConvertReport {
    /// Files written or copied, in order.
    pub files: Vec<PathBuf>,
    /// Linear weights converted.
    pub linears: usize,
}

/// The files of a checkpoint directory that are weights or describe weights (not copied).
fn is_weight_file(name: &str) -> bool {
    name == "config.json"
        || name.ends_with(".safetensors")
        || name.ends_with(".safetensors.index.json")
        || (name.starts_with("quant_model_description") && name.ends_with(".json"))
}

fn io_err(path: &Path, source: std::io::Error) -> Error {
    Error::Io {
        path: path.display().to_string(),
        source,
    }
}

fn raw_bf16(t: &Tensor<bf16>) -> RawTensor {
    RawTensor::from_tensor(t)
}

/// Converts the checkpoint in `input` into the directory `output` (which must differ from
/// `input`). `progress(done, total)` is called after each linear weight. Other regular files of
/// the input directory (tokenizer, generation config, ...) are copied; `config.json` is copied
/// without `quantization_config`.
///
/// All or nothing: the files are written into a fresh temporary directory beside `output`,
/// which is renamed to `output` only when everything succeeded, and removed on any error. An
/// `output` that exists must be an empty directory unless `options.replace` is set, in which
/// case the old directory is replaced whole (never merged: a directory never holds two
/// layouts).
pub fn convert(
    input: &Path,
    output: &Path,
    options: &ConvertOptions,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<ConvertReport> {
    if !matches!(options.round, RoundMode::Rint | RoundMode::Round) {
        return Err(Error::option(
            "round",
            format!("rint or round, not {}", options.round.name()),
        ));
    }
    let same = match (input.canonicalize(), output.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    if same {
        return Err(Error::option(
            "output",
            "must be another directory than the input",
        ));
    }
    let existing = check_target(output, options.replace)?;
    let ckpt = Checkpoint::load(input)?;
    let staging = Staging::create(output)?;
    let files = write_converted(&ckpt, input, staging.path(), options, progress)?;
    staging.commit(existing)?;
    Ok(ConvertReport {
        files: files.iter().map(|name| output.join(name)).collect(),
        linears: ckpt.layers.len() * LINEAR_NAMES.len() + usize::from(ckpt.lm_head.is_some()),
    })
}

/// What is at the output path now.
enum Existing {
    /// Nothing.
    Nothing,
    /// An empty directory.
    Empty,
    /// A directory with files, to be replaced.
    Replace,
}

fn check_target(output: &Path, replace: bool) -> Result<Existing> {
    match std::fs::symlink_metadata(output) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Existing::Nothing),
        Err(e) => Err(io_err(output, e)),
        Ok(m) if !m.is_dir() => Err(Error::option(
            "output",
            format!("{} exists and is not a directory", output.display()),
        )),
        Ok(_) => {
            let mut entries = std::fs::read_dir(output).map_err(|e| io_err(output, e))?;
            match (entries.next(), replace) {
                (None, _) => Ok(Existing::Empty),
                (Some(_), true) => Ok(Existing::Replace),
                (Some(_), false) => Err(Error::option(
                    "output",
                    format!(
                        "{} is not empty; pass --replace to replace it (its files are never \
                         merged with the new ones)",
                        output.display()
                    ),
                )),
            }
        }
    }
}

/// A fresh directory beside the output, removed unless committed.
struct Staging {
    dir: PathBuf,
    output: PathBuf,
    committed: bool,
}

impl Staging {
    fn create(output: &Path) -> Result<Self> {
        let parent = output
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        std::fs::create_dir_all(parent).map_err(|e| io_err(parent, e))?;
        let name = output
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_else(|| "output".into());
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        for attempt in 0..100u32 {
            let dir = parent.join(format!(
                ".{name}.converting-{}-{nanos}-{attempt}",
                std::process::id()
            ));
            match std::fs::create_dir(&dir) {
                Ok(()) => {
                    return Ok(Staging {
                        dir,
                        output: output.to_path_buf(),
                        committed: false,
                    })
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(io_err(&dir, e)),
            }
        }
        Err(Error::option(
            "output",
            format!(
                "cannot create a temporary directory in {}",
                parent.display()
            ),
        ))
    }

    fn path(&self) -> &Path {
        &self.dir
    }

    /// Renames the staging directory to the output, replacing what `existing` says is there.
    fn commit(mut self, existing: Existing) -> Result<()> {
        let out = self.output.clone();
        match existing {
            Existing::Nothing => {}
            Existing::Empty => {
                std::fs::remove_dir(&out).map_err(|e| io_err(&out, e))?;
            }
            Existing::Replace => {
                let old = self.dir.with_extension("replaced");
                std::fs::rename(&out, &old).map_err(|e| io_err(&out, e))?;
                if let Err(e) = std::fs::rename(&self.dir, &out) {
                    let _ = std::fs::rename(&old, &out);
                    return Err(io_err(&out, e));
                }
                self.committed = true;
                return std::fs::remove_dir_all(&old).map_err(|e| io_err(&old, e));
            }
        }
        std::fs::rename(&self.dir, &out).map_err(|e| io_err(&out, e))?;
        self.committed = true;
        Ok(())
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// Writes the converted checkpoint into `out` (a fresh directory); returns the file names.
fn write_converted(
    ckpt: &Checkpoint,
    input: &Path,
    out: &Path,
    options: &ConvertOptions,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Vec<String>> {
    let backend = Backend::Cpu;
    let mx_options = MxQuantOptions {
        scale_alg: ScaleAlg::Ocp,
        round: options.round,
        tiny_blocks: TinyBlocks::Scale,
        ..Default::default()
    };
    // The converted tensors are held together, then serialized into one buffer.
    let mut plan = crate::budget::Budget::current().plan("convert");

    let total = ckpt.layers.len() * LINEAR_NAMES.len() + usize::from(ckpt.lm_head.is_some());
    let mut done = 0;
    let mut tensors: Vec<(String, RawTensor)> = Vec::new();
    let mut description: BTreeMap<String, &str> = BTreeMap::new();
    let mut float = |name: String,
                     t: RawTensor,
                     tensors: &mut Vec<(String, RawTensor)>,
                     plan: &mut crate::budget::Plan|
     -> Result<()> {
        plan.bytes(&name, t.bytes.len() as u64)?;
        description.insert(name.clone(), "FLOAT");
        tensors.push((name, t));
        Ok(())
    };
    float(
        "model.embed_tokens.weight".into(),
        raw_bf16(&ckpt.embed),
        &mut tensors,
        &mut plan,
    )?;
    let mut quantized: Vec<String> = Vec::new();
    for (i, layer) in ckpt.layers.iter().enumerate() {
        let p = |n: &str| format!("model.layers.{i}.{n}.weight");
        for (name, t) in [
            ("input_layernorm", &layer.input_norm),
            ("post_attention_layernorm", &layer.post_norm),
            ("self_attn.q_norm", &layer.q_norm),
            ("self_attn.k_norm", &layer.k_norm),
        ] {
            float(p(name), raw_bf16(t), &mut tensors, &mut plan)?;
        }
        let linears = [
            &layer.q,
            &layer.k,
            &layer.v,
            &layer.o,
            &layer.gate,
            &layer.up,
            &layer.down,
        ];
        for (name, linear) in LINEAR_NAMES.iter().zip(linears) {
            let wname = p(name);
            match options.to {
                ConvertTarget::Bf16 => float(
                    wname,
                    raw_bf16(&linear.dequantize(&backend)?),
                    &mut tensors,
                    &mut plan,
                )?,
                ConvertTarget::Mxfp8 => {
                    let (w, s) = mx_export(linear, &backend, &mx_options)?;
                    let sname = format!("{}_scale", wname);
                    plan.bytes(&wname, w.bytes.len() as u64)?;
                    plan.bytes(&sname, s.bytes.len() as u64)?;
                    tensors.push((wname.clone(), w));
                    tensors.push((sname.clone(), s));
                    quantized.push(wname);
                    quantized.push(sname);
                }
            }
            done += 1;
            progress(done, total);
        }
    }
    float(
        "model.norm.weight".into(),
        raw_bf16(&ckpt.norm),
        &mut tensors,
        &mut plan,
    )?;
    if let Some(head) = &ckpt.lm_head {
        float(
            "lm_head.weight".into(),
            raw_bf16(&head.dequantize(&backend)?),
            &mut tensors,
            &mut plan,
        )?;
        done += 1;
        progress(done, total);
    }
    for name in quantized {
        description.insert(name, "W8A8_MXFP8");
    }

    let mut written = Vec::new();
    let mut meta = HashMap::new();
    meta.insert("format".to_string(), "pt".to_string());
    let weights_name = match options.to {
        ConvertTarget::Bf16 => "model.safetensors",
        ConvertTarget::Mxfp8 => "quant_model_weight_w8a8_mxfp8.safetensors",
    };
    let serialized_bytes: u64 = tensors.iter().map(|(_, t)| t.bytes.len() as u64).sum();
    plan.bytes("serialized weights", serialized_bytes)?;
    write_atomic(&out.join(weights_name), &serialize(&tensors, &meta)?)?;
    drop(tensors);
    written.push(weights_name.to_string());

    if options.to == ConvertTarget::Mxfp8 {
        let mut desc = serde_json::Map::new();
        desc.insert("version".into(), "1.0.0".into());
        desc.insert("model_quant_type".into(), "W8A8_MXFP8".into());
        desc.insert("group_size".into(), 32.into());
        desc.insert("metadata".into(), Value::Object(Default::default()));
        desc.insert("optional".into(), Value::Object(Default::default()));
        for (k, v) in description {
            desc.insert(k, v.into());
        }
        let name = "quant_model_description.json";
        let text = serde_json::to_string_pretty(&Value::Object(desc)).expect("JSON of strings");
        write_atomic(&out.join(name), format!("{text}\n").as_bytes())?;
        written.push(name.to_string());
    }

    // config.json without quantization_config (weights are bf16 or described by the description)
    let dir = ModelDir::open(input)?;
    let cfg_path = dir.join("config.json");
    let text = dir.read_text("config.json")?;
    let mut cfg: Value = serde_json::from_str(&text).map_err(|e| Error::Format {
        path: cfg_path.display().to_string(),
        reason: format!("not valid JSON: {e}"),
    })?;
    if let Some(obj) = cfg.as_object_mut() {
        obj.remove("quantization_config");
        let key = if obj.contains_key("torch_dtype") && !obj.contains_key("dtype") {
            "torch_dtype"
        } else {
            "dtype"
        };
        obj.insert(key.into(), "bfloat16".into());
    }
    let text = serde_json::to_string_pretty(&cfg).expect("JSON value");
    write_atomic(&out.join("config.json"), format!("{text}\n").as_bytes())?;
    written.push("config.json".to_string());

    // everything else (tokenizer, generation config, ...): regular files inside the input
    // directory (a link may point only inside it).
    for entry in dir.entries()? {
        if !entry.file_like || is_weight_file(&entry.name) || entry.name.starts_with('.') {
            continue;
        }
        let bytes = dir.read(&entry.name)?;
        write_atomic(&out.join(&entry.name), &bytes)?;
        written.push(entry.name);
    }
    Ok(written)
}

/// A linear weight as msmodelslim stores it: F8_E4M3 `[out, in]` and U8 `[out, ceil(in/32)]`.
fn mx_export(
    linear: &Linear,
    backend: &Backend,
    options: &MxQuantOptions,
) -> Result<(RawTensor, RawTensor)> {
    let mx = linear.to_mx(backend, options)?;
    let k = mx.elements.shape()[1];
    let blocks = ops::pair_scales_to_blocks(mx.scales.view(), k)?;
    let weight = RawTensor {
        dtype: DType::F8E4M3,
        shape: mx.elements.shape().to_vec(),
        bytes: mx.elements.data().to_vec(),
    };
    let scale = RawTensor {
        dtype: DType::U8,
        shape: blocks.shape().to_vec(),
        bytes: blocks.data().iter().map(|b| b.to_bits()).collect(),
    };
    Ok((weight, scale))
}
