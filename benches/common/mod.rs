//! Shared by the criterion suites: Qwen3 shapes, deterministic inputs, and one bench function
//! per op that runs on any backend, reporting elements/s and bytes/s (bytes = every input and
//! output byte the op must move once).

#![allow(dead_code)] // each suite uses a subset

use ascend_kernels::ops::{self, MxQuantOptions, RmsNormOptions, RopeCache, RopeOptions};
use ascend_kernels::{Backend, TensorView, E4M3};
use criterion::{measurement::WallTime, BenchmarkGroup, BenchmarkId, Throughput};
use half::bf16;
use std::hint::black_box;

/// Qwen3 dimensions (from each model's `config.json`; head_dim 128).
#[derive(Clone, Copy)]
pub struct Model {
    pub name: &'static str,
    pub hidden: usize,
    pub intermediate: usize,
    pub heads: usize,
    pub kv_heads: usize,
}

pub const QWEN3_0_6B: Model = Model {
    name: "0.6B",
    hidden: 1024,
    intermediate: 3072,
    heads: 16,
    kv_heads: 8,
};
pub const QWEN3_4B: Model = Model {
    name: "4B",
    hidden: 2560,
    intermediate: 9728,
    heads: 32,
    kv_heads: 8,
};
pub const QWEN3_8B: Model = Model {
    name: "8B",
    hidden: 4096,
    intermediate: 12288,
    heads: 32,
    kv_heads: 8,
};
pub const MODELS: [Model; 3] = [QWEN3_0_6B, QWEN3_4B, QWEN3_8B];

/// Decode (M = 1) and prefill (M = 512) token counts.
pub const TOKENS: [usize; 2] = [1, 512];

pub fn random_bf16(n: usize, seed: u64) -> Vec<bf16> {
    random_bf16_within(n, seed, 4.0)
}

/// bf16 values uniform in ±`amp` from a xorshift stream.
pub fn random_bf16_within(n: usize, seed: u64, amp: f32) -> Vec<bf16> {
    let mut s = seed | 1;
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            bf16::from_f32(((s >> 40) as f32 / (1u64 << 24) as f32 * 2.0 - 1.0) * amp)
        })
        .collect()
}

/// An FP8 weight `[o, i]` with its 128×128 f32 scale grid (shape and values).
pub fn fp8_block_weight(o: usize, i: usize) -> (Vec<E4M3>, [usize; 2], Vec<f32>) {
    let w = random_bf16(o * i, 3)
        .iter()
        .map(|v| E4M3::from_f32(v.to_f32() * 50.0))
        .collect();
    let grid = [o.div_ceil(128), i.div_ceil(128)];
    let s = (0..grid[0] * grid[1])
        .map(|k| 1e-3 * (1 + k % 7) as f32)
        .collect();
    (w, grid, s)
}

fn throughput(elements: usize, bytes: usize) -> Throughput {
    Throughput::ElementsAndBytes {
        elements: elements as u64,
        bytes: bytes as u64,
    }
}

/// A memory copy of `bytes` into a preallocated buffer: the bandwidth baseline of the run.
pub fn copy(g: &mut BenchmarkGroup<'_, WallTime>, label: &str, bytes: usize) {
    let src = vec![1u8; bytes];
    let mut dst = vec![0u8; bytes];
    g.throughput(throughput(bytes / 2, 2 * bytes));
    g.bench_function(BenchmarkId::new("copy", label), |b| {
        b.iter(|| {
            dst.copy_from_slice(black_box(&src));
            black_box(&dst);
        })
    });
}

pub fn mx_quant(
    g: &mut BenchmarkGroup<'_, WallTime>,
    be: &Backend,
    label: &str,
    rows: usize,
    k: usize,
) {
    let x = random_bf16(rows * k, 1);
    let shape = [rows, k];
    g.throughput(throughput(rows * k, rows * k * 3 + rows * k / 32));
    g.bench_function(BenchmarkId::new(be.name(), label), |b| {
        b.iter(|| {
            ops::mx_quant(
                be,
                TensorView::new(&shape, &x).unwrap(),
                &MxQuantOptions::default(),
            )
            .unwrap()
        })
    });
}

pub fn mx_dequant(
    g: &mut BenchmarkGroup<'_, WallTime>,
    be: &Backend,
    label: &str,
    rows: usize,
    k: usize,
) {
    let x = random_bf16(rows * k, 2);
    let q = ops::mx_quant(
        &Backend::Cpu,
        TensorView::new(&[rows, k], &x).unwrap(),
        &MxQuantOptions::default(),
    )
    .unwrap();
    g.throughput(throughput(rows * k, rows * k * 3 + rows * k / 32));
    g.bench_function(BenchmarkId::new(be.name(), label), |b| {
        b.iter(|| ops::mx_dequant::<bf16>(be, q.view()).unwrap())
    });
}

pub fn fp8_block_dequant(
    g: &mut BenchmarkGroup<'_, WallTime>,
    be: &Backend,
    label: &str,
    o: usize,
    i: usize,
) {
    let (w, grid, s) = fp8_block_weight(o, i);
    let ws = [o, i];
    g.throughput(throughput(o * i, o * i * 3));
    g.bench_function(BenchmarkId::new(be.name(), label), |b| {
        b.iter(|| {
            ops::fp8_block_dequant::<f32, bf16>(
                be,
                TensorView::new(&ws, &w).unwrap(),
                TensorView::new(&grid, &s).unwrap(),
                [128, 128],
            )
            .unwrap()
        })
    });
}

pub fn rms_norm(
    g: &mut BenchmarkGroup<'_, WallTime>,
    be: &Backend,
    label: &str,
    rows: usize,
    h: usize,
) {
    let x = random_bf16(rows * h, 4);
    let w = random_bf16(h, 5);
    let (xs, wsh) = ([rows, h], [h]);
    g.throughput(throughput(rows * h, rows * h * 4));
    g.bench_function(BenchmarkId::new(be.name(), label), |b| {
        b.iter(|| {
            ops::rms_norm(
                be,
                TensorView::new(&xs, &x).unwrap(),
                TensorView::new(&wsh, &w).unwrap(),
                &RmsNormOptions::default(),
            )
            .unwrap()
        })
    });
}

pub fn rope_qk(
    g: &mut BenchmarkGroup<'_, WallTime>,
    be: &Backend,
    label: &str,
    t: usize,
    m: &Model,
) {
    let cache = RopeCache::new(1e6, 128, 4096).unwrap();
    let (hq, hk, d) = (m.heads, m.kv_heads, 128);
    let q = random_bf16(t * hq * d, 6);
    let k = random_bf16(t * hk * d, 7);
    let pos: Vec<i64> = (0..t as i64).collect();
    let (qs, ks) = ([t, hq, d], [t, hk, d]);
    let n = t * (hq + hk) * d;
    g.throughput(throughput(n, n * 4));
    g.bench_function(BenchmarkId::new(be.name(), label), |b| {
        b.iter(|| {
            ops::rope_qk(
                be,
                TensorView::new(&qs, &q).unwrap(),
                TensorView::new(&ks, &k).unwrap(),
                &pos,
                &cache,
                &RopeOptions::default(),
            )
            .unwrap()
        })
    });
}

/// The three linears of a `[m, k] x [n, k]` layer: bf16, weight-only MXFP8, MXFP8 x MXFP8.
/// Elements are multiply-accumulates; bytes are the weight's (what decode streams).
pub fn linears(
    g: &mut BenchmarkGroup<'_, WallTime>,
    be: &Backend,
    label: &str,
    m: usize,
    n: usize,
    k: usize,
) {
    let w = random_bf16(n * k, 8);
    let wq = ops::mx_quant(
        &Backend::Cpu,
        TensorView::new(&[n, k], &w).unwrap(),
        &MxQuantOptions::default(),
    )
    .unwrap();
    let x = random_bf16(m * k, 9);
    let xs = [m, k];
    let xq = ops::mx_quant(
        &Backend::Cpu,
        TensorView::new(&xs, &x).unwrap(),
        &MxQuantOptions::default(),
    )
    .unwrap();
    let name = be.name();
    g.throughput(throughput(m * n * k, n * k * 2));
    g.bench_function(BenchmarkId::new(format!("bf16/{name}"), label), |b| {
        b.iter(|| {
            ops::matmul::<bf16, bf16>(
                be,
                TensorView::new(&xs, &x).unwrap(),
                TensorView::new(&[n, k], &w).unwrap(),
            )
            .unwrap()
        })
    });
    g.throughput(throughput(m * n * k, n * k + n * k / 32));
    g.bench_function(BenchmarkId::new(format!("w8a16/{name}"), label), |b| {
        b.iter(|| {
            ops::mx_matmul_weight_only::<bf16, bf16>(
                be,
                TensorView::new(&xs, &x).unwrap(),
                wq.view(),
            )
            .unwrap()
        })
    });
    g.bench_function(BenchmarkId::new(format!("w8a8/{name}"), label), |b| {
        b.iter(|| ops::mx_matmul::<bf16>(be, xq.view(), wq.view(), None).unwrap())
    });
}

/// The three peer kernels writing into preallocated buffers (`*_into`): what an engine that
/// reuses its buffers pays, without the allocator's page faults.
pub fn peers_into(g: &mut BenchmarkGroup<'_, WallTime>, n: usize) {
    use ascend_kernels::E8M0;
    let be = Backend::Cpu;
    let shape = [n, n];
    let x = random_bf16(n * n, 1);
    let (mut e, mut s) = (
        vec![0u8; n * n],
        vec![E8M0::MIN; n * ops::pair_scale_row(n)],
    );
    g.throughput(throughput(n * n, n * n * 3 + n * n / 32));
    g.bench_function(
        BenchmarkId::new("cpu-into", format!("mx_quant/{n}x{n}")),
        |b| {
            b.iter(|| {
                ops::mx_quant_into(
                    &be,
                    TensorView::new(&shape, &x).unwrap(),
                    &MxQuantOptions::default(),
                    &mut e,
                    &mut s,
                )
                .unwrap()
            })
        },
    );
    let (w, grid, sc) = fp8_block_weight(n, n);
    let mut out = vec![bf16::ZERO; n * n];
    g.throughput(throughput(n * n, n * n * 3));
    g.bench_function(
        BenchmarkId::new("cpu-into", format!("fp8_block_dequant/{n}x{n}")),
        |b| {
            b.iter(|| {
                ops::fp8_block_dequant_into::<f32, bf16>(
                    &be,
                    TensorView::new(&shape, &w).unwrap(),
                    TensorView::new(&grid, &sc).unwrap(),
                    [128, 128],
                    &mut out,
                )
                .unwrap()
            })
        },
    );
    let gamma = random_bf16(n, 5);
    g.throughput(throughput(n * n, n * n * 4));
    g.bench_function(
        BenchmarkId::new("cpu-into", format!("rms_norm/{n}x{n}")),
        |b| {
            b.iter(|| {
                ops::rms_norm_into(
                    &be,
                    TensorView::new(&shape, &x).unwrap(),
                    TensorView::new(&[n], &gamma).unwrap(),
                    &RmsNormOptions::default(),
                    &mut out,
                )
                .unwrap()
            })
        },
    );
}
