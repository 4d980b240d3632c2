//! The Sim backend per target on Qwen3 shapes: what the emulation of the generated kernels
//! costs on this CPU (wall time of the sim, not of an NPU — `ascend-kernels tune` models the
//! NPU). Qwen3-0.6B decode and prefill, 4B and 8B decode; the sim computes every element, so
//! larger prefill shapes are left to `tune`.

#[path = "common/mod.rs"]
mod common;

use ascend_kernels::backend::sim::{self, SimConfig};
use ascend_kernels::tiling::Target;
use ascend_kernels::Backend;
use common::*;
use criterion::{criterion_group, criterion_main, Criterion};
use std::time::Duration;

fn sim_ops(c: &mut Criterion) {
    if !sim::available() {
        eprintln!("sim_ops: this build has no sim; nothing to measure");
        return;
    }
    for target in Target::ALL {
        let be = Backend::Sim(SimConfig::new(target));
        for (m, tokens) in [
            (QWEN3_0_6B, &TOKENS[..]),
            (QWEN3_4B, &TOKENS[..1]),
            (QWEN3_8B, &TOKENS[..1]),
        ] {
            let mut g = c.benchmark_group(format!("sim-{target}/qwen3-{}", m.name));
            g.sample_size(10)
                .warm_up_time(Duration::from_millis(200))
                .measurement_time(Duration::from_secs(1));
            for &t in tokens {
                rms_norm(
                    &mut g,
                    &be,
                    &format!("rms_norm/{t}x{}", m.hidden),
                    t,
                    m.hidden,
                );
                rope_qk(&mut g, &be, &format!("rope_qk/t{t}"), t, &m);
                mx_quant(
                    &mut g,
                    &be,
                    &format!("mx_quant/{t}x{}", m.intermediate),
                    t,
                    m.intermediate,
                );
            }
            if m.name == "0.6B" {
                let (i, h) = (m.intermediate, m.hidden);
                mx_dequant(&mut g, &be, &format!("mx_dequant/{i}x{h}"), i, h);
                fp8_block_dequant(&mut g, &be, &format!("fp8_block_dequant/{i}x{h}"), i, h);
            }
            // q_proj decode: [heads*128, hidden].
            linears(&mut g, &be, "q_proj/m1", 1, m.heads * 128, m.hidden);
            g.finish();
        }
    }
}

criterion_group!(benches, sim_ops);
criterion_main!(benches);
