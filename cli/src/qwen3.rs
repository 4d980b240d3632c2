//! `ascend-kernels qwen3`: run a Qwen3 checkpoint through the library's ops. Without `--model`
//! and without a prompt it runs the end-to-end proof on the embedded tiny checkpoints.

use ascend_kernels::files::ModelDir;
use ascend_kernels::io::{serialize, write_atomic, RawTensor};
use ascend_kernels::ops::MxQuantOptions;
use ascend_kernels::qwen3::dummy::{self, DummyFormat, DummyOptions};
use ascend_kernels::qwen3::embedded::EMBEDDED;
use ascend_kernels::qwen3::forward::{Mode, Profile, Qwen3};
use ascend_kernels::qwen3::proof::evaluate;
use ascend_kernels::qwen3::{Checkpoint, CheckpointFormat, Qwen3Config};
use ascend_kernels::{Backend, Error, Result};
use clap::Args;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Arguments of `ascend-kernels qwen3`.
#[derive(Args, Debug)]
pub struct Qwen3Args {
    /// Checkpoint directory (config.json + safetensors; bf16, FP8-block or MXFP8) [default: the
    /// embedded tiny model]. With --dummy-weights: a directory with a config.json, or the file.
    #[arg(long)]
    model: Option<PathBuf>,
    /// Run the model's architecture on random weights made in this format (bf16 | fp8-block |
    /// mxfp8) from --model's config.json: validates the config, the weight map and the path
    /// before the real weights are downloaded (not the numerics).
    #[arg(long)]
    dummy_weights: Option<DummyFormat>,
    /// With --dummy-weights: decoder layers to make and run [default: all of the config's].
    #[arg(long)]
    layers: Option<usize>,
    /// With --dummy-weights: write the dummy checkpoint here and keep it [default: a temporary
    /// directory, removed afterwards].
    #[arg(long)]
    dummy_dir: Option<PathBuf>,
    /// Where the ops run: cpu, sim (the emulator) or npu[:N] (an NPU through CANN).
    #[arg(long)]
    backend: Option<String>,
    /// With `--backend sim`: a2 or a5 [default: a2].
    #[arg(long)]
    target: Option<String>,
    /// dequant | w8a8-mxfp8 | w8a16-mxfp8 [default: dequant].
    #[arg(long)]
    mode: Option<Mode>,
    /// Prompt token ids, comma-separated.
    #[arg(long, conflicts_with = "prompt")]
    prompt_ids: Option<String>,
    /// Prompt text (needs tokenizer.json in the model directory).
    #[arg(long)]
    prompt: Option<String>,
    /// Tokens to generate greedily [default: 16; 1 with --dummy-weights].
    #[arg(long)]
    max_new_tokens: Option<usize>,
    /// Write the prompt's logits (`logits` F32 `[T, vocab]`) to this safetensors file.
    #[arg(long)]
    logits_out: Option<PathBuf>,
}

impl Qwen3Args {
    /// The checks that need no file: the backends and the prompt ids.
    pub fn check(&self) -> Result<()> {
        backends(self)?;
        if let Some(ids) = &self.prompt_ids {
            parse_ids(ids)?;
        }
        Ok(())
    }
}

/// Runs the command; `Ok(false)` when the proof found a disagreement.
pub fn run(args: &Qwen3Args) -> Result<bool> {
    if let Some(format) = args.dummy_weights {
        return run_dummy(args, format).map(|()| true);
    }
    for (given, flag) in [
        (args.layers.is_some(), "--layers"),
        (args.dummy_dir.is_some(), "--dummy-dir"),
    ] {
        if given {
            return Err(Error::option(flag, "applies with --dummy-weights only"));
        }
    }
    if args.model.is_none()
        && args.prompt_ids.is_none()
        && args.prompt.is_none()
        && args.logits_out.is_none()
    {
        return prove(args);
    }
    generate(args).map(|()| true)
}

fn backends(args: &Qwen3Args) -> Result<Vec<Backend>> {
    match &args.backend {
        Some(b) => {
            let backend = Backend::from_cli(b, args.target.as_deref())?;
            backend.check_available()?;
            Ok(vec![backend])
        }
        None if args.target.is_some() => {
            Ok(vec![Backend::from_cli("sim", args.target.as_deref())?])
        }
        None => ["a2", "a5"]
            .iter()
            .map(|t| Backend::from_cli("sim", Some(t)))
            .collect::<Result<Vec<_>>>()
            .map(|sims| std::iter::once(Backend::Cpu).chain(sims).collect()),
    }
}

/// Every embedded format x mode x backend against transformers' logits and generation.
fn prove(args: &Qwen3Args) -> Result<bool> {
    let modes = match args.mode {
        Some(m) => vec![m],
        None => vec![Mode::Dequant, Mode::W8A16Mxfp8, Mode::W8A8Mxfp8],
    };
    let backends = backends(args)?;
    println!("Qwen3 end to end: embedded tiny checkpoints (made by transformers; tests/golden/README.md)");
    println!("against transformers' bf16 logits and greedy generation (on the dequantized weights for FP8/MXFP8)\n");
    println!(
        "{:<6} {:<12} {:<10} {:>7} {:>10} {:>10} {:>9}  {:<10} {:>10} {:>10}",
        "format",
        "mode",
        "backend",
        "argmax",
        "max|dlog|",
        "mean KL",
        "bound",
        "generate",
        "prefill",
        "decode"
    );
    let (mut passed, mut failed, mut unavailable) = (0, 0, 0);
    for model in &EMBEDDED {
        let dir = model.materialize()?;
        for &mode in &modes {
            for backend in &backends {
                let row = format!(
                    "{:<6} {:<12} {:<10}",
                    model.format,
                    mode.name(),
                    backend.name()
                );
                match evaluate(&dir, mode, backend) {
                    Ok(e) => {
                        let a = e.agreement;
                        let ok = e.passed();
                        if ok {
                            passed += 1;
                        } else {
                            failed += 1;
                        }
                        let tok_s = |(n, t): (usize, std::time::Duration)| {
                            n as f64 / t.as_secs_f64().max(1e-9)
                        };
                        println!(
                            "{row} {:>3}/{:<3} {:>10.4} {:>10.2e} {:>9}  {:<10} {:>6.0} t/s {:>6.0} t/s  {}",
                            a.argmax_matches,
                            a.positions,
                            a.max_abs_diff,
                            a.mean_kl,
                            format!("{}/{:.0e}", e.tolerance.max_abs_diff, e.tolerance.mean_kl),
                            if e.generated == e.expected_generated { "16/16 same".to_string() } else { "DIFFERENT".to_string() },
                            tok_s(e.prefill),
                            tok_s(e.decode),
                            if ok { "ok" } else { "FAIL" }
                        );
                        if e.generated != e.expected_generated {
                            println!(
                                "       ours {:?}\n       want {:?}",
                                e.generated, e.expected_generated
                            );
                        }
                    }
                    Err(Error::BackendUnavailable { reason, .. }) => {
                        unavailable += 1;
                        println!("{row} not available yet: {reason}");
                    }
                    Err(e) => {
                        failed += 1;
                        println!("{row} FAIL: {e}");
                    }
                }
            }
        }
    }
    println!("\nbounds: docs/qwen3.md (\"Tolerances\"); 'not available' = the Sim backend has no generated kernel for an op yet");
    println!("qwen3: {passed} passed, {failed} failed, {unavailable} not available");
    Ok(failed == 0)
}

fn parse_ids(text: &str) -> Result<Vec<u32>> {
    let ids: std::result::Result<Vec<u32>, _> =
        text.split(',').map(|s| s.trim().parse::<u32>()).collect();
    match ids {
        Ok(v) if !v.is_empty() => Ok(v),
        _ => Err(Error::option(
            "--prompt-ids",
            format!("expected comma-separated token ids, got `{text}`"),
        )),
    }
}

/// Removes a temporary directory when dropped (also after an error).
struct RemoveDir(PathBuf);

impl Drop for RemoveDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `--dummy-weights`: random weights in the layout of --model's config.json, then the same run
/// as a real checkpoint (loader, weights for the mode, forward, generation).
fn run_dummy(args: &Qwen3Args, format: DummyFormat) -> Result<()> {
    let model = args.model.as_ref().ok_or_else(|| {
        Error::option(
            "--dummy-weights",
            "needs --model: a directory with a config.json, or the file (data/qwen3/ has \
             Qwen3-0.6B, 4B and 8B)",
        )
    })?;
    let config_path = if model.is_dir() {
        model.join("config.json")
    } else {
        model.clone()
    };
    let config = Qwen3Config::from_file(&config_path)?;
    let layers = args.layers.unwrap_or(config.num_hidden_layers);
    let (params, bytes) = dummy::estimate(&config, format, layers.min(config.num_hidden_layers));
    println!(
        "dummy {} weights for {}: {layers} of {} decoder layers, {:.2}B parameters, {:.2} GB to write, about twice that in memory at the peak",
        format.name(),
        config_path.display(),
        config.num_hidden_layers,
        params as f64 / 1e9,
        bytes as f64 / 1e9
    );
    let (dir, _cleanup) = match &args.dummy_dir {
        Some(d) => (d.clone(), None),
        None => {
            let d =
                std::env::temp_dir().join(format!("ascend-kernels-dummy-{}", std::process::id()));
            (d.clone(), Some(RemoveDir(d)))
        }
    };
    let start = Instant::now();
    let options = DummyOptions {
        format,
        layers: Some(layers),
        seed: 0x5EED,
    };
    let report =
        dummy::write_dummy_checkpoint(&config_path, &dir, &options, &mut |done, total| {
            eprint!("\rwriting shards {done}/{total}");
        })?;
    eprintln!();
    println!(
        "wrote {} files ({:.2} GB of weights) to {} in {:.2?}",
        report.files.len(),
        report.weight_bytes as f64 / 1e9,
        dir.display(),
        start.elapsed()
    );
    generate_in(args, &dir, args.max_new_tokens.unwrap_or(1))?;
    println!(
        "dummy weights: this run validated the path, not the numerics: config.json, the {} weight map \
         and shapes of {} of {} layers, the loader, and the forward in mode {} on {}. The weights \
         are random: the generated ids mean nothing.",
        format.name(),
        report.layers,
        report.config_layers,
        args.mode.unwrap_or_default().name(),
        Backend::from_cli(args.backend.as_deref().unwrap_or("cpu"), args.target.as_deref())?.name()
    );
    if args.dummy_dir.is_some() {
        println!("the dummy checkpoint is kept in {}", dir.display());
    }
    Ok(())
}

/// One checkpoint, one mode, one backend: generate and report.
fn generate(args: &Qwen3Args) -> Result<()> {
    let dir = match &args.model {
        Some(d) => d.clone(),
        None => EMBEDDED[0].materialize()?,
    };
    generate_in(args, &dir, args.max_new_tokens.unwrap_or(16))
}

fn generate_in(args: &Qwen3Args, dir: &Path, max_new_tokens: usize) -> Result<()> {
    let dir = dir.to_path_buf();
    let backend = Backend::from_cli(
        args.backend.as_deref().unwrap_or("cpu"),
        args.target.as_deref(),
    )?;
    backend.check_available()?;
    let mode = args.mode.unwrap_or_default();
    let tokenizer = load_tokenizer(&dir)?;
    let prompt = match (&args.prompt_ids, &args.prompt, &tokenizer) {
        (Some(ids), _, _) => parse_ids(ids)?,
        (None, Some(text), Some(t)) => t
            .encode(text.as_str(), false)
            .map_err(|e| Error::option("--prompt", format!("cannot tokenize: {e}")))?
            .get_ids()
            .to_vec(),
        (None, Some(_), None) => {
            return Err(Error::option(
                "--prompt",
                format!(
                    "{} has no tokenizer.json; pass --prompt-ids instead",
                    dir.display()
                ),
            ))
        }
        (None, None, _) => vec![1, 2, 3],
    };
    let start = Instant::now();
    // The whole sequence must fit the model's context: checked before loading anything, so a
    // run never stops half way (and always writes its --logits-out).
    let config = Qwen3Config::from_json_str(
        &dir.join("config.json").display().to_string(),
        &ModelDir::open(&dir)?.read_text("config.json")?,
    )?;
    let context = config.max_position_embeddings;
    let positions = prompt
        .len()
        .checked_add(max_new_tokens)
        .filter(|&n| n <= context)
        .ok_or_else(|| {
            Error::option(
                "--max-new-tokens",
                format!(
                    "{} new tokens after a prompt of {} exceed the model's context of {context} \
                     positions (max_position_embeddings)",
                    max_new_tokens,
                    prompt.len()
                ),
            )
        })?;
    super::progress::status(&format!("loading {} ...", dir.display()));
    let checkpoint = Checkpoint::load(&dir)?;
    let format = checkpoint.format;
    let dims = checkpoint.config.dims(positions.max(1));
    super::progress::status(&format!("preparing the {} weights ...", mode.name()));
    let weights = checkpoint.into_weights(mode, &backend, &MxQuantOptions::default())?;
    let mut model = Qwen3::new(dims.clone(), weights, mode, backend.clone())?;
    model.plan_generation(prompt.len(), max_new_tokens)?;
    super::progress::clear();
    println!(
        "model {} ({}), mode {}, backend {}, loaded in {:.2?}",
        dir.display(),
        format_name(format),
        mode.name(),
        backend.name(),
        start.elapsed()
    );
    super::progress::status(&format!("generating {} tokens ...", max_new_tokens));
    let (ids, logits, times) = model.generate(&prompt, max_new_tokens)?;
    super::progress::clear();
    println!("prompt ids:    {prompt:?}");
    println!("generated ids: {ids:?}");
    if let Some(t) = &tokenizer {
        if let Ok(text) = t.decode(&ids, true) {
            println!("generated text: {text:?}");
        }
    }
    println!(
        "prefill: {} tokens in {:.2?} ({:.1} tokens/s); decode: {} tokens in {:.2?} ({:.1} tokens/s)",
        times.prompt_tokens,
        times.prefill,
        times.prompt_tokens as f64 / times.prefill.as_secs_f64().max(1e-9),
        times.decode_tokens,
        times.decode,
        times.decode_tokens as f64 / times.decode.as_secs_f64().max(1e-9)
    );
    print_profile(&model.profile);
    if let Some(path) = &args.logits_out {
        let meta = HashMap::from([(
            "producer".to_string(),
            format!("ascend-kernels {}", env!("CARGO_PKG_VERSION")),
        )]);
        write_atomic(
            path,
            &serialize(
                &[("logits".to_string(), RawTensor::from_tensor(&logits))],
                &meta,
            )?,
        )?;
        println!(
            "logits [{}, {}] written to {}",
            prompt.len(),
            dims.vocab,
            path.display()
        );
    }
    Ok(())
}

fn format_name(f: CheckpointFormat) -> String {
    match f {
        CheckpointFormat::Dense(d) => d.name().to_lowercase(),
        CheckpointFormat::Fp8Block { block } => format!("fp8 block {}x{}", block[0], block[1]),
        CheckpointFormat::Mxfp8 => "mxfp8".into(),
    }
}

fn print_profile(p: &Profile) {
    let total: f64 = p.ops.values().map(|(d, _)| d.as_secs_f64()).sum();
    println!("time per op:");
    let mut rows: Vec<_> = p.ops.iter().collect();
    rows.sort_by_key(|r| std::cmp::Reverse(r.1 .0));
    for (name, (d, calls)) in rows {
        println!(
            "  {:<22} {:>9.2?} {:>5.1}%  {:>6} calls",
            name,
            d,
            100.0 * d.as_secs_f64() / total.max(1e-12),
            calls
        );
    }
}

fn load_tokenizer(dir: &Path) -> Result<Option<tokenizers::Tokenizer>> {
    let path = dir.join("tokenizer.json");
    let mdir = ModelDir::open(dir)?;
    if !mdir.contains("tokenizer.json") {
        return Ok(None);
    }
    let bytes = mdir.read("tokenizer.json")?;
    tokenizers::Tokenizer::from_bytes(&bytes)
        .map(Some)
        .map_err(|e| Error::Format {
            path: path.display().to_string(),
            reason: format!("not a tokenizer: {e}"),
        })
}
