//! The command line end to end: `op` on fixture files made by torch/torchao/transformers, the
//! `verify` command, and the error contract (one line naming the problem, exit code 2, no output).

use ascend_kernels::io::TensorFile;
use ascend_kernels::verify::{compare, CompareRule};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The binary, run from the repository root (where its default paths, such as the fixtures
/// of `tests/golden/`, are relative to), as it was when these tests lived in the root package.
fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_ascend-kernels"));
    c.current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."));
    c
}

fn fixture(op: &str, case: &str) -> PathBuf {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .join("tests/golden/ops")
        .join(op)
        .join(format!("{case}.safetensors"))
}

/// The CLI flags a fixture's metadata implies.
fn flags(file: &TensorFile) -> Vec<String> {
    let mut out = Vec::new();
    for key in [
        "dst",
        "scale_alg",
        "round",
        "tiny_blocks",
        "non_finite",
        "mode",
        "out_dtype",
        "block",
        "eps",
        "theta",
        "rotary_dim",
    ] {
        if let Some(v) = file.metadata.get(key) {
            out.push(format!("--{}", key.replace('_', "-")));
            out.push(v.clone());
        }
    }
    for key in ["weight_in_f32", "f32_compute"] {
        if file.metadata.get(key).map(String::as_str) == Some("true") {
            out.push(format!("--{}", key.replace('_', "-")));
        }
    }
    out
}

fn run_op(op: &str, input: &Path, output: &Path, extra: &[String]) -> Output {
    bin()
        .args(["op", op, "--input"])
        .arg(input)
        .arg("--output")
        .arg(output)
        .args(extra)
        .output()
        .expect("the binary runs")
}

/// Runs `op` on one fixture through the binary and checks every output against the fixture.
fn op_matches_fixture(op: &str, case: &str) {
    let input = fixture(op, case);
    let file = TensorFile::read(&input).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out_path = dir.path().join("out.safetensors");
    let result = run_op(op, &input, &out_path, &flags(&file));
    assert!(
        result.status.success(),
        "{op} {case}: {}",
        String::from_utf8_lossy(&result.stderr)
    );
    let out = TensorFile::read(&out_path).unwrap();
    let rule: CompareRule = file.metadata["compare"].parse().unwrap();
    assert!(!out.tensors.is_empty());
    for (name, got) in &out.tensors {
        let expected = file.get(&format!("expected.{name}")).unwrap();
        let c = compare(name, rule, got, expected, None).unwrap();
        assert!(c.passed(), "{op} {case} {name}: {:?}", c.first_failure);
    }
}

#[test]
fn mx_quant_on_a_torchao_fixture() {
    op_matches_fixture("mx-quant", "ocp_e4m3_bf16_3x100");
    op_matches_fixture("mx-quant", "rceil_e5m2_f16_5x96");
    op_matches_fixture("mx-quant", "ascend_doc_vector");
}

#[test]
fn mx_dequant_on_a_torch_fixture() {
    op_matches_fixture("mx-dequant", "e5m2_f32_5x96_u8scale_pad55");
}

#[test]
fn fp8_block_dequant_on_a_torch_fixture() {
    op_matches_fixture("fp8-block-dequant", "w130x129_b128_bf16scale_bf16");
}

#[test]
fn rms_norm_on_a_transformers_fixture() {
    op_matches_fixture("rms-norm", "residual_f16_1x64");
}

#[test]
fn rope_qk_on_a_transformers_fixture() {
    op_matches_fixture("rope-qk", "hf_d64_rd64_theta1e+06_t1_bf16_i64");
}

#[test]
fn mx_matmul_on_a_torch_fixture() {
    // Checked against the float64 sum: our result is the correctly rounded one.
    let input = fixture("mx-matmul", "m17_n33_k100_e4m3_f32_bias");
    let dir = tempfile::tempdir().unwrap();
    let out_path = dir.path().join("y.safetensors");
    let result = run_op(
        "mx-matmul",
        &input,
        &out_path,
        &["--out-dtype".into(), "f32".into()],
    );
    assert!(
        result.status.success(),
        "{}",
        String::from_utf8_lossy(&result.stderr)
    );
    let y = TensorFile::read(&out_path)
        .unwrap()
        .typed::<f32>("y")
        .unwrap();
    let exact = TensorFile::read(&input)
        .unwrap()
        .typed::<f64>("expected.y_f64")
        .unwrap();
    for (g, e) in y.data().iter().zip(exact.data()) {
        assert_eq!(*g, *e as f32, "{g} vs {e}");
    }
}

#[test]
fn verify_passes_every_fixture() {
    let out = bin().args(["verify", "--quiet"]).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    let last = stdout.lines().last().unwrap();
    assert!(
        last.starts_with("verify: ") && last.ends_with(" passed, 0 failed"),
        "{last}"
    );
}

/// Runs a failing command and checks the error contract.
fn assert_fails(result: Output, output: &Path, needle: &str) {
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert_eq!(result.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    assert!(stderr.contains(needle), "`{needle}` not in: {stderr}");
    assert!(!output.exists(), "no output file on error");
}

#[test]
fn errors_name_the_problem_and_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.safetensors");
    let quant = fixture("mx-quant", "ocp_e4m3_bf16_1x32");
    // A tensor the op needs is missing.
    assert_fails(
        run_op("rms-norm", &quant, &out, &[]),
        &out,
        "weight: missing",
    );
    // A wrong dtype.
    let dequant = fixture("mx-dequant", "e4m3_f32_1x32");
    assert_fails(run_op("mx-quant", &dequant, &out, &[]), &out, "x: missing");
    let block = fixture("fp8-block-dequant", "w5x7_b2x3_f32scale_f32");
    assert_fails(run_op("mx-dequant", &block, &out, &[]), &out, "y: missing");
    // A wrong block shape for the scale grid.
    assert_fails(
        run_op(
            "fp8-block-dequant",
            &block,
            &out,
            &["--block".into(), "128,128".into()],
        ),
        &out,
        "weight_scale_inv",
    );
    // An option that does not apply.
    assert_fails(
        run_op("mx-quant", &quant, &out, &["--eps".into(), "1e-5".into()]),
        &out,
        "--eps",
    );
    // Not a safetensors file, and a file that does not exist.
    let junk = dir.path().join("junk.safetensors");
    std::fs::write(&junk, b"not a tensor file at all").unwrap();
    assert_fails(
        run_op("mx-quant", &junk, &out, &[]),
        &out,
        "junk.safetensors",
    );
    assert_fails(
        run_op(
            "mx-quant",
            &dir.path().join("absent.safetensors"),
            &out,
            &[],
        ),
        &out,
        "absent.safetensors",
    );
    // An unknown backend.
    assert_fails(
        run_op(
            "mx-quant",
            &quant,
            &out,
            &["--backend".into(), "gpu".into()],
        ),
        &out,
        "--backend",
    );
}

#[test]
fn wrong_dtype_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.safetensors");
    // An rms-norm file given to rope-qk: the first tensor rope reads is absent.
    let rms = fixture("rms-norm", "plain_bf16_1x64");
    assert_fails(
        run_op("rope-qk", &rms, &out, &[]),
        &out,
        "positions: missing",
    );
    // A file whose FP8 tensor `y` is BF16.
    let bad = dir.path().join("bad.safetensors");
    let tensors = vec![
        (
            "y".to_string(),
            ascend_kernels::io::RawTensor {
                dtype: ascend_kernels::DType::BF16,
                shape: vec![1, 32],
                bytes: vec![0; 64],
            },
        ),
        (
            "scale".to_string(),
            ascend_kernels::io::RawTensor {
                dtype: ascend_kernels::DType::U8,
                shape: vec![1, 1, 2],
                bytes: vec![127, 0],
            },
        ),
    ];
    std::fs::write(
        &bad,
        ascend_kernels::io::serialize(&tensors, &Default::default()).unwrap(),
    )
    .unwrap();
    assert_fails(
        run_op("mx-dequant", &bad, &out, &[]),
        &out,
        "y: expected dtype F8_E4M3 or F8_E5M2, got BF16",
    );
}

#[test]
fn convert_writes_checkpoints_the_loader_reads() {
    use ascend_kernels::qwen3::{Checkpoint, CheckpointFormat};
    let fp8 =
        Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/..")).join("tests/golden/qwen3/untied/fp8");
    let dir = tempfile::tempdir().unwrap();
    let (mx, back) = (dir.path().join("mx"), dir.path().join("bf16"));
    for (input, output, to) in [(&fp8, &mx, "mxfp8"), (&mx, &back, "bf16")] {
        let out = bin()
            .args(["convert", "--to", to, "--input"])
            .arg(input)
            .arg("--output")
            .arg(output)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert_eq!(
        Checkpoint::load(&mx).unwrap().format,
        CheckpointFormat::Mxfp8
    );
    let reloaded = Checkpoint::load(&back).unwrap();
    assert!(matches!(reloaded.format, CheckpointFormat::Dense(_)));
    // Refused before anything is written: converting a directory onto itself.
    let same = bin()
        .args(["convert", "--to", "bf16", "--input"])
        .arg(&mx)
        .arg("--output")
        .arg(&mx)
        .output()
        .unwrap();
    assert_eq!(same.status.code(), Some(2));
}

/// `--backend npu` without a CANN toolkit: every command that takes `--backend` stops with one
/// line naming what is missing and the variable to set, exit code 2, and writes nothing.
#[test]
fn npu_without_a_toolkit_is_one_named_line() {
    if std::env::var_os("ASCEND_HOME_PATH").is_some() || Path::new("/usr/local/Ascend").exists() {
        eprintln!("a CANN toolkit is installed here; the missing-toolkit message cannot be shown");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("y.safetensors");
    let input = fixture("rms-norm", "plain_bf16_1x64");
    let runs: Vec<Output> = vec![
        run_op(
            "rms-norm",
            &input,
            &out,
            &["--backend".into(), "npu".into()],
        ),
        bin()
            .args(["verify", "--backend", "cpu,npu:1"])
            .output()
            .unwrap(),
        bin().args(["qwen3", "--backend", "npu"]).output().unwrap(),
    ];
    for o in runs {
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{err}");
        let lines: Vec<&str> = err.lines().collect();
        assert_eq!(lines.len(), 1, "{err}");
        assert!(lines[0].contains("backend npu is not available"), "{err}");
        assert!(lines[0].contains("ASCEND_HOME_PATH"), "{err}");
    }
    assert!(!out.exists());
    let o = run_op(
        "rms-norm",
        &input,
        &out,
        &["--backend".into(), "npu:-1".into()],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("device id after `npu:`"));
}
