//! Properties of the CPU reference, checked with proptest against independent formulas.

use ascend_kernels::ops::{
    self, MxQuantOptions, MxView, RmsNormOptions, RopeCache, RopeMode, RopeOptions, ScaleAlg,
    TinyBlocks,
};
use ascend_kernels::{Backend, Fp8Format, Tensor, TensorView, E8M0};
use half::bf16;
use proptest::prelude::*;

const CPU: Backend = Backend::Cpu;

/// A finite bf16 value with magnitude 2^e for e in [lo, hi] and a random mantissa and sign.
fn bf16_in(lo: i32, hi: i32) -> impl Strategy<Value = bf16> {
    (lo..=hi, 0u16..128, any::<bool>(), 0u8..10).prop_map(|(e, m, neg, zero)| {
        if zero == 0 {
            return bf16::from_f32(0.0);
        }
        let bits = (((e + 127) as u16) << 7) | m | if neg { 0x8000 } else { 0 };
        bf16::from_bits(bits)
    })
}

/// Rows of bf16 with a random K (tails included) and per-row magnitude offsets.
fn bf16_rows() -> impl Strategy<Value = (usize, Vec<bf16>)> {
    (1usize..5, 1usize..130, -100i32..100).prop_flat_map(|(rows, k, center)| {
        (
            Just(k),
            prop::collection::vec(bf16_in(center - 12, center + 12), rows * k),
        )
    })
}

fn formats() -> impl Strategy<Value = Fp8Format> {
    prop_oneof![Just(Fp8Format::E4M3), Just(Fp8Format::E5M2)]
}

/// Half an ulp of `format` at magnitude `v` (subnormal grid below the smallest normal).
fn half_ulp(format: Fp8Format, v: f64) -> f64 {
    let (mbits, emin) = match format {
        Fp8Format::E4M3 => (3, -6),
        Fp8Format::E5M2 => (2, -14),
    };
    let e = if v == 0.0 {
        emin
    } else {
        (v.log2().floor() as i32).max(emin)
    };
    2f64.powi(e - mbits) / 2.0
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    /// dequant(quant(x)) is within half an element ulp x scale of x, unless the scaled value
    /// lies beyond the format's max (OCP's top binade), where it saturates to max x scale.
    #[test]
    fn quant_dequant_round_trip((k, x) in bf16_rows(), format in formats(), rceil in any::<bool>()) {
        let shape = [x.len() / k, k];
        let options = MxQuantOptions {
            dst: format,
            scale_alg: if rceil { ScaleAlg::Rceil } else { ScaleAlg::Ocp },
            tiny_blocks: TinyBlocks::Scale,
            ..Default::default()
        };
        let q = ops::mx_quant(&CPU, TensorView::new(&shape, &x).unwrap(), &options).unwrap();
        let back: Tensor<f32> = ops::mx_dequant(&CPU, q.view()).unwrap();
        let blocks = ops::pair_scales_to_blocks(q.scales.view(), k).unwrap();
        let nb = k.div_ceil(32);
        for (i, (v, r)) in x.iter().zip(back.data()).enumerate() {
            let scale = blocks.data()[(i / k) * nb + (i % k) / 32].to_f32() as f64;
            let scaled = v.to_f32() as f64 / scale;
            let err = (v.to_f32() as f64 - *r as f64).abs();
            if scaled.abs() > format.max() as f64 {
                prop_assert!(!rceil, "RCEIL never saturates: {v} -> {r}");
                prop_assert_eq!(r.abs() as f64, format.max() as f64 * scale);
            } else {
                prop_assert!(err <= half_ulp(format, scaled.abs()) * scale, "{} -> {} (scale {})", v, r, scale);
            }
        }
    }

    /// Scale bytes follow the exponent rule, computed here from log2 in f64.
    #[test]
    fn scale_bytes_follow_the_exponent_rule((k, x) in bf16_rows(), format in formats(), rceil in any::<bool>()) {
        let shape = [x.len() / k, k];
        let options = MxQuantOptions {
            dst: format,
            scale_alg: if rceil { ScaleAlg::Rceil } else { ScaleAlg::Ocp },
            ..Default::default()
        };
        let q = ops::mx_quant(&CPU, TensorView::new(&shape, &x).unwrap(), &options).unwrap();
        let blocks = ops::pair_scales_to_blocks(q.scales.view(), k).unwrap();
        for (r, row) in x.chunks(k).enumerate() {
            for (j, block) in row.chunks(32).enumerate() {
                let amax = block.iter().map(|v| v.to_f32().abs() as f64).fold(0.0, f64::max);
                let byte = blocks.data()[r * k.div_ceil(32) + j].0 as i32;
                let expected = if amax == 0.0 {
                    0
                } else if rceil {
                    (amax / format.max() as f64).log2().ceil() as i32 + 127
                } else {
                    (amax.log2().floor() as i32 + 127 - format.emax()).max(0)
                };
                prop_assert_eq!(byte, expected, "amax {}", amax);
            }
        }
    }

    /// Flush and Scale agree on every block whose scale byte is not 0.
    #[test]
    fn tiny_block_policies_agree_elsewhere((k, x) in (1usize..4, 1usize..100, -130i32..-100)
        .prop_flat_map(|(rows, k, c)| (Just(k), prop::collection::vec(bf16_in(c - 10, c + 10), rows * k)))) {
        let shape = [x.len() / k, k];
        let view = TensorView::new(&shape, &x).unwrap();
        let flush = ops::mx_quant(&CPU, view, &MxQuantOptions::default()).unwrap();
        let scale = ops::mx_quant(&CPU, view, &MxQuantOptions { tiny_blocks: TinyBlocks::Scale, ..Default::default() }).unwrap();
        prop_assert_eq!(flush.scales.data(), scale.scales.data());
        let blocks = ops::pair_scales_to_blocks(flush.scales.view(), k).unwrap();
        for (i, (a, b)) in flush.elements.data().iter().zip(scale.elements.data()).enumerate() {
            let byte = blocks.data()[(i / k) * k.div_ceil(32) + (i % k) / 32];
            if byte != E8M0(0) {
                prop_assert_eq!(a, b);
            } else {
                prop_assert!(*a & 0x7F == 0, "flushed element {:#x}", a);
            }
        }
    }

    /// mx_matmul agrees with a plain f64 dot of the dequantized operands to f64 accuracy.
    #[test]
    fn mx_matmul_matches_dequantized_f64_dot(m in 1usize..4, n in 1usize..5, k in 1usize..100,
        seed in any::<u64>(), fx in formats(), fw in formats()) {
        let mut state = seed | 1;
        let mut next = || { state ^= state << 13; state ^= state >> 7; state ^= state << 17; state };
        let finite = |f: Fp8Format, b: u8| f.decode(b).is_finite();
        let mut bytes = |f: Fp8Format, len: usize| -> Vec<u8> {
            (0..len).map(|_| loop { let b = next() as u8; if finite(f, b) { break b; } }).collect()
        };
        let (xe, we) = (bytes(fx, m * k), bytes(fw, n * k));
        let pairs = k.div_ceil(64);
        let sx: Vec<E8M0> = (0..m * pairs * 2).map(|i| E8M0(110 + (i * 7 % 30) as u8)).collect();
        let sw: Vec<E8M0> = (0..n * pairs * 2).map(|i| E8M0(100 + (i * 5 % 40) as u8)).collect();
        let (xs, ws, xe_shape, we_shape) = ([m, pairs, 2], [n, pairs, 2], [m, k], [n, k]);
        let x = MxView { format: fx, elements: TensorView::new(&xe_shape, &xe).unwrap(), scales: TensorView::new(&xs, &sx).unwrap() };
        let w = MxView { format: fw, elements: TensorView::new(&we_shape, &we).unwrap(), scales: TensorView::new(&ws, &sw).unwrap() };
        let y: Tensor<f32> = ops::mx_matmul(&CPU, x, w, None).unwrap();
        for i in 0..m {
            for j in 0..n {
                let mut dot = 0f64;
                let mut mag = 0f64;
                for t in 0..k {
                    let a = fx.decode(xe[i * k + t]) as f64 * sx[i * pairs * 2 + t / 32].to_f32() as f64;
                    let b = fw.decode(we[j * k + t]) as f64 * sw[j * pairs * 2 + t / 32].to_f32() as f64;
                    dot += a * b;
                    mag += (a * b).abs();
                }
                let got = y.data()[i * n + j] as f64;
                let f32_half_ulp = got.abs() * 2f64.powi(-24) + f64::MIN_POSITIVE;
                prop_assert!((got - dot).abs() <= mag * 2f64.powi(-45) + f32_half_ulp, "{} vs {}", got, dot);
            }
        }
    }

    /// rms_norm is row-wise: permuting rows permutes the output rows; and it is within one
    /// bf16 ulp of an f64 evaluation of x / rms(x) * w.
    #[test]
    fn rms_norm_rows_are_independent(rows in 1usize..6, h in 1usize..80, shift in 1usize..5,
        data in prop::collection::vec(bf16_in(-20, 20), 6 * 80), w in prop::collection::vec(bf16_in(-2, 2), 80)) {
        let x = &data[..rows * h];
        let w = &w[..h];
        let opts = RmsNormOptions::default();
        let y = ops::rms_norm(&CPU, TensorView::new(&[rows, h], x).unwrap(), TensorView::new(&[h], w).unwrap(), &opts).unwrap();
        let rotated: Vec<bf16> = (0..rows).flat_map(|r| x[((r + shift) % rows) * h..][..h].to_vec()).collect();
        let yr = ops::rms_norm(&CPU, TensorView::new(&[rows, h], &rotated).unwrap(), TensorView::new(&[h], w).unwrap(), &opts).unwrap();
        for r in 0..rows {
            prop_assert_eq!(&yr.data()[r * h..][..h], &y.data()[((r + shift) % rows) * h..][..h]);
            let row = &x[r * h..][..h];
            let ms: f64 = row.iter().map(|v| (v.to_f32() as f64).powi(2)).sum::<f64>() / h as f64;
            let rinv = 1.0 / (ms + 1e-6).sqrt();
            for c in 0..h {
                let exact = row[c].to_f32() as f64 * rinv * w[c].to_f32() as f64;
                let got = y.data()[r * h + c].to_f32() as f64;
                // Two bf16 roundings (HF casts before the weight multiply): within 2^-7 relative.
                prop_assert!((got - exact).abs() <= exact.abs() * 2f64.powi(-7) + 1e-30, "{} vs {}", got, exact);
            }
        }
    }

    /// rope is token-wise: permuting tokens (with their positions) permutes the outputs.
    #[test]
    fn rope_tokens_are_independent(t in 1usize..6, shift in 1usize..5, f32c in any::<bool>(),
        data in prop::collection::vec(bf16_in(-4, 4), 6 * 3 * 16), pos in prop::collection::vec(0i64..64, 6)) {
        let cache = RopeCache::new(1e6, 12, 64).unwrap();
        let (hq, hk, d) = (2, 1, 16);
        let q = &data[..t * hq * d];
        let k = &data[t * hq * d..][..t * hk * d];
        let pos = &pos[..t];
        let opts = RopeOptions { mode: if f32c { RopeMode::F32Compute } else { RopeMode::Hf } };
        let (qo, ko) = ops::rope_qk(&CPU, TensorView::new(&[t, hq, d], q).unwrap(), TensorView::new(&[t, hk, d], k).unwrap(), pos, &cache, &opts).unwrap();
        let perm: Vec<usize> = (0..t).map(|i| (i + shift) % t).collect();
        let gather = |src: &[bf16], per: usize| -> Vec<bf16> { perm.iter().flat_map(|&i| src[i * per..][..per].to_vec()).collect() };
        let (q2, k2) = (gather(q, hq * d), gather(k, hk * d));
        let p2: Vec<i64> = perm.iter().map(|&i| pos[i]).collect();
        let (qo2, ko2) = ops::rope_qk(&CPU, TensorView::new(&[t, hq, d], &q2).unwrap(), TensorView::new(&[t, hk, d], &k2).unwrap(), &p2, &cache, &opts).unwrap();
        let (qg, kg) = (gather(qo.data(), hq * d), gather(ko.data(), hk * d));
        prop_assert_eq!(qo2.data(), qg.as_slice());
        prop_assert_eq!(ko2.data(), kg.as_slice());
        // Dims beyond rotary_dim (12..16) pass through unchanged.
        for (a, b) in qo.data().chunks(d).zip(q.chunks(d)) {
            prop_assert_eq!(&a[12..], &b[12..]);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// The dense matmul agrees with a plain f64 dot to f64 accuracy, rounded once.
    #[test]
    fn dense_matmul_matches_f64_dot(m in 1usize..4, n in 1usize..6, k in 1usize..70,
        data in prop::collection::vec(bf16_in(-8, 8), 10 * 70)) {
        let x = &data[..m * k];
        let w = &data[m * k..][..n * k];
        let y: Tensor<f32> = ops::matmul(&CPU, TensorView::new(&[m, k], x).unwrap(), TensorView::new(&[n, k], w).unwrap()).unwrap();
        for i in 0..m {
            for j in 0..n {
                let terms: Vec<f64> = (0..k).map(|t| x[i * k + t].to_f32() as f64 * w[j * k + t].to_f32() as f64).collect();
                let dot: f64 = terms.iter().sum();
                let mag: f64 = terms.iter().map(|t| t.abs()).sum();
                let got = y.data()[i * n + j] as f64;
                prop_assert!((got - dot).abs() <= mag * 2f64.powi(-45) + got.abs() * 2f64.powi(-24), "{} vs {}", got, dot);
            }
        }
    }

    /// Weight-only MX matmul equals the dense matmul of the dequantized weights (both exact
    /// sums of the same exact terms) and uses every block's own scale.
    #[test]
    fn weight_only_equals_dense_on_dequantized(m in 1usize..4, n in 1usize..5, k in 1usize..100,
        x in prop::collection::vec(bf16_in(-6, 6), 4 * 100), w in prop::collection::vec(bf16_in(-20, 20), 5 * 100)) {
        let x = &x[..m * k];
        let wq = ops::mx_quant(&CPU, TensorView::new(&[n, k], &w[..n * k]).unwrap(), &MxQuantOptions::default()).unwrap();
        let y: Tensor<f32> = ops::mx_matmul_weight_only(&CPU, TensorView::new(&[m, k], x).unwrap(), wq.view()).unwrap();
        let wd: Tensor<f32> = ops::mx_dequant(&CPU, wq.view()).unwrap();
        let xf: Vec<f32> = x.iter().map(|v| v.to_f32()).collect();
        let yd: Tensor<f32> = ops::matmul(&CPU, TensorView::new(&[m, k], &xf).unwrap(), wd.view()).unwrap();
        prop_assert_eq!(y.data(), yd.data());
    }
}
