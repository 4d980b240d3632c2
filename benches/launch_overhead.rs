//! The host overhead of one kernel launch through the device path: validating the tensors,
//! planning the tiling, filling the generated tiling struct, resolving the unit's launcher in
//! the kernel library and calling it (`device::ops::rms_norm`), against calling the same
//! launcher bare with a tiling struct filled once, in the same run. Both enqueue the same task
//! on an emulator stream; only the launch calls are timed — the queued kernels run at a
//! synchronization outside the timed region, every `CHUNK` launches.
//!
//! `cargo bench --bench launch_overhead`; the ratio is reported in docs/performance.md.

use ascend_kernels::backend::sim;
use ascend_kernels::device::kernels::{
    launcher_symbol, AkRmsNormLaunch, AkRmsNormTiling, AK_DTYPE_BF16,
};
use ascend_kernels::device::ops::{self as dops, DeviceTensor};
use ascend_kernels::device::{Device, Exec};
use ascend_kernels::ops::RmsNormOptions;
use ascend_kernels::tiling::Target;
use ascend_kernels::DType;
use criterion::{criterion_group, criterion_main, Criterion};
use std::time::{Duration, Instant};

/// Launches between two (untimed) synchronizations.
const CHUNK: u64 = 32;

fn launch_overhead(c: &mut Criterion) {
    if !sim::available() {
        eprintln!("launch_overhead: this build has no emulator; nothing to measure");
        return;
    }
    let dev = Device::emulator(Target::A2).unwrap();
    let exec = Exec {
        variant: "v0".into(),
        ..Exec::new(dev.clone())
    };
    let stream = dev.stream().unwrap();
    // One row of 128 bf16: the smallest launch (one core), so kernel time stays small.
    let (rows, cols) = (1usize, 128usize);
    let x = dev.alloc(rows * cols * 2).unwrap();
    let w = dev.alloc(cols * 2).unwrap();
    let y = dev.alloc(rows * cols * 2).unwrap();
    x.fill(0x3C).unwrap();
    w.fill(0x3C).unwrap();
    let (xs, ws) = ([rows, cols], [cols]);
    let t = |b, s| DeviceTensor::new(b, s, DType::BF16).unwrap();
    let opts = RmsNormOptions::default();

    let mut g = c.benchmark_group("launch_overhead/rms_norm_a2_v0_1x128");
    g.sample_size(20)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(2));
    g.bench_function("device_path", |b| {
        b.iter_custom(|iters| {
            let mut timed = Duration::ZERO;
            let mut left = iters;
            while left > 0 {
                let n = left.min(CHUNK);
                let start = Instant::now();
                for _ in 0..n {
                    dops::rms_norm(
                        &exec,
                        stream.handle(),
                        t(&x, &xs),
                        t(&w, &ws),
                        None,
                        t(&y, &xs),
                        None,
                        &opts,
                    )
                    .unwrap();
                }
                timed += start.elapsed();
                stream.synchronize().unwrap();
                left -= n;
            }
            timed
        })
    });
    // The bare launcher: the same unit and tiling, resolved and filled once.
    let symbol = launcher_symbol("rms_norm", Target::A2, "v0");
    // SAFETY: AkRmsNormLaunch is the generated signature of every rms_norm launcher.
    let f: AkRmsNormLaunch = unsafe { dev.kernels().launcher(&symbol) }.unwrap();
    let tiling = AkRmsNormTiling {
        rows: rows as u32,
        cols: cols as u32,
        rows_per_core: 1,
        rows_per_tile: 1,
        dtype: AK_DTYPE_BF16,
        flags: 0,
        eps: 1e-6,
        ..Default::default()
    };
    g.bench_function("bare_launcher", |b| {
        b.iter_custom(|iters| {
            let mut timed = Duration::ZERO;
            let mut left = iters;
            while left > 0 {
                let n = left.min(CHUNK);
                let start = Instant::now();
                for _ in 0..n {
                    // SAFETY: device addresses of live allocations (null for the unused residual,
                    // h and rstd), a live tiling struct; the launcher only queues the task.
                    let rc = unsafe {
                        f(
                            1,
                            stream.handle().as_ptr(),
                            x.ptr().as_kernel_arg(),
                            std::ptr::null_mut(),
                            w.ptr().as_kernel_arg(),
                            y.ptr().as_kernel_arg(),
                            std::ptr::null_mut(),
                            std::ptr::null_mut(),
                            &tiling,
                        )
                    };
                    assert_eq!(rc, 0);
                }
                timed += start.elapsed();
                stream.synchronize().unwrap();
                left -= n;
            }
            timed
        })
    });
    g.finish();
}

criterion_group!(benches, launch_overhead);
criterion_main!(benches);
