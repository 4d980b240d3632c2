//! CPU reference throughput on Qwen3-sized tensors: elements/s and bytes/s per op, beside a
//! memory copy of the same bytes measured in the same run (the bandwidth baseline).

use ascend_kernels::ops::{self, MxQuantOptions, RmsNormOptions, RopeCache, RopeOptions};
use ascend_kernels::{Backend, Tensor, TensorView, E4M3};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use half::bf16;
use std::hint::black_box;

const CPU: Backend = Backend::Cpu;

fn random_bf16(n: usize, seed: u64) -> Vec<bf16> {
    let mut s = seed | 1;
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            bf16::from_f32(((s >> 40) as f32 / (1u64 << 24) as f32 * 2.0 - 1.0) * 4.0)
        })
        .collect()
}

fn bench_quant(c: &mut Criterion) {
    let mut g = c.benchmark_group("mx_quant");
    g.sample_size(10);
    for (rows, k) in [(4096usize, 4096usize), (1, 4096), (512, 1024)] {
        let x = random_bf16(rows * k, 1);
        let shape = [rows, k];
        g.throughput(Throughput::Elements((rows * k) as u64));
        g.bench_with_input(
            BenchmarkId::new("cpu", format!("{rows}x{k}")),
            &x,
            |b, x| {
                b.iter(|| {
                    ops::mx_quant(
                        &CPU,
                        TensorView::new(&shape, x).unwrap(),
                        &MxQuantOptions::default(),
                    )
                    .unwrap()
                })
            },
        );
        g.bench_with_input(
            BenchmarkId::new("copy-baseline", format!("{rows}x{k}")),
            &x,
            |b, x| b.iter(|| black_box(x.to_vec())),
        );
    }
    g.finish();
}

fn bench_block_dequant(c: &mut Criterion) {
    let mut g = c.benchmark_group("fp8_block_dequant");
    g.sample_size(10);
    let (o, i) = (4096usize, 4096usize);
    let w: Vec<E4M3> = random_bf16(o * i, 2)
        .iter()
        .map(|v| E4M3::from_f32(v.to_f32() * 50.0))
        .collect();
    let s: Vec<f32> = (0..(o / 128) * (i / 128))
        .map(|k| 1e-3 * (1 + k % 7) as f32)
        .collect();
    let (ws, ss) = ([o, i], [o / 128, i / 128]);
    g.throughput(Throughput::Elements((o * i) as u64));
    g.bench_function("cpu/4096x4096", |b| {
        b.iter(|| {
            ops::fp8_block_dequant::<f32, bf16>(
                &CPU,
                TensorView::new(&ws, &w).unwrap(),
                TensorView::new(&ss, &s).unwrap(),
                [128, 128],
            )
            .unwrap()
        })
    });
    g.finish();
}

fn bench_rms_norm(c: &mut Criterion) {
    let mut g = c.benchmark_group("rms_norm");
    g.sample_size(10);
    for (rows, h) in [(4096usize, 4096usize), (1, 4096), (512 * 32, 128)] {
        let x = random_bf16(rows * h, 3);
        let w = random_bf16(h, 4);
        let (xs, wsh) = ([rows, h], [h]);
        g.throughput(Throughput::Elements((rows * h) as u64));
        g.bench_function(BenchmarkId::new("cpu", format!("{rows}x{h}")), |b| {
            b.iter(|| {
                ops::rms_norm(
                    &CPU,
                    TensorView::new(&xs, &x).unwrap(),
                    TensorView::new(&wsh, &w).unwrap(),
                    &RmsNormOptions::default(),
                )
                .unwrap()
            })
        });
    }
    g.finish();
}

fn bench_rope(c: &mut Criterion) {
    let mut g = c.benchmark_group("rope_qk");
    g.sample_size(10);
    let cache = RopeCache::new(1e6, 128, 4096).unwrap();
    for t in [1usize, 512] {
        let (hq, hk, d) = (32, 8, 128);
        let q = random_bf16(t * hq * d, 5);
        let k = random_bf16(t * hk * d, 6);
        let pos: Vec<i64> = (0..t as i64).collect();
        let (qs, ks) = ([t, hq, d], [t, hk, d]);
        g.throughput(Throughput::Elements((t * (hq + hk) * d) as u64));
        g.bench_function(BenchmarkId::new("cpu", format!("t{t}_q32_k8_d128")), |b| {
            b.iter(|| {
                ops::rope_qk(
                    &CPU,
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
    g.finish();
}

fn bench_matmul(c: &mut Criterion) {
    let mut g = c.benchmark_group("matmul");
    g.sample_size(10);
    // Qwen3-0.6B q_proj: [2048, 1024]; decode M = 1.
    let (n, k) = (2048usize, 1024usize);
    let w = random_bf16(n * k, 7);
    let wq = ops::mx_quant(
        &CPU,
        TensorView::new(&[n, k], &w).unwrap(),
        &MxQuantOptions::default(),
    )
    .unwrap();
    for m in [1usize, 32] {
        let x = random_bf16(m * k, 8);
        let xs = [m, k];
        g.throughput(Throughput::Elements((m * n * k) as u64));
        g.bench_function(
            BenchmarkId::new("bf16-cpu", format!("m{m}_n{n}_k{k}")),
            |b| {
                b.iter(|| {
                    ops::matmul::<bf16, bf16>(
                        &CPU,
                        TensorView::new(&xs, &x).unwrap(),
                        TensorView::new(&[n, k], &w).unwrap(),
                    )
                    .unwrap()
                })
            },
        );
        g.bench_function(
            BenchmarkId::new("w8a16-cpu", format!("m{m}_n{n}_k{k}")),
            |b| {
                b.iter(|| {
                    ops::mx_matmul_weight_only::<bf16, bf16>(
                        &CPU,
                        TensorView::new(&xs, &x).unwrap(),
                        wq.view(),
                    )
                    .unwrap()
                })
            },
        );
        let xq = ops::mx_quant(
            &CPU,
            TensorView::new(&xs, &x).unwrap(),
            &MxQuantOptions::default(),
        )
        .unwrap();
        g.bench_function(
            BenchmarkId::new("w8a8-cpu", format!("m{m}_n{n}_k{k}")),
            |b| b.iter(|| ops::mx_matmul::<bf16>(&CPU, xq.view(), wq.view(), None).unwrap()),
        );
        let _: Option<Tensor<f32>> = None;
    }
    g.finish();
}

criterion_group!(
    benches,
    bench_quant,
    bench_block_dequant,
    bench_rms_norm,
    bench_rope,
    bench_matmul
);
criterion_main!(benches);
