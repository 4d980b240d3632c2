//! Bit-exact parity of the generated `fp8_block_dequant` kernels (run on the AscendC sim) with the
//! CPU reference: both targets, every compiled variant, any block shape (partial blocks, blocks
//! that straddle tiles and cores), f32/bf16/f16 scales, bf16/f16/f32 outputs, every E4M3 code.

mod common;

use ascend_kernels::backend::sim::SimConfig;
use ascend_kernels::ops;
use ascend_kernels::tiling::Target;
use ascend_kernels::{Backend, FloatElement, TensorView, E4M3};
use half::{bf16, f16};
use proptest::prelude::*;

#[allow(clippy::too_many_arguments)]
fn check<S: FloatElement, O: FloatElement>(
    cfg: &SimConfig,
    rows: usize,
    cols: usize,
    block: [usize; 2],
    w: &[u8],
    s: &[f32],
) -> Result<(), String> {
    let w: Vec<E4M3> = w.iter().map(|&b| E4M3::from_bits(b)).collect();
    let s: Vec<S> = s.iter().map(|&v| S::from_f32(v)).collect();
    let shape = [rows, cols];
    let grid = [rows.div_ceil(block[0]), cols.div_ceil(block[1])];
    let wv = TensorView::new(&shape, &w).unwrap();
    let sv = TensorView::new(&grid, &s).unwrap();
    let cpu =
        ops::fp8_block_dequant::<S, O>(&Backend::Cpu, wv, sv, block).map_err(|e| e.to_string())?;
    let sim = ops::fp8_block_dequant::<S, O>(&Backend::Sim(cfg.clone()), wv, sv, block)
        .map_err(|e| e.to_string())?;
    for (i, (a, b)) in sim.data().iter().zip(cpu.data()).enumerate() {
        let (a, b) = (a.to_f32(), b.to_f32());
        if !((a.is_nan() && b.is_nan()) || a.to_bits() == b.to_bits()) {
            return Err(format!(
                "{} {}: out[{}, {}] sim {a:e} cpu {b:e} (byte {:#04x}, block {block:?})",
                cfg.target,
                cfg.variant,
                i / cols,
                i % cols,
                w[i].to_bits()
            ));
        }
    }
    Ok(())
}

/// HF's 128 x 128 blocks with partial last blocks, every E4M3 code, every scale and output dtype.
#[test]
fn hf_blocks_every_code() {
    if !common::require_sim() {
        return;
    }
    let (rows, cols) = (300usize, 200usize);
    let w: Vec<u8> = (0..rows * cols).map(|i| (i * 131 % 256) as u8).collect();
    let s = vec![0.5f32, -3.0e-3, 1.5e4, 7.0e-6, 2.0, 0.25];
    let cfgs = common::configs("fp8_block_dequant");
    assert_eq!(cfgs.len(), 4, "expected v0 and v1 on a2 and a5");
    for cfg in &cfgs {
        check::<f32, bf16>(cfg, rows, cols, [128, 128], &w, &s).unwrap();
        check::<bf16, bf16>(cfg, rows, cols, [128, 128], &w, &s).unwrap();
        check::<f16, f16>(cfg, rows, cols, [128, 128], &w, &s).unwrap();
        check::<f32, f32>(cfg, rows, cols, [128, 128], &w, &s).unwrap();
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn random_blocks_match_cpu(
        rows in 1usize..40,
        cols in prop_oneof![4 => 1usize..300, 1 => 300usize..6000],
        bo in prop_oneof![Just(128usize), 1usize..20],
        bi in prop_oneof![Just(128usize), 1usize..200],
        seed in any::<u64>(),
        a5 in any::<bool>(),
        v1 in any::<bool>(),
        dtypes in 0u8..4,
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
        let w: Vec<u8> = (0..rows * cols).map(|_| next() as u8).collect();
        let grid = rows.div_ceil(bo) * cols.div_ceil(bi);
        let s: Vec<f32> = (0..grid)
            .map(|_| match next() % 20 {
                0 => 0.0,
                1 => -1.0e-40,
                2 => f32::NAN,
                3 => f32::INFINITY,
                4 => 3.0e38,
                _ => ((next() % 2000) as f32 - 1000.0) * 1.0e-3,
            })
            .collect();
        let target = if a5 { Target::A5 } else { Target::A2 };
        let cfg = SimConfig::new(target).with_variant(if v1 { "v1" } else { "v0" }).with_cores(cores);
        let r = match dtypes {
            0 => check::<f32, bf16>(&cfg, rows, cols, [bo, bi], &w, &s),
            1 => check::<bf16, bf16>(&cfg, rows, cols, [bo, bi], &w, &s),
            2 => check::<f16, f32>(&cfg, rows, cols, [bo, bi], &w, &s),
            _ => check::<f32, f16>(&cfg, rows, cols, [bo, bi], &w, &s),
        };
        prop_assert!(r.is_ok(), "{}", r.unwrap_err());
    }
}
