//! Bit-exact parity of the generated `mx_dequant` kernels (run on the AscendC sim) with the CPU
//! reference: both targets (a2 decodes FP8/E8M0 with integer vector ops, a5 casts natively), every
//! compiled variant, E4M3 and E5M2, bf16/f16/f32 outputs, every element code x every scale byte.

mod common;

use ascend_kernels::backend::sim::SimConfig;
use ascend_kernels::ops::{self, MxView};
use ascend_kernels::tiling::Target;
use ascend_kernels::{Backend, FloatElement, Fp8Format, TensorView, E8M0};
use half::{bf16, f16};
use proptest::prelude::*;

fn pair_cols(k: usize) -> usize {
    k.div_ceil(32).div_ceil(2) * 2
}

/// Runs Cpu and Sim on the same input; returns the first mismatch.
fn check<O: FloatElement>(
    cfg: &SimConfig,
    format: Fp8Format,
    rows: usize,
    k: usize,
    y: &[u8],
    s: &[u8],
) -> Result<(), String> {
    let scales: Vec<E8M0> = s.iter().map(|&b| E8M0::from_bits(b)).collect();
    let shape = [rows, k];
    let sshape = [rows, pair_cols(k) / 2, 2];
    let view = MxView {
        format,
        elements: TensorView::new(&shape, y).unwrap(),
        scales: TensorView::new(&sshape, &scales).unwrap(),
    };
    let cpu = ops::mx_dequant::<O>(&Backend::Cpu, view).map_err(|e| e.to_string())?;
    let sim = ops::mx_dequant::<O>(&Backend::Sim(cfg.clone()), view).map_err(|e| e.to_string())?;
    for (i, (a, b)) in sim.data().iter().zip(cpu.data()).enumerate() {
        let (a, b) = (a.to_f32(), b.to_f32());
        if !((a.is_nan() && b.is_nan()) || a.to_bits() == b.to_bits()) {
            let (r, c) = (i / k, i % k);
            return Err(format!(
                "{} {} {format:?}: out[{r}, {c}] sim {a:e} cpu {b:e} (byte {:#04x}, scale {:#04x})",
                cfg.target,
                cfg.variant,
                y[i],
                s[r * pair_cols(k) + c / 32]
            ));
        }
    }
    Ok(())
}

/// Row r uses scale byte r for every block; column c holds element code c: all 65 536 pairs.
#[test]
fn every_code_with_every_scale() {
    if !common::require_sim() {
        return;
    }
    let (rows, k) = (256usize, 256usize);
    let y: Vec<u8> = (0..rows * k).map(|i| (i % k) as u8).collect();
    let s: Vec<u8> = (0..rows)
        .flat_map(|r| vec![r as u8; pair_cols(k)])
        .collect();
    let cfgs = common::configs("mx_dequant");
    assert_eq!(cfgs.len(), 4, "expected v0 and v1 on a2 and a5");
    for cfg in &cfgs {
        for format in [Fp8Format::E4M3, Fp8Format::E5M2] {
            check::<bf16>(cfg, format, rows, k, &y, &s).unwrap();
            check::<f16>(cfg, format, rows, k, &y, &s).unwrap();
            check::<f32>(cfg, format, rows, k, &y, &s).unwrap();
        }
    }
}

/// A row too long for one tile is cut into block chunks (one row per tile).
#[test]
fn long_rows_are_chunked() {
    if !common::require_sim() {
        return;
    }
    let (rows, k) = (2usize, 150_001usize);
    let y: Vec<u8> = (0..rows * k).map(|i| (i * 7 % 251) as u8).collect();
    let s: Vec<u8> = (0..rows * pair_cols(k))
        .map(|i| 100 + (i % 50) as u8)
        .collect();
    for cfg in common::configs("mx_dequant") {
        check::<bf16>(&cfg, Fp8Format::E4M3, rows, k, &y, &s).unwrap();
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn random_shapes_match_cpu(
        rows in 1usize..24,
        k in prop_oneof![4 => 1usize..300, 1 => 300usize..3000],
        seed in any::<u64>(),
        a5 in any::<bool>(),
        v1 in any::<bool>(),
        e5m2 in any::<bool>(),
        out in 0u8..3,
        cores in 1u32..9,
    ) {
        if !common::require_sim() {
            return Ok(());
        }
        let mut state = seed | 1;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let y: Vec<u8> = (0..rows * k).map(|_| next() as u8).collect();
        // scales mostly in a normal range, sometimes 0x00, 0xFF or extreme
        let s: Vec<u8> = (0..rows * pair_cols(k))
            .map(|_| match next() % 16 {
                0 => 0x00,
                1 => 0xFF,
                2 => 0xFE,
                3 => 1,
                _ => 100 + (next() % 56) as u8,
            })
            .collect();
        let target = if a5 { Target::A5 } else { Target::A2 };
        let cfg = SimConfig::new(target).with_variant(if v1 { "v1" } else { "v0" }).with_cores(cores);
        let format = if e5m2 { Fp8Format::E5M2 } else { Fp8Format::E4M3 };
        let r = match out {
            0 => check::<bf16>(&cfg, format, rows, k, &y, &s),
            1 => check::<f16>(&cfg, format, rows, k, &y, &s),
            _ => check::<f32>(&cfg, format, rows, k, &y, &s),
        };
        prop_assert!(r.is_ok(), "{}", r.unwrap_err());
    }
}
