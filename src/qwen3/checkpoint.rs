//! Loading Qwen3 checkpoints: `config.json` plus memory-mapped safetensors (one file or shards
//! with an index), in the three formats of `shared/docs/qwen3.md`:
//!
//! | format | recognised by | linear weights |
//! |---|---|---|
//! | bf16 / f16 / f32 | no `quantization_config`, no `quant_model_description*.json` | plain |
//! | FP8 block | `quantization_config.quant_method == "fp8"` | `weight` F8_E4M3 + `weight_scale_inv` F32/BF16/F16 |
//! | MXFP8 (msmodelslim) | `quant_model_description*.json` | `weight` F8_E4M3 + `weight_scale` U8/F8_E8M0 `[out, ceil(in/32)]` |
//!
//! The loader is strict: a weight is quantized iff its sibling scale exists, every scale has
//! its weight, every shape matches the config, every scale grid matches its weight, and every
//! tensor of the files is accounted for. Anything else is an [`Error`] naming the tensor
//! (or the file, for a truncated or malformed one); nothing is guessed.

use super::config::{QuantizationConfig, Qwen3Config};
use super::forward::{LayerWeights, LinearWeight, Mode, ModelWeights};
use crate::backend::Backend;
use crate::error::{Error, Result};
use crate::files::ModelDir;
use crate::formats::{DType, Fp8Format, E4M3, E8M0};
use crate::ops::{self, MxQuantOptions, MxTensor, MX_BLOCK};
use crate::tensor::Tensor;
use half::{bf16, f16};
use memmap2::Mmap;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The checkpoint formats the loader reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CheckpointFormat {
    /// Plain floating-point weights; the dtype of the embedding (BF16, F16 or F32).
    Dense(DType),
    /// HF "fp8" block quantization with `[out, in]` tiles of `block`.
    Fp8Block {
        /// `weight_block_size`.
        block: [usize; 2],
    },
    /// msmodelslim W8A8_MXFP8: E4M3 weights, E8M0 scales per 32 elements along `in`.
    Mxfp8,
}

/// One linear layer's weight `[out, in]` as the checkpoint stores it.
#[derive(Clone, Debug, PartialEq)]
pub enum Linear {
    /// Floating-point weight (F16/F32 checkpoints are rounded to bf16, RNE, at load).
    Dense(Tensor<bf16>),
    /// FP8-block weight: `weight` `[out, in]` and its multiplier grid
    /// `scale_inv` `[ceil(out/block[0]), ceil(in/block[1])]` (BF16/F16 scales widened exactly).
    Fp8Block {
        /// E4M3 elements.
        weight: Tensor<E4M3>,
        /// `weight_scale_inv`.
        scale_inv: Tensor<f32>,
        /// The tile.
        block: [usize; 2],
    },
    /// MXFP8 weight: `weight` `[out, in]` and E8M0 scales in the checkpoint (block) layout
    /// `[out, ceil(in/32)]`; [`Linear::to_mx`] converts to the Ascend pair layout.
    Mxfp8 {
        /// E4M3 elements.
        weight: Tensor<E4M3>,
        /// `weight_scale`.
        scale: Tensor<E8M0>,
    },
}

impl Linear {
    /// `[out, in]`.
    pub fn shape(&self) -> &[usize] {
        match self {
            Linear::Dense(w) => w.shape(),
            Linear::Fp8Block { weight, .. } | Linear::Mxfp8 { weight, .. } => weight.shape(),
        }
    }

    /// The weight in bf16: a copy of a dense weight, or `fp8_block_dequant` / `mx_dequant` on
    /// `backend` (an f32 product rounded once to bf16).
    pub fn dequantize(&self, backend: &Backend) -> Result<Tensor<bf16>> {
        match self {
            Linear::Dense(w) => Ok(w.clone()),
            Linear::Fp8Block {
                weight,
                scale_inv,
                block,
            } => ops::fp8_block_dequant::<f32, bf16>(
                backend,
                weight.view(),
                scale_inv.view(),
                *block,
            ),
            Linear::Mxfp8 { .. } => {
                let mx = self.to_mx(backend, &MxQuantOptions::default())?;
                ops::mx_dequant::<bf16>(backend, mx.view())
            }
        }
    }

    /// The weight as an MXFP8 tensor with pair-layout scales. An MXFP8 weight is taken as it is
    /// (scales re-laid out by `block_scales_to_pair`, `options` unused); a dense or FP8-block
    /// weight is dequantized to bf16 and quantized by `mx_quant` with `options` (FP8-block
    /// scales are not powers of two, so there is no exact re-labelling).
    pub fn to_mx(&self, backend: &Backend, options: &MxQuantOptions) -> Result<MxTensor> {
        match self {
            Linear::Mxfp8 { weight, scale } => Ok(MxTensor {
                format: Fp8Format::E4M3,
                elements: Tensor::new(
                    weight.shape().to_vec(),
                    bytemuck::cast_slice(weight.data()).to_vec(),
                )?,
                scales: ops::block_scales_to_pair(scale.view())?,
            }),
            _ => {
                let w = self.dequantize(backend)?;
                ops::mx_quant(backend, w.view(), options)
            }
        }
    }

    /// The forward's weight for `mode`: bf16 (dequantized at load) for [`Mode::Dequant`], MXFP8
    /// (taken as is, or quantized online with `options`) for the MXFP8 modes.
    pub fn into_linear_weight(
        self,
        mode: Mode,
        backend: &Backend,
        options: &MxQuantOptions,
    ) -> Result<LinearWeight> {
        Ok(match mode {
            Mode::Dequant => match self {
                Linear::Dense(w) => LinearWeight::Dense(w),
                other => LinearWeight::Dense(other.dequantize(backend)?),
            },
            Mode::W8A8Mxfp8 | Mode::W8A16Mxfp8 => LinearWeight::Mx(self.to_mx(backend, options)?),
        })
    }
}

/// One decoder layer as the checkpoint stores it (names under `model.layers.{i}.`).
#[derive(Clone, Debug, PartialEq)]
pub struct Layer {
    /// `input_layernorm.weight` `[hidden]`.
    pub input_norm: Tensor<bf16>,
    /// `self_attn.q_proj` `[heads*head_dim, hidden]`.
    pub q: Linear,
    /// `self_attn.k_proj` `[kv_heads*head_dim, hidden]`.
    pub k: Linear,
    /// `self_attn.v_proj` `[kv_heads*head_dim, hidden]`.
    pub v: Linear,
    /// `self_attn.o_proj` `[hidden, heads*head_dim]`.
    pub o: Linear,
    /// `self_attn.q_norm.weight` `[head_dim]`.
    pub q_norm: Tensor<bf16>,
    /// `self_attn.k_norm.weight` `[head_dim]`.
    pub k_norm: Tensor<bf16>,
    /// `post_attention_layernorm.weight` `[hidden]`.
    pub post_norm: Tensor<bf16>,
    /// `mlp.gate_proj` `[intermediate, hidden]`.
    pub gate: Linear,
    /// `mlp.up_proj` `[intermediate, hidden]`.
    pub up: Linear,
    /// `mlp.down_proj` `[hidden, intermediate]`.
    pub down: Linear,
}

/// A loaded checkpoint: the config and every weight, checked against it.
#[derive(Clone, Debug)]
pub struct Checkpoint {
    /// The parsed `config.json`.
    pub config: Qwen3Config,
    /// The detected format.
    pub format: CheckpointFormat,
    /// `model.embed_tokens.weight` `[vocab, hidden]`.
    pub embed: Tensor<bf16>,
    /// The decoder layers, `num_hidden_layers` of them.
    pub layers: Vec<Layer>,
    /// `model.norm.weight` `[hidden]`.
    pub norm: Tensor<bf16>,
    /// `lm_head.weight` `[vocab, hidden]`; `None` when tied to the embedding.
    pub lm_head: Option<Linear>,
    /// The safetensors files read, in order.
    pub files: Vec<PathBuf>,
}

/// The names of a layer's seven linears, in [`Layer`] order.
pub const LINEAR_NAMES: [&str; 7] = [
    "self_attn.q_proj",
    "self_attn.k_proj",
    "self_attn.v_proj",
    "self_attn.o_proj",
    "mlp.gate_proj",
    "mlp.up_proj",
    "mlp.down_proj",
];

impl Checkpoint {
    /// Loads the checkpoint in `dir` (`config.json` plus the weight files of its format).
    pub fn load(dir: &Path) -> Result<Self> {
        let mdir = ModelDir::open(dir)?;
        let config = Qwen3Config::from_json_str(
            &mdir.join("config.json").display().to_string(),
            &mdir.read_text("config.json")?,
        )?;
        let found = find_weight_files(&mdir)?;
        let format = match (&found.description, &config.quantization) {
            (Some(d), Some(_)) => {
                return Err(Error::Format {
                    path: mdir.join(d).display().to_string(),
                    reason: "an MXFP8 description next to a config.json with a \
                             quantization_config: ambiguous format"
                        .into(),
                })
            }
            (Some(_), None) => CheckpointFormat::Mxfp8,
            (None, Some(QuantizationConfig::Fp8Block { block })) => {
                CheckpointFormat::Fp8Block { block: *block }
            }
            (None, None) => CheckpointFormat::Dense(DType::BF16), // refined from the embedding
        };
        let store = TensorStore::open(&mdir, &found)?;
        let description = match &found.description {
            Some(p) => Some(Description::read(&mdir, p)?),
            None => None,
        };
        Loader {
            store,
            config: &config,
            format,
            description,
            used: BTreeSet::new(),
            plan: crate::budget::Budget::current().plan("checkpoint"),
        }
        .load(config.clone())
    }

    /// The forward's weights for `mode` (see [`Linear::into_linear_weight`]); `lm_head` stays bf16
    /// in every mode (dequantized if the checkpoint quantized it), as msmodelslim and HF keep it.
    pub fn into_weights(
        self,
        mode: Mode,
        backend: &Backend,
        options: &MxQuantOptions,
    ) -> Result<ModelWeights> {
        let conv = |l: Linear| l.into_linear_weight(mode, backend, options);
        let layers = self
            .layers
            .into_iter()
            .map(|l| {
                Ok(LayerWeights {
                    input_norm: l.input_norm,
                    q: conv(l.q)?,
                    k: conv(l.k)?,
                    v: conv(l.v)?,
                    o: conv(l.o)?,
                    q_norm: l.q_norm,
                    k_norm: l.k_norm,
                    post_norm: l.post_norm,
                    gate: conv(l.gate)?,
                    up: conv(l.up)?,
                    down: conv(l.down)?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let lm_head = match self.lm_head {
            Some(h) => Some(LinearWeight::Dense(h.dequantize(backend)?)),
            None => None,
        };
        Ok(ModelWeights {
            embed: self.embed,
            layers,
            norm: self.norm,
            lm_head,
        })
    }
}

// ------------------------------------------------------------------------------------ files

/// The weight files of a checkpoint directory (file names inside it).
#[derive(Debug)]
struct FoundFiles {
    /// `quant_model_description*.json` (MXFP8).
    description: Option<String>,
    /// The shard index, if sharded.
    index: Option<String>,
    /// The single weight file, if not sharded.
    single: Option<String>,
    /// Every weight file of the layout's naming (each must be the single file or listed by
    /// the index).
    weights: Vec<String>,
}

fn io_err(path: &Path, source: std::io::Error) -> Error {
    Error::Io {
        path: path.display().to_string(),
        source,
    }
}

fn format_err(path: &Path, reason: impl Into<String>) -> Error {
    Error::Format {
        path: path.display().to_string(),
        reason: reason.into(),
    }
}

/// The layout a weight-file name belongs to: `Some(true)` msmodelslim (`quant_model_weight*`,
/// `quant_model_description*.json`), `Some(false)` transformers (`model.safetensors`,
/// `model-*.safetensors`, `model.safetensors.index.json`), `None` neither (tokenizer, other
/// `.safetensors` such as adapters or fixtures, which the loader never reads).
fn layout_of(name: &str) -> Option<bool> {
    let weights = name.ends_with(".safetensors") || name.ends_with(".safetensors.index.json");
    let description = name.starts_with("quant_model_description") && name.ends_with(".json");
    if description || (weights && name.starts_with("quant_model_weight")) {
        Some(true)
    } else if weights && (name.starts_with("model.safetensors") || name.starts_with("model-")) {
        Some(false)
    } else {
        None
    }
}

/// Finds the weight files and refuses an ambiguous directory: two layouts side by side, a
/// shard index beside a weight file it does not list (checked once the index is read, in
/// [`TensorStore::open`]), or several single files; each error names the files in conflict.
fn find_weight_files(dir: &ModelDir) -> Result<FoundFiles> {
    let names: Vec<String> = dir
        .entries()?
        .into_iter()
        .filter(|e| e.file_like)
        .map(|e| e.name)
        .collect();
    let of_layout =
        |ms: bool| -> Vec<&String> { names.iter().filter(|n| layout_of(n) == Some(ms)).collect() };
    let (ms, hf) = (of_layout(true), of_layout(false));
    if let (Some(a), Some(b)) = (ms.first(), hf.first()) {
        return Err(format_err(
            dir.path(),
            format!(
                "two checkpoint layouts side by side: {a} (msmodelslim MXFP8) and {b} \
                 (transformers); remove one (a directory written by `convert` holds only one)"
            ),
        ));
    }
    let only = |found: Vec<&String>, what: &str| -> Result<Option<String>> {
        match found.as_slice() {
            [] => Ok(None),
            [one] => Ok(Some(one.to_string())),
            many => Err(format_err(
                dir.path(),
                format!(
                    "more than one {what}: {}",
                    many.iter()
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )),
        }
    };
    fn index_of<'a>(list: &[&'a String]) -> Vec<&'a String> {
        list.iter()
            .copied()
            .filter(|n| n.ends_with(".safetensors.index.json"))
            .collect()
    }
    let weights_of = |list: &[&String]| -> Vec<String> {
        list.iter()
            .filter(|n| n.ends_with(".safetensors"))
            .map(|n| n.to_string())
            .collect()
    };
    let (description, list, what) = if ms.is_empty() {
        (None, &hf, "model*.safetensors")
    } else {
        let d = only(
            ms.iter()
                .copied()
                .filter(|n| n.starts_with("quant_model_description"))
                .collect(),
            "quant_model_description*.json",
        )?;
        let Some(d) = d else {
            return Err(format_err(
                dir.path(),
                format!(
                    "{} without a quant_model_description*.json",
                    ms.first().map_or("", |s| s.as_str())
                ),
            ));
        };
        (Some(d), &ms, "quant_model_weight*.safetensors")
    };
    let index = only(index_of(list), &format!("{what}.index.json"))?;
    let weights = weights_of(list);
    let single = match &index {
        Some(_) => None,
        None => match weights.as_slice() {
            [] => {
                return Err(io_err(
                    &dir.join(if description.is_some() {
                        "quant_model_weight_w8a8_mxfp8.safetensors"
                    } else {
                        "model.safetensors"
                    }),
                    std::io::Error::new(
                        std::io::ErrorKind::NotFound,
                        "no model.safetensors, model.safetensors.index.json or \
                         quant_model_description*.json with its weights in the checkpoint \
                         directory",
                    ),
                ))
            }
            [one] if description.is_some() || one == "model.safetensors" => Some(one.clone()),
            many => {
                return Err(format_err(
                    dir.path(),
                    format!(
                        "{} without a shard index: ambiguous (expected one {}, or an index \
                         listing the shards)",
                        many.join(", "),
                        if description.is_some() {
                            "quant_model_weight*.safetensors"
                        } else {
                            "model.safetensors"
                        }
                    ),
                ))
            }
        },
    };
    Ok(FoundFiles {
        description,
        index,
        single,
        weights,
    })
}

/// Where a tensor lives: file, dtype, shape and absolute byte range in the mapping.
#[derive(Clone, Debug)]
struct Entry {
    file: usize,
    dtype: DType,
    shape: Vec<usize>,
    start: usize,
    end: usize,
}

/// Memory-mapped safetensors files and the tensors they hold.
struct TensorStore {
    maps: Vec<(PathBuf, Mmap)>,
    entries: BTreeMap<String, Entry>,
    source: String,
}

fn read_json(dir: &ModelDir, name: &str) -> Result<Value> {
    let text = dir.read_text(name)?;
    serde_json::from_str(&text)
        .map_err(|e| format_err(&dir.join(name), format!("not valid JSON: {e}")))
}

impl TensorStore {
    fn open(dir: &ModelDir, found: &FoundFiles) -> Result<Self> {
        let mut store = TensorStore {
            maps: Vec::new(),
            entries: BTreeMap::new(),
            source: dir.path().display().to_string(),
        };
        let index_name = match (&found.single, &found.index) {
            (Some(single), _) => {
                store.add_file(dir, single)?;
                return Ok(store);
            }
            (None, Some(index)) => index,
            (None, None) => return Err(format_err(dir.path(), "no weight file")),
        };
        let index_path = dir.join(index_name);
        let index_path = &index_path;
        let index = read_json(dir, index_name)?;
        let Some(map) = index.get("weight_map").and_then(Value::as_object) else {
            return Err(format_err(index_path, "no weight_map object"));
        };
        let mut wanted: BTreeMap<String, String> = BTreeMap::new();
        for (tensor, file) in map {
            let Some(file) = file.as_str() else {
                return Err(format_err(
                    index_path,
                    format!("weight_map[{tensor}] is not a file name"),
                ));
            };
            if file.contains('/') || file.contains('\\') || file == ".." || file.is_empty() {
                return Err(format_err(
                    index_path,
                    format!("weight_map[{tensor}] = `{file}` is not a file in the directory"),
                ));
            }
            wanted.insert(tensor.clone(), file.to_string());
        }
        let files: BTreeSet<&String> = wanted.values().collect();
        if let Some(stray) = found.weights.iter().find(|w| !files.contains(w)) {
            return Err(format_err(
                dir.path(),
                format!(
                    "shard index {index_name} beside {stray}, a weight file it does not list: \
                     ambiguous (remove one)"
                ),
            ));
        }
        for file in files {
            let path = dir.join(file);
            let before: BTreeSet<String> = store.entries.keys().cloned().collect();
            store.add_file(dir, file)?;
            for name in store.entries.keys() {
                if !before.contains(name) && wanted.get(name) != Some(file) {
                    return Err(Error::UnexpectedTensor {
                        tensor: name.clone(),
                        source_name: format!(
                            "{} (not mapped to this file by {})",
                            path.display(),
                            index_path.display()
                        ),
                    });
                }
            }
        }
        for (tensor, file) in &wanted {
            if !store.entries.contains_key(tensor) {
                return Err(Error::MissingTensor {
                    tensor: tensor.clone(),
                    source_name: format!(
                        "{} (where {} maps it)",
                        dir.join(file).display(),
                        index_path.display()
                    ),
                });
            }
        }
        Ok(store)
    }

    fn add_file(&mut self, dir: &ModelDir, name: &str) -> Result<()> {
        let (file, _, path) = dir.open_file(name)?;
        let path = &path;
        // SAFETY: the mapping is read-only and private to this process; the checkpoint files are
        // not expected to be modified while loaded (a concurrent truncation by another process
        // could fault, as it would for any mmap-based loader). Every read goes through the
        // offsets validated below against the mapping's length.
        let map = unsafe { Mmap::map(&file) }.map_err(|e| io_err(path, e))?;
        let (n, metadata) = safetensors::SafeTensors::read_metadata(&map)
            .map_err(|e| format_err(path, format!("not a valid safetensors file: {e}")))?;
        let base = 8 + n;
        let idx = self.maps.len();
        for (name, info) in metadata.tensors() {
            let dtype = crate::io::to_dtype(info.dtype).ok_or_else(|| {
                format_err(
                    path,
                    format!("tensor {name}: unsupported dtype {:?}", info.dtype),
                )
            })?;
            let (s, e) = info.data_offsets;
            if base + e > map.len() {
                return Err(format_err(
                    path,
                    format!("tensor {name}: data past the end"),
                ));
            }
            if self.entries.contains_key(&name) {
                return Err(format_err(
                    path,
                    format!("tensor {name} is also in another weight file"),
                ));
            }
            self.entries.insert(
                name,
                Entry {
                    file: idx,
                    dtype,
                    shape: info.shape.clone(),
                    start: base + s,
                    end: base + e,
                },
            );
        }
        self.maps.push((path.to_path_buf(), map));
        Ok(())
    }

    fn bytes(&self, e: &Entry) -> &[u8] {
        &self.maps[e.file].1[e.start..e.end]
    }

    fn file_of(&self, e: &Entry) -> String {
        self.maps[e.file].0.display().to_string()
    }
}

// ------------------------------------------------------------------------------ description

/// `quant_model_description*.json`: the per-tensor quantization types of an msmodelslim export.
struct Description {
    path: PathBuf,
    types: BTreeMap<String, String>,
}

const DESCRIPTION_HEADER: [&str; 5] = [
    "version",
    "model_quant_type",
    "group_size",
    "metadata",
    "optional",
];

impl Description {
    fn read(dir: &ModelDir, name: &str) -> Result<Self> {
        let path = &dir.join(name);
        let v = read_json(dir, name)?;
        let Value::Object(obj) = v else {
            return Err(format_err(path, "not a JSON object"));
        };
        if let Some(g) = obj.get("group_size").filter(|g| !g.is_null()) {
            if g.as_u64() != Some(MX_BLOCK as u64) {
                return Err(Error::Unsupported {
                    source_name: path.display().to_string(),
                    feature: "group_size".into(),
                    reason: format!("{g} (MXFP8 blocks are 32 elements)"),
                });
            }
        }
        let mut types = BTreeMap::new();
        for (k, v) in obj {
            if DESCRIPTION_HEADER.contains(&k.as_str()) {
                continue;
            }
            match v {
                Value::String(s) => {
                    types.insert(k, s);
                }
                // other header-like entries (objects, numbers) of newer exports
                _ if !k.contains('.') => {}
                _ => {
                    return Err(format_err(
                        path,
                        format!("entry {k} is not a quantization type string"),
                    ))
                }
            }
        }
        Ok(Description {
            path: path.to_path_buf(),
            types,
        })
    }
}

// ----------------------------------------------------------------------------------- loader

struct Loader<'a> {
    store: TensorStore,
    config: &'a Qwen3Config,
    format: CheckpointFormat,
    description: Option<Description>,
    used: BTreeSet<String>,
    /// Every tensor materialized, held to the budget before it is copied out of the mapping.
    plan: crate::budget::Plan,
}

const FLOAT_DTYPES: &str = "BF16, F16 or F32";

fn to_bf16(bytes: &[u8], dtype: DType) -> Vec<bf16> {
    match dtype {
        DType::BF16 => bytemuck::pod_collect_to_vec(bytes),
        DType::F16 => bytemuck::pod_collect_to_vec::<u8, f16>(bytes)
            .into_iter()
            .map(|v| bf16::from_f32(v.to_f32()))
            .collect(),
        DType::F32 => bytemuck::pod_collect_to_vec::<u8, f32>(bytes)
            .into_iter()
            .map(bf16::from_f32)
            .collect(),
        _ => unreachable!("checked by the caller"),
    }
}

fn to_f32(bytes: &[u8], dtype: DType) -> Vec<f32> {
    match dtype {
        DType::F32 => bytemuck::pod_collect_to_vec(bytes),
        DType::BF16 => bytemuck::pod_collect_to_vec::<u8, bf16>(bytes)
            .into_iter()
            .map(f32::from)
            .collect(),
        DType::F16 => bytemuck::pod_collect_to_vec::<u8, f16>(bytes)
            .into_iter()
            .map(f32::from)
            .collect(),
        _ => unreachable!("checked by the caller"),
    }
}

fn is_float(d: DType) -> bool {
    matches!(d, DType::BF16 | DType::F16 | DType::F32)
}

impl Loader<'_> {
    fn entry(&mut self, name: &str) -> Result<Entry> {
        let e = self
            .store
            .entries
            .get(name)
            .cloned()
            .ok_or_else(|| Error::MissingTensor {
                tensor: name.to_string(),
                source_name: self.store.source.clone(),
            })?;
        self.used.insert(name.to_string());
        Ok(e)
    }

    /// Holds tensor `name` (`e`, converted to `bytes_per_element`) to the budget.
    fn materialize(&mut self, name: &str, e: &Entry, bytes_per_element: usize) -> Result<()> {
        let count = crate::budget::product(&e.shape);
        self.plan.buffer(name, count, bytes_per_element)
    }

    fn has(&self, name: &str) -> bool {
        self.store.entries.contains_key(name)
    }

    fn check_shape(&self, name: &str, e: &Entry, expected: &[usize], why: &str) -> Result<()> {
        if e.shape != expected {
            return Err(Error::shape(
                name,
                format!("{expected:?} ({why}, from config.json)"),
                &e.shape,
            ));
        }
        Ok(())
    }

    fn float(&mut self, name: &str, shape: &[usize], why: &str) -> Result<Tensor<bf16>> {
        let e = self.entry(name)?;
        if !is_float(e.dtype) {
            return Err(Error::DType {
                tensor: name.to_string(),
                expected: FLOAT_DTYPES.into(),
                actual: e.dtype,
            });
        }
        self.check_shape(name, &e, shape, why)?;
        self.described(name, false)?;
        self.materialize(name, &e, 2)?;
        Tensor::new(e.shape.clone(), to_bf16(self.store.bytes(&e), e.dtype))
    }

    /// MXFP8 only: the description must list `name` with the matching type.
    fn described(&self, name: &str, quantized: bool) -> Result<()> {
        let Some(d) = &self.description else {
            return Ok(());
        };
        let want = if quantized { "W8A8_MXFP8" } else { "FLOAT" };
        match d.types.get(name) {
            Some(t) if t == want => Ok(()),
            Some(t) if t != "W8A8_MXFP8" && t != "FLOAT" => Err(Error::Unsupported {
                source_name: d.path.display().to_string(),
                feature: format!("quantization type of {name}"),
                reason: format!("`{t}` (supported: W8A8_MXFP8, FLOAT)"),
            }),
            Some(t) => Err(Error::Format {
                path: d.path.display().to_string(),
                reason: format!("{name} is described as {t} but stored as {want}"),
            }),
            None => Err(Error::Format {
                path: d.path.display().to_string(),
                reason: format!("{name} is not described"),
            }),
        }
    }

    fn linear(&mut self, prefix: &str, out: usize, inp: usize, why: &str) -> Result<Linear> {
        let wname = format!("{prefix}.weight");
        let scale_suffix = match self.format {
            CheckpointFormat::Dense(_) => None,
            CheckpointFormat::Fp8Block { .. } => Some("weight_scale_inv"),
            CheckpointFormat::Mxfp8 => Some("weight_scale"),
        };
        let sname = scale_suffix.map(|s| format!("{prefix}.{s}"));
        let has_scale = sname.as_deref().is_some_and(|s| self.has(s));
        let has_weight = self.has(&wname);
        if has_scale && !has_weight {
            return Err(Error::MissingTensor {
                tensor: wname,
                source_name: format!(
                    "{} (its scale {} is present)",
                    self.store.source,
                    sname.unwrap_or_default()
                ),
            });
        }
        let e = self.entry(&wname)?;
        self.check_shape(&wname, &e, &[out, inp], why)?;
        if is_float(e.dtype) {
            if has_scale {
                return Err(Error::DType {
                    tensor: wname,
                    expected: format!(
                        "F8_E4M3 (its scale {} is present)",
                        sname.unwrap_or_default()
                    ),
                    actual: e.dtype,
                });
            }
            self.described(&wname, false)?;
            self.materialize(&wname, &e, 2)?;
            return Ok(Linear::Dense(Tensor::new(
                e.shape.clone(),
                to_bf16(self.store.bytes(&e), e.dtype),
            )?));
        }
        let (Some(sname), DType::F8E4M3) = (sname, e.dtype) else {
            return Err(Error::DType {
                tensor: wname,
                expected: match self.format {
                    CheckpointFormat::Dense(_) => {
                        format!("{FLOAT_DTYPES} (no quantization_config or MXFP8 description)")
                    }
                    _ => format!("{FLOAT_DTYPES} or F8_E4M3"),
                },
                actual: e.dtype,
            });
        };
        if !has_scale {
            return Err(Error::MissingTensor {
                tensor: sname,
                source_name: format!("{} (its weight {wname} is F8_E4M3)", self.store.source),
            });
        }
        self.materialize(&wname, &e, 1)?;
        let weight: Tensor<E4M3> = Tensor::new(
            e.shape.clone(),
            bytemuck::pod_collect_to_vec(self.store.bytes(&e)),
        )?;
        let se = self.entry(&sname)?;
        match self.format {
            CheckpointFormat::Fp8Block { block } => {
                if !is_float(se.dtype) {
                    return Err(Error::DType {
                        tensor: sname,
                        expected: "F32, BF16 or F16".into(),
                        actual: se.dtype,
                    });
                }
                let grid = [out.div_ceil(block[0]), inp.div_ceil(block[1])];
                if se.shape != grid {
                    return Err(Error::shape(
                        &sname,
                        format!("{grid:?} (the scale grid of {wname} [{out}, {inp}] with block {block:?})"),
                        &se.shape,
                    ));
                }
                self.materialize(&sname, &se, 4)?;
                let scale_inv =
                    Tensor::new(se.shape.clone(), to_f32(self.store.bytes(&se), se.dtype))?;
                Ok(Linear::Fp8Block {
                    weight,
                    scale_inv,
                    block,
                })
            }
            CheckpointFormat::Mxfp8 => {
                if !matches!(se.dtype, DType::U8 | DType::F8E8M0) {
                    return Err(Error::DType {
                        tensor: sname,
                        expected: "U8 or F8_E8M0".into(),
                        actual: se.dtype,
                    });
                }
                let grid = [out, inp.div_ceil(MX_BLOCK)];
                if se.shape != grid {
                    return Err(Error::shape(
                        &sname,
                        format!(
                            "{grid:?} (one E8M0 scale per 32 elements of {wname} [{out}, {inp}])"
                        ),
                        &se.shape,
                    ));
                }
                self.described(&wname, true)?;
                self.described(&sname, true)?;
                self.materialize(&sname, &se, 1)?;
                let scale = Tensor::new(
                    se.shape.clone(),
                    bytemuck::pod_collect_to_vec(self.store.bytes(&se)),
                )?;
                Ok(Linear::Mxfp8 { weight, scale })
            }
            CheckpointFormat::Dense(_) => unreachable!("no scale name for dense checkpoints"),
        }
    }

    fn load(mut self, config: Qwen3Config) -> Result<Checkpoint> {
        let c = self.config;
        let (vocab, hidden, inter, hd) =
            (c.vocab_size, c.hidden_size, c.intermediate_size, c.head_dim);
        let (qd, kvd) = (c.q_dim(), c.kv_dim());
        let embed_name = "model.embed_tokens.weight";
        if let CheckpointFormat::Dense(_) = self.format {
            let e = self.entry(embed_name)?;
            if is_float(e.dtype) {
                self.format = CheckpointFormat::Dense(e.dtype);
            }
        }
        let embed = self.float(embed_name, &[vocab, hidden], "[vocab_size, hidden_size]")?;
        // Not preallocated: num_hidden_layers comes from config.json, and a layer is only
        // materialized once its tensors are found.
        let mut layers = Vec::new();
        for i in 0..c.num_hidden_layers {
            let p = |n: &str| format!("model.layers.{i}.{n}");
            let hid = "[hidden_size]";
            let layer = Layer {
                input_norm: self.float(&p("input_layernorm.weight"), &[hidden], hid)?,
                q: self.linear(
                    &p("self_attn.q_proj"),
                    qd,
                    hidden,
                    "[heads*head_dim, hidden_size]",
                )?,
                k: self.linear(
                    &p("self_attn.k_proj"),
                    kvd,
                    hidden,
                    "[kv_heads*head_dim, hidden_size]",
                )?,
                v: self.linear(
                    &p("self_attn.v_proj"),
                    kvd,
                    hidden,
                    "[kv_heads*head_dim, hidden_size]",
                )?,
                o: self.linear(
                    &p("self_attn.o_proj"),
                    hidden,
                    qd,
                    "[hidden_size, heads*head_dim]",
                )?,
                q_norm: self.float(&p("self_attn.q_norm.weight"), &[hd], "[head_dim]")?,
                k_norm: self.float(&p("self_attn.k_norm.weight"), &[hd], "[head_dim]")?,
                post_norm: self.float(&p("post_attention_layernorm.weight"), &[hidden], hid)?,
                gate: self.linear(
                    &p("mlp.gate_proj"),
                    inter,
                    hidden,
                    "[intermediate_size, hidden_size]",
                )?,
                up: self.linear(
                    &p("mlp.up_proj"),
                    inter,
                    hidden,
                    "[intermediate_size, hidden_size]",
                )?,
                down: self.linear(
                    &p("mlp.down_proj"),
                    hidden,
                    inter,
                    "[hidden_size, intermediate_size]",
                )?,
            };
            layers.push(layer);
        }
        let norm = self.float("model.norm.weight", &[hidden], "[hidden_size]")?;
        let lm_head = if c.tie_word_embeddings {
            if self.has("lm_head.weight") {
                // Some exports write the tied head anyway: accept an exact copy only.
                let head = self.float(
                    "lm_head.weight",
                    &[vocab, hidden],
                    "[vocab_size, hidden_size]",
                )?;
                if head != embed {
                    return Err(Error::UnexpectedTensor {
                        tensor: "lm_head.weight".into(),
                        source_name: format!(
                            "{} (tie_word_embeddings is true but it differs from {embed_name})",
                            self.store.source
                        ),
                    });
                }
            }
            None
        } else {
            Some(self.linear("lm_head", vocab, hidden, "[vocab_size, hidden_size]")?)
        };
        // Every tensor of the files must be accounted for.
        if let Some(name) = self
            .store
            .entries
            .keys()
            .find(|n| !self.used.contains(*n) && !n.ends_with("rotary_emb.inv_freq"))
        {
            let e = &self.store.entries[name];
            return Err(Error::UnexpectedTensor {
                tensor: name.clone(),
                source_name: self.store.file_of(e),
            });
        }
        if let Some(d) = &self.description {
            if let Some(name) = d
                .types
                .keys()
                .find(|n| n.contains('.') && !self.store.entries.contains_key(*n))
            {
                return Err(Error::MissingTensor {
                    tensor: name.clone(),
                    source_name: format!("{} (listed in {})", self.store.source, d.path.display()),
                });
            }
        }
        Ok(Checkpoint {
            config,
            format: self.format,
            embed,
            layers,
            norm,
            lm_head,
            files: self.store.maps.iter().map(|(p, _)| p.clone()).collect(),
        })
    }
}
