//! The emulator runtime: `libak_emu.so` (the AscendCL subset of `ascendc/sim/acl/acl.h` on host
//! memory, plus the sim) and the kernel libraries `libak_emu_kernels_<target>.so`, all built by
//! `build.rs` from `ascendc/sim/` and the generated sources.
//!
//! The libraries are embedded in every binary that links this crate and written, once per build,
//! to a cache directory (`$XDG_CACHE_HOME` or `~/.cache`, else the temp dir:
//! `ascend-kernels/emulator-<hash>/`), from where they are loaded like any other runtime, so an
//! installed binary or a Python wheel needs no build tree. `AK_EMULATOR_DIR` points at a
//! directory holding them instead.
//!
//! The emulator also exports controls that are not AscendCL (`ascendc/sim/ak_emu.h`): fault
//! injection, live-allocation counts and the sim's counters; they are wrapped here.

use super::acl::{Runtime, RuntimeKind};
use crate::error::{Error, Result};
use crate::tiling::Target;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

/// What the sim counted for the kernels run (mirror of `AkSimCounters`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    /// Bytes moved GM -> local, all cores.
    pub gm_to_ub_bytes: u64,
    /// Bytes moved local -> GM, all cores.
    pub ub_to_gm_bytes: u64,
    /// Vector API calls.
    pub vector_instrs: u64,
    /// Elements processed by those calls.
    pub vector_elems: u64,
    /// Cube multiply-accumulates.
    pub cube_macs: u64,
    /// GM traffic of the busiest core (the largest over the kernels).
    pub max_core_gm_bytes: u64,
    /// Largest `InitBuffer` total on one core (the largest over the kernels).
    pub ub_peak_bytes: u64,
    /// `block_dim` of the launch (the largest over the kernels).
    pub blocks: u32,
    /// Reserved.
    pub reserved: u32,
}

/// The file name of the emulator's runtime library.
pub const RUNTIME_LIBRARY: &str = "libak_emu.so";

/// The file name of the emulator's kernel library for `target`.
pub fn kernel_library_name(target: Target) -> String {
    format!("libak_emu_kernels_{target}.so")
}

#[cfg(ak_emu)]
mod embedded {
    /// `(file name, bytes)` of every emulator library, in load order.
    pub const FILES: [(&str, &[u8]); 3] = [
        (
            "libak_emu.so",
            include_bytes!(concat!(env!("OUT_DIR"), "/emu/libak_emu.so")),
        ),
        (
            "libak_emu_kernels_a2.so",
            include_bytes!(concat!(env!("OUT_DIR"), "/emu/libak_emu_kernels_a2.so")),
        ),
        (
            "libak_emu_kernels_a5.so",
            include_bytes!(concat!(env!("OUT_DIR"), "/emu/libak_emu_kernels_a5.so")),
        ),
    ];
    /// FNV-1a of the three files (build.rs), naming the cache directory.
    pub const HASH: &str = env!("AK_EMU_HASH");
}

/// Why this build has no emulator, if it has none.
pub fn unavailable_reason() -> Option<String> {
    if cfg!(ak_emu) {
        return None;
    }
    Some(match option_env!("AK_EMU_BUILD_ERROR") {
        Some(e) => e.to_string(),
        None => "this build has no emulator (AK_SIM_DISABLE was set at build time)".to_string(),
    })
}

fn cache_root() -> PathBuf {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(std::env::temp_dir);
    base.join("ascend-kernels")
}

#[cfg(ak_emu)]
fn extract() -> std::result::Result<PathBuf, String> {
    let write_all = |dir: &Path| -> std::io::Result<()> {
        std::fs::create_dir_all(dir)?;
        for (name, bytes) in embedded::FILES {
            let path = dir.join(name);
            if std::fs::read(&path).is_ok_and(|b| b == bytes) {
                continue;
            }
            let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
            std::fs::write(&tmp, bytes)?;
            std::fs::rename(&tmp, &path).inspect_err(|_| {
                let _ = std::fs::remove_file(&tmp);
            })?;
        }
        Ok(())
    };
    let sub = format!("emulator-{}", embedded::HASH);
    let primary = cache_root().join(&sub);
    match write_all(&primary) {
        Ok(()) => Ok(primary),
        Err(first) => {
            let fallback = std::env::temp_dir()
                .join(format!("ascend-kernels-{}", std::process::id()))
                .join(&sub);
            write_all(&fallback).map(|()| fallback).map_err(|e| {
                format!(
                    "cannot write the emulator libraries to {} ({first}) or {} ({e})",
                    primary.display(),
                    std::env::temp_dir().display()
                )
            })
        }
    }
}

#[cfg(not(ak_emu))]
fn extract() -> std::result::Result<PathBuf, String> {
    Err(unavailable_reason().unwrap_or_default())
}

/// The directory holding the emulator's libraries: `AK_EMULATOR_DIR`, or the embedded copies
/// written to the cache.
pub fn library_dir() -> Result<PathBuf> {
    if let Some(dir) = std::env::var_os("AK_EMULATOR_DIR") {
        return Ok(PathBuf::from(dir));
    }
    static DIR: OnceLock<std::result::Result<PathBuf, String>> = OnceLock::new();
    DIR.get_or_init(extract)
        .clone()
        .map_err(|reason| Error::BackendUnavailable {
            backend: "sim".into(),
            reason,
        })
}

/// The emulator runtime of this process (loaded and initialized once).
pub fn runtime() -> Result<Arc<Runtime>> {
    static RT: OnceLock<std::result::Result<Arc<Runtime>, String>> = OnceLock::new();
    if let Some(reason) = unavailable_reason() {
        return Err(Error::BackendUnavailable {
            backend: "sim".into(),
            reason,
        });
    }
    let loaded = RT.get_or_init(|| {
        let dir = library_dir().map_err(|e| e.to_string())?;
        Runtime::load(RuntimeKind::Emulator, &dir.join(RUNTIME_LIBRARY))
            .map(Arc::new)
            .map_err(|e| e.to_string())
    });
    loaded.clone().map_err(|reason| Error::BackendUnavailable {
        backend: "sim".into(),
        reason,
    })
}

/// The emulated device that stands for `target`: 0 (Atlas A2/A3, `Ascend910B3`) or
/// 1 (Ascend 950, `Ascend950PR`).
pub fn device_id(target: Target) -> i32 {
    match target {
        Target::A2 => 0,
        Target::A5 => 1,
    }
}

/// The emulator's controls (`ascendc/sim/ak_emu.h`), resolved from its runtime library.
struct Controls {
    inject: unsafe extern "C" fn(*const std::ffi::c_char, u32, i32) -> i32,
    clear: unsafe extern "C" fn(),
    set_soc: unsafe extern "C" fn(i32, *const std::ffi::c_char) -> i32,
    live_allocations: unsafe extern "C" fn() -> u64,
    thread_live_allocations: unsafe extern "C" fn() -> u64,
    live_streams: unsafe extern "C" fn() -> u64,
    take_counters: unsafe extern "C" fn(*mut Counters) -> i32,
    _lib: libloading::Library,
}

fn controls() -> Result<&'static Controls> {
    static C: OnceLock<std::result::Result<Controls, String>> = OnceLock::new();
    C.get_or_init(|| {
        let rt = runtime().map_err(|e| e.to_string())?;
        let path = rt.path().to_path_buf();
        // SAFETY: the emulator runtime is already loaded (this maps the same object again and
        // runs no initializer twice).
        let lib = unsafe { libloading::Library::new(&path) }.map_err(|e| e.to_string())?;
        macro_rules! sym {
            ($name:literal) => {
                // SAFETY: the emulator exports these controls with the signatures of ak_emu.h.
                *unsafe { lib.get(concat!($name, "\0").as_bytes()) }
                    .map_err(|e| format!("{}: no `{}` ({e})", path.display(), $name))?
            };
        }
        Ok(Controls {
            inject: sym!("akEmuInjectFault"),
            clear: sym!("akEmuClearFaults"),
            set_soc: sym!("akEmuSetSocName"),
            live_allocations: sym!("akEmuLiveAllocations"),
            thread_live_allocations: sym!("akEmuThreadLiveAllocations"),
            live_streams: sym!("akEmuLiveStreams"),
            take_counters: sym!("akEmuTakeThreadCounters"),
            _lib: lib,
        })
    })
    .as_ref()
    .map_err(|reason| Error::BackendUnavailable {
        backend: "sim".into(),
        reason: reason.clone(),
    })
}

/// Makes the (`skip`+1)-th next call of `api` by the calling thread fail with `code`. `api`
/// is an AscendCL function of the subset (`aclrtMalloc`, `aclrtSynchronizeStream`, ...) or
/// `launch` (a kernel launcher). Faults are per thread.
pub fn inject_fault(api: &str, skip: u32, code: i32) -> Result<()> {
    let c = controls()?;
    let name = std::ffi::CString::new(api).map_err(|_| Error::option("api", "contains NUL"))?;
    // SAFETY: NUL-terminated string alive for the call; by-value integers.
    let rc = unsafe { (c.inject)(name.as_ptr(), skip, code) };
    if rc != 0 {
        return Err(Error::option(
            "api",
            format!("the emulator cannot inject a fault into `{api}` with code {code}"),
        ));
    }
    Ok(())
}

/// Forgets the calling thread's pending faults.
pub fn clear_faults() -> Result<()> {
    // SAFETY: no arguments.
    unsafe { (controls()?.clear)() };
    Ok(())
}

/// Makes `aclrtGetSocName` report `soc` for emulated device `device` (`None` restores it).
pub fn set_soc_name(device: i32, soc: Option<&str>) -> Result<()> {
    let c = controls()?;
    let name = soc
        .map(std::ffi::CString::new)
        .transpose()
        .map_err(|_| Error::option("soc", "contains NUL"))?;
    // SAFETY: null or a NUL-terminated string alive for the call (the emulator copies it).
    let rc = unsafe {
        (c.set_soc)(
            device,
            name.as_ref().map_or(std::ptr::null(), |n| n.as_ptr()),
        )
    };
    if rc != 0 {
        return Err(Error::option(
            "device",
            format!("the emulator has no device {device}"),
        ));
    }
    Ok(())
}

/// Device allocations not freed yet, all threads.
pub fn live_allocations() -> Result<u64> {
    // SAFETY: no arguments.
    Ok(unsafe { (controls()?.live_allocations)() })
}

/// Device allocations the calling thread made and has not freed.
pub fn thread_live_allocations() -> Result<u64> {
    // SAFETY: no arguments.
    Ok(unsafe { (controls()?.thread_live_allocations)() })
}

/// Streams not destroyed yet, all threads.
pub fn live_streams() -> Result<u64> {
    // SAFETY: no arguments.
    Ok(unsafe { (controls()?.live_streams)() })
}

/// The sim counters of every kernel the calling thread ran since the previous call (then reset).
pub fn take_thread_counters() -> Result<Counters> {
    let mut c = Counters::default();
    // SAFETY: `c` is a #[repr(C)] mirror of AkSimCounters, writable for the call.
    unsafe { (controls()?.take_counters)(&mut c) };
    Ok(c)
}

/// Runs `f` and returns its result with the sim counters of the kernels it ran on this thread.
pub fn measure<R>(f: impl FnOnce() -> Result<R>) -> Result<(R, Counters)> {
    take_thread_counters()?;
    let r = f()?;
    Ok((r, take_thread_counters()?))
}
