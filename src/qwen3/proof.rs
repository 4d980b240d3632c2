//! The end-to-end check: a checkpoint directory with transformers' expected outputs
//! (`expected.safetensors`: `prompt{i}.ids`, `prompt{i}.logits`, `generate.prompt`,
//! `generate.tokens`) run through our forward, and the agreement judged against stated bounds
//! (`docs/qwen3.md` explains them).

use super::compare::{compare_logits, LogitAgreement};
use super::forward::{Mode, Qwen3};
use super::{Checkpoint, CheckpointFormat};
use crate::error::{Error, Result};
use crate::io::TensorFile;
use crate::ops::MxQuantOptions;
use crate::Backend;
use std::path::Path;
use std::time::{Duration, Instant};

/// The agreement a mode must reach with transformers.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Tolerance {
    /// Largest allowed `|Δlogit|`.
    pub max_abs_diff: f64,
    /// Largest allowed mean KL (nats).
    pub mean_kl: f64,
}

impl Tolerance {
    /// The bound for running a `format` checkpoint in `mode` against transformers run on the
    /// (dequantized) checkpoint weights in bf16 (`docs/qwen3.md`, "Tolerances").
    pub fn for_run(format: CheckpointFormat, mode: Mode) -> Tolerance {
        match (format, mode) {
            // The same weights and bf16 activations: only summation order differs.
            (_, Mode::Dequant) | (CheckpointFormat::Mxfp8, Mode::W8A16Mxfp8) => Tolerance {
                max_abs_diff: 0.125,
                mean_kl: 1e-4,
            },
            // Activations quantized to E4M3 (relative step 2^-3, error <= 2^-4 per element).
            (CheckpointFormat::Mxfp8, Mode::W8A8Mxfp8) => Tolerance {
                max_abs_diff: 1.0,
                mean_kl: 1e-2,
            },
            // Weights quantized online to MXFP8 (and activations too in W8A8): the reference
            // keeps the original weights.
            (_, Mode::W8A16Mxfp8) => Tolerance {
                max_abs_diff: 1.0,
                mean_kl: 1e-2,
            },
            (_, Mode::W8A8Mxfp8) => Tolerance {
                max_abs_diff: 1.5,
                mean_kl: 2e-2,
            },
        }
    }
}

/// The outcome of one checkpoint x mode x backend.
#[derive(Clone, Debug)]
pub struct Evaluation {
    /// Logit agreement over every prompt.
    pub agreement: LogitAgreement,
    /// The bound it is judged by.
    pub tolerance: Tolerance,
    /// Our greedy tokens.
    pub generated: Vec<u32>,
    /// transformers' greedy tokens.
    pub expected_generated: Vec<u32>,
    /// Prompt tokens run through prefill, and the time it took.
    pub prefill: (usize, Duration),
    /// Decode steps and their time.
    pub decode: (usize, Duration),
    /// Time to load and prepare the weights.
    pub load: Duration,
}

impl Evaluation {
    /// True when every argmax agrees, the bounds hold and generation matches.
    pub fn passed(&self) -> bool {
        self.agreement.all_argmax_match()
            && self.agreement.max_abs_diff <= self.tolerance.max_abs_diff
            && self.agreement.mean_kl <= self.tolerance.mean_kl
            && self.generated == self.expected_generated
    }
}

fn ids(file: &TensorFile, name: &str) -> Result<Vec<u32>> {
    file.typed::<i64>(name)?
        .data()
        .iter()
        .map(|&v| {
            u32::try_from(v).map_err(|_| Error::InvalidValue {
                tensor: name.to_string(),
                reason: format!("token id {v} is negative or too large"),
            })
        })
        .collect()
}

/// Loads the checkpoint in `dir` for `mode` on `backend`, runs every prompt of its
/// `expected.safetensors` and the greedy generation, and compares with transformers.
pub fn evaluate(dir: &Path, mode: Mode, backend: &Backend) -> Result<Evaluation> {
    let expected = TensorFile::read(&dir.join("expected.safetensors"))?;
    let start = Instant::now();
    let checkpoint = Checkpoint::load(dir)?;
    let format = checkpoint.format;
    let dims = checkpoint
        .config
        .dims(checkpoint.config.max_position_embeddings);
    let weights = checkpoint.into_weights(mode, backend, &MxQuantOptions::default())?;
    let mut model = Qwen3::new(dims.clone(), weights, mode, backend.clone())?;
    let load = start.elapsed();
    let mut agreement: Option<LogitAgreement> = None;
    let mut prefill = (0, Duration::ZERO);
    for i in 0.. {
        let name = format!("prompt{i}.ids");
        if !expected.tensors.contains_key(&name) {
            break;
        }
        let prompt = ids(&expected, &name)?;
        let reference = expected.typed::<f32>(&format!("prompt{i}.logits"))?;
        let mut cache = model.new_cache();
        let start = Instant::now();
        let logits = model.forward(&prompt, &mut cache)?;
        prefill = (prefill.0 + prompt.len(), prefill.1 + start.elapsed());
        if reference.shape() != logits.shape() {
            return Err(Error::shape(
                &format!("prompt{i}.logits"),
                format!("{:?} (our logits)", logits.shape()),
                reference.shape(),
            ));
        }
        let a = compare_logits(logits.data(), reference.data(), dims.vocab);
        agreement = Some(agreement.map_or(a, |b| b.merge(a)));
    }
    let agreement = agreement.ok_or_else(|| Error::MissingTensor {
        tensor: "prompt0.ids".into(),
        source_name: expected.path.clone(),
    })?;
    let prompt = ids(&expected, "generate.prompt")?;
    let expected_generated = ids(&expected, "generate.tokens")?;
    let (generated, _, times) = model.generate(&prompt, expected_generated.len())?;
    Ok(Evaluation {
        agreement,
        tolerance: Tolerance::for_run(format, mode),
        generated,
        expected_generated,
        prefill,
        decode: (times.decode_tokens, times.decode),
        load,
    })
}
