//! Bit-exact parity of the generated kernels with the CPU reference in the Ascend modes, on the
//! target whose hardware operator each mode reproduces, for every compiled variant:
//! - `rms_norm` `AscendA2` (a2) and `Ascend950` (a5): `y` and `rstd`;
//! - `add_rms_norm` `AscendA2` (a2) and `Ascend950` (a5): `y`, `rstd` and `x`;
//! - `rotary_mul` (`npu_rotary_mul`) in every rope mode the target implements, and the
//!   ties-away rounding of `ApplyRotaryPosEmb` on constructed halfway cases.
//!
//! The only arithmetic a kernel and the reference do not share is the order of the f32 sum of
//! squares. The norm inputs are therefore multiples of 1/8 below 8 in magnitude (with tails,
//! signed zeros, and rows of Inf, NaN and overflowing values): every square and every partial
//! sum is exact in f32, so any order gives the reference's sum and the outputs must agree bit
//! for bit. (General inputs are held to a bound in `sim_rms_norm.rs`.)

mod common;

use ascend_kernels::backend::sim::SimConfig;
use ascend_kernels::ops::{self, AddRmsNormMode, AddRmsNormOptions, RmsNormMode, RmsNormOptions};
use ascend_kernels::ops::{RopeCache, RopeMode, RopeOptions};
use ascend_kernels::tiling::Target;
use ascend_kernels::{Backend, FloatElement, TensorView};
use half::{bf16, f16};
use proptest::prelude::*;

fn same_bits<T: FloatElement>(a: &[T], b: &[T]) -> Option<usize> {
    a.iter().zip(b).position(|(x, y)| {
        let (x, y) = (x.to_f32(), y.to_f32());
        !(x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan()))
    })
}

/// A value of an exact-sum row: k/8 with |k| < 64, a signed zero now and then.
fn exact_value(seed: u64) -> f32 {
    match seed % 23 {
        0 => 0.0,
        1 => -0.0,
        _ => ((seed / 23 % 127) as f32 - 63.0) / 8.0,
    }
}

/// A row of special values for row `row` (every 7th row), else `None`.
fn special_row(row: usize, cols: usize) -> Option<Vec<f32>> {
    let v = match row % 7 {
        3 => f32::INFINITY,
        5 => f32::NAN,
        6 => 3e30, // the sum of squares overflows f32: rstd 0
        _ => return None,
    };
    let mut out = vec![0.5f32; cols];
    out[row % cols] = v;
    Some(out)
}

fn inputs(rows: usize, cols: usize, seed: u64, specials: bool) -> Vec<f32> {
    let mut s = seed | 1;
    let mut next = move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        s
    };
    let mut x = Vec::with_capacity(rows * cols);
    for r in 0..rows {
        match special_row(r, cols).filter(|_| specials) {
            Some(row) => x.extend(row),
            None => x.extend((0..cols).map(|_| exact_value(next()))),
        }
    }
    x
}

fn conv<T: FloatElement>(v: &[f32]) -> Vec<T> {
    v.iter().map(|&f| T::from_f32(f)).collect()
}

struct NormCase {
    rows: usize,
    cols: usize,
    seed: u64,
    eps: f32,
    cores: u32,
}

fn check_rms_norm<T: FloatElement>(
    cfg: &SimConfig,
    mode: RmsNormMode,
    c: &NormCase,
) -> Result<(), String> {
    let x: Vec<T> = conv(&inputs(c.rows, c.cols, c.seed, true));
    let w: Vec<T> = conv(&inputs(1, c.cols, c.seed ^ 0x55, false));
    let (xs, ws) = ([c.rows, c.cols], [c.cols]);
    let (xv, wv) = (
        TensorView::new(&xs, &x).unwrap(),
        TensorView::new(&ws, &w).unwrap(),
    );
    let opts = RmsNormOptions { eps: c.eps, mode };
    let (cy, cr) = ops::rms_norm_rstd(&Backend::Cpu, xv, wv, &opts).map_err(|e| e.to_string())?;
    let sim_backend = Backend::Sim(cfg.clone().with_cores(c.cores));
    let (sy, sr) = ops::rms_norm_rstd(&sim_backend, xv, wv, &opts).map_err(|e| e.to_string())?;
    if let Some(i) = same_bits(sr.data(), cr.data()) {
        return Err(format!(
            "rstd[{i}]: sim {:e} cpu {:e}",
            sr.data()[i],
            cr.data()[i]
        ));
    }
    if let Some(i) = same_bits(sy.data(), cy.data()) {
        return Err(format!(
            "y[{i}]: sim {:e} cpu {:e}",
            sy.data()[i].to_f32(),
            cy.data()[i].to_f32()
        ));
    }
    // y without rstd takes the same path
    let y = ops::rms_norm(&sim_backend, xv, wv, &opts).map_err(|e| e.to_string())?;
    if let Some(i) = same_bits(y.data(), cy.data()) {
        return Err(format!("y (no rstd)[{i}] differs"));
    }
    Ok(())
}

fn check_add_rms_norm<T: FloatElement>(
    cfg: &SimConfig,
    mode: AddRmsNormMode,
    c: &NormCase,
) -> Result<(), String> {
    let x1: Vec<T> = conv(&inputs(c.rows, c.cols, c.seed, true));
    let x2: Vec<T> = conv(&inputs(c.rows, c.cols, c.seed ^ 0xABC, false));
    let g: Vec<T> = conv(&inputs(1, c.cols, c.seed ^ 0x55, false));
    let (xs, gs) = ([c.rows, c.cols], [c.cols]);
    let (v1, v2) = (
        TensorView::new(&xs, &x1).unwrap(),
        TensorView::new(&xs, &x2).unwrap(),
    );
    let gv = TensorView::new(&gs, &g).unwrap();
    let opts = AddRmsNormOptions { eps: c.eps, mode };
    let cpu = ops::add_rms_norm(&Backend::Cpu, v1, v2, gv, &opts).map_err(|e| e.to_string())?;
    let sim_backend = Backend::Sim(cfg.clone().with_cores(c.cores));
    let s = ops::add_rms_norm(&sim_backend, v1, v2, gv, &opts).map_err(|e| e.to_string())?;
    if let Some(i) = same_bits(s.x.data(), cpu.x.data()) {
        return Err(format!("x[{i}] differs"));
    }
    if let Some(i) = same_bits(s.rstd.data(), cpu.rstd.data()) {
        return Err(format!(
            "rstd[{i}]: sim {:e} cpu {:e}",
            s.rstd.data()[i],
            cpu.rstd.data()[i]
        ));
    }
    if let Some(i) = same_bits(s.y.data(), cpu.y.data()) {
        return Err(format!(
            "y[{i}]: sim {:e} cpu {:e}",
            s.y.data()[i].to_f32(),
            cpu.y.data()[i].to_f32()
        ));
    }
    Ok(())
}

fn native_target(mode: Option<Target>) -> Target {
    mode.unwrap_or(Target::A2)
}

/// Every variant of the mode's target, Qwen3-like rows and awkward ones.
#[test]
fn norms_match_on_every_variant() {
    if !common::require_sim() {
        return;
    }
    let mut covered = 0;
    for cfg in common::configs("rms_norm") {
        let shapes: &[(usize, usize)] = &[(3, 1024), (9, 128), (5, 37), (2, 1)];
        for &(rows, cols) in shapes {
            for (i, eps) in [1e-6f32, 0.0].into_iter().enumerate() {
                let c = NormCase {
                    rows,
                    cols,
                    seed: (rows * 31 + cols + i) as u64,
                    eps,
                    cores: cfg.target.vector_cores(),
                };
                let tag =
                    |m: &str| format!("{} {} {m} {rows}x{cols} eps {eps}", cfg.target, cfg.variant);
                for mode in [RmsNormMode::AscendA2, RmsNormMode::Ascend950] {
                    if native_target(mode.ascend_target()) != cfg.target {
                        continue;
                    }
                    check_rms_norm::<bf16>(&cfg, mode, &c)
                        .unwrap_or_else(|e| panic!("{}: {e}", tag(mode.name())));
                    check_rms_norm::<f16>(&cfg, mode, &c)
                        .unwrap_or_else(|e| panic!("{}: {e}", tag(mode.name())));
                    check_rms_norm::<f32>(&cfg, mode, &c)
                        .unwrap_or_else(|e| panic!("{}: {e}", tag(mode.name())));
                    covered += 1;
                }
                for mode in [AddRmsNormMode::AscendA2, AddRmsNormMode::Ascend950] {
                    if native_target(mode.ascend_target()) != cfg.target {
                        continue;
                    }
                    // A2/A3 scales each square by 1/H before the sum: exact for H a power of two
                    if mode == AddRmsNormMode::AscendA2 && !cols.is_power_of_two() {
                        continue;
                    }
                    check_add_rms_norm::<bf16>(&cfg, mode, &c)
                        .unwrap_or_else(|e| panic!("{}: {e}", tag(mode.name())));
                    check_add_rms_norm::<f16>(&cfg, mode, &c)
                        .unwrap_or_else(|e| panic!("{}: {e}", tag(mode.name())));
                    check_add_rms_norm::<f32>(&cfg, mode, &c)
                        .unwrap_or_else(|e| panic!("{}: {e}", tag(mode.name())));
                    covered += 1;
                }
            }
        }
    }
    assert!(covered >= 6 * 4 * 2, "only {covered} combinations");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn norms_match_on_random_shapes(
        rows in 1usize..40,
        log_cols in 0u32..10,
        tail in 0usize..20,
        a5 in any::<bool>(),
        add in any::<bool>(),
        variant in 0usize..3,
        dtype in 0u8..3,
        cores in 1u32..9,
        seed in any::<u64>(),
    ) {
        if !common::require_sim() {
            return Ok(());
        }
        let target = if a5 { Target::A5 } else { Target::A2 };
        let pow2 = 1usize << log_cols;
        // AddRmsNorm on A2/A3 needs H a power of two for exact sums (see the module doc)
        let cols = if add && !a5 { pow2 } else { pow2 + tail };
        let cfg = SimConfig::new(target).with_variant(["v0", "v1", "v2"][variant]);
        let c = NormCase { rows, cols, seed, eps: 1e-6, cores };
        let r = if add {
            let mode = AddRmsNormMode::of_target(target);
            match dtype {
                0 => check_add_rms_norm::<bf16>(&cfg, mode, &c),
                1 => check_add_rms_norm::<f16>(&cfg, mode, &c),
                _ => check_add_rms_norm::<f32>(&cfg, mode, &c),
            }
        } else {
            let mode = if a5 { RmsNormMode::Ascend950 } else { RmsNormMode::AscendA2 };
            match dtype {
                0 => check_rms_norm::<bf16>(&cfg, mode, &c),
                1 => check_rms_norm::<f16>(&cfg, mode, &c),
                _ => check_rms_norm::<f32>(&cfg, mode, &c),
            }
        };
        prop_assert!(r.is_ok(), "{target} {rows}x{cols} add {add}: {}", r.unwrap_err());
    }
}

/// The HF Add + RMSNorm through `add_rms_norm` is the fused residual kernel: its `y` and `x`
/// are `rms_norm_residual`'s on the same backend, and its `rstd` is the kernel's `1/sqrt` of
/// the f32 mean (within an ulp or two of the reference's correctly rounded value).
#[test]
fn hf_add_rms_norm_is_the_fused_residual_kernel() {
    if !common::require_sim() {
        return;
    }
    for target in Target::ALL {
        let backend = Backend::Sim(SimConfig::new(target));
        let (rows, cols) = (6, 200);
        let x1: Vec<bf16> = conv(&inputs(rows, cols, 3, false));
        let x2: Vec<bf16> = conv(&inputs(rows, cols, 4, false));
        let g: Vec<bf16> = conv(&inputs(1, cols, 5, false));
        let (xs, gs) = ([rows, cols], [cols]);
        let (a, b) = (
            TensorView::new(&xs, &x1).unwrap(),
            TensorView::new(&xs, &x2).unwrap(),
        );
        let gv = TensorView::new(&gs, &g).unwrap();
        let out = ops::add_rms_norm(&backend, a, b, gv, &AddRmsNormOptions::default()).unwrap();
        let (y, h) =
            ops::rms_norm_residual(&backend, a, b, gv, &RmsNormOptions::default()).unwrap();
        assert_eq!(out.y.data(), y.data());
        assert_eq!(out.x.data(), h.data());
        let cpu =
            ops::add_rms_norm(&Backend::Cpu, a, b, gv, &AddRmsNormOptions::default()).unwrap();
        for (s, c) in out.rstd.data().iter().zip(cpu.rstd.data()) {
            assert!(
                (s.to_bits() as i64 - c.to_bits() as i64).abs() <= 2,
                "{s} vs {c}"
            );
        }
    }
}

/// An Ascend mode runs only on the target whose operator it reproduces.
#[test]
fn ascend_norm_modes_are_refused_on_the_other_target() {
    if !common::require_sim() {
        return;
    }
    let x = vec![bf16::ONE; 8];
    let (xs, ws) = ([1, 8], [8]);
    let (xv, wv) = (
        TensorView::new(&xs, &x).unwrap(),
        TensorView::new(&ws, &x).unwrap(),
    );
    let a5 = Backend::Sim(SimConfig::new(Target::A5));
    let a2 = Backend::Sim(SimConfig::new(Target::A2));
    let opts = |mode| RmsNormOptions { eps: 1e-6, mode };
    let e = ops::rms_norm(&a5, xv, wv, &opts(RmsNormMode::AscendA2))
        .unwrap_err()
        .to_string();
    assert!(e.contains("ascend-a2") && e.contains("a5"), "{e}");
    let e = ops::rms_norm(&a2, xv, wv, &opts(RmsNormMode::Ascend950))
        .unwrap_err()
        .to_string();
    assert!(e.contains("ascend-950"), "{e}");
    let add = AddRmsNormOptions {
        eps: 1e-6,
        mode: AddRmsNormMode::Ascend950,
    };
    let e = ops::add_rms_norm(&a2, xv, xv, wv, &add)
        .unwrap_err()
        .to_string();
    assert!(e.contains("ascend-950"), "{e}");
}

/// HF-style `cat(freqs, freqs)` cos/sin tables in the activation dtype.
fn rotary_inputs<T: FloatElement>(
    b: usize,
    s: usize,
    n: usize,
    d: usize,
    seed: u64,
) -> (Vec<T>, Vec<T>, Vec<T>) {
    let cache = RopeCache::new(1e6, d, s + 3).unwrap();
    let mut st = seed | 1;
    let mut next = move || {
        st ^= st << 13;
        st ^= st >> 7;
        st ^= st << 17;
        ((st % 20001) as f32 - 10000.0) / 2500.0
    };
    let x: Vec<T> = (0..b * s * n * d).map(|_| T::from_f32(next())).collect();
    let half = d / 2;
    let (mut r1, mut r2) = (Vec::new(), Vec::new());
    for p in 0..s {
        let row = cache.row((p + 3) as i64).expect("a position of the cache");
        for i in 0..d {
            r1.push(T::from_f32(row[i % half]));
            r2.push(T::from_f32(row[half + i % half]));
        }
    }
    (x, r1, r2)
}

fn check_rotary_mul<T: FloatElement>(
    cfg: &SimConfig,
    mode: RopeMode,
    bsnd: bool,
    d: usize,
) -> Result<(), String> {
    let (b, s, n) = (2, 5, 3);
    let (x, r1, r2) = rotary_inputs::<T>(b, s, n, d, d as u64 + bsnd as u64);
    // BSND with r [1, S, 1, D], or BNSD with r [1, 1, S, D] (x generated in the same order)
    let (xs, rs) = if bsnd {
        ([b, s, n, d], [1, s, 1, d])
    } else {
        ([b, n, s, d], [1, 1, s, d])
    };
    let xv = TensorView::new(&xs, &x).unwrap();
    let (v1, v2) = (
        TensorView::new(&rs, &r1).unwrap(),
        TensorView::new(&rs, &r2).unwrap(),
    );
    let cpu = ops::rotary_mul(&Backend::Cpu, xv, v1, v2, mode).map_err(|e| e.to_string())?;
    let sim =
        ops::rotary_mul(&Backend::Sim(cfg.clone()), xv, v1, v2, mode).map_err(|e| e.to_string())?;
    match same_bits(sim.data(), cpu.data()) {
        Some(i) => Err(format!(
            "{mode:?} y[{i}]: sim {:e} cpu {:e}",
            sim.data()[i].to_f32(),
            cpu.data()[i].to_f32()
        )),
        None => Ok(()),
    }
}

#[test]
fn rotary_mul_matches_in_every_mode_of_the_target() {
    if !common::require_sim() {
        return;
    }
    let mut ascend = 0;
    for cfg in common::configs("rope_qk") {
        for mode in RopeMode::ALL {
            if mode.ascend_target().is_some_and(|t| t != cfg.target) {
                continue;
            }
            ascend += mode.ascend_target().is_some() as usize;
            for (bsnd, d) in [(true, 128), (false, 64), (true, 18)] {
                let tag = format!("{} {} {mode:?} bsnd {bsnd} d {d}", cfg.target, cfg.variant);
                check_rotary_mul::<bf16>(&cfg, mode, bsnd, d)
                    .unwrap_or_else(|e| panic!("{tag}: {e}"));
                check_rotary_mul::<f16>(&cfg, mode, bsnd, d)
                    .unwrap_or_else(|e| panic!("{tag}: {e}"));
                check_rotary_mul::<f32>(&cfg, mode, bsnd, d)
                    .unwrap_or_else(|e| panic!("{tag}: {e}"));
            }
        }
    }
    assert_eq!(ascend, 4, "two Ascend rope modes on both a2 variants");
}

/// Constructed halfway cases: `x1 - x2·s` with `cos = sin = 1` is `1 + 2^-8` (or its negative),
/// halfway between two bf16 values. `npu_rotary_mul` rounds to even (1), `ApplyRotaryPosEmb`
/// away from zero (1 + 2^-7); the sim's `CAST_ROUND` must agree with the reference.
#[test]
fn apply_rotary_pos_emb_rounds_ties_away_on_the_sim() {
    if !common::require_sim() {
        return;
    }
    let d = 16;
    let cache = RopeCache::from_table(d, vec![1.0f32; d]).unwrap();
    let mut q = vec![bf16::ZERO; d];
    for i in 0..d / 2 {
        let sign = if i % 2 == 0 { 1.0 } else { -1.0 };
        q[i] = bf16::from_f32(sign);
        q[i + d / 2] = bf16::from_f32(-sign * 2f32.powi(-8));
    }
    let shape = [1, 1, d];
    let k = q.clone();
    let (qv, kv) = (
        TensorView::new(&shape, &q).unwrap(),
        TensorView::new(&shape, &k).unwrap(),
    );
    let a2 = Backend::Sim(SimConfig::new(Target::A2));
    for (mode, expect) in [
        (RopeMode::AscendRotaryMul, 1.0f32),
        (RopeMode::AscendApplyRotaryPosEmb, 1.0 + 2f32.powi(-7)),
    ] {
        let opts = RopeOptions { mode };
        let (cpu, _) = ops::rope_qk(&Backend::Cpu, qv, kv, &[0], &cache, &opts).unwrap();
        let (sim, _) = ops::rope_qk(&a2, qv, kv, &[0], &cache, &opts).unwrap();
        assert_eq!(cpu.data(), sim.data(), "{mode:?}");
        for i in 0..d / 2 {
            let sign = if i % 2 == 0 { 1.0 } else { -1.0 };
            assert_eq!(cpu.data()[i].to_f32(), sign * expect, "{mode:?} {i}");
        }
    }
}

/// The sim's rope kernel shares one cos/sin half: tables whose halves differ are refused there
/// (the CPU computes them).
#[test]
fn rotary_mul_with_different_halves_is_refused_on_the_sim() {
    if !common::require_sim() {
        return;
    }
    let d = 8;
    let x = vec![bf16::ONE; d];
    let mut r1 = vec![bf16::ONE; d];
    r1[d - 1] = bf16::from_f32(0.5);
    let shape = [1, 1, 1, d];
    let (xv, v1) = (
        TensorView::new(&shape, &x).unwrap(),
        TensorView::new(&shape, &r1).unwrap(),
    );
    let a2 = Backend::Sim(SimConfig::new(Target::A2));
    let e = ops::rotary_mul(&a2, xv, v1, xv, RopeMode::AscendRotaryMul)
        .unwrap_err()
        .to_string();
    assert!(e.contains("r1") && e.contains("halves"), "{e}");
    let y = ops::rotary_mul(&Backend::Cpu, xv, v1, xv, RopeMode::AscendRotaryMul).unwrap();
    // element d-1 reads r1[d-1] = 0.5 and r2[d-1] = 1: x2·0.5 + x1·1 = 1.5
    assert_eq!(y.data()[d - 1].to_f32(), 1.5);
}
