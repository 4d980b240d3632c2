//! The conformance case of every kernel: what `tests/conformance.rs` runs for each unit
//! (kernel, target, variant) the emulator build compiled.
//!
//! Each case runs the unit's op through the device path on the emulator runtime
//! (`Backend::Sim` with that target and variant) and the CPU reference on the same input, and
//! holds the device result to the reference within the bound `docs/numerics.md` documents for
//! the op (bit for bit where it says so), on shapes with tails (lengths that are not multiples of
//! the 32-byte block or of the tile) and on 1, 3 and all of the target's cores (uneven row
//! splits, cores left idle). Every run also checks the memory plan: the vector kernels' UB high
//! water mark equals the host tiling's plan (`src/tiling`), which is within the variant's UB
//! budget on the target; the cube kernels' L1/L0 plan fits the target's capacities.
//!
//! The dedicated files (`tests/sim_<kernel>.rs`) go deeper on one kernel: every code, every
//! option, random shapes, extremes, refused tilings.

use crate::common::{check_bound, require_sim, Rng};
use ascend_kernels::backend::sim::{self, Counters, SimConfig, VariantInfo};
use ascend_kernels::device::emulator::measure;
use ascend_kernels::ops::{self, MxView};
use ascend_kernels::tiling::Target;
use ascend_kernels::{Backend, FloatElement, Fp8Format, TensorView, E4M3, E8M0};
use half::{bf16, f16};

/// Runs the conformance case of one compiled unit; panics (fails the test) on a mismatch, on a
/// unit the build did not compile, or on a kernel that has no case here.
pub fn run_unit(kernel: &str, target: &str, variant: &str) {
    if !require_sim() {
        return;
    }
    let unit = sim::variants()
        .into_iter()
        .find(|v| v.kernel == kernel && v.target.name() == target && v.variant == variant)
        .unwrap_or_else(|| {
            panic!("{kernel} {target} {variant}: generated as an emulator unit but not loadable")
        });
    let case: fn(&VariantInfo) = match kernel {
        "rms_norm" => rms_norm,
        "mx_quant" => mx_quant,
        "mx_dequant" => mx_dequant,
        "fp8_block_dequant" => fp8_block_dequant,
        "rope_qk" => rope_qk,
        "matmul" => matmul,
        "matmul_mx" => matmul_mx,
        "sim_probe" => sim_probe,
        _ => panic!(
            "the unit {kernel}_{target}_{variant} has no conformance case: add `{kernel}` to \
             tests/common/parity.rs"
        ),
    };
    case(&unit);
}

/// The core counts every case runs on: one core, an uneven split, and the whole target.
fn core_counts(target: Target) -> [u32; 3] {
    [1, 3, target.vector_cores()]
}

fn config(unit: &VariantInfo, cores: u32) -> SimConfig {
    SimConfig::new(unit.target)
        .with_variant(unit.variant)
        .with_cores(cores)
}

fn tag(unit: &VariantInfo, cores: u32, what: &str) -> String {
    format!(
        "{}_{}_{} on {cores} cores: {what}",
        unit.kernel,
        unit.target.name(),
        unit.variant
    )
}

/// A vector kernel's UB high-water mark is the host plan's, within the variant's budget.
fn check_ub(unit: &VariantInfo, counters: &Counters, planned: u32, what: &str) {
    assert_eq!(
        counters.ub_peak_bytes,
        u64::from(planned),
        "{what}: UB peak of the kernel vs the host plan"
    );
    let budget = unit.knobs.ub_budget(unit.target);
    assert!(
        planned <= budget && budget <= unit.target.ub_bytes(),
        "{what}: planned {planned} B of UB, the variant's budget is {budget} B of the target's {} B",
        unit.target.ub_bytes()
    );
}

fn same_bits(a: f32, b: f32) -> bool {
    (a.is_nan() && b.is_nan()) || a.to_bits() == b.to_bits()
}

/// Bit-for-bit equality of two float outputs (NaN matches NaN); the first difference otherwise.
fn bit_exact<T: FloatElement>(what: &str, sim: &[T], cpu: &[T]) {
    assert_eq!(sim.len(), cpu.len(), "{what}: output lengths");
    if let Some(i) = (0..sim.len()).find(|&i| !same_bits(sim[i].to_f32(), cpu[i].to_f32())) {
        panic!(
            "{what}: [{i}] sim {:e} cpu {:e}",
            sim[i].to_f32(),
            cpu[i].to_f32()
        );
    }
}

fn conv<T: FloatElement>(v: &[f32]) -> Vec<T> {
    v.iter().map(|&f| T::from_f32(f)).collect()
}

/// Multiples of 1/8 below 8 in magnitude (and signed zeros): every square and every partial sum
/// of a row of up to 4096 of them is exact in f32, so a sum in any order is the reference's.
fn exact_sum_values(n: usize, seed: u64) -> Vec<f32> {
    let mut r = Rng(seed | 1);
    (0..n)
        .map(|_| match r.below(16) {
            0 => 0.0,
            1 => -0.0,
            _ => (r.below(127) as f32 - 63.0) / 8.0,
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// rms_norm

/// `1/sqrt(mean(x²) + eps)` in f64, rounded to f32 (the reference's `rstd`).
fn inv_rms<T: FloatElement>(row: &[T], eps: f32) -> f32 {
    let s: f64 = row
        .iter()
        .map(|v| f64::from(v.to_f32()) * f64::from(v.to_f32()))
        .sum();
    let mean = (s / row.len() as f64) as f32;
    (1.0 / f64::from(mean + eps).sqrt()) as f32
}

/// HF's `weight * (x * rstd).to(dtype)`.
fn hf_formula<T: FloatElement>(x: T, r: f32, w: T) -> f32 {
    T::from_f32(T::from_f32(x.to_f32() * r).to_f32() * w.to_f32()).to_f32()
}

/// The HF mode's bound (`docs/numerics.md`, rms_norm): the kernel reduces in f32, so each
/// output is HF's formula at some `r'` within `2^-19 r` of the reference's `r` (the formula is
/// monotone in `r`: bracketing by the two ends is exact).
fn check_hf_bound<T: FloatElement>(what: &str, x: &[T], w: &[T], y: &[T], cols: usize, eps: f32) {
    let delta = 1.0 / (1u32 << 19) as f32;
    for (row, (xr, yr)) in x.chunks(cols).zip(y.chunks(cols)).enumerate() {
        let r = inv_rms(xr, eps);
        for j in 0..cols {
            let got = yr[j].to_f32();
            let (a, b) = (
                hf_formula(xr[j], r * (1.0 - delta), w[j]),
                hf_formula(xr[j], r * (1.0 + delta), w[j]),
            );
            let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
            assert!(
                same_bits(got, hf_formula(xr[j], r, w[j])) || (got >= lo && got <= hi),
                "{what}: y[{row}, {j}] = {got:e} outside [{lo:e}, {hi:e}]"
            );
        }
    }
}

fn rms_norm(unit: &VariantInfo) {
    use ascend_kernels::ops::{RmsNormMode, RmsNormOptions};
    use ascend_kernels::tiling::rms_norm::{plan, RmsNormShape};
    let ascend = match unit.target {
        Target::A2 => RmsNormMode::AscendA2,
        Target::A5 => RmsNormMode::Ascend950,
    };
    let hf = RmsNormOptions {
        eps: 1e-6,
        mode: RmsNormMode::Hf,
    };
    let asc = RmsNormOptions {
        eps: 1e-6,
        mode: ascend,
    };
    for (rows, cols) in [
        (1usize, 16usize),
        (5, 33),
        (67, 128),
        (3, 2560),
        (500, 1000),
    ] {
        let x: Vec<bf16> = conv(&exact_sum_values(rows * cols, 1));
        let res: Vec<bf16> = conv(&exact_sum_values(rows * cols, 2));
        let w: Vec<bf16> = conv(&exact_sum_values(cols, 3));
        let shape = [rows, cols];
        let wshape = [cols];
        let (xv, rv, wv) = (
            TensorView::new(&shape, &x).unwrap(),
            TensorView::new(&shape, &res).unwrap(),
            TensorView::new(&wshape, &w).unwrap(),
        );
        let cpu_y = ops::rms_norm(&Backend::Cpu, xv, wv, &hf).unwrap();
        let (cpu_ya, cpu_rstd) = ops::rms_norm_rstd(&Backend::Cpu, xv, wv, &asc).unwrap();
        let (cpu_yf, cpu_h) = ops::rms_norm_residual(&Backend::Cpu, xv, rv, wv, &hf).unwrap();
        check_hf_bound("cpu reference", &x, &w, cpu_y.data(), cols, hf.eps);
        for cores in core_counts(unit.target) {
            let dev = Backend::Sim(config(unit, cores));
            let what = tag(unit, cores, &format!("{rows}x{cols}"));
            // HF: within the bound; UB exactly as planned.
            let (y, c) = measure(|| ops::rms_norm(&dev, xv, wv, &hf)).unwrap();
            check_hf_bound(&format!("{what} hf"), &x, &w, y.data(), cols, hf.eps);
            let shape = RmsNormShape {
                rows: rows as u32,
                cols: cols as u32,
                elem_bytes: 2,
                fused: false,
            };
            let p = plan(unit.target, unit.knobs, cores, &shape).unwrap();
            check_ub(unit, &c, p.ub_bytes, &what);
            assert_eq!(c.blocks, p.block_dim, "{what}: cores launched");
            assert_eq!(
                c.gm_to_ub_bytes,
                ((rows + p.block_dim as usize) * cols * 2) as u64,
                "{what}: x read once, the weight once per core"
            );
            assert_eq!(
                c.ub_to_gm_bytes,
                (rows * cols * 2) as u64,
                "{what}: y written once"
            );
            // The target's Ascend mode on exact sums: y and rstd bit for bit.
            let (ya, rstd) = ops::rms_norm_rstd(&dev, xv, wv, &asc).unwrap();
            bit_exact(&format!("{what} {ascend:?} y"), ya.data(), cpu_ya.data());
            bit_exact(
                &format!("{what} {ascend:?} rstd"),
                rstd.data(),
                cpu_rstd.data(),
            );
            // Fused residual: the sum bit for bit, y within the bound.
            let (yf, h) = ops::rms_norm_residual(&dev, xv, rv, wv, &hf).unwrap();
            bit_exact(&format!("{what} fused h"), h.data(), cpu_h.data());
            check_hf_bound(
                &format!("{what} fused"),
                h.data(),
                &w,
                yf.data(),
                cols,
                hf.eps,
            );
            check_hf_bound("cpu fused", cpu_h.data(), &w, cpu_yf.data(), cols, hf.eps);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// mx_quant / mx_dequant

/// Every option combination `ops::mx_quant` takes on the sim (rounding is `Rint` there).
fn mx_quant_options() -> Vec<ops::MxQuantOptions> {
    use ascend_kernels::ops::{NonFiniteBlocks, ScaleAlg, TinyBlocks};
    let mut out = Vec::new();
    for dst in [Fp8Format::E4M3, Fp8Format::E5M2] {
        for scale_alg in [ScaleAlg::Ocp, ScaleAlg::Rceil] {
            for tiny_blocks in [TinyBlocks::Flush, TinyBlocks::Scale] {
                for non_finite in [NonFiniteBlocks::Zero, NonFiniteBlocks::Nan] {
                    out.push(ops::MxQuantOptions {
                        dst,
                        scale_alg,
                        tiny_blocks,
                        non_finite,
                        ..Default::default()
                    });
                }
            }
        }
    }
    out
}

/// Values over many binades, with zeros, subnormals, huge values, NaN and Inf.
fn quant_values(n: usize, seed: u64) -> Vec<f32> {
    let mut r = Rng(seed | 1);
    (0..n)
        .map(|i| match r.below(40) {
            0 => 0.0,
            1 => -0.0,
            2 => 1e-40,
            3 => -3.0e38,
            4 if i % 7 == 0 => f32::NAN,
            5 if i % 5 == 0 => f32::INFINITY,
            _ => (r.unit() as f32 - 0.5) * 2f32.powi(r.below(60) as i32 - 30),
        })
        .collect()
}

fn mx_quant_one<T: FloatElement>(
    unit: &VariantInfo,
    cores: u32,
    rows: usize,
    cols: usize,
    o: &ops::MxQuantOptions,
) -> Counters {
    let x: Vec<T> = conv(&quant_values(rows * cols, (rows * cols) as u64));
    let shape = [rows, cols];
    let xv = TensorView::new(&shape, &x).unwrap();
    let cpu = ops::mx_quant(&Backend::Cpu, xv, o).unwrap();
    let dev = Backend::Sim(config(unit, cores));
    let (q, c) = measure(|| ops::mx_quant(&dev, xv, o)).unwrap();
    let what = tag(unit, cores, &format!("{rows}x{cols} {:?} {o:?}", T::DTYPE));
    assert_eq!(q.scales.data(), cpu.scales.data(), "{what}: scales");
    assert_eq!(q.elements.data(), cpu.elements.data(), "{what}: elements");
    c
}

fn mx_quant(unit: &VariantInfo) {
    use ascend_kernels::tiling::mx_quant::{plan, MxQuantShape};
    let default = ops::MxQuantOptions::default();
    for cores in core_counts(unit.target) {
        for o in mx_quant_options() {
            mx_quant_one::<bf16>(unit, cores, 3, 100, &o);
        }
        for (rows, cols) in [
            (1usize, 1usize),
            (5, 33),
            (40, 1000),
            (3, 4097),
            (2, 12_000),
        ] {
            let c = mx_quant_one::<bf16>(unit, cores, rows, cols, &default);
            let shape = MxQuantShape {
                rows: rows as u32,
                cols: cols as u32,
                in_bytes: 2,
            };
            let p = plan(unit.target, unit.knobs, cores, &shape).unwrap();
            check_ub(unit, &c, p.ub_bytes, &tag(unit, cores, "mx_quant UB"));
        }
        mx_quant_one::<f16>(unit, cores, 7, 300, &default);
        mx_quant_one::<f32>(unit, cores, 7, 300, &default);
    }
}

fn pair_cols(k: usize) -> usize {
    k.div_ceil(32).div_ceil(2) * 2
}

fn mx_dequant_one<O: FloatElement>(
    unit: &VariantInfo,
    cores: u32,
    format: Fp8Format,
    rows: usize,
    cols: usize,
) -> Counters {
    // Element codes cycle through all 256, scale bytes through all 256 (NaN scale included).
    let y: Vec<u8> = (0..rows * cols).map(|i| (i * 131 % 256) as u8).collect();
    let s: Vec<E8M0> = (0..rows * pair_cols(cols))
        .map(|i| E8M0::from_bits((i * 37 % 256) as u8))
        .collect();
    let (shape, sshape) = ([rows, cols], [rows, pair_cols(cols) / 2, 2]);
    let view = MxView {
        format,
        elements: TensorView::new(&shape, &y).unwrap(),
        scales: TensorView::new(&sshape, &s).unwrap(),
    };
    let cpu = ops::mx_dequant::<O>(&Backend::Cpu, view).unwrap();
    let dev = Backend::Sim(config(unit, cores));
    let (out, c) = measure(|| ops::mx_dequant::<O>(&dev, view)).unwrap();
    let what = tag(
        unit,
        cores,
        &format!("{rows}x{cols} {format:?} {:?}", O::DTYPE),
    );
    bit_exact(&what, out.data(), cpu.data());
    c
}

fn mx_dequant(unit: &VariantInfo) {
    use ascend_kernels::tiling::mx_dequant::{plan, MxDequantShape};
    for cores in core_counts(unit.target) {
        for format in [Fp8Format::E4M3, Fp8Format::E5M2] {
            for (rows, cols) in [(1usize, 1usize), (5, 33), (40, 1000), (1, 120_000)] {
                let c = mx_dequant_one::<bf16>(unit, cores, format, rows, cols);
                let shape = MxDequantShape {
                    rows: rows as u32,
                    cols: cols as u32,
                    out_bytes: 2,
                };
                let p = plan(unit.target, unit.knobs, cores, &shape).unwrap();
                let what = tag(unit, cores, &format!("mx_dequant {rows}x{cols}"));
                check_ub(unit, &c, p.ub_bytes, &what);
                assert_eq!(
                    c.ub_to_gm_bytes,
                    (rows * cols * 2) as u64,
                    "{what}: y written once"
                );
            }
            mx_dequant_one::<f16>(unit, cores, format, 9, 256);
            mx_dequant_one::<f32>(unit, cores, format, 9, 256);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// fp8_block_dequant

fn fp8_block_one<S: FloatElement, O: FloatElement>(
    unit: &VariantInfo,
    cores: u32,
    rows: usize,
    cols: usize,
    block: [usize; 2],
) -> Counters {
    let w: Vec<E4M3> = (0..rows * cols)
        .map(|i| E4M3::from_bits((i * 131 % 256) as u8))
        .collect();
    let grid = [rows.div_ceil(block[0]), cols.div_ceil(block[1])];
    let s: Vec<S> = (0..grid[0] * grid[1])
        .map(|i| S::from_f32(2f32.powi(i as i32 % 17 - 8) * (1.0 + (i % 3) as f32 / 4.0)))
        .collect();
    let shape = [rows, cols];
    let (wv, sv) = (
        TensorView::new(&shape, &w).unwrap(),
        TensorView::new(&grid, &s).unwrap(),
    );
    let cpu = ops::fp8_block_dequant::<S, O>(&Backend::Cpu, wv, sv, block).unwrap();
    let dev = Backend::Sim(config(unit, cores));
    let (out, c) = measure(|| ops::fp8_block_dequant::<S, O>(&dev, wv, sv, block)).unwrap();
    let what = tag(
        unit,
        cores,
        &format!(
            "{rows}x{cols} block {block:?} {:?} -> {:?}",
            S::DTYPE,
            O::DTYPE
        ),
    );
    bit_exact(&what, out.data(), cpu.data());
    c
}

fn fp8_block_dequant(unit: &VariantInfo) {
    use ascend_kernels::tiling::fp8_block_dequant::{plan, Fp8BlockShape};
    for cores in core_counts(unit.target) {
        for (rows, cols, block) in [
            (130usize, 5000usize, [128usize, 128usize]),
            (5, 97, [4, 32]),
            (33, 1000, [16, 96]),
            (1, 1, [128, 128]),
        ] {
            let c = fp8_block_one::<f32, bf16>(unit, cores, rows, cols, block);
            let shape = Fp8BlockShape {
                rows: rows as u32,
                cols: cols as u32,
                block: [block[0] as u32, block[1] as u32],
                scale_bytes: 4,
                out_bytes: 2,
            };
            let p = plan(unit.target, unit.knobs, cores, &shape).unwrap();
            check_ub(
                unit,
                &c,
                p.ub_bytes,
                &tag(unit, cores, "fp8_block_dequant UB"),
            );
        }
        fp8_block_one::<bf16, f32>(unit, cores, 20, 260, [8, 128]);
        fp8_block_one::<f16, f16>(unit, cores, 20, 260, [8, 128]);
    }
}

// ---------------------------------------------------------------------------------------------
// rope_qk

#[allow(clippy::too_many_arguments)]
fn rope_one<T: FloatElement>(
    unit: &VariantInfo,
    cores: u32,
    tokens: usize,
    hq: usize,
    hk: usize,
    d: usize,
    rd: usize,
    mode: ops::RopeMode,
) -> Counters {
    let mut r = Rng((tokens * hq * d + rd) as u64);
    let mut val = || T::from_f32((r.unit() as f32 - 0.5) * 8.0);
    let q: Vec<T> = (0..tokens * hq * d).map(|_| val()).collect();
    let k: Vec<T> = (0..tokens * hk * d).map(|_| val()).collect();
    let cache = ops::RopeCache::new(1e6, rd, 4096).unwrap();
    let positions: Vec<i64> = (0..tokens)
        .map(|i| ((i * 977 + 13) % 4096) as i64)
        .collect();
    let opts = ops::RopeOptions { mode };
    let (qs, ks) = ([tokens, hq, d], [tokens, hk, d]);
    let (qv, kv) = (
        TensorView::new(&qs, &q).unwrap(),
        TensorView::new(&ks, &k).unwrap(),
    );
    let (cq, ck) = ops::rope_qk(&Backend::Cpu, qv, kv, &positions, &cache, &opts).unwrap();
    let dev = Backend::Sim(config(unit, cores));
    let ((sq, sk), c) = measure(|| ops::rope_qk(&dev, qv, kv, &positions, &cache, &opts)).unwrap();
    let what = tag(
        unit,
        cores,
        &format!(
            "{tokens} tokens, {hq}/{hk} heads, d {d}, rd {rd}, {mode:?}, {:?}",
            T::DTYPE
        ),
    );
    bit_exact(&format!("{what}: q"), sq.data(), cq.data());
    bit_exact(&format!("{what}: k"), sk.data(), ck.data());
    c
}

fn rope_qk(unit: &VariantInfo) {
    use ascend_kernels::ops::RopeMode;
    use ascend_kernels::tiling::rope_qk::{plan, RopeShape};
    let modes: Vec<RopeMode> = RopeMode::ALL
        .into_iter()
        .filter(|m| m.ascend_target().is_none_or(|t| t == unit.target))
        .collect();
    for cores in core_counts(unit.target) {
        for &mode in &modes {
            for (tokens, hq, hk, d, rd) in [
                (7usize, 16usize, 8usize, 128usize, 128usize),
                (5, 4, 2, 72, 40),
                (1, 1, 1, 128, 64),
            ] {
                let c = rope_one::<bf16>(unit, cores, tokens, hq, hk, d, rd, mode);
                let shape = RopeShape {
                    tokens: tokens as u32,
                    heads_q: hq as u32,
                    heads_k: hk as u32,
                    head_dim: d as u32,
                    rotary_dim: rd as u32,
                    elem_bytes: 2,
                };
                let p = plan(unit.target, unit.knobs, cores, &shape).unwrap();
                check_ub(unit, &c, p.ub_bytes, &tag(unit, cores, "rope_qk UB"));
            }
            rope_one::<f16>(unit, cores, 5, 4, 2, 128, 64, mode);
            rope_one::<f32>(unit, cores, 5, 4, 2, 128, 128, mode);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// matmul, matmul_mx

fn to_f64<T: FloatElement>(v: &[T]) -> Vec<f64> {
    v.iter().map(|x| f64::from(x.to_f32())).collect()
}

/// bf16 values with zeros and small magnitudes.
fn bf16_values(r: &mut Rng, n: usize) -> Vec<bf16> {
    (0..n)
        .map(|_| match r.below(10) {
            0 => bf16::ZERO,
            1 => bf16::from_f32((r.unit() as f32 - 0.5) * 1e-3),
            _ => bf16::from_f32((r.unit() as f32 - 0.5) * 8.0),
        })
        .collect()
}

/// An MX operand `[rows, k]` with every element code but NaN and mid-range scales (the decode to
/// f32 is exact, so the exact sum is over the CPU's decoded values).
struct MxOperand {
    format: Fp8Format,
    rows: usize,
    k: usize,
    elements: Vec<u8>,
    scales: Vec<E8M0>,
}

impl MxOperand {
    fn new(r: &mut Rng, format: Fp8Format, rows: usize, k: usize) -> MxOperand {
        let nan = |c: u8| match format {
            Fp8Format::E4M3 => c & 0x7F == 0x7F,
            Fp8Format::E5M2 => c & 0x7C == 0x7C,
        };
        let elements = (0..rows * k)
            .map(|_| loop {
                let c = r.below(256) as u8;
                if !nan(c) {
                    break c;
                }
            })
            .collect();
        let scales = (0..rows * pair_cols(k))
            .map(|_| E8M0::from_bits(120 + r.below(15) as u8))
            .collect();
        MxOperand {
            format,
            rows,
            k,
            elements,
            scales,
        }
    }

    fn view<'a>(&'a self, shape: &'a [usize; 2], sshape: &'a [usize; 3]) -> MxView<'a> {
        MxView {
            format: self.format,
            elements: TensorView::new(shape, &self.elements).unwrap(),
            scales: TensorView::new(sshape, &self.scales).unwrap(),
        }
    }

    fn shapes(&self) -> ([usize; 2], [usize; 3]) {
        ([self.rows, self.k], [self.rows, pair_cols(self.k) / 2, 2])
    }

    /// The exact values, decoded by the CPU reference.
    fn decoded(&self) -> Vec<f64> {
        let (s, ss) = self.shapes();
        to_f64(
            ops::mx_dequant::<f32>(&Backend::Cpu, self.view(&s, &ss))
                .unwrap()
                .data(),
        )
    }
}

/// The cube plan of a matmul fits the target (L1, L0A, L0B, L0C) and the kernel's alignment.
fn check_cube_plan(unit: &VariantInfo, cores: u32, m: usize, n: usize, k: usize, mx: bool) {
    use ascend_kernels::tiling::matmul::{check, check_mx, plan, plan_mx, MatmulShape};
    let shape = MatmulShape {
        m: m as u32,
        n: n as u32,
        k: k as u32,
    };
    let what = tag(unit, cores, &format!("{m}x{n}x{k} plan"));
    let p = if mx {
        plan_mx(unit.target, unit.knobs, cores, &shape)
    } else {
        plan(unit.target, unit.knobs, cores, &shape)
    }
    .unwrap_or_else(|e| panic!("{what}: {e}"));
    let fits = if mx {
        check_mx(unit.target, unit.knobs, &p)
    } else {
        check(unit.target, unit.knobs, &p)
    };
    fits.unwrap_or_else(|e| panic!("{what}: {e}"));
}

const MATMUL_SHAPES: [(usize, usize, usize); 4] =
    [(1, 1, 1), (5, 33, 70), (37, 19, 300), (70, 66, 129)];

fn matmul(unit: &VariantInfo) {
    for cores in core_counts(unit.target) {
        let dev = Backend::Sim(config(unit, cores));
        for (m, n, k) in MATMUL_SHAPES {
            let mut r = Rng((m * n * k) as u64);
            let what = tag(unit, cores, &format!("{m}x{n}x{k}"));
            // bf16 x bf16 -> bf16 and f32.
            let (x, w) = (bf16_values(&mut r, m * k), bf16_values(&mut r, n * k));
            let (xs, ws) = ([m, k], [n, k]);
            let (xv, wv) = (
                TensorView::new(&xs, &x).unwrap(),
                TensorView::new(&ws, &w).unwrap(),
            );
            let (xa, wa) = (to_f64(&x), to_f64(&w));
            let (got, c) = measure(|| ops::matmul::<bf16, bf16>(&dev, xv, wv)).unwrap();
            check_bound(&what, got.data(), &xa, &wa, None, m, n, k).unwrap();
            assert_eq!(
                c.ub_peak_bytes, 0,
                "{what}: the cube kernel allocates no UB"
            );
            let got = ops::matmul::<bf16, f32>(&dev, xv, wv).unwrap();
            check_bound(&what, got.data(), &xa, &wa, None, m, n, k).unwrap();
            let cpu = ops::matmul::<bf16, bf16>(&Backend::Cpu, xv, wv).unwrap();
            check_bound("cpu", cpu.data(), &xa, &wa, None, m, n, k).unwrap();
            check_cube_plan(unit, cores, m, n, k, false);
            // bf16 x MXFP8 (the weight decoded to bf16 by mx_dequant, then this kernel).
            let wq = MxOperand::new(&mut r, Fp8Format::E4M3, n, k);
            let (s, ss) = wq.shapes();
            let got = ops::mx_matmul_weight_only::<bf16, bf16>(&dev, xv, wq.view(&s, &ss)).unwrap();
            check_bound(
                &format!("{what} weight-only"),
                got.data(),
                &xa,
                &wq.decoded(),
                None,
                m,
                n,
                k,
            )
            .unwrap();
            // MXFP8 x MXFP8 with bias: on a2 through this kernel (operands decoded to bf16,
            // exact for mid-range scales); on a5 through matmul_mx (its own case).
            if unit.target == Target::A2 {
                mx_matmul_case(unit, cores, &mut r, m, n, k);
            }
        }
    }
}

fn mx_matmul_case(unit: &VariantInfo, cores: u32, r: &mut Rng, m: usize, n: usize, k: usize) {
    let dev = Backend::Sim(config(unit, cores));
    for (fx, fw) in [
        (Fp8Format::E4M3, Fp8Format::E4M3),
        (Fp8Format::E5M2, Fp8Format::E4M3),
        (Fp8Format::E4M3, Fp8Format::E5M2),
    ] {
        let (xq, wq) = (MxOperand::new(r, fx, m, k), MxOperand::new(r, fw, n, k));
        let bias: Vec<f32> = (0..n).map(|j| j as f32 * 0.25 - 2.0).collect();
        let bshape = [n];
        let bv = TensorView::new(&bshape, &bias).unwrap();
        let ((xs, xss), (ws, wss)) = (xq.shapes(), wq.shapes());
        let what = tag(unit, cores, &format!("{m}x{n}x{k} mx {fx:?} x {fw:?}"));
        let (xa, wa) = (xq.decoded(), wq.decoded());
        let got =
            ops::mx_matmul::<bf16>(&dev, xq.view(&xs, &xss), wq.view(&ws, &wss), Some(bv)).unwrap();
        check_bound(&what, got.data(), &xa, &wa, Some(bias.as_slice()), m, n, k).unwrap();
        let got =
            ops::mx_matmul::<f32>(&dev, xq.view(&xs, &xss), wq.view(&ws, &wss), None).unwrap();
        check_bound(&what, got.data(), &xa, &wa, None, m, n, k).unwrap();
        let cpu = ops::mx_matmul::<bf16>(
            &Backend::Cpu,
            xq.view(&xs, &xss),
            wq.view(&ws, &wss),
            Some(bv),
        )
        .unwrap();
        check_bound("cpu", cpu.data(), &xa, &wa, Some(bias.as_slice()), m, n, k).unwrap();
    }
}

fn matmul_mx(unit: &VariantInfo) {
    assert_eq!(
        unit.target,
        Target::A5,
        "matmul_mx is the a5 native MX cube kernel"
    );
    for cores in core_counts(unit.target) {
        for (m, n, k) in MATMUL_SHAPES {
            let mut r = Rng((m * n * k) as u64 ^ 0x5a5a);
            mx_matmul_case(unit, cores, &mut r, m, n, k);
            check_cube_plan(unit, cores, m, n, k, true);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// sim_probe

/// The emulator's API probe: its correct form copies GM to GM through UB (the CPU reference of a
/// copy is the input).
fn sim_probe(unit: &VariantInfo) {
    for n in [8usize, 64, 1024] {
        let src: Vec<f32> = (0..n).map(|i| i as f32 * 0.5 - 3.0).collect();
        let mut dst = vec![0.0f32; n];
        let c = sim::sim_probe(unit.target, sim::ProbeMode::Copy, &src, &mut dst).unwrap();
        assert_eq!(
            dst, src,
            "{} {}: the probe copies",
            unit.target, unit.variant
        );
        assert_eq!(c.gm_to_ub_bytes, (4 * n) as u64);
        assert_eq!(c.ub_to_gm_bytes, (4 * n) as u64);
        assert!(c.ub_peak_bytes <= u64::from(unit.target.ub_bytes()));
    }
}
