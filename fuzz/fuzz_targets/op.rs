//! Every `op` input path: an op, a backend (cpu most often, sim-a2, sim-a5), any combination of
//! option values (present or not, valid or not) and a safetensors file, through the same
//! `runner::run_op` the command line calls. The input is a 33-byte header (`fuzz/README.md`)
//! followed by the file. A request whose outputs are empty must give the same outputs on the
//! sim as on the CPU.
#![no_main]

use ascend_kernels::formats::{Fp8Format, RoundMode};
use ascend_kernels::io::TensorFile;
use ascend_kernels::ops::{NonFiniteBlocks, ScaleAlg, TinyBlocks};
use ascend_kernels::runner::{run_op, OpName, OpOptions, OutDType};
use ascend_kernels::Backend;
use ascend_kernels_fuzz::{assert_one_line, Reader};
use libfuzzer_sys::fuzz_target;

fn backend(selector: u8) -> Backend {
    match selector % 8 {
        6 => Backend::from_cli("sim", Some("a2")).unwrap(),
        7 => Backend::from_cli("sim", Some("a5")).unwrap(),
        _ => Backend::Cpu,
    }
}

/// The ops by selector: the first six in the order the committed corpus and regression inputs
/// were written for, the ops added since after them (so old inputs keep their op).
const OPS: [OpName; 8] = [
    OpName::MxQuant,
    OpName::MxDequant,
    OpName::MxMatmul,
    OpName::Fp8BlockDequant,
    OpName::RmsNorm,
    OpName::RopeQk,
    OpName::AddRmsNorm,
    OpName::RotaryMul,
];

/// Mode spellings offered to `--mode`: every op's valid ones and some invalid ones.
const MODES: [&str; 12] = [
    "hf",
    "ascend-a2",
    "ascend-950",
    "weight-in-f32",
    "f32",
    "rotary-mul",
    "apply-rotary-pos-emb",
    "",
    "HF",
    "ascend",
    "rotary_mul",
    "x\ny",
];

fuzz_target!(|data: &[u8]| {
    ascend_kernels_fuzz::init();
    let mut r = Reader::new(data);
    let op = OPS[r.u8() as usize % OPS.len()];
    debug_assert!(OpName::ALL.iter().all(|o| OPS.contains(o)));
    let backend = backend(r.u8());
    let mask = r.u16();
    let on = |bit: u32| mask & (1 << bit) != 0;
    let (dst, alg, round, tiny, out) = (r.u8(), r.u8(), r.u8(), r.u8(), r.u8());
    let (block_rows, block_cols) = (r.u16(), r.u16());
    let eps = f32::from_bits(r.u32());
    let theta = f64::from_bits(r.u64());
    let rotary_dim = r.u64() as usize;
    let modes = [
        RoundMode::Rint,
        RoundMode::Round,
        RoundMode::Floor,
        RoundMode::Ceil,
        RoundMode::Trunc,
    ];
    let options = OpOptions {
        dst: on(0).then(|| [Fp8Format::E4M3, Fp8Format::E5M2][dst as usize % 2]),
        scale_alg: on(1).then(|| [ScaleAlg::Ocp, ScaleAlg::Rceil][alg as usize % 2]),
        round: on(2).then(|| modes[round as usize % modes.len()]),
        tiny_blocks: on(3).then(|| [TinyBlocks::Flush, TinyBlocks::Scale][tiny as usize % 2]),
        // the selector bytes' high bits pick the options added since the header was laid out
        non_finite: on(11)
            .then(|| [NonFiniteBlocks::Zero, NonFiniteBlocks::Nan][(tiny >> 4) as usize % 2]),
        mode: on(12).then(|| MODES[(out >> 4) as usize % MODES.len()].to_string()),
        out_dtype: on(4).then(|| [OutDType::F32, OutDType::Bf16, OutDType::F16][out as usize % 3]),
        block: on(5).then(|| format!("{block_rows},{block_cols}")),
        eps: on(6).then_some(eps),
        weight_in_f32: on(7),
        theta: on(8).then_some(theta),
        rotary_dim: on(9).then_some(rotary_dim),
        f32_compute: on(10),
    };
    let file = match TensorFile::parse("input.safetensors", r.rest()) {
        Ok(f) => f,
        Err(e) => return assert_one_line(&e.to_string()),
    };
    let result = run_op(&backend, op, &file, &options);
    match &result {
        Err(e) => assert_one_line(&e.to_string()),
        Ok(outputs) if backend != Backend::Cpu => {
            let empty = outputs.iter().all(|(_, t)| t.bytes.is_empty());
            if empty {
                let cpu = run_op(&Backend::Cpu, op, &file, &options)
                    .expect("the CPU accepts what the sim accepts");
                assert_eq!(&cpu, outputs, "empty outputs differ between sim and cpu");
            }
        }
        Ok(_) => {}
    }
});
