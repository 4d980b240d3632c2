//! `ascend-kernels convert`: FP8-block or MXFP8 checkpoints to bf16, bf16 or FP8-block
//! checkpoints to MXFP8 in the msmodelslim layout (dequantize, then requantize).

use ascend_kernels::qwen3::convert::{convert, ConvertOptions, ConvertTarget};
use ascend_kernels::{Result, RoundMode};
use clap::Args;
use std::path::PathBuf;
use std::time::Instant;

/// Arguments of `ascend-kernels convert`.
#[derive(Args, Debug)]
pub struct ConvertArgs {
    /// Input checkpoint directory.
    #[arg(long)]
    input: PathBuf,
    /// Output directory: created, or an empty directory (see --replace); must differ from the
    /// input. Written all or nothing (a temporary directory beside it, renamed at the end).
    #[arg(long)]
    output: PathBuf,
    /// bf16 or mxfp8.
    #[arg(long)]
    to: ConvertTarget,
    /// MXFP8 element rounding: round (msmodelslim, ties away) or rint (ties to even).
    #[arg(long, default_value = "round")]
    round: RoundMode,
    /// Replace the output directory if it is not empty (it is replaced whole, never merged).
    #[arg(long)]
    replace: bool,
}

/// Converts, drawing a progress bar on stderr.
pub fn run(args: &ConvertArgs) -> Result<()> {
    let start = Instant::now();
    let options = ConvertOptions {
        to: args.to,
        round: args.round,
        replace: args.replace,
    };
    let mut progress = |done: usize, total: usize| {
        let width = 40;
        let filled = (done * width)
            .checked_div(total)
            .unwrap_or(width)
            .min(width);
        super::progress::status(&format!(
            "converting [{}{}] {done}/{total} linear weights",
            "#".repeat(filled),
            " ".repeat(width - filled)
        ));
    };
    super::progress::status(&format!("loading {} ...", args.input.display()));
    let report = convert(&args.input, &args.output, &options, &mut progress);
    super::progress::clear();
    let report = report?;
    println!(
        "converted {} linear weights to {} in {:.2?}; wrote {} files to {}",
        report.linears,
        match args.to {
            ConvertTarget::Bf16 => "bf16",
            ConvertTarget::Mxfp8 => "MXFP8 (msmodelslim layout)",
        },
        start.elapsed(),
        report.files.len(),
        args.output.display()
    );
    Ok(())
}
