//! What `docs/numerics.md` ("NaN outputs across backends") promises about NaN outputs, checked on
//! every backend for every op: the class of each output element (NaN or not) is the CPU
//! reference's; a NaN output has the CPU's sign when the NaNs it comes from have one sign and
//! none is a negative FP8 NaN code (E4M3 `0xFF`, E5M2 `0xFD..=0xFF`, which the CPU decodes to
//! +NaN); a reduction over NaNs of both signs may give either sign; payloads are not compared.
//! Every other element is compared bit for bit by the ops' own parity tests. Inputs are also
//! given twice (the same view as two arguments), which every backend must accept.

use ascend_kernels::ops::{
    self, MxQuantOptions, MxView, RmsNormOptions, RopeCache, RopeMode, RopeOptions,
};
use ascend_kernels::{Backend, FloatElement, Fp8Format, Tensor, TensorView, E4M3, E8M0};
use half::bf16;

fn sims() -> Vec<Backend> {
    if !ascend_kernels::backend::sim::available() {
        return Vec::new();
    }
    ["a2", "a5"]
        .iter()
        .map(|t| Backend::from_cli("sim", Some(t)).unwrap())
        .collect()
}

/// (is NaN, sign bit) per element.
fn classes<T: FloatElement>(t: &Tensor<T>) -> Vec<(bool, bool)> {
    t.data()
        .iter()
        .map(|v| (v.to_f32().is_nan(), v.to_f32().is_sign_negative()))
        .collect()
}

/// NaN positions equal; NaN signs equal except at `sign_free` positions.
fn same_nans<T: FloatElement>(what: &str, cpu: &Tensor<T>, other: &Tensor<T>, sign_free: &[usize]) {
    let (a, b) = (classes(cpu), classes(other));
    assert_eq!(a.len(), b.len(), "{what}");
    for (i, (x, y)) in a.iter().zip(&b).enumerate() {
        assert_eq!(x.0, y.0, "{what}: element {i} NaN on one backend only");
        if x.0 && !sign_free.contains(&i) {
            assert_eq!(x.1, y.1, "{what}: element {i} NaN sign");
        }
    }
}

/// bf16 rows of 64 with a NaN of each payload and sign at column 3.
fn nan_rows() -> Vec<bf16> {
    let mut x: Vec<bf16> = (0..6 * 64)
        .map(|i| bf16::from_f32(((i * 29) % 37) as f32 / 8.0 - 2.0))
        .collect();
    for (r, bits) in [0x7fc0u16, 0xffc0, 0x7f81, 0xff81, 0x7fff, 0xffff]
        .iter()
        .enumerate()
    {
        x[r * 64 + 3] = bf16::from_bits(*bits);
    }
    x[5 * 64 + 7] = bf16::INFINITY;
    x
}

#[test]
fn nan_classes_and_signs_agree_across_backends() {
    let x = nan_rows();
    // finite residual rows (a NaN in x and one of the other sign in the residual would make the
    // row's NaN sign depend on the reduction order)
    let xr: Vec<bf16> = (0..6 * 64)
        .map(|i| bf16::from_f32(((i * 13) % 17) as f32 / 4.0 - 2.0))
        .collect();
    let xv = TensorView::new(&[6, 64], &x).unwrap();
    let rv = TensorView::new(&[6, 64], &xr).unwrap();
    let w: Vec<bf16> = (0..64)
        .map(|i| bf16::from_f32(i as f32 / 32.0 - 1.0))
        .collect();
    let wv = TensorView::new(&[64], &w).unwrap();
    let cpu = Backend::Cpu;
    let opts = RmsNormOptions::default();
    for b in sims() {
        let n = b.name();
        // mx_quant / mx_dequant: NaN/Inf blocks (scale 0xFF) and their dequantization
        let qc = ops::mx_quant(&cpu, xv, &MxQuantOptions::default()).unwrap();
        let qb = ops::mx_quant(&b, xv, &MxQuantOptions::default()).unwrap();
        assert_eq!(qc.scales, qb.scales, "{n}: mx_quant scales");
        let dc: Tensor<f32> = ops::mx_dequant(&cpu, qc.view()).unwrap();
        let db: Tensor<f32> = ops::mx_dequant(&b, qc.view()).unwrap();
        same_nans(&format!("{n} mx_dequant"), &dc, &db, &[]);
        // rms_norm, with the residual, and the same view given twice
        let (yc, hc) = ops::rms_norm_residual(&cpu, xv, rv, wv, &opts).unwrap();
        let (yb, hb) = ops::rms_norm_residual(&b, xv, rv, wv, &opts).unwrap();
        same_nans(&format!("{n} add_rms_norm y"), &yc, &yb, &[]);
        same_nans(&format!("{n} add_rms_norm h"), &hc, &hb, &[]);
        let (yc, _) = ops::rms_norm_residual(&cpu, xv, xv, wv, &opts).unwrap();
        let (yb, _) = ops::rms_norm_residual(&b, xv, xv, wv, &opts).unwrap();
        same_nans(&format!("{n} add_rms_norm twice"), &yc, &yb, &[]);
        let yc = ops::rms_norm(&cpu, xv, wv, &opts).unwrap();
        let yb = ops::rms_norm(&b, xv, wv, &opts).unwrap();
        same_nans(&format!("{n} rms_norm"), &yc, &yb, &[]);
        // rope_qk, every mode, and q given as k
        let q = TensorView::new(&[6, 1, 64], &x).unwrap();
        let k = TensorView::new(&[6, 1, 64], &xr).unwrap();
        let cache = RopeCache::for_positions(1e6, 64, &[0, 1, 2, 3, 4, 5]).unwrap();
        let pos = [0, 1, 2, 3, 4, 5];
        for mode in RopeMode::ALL {
            let o = RopeOptions { mode };
            for (qq, kk) in [(q, k), (q, q)] {
                let (qc, kc) = ops::rope_qk(&cpu, qq, kk, &pos, &cache, &o).unwrap();
                let (qb, kb) = match ops::rope_qk(&b, qq, kk, &pos, &cache, &o) {
                    Ok(r) => r,
                    // a mode this target's kernels do not implement (docs/numerics.md)
                    Err(ascend_kernels::Error::InvalidOption { option, .. })
                        if option == "mode" =>
                    {
                        continue
                    }
                    Err(e) => panic!("{n} rope {mode:?}: {e}"),
                };
                same_nans(&format!("{n} rope q"), &qc, &qb, &[]);
                same_nans(&format!("{n} rope k"), &kc, &kb, &[]);
            }
        }
        // dense matmul with finite weights, and x given as the weight too (NaNs of both signs
        // meet in some outputs: only the class is compared there)
        let yc: Tensor<f32> = ops::matmul(&cpu, xv, rv).unwrap();
        let yb: Tensor<f32> = ops::matmul(&b, xv, rv).unwrap();
        same_nans(&format!("{n} matmul"), &yc, &yb, &[]);
        let yc: Tensor<f32> = ops::matmul(&cpu, xv, xv).unwrap();
        let yb: Tensor<f32> = ops::matmul(&b, xv, xv).unwrap();
        let all: Vec<usize> = (0..36).collect();
        same_nans(&format!("{n} matmul x·x"), &yc, &yb, &all);
    }
}

#[test]
fn fp8_nan_codes_agree_in_class_and_only_their_sign_may_differ() {
    // E4M3 weights with both NaN codes, f32 scales with NaNs of both signs.
    let mut wq: Vec<E4M3> = (0..4 * 8)
        .map(|i| E4M3::from_bits((i * 7 % 0x70) as u8))
        .collect();
    wq[1] = E4M3::from_bits(0x7f);
    wq[2] = E4M3::from_bits(0xff); // negative NaN code
    let sc = [
        1.0f32,
        f32::from_bits(0xffc0_0001),
        -2.0,
        f32::from_bits(0x7f80_0001),
    ];
    let wv = TensorView::new(&[4, 8], &wq).unwrap();
    let sv = TensorView::new(&[2, 2], &sc).unwrap();
    let yc: Tensor<bf16> = ops::fp8_block_dequant(&Backend::Cpu, wv, sv, [2, 4]).unwrap();
    assert_eq!(
        yc.data()[2].to_bits(),
        0x7fc0,
        "the CPU decodes 0xFF to +NaN"
    );
    // MX operands with NaN codes of both signs and a NaN scale.
    let mut e = vec![0x38u8; 4 * 32];
    e[5] = 0x7f;
    e[32 + 7] = 0xff;
    let s = [1u8, 0, 127, 0, 255, 0, 130, 0].map(E8M0::from_bits);
    let xm = MxView {
        format: Fp8Format::E4M3,
        elements: TensorView::new(&[4, 32], &e).unwrap(),
        scales: TensorView::new(&[4, 1, 2], &s).unwrap(),
    };
    let we = vec![0xb8u8; 2 * 32];
    let ws = [127u8, 0, 126, 0].map(E8M0::from_bits);
    let wm = MxView {
        format: Fp8Format::E4M3,
        elements: TensorView::new(&[2, 32], &we).unwrap(),
        scales: TensorView::new(&[2, 1, 2], &ws).unwrap(),
    };
    let xf: Vec<bf16> = nan_rows()[..4 * 64].to_vec();
    let xfv = TensorView::new(&[2, 128], &xf[..256]).unwrap();
    let e2 = vec![0xb8u8; 3 * 128];
    let mut e2 = e2;
    e2[9] = 0xff;
    let s2 = vec![E8M0::ONE; 3 * 4];
    let wo = MxView {
        format: Fp8Format::E4M3,
        elements: TensorView::new(&[3, 128], &e2).unwrap(),
        scales: TensorView::new(&[3, 2, 2], &s2).unwrap(),
    };
    let cpu = Backend::Cpu;
    let mc: Tensor<f32> = ops::mx_matmul(&cpu, xm, wm, None).unwrap();
    let oc: Tensor<bf16> = ops::mx_matmul_weight_only(&cpu, xfv, wo).unwrap();
    let dc: Tensor<f32> = ops::mx_dequant(&cpu, xm).unwrap();
    for b in sims() {
        let n = b.name();
        let yb: Tensor<bf16> = ops::fp8_block_dequant(&b, wv, sv, [2, 4]).unwrap();
        same_nans(&format!("{n} fp8_block_dequant"), &yc, &yb, &[2]);
        // the NaN from the 0xFF code reaches row 1 of x in both output columns
        let mb: Tensor<f32> = ops::mx_matmul(&b, xm, wm, None).unwrap();
        same_nans(&format!("{n} mx_matmul"), &mc, &mb, &[2, 3]);
        let ob: Tensor<bf16> = ops::mx_matmul_weight_only(&b, xfv, wo).unwrap();
        // output column 0 holds the 0xFF code; each x row holds NaNs of both signs
        let free: Vec<usize> = (0..ob.data().len()).collect();
        same_nans(&format!("{n} weight-only matmul"), &oc, &ob, &free);
        let db: Tensor<f32> = ops::mx_dequant(&b, xm).unwrap();
        same_nans(&format!("{n} mx_dequant of NaN codes"), &dc, &db, &[39]);
        // a matmul of an operand with itself
        let sb: Tensor<f32> = ops::mx_matmul(&b, xm, xm, None).unwrap();
        let sc: Tensor<f32> = ops::mx_matmul(&cpu, xm, xm, None).unwrap();
        let free: Vec<usize> = (0..16).filter(|i| i / 4 == 1 || i % 4 == 1).collect();
        same_nans(&format!("{n} mx_matmul x·x"), &sc, &sb, &free);
    }
}
