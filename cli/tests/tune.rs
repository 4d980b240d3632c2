//! `ascend-kernels tune`: the sweep runs, chooses a variant for every compiled kernel and
//! target, writes defaults the crate can build with, and the committed defaults cover every
//! compiled kernel (so `auto` never falls back silently).

use ascend_kernels::backend::sim::{self, SimConfig};
use ascend_kernels::tiling::{tuned_variant, Target};
use std::collections::BTreeSet;
use std::process::Command;

/// The binary, run from the repository root (where its default paths, such as the fixtures
/// of `tests/golden/`, are relative to), as it was when these tests lived in the root package.
fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_ascend-kernels"));
    c.current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."));
    c
}

#[test]
fn tune_sweeps_and_writes_defaults() {
    if !sim::available() {
        eprintln!("sim not built; skipping");
        return;
    }
    let dir = std::env::temp_dir().join(format!("ak-tune-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (table, defaults) = (dir.join("t.md"), dir.join("tuned.rs"));
    std::fs::write(
        &table,
        "intro\n<!-- tune:begin -->\nold\n<!-- tune:end -->\ntail\n",
    )
    .unwrap();
    let out = bin()
        .args(["tune", "--models", "0.6B", "--table"])
        .arg(&table)
        .arg("--defaults")
        .arg(&defaults)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let md = std::fs::read_to_string(&table).unwrap();
    assert!(
        md.starts_with("intro\n<!-- tune:begin -->\n| kernel |"),
        "{md:.200}"
    );
    assert!(md.ends_with("<!-- tune:end -->\ntail\n") && !md.contains("old"));
    let rs = std::fs::read_to_string(&defaults).unwrap();
    for v in sim::variants().iter().filter(|v| v.kernel != "sim_probe") {
        let key = format!("(\"{}\", \"{}\", ", v.kernel, v.target.name());
        assert!(rs.contains(&key), "no default for {key} in\n{rs}");
    }
    let bad = bin().args(["tune", "--models", "70B"]).output().unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("unknown model `70B`"));
}

#[test]
fn committed_defaults_cover_every_kernel_and_resolve_auto() {
    if !sim::available() {
        eprintln!("sim not built; skipping");
        return;
    }
    let kernels: BTreeSet<_> = sim::variants()
        .iter()
        .filter(|v| v.kernel != "sim_probe")
        .map(|v| (v.kernel, v.target))
        .collect();
    for (kernel, target) in kernels {
        for rows in [1, 4096] {
            let chosen = tuned_variant(kernel, target, rows);
            let weights_only = matches!(kernel, "mx_dequant" | "fp8_block_dequant") && rows == 1;
            if weights_only {
                continue; // weights are dequantized whole: only the prefill class is swept
            }
            let v = chosen
                .unwrap_or_else(|| panic!("no tuned default for {kernel} {target} rows {rows}"));
            assert!(sim::variants()
                .iter()
                .any(|c| c.kernel == kernel && c.target == target && c.variant == v));
            let cfg = SimConfig::new(target).resolved(kernel, rows);
            assert_eq!(cfg.variant, v);
        }
    }
    assert_eq!(
        SimConfig::new(Target::A2)
            .with_variant("v1")
            .resolved("rms_norm", 1)
            .variant,
        "v1"
    );
}
