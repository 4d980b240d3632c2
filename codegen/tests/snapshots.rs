//! Golden snapshots of the emitted sources (`codegen/snapshots/`): every kernel's v0 on both
//! targets, the ABI header and the Rust mirror. A change to the generator shows up as a diff of
//! these files in review. Regenerate with `AK_UPDATE_SNAPSHOTS=1 cargo test -p ascend-kernels-codegen`.

use ascend_kernels_codegen::{generate, kernels, Target, Unit};
use std::path::PathBuf;

fn units() -> Vec<Unit> {
    let mut out = Vec::new();
    for k in kernels() {
        for t in Target::ALL {
            if (k.name == "sim_probe" && t == Target::A5) || !k.supports(t) {
                continue;
            }
            out.push(Unit::new(k.name, t, "v0"));
        }
    }
    out
}

#[test]
fn emitted_sources_match_the_snapshots() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("snapshots");
    let files = generate(&units()).unwrap();
    if std::env::var_os("AK_UPDATE_SNAPSHOTS").is_some() {
        std::fs::create_dir_all(&dir).unwrap();
        for f in &files {
            std::fs::write(dir.join(&f.name), &f.contents).unwrap();
        }
        return;
    }
    for f in &files {
        let path = dir.join(&f.name);
        let want = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{}: {e} (run with AK_UPDATE_SNAPSHOTS=1)", path.display()));
        assert!(
            want == f.contents,
            "{} differs from the generator's output (run with AK_UPDATE_SNAPSHOTS=1 and review the diff)",
            f.name
        );
    }
}

/// `ascendc/sim/ak_targets.h` is the capacity table the emulator compiles (also outside cargo, by
/// `ascendc/sim/tests/run.sh`); it is generated from `Target::caps` and must not drift.
#[test]
fn emulator_capacity_table_is_generated() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../ascendc/sim/ak_targets.h");
    let want = ascend_kernels_codegen::target::targets_header();
    if std::env::var_os("AK_UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, &want).unwrap();
        return;
    }
    let have = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (run with AK_UPDATE_SNAPSHOTS=1)", path.display()));
    assert!(
        have == want,
        "ascendc/sim/ak_targets.h differs from Target::caps (run with AK_UPDATE_SNAPSHOTS=1)"
    );
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The generated files under `ascendc/kernels/` (target traits, every kernel's `<kernel>_ub.h`)
/// are committed so the sources read as C++ on their own; they must equal the generator's output.
#[test]
fn generated_kernel_sources_match_the_generator() {
    let dir = repo().join("ascendc/kernels");
    let update = std::env::var_os("AK_UPDATE_SNAPSHOTS").is_some();
    for f in ascend_kernels_codegen::kernel_source_files().unwrap() {
        let path = dir.join(&f.name);
        if update {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &f.contents).unwrap();
            continue;
        }
        let have = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{}: {e} (run with AK_UPDATE_SNAPSHOTS=1)", path.display()));
        assert!(
            have == f.contents,
            "ascendc/kernels/{} differs from the kernel description (run with AK_UPDATE_SNAPSHOTS=1)",
            f.name
        );
    }
}

/// `sources::KERNEL_SOURCES` (what `emit` ships) lists exactly the files of `ascendc/kernels/`,
/// with their current contents.
#[test]
fn embedded_kernel_sources_are_the_whole_folder() {
    fn walk(dir: &std::path::Path, base: &std::path::Path, out: &mut Vec<String>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, base, out);
            } else if p.file_name().is_some_and(|n| n != ".clang-format") {
                out.push(p.strip_prefix(base).unwrap().display().to_string());
            }
        }
    }
    let base = repo().join("ascendc/kernels");
    let mut on_disk = Vec::new();
    walk(&base, &base, &mut on_disk);
    on_disk.sort();
    let mut listed: Vec<String> = ascend_kernels_codegen::sources::KERNEL_SOURCES
        .iter()
        .map(|(n, _)| n.to_string())
        .collect();
    listed.sort();
    assert_eq!(
        listed, on_disk,
        "codegen/src/sources.rs must list every file of ascendc/kernels/"
    );
    for (name, text) in ascend_kernels_codegen::sources::KERNEL_SOURCES {
        assert_eq!(
            std::fs::read_to_string(base.join(name)).unwrap(),
            *text,
            "{name}"
        );
    }
}

/// The UB table of every `docs/kernels/<kernel>.md` is generated from the kernel's buffer
/// declarations (between the `ub-table` markers) and must not drift.
#[test]
fn docs_ub_tables_match_the_descriptions() {
    use ascend_kernels_codegen::ub::splice_docs;
    let update = std::env::var_os("AK_UPDATE_SNAPSHOTS").is_some();
    let mut checked = 0;
    for k in kernels() {
        let Some(table) = ascend_kernels_codegen::docs_ub_table(&k) else {
            continue;
        };
        let table = table.unwrap();
        let path = repo().join(format!("docs/kernels/{}.md", k.name));
        if k.name == "sim_probe" {
            continue; // a test kernel: no docs page
        }
        let doc =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let want = splice_docs(&doc, &table).unwrap_or_else(|| {
            panic!(
                "{} has no `{}` ... `{}` block for the generated UB table",
                path.display(),
                ascend_kernels_codegen::ub::DOCS_BEGIN,
                ascend_kernels_codegen::ub::DOCS_END
            )
        });
        if update {
            std::fs::write(&path, &want).unwrap();
        } else {
            assert!(
                doc == want,
                "the UB table of docs/kernels/{}.md differs from the description (run with AK_UPDATE_SNAPSHOTS=1)",
                k.name
            );
        }
        checked += 1;
    }
    assert!(checked >= 1, "no kernel declares its buffers");
}
