//! `ascend-kernels tune`: sweep the generated variants on the sim and cost them from its
//! counters against each target's roofline (modelled NPU time, not a measurement).

use ascend_kernels::tune::{self, report, MODELS};
use ascend_kernels::{Error, Result};
use clap::Args;
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct TuneArgs {
    /// Qwen3 model shapes to sweep: any of 0.6B, 4B, 8B (comma-separated).
    #[arg(long, value_delimiter = ',', default_values_t = ["0.6B".to_string(), "4B".to_string(), "8B".to_string()])]
    models: Vec<String>,
    /// Write the table to this markdown file (between the `<!-- tune:begin -->` and
    /// `<!-- tune:end -->` markers when the file has them).
    #[arg(long)]
    table: Option<PathBuf>,
    /// Write the chosen variants to this Rust file (the crate's `src/tiling/tuned.rs`).
    #[arg(long)]
    defaults: Option<PathBuf>,
}

pub fn run(args: &TuneArgs) -> Result<()> {
    if !ascend_kernels::backend::sim::available() {
        return Err(Error::BackendUnavailable {
            backend: "sim".into(),
            reason: "this build has no sim; tune needs it".into(),
        });
    }
    let models: Vec<_> = args
        .models
        .iter()
        .map(|name| {
            MODELS
                .iter()
                .find(|m| m.name.eq_ignore_ascii_case(name))
                .copied()
                .ok_or_else(|| {
                    Error::option(
                        "--models",
                        format!("unknown model `{name}` (expected 0.6B, 4B or 8B)"),
                    )
                })
        })
        .collect::<Result<_>>()?;
    let start = std::time::Instant::now();
    let mut n = 0;
    let points = tune::run(&models, |what| {
        n += 1;
        eprintln!("[{:>6.1}s] {n:>3} {what}", start.elapsed().as_secs_f64());
    })?;
    let table = report::markdown(&points);
    println!("{table}");
    println!("Chosen (least modelled time per kernel, target and phase):");
    for ((kernel, target, phase), variant) in report::choose(&points) {
        println!("  {kernel:<18} {target} {:<8} {variant}", phase.name());
    }
    if let Some(path) = &args.table {
        write_between_markers(path, &table)?;
        eprintln!("table written to {}", path.display());
    }
    if let Some(path) = &args.defaults {
        ascend_kernels::io::write_atomic(path, report::tuned_rs(&points).as_bytes())?;
        eprintln!(
            "defaults written to {} (rebuild to use them)",
            path.display()
        );
    }
    Ok(())
}

/// Replaces the text between the markers (or the whole file when it has none).
fn write_between_markers(path: &PathBuf, table: &str) -> Result<()> {
    const BEGIN: &str = "<!-- tune:begin -->";
    const END: &str = "<!-- tune:end -->";
    let old = std::fs::read_to_string(path).unwrap_or_default();
    let new = match (old.find(BEGIN), old.find(END)) {
        (Some(b), Some(e)) if b < e => format!("{}{BEGIN}\n{table}{}", &old[..b], &old[e..]),
        _ => table.to_string(),
    };
    ascend_kernels::io::write_atomic(path, new.as_bytes())
}
