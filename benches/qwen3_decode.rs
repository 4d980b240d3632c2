//! Qwen3-0.6B shapes with random weights on the CPU backend: decode seconds per token (one new
//! token after a 16-token prompt, KV cache rolled back between iterations) and the prefill of a
//! 128-token prompt, per weight mode. `benches/peers/compare.py` sets these beside transformers'
//! bf16 model on the same machine and threads.
//!
//! Variants: `bf16` (our forward, bf16 weights: the like-for-like baseline), `w8a16-mxfp8` and
//! `w8a8-mxfp8` (MXFP8 decoder weights, the tied lm_head in bf16 as Qwen3-0.6B ties it), and
//! `w8a16-mxfp8-head` (the lm_head quantized to MXFP8 too).

#[path = "common/mod.rs"]
mod common;

use ascend_kernels::ops::{self, MxQuantOptions};
use ascend_kernels::qwen3::forward::{Dims, LayerWeights, LinearWeight, Mode, ModelWeights, Qwen3};
use ascend_kernels::{Backend, Tensor};
use common::random_bf16_within;
use criterion::{criterion_group, criterion_main, Criterion};
use half::bf16;
use std::time::Duration;

/// Qwen/Qwen3-0.6B `config.json`.
fn dims() -> Dims {
    Dims {
        vocab: 151_936,
        hidden: 1024,
        intermediate: 3072,
        heads: 16,
        kv_heads: 8,
        head_dim: 128,
        eps: 1e-6,
        rope_theta: 1e6,
        max_positions: 4096,
    }
}

const LAYERS: usize = 28;

struct Rng(u64);

impl Rng {
    /// bf16 values uniform in ±`amp` (HF initializes Qwen3 with std 0.02); a new stream per
    /// tensor.
    fn tensor(&mut self, shape: &[usize], amp: f32) -> Tensor<bf16> {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let data = random_bf16_within(shape.iter().product(), self.0, amp);
        Tensor::new(shape.to_vec(), data).expect("shape and data agree")
    }
}

fn linear(rng: &mut Rng, out: usize, inp: usize, mx: bool) -> LinearWeight {
    let w = rng.tensor(&[out, inp], 0.035);
    if mx {
        let q = ops::mx_quant(&Backend::Cpu, w.view(), &MxQuantOptions::default());
        LinearWeight::Mx(q.expect("valid bf16 tensor"))
    } else {
        LinearWeight::Dense(w)
    }
}

fn model(mode: Mode, mx_head: bool) -> Qwen3 {
    let d = dims();
    let mx = mode != Mode::Dequant;
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let ones = |n: usize| Tensor::new(vec![n], vec![bf16::ONE; n]).expect("vector");
    let (qd, kvd) = (d.heads * d.head_dim, d.kv_heads * d.head_dim);
    let layers = (0..LAYERS)
        .map(|_| LayerWeights {
            input_norm: ones(d.hidden),
            q: linear(&mut rng, qd, d.hidden, mx),
            k: linear(&mut rng, kvd, d.hidden, mx),
            v: linear(&mut rng, kvd, d.hidden, mx),
            o: linear(&mut rng, d.hidden, qd, mx),
            q_norm: ones(d.head_dim),
            k_norm: ones(d.head_dim),
            post_norm: ones(d.hidden),
            gate: linear(&mut rng, d.intermediate, d.hidden, mx),
            up: linear(&mut rng, d.intermediate, d.hidden, mx),
            down: linear(&mut rng, d.hidden, d.intermediate, mx),
        })
        .collect();
    let embed = rng.tensor(&[d.vocab, d.hidden], 0.035);
    let lm_head = mx_head.then(|| {
        let q = ops::mx_quant(&Backend::Cpu, embed.view(), &MxQuantOptions::default());
        LinearWeight::Mx(q.expect("valid bf16 tensor"))
    });
    let weights = ModelWeights {
        embed,
        layers,
        norm: ones(d.hidden),
        lm_head,
    };
    Qwen3::new(d, weights, mode, Backend::Cpu).expect("weights match the dims")
}

fn prompt(len: usize) -> Vec<u32> {
    (0..len as u32).map(|i| (i * 7919 + 13) % 151_936).collect()
}

fn bench_qwen3(c: &mut Criterion) {
    let mut g = c.benchmark_group("qwen3_0.6b");
    g.sample_size(10)
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(6));
    let variants = [
        ("bf16", Mode::Dequant, false),
        ("w8a16-mxfp8", Mode::W8A16Mxfp8, false),
        ("w8a8-mxfp8", Mode::W8A8Mxfp8, false),
        ("w8a16-mxfp8-head", Mode::W8A16Mxfp8, true),
    ];
    for (name, mode, mx_head) in variants {
        eprintln!("qwen3_decode: building {name} (random weights, Qwen3-0.6B shapes) ...");
        let mut m = model(mode, mx_head);
        let mut cache = m.new_cache();
        m.forward(&prompt(16), &mut cache).expect("prefill");
        g.bench_function(format!("decode/{name}"), |b| {
            b.iter(|| {
                let logits = m.forward(&[42], &mut cache).expect("decode step");
                cache.truncate(16);
                logits
            })
        });
        if matches!(name, "bf16" | "w8a16-mxfp8") {
            let long = prompt(128);
            g.bench_function(format!("prefill128/{name}"), |b| {
                b.iter(|| {
                    let mut cache = m.new_cache();
                    m.forward(&long, &mut cache).expect("prefill")
                })
            });
        }
    }
    g.finish();
}

criterion_group!(benches, bench_qwen3);
criterion_main!(benches);
