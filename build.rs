//! Build script: runs the kernel generator (`codegen/`) into `OUT_DIR`, then builds the emulator
//! runtime the device path loads for `Backend::Sim`:
//!
//! - `OUT_DIR/emu/libak_emu.so`: the AscendCL subset on host memory (`ascendc/sim/ak_emu_acl.cpp`)
//!   and the sim (`ascendc/sim/ak_sim.cpp`);
//! - `OUT_DIR/emu/libak_emu_kernels_<target>.so`: the generated kernel units of each target (which
//!   include the kernel sources of `ascendc/kernels/`), compiled against the sim's
//!   `kernel_operator.h` and linked to `libak_emu.so` (runpath `$ORIGIN`).
//!
//! The crate embeds the three files (`src/device/emulator.rs`). With feature `npu` it also looks
//! for a CANN toolkit and, when there is one, builds the kernel libraries with it
//! (`docs/cann.md`).
//!
//! cfgs emitted:
//! - `ak_emu`: the emulator libraries were built;
//! - `has_ascend`: feature `npu` is on and a CANN toolkit was found.

use std::path::{Path, PathBuf};
use std::process::Command;

use ascend_kernels_codegen::{self as codegen, Target, Unit};

/// What the emulator build compiles: every variant tests, benches and the defaults use, for
/// both targets. Kept short so a fresh build stays within a couple of minutes on 2 cores.
fn sim_units() -> Vec<Unit> {
    const SELECTED: &[(&str, &[&str])] = &[
        ("rms_norm", &["v0", "v1", "v2"]),
        ("mx_dequant", &["v0", "v1"]),
        ("mx_quant", &["v0", "v1"]),
        ("fp8_block_dequant", &["v0", "v1"]),
        ("rope_qk", &["v0", "v1"]),
        ("matmul", &["v0", "v1"]),
        ("matmul_mx", &["v0", "v1"]),
    ];
    let descs = codegen::kernels();
    let supports =
        |kernel: &str, t: Target| descs.iter().any(|k| k.name == kernel && k.supports(t));
    let mut units = vec![Unit::new("sim_probe", Target::A2, "v0")];
    for &(kernel, variants) in SELECTED {
        for t in Target::ALL.into_iter().filter(|&t| supports(kernel, t)) {
            for v in variants {
                units.push(Unit::new(kernel, t, v));
            }
        }
    }
    units
}

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=codegen/src");
    println!("cargo:rerun-if-changed=ascendc/sim");
    println!("cargo:rerun-if-changed=ascendc/include");
    println!("cargo:rerun-if-changed=ascendc/kernels");
    println!("cargo:rerun-if-env-changed=AK_SIM_DISABLE");
    println!("cargo:rerun-if-env-changed=ASCEND_HOME_PATH");
    println!("cargo:rerun-if-env-changed=ASCEND_TOOLKIT_HOME");
    println!("cargo::rustc-check-cfg=cfg(ak_emu)");
    println!("cargo::rustc-check-cfg=cfg(has_ascend)");

    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR"));
    let gen_dir = out.join("generated");

    let units = sim_units();
    let files = codegen::generate(&units).unwrap_or_else(|e| panic!("kernel generator: {e}"));
    codegen::write_files(&gen_dir, &files)
        .unwrap_or_else(|e| panic!("writing {}: {e}", gen_dir.display()));

    build_emulator(&manifest, &gen_dir, &out.join("emu"), &units);
    if std::env::var_os("CARGO_FEATURE_NPU").is_some() {
        discover_cann();
    }
}

/// One shared library to build: its file name, sources, defines and what it links to.
struct SharedLib {
    name: String,
    sources: Vec<PathBuf>,
    target: Option<Target>,
    link_runtime: bool,
}

fn build_emulator(manifest: &Path, gen_dir: &Path, emu_dir: &Path, units: &[Unit]) {
    let sim_dir = manifest.join("ascendc/sim");
    let include_dir = manifest.join("ascendc/include");
    // the kernel sources (`ascendc/kernels/<kernel>/`, `common/`), included by the generated units
    let kernels_dir = manifest.join("ascendc/kernels");
    if std::env::var_os("AK_SIM_DISABLE").is_some() {
        println!(
            "cargo:warning=AK_SIM_DISABLE is set: Backend::Sim is not available in this build"
        );
        return;
    }
    if let Err(e) = std::fs::create_dir_all(emu_dir) {
        fail(&format!("cannot create {}: {e}", emu_dir.display()));
        return;
    }
    let mut libs = vec![SharedLib {
        name: "libak_emu.so".into(),
        sources: vec![sim_dir.join("ak_sim.cpp"), sim_dir.join("ak_emu_acl.cpp")],
        target: None,
        link_runtime: false,
    }];
    for t in Target::ALL {
        libs.push(SharedLib {
            name: format!("libak_emu_kernels_{}.so", t.name()),
            sources: units
                .iter()
                .filter(|u| u.target == t)
                .map(|u| gen_dir.join(format!("{}.cpp", u.stem())))
                .collect(),
            target: Some(t),
            link_runtime: true,
        });
    }

    let base = |lib: &SharedLib| {
        let mut b = cc::Build::new();
        b.cpp(true)
            .std("c++17")
            .pic(true)
            .debug(false)
            .opt_level(2)
            .warnings(false)
            .cargo_metadata(false)
            .out_dir(emu_dir.join(format!("obj-{}", lib.name)))
            .define("AK_SIM", None)
            .define("ASCENDC_CPU_DEBUG", "1")
            .include(&sim_dir)
            .include(&include_dir)
            .include(&kernels_dir)
            .include(gen_dir);
        if let Some(t) = lib.target {
            b.define("__NPU_ARCH__", t.npu_arch().to_string().as_str())
                .define("__CCE_AICORE__", t.cce_aicore().to_string().as_str());
        }
        for s in &lib.sources {
            b.file(s);
        }
        b
    };

    // Compile the three libraries' objects concurrently (cc's jobserver keeps the total within
    // NUM_JOBS), then link the runtime first and the kernel libraries against it.
    let builds: Vec<cc::Build> = libs.iter().map(base).collect();
    let objects: Vec<Result<Vec<PathBuf>, String>> = std::thread::scope(|s| {
        let handles: Vec<_> = builds
            .iter()
            .map(|b| s.spawn(move || b.try_compile_intermediates().map_err(|e| e.to_string())))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err("the compiler thread panicked".to_string()))
            })
            .collect()
    });
    let mut errors = Vec::new();
    for ((lib, objs), build) in libs.iter().zip(&objects).zip(&builds) {
        let objs = match objs {
            Ok(o) => o,
            Err(e) => {
                errors.push(format!("{}: {e}", lib.name));
                continue;
            }
        };
        if let Err(e) = link(build, lib, objs, emu_dir) {
            errors.push(format!("{}: {e}", lib.name));
        }
    }
    if !errors.is_empty() {
        for e in &errors {
            for line in e.lines().take(40) {
                println!("cargo:warning=emulator build: {line}");
            }
        }
        fail("the generated kernels or ascendc/sim failed to compile (see the build warnings)");
        return;
    }
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for lib in &libs {
        match std::fs::read(emu_dir.join(&lib.name)) {
            Ok(bytes) => {
                for b in bytes {
                    hash ^= u64::from(b);
                    hash = hash.wrapping_mul(0x0100_0000_01b3);
                }
            }
            Err(e) => {
                fail(&format!("cannot read {}: {e}", lib.name));
                return;
            }
        }
    }
    println!("cargo:rustc-env=AK_EMU_HASH={hash:016x}");
    println!("cargo:rustc-cfg=ak_emu");
}

fn link(build: &cc::Build, lib: &SharedLib, objs: &[PathBuf], dir: &Path) -> Result<(), String> {
    let mut cmd: Command = build
        .try_get_compiler()
        .map_err(|e| e.to_string())?
        .to_command();
    cmd.arg("-shared")
        .arg("-o")
        .arg(dir.join(&lib.name))
        .arg(format!("-Wl,-soname,{}", lib.name))
        .args(objs)
        .arg("-pthread");
    if lib.link_runtime {
        cmd.arg(format!("-L{}", dir.display()))
            .arg("-lak_emu")
            .arg("-Wl,-rpath,$ORIGIN");
    }
    let out = cmd
        .output()
        .map_err(|e| format!("cannot run the linker: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "link failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(())
}

fn fail(reason: &str) {
    println!(
        "cargo:warning=the emulator did not build: Backend::Sim is not available in this build"
    );
    println!("cargo:rustc-env=AK_EMU_BUILD_ERROR={reason}");
}

/// Feature `npu` with a toolkit: bindgen over the toolkit's `acl/acl.h` into
/// `OUT_DIR/acl_cann.rs`, against which `src/device/acl.rs` checks its function table at compile
/// time. A toolkit whose headers bindgen cannot read stops the build with the reason.
#[cfg(feature = "npu")]
fn acl_declarations(home: &Path) {
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR")).join("acl_cann.rs");
    let header = home.join("include/acl/acl.h");
    let bindings = bindgen::Builder::default()
        .header(header.display().to_string())
        .clang_arg(format!("-I{}", home.join("include").display()))
        .allowlist_function("acl.*")
        .use_core()
        .ctypes_prefix("::core::ffi")
        .size_t_is_usize(true)
        .layout_tests(false)
        .default_enum_style(bindgen::EnumVariation::Consts)
        .generate()
        .unwrap_or_else(|e| panic!("feature npu: bindgen on {}: {e}", header.display()));
    bindings
        .write_to_file(&out)
        .unwrap_or_else(|e| panic!("writing {}: {e}", out.display()));
}

#[cfg(not(feature = "npu"))]
fn acl_declarations(_home: &Path) {}

/// Feature `npu` with a toolkit: writes the CANN project of each target (what `ascend-kernels
/// emit` writes) into `OUT_DIR/cann-<target>` and builds it with CMake and the toolkit; the
/// kernel libraries go to `OUT_DIR/npu-kernels/`, which `Backend::Npu` looks in after
/// `AK_NPU_KERNEL_DIR`. A failure (no cmake, a toolkit that refuses the project) is a build
/// warning with the tail of the log, not a build error: the rest of the crate does not need it.
fn build_npu_kernels(home: &Path) {
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR"));
    let lib_dir = out.join("npu-kernels");
    if let Err(e) = std::fs::create_dir_all(&lib_dir) {
        println!(
            "cargo:warning=feature npu: cannot create {}: {e}",
            lib_dir.display()
        );
        return;
    }
    for t in Target::ALL {
        let project = out.join(format!("cann-{}", t.name()));
        let result = codegen::project::write_cann_project(&project, t).and_then(|_| {
            let build = project.join("build");
            let run = |args: &[&std::ffi::OsStr]| -> Result<(), String> {
                let o = Command::new("cmake")
                    .args(args)
                    .env("ASCEND_HOME_PATH", home)
                    .output()
                    .map_err(|e| format!("cannot run cmake ({e}); install CMake"))?;
                if o.status.success() {
                    return Ok(());
                }
                let log = String::from_utf8_lossy(&o.stdout).to_string()
                    + &String::from_utf8_lossy(&o.stderr);
                let tail: Vec<&str> = log.lines().rev().take(20).collect();
                Err(tail.into_iter().rev().collect::<Vec<_>>().join("\n"))
            };
            run(&[
                "-S".as_ref(),
                project.as_os_str(),
                "-B".as_ref(),
                build.as_os_str(),
                "-DCMAKE_BUILD_TYPE=Release".as_ref(),
            ])?;
            run(&["--build".as_ref(), build.as_os_str(), "-j".as_ref()])?;
            let name = format!("libascend_kernels_{}.so", t.name());
            std::fs::copy(build.join(&name), lib_dir.join(&name))
                .map(|_| ())
                .map_err(|e| format!("the build made no {name}: {e}"))
        });
        if let Err(e) = result {
            for line in e.lines() {
                println!(
                    "cargo:warning=feature npu: building the {} kernels with the toolkit failed: {line}",
                    t.name()
                );
            }
        }
    }
    println!(
        "cargo:rustc-env=AK_NPU_KERNEL_DIR_BUILT={}",
        lib_dir.display()
    );
}

/// Feature `npu`: find a CANN toolkit (`ASCEND_HOME_PATH`, then `ASCEND_TOOLKIT_HOME`, then the
/// default install prefix) and emit `cfg(has_ascend)`; otherwise say clearly that the NPU backend
/// is not available in this build.
fn discover_cann() {
    let candidates = [
        std::env::var_os("ASCEND_HOME_PATH").map(PathBuf::from),
        std::env::var_os("ASCEND_TOOLKIT_HOME").map(PathBuf::from),
        Some(PathBuf::from("/usr/local/Ascend/ascend-toolkit/latest")),
    ];
    let found = candidates.into_iter().flatten().find(|p| {
        p.join("include/acl/acl.h").exists()
            || p.join("compiler/ccec_compiler/bin/bisheng").exists()
    });
    match found {
        Some(home) => {
            acl_declarations(&home);
            build_npu_kernels(&home);
            println!("cargo:rustc-cfg=has_ascend");
            println!("cargo:rustc-env=AK_ASCEND_HOME={}", home.display());
        }
        None => {
            println!(
                "cargo:warning=feature `npu`: no CANN toolkit found (set ASCEND_HOME_PATH or ASCEND_TOOLKIT_HOME); Backend::Npu reports \"not available\""
            );
        }
    }
}
