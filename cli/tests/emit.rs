//! `ascend-kernels emit`: the written project is complete and deterministic, and every emitted
//! kernel compiles against the AscendC emulation from the emitted directory alone (its own
//! `ak_kernels.h` and helpers), which is what a CANN build of the same directory relies on.

use std::path::Path;
use std::process::Command;

/// The binary, run from the repository root (where its default paths, such as the fixtures
/// of `tests/golden/`, are relative to), as it was when these tests lived in the root package.
fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_ascend-kernels"));
    c.current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."));
    c
}

fn emit(target: &str, out: &Path) {
    let status = bin()
        .args(["emit", "--target", target, "--out"])
        .arg(out)
        .status()
        .unwrap();
    assert!(status.success());
}

fn read_all(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    for sub in ["", "kernels", "include"] {
        for entry in std::fs::read_dir(dir.join(sub)).unwrap() {
            let path = entry.unwrap().path();
            if path.is_file() {
                files.push((
                    path.strip_prefix(dir).unwrap().display().to_string(),
                    std::fs::read(&path).unwrap(),
                ));
            }
        }
    }
    files.sort();
    files
}

#[test]
fn emitted_projects_are_complete_deterministic_and_compile() {
    for (target, arch, core) in [("a2", "2201", "220"), ("a5", "3510", "310")] {
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        emit(target, a.path());
        emit(target, b.path());
        let files = read_all(a.path());
        assert_eq!(files, read_all(b.path()), "emit is deterministic");
        let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
        for needed in [
            "CMakeLists.txt",
            "README.md",
            "kernels/ak_kernels.h",
            "include/ak_fp8_soft.h",
        ] {
            assert!(names.contains(&needed), "{needed} missing from {names:?}");
        }
        let cmake = String::from_utf8(
            files
                .iter()
                .find(|(n, _)| n == "CMakeLists.txt")
                .unwrap()
                .1
                .clone(),
        )
        .unwrap();
        assert!(cmake.contains(&format!("dav-{arch}")));
        // the ASC language reads the architecture from CMAKE_ASC_ARCHITECTURES (its cpu and sim
        // run modes need it); no private NPU_ARCH variable
        assert!(cmake.contains(&format!(
            "set(CMAKE_ASC_ARCHITECTURES \"dav-{arch}\" CACHE STRING"
        )));
        assert!(cmake.contains("--npu-arch=${CMAKE_ASC_ARCHITECTURES}"));
        assert!(cmake.contains("CMAKE_ASC_RUN_MODE"));
        assert!(!cmake.contains("NPU_ARCH}"), "no private NPU_ARCH variable");
        let sources: Vec<&str> = names
            .iter()
            .copied()
            .filter(|n| n.ends_with("_v0.cpp"))
            .collect();
        for kernel in [
            "rms_norm",
            "rope_qk",
            "mx_quant",
            "mx_dequant",
            "fp8_block_dequant",
            "matmul",
        ] {
            assert!(
                sources
                    .iter()
                    .any(|s| s.contains(&format!("{kernel}_{target}_v0"))),
                "{kernel} not emitted for {target}"
            );
            assert!(
                !names.iter().any(|s| s.contains("sim_probe")),
                "the emulator's test kernel is not shipped"
            );
        }
        // the native MX cube kernel exists only on a5 (its APIs do not exist on a2)
        assert_eq!(
            sources
                .iter()
                .any(|s| s.contains(&format!("matmul_mx_{target}_v0"))),
            target == "a5",
            "matmul_mx must be emitted for a5 and only for a5"
        );
        let sim = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/..")).join("ascendc/sim");
        for src in &sources {
            let text = String::from_utf8(
                files
                    .iter()
                    .find(|(n, _)| n.as_str() == *src)
                    .unwrap()
                    .1
                    .clone(),
            )
            .unwrap();
            // CPU twin debugging rewrites the <<<>>> launch through cpu_debug_launch.h
            assert!(
                text.contains(
                    "#if defined(ASCENDC_CPU_DEBUG) && !defined(AK_SIM)\n#include \"cpu_debug_launch.h\""
                ),
                "{src}: no cpu_debug_launch.h include"
            );
            // the host pass of the ASC language may not define __NPU_ARCH__: guard only a wrong one
            assert!(
                text.contains(&format!(
                    "#if defined(__NPU_ARCH__) && __NPU_ARCH__ != {arch}\n#error"
                )),
                "{src}: arch guard"
            );
            // <<<numBlocks, dynUBufSize (bytes), stream>>>
            assert!(text.contains("<<<block_dim, 0, stream>>>"), "{src}: launch");
            assert!(!text.contains("nullptr, stream>>>"), "{src}: launch");
        }
        for src in sources {
            let out = Command::new(std::env::var("CXX").unwrap_or_else(|_| "c++".into()))
                .args([
                    "-std=c++17",
                    "-fsyntax-only",
                    "-DAK_SIM",
                    "-DASCENDC_CPU_DEBUG=1",
                ])
                .arg(format!("-D__NPU_ARCH__={arch}"))
                .arg(format!("-D__CCE_AICORE__={core}"))
                .arg("-I")
                .arg(&sim)
                .arg("-I")
                .arg(a.path().join("include"))
                .arg("-I")
                .arg(a.path().join("kernels"))
                .arg(a.path().join(src))
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{src}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
}

#[test]
fn emit_rejects_an_unknown_target() {
    let dir = tempfile::tempdir().unwrap();
    let out = bin()
        .args(["emit", "--target", "a3", "--out"])
        .arg(dir.path().join("x"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--target"));
    assert!(!dir.path().join("x").exists());
}
