//! `ascend-kernels emit`: the generated AscendC kernels of one target, their launch header, the
//! device helpers they include, and a CMake project for the CANN toolchain (`docs/cann.md`).

use ascend_kernels::{Error, Result};
use ascend_kernels_codegen::project::{npu_arch, write_cann_project, HELPERS};
use ascend_kernels_codegen::Target;
use clap::Args;
use std::path::PathBuf;

/// Arguments of `ascend-kernels emit`.
#[derive(Args, Debug)]
pub struct EmitArgs {
    /// a2 (Atlas A2/A3, dav-c220) or a5 (Ascend 950, dav-c310).
    #[arg(long)]
    target: String,
    /// Output directory (created; existing generated files are overwritten).
    #[arg(long)]
    out: PathBuf,
}

/// Writes the project; prints what it wrote.
pub fn run(args: &EmitArgs) -> Result<()> {
    let target: Target = match args.target.as_str() {
        "a2" => Target::A2,
        "a5" => Target::A5,
        other => {
            return Err(Error::option(
                "--target",
                format!("unknown target `{other}` (expected a2 or a5)"),
            ))
        }
    };
    let kernels = write_cann_project(&args.out, target).map_err(|reason| Error::InvalidValue {
        tensor: "emit".into(),
        reason,
    })?;
    println!(
        "wrote {kernels} kernel sources, ak_kernels.h, {} helpers and a CMake project for {} ({}) to {}",
        HELPERS.len(),
        target.name(),
        npu_arch(target),
        args.out.display()
    );
    Ok(())
}
