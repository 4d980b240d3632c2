//! The `qwen3` command: the main job on the tiny fixture checkpoints (CPU), and a dummy-weights
//! run on a real config (`data/qwen3/`). The library side of both is tested in the root
//! package (`tests/qwen3_golden.rs`, `tests/qwen3_dummy.rs`).

use std::path::{Path, PathBuf};
use std::process::Command;

/// The binary, run from the repository root (where its default paths, such as the fixtures
/// of `tests/golden/`, are relative to), as it was when these tests lived in the root package.
fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_ascend-kernels"));
    c.current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."));
    c
}

fn data(model: &str) -> PathBuf {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .join("data/qwen3")
        .join(model)
        .join("config.json")
}

#[test]
fn the_proof_command_passes_on_cpu() {
    let out = bin().args(["qwen3", "--backend", "cpu"]).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout
            .lines()
            .last()
            .unwrap()
            .starts_with("qwen3: 9 passed, 0 failed"),
        "{stdout}"
    );
}

/// The CLI on a real config: one layer of Qwen3-0.6B in MXFP8, and its plain statement.
#[test]
fn cli_runs_the_path_and_says_what_it_validated() {
    let out = bin()
        .args([
            "qwen3",
            "--dummy-weights",
            "mxfp8",
            "--layers",
            "1",
            "--mode",
            "w8a8-mxfp8",
        ])
        .arg("--model")
        .arg(data("Qwen3-0.6B").parent().unwrap())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("1 of 28 decoder layers"), "{stdout}");
    assert!(stdout.contains("generated ids: ["), "{stdout}");
    assert!(
        stdout.contains("validated the path, not the numerics"),
        "{stdout}"
    );
    // options of the dummy run are refused without it, and it needs a config
    let bad = bin().args(["qwen3", "--layers", "2"]).output().unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--layers"));
    let bad = bin()
        .args(["qwen3", "--dummy-weights", "bf16"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("needs --model"));
}
