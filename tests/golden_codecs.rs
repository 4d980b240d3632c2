//! Exhaustive codec tests against the committed fixtures of `tests/golden/codecs/`
//! (produced by `tests/golden/gen_codecs.py` with ml_dtypes; see `tests/golden/README.md`).
//!
//! - every byte of E4M3FN, E5M2 and E8M0 decodes to the value ml_dtypes gives it;
//! - every bf16 and every f16 bit pattern encodes to the expected byte under each round mode
//!   (rint, round, floor, ceil, trunc), per format, through both the byte types and `Fp8Format`.

use ascend_kernels::{Fp8Format, RoundMode, E4M3, E5M2, E8M0};
use half::{bf16, f16};
use safetensors::{Dtype, SafeTensors};

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/golden/codecs/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read fixture {path}: {e}"))
}

fn f32_tensor(st: &SafeTensors, name: &str) -> Vec<f32> {
    let t = st
        .tensor(name)
        .unwrap_or_else(|e| panic!("fixture tensor {name}: {e}"));
    assert_eq!(t.dtype(), Dtype::F32, "{name}");
    assert_eq!(t.shape(), &[256], "{name}");
    t.data()
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

fn check_decode(name: &str, expected: &[f32], decode: impl Fn(u8) -> f32) {
    let mut bad = Vec::new();
    for (b, &want) in expected.iter().enumerate() {
        let got = decode(b as u8);
        let ok = if want.is_nan() {
            got.is_nan()
        } else {
            got.to_bits() == want.to_bits()
        };
        if !ok {
            bad.push(format!(
                "byte 0x{b:02X}: got {got:e} (0x{:08X}), want {want:e} (0x{:08X})",
                got.to_bits(),
                want.to_bits()
            ));
        }
    }
    assert!(
        bad.is_empty(),
        "{name}: {} of 256 codes decode wrong:\n{}",
        bad.len(),
        bad.join("\n")
    );
}

#[test]
fn every_byte_decodes_as_ml_dtypes() {
    let bytes = fixture("decode.safetensors");
    let st = SafeTensors::deserialize(&bytes).unwrap();
    let e4m3 = f32_tensor(&st, "e4m3");
    let e5m2 = f32_tensor(&st, "e5m2");
    let e8m0 = f32_tensor(&st, "e8m0");
    check_decode("E4M3::to_f32", &e4m3, |b| E4M3::from_bits(b).to_f32());
    check_decode("E5M2::to_f32", &e5m2, |b| E5M2::from_bits(b).to_f32());
    check_decode("Fp8Format::E4M3.decode", &e4m3, |b| {
        Fp8Format::E4M3.decode(b)
    });
    check_decode("Fp8Format::E5M2.decode", &e5m2, |b| {
        Fp8Format::E5M2.decode(b)
    });
    check_decode("E8M0::to_f32", &e8m0, |b| E8M0::from_bits(b).to_f32());
    // The fixture's own sanity: byte 0 of E8M0 is the f32 subnormal 2^-127.
    assert_eq!(e8m0[0].to_bits(), 0x0040_0000);
    // NaN-ness of the byte types agrees with the decoded value.
    for b in 0..=255u8 {
        assert_eq!(
            E4M3::from_bits(b).is_nan(),
            e4m3[b as usize].is_nan(),
            "E4M3 0x{b:02X}"
        );
        assert_eq!(
            E5M2::from_bits(b).is_nan(),
            e5m2[b as usize].is_nan(),
            "E5M2 0x{b:02X}"
        );
        assert_eq!(
            E8M0::from_bits(b).is_nan(),
            e8m0[b as usize].is_nan(),
            "E8M0 0x{b:02X}"
        );
    }
}

/// The input of column `i`: the u16 `i` as a bf16 or f16 bit pattern, widened exactly to f32.
fn source_value(src: &str, i: u16) -> f32 {
    match src {
        "bf16" => bf16::from_bits(i).to_f32(),
        "f16" => f16::from_bits(i).to_f32(),
        _ => unreachable!(),
    }
}

fn check_encode(
    st: &SafeTensors,
    fmt: &str,
    src: &str,
    encode: &dyn Fn(f32, RoundMode) -> u8,
) -> Vec<String> {
    let name = format!("{fmt}.{src}");
    let t = st
        .tensor(&name)
        .unwrap_or_else(|e| panic!("fixture tensor {name}: {e}"));
    assert_eq!(t.dtype(), Dtype::U8, "{name}");
    assert_eq!(t.shape(), &[5, 65536], "{name}");
    let data = t.data();
    let mut bad = Vec::new();
    for (row, mode) in RoundMode::ALL.into_iter().enumerate() {
        for i in 0..=u16::MAX {
            let v = source_value(src, i);
            let want = data[row * 65536 + i as usize];
            let got = encode(v, mode);
            if got != want {
                bad.push(format!(
                    "{name} {}: input 0x{i:04X} = {v:e}: got 0x{got:02X}, want 0x{want:02X}",
                    mode.name()
                ));
            }
        }
    }
    bad
}

fn assert_encodes(fmt: &str, encode: &dyn Fn(f32, RoundMode) -> u8) {
    let bytes = fixture("encode.safetensors");
    let st = SafeTensors::deserialize(&bytes).unwrap();
    let mut bad = Vec::new();
    for src in ["bf16", "f16"] {
        bad.extend(check_encode(&st, fmt, src, encode));
    }
    let shown: Vec<_> = bad.iter().take(40).cloned().collect();
    assert!(
        bad.is_empty(),
        "{} wrong encodings for {fmt}; first {}:\n{}",
        bad.len(),
        shown.len(),
        shown.join("\n")
    );
}

#[test]
fn every_bf16_and_f16_encodes_to_e4m3_per_mode() {
    assert_encodes("e4m3", &|v, m| E4M3::from_f32_rounded(v, m).to_bits());
    assert_encodes("e4m3", &|v, m| Fp8Format::E4M3.encode(v, m));
}

#[test]
fn every_bf16_and_f16_encodes_to_e5m2_per_mode() {
    assert_encodes("e5m2", &|v, m| E5M2::from_f32_rounded(v, m).to_bits());
    assert_encodes("e5m2", &|v, m| Fp8Format::E5M2.encode(v, m));
}

#[test]
fn every_bf16_and_f16_encodes_to_e8m0_per_mode() {
    assert_encodes("e8m0", &|v, m| E8M0::from_f32_rounded(v, m).to_bits());
}

#[test]
fn default_encoders_are_rint() {
    let bytes = fixture("encode.safetensors");
    let st = SafeTensors::deserialize(&bytes).unwrap();
    let rint: &dyn Fn(f32, RoundMode) -> u8 = &|v, _| E4M3::from_f32(v).to_bits();
    let bad: Vec<_> = check_encode(&st, "e4m3", "bf16", rint)
        .into_iter()
        .filter(|s| s.contains(" rint:"))
        .collect();
    assert!(bad.is_empty(), "E4M3::from_f32 is not rint: {bad:?}");
    let rint: &dyn Fn(f32, RoundMode) -> u8 = &|v, _| E5M2::from_f32(v).to_bits();
    let bad: Vec<_> = check_encode(&st, "e5m2", "f16", rint)
        .into_iter()
        .filter(|s| s.contains(" rint:"))
        .collect();
    assert!(bad.is_empty(), "E5M2::from_f32 is not rint: {bad:?}");
    let rint: &dyn Fn(f32, RoundMode) -> u8 = &|v, _| E8M0::from_f32(v).to_bits();
    let bad: Vec<_> = check_encode(&st, "e8m0", "bf16", rint)
        .into_iter()
        .filter(|s| s.contains(" rint:"))
        .collect();
    assert!(bad.is_empty(), "E8M0::from_f32 is not rint: {bad:?}");
}
