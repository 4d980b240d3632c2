//! `config.json` of a Qwen3 checkpoint (the fields of `shared/docs/qwen3.md`), with the defaults
//! transformers applies and a clear refusal of every feature the forward does not implement.

use super::forward::Dims;
use crate::error::{Error, Result};
use serde_json::{Map, Value};
use std::path::Path;

/// The `quantization_config` of a checkpoint, when it has one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum QuantizationConfig {
    /// HF "fp8" block quantization (`quant_method: "fp8"`, `fmt: "e4m3"`, dynamic activations):
    /// linear `weight` F8_E4M3 + `weight_scale_inv` per `[block[0], block[1]]` tile.
    Fp8Block {
        /// `weight_block_size` (`[out, in]` tile; default `[128, 128]`).
        block: [usize; 2],
    },
}

/// A Qwen3 model configuration.
#[derive(Clone, Debug, PartialEq)]
pub struct Qwen3Config {
    /// `vocab_size`.
    pub vocab_size: usize,
    /// `hidden_size`.
    pub hidden_size: usize,
    /// `intermediate_size` (MLP).
    pub intermediate_size: usize,
    /// `num_hidden_layers`.
    pub num_hidden_layers: usize,
    /// `num_attention_heads` (query heads).
    pub num_attention_heads: usize,
    /// `num_key_value_heads` (defaults to `num_attention_heads`).
    pub num_key_value_heads: usize,
    /// `head_dim` (defaults to `hidden_size / num_attention_heads`).
    pub head_dim: usize,
    /// `rms_norm_eps`.
    pub rms_norm_eps: f64,
    /// RoPE base, from `rope_theta` or `rope_parameters.rope_theta`.
    pub rope_theta: f64,
    /// `tie_word_embeddings` (default false, as transformers' `Qwen3Config`).
    pub tie_word_embeddings: bool,
    /// `max_position_embeddings`.
    pub max_position_embeddings: usize,
    /// `dtype` or `torch_dtype`, if given (e.g. `"bfloat16"`).
    pub dtype: Option<String>,
    /// `quantization_config`, if any.
    pub quantization: Option<QuantizationConfig>,
}

fn format_err(path: &str, reason: impl Into<String>) -> Error {
    Error::Format {
        path: path.to_string(),
        reason: reason.into(),
    }
}

fn unsupported(path: &str, feature: &str, reason: impl Into<String>) -> Error {
    Error::Unsupported {
        source_name: path.to_string(),
        feature: feature.to_string(),
        reason: reason.into(),
    }
}

fn usize_field(obj: &Map<String, Value>, path: &str, key: &str) -> Result<Option<usize>> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => match v.as_u64().and_then(|n| usize::try_from(n).ok()) {
            Some(n) if n > 0 => Ok(Some(n)),
            _ => Err(format_err(
                path,
                format!("{key} must be a positive integer, got {v}"),
            )),
        },
    }
}

fn required_usize(obj: &Map<String, Value>, path: &str, key: &str) -> Result<usize> {
    usize_field(obj, path, key)?.ok_or_else(|| format_err(path, format!("{key} is missing")))
}

fn f64_field(obj: &Map<String, Value>, path: &str, key: &str) -> Result<Option<f64>> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => match v.as_f64() {
            Some(x) if x.is_finite() && x > 0.0 => Ok(Some(x)),
            _ => Err(format_err(
                path,
                format!("{key} must be a positive number, got {v}"),
            )),
        },
    }
}

fn bool_field(obj: &Map<String, Value>, path: &str, key: &str) -> Result<Option<bool>> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(v) => Err(format_err(
            path,
            format!("{key} must be a boolean, got {v}"),
        )),
    }
}

/// A RoPE parameter dict (`rope_scaling` or `rope_parameters`) must be of the default type.
fn check_rope_dict(path: &str, key: &str, v: &Value) -> Result<()> {
    let Value::Object(d) = v else {
        return Err(format_err(
            path,
            format!("{key} must be an object, got {v}"),
        ));
    };
    let kind = d
        .get("rope_type")
        .or_else(|| d.get("type"))
        .and_then(Value::as_str)
        .unwrap_or("default");
    if kind != "default" {
        return Err(unsupported(
            path,
            key,
            format!("rope type `{kind}` (only the default RoPE is implemented)"),
        ));
    }
    Ok(())
}

impl Qwen3Config {
    /// Parses the text of a `config.json`; `path` names it in errors.
    pub fn from_json_str(path: &str, text: &str) -> Result<Self> {
        let value: Value = serde_json::from_str(text)
            .map_err(|e| format_err(path, format!("not valid JSON: {e}")))?;
        let Value::Object(obj) = value else {
            return Err(format_err(path, "not a JSON object"));
        };
        if let Some(t) = obj.get("model_type").and_then(Value::as_str) {
            if t != "qwen3" {
                return Err(unsupported(
                    path,
                    "model_type",
                    format!("`{t}` (only qwen3 is implemented)"),
                ));
            }
        }
        if bool_field(&obj, path, "use_sliding_window")? == Some(true) {
            return Err(unsupported(
                path,
                "use_sliding_window",
                "sliding-window attention is not implemented",
            ));
        }
        if bool_field(&obj, path, "attention_bias")? == Some(true) {
            return Err(unsupported(
                path,
                "attention_bias",
                "attention projections with a bias are not implemented (Qwen3 has none)",
            ));
        }
        if let Some(v) = obj.get("rope_scaling").filter(|v| !v.is_null()) {
            check_rope_dict(path, "rope_scaling", v)?;
        }
        let theta_params = match obj.get("rope_parameters").filter(|v| !v.is_null()) {
            Some(v) => {
                check_rope_dict(path, "rope_parameters", v)?;
                f64_field(v.as_object().expect("checked"), path, "rope_theta")?
            }
            None => None,
        };
        let theta_top = f64_field(&obj, path, "rope_theta")?;
        let rope_theta = match (theta_top, theta_params) {
            (Some(a), Some(b)) if a != b => {
                return Err(format_err(
                    path,
                    format!("rope_theta {a} contradicts rope_parameters.rope_theta {b}"),
                ))
            }
            (Some(a), _) | (None, Some(a)) => a,
            (None, None) => {
                return Err(format_err(
                    path,
                    "rope_theta is missing (neither rope_theta nor rope_parameters.rope_theta)",
                ))
            }
        };
        if let Some(act) = obj.get("hidden_act").and_then(Value::as_str) {
            if act != "silu" {
                return Err(unsupported(
                    path,
                    "hidden_act",
                    format!("`{act}` (the MLP is SwiGLU with silu)"),
                ));
            }
        }

        let hidden_size = required_usize(&obj, path, "hidden_size")?;
        let num_attention_heads = required_usize(&obj, path, "num_attention_heads")?;
        let num_key_value_heads =
            usize_field(&obj, path, "num_key_value_heads")?.unwrap_or(num_attention_heads);
        if num_attention_heads % num_key_value_heads != 0 {
            return Err(format_err(
                path,
                format!(
                    "num_key_value_heads {num_key_value_heads} does not divide \
                     num_attention_heads {num_attention_heads}"
                ),
            ));
        }
        let head_dim = match usize_field(&obj, path, "head_dim")? {
            Some(d) => d,
            None if hidden_size % num_attention_heads == 0 => hidden_size / num_attention_heads,
            None => {
                return Err(format_err(
                    path,
                    format!(
                        "head_dim is missing and hidden_size {hidden_size} is not a multiple of \
                         num_attention_heads {num_attention_heads}"
                    ),
                ))
            }
        };
        if head_dim % 2 != 0 {
            return Err(format_err(
                path,
                format!("head_dim {head_dim} must be even (RoPE)"),
            ));
        }
        let dtype = obj
            .get("dtype")
            .or_else(|| obj.get("torch_dtype"))
            .and_then(Value::as_str)
            .map(str::to_string);
        let quantization = match obj.get("quantization_config").filter(|v| !v.is_null()) {
            Some(q) => Some(parse_quantization(path, q)?),
            None => None,
        };
        let config = Qwen3Config {
            vocab_size: required_usize(&obj, path, "vocab_size")?,
            hidden_size,
            intermediate_size: required_usize(&obj, path, "intermediate_size")?,
            num_hidden_layers: required_usize(&obj, path, "num_hidden_layers")?,
            num_attention_heads,
            num_key_value_heads,
            head_dim,
            rms_norm_eps: f64_field(&obj, path, "rms_norm_eps")?.unwrap_or(1e-6),
            rope_theta,
            tie_word_embeddings: bool_field(&obj, path, "tie_word_embeddings")?.unwrap_or(false),
            max_position_embeddings: usize_field(&obj, path, "max_position_embeddings")?
                .unwrap_or(32768),
            dtype,
            quantization,
        };
        config.check_sizes(path)?;
        Ok(config)
    }

    /// Every weight size the config implies, computed with checked arithmetic: a product that
    /// overflows (in elements or in f32 bytes) is an error naming the fields.
    fn check_sizes(&self, path: &str) -> Result<()> {
        let c = self;
        let products: [(&str, &[usize]); 6] = [
            ("vocab_size x hidden_size", &[c.vocab_size, c.hidden_size]),
            (
                "num_attention_heads x head_dim x hidden_size",
                &[c.num_attention_heads, c.head_dim, c.hidden_size],
            ),
            (
                "num_key_value_heads x head_dim x hidden_size",
                &[c.num_key_value_heads, c.head_dim, c.hidden_size],
            ),
            (
                "intermediate_size x hidden_size",
                &[c.intermediate_size, c.hidden_size],
            ),
            ("num_hidden_layers x 11 tensors", &[c.num_hidden_layers, 11]),
            (
                "max_position_embeddings x head_dim",
                &[c.max_position_embeddings, c.head_dim],
            ),
        ];
        for (what, dims) in products {
            if crate::budget::product(dims)
                .and_then(|n| n.checked_mul(4))
                .is_none()
            {
                return Err(format_err(
                    path,
                    format!("{what} ({dims:?}) overflows: not a loadable model"),
                ));
            }
        }
        Ok(())
    }

    /// Reads and parses `path` (a `config.json`).
    pub fn from_file(path: &Path) -> Result<Self> {
        let shown = path.display().to_string();
        let text = crate::files::read_regular_text(path)?;
        Self::from_json_str(&shown, &text)
    }

    /// Output width of `q_proj` (`heads * head_dim`).
    pub fn q_dim(&self) -> usize {
        self.num_attention_heads.saturating_mul(self.head_dim)
    }

    /// Output width of `k_proj` / `v_proj` (`kv_heads * head_dim`).
    pub fn kv_dim(&self) -> usize {
        self.num_key_value_heads.saturating_mul(self.head_dim)
    }

    /// The forward's dimensions; `max_positions` bounds prompt + generated tokens (the RoPE
    /// cache length), e.g. `max_position_embeddings` or less to save memory.
    pub fn dims(&self, max_positions: usize) -> Dims {
        Dims {
            vocab: self.vocab_size,
            hidden: self.hidden_size,
            intermediate: self.intermediate_size,
            heads: self.num_attention_heads,
            kv_heads: self.num_key_value_heads,
            head_dim: self.head_dim,
            eps: self.rms_norm_eps as f32,
            rope_theta: self.rope_theta,
            max_positions,
        }
    }
}

fn parse_quantization(path: &str, q: &Value) -> Result<QuantizationConfig> {
    let Value::Object(q) = q else {
        return Err(format_err(path, "quantization_config must be an object"));
    };
    let method = q.get("quant_method").and_then(Value::as_str).unwrap_or("");
    if method != "fp8" {
        return Err(unsupported(
            path,
            "quantization_config.quant_method",
            format!(
                "`{method}` (supported: fp8 block; MXFP8 comes with quant_model_description.json)"
            ),
        ));
    }
    if let Some(fmt) = q.get("fmt").and_then(Value::as_str) {
        if fmt != "e4m3" {
            return Err(unsupported(
                path,
                "quantization_config.fmt",
                format!("`{fmt}` (only e4m3 weights)"),
            ));
        }
    }
    if let Some(s) = q.get("activation_scheme").and_then(Value::as_str) {
        if s != "dynamic" {
            return Err(unsupported(
                path,
                "quantization_config.activation_scheme",
                format!("`{s}` (only dynamic: static input scales are not implemented)"),
            ));
        }
    }
    if let Some(s) = q.get("scale_fmt").and_then(Value::as_str) {
        if s != "float32" && s != "ue8m0" {
            return Err(unsupported(
                path,
                "quantization_config.scale_fmt",
                format!("`{s}`"),
            ));
        }
    }
    let block = match q.get("weight_block_size").filter(|v| !v.is_null()) {
        None => [128, 128],
        Some(v) => {
            let dims: Option<Vec<usize>> = v.as_array().map(|a| {
                a.iter()
                    .filter_map(|x| x.as_u64().and_then(|n| usize::try_from(n).ok()))
                    .filter(|&n| n > 0)
                    .collect()
            });
            match dims.as_deref() {
                Some(&[bo, bi]) if v.as_array().map(Vec::len) == Some(2) => [bo, bi],
                _ => {
                    return Err(format_err(
                        path,
                        format!(
                            "quantization_config.weight_block_size must be two positive \
                             integers, got {v}"
                        ),
                    ))
                }
            }
        }
    };
    Ok(QuantizationConfig::Fp8Block { block })
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = r#"{"model_type":"qwen3","vocab_size":1024,"hidden_size":96,
        "intermediate_size":160,"num_hidden_layers":2,"num_attention_heads":4,
        "num_key_value_heads":2,"head_dim":64,"rms_norm_eps":1e-6,"tie_word_embeddings":true,
        "max_position_embeddings":512,"rope_parameters":{"rope_theta":1000000.0,"rope_type":"default"},
        "use_sliding_window":false,"attention_bias":false,"dtype":"bfloat16"}"#;

    fn with(edit: impl FnOnce(&mut Map<String, Value>)) -> Result<Qwen3Config> {
        let mut v: Value = serde_json::from_str(BASE).unwrap();
        edit(v.as_object_mut().unwrap());
        Qwen3Config::from_json_str("config.json", &v.to_string())
    }

    fn feature(r: Result<Qwen3Config>) -> String {
        match r {
            Err(Error::Unsupported { feature, .. }) => feature,
            other => panic!("expected Unsupported, got {other:?}"),
        }
    }

    #[test]
    fn parses_both_rope_spellings_and_defaults() {
        let c = with(|_| {}).unwrap();
        assert_eq!(
            (c.rope_theta, c.head_dim, c.num_key_value_heads),
            (1e6, 64, 2)
        );
        assert!(c.tie_word_embeddings && c.quantization.is_none());
        assert_eq!(c.dtype.as_deref(), Some("bfloat16"));
        let c = with(|o| {
            o.remove("rope_parameters");
            o.insert("rope_theta".into(), 5e6.into());
            o.insert("rope_scaling".into(), Value::Null);
            o.remove("num_key_value_heads");
            o.remove("head_dim");
            o.remove("tie_word_embeddings");
        })
        .unwrap();
        assert_eq!(
            (c.rope_theta, c.head_dim, c.num_key_value_heads),
            (5e6, 24, 4)
        );
        assert!(!c.tie_word_embeddings);
        let d = c.dims(7);
        assert_eq!(
            (d.hidden, d.heads, d.kv_heads, d.max_positions),
            (96, 4, 4, 7)
        );
    }

    #[test]
    fn refuses_unsupported_features() {
        let yarn = serde_json::json!({"rope_type": "yarn", "factor": 4.0});
        assert_eq!(
            feature(with(|o| {
                o.insert("rope_scaling".into(), yarn.clone());
            })),
            "rope_scaling"
        );
        assert_eq!(
            feature(with(|o| {
                o.insert(
                    "rope_parameters".into(),
                    serde_json::json!({"rope_type": "linear", "rope_theta": 1e6}),
                );
            })),
            "rope_parameters"
        );
        assert_eq!(
            feature(with(|o| {
                o.insert("use_sliding_window".into(), true.into());
            })),
            "use_sliding_window"
        );
        assert_eq!(
            feature(with(|o| {
                o.insert("attention_bias".into(), true.into());
            })),
            "attention_bias"
        );
        assert_eq!(
            feature(with(|o| {
                o.insert(
                    "quantization_config".into(),
                    serde_json::json!({"quant_method": "fp8", "activation_scheme": "static"}),
                );
            })),
            "quantization_config.activation_scheme"
        );
        // a default-type rope_scaling is accepted
        with(|o| {
            o.insert(
                "rope_scaling".into(),
                serde_json::json!({"rope_type": "default"}),
            );
        })
        .unwrap();
    }

    #[test]
    fn reads_fp8_quantization_config() {
        let c = with(|o| {
            o.insert(
                "quantization_config".into(),
                serde_json::json!({"quant_method": "fp8", "fmt": "e4m3",
                    "weight_block_size": [64, 32], "activation_scheme": "dynamic"}),
            );
        })
        .unwrap();
        assert_eq!(
            c.quantization,
            Some(QuantizationConfig::Fp8Block { block: [64, 32] })
        );
        let bad = with(|o| {
            o.insert(
                "quantization_config".into(),
                serde_json::json!({"quant_method": "fp8", "weight_block_size": [128]}),
            );
        });
        assert!(matches!(bad, Err(Error::Format { .. })), "{bad:?}");
    }

    #[test]
    fn malformed_fields_are_errors() {
        for (key, v) in [
            ("hidden_size", Value::from(-1)),
            ("hidden_size", Value::from("96")),
            ("rms_norm_eps", Value::from("x")),
            ("num_key_value_heads", Value::from(3)),
        ] {
            let r = with(|o| {
                o.insert(key.into(), v.clone());
            });
            assert!(matches!(r, Err(Error::Format { .. })), "{key}: {r:?}");
        }
        let r = with(|o| {
            o.remove("vocab_size");
        });
        assert!(
            matches!(r, Err(Error::Format { ref reason, .. }) if reason.contains("vocab_size"))
        );
        assert!(matches!(
            Qwen3Config::from_json_str("c.json", "{"),
            Err(Error::Format { .. })
        ));
    }
}
