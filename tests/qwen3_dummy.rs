//! Dummy checkpoints (`qwen3 --dummy-weights`): random weights in the layout of a real config,
//! read back by the real loader and run by the forward in every format, and the committed
//! Qwen3 configs (`data/qwen3/`).

use ascend_kernels::ops::MxQuantOptions;
use ascend_kernels::qwen3::dummy::{estimate, write_dummy_checkpoint, DummyFormat, DummyOptions};
use ascend_kernels::qwen3::forward::{Mode, Qwen3};
use ascend_kernels::qwen3::{Checkpoint, CheckpointFormat, Qwen3Config};
use ascend_kernels::{Backend, DType};
use std::path::{Path, PathBuf};

fn data(model: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("data/qwen3")
        .join(model)
        .join("config.json")
}

/// A small Qwen3-shaped config (two layers, untied head) written to `dir`.
fn small_config(dir: &Path) -> PathBuf {
    let path = dir.join("config.json");
    let text = r#"{
  "architectures": ["Qwen3ForCausalLM"],
  "head_dim": 64,
  "hidden_size": 160,
  "intermediate_size": 200,
  "max_position_embeddings": 64,
  "model_type": "qwen3",
  "num_attention_heads": 4,
  "num_hidden_layers": 3,
  "num_key_value_heads": 2,
  "rms_norm_eps": 1e-06,
  "rope_theta": 1000000,
  "tie_word_embeddings": false,
  "torch_dtype": "bfloat16",
  "vocab_size": 300
}"#;
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn every_format_loads_and_runs() {
    let src = tempfile::tempdir().unwrap();
    let config = small_config(src.path());
    for format in [DummyFormat::Bf16, DummyFormat::Fp8Block, DummyFormat::Mxfp8] {
        let out = tempfile::tempdir().unwrap();
        let options = DummyOptions {
            format,
            layers: Some(2),
            seed: 7,
        };
        let mut shards = Vec::new();
        let report = write_dummy_checkpoint(&config, out.path(), &options, &mut |d, t| {
            shards.push((d, t))
        })
        .unwrap();
        assert_eq!(shards.last(), Some(&(4, 4)), "embedding, 2 layers, head");
        assert_eq!((report.layers, report.config_layers), (2, 3));
        let cfg = Qwen3Config::from_file(&config).unwrap();
        let (params, bytes) = estimate(&cfg, format, 2);
        assert_eq!(report.parameters, params, "{format:?}");
        let diff = report.weight_bytes.abs_diff(bytes) as f64 / bytes as f64;
        assert!(
            diff < 0.01,
            "{format:?}: estimate {bytes}, wrote {}",
            report.weight_bytes
        );

        let ckpt = Checkpoint::load(out.path()).unwrap_or_else(|e| panic!("{format:?}: {e}"));
        let want = match format {
            DummyFormat::Bf16 => CheckpointFormat::Dense(DType::BF16),
            DummyFormat::Fp8Block => CheckpointFormat::Fp8Block { block: [128, 128] },
            DummyFormat::Mxfp8 => CheckpointFormat::Mxfp8,
        };
        assert_eq!(ckpt.format, want);
        assert_eq!(ckpt.layers.len(), 2);
        assert!(ckpt.lm_head.is_some());
        let dims = ckpt.config.dims(8);
        for mode in [Mode::Dequant, Mode::W8A8Mxfp8] {
            let weights = ckpt
                .clone()
                .into_weights(mode, &Backend::Cpu, &MxQuantOptions::default())
                .unwrap();
            let mut model = Qwen3::new(dims.clone(), weights, mode, Backend::Cpu).unwrap();
            let (ids, logits, _) = model.generate(&[1, 2, 3], 2).unwrap();
            assert_eq!(ids.len(), 2);
            assert!(ids.iter().all(|&i| (i as usize) < 300));
            assert!(
                logits.data().iter().all(|v| v.is_finite()),
                "{format:?} {mode:?}: random weights of the right scale keep the logits finite"
            );
        }
    }
}

#[test]
fn layers_outside_the_config_are_refused() {
    let src = tempfile::tempdir().unwrap();
    let config = small_config(src.path());
    let out = tempfile::tempdir().unwrap();
    for layers in [0, 4] {
        let options = DummyOptions {
            format: DummyFormat::Bf16,
            layers: Some(layers),
            seed: 1,
        };
        let e = write_dummy_checkpoint(&config, out.path(), &options, &mut |_, _| {})
            .unwrap_err()
            .to_string();
        assert!(e.contains("--layers") && e.contains("1..=3"), "{e}");
    }
}

/// The committed configs parse and have the published sizes: the parameter count from the
/// config matches the model cards (Qwen3-8B: 8.2B, 6.95B without the embedding).
#[test]
fn committed_qwen3_configs() {
    let expect = [
        ("Qwen3-0.6B", 1024, 28, true, 0.60),
        ("Qwen3-4B", 2560, 36, true, 4.02),
        ("Qwen3-8B", 4096, 36, false, 8.19),
    ];
    for (name, hidden, layers, tied, billions) in expect {
        let c = Qwen3Config::from_file(&data(name)).unwrap();
        assert_eq!(
            (c.hidden_size, c.num_hidden_layers, c.tie_word_embeddings),
            (hidden, layers, tied),
            "{name}"
        );
        assert_eq!(
            (c.vocab_size, c.head_dim, c.num_key_value_heads),
            (151936, 128, 8)
        );
        let (params, _) = estimate(&c, DummyFormat::Bf16, layers);
        assert!(
            (params as f64 / 1e9 - billions).abs() < 0.01,
            "{name}: {params} parameters"
        );
        if name == "Qwen3-8B" {
            let embed = 2 * 151936 * 4096;
            assert!(((params - embed) as f64 / 1e9 - 6.95).abs() < 0.01);
        }
    }
}
