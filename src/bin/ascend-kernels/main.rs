//! The `ascend-kernels` command line: run one op on tensors in a safetensors file (and, with
//! later features, run a Qwen3 forward, convert checkpoints, emit kernels).

mod convert;
mod emit;
mod op;
mod qwen3;
mod tune;
mod verify;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// FP8 / MXFP8 kernels for Qwen3-class models on Ascend NPUs.
#[derive(Parser)]
#[command(name = "ascend-kernels", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run one op on the tensors of a safetensors file and write its outputs to another.
    Op(op::OpArgs),
    /// Run every golden fixture (independent references: torchao, torch, transformers) through
    /// the library and report agreement.
    Verify(verify::VerifyArgs),
    /// Run a Qwen3 checkpoint (bf16, FP8-block or MXFP8) through the library's ops; without
    /// --model and a prompt, the end-to-end proof on the embedded tiny checkpoints.
    Qwen3(qwen3::Qwen3Args),
    /// Convert a checkpoint: FP8-block or MXFP8 to bf16, bf16 or FP8-block to MXFP8
    /// (msmodelslim layout).
    Convert(convert::ConvertArgs),
    /// Write the generated AscendC kernels of a target with a CMake project for CANN.
    Emit(emit::EmitArgs),
    /// Sweep the generated kernel variants on the sim over Qwen3 shapes and cost them from the
    /// sim's counters against each target's roofline (modelled, not measured).
    Tune(tune::TuneArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Op(args) => op::run(&args),
        Command::Verify(args) => match verify::run(&args) {
            Ok(true) => Ok(()),
            Ok(false) => return ExitCode::from(1),
            Err(e) => Err(e),
        },
        Command::Emit(args) => emit::run(&args),
        Command::Convert(args) => convert::run(&args),
        Command::Tune(args) => tune::run(&args),
        Command::Qwen3(args) => match qwen3::run(&args) {
            Ok(true) => Ok(()),
            Ok(false) => return ExitCode::from(1),
            Err(e) => Err(e),
        },
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}
