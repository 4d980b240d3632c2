//! The tiny Qwen3 checkpoints shipped inside the binary (made by transformers, see
//! `tests/golden/README.md`), so the main command needs no download: the tied model in bf16,
//! FP8-block and MXFP8 layouts, each with transformers' logits and greedy generation.

use crate::error::{Error, Result};
use std::path::PathBuf;

/// One embedded checkpoint directory: its name and files.
pub struct EmbeddedModel {
    /// `bf16`, `fp8` or `mxfp8`.
    pub format: &'static str,
    /// `(file name, contents)`.
    pub files: &'static [(&'static str, &'static [u8])],
}

macro_rules! file {
    ($dir:literal, $name:literal) => {
        (
            $name,
            include_bytes!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/golden/qwen3/tied/",
                $dir,
                "/",
                $name
            )) as &[u8],
        )
    };
}

/// The embedded checkpoints.
pub const EMBEDDED: [EmbeddedModel; 3] = [
    EmbeddedModel {
        format: "bf16",
        files: &[
            file!("bf16", "config.json"),
            file!("bf16", "model.safetensors"),
            file!("bf16", "tokenizer.json"),
            file!("bf16", "expected.safetensors"),
        ],
    },
    EmbeddedModel {
        format: "fp8",
        files: &[
            file!("fp8", "config.json"),
            file!("fp8", "model.safetensors"),
            file!("fp8", "tokenizer.json"),
            file!("fp8", "expected.safetensors"),
        ],
    },
    EmbeddedModel {
        format: "mxfp8",
        files: &[
            file!("mxfp8", "config.json"),
            file!("mxfp8", "quant_model_description.json"),
            file!("mxfp8", "quant_model_weight_w8a8_mxfp8.safetensors"),
            file!("mxfp8", "tokenizer.json"),
            file!("mxfp8", "expected.safetensors"),
        ],
    },
];

impl EmbeddedModel {
    /// Writes the files to a directory under the system temp dir (once per version and format)
    /// and returns it, so the ordinary loader reads them.
    pub fn materialize(&self) -> Result<PathBuf> {
        let dir = std::env::temp_dir()
            .join(format!(
                "ascend-kernels-{}-tiny-qwen3",
                env!("CARGO_PKG_VERSION")
            ))
            .join(self.format);
        let io_err = |source| Error::Io {
            path: dir.display().to_string(),
            source,
        };
        std::fs::create_dir_all(&dir).map_err(io_err)?;
        for (name, bytes) in self.files {
            let path = dir.join(name);
            let fresh = std::fs::read(&path).map(|b| b == *bytes).unwrap_or(false);
            if !fresh {
                crate::io::write_atomic(&path, bytes)?;
            }
        }
        Ok(dir)
    }
}
