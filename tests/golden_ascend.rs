//! The Ascend-mode fixtures (`tests/golden/gen_ascend_modes.py`: Huawei's golden functions and
//! kernel arithmetic written in numpy) through the library on the CPU and on the sim of each
//! target: rms-norm `ascend-*`, add-rms-norm, rotary-mul and the `npu_*` mx-quant fixtures.
//! A fixture names the sim targets it holds on (`sim_targets`: the target whose operator its
//! mode reproduces, `none` for inputs whose f32 sums the NPU may order differently); everywhere
//! else it must pass bit for bit.

use ascend_kernels::backend::sim::{self, SimConfig};
use ascend_kernels::tiling::Target;
use ascend_kernels::verify::{check_fixture, fixture_files};
use ascend_kernels::Backend;
use std::path::{Path, PathBuf};

fn ops_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/ops")
}

/// The fixtures gen_ascend_modes.py writes.
fn ascend_fixtures() -> Vec<PathBuf> {
    let files = fixture_files(&ops_dir()).unwrap();
    files
        .into_iter()
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy().to_string();
            let op = p
                .parent()
                .unwrap()
                .file_name()
                .unwrap()
                .to_string_lossy()
                .to_string();
            match op.as_str() {
                "rms-norm" => name.starts_with("ascend_"),
                "add-rms-norm" | "rotary-mul" => true,
                "mx-quant" => name.starts_with("npu_"),
                _ => false,
            }
        })
        .collect()
}

/// Runs every Ascend fixture on `backend`; returns (passed, skipped).
fn run(backend: &Backend) -> (usize, usize) {
    let files = ascend_fixtures();
    assert!(files.len() >= 60, "only {} Ascend fixtures", files.len());
    let (mut passed, mut skipped) = (0, 0);
    let mut failures = Vec::new();
    for path in &files {
        match check_fixture(backend, path) {
            Ok(r) if r.skipped.is_some() => skipped += 1,
            Ok(r) if r.passed() => passed += 1,
            Ok(r) => {
                for c in r.comparisons.iter().filter(|c| !c.passed()) {
                    failures.push(format!(
                        "{}: {} {} of {} differ, first {}",
                        path.display(),
                        c.tensor,
                        c.failures,
                        c.elements,
                        c.first_failure.as_deref().unwrap_or("?")
                    ));
                }
            }
            Err(e) => failures.push(format!("{}: {e}", path.display())),
        }
    }
    assert!(
        failures.is_empty(),
        "{} on {}:\n{}",
        failures.len(),
        backend.name(),
        failures.join("\n")
    );
    (passed, skipped)
}

#[test]
fn every_ascend_fixture_passes_on_the_cpu() {
    let (passed, skipped) = run(&Backend::Cpu);
    assert_eq!(skipped, 0, "the cpu runs every fixture");
    assert!(passed >= 60);
}

#[test]
fn ascend_fixtures_pass_on_the_sim_of_their_target() {
    if !sim::available() {
        assert!(
            !Path::new(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/ascendc/sim/kernel_operator.h"
            ))
            .exists(),
            "ascendc/sim is present but Backend::Sim is not available"
        );
        return;
    }
    for target in Target::ALL {
        let (passed, skipped) = run(&Backend::Sim(SimConfig::new(target)));
        // the exact-sum norm fixtures of the target's own modes, the rope fixtures (a2) and
        // the mx-quant fixtures (both) run; the rest are skipped with a reason
        assert!(
            passed >= 20,
            "{target}: only {passed} ran ({skipped} skipped)"
        );
    }
}
