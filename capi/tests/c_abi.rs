//! The C ABI from C: `tests/c/abi_test.c` is compiled against `include/ascend_kernels.h` and the
//! emulator's `acl/acl.h`, linked with `libascend_kernels_c.so` and the emulator runtime, and run
//! as an engine would (its own AscendCL, device memory and stream). Its outputs must equal what
//! the Rust library computes through `Backend::Sim` for the same inputs, bit for bit, and it
//! must leave no device memory or stream behind.

use ascend_kernels::backend::sim::SimConfig;
use ascend_kernels::device::emulator;
use ascend_kernels::ops::{self, MxQuantOptions, RmsNormOptions};
use ascend_kernels::tiling::Target;
use ascend_kernels::{Backend, TensorView};
use half::bf16;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The directory cargo put `libascend_kernels_c.so` in (this test's `deps/` or its parent).
fn cdylib_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let deps = exe.parent().unwrap().to_path_buf();
    for dir in [deps.clone(), deps.parent().unwrap().to_path_buf()] {
        if dir.join("libascend_kernels_c.so").is_file() {
            return dir;
        }
    }
    panic!("libascend_kernels_c.so is not next to {}", exe.display());
}

/// The same inputs as the C program's `fill`.
fn fill(n: usize, mul: usize, div: f32) -> Vec<bf16> {
    (0..n)
        .map(|i| bf16::from_f32((((i * mul) % 201) as f32 - 100.0) / div))
        .collect()
}

fn compile(repo: &Path, emu: &Path, lib: &Path, out: &Path) {
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    let status = Command::new(cc)
        .args(["-std=c11", "-Wall", "-Wextra", "-Werror", "-O1"])
        .arg(repo.join("capi/tests/c/abi_test.c"))
        .arg("-I")
        .arg(repo.join("include"))
        .arg("-I")
        .arg(repo.join("ascendc/sim"))
        .arg(format!("-L{}", lib.display()))
        .arg(format!("-L{}", emu.display()))
        .args(["-lascend_kernels_c", "-lak_emu"])
        .arg(format!("-Wl,-rpath,{}:{}", lib.display(), emu.display()))
        .arg("-o")
        .arg(out)
        .status()
        .expect("a C compiler (cc) builds the ABI test program");
    assert!(
        status.success(),
        "the C program does not compile against the header"
    );
}

#[test]
fn a_c_program_runs_every_call_like_an_engine() {
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let emu = emulator::library_dir().unwrap();
    let dir = tempfile_dir();
    let exe = dir.join("abi_test");
    compile(&repo, &emu, &cdylib_dir(), &exe);
    let out_file = dir.join("out.bin");
    let run = Command::new(&exe)
        .arg(&out_file)
        .env("AK_EMULATOR_DIR", &emu)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        run.status.success(),
        "abi_test failed ({:?}):\n{stdout}\n{stderr}",
        run.status
    );
    assert!(
        stdout.contains("refused as expected: a weight of the wrong length"),
        "{stdout}"
    );
    assert!(
        stdout.contains("host memory passed as device memory"),
        "{stdout}"
    );
    let bytes = std::fs::read(&out_file).unwrap();

    // The same ops through the Rust library on the emulated a2.
    let sim = Backend::Sim(SimConfig::new(Target::A2));
    let (r, h, m, n, k) = (7usize, 96usize, 5usize, 33usize, 100usize);
    let x = fill(r * h, 37, 25.0);
    let w = fill(h, 11, 80.0);
    let (xs, ws) = ([r, h], [h]);
    let y = ops::rms_norm(
        &sim,
        TensorView::new(&xs, &x).unwrap(),
        TensorView::new(&ws, &w).unwrap(),
        &RmsNormOptions::default(),
    )
    .unwrap();
    let a = fill(m * k, 53, 20.0);
    let b = fill(n * k, 29, 40.0);
    let (a_s, bs) = ([m, k], [n, k]);
    let qa = ops::mx_quant(
        &sim,
        TensorView::new(&a_s, &a).unwrap(),
        &MxQuantOptions::default(),
    )
    .unwrap();
    let qb = ops::mx_quant(
        &sim,
        TensorView::new(&bs, &b).unwrap(),
        &MxQuantOptions::default(),
    )
    .unwrap();
    let bias: Vec<f32> = (0..n).map(|i| (i as f32 - 16.0) / 8.0).collect();
    let bias_shape = [n];
    let mm: ascend_kernels::Tensor<f32> = ops::mx_matmul(
        &sim,
        qa.view(),
        qb.view(),
        Some(TensorView::new(&bias_shape, &bias).unwrap()),
    )
    .unwrap();

    let mut want: Vec<u8> = Vec::new();
    want.extend_from_slice(bytemuck::cast_slice(y.data()));
    want.extend_from_slice(qa.elements.data());
    want.extend_from_slice(bytemuck::cast_slice(qa.scales.data()));
    want.extend_from_slice(qb.elements.data());
    want.extend_from_slice(bytemuck::cast_slice(qb.scales.data()));
    want.extend_from_slice(bytemuck::cast_slice(mm.data()));
    assert_eq!(bytes.len(), want.len());
    assert!(
        bytes == want,
        "the C ABI's results differ from the library's"
    );
}

fn tempfile_dir() -> PathBuf {
    let d = std::env::temp_dir().join(format!("ak-c-abi-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}
