//! bindgen checks what the crate otherwise trusts by construction: that the Rust mirror of the
//! launch ABI (`ak_kernels.rs`) has clang's layout of the C header (`ak_kernels.h`) struct for
//! struct and field for field, and that the runtime interface's table of AscendCL functions
//! (`src/device/acl.rs`) has the C signatures the emulator's `acl/acl.h` declares. A build with
//! `--features npu` on a machine with CANN checks the same table against the toolkit's own
//! headers at compile time (`build.rs`).
//!
//! bindgen needs libclang (Debian: `apt-get install libclang-dev`); CI installs it and runs
//! `cargo test --release --test abi_bindgen -- --ignored`.

use ascend_kernels::device::acl::ACL_SIGNATURES;
use ascend_kernels::device::kernels::AK_TILING_LAYOUTS;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// bindgen's Rust for `header`, restricted to the items whose names match `allow` (a regex).
fn bindings(header: &str, allow: &str) -> String {
    bindgen::Builder::default()
        .header(header)
        .allowlist_item(allow)
        .use_core()
        .ctypes_prefix("::core::ffi")
        .size_t_is_usize(true)
        .layout_tests(true)
        .default_enum_style(bindgen::EnumVariation::Consts)
        .generate()
        .unwrap_or_else(|e| panic!("bindgen on {header}: {e}"))
        .to_string()
}

/// `(struct, size, {field: offset})` from bindgen's layout assertions, e.g.
/// `["Offset of field: AkRmsNormTiling::rows"][::core::mem::offset_of!(AkRmsNormTiling, rows) - 0usize];`.
fn layouts(rust: &str) -> BTreeMap<String, (usize, BTreeMap<String, usize>)> {
    // Assertions may be wrapped over lines: work on the text as one line, one `];` at a time.
    let flat = rust.replace('\n', " ");
    let number = |item: &str| -> usize {
        let tail = item.rsplit(" - ").next().unwrap().trim();
        let digits = tail.trim_end_matches(']').trim().trim_end_matches("usize");
        digits
            .parse()
            .unwrap_or_else(|e| panic!("cannot read a number from `{item}`: {e}"))
    };
    let mut out: BTreeMap<String, (usize, BTreeMap<String, usize>)> = BTreeMap::new();
    for item in flat.split("];") {
        let item = item.trim();
        if let Some(at) = item.find("[\"Size of ") {
            let rest = &item[at + "[\"Size of ".len()..];
            let name = rest.split('"').next().unwrap().to_string();
            out.entry(name).or_default().0 = number(item);
        } else if let Some(at) = item.find("[\"Offset of field: ") {
            let rest = &item[at + "[\"Offset of field: ".len()..];
            let path = rest.split('"').next().unwrap();
            let (st, field) = path.split_once("::").unwrap();
            out.entry(st.to_string())
                .or_default()
                .1
                .insert(field.to_string(), number(item));
        }
    }
    out
}

#[test]
#[ignore = "needs libclang (apt-get install libclang-dev); CI runs it with --ignored"]
fn the_rust_mirror_has_the_c_header_layout() {
    let header = PathBuf::from(env!("OUT_DIR")).join("generated/ak_kernels.h");
    let c = layouts(&bindings(header.to_str().unwrap(), "Ak.*"));
    assert_eq!(
        c.len(),
        AK_TILING_LAYOUTS.len(),
        "struct count: {:?}",
        c.keys()
    );
    for (name, size, fields) in AK_TILING_LAYOUTS {
        let (c_size, c_fields) = c
            .get(*name)
            .unwrap_or_else(|| panic!("{name} is not in ak_kernels.h"));
        assert_eq!(c_size, size, "size of {name}");
        for (field, offset) in *fields {
            assert_eq!(
                c_fields.get(*field),
                Some(offset),
                "offset of {name}::{field}"
            );
        }
        // The C struct's fields beyond ours can only be its trailing padding.
        for field in c_fields.keys() {
            assert!(
                field == "reserved" || fields.iter().any(|(f, _)| f == field),
                "{name}::{field} is in the C header only"
            );
        }
    }
}

/// bindgen's `pub fn name(args) -> ret;` declarations, with typedefs resolved and types
/// spelled as `src/device/acl.rs` spells them.
fn functions(rust: &str) -> BTreeMap<String, String> {
    let mut typedefs: BTreeMap<String, String> = BTreeMap::new();
    for line in rust.lines().map(str::trim) {
        if let Some(rest) = line.strip_prefix("pub type ") {
            let (name, ty) = rest.trim_end_matches(';').split_once(" = ").unwrap();
            typedefs.insert(name.to_string(), ty.to_string());
        }
    }
    let canon = |ty: &str| -> String {
        let mut t = ty.trim().to_string();
        for _ in 0..4 {
            for (name, def) in &typedefs {
                let re_word = |s: &str| {
                    s.split(|c: char| !(c.is_alphanumeric() || c == '_'))
                        .any(|w| w == name)
                };
                if re_word(&t) {
                    t = t
                        .split(' ')
                        .map(|w| if w == name { def.as_str() } else { w })
                        .collect::<Vec<_>>()
                        .join(" ");
                }
            }
        }
        t.replace("::core::ffi::c_char", "c_char")
            .replace("::core::ffi::c_void", "c_void")
            .replace("::core::ffi::c_int", "i32")
            .replace("::core::ffi::c_uint", "u32")
    };
    // Join multi-line declarations, then split them.
    let flat = rust.replace('\n', " ");
    let mut out = BTreeMap::new();
    for decl in flat.split("pub fn ").skip(1) {
        let decl = decl.split(';').next().unwrap();
        let (name, rest) = decl.split_once('(').unwrap();
        let (args, ret) = rest.rsplit_once(')').unwrap();
        let args: Vec<String> = args
            .split(',')
            .filter(|a| !a.trim().is_empty())
            .map(|a| canon(a.split_once(':').unwrap().1))
            .collect();
        let ret = canon(ret.trim().trim_start_matches("->"));
        let mut sig = String::from("fn(");
        for a in args {
            sig.push_str(&a);
            sig.push_str(", ");
        }
        sig.push_str(") -> ");
        sig.push_str(&ret);
        out.insert(name.trim().to_string(), sig);
    }
    out
}

#[test]
#[ignore = "needs libclang (apt-get install libclang-dev); CI runs it with --ignored"]
fn the_acl_table_has_the_c_signatures() {
    let header = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("ascendc/sim/acl/acl.h");
    let c = functions(&bindings(header.to_str().unwrap(), "acl.*"));
    assert_eq!(c.len(), ACL_SIGNATURES.len(), "functions: {:?}", c.keys());
    for (name, sig) in ACL_SIGNATURES {
        let want = c
            .get(*name)
            .unwrap_or_else(|| panic!("{name} is not declared in acl/acl.h"));
        assert_eq!(want, sig, "{name}");
    }
}
