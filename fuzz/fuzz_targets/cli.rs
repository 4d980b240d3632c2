//! The command line's option parser (the binary's own modules, included as they are): the input
//! is the argument list, NUL-separated (any bytes, not only UTF-8). Every error is one line;
//! a parse that succeeds has its options checked as the commands check them before any work.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;

#[path = "../../cli/src/main.rs"]
#[allow(dead_code)]
mod cli;

fuzz_target!(|data: &[u8]| {
    ascend_kernels_fuzz::init();
    let args: Vec<OsString> = std::iter::once(OsString::from("ascend-kernels"))
        .chain(
            data.split(|&b| b == 0)
                .map(|a| OsStr::from_bytes(a).to_owned()),
        )
        .collect();
    match cli::parse(args) {
        Ok(c) => {
            let _ = c.budget();
            if let Err(e) = c.check_options() {
                ascend_kernels_fuzz::assert_one_line(&e.to_string());
            }
        }
        Err((text, false)) => ascend_kernels_fuzz::assert_one_line(&text),
        Err((_, true)) => {}
    }
});
