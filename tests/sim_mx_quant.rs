//! Bit-exact parity of the generated `mx_quant` kernels (run on the AscendC sim) with the CPU
//! reference: both targets (a2 encodes FP8 with integer vector ops, a5 casts natively), every
//! compiled variant, E4M3/E5M2, OCP/RCEIL, both tiny-block policies, bf16/f16/f32 inputs, tails,
//! zeros, subnormals, huge values, NaN and Inf.

mod common;

use ascend_kernels::backend::sim::SimConfig;
use ascend_kernels::ops::{self, MxQuantOptions, NonFiniteBlocks, ScaleAlg, TinyBlocks};
use ascend_kernels::tiling::Target;
use ascend_kernels::{Backend, Error, FloatElement, Fp8Format, RoundMode, TensorView};
use half::{bf16, f16};
use proptest::prelude::*;

fn check<T: FloatElement>(
    cfg: &SimConfig,
    rows: usize,
    k: usize,
    x: &[f32],
    o: &MxQuantOptions,
) -> Result<(), String> {
    let x: Vec<T> = x.iter().map(|&v| T::from_f32(v)).collect();
    let shape = [rows, k];
    let view = TensorView::new(&shape, &x).unwrap();
    let cpu = ops::mx_quant(&Backend::Cpu, view, o).map_err(|e| e.to_string())?;
    let sim = ops::mx_quant(&Backend::Sim(cfg.clone()), view, o).map_err(|e| e.to_string())?;
    let tag = format!("{} {} {o:?}", cfg.target, cfg.variant);
    for (i, (a, b)) in sim.scales.data().iter().zip(cpu.scales.data()).enumerate() {
        if a.to_bits() != b.to_bits() {
            return Err(format!(
                "{tag}: scale {i}: sim {:#04x} cpu {:#04x}",
                a.to_bits(),
                b.to_bits()
            ));
        }
    }
    for (i, (a, b)) in sim
        .elements
        .data()
        .iter()
        .zip(cpu.elements.data())
        .enumerate()
    {
        if a != b {
            return Err(format!(
                "{tag}: y[{}, {}]: sim {a:#04x} cpu {b:#04x} (x {:e})",
                i / k,
                i % k,
                x[i].to_f32()
            ));
        }
    }
    Ok(())
}

fn all_options() -> Vec<MxQuantOptions> {
    let mut out = Vec::new();
    for dst in [Fp8Format::E4M3, Fp8Format::E5M2] {
        for scale_alg in [ScaleAlg::Ocp, ScaleAlg::Rceil] {
            for tiny_blocks in [TinyBlocks::Flush, TinyBlocks::Scale] {
                for non_finite in [NonFiniteBlocks::Zero, NonFiniteBlocks::Nan] {
                    out.push(MxQuantOptions {
                        dst,
                        scale_alg,
                        round: RoundMode::Rint,
                        tiny_blocks,
                        non_finite,
                    });
                }
            }
        }
    }
    out
}

/// The Ascend doc vector: bf16 [0, 8, 64, 512] + 28 zeros -> scale 128, [0x00, 0x48, 0x60, 0x78].
#[test]
fn ascend_doc_vector() {
    if !common::require_sim() {
        return;
    }
    let mut x = [0.0f32; 32];
    x[1] = 8.0;
    x[2] = 64.0;
    x[3] = 512.0;
    let cfgs = common::configs("mx_quant");
    assert_eq!(cfgs.len(), 4, "expected v0 and v1 on a2 and a5");
    for cfg in &cfgs {
        let xb: Vec<bf16> = x.iter().map(|&v| bf16::from_f32(v)).collect();
        let q = ops::mx_quant(
            &Backend::Sim(cfg.clone()),
            TensorView::new(&[1, 32], &xb).unwrap(),
            &Default::default(),
        )
        .unwrap();
        assert_eq!(q.scales.data()[0].to_bits(), 128);
        assert_eq!(&q.elements.data()[..4], &[0x00, 0x48, 0x60, 0x78]);
    }
}

/// Every finite bf16 magnitude pattern of one binade sweep, under every option.
#[test]
fn sweep_every_option() {
    if !common::require_sim() {
        return;
    }
    let (rows, k) = (64usize, 96usize);
    let x: Vec<f32> = (0..rows * k)
        .map(|i| {
            let e = (i / k) as i32 - 40; // one exponent per row: 2^-40 .. 2^23
            let m = 1.0 + (i % k) as f32 / k as f32;
            let s = if i % 3 == 0 { -1.0 } else { 1.0 };
            s * m * 2f32.powi(e)
        })
        .collect();
    for cfg in common::configs("mx_quant") {
        for o in all_options() {
            check::<bf16>(&cfg, rows, k, &x, &o).unwrap();
            check::<f32>(&cfg, rows, k, &x, &o).unwrap();
        }
    }
}

#[test]
fn round_mode_other_than_rint_is_refused_on_sim() {
    if !common::require_sim() {
        return;
    }
    let x = vec![bf16::from_f32(1.0); 32];
    let o = MxQuantOptions {
        round: RoundMode::Round,
        ..Default::default()
    };
    let r = ops::mx_quant(
        &Backend::Sim(SimConfig::new(Target::A2)),
        TensorView::new(&[1, 32], &x).unwrap(),
        &o,
    );
    assert!(matches!(r, Err(Error::InvalidOption { .. })), "{r:?}");
}

fn value() -> impl Strategy<Value = f32> {
    prop_oneof![
        20 => -4.0f32..4.0,
        3 => Just(0.0f32),
        1 => Just(-0.0f32),
        1 => prop_oneof![Just(1e-40f32), Just(-3e-42f32), Just(6e-8f32), Just(-1e-30f32), Just(2.0e-38f32)],
        2 => (-1.0f32..1.0).prop_map(|v| v * 3.0e38),
        1 => (-1.0f32..1.0).prop_map(|v| v * 1.0e-20),
        1 => prop_oneof![Just(f32::NAN), Just(f32::INFINITY), Just(f32::NEG_INFINITY)],
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn random_inputs_match_cpu(
        (rows, k, x) in (1usize..12, prop_oneof![4 => 1usize..200, 1 => 200usize..9000])
            .prop_flat_map(|(r, k)| (Just(r), Just(k), prop::collection::vec(value(), r * k))),
        a5 in any::<bool>(),
        v1 in any::<bool>(),
        opt in 0usize..8,
        input in 0u8..3,
        cores in 1u32..6,
    ) {
        if !common::require_sim() {
            return Ok(());
        }
        let target = if a5 { Target::A5 } else { Target::A2 };
        let cfg = SimConfig::new(target).with_variant(if v1 { "v1" } else { "v0" }).with_cores(cores);
        let o = all_options()[opt];
        // f16 inputs: keep the range of f16 (huge values saturate to inf on conversion anyway)
        let r = match input {
            0 => check::<bf16>(&cfg, rows, k, &x, &o),
            1 => check::<f16>(&cfg, rows, k, &x, &o),
            _ => check::<f32>(&cfg, rows, k, &x, &o),
        };
        prop_assert!(r.is_ok(), "{}", r.unwrap_err());
    }
}
