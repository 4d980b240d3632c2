use super::*;
use crate::test_rng::xorshift64;

#[test]
fn fp8_decoding_matches_the_tables_for_every_code() {
    for format in [Fp8Format::E4M3, Fp8Format::E5M2] {
        let codes: Vec<u8> = (0..=255u8).chain(0..=255u8).take(509).collect();
        let mut fast = vec![0f32; codes.len()];
        let mut slow = vec![0f32; codes.len()];
        let fast_ok = decode_fp8(format, &codes, &mut fast);
        decode_fp8_portable(format, &codes, &mut slow);
        assert!(!fast_ok, "{format:?}: NaN codes not flagged");
        for ((&c, a), b) in codes.iter().zip(&fast).zip(&slow) {
            if b.is_finite() {
                assert_eq!(a.to_bits(), b.to_bits(), "{format:?} code {c:#04x}");
            }
        }
        let finite: Vec<u8> = (0..=255u8)
            .filter(|&c| format.table()[c as usize].is_finite())
            .collect();
        let mut out = vec![0f32; finite.len()];
        assert!(decode_fp8(format, &finite, &mut out), "{format:?}");
    }
}

#[test]
fn lane_dot_decodes_every_finite_code_exactly() {
    if !lane_dot_available() {
        return;
    }
    for format in [Fp8Format::E4M3, Fp8Format::E5M2] {
        let table = format.table();
        let codes: Vec<u8> = (0..=255u8)
            .filter(|&c| table[c as usize].is_finite())
            .collect();
        for block in codes.chunks(BLOCK) {
            for i in 0..block.len() {
                // One-hot x picks code i: the dot is that code's value, exactly.
                let mut x = vec![0f32; BLOCK];
                x[i] = 1.0;
                let mut xp = vec![0f32; BLOCK];
                permute16(&x, &mut xp);
                let xap: Vec<f32> = xp.iter().map(|v| v.abs()).collect();
                for with_abs in [false, true] {
                    let (s, a) = lane_dot(&xp, &xap, WRow::Fp8(format, block), &[1.0], with_abs)
                        .expect("finite codes");
                    let want = table[block[i] as usize] as f64;
                    assert_eq!(
                        s.to_bits() & !(1 << 63),
                        want.to_bits() & !(1 << 63),
                        "{format:?} {:#04x}",
                        block[i]
                    );
                    assert_eq!(s, want, "{format:?} {:#04x}", block[i]);
                    if with_abs {
                        assert_eq!(a, want.abs(), "{format:?} {:#04x} magnitude", block[i]);
                    }
                }
            }
        }
        let nan_code = (0..=255u8)
            .find(|&c| !table[c as usize].is_finite())
            .unwrap();
        let row = [nan_code; BLOCK];
        let xp = vec![1f32; BLOCK];
        assert!(lane_dot(&xp, &xp, WRow::Fp8(format, &row), &[1.0], false).is_none());
    }
}

#[test]
fn bf16_direct_sums_stay_within_their_bound() {
    if !lane_dot_available() {
        return;
    }
    let mut next = xorshift64(0x9E37_79B9_7F4A_7C15);
    for k in [1usize, 31, 32, 33, 200, 1024] {
        let nb = k.div_ceil(BLOCK);
        // bf16 values over 2^-20..2^20 of both signs: sums with cancellation.
        let mut value = || {
            let r = next();
            let bits = ((r >> 63) << 15) as u16 | ((107 + (r >> 8) % 41) << 7) as u16;
            half::bf16::from_bits(bits | (r & 0x7F) as u16)
        };
        let x: Vec<f32> = (0..k).map(|_| value().to_f32()).collect();
        let w: Vec<half::bf16> = (0..k).map(|_| value()).collect();
        let mut xp = x.clone();
        xp.resize(nb * BLOCK, 0.0);
        let (mut eo, mut eo_abs) = (vec![0f32; xp.len()], vec![0f32; xp.len()]);
        even_odd(&xp, &mut eo, &mut eo_abs);
        let bits: Vec<u16> = w.iter().map(|v| v.to_bits()).collect();
        let (s, w_max) = lane_bf16_direct(&eo, &bits, false).expect("AVX2");
        let (a, _) = lane_bf16_direct(&eo_abs, &bits, true).expect("AVX2");
        let terms = x.iter().zip(&w).map(|(p, q)| f64::from(*p) * q.to_f64());
        let exact: f64 = terms.clone().sum();
        let magnitude: f64 = terms.map(f64::abs).sum();
        let u = 2f64.powi(-24);
        let bound = (6.0 * u / (1.0 - 6.0 * u) + (nb + 8) as f64 * f64::EPSILON) * magnitude;
        assert!(
            (s - exact).abs() <= bound,
            "k {k}: {s} vs {exact} (bound {bound})"
        );
        assert!(
            (a - magnitude).abs() <= bound,
            "k {k}: magnitudes {a} vs {magnitude}"
        );
        let true_max = w.iter().map(|v| v.to_f32().abs()).fold(0f32, f32::max);
        assert_eq!(w_max, true_max, "k {k}");
    }
}

#[test]
fn fp8_direct_sums_stay_within_their_bound() {
    if !lane_dot_available() {
        return;
    }
    let mut next = xorshift64(0x0123_4567_89AB_CDEF);
    for format in [Fp8Format::E4M3, Fp8Format::E5M2] {
        let table = format.table();
        for k in [1usize, 32, 70, 1024] {
            let nb = k.div_ceil(BLOCK);
            let codes: Vec<u8> = (0..k)
                .map(|_| loop {
                    let c = next() as u8;
                    if table[c as usize].is_finite() {
                        break c;
                    }
                })
                .collect();
            let scale_bytes: Vec<u8> = (0..nb).map(|_| 117 + (next() % 20) as u8).collect();
            let x: Vec<f32> = (0..nb * BLOCK)
                .map(|i| {
                    if i < k {
                        (next() % 2001) as f32 / 100.0 - 10.0
                    } else {
                        0.0
                    }
                })
                .collect();
            let (mut xs, mut xs_abs) = (vec![0f32; x.len()], vec![0f32; x.len()]);
            let unscale = prescale_for(format, &x, &mut xs, &mut xs_abs);
            let mut c = vec![0f32; nb];
            assert!(e8m0_scales(&scale_bytes, &mut c));
            let l1: Vec<f32> = x
                .chunks(BLOCK)
                .map(|b| b.iter().map(|v| v.abs()).sum())
                .collect();
            let d = lane_fp8_direct(&xs, &c, &l1, format, &codes, false).expect("AVX2");
            let a = lane_fp8_direct(&xs_abs, &c, &l1, format, &codes, true).expect("AVX2");
            let term = |i: usize| {
                f64::from(x[i]) * f64::from(table[codes[i] as usize]) * f64::from(c[i / BLOCK])
            };
            let exact: f64 = (0..k).map(term).sum();
            let magnitude: f64 = (0..k).map(|i| term(i).abs()).sum();
            let u = 2f64.powi(-24);
            let rel = 6.0 * u / (1.0 - 6.0 * u) + (nb + 8) as f64 * f64::EPSILON;
            let (s, a) = (d.sum * unscale, a.sum * unscale);
            assert!(
                (s - exact).abs() <= rel * magnitude,
                "{format:?} k {k}: {s} vs {exact}"
            );
            assert!(
                (a - magnitude).abs() <= rel * magnitude,
                "{format:?} k {k}: |{a}|"
            );
            let scale_sum: f64 = c.iter().map(|&v| f64::from(v)).sum();
            assert!(d.scale_sum >= scale_sum && d.scale_sum <= scale_sum * 1.001);
            let l1_sum: f64 = c
                .iter()
                .zip(&l1)
                .map(|(&a, &b)| f64::from(a) * f64::from(b))
                .sum();
            assert!(d.l1 >= l1_sum && d.l1 <= l1_sum * 1.001, "{format:?} k {k}");
        }
    }
}

#[test]
fn tile_sums_stay_within_their_bound() {
    if !lane_dot_available() {
        return;
    }
    let mut next = xorshift64(0xDEAD_BEEF_0BAD_F00D);
    let len = 8 * BLOCK;
    let mut row = || -> Vec<f32> {
        (0..len)
            .map(|_| {
                let r = next();
                let v = half::bf16::from_bits(
                    ((r >> 63) << 15) as u16
                        | ((110 + (r >> 8) % 30) << 7) as u16
                        | (r & 0x7F) as u16,
                );
                v.to_f32()
            })
            .collect()
    };
    let x: Vec<Vec<f32>> = (0..3).map(|_| row()).collect();
    let w: Vec<Vec<f32>> = (0..2).map(|_| row()).collect();
    let sums = tile_dots([&x[0][..], &x[1][..], &x[2][..]], [&w[0][..], &w[1][..]]).expect("AVX2");
    let u = 2f64.powi(-24);
    let l = TILE_ROUNDINGS as f64;
    let rel = l * u / (1.0 - l * u) + (len / TILE_GROUP + 8) as f64 * f64::EPSILON;
    for (r, xr) in x.iter().enumerate() {
        for (n, wn) in w.iter().enumerate() {
            let terms = xr
                .iter()
                .zip(wn)
                .map(|(a, b)| f64::from(*a) * f64::from(*b));
            let exact: f64 = terms.clone().sum();
            let magnitude: f64 = terms.map(f64::abs).sum();
            let s = sums[r][n];
            assert!(
                (s - exact).abs() <= rel * magnitude,
                "x {r} w {n}: {s} vs {exact}"
            );
        }
    }
}

#[test]
fn vector_and_portable_dots_agree_on_exact_sums() {
    // Small integers: every sum is exact in any order, so both versions must agree bitwise.
    let x: Vec<f32> = (0..96).map(|i| (i % 7) as f32 - 3.0).collect();
    let w: Vec<f32> = (0..96).map(|i| (i % 5) as f32 - 2.0).collect();
    let c = [0.5, 4.0, -0.0f64.abs() + 1.0];
    let want = scaled_dot_portable(&x, &w, &c);
    assert_eq!(scaled_dot(&x, &w, &c), want);
    let exact: f64 = (0..96).map(|i| (x[i] * w[i]) as f64 * c[i / 32]).sum();
    assert_eq!(want.0, exact);
}
