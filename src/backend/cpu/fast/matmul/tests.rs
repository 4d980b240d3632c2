use super::*;
use crate::backend::cpu::{matmul as reference, mx_matmul};
use crate::formats::Fp8Format;
use crate::tensor::TensorView;
use half::{bf16, f16};
use proptest::prelude::*;

/// bf16 values over a wide exponent range, with zeros, and (rarely) Inf/NaN.
fn bf16_value() -> impl Strategy<Value = bf16> {
    prop_oneof![
        400 => (any::<bool>(), 100u16..160, 0u16..128)
            .prop_map(|(s, e, m)| bf16::from_bits((s as u16) << 15 | e << 7 | m)),
        40 => (any::<bool>(), 0u16..255, 0u16..128)
            .prop_map(|(s, e, m)| bf16::from_bits((s as u16) << 15 | e << 7 | m)),
        20 => Just(bf16::ZERO),
        1 => prop_oneof![Just(bf16::INFINITY), Just(bf16::NAN)],
    ]
}

fn scale_byte() -> impl Strategy<Value = u8> {
    prop_oneof![40 => 110u8..145, 2 => 0u8..4, 2 => 250u8..255, 1 => Just(255u8)]
}

fn format() -> impl Strategy<Value = Fp8Format> {
    prop_oneof![Just(Fp8Format::E4M3), Just(Fp8Format::E5M2)]
}

fn bits<O: FloatElement>(v: &[O]) -> Vec<u32> {
    v.iter().map(|x| x.to_bits_u32()).collect()
}

fn both_outputs_dense<O: FloatElement>(x: &[bf16], w: &[bf16], m: usize, n: usize, k: usize) {
    let mut fast = vec![O::from_f32(0.0); m * n];
    let mut slow = fast.clone();
    dense(x, w, m, n, k, &mut fast);
    reference::dense(x, w, n, k, &mut slow);
    assert_eq!(bits(&fast), bits(&slow), "dense m={m} n={n} k={k}");
}

#[derive(Debug)]
struct Mx {
    codes: Vec<u8>,
    scales: Vec<E8M0>,
    shape: [usize; 2],
    scale_shape: [usize; 3],
    format: Fp8Format,
}

impl Mx {
    fn new(rows: usize, k: usize, format: Fp8Format, codes: Vec<u8>, bytes: Vec<u8>) -> Self {
        let pairs = k.div_ceil(BLOCK).div_ceil(2);
        Mx {
            codes,
            scales: bytes.into_iter().map(E8M0::from_bits).collect(),
            shape: [rows, k],
            scale_shape: [rows, pairs, 2],
            format,
        }
    }
    fn view(&self) -> MxView<'_> {
        MxView {
            format: self.format,
            elements: TensorView::new(&self.shape, &self.codes).unwrap(),
            scales: TensorView::new(&self.scale_shape, &self.scales).unwrap(),
        }
    }
}

/// Mostly normal codes (the lane kernel's fast case), some zeros, rarely subnormal or
/// any byte at all (0x7B and below in magnitude are finite in both formats).
fn code() -> impl Strategy<Value = u8> {
    let signed = |lo: u8, hi: u8| (any::<bool>(), lo..hi).prop_map(|(s, c)| (s as u8) << 7 | c);
    prop_oneof![4000 => signed(0x08, 0x7C), 40 => Just(0u8), 4 => signed(0, 8), 1 => any::<u8>()]
}

fn mx_operand(rows: usize, k: usize) -> impl Strategy<Value = Mx> {
    let pairs = k.div_ceil(BLOCK).div_ceil(2);
    (
        format(),
        prop::collection::vec(code(), rows * k),
        prop::collection::vec(scale_byte(), rows * pairs * 2),
    )
        .prop_map(move |(f, c, s)| Mx::new(rows, k, f, c, s))
}

fn shapes() -> impl Strategy<Value = (usize, usize, usize)> {
    (
        prop_oneof![1usize..5, 5usize..11],
        1usize..19,
        prop_oneof![1usize..40, 60usize..200],
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn dense_equals_the_reference(
        (m, n, k, x, w) in shapes().prop_flat_map(|(m, n, k)| (
            Just(m), Just(n), Just(k),
            prop::collection::vec(bf16_value(), m * k),
            prop::collection::vec(bf16_value(), n * k),
        ))
    ) {
        both_outputs_dense::<bf16>(&x, &w, m, n, k);
        both_outputs_dense::<f16>(&x, &w, m, n, k);
        both_outputs_dense::<f32>(&x, &w, m, n, k);
    }

    #[test]
    fn weight_only_equals_the_reference(
        (m, n, k, x, w) in shapes().prop_flat_map(|(m, n, k)| (
            Just(m), Just(n), Just(k),
            prop::collection::vec(bf16_value(), m * k),
            mx_operand(n, k),
        ))
    ) {
        let (mut fast, mut slow) = (vec![bf16::ZERO; m * n], vec![bf16::ZERO; m * n]);
        weight_only(&x, &w.view(), m, n, k, &mut fast);
        reference::weight_only(&x, &w.view(), n, k, &mut slow);
        prop_assert_eq!(bits(&fast), bits(&slow));
        let (mut fast, mut slow) = (vec![0f32; m * n], vec![0f32; m * n]);
        weight_only(&x, &w.view(), m, n, k, &mut fast);
        reference::weight_only(&x, &w.view(), n, k, &mut slow);
        prop_assert_eq!(bits(&fast), bits(&slow));
    }

    #[test]
    fn mx_equals_the_reference(
        (m, n, k, x, w, bias) in shapes().prop_flat_map(|(m, n, k)| (
            Just(m), Just(n), Just(k),
            mx_operand(m, k),
            mx_operand(n, k),
            prop::option::of(prop::collection::vec(-1e3f32..1e3, n)),
        ))
    ) {
        let b = bias.as_deref();
        let (mut fast, mut slow) = (vec![bf16::ZERO; m * n], vec![bf16::ZERO; m * n]);
        mx(&x.view(), &w.view(), b, m, n, k, &mut fast);
        mx_matmul::matmul(&x.view(), &w.view(), b, m, n, k, &mut slow);
        prop_assert_eq!(bits(&fast), bits(&slow));
        let (mut fast, mut slow) = (vec![0f32; m * n], vec![0f32; m * n]);
        mx(&x.view(), &w.view(), b, m, n, k, &mut fast);
        mx_matmul::matmul(&x.view(), &w.view(), b, m, n, k, &mut slow);
        prop_assert_eq!(bits(&fast), bits(&slow));
    }
}

#[test]
fn special_codes_and_scales_in_single_rows_match_the_reference() {
    // One x row takes the direct first tier (bf16 outputs: f32 ones are rarely certified);
    // a NaN/Inf code or a NaN scale must not be decoded as a finite value there. The
    // special value sits in several blocks in turn.
    let k = 160;
    let x: Vec<bf16> = (0..k)
        .map(|i| bf16::from_f32(1.0 + (i % 3) as f32))
        .collect();
    let cases = [
        (Fp8Format::E4M3, 0x7F_u8, 0x38_u8),
        (Fp8Format::E4M3, 0xFF, 0x38),
        (Fp8Format::E5M2, 0x7C, 0x3C),
        (Fp8Format::E5M2, 0xFE, 0x3C),
    ];
    for (format, special, one) in cases {
        for at in [0, 31, 32, 100, k - 1] {
            let mut codes = vec![one; 2 * k];
            codes[k + at] = special;
            let w = Mx::new(2, k, format, codes, vec![127; 2 * 6]);
            let (mut fast, mut slow) = (vec![bf16::ZERO; 2], vec![bf16::ZERO; 2]);
            weight_only(&x, &w.view(), 1, 2, k, &mut fast);
            reference::weight_only(&x, &w.view(), 2, k, &mut slow);
            assert!(!slow[1].is_finite(), "{format:?} {special:#04x} at {at}");
            assert_eq!(fast[0], slow[0], "{format:?} {special:#04x} at {at}");
            assert_eq!(fast[1].to_bits(), slow[1].to_bits(), "{format:?} at {at}");
        }
    }
    let mut scales = vec![127u8; 2 * 6];
    scales[6 + 3] = 0xFF;
    let w = Mx::new(2, k, Fp8Format::E4M3, vec![0x38; 2 * k], scales);
    let (mut fast, mut slow) = (vec![bf16::ZERO; 2], vec![bf16::ZERO; 2]);
    weight_only(&x, &w.view(), 1, 2, k, &mut fast);
    reference::weight_only(&x, &w.view(), 2, k, &mut slow);
    assert!(slow[1].is_nan() && fast[1].is_nan() && fast[0] == slow[0]);
}

#[test]
fn huge_and_subnormal_activations_in_one_row_match_the_reference() {
    // max|x| ≥ 2^127 leaves no room to prescale x up: the direct tier keeps x as it is
    // (p = 0) and its products may underflow, which its bound covers. bf16 x of both
    // extremes in one row, against FP8 weights.
    let k = 96;
    let mut x = vec![bf16::from_bits(0x0001); k]; // 2^-133, the least bf16 subnormal
    x[5] = bf16::from_bits(0x7F7F); // the largest finite bf16, ≈ 1.99·2^127
    x[40] = bf16::from_bits(0x8003);
    for format in [Fp8Format::E4M3, Fp8Format::E5M2] {
        let codes: Vec<u8> = (0..2 * k)
            .map(|i| if i == 5 { 0 } else { 0x21 + (i % 7) as u8 })
            .collect();
        let w = Mx::new(2, k, format, codes, vec![127; 2 * 4]);
        let (mut fast, mut slow) = (vec![bf16::ZERO; 2], vec![bf16::ZERO; 2]);
        weight_only(&x, &w.view(), 1, 2, k, &mut fast);
        reference::weight_only(&x, &w.view(), 2, k, &mut slow);
        assert_eq!(bits(&fast), bits(&slow), "{format:?}");
    }
}

#[cfg(target_arch = "x86_64")]
#[test]
fn flush_to_zero_threads_leave_every_output_to_the_reference() {
    fn set_flush_to_zero() {
        let mut csr: u32 = 0;
        // SAFETY: stores MXCSR into the live local, then loads it back with FTZ and DAZ
        // set; this affects only the calling (pool) thread's floating-point mode.
        unsafe {
            std::arch::asm!("stmxcsr [{}]", in(reg) std::ptr::addr_of_mut!(csr));
            csr |= (1 << 15) | (1 << 6);
            std::arch::asm!("ldmxcsr [{}]", in(reg) std::ptr::addr_of!(csr));
        }
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .start_handler(|_| set_flush_to_zero())
        .build()
        .expect("a one-thread pool");
    let (k, n) = (64, 5);
    let x: Vec<bf16> = (0..k)
        .map(|i| bf16::from_f32(i as f32 * 0.25 - 3.0))
        .collect();
    let w: Vec<bf16> = (0..n * k)
        .map(|i| bf16::from_f32((i % 9) as f32 - 4.0))
        .collect();
    let before = fallbacks();
    let mut fast = vec![bf16::ZERO; n];
    pool.install(|| dense(&x, &w, 1, n, k, &mut fast));
    assert!(
        fallbacks() >= before + n,
        "flush-to-zero outputs were certified"
    );
    let mut slow = vec![bf16::ZERO; n];
    reference::dense(&x, &w, n, k, &mut slow);
    assert_eq!(fast, slow);
}

#[test]
fn cancelling_single_row_sums_match_the_reference() {
    // Each weight row's last entry nearly cancels the rest of its dot product, so the
    // sums are far smaller than Σ|terms| and an understated error bound would certify
    // wrong roundings (the bounds of the direct tiers are what this exercises).
    let (k, n) = (1024, 512);
    let mut random = crate::test_rng::xorshift64(0x2545_f491_4f6c_dd1d);
    let mut next = || (random() >> 40) as f32 / (1u64 << 24) as f32 * 4.0 - 2.0;
    let x: Vec<bf16> = (0..k).map(|_| bf16::from_f32(next())).collect();
    let mut w = Vec::with_capacity(n * k);
    for _ in 0..n {
        let row: Vec<bf16> = (0..k - 1).map(|_| bf16::from_f32(next())).collect();
        let partial: f64 = row
            .iter()
            .zip(&x)
            .map(|(a, b)| a.to_f64() * b.to_f64())
            .sum();
        w.extend(row);
        w.push(bf16::from_f64(-partial / x[k - 1].to_f64()));
    }
    let (mut fast, mut slow) = (vec![bf16::ZERO; n], vec![bf16::ZERO; n]);
    dense(&x, &w, 1, n, k, &mut fast);
    reference::dense(&x, &w, n, k, &mut slow);
    assert_eq!(bits(&fast), bits(&slow));
}

#[test]
fn an_exact_tie_is_handed_to_the_reference() {
    // 1 + 2^-8 lies exactly between two bf16 values: no bound can certify it.
    let x = [bf16::ONE, bf16::from_f32(1.0 / 256.0)];
    let w = [bf16::ONE, bf16::ONE];
    let before = fallbacks();
    let mut out = [bf16::ZERO];
    dense(&x, &w, 1, 1, 2, &mut out);
    assert!(
        fallbacks() > before,
        "the tie was not recomputed by the reference"
    );
    assert_eq!(out[0], bf16::ONE, "ties go to even");
}

#[test]
fn ordinary_sums_are_certified_without_the_reference() {
    let k = 1024;
    let x: Vec<bf16> = (0..k)
        .map(|i| bf16::from_f32((i % 13) as f32 * 0.37 - 2.0))
        .collect();
    let w: Vec<bf16> = (0..k)
        .map(|i| bf16::from_f32((i % 7) as f32 * 0.11 + 0.5))
        .collect();
    let mut fast = [bf16::ZERO];
    // Another test may fall back concurrently; repeat until a quiet window proves ours did not.
    let certified = (0..20).any(|_| {
        let before = fallbacks();
        dense(&x, &w, 1, 1, k, &mut fast);
        fallbacks() == before
    });
    assert!(certified, "an ordinary dot product always fell back");
    let mut slow = [bf16::ZERO];
    reference::dense(&x, &w, 1, k, &mut slow);
    assert_eq!(fast, slow);
}
