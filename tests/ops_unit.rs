//! Hand-checked cases of the CPU reference (the Ascend doc vector, the mistral.rs partial-block
//! dequant cases) and one test per validation path: each must return the error it names.

use ascend_kernels::ops::{self, MxQuantOptions, MxView, RmsNormOptions, RopeCache, RopeOptions};
use ascend_kernels::{Backend, Error, Fp8Format, RoundMode, Tensor, TensorView, E4M3, E8M0};
use half::bf16;

const CPU: Backend = Backend::Cpu;

fn bf16s(v: &[f32]) -> Vec<bf16> {
    v.iter().map(|&x| bf16::from_f32(x)).collect()
}

#[test]
fn ascend_doc_golden_vector() {
    // aclnnDynamicMxQuant doc: bf16 [0, 8, 64, 512] (+ 28 zeros), E4M3FN, scale_alg 0
    // -> mxscale [[128, 0]], y [0, 72, 96, 120].
    let mut x = vec![0.0f32; 32];
    x[..4].copy_from_slice(&[0.0, 8.0, 64.0, 512.0]);
    let x = bf16s(&x);
    let q = ops::mx_quant(
        &CPU,
        TensorView::new(&[1, 32], &x).unwrap(),
        &MxQuantOptions::default(),
    )
    .unwrap();
    assert_eq!(q.scales.shape(), &[1, 1, 2]);
    assert_eq!(q.scales.data(), &[E8M0(128), E8M0(0)]);
    assert_eq!(&q.elements.data()[..4], &[0x00, 0x48, 0x60, 0x78]);
    assert!(q.elements.data()[4..].iter().all(|&b| b == 0));
}

#[test]
fn tiny_blocks_flush_or_scale() {
    // amax = 2^-120 < 2^(8+1-127): scale byte 0 under OCP.
    let x = bf16s(&[2f32.powi(-120), -2f32.powi(-121)]);
    let view = TensorView::new(&[1, 2], &x).unwrap();
    let flush = ops::mx_quant(&CPU, view, &MxQuantOptions::default()).unwrap();
    assert_eq!(flush.scales.data()[0], E8M0(0));
    assert_eq!(flush.elements.data(), &[0x00, 0x80]);
    let scale_opts = MxQuantOptions {
        tiny_blocks: ops::TinyBlocks::Scale,
        ..Default::default()
    };
    let scaled = ops::mx_quant(&CPU, view, &scale_opts).unwrap();
    // 2^-120 * 2^127 = 128 = 0x70; -2^-121 * 2^127 = -64 = 0xE8.
    assert_eq!(scaled.elements.data(), &[0x70, 0xE8]);
}

#[test]
fn nan_block_gives_nan_scale_and_elements_only_there() {
    let mut x = vec![1.0f32; 64];
    x[40] = f32::INFINITY;
    let q = ops::mx_quant(
        &CPU,
        TensorView::new(&[1, 64], &x).unwrap(),
        &MxQuantOptions::default(),
    )
    .unwrap();
    assert_eq!(q.scales.data()[0], E8M0(127 - 8));
    assert_eq!(q.scales.data()[1], E8M0::NAN);
    // the NPU's elements (0x00) by default; the block still dequantizes to NaN through its scale
    assert!(q.elements.data()[32..].iter().all(|&b| b == 0x00));
    let back: Tensor<f32> = ops::mx_dequant(&CPU, q.view()).unwrap();
    assert!(back.data()[..32].iter().all(|&v| v == 1.0));
    assert!(back.data()[32..].iter().all(|v| v.is_nan()));
    let nan = MxQuantOptions {
        non_finite: ops::NonFiniteBlocks::Nan,
        ..Default::default()
    };
    let q = ops::mx_quant(&CPU, TensorView::new(&[1, 64], &x).unwrap(), &nan).unwrap();
    assert_eq!(q.scales.data()[1], E8M0::NAN);
    assert!(q.elements.data()[..32]
        .iter()
        .all(|&b| b == E4M3::from_f32(256.0).0));
    assert!(q.elements.data()[32..].iter().all(|&b| b == 0x7F));
}

#[test]
fn rceil_rounds_the_scale_up() {
    // amax 150: 150/448 = 0.33 -> exponent -1 after round-up -> byte 126 (torchao issue #2035).
    let x = [150.0f32; 32];
    let opts = MxQuantOptions {
        scale_alg: ops::ScaleAlg::Rceil,
        ..Default::default()
    };
    let q = ops::mx_quant(&CPU, TensorView::new(&[1, 32], &x).unwrap(), &opts).unwrap();
    assert_eq!(q.scales.data()[0], E8M0(126));
    assert_eq!(q.elements.data()[0], E4M3::from_f32(300.0).0);
}

#[test]
fn scale_layouts_round_trip() {
    let blocks: Vec<E8M0> = (0..6).map(E8M0).collect(); // [2, 3]
    let pair = ops::block_scales_to_pair(TensorView::new(&[2, 3], &blocks).unwrap()).unwrap();
    assert_eq!(pair.shape(), &[2, 2, 2]);
    assert_eq!(
        pair.data().iter().map(|e| e.0).collect::<Vec<_>>(),
        [0, 1, 2, 0, 3, 4, 5, 0]
    );
    let back = ops::pair_scales_to_blocks(pair.view(), 96).unwrap();
    assert_eq!(back.shape(), &[2, 3]);
    assert_eq!(back.data(), blocks.as_slice());
}

#[test]
fn mistral_rs_partial_block_dequant() {
    // mistral.rs blockwise_fp8 test: ones [5, 5], block 2x2, scales arange(9) [3, 3].
    let w = vec![E4M3::from_f32(1.0); 25];
    let s: Vec<f32> = (0..9).map(|v| v as f32).collect();
    let y: Tensor<f32> = ops::fp8_block_dequant(
        &CPU,
        TensorView::new(&[5, 5], &w).unwrap(),
        TensorView::new(&[3, 3], &s).unwrap(),
        [2, 2],
    )
    .unwrap();
    let expected = [
        [0., 0., 1., 1., 2.],
        [0., 0., 1., 1., 2.],
        [3., 3., 4., 4., 5.],
        [3., 3., 4., 4., 5.],
        [6., 6., 7., 7., 8.],
    ];
    assert_eq!(y.data(), expected.concat().as_slice());
}

#[test]
fn rectangular_partial_blocks_with_bf16_scales() {
    // [5, 7] with 2x3 blocks: grid [3, 3]; w[i][j] = j + 1 (exact in E4M3), scale = 10*r + c.
    let w: Vec<E4M3> = (0..35)
        .map(|i| E4M3::from_f32((i % 7 + 1) as f32))
        .collect();
    let s: Vec<bf16> = (0..9)
        .map(|i| bf16::from_f32((10 * (i / 3) + i % 3) as f32))
        .collect();
    let y: Tensor<bf16> = ops::fp8_block_dequant(
        &CPU,
        TensorView::new(&[5, 7], &w).unwrap(),
        TensorView::new(&[3, 3], &s).unwrap(),
        [2, 3],
    )
    .unwrap();
    for i in 0..5 {
        for j in 0..7 {
            let scale = (10 * (i / 2) + j / 3) as f32;
            assert_eq!(
                y.data()[i * 7 + j].to_f32(),
                (j + 1) as f32 * scale,
                "[{i},{j}]"
            );
        }
    }
}

#[test]
fn mx_matmul_small_exact_case() {
    // x = [1, 2, ..] in one block with scale 2^1, w = ones with scale 2^-1: y = sum(x).
    let xv: Vec<u8> = (1..=32).map(|v| E4M3::from_f32((v % 8) as f32).0).collect();
    let wv = vec![E4M3::from_f32(1.0).0; 32];
    let sx = [E8M0(128), E8M0(0)];
    let sw = [E8M0(126), E8M0(0x55)]; // the pad byte is ignored
    let x = MxView {
        format: Fp8Format::E4M3,
        elements: TensorView::new(&[1, 32], &xv).unwrap(),
        scales: TensorView::new(&[1, 1, 2], &sx).unwrap(),
    };
    let w = MxView {
        format: Fp8Format::E4M3,
        elements: TensorView::new(&[1, 32], &wv).unwrap(),
        scales: TensorView::new(&[1, 1, 2], &sw).unwrap(),
    };
    let bias = [0.5f32];
    let y: Tensor<f32> =
        ops::mx_matmul(&CPU, x, w, Some(TensorView::new(&[1], &bias).unwrap())).unwrap();
    let expected: f32 = (1..=32).map(|v| (v % 8) as f32).sum::<f32>() + 0.5;
    assert_eq!(y.data(), &[expected]);
}

#[test]
fn rms_norm_hf_rounding_points() {
    // x = [3, 4] -> mean square 12.5, r = 1/sqrt(12.5 + eps); weights 2 and 0.5.
    let x = bf16s(&[3.0, 4.0]);
    let w = bf16s(&[2.0, 0.5]);
    let y = ops::rms_norm(
        &CPU,
        TensorView::new(&[1, 2], &x).unwrap(),
        TensorView::new(&[2], &w).unwrap(),
        &RmsNormOptions {
            eps: 0.0,
            mode: ops::RmsNormMode::Hf,
        },
    )
    .unwrap();
    let r = 1.0 / 12.5f64.sqrt();
    let expect = |v: f64, w: f32| bf16::from_f32(bf16::from_f32((v * r) as f32).to_f32() * w);
    assert_eq!(y.data(), &[expect(3.0, 2.0), expect(4.0, 0.5)]);
}

#[test]
fn rope_rotates_pairs_at_position_zero_and_one() {
    let cache = RopeCache::new(10000.0, 4, 2).unwrap();
    // Position 0: identity.
    let q: Vec<f32> = vec![1.0, 2.0, 3.0, 4.0];
    let k: Vec<f32> = vec![5.0, 6.0, 7.0, 8.0];
    let (qo, ko) = ops::rope_qk(
        &CPU,
        TensorView::new(&[1, 1, 4], &q).unwrap(),
        TensorView::new(&[1, 1, 4], &k).unwrap(),
        &[0],
        &cache,
        &RopeOptions::default(),
    )
    .unwrap();
    assert_eq!(qo.data(), q.as_slice());
    assert_eq!(ko.data(), k.as_slice());
    // Position 1, dim pair (0, 2) rotates by 1 rad, pair (1, 3) by 1/100 rad.
    let (qo, _) = ops::rope_qk(
        &CPU,
        TensorView::new(&[1, 1, 4], &q).unwrap(),
        TensorView::new(&[1, 1, 4], &k).unwrap(),
        &[1],
        &cache,
        &RopeOptions::default(),
    )
    .unwrap();
    let (c, s) = (1f64.cos(), 1f64.sin());
    assert!((qo.data()[0] as f64 - (1.0 * c - 3.0 * s)).abs() < 1e-6);
    assert!((qo.data()[2] as f64 - (3.0 * c + 1.0 * s)).abs() < 1e-6);
}

// ---------------------------------------------------------------------------------------------
// Every validation path returns the error it names.

fn assert_shape_error<T: std::fmt::Debug>(r: Result<T, Error>, tensor: &str) {
    match r {
        Err(Error::Shape { tensor: t, .. }) => assert_eq!(t, tensor),
        other => panic!("expected a shape error on {tensor}, got {other:?}"),
    }
}

fn assert_option_error<T: std::fmt::Debug>(r: Result<T, Error>, option: &str) {
    match r {
        Err(Error::InvalidOption { option: o, .. }) => assert_eq!(o, option),
        other => panic!("expected an option error on {option}, got {other:?}"),
    }
}

#[test]
fn view_shape_must_hold_the_data() {
    let d = [0.0f32; 5];
    assert!(matches!(
        TensorView::new(&[2, 3], &d),
        Err(Error::ShapeDataMismatch {
            expected: 6,
            actual: 5,
            ..
        })
    ));
    assert!(Tensor::new(vec![2, 2], vec![0u8; 3]).is_err());
}

#[test]
fn mx_quant_rejects_bad_input() {
    let x = [1.0f32; 4];
    let empty: [f32; 0] = [];
    assert_shape_error(
        ops::mx_quant(
            &CPU,
            TensorView::new(&[], &x[..1]).unwrap(),
            &Default::default(),
        ),
        "x",
    );
    // A zero-sized last axis is not an error: the result is empty (tests/hostile_input.rs).
    let q = ops::mx_quant(
        &CPU,
        TensorView::new(&[4, 0], &empty).unwrap(),
        &Default::default(),
    )
    .unwrap();
    assert_eq!(
        (q.elements.shape(), q.scales.shape()),
        (&[4, 0][..], &[4, 0, 2][..])
    );
    let floor = MxQuantOptions {
        round: RoundMode::Floor,
        ..Default::default()
    };
    assert_option_error(
        ops::mx_quant(&CPU, TensorView::new(&[1, 4], &x).unwrap(), &floor),
        "round",
    );
}

fn mx_view<'a>(
    elements: &'a [u8],
    shape: &'a [usize],
    scales: &'a [E8M0],
    scale_shape: &'a [usize],
) -> MxView<'a> {
    MxView {
        format: Fp8Format::E4M3,
        elements: TensorView::new(shape, elements).unwrap(),
        scales: TensorView::new(scale_shape, scales).unwrap(),
    }
}

#[test]
fn mx_dequant_and_layouts_reject_bad_scales() {
    let y = [0u8; 64];
    let s = [E8M0::ONE; 4];
    let r: Result<Tensor<f32>, _> = ops::mx_dequant(&CPU, mx_view(&y, &[1, 64], &s, &[1, 2, 2]));
    assert_shape_error(r, "y_scale");
    assert_shape_error(
        ops::pair_scales_to_blocks(TensorView::new(&[1, 2, 2], &s).unwrap(), 64),
        "scale",
    );
    assert_shape_error(
        ops::pair_scales_to_blocks(TensorView::new(&[1, 1, 2], &s[..2]).unwrap(), 0),
        "scale",
    );
    assert_shape_error(
        ops::block_scales_to_pair(TensorView::new(&[], &s[..1]).unwrap()),
        "weight_scale",
    );
    let empty = ops::block_scales_to_pair(TensorView::new(&[4, 0], &s[..0]).unwrap()).unwrap();
    assert_eq!(empty.shape(), &[4, 0, 2]);
}

#[test]
fn mx_matmul_rejects_bad_shapes() {
    let e = [0u8; 64 * 3];
    let s = [E8M0::ONE; 6];
    let x = mx_view(&e[..64], &[1, 64], &s[..2], &[1, 1, 2]);
    let w = mx_view(&e[..128], &[2, 64], &s[..4], &[2, 1, 2]);
    let bias = [0.0f32; 3];
    let mm = |x, w, b| -> Result<Tensor<f32>, Error> { ops::mx_matmul(&CPU, x, w, b) };
    assert!(mm(x, w, None).is_ok());
    assert_shape_error(
        mm(
            mx_view(&e[..64], &[1, 1, 64], &s[..2], &[1, 1, 1, 2]),
            w,
            None,
        ),
        "x",
    );
    assert_shape_error(
        mm(
            x,
            mx_view(&e[..64], &[1, 1, 64], &s[..2], &[1, 1, 1, 2]),
            None,
        ),
        "w",
    );
    assert_shape_error(
        mm(x, mx_view(&e[..96], &[3, 32], &s[..6], &[3, 1, 2]), None),
        "w",
    );
    assert_shape_error(
        mm(x, w, Some(TensorView::new(&[3], &bias).unwrap())),
        "bias",
    );
    assert_shape_error(
        mm(mx_view(&e[..64], &[1, 64], &s[..4], &[1, 2, 2]), w, None),
        "x_scale",
    );
    assert_shape_error(
        mm(x, mx_view(&e[..128], &[2, 64], &s[..2], &[1, 1, 2]), None),
        "w_scale",
    );
}

#[test]
fn fp8_block_dequant_rejects_bad_input() {
    let w = [E4M3::ZERO; 6];
    let s = [1.0f32; 4];
    let run = |shape: &[usize], grid: &[usize], block| -> Result<Tensor<f32>, Error> {
        ops::fp8_block_dequant(
            &CPU,
            TensorView::new(shape, &w).unwrap(),
            TensorView::new(grid, &s[..grid.iter().product::<usize>()]).unwrap(),
            block,
        )
    };
    assert!(run(&[2, 3], &[1, 2], [2, 2]).is_ok());
    assert_option_error(run(&[2, 3], &[1, 2], [0, 2]), "block");
    assert_shape_error(run(&[6], &[1, 2], [2, 2]), "weight");
    assert_shape_error(run(&[2, 3], &[2, 2], [2, 2]), "weight_scale_inv");
}

#[test]
fn rms_norm_rejects_bad_input() {
    let x = bf16s(&[1.0; 8]);
    let xv = TensorView::new(&[2, 4], &x).unwrap();
    let w4 = TensorView::new(&[4], &x[..4]).unwrap();
    let w3 = TensorView::new(&[3], &x[..3]).unwrap();
    assert_shape_error(ops::rms_norm(&CPU, xv, w3, &Default::default()), "weight");
    let nan_eps = RmsNormOptions {
        eps: f32::NAN,
        mode: ops::RmsNormMode::Hf,
    };
    assert_option_error(ops::rms_norm(&CPU, xv, w4, &nan_eps), "eps");
    let r = TensorView::new(&[4, 2], &x).unwrap();
    assert_shape_error(
        ops::rms_norm_residual(&CPU, xv, r, w4, &Default::default()),
        "residual",
    );
}

#[test]
fn rope_rejects_bad_input() {
    let cache = RopeCache::new(1e6, 4, 8).unwrap();
    let d = [0.0f32; 16];
    let q = TensorView::new(&[2, 2, 4], &d).unwrap();
    let k = TensorView::new(&[2, 1, 4], &d[..8]).unwrap();
    let opts = RopeOptions::default();
    assert!(ops::rope_qk(&CPU, q, k, &[0, 7], &cache, &opts).is_ok());
    assert_shape_error(ops::rope_qk(&CPU, q, k, &[0], &cache, &opts), "q");
    let k2 = TensorView::new(&[2, 2, 2], &d[..8]).unwrap();
    assert_shape_error(ops::rope_qk(&CPU, q, k2, &[0, 1], &cache, &opts), "k");
    let big = RopeCache::new(1e6, 8, 8).unwrap();
    assert_option_error(ops::rope_qk(&CPU, q, k, &[0, 1], &big, &opts), "rotary_dim");
    match ops::rope_qk(&CPU, q, k, &[0, 8], &cache, &opts) {
        Err(Error::InvalidValue { tensor, .. }) => assert_eq!(tensor, "positions"),
        other => panic!("expected a positions error, got {other:?}"),
    }
    assert!(matches!(
        ops::rope_qk(&CPU, q, k, &[-1, 0], &cache, &opts),
        Err(Error::InvalidValue { .. })
    ));
    assert_option_error(RopeCache::new(f64::NAN, 4, 8), "theta");
    assert_option_error(RopeCache::new(1e6, 3, 8), "rotary_dim");
    assert_option_error(RopeCache::new(1e6, 4, 0), "max_positions");
    assert_shape_error(RopeCache::from_table(4, vec![0.0; 6]), "cos_sin_cache");
}

#[test]
fn dense_and_weight_only_matmul_reject_bad_shapes() {
    let d = [bf16::from_f32(1.0); 128];
    let mm = |xs: &[usize], ws: &[usize]| -> Result<Tensor<f32>, Error> {
        let (xn, wn) = (xs.iter().product::<usize>(), ws.iter().product::<usize>());
        ops::matmul(
            &CPU,
            TensorView::new(xs, &d[..xn]).unwrap(),
            TensorView::new(ws, &d[..wn]).unwrap(),
        )
    };
    assert!(mm(&[2, 32], &[3, 32]).is_ok());
    assert_shape_error(mm(&[2, 2, 8], &[3, 32]), "x");
    assert_shape_error(mm(&[2, 32], &[96]), "w");
    assert_shape_error(mm(&[2, 32], &[2, 16]), "w");
    let e = [0u8; 64];
    let s = [E8M0::ONE; 2];
    let w = mx_view(&e, &[2, 32], &s, &[2, 1, 1]);
    let x = TensorView::new(&[1, 32], &d[..32]).unwrap();
    let r: Result<Tensor<f32>, _> = ops::mx_matmul_weight_only(&CPU, x, w);
    assert_shape_error(r, "w_scale");
    let w = mx_view(&e, &[2, 32], &[E8M0::ONE; 4], &[2, 1, 2]);
    let x16 = TensorView::new(&[1, 16], &d[..16]).unwrap();
    let r: Result<Tensor<f32>, _> = ops::mx_matmul_weight_only(&CPU, x16, w);
    assert_shape_error(r, "w");
}

#[test]
fn rms_norm_sum_of_squares_beyond_f32_is_infinite() {
    // 128 values of 2e19: each square (4e38) overflows f32, as HF's f32 sum does: r = 0.
    let x = vec![2e19f32; 128];
    let w = vec![1.0f32; 128];
    let y = ops::rms_norm(
        &CPU,
        TensorView::new(&[1, 128], &x).unwrap(),
        TensorView::new(&[128], &w).unwrap(),
        &RmsNormOptions::default(),
    )
    .unwrap();
    assert!(y.data().iter().all(|&v| v == 0.0));
    // Just inside the range the f64 sum is used as usual.
    let x = vec![1e18f32; 128];
    let y = ops::rms_norm(
        &CPU,
        TensorView::new(&[1, 128], &x).unwrap(),
        TensorView::new(&[128], &w).unwrap(),
        &RmsNormOptions::default(),
    )
    .unwrap();
    assert!(
        y.data().iter().all(|&v| (v - 1.0).abs() < 1e-6),
        "{:?}",
        &y.data()[..2]
    );
}

#[test]
fn into_variants_equal_the_allocating_ops_and_check_buffer_sizes() {
    use ascend_kernels::ops::{fp8_block_dequant_into, mx_quant_into, rms_norm_into};
    use ascend_kernels::{E4M3, E8M0};
    let cpu = Backend::Cpu;
    let x: Vec<bf16> = (0..3 * 96)
        .map(|i| bf16::from_f32((i % 17) as f32 - 8.5))
        .collect();
    let shape = [3, 96];
    let xv = TensorView::new(&shape, &x).unwrap();

    let q = ops::mx_quant(&cpu, xv, &MxQuantOptions::default()).unwrap();
    let (mut e, mut s) = (vec![0u8; x.len()], vec![E8M0::MIN; 3 * 4]);
    mx_quant_into(&cpu, xv, &MxQuantOptions::default(), &mut e, &mut s).unwrap();
    assert_eq!((&e[..], &s[..]), (q.elements.data(), q.scales.data()));
    let err = mx_quant_into(&cpu, xv, &MxQuantOptions::default(), &mut e, &mut s[..3]).unwrap_err();
    assert!(err.to_string().contains("scales"), "{err}");
    let err = mx_quant_into(&cpu, xv, &MxQuantOptions::default(), &mut e[1..], &mut s).unwrap_err();
    assert!(err.to_string().contains("elements"), "{err}");

    let w: Vec<bf16> = (0..96)
        .map(|i| bf16::from_f32(1.0 + i as f32 / 96.0))
        .collect();
    let wv = TensorView::new(&[96], &w).unwrap();
    let y = ops::rms_norm(&cpu, xv, wv, &RmsNormOptions::default()).unwrap();
    let mut out = vec![bf16::ZERO; x.len()];
    rms_norm_into(&cpu, xv, wv, &RmsNormOptions::default(), &mut out).unwrap();
    assert_eq!(&out[..], y.data());
    let err = rms_norm_into(&cpu, xv, wv, &RmsNormOptions::default(), &mut out[1..]).unwrap_err();
    assert!(err.to_string().contains("out"), "{err}");

    let codes: Vec<E4M3> = (0..130 * 200)
        .map(|i| E4M3::from_bits((i % 126) as u8))
        .collect();
    let grid: Vec<f32> = (0..2 * 2).map(|i| 0.5 + i as f32).collect();
    let (cv, gv) = (
        TensorView::new(&[130, 200], &codes).unwrap(),
        TensorView::new(&[2, 2], &grid).unwrap(),
    );
    let d = ops::fp8_block_dequant::<f32, bf16>(&cpu, cv, gv, [128, 128]).unwrap();
    let mut out = vec![bf16::ZERO; codes.len()];
    fp8_block_dequant_into(&cpu, cv, gv, [128, 128], &mut out).unwrap();
    assert_eq!(&out[..], d.data());
    let err = fp8_block_dequant_into(&cpu, cv, gv, [128, 128], &mut out[..7]).unwrap_err();
    assert!(err.to_string().contains("out"), "{err}");
}
