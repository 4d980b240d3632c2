//! Parity of the generated matmul family (cube `matmul` kernel, plus the `mx_dequant` vector
//! kernel for the MX forms) on the AscendC sim with the CPU reference, for every compiled
//! target x variant: bf16 x bf16 (`ops::matmul`), MXFP8 x MXFP8 (`ops::mx_matmul`, E4M3/E5M2
//! each, optional bias, bf16/f16/f32 out) and bf16 x MXFP8 (`ops::mx_matmul_weight_only`).
//!
//! Results are held to the bound of `docs/numerics.md` (mx_matmul): an f32 accumulation in any
//! order lands within `γ_K · Σ|x w sx sw| + ulp_f32/2 + ulp_out/2` of the exact value. The MX
//! forms decode their operands to bf16 first on a2 (`docs/kernels/matmul.md`); where that decode
//! is exact (everything but the extremes of the E8M0 range) the exact value is the CPU
//! reference's, elsewhere it is the exact sum over the bf16-decoded operands (the documented
//! semantics). On a5 `mx_matmul` runs the native MX kernel (`tests/sim_matmul_mx.rs` has its own
//! tests) and the exact value is the CPU reference's everywhere.
//! Negative tests hand the sim tilings that overflow L0C or break L0 alignment.

mod common;

use common::{check_bound, Rng};

use ascend_kernels::backend::sim::{self, MatmulArgs, SimConfig};
use ascend_kernels::ops::{self, MxView};
use ascend_kernels::tiling::matmul::MatmulPlan;
use ascend_kernels::tiling::Target;
use ascend_kernels::{Backend, Error, FloatElement, Fp8Format, TensorView, E8M0};
use half::{bf16, f16};
use proptest::prelude::*;

/// Every compiled variant of `matmul`.
fn configs() -> Vec<SimConfig> {
    let v = common::configs("matmul");
    assert!(
        v.len() >= 4,
        "matmul must be compiled for a2 and a5, v0 and v1"
    );
    v
}

fn bf16_vec(r: &mut Rng, len: usize) -> Vec<bf16> {
    (0..len)
        .map(|_| match r.below(10) {
            0 => bf16::ZERO,
            1 => bf16::from_f32((r.unit() as f32 - 0.5) * 1e-3),
            _ => bf16::from_f32((r.unit() as f32 - 0.5) * 8.0),
        })
        .collect()
}

fn to_f64<T: FloatElement>(v: &[T]) -> Vec<f64> {
    v.iter().map(|x| f64::from(x.to_f32())).collect()
}

/// bf16 x bf16 through `ops::matmul` (host-planned tiling).
fn run_dense<T: FloatElement, O: FloatElement>(
    cfg: &SimConfig,
    m: usize,
    n: usize,
    k: usize,
    seed: u64,
) -> Result<(), String> {
    let mut r = Rng(seed | 1);
    let x: Vec<T> = bf16_vec(&mut r, m * k)
        .iter()
        .map(|v| T::from_f32(v.to_f32()))
        .collect();
    let w: Vec<T> = bf16_vec(&mut r, n * k)
        .iter()
        .map(|v| T::from_f32(v.to_f32()))
        .collect();
    let (xs, ws) = ([m, k], [n, k]);
    let xv = TensorView::new(&xs, &x).unwrap();
    let wv = TensorView::new(&ws, &w).unwrap();
    let got = ops::matmul::<T, O>(&Backend::Sim(cfg.clone()), xv, wv).map_err(|e| e.to_string())?;
    let cpu = ops::matmul::<T, O>(&Backend::Cpu, xv, wv).map_err(|e| e.to_string())?;
    let what = format!(
        "{} {} dense {:?} {m}x{n}x{k}",
        cfg.target,
        cfg.variant,
        T::DTYPE
    );
    check_bound(&what, got.data(), &to_f64(&x), &to_f64(&w), None, m, n, k)?;
    // and the CPU reference itself is within half an output ulp of the same exact value
    check_bound(
        &format!("{what} (cpu)"),
        cpu.data(),
        &to_f64(&x),
        &to_f64(&w),
        None,
        m,
        n,
        k,
    )
}

/// bf16 x bf16 with an explicit small tiling: many output tiles, several L1 chunks and L0 steps.
#[allow(clippy::too_many_arguments)]
fn run_planned(
    cfg: &SimConfig,
    m: usize,
    n: usize,
    k: usize,
    base: (u32, u32, u32, u32),
    bias: bool,
    cores: u32,
    seed: u64,
) -> Result<(), String> {
    let mut r = Rng(seed | 1);
    let x = bf16_vec(&mut r, m * k);
    let w = bf16_vec(&mut r, n * k);
    let b: Vec<f32> = (0..n).map(|_| (r.unit() as f32 - 0.5) * 100.0).collect();
    let (bm, bn, bk, depth) = base;
    let tiles_n = (n as u32).div_ceil(bn);
    let tiles = (m as u32).div_ceil(bm) * tiles_n;
    let p = MatmulPlan {
        block_dim: tiles.min(cores),
        base_m: bm,
        base_n: bn,
        base_k: bk,
        k_l1: bk * depth,
        tiles_n,
        tiles,
    };
    let args = MatmulArgs {
        x: &x,
        w: &w,
        bias: bias.then_some(b.as_slice()),
        m,
        n,
        k,
    };
    let mut out = vec![0f32; m * n];
    let c = sim::matmul_planned(cfg, &args, &p, &mut out).map_err(|e| e.to_string())?;
    // the bias is C's start value (the bias table), not an extra Mmad
    let macs = (m * n * k) as u64;
    if c.cube_macs != macs {
        return Err(format!("cube_macs {} != {macs}", c.cube_macs));
    }
    let what = format!("{} {} planned {m}x{n}x{k} {p:?}", cfg.target, cfg.variant);
    check_bound(&what, &out, &to_f64(&x), &to_f64(&w), args.bias, m, n, k)
}

fn pair_len(k: usize) -> usize {
    k.div_ceil(32).div_ceil(2) * 2
}

/// An MX operand: element bytes (finite codes only unless `specials`) and per-row scale bytes
/// drawn by `scale`.
fn mx_data(
    r: &mut Rng,
    format: Fp8Format,
    rows: usize,
    k: usize,
    specials: bool,
    scale: &mut dyn FnMut(&mut Rng, usize) -> u8,
) -> (Vec<u8>, Vec<E8M0>) {
    let e: Vec<u8> = (0..rows * k)
        .map(|_| loop {
            let b = r.below(256) as u8;
            let special = match format {
                Fp8Format::E4M3 => b & 0x7F == 0x7F,
                Fp8Format::E5M2 => b & 0x7C == 0x7C,
            };
            if !special || (specials && r.below(8) == 0) {
                break b;
            }
        })
        .collect();
    let pl = pair_len(k);
    let nb = k.div_ceil(32);
    let mut s = vec![E8M0::from_bits(0); rows * pl];
    for row in 0..rows {
        for blk in 0..pl {
            // the pad byte of an odd count is garbage the kernel must not read
            s[row * pl + blk] = E8M0::from_bits(if blk < nb { scale(r, row) } else { 0xFF });
        }
    }
    (e, s)
}

fn mx_view<'a>(
    format: Fp8Format,
    shape: &'a [usize; 2],
    sshape: &'a [usize; 3],
    e: &'a [u8],
    s: &'a [E8M0],
) -> MxView<'a> {
    MxView {
        format,
        elements: TensorView::new(shape, e).unwrap(),
        scales: TensorView::new(sshape, s).unwrap(),
    }
}

/// Decoded operand values: exact (in f64: element at unit scale times 2^(s - 127), NaN for
/// s = 255) and as the decode path sees them (bf16).
fn decoded(v: MxView<'_>) -> (Vec<f64>, Vec<f64>) {
    let (rows, k) = (v.elements.shape()[0], v.elements.shape()[1]);
    let unit = vec![E8M0::from_bits(127); v.scales.len()];
    let uv = MxView {
        scales: TensorView::new(v.scales.shape(), &unit).unwrap(),
        ..v
    };
    let e = ops::mx_dequant::<f32>(&Backend::Cpu, uv).unwrap();
    let pl = pair_len(k);
    let mut exact = Vec::with_capacity(rows * k);
    for r in 0..rows {
        for c in 0..k {
            let sb = v.scales.data()[r * pl + c / 32].to_bits();
            let sc = if sb == 255 {
                f64::NAN
            } else {
                2f64.powi(i32::from(sb) - 127)
            };
            exact.push(f64::from(e.data()[r * k + c]) * sc);
        }
    }
    let b = ops::mx_dequant::<bf16>(&Backend::Cpu, v).unwrap();
    (exact, to_f64(b.data()))
}

fn same(a: &[f64], b: &[f64]) -> Vec<bool> {
    a.iter()
        .zip(b)
        .map(|(x, y)| x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan()))
        .collect()
}

/// MXFP8 x MXFP8 through `ops::mx_matmul`; returns how many outputs had an exact decode.
#[allow(clippy::too_many_arguments)]
fn run_mx<O: FloatElement>(
    cfg: &SimConfig,
    fx: Fp8Format,
    fw: Fp8Format,
    m: usize,
    n: usize,
    k: usize,
    bias: bool,
    specials: bool,
    seed: u64,
    sx: &mut dyn FnMut(&mut Rng, usize) -> u8,
    sw: &mut dyn FnMut(&mut Rng, usize) -> u8,
) -> Result<(usize, usize), String> {
    let mut r = Rng(seed | 1);
    let (xe, xs) = mx_data(&mut r, fx, m, k, specials, sx);
    let (we, ws) = mx_data(&mut r, fw, n, k, specials, sw);
    let b: Vec<f32> = (0..n).map(|_| (r.unit() as f32 - 0.5) * 10.0).collect();
    let (xsh, xss) = ([m, k], [m, pair_len(k) / 2, 2]);
    let (wsh, wss) = ([n, k], [n, pair_len(k) / 2, 2]);
    let xv = mx_view(fx, &xsh, &xss, &xe, &xs);
    let wv = mx_view(fw, &wsh, &wss, &we, &ws);
    let bt = [n];
    let bv = bias.then(|| TensorView::new(&bt, &b).unwrap());
    let got =
        ops::mx_matmul::<O>(&Backend::Sim(cfg.clone()), xv, wv, bv).map_err(|e| e.to_string())?;
    let cpu = ops::mx_matmul::<O>(&Backend::Cpu, xv, wv, bv).map_err(|e| e.to_string())?;
    // the sim rebalances the scales per block (products unchanged), then decodes to bf16
    let (xs2, ws2) = sim::mx_rebalance(fx, &xs, fw, &ws, k);
    let (xf, xb) = decoded(mx_view(fx, &xsh, &xss, &xe, &xs2));
    let (wf, wb) = decoded(mx_view(fw, &wsh, &wss, &we, &ws2));
    let what = format!(
        "{} {} mx {fx:?}x{fw:?} {m}x{n}x{k} bias {bias}",
        cfg.target, cfg.variant
    );
    let bias_s = bias.then_some(b.as_slice());
    // the documented semantics: on a2 the exact sum over the bf16-decoded operands; on a5 (the
    // native MX kernel, no decode) the exact sum itself (the rebalanced values have the same
    // products)
    let native = cfg.target == Target::A5;
    let (xsem, wsem) = if native { (&xf, &wf) } else { (&xb, &wb) };
    check_bound(&what, got.data(), xsem, wsem, bias_s, m, n, k)?;
    // parity with the CPU reference wherever the decode is exact (rows and columns); everywhere
    // on the native path
    let (xe_ok, we_ok) = (same(&xf, xsem), same(&wf, wsem));
    let row_ok: Vec<bool> = (0..m)
        .map(|i| xe_ok[i * k..(i + 1) * k].iter().all(|&v| v))
        .collect();
    let col_ok: Vec<bool> = (0..n)
        .map(|j| we_ok[j * k..(j + 1) * k].iter().all(|&v| v))
        .collect();
    let (mut exact, mut inexact) = (0, 0);
    for (i, &rok) in row_ok.iter().enumerate() {
        for (j, &cok) in col_ok.iter().enumerate() {
            if !(rok && cok) {
                inexact += 1;
                continue;
            }
            exact += 1;
            let one = |v: &[f64], row: usize| v[row * k..(row + 1) * k].to_vec();
            let g = [got.data()[i * n + j]];
            let c = [cpu.data()[i * n + j]];
            let bj = bias.then(|| [b[j]]);
            let w = format!("{what} vs cpu at [{i}, {j}]");
            check_bound(
                &w,
                &g,
                &one(&xf, i),
                &one(&wf, j),
                bj.as_ref().map(|v| v.as_slice()),
                1,
                1,
                k,
            )?;
            check_bound(
                &format!("{w} (cpu)"),
                &c,
                &one(&xf, i),
                &one(&wf, j),
                bj.as_ref().map(|v| v.as_slice()),
                1,
                1,
                k,
            )?;
        }
    }
    Ok((exact, inexact))
}

fn mid_scale(r: &mut Rng, _row: usize) -> u8 {
    112 + r.below(30) as u8
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 6, ..ProptestConfig::default() })]

    /// bf16 x bf16 with the host tiling, every config, every output dtype; f16 x f16 to f32.
    #[test]
    fn dense_bf16_parity(m in 1usize..40, n in 1usize..40, k in 1usize..150, seed in any::<u64>()) {
        if !common::require_sim() { return Ok(()); }
        for cfg in configs() {
            run_dense::<bf16, f32>(&cfg, m, n, k, seed).map_err(TestCaseError::fail)?;
            run_dense::<bf16, bf16>(&cfg, m, n, k, seed).map_err(TestCaseError::fail)?;
            run_dense::<bf16, f16>(&cfg, m, n, k, seed).map_err(TestCaseError::fail)?;
            // f16 operands take the same cube path (half x half -> f32)
            run_dense::<f16, f32>(&cfg, m, n, k, seed).map_err(TestCaseError::fail)?;
        }
    }

    /// Small explicit tilings: tails in every dimension across tiles, L1 chunks and L0 steps,
    /// several cores, with and without bias.
    #[test]
    fn planned_tilings(m in 1usize..70, n in 1usize..70, k in 1usize..200,
                       bm in 1u32..4, bn in 1u32..4, bk in 1u32..3, depth in 1u32..4,
                       bias in any::<bool>(), cores in 1u32..6, seed in any::<u64>()) {
        if !common::require_sim() { return Ok(()); }
        for cfg in configs() {
            run_planned(&cfg, m, n, k, (16 * bm, 16 * bn, 16 * bk, depth), bias, cores, seed)
                .map_err(TestCaseError::fail)?;
        }
    }

    /// MXFP8 x MXFP8, both formats each side, moderate scales, optional bias, every output dtype.
    #[test]
    fn mx_parity(m in 1usize..24, n in 1usize..40, k in 1usize..200, fx in 0u8..2, fw in 0u8..2,
                 out in 0u8..3, bias in any::<bool>(), seed in any::<u64>()) {
        if !common::require_sim() { return Ok(()); }
        let f = |c: u8| if c == 0 { Fp8Format::E4M3 } else { Fp8Format::E5M2 };
        for cfg in configs() {
            let (sx, sw) = (&mut mid_scale, &mut mid_scale);
            let r = match out {
                0 => run_mx::<f32>(&cfg, f(fx), f(fw), m, n, k, bias, false, seed, sx, sw),
                1 => run_mx::<bf16>(&cfg, f(fx), f(fw), m, n, k, bias, false, seed, sx, sw),
                _ => run_mx::<f16>(&cfg, f(fx), f(fw), m, n, k, bias, false, seed, sx, sw),
            };
            let (exact, _) = r.map_err(TestCaseError::fail)?;
            prop_assert_eq!(exact, m * n, "moderate scales decode exactly");
        }
    }
}

/// Scale bytes at both ends of the E8M0 range (0, 1, 2 and 253, 254, paired so the products stay
/// in range), NaN scales (255) on one row of x and one row of w, and NaN/Inf element codes: the
/// decode path (a2) matches the bf16-decode semantics everywhere and the CPU reference wherever
/// the decode is exact; both regions must occur. (Same-end pairs here overflow f32 in the native
/// a5 kernel, which no f32 accumulation covers; its extremes are
/// `sim_matmul_mx.rs::native_extreme_scales_and_nan`.)
#[test]
fn mx_extreme_scales_and_nan() {
    if !common::require_sim() {
        return;
    }
    let (m, n, k) = (9, 19, 97);
    for cfg in configs().into_iter().filter(|c| c.target == Target::A2) {
        for (fx, fw) in [
            (Fp8Format::E4M3, Fp8Format::E5M2),
            (Fp8Format::E5M2, Fp8Format::E4M3),
        ] {
            for specials in [false, true] {
                // rows of x alternate very large and very small scales; w the opposite ends
                let mut sx = |r: &mut Rng, row: usize| match row {
                    4 => 255,
                    _ if row % 2 == 0 => 252 + r.below(3) as u8,
                    _ => r.below(3) as u8,
                };
                let mut sw = |r: &mut Rng, row: usize| match row {
                    7 => 255,
                    _ if row % 2 == 0 => r.below(3) as u8,
                    _ => 252 + r.below(3) as u8,
                };
                let (exact, inexact) = run_mx::<f32>(
                    &cfg,
                    fx,
                    fw,
                    m,
                    n,
                    k,
                    true,
                    specials,
                    7 + specials as u64,
                    &mut sx,
                    &mut sw,
                )
                .unwrap_or_else(|e| panic!("{e}"));
                assert!(
                    exact > 0 && inexact > 0,
                    "{exact} exact, {inexact} inexact outputs"
                );
            }
        }
    }
}

/// M = 1 (decode), N not a multiple of 16, K with an odd block count, bf16 output with bias, and
/// a shape with several output tiles on the host tiling.
#[test]
fn mx_decode_and_multi_tile_shapes() {
    if !common::require_sim() {
        return;
    }
    for cfg in configs() {
        for &(m, n, k) in &[(1, 37, 95), (1, 300, 33), (130, 150, 300)] {
            run_mx::<bf16>(
                &cfg,
                Fp8Format::E4M3,
                Fp8Format::E4M3,
                m,
                n,
                k,
                true,
                false,
                11,
                &mut mid_scale,
                &mut mid_scale,
            )
            .unwrap_or_else(|e| panic!("{e}"));
        }
    }
}

/// bf16 activations x MXFP8 weights through `ops::mx_matmul_weight_only`.
#[test]
fn weight_only_parity() {
    if !common::require_sim() {
        return;
    }
    for cfg in configs() {
        for (i, &(m, n, k, fw)) in [
            (1, 40, 70, Fp8Format::E4M3),
            (5, 33, 129, Fp8Format::E5M2),
            (17, 16, 32, Fp8Format::E4M3),
        ]
        .iter()
        .enumerate()
        {
            let mut r = Rng(99 + i as u64);
            let x = bf16_vec(&mut r, m * k);
            let (we, ws) = mx_data(&mut r, fw, n, k, false, &mut mid_scale);
            let (wsh, wss) = ([n, k], [n, pair_len(k) / 2, 2]);
            let wv = mx_view(fw, &wsh, &wss, &we, &ws);
            let xsh = [m, k];
            let xv = TensorView::new(&xsh, &x).unwrap();
            let got = ops::mx_matmul_weight_only::<bf16, f32>(&Backend::Sim(cfg.clone()), xv, wv)
                .unwrap();
            let cpu = ops::mx_matmul_weight_only::<bf16, f32>(&Backend::Cpu, xv, wv).unwrap();
            let (wf, _) = decoded(wv);
            let what = format!("{} {} weight-only {m}x{n}x{k}", cfg.target, cfg.variant);
            check_bound(&what, got.data(), &to_f64(&x), &wf, None, m, n, k).unwrap();
            check_bound(
                &format!("{what} (cpu)"),
                cpu.data(),
                &to_f64(&x),
                &wf,
                None,
                m,
                n,
                k,
            )
            .unwrap();
        }
    }
}

fn sim_error(r: ascend_kernels::Result<sim::Counters>) -> String {
    common::emulator_error(r)
}

/// A 256 x 256 output tile needs 256 KiB of L0C: the sim refuses it on a2 (128 KiB) and runs it
/// on a5 (256 KiB).
#[test]
fn l0c_overflow_is_rejected() {
    if !common::require_sim() {
        return;
    }
    let (m, n, k) = (256, 256, 16);
    let x = vec![bf16::ONE; m * k];
    let w = vec![bf16::ONE; n * k];
    let args = MatmulArgs {
        x: &x,
        w: &w,
        bias: None,
        m,
        n,
        k,
    };
    let p = MatmulPlan {
        block_dim: 1,
        base_m: 256,
        base_n: 256,
        base_k: 16,
        k_l1: 16,
        tiles_n: 1,
        tiles: 1,
    };
    let mut out = vec![0f32; m * n];
    let msg = sim_error(sim::matmul_planned(
        &SimConfig::new(Target::A2).with_variant("v1"),
        &args,
        &p,
        &mut out,
    ));
    assert!(
        msg.contains("L0C") && msg.contains("exceeds the L0C capacity"),
        "{msg}"
    );
    sim::matmul_planned(
        &SimConfig::new(Target::A5).with_variant("v1"),
        &args,
        &p,
        &mut out,
    )
    .unwrap();
    assert!(out.iter().all(|&v| v == 16.0));
}

/// base_k = 24 is not a whole number of fractals: with double buffering the second L0A buffer
/// starts at 16 * 24 * 2 = 768 B, and the sim refuses the LoadData into it (512-B rule).
#[test]
fn l0_misalignment_is_rejected() {
    if !common::require_sim() {
        return;
    }
    let (m, n, k) = (16, 32, 16);
    let x = vec![bf16::ONE; m * k];
    let w = vec![bf16::ONE; n * k];
    let args = MatmulArgs {
        x: &x,
        w: &w,
        bias: None,
        m,
        n,
        k,
    };
    let p = MatmulPlan {
        block_dim: 1,
        base_m: 16,
        base_n: 16,
        base_k: 24,
        k_l1: 24,
        tiles_n: 2,
        tiles: 2,
    };
    let mut out = vec![0f32; m * n];
    for t in Target::ALL {
        let msg = sim_error(sim::matmul_planned(
            &SimConfig::new(t).with_variant("v0"),
            &args,
            &p,
            &mut out,
        ));
        assert!(
            msg.contains("LoadData") && msg.contains("not 512-byte aligned"),
            "{t}: {msg}"
        );
    }
}

/// The host tiling refuses what the sim would refuse, naming the memory.
#[test]
fn host_tiling_checks_capacities() {
    use ascend_kernels::tiling::matmul::check;
    use ascend_kernels::tiling::Knobs;
    let v1 = Knobs {
        buffer_num: 1,
        ub_share_pct: 100,
    };
    let p = MatmulPlan {
        block_dim: 1,
        base_m: 256,
        base_n: 256,
        base_k: 16,
        k_l1: 16,
        tiles_n: 1,
        tiles: 1,
    };
    assert!(check(Target::A2, v1, &p).unwrap_err().0.contains("L0C"));
}

/// f32 operands have no cube path here: a clear dtype error, not a wrong answer.
#[test]
fn f32_operands_are_refused() {
    if !common::require_sim() {
        return;
    }
    let x = vec![1f32; 4];
    let (s, cfg) = ([2, 2], SimConfig::new(Target::A2));
    let v = TensorView::new(&s, &x).unwrap();
    let r = ops::matmul::<f32, f32>(&Backend::Sim(cfg), v, v);
    assert!(matches!(r, Err(Error::DType { .. })), "{r:?}");
}

/// One operand's scales at the bottom of the E8M0 range and the other's at the top (the
/// `ends_lo_hi` golden fixtures): per-block rebalancing makes every decode exact, so the sim
/// agrees with the CPU reference everywhere.
/// Picks a scale byte for a row.
type ScalePick<'a> = &'a mut dyn FnMut(&mut Rng, usize) -> u8;

#[test]
fn mx_one_sided_extremes_are_exact() {
    if !common::require_sim() {
        return;
    }
    let (m, n, k) = (5, 21, 96);
    for cfg in configs() {
        for flip in [false, true] {
            let mut low = |r: &mut Rng, _row: usize| r.below(3) as u8;
            let mut high = |r: &mut Rng, _row: usize| 252 + r.below(3) as u8;
            let (sx, sw): (ScalePick<'_>, ScalePick<'_>) = if flip {
                (&mut high, &mut low)
            } else {
                (&mut low, &mut high)
            };
            let (exact, inexact) = run_mx::<f32>(
                &cfg,
                Fp8Format::E4M3,
                Fp8Format::E5M2,
                m,
                n,
                k,
                true,
                false,
                5,
                sx,
                sw,
            )
            .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!((exact, inexact), (m * n, 0));
        }
    }
}
