//! Bit-exact parity of the generated `rope_qk` kernels (run on the AscendC sim) with the CPU
//! reference: both targets, every compiled variant, every mode the target implements (HF,
//! F32Compute; the Ascend RotaryMul and ApplyRotaryPosEmb arithmetic on a2), bf16/f16/f32,
//! Hq != Hk (GQA), partial rotary dims, head dims that are not multiples of 16, positions gathered
//! from the cache in any order.

mod common;

use ascend_kernels::backend::sim::SimConfig;
use ascend_kernels::ops::{self, RopeCache, RopeMode, RopeOptions};
use ascend_kernels::tiling::Target;
use ascend_kernels::{Backend, FloatElement, TensorView};
use half::{bf16, f16};
use proptest::prelude::*;

#[allow(clippy::too_many_arguments)]
fn check<T: FloatElement>(
    cfg: &SimConfig,
    tokens: usize,
    hq: usize,
    hk: usize,
    d: usize,
    rd: usize,
    mode: RopeMode,
    seed: u64,
) -> Result<(), String> {
    let mut state = seed | 1;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut val = || ((next() % 20001) as f32 - 10000.0) / 2500.0;
    let q: Vec<T> = (0..tokens * hq * d).map(|_| T::from_f32(val())).collect();
    let k: Vec<T> = (0..tokens * hk * d).map(|_| T::from_f32(val())).collect();
    let cache = RopeCache::new(1e6, rd, 4096).unwrap();
    let positions: Vec<i64> = (0..tokens)
        .map(|i| ((i * 977 + 13) % 4096) as i64)
        .collect();
    let opts = RopeOptions { mode };
    let (qs, ks) = ([tokens, hq, d], [tokens, hk, d]);
    let (qv, kv) = (
        TensorView::new(&qs, &q).unwrap(),
        TensorView::new(&ks, &k).unwrap(),
    );
    let (cq, ck) = ops::rope_qk(&Backend::Cpu, qv, kv, &positions, &cache, &opts)
        .map_err(|e| e.to_string())?;
    let (sq, sk) = ops::rope_qk(
        &Backend::Sim(cfg.clone()),
        qv,
        kv,
        &positions,
        &cache,
        &opts,
    )
    .map_err(|e| e.to_string())?;
    for (name, a, b, h) in [
        ("q", sq.data(), cq.data(), hq),
        ("k", sk.data(), ck.data(), hk),
    ] {
        for (i, (x, y)) in a.iter().zip(b).enumerate() {
            if x.to_f32().to_bits() != y.to_f32().to_bits() {
                return Err(format!(
                    "{} {}: {name}[{}, {}, {}]: sim {:e} cpu {:e} (d {d}, rd {rd}, mode {mode:?})",
                    cfg.target,
                    cfg.variant,
                    i / (h * d),
                    i / d % h,
                    i % d,
                    x.to_f32(),
                    y.to_f32()
                ));
            }
        }
    }
    Ok(())
}

/// The modes the kernels of `target` implement.
fn modes_of(target: Target) -> Vec<RopeMode> {
    RopeMode::ALL
        .into_iter()
        .filter(|m| m.ascend_target().is_none_or(|t| t == target))
        .collect()
}

/// Qwen3 shapes: head_dim 128, full rotary, 16 q heads and 8 kv heads.
#[test]
fn qwen3_shapes() {
    if !common::require_sim() {
        return;
    }
    let cfgs = common::configs("rope_qk");
    assert_eq!(cfgs.len(), 4, "expected v0 and v1 on a2 and a5");
    let mut ascend = 0;
    for cfg in &cfgs {
        for mode in modes_of(cfg.target) {
            ascend += mode.ascend_target().is_some() as usize;
            check::<bf16>(cfg, 7, 16, 8, 128, 128, mode, 1).unwrap();
            check::<f16>(cfg, 5, 4, 2, 128, 64, mode, 2).unwrap();
            check::<f32>(cfg, 5, 4, 2, 128, 128, mode, 3).unwrap();
        }
    }
    assert_eq!(ascend, 4, "both Ascend modes on both a2 variants");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn random_shapes_match_cpu(
        tokens in 1usize..20,
        hq in 1usize..9,
        hk in 1usize..5,
        half in 1usize..40,
        extra in prop_oneof![Just(0usize), 1usize..40],
        mode in 0usize..4,
        dtype in 0u8..3,
        a5 in any::<bool>(),
        v1 in any::<bool>(),
        cores in 1u32..6,
        seed in any::<u64>(),
    ) {
        if !common::require_sim() {
            return Ok(());
        }
        let rd = 2 * half;
        let d = rd + extra;
        let mode = RopeMode::ALL[mode];
        let target = mode.ascend_target().unwrap_or(if a5 { Target::A5 } else { Target::A2 });
        let cfg = SimConfig::new(target).with_variant(if v1 { "v1" } else { "v0" }).with_cores(cores);
        let r = match dtype {
            0 => check::<bf16>(&cfg, tokens, hq, hk, d, rd, mode, seed),
            1 => check::<f16>(&cfg, tokens, hq, hk, d, rd, mode, seed),
            _ => check::<f32>(&cfg, tokens, hq, hk, d, rd, mode, seed),
        };
        prop_assert!(r.is_ok(), "{}", r.unwrap_err());
    }
}

/// An Ascend mode on the target whose operator it is not is refused, naming the mode.
#[test]
fn ascend_modes_are_refused_on_a5() {
    if !common::require_sim() {
        return;
    }
    let cfg = SimConfig::new(Target::A5);
    let err = check::<bf16>(&cfg, 2, 1, 1, 8, 8, RopeMode::AscendRotaryMul, 1).unwrap_err();
    assert!(err.contains("rotary-mul"), "{err}");
}
