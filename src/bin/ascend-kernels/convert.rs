//! `ascend-kernels convert`: FP8-block or MXFP8 checkpoints to bf16, bf16 or FP8-block
//! checkpoints to MXFP8 in the msmodelslim layout (dequantize, then requantize).

use ascend_kernels::qwen3::convert::{convert, ConvertOptions, ConvertTarget};
use ascend_kernels::{Result, RoundMode};
use clap::Args;
use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

/// Arguments of `ascend-kernels convert`.
#[derive(Args, Debug)]
pub struct ConvertArgs {
    /// Input checkpoint directory.
    #[arg(long)]
    input: PathBuf,
    /// Output directory (created; must differ from the input).
    #[arg(long)]
    output: PathBuf,
    /// bf16 or mxfp8.
    #[arg(long)]
    to: ConvertTarget,
    /// MXFP8 element rounding: round (msmodelslim, ties away) or rint (ties to even).
    #[arg(long, default_value = "round")]
    round: RoundMode,
}

/// Converts, drawing a progress bar on stderr.
pub fn run(args: &ConvertArgs) -> Result<()> {
    let start = Instant::now();
    let options = ConvertOptions {
        to: args.to,
        round: args.round,
    };
    let mut progress = |done: usize, total: usize| {
        let width = 40;
        let filled = (done * width).checked_div(total).unwrap_or(width);
        eprint!(
            "\rconverting [{}{}] {done}/{total} linear weights",
            "#".repeat(filled),
            " ".repeat(width - filled)
        );
        let _ = std::io::stderr().flush();
    };
    let report = convert(&args.input, &args.output, &options, &mut progress)?;
    eprintln!();
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
