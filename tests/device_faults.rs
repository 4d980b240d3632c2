//! The device path under failure: the emulator runtime is told to fail (allocation, launch,
//! synchronize), libraries are missing or lack a symbol, the SoC is unknown, the toolkit is
//! absent. Every failure must reach the caller as a named error carrying the API, the code and
//! the runtime's message; nothing may panic, leak a device allocation or a stream, or hand back
//! a partial result.
//!
//! Faults are per thread; the SoC override is process-wide, so the tests of this file take one
//! lock.

mod common;

use ascend_kernels::backend::{sim::SimConfig, NpuConfig};
use ascend_kernels::device::{emulator, Device, Runtime, RuntimeKind};
use ascend_kernels::ops::{self, RmsNormOptions};
use ascend_kernels::tiling::Target;
use ascend_kernels::{Backend, Error, TensorView};
use half::bf16;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

static LOCK: Mutex<()> = Mutex::new(());

fn lock() -> std::sync::MutexGuard<'static, ()> {
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

/// The run every fault test uses: an rms_norm of 7 x 96 bf16 on the emulated `target`.
fn run_rms(target: Target) -> ascend_kernels::Result<Vec<bf16>> {
    let x: Vec<bf16> = (0..7 * 96)
        .map(|i| bf16::from_f32(i as f32 / 50.0 - 3.0))
        .collect();
    let w: Vec<bf16> = (0..96)
        .map(|i| bf16::from_f32(1.0 + i as f32 / 96.0))
        .collect();
    let (xs, ws) = ([7usize, 96], [96usize]);
    let backend = Backend::Sim(SimConfig::new(target).with_variant("v0"));
    ops::rms_norm(
        &backend,
        TensorView::new(&xs, &x)?,
        TensorView::new(&ws, &w)?,
        &RmsNormOptions::default(),
    )
    .map(|t| t.into_data())
}

/// Nothing of this thread is left on the device: no allocation, and (process-wide, under the
/// lock) no stream.
fn assert_nothing_left() {
    assert_eq!(
        emulator::thread_live_allocations().unwrap(),
        0,
        "leaked device memory"
    );
    assert_eq!(emulator::live_streams().unwrap(), 0, "leaked a stream");
}

fn runtime_error(e: Error) -> (String, i32, String) {
    match e {
        Error::Runtime {
            runtime,
            api,
            code,
            message,
        } => {
            assert_eq!(runtime, "emulator");
            (api, code, message)
        }
        other => panic!("expected a runtime error, got {other:?}"),
    }
}

#[test]
fn a_failing_allocation_is_named_and_frees_what_was_allocated() {
    let _g = lock();
    // The run allocates x, weight, then y: fail the third.
    emulator::inject_fault("aclrtMalloc", 2, 207_001).unwrap();
    let (api, code, message) = runtime_error(run_rms(Target::A2).unwrap_err());
    assert_eq!((api.as_str(), code), ("aclrtMalloc", 207_001));
    assert!(message.contains("injected fault"), "{message}");
    assert_nothing_left();
    // The next run is clean and right.
    let good = run_rms(Target::A2).unwrap();
    assert!(good.iter().all(|v| v.is_finite()));
    assert_nothing_left();
}

#[test]
fn a_refused_launch_is_named_after_the_launcher() {
    let _g = lock();
    emulator::inject_fault("launch", 0, 507_000).unwrap();
    let (api, code, message) = runtime_error(run_rms(Target::A5).unwrap_err());
    assert_eq!(api, "ak_rms_norm_a5_v0_launch");
    assert_eq!(code, 507_000);
    assert!(message.contains("injected fault"), "{message}");
    assert_nothing_left();
}

#[test]
fn a_failing_synchronize_drops_the_work_and_frees_everything() {
    let _g = lock();
    emulator::inject_fault("aclrtSynchronizeStream", 0, 507_015).unwrap();
    let (api, code, message) = runtime_error(run_rms(Target::A2).unwrap_err());
    assert_eq!((api.as_str(), code), ("aclrtSynchronizeStream", 507_015));
    assert!(message.contains("injected fault"), "{message}");
    assert_nothing_left();
}

#[test]
fn a_failing_stream_creation_and_copy_are_named() {
    let _g = lock();
    emulator::inject_fault("aclrtCreateStream", 0, 507_000).unwrap();
    let (api, _, _) = runtime_error(run_rms(Target::A2).unwrap_err());
    assert_eq!(api, "aclrtCreateStream");
    emulator::inject_fault("aclrtMemcpy", 1, 507_000).unwrap();
    let (api, _, _) = runtime_error(run_rms(Target::A2).unwrap_err());
    assert_eq!(api, "aclrtMemcpy");
    assert_nothing_left();
}

#[test]
fn an_unknown_fault_name_is_refused() {
    let _g = lock();
    let e = emulator::inject_fault("aclrtNoSuchCall", 0, 1).unwrap_err();
    assert!(e.to_string().contains("aclrtNoSuchCall"), "{e}");
    emulator::clear_faults().unwrap();
}

fn emulator_dir() -> PathBuf {
    emulator::library_dir().unwrap()
}

#[test]
fn a_missing_library_is_named() {
    let _g = lock();
    let path = Path::new("/nonexistent/libak_emu.so");
    match Runtime::load(RuntimeKind::Emulator, path) {
        Err(Error::Library { path: p, reason }) => {
            assert_eq!(p, path.display().to_string());
            assert!(reason.contains("cannot be loaded"), "{reason}");
        }
        other => panic!("expected a library error, got {other:?}"),
    }
}

/// A library that exports only `aclInit`: the runtime names the first symbol it lacks.
#[test]
fn a_missing_runtime_symbol_is_named() {
    let _g = lock();
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("partial.c");
    std::fs::write(&src, "int aclInit(const char* p) { (void)p; return 0; }\n").unwrap();
    let lib = dir.path().join("libpartial.so");
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    let status = std::process::Command::new(cc)
        .args(["-shared", "-fPIC", "-o"])
        .arg(&lib)
        .arg(&src)
        .status()
        .expect("a C compiler (cc) is needed to build the partial runtime");
    assert!(status.success());
    match Runtime::load(RuntimeKind::Cann, &lib) {
        Err(Error::Library { path, reason }) => {
            assert_eq!(path, lib.display().to_string());
            assert!(reason.contains("does not export `aclFinalize`"), "{reason}");
        }
        other => panic!("expected a library error, got {other:?}"),
    }
}

/// The a2 kernel library on the a5 device: every launcher it is asked for is missing.
#[test]
fn a_missing_launcher_is_named() {
    let _g = lock();
    let rt = emulator::runtime().unwrap();
    let a2_lib = emulator_dir().join(emulator::kernel_library_name(Target::A2));
    let dev = Device::open(rt, emulator::device_id(Target::A5), &a2_lib).unwrap();
    assert_eq!(dev.target(), Target::A5);
    assert!(!dev.kernels().has_unit("rms_norm", "v0"));
    let exec = ascend_kernels::device::Exec::new(dev);
    let e = exec.knobs("rms_norm", "v0").unwrap_err();
    assert!(
        e.to_string()
            .contains("rms_norm variant `v0` is not compiled for a5"),
        "{e}"
    );
    // A variant no library has.
    let e = run_with_variant(Target::A2, "v7").unwrap_err();
    assert!(
        e.to_string()
            .contains("variant `v7` is not compiled for a2"),
        "{e}"
    );
    assert_nothing_left();
}

fn run_with_variant(target: Target, v: &str) -> ascend_kernels::Result<Vec<bf16>> {
    let x = vec![bf16::ONE; 64];
    let w = vec![bf16::ONE; 64];
    let s = [1usize, 64];
    let backend = Backend::Sim(SimConfig::new(target).with_variant(v));
    ops::rms_norm(
        &backend,
        TensorView::new(&s, &x)?,
        TensorView::new(&s[1..], &w)?,
        &RmsNormOptions::default(),
    )
    .map(|t| t.into_data())
}

#[test]
fn an_unknown_soc_is_a_named_error() {
    let _g = lock();
    let rt = emulator::runtime().unwrap();
    emulator::set_soc_name(0, Some("Ascend310P3")).unwrap();
    let lib = emulator_dir().join(emulator::kernel_library_name(Target::A2));
    let r = Device::open(rt, 0, &lib);
    emulator::set_soc_name(0, None).unwrap();
    match r {
        Err(Error::Unsupported {
            source_name,
            feature,
            reason,
        }) => {
            assert_eq!(source_name, "aclrtGetSocName");
            assert_eq!(feature, "SoC `Ascend310P3`");
            assert!(
                reason.contains("Ascend910B") && reason.contains("Ascend950"),
                "{reason}"
            );
        }
        other => panic!("expected an unsupported-SoC error, got {other:?}"),
    }
    // The emulated 910_93 and 950 names map to their targets.
    for (soc, target) in [("Ascend910_9392", Target::A2), ("Ascend950DT", Target::A5)] {
        emulator::set_soc_name(0, Some(soc)).unwrap();
        let rt = emulator::runtime().unwrap();
        let r = Device::open(rt, 0, &lib);
        emulator::set_soc_name(0, None).unwrap();
        assert_eq!(r.unwrap().target(), target, "{soc}");
    }
    // A failing aclrtGetSocName is named too.
    emulator::inject_fault("aclrtGetSocName", 0, 507_000).unwrap();
    let (api, _, message) =
        runtime_error(Device::open(emulator::runtime().unwrap(), 0, &lib).unwrap_err());
    assert_eq!(api, "aclrtGetSocName");
    assert!(message.contains("injected fault"), "{message}");
}

/// Without a CANN toolkit (CI, this machine), the NPU backend says what is missing and what to
/// set — from the library, and as one line from every CLI command that takes `--backend`.
#[test]
fn the_missing_toolkit_is_named() {
    let _g = lock();
    if std::env::var_os("ASCEND_HOME_PATH").is_some() || Path::new("/usr/local/Ascend").exists() {
        eprintln!("a CANN toolkit is installed here; the missing-toolkit message cannot be shown");
        return;
    }
    let x = vec![bf16::ONE; 64];
    let s = [1usize, 64];
    let r = ops::rms_norm(
        &Backend::Npu(NpuConfig::new(0)),
        TensorView::new(&s, &x).unwrap(),
        TensorView::new(&s[1..], &x).unwrap(),
        &RmsNormOptions::default(),
    );
    match r {
        Err(Error::BackendUnavailable { backend, reason }) => {
            assert_eq!(backend, "npu");
            assert!(reason.contains("libascendcl.so"), "{reason}");
            assert!(reason.contains("ASCEND_HOME_PATH"), "{reason}");
            assert!(reason.contains("AK_ASCENDCL_LIB"), "{reason}");
        }
        other => panic!("expected the NPU backend to be unavailable, got {other:?}"),
    }
}

/// The kernel library is looked for after the runtime: its message names AK_NPU_KERNEL_DIR.
#[test]
fn a_missing_npu_kernel_library_is_named() {
    let _g = lock();
    let e = ascend_kernels::device::cann::kernel_library(Target::A5).unwrap_err();
    let m = e.to_string();
    assert!(m.contains("libascend_kernels_a5.so"), "{m}");
    assert!(m.contains("AK_NPU_KERNEL_DIR"), "{m}");
    assert!(m.contains("ascend-kernels emit --target a5"), "{m}");
}

/// Misuse the emulator refuses: freeing or copying into memory a queued kernel uses, destroying
/// a stream with queued work.
#[test]
fn races_with_pending_work_are_refused() {
    let _g = lock();
    let dev = Device::emulator(Target::A2).unwrap();
    let exec = ascend_kernels::device::Exec::new(dev.clone());
    let stream = dev.stream().unwrap();
    let x = dev.alloc(64 * 2).unwrap();
    let w = dev.alloc(64 * 2).unwrap();
    let y = dev.alloc(64 * 2).unwrap();
    x.upload(&[bf16::ONE; 64]).unwrap();
    w.upload(&[bf16::ONE; 64]).unwrap();
    let (s, ws) = ([1usize, 64], [64usize]);
    let t = |b: &ascend_kernels::device::DeviceBuffer, shape| {
        ascend_kernels::device::ops::DeviceTensor::new(b, shape, ascend_kernels::DType::BF16)
            .unwrap()
    };
    ascend_kernels::device::ops::rms_norm(
        &exec,
        stream.handle(),
        t(&x, &s),
        t(&w, &ws),
        None,
        t(&y, &s),
        None,
        &RmsNormOptions::default(),
    )
    .unwrap();
    // A synchronous copy into the input of the queued kernel races with it.
    let (api, code, message) = runtime_error(x.upload(&[bf16::ZERO; 64]).unwrap_err());
    assert_eq!((api.as_str(), code), ("aclrtMemcpy", 107_000));
    assert!(message.contains("pending task"), "{message}");
    // Reading the output before synchronizing too.
    let mut out = vec![bf16::ZERO; 64];
    assert!(y.download(&mut out).is_err());
    stream.synchronize().unwrap();
    y.download(&mut out).unwrap();
    let want = ops::rms_norm(
        &Backend::Cpu,
        TensorView::new(&s, &[bf16::ONE; 64]).unwrap(),
        TensorView::new(&ws, &[bf16::ONE; 64]).unwrap(),
        &RmsNormOptions::default(),
    )
    .unwrap();
    assert_eq!(out, want.data());
    drop((x, w, y, stream));
    assert_nothing_left();
}
