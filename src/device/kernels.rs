//! Kernel libraries and the typed launchers generated from the kernel descriptions.
//!
//! A kernel library is a shared library of generated units, each exporting
//! `ak_<kernel>_<target>_<variant>_launch(block_dim, stream, gm..., const Tiling*)`: the
//! emulator's `libak_emu_kernels_<target>.so` (built by `build.rs`) or the one a CANN toolkit
//! builds from `ascend-kernels emit` (`libascend_kernels_<target>.so`). The launchers, their
//! GM-argument structs (`RmsNormGm`, ...) and the tiling structs are generated
//! (`OUT_DIR/generated/ak_kernels.rs`, from `codegen/`), so argument names and order, the
//! tiling layout and the ABI constants have one source.

use super::acl::Runtime;
use crate::error::{Error, Result};
use crate::tiling::Target;
use libloading::Library;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A device address (or null): what a kernel argument points to. The host never dereferences it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct DevicePtr(usize);

impl DevicePtr {
    /// The null pointer (an argument the kernel does not touch).
    pub const NULL: DevicePtr = DevicePtr(0);

    /// Wraps an address the runtime returned (`aclrtMalloc`) or one inside such an allocation.
    pub fn from_addr(addr: usize) -> DevicePtr {
        DevicePtr(addr)
    }

    /// The address.
    pub fn addr(self) -> usize {
        self.0
    }

    /// Whether this is null.
    pub fn is_null(self) -> bool {
        self.0 == 0
    }

    /// This address plus `bytes` (`None` on overflow or for null).
    pub fn offset(self, bytes: usize) -> Option<DevicePtr> {
        if self.is_null() {
            return None;
        }
        self.0.checked_add(bytes).map(DevicePtr)
    }

    /// The `uint8_t*` a launcher takes.
    pub fn as_kernel_arg(self) -> *mut u8 {
        self.0 as *mut u8
    }

    /// The `void*` an AscendCL call takes.
    pub fn as_void(self) -> *mut std::ffi::c_void {
        self.0 as *mut std::ffi::c_void
    }
}

/// An `aclrtStream` handle (created by the runtime; the engine's own or one of ours).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct StreamHandle(usize);

impl StreamHandle {
    /// Wraps a raw `aclrtStream`.
    pub fn from_raw(stream: *mut std::ffi::c_void) -> StreamHandle {
        StreamHandle(stream as usize)
    }

    /// The raw `aclrtStream`.
    pub fn as_ptr(self) -> *mut std::ffi::c_void {
        self.0 as *mut std::ffi::c_void
    }
}

/// `ak_<kernel>_<target>_<variant>_launch`.
pub fn launcher_symbol(kernel: &str, target: Target, variant: &str) -> String {
    format!("ak_{kernel}_{target}_{variant}_launch")
}

/// A loaded kernel library for one target.
pub struct KernelLibrary {
    target: Target,
    path: PathBuf,
    runtime: Arc<Runtime>,
    lib: Library,
}

impl std::fmt::Debug for KernelLibrary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KernelLibrary")
            .field("target", &self.target)
            .field("path", &self.path)
            .finish()
    }
}

impl KernelLibrary {
    /// Loads the kernel library at `path`, built for `target`, whose launchers report errors
    /// through `runtime`.
    pub fn load(runtime: Arc<Runtime>, target: Target, path: &Path) -> Result<KernelLibrary> {
        // SAFETY: a kernel library's initializers only register its kernels (CANN) or do
        // nothing (the emulator's); loading it has no other effect.
        let lib = unsafe { Library::new(path) }.map_err(|e| Error::Library {
            path: path.display().to_string(),
            reason: format!("cannot be loaded: {e}"),
        })?;
        Ok(KernelLibrary {
            target,
            path: path.to_path_buf(),
            runtime,
            lib,
        })
    }

    /// The target its kernels were built for.
    pub fn target(&self) -> Target {
        self.target
    }

    /// The library file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether the library holds `kernel`'s `variant` for its target.
    pub fn has_unit(&self, kernel: &str, variant: &str) -> bool {
        let symbol = launcher_symbol(kernel, self.target, variant);
        // SAFETY: only the symbol's presence is checked; it is never called through this type.
        unsafe { self.lib.get::<*const u8>(symbol.as_bytes()) }.is_ok()
    }

    /// The launcher `symbol` as a function pointer (what the typed launchers call; public for
    /// the launch-overhead bench, which calls it bare).
    ///
    /// # Safety
    /// `F` must be the launcher's exact `extern "C"` signature (the generated `Ak*Launch` type).
    pub unsafe fn launcher<F: Copy>(&self, symbol: &str) -> Result<F> {
        let mut name = symbol.as_bytes().to_vec();
        name.push(0);
        self.lib
            .get::<F>(&name)
            .map(|s| *s)
            .map_err(|_| Error::Library {
                path: self.path.display().to_string(),
                reason: format!(
                    "has no launcher `{symbol}` (that kernel variant is not compiled into this library)"
                ),
            })
    }

    /// The result of a launcher call: its return code is an AscendCL error code.
    pub(crate) fn launch_result(&self, symbol: &str, rc: i32) -> Result<()> {
        self.runtime.check(symbol, rc)
    }
}

#[allow(missing_docs, clippy::all)]
mod generated {
    use super::{launcher_symbol, DevicePtr, KernelLibrary, StreamHandle};
    use crate::tiling::Target;
    include!(concat!(env!("OUT_DIR"), "/generated/ak_kernels.rs"));
}

pub use generated::*;
