//! The sim must say no: kernels (or plans) that break an AscendC rule come back as an `Err`
//! naming the rule, never a crash, and the session is usable again afterwards.

mod common;

use ascend_kernels::backend::sim::{self, sim_probe, ProbeMode, RmsNormArgs, SimConfig};
use ascend_kernels::tiling::rms_norm::RmsNormPlan;
use ascend_kernels::tiling::Target;
use ascend_kernels::Error;

fn sim_error(r: ascend_kernels::Result<sim::Counters>) -> String {
    common::emulator_error(r)
}

fn src(n: usize) -> Vec<f32> {
    (0..n).map(|i| i as f32 * 0.5 - 3.0).collect()
}

#[test]
fn the_correct_probe_passes_and_copies() {
    if !common::require_sim() {
        return;
    }
    let s = src(64);
    let mut d = vec![0.0f32; 64];
    let c = sim_probe(Target::A2, ProbeMode::Copy, &s, &mut d).unwrap();
    assert_eq!(d, s);
    assert_eq!(c.gm_to_ub_bytes, 256);
    assert_eq!(c.ub_to_gm_bytes, 256);
}

#[test]
fn misaligned_datacopy_is_refused() {
    if !common::require_sim() {
        return;
    }
    let s = src(10); // 40 B: the hardware would silently copy 32 B
    let mut d = vec![0.0f32; 10];
    let m = sim_error(sim_probe(Target::A2, ProbeMode::Copy, &s, &mut d));
    assert!(m.contains("DataCopy") && m.contains("32"), "{m}");
}

#[test]
fn queue_misuse_is_refused() {
    if !common::require_sim() {
        return;
    }
    for (mode, words) in [
        (ProbeMode::DoubleFree, &["FreeTensor"][..]),
        (ProbeMode::EmptyDeQue, &["DeQue"][..]),
        (ProbeMode::Leak, &["leak"][..]),
        (ProbeMode::UseAfterEnQue, &["EnQue"][..]),
    ] {
        let s = src(64);
        let mut d = vec![0.0f32; 64];
        let m = sim_error(sim_probe(Target::A2, mode, &s, &mut d));
        for w in words {
            assert!(
                m.to_lowercase().contains(&w.to_lowercase()),
                "{mode:?}: {m}"
            );
        }
    }
}

#[test]
fn ub_overflow_is_refused() {
    if !common::require_sim() {
        return;
    }
    let s = src(60_000); // 240 000 B of UB > 192 KiB
    let mut d = vec![0.0f32; 60_000];
    let m = sim_error(sim_probe(Target::A2, ProbeMode::Copy, &s, &mut d));
    assert!(m.contains("InitBuffer"), "{m}");

    // an rms_norm plan with more rows per tile than the UB holds
    let (rows, cols) = (64usize, 4096usize);
    let x = vec![half::bf16::from_f32(1.0); rows * cols];
    let w = vec![half::bf16::from_f32(1.0); cols];
    let mut y = x.clone();
    let args = RmsNormArgs {
        x: &x,
        residual: None,
        weight: &w,
        rows,
        cols,
        eps: 1e-6,
        mode: ascend_kernels::ops::RmsNormMode::Hf,
    };
    let plan = RmsNormPlan {
        block_dim: 1,
        rows_per_core: 64,
        rows_per_tile: 64,
        ub_bytes: 0,
    };
    let m = sim_error(sim::rms_norm_planned(
        &SimConfig::new(Target::A2),
        &args,
        &plan,
        &mut y,
        None,
        None,
    ));
    assert!(m.contains("InitBuffer"), "{m}");
    // the same plan fits nowhere, but the host tiling would have split it
    let ok = sim::rms_norm(&SimConfig::new(Target::A2), &args, &mut y, None, None);
    assert!(ok.is_ok(), "{ok:?}");
}

#[test]
fn gm_out_of_bounds_is_refused() {
    if !common::require_sim() {
        return;
    }
    let s = src(64);
    let mut d = vec![0.0f32; 32]; // the kernel writes 64
    let m = sim_error(sim_probe(Target::A2, ProbeMode::Copy, &s, &mut d));
    assert!(m.contains("GM"), "{m}");
}

#[test]
fn a_kernel_of_the_wrong_target_is_refused() {
    if !common::require_sim() {
        return;
    }
    let s = src(64);
    let mut d = vec![0.0f32; 64];
    let m = sim_error(sim_probe(Target::A5, ProbeMode::Copy, &s, &mut d));
    assert!(m.contains("a2") || m.contains("2201"), "{m}");
}

#[test]
fn a_row_too_long_for_the_variant_is_a_tiling_error() {
    if !common::require_sim() {
        return;
    }
    let cols = 40_000usize;
    let x = vec![0.5f32; cols];
    let w = vec![1.0f32; cols];
    let mut y = x.clone();
    let args = RmsNormArgs {
        x: &x,
        residual: None,
        weight: &w,
        rows: 1,
        cols,
        eps: 1e-6,
        mode: ascend_kernels::ops::RmsNormMode::Hf,
    };
    match sim::rms_norm(&SimConfig::new(Target::A2), &args, &mut y, None, None) {
        Err(Error::InvalidOption { reason, .. }) => assert!(reason.contains("UB"), "{reason}"),
        other => panic!("{other:?}"),
    }
}
