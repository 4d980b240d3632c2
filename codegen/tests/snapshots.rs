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
