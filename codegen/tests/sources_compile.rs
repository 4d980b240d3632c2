//! C++ tooling for the kernel sources: every file of `ascendc/kernels/` and every source kernel's
//! generated units parse and instantiate with g++ (`-fsyntax-only -Wall -Wextra -Werror`) against
//! the emulator's AscendC headers (`ascendc/sim/`), for both targets, every `BUFFER_NUM` of the
//! kernel's variants and every combination of element types and mode keys (the generated entry
//! point instantiates each one; the test counts them).
//!
//! Needs a C++17 compiler (`$CXX`, else `c++`), as the crate's own build does.

use ascend_kernels_codegen::{generate, kernels, sources::KERNEL_SOURCES, Target, Unit};
use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ak_sources_{name}_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Compiles `file` for `target` with the emulator's include set plus `generated`.
fn syntax_check(file: &Path, target: Target, generated: &Path) -> Result<(), String> {
    let root = repo();
    let out = Command::new(std::env::var("CXX").unwrap_or_else(|_| "c++".into()))
        .args([
            "-std=c++17",
            "-fsyntax-only",
            "-Wall",
            "-Wextra",
            "-Werror",
            "-DAK_SIM",
            "-DASCENDC_CPU_DEBUG=1",
        ])
        .arg(format!("-D__NPU_ARCH__={}", target.npu_arch()))
        .arg(format!("-D__CCE_AICORE__={}", target.cce_aicore()))
        .arg("-I")
        .arg(root.join("ascendc/sim"))
        .arg("-I")
        .arg(root.join("ascendc/include"))
        .arg("-I")
        .arg(root.join("ascendc/kernels"))
        .arg("-I")
        .arg(generated)
        .arg(file)
        .output()
        .map_err(|e| format!("cannot run the C++ compiler: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

/// The units to check: per source kernel and target, one variant per distinct `BUFFER_NUM`.
fn source_units() -> Vec<Unit> {
    let mut out = Vec::new();
    for k in kernels() {
        if k.source().is_none() {
            continue;
        }
        for t in Target::ALL.into_iter().filter(|&t| k.supports(t)) {
            let mut depths = Vec::new();
            for v in &k.variants {
                if !depths.contains(&v.buffer_num) {
                    depths.push(v.buffer_num);
                    out.push(Unit::new(k.name, t, v.name));
                }
            }
        }
    }
    out
}

#[test]
fn every_source_kernel_instantiates_on_both_targets() {
    let units = source_units();
    assert!(!units.is_empty(), "no kernel is written as a source file");
    let dir = scratch("units");
    let files = generate(&units).unwrap();
    ascend_kernels_codegen::write_files(&dir, &files).unwrap();
    let descs = kernels();
    let mut failures = Vec::new();
    for u in &units {
        let k = descs.iter().find(|k| k.name == u.kernel).unwrap();
        let src = k.source().unwrap();
        // every (element types x mode keys) combination is instantiated by the entry point
        let combos: usize = src
            .type_params
            .iter()
            .map(|p| p.choices.len())
            .product::<usize>()
            << src.mode_keys.len();
        let text = &files
            .iter()
            .find(|f| f.name == format!("{}.cpp", u.stem()))
            .unwrap()
            .contents;
        assert_eq!(
            text.matches(&format!("AkRunKernel<{}<", src.class)).count(),
            combos,
            "{}: the entry point must instantiate every combination",
            u.stem()
        );
        if let Err(e) = syntax_check(&dir.join(format!("{}.cpp", u.stem())), u.target, &dir) {
            failures.push(format!("{}:\n{e}", u.stem()));
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Each header of `ascendc/kernels/` is self-contained: it compiles included alone (after nothing
/// but the generated `ak_kernels.h` being on the include path), on both targets.
#[test]
fn every_source_header_compiles_on_its_own() {
    let dir = scratch("headers");
    let files = generate(&[]).unwrap();
    ascend_kernels_codegen::write_files(&dir, &files).unwrap();
    let mut failures = Vec::new();
    let mut checked = 0;
    for (name, _) in KERNEL_SOURCES.iter().filter(|(n, _)| n.ends_with(".h")) {
        let tu = dir.join(format!("{}.cpp", name.replace('/', "_")));
        std::fs::write(&tu, format!("#include \"{name}\"\n")).unwrap();
        for t in Target::ALL {
            if let Err(e) = syntax_check(&tu, t, &dir) {
                failures.push(format!("{name} ({}):\n{e}", t.name()));
            }
            checked += 1;
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(checked >= 4);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
