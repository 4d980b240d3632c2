//! The sim session ABI (`ascendc/sim/ak_sim.h`, CONTRACT.md section 3), wrapped so that a session
//! is always closed, even on an early return.

use crate::error::{Error, Result};
use crate::tiling::Target;

/// What the sim counted during one session (mirror of `AkSimCounters`).
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
    /// GM traffic of the busiest core.
    pub max_core_gm_bytes: u64,
    /// Largest `InitBuffer` total on one core.
    pub ub_peak_bytes: u64,
    /// `block_dim` of the launch.
    pub blocks: u32,
    /// Reserved.
    pub reserved: u32,
}

#[cfg(ak_sim)]
pub(crate) mod ffi {
    #![allow(dead_code, missing_docs, clippy::all)]
    use super::Counters;

    include!(concat!(env!("OUT_DIR"), "/generated/ak_kernels.rs"));

    extern "C" {
        pub fn ak_sim_begin(target: u32) -> i32;
        pub fn ak_sim_register_gm(
            ptr: *const ::core::ffi::c_void,
            len: u64,
            writable: i32,
            name: *const ::core::ffi::c_char,
        ) -> i32;
        pub fn ak_sim_end(
            counters: *mut Counters,
            err: *mut ::core::ffi::c_char,
            err_len: u64,
        ) -> i32;
    }
}

/// Whether this build has the sim (the generated kernels and `ascendc/sim` compiled and linked).
pub fn available() -> bool {
    cfg!(ak_sim)
}

pub(crate) fn unavailable_reason() -> String {
    match option_env!("AK_SIM_BUILD_ERROR") {
        Some(e) => e.to_string(),
        None => "this build has no AscendC sim (ascendc/sim missing or AK_SIM_DISABLE set at build time)".to_string(),
    }
}

/// One GM buffer handed to a kernel.
#[derive(Clone, Copy, Debug)]
pub struct GmBuffer<'a> {
    /// The argument name (used in the sim's messages).
    pub name: &'static str,
    /// Start of the buffer.
    pub ptr: *const u8,
    /// Length in bytes.
    pub len: usize,
    /// Whether the kernel may write it.
    pub writable: bool,
    _borrow: std::marker::PhantomData<&'a [u8]>,
}

impl<'a> GmBuffer<'a> {
    /// A read-only buffer over `data`.
    pub fn input<T: bytemuck::Pod>(name: &'static str, data: &'a [T]) -> Self {
        let bytes: &[u8] = bytemuck::cast_slice(data);
        Self {
            name,
            ptr: bytes.as_ptr(),
            len: bytes.len(),
            writable: false,
            _borrow: std::marker::PhantomData,
        }
    }

    /// A writable buffer over `data`.
    pub fn output<T: bytemuck::Pod>(name: &'static str, data: &'a mut [T]) -> Self {
        let bytes: &mut [u8] = bytemuck::cast_slice_mut(data);
        Self {
            name,
            ptr: bytes.as_mut_ptr(),
            len: bytes.len(),
            writable: true,
            _borrow: std::marker::PhantomData,
        }
    }

    /// The pointer a launcher takes (`uint8_t*`); null for an empty buffer.
    pub fn arg(&self) -> *mut u8 {
        if self.len == 0 {
            std::ptr::null_mut()
        } else {
            self.ptr as *mut u8
        }
    }
}

/// An open sim session on the current thread; closed by [`Session::end`] or on drop.
#[derive(Debug)]
pub struct Session {
    open: bool,
    kernel: String,
}

impl Session {
    /// Opens a session for `target` and registers `buffers` (empty ones are skipped).
    pub fn begin(target: Target, kernel: &str, buffers: &[GmBuffer<'_>]) -> Result<Session> {
        #[cfg(ak_sim)]
        {
            let code = match target {
                Target::A2 => 0,
                Target::A5 => 1,
            };
            // SAFETY: plain C call with a by-value argument; it never throws or aborts.
            if unsafe { ffi::ak_sim_begin(code) } != 0 {
                return Err(fail(
                    kernel,
                    "a sim session is already open on this thread".into(),
                ));
            }
            let session = Session {
                open: true,
                kernel: kernel.to_string(),
            };
            for b in buffers.iter().filter(|b| b.len > 0) {
                let name = std::ffi::CString::new(b.name).unwrap_or_default();
                // SAFETY: `b.ptr` points to `b.len` live bytes borrowed for the session by the caller
                // (GmBuffer's lifetime); `name` is a NUL-terminated string the sim copies.
                let rc = unsafe {
                    ffi::ak_sim_register_gm(
                        b.ptr.cast(),
                        b.len as u64,
                        i32::from(b.writable),
                        name.as_ptr(),
                    )
                };
                if rc != 0 {
                    let err = session.end().err();
                    return Err(err.unwrap_or_else(|| {
                        fail(kernel, format!("the sim refused GM buffer `{}`", b.name))
                    }));
                }
            }
            Ok(session)
        }
        #[cfg(not(ak_sim))]
        {
            let _ = (target, kernel, buffers);
            Err(super::unavailable())
        }
    }

    /// Closes the session: the counters if every launch was clean, else the sim's first message.
    pub fn end(mut self) -> Result<Counters> {
        self.open = false;
        close(&self.kernel)
    }

    /// Checks a launcher's return code and closes the session.
    pub fn finish(self, launch_rc: i32) -> Result<Counters> {
        let kernel = self.kernel.clone();
        let counters = self.end()?;
        if launch_rc != 0 {
            return Err(fail(
                &kernel,
                format!("the launcher returned {launch_rc} but the sim reported no violation"),
            ));
        }
        Ok(counters)
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        if self.open {
            let _ = close(&self.kernel);
        }
    }
}

fn fail(kernel: &str, message: String) -> Error {
    Error::Backend {
        backend: "sim".into(),
        kernel: kernel.to_string(),
        message,
    }
}

#[cfg(ak_sim)]
fn close(kernel: &str) -> Result<Counters> {
    let mut counters = Counters::default();
    let mut err = vec![0u8; 2048];
    // SAFETY: `counters` is a #[repr(C)] mirror of AkSimCounters and `err` holds `err.len()`
    // writable bytes; the sim writes a NUL-terminated message of at most that many bytes.
    let rc = unsafe { ffi::ak_sim_end(&mut counters, err.as_mut_ptr().cast(), err.len() as u64) };
    if rc != 0 {
        let end = err.iter().position(|&b| b == 0).unwrap_or(err.len());
        let msg = String::from_utf8_lossy(&err[..end]).into_owned();
        return Err(fail(
            kernel,
            if msg.is_empty() {
                format!("the sim reported failure {rc}")
            } else {
                msg
            },
        ));
    }
    Ok(counters)
}

#[cfg(not(ak_sim))]
fn close(_kernel: &str) -> Result<Counters> {
    Err(super::unavailable())
}
