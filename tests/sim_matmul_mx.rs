//! The a5 native MX cube kernel (`matmul_mx`: fp8 data and e8m0 scales GM → L1 → MX LoadData
//! into L0A/L0B and their scale areas → MmadMx → Fixpipe) on the AscendC sim, against the CPU
//! reference, for every compiled variant: every E4M3/E5M2 pair, every output dtype, bias on/off,
//! tails in M, N and K (K not a multiple of 32 or 64, odd block counts whose pad scale byte is
//! 0xFF, M = 1, N not a multiple of 16), explicit small tilings across tiles, L1 chunks and L0
//! steps, scale bytes at both ends of the E8M0 range and NaN scales.
//!
//! The native path has no bf16 decode: each product of two FP8 values is exact and every block
//! is scaled by the exact power of two, so the result must lie within the numerics.md bound
//! `γ_K · Σ|x w sx sw| + ulp_f32/2 + ulp_out/2` of the exact sum (the CPU reference's value)
//! everywhere, extremes included. Negative tests hand the sim tilings that overflow L0A or L0C or
//! break the MX K granularity, which it must refuse.

mod common;

use common::{check_bound, Rng};

use ascend_kernels::backend::sim::{self, MxOperand, SimConfig};
use ascend_kernels::ops::{self, MxView};
use ascend_kernels::tiling::matmul::MatmulPlan;
use ascend_kernels::tiling::Target;
use ascend_kernels::{Backend, FloatElement, Fp8Format, TensorView, E8M0};
use half::{bf16, f16};
use proptest::prelude::*;

/// Every compiled variant of `matmul_mx`.
fn configs() -> Vec<SimConfig> {
    let v = common::configs("matmul_mx");
    assert!(
        v.len() >= 2 && v.iter().all(|c| c.target == Target::A5),
        "matmul_mx must be compiled for a5 v0 and v1, and only for a5: {v:?}"
    );
    v
}

fn pair_len(k: usize) -> usize {
    k.div_ceil(32).div_ceil(2) * 2
}

/// An MX operand: element bytes (finite codes unless `specials`) and scale bytes per row from
/// `scale`; the pad byte of an odd block count is 0xFF (never read by the reference).
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
    let (pl, nb) = (pair_len(k), k.div_ceil(32));
    let mut s = vec![E8M0::from_bits(0); rows * pl];
    for row in 0..rows {
        for blk in 0..pl {
            s[row * pl + blk] = E8M0::from_bits(if blk < nb { scale(r, row) } else { 0xFF });
        }
    }
    (e, s)
}

fn fmt(c: u8) -> Fp8Format {
    if c == 0 {
        Fp8Format::E4M3
    } else {
        Fp8Format::E5M2
    }
}

/// Exact operand values in f64: element times 2^(s − 127), NaN for s = 255.
fn exact_values(format: Fp8Format, e: &[u8], s: &[E8M0], rows: usize, k: usize) -> Vec<f64> {
    let (shape, sshape) = ([rows, k], [rows, pair_len(k) / 2, 2]);
    let unit = vec![E8M0::from_bits(127); s.len()];
    let v = MxView {
        format,
        elements: TensorView::new(&shape, e).unwrap(),
        scales: TensorView::new(&sshape, &unit).unwrap(),
    };
    let d = ops::mx_dequant::<f32>(&Backend::Cpu, v).unwrap();
    let pl = pair_len(k);
    let mut out = Vec::with_capacity(rows * k);
    for r in 0..rows {
        for c in 0..k {
            let sb = s[r * pl + c / 32].to_bits();
            let sc = if sb == 255 {
                f64::NAN
            } else {
                2f64.powi(i32::from(sb) - 127)
            };
            out.push(f64::from(d.data()[r * k + c]) * sc);
        }
    }
    out
}

/// One MX case: the operands, bias and the exact values the result is checked against.
struct Case {
    fx: Fp8Format,
    fw: Fp8Format,
    m: usize,
    n: usize,
    k: usize,
    xe: Vec<u8>,
    xs: Vec<E8M0>,
    we: Vec<u8>,
    ws: Vec<E8M0>,
    bias: Option<Vec<f32>>,
}

impl Case {
    #[allow(clippy::too_many_arguments)]
    fn new(
        fx: Fp8Format,
        fw: Fp8Format,
        (m, n, k): (usize, usize, usize),
        bias: bool,
        specials: bool,
        seed: u64,
        sx: &mut dyn FnMut(&mut Rng, usize) -> u8,
        sw: &mut dyn FnMut(&mut Rng, usize) -> u8,
    ) -> Self {
        let mut r = Rng(seed | 1);
        let (xe, xs) = mx_data(&mut r, fx, m, k, specials, sx);
        let (we, ws) = mx_data(&mut r, fw, n, k, specials, sw);
        let bias = bias.then(|| (0..n).map(|_| (r.unit() as f32 - 0.5) * 10.0).collect());
        Self {
            fx,
            fw,
            m,
            n,
            k,
            xe,
            xs,
            we,
            ws,
            bias,
        }
    }

    fn operands(&self) -> (MxOperand<'_>, MxOperand<'_>) {
        (
            MxOperand {
                format: self.fx,
                elements: &self.xe,
                scales: &self.xs,
            },
            MxOperand {
                format: self.fw,
                elements: &self.we,
                scales: &self.ws,
            },
        )
    }

    /// Checks `got` against the exact sum (numerics.md bound) and the CPU reference against the
    /// same value.
    fn check<O: FloatElement>(&self, what: &str, got: &[O]) -> Result<(), String> {
        let (m, n, k) = (self.m, self.n, self.k);
        let xa = exact_values(self.fx, &self.xe, &self.xs, m, k);
        let wa = exact_values(self.fw, &self.we, &self.ws, n, k);
        let b = self.bias.as_deref();
        check_bound(what, got, &xa, &wa, b, m, n, k)?;
        let (xsh, xss) = ([m, k], [m, pair_len(k) / 2, 2]);
        let (wsh, wss) = ([n, k], [n, pair_len(k) / 2, 2]);
        let xv = MxView {
            format: self.fx,
            elements: TensorView::new(&xsh, &self.xe).unwrap(),
            scales: TensorView::new(&xss, &self.xs).unwrap(),
        };
        let wv = MxView {
            format: self.fw,
            elements: TensorView::new(&wsh, &self.we).unwrap(),
            scales: TensorView::new(&wss, &self.ws).unwrap(),
        };
        let bt = [n];
        let bv = b.map(|b| TensorView::new(&bt, b).unwrap());
        let cpu = ops::mx_matmul::<O>(&Backend::Cpu, xv, wv, bv).map_err(|e| e.to_string())?;
        check_bound(&format!("{what} (cpu)"), cpu.data(), &xa, &wa, b, m, n, k)
    }

    /// Through `ops::mx_matmul` on `Backend::Sim` (the dispatch: native on a5).
    fn run_op<O: FloatElement>(&self, cfg: &SimConfig) -> Result<(), String> {
        let (m, n, k) = (self.m, self.n, self.k);
        let (xsh, xss) = ([m, k], [m, pair_len(k) / 2, 2]);
        let (wsh, wss) = ([n, k], [n, pair_len(k) / 2, 2]);
        let xv = MxView {
            format: self.fx,
            elements: TensorView::new(&xsh, &self.xe).unwrap(),
            scales: TensorView::new(&xss, &self.xs).unwrap(),
        };
        let wv = MxView {
            format: self.fw,
            elements: TensorView::new(&wsh, &self.we).unwrap(),
            scales: TensorView::new(&wss, &self.ws).unwrap(),
        };
        let bt = [n];
        let bv = self
            .bias
            .as_deref()
            .map(|b| TensorView::new(&bt, b).unwrap());
        let got = ops::mx_matmul::<O>(&Backend::Sim(cfg.clone()), xv, wv, bv)
            .map_err(|e| e.to_string())?;
        let what = format!(
            "{} {} native {:?}x{:?} {m}x{n}x{k} bias {} out {:?}",
            cfg.target,
            cfg.variant,
            self.fx,
            self.fw,
            self.bias.is_some(),
            O::DTYPE
        );
        self.check(&what, got.data())
    }

    /// Through `mx_matmul_native_planned` with an explicit tiling; checks `cube_macs` exactly
    /// (MmadMx runs K padded to 64) and that no vector kernel ran.
    fn run_planned(&self, cfg: &SimConfig, p: &MatmulPlan) -> Result<(), String> {
        let (m, n, k) = (self.m, self.n, self.k);
        let (x, w) = self.operands();
        let mut out = vec![0f32; m * n];
        let c =
            sim::mx_matmul_native_planned(cfg, &x, &w, self.bias.as_deref(), m, n, k, p, &mut out)
                .map_err(|e| e.to_string())?;
        // the bias is C's start value (the bias table), not an extra Mmad
        let macs = (m * n * k.div_ceil(64) * 64) as u64;
        if c.cube_macs != macs || c.vector_instrs != 0 {
            return Err(format!(
                "cube_macs {} (want {macs}), vector_instrs {} (want 0)",
                c.cube_macs, c.vector_instrs
            ));
        }
        self.check(
            &format!("{} {} planned {m}x{n}x{k} {p:?}", cfg.target, cfg.variant),
            &out,
        )
    }
}

fn mid_scale(r: &mut Rng, _row: usize) -> u8 {
    112 + r.below(30) as u8
}

/// Scale bytes in [80, 170]: every product of two such blocks (up to 2^(86 + 17.6) with K ≤ 300
/// summed) stays a normal f32, so the relative bound applies everywhere; the ends of the range
/// are [`native_extreme_scales_and_nan`]'s.
fn wide_scale(r: &mut Rng, _row: usize) -> u8 {
    80 + r.below(91) as u8
}

/// Picks a scale byte for a row.
type ScalePick<'a> = &'a mut dyn FnMut(&mut Rng, usize) -> u8;

fn plan_of(
    m: usize,
    n: usize,
    (bm, bn, bk, depth): (u32, u32, u32, u32),
    cores: u32,
) -> MatmulPlan {
    let tiles_n = (n as u32).div_ceil(bn);
    let tiles = (m as u32).div_ceil(bm) * tiles_n;
    MatmulPlan {
        block_dim: tiles.min(cores),
        base_m: bm,
        base_n: bn,
        base_k: bk,
        k_l1: bk * depth,
        tiles_n,
        tiles,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 8, ..ProptestConfig::default() })]

    /// `ops::mx_matmul` on Sim a5 (the native kernel, host tiling): every format pair, output
    /// dtype and variant, bias on/off, tails in M, N, K.
    #[test]
    fn native_parity(m in 1usize..40, n in 1usize..40, k in 1usize..300, fx in 0u8..2, fw in 0u8..2,
                     out in 0u8..3, bias in any::<bool>(), seed in any::<u64>()) {
        if !common::require_sim() { return Ok(()); }
        let c = Case::new(fmt(fx), fmt(fw), (m, n, k), bias, false, seed, &mut wide_scale, &mut wide_scale);
        for cfg in configs() {
            let r = match out {
                0 => c.run_op::<f32>(&cfg),
                1 => c.run_op::<bf16>(&cfg),
                _ => c.run_op::<f16>(&cfg),
            };
            r.map_err(TestCaseError::fail)?;
        }
    }

    /// Small explicit tilings: several output tiles, L1 chunks (k_l1 = depth · base_k) and L0
    /// steps, 1–5 cores, base_k 64 or 128.
    #[test]
    fn native_planned_tilings(m in 1usize..70, n in 1usize..70, k in 1usize..400,
                              bm in 1u32..4, bn in 1u32..4, bk in 1u32..3, depth in 1u32..4,
                              bias in any::<bool>(), cores in 1u32..6, seed in any::<u64>()) {
        if !common::require_sim() { return Ok(()); }
        let c = Case::new(Fp8Format::E4M3, Fp8Format::E5M2, (m, n, k), bias, false, seed,
                          &mut mid_scale, &mut mid_scale);
        for cfg in configs() {
            let p = plan_of(m, n, (16 * bm, 16 * bn, 64 * bk, depth), cores);
            c.run_planned(&cfg, &p).map_err(TestCaseError::fail)?;
        }
    }
}

/// Every E4M3/E5M2 pair × output dtype × variant on fixed tail shapes: M = 1, N not a multiple
/// of 16, K = 1, 31, 33, 64, 95 (odd block count: the 0xFF pad byte), 129, 200.
#[test]
fn native_every_combination_on_tail_shapes() {
    if !common::require_sim() {
        return;
    }
    let shapes = [
        (1, 37, 95),
        (1, 1, 1),
        (3, 17, 31),
        (19, 5, 33),
        (16, 16, 64),
        (33, 47, 129),
        (130, 150, 200),
    ];
    for cfg in configs() {
        for (i, &shape) in shapes.iter().enumerate() {
            for fx in 0..2 {
                for fw in 0..2 {
                    let bias = (i + fx as usize + fw as usize) % 2 == 0;
                    let c = Case::new(
                        fmt(fx),
                        fmt(fw),
                        shape,
                        bias,
                        false,
                        i as u64 * 4 + u64::from(fx) * 2 + u64::from(fw),
                        &mut mid_scale,
                        &mut mid_scale,
                    );
                    c.run_op::<f32>(&cfg).unwrap_or_else(|e| panic!("{e}"));
                    c.run_op::<bf16>(&cfg).unwrap_or_else(|e| panic!("{e}"));
                    c.run_op::<f16>(&cfg).unwrap_or_else(|e| panic!("{e}"));
                }
            }
        }
    }
}

/// Scale bytes at both ends of the E8M0 range: one operand's rows alternate 252–254 and 0–2, the
/// other's are all 0–2 (and the reverse), so the high × low products are ordinary numbers and the
/// low × low ones underflow to (nearly) 0 — a high × high pair would overflow f32, which no f32
/// accumulation covers (numerics.md). A NaN scale on one row of each operand, NaN/Inf element
/// codes. The native kernel scales exact block sums by exact powers of two, so it agrees with the
/// CPU reference everywhere (the decode path cannot: a bf16 operand at 2^125 · 448 overflows).
#[test]
fn native_extreme_scales_and_nan() {
    if !common::require_sim() {
        return;
    }
    for cfg in configs() {
        for (fx, fw) in [
            (Fp8Format::E4M3, Fp8Format::E5M2),
            (Fp8Format::E5M2, Fp8Format::E4M3),
        ] {
            for (specials, flip) in [(false, false), (true, false), (false, true), (true, true)] {
                let mut alt = |r: &mut Rng, row: usize| match row {
                    4 => 255,
                    _ if row % 2 == 0 => 252 + r.below(3) as u8,
                    _ => r.below(3) as u8,
                };
                let mut low = |r: &mut Rng, row: usize| match row {
                    7 => 255,
                    _ => r.below(3) as u8,
                };
                let (sx, sw): (ScalePick<'_>, ScalePick<'_>) = if flip {
                    (&mut low, &mut alt)
                } else {
                    (&mut alt, &mut low)
                };
                let c = Case::new(
                    fx,
                    fw,
                    (9, 19, 97),
                    true,
                    specials,
                    7 + u64::from(specials),
                    sx,
                    sw,
                );
                let (m, n) = (9, 19);
                let (x, w) = c.operands();
                let mut out = vec![0f32; m * n];
                sim::mx_matmul(&cfg, &x, &w, c.bias.as_deref(), m, n, 97, &mut out).unwrap();
                c.check(
                    &format!("{} {} extremes flip {flip}", cfg.target, cfg.variant),
                    &out,
                )
                .unwrap_or_else(|e| panic!("{e}"));
                // the NaN scale rows/columns are NaN; the high x low pairs give ordinary values
                let (nan_row, nan_col) = if flip { (7, 4) } else { (4, 7) };
                assert!((0..n).all(|j| out[nan_row * n + j].is_nan()));
                assert!((0..m).all(|i| out[i * n + nan_col].is_nan()));
                if !specials {
                    assert!(out.iter().any(|v| v.is_finite() && v.abs() > 1e-3));
                }
            }
        }
    }
}

/// On a5 `mx_matmul` is one launch of the native kernel (no vector instructions: the decode path
/// would run two `mx_dequant` launches); on a2 it is the decode path.
#[test]
fn dispatch_is_native_on_a5_only() {
    if !common::require_sim() {
        return;
    }
    let c = Case::new(
        Fp8Format::E4M3,
        Fp8Format::E4M3,
        (5, 20, 70),
        false,
        false,
        3,
        &mut mid_scale,
        &mut mid_scale,
    );
    let (x, w) = c.operands();
    let mut out = vec![0f32; 5 * 20];
    let a5 = sim::mx_matmul(
        &SimConfig::new(Target::A5),
        &x,
        &w,
        None,
        5,
        20,
        70,
        &mut out,
    )
    .unwrap();
    assert_eq!(a5.vector_instrs, 0);
    assert_eq!(a5.cube_macs, 5 * 20 * 128);
    c.check("a5 dispatch", &out).unwrap();
    let a2 = sim::mx_matmul(
        &SimConfig::new(Target::A2),
        &x,
        &w,
        None,
        5,
        20,
        70,
        &mut out,
    )
    .unwrap();
    assert!(a2.vector_instrs > 0);
    assert_eq!(a2.cube_macs, 5 * 20 * 70);
    c.check("a2 dispatch", &out).unwrap();
    // the native kernel is not compiled for a2 (its APIs do not exist there)
    let e = sim::mx_matmul_native(
        &SimConfig::new(Target::A2),
        &x,
        &w,
        None,
        5,
        20,
        70,
        &mut out,
    )
    .unwrap_err();
    assert!(e.to_string().contains("matmul_mx"), "{e}");
}

/// The pad byte of an odd block count (0xFF here) is read by MmadMx (K in multiples of 64); the
/// host makes it 0 before the launch, so the result is finite and right.
#[test]
fn pad_scale_byte_is_neutralised() {
    if !common::require_sim() {
        return;
    }
    let c = Case::new(
        Fp8Format::E5M2,
        Fp8Format::E4M3,
        (3, 18, 32),
        false,
        false,
        9,
        &mut mid_scale,
        &mut mid_scale,
    );
    assert_eq!(c.xs[1].to_bits(), 0xFF);
    let (x, w) = c.operands();
    let mut out = vec![0f32; 3 * 18];
    for cfg in configs() {
        sim::mx_matmul(&cfg, &x, &w, None, 3, 18, 32, &mut out).unwrap();
        assert!(out.iter().all(|v| v.is_finite()));
        c.check("pad byte", &out).unwrap();
    }
    let fixed = sim::mx_pad_scales(&c.xs, 32).unwrap();
    assert_eq!(fixed[1].to_bits(), 0);
    assert!(sim::mx_pad_scales(&c.xs[..0], 64).is_none());
}

fn sim_error(r: ascend_kernels::Result<sim::Counters>) -> String {
    common::emulator_error(r)
}

fn ones_case(m: usize, n: usize, k: usize) -> Case {
    let mut one = |_: &mut Rng, _: usize| 127u8;
    let mut c = Case::new(
        Fp8Format::E4M3,
        Fp8Format::E4M3,
        (m, n, k),
        false,
        false,
        1,
        &mut one,
        &mut |_: &mut Rng, _: usize| 127u8,
    );
    c.xe.fill(0x38); // 1.0
    c.we.fill(0x38);
    c
}

/// Tilings the host planner would never pick, handed to the sim directly: it must refuse them
/// and name the memory or rule (L0A, L0B, L0C capacity; 1024-B operand alignment; the MX K
/// granularity). The scale areas cannot overflow without L0A/L0B overflowing first (the /16
/// mapping), so that rule is the sim self-test's (`selftest_mx.h`).
#[test]
fn bad_native_tilings_are_rejected() {
    if !common::require_sim() {
        return;
    }
    let v0 = SimConfig::new(Target::A5).with_variant("v0");
    let v1 = SimConfig::new(Target::A5).with_variant("v1");
    let c = ones_case(256, 64, 256);
    let (x, w) = c.operands();
    let mut out = vec![0f32; 256 * 64];
    let run = |cfg: &SimConfig, p: MatmulPlan, out: &mut Vec<f32>| {
        sim::mx_matmul_native_planned(cfg, &x, &w, None, 256, 64, 256, &p, out)
    };
    // L0A: two 256 x 256 fp8 buffers = 128 KiB > 64 KiB
    let msg = sim_error(run(&v0, plan_of(256, 64, (256, 64, 256, 1), 1), &mut out));
    assert!(
        msg.contains("per-core L0A total 131072 B exceeds the L0A capacity 65536 B"),
        "{msg}"
    );
    // single-buffered the same tile fits, and every output is K = 256
    run(&v1, plan_of(256, 64, (256, 64, 256, 1), 1), &mut out).unwrap();
    assert!(out.iter().all(|&v| v == 256.0));
    // L0B: two 256 x 256 fp8 buffers for w
    let wide = ones_case(16, 256, 256);
    let (wx, ww) = wide.operands();
    let mut wout = vec![0f32; 16 * 256];
    let msg = sim_error(sim::mx_matmul_native_planned(
        &v0,
        &wx,
        &ww,
        None,
        16,
        256,
        256,
        &plan_of(16, 256, (16, 256, 256, 1), 1),
        &mut wout,
    ));
    assert!(
        msg.contains("per-core L0B total 131072 B exceeds the L0B capacity 65536 B"),
        "{msg}"
    );
    // alignment: base_m = 24 makes the second (ping-pong) L0A buffer start at 24 * 64 = 1536 B,
    // 512-B aligned (the LoadData accepts it) but not 1024-B aligned as MmadMx needs for fp8
    let small = ones_case(16, 16, 128);
    let (sx, sw) = small.operands();
    let mut sout = vec![0f32; 16 * 16];
    let msg = sim_error(sim::mx_matmul_native_planned(
        &v0,
        &sx,
        &sw,
        None,
        16,
        16,
        128,
        &plan_of(16, 16, (24, 16, 64, 2), 1),
        &mut sout,
    ));
    assert!(
        msg.contains("MmadMx: fm: L0A address 1536 is not 1024-byte aligned"),
        "{msg}"
    );
    // L0C: a 512 x 512 float tile = 1 MiB > 256 KiB
    let big = ones_case(512, 512, 64);
    let (bx, bw) = big.operands();
    let mut bout = vec![0f32; 512 * 512];
    let msg = sim_error(sim::mx_matmul_native_planned(
        &v1,
        &bx,
        &bw,
        None,
        512,
        512,
        64,
        &plan_of(512, 512, (512, 512, 64, 1), 1),
        &mut bout,
    ));
    assert!(msg.contains("exceeds the L0C capacity 262144 B"), "{msg}");
    // base_k = 32: half an MX K group per step; the MX LoadData cannot pair data and scales
    let msg = sim_error(run(&v0, plan_of(256, 64, (16, 16, 32, 2), 2), &mut out));
    assert!(
        msg.contains("scale fractals must cover the data fractals"),
        "{msg}"
    );
    // base_k = 96 (k_l1 = 192): a step of 1.5 scale pairs; MmadMx takes K in multiples of 64
    let msg = sim_error(run(&v1, plan_of(256, 64, (16, 16, 96, 2), 2), &mut out));
    assert!(
        msg.contains("xStep 1 must equal mStep 1 and 2*yStep 2 must equal kStep 3"),
        "{msg}"
    );
}

/// The host tiling refuses what the sim refuses, naming the memory, and plans only for a5.
#[test]
fn host_mx_tiling_checks_capacities() {
    use ascend_kernels::tiling::matmul::{check_mx, plan_mx, MatmulShape};
    use ascend_kernels::tiling::Knobs;
    let v0 = Knobs {
        buffer_num: 2,
        ub_share_pct: 100,
    };
    let p = plan_of(256, 64, (256, 64, 256, 1), 1);
    let e = check_mx(Target::A5, v0, &p).unwrap_err();
    assert!(e.0.contains("L0A"), "{e}");
    let e = check_mx(Target::A5, v0, &plan_of(16, 16, (16, 16, 32, 1), 1)).unwrap_err();
    assert!(e.0.contains("base_k"), "{e}");
    let shape = MatmulShape {
        m: 300,
        n: 4096,
        k: 1000,
    };
    let p = plan_mx(Target::A5, v0, 40, &shape).unwrap();
    check_mx(Target::A5, v0, &p).unwrap();
    assert!(plan_mx(Target::A2, v0, 40, &shape).is_err());
}

/// Operands whose lengths do not match the shape are a clear error (no panic, no launch).
#[test]
fn bad_operand_lengths_are_errors() {
    if !common::require_sim() {
        return;
    }
    let c = ones_case(4, 16, 95);
    let (x, w) = c.operands();
    let cfg = SimConfig::new(Target::A5);
    let mut out = vec![0f32; 4 * 16];
    let short = MxOperand {
        scales: &c.xs[..c.xs.len() - 1],
        ..x
    };
    let e = sim::mx_matmul(&cfg, &short, &w, None, 4, 16, 95, &mut out).unwrap_err();
    assert!(e.to_string().contains("scales (pair layout)"), "{e}");
    let e = sim::mx_matmul(&cfg, &x, &w, Some(&[1.0; 3]), 4, 16, 95, &mut out).unwrap_err();
    assert!(e.to_string().contains("bias"), "{e}");
    let e = sim::mx_matmul(&cfg, &x, &w, None, 4, 16, 95, &mut out[..5]).unwrap_err();
    assert!(e.to_string().contains("out"), "{e}");
    // and the padded-scale helper never indexes past a short tail
    assert_eq!(sim::mx_pad_scales(&c.xs[..3], 95).unwrap().len(), 3);
}
