//! The device path: the generated kernels run through an AscendCL-shaped runtime, the same way
//! on a real NPU (CANN's `libascendcl.so` and a kernel library built with the toolkit) and on the
//! emulator (`libak_emu.so` and the emulator's kernel libraries, built by `build.rs`).
//!
//! ```text
//!  ops::* (Backend::Sim / Backend::Npu)      engines: device::ops::* (+ the C ABI, include/)
//!            \                                  /
//!             host.rs: upload, launch, sync, download
//!                         |
//!        device::ops: validate, plan (src/tiling), fill the tiling struct, launch (async)
//!                         |
//!        kernels.rs: typed launchers generated from codegen's descriptions
//!                         |
//!        acl.rs: the runtime interface (aclrtMalloc, aclrtMemcpy, streams, ...)
//!               /                                   \
//!     emulator.rs: libak_emu.so                 cann.rs: libascendcl.so
//! ```
//!
//! Nothing above `acl.rs` knows which runtime it has. `docs/cann.md` says how to build and run
//! on an NPU, `docs/sim.md` what the emulator runtime checks.

pub mod acl;
pub mod cann;
pub mod emulator;
pub(crate) mod host;
pub mod kernels;
pub mod ops;

pub use acl::{Runtime, RuntimeKind};
pub use emulator::Counters;
pub use kernels::{DevicePtr, KernelLibrary, StreamHandle};

use crate::error::{Error, Result};
use crate::tiling::Target;
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};

/// One device of a runtime, with the kernel library of its target.
#[derive(Clone, Debug)]
pub struct Device {
    inner: Arc<DeviceInner>,
}

#[derive(Debug)]
struct DeviceInner {
    runtime: Arc<Runtime>,
    id: i32,
    soc: String,
    target: Target,
    kernels: KernelLibrary,
}

thread_local! {
    /// The (runtime, device) this thread last set with `aclrtSetDevice`.
    static BOUND: std::cell::Cell<(usize, i32)> = const { std::cell::Cell::new((0, -1)) };
}

impl Device {
    /// Opens `device_id` of `runtime`: sets it on this thread, reads its SoC name, picks the
    /// target from it and loads `kernel_library` (a file built for that target).
    pub fn open(runtime: Arc<Runtime>, device_id: i32, kernel_library: &Path) -> Result<Device> {
        runtime.set_device(device_id)?;
        BOUND.with(|b| b.set((Arc::as_ptr(&runtime) as usize, device_id)));
        let soc = runtime.soc_name()?;
        let target = Target::from_soc_name(&soc).ok_or_else(|| unsupported_soc(&soc))?;
        let kernels = KernelLibrary::load(runtime.clone(), target, kernel_library)?;
        Ok(Device {
            inner: Arc::new(DeviceInner {
                runtime,
                id: device_id,
                soc,
                target,
                kernels,
            }),
        })
    }

    /// Opens `device_id` of `runtime`, choosing the kernel library for its target with
    /// `library_for` (called once the SoC name has given the target).
    pub fn open_with(
        runtime: Arc<Runtime>,
        device_id: i32,
        library_for: impl FnOnce(Target) -> Result<std::path::PathBuf>,
    ) -> Result<Device> {
        runtime.set_device(device_id)?;
        BOUND.with(|b| b.set((Arc::as_ptr(&runtime) as usize, device_id)));
        let soc = runtime.soc_name()?;
        let target = Target::from_soc_name(&soc).ok_or_else(|| unsupported_soc(&soc))?;
        let path = library_for(target)?;
        Device::open(runtime, device_id, &path)
    }

    /// The emulated device of `target` (cached per process).
    pub fn emulator(target: Target) -> Result<Device> {
        static CACHE: OnceLock<Mutex<HashMap<Target, Device>>> = OnceLock::new();
        let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
        if let Some(d) = cache.lock().map_err(|_| poisoned())?.get(&target) {
            return Ok(d.clone());
        }
        let runtime = emulator::runtime()?;
        let dir = emulator::library_dir()?;
        let dev = Device::open(
            runtime,
            emulator::device_id(target),
            &dir.join(emulator::kernel_library_name(target)),
        )?;
        if dev.target() != target {
            return Err(Error::BackendUnavailable {
                backend: "sim".into(),
                reason: format!(
                    "emulated device {} reports SoC `{}` ({}), not {target}",
                    dev.id(),
                    dev.soc(),
                    dev.target()
                ),
            });
        }
        cache
            .lock()
            .map_err(|_| poisoned())?
            .insert(target, dev.clone());
        Ok(dev)
    }

    /// NPU `device_id` through CANN (cached per process and device): the toolkit's runtime and
    /// the kernel library for the device's target ([`cann`] says where both are looked for).
    pub fn npu(device_id: i32, kernel_library: Option<&Path>) -> Result<Device> {
        static CACHE: OnceLock<Mutex<HashMap<i32, Device>>> = OnceLock::new();
        let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
        if kernel_library.is_none() {
            if let Some(d) = cache.lock().map_err(|_| poisoned())?.get(&device_id) {
                return Ok(d.clone());
            }
        }
        let runtime = cann::runtime()?;
        let dev = Device::open_with(runtime, device_id, |target| match kernel_library {
            Some(p) => Ok(p.to_path_buf()),
            None => cann::kernel_library(target),
        })?;
        if kernel_library.is_none() {
            cache
                .lock()
                .map_err(|_| poisoned())?
                .insert(device_id, dev.clone());
        }
        Ok(dev)
    }

    /// The runtime.
    pub fn runtime(&self) -> &Arc<Runtime> {
        &self.inner.runtime
    }

    /// The device id.
    pub fn id(&self) -> i32 {
        self.inner.id
    }

    /// The SoC name the runtime reported.
    pub fn soc(&self) -> &str {
        &self.inner.soc
    }

    /// The target of the SoC.
    pub fn target(&self) -> Target {
        self.inner.target
    }

    /// The kernel library.
    pub fn kernels(&self) -> &KernelLibrary {
        &self.inner.kernels
    }

    /// Makes this the calling thread's current device (`aclrtSetDevice`), if it is not already.
    pub fn bind(&self) -> Result<()> {
        let key = (Arc::as_ptr(&self.inner.runtime) as usize, self.inner.id);
        if BOUND.with(|b| b.get()) == key {
            return Ok(());
        }
        self.inner.runtime.set_device(self.inner.id)?;
        BOUND.with(|b| b.set(key));
        Ok(())
    }

    /// A device allocation of `bytes` bytes (at least 1), freed on drop.
    pub fn alloc(&self, bytes: usize) -> Result<DeviceBuffer> {
        self.bind()?;
        let rt = &self.inner.runtime;
        let mut p: *mut std::ffi::c_void = std::ptr::null_mut();
        // SAFETY: `p` is a valid out-pointer; size and policy by value.
        let rc = unsafe { (rt.api.aclrtMalloc)(&mut p, bytes, acl::ACL_MEM_MALLOC_HUGE_FIRST) };
        rt.check("aclrtMalloc", rc)?;
        Ok(DeviceBuffer {
            device: self.clone(),
            ptr: DevicePtr::from_addr(p as usize),
            len: bytes,
        })
    }

    /// A new stream on this device, destroyed on drop.
    pub fn stream(&self) -> Result<Stream> {
        self.bind()?;
        let rt = &self.inner.runtime;
        let mut s: *mut std::ffi::c_void = std::ptr::null_mut();
        // SAFETY: `s` is a valid out-pointer.
        let rc = unsafe { (rt.api.aclrtCreateStream)(&mut s) };
        rt.check("aclrtCreateStream", rc)?;
        Ok(Stream {
            device: self.clone(),
            handle: StreamHandle::from_raw(s),
        })
    }

    /// Copies `data` to device address `dst` (synchronous `aclrtMemcpy`; the runtime checks the
    /// range lies in one allocation, and the emulator that no pending task uses it).
    pub(crate) fn copy_to_device(&self, dst: DevicePtr, data: &[u8]) -> Result<()> {
        if data.is_empty() {
            return Ok(());
        }
        self.bind()?;
        let rt = &self.inner.runtime;
        // SAFETY: `data` is readable for its length; `dst` is a device address, which the
        // runtime validates (destMax = count: nothing beyond the range is touched).
        let rc = unsafe {
            (rt.api.aclrtMemcpy)(
                dst.as_void(),
                data.len(),
                data.as_ptr().cast(),
                data.len(),
                acl::ACL_MEMCPY_HOST_TO_DEVICE,
            )
        };
        rt.check("aclrtMemcpy", rc)
    }

    /// Waits for everything queued on `stream` (`aclrtSynchronizeStream`); a kernel that
    /// failed on the device is reported here.
    pub fn synchronize(&self, stream: StreamHandle) -> Result<()> {
        self.bind()?;
        let rt = &self.inner.runtime;
        // SAFETY: the handle came from the runtime; an invalid one is reported as an error.
        let rc = unsafe { (rt.api.aclrtSynchronizeStream)(stream.as_ptr()) };
        rt.check("aclrtSynchronizeStream", rc)
    }
}

fn poisoned() -> Error {
    Error::BackendUnavailable {
        backend: "device".into(),
        reason: "a thread panicked while opening a device".into(),
    }
}

fn unsupported_soc(soc: &str) -> Error {
    Error::Unsupported {
        source_name: "aclrtGetSocName".into(),
        feature: format!("SoC `{soc}`"),
        reason:
            "kernels are generated for a2 (Ascend910B*, Ascend910_93*) and a5 (Ascend950*) only"
                .into(),
    }
}

/// A device allocation, freed (`aclrtFree`) when dropped. Synchronize every stream that uses it
/// before dropping it: the emulator reports a free under a pending kernel as an error (and keeps
/// the memory), a real NPU would race.
#[derive(Debug)]
pub struct DeviceBuffer {
    device: Device,
    ptr: DevicePtr,
    len: usize,
}

impl DeviceBuffer {
    /// Its device address.
    pub fn ptr(&self) -> DevicePtr {
        self.ptr
    }

    /// Its size in bytes.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether it has no bytes (never: allocations have at least one).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Copies `data` to the start of the buffer (synchronous `aclrtMemcpy`).
    pub fn upload<T: bytemuck::Pod>(&self, data: &[T]) -> Result<()> {
        let bytes: &[u8] = bytemuck::cast_slice(data);
        self.device.bind()?;
        let rt = self.device.runtime();
        // SAFETY: `bytes` is readable for its length; the destination is this allocation, whose
        // size is passed as destMax so the runtime refuses an overflow.
        let rc = unsafe {
            (rt.api.aclrtMemcpy)(
                self.ptr.as_void(),
                self.len,
                bytes.as_ptr().cast(),
                bytes.len(),
                acl::ACL_MEMCPY_HOST_TO_DEVICE,
            )
        };
        rt.check("aclrtMemcpy", rc)
    }

    /// Queues a copy of `data` to the start of the buffer on `stream` (`aclrtMemcpyAsync`).
    ///
    /// # Safety
    /// `data` must stay alive and unchanged until `stream` has been synchronized.
    pub unsafe fn upload_async<T: bytemuck::Pod>(
        &self,
        data: &[T],
        stream: StreamHandle,
    ) -> Result<()> {
        let bytes: &[u8] = bytemuck::cast_slice(data);
        self.device.bind()?;
        let rt = self.device.runtime();
        // SAFETY: the caller keeps `data` alive until the stream ran the copy; destMax is the
        // allocation's size, so the runtime refuses an overflow.
        let rc = unsafe {
            (rt.api.aclrtMemcpyAsync)(
                self.ptr.as_void(),
                self.len,
                bytes.as_ptr().cast(),
                bytes.len(),
                acl::ACL_MEMCPY_HOST_TO_DEVICE,
                stream.as_ptr(),
            )
        };
        rt.check("aclrtMemcpyAsync", rc)
    }

    /// Sets every byte of the buffer to `value` (synchronous `aclrtMemset`).
    pub fn fill(&self, value: u8) -> Result<()> {
        self.device.bind()?;
        let rt = self.device.runtime();
        // SAFETY: the range is exactly this allocation.
        let rc = unsafe {
            (rt.api.aclrtMemset)(self.ptr.as_void(), self.len, i32::from(value), self.len)
        };
        rt.check("aclrtMemset", rc)
    }

    /// Copies the start of the buffer into `out` (synchronous `aclrtMemcpy`).
    pub fn download<T: bytemuck::Pod>(&self, out: &mut [T]) -> Result<()> {
        let bytes: &mut [u8] = bytemuck::cast_slice_mut(out);
        if bytes.len() > self.len {
            return Err(Error::shape(
                "download",
                format!("at most {} bytes (the device buffer)", self.len),
                &[bytes.len()],
            ));
        }
        self.device.bind()?;
        let rt = self.device.runtime();
        // SAFETY: `bytes` is writable for its length (passed as destMax); the source range lies
        // inside this allocation (checked above).
        let rc = unsafe {
            (rt.api.aclrtMemcpy)(
                bytes.as_mut_ptr().cast(),
                bytes.len(),
                self.ptr.as_void(),
                bytes.len(),
                acl::ACL_MEMCPY_DEVICE_TO_HOST,
            )
        };
        rt.check("aclrtMemcpy", rc)
    }
}

impl Drop for DeviceBuffer {
    fn drop(&mut self) {
        if self.device.bind().is_ok() {
            // SAFETY: the pointer came from aclrtMalloc and is freed once, here.
            let _ = unsafe { (self.device.runtime().api.aclrtFree)(self.ptr.as_void()) };
        }
    }
}

/// A stream created by this crate, destroyed when dropped (synchronize it first).
#[derive(Debug)]
pub struct Stream {
    device: Device,
    handle: StreamHandle,
}

impl Stream {
    /// The raw handle (what launchers take).
    pub fn handle(&self) -> StreamHandle {
        self.handle
    }

    /// Waits for everything queued on it.
    pub fn synchronize(&self) -> Result<()> {
        self.device.synchronize(self.handle)
    }
}

impl Drop for Stream {
    fn drop(&mut self) {
        if self.device.bind().is_ok() {
            // SAFETY: the handle came from aclrtCreateStream and is destroyed once, here.
            let _ = unsafe { (self.device.runtime().api.aclrtDestroyStream)(self.handle.as_ptr()) };
        }
    }
}

/// Where and how the device-level ops run: a device, the kernel variant (`auto`: the tuned
/// default per kernel and shape, [`crate::tiling::tuned_variant`]) and the cores to spread
/// work over.
#[derive(Clone, Debug)]
pub struct Exec {
    /// The device.
    pub device: Device,
    /// Variant name (`auto`, `v0`, ...).
    pub variant: String,
    /// Vector cores the tiling spreads work over.
    pub cores: u32,
}

/// The variant name that stands for "the tuned default of each kernel and shape".
pub const AUTO: &str = "auto";

impl Exec {
    /// `device` with the tuned default variants on all of its target's vector cores.
    pub fn new(device: Device) -> Exec {
        let cores = device.target().vector_cores();
        Exec {
            device,
            variant: AUTO.to_string(),
            cores,
        }
    }

    /// The variant to run for `kernel` over `rows` rows: the configured one, or for `auto` the
    /// tuned default (`v0` where the table has none).
    pub fn variant_for(&self, kernel: &str, rows: usize) -> String {
        if self.variant != AUTO {
            return self.variant.clone();
        }
        crate::tiling::tuned_variant(kernel, self.device.target(), rows)
            .unwrap_or("v0")
            .to_string()
    }

    /// The knobs of `kernel`'s `variant` on this device's target, if the kernel library has it.
    pub fn knobs(&self, kernel: &str, variant: &str) -> Result<crate::tiling::Knobs> {
        let target = self.device.target();
        let known = kernels::AK_VARIANTS
            .iter()
            .find(|(k, t, v, _, _)| *k == kernel && *t == target.name() && *v == variant);
        match known {
            Some(&(_, _, _, buffer_num, ub_share_pct))
                if self.device.kernels().has_unit(kernel, variant) =>
            {
                Ok(crate::tiling::Knobs {
                    buffer_num,
                    ub_share_pct,
                })
            }
            _ => Err(Error::BackendUnavailable {
                backend: self.backend_name(),
                reason: format!(
                    "{kernel} variant `{variant}` is not compiled for {target} ({})",
                    self.device.kernels().path().display()
                ),
            }),
        }
    }

    /// `sim` or `npu`, for messages.
    pub fn backend_name(&self) -> String {
        match self.device.runtime().kind() {
            RuntimeKind::Emulator => "sim".into(),
            RuntimeKind::Cann => "npu".into(),
        }
    }
}
