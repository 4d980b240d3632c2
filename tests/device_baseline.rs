//! The device path gives the same bits as the sim did before it existed.
//!
//! `tests/golden/device_baseline/sim.safetensors` holds the outputs of every op on fixed inputs,
//! for both targets and every compiled variant, and the prompt logits of the embedded Qwen3
//! checkpoints in every mode on both targets. It was written by this test with
//! `AK_WRITE_BASELINE=1` at commit 04e0b9a, when `Backend::Sim` still called the generated
//! launchers directly inside a sim session (before the AscendCL-shaped device path); see
//! `tests/golden/README.md`. Without the variable the test recomputes everything through
//! today's `Backend::Sim` and requires every output bit for bit.
//!
//! Inputs avoid NaN and Inf in `mx_quant` blocks (the NaN-block element codes are a numerics
//! decision of their own, `docs/numerics.md`); everything else is covered: tails, zeros,
//! subnormals, extreme magnitudes.

use ascend_kernels::backend::sim::SimConfig;
use ascend_kernels::formats::{Fp8Format, E4M3, E8M0};
use ascend_kernels::io::{serialize, write_atomic, RawTensor, TensorFile};
use ascend_kernels::ops::{
    self, MxQuantOptions, RmsNormMode, RmsNormOptions, RopeMode, RopeOptions, ScaleAlg, TinyBlocks,
};
use ascend_kernels::qwen3::embedded::EMBEDDED;
use ascend_kernels::qwen3::forward::{Mode, Qwen3};
use ascend_kernels::qwen3::Checkpoint;
use ascend_kernels::tiling::Target;
use ascend_kernels::{Backend, Element, FloatElement, Tensor, TensorView};
use half::{bf16, f16};
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

fn baseline_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden/device_baseline/sim.safetensors")
}

/// xorshift64 values in [-1, 1) with a sprinkling of zeros, subnormal-sized and large values.
fn values(n: usize, seed: u64, scale: f32) -> Vec<f32> {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..n)
        .map(|i| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            let u = (s >> 40) as f32 / (1u64 << 24) as f32 * 2.0 - 1.0;
            match i % 53 {
                7 => 0.0,
                19 => u * 1e-39,
                31 => u * 3e4,
                _ => u * scale,
            }
        })
        .collect()
}

fn cast<T: FloatElement>(v: &[f32]) -> Vec<T> {
    v.iter().map(|&x| T::from_f32(x)).collect()
}

struct Outputs(Vec<(String, RawTensor)>);

impl Outputs {
    fn put<T: Element>(&mut self, name: String, t: &Tensor<T>) {
        self.0.push((name, RawTensor::from_tensor(t)));
    }
}

/// The variants of each kernel the build compiles (`build.rs`), per target.
fn variants(kernel: &str) -> &'static [&'static str] {
    match kernel {
        "rms_norm" => &["v0", "v1", "v2"],
        _ => &["v0", "v1"],
    }
}

fn sim(t: Target, v: &str) -> Backend {
    Backend::Sim(SimConfig::new(t).with_variant(v))
}

fn mx_quant_cases<T: FloatElement>(out: &mut Outputs, t: Target, v: &str, tag: &str) {
    let b = sim(t, v);
    let shape = [5usize, 100];
    let x: Vec<T> = cast(&values(500, 11, 4.0));
    let options = [
        ("ocp_e4m3", MxQuantOptions::default()),
        (
            "ocp_e5m2_scale",
            MxQuantOptions {
                dst: Fp8Format::E5M2,
                tiny_blocks: TinyBlocks::Scale,
                ..Default::default()
            },
        ),
        (
            "rceil_e4m3",
            MxQuantOptions {
                scale_alg: ScaleAlg::Rceil,
                ..Default::default()
            },
        ),
    ];
    for (name, o) in options {
        let q = ops::mx_quant(&b, TensorView::new(&shape, &x).unwrap(), &o).unwrap();
        let key = format!("mx_quant.{tag}.{name}.{t}.{v}");
        out.put(format!("{key}.y"), &q.elements);
        out.put(format!("{key}.scale"), &q.scales);
    }
}

fn op_outputs() -> Outputs {
    let mut out = Outputs(Vec::new());
    for t in Target::ALL {
        for &v in variants("mx_quant") {
            mx_quant_cases::<bf16>(&mut out, t, v, "bf16");
            mx_quant_cases::<f16>(&mut out, t, v, "f16");
            mx_quant_cases::<f32>(&mut out, t, v, "f32");
        }
        // mx_dequant of CPU-quantized data (with NaN scales and elements).
        let x: Vec<bf16> = cast(&values(4 * 160, 12, 8.0));
        let q = ops::mx_quant(
            &Backend::Cpu,
            TensorView::new(&[4, 160], &x).unwrap(),
            &MxQuantOptions::default(),
        )
        .unwrap();
        let mut elements = q.elements.data().to_vec();
        let mut scales = q.scales.data().to_vec();
        elements[3] = 0x7F;
        scales[5] = E8M0::from_bits(0xFF);
        let e = Tensor::new(q.elements.shape().to_vec(), elements).unwrap();
        let s = Tensor::new(q.scales.shape().to_vec(), scales).unwrap();
        let view = ops::MxView {
            format: Fp8Format::E4M3,
            elements: e.view(),
            scales: s.view(),
        };
        for &v in variants("mx_dequant") {
            let b = sim(t, v);
            let y32: Tensor<f32> = ops::mx_dequant(&b, view).unwrap();
            let y16: Tensor<bf16> = ops::mx_dequant(&b, view).unwrap();
            out.put(format!("mx_dequant.f32.{t}.{v}"), &y32);
            out.put(format!("mx_dequant.bf16.{t}.{v}"), &y16);
        }
        // fp8_block_dequant: partial blocks both ways.
        let (o, i) = (130usize, 129usize);
        let w: Vec<E4M3> = (0..o * i)
            .map(|j| E4M3::from_bits((j * 37 % 255) as u8 & 0xFE | 0x02))
            .collect();
        let sc: Vec<f32> = values(4, 13, 1.0).iter().map(|v| v.abs() + 0.01).collect();
        for &v in variants("fp8_block_dequant") {
            let y: Tensor<bf16> = ops::fp8_block_dequant(
                &sim(t, v),
                TensorView::new(&[o, i], &w).unwrap(),
                TensorView::new(&[2, 2], &sc).unwrap(),
                [128, 128],
            )
            .unwrap();
            out.put(format!("fp8_block_dequant.{t}.{v}"), &y);
        }
        // rms_norm: plain, residual, weight in f32; bf16, f16, f32.
        for &v in variants("rms_norm") {
            let b = sim(t, v);
            rms_cases::<bf16>(&mut out, &b, &format!("bf16.{t}.{v}"));
            rms_cases::<f16>(&mut out, &b, &format!("f16.{t}.{v}"));
            rms_cases::<f32>(&mut out, &b, &format!("f32.{t}.{v}"));
        }
        // rope_qk: partial rotary dim, GQA, both modes.
        let cache = ops::RopeCache::new(1e6, 64, 64).unwrap();
        let q: Vec<bf16> = cast(&values(3 * 4 * 96, 14, 2.0));
        let k: Vec<bf16> = cast(&values(3 * 2 * 96, 15, 2.0));
        let positions = [0i64, 17, 63];
        for &v in variants("rope_qk") {
            for f32_compute in [false, true] {
                let (qo, ko) = ops::rope_qk(
                    &sim(t, v),
                    TensorView::new(&[3, 4, 96], &q).unwrap(),
                    TensorView::new(&[3, 2, 96], &k).unwrap(),
                    &positions,
                    &cache,
                    &RopeOptions {
                        mode: if f32_compute {
                            RopeMode::F32Compute
                        } else {
                            RopeMode::Hf
                        },
                    },
                )
                .unwrap();
                out.put(format!("rope_qk.{f32_compute}.{t}.{v}.q"), &qo);
                out.put(format!("rope_qk.{f32_compute}.{t}.{v}.k"), &ko);
            }
        }
        // The matmul family.
        for &v in variants("matmul") {
            matmul_cases(&mut out, t, v);
        }
    }
    out
}

fn rms_cases<T: FloatElement>(out: &mut Outputs, b: &Backend, key: &str) {
    let (rows, h) = (7usize, 100usize);
    let x: Vec<T> = cast(&values(rows * h, 21, 3.0));
    let r: Vec<T> = cast(&values(rows * h, 22, 3.0));
    let w: Vec<T> = cast(&values(h, 23, 1.5));
    let (shape, wshape) = ([rows, h], [h]);
    let xv = TensorView::new(&shape, &x).unwrap();
    let wv = TensorView::new(&wshape, &w).unwrap();
    for weight_in_f32 in [false, true] {
        let o = RmsNormOptions {
            eps: 1e-6,
            mode: if weight_in_f32 {
                RmsNormMode::WeightInF32
            } else {
                RmsNormMode::Hf
            },
        };
        let y = ops::rms_norm(b, xv, wv, &o).unwrap();
        out.put(format!("rms_norm.{weight_in_f32}.{key}"), &y);
        let (y, s) =
            ops::rms_norm_residual(b, xv, TensorView::new(&shape, &r).unwrap(), wv, &o).unwrap();
        out.put(format!("rms_norm_residual.{weight_in_f32}.{key}.y"), &y);
        out.put(format!("rms_norm_residual.{weight_in_f32}.{key}.h"), &s);
    }
}

fn matmul_cases(out: &mut Outputs, t: Target, v: &str) {
    let b = sim(t, v);
    let quant = |shape: &[usize], seed: u64, dst: Fp8Format| {
        let x: Vec<bf16> = cast(&values(shape.iter().product(), seed, 2.0));
        ops::mx_quant(
            &Backend::Cpu,
            TensorView::new(shape, &x).unwrap(),
            &MxQuantOptions {
                dst,
                ..Default::default()
            },
        )
        .unwrap()
    };
    let (m, n, k) = (3usize, 33usize, 100usize);
    let x = quant(&[m, k], 31, Fp8Format::E4M3);
    let w = quant(&[n, k], 32, Fp8Format::E5M2);
    let bias = values(n, 33, 5.0);
    let y: Tensor<bf16> = ops::mx_matmul(
        &b,
        x.view(),
        w.view(),
        Some(TensorView::new(&[n], &bias).unwrap()),
    )
    .unwrap();
    out.put(format!("mx_matmul.bias_bf16.{t}.{v}"), &y);
    let x2 = quant(&[17, 64], 34, Fp8Format::E4M3);
    let w2 = quant(&[16, 64], 35, Fp8Format::E4M3);
    let y2: Tensor<f32> = ops::mx_matmul(&b, x2.view(), w2.view(), None).unwrap();
    out.put(format!("mx_matmul.f32.{t}.{v}"), &y2);
    let xb: Vec<bf16> = cast(&values(5 * 96, 36, 1.0));
    let wb: Vec<bf16> = cast(&values(40 * 96, 37, 1.0));
    let yd: Tensor<f32> = ops::matmul(
        &b,
        TensorView::new(&[5, 96], &xb).unwrap(),
        TensorView::new(&[40, 96], &wb).unwrap(),
    )
    .unwrap();
    out.put(format!("matmul.f32.{t}.{v}"), &yd);
    let wq = quant(&[40, 96], 38, Fp8Format::E4M3);
    let yw: Tensor<bf16> =
        ops::mx_matmul_weight_only(&b, TensorView::new(&[5, 96], &xb).unwrap(), wq.view()).unwrap();
    out.put(format!("mx_matmul_weight_only.bf16.{t}.{v}"), &yw);
}

/// Prompt-0 logits of every embedded checkpoint in every mode on both targets (variant `auto`).
fn qwen3_outputs() -> Outputs {
    let mut out = Outputs(Vec::new());
    for model in &EMBEDDED {
        let dir = model.materialize().unwrap();
        let expected = TensorFile::read(&dir.join("expected.safetensors")).unwrap();
        let prompt: Vec<u32> = expected
            .typed::<i64>("prompt0.ids")
            .unwrap()
            .data()
            .iter()
            .map(|&v| v as u32)
            .collect();
        for mode in [Mode::Dequant, Mode::W8A16Mxfp8, Mode::W8A8Mxfp8] {
            for t in Target::ALL {
                let backend = Backend::Sim(SimConfig::new(t));
                let checkpoint = Checkpoint::load(&dir).unwrap();
                let dims = checkpoint
                    .config
                    .dims(checkpoint.config.max_position_embeddings);
                let weights = checkpoint
                    .into_weights(mode, &backend, &MxQuantOptions::default())
                    .unwrap();
                let mut model_run = Qwen3::new(dims, weights, mode, backend).unwrap();
                let mut cache = model_run.new_cache();
                let logits = model_run.forward(&prompt, &mut cache).unwrap();
                out.put(
                    format!("qwen3.{}.{}.{t}.logits", model.format, mode.name()),
                    &logits,
                );
            }
        }
    }
    out
}

#[test]
fn device_path_matches_the_pre_device_sim_bit_for_bit() {
    let mut all = op_outputs();
    all.0.extend(qwen3_outputs().0);
    if std::env::var_os("AK_WRITE_BASELINE").is_some() {
        let mut meta = HashMap::new();
        meta.insert(
            "made_by".to_string(),
            "AK_WRITE_BASELINE=1 cargo test --release --test device_baseline".to_string(),
        );
        let bytes = serialize(&all.0, &meta).unwrap();
        let path = baseline_path();
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        write_atomic(&path, &bytes).unwrap();
        eprintln!("wrote {} outputs to {}", all.0.len(), path.display());
        return;
    }
    let baseline = TensorFile::read(&baseline_path()).unwrap();
    let ours: BTreeMap<&str, &RawTensor> = all.0.iter().map(|(n, t)| (n.as_str(), t)).collect();
    let mut missing: Vec<&String> = baseline
        .tensors
        .keys()
        .filter(|k| !ours.contains_key(k.as_str()))
        .collect();
    missing.sort();
    assert!(
        missing.is_empty(),
        "outputs no longer computed: {missing:?}"
    );
    let mut differing = Vec::new();
    for (name, t) in &ours {
        let base = baseline.get(name).unwrap_or_else(|_| {
            panic!("{name}: not in the baseline (rewrite it only if the change is intended)")
        });
        if base.dtype != t.dtype || base.shape != t.shape || base.bytes != t.bytes {
            differing.push(*name);
        }
    }
    assert!(
        differing.is_empty(),
        "{} of {} outputs differ from the pre-device-path sim: {differing:?}",
        differing.len(),
        ours.len()
    );
}
