//! The runtime interface: the subset of AscendCL the device path calls, resolved at run time
//! from one shared library — CANN's `libascendcl.so` or the emulator's `libak_emu.so`, which
//! exports the same symbols (`ascendc/sim/acl/acl.h`). Nothing above this module knows which
//! one it has.
//!
//! The list of functions and their C signatures lives once, in [`acl_api!`]'s invocation below;
//! `tests/abi_bindgen.rs` checks it against the C declarations with bindgen.

use crate::error::{Error, Result};
use libloading::Library;
use std::ffi::{c_char, c_void, CStr};
use std::path::{Path, PathBuf};

/// `aclError`.
pub type AclError = i32;
/// `ACL_SUCCESS`.
pub const ACL_SUCCESS: AclError = 0;
/// `ACL_ERROR_REPEAT_INITIALIZE`: `aclInit` was already called in this process (by us or by the
/// engine that links us); not a failure for the device path.
pub const ACL_ERROR_REPEAT_INITIALIZE: AclError = 100_002;
// The enums of AscendCL are passed as their C type: an `unsigned int` (no negative values).
/// `ACL_MEMCPY_HOST_TO_DEVICE`.
pub const ACL_MEMCPY_HOST_TO_DEVICE: u32 = 1;
/// `ACL_MEMCPY_DEVICE_TO_HOST`.
pub const ACL_MEMCPY_DEVICE_TO_HOST: u32 = 2;
/// `ACL_MEMCPY_DEVICE_TO_DEVICE`.
pub const ACL_MEMCPY_DEVICE_TO_DEVICE: u32 = 3;
/// `ACL_MEM_MALLOC_HUGE_FIRST`.
pub const ACL_MEM_MALLOC_HUGE_FIRST: u32 = 0;

macro_rules! acl_api {
    ($( $(#[$doc:meta])* fn $name:ident($($arg:ident: $ty:ty),*) -> $ret:ty; )*) => {
        /// The AscendCL functions of one runtime library.
        #[allow(non_snake_case)]
        pub(crate) struct AclApi {
            $( $(#[$doc])* pub $name: unsafe extern "C" fn($($ty),*) -> $ret, )*
        }

        impl AclApi {
            /// Resolves every function from `lib`.
            ///
            /// # Safety
            /// `lib` must export these symbols with the C signatures declared here (AscendCL's).
            unsafe fn resolve(lib: &Library, path: &Path) -> Result<Self> {
                Ok(AclApi {
                    $( $name: *lib
                        .get::<unsafe extern "C" fn($($ty),*) -> $ret>(
                            concat!(stringify!($name), "\0").as_bytes(),
                        )
                        .map_err(|e| missing_symbol(path, stringify!($name), &e))?, )*
                })
            }
        }

        /// The names and C signatures of the functions in [`AclApi`], as Rust spells them
        /// (checked against the C header by `tests/abi_bindgen.rs`).
        pub const ACL_SIGNATURES: &[(&str, &str)] = &[
            $( (stringify!($name), concat!("fn(", $(stringify!($ty), ", ",)* ") -> ", stringify!($ret))), )*
        ];

        /// With feature `npu` and a toolkit: every function above has exactly the type of the
        /// toolkit's declaration (bindgen over its `acl/acl.h`, `build.rs`), or the crate does
        /// not compile.
        #[cfg(has_ascend)]
        #[allow(non_snake_case, non_camel_case_types, non_upper_case_globals, dead_code, clippy::all)]
        mod cann_declarations {
            use std::ffi::{c_char, c_void};
            mod cann {
                include!(concat!(env!("OUT_DIR"), "/acl_cann.rs"));
            }
            $( const _: unsafe extern "C" fn($($ty),*) -> $ret = cann::$name; )*
        }
    };
}

acl_api! {
    /// `aclError aclInit(const char* configPath)`.
    fn aclInit(config_path: *const c_char) -> i32;
    /// `aclError aclFinalize(void)`.
    fn aclFinalize() -> i32;
    /// `aclError aclrtSetDevice(int32_t deviceId)`.
    fn aclrtSetDevice(device_id: i32) -> i32;
    /// `aclError aclrtResetDevice(int32_t deviceId)`.
    fn aclrtResetDevice(device_id: i32) -> i32;
    /// `aclError aclrtGetDeviceCount(uint32_t* count)`.
    fn aclrtGetDeviceCount(count: *mut u32) -> i32;
    /// `const char* aclrtGetSocName(void)`.
    fn aclrtGetSocName() -> *const c_char;
    /// `aclError aclrtCreateStream(aclrtStream* stream)`.
    fn aclrtCreateStream(stream: *mut *mut c_void) -> i32;
    /// `aclError aclrtDestroyStream(aclrtStream stream)`.
    fn aclrtDestroyStream(stream: *mut c_void) -> i32;
    /// `aclError aclrtSynchronizeStream(aclrtStream stream)`.
    fn aclrtSynchronizeStream(stream: *mut c_void) -> i32;
    /// `aclError aclrtMalloc(void** devPtr, size_t size, aclrtMemMallocPolicy policy)`.
    fn aclrtMalloc(dev_ptr: *mut *mut c_void, size: usize, policy: u32) -> i32;
    /// `aclError aclrtFree(void* devPtr)`.
    fn aclrtFree(dev_ptr: *mut c_void) -> i32;
    /// `aclError aclrtMemcpy(void* dst, size_t destMax, const void* src, size_t count, aclrtMemcpyKind kind)`.
    fn aclrtMemcpy(dst: *mut c_void, dest_max: usize, src: *const c_void, count: usize, kind: u32) -> i32;
    /// `aclError aclrtMemcpyAsync(void* dst, size_t destMax, const void* src, size_t count, aclrtMemcpyKind kind, aclrtStream stream)`.
    fn aclrtMemcpyAsync(dst: *mut c_void, dest_max: usize, src: *const c_void, count: usize, kind: u32, stream: *mut c_void) -> i32;
    /// `aclError aclrtMemset(void* devPtr, size_t maxCount, int32_t value, size_t count)`.
    fn aclrtMemset(dev_ptr: *mut c_void, max_count: usize, value: i32, count: usize) -> i32;
    /// `const char* aclGetRecentErrMsg(void)`.
    fn aclGetRecentErrMsg() -> *const c_char;
}

fn missing_symbol(path: &Path, symbol: &str, e: &libloading::Error) -> Error {
    Error::Library {
        path: path.display().to_string(),
        reason: format!("does not export `{symbol}` ({e})"),
    }
}

/// Which AscendCL implementation a runtime library is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RuntimeKind {
    /// The emulator (`libak_emu.so`, built from `ascendc/sim/`): devices 0 (a2) and 1 (a5)
    /// on host memory.
    Emulator,
    /// CANN's `libascendcl.so`: a real NPU.
    Cann,
}

impl RuntimeKind {
    /// `emulator` or `CANN`, for messages.
    pub fn name(self) -> &'static str {
        match self {
            RuntimeKind::Emulator => "emulator",
            RuntimeKind::Cann => "CANN",
        }
    }
}

/// A loaded AscendCL runtime library, initialized (`aclInit`) once.
pub struct Runtime {
    kind: RuntimeKind,
    path: PathBuf,
    pub(crate) api: AclApi,
    // Keeps the library mapped for as long as `api` may be called.
    _lib: Library,
}

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runtime")
            .field("kind", &self.kind)
            .field("path", &self.path)
            .finish()
    }
}

impl Runtime {
    /// Loads the runtime library at `path`, resolves every function and calls `aclInit(NULL)`
    /// (an engine that already initialized AscendCL is fine).
    pub fn load(kind: RuntimeKind, path: &Path) -> Result<Runtime> {
        // SAFETY: loading a shared library runs its initializers; the libraries we load are
        // AscendCL implementations (CANN's or our emulator), whose initializers are sound.
        let lib = unsafe { Library::new(path) }.map_err(|e| Error::Library {
            path: path.display().to_string(),
            reason: format!("cannot be loaded: {e}"),
        })?;
        // SAFETY: an AscendCL runtime exports these functions with AscendCL's C signatures
        // (the emulator declares them in ascendc/sim/acl/acl.h, checked by tests/abi_bindgen.rs).
        let api = unsafe { AclApi::resolve(&lib, path)? };
        let rt = Runtime {
            kind,
            path: path.to_path_buf(),
            api,
            _lib: lib,
        };
        // SAFETY: a null config path is documented as "no configuration file".
        let rc = unsafe { (rt.api.aclInit)(std::ptr::null()) };
        if rc != ACL_SUCCESS && rc != ACL_ERROR_REPEAT_INITIALIZE {
            return Err(rt.error("aclInit", rc));
        }
        Ok(rt)
    }

    /// Which implementation this is.
    pub fn kind(&self) -> RuntimeKind {
        self.kind
    }

    /// The library file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The runtime's most recent error message on this thread (`aclGetRecentErrMsg`), if any.
    pub fn recent_error(&self) -> Option<String> {
        // SAFETY: no arguments; the result is null or a NUL-terminated string the runtime owns
        // until the next call on this thread, copied out at once.
        let p = unsafe { (self.api.aclGetRecentErrMsg)() };
        if p.is_null() {
            return None;
        }
        // SAFETY: non-null, NUL-terminated (AscendCL's contract), alive until the next call.
        let s = unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned();
        (!s.is_empty()).then_some(s)
    }

    /// The error of a failed call: the API, its code and the runtime's message.
    pub fn error(&self, api: &str, code: AclError) -> Error {
        Error::Runtime {
            runtime: self.kind.name().to_string(),
            api: api.to_string(),
            code,
            message: self
                .recent_error()
                .unwrap_or_else(|| "(the runtime gave no message)".to_string()),
        }
    }

    /// `Ok` for `ACL_SUCCESS`, else [`Runtime::error`].
    pub fn check(&self, api: &str, code: AclError) -> Result<()> {
        if code == ACL_SUCCESS {
            Ok(())
        } else {
            Err(self.error(api, code))
        }
    }

    /// `aclrtSetDevice(id)` on the calling thread.
    pub fn set_device(&self, id: i32) -> Result<()> {
        // SAFETY: by-value argument.
        self.check("aclrtSetDevice", unsafe { (self.api.aclrtSetDevice)(id) })
    }

    /// `aclrtGetDeviceCount`.
    pub fn device_count(&self) -> Result<u32> {
        let mut n = 0u32;
        // SAFETY: `n` is a valid out-pointer.
        self.check("aclrtGetDeviceCount", unsafe {
            (self.api.aclrtGetDeviceCount)(&mut n)
        })?;
        Ok(n)
    }

    /// `aclrtResetDevice(id)`: releases the calling thread's hold on the device.
    pub fn reset_device(&self, id: i32) -> Result<()> {
        // SAFETY: by-value argument.
        self.check("aclrtResetDevice", unsafe {
            (self.api.aclrtResetDevice)(id)
        })
    }

    /// `aclFinalize`: the process is done with AscendCL (every device, stream and buffer of this
    /// runtime must be released first). The runtime stays loaded; a later [`Runtime::load`]
    /// initializes it again.
    pub fn finalize(&self) -> Result<()> {
        // SAFETY: no arguments.
        self.check("aclFinalize", unsafe { (self.api.aclFinalize)() })
    }

    /// `aclrtGetSocName()` of the calling thread's device.
    pub fn soc_name(&self) -> Result<String> {
        // SAFETY: no arguments; null or a NUL-terminated string owned by the runtime.
        let p = unsafe { (self.api.aclrtGetSocName)() };
        if p.is_null() {
            return Err(self.error("aclrtGetSocName", -1));
        }
        // SAFETY: non-null, NUL-terminated, owned by the runtime for the process lifetime.
        Ok(unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned())
    }
}
