//! `ascend-kernels verify`: every golden fixture through the library, one line each.

use super::op::parse_backend;
use ascend_kernels::verify::{check_fixture, fixture_files};
use ascend_kernels::Result;
use clap::Args;
use std::path::PathBuf;
use std::time::Instant;

/// Arguments of `ascend-kernels verify`.
#[derive(Args, Debug)]
pub struct VerifyArgs {
    /// Directory of fixtures (`<op>/<case>.safetensors` with `expected.*` tensors).
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/golden/ops"))]
    fixtures: PathBuf,
    /// Backends to check, comma-separated: cpu, sim-a2, sim-a5, npu (or npu:N).
    #[arg(long, default_value = "cpu")]
    backend: String,
    /// Print only failures and the summary.
    #[arg(long)]
    quiet: bool,
}

impl VerifyArgs {
    /// The checks that need no file: the backend names.
    pub fn check(&self) -> Result<()> {
        for name in self.backend.split(',') {
            parse_backend(name.trim())?;
        }
        Ok(())
    }
}

/// Runs the fixtures; `Ok(false)` when any comparison failed.
pub fn run(args: &VerifyArgs) -> Result<bool> {
    let files = fixture_files(&args.fixtures)?;
    if files.is_empty() {
        return Err(ascend_kernels::Error::InvalidValue {
            tensor: args.fixtures.display().to_string(),
            reason: "no fixture files found".into(),
        });
    }
    let (mut passed, mut failed, mut skipped) = (0usize, 0usize, 0usize);
    // Every backend is parsed and opened before any fixture runs.
    let backends = args
        .backend
        .split(',')
        .map(|name| {
            let backend = parse_backend(name.trim())?;
            backend.check_available()?;
            Ok(backend)
        })
        .collect::<Result<Vec<_>>>()?;
    for backend in backends {
        println!(
            "verifying {} fixtures on {} ...",
            files.len(),
            backend.name()
        );
        let start = Instant::now();
        for path in &files {
            let shown = path
                .strip_prefix(&args.fixtures)
                .unwrap_or(path)
                .display()
                .to_string();
            match check_fixture(&backend, path) {
                Ok(result) if result.skipped.is_some() => {
                    skipped += 1;
                    if !args.quiet {
                        println!(
                            "  skip  {:<9} {shown}: {}",
                            backend.name(),
                            result.skipped.as_deref().unwrap_or("")
                        );
                    }
                }
                Ok(result) if result.passed() => {
                    passed += 1;
                    if !args.quiet {
                        let exact: usize = result.comparisons.iter().map(|c| c.identical).sum();
                        let total: usize = result.comparisons.iter().map(|c| c.elements).sum();
                        println!(
                            "  ok    {:<9} {shown} ({exact}/{total} bit-identical)",
                            backend.name()
                        );
                    }
                }
                Ok(result) => {
                    failed += 1;
                    for c in result.comparisons.iter().filter(|c| !c.passed()) {
                        println!(
                            "  FAIL  {:<9} {shown}: {} has {} of {} elements outside the rule; first: {}",
                            backend.name(),
                            c.tensor,
                            c.failures,
                            c.elements,
                            c.first_failure.as_deref().unwrap_or("?")
                        );
                    }
                }
                Err(e) => {
                    failed += 1;
                    println!("  FAIL  {:<9} {shown}: {e}", backend.name());
                }
            }
        }
        println!("  {} done in {:.2?}", backend.name(), start.elapsed());
    }
    if skipped > 0 {
        println!("verify: {skipped} skipped (held on another sim target, or on the cpu only)");
    }
    println!("verify: {passed} passed, {failed} failed");
    Ok(failed == 0)
}
