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
}

impl Default for ConvertOptions {
    fn default() -> Self {
        ConvertOptions {
            to: ConvertTarget::Mxfp8,
            round: RoundMode::Round,
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

/// Converts the checkpoint in `input` into `output` (created if needed; must differ from
/// `input`). `progress(done, total)` is called after each linear weight. Other files of the
/// input directory (tokenizer, generation config, ...) are copied; `config.json` is copied
/// without `quantization_config`. Files are written atomically; the output directory's other
/// contents are left alone.
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
    let ckpt = Checkpoint::load(input)?;
    std::fs::create_dir_all(output).map_err(|e| io_err(output, e))?;
    let backend = Backend::Cpu;
    let mx_options = MxQuantOptions {
        scale_alg: ScaleAlg::Ocp,
        round: options.round,
        tiny_blocks: TinyBlocks::Scale,
        ..Default::default()
    };

    let total = ckpt.layers.len() * LINEAR_NAMES.len() + usize::from(ckpt.lm_head.is_some());
    let mut done = 0;
    let mut tensors: Vec<(String, RawTensor)> = Vec::new();
    let mut description: BTreeMap<String, &str> = BTreeMap::new();
    let mut float = |name: String, t: RawTensor, tensors: &mut Vec<(String, RawTensor)>| {
        description.insert(name.clone(), "FLOAT");
        tensors.push((name, t));
    };
    float(
        "model.embed_tokens.weight".into(),
        raw_bf16(&ckpt.embed),
        &mut tensors,
    );
    let mut quantized: Vec<String> = Vec::new();
    for (i, layer) in ckpt.layers.iter().enumerate() {
        let p = |n: &str| format!("model.layers.{i}.{n}.weight");
        float(
            p("input_layernorm"),
            raw_bf16(&layer.input_norm),
            &mut tensors,
        );
        float(
            p("post_attention_layernorm"),
            raw_bf16(&layer.post_norm),
            &mut tensors,
        );
        float(p("self_attn.q_norm"), raw_bf16(&layer.q_norm), &mut tensors);
        float(p("self_attn.k_norm"), raw_bf16(&layer.k_norm), &mut tensors);
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
                ConvertTarget::Bf16 => {
                    float(wname, raw_bf16(&linear.dequantize(&backend)?), &mut tensors)
                }
                ConvertTarget::Mxfp8 => {
                    let (w, s) = mx_export(linear, &backend, &mx_options)?;
                    let sname = format!("{}_scale", wname);
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
    );
    if let Some(head) = &ckpt.lm_head {
        float(
            "lm_head.weight".into(),
            raw_bf16(&head.dequantize(&backend)?),
            &mut tensors,
        );
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
    let path = output.join(weights_name);
    write_atomic(&path, &serialize(&tensors, &meta)?)?;
    written.push(path);

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
        let path = output.join("quant_model_description.json");
        let text = serde_json::to_string_pretty(&Value::Object(desc)).expect("JSON of strings");
        write_atomic(&path, format!("{text}\n").as_bytes())?;
        written.push(path);
    }

    // config.json without quantization_config (weights are bf16 or described by the description)
    let cfg_path = input.join("config.json");
    let text = std::fs::read_to_string(&cfg_path).map_err(|e| io_err(&cfg_path, e))?;
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
    let path = output.join("config.json");
    let text = serde_json::to_string_pretty(&cfg).expect("JSON value");
    write_atomic(&path, format!("{text}\n").as_bytes())?;
    written.push(path);

    // everything else (tokenizer, generation config, ...)
    let mut others: Vec<PathBuf> = std::fs::read_dir(input)
        .map_err(|e| io_err(input, e))?
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().map(|t| t.is_file()).unwrap_or(false))
        .filter(|e| {
            e.file_name()
                .to_str()
                .is_some_and(|n| !is_weight_file(n) && !n.starts_with('.'))
        })
        .map(|e| e.path())
        .collect();
    others.sort();
    for src in others {
        let dst = output.join(src.file_name().expect("a file"));
        let bytes = std::fs::read(&src).map_err(|e| io_err(&src, e))?;
        write_atomic(&dst, &bytes)?;
        written.push(dst);
    }
    Ok(ConvertReport {
        files: written,
        linears: total,
    })
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
