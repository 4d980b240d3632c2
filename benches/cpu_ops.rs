//! The CPU backend on Qwen3-0.6B, 4B and 8B shapes (decode M = 1, prefill M = 512; hidden and
//! head shapes for norm/rope; whole weight matrices for dequantization), the 4096×4096 shapes
//! `benches/peers/compare.py` sets against PyTorch, and a memory copy of the same bytes in the
//! same run as the bandwidth baseline. Elements/s and bytes/s for every case.

#[path = "common/mod.rs"]
mod common;

use ascend_kernels::Backend;
use common::*;
use criterion::{criterion_group, criterion_main, Criterion};
use std::time::Duration;

const CPU: Backend = Backend::Cpu;

fn quick<'a>(
    c: &'a mut Criterion,
    name: &str,
) -> criterion::BenchmarkGroup<'a, criterion::measurement::WallTime> {
    let mut g = c.benchmark_group(name);
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    g
}

/// The peers' shape: 4096 × 4096 bf16, and a copy of its 32 MiB.
fn peers(c: &mut Criterion) {
    let n = 4096;
    let mut g = quick(c, "peers");
    copy(&mut g, "4096x4096", n * n * 2);
    mx_quant(&mut g, &CPU, "mx_quant/4096x4096", n, n);
    fp8_block_dequant(&mut g, &CPU, "fp8_block_dequant/4096x4096", n, n);
    rms_norm(&mut g, &CPU, "rms_norm/4096x4096", n, n);
    peers_into(&mut g, n);
    g.finish();
}

fn qwen3_shapes(c: &mut Criterion) {
    for m in MODELS {
        let mut g = quick(c, &format!("qwen3-{}", m.name));
        for t in TOKENS {
            rms_norm(
                &mut g,
                &CPU,
                &format!("rms_norm/{t}x{}", m.hidden),
                t,
                m.hidden,
            );
            rms_norm(
                &mut g,
                &CPU,
                &format!("qk_norm/{}x128", t * m.heads),
                t * m.heads,
                128,
            );
            rope_qk(&mut g, &CPU, &format!("rope_qk/t{t}"), t, &m);
            mx_quant(
                &mut g,
                &CPU,
                &format!("mx_quant/{t}x{}", m.intermediate),
                t,
                m.intermediate,
            );
        }
        let (i, h) = (m.intermediate, m.hidden);
        mx_dequant(&mut g, &CPU, &format!("mx_dequant/{i}x{h}"), i, h);
        fp8_block_dequant(&mut g, &CPU, &format!("fp8_block_dequant/{i}x{h}"), i, h);
        for t in TOKENS {
            // gate_proj: [intermediate, hidden].
            linears(&mut g, &CPU, &format!("gate_proj/m{t}"), t, i, h);
        }
        g.finish();
    }
}

criterion_group!(benches, peers, qwen3_shapes);
criterion_main!(benches);
