//! `include/ascend_kernels.h` is what cbindgen makes of `capi/src/lib.rs`: the C ABI has one
//! description (the Rust functions) and the header cannot drift from it. Regenerate with
//! `AK_UPDATE_HEADER=1 cargo test -p ascend-kernels-capi --test header`.

use std::path::PathBuf;

#[test]
fn the_header_is_generated_from_the_rust_abi() {
    let crate_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let config = cbindgen::Config::from_file(crate_dir.join("cbindgen.toml")).unwrap();
    let mut text = Vec::new();
    cbindgen::Builder::new()
        .with_crate(&crate_dir)
        .with_config(config)
        .generate()
        .expect("cbindgen parses capi/src/lib.rs")
        .write(&mut text);
    let text = String::from_utf8(text).unwrap();
    let path = crate_dir.join("../include/ascend_kernels.h");
    if std::env::var_os("AK_UPDATE_HEADER").is_some() {
        std::fs::write(&path, &text).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (run with AK_UPDATE_HEADER=1)", path.display()));
    assert!(
        committed == text,
        "include/ascend_kernels.h differs from cbindgen's output of capi/src/lib.rs (run with AK_UPDATE_HEADER=1 and review the diff)"
    );
}
