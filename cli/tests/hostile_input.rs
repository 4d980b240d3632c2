//! Issue #12: inputs that used to crash, hang or exhaust the machine, one test each (through
//! the library, and through the binary where the command line was the way in), plus the
//! guarantees that replaced them: zero-sized dimensions on every backend, the resource budget,
//! the loader's regular-files-inside-the-directory rule and its refusal of ambiguous
//! directories, all-or-nothing `convert`, and one-line errors. `docs/robustness.md` lists them;
//! the fuzz targets (`fuzz/`) replay the same inputs as regression seeds.

use ascend_kernels::budget::Budget;
use ascend_kernels::io::{serialize, RawTensor, TensorFile};
use ascend_kernels::ops::{
    self, AddRmsNormMode, AddRmsNormOptions, MxQuantOptions, MxView, RmsNormMode, RmsNormOptions,
    RopeCache, RopeMode, RopeOptions,
};
use ascend_kernels::qwen3::convert::{convert, ConvertOptions, ConvertTarget};
use ascend_kernels::qwen3::{Checkpoint, CheckpointFormat};
use ascend_kernels::{Backend, DType, Error, Fp8Format, RoundMode, Tensor, TensorView, E8M0};
use half::bf16;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The binary, run from the repository root (where its default paths, such as the fixtures
/// of `tests/golden/`, are relative to), as it was when these tests lived in the root package.
fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_ascend-kernels"));
    c.current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."));
    c
}

fn backends() -> Vec<Backend> {
    let mut b = vec![Backend::Cpu];
    if ascend_kernels::backend::sim::available() {
        b.push(Backend::from_cli("sim", Some("a2")).unwrap());
        b.push(Backend::from_cli("sim", Some("a5")).unwrap());
    }
    b
}

fn write_tensors(path: &Path, tensors: &[(&str, DType, Vec<usize>, Vec<u8>)]) {
    let t: Vec<(String, RawTensor)> = tensors
        .iter()
        .map(|(n, d, s, b)| {
            (
                n.to_string(),
                RawTensor {
                    dtype: *d,
                    shape: s.clone(),
                    bytes: b.clone(),
                },
            )
        })
        .collect();
    std::fs::write(path, serialize(&t, &HashMap::new()).unwrap()).unwrap();
}

/// An MX operand `[rows, k]`: E4M3 codes 0x38 (1.0), scales 127, pad bytes 0.
fn mx_operand(name: &str, rows: usize, k: usize) -> Vec<(String, DType, Vec<usize>, Vec<u8>)> {
    let pairs = k.div_ceil(32).div_ceil(2);
    let nb = k.div_ceil(32);
    let scales = (0..rows)
        .flat_map(|_| (0..2 * pairs).map(move |j| if j < nb { 127 } else { 0 }))
        .collect();
    vec![
        (
            name.to_string(),
            DType::F8E4M3,
            vec![rows, k],
            vec![0x38; rows * k],
        ),
        (
            format!("{name}_scale"),
            DType::U8,
            vec![rows, pairs, 2],
            scales,
        ),
    ]
}

fn write_owned(path: &Path, tensors: Vec<(String, DType, Vec<usize>, Vec<u8>)>) {
    let borrowed: Vec<(&str, DType, Vec<usize>, Vec<u8>)> = tensors
        .iter()
        .map(|(n, d, s, b)| (n.as_str(), *d, s.clone(), b.clone()))
        .collect();
    write_tensors(path, &borrowed);
}

/// Runs the binary with a fixed budget (so results do not depend on the machine's memory).
fn run(args: &[&str], paths: &[&Path]) -> Output {
    let mut c = bin();
    c.args(["--max-memory", "4G"]);
    for a in args {
        c.arg(a);
    }
    for p in paths {
        c.arg(p);
    }
    c.output().expect("the binary runs")
}

/// Exit code 2 and exactly one line on stderr, containing `needle`.
fn assert_one_line_error(out: &Output, needle: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr:?}");
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert!(stderr.contains(needle), "`{needle}` not in: {stderr}");
}

fn op_args<'a>(op: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut v = vec!["op", op];
    v.extend_from_slice(extra);
    v
}

// ------------------------------------------------------------------- zero-sized dimensions

fn bits<T: ascend_kernels::Element + bytemuck::Pod>(t: &Tensor<T>) -> (Vec<usize>, Vec<u8>) {
    (t.shape().to_vec(), bytemuck::cast_slice(t.data()).to_vec())
}

#[test]
fn zero_sized_dimensions_give_the_same_result_on_every_backend() {
    let no_e: [u8; 0] = [];
    let no_s: [E8M0; 0] = [];
    let mx = |e: &'static [usize], s: &'static [usize]| MxView {
        format: Fp8Format::E4M3,
        elements: TensorView::new(e, &no_e).unwrap(),
        scales: TensorView::new(s, &no_s).unwrap(),
    };
    let ones = [0x38u8; 4 * 32];
    let one_scales = [
        E8M0::ONE,
        E8M0::MIN,
        E8M0::ONE,
        E8M0::MIN,
        E8M0::ONE,
        E8M0::MIN,
    ];
    let full = |rows: &'static [usize], scales: &'static [usize]| MxView {
        format: Fp8Format::E4M3,
        elements: TensorView::new(rows, &ones[..rows[0] * 32]).unwrap(),
        scales: TensorView::new(scales, &one_scales[..scales[0] * 2]).unwrap(),
    };
    let bias = [1.5f32, -0.0, f32::NAN];
    let empty_f: [bf16; 0] = [];
    let w8 = vec![bf16::ONE; 8];
    let mut results: Vec<Vec<(Vec<usize>, Vec<u8>)>> = Vec::new();
    for b in backends() {
        let mut r = Vec::new();
        // mx_matmul: M = 0, N = 0, K = 0 (the last: y = round(0 + bias)).
        let y: Tensor<bf16> = ops::mx_matmul(
            &b,
            mx(&[0, 32], &[0, 1, 2]),
            full(&[3, 32], &[3, 1, 2]),
            None,
        )
        .unwrap();
        r.push(bits(&y));
        let y: Tensor<bf16> = ops::mx_matmul(
            &b,
            full(&[2, 32], &[2, 1, 2]),
            mx(&[0, 32], &[0, 1, 2]),
            None,
        )
        .unwrap();
        r.push(bits(&y));
        let bias_view = TensorView::new(&[3], &bias).unwrap();
        let y: Tensor<f32> = ops::mx_matmul(
            &b,
            mx(&[2, 0], &[2, 0, 2]),
            mx(&[3, 0], &[3, 0, 2]),
            Some(bias_view),
        )
        .unwrap();
        assert_eq!(y.shape(), &[2, 3]);
        assert_eq!(y.data()[0], 1.5);
        assert_eq!(y.data()[1].to_bits(), 0, "0 + (-0) is +0");
        assert!(y.data()[2].is_nan());
        r.push(bits(&y));
        // dense and weight-only matmuls with M = 0 and K = 0
        let x0 = TensorView::new(&[0, 8], &empty_f).unwrap();
        let w = TensorView::new(&[1, 8], &w8).unwrap();
        r.push(bits(&ops::matmul::<bf16, f32>(&b, x0, w).unwrap()));
        let xk0 = TensorView::new(&[2, 0], &empty_f).unwrap();
        let wk0 = TensorView::new(&[3, 0], &empty_f).unwrap();
        let y = ops::matmul::<bf16, f32>(&b, xk0, wk0).unwrap();
        assert_eq!((y.shape(), y.data()), (&[2, 3][..], &[0.0; 6][..]));
        r.push(bits(&y));
        r.push(bits(
            &ops::mx_matmul_weight_only::<bf16, bf16>(&b, x0, mx(&[0, 8], &[0, 1, 2])).unwrap(),
        ));
        // mx_quant / mx_dequant: no rows, and K = 0
        for shape in [&[0, 64][..], &[3, 0][..], &[2, 0, 5][..]] {
            let q = ops::mx_quant(
                &b,
                TensorView::new(shape, &empty_f).unwrap(),
                &MxQuantOptions::default(),
            )
            .unwrap();
            assert_eq!(q.elements.shape(), shape);
            r.push(bits(&q.elements));
            r.push(bits(&q.scales));
            let back: Tensor<f32> = ops::mx_dequant(&b, q.view()).unwrap();
            r.push(bits(&back));
        }
        // rms_norm (+ residual): no rows, and H = 0
        let opts = RmsNormOptions::default();
        let x = TensorView::new(&[0, 8], &empty_f).unwrap();
        let w = TensorView::new(&[8], &w8).unwrap();
        r.push(bits(&ops::rms_norm(&b, x, w, &opts).unwrap()));
        let (y, h) = ops::rms_norm_residual(&b, x, x, w, &opts).unwrap();
        r.push(bits(&y));
        r.push(bits(&h));
        let xh0 = TensorView::new(&[4, 0], &empty_f).unwrap();
        let wh0 = TensorView::new(&[0], &empty_f).unwrap();
        r.push(bits(&ops::rms_norm(&b, xh0, wh0, &opts).unwrap()));
        // the torch_npu-shaped norms: no rows give empty y, rstd [0, 1] and x; rows of length 0
        // have no rstd and are refused naming x / x1
        for mode in [RmsNormMode::AscendA2, RmsNormMode::Ascend950] {
            let o = RmsNormOptions {
                mode,
                ..RmsNormOptions::default()
            };
            let (y, rstd) = ops::rms_norm_rstd(&b, x, w, &o).unwrap();
            assert_eq!(rstd.shape(), &[0, 1]);
            r.push(bits(&y));
            r.push(bits(&rstd));
            let e = ops::rms_norm_rstd(&b, xh0, wh0, &o).unwrap_err();
            assert!(e.to_string().contains("x"), "{e}");
        }
        for mode in [AddRmsNormMode::AscendA2, AddRmsNormMode::Ascend950] {
            let o = AddRmsNormOptions {
                mode,
                ..AddRmsNormOptions::default()
            };
            let out = ops::add_rms_norm(&b, x, x, w, &o).unwrap();
            assert_eq!(out.rstd.shape(), &[0, 1]);
            r.push(bits(&out.y));
            r.push(bits(&out.rstd));
            r.push(bits(&out.x));
            let e = ops::add_rms_norm(&b, xh0, xh0, wh0, &o).unwrap_err();
            assert!(e.to_string().contains("x1"), "{e}");
        }
        // rotary_mul with no rows and with a last axis of 0 (many rows)
        for shape in [&[0, 1, 8][..], &[1 << 20, 2, 0][..]] {
            let xv = TensorView::new(shape, &empty_f).unwrap();
            let t = xv; // cos/sin of x's own shape (no element either)
            let y = ops::rotary_mul(&b, xv, t, t, RopeMode::AscendRotaryMul).unwrap();
            assert_eq!(y.shape(), shape);
            r.push(bits(&y));
        }
        // fp8_block_dequant with no rows / no columns
        let no_w: [ascend_kernels::E4M3; 0] = [];
        let no_scale: [f32; 0] = [];
        for (shape, grid) in [(&[0, 10][..], &[0, 1][..]), (&[6, 0][..], &[1, 0][..])] {
            let y: Tensor<bf16> = ops::fp8_block_dequant(
                &b,
                TensorView::new(shape, &no_w).unwrap(),
                TensorView::new(grid, &no_scale).unwrap(),
                [128, 128],
            )
            .unwrap();
            assert_eq!(y.shape(), shape);
            r.push(bits(&y));
        }
        // rope_qk: no tokens; no query heads (the keys still rotate)
        let cache = RopeCache::new(1e6, 8, 16).unwrap();
        let q = TensorView::new(&[0, 2, 8], &empty_f).unwrap();
        let (qo, ko) = ops::rope_qk(&b, q, q, &[], &cache, &RopeOptions::default()).unwrap();
        r.push(bits(&qo));
        r.push(bits(&ko));
        let kv: Vec<bf16> = (0..16).map(|i| bf16::from_f32(i as f32 / 4.0)).collect();
        let q0 = TensorView::new(&[2, 0, 8], &empty_f).unwrap();
        let k = TensorView::new(&[2, 1, 8], &kv).unwrap();
        let (qo, ko) = ops::rope_qk(&b, q0, k, &[3, 9], &cache, &RopeOptions::default()).unwrap();
        r.push(bits(&qo));
        r.push(bits(&ko));
        results.push(r);
    }
    for (b, r) in backends().iter().zip(&results).skip(1) {
        assert_eq!(r, &results[0], "{} differs from cpu", b.name());
    }
}

#[test]
fn mx_matmul_with_m_or_n_zero_runs_through_the_binary_on_every_backend() {
    // Was: `chunk_size must not be zero` panic in src/backend/cpu/fast/matmul.rs.
    let dir = tempfile::tempdir().unwrap();
    for (m, n) in [(0, 4), (4, 0)] {
        let input = dir.path().join(format!("mm_{m}_{n}.safetensors"));
        let mut t = mx_operand("x", m, 32);
        t.extend(mx_operand("w", n, 32));
        write_owned(&input, t);
        for backend in ["cpu", "sim-a2", "sim-a5"] {
            let out = dir.path().join(format!("y_{m}_{n}_{backend}.safetensors"));
            let (b, target) = backend.split_once('-').unwrap_or((backend, ""));
            let mut args = vec!["op", "mx-matmul", "--backend", b];
            if !target.is_empty() {
                args.extend(["--target", target]);
            }
            args.extend(["--input"]);
            let mut c = bin();
            c.args(&args).arg(&input).arg("--output").arg(&out);
            let o = c.output().unwrap();
            assert!(
                o.status.success(),
                "{backend}: {}",
                String::from_utf8_lossy(&o.stderr)
            );
            let y = TensorFile::read(&out).unwrap();
            assert_eq!(y.get("y").unwrap().shape, vec![m, n], "{backend}");
        }
    }
}

// --------------------------------------------------------------------------- the budget

#[test]
fn oversized_requests_are_refused_before_any_work() {
    let limit = |r: Result<(), Error>, buffer: &str| match r {
        Err(Error::ResourceLimit { buffer: b, .. }) => assert_eq!(b, buffer),
        other => panic!("expected a ResourceLimit on {buffer}, got {other:?}"),
    };
    let small = Budget::new(1 << 20, 3 << 19);
    small.scoped(|| {
        // 1024 x 1024 bf16 output: 2 MiB, over the 1 MiB largest allocation
        let e = vec![0x38u8; 1024 * 32];
        let s: Vec<E8M0> = (0..1024).flat_map(|_| [E8M0::ONE, E8M0::MIN]).collect();
        let v = MxView {
            format: Fp8Format::E4M3,
            elements: TensorView::new(&[1024, 32], &e).unwrap(),
            scales: TensorView::new(&[1024, 1, 2], &s).unwrap(),
        };
        limit(
            ops::mx_matmul::<bf16>(&Backend::Cpu, v, v, None).map(|_| ()),
            "y",
        );
        // a cos/sin table of 2^20 positions x 8 floats
        limit(RopeCache::new(1e6, 8, 1 << 20).map(|_| ()), "cos_sin_cache");
        // a chosen-positions cache is as small as its positions, whatever their values
        let c = RopeCache::for_positions(1e6, 8, &[(1 << 24) - 1, 0, 5, 5]).unwrap();
        assert_eq!((c.rows(), c.table().len()), (3, 24));
        // the working set adds up
        let x = vec![bf16::ONE; 400_000];
        let w = vec![bf16::ONE; 1];
        let xv = TensorView::new(&[400_000, 1], &x).unwrap();
        let r = ops::rms_norm_residual(
            &Backend::Cpu,
            xv,
            xv,
            TensorView::new(&[1], &w).unwrap(),
            &RmsNormOptions::default(),
        );
        limit(r.map(|_| ()), "residual_out");
        // the per-row rstd of 2^40 rows of length 0 and 2^20 rows of length 1
        let none: [bf16; 0] = [];
        let r = ops::rms_norm_rstd(
            &Backend::Cpu,
            TensorView::new(&[1 << 40, 0], &none).unwrap(),
            TensorView::new(&[0], &none).unwrap(),
            &RmsNormOptions::default(),
        );
        limit(r.map(|_| ()), "rstd");
        let x1 = vec![bf16::ONE; 1 << 18];
        let x1v = TensorView::new(&[1 << 18, 1], &x1).unwrap();
        let r = ops::add_rms_norm(
            &Backend::Cpu,
            x1v,
            x1v,
            TensorView::new(&[1], &w).unwrap(),
            &AddRmsNormOptions::default(),
        );
        limit(r.map(|_| ()), "x");
    });
    // sizes that overflow are refused even without a limit
    Budget::unlimited().scoped(|| {
        limit(
            RopeCache::for_positions(1e6, usize::MAX - 1, &[1]).map(|_| ()),
            "inv_freq",
        );
    });
}

#[test]
fn the_issues_allocation_faults_are_errors_through_the_binary() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let out = d.join("out.safetensors");
    // mx-matmul, M = N = 2^17, K = 32: an 8.9 MB file asking for a 32 GiB output.
    let big = d.join("big.safetensors");
    let mut t = mx_operand("x", 1 << 17, 32);
    t.extend(mx_operand("w", 1 << 17, 32));
    write_owned(&big, t);
    let o = run(
        &op_args("mx-matmul", &["--input"]),
        &[&big, Path::new("--output"), &out],
    );
    assert_one_line_error(
        &o,
        "mx_matmul: y needs 32.0 GiB, over the largest allocation limit",
    );
    assert!(!out.exists());

    // rope-qk: each of these built a cache sized by the largest position x rotary_dim first.
    let rope = |name: &str, q: Vec<usize>, k: Vec<usize>, positions: &[i64]| -> PathBuf {
        let p = d.join(name);
        let n = |s: &[usize]| {
            s.iter()
                .try_fold(1usize, |a, &b| a.checked_mul(b))
                .unwrap_or(0)
        };
        let (qn, kn) = (n(&q), n(&k));
        let pos: Vec<u8> = positions.iter().flat_map(|p| p.to_le_bytes()).collect();
        write_tensors(
            &p,
            &[
                ("q", DType::BF16, q, vec![0; 2 * qn]),
                ("k", DType::BF16, k, vec![0; 2 * kn]),
                ("positions", DType::I64, vec![positions.len()], pos),
            ],
        );
        p
    };
    let small = rope("small.safetensors", vec![1, 1, 4], vec![1, 1, 4], &[3]);
    let o = run(
        &op_args("rope-qk", &["--rotary-dim", "68719476736", "--input"]),
        &[&small, Path::new("--output"), &out],
    );
    assert_one_line_error(&o, "--rotary-dim: 68719476736 exceeds head_dim 4");
    let q250 = rope("q250.safetensors", vec![0, 1, 1 << 50], vec![0, 1, 2], &[]);
    let o = run(
        &op_args("rope-qk", &["--input"]),
        &[&q250, Path::new("--output"), &out],
    );
    assert_one_line_error(&o, "k: expected shape");
    let q263 = rope(
        "q263.safetensors",
        vec![0, 1 << 63, 1 << 63],
        vec![0, 1, 2],
        &[],
    );
    let o = run(
        &op_args("rope-qk", &["--input"]),
        &[&q263, Path::new("--output"), &out],
    );
    assert_one_line_error(&o, "expected shape");
    let far = rope("far.safetensors", vec![1, 1, 4], vec![1, 1, 4], &[i64::MAX]);
    let o = run(
        &op_args("rope-qk", &["--input"]),
        &[&far, Path::new("--output"), &out],
    );
    assert_one_line_error(&o, "position 9223372036854775807, outside 0..2^24");
    assert!(!out.exists());
    // A legal position 2^24 - 1 with head_dim 2048 (was a 128 GiB table): one row, and the
    // result is the rotation at that position.
    let q: Vec<u8> = (0..2048u32)
        .flat_map(|i| bf16::from_f32((i % 7) as f32 - 3.0).to_bits().to_le_bytes())
        .collect();
    let legal = d.join("legal.safetensors");
    let pos = ((1i64 << 24) - 1).to_le_bytes().to_vec();
    write_tensors(
        &legal,
        &[
            ("q", DType::BF16, vec![1, 1, 2048], q.clone()),
            ("k", DType::BF16, vec![1, 1, 2048], q.clone()),
            ("positions", DType::I64, vec![1], pos),
        ],
    );
    let o = run(
        &op_args("rope-qk", &["--input"]),
        &[&legal, Path::new("--output"), &out],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let got = TensorFile::read(&out).unwrap();
    let qv: Vec<bf16> = bytemuck::pod_collect_to_vec(&q);
    let view = TensorView::new(&[1, 1, 2048], &qv).unwrap();
    let cache = RopeCache::for_positions(1e6, 2048, &[(1 << 24) - 1]).unwrap();
    let (want, _) = ops::rope_qk(
        &Backend::Cpu,
        view,
        view,
        &[(1 << 24) - 1],
        &cache,
        &RopeOptions::default(),
    )
    .unwrap();
    assert_eq!(
        got.get("q_out").unwrap().bytes,
        bytemuck::cast_slice::<bf16, u8>(want.data())
    );

    // --max-memory turns a small request into a named refusal too.
    let x: Vec<u8> = vec![0; 2 * 64 * 64];
    let xin = d.join("x.safetensors");
    write_tensors(&xin, &[("x", DType::BF16, vec![64, 64], x)]);
    let o = bin()
        .args(["op", "mx-quant", "--max-memory", "1K", "--input"])
        .arg(&xin)
        .arg("--output")
        .arg(&out)
        .output()
        .unwrap();
    assert_one_line_error(&o, "--max-memory");
}

#[test]
fn a_cache_of_chosen_positions_holds_the_same_rows() {
    let positions = [0i64, 17, 3, 17, 4095];
    let sparse = RopeCache::for_positions(1e6, 64, &positions).unwrap();
    let dense = RopeCache::new(1e6, 64, 4096).unwrap();
    assert_eq!(sparse.rows(), 4);
    assert_eq!(sparse.max_positions(), 4096);
    for p in positions {
        assert_eq!(sparse.row(p), dense.row(p), "position {p}");
    }
    assert!(!sparse.covers(5) && sparse.row(5).is_none() && sparse.row(-1).is_none());
    // and rope_qk gives the same bits with either, on every backend
    let x: Vec<bf16> = (0..5 * 2 * 64)
        .map(|i| bf16::from_f32(((i * 37) % 101) as f32 / 50.0 - 1.0))
        .collect();
    let q = TensorView::new(&[5, 2, 64], &x).unwrap();
    let kx: Vec<bf16> = x.iter().rev().copied().collect();
    let k = TensorView::new(&[5, 2, 64], &kx).unwrap();
    for b in backends() {
        let a = ops::rope_qk(&b, q, k, &positions, &sparse, &RopeOptions::default()).unwrap();
        let c = ops::rope_qk(
            &Backend::Cpu,
            q,
            k,
            &positions,
            &dense,
            &RopeOptions::default(),
        )
        .unwrap();
        assert_eq!(a, c, "{}", b.name());
        // the same view for q and k is allowed on every backend
        let a = ops::rope_qk(&b, q, q, &positions, &sparse, &RopeOptions::default()).unwrap();
        let c = ops::rope_qk(
            &Backend::Cpu,
            q,
            q,
            &positions,
            &dense,
            &RopeOptions::default(),
        )
        .unwrap();
        assert_eq!(a, c, "{}", b.name());
    }
    // a position the cache does not cover is named
    let e = ops::rope_qk(
        &Backend::Cpu,
        q,
        q,
        &[0, 17, 3, 17, 5],
        &sparse,
        &RopeOptions::default(),
    )
    .unwrap_err();
    assert!(e.to_string().contains("token 4 has position 5"), "{e}");
}

// ------------------------------------------------------------------------- checkpoints

fn fixture(model: &str, format: &str) -> PathBuf {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .join("tests/golden/qwen3")
        .join(model)
        .join(format)
}

fn copy_into(model: &str, format: &str, dir: &Path) {
    for e in std::fs::read_dir(fixture(model, format)).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), dir.join(e.file_name())).unwrap();
    }
}

fn copy(model: &str, format: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_into(model, format, dir.path());
    dir
}

fn edit_config(dir: &Path, key: &str, value: serde_json::Value) {
    let p = dir.join("config.json");
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
    v.as_object_mut().unwrap().insert(key.into(), value);
    std::fs::write(p, v.to_string()).unwrap();
}

/// Loads on another thread and fails (rather than hangs) when that takes a minute.
fn load_within_a_minute(dir: &Path) -> Result<Checkpoint, Error> {
    let dir = dir.to_path_buf();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(Checkpoint::load(&dir));
    });
    rx.recv_timeout(std::time::Duration::from_secs(60))
        .expect("the loader returned (it used to wait forever on a FIFO)")
}

#[test]
fn absurd_layer_counts_and_sizes_in_config_are_errors() {
    // num_hidden_layers 10^9 aborted, 2^62 panicked, in Vec::with_capacity: now the first
    // missing layer is named (10^9), or the sizes the config implies overflow (2^62).
    for (layers, needle) in [
        (1_000_000_000u64, "model.layers.2."),
        (1 << 62, "overflows"),
    ] {
        let d = copy("tied", "bf16");
        edit_config(d.path(), "num_hidden_layers", layers.into());
        let e = Checkpoint::load(d.path()).unwrap_err();
        assert!(e.to_string().contains(needle), "{layers}: {e}");
        // and through the binary: one line, nothing printed before it
        let o = run(&["qwen3", "--prompt-ids", "1", "--model"], &[d.path()]);
        assert_one_line_error(&o, needle);
    }
    let d = copy("tied", "bf16");
    edit_config(d.path(), "num_attention_heads", (1u64 << 62).into());
    edit_config(d.path(), "num_key_value_heads", (1u64 << 62).into());
    let e = Checkpoint::load(d.path()).unwrap_err().to_string();
    assert!(e.contains("overflows"), "{e}");
}

#[test]
fn max_new_tokens_is_checked_against_the_context_before_loading() {
    let d = tempfile::tempdir().unwrap();
    let logits = d.path().join("logits.safetensors");
    for n in ["1099511627776", "18446744073709551615", "600"] {
        let o = run(
            &[
                "qwen3",
                "--prompt-ids",
                "1,2",
                "--max-new-tokens",
                n,
                "--logits-out",
            ],
            &[&logits],
        );
        assert_one_line_error(&o, "--max-new-tokens");
        assert!(String::from_utf8_lossy(&o.stderr).contains("context of 512"));
        assert!(o.stdout.is_empty(), "nothing ran");
        assert!(!logits.exists());
    }
    // up to the context is fine, and writes its logits
    let o = run(
        &[
            "qwen3",
            "--prompt-ids",
            "1,2",
            "--max-new-tokens",
            "2",
            "--logits-out",
        ],
        &[&logits],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(logits.exists());
}

#[cfg(unix)]
#[test]
fn the_loader_reads_only_regular_files_inside_the_directory() {
    // A FIFO in place of a shard hung the loader forever.
    let d = copy("tied", "bf16-sharded");
    let shard = d.path().join("model-00002-of-00002.safetensors");
    std::fs::remove_file(&shard).unwrap();
    let c = std::ffi::CString::new(shard.to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path, alive for the call.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    let e = load_within_a_minute(d.path()).unwrap_err().to_string();
    assert!(
        e.contains("model-00002-of-00002.safetensors") && e.contains("FIFO"),
        "{e}"
    );
    let o = run(&["qwen3", "--prompt-ids", "1", "--model"], &[d.path()]);
    assert_one_line_error(&o, "is a FIFO, not a regular file");

    // A FIFO config.json, a device, a link out of the directory: refused, named.
    let d = copy("tied", "bf16");
    std::fs::remove_file(d.path().join("config.json")).unwrap();
    let c = std::ffi::CString::new(d.path().join("config.json").to_str().unwrap()).unwrap();
    // SAFETY: as above.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    let e = load_within_a_minute(d.path()).unwrap_err().to_string();
    assert!(e.contains("config.json") && e.contains("FIFO"), "{e}");

    let outside = copy("tied", "bf16");
    let d = tempfile::tempdir().unwrap();
    std::fs::copy(
        outside.path().join("config.json"),
        d.path().join("config.json"),
    )
    .unwrap();
    std::os::unix::fs::symlink(
        outside.path().join("model.safetensors"),
        d.path().join("model.safetensors"),
    )
    .unwrap();
    let e = Checkpoint::load(d.path()).unwrap_err().to_string();
    assert!(e.contains("outside the directory"), "{e}");
    std::fs::remove_file(d.path().join("model.safetensors")).unwrap();
    std::os::unix::fs::symlink("/dev/zero", d.path().join("model.safetensors")).unwrap();
    assert!(Checkpoint::load(d.path()).is_err());
    // a link that stays inside is fine
    std::fs::remove_file(d.path().join("model.safetensors")).unwrap();
    std::fs::copy(
        outside.path().join("model.safetensors"),
        d.path().join("weights.bin"),
    )
    .unwrap();
    std::os::unix::fs::symlink("weights.bin", d.path().join("model.safetensors")).unwrap();
    Checkpoint::load(d.path()).unwrap();
}

#[test]
fn ambiguous_directories_are_refused_naming_both_files() {
    // A shard index beside a stray single file.
    let d = copy("tied", "bf16-sharded");
    std::fs::copy(
        fixture("tied", "bf16").join("model.safetensors"),
        d.path().join("model.safetensors"),
    )
    .unwrap();
    let e = Checkpoint::load(d.path()).unwrap_err().to_string();
    assert!(
        e.contains("model.safetensors.index.json") && e.contains("model.safetensors,")
            || e.contains("beside model.safetensors"),
        "{e}"
    );
    assert!(e.contains("model.safetensors.index.json"), "{e}");
    // Two layouts side by side (what convert into a converted directory used to leave).
    let d = copy("tied", "bf16");
    copy_into("tied", "mxfp8", d.path());
    let e = Checkpoint::load(d.path()).unwrap_err().to_string();
    assert!(
        e.contains("two checkpoint layouts")
            && e.contains("model.safetensors")
            && e.contains("quant_model_"),
        "{e}"
    );
    // Stray shards without an index beside the single file.
    let d = copy("tied", "bf16");
    std::fs::copy(
        fixture("tied", "bf16-sharded").join("model-00001-of-00002.safetensors"),
        d.path().join("model-00001-of-00002.safetensors"),
    )
    .unwrap();
    let e = Checkpoint::load(d.path()).unwrap_err().to_string();
    assert!(
        e.contains("model-00001-of-00002.safetensors") && e.contains("model.safetensors"),
        "{e}"
    );
    // Other .safetensors files (fixtures, adapters) are not weights and stay allowed.
    let d = copy("tied", "bf16");
    assert!(d.path().join("expected.safetensors").exists());
    Checkpoint::load(d.path()).unwrap();
}

// ------------------------------------------------------------------------------- convert

fn leftovers(parent: &Path) -> Vec<String> {
    std::fs::read_dir(parent)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter(|n| n.starts_with('.'))
        .collect()
}

#[test]
fn convert_is_all_or_nothing_and_never_merges_layouts() {
    let parent = tempfile::tempdir().unwrap();
    let out = parent.path().join("converted");
    let opts = |to, replace| ConvertOptions {
        to,
        round: RoundMode::Round,
        replace,
    };
    convert(
        &fixture("tied", "bf16"),
        &out,
        &opts(ConvertTarget::Mxfp8, false),
        &mut |_, _| {},
    )
    .unwrap();
    assert_eq!(
        Checkpoint::load(&out).unwrap().format,
        CheckpointFormat::Mxfp8
    );
    // Converting into it again is refused (it used to leave both layouts there) ...
    let e = convert(
        &fixture("tied", "fp8"),
        &out,
        &opts(ConvertTarget::Bf16, false),
        &mut |_, _| {},
    )
    .unwrap_err();
    assert!(e.to_string().contains("--replace"), "{e}");
    assert_eq!(
        Checkpoint::load(&out).unwrap().format,
        CheckpointFormat::Mxfp8
    );
    // ... unless told to replace it: then it holds the new layout alone.
    convert(
        &fixture("tied", "fp8"),
        &out,
        &opts(ConvertTarget::Bf16, true),
        &mut |_, _| {},
    )
    .unwrap();
    assert!(matches!(
        Checkpoint::load(&out).unwrap().format,
        CheckpointFormat::Dense(_)
    ));
    assert!(!out.join("quant_model_description.json").exists());
    assert!(
        leftovers(parent.path()).is_empty(),
        "{:?}",
        leftovers(parent.path())
    );

    // A failing convert leaves nothing behind: neither the output nor a staging directory.
    let broken = copy("tied", "bf16");
    let weights = broken.path().join("model.safetensors");
    let bytes = std::fs::read(&weights).unwrap();
    std::fs::write(&weights, &bytes[..bytes.len() / 2]).unwrap();
    let fresh = parent.path().join("fresh");
    assert!(convert(
        broken.path(),
        &fresh,
        &opts(ConvertTarget::Mxfp8, false),
        &mut |_, _| {}
    )
    .is_err());
    assert!(!fresh.exists());
    // A failure after the weights were written (an unreadable extra file): still nothing.
    #[cfg(unix)]
    {
        let d = copy("tied", "bf16");
        let c = std::ffi::CString::new(d.path().join("special_tokens_map.json").to_str().unwrap())
            .unwrap();
        // SAFETY: as above.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        std::os::unix::fs::symlink("/etc/hostname", d.path().join("tokenizer_config.json"))
            .unwrap();
        let e = convert(
            d.path(),
            &fresh,
            &opts(ConvertTarget::Mxfp8, false),
            &mut |_, _| {},
        )
        .unwrap_err();
        assert!(e.to_string().contains("outside the directory"), "{e}");
        assert!(!fresh.exists());
    }
    assert!(
        leftovers(parent.path()).is_empty(),
        "{:?}",
        leftovers(parent.path())
    );

    // Through the binary: the error is one line (not appended to the progress bar).
    let o = run(
        &["convert", "--to", "bf16", "--input"],
        &[&fixture("tied", "fp8"), Path::new("--output"), &out],
    );
    assert_one_line_error(&o, "is not empty; pass --replace");
    let o = run(
        &["convert", "--to", "bf16", "--input"],
        &[broken.path(), Path::new("--output"), &fresh],
    );
    assert_one_line_error(&o, "model.safetensors");
    assert!(!fresh.exists());
}

// ----------------------------------------------------------------------- one-line errors

#[test]
fn argument_errors_are_one_line_naming_the_option() {
    let cases: [(&[&str], &str); 7] = [
        (
            &[
                "op", "mx-quant", "--input", "a", "--output", "b", "--dst", "e9",
            ],
            "'--dst <DST>': unknown FP8 format `e9` (expected e4m3 or e5m2)",
        ),
        (
            &["op", "mx-quant", "--output", "b"],
            "missing required argument: --input",
        ),
        (
            &[
                "op",
                "mx-quant",
                "--input",
                "a",
                "--output",
                "b",
                "--frobnicate",
            ],
            "unknown option '--frobnicate'",
        ),
        (
            &["op", "mx-qaunt", "--input", "a", "--output", "b"],
            "expected one of mx-quant",
        ),
        (
            &["qwen3", "--max-new-tokens", "18446744073709551616"],
            "--max-new-tokens",
        ),
        (
            &["convert", "--input", "a", "--output", "b", "--to", "fp4"],
            "expected bf16 or mxfp8",
        ),
        (
            &[
                "--max-memory",
                "lots",
                "emit",
                "--target",
                "a2",
                "--out",
                "x",
            ],
            "--max-memory",
        ),
    ];
    for (args, needle) in cases {
        let o = bin().args(args).output().unwrap();
        assert_one_line_error(&o, needle);
    }
    let o = bin().output().unwrap();
    assert_one_line_error(
        &o,
        "missing command (one of op, verify, qwen3, convert, emit, tune",
    );
    let o = bin().args(["frobnicate"]).output().unwrap();
    assert_one_line_error(&o, "unknown command 'frobnicate'");
    // help is not an error
    let o = bin().arg("--help").output().unwrap();
    assert!(o.status.success() && o.stderr.is_empty());
}

#[test]
fn line_breaks_quoted_from_the_input_stay_escaped() {
    // Found by the fuzz targets: a tensor name, a config string or an option value with a line
    // break made a multi-line message (library and binary).
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("out.safetensors");
    let input = d.path().join("x.safetensors");
    write_tensors(
        &input,
        &[("x\nfake: line", DType::BF16, vec![1, 2], vec![0; 4])],
    );
    let o = run(
        &op_args("mx-quant", &["--input"]),
        &[&input, Path::new("--output"), &out],
    );
    assert_one_line_error(&o, "x: missing");
    let o = run(&["verify", "--backend", "cpu,sim-a\nb"], &[]);
    assert_one_line_error(&o, "unknown target `a\\nb`");
    let c = ascend_kernels::qwen3::Qwen3Config::from_json_str(
        "config.json",
        r#"{"model_type": "qwe\n3"}"#,
    )
    .unwrap_err()
    .to_string();
    assert!(c.contains("qwe\\n3") && !c.contains('\n'), "{c}");
}

#[test]
fn no_progress_text_precedes_an_error() {
    // `qwen3` printed `loading DIR ...` before its error.
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("config.json"), b"{").unwrap();
    let o = run(&["qwen3", "--prompt-ids", "1", "--model"], &[d.path()]);
    assert_one_line_error(&o, "config.json: not valid JSON");
    let o = run(
        &["qwen3", "--prompt-ids", "1", "--model"],
        &[&d.path().join("absent")],
    );
    assert_one_line_error(&o, "absent");
}

#[test]
fn rope_table_checks_in_verify_refuse_malformed_fixtures() {
    // `verify` reads fixture files too: a cos table of the wrong rank is an error, not a panic.
    let d = tempfile::tempdir().unwrap();
    let op = d.path().join("rope-qk");
    std::fs::create_dir(&op).unwrap();
    let t: Vec<(String, RawTensor)> = vec![
        (
            "q".into(),
            RawTensor {
                dtype: DType::F32,
                shape: vec![1, 1, 4],
                bytes: vec![0; 16],
            },
        ),
        (
            "k".into(),
            RawTensor {
                dtype: DType::F32,
                shape: vec![1, 1, 4],
                bytes: vec![0; 16],
            },
        ),
        (
            "positions".into(),
            RawTensor {
                dtype: DType::I64,
                shape: vec![1],
                bytes: vec![0; 8],
            },
        ),
        (
            "expected.q_out".into(),
            RawTensor {
                dtype: DType::F32,
                shape: vec![1, 1, 4],
                bytes: vec![0; 16],
            },
        ),
        (
            "expected.k_out".into(),
            RawTensor {
                dtype: DType::F32,
                shape: vec![1, 1, 4],
                bytes: vec![0; 16],
            },
        ),
        (
            "expected.cos_f32".into(),
            RawTensor {
                dtype: DType::F32,
                shape: vec![4],
                bytes: vec![0; 16],
            },
        ),
        (
            "expected.sin_f32".into(),
            RawTensor {
                dtype: DType::F32,
                shape: vec![4],
                bytes: vec![0; 16],
            },
        ),
    ];
    let meta = HashMap::from([
        ("op".to_string(), "rope-qk".to_string()),
        ("compare".to_string(), "exact".to_string()),
        ("theta".to_string(), "10000".to_string()),
    ]);
    std::fs::write(op.join("bad.safetensors"), serialize(&t, &meta).unwrap()).unwrap();
    let o = bin()
        .args(["verify", "--fixtures"])
        .arg(d.path())
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(String::from_utf8_lossy(&o.stdout).contains("FAIL"));
}
