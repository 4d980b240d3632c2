//! Finding CANN at run time: the AscendCL runtime (`libascendcl.so`) and the kernel library a
//! toolkit built from `ascend-kernels emit` (`libascend_kernels_<target>.so`).
//!
//! The runtime is looked for, in order, at `AK_ASCENDCL_LIB` (a file), in `lib64/` of
//! `ASCEND_HOME_PATH`, `ASCEND_TOOLKIT_HOME` and `/usr/local/Ascend/ascend-toolkit/latest`, and
//! finally by the dynamic loader's own search (`LD_LIBRARY_PATH`, which CANN's `set_env.sh`
//! sets). The kernel library is looked for in `AK_NPU_KERNEL_DIR`, then in the directory a
//! `--features npu` build made with the toolkit (`build.rs`). `docs/cann.md` walks through it.

use super::acl::{Runtime, RuntimeKind};
use crate::error::{Error, Result};
use crate::tiling::Target;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

/// The toolkit roots looked in, with the variable that named each.
fn toolkit_roots() -> Vec<(String, PathBuf)> {
    let mut roots = Vec::new();
    for var in ["ASCEND_HOME_PATH", "ASCEND_TOOLKIT_HOME"] {
        if let Some(v) = std::env::var_os(var) {
            roots.push((format!("${var}"), PathBuf::from(v)));
        }
    }
    roots.push((
        "the default prefix".into(),
        PathBuf::from("/usr/local/Ascend/ascend-toolkit/latest"),
    ));
    roots
}

/// The CANN runtime of this process (loaded and initialized once), or a named error saying what
/// is missing and which variable to set.
pub fn runtime() -> Result<Arc<Runtime>> {
    static RT: OnceLock<std::result::Result<Arc<Runtime>, String>> = OnceLock::new();
    match RT.get_or_init(|| load_runtime().map(Arc::new)) {
        Ok(rt) => Ok(rt.clone()),
        Err(reason) => Err(Error::BackendUnavailable {
            backend: "npu".into(),
            reason: reason.clone(),
        }),
    }
}

/// The runtime, or why there is none.
fn load_runtime() -> std::result::Result<Runtime, String> {
    if let Some(file) = std::env::var_os("AK_ASCENDCL_LIB") {
        return Runtime::load(RuntimeKind::Cann, &PathBuf::from(file)).map_err(|e| e.to_string());
    }
    let mut looked = Vec::new();
    for (why, root) in toolkit_roots() {
        let candidate = root.join("lib64/libascendcl.so");
        if candidate.is_file() {
            return Runtime::load(RuntimeKind::Cann, &candidate).map_err(|e| e.to_string());
        }
        looked.push(format!("{} ({why})", candidate.display()));
    }
    // Last: the loader's search path, as a process that sourced set_env.sh has it.
    match Runtime::load(RuntimeKind::Cann, &PathBuf::from("libascendcl.so")) {
        Ok(rt) => Ok(rt),
        Err(Error::Library { .. }) => Err(format!(
            "no CANN runtime: libascendcl.so is not at {} nor on the loader's path; install the \
             CANN toolkit and `source <CANN>/set_env.sh` (it sets ASCEND_HOME_PATH and \
             LD_LIBRARY_PATH), or set AK_ASCENDCL_LIB to the library file",
            looked.join(", ")
        )),
        Err(e) => Err(e.to_string()),
    }
}

/// The file name of the kernel library a toolkit builds from `ascend-kernels emit --target`.
pub fn kernel_library_name(target: Target) -> String {
    format!("libascend_kernels_{target}.so")
}

/// The kernel library for `target`: in `AK_NPU_KERNEL_DIR`, else the one a `--features npu`
/// build compiled with the toolkit, else a named error saying how to get one.
pub fn kernel_library(target: Target) -> Result<PathBuf> {
    let name = kernel_library_name(target);
    let mut looked = Vec::new();
    if let Some(dir) = std::env::var_os("AK_NPU_KERNEL_DIR") {
        let p = PathBuf::from(dir).join(&name);
        if p.is_file() {
            return Ok(p);
        }
        looked.push(format!("{} ($AK_NPU_KERNEL_DIR)", p.display()));
    }
    if let Some(dir) = option_env!("AK_NPU_KERNEL_DIR_BUILT") {
        let p = PathBuf::from(dir).join(&name);
        if p.is_file() {
            return Ok(p);
        }
        looked.push(format!("{} (built with the toolkit)", p.display()));
    }
    Err(Error::BackendUnavailable {
        backend: "npu".into(),
        reason: format!(
            "no kernel library for {target}: {name} is not at {}; build it from `ascend-kernels emit \
             --target {target} --out DIR` with the toolkit (docs/cann.md) and set AK_NPU_KERNEL_DIR \
             to the directory holding it, or build this crate with `--features npu` where the \
             toolkit is installed",
            if looked.is_empty() {
                "any known place (AK_NPU_KERNEL_DIR is not set)".to_string()
            } else {
                looked.join(", ")
            }
        ),
    })
}
