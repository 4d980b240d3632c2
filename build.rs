//! Build script: runs the kernel generator (`codegen/`) into `OUT_DIR`, then compiles the
//! generated kernels together with the AscendC host emulation (`ascendc/sim/`) so that
//! `Backend::Sim` can run them. With feature `npu` it also looks for a CANN toolkit.
//!
//! cfgs emitted:
//! - `ak_sim`: the sim runtime and the kernels listed in [`sim_units`] were compiled and linked;
//! - `has_ascend`: feature `npu` is on and a CANN toolkit was found.

use std::path::{Path, PathBuf};

use ascend_kernels_codegen::{self as codegen, Target, Unit};

/// What the sim build compiles: every variant tests, benches and the defaults use, for both
/// targets. Kept short so a fresh build stays within a couple of minutes on 2 cores.
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
    println!("cargo:rerun-if-env-changed=AK_SIM_DISABLE");
    println!("cargo:rerun-if-env-changed=ASCEND_HOME_PATH");
    println!("cargo:rerun-if-env-changed=ASCEND_TOOLKIT_HOME");
    println!("cargo::rustc-check-cfg=cfg(ak_sim)");
    println!("cargo::rustc-check-cfg=cfg(has_ascend)");

    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR"));
    let gen_dir = out.join("generated");

    let units = sim_units();
    let files = codegen::generate(&units).unwrap_or_else(|e| panic!("kernel generator: {e}"));
    codegen::write_files(&gen_dir, &files)
        .unwrap_or_else(|e| panic!("writing {}: {e}", gen_dir.display()));

    build_sim(&manifest, &gen_dir, &units);
    if std::env::var_os("CARGO_FEATURE_NPU").is_some() {
        discover_cann();
    }
}

/// Compiles the sim runtime and the generated kernels (one static library per target, since each
/// target's kernels get their own `__NPU_ARCH__`). Emits `cfg(ak_sim)` on success.
fn build_sim(manifest: &Path, gen_dir: &Path, units: &[Unit]) {
    let sim_dir = manifest.join("ascendc/sim");
    let include_dir = manifest.join("ascendc/include");
    if std::env::var_os("AK_SIM_DISABLE").is_some() {
        println!(
            "cargo:warning=AK_SIM_DISABLE is set: Backend::Sim is not available in this build"
        );
        return;
    }
    if !sim_dir.join("kernel_operator.h").exists() || !sim_dir.join("ak_sim.h").exists() {
        // The emulator is not in this tree (yet): the crate builds without Backend::Sim.
        return;
    }
    let mut runtime: Vec<PathBuf> = std::fs::read_dir(&sim_dir)
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    runtime.retain(|p| p.extension().is_some_and(|e| e == "cpp"));
    runtime.sort();

    let base = |arch: Option<Target>| {
        let mut b = cc::Build::new();
        b.cpp(true)
            .std("c++17")
            .debug(false)
            .opt_level(2)
            .warnings(false)
            .define("AK_SIM", None)
            .define("ASCENDC_CPU_DEBUG", "1")
            .include(&sim_dir)
            .include(&include_dir)
            .include(gen_dir);
        if let Some(t) = arch {
            b.define("__NPU_ARCH__", t.npu_arch().to_string().as_str())
                .define("__CCE_AICORE__", t.cce_aicore().to_string().as_str());
        }
        b
    };

    let mut jobs: Vec<(String, cc::Build)> = Vec::new();
    for t in Target::ALL {
        let mut b = base(Some(t));
        let mut any = false;
        for u in units.iter().filter(|u| u.target == t) {
            b.file(gen_dir.join(format!("{}.cpp", u.stem())));
            any = true;
        }
        if any {
            jobs.push((format!("ak_kernels_{}", t.name()), b));
        }
    }
    let mut rt = base(None);
    for f in &runtime {
        rt.file(f);
    }
    if !runtime.is_empty() {
        jobs.push(("ak_sim_runtime".to_string(), rt));
    }

    // Compile the libraries concurrently (cc's jobserver keeps the total within NUM_JOBS); link
    // order is kernels first, then the runtime they call into.
    let results: Vec<(String, Result<(), String>)> = std::thread::scope(|s| {
        let handles: Vec<_> = jobs
            .iter()
            .map(|(name, b)| {
                (
                    name.clone(),
                    s.spawn(move || b.try_compile(name).map_err(|e| e.to_string())),
                )
            })
            .collect();
        handles
            .into_iter()
            .map(|(name, h)| {
                (
                    name,
                    h.join()
                        .unwrap_or_else(|_| Err("the compiler thread panicked".to_string())),
                )
            })
            .collect()
    });
    let mut ok = true;
    for (name, r) in &results {
        if let Err(e) = r {
            ok = false;
            for line in e.lines().take(40) {
                println!("cargo:warning=sim build ({name}): {line}");
            }
        }
    }
    if ok {
        println!("cargo:rustc-cfg=ak_sim");
        if cfg!(target_os = "linux") || cfg!(target_os = "macos") {
            println!("cargo:rustc-link-lib=stdc++");
        }
    } else {
        println!("cargo:warning=the AscendC sim did not compile: Backend::Sim is not available in this build");
        println!("cargo:rustc-env=AK_SIM_BUILD_ERROR=the generated kernels or ascendc/sim failed to compile (see the build warnings)");
    }
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
