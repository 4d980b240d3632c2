//! The Qwen3 forward against transformers: every tiny fixture checkpoint (tied and untied; bf16,
//! FP8-block, MXFP8) in every mode on the CPU backend must give transformers' argmax at every
//! position, its 16 greedy tokens, and logits within the bounds of `docs/qwen3.md`.

use ascend_kernels::qwen3::forward::Mode;
use ascend_kernels::qwen3::proof::evaluate;
use ascend_kernels::Backend;
use std::path::Path;

fn check(model: &str, format: &str) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden/qwen3")
        .join(model)
        .join(format);
    for mode in [Mode::Dequant, Mode::W8A16Mxfp8, Mode::W8A8Mxfp8] {
        let e = evaluate(&dir, mode, &Backend::Cpu)
            .unwrap_or_else(|err| panic!("{model}/{format} {mode:?}: {err}"));
        let a = e.agreement;
        assert!(
            a.positions >= 20,
            "{model}/{format}: too few positions ({})",
            a.positions
        );
        assert!(
            e.passed(),
            "{model}/{format} {mode:?}: argmax {}/{}, max|dlogit| {} (bound {}), mean KL {:e} (bound {:e}), generated {:?} want {:?}",
            a.argmax_matches,
            a.positions,
            a.max_abs_diff,
            e.tolerance.max_abs_diff,
            a.mean_kl,
            e.tolerance.mean_kl,
            e.generated,
            e.expected_generated
        );
    }
}

#[test]
fn tied_bf16() {
    check("tied", "bf16");
}

#[test]
fn tied_bf16_sharded_loads_the_same() {
    // The sharded copy has no expected.safetensors of its own: compare it with the single file.
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/qwen3/tied");
    let single = ascend_kernels::qwen3::Checkpoint::load(&root.join("bf16")).unwrap();
    let sharded = ascend_kernels::qwen3::Checkpoint::load(&root.join("bf16-sharded")).unwrap();
    assert_eq!(single.embed, sharded.embed);
    assert_eq!(single.layers, sharded.layers);
    assert_eq!(single.norm, sharded.norm);
}

#[test]
fn tied_fp8() {
    check("tied", "fp8");
}

#[test]
fn tied_mxfp8() {
    check("tied", "mxfp8");
}

#[test]
fn untied_bf16() {
    check("untied", "bf16");
}

#[test]
fn untied_fp8() {
    check("untied", "fp8");
}

#[test]
fn untied_mxfp8() {
    check("untied", "mxfp8");
}

/// The same checks on the Sim backend (generated AscendC on the emulator), both targets.
fn check_sim(model: &str, target: &str) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden/qwen3")
        .join(model);
    let backend = Backend::from_cli("sim", Some(target)).unwrap();
    for format in ["bf16", "fp8", "mxfp8"] {
        for mode in [Mode::Dequant, Mode::W8A16Mxfp8, Mode::W8A8Mxfp8] {
            let e = evaluate(&root.join(format), mode, &backend)
                .unwrap_or_else(|err| panic!("{model}/{format} {mode:?} sim-{target}: {err}"));
            let a = e.agreement;
            assert!(
                e.passed(),
                "{model}/{format} {mode:?} sim-{target}: argmax {}/{}, max|dlogit| {}, mean KL {:e}, generated {:?} want {:?}",
                a.argmax_matches,
                a.positions,
                a.max_abs_diff,
                a.mean_kl,
                e.generated,
                e.expected_generated
            );
        }
    }
}

#[test]
fn untied_on_sim_a2() {
    check_sim("untied", "a2");
}

#[test]
fn untied_on_sim_a5() {
    check_sim("untied", "a5");
}

#[test]
fn tied_on_sim_a2() {
    check_sim("tied", "a2");
}

#[test]
fn tied_on_sim_a5() {
    check_sim("tied", "a5");
}
