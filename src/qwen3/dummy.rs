//! Dummy checkpoints: random weights laid out exactly as a real checkpoint of a given
//! `config.json` (HF tensor names, shapes, dtypes, shards with an index, the FP8-block
//! `quantization_config` or the msmodelslim MXFP8 description), so that the loader and the
//! forward can be run on a model's real architecture before its weights are downloaded
//! (`ascend-kernels qwen3 --dummy-weights`). What such a run validates is the path — config,
//! weight map, shapes, formats, the ops on the chosen backend — never the numerics: the weights
//! are random.

use super::checkpoint::LINEAR_NAMES;
use super::config::Qwen3Config;
use crate::error::{Error, Result};
use crate::formats::DType;
use crate::io::{serialize, write_atomic, RawTensor};
use half::bf16;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

/// The weight format of a dummy checkpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DummyFormat {
    /// bf16 weights (`model.safetensors.index.json` + shards).
    Bf16,
    /// HF "fp8" blocks: E4M3 `weight` + f32 `weight_scale_inv` per 128x128 tile, and a
    /// `quantization_config` in `config.json` (embedding, norms and `lm_head` stay bf16).
    Fp8Block,
    /// msmodelslim W8A8_MXFP8: E4M3 `weight` + U8 `weight_scale` per 32 elements, and
    /// `quant_model_description.json` (embedding, norms and `lm_head` are FLOAT).
    Mxfp8,
}

impl DummyFormat {
    /// The CLI spelling.
    pub fn name(self) -> &'static str {
        match self {
            DummyFormat::Bf16 => "bf16",
            DummyFormat::Fp8Block => "fp8-block",
            DummyFormat::Mxfp8 => "mxfp8",
        }
    }
}

impl std::str::FromStr for DummyFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "bf16" => Ok(DummyFormat::Bf16),
            "fp8-block" | "fp8" => Ok(DummyFormat::Fp8Block),
            "mxfp8" => Ok(DummyFormat::Mxfp8),
            _ => Err(format!(
                "unknown dummy weight format `{s}` (expected bf16, fp8-block or mxfp8)"
            )),
        }
    }
}

/// What to write.
#[derive(Clone, Copy, Debug)]
pub struct DummyOptions {
    /// The weight format.
    pub format: DummyFormat,
    /// Decoder layers to write (the config's `num_hidden_layers` is set to it); `None`: all.
    pub layers: Option<usize>,
    /// Seed of the random weights.
    pub seed: u64,
}

/// What was written.
#[derive(Clone, Debug)]
pub struct DummyReport {
    /// The files, in order.
    pub files: Vec<PathBuf>,
    /// Bytes of weight data written.
    pub weight_bytes: u64,
    /// Parameters written (elements of the weight tensors, scales not counted).
    pub parameters: u64,
    /// Decoder layers written.
    pub layers: usize,
    /// Decoder layers of the original config.
    pub config_layers: usize,
}

/// The size of a dummy checkpoint before it is written: `(parameters, weight bytes)`.
pub fn estimate(config: &Qwen3Config, format: DummyFormat, layers: usize) -> (u64, u64) {
    let (h, i, d) = (
        config.hidden_size as u64,
        config.intermediate_size as u64,
        config.head_dim as u64,
    );
    let (q, kv) = (
        config.num_attention_heads as u64 * d,
        config.num_key_value_heads as u64 * d,
    );
    let linears = h * q + 2 * h * kv + q * h + 3 * h * i;
    let norms = 2 * h + 2 * d;
    let embed = config.vocab_size as u64 * h;
    let head = if config.tie_word_embeddings { 0 } else { embed };
    let l = layers as u64;
    let params = l * (linears + norms) + embed + head + h;
    let linear_bytes = match format {
        DummyFormat::Bf16 => 2 * linears,
        // codes plus ~4 bytes per 128x128 tile / 1 byte per 32 elements
        DummyFormat::Fp8Block => linears + linears / 4096,
        DummyFormat::Mxfp8 => linears + linears / 32,
    };
    let bytes = l * (linear_bytes + 2 * norms) + 2 * (embed + head + h);
    (params, bytes)
}

/// A deterministic generator (xorshift64*), fast enough for gigabytes of weights.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// bf16 bits (little-endian) of `n` values spread evenly over ±`scale`: 16 random bits
    /// index a table of 65536 values, four per draw.
    fn bf16s(&mut self, n: usize, scale: f32) -> Vec<u8> {
        let table: Vec<[u8; 2]> = (0..1u32 << 16)
            .map(|i| {
                let u = (i as f32 + 0.5) / 65536.0;
                bf16::from_f32((2.0 * u - 1.0) * scale)
                    .to_bits()
                    .to_le_bytes()
            })
            .collect();
        let mut out = Vec::with_capacity(2 * n + 8);
        while out.len() < 2 * n {
            let r = self.next();
            for k in 0..4 {
                out.extend_from_slice(&table[(r >> (16 * k)) as usize & 0xFFFF]);
            }
        }
        out.truncate(2 * n);
        out
    }

    /// E4M3 codes, never NaN (0x7F / 0xFF): eight per draw.
    fn e4m3s(&mut self, n: usize) -> Vec<u8> {
        let mut out = Vec::with_capacity(n + 8);
        while out.len() < n {
            let r = self.next();
            out.extend((0..8).map(|k| {
                let b = (r >> (8 * k)) as u8;
                if b & 0x7F == 0x7F {
                    b & 0xFE
                } else {
                    b
                }
            }));
        }
        out.truncate(n);
        out
    }
}

fn tensor(dtype: DType, shape: &[usize], bytes: Vec<u8>) -> RawTensor {
    RawTensor {
        dtype,
        shape: shape.to_vec(),
        bytes,
    }
}

/// The tensors of one linear `[out, inp]` named `prefix` (e.g. `model.layers.0.mlp.up_proj`),
/// with the description entries of MXFP8.
fn linear(
    rng: &mut Rng,
    format: DummyFormat,
    prefix: &str,
    out: usize,
    inp: usize,
    described: &mut BTreeMap<String, &'static str>,
) -> Vec<(String, RawTensor)> {
    let w = format!("{prefix}.weight");
    // about the scale of a trained weight (so activations stay finite through many layers)
    let scale = 1.0 / (inp as f32).sqrt();
    match format {
        DummyFormat::Bf16 => {
            vec![(
                w,
                tensor(DType::BF16, &[out, inp], rng.bf16s(out * inp, scale)),
            )]
        }
        DummyFormat::Fp8Block => {
            let grid = [out.div_ceil(128), inp.div_ceil(128)];
            // E4M3 codes are up to 448: tile multipliers of ~scale/64 keep the weights near ±scale
            let s: Vec<u8> = (0..grid[0] * grid[1])
                .flat_map(|_| {
                    let u = (rng.next() >> 40) as f32 / (1u64 << 24) as f32;
                    (scale / 64.0 * (0.5 + u)).to_le_bytes()
                })
                .collect();
            vec![
                (w, tensor(DType::F8E4M3, &[out, inp], rng.e4m3s(out * inp))),
                (
                    format!("{prefix}.weight_scale_inv"),
                    tensor(DType::F32, &grid, s),
                ),
            ]
        }
        DummyFormat::Mxfp8 => {
            let nb = inp.div_ceil(32);
            // byte 127 + log2(scale) - 6: codes up to 448 = 2^8.8 land near ±scale
            let base = (127.0 + scale.log2() - 6.0).round() as i32;
            let s: Vec<u8> = (0..out * nb)
                .map(|_| (base + (rng.next() >> 62) as i32 - 1).clamp(0, 254) as u8)
                .collect();
            let sname = format!("{w}_scale");
            described.insert(w.clone(), "W8A8_MXFP8");
            described.insert(sname.clone(), "W8A8_MXFP8");
            vec![
                (w, tensor(DType::F8E4M3, &[out, inp], rng.e4m3s(out * inp))),
                (sname, tensor(DType::U8, &[out, nb], s)),
            ]
        }
    }
}

fn io_err(path: &Path, source: std::io::Error) -> Error {
    Error::Io {
        path: path.display().to_string(),
        source,
    }
}

/// Writes a dummy checkpoint of `config_path` (a `config.json`) into `out_dir` (created if
/// needed): `config.json` (with `num_hidden_layers` set to the layers written, and the
/// FP8-block `quantization_config` or none), the weights in shards (the embedding; one per
/// layer; the final norm and an untied `lm_head`) with their index, and for MXFP8 the
/// msmodelslim description. A `tokenizer.json` next to the config is copied. `progress(done,
/// total)` is called after each shard.
pub fn write_dummy_checkpoint(
    config_path: &Path,
    out_dir: &Path,
    options: &DummyOptions,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<DummyReport> {
    let config = Qwen3Config::from_file(config_path)?;
    let layers = options.layers.unwrap_or(config.num_hidden_layers);
    if layers == 0 || layers > config.num_hidden_layers {
        return Err(Error::option(
            "--layers",
            format!(
                "must be in 1..={} (the config's num_hidden_layers), got {layers}",
                config.num_hidden_layers
            ),
        ));
    }
    std::fs::create_dir_all(out_dir).map_err(|e| io_err(out_dir, e))?;
    let mut rng = Rng(options.seed | 1);
    let (h, inter, d) = (
        config.hidden_size,
        config.intermediate_size,
        config.head_dim,
    );
    let (q, kv) = (
        config.num_attention_heads * d,
        config.num_key_value_heads * d,
    );
    let mut described: BTreeMap<String, &'static str> = BTreeMap::new();
    let ones = |n: usize| -> RawTensor {
        tensor(
            DType::BF16,
            &[n],
            bf16::ONE.to_bits().to_le_bytes().repeat(n),
        )
    };

    // shard contents: the embedding, then one shard per layer, then norm + lm_head
    let total = layers + 2;
    let stem = match options.format {
        DummyFormat::Mxfp8 => "quant_model_weight_w8a8_mxfp8",
        _ => "model",
    };
    let shard_name = |k: usize| format!("{stem}-{:05}-of-{:05}.safetensors", k + 1, total);
    let mut weight_map: BTreeMap<String, String> = BTreeMap::new();
    let mut files = Vec::new();
    let (mut weight_bytes, mut parameters) = (0u64, 0u64);
    let meta = HashMap::from([("format".to_string(), "pt".to_string())]);
    for k in 0..total {
        let mut tensors: Vec<(String, RawTensor)> = Vec::new();
        if k == 0 {
            let n = config.vocab_size * h;
            tensors.push((
                "model.embed_tokens.weight".into(),
                tensor(DType::BF16, &[config.vocab_size, h], rng.bf16s(n, 0.05)),
            ));
        } else if k <= layers {
            let i = k - 1;
            let p = |n: &str| format!("model.layers.{i}.{n}");
            tensors.push((p("input_layernorm.weight"), ones(h)));
            tensors.push((p("post_attention_layernorm.weight"), ones(h)));
            tensors.push((p("self_attn.q_norm.weight"), ones(d)));
            tensors.push((p("self_attn.k_norm.weight"), ones(d)));
            let shapes = [
                (q, h),
                (kv, h),
                (kv, h),
                (h, q),
                (inter, h),
                (inter, h),
                (h, inter),
            ];
            for (name, (out, inp)) in LINEAR_NAMES.iter().zip(shapes) {
                tensors.extend(linear(
                    &mut rng,
                    options.format,
                    &p(name),
                    out,
                    inp,
                    &mut described,
                ));
            }
        } else {
            tensors.push(("model.norm.weight".into(), ones(h)));
            if !config.tie_word_embeddings {
                let n = config.vocab_size * h;
                tensors.push((
                    "lm_head.weight".into(),
                    tensor(DType::BF16, &[config.vocab_size, h], rng.bf16s(n, 0.05)),
                ));
            }
        }
        let name = shard_name(k);
        for (t, raw) in &tensors {
            weight_map.insert(t.clone(), name.clone());
            weight_bytes += raw.bytes.len() as u64;
            if !t.ends_with("_scale") && !t.ends_with("_scale_inv") {
                parameters += raw.shape.iter().product::<usize>() as u64;
            }
            if !described.contains_key(t) {
                described.insert(t.clone(), "FLOAT");
            }
        }
        let path = out_dir.join(&name);
        write_atomic(&path, &serialize(&tensors, &meta)?)?;
        files.push(path);
        progress(k + 1, total);
    }

    let mut index = Map::new();
    index.insert(
        "metadata".into(),
        serde_json::json!({ "total_size": weight_bytes }),
    );
    index.insert(
        "weight_map".into(),
        Value::Object(
            weight_map
                .into_iter()
                .map(|(k, v)| (k, Value::String(v)))
                .collect(),
        ),
    );
    let index_path = out_dir.join(format!("{stem}.safetensors.index.json"));
    let text = serde_json::to_string_pretty(&Value::Object(index)).expect("JSON of strings");
    write_atomic(&index_path, format!("{text}\n").as_bytes())?;
    files.push(index_path);

    if options.format == DummyFormat::Mxfp8 {
        let mut desc = Map::new();
        desc.insert("version".into(), "1.0.0".into());
        desc.insert("model_quant_type".into(), "W8A8_MXFP8".into());
        desc.insert("group_size".into(), 32.into());
        desc.insert("metadata".into(), Value::Object(Map::new()));
        desc.insert("optional".into(), Value::Object(Map::new()));
        for (k, v) in described {
            desc.insert(k, v.into());
        }
        let path = out_dir.join("quant_model_description.json");
        let text = serde_json::to_string_pretty(&Value::Object(desc)).expect("JSON of strings");
        write_atomic(&path, format!("{text}\n").as_bytes())?;
        files.push(path);
    }

    // config.json: the original with the layers written and the format's quantization_config
    let text = std::fs::read_to_string(config_path).map_err(|e| io_err(config_path, e))?;
    let mut cfg: Value = serde_json::from_str(&text).map_err(|e| Error::Format {
        path: config_path.display().to_string(),
        reason: format!("not valid JSON: {e}"),
    })?;
    if let Some(obj) = cfg.as_object_mut() {
        obj.insert("num_hidden_layers".into(), layers.into());
        if obj.contains_key("max_window_layers") {
            obj.insert("max_window_layers".into(), layers.into());
        }
        obj.remove("quantization_config");
        if options.format == DummyFormat::Fp8Block {
            obj.insert(
                "quantization_config".into(),
                serde_json::json!({
                    "activation_scheme": "dynamic",
                    "fmt": "e4m3",
                    "quant_method": "fp8",
                    "weight_block_size": [128, 128]
                }),
            );
        }
    }
    let path = out_dir.join("config.json");
    let text = serde_json::to_string_pretty(&cfg).expect("JSON value");
    write_atomic(&path, format!("{text}\n").as_bytes())?;
    files.push(path);

    if let Some(tok) = config_path.parent().map(|p| p.join("tokenizer.json")) {
        if tok.is_file() {
            let dst = out_dir.join("tokenizer.json");
            let bytes = std::fs::read(&tok).map_err(|e| io_err(&tok, e))?;
            write_atomic(&dst, &bytes)?;
            files.push(dst);
        }
    }
    Ok(DummyReport {
        files,
        weight_bytes,
        parameters,
        layers,
        config_layers: config.num_hidden_layers,
    })
}
