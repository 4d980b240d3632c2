//! The Qwen3 checkpoint loader on the committed fixtures (`tests/golden/qwen3/`, made by
//! transformers and `tests/golden/gen_qwen3.py`), and its errors on mutated copies.
//!
//! The quantized fixtures are checked against independent data: the FP8/MXFP8 weights dequantize
//! to within E4M3 rounding of transformers' bf16 weights, and the MXFP8 bytes are exactly what
//! the library's `mx_quant` (round half away, msmodelslim's export) makes of those bf16 weights —
//! the Python quantizer that wrote them is not this crate's code.

use ascend_kernels::io::{serialize, RawTensor, TensorFile};
use ascend_kernels::ops::{self, MxQuantOptions, TinyBlocks};
use ascend_kernels::qwen3::forward::{LinearWeight, Mode};
use ascend_kernels::qwen3::{Checkpoint, CheckpointFormat, Linear};
use ascend_kernels::{Backend, DType, Error, RoundMode, Tensor};
use half::bf16;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

const CPU: Backend = Backend::Cpu;

fn fixture(model: &str, format: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden/qwen3")
        .join(model)
        .join(format)
}

fn load(model: &str, format: &str) -> Checkpoint {
    Checkpoint::load(&fixture(model, format)).unwrap_or_else(|e| panic!("{model}/{format}: {e}"))
}

/// A scratch copy of a fixture directory.
fn copy(model: &str, format: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for e in std::fs::read_dir(fixture(model, format)).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), dir.path().join(e.file_name())).unwrap();
    }
    dir
}

/// Rewrites the safetensors file `file` in `dir` after `edit` changed its tensors.
fn rewrite(dir: &Path, file: &str, edit: impl FnOnce(&mut BTreeMap<String, RawTensor>)) {
    let path = dir.join(file);
    let mut f = TensorFile::read(&path).unwrap();
    edit(&mut f.tensors);
    let tensors: Vec<(String, RawTensor)> = f.tensors.into_iter().collect();
    std::fs::write(&path, serialize(&tensors, &HashMap::new()).unwrap()).unwrap();
}

fn edit_json(path: &Path, edit: impl FnOnce(&mut serde_json::Map<String, serde_json::Value>)) {
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    edit(v.as_object_mut().unwrap());
    std::fs::write(path, serde_json::to_string_pretty(&v).unwrap()).unwrap();
}

fn linears(c: &Checkpoint) -> Vec<(String, &Linear)> {
    let mut out = Vec::new();
    for (i, l) in c.layers.iter().enumerate() {
        let names = ascend_kernels::qwen3::checkpoint::LINEAR_NAMES;
        let ws = [&l.q, &l.k, &l.v, &l.o, &l.gate, &l.up, &l.down];
        for (n, w) in names.iter().zip(ws) {
            out.push((format!("model.layers.{i}.{n}"), w));
        }
    }
    out
}

fn dense(l: &Linear) -> &Tensor<bf16> {
    match l {
        Linear::Dense(w) => w,
        other => panic!("expected a dense weight, got {:?}", other.shape()),
    }
}

// ------------------------------------------------------------------------------ loading

#[test]
fn loads_bf16_checkpoints_as_saved_by_transformers() {
    for (model, tied) in [("tied", true), ("untied", false)] {
        let c = load(model, "bf16");
        assert_eq!(c.format, CheckpointFormat::Dense(DType::BF16));
        let cfg = &c.config;
        assert_eq!(
            (cfg.vocab_size, cfg.hidden_size, cfg.intermediate_size),
            (1024, 96, 160)
        );
        assert_eq!(
            (
                cfg.num_hidden_layers,
                cfg.num_attention_heads,
                cfg.num_key_value_heads,
                cfg.head_dim
            ),
            (2, 4, 2, 64)
        );
        // tied: rope_parameters (transformers 5); untied: the legacy rope_theta spelling
        assert_eq!((cfg.rope_theta, cfg.rms_norm_eps), (1e6, 1e-6));
        assert_eq!(cfg.tie_word_embeddings, tied);
        assert_eq!(c.layers.len(), 2);
        assert_eq!(c.lm_head.is_none(), tied);

        // every tensor equals the file's bytes, read through the independent in-memory reader
        let file = TensorFile::read(&fixture(model, "bf16").join("model.safetensors")).unwrap();
        let raw = |n: &str| file.typed::<bf16>(n).unwrap();
        assert_eq!(c.embed, raw("model.embed_tokens.weight"));
        assert_eq!(c.norm, raw("model.norm.weight"));
        for (name, w) in linears(&c) {
            assert_eq!(dense(w), &raw(&format!("{name}.weight")), "{name}");
        }
        for (i, l) in c.layers.iter().enumerate() {
            let p = |n: &str| raw(&format!("model.layers.{i}.{n}.weight"));
            assert_eq!(l.input_norm, p("input_layernorm"));
            assert_eq!(l.post_norm, p("post_attention_layernorm"));
            assert_eq!(l.q_norm, p("self_attn.q_norm"));
            assert_eq!(l.k_norm, p("self_attn.k_norm"));
            assert_eq!(l.q.shape(), [256, 96]);
            assert_eq!(l.k.shape(), [128, 96]);
            assert_eq!(l.o.shape(), [96, 256]);
            assert_eq!(l.down.shape(), [96, 160]);
        }
        if let Some(h) = &c.lm_head {
            assert_eq!(dense(h), &raw("lm_head.weight"));
        }
    }
}

#[test]
fn sharded_checkpoint_equals_the_single_file() {
    let single = load("tied", "bf16");
    let sharded = load("tied", "bf16-sharded");
    assert_eq!(sharded.files.len(), 2);
    assert_eq!(sharded.embed, single.embed);
    assert_eq!(sharded.norm, single.norm);
    assert_eq!(sharded.layers, single.layers);
    assert_eq!(sharded.config, single.config);
}

/// |deq - w| <= 2^-4 |w| + scale * 2^-10 (E4M3 rounding: half an ulp of 3 mantissa bits, or half
/// the subnormal spacing 2^-9 times the block scale) + 2^-8 |deq| (the bf16 rounding of deq);
/// values beyond 448 times the scale (possible with MX floor scales) saturate to exactly that.
fn assert_close_to_bf16(
    name: &str,
    deq: &Tensor<bf16>,
    w: &Tensor<bf16>,
    scale_at: impl Fn(usize, usize) -> f32,
) {
    assert_eq!(deq.shape(), w.shape(), "{name}");
    let cols = w.shape()[1];
    let mut worst = 0.0f32;
    for (k, (d, x)) in deq.data().iter().zip(w.data()).enumerate() {
        let (d, x) = (d.to_f32(), x.to_f32());
        let s = scale_at(k / cols, k % cols);
        if x.abs() > 448.0 * s * 1.0001 {
            // MX floor scales put the block amax in [256, 512) * s: values above 448 * s saturate
            let sat = 448.0 * s;
            assert!(
                (d.abs() - sat).abs() <= sat / 256.0 && d.signum() == x.signum(),
                "{name}[{k}]: {x} must saturate to 448 * {s}, got {d}"
            );
            continue;
        }
        let bound = x.abs() / 16.0 + s / 1024.0 + d.abs() / 256.0;
        assert!(
            (d - x).abs() <= bound,
            "{name}[{k}]: {d} vs bf16 {x} (scale {s})"
        );
        worst = worst.max((d - x).abs() / x.abs().max(1e-30));
    }
    assert!(
        worst > 0.0,
        "{name}: dequantized weights identical to bf16 (nothing quantized?)"
    );
}

#[test]
fn fp8_block_checkpoints_dequantize_to_the_bf16_weights() {
    for model in ["tied", "untied"] {
        let bf = load(model, "bf16");
        let c = load(model, "fp8");
        assert_eq!(c.format, CheckpointFormat::Fp8Block { block: [128, 128] });
        assert_eq!(c.embed, bf.embed);
        assert_eq!(c.layers[1].k_norm, bf.layers[1].k_norm);
        assert_eq!(c.lm_head.is_some(), model == "untied");
        for ((name, l), (_, b)) in linears(&c).into_iter().zip(linears(&bf)) {
            let Linear::Fp8Block {
                weight,
                scale_inv,
                block,
            } = l
            else {
                panic!("{name} is not FP8-block");
            };
            assert_eq!(*block, [128, 128]);
            let [o, i] = [weight.shape()[0], weight.shape()[1]];
            assert_eq!(
                scale_inv.shape(),
                [o.div_ceil(128), i.div_ceil(128)],
                "{name}"
            );
            let s =
                |r: usize, k: usize| scale_inv.data()[(r / 128) * scale_inv.shape()[1] + k / 128];
            assert_close_to_bf16(&name, &l.dequantize(&CPU).unwrap(), dense(b), s);
        }
    }
}

#[test]
fn mxfp8_checkpoints_match_the_librarys_own_quantization_of_the_bf16_weights() {
    let msmodelslim = MxQuantOptions {
        round: RoundMode::Round,
        tiny_blocks: TinyBlocks::Scale,
        ..Default::default()
    };
    for model in ["tied", "untied"] {
        let bf = load(model, "bf16");
        let c = load(model, "mxfp8");
        assert_eq!(c.format, CheckpointFormat::Mxfp8);
        assert_eq!(c.embed, bf.embed);
        assert_eq!(c.norm, bf.norm);
        assert_eq!(c.lm_head.is_some(), model == "untied");
        let mut ties_seen = false;
        for ((name, l), (_, b)) in linears(&c).into_iter().zip(linears(&bf)) {
            let Linear::Mxfp8 { weight, scale } = l else {
                panic!("{name} is not MXFP8");
            };
            let [o, i] = [weight.shape()[0], weight.shape()[1]];
            assert_eq!(scale.shape(), [o, i.div_ceil(32)], "{name}");
            // the loader's pair layout and our quantizer with msmodelslim's rounding
            let mx = l.to_mx(&CPU, &MxQuantOptions::default()).unwrap();
            assert_eq!(mx.scales.shape(), [o, i.div_ceil(64), 2], "{name}");
            let ours = ops::mx_quant(&CPU, dense(b).view(), &msmodelslim).unwrap();
            assert_eq!(ours.elements, mx.elements, "{name}: elements");
            assert_eq!(ours.scales, mx.scales, "{name}: scales");
            let back = ops::pair_scales_to_blocks(ours.scales.view(), i).unwrap();
            assert_eq!(&back, scale, "{name}: block layout");
            // RNE would differ at ties: the fixture really uses round-half-away
            let rne = ops::mx_quant(&CPU, dense(b).view(), &MxQuantOptions::default()).unwrap();
            ties_seen |= rne.elements != mx.elements;
            let s = |r: usize, k: usize| scale.data()[r * scale.shape()[1] + k / 32].to_f32();
            assert_close_to_bf16(&name, &l.dequantize(&CPU).unwrap(), dense(b), s);
        }
        assert!(ties_seen, "{model}: no tie rounded away from zero");
    }
}

#[test]
fn sharded_mxfp8_layout_loads() {
    let dir = copy("tied", "mxfp8");
    let single = dir.path().join("quant_model_weight_w8a8_mxfp8.safetensors");
    let file = TensorFile::read(&single).unwrap();
    std::fs::remove_file(&single).unwrap();
    let mut shards: [Vec<(String, RawTensor)>; 2] = Default::default();
    let mut map = serde_json::Map::new();
    for (k, (name, t)) in file.tensors.into_iter().enumerate() {
        let s = k % 2;
        let fname = format!("quant_model_weights-{:05}-of-00002.safetensors", s + 1);
        map.insert(name.clone(), fname.into());
        shards[s].push((name, t));
    }
    for (s, tensors) in shards.iter().enumerate() {
        let fname = format!("quant_model_weights-{:05}-of-00002.safetensors", s + 1);
        std::fs::write(
            dir.path().join(fname),
            serialize(tensors, &HashMap::new()).unwrap(),
        )
        .unwrap();
    }
    let index = serde_json::json!({"metadata": {}, "weight_map": map});
    std::fs::write(
        dir.path()
            .join("quant_model_weights.safetensors.index.json"),
        index.to_string(),
    )
    .unwrap();
    let c = Checkpoint::load(dir.path()).unwrap();
    let reference = load("tied", "mxfp8");
    assert_eq!(c.files.len(), 2);
    assert_eq!(c.layers, reference.layers);
    assert_eq!(c.embed, reference.embed);
}

#[test]
fn weights_for_each_mode() {
    // dequant: everything bf16; the fp8 lm_head-free tied model keeps the embedding
    let w = load("untied", "fp8")
        .into_weights(Mode::Dequant, &CPU, &MxQuantOptions::default())
        .unwrap();
    assert!(matches!(w.layers[0].q, LinearWeight::Dense(_)));
    assert!(matches!(w.lm_head, Some(LinearWeight::Dense(_))));
    // w8a8 on an MXFP8 checkpoint: the stored bytes, pair-layout scales
    let c = load("untied", "mxfp8");
    let Linear::Mxfp8 { weight, .. } = &c.layers[1].down else {
        panic!()
    };
    let bytes: Vec<u8> = weight.data().iter().map(|e| e.to_bits()).collect();
    let w = c
        .into_weights(Mode::W8A8Mxfp8, &CPU, &MxQuantOptions::default())
        .unwrap();
    let LinearWeight::Mx(down) = &w.layers[1].down else {
        panic!()
    };
    assert_eq!(down.elements.data(), bytes.as_slice());
    assert_eq!(down.scales.shape(), [96, 3, 2]); // 160/32 = 5 blocks: odd, padded pair
                                                 // online quantization of a bf16 checkpoint
    let w = load("tied", "bf16")
        .into_weights(Mode::W8A16Mxfp8, &CPU, &MxQuantOptions::default())
        .unwrap();
    assert!(matches!(w.layers[0].gate, LinearWeight::Mx(_)));
    assert!(w.lm_head.is_none());
}

// ------------------------------------------------------------------------------- errors

fn missing(r: Result<Checkpoint, Error>) -> String {
    match r {
        Err(Error::MissingTensor { tensor, .. }) => tensor,
        other => panic!("expected MissingTensor, got {:?}", other.map(|_| ())),
    }
}

fn unexpected(r: Result<Checkpoint, Error>) -> String {
    match r {
        Err(Error::UnexpectedTensor { tensor, .. }) => tensor,
        other => panic!("expected UnexpectedTensor, got {:?}", other.map(|_| ())),
    }
}

fn shape_err(r: Result<Checkpoint, Error>) -> String {
    match r {
        Err(Error::Shape { tensor, .. }) => tensor,
        other => panic!("expected Shape, got {:?}", other.map(|_| ())),
    }
}

fn format_path(r: Result<Checkpoint, Error>) -> String {
    match r {
        Err(Error::Format { path, .. }) => path,
        other => panic!("expected Format, got {:?}", other.map(|_| ())),
    }
}

fn unsupported(r: Result<Checkpoint, Error>) -> String {
    match r {
        Err(Error::Unsupported { feature, .. }) => feature,
        other => panic!("expected Unsupported, got {:?}", other.map(|_| ())),
    }
}

#[test]
fn missing_scale_is_named() {
    let d = copy("untied", "fp8");
    let name = "model.layers.1.mlp.down_proj.weight_scale_inv";
    rewrite(d.path(), "model.safetensors", |t| {
        t.remove(name).unwrap();
    });
    assert_eq!(missing(Checkpoint::load(d.path())), name);

    let d = copy("tied", "mxfp8");
    let name = "model.layers.0.self_attn.k_proj.weight_scale";
    rewrite(d.path(), "quant_model_weight_w8a8_mxfp8.safetensors", |t| {
        t.remove(name).unwrap();
    });
    assert_eq!(missing(Checkpoint::load(d.path())), name);
}

#[test]
fn scale_without_its_weight_is_named() {
    let d = copy("tied", "fp8");
    rewrite(d.path(), "model.safetensors", |t| {
        t.remove("model.layers.0.mlp.up_proj.weight").unwrap();
    });
    assert_eq!(
        missing(Checkpoint::load(d.path())),
        "model.layers.0.mlp.up_proj.weight"
    );
}

#[test]
fn extra_scale_is_named() {
    let scale = RawTensor {
        dtype: DType::F32,
        shape: vec![1],
        bytes: 1f32.to_le_bytes().to_vec(),
    };
    // a scale next to a tensor that is never quantized
    let d = copy("tied", "fp8");
    let name = "model.layers.0.input_layernorm.weight_scale_inv";
    rewrite(d.path(), "model.safetensors", |t| {
        t.insert(name.into(), scale.clone());
    });
    assert_eq!(unexpected(Checkpoint::load(d.path())), name);

    // a scale in a checkpoint without quantization
    let d = copy("untied", "bf16");
    let name = "model.layers.1.self_attn.o_proj.weight_scale_inv";
    rewrite(d.path(), "model.safetensors", |t| {
        t.insert(name.into(), scale.clone());
    });
    assert_eq!(unexpected(Checkpoint::load(d.path())), name);

    // a scale next to a bf16 weight: the weight should have been FP8
    let d = copy("tied", "fp8");
    let bf = TensorFile::read(&fixture("tied", "bf16").join("model.safetensors")).unwrap();
    let w = "model.layers.1.self_attn.v_proj.weight";
    rewrite(d.path(), "model.safetensors", |t| {
        t.insert(w.into(), bf.tensors[w].clone());
    });
    match Checkpoint::load(d.path()) {
        Err(Error::DType { tensor, actual, .. }) => {
            assert_eq!((tensor.as_str(), actual), (w, DType::BF16))
        }
        other => panic!("expected DType, got {:?}", other.map(|_| ())),
    }
}

#[test]
fn wrong_scale_grid_is_named() {
    let d = copy("tied", "fp8");
    let name = "model.layers.0.self_attn.q_proj.weight_scale_inv"; // [2, 1] for [256, 96]
    rewrite(d.path(), "model.safetensors", |t| {
        let s = t.get_mut(name).unwrap();
        s.shape = vec![1, 2];
    });
    assert_eq!(shape_err(Checkpoint::load(d.path())), name);

    let d = copy("untied", "mxfp8");
    let name = "model.layers.1.mlp.down_proj.weight_scale"; // [96, 5]
    rewrite(d.path(), "quant_model_weight_w8a8_mxfp8.safetensors", |t| {
        let s = t.get_mut(name).unwrap();
        s.shape = vec![96, 4];
        s.bytes.truncate(96 * 4);
    });
    assert_eq!(shape_err(Checkpoint::load(d.path())), name);
}

#[test]
fn truncated_or_malformed_files_are_errors() {
    for cut in [1usize, 1000, 600_000] {
        let d = copy("tied", "bf16");
        let p = d.path().join("model.safetensors");
        let len = std::fs::metadata(&p).unwrap().len() as usize;
        let bytes = std::fs::read(&p).unwrap();
        std::fs::write(&p, &bytes[..len - cut]).unwrap();
        assert!(format_path(Checkpoint::load(d.path())).ends_with("model.safetensors"));
    }
    let d = copy("tied", "bf16-sharded");
    let p = d.path().join("model-00002-of-00002.safetensors");
    std::fs::write(&p, b"\x10\x00\x00\x00\x00\x00\x00\x00{\"a\":").unwrap();
    assert!(format_path(Checkpoint::load(d.path())).ends_with("model-00002-of-00002.safetensors"));
    std::fs::write(&p, b"").unwrap();
    assert!(format_path(Checkpoint::load(d.path())).ends_with("model-00002-of-00002.safetensors"));
    std::fs::remove_file(&p).unwrap();
    assert!(
        matches!(Checkpoint::load(d.path()), Err(Error::Io { path, .. }) if path.ends_with("model-00002-of-00002.safetensors"))
    );

    let d = copy("tied", "bf16");
    std::fs::write(d.path().join("config.json"), "{\"vocab_size\": 1024,").unwrap();
    assert!(format_path(Checkpoint::load(d.path())).ends_with("config.json"));
}

#[test]
fn shard_index_must_match_the_shards() {
    let d = copy("tied", "bf16-sharded");
    let index = d.path().join("model.safetensors.index.json");
    edit_json(&index, |o| {
        let map = o["weight_map"].as_object_mut().unwrap();
        map.insert(
            "model.layers.0.mlp.up_proj.weight".into(),
            "model-00002-of-00002.safetensors".into(),
        );
    });
    let r = Checkpoint::load(d.path());
    // moved to the other shard in the index: the shard that holds it does not map it there
    assert!(
        matches!(
            r,
            Err(Error::UnexpectedTensor { ref tensor, .. } | Error::MissingTensor { ref tensor, .. })
                if tensor == "model.layers.0.mlp.up_proj.weight"
        ),
        "{:?}",
        r.map(|_| ())
    );
}

#[test]
fn shape_contradicting_the_config_is_named() {
    let d = copy("untied", "bf16");
    edit_json(&d.path().join("config.json"), |o| {
        o.insert("intermediate_size".into(), 192.into());
    });
    assert_eq!(
        shape_err(Checkpoint::load(d.path())),
        "model.layers.0.mlp.gate_proj.weight"
    );

    let d = copy("tied", "mxfp8");
    edit_json(&d.path().join("config.json"), |o| {
        o.insert("num_key_value_heads".into(), 4.into());
    });
    assert_eq!(
        shape_err(Checkpoint::load(d.path())),
        "model.layers.0.self_attn.k_proj.weight"
    );

    let d = copy("tied", "fp8");
    edit_json(&d.path().join("config.json"), |o| {
        o.insert("vocab_size".into(), 1000.into());
    });
    assert_eq!(
        shape_err(Checkpoint::load(d.path())),
        "model.embed_tokens.weight"
    );

    // one layer more than the checkpoint has, one less
    let d = copy("tied", "bf16");
    edit_json(&d.path().join("config.json"), |o| {
        o.insert("num_hidden_layers".into(), 3.into());
    });
    assert_eq!(
        missing(Checkpoint::load(d.path())),
        "model.layers.2.input_layernorm.weight"
    );
    let d = copy("tied", "bf16");
    edit_json(&d.path().join("config.json"), |o| {
        o.insert("num_hidden_layers".into(), 1.into());
    });
    assert!(unexpected(Checkpoint::load(d.path())).starts_with("model.layers.1."));

    // untied config on a tied checkpoint: lm_head is missing
    let d = copy("tied", "bf16");
    edit_json(&d.path().join("config.json"), |o| {
        o.insert("tie_word_embeddings".into(), false.into());
    });
    assert_eq!(missing(Checkpoint::load(d.path())), "lm_head.weight");
}

#[test]
fn unsupported_config_features_are_refused() {
    let cases: [(&str, serde_json::Value); 3] = [
        (
            "rope_scaling",
            serde_json::json!({"rope_type": "yarn", "factor": 4.0, "original_max_position_embeddings": 32768}),
        ),
        ("use_sliding_window", true.into()),
        ("attention_bias", true.into()),
    ];
    for (key, value) in cases {
        let d = copy("untied", "bf16");
        edit_json(&d.path().join("config.json"), |o| {
            o.insert(key.into(), value.clone());
        });
        assert_eq!(unsupported(Checkpoint::load(d.path())), key);
    }
}

#[test]
fn mxfp8_description_must_agree_with_the_weights() {
    let d = copy("tied", "mxfp8");
    let desc = d.path().join("quant_model_description.json");
    edit_json(&desc, |o| {
        o.insert("model.layers.0.mlp.up_proj.weight".into(), "W8A8".into());
    });
    assert_eq!(
        unsupported(Checkpoint::load(d.path())),
        "quantization type of model.layers.0.mlp.up_proj.weight"
    );

    let d = copy("tied", "mxfp8");
    let desc = d.path().join("quant_model_description.json");
    edit_json(&desc, |o| {
        o.insert(
            "model.layers.0.post_attention_layernorm.weight".into(),
            "W8A8_MXFP8".into(),
        );
    });
    assert!(format_path(Checkpoint::load(d.path())).ends_with("quant_model_description.json"));

    let d = copy("tied", "mxfp8");
    let desc = d.path().join("quant_model_description.json");
    edit_json(&desc, |o| {
        o.insert("group_size".into(), 16.into());
    });
    assert_eq!(unsupported(Checkpoint::load(d.path())), "group_size");
}

#[test]
fn tied_checkpoint_with_a_different_lm_head_is_refused() {
    let d = copy("tied", "bf16");
    rewrite(d.path(), "model.safetensors", |t| {
        let mut head = t["model.embed_tokens.weight"].clone();
        head.bytes[0] ^= 1;
        t.insert("lm_head.weight".into(), head);
    });
    assert_eq!(unexpected(Checkpoint::load(d.path())), "lm_head.weight");
    // an exact copy is accepted
    let d = copy("tied", "bf16");
    rewrite(d.path(), "model.safetensors", |t| {
        let head = t["model.embed_tokens.weight"].clone();
        t.insert("lm_head.weight".into(), head);
    });
    assert!(Checkpoint::load(d.path()).unwrap().lm_head.is_none());
}

#[test]
fn f32_weights_bf16_fp8_scales_and_e8m0_scales_load() {
    // an f32 checkpoint: widened exactly from the bf16 fixture, so rounding back is exact
    let d = copy("untied", "bf16");
    rewrite(d.path(), "model.safetensors", |t| {
        for r in t.values_mut() {
            let v: Vec<f32> = r
                .bytes
                .chunks(2)
                .map(|b| bf16::from_le_bytes([b[0], b[1]]).to_f32())
                .collect();
            r.dtype = DType::F32;
            r.bytes = bytemuck::cast_slice(&v).to_vec();
        }
    });
    let c = Checkpoint::load(d.path()).unwrap();
    let reference = load("untied", "bf16");
    assert_eq!(c.format, CheckpointFormat::Dense(DType::F32));
    assert_eq!(c.layers, reference.layers);
    assert_eq!(c.lm_head, reference.lm_head);

    // FP8 with BF16 scales (the fixture's f32 scales rounded to bf16)
    let d = copy("tied", "fp8");
    let name = "model.layers.0.mlp.gate_proj.weight_scale_inv";
    let mut rounded = Vec::new();
    rewrite(d.path(), "model.safetensors", |t| {
        let r = t.get_mut(name).unwrap();
        let v: Vec<bf16> = r
            .bytes
            .chunks(4)
            .map(|b| bf16::from_f32(f32::from_le_bytes([b[0], b[1], b[2], b[3]])))
            .collect();
        rounded = v.iter().map(|x| x.to_f32()).collect();
        r.dtype = DType::BF16;
        r.bytes = bytemuck::cast_slice(&v).to_vec();
    });
    let c = Checkpoint::load(d.path()).unwrap();
    let Linear::Fp8Block { scale_inv, .. } = &c.layers[0].gate else {
        panic!()
    };
    assert_eq!(scale_inv.data(), rounded.as_slice());

    // MXFP8 with F8_E8M0 scales instead of U8
    let d = copy("tied", "mxfp8");
    rewrite(d.path(), "quant_model_weight_w8a8_mxfp8.safetensors", |t| {
        for (n, r) in t.iter_mut() {
            if n.ends_with("weight_scale") {
                r.dtype = DType::F8E8M0;
            }
        }
    });
    assert_eq!(
        Checkpoint::load(d.path()).unwrap().layers,
        load("tied", "mxfp8").layers
    );
}
