//! Properties of the Qwen3 forward on random tiny weights: the KV cache gives the same logits as
//! running the whole sequence; weight-only MXFP8 equals bf16 on the dequantized weights; GQA
//! groups query heads onto the right KV head.

use ascend_kernels::ops::{self, MxQuantOptions};
use ascend_kernels::qwen3::forward::{Dims, LayerWeights, LinearWeight, Mode, ModelWeights, Qwen3};
use ascend_kernels::{Backend, Tensor};
use half::bf16;

const CPU: Backend = Backend::Cpu;

fn dims() -> Dims {
    Dims {
        vocab: 97,
        hidden: 48,
        intermediate: 80,
        heads: 4,
        kv_heads: 2,
        head_dim: 16,
        eps: 1e-6,
        rope_theta: 1e6,
        max_positions: 64,
    }
}

/// A deterministic pseudo-random bf16 tensor with values in about [-scale, scale].
fn random(shape: &[usize], seed: u64, scale: f32) -> Tensor<bf16> {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let n: usize = shape.iter().product();
    let data = (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            bf16::from_f32(((s >> 40) as f32 / (1u64 << 24) as f32 * 2.0 - 1.0) * scale)
        })
        .collect();
    Tensor::new(shape.to_vec(), data).unwrap()
}

fn dense(shape: &[usize], seed: u64) -> LinearWeight {
    LinearWeight::Dense(random(shape, seed, 0.2))
}

fn weights(d: &Dims, tied: bool) -> ModelWeights {
    let (qd, kvd) = (d.heads * d.head_dim, d.kv_heads * d.head_dim);
    let layers = (0..2u64)
        .map(|l| LayerWeights {
            input_norm: random(&[d.hidden], 100 + l, 1.0),
            q: dense(&[qd, d.hidden], 1 + l * 10),
            k: dense(&[kvd, d.hidden], 2 + l * 10),
            v: dense(&[kvd, d.hidden], 3 + l * 10),
            o: dense(&[d.hidden, qd], 4 + l * 10),
            q_norm: random(&[d.head_dim], 5 + l * 10, 1.0),
            k_norm: random(&[d.head_dim], 6 + l * 10, 1.0),
            post_norm: random(&[d.hidden], 7 + l * 10, 1.0),
            gate: dense(&[d.intermediate, d.hidden], 8 + l * 10),
            up: dense(&[d.intermediate, d.hidden], 9 + l * 10),
            down: dense(&[d.hidden, d.intermediate], 10 + l * 10),
        })
        .collect();
    ModelWeights {
        embed: random(&[d.vocab, d.hidden], 77, 1.0),
        layers,
        norm: random(&[d.hidden], 78, 1.0),
        lm_head: (!tied).then(|| dense(&[d.vocab, d.hidden], 79)),
    }
}

/// Maps every linear of the layers through `f`.
fn map_linears(w: &ModelWeights, f: impl Fn(&LinearWeight) -> LinearWeight) -> ModelWeights {
    let mut out = w.clone();
    for l in &mut out.layers {
        for lin in [
            &mut l.q,
            &mut l.k,
            &mut l.v,
            &mut l.o,
            &mut l.gate,
            &mut l.up,
            &mut l.down,
        ] {
            *lin = f(lin);
        }
    }
    out
}

fn quantize(w: &LinearWeight) -> LinearWeight {
    match w {
        LinearWeight::Dense(t) => {
            LinearWeight::Mx(ops::mx_quant(&CPU, t.view(), &MxQuantOptions::default()).unwrap())
        }
        other => other.clone(),
    }
}

fn dequantize(w: &LinearWeight) -> LinearWeight {
    match w {
        LinearWeight::Mx(m) => LinearWeight::Dense(ops::mx_dequant(&CPU, m.view()).unwrap()),
        other => other.clone(),
    }
}

const TOKENS: [u32; 9] = [3, 14, 15, 92, 65, 35, 89, 79, 32];

#[test]
fn kv_cache_decode_equals_full_prefill() {
    for tied in [true, false] {
        let d = dims();
        let mut model = Qwen3::new(d.clone(), weights(&d, tied), Mode::Dequant, CPU).unwrap();
        let mut cache = model.new_cache();
        let full = model.forward(&TOKENS, &mut cache).unwrap();
        assert_eq!(full.shape(), &[TOKENS.len(), d.vocab]);
        let mut cache = model.new_cache();
        let mut rows = model.forward(&TOKENS[..4], &mut cache).unwrap().into_data();
        for &t in &TOKENS[4..] {
            rows.extend(model.forward(&[t], &mut cache).unwrap().into_data());
        }
        assert_eq!(cache.len(), TOKENS.len());
        assert_eq!(rows, full.data());
    }
}

#[test]
fn weight_only_mxfp8_equals_bf16_on_dequantized_weights() {
    let d = dims();
    let mx = map_linears(&weights(&d, false), quantize);
    let deq = map_linears(&mx, dequantize);
    let mut a = Qwen3::new(d.clone(), mx, Mode::W8A16Mxfp8, CPU).unwrap();
    let mut b = Qwen3::new(d.clone(), deq, Mode::Dequant, CPU).unwrap();
    let (mut ca, mut cb) = (a.new_cache(), b.new_cache());
    assert_eq!(
        a.forward(&TOKENS, &mut ca).unwrap(),
        b.forward(&TOKENS, &mut cb).unwrap()
    );
}

#[test]
fn w8a8_stays_close_to_weight_only() {
    let d = dims();
    let mx = map_linears(&weights(&d, true), quantize);
    let mut a = Qwen3::new(d.clone(), mx.clone(), Mode::W8A8Mxfp8, CPU).unwrap();
    let mut b = Qwen3::new(d.clone(), mx, Mode::W8A16Mxfp8, CPU).unwrap();
    let (mut ca, mut cb) = (a.new_cache(), b.new_cache());
    let (la, lb) = (
        a.forward(&TOKENS, &mut ca).unwrap(),
        b.forward(&TOKENS, &mut cb).unwrap(),
    );
    let scale = lb.data().iter().fold(0f32, |m, v| m.max(v.abs()));
    let worst = la
        .data()
        .iter()
        .zip(lb.data())
        .fold(0f32, |m, (x, y)| m.max((x - y).abs()));
    // Activation quantization to E4M3 perturbs each input by < 2^-4 relative: a loose check
    // that the W8A8 path computes the same function, not a tolerance of the model.
    assert!(worst < 0.25 * scale, "worst {worst} of scale {scale}");
    assert_ne!(la, lb, "activations are really quantized");
    assert!(a.profile.ops.contains_key("mx_quant") && a.profile.ops.contains_key("mx_matmul"));
}

#[test]
fn weights_must_match_the_mode_and_dims() {
    let d = dims();
    let w = weights(&d, true);
    let err = Qwen3::new(d.clone(), w.clone(), Mode::W8A8Mxfp8, CPU).unwrap_err();
    assert!(err.to_string().contains("q_proj"), "{err}");
    let mut bad = w.clone();
    bad.layers[1].k_norm = random(&[8], 1, 1.0);
    let err = Qwen3::new(d.clone(), bad, Mode::Dequant, CPU).unwrap_err();
    assert!(
        err.to_string()
            .contains("model.layers.1.self_attn.k_norm.weight"),
        "{err}"
    );
    let mut model = Qwen3::new(d.clone(), w, Mode::Dequant, CPU).unwrap();
    let mut cache = model.new_cache();
    assert!(model
        .forward(&[97], &mut cache)
        .unwrap_err()
        .to_string()
        .contains("outside the vocabulary"));
    assert!(model.forward(&[0; 65], &mut cache).is_err());
}

#[test]
fn greedy_generation_continues_the_prompt() {
    let d = dims();
    let mut model = Qwen3::new(d.clone(), weights(&d, false), Mode::Dequant, CPU).unwrap();
    let (ids, logits, times) = model.generate(&TOKENS[..5], 6).unwrap();
    assert_eq!(ids.len(), 6);
    assert_eq!(logits.shape(), &[5, d.vocab]);
    assert_eq!(times.decode_tokens, 5);
    // Re-running prompt + generated tokens reproduces each choice as the argmax.
    let mut seq = TOKENS[..5].to_vec();
    seq.extend(&ids[..5]);
    let mut cache = model.new_cache();
    let all = model.forward(&seq, &mut cache).unwrap();
    for (i, &id) in ids.iter().enumerate() {
        let row = &all.data()[(4 + i) * d.vocab..][..d.vocab];
        assert_eq!(ascend_kernels::qwen3::forward::argmax(row), id);
    }
}
