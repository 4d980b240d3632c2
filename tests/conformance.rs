//! The conformance harness: one test per unit (kernel, target, variant) the emulator build
//! compiled, each running that kernel's case of `tests/common/parity.rs` — the device path on the
//! emulator runtime against the CPU reference within the documented bounds (bit for bit where
//! `docs/numerics.md` says so), on tail shapes and multi-core splits, with the UB plan checked.
//!
//! The list of units is not written here: `build.rs` generates the macro
//! `ak_for_each_emulator_unit!` from the same unit list the generator turns into
//! `AK_EMULATOR_UNITS`, so a new kernel or variant gets its test without editing this file, and a
//! kernel without a case in `parity.rs` fails its test.

mod common;
#[path = "common/parity.rs"]
mod parity;

include!(concat!(env!("OUT_DIR"), "/generated/ak_emulator_units.rs"));

/// One `#[test]` named after the unit (`rms_norm_a2_v0`, ...).
macro_rules! conformance_test {
    ($unit:ident, $kernel:literal, $target:literal, $variant:literal) => {
        #[test]
        fn $unit() {
            parity::run_unit($kernel, $target, $variant);
        }
    };
}

ak_for_each_emulator_unit!(conformance_test);

/// The tests above cover exactly the generated `AK_EMULATOR_UNITS` table, which is what the
/// emulator's kernel libraries hold.
#[test]
fn every_emulator_unit_has_a_test() {
    let mut tested: Vec<(&str, &str, &str)> = Vec::new();
    macro_rules! collect {
        ($unit:ident, $kernel:literal, $target:literal, $variant:literal) => {
            tested.push(($kernel, $target, $variant));
        };
    }
    ak_for_each_emulator_unit!(collect);
    let mut table = ascend_kernels::device::kernels::AK_EMULATOR_UNITS.to_vec();
    tested.sort_unstable();
    table.sort_unstable();
    assert_eq!(tested, table);
    if common::require_sim() {
        let loaded: Vec<_> = ascend_kernels::backend::sim::variants()
            .into_iter()
            .map(|v| (v.kernel, v.target.name(), v.variant))
            .collect();
        for unit in &table {
            assert!(
                loaded.contains(unit),
                "{unit:?} is not in the emulator build"
            );
        }
    }
}
