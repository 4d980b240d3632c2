//! `qwen3::convert` on the committed fixtures. The MXFP8 fixtures were written by
//! `tests/golden/gen_qwen3.py` with its own msmodelslim-semantics quantizer (not this crate), so
//! bf16 → MXFP8 with `round` must reproduce them byte for byte.

use ascend_kernels::io::TensorFile;
use ascend_kernels::qwen3::convert::{convert, ConvertOptions, ConvertTarget};
use ascend_kernels::qwen3::{Checkpoint, CheckpointFormat, Linear};
use ascend_kernels::{Backend, DType, Error, RoundMode};
use std::path::{Path, PathBuf};

fn fixture(model: &str, format: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden/qwen3")
        .join(model)
        .join(format)
}

fn run(input: &Path, to: ConvertTarget, round: RoundMode) -> tempfile::TempDir {
    let out = tempfile::tempdir().unwrap();
    let mut calls = Vec::new();
    let report = convert(
        input,
        out.path(),
        &ConvertOptions {
            to,
            round,
            replace: false,
        },
        &mut |d, t| calls.push((d, t)),
    )
    .unwrap();
    assert_eq!(calls.last().map(|c| c.0), Some(report.linears));
    assert!(calls.iter().all(|&(d, t)| d <= t && t == report.linears));
    out
}

#[test]
fn bf16_to_mxfp8_reproduces_the_msmodelslim_fixture() {
    for model in ["tied", "untied"] {
        let out = run(
            &fixture(model, "bf16"),
            ConvertTarget::Mxfp8,
            RoundMode::Round,
        );
        let ours = TensorFile::read(&out.path().join("quant_model_weight_w8a8_mxfp8.safetensors"))
            .unwrap();
        let want = TensorFile::read(
            &fixture(model, "mxfp8").join("quant_model_weight_w8a8_mxfp8.safetensors"),
        )
        .unwrap();
        assert_eq!(
            ours.tensors.keys().collect::<Vec<_>>(),
            want.tensors.keys().collect::<Vec<_>>()
        );
        for (name, t) in &want.tensors {
            assert_eq!(&ours.tensors[name], t, "{model}: {name}");
        }
        let desc = |p: &Path| -> serde_json::Value {
            serde_json::from_str(
                &std::fs::read_to_string(p.join("quant_model_description.json")).unwrap(),
            )
            .unwrap()
        };
        assert_eq!(desc(out.path()), desc(&fixture(model, "mxfp8")));
        let c = Checkpoint::load(out.path()).unwrap();
        assert_eq!(c.format, CheckpointFormat::Mxfp8);
    }
    // rint differs at ties
    let out = run(
        &fixture("tied", "bf16"),
        ConvertTarget::Mxfp8,
        RoundMode::Rint,
    );
    let ours =
        TensorFile::read(&out.path().join("quant_model_weight_w8a8_mxfp8.safetensors")).unwrap();
    let want = TensorFile::read(
        &fixture("tied", "mxfp8").join("quant_model_weight_w8a8_mxfp8.safetensors"),
    )
    .unwrap();
    let name = "model.layers.0.mlp.up_proj.weight";
    assert_ne!(ours.tensors[name], want.tensors[name]);
}

#[test]
fn mxfp8_to_bf16_and_back_is_exact() {
    let bf = run(
        &fixture("untied", "mxfp8"),
        ConvertTarget::Bf16,
        RoundMode::Round,
    );
    let c = Checkpoint::load(bf.path()).unwrap();
    assert_eq!(c.format, CheckpointFormat::Dense(DType::BF16));
    assert!(matches!(c.lm_head, Some(Linear::Dense(_))));
    // dequantized MX values are exact in bf16, and requantizing them gives the same bytes
    let mx = run(bf.path(), ConvertTarget::Mxfp8, RoundMode::Rint);
    let a = TensorFile::read(&mx.path().join("quant_model_weight_w8a8_mxfp8.safetensors")).unwrap();
    let b = TensorFile::read(
        &fixture("untied", "mxfp8").join("quant_model_weight_w8a8_mxfp8.safetensors"),
    )
    .unwrap();
    assert_eq!(a.tensors, b.tensors);
}

#[test]
fn fp8_to_bf16_and_mxfp8() {
    let input = fixture("tied", "fp8");
    let src = Checkpoint::load(&input).unwrap();
    let bf = run(&input, ConvertTarget::Bf16, RoundMode::Round);
    let c = Checkpoint::load(bf.path()).unwrap();
    assert_eq!(c.format, CheckpointFormat::Dense(DType::BF16));
    assert!(c.config.quantization.is_none());
    let cfg: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(bf.path().join("config.json")).unwrap())
            .unwrap();
    assert!(cfg.get("quantization_config").is_none());
    assert_eq!(cfg["rope_parameters"]["rope_theta"], 1e6);
    assert_eq!(cfg["dtype"], "bfloat16");
    for (a, b) in c.layers.iter().zip(&src.layers) {
        assert_eq!(
            Linear::Dense(b.down.dequantize(&Backend::Cpu).unwrap()),
            a.down
        );
        assert_eq!(a.q_norm, b.q_norm);
    }
    // the tokenizer is copied
    assert_eq!(
        std::fs::read(bf.path().join("tokenizer.json")).unwrap(),
        std::fs::read(input.join("tokenizer.json")).unwrap()
    );
    // FP8 → MXFP8: dequantize then requantize; loads back, close to the FP8 weights
    let mx = run(&input, ConvertTarget::Mxfp8, RoundMode::Round);
    let m = Checkpoint::load(mx.path()).unwrap();
    assert_eq!(m.format, CheckpointFormat::Mxfp8);
    let a = m.layers[1].gate.dequantize(&Backend::Cpu).unwrap();
    let b = src.layers[1].gate.dequantize(&Backend::Cpu).unwrap();
    for (x, y) in a.data().iter().zip(b.data()) {
        let (x, y) = (x.to_f32(), y.to_f32());
        assert!((x - y).abs() <= y.abs() / 8.0 + 1e-6, "{x} vs {y}");
    }
}

#[test]
fn convert_refuses_bad_options() {
    let input = fixture("tied", "bf16");
    let r = convert(
        &input,
        &input,
        &ConvertOptions {
            to: ConvertTarget::Bf16,
            round: RoundMode::Round,
            replace: false,
        },
        &mut |_, _| {},
    );
    assert!(matches!(r, Err(Error::InvalidOption { ref option, .. }) if option == "output"));
    let out = tempfile::tempdir().unwrap();
    let r = convert(
        &input,
        out.path(),
        &ConvertOptions {
            to: ConvertTarget::Mxfp8,
            round: RoundMode::Floor,
            replace: false,
        },
        &mut |_, _| {},
    );
    assert!(matches!(r, Err(Error::InvalidOption { ref option, .. }) if option == "round"));
    assert_eq!(std::fs::read_dir(out.path()).unwrap().count(), 0);
}
