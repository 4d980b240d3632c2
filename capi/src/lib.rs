//! The C ABI of ascend-kernels: every op on device buffers the caller owns, launched on the
//! caller's AscendCL stream, for C++ engines and torch custom ops. The header
//! `include/ascend_kernels.h` is generated from this file by cbindgen (`tests/header.rs` keeps
//! the committed copy identical).
//!
//! Conventions:
//! - every function returns an `AK_STATUS_*` code; on failure `ak_last_error()` (per thread)
//!   gives the library's one-line message naming what was wrong;
//! - tensors are [`AkTensor`]s: a device address, the bytes available there, a dtype
//!   (`AK_DT_*`) and a shape; inputs are read, outputs written by the kernels;
//! - launches are asynchronous: results are there once the caller synchronizes the stream, and a
//!   kernel that fails on the device is reported by that synchronization (`aclGetRecentErrMsg`);
//! - nothing unwinds across the boundary: a panic becomes `AK_STATUS_INTERNAL`.

#![allow(clippy::missing_safety_doc)] // every `unsafe extern "C"` fn states its contract in its docs

use ascend_kernels::device::ops::{self as dops, DeviceTensor, MxDeviceOperand};
use ascend_kernels::device::{emulator, Device, DevicePtr, Exec, StreamHandle, AUTO};
use ascend_kernels::ops::{
    MxQuantOptions, RmsNormMode, RmsNormOptions, RopeCache, RopeMode, RopeOptions, ScaleAlg,
    TinyBlocks,
};
use ascend_kernels::{DType, Error, Fp8Format};
use std::cell::RefCell;
use std::ffi::{c_char, c_void, CStr, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};

/// Success.
pub const AK_STATUS_OK: i32 = 0;
/// An argument is wrong: a null pointer, a shape, a dtype, an option (see `ak_last_error`).
pub const AK_STATUS_INVALID: i32 = 1;
/// The runtime, device or kernel library is not available here (e.g. no CANN toolkit).
pub const AK_STATUS_UNAVAILABLE: i32 = 2;
/// An AscendCL call or a kernel launcher failed (the message has the API and its code).
pub const AK_STATUS_RUNTIME: i32 = 3;
/// A panic inside the library (a bug; the message says where).
pub const AK_STATUS_INTERNAL: i32 = 4;

/// Runtime: the emulator (devices 0 = Atlas A2/A3, 1 = Ascend 950, on host memory).
pub const AK_RUNTIME_EMULATOR: i32 = 0;
/// Runtime: CANN's libascendcl.so (a real NPU).
pub const AK_RUNTIME_CANN: i32 = 1;

/// dtype: float.
pub const AK_DT_F32: i32 = 0;
/// dtype: half.
pub const AK_DT_F16: i32 = 1;
/// dtype: bfloat16.
pub const AK_DT_BF16: i32 = 2;
/// dtype: FP8 E4M3FN bytes.
pub const AK_DT_F8_E4M3: i32 = 3;
/// dtype: FP8 E5M2 bytes.
pub const AK_DT_F8_E5M2: i32 = 4;
/// dtype: E8M0 scale bytes.
pub const AK_DT_F8_E8M0: i32 = 5;
/// dtype: unsigned bytes (FP8 or E8M0 data without a type tag, workspaces).
pub const AK_DT_U8: i32 = 6;
/// dtype: int32.
pub const AK_DT_I32: i32 = 7;

/// FP8 element format: E4M3FN.
pub const AK_FORMAT_E4M3: i32 = 0;
/// FP8 element format: E5M2.
pub const AK_FORMAT_E5M2: i32 = 1;

/// Largest tensor rank.
pub const AK_MAX_RANK: usize = 8;

/// A tensor in device memory.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct AkTensor {
    /// Device address (from aclrtMalloc, or inside such an allocation).
    pub data: *mut c_void,
    /// Bytes available at `data`.
    pub bytes: u64,
    /// `AK_DT_*`.
    pub dtype: i32,
    /// Number of axes (at most `AK_MAX_RANK`).
    pub rank: u32,
    /// Extent of each axis (the first `rank` are used).
    pub shape: [i64; AK_MAX_RANK],
}

/// A device, its kernel library and the variant choice; made by `ak_context_create`.
pub struct AkContext {
    exec: Exec,
}

thread_local! {
    static LAST_ERROR: RefCell<CString> = RefCell::new(CString::default());
}

fn set_error(msg: &str) {
    let c = CString::new(msg.replace('\0', " ")).unwrap_or_default();
    LAST_ERROR.with(|e| *e.borrow_mut() = c);
}

fn status_of(e: &Error) -> i32 {
    match e {
        Error::BackendUnavailable { .. } | Error::Library { .. } | Error::Unsupported { .. } => {
            AK_STATUS_UNAVAILABLE
        }
        Error::Runtime { .. } => AK_STATUS_RUNTIME,
        _ => AK_STATUS_INVALID,
    }
}

/// Runs `f`, turning an error into its status and message and a panic into
/// `AK_STATUS_INTERNAL`.
fn guard(f: impl FnOnce() -> Result<(), Error>) -> i32 {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(())) => {
            set_error("");
            AK_STATUS_OK
        }
        Ok(Err(e)) => {
            set_error(&e.to_string());
            status_of(&e)
        }
        Err(p) => {
            let what = p
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| p.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            set_error(&format!("internal error (a bug in ascend-kernels): {what}"));
            AK_STATUS_INTERNAL
        }
    }
}

fn invalid(what: &str, reason: impl Into<String>) -> Error {
    Error::option(what, reason)
}

fn dtype_of(name: &str, code: i32) -> Result<DType, Error> {
    Ok(match code {
        AK_DT_F32 => DType::F32,
        AK_DT_F16 => DType::F16,
        AK_DT_BF16 => DType::BF16,
        AK_DT_F8_E4M3 => DType::F8E4M3,
        AK_DT_F8_E5M2 => DType::F8E5M2,
        AK_DT_F8_E8M0 => DType::F8E8M0,
        AK_DT_U8 => DType::U8,
        AK_DT_I32 => DType::I32,
        other => return Err(invalid(name, format!("unknown dtype code {other}"))),
    })
}

fn format_of(name: &str, code: i32) -> Result<Fp8Format, Error> {
    match code {
        AK_FORMAT_E4M3 => Ok(Fp8Format::E4M3),
        AK_FORMAT_E5M2 => Ok(Fp8Format::E5M2),
        other => Err(invalid(name, format!("unknown FP8 format code {other}"))),
    }
}

/// A validated view of an `AkTensor`: its shape as usize and dtype.
struct Desc {
    ptr: DevicePtr,
    bytes: usize,
    shape: Vec<usize>,
    dtype: DType,
}

impl Desc {
    /// # Safety
    /// `t` is null or points to a readable `AkTensor`.
    unsafe fn read(name: &str, t: *const AkTensor) -> Result<Desc, Error> {
        // SAFETY: the caller passes null or a valid pointer (the header's contract).
        let t = unsafe { t.as_ref() }.ok_or_else(|| invalid(name, "the tensor pointer is NULL"))?;
        let rank = t.rank as usize;
        if rank > AK_MAX_RANK {
            return Err(invalid(name, format!("rank {rank} exceeds {AK_MAX_RANK}")));
        }
        let shape = t.shape[..rank]
            .iter()
            .map(|&d| usize::try_from(d).map_err(|_| invalid(name, format!("negative extent {d}"))))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Desc {
            ptr: DevicePtr::from_addr(t.data as usize),
            bytes: usize::try_from(t.bytes)
                .map_err(|_| invalid(name, "bytes do not fit this machine's address space"))?,
            shape,
            dtype: dtype_of(name, t.dtype)?,
        })
    }

    fn tensor(&self) -> DeviceTensor<'_> {
        // SAFETY: the C caller owns the device memory and keeps it allocated until the stream
        // has run the launch (the header's contract for every op).
        unsafe { DeviceTensor::from_raw(self.ptr, self.bytes, &self.shape, self.dtype) }
    }
}

/// # Safety
/// `t` is null (absent) or points to a readable `AkTensor`.
unsafe fn optional(name: &str, t: *const AkTensor) -> Result<Option<Desc>, Error> {
    if t.is_null() {
        Ok(None)
    } else {
        // SAFETY: non-null, and the caller's contract makes it readable.
        unsafe { Desc::read(name, t) }.map(Some)
    }
}

/// # Safety
/// `ctx` is null or a live context from `ak_context_create`.
unsafe fn context<'a>(ctx: *const AkContext) -> Result<&'a AkContext, Error> {
    // SAFETY: the caller passes null or a context it has not destroyed.
    unsafe { ctx.as_ref() }.ok_or_else(|| invalid("ctx", "the context pointer is NULL"))
}

/// # Safety
/// `p` is null or points to `len` readable floats.
unsafe fn floats<'a>(name: &str, p: *const f32, len: u64) -> Result<Option<&'a [f32]>, Error> {
    if p.is_null() {
        return Ok(None);
    }
    let len = usize::try_from(len).map_err(|_| invalid(name, "length too large"))?;
    // SAFETY: non-null and `len` floats readable (the caller's contract).
    Ok(Some(unsafe { std::slice::from_raw_parts(p, len) }))
}

/// # Safety
/// `out` is null or writable.
unsafe fn write_u64(name: &str, out: *mut u64, v: usize) -> Result<(), Error> {
    // SAFETY: null or writable (the caller's contract).
    let out = unsafe { out.as_mut() }.ok_or_else(|| invalid(name, "the output pointer is NULL"))?;
    *out = v as u64;
    Ok(())
}

fn stream_of(stream: *mut c_void) -> StreamHandle {
    StreamHandle::from_raw(stream)
}

/// The version of the library, e.g. `0.1.0` (a static string).
#[no_mangle]
pub extern "C" fn ak_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}

/// The message of the calling thread's last failed call ("" after a success). Valid until the
/// thread's next call into the library.
#[no_mangle]
pub extern "C" fn ak_last_error() -> *const c_char {
    LAST_ERROR.with(|e| e.borrow().as_ptr())
}

/// Opens device `device_id` of `runtime` (`AK_RUNTIME_*`) and the kernel library of its target
/// (`kernel_library`, or NULL for the default: the emulator's own, or for CANN the one
/// `AK_NPU_KERNEL_DIR` holds). The device is set on the calling thread; AscendCL is initialized
/// if the process has not done so. Kernels run the tuned default variants on all vector cores.
///
/// # Safety
/// `kernel_library` is NULL or a NUL-terminated path; `out` is writable.
#[no_mangle]
pub unsafe extern "C" fn ak_context_create(
    runtime: i32,
    device_id: i32,
    kernel_library: *const c_char,
    out: *mut *mut AkContext,
) -> i32 {
    guard(|| {
        // SAFETY: writable (the caller's contract).
        let out = unsafe { out.as_mut() }.ok_or_else(|| invalid("out", "NULL"))?;
        *out = std::ptr::null_mut();
        let lib = if kernel_library.is_null() {
            None
        } else {
            // SAFETY: a NUL-terminated string (the caller's contract).
            let s = unsafe { CStr::from_ptr(kernel_library) };
            Some(std::path::PathBuf::from(
                s.to_str()
                    .map_err(|_| invalid("kernel_library", "not UTF-8"))?,
            ))
        };
        let device = match runtime {
            AK_RUNTIME_EMULATOR => {
                let rt = emulator::runtime()?;
                Device::open_with(rt, device_id, |target| match &lib {
                    Some(p) => Ok(p.clone()),
                    None => {
                        Ok(emulator::library_dir()?.join(emulator::kernel_library_name(target)))
                    }
                })?
            }
            AK_RUNTIME_CANN => Device::npu(device_id, lib.as_deref())?,
            other => return Err(invalid("runtime", format!("unknown runtime code {other}"))),
        };
        *out = Box::into_raw(Box::new(AkContext {
            exec: Exec::new(device),
        }));
        Ok(())
    })
}

/// Releases a context (NULL is ignored). Device memory and streams are the caller's.
///
/// # Safety
/// `ctx` is NULL or a context from `ak_context_create`, not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn ak_context_destroy(ctx: *mut AkContext) {
    if !ctx.is_null() {
        // SAFETY: made by Box::into_raw in ak_context_create and destroyed once (contract).
        drop(unsafe { Box::from_raw(ctx) });
    }
}

/// Selects the kernel variant (`"auto"` for the tuned defaults, `"v0"`, ...).
///
/// # Safety
/// `ctx` is a live context; `variant` a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn ak_context_set_variant(
    ctx: *mut AkContext,
    variant: *const c_char,
) -> i32 {
    guard(|| {
        // SAFETY: null or a live context (contract).
        let c = unsafe { ctx.as_mut() }.ok_or_else(|| invalid("ctx", "NULL"))?;
        if variant.is_null() {
            return Err(invalid("variant", "NULL"));
        }
        // SAFETY: NUL-terminated (contract).
        let v = unsafe { CStr::from_ptr(variant) }
            .to_str()
            .map_err(|_| invalid("variant", "not UTF-8"))?;
        c.exec.variant = if v.is_empty() { AUTO.into() } else { v.into() };
        Ok(())
    })
}

/// Writes the context's target (`"a2"` or `"a5"`, from the device's SoC name) into `name`
/// (`len` bytes, NUL-terminated).
///
/// # Safety
/// `ctx` is a live context; `name` has `len` writable bytes.
#[no_mangle]
pub unsafe extern "C" fn ak_context_target(
    ctx: *const AkContext,
    name: *mut c_char,
    len: u64,
) -> i32 {
    guard(|| {
        // SAFETY: contract.
        let c = unsafe { context(ctx) }?;
        let t = c.exec.device.target().name().as_bytes();
        if name.is_null() || (len as usize) < t.len() + 1 {
            return Err(invalid("name", format!("needs {} bytes", t.len() + 1)));
        }
        // SAFETY: `name` has at least t.len() + 1 writable bytes (checked above).
        unsafe {
            std::ptr::copy_nonoverlapping(t.as_ptr().cast(), name, t.len());
            *name.add(t.len()) = 0;
        }
        Ok(())
    })
}

/// RMSNorm of every row of `x [..., H]` with `weight [H]` into `y` (all one float dtype);
/// with `residual` and `h` both non-NULL the fused form `h = x + residual`, `y = rms_norm(h)`.
/// `weight_in_f32` != 0 rounds once after the weight multiply (docs/numerics.md).
///
/// # Safety
/// `ctx` is a live context; tensor pointers are NULL (only `residual`, `h`) or readable; the
/// device memory they describe stays allocated until `stream` has run the launch.
#[no_mangle]
pub unsafe extern "C" fn ak_rms_norm(
    ctx: *const AkContext,
    stream: *mut c_void,
    x: *const AkTensor,
    weight: *const AkTensor,
    residual: *const AkTensor,
    y: *const AkTensor,
    h: *const AkTensor,
    eps: f32,
    weight_in_f32: i32,
) -> i32 {
    guard(|| {
        // SAFETY: the function's contract covers every pointer.
        let (c, x, w, y) = unsafe {
            (
                context(ctx)?,
                Desc::read("x", x)?,
                Desc::read("weight", weight)?,
                Desc::read("y", y)?,
            )
        };
        // SAFETY: as above.
        let (r, hh) = unsafe { (optional("residual", residual)?, optional("h", h)?) };
        let fused = match (&r, &hh) {
            (Some(r), Some(h)) => Some((r.tensor(), h.tensor())),
            (None, None) => None,
            _ => {
                return Err(invalid(
                    "residual",
                    "residual and h go together (both or neither)",
                ))
            }
        };
        let o = RmsNormOptions {
            eps,
            mode: if weight_in_f32 != 0 {
                RmsNormMode::WeightInF32
            } else {
                RmsNormMode::Hf
            },
        };
        dops::rms_norm(
            &c.exec,
            stream_of(stream),
            x.tensor(),
            w.tensor(),
            fused,
            y.tensor(),
            None,
            &o,
        )
    })
}

/// Dynamic MX quantization of `x [..., K]` (float) into FP8 `y` (shape of x, format `dst`) and
/// pair-layout E8M0 `scales [..., ceil(K/64), 2]`. `scale_alg`: 0 OCP, 1 RCEIL; `tiny_blocks`:
/// 0 flush (the Ascend kernel), 1 scale (OCP). A block holding NaN or ±Inf gets the NaN scale
/// 0xFF and zero elements, as the NPU writes them (docs/numerics.md).
///
/// # Safety
/// As for `ak_rms_norm`.
#[no_mangle]
pub unsafe extern "C" fn ak_mx_quant(
    ctx: *const AkContext,
    stream: *mut c_void,
    x: *const AkTensor,
    y: *const AkTensor,
    scales: *const AkTensor,
    dst: i32,
    scale_alg: i32,
    tiny_blocks: i32,
) -> i32 {
    guard(|| {
        // SAFETY: the function's contract covers every pointer.
        let (c, x, y, s) = unsafe {
            (
                context(ctx)?,
                Desc::read("x", x)?,
                Desc::read("y", y)?,
                Desc::read("scales", scales)?,
            )
        };
        let o = MxQuantOptions {
            dst: format_of("dst", dst)?,
            scale_alg: match scale_alg {
                0 => ScaleAlg::Ocp,
                1 => ScaleAlg::Rceil,
                v => return Err(invalid("scale_alg", format!("{v} (expected 0 or 1)"))),
            },
            tiny_blocks: match tiny_blocks {
                0 => TinyBlocks::Flush,
                1 => TinyBlocks::Scale,
                v => return Err(invalid("tiny_blocks", format!("{v} (expected 0 or 1)"))),
            },
            ..Default::default()
        };
        dops::mx_quant(
            &c.exec,
            stream_of(stream),
            x.tensor(),
            y.tensor(),
            s.tensor(),
            &o,
        )
    })
}

/// MX dequantization of FP8 `y` (format `format`) with pair-layout `scales` into float `out`.
///
/// # Safety
/// As for `ak_rms_norm`.
#[no_mangle]
pub unsafe extern "C" fn ak_mx_dequant(
    ctx: *const AkContext,
    stream: *mut c_void,
    format: i32,
    y: *const AkTensor,
    scales: *const AkTensor,
    out: *const AkTensor,
) -> i32 {
    guard(|| {
        // SAFETY: the function's contract covers every pointer.
        let (c, y, s, o) = unsafe {
            (
                context(ctx)?,
                Desc::read("y", y)?,
                Desc::read("scales", scales)?,
                Desc::read("out", out)?,
            )
        };
        let f = format_of("format", format)?;
        dops::mx_dequant(
            &c.exec,
            stream_of(stream),
            f,
            y.tensor(),
            s.tensor(),
            o.tensor(),
        )
    })
}

/// FP8 block dequantization: E4M3 `weight [O, I]` times `scales [ceil(O/bo), ceil(I/bi)]`
/// (float) into float `out [O, I]`.
///
/// # Safety
/// As for `ak_rms_norm`.
#[no_mangle]
pub unsafe extern "C" fn ak_fp8_block_dequant(
    ctx: *const AkContext,
    stream: *mut c_void,
    weight: *const AkTensor,
    scales: *const AkTensor,
    block_rows: u64,
    block_cols: u64,
    out: *const AkTensor,
) -> i32 {
    guard(|| {
        // SAFETY: the function's contract covers every pointer.
        let (c, w, s, o) = unsafe {
            (
                context(ctx)?,
                Desc::read("weight", weight)?,
                Desc::read("scales", scales)?,
                Desc::read("out", out)?,
            )
        };
        let b = [block_rows as usize, block_cols as usize];
        dops::fp8_block_dequant(
            &c.exec,
            stream_of(stream),
            w.tensor(),
            s.tensor(),
            b,
            o.tensor(),
        )
    })
}

/// Fused NeoX RoPE on `q [T, Hq, D]` and `k [T, Hk, D]` at int32 `positions [T]` with the f32
/// cos/sin table `cache [max_positions, rotary_dim]` (`ak_rope_cache` fills one on the host)
/// into `q_out`, `k_out`. Every position must be below max_positions. `f32_compute` != 0: f32
/// arithmetic with one rounding (else HF's rounding points).
///
/// # Safety
/// As for `ak_rms_norm`.
#[no_mangle]
pub unsafe extern "C" fn ak_rope_qk(
    ctx: *const AkContext,
    stream: *mut c_void,
    q: *const AkTensor,
    k: *const AkTensor,
    positions: *const AkTensor,
    cache: *const AkTensor,
    q_out: *const AkTensor,
    k_out: *const AkTensor,
    f32_compute: i32,
) -> i32 {
    guard(|| {
        // SAFETY: the function's contract covers every pointer.
        let (c, q, k, p, t, qo, ko) = unsafe {
            (
                context(ctx)?,
                Desc::read("q", q)?,
                Desc::read("k", k)?,
                Desc::read("positions", positions)?,
                Desc::read("cache", cache)?,
                Desc::read("q_out", q_out)?,
                Desc::read("k_out", k_out)?,
            )
        };
        let o = RopeOptions {
            mode: if f32_compute != 0 {
                RopeMode::F32Compute
            } else {
                RopeMode::Hf
            },
        };
        dops::rope_qk(
            &c.exec,
            stream_of(stream),
            q.tensor(),
            k.tensor(),
            p.tensor(),
            t.tensor(),
            qo.tensor(),
            ko.tensor(),
            &o,
        )
    })
}

/// Fills `out` (host memory, `rotary_dim * max_positions` floats) with the RoPE cos/sin table
/// `ak_rope_qk` takes, for base `theta` (docs/numerics.md: correctly rounded cos/sin of HF's
/// angles).
///
/// # Safety
/// `out` has `len` writable floats.
#[no_mangle]
pub unsafe extern "C" fn ak_rope_cache(
    theta: f64,
    rotary_dim: u64,
    max_positions: u64,
    out: *mut f32,
    len: u64,
) -> i32 {
    guard(|| {
        let cache = RopeCache::new(theta, rotary_dim as usize, max_positions as usize)?;
        let table = cache.table();
        if out.is_null() || (len as usize) < table.len() {
            return Err(invalid("out", format!("needs {} floats", table.len())));
        }
        // SAFETY: `out` has at least table.len() writable floats (checked above).
        unsafe { std::ptr::copy_nonoverlapping(table.as_ptr(), out, table.len()) };
        Ok(())
    })
}

/// Workspace bytes `ak_matmul` needs for `n` output columns.
///
/// # Safety
/// `bytes` is writable.
#[no_mangle]
pub unsafe extern "C" fn ak_matmul_workspace_size(n: u64, has_bias: i32, bytes: *mut u64) -> i32 {
    guard(|| {
        let v = dops::matmul_workspace_bytes(n as usize, has_bias != 0)?;
        // SAFETY: contract.
        unsafe { write_u64("bytes", bytes, v) }
    })
}

/// `out [M, N] = x [M, K] · w [N, K]ᵀ (+ bias)` on the cube: x, w BF16 (F16 without bias); out
/// F32, F16 or BF16; `bias` NULL or `n` host floats; `workspace` (U8, NULL when the size is 0)
/// of `ak_matmul_workspace_size` bytes, not in use by pending work (the bias is written into it
/// synchronously).
///
/// # Safety
/// As for `ak_rms_norm`; `bias` is NULL or has `bias_len` readable floats.
#[no_mangle]
pub unsafe extern "C" fn ak_matmul(
    ctx: *const AkContext,
    stream: *mut c_void,
    x: *const AkTensor,
    w: *const AkTensor,
    bias: *const f32,
    bias_len: u64,
    out: *const AkTensor,
    workspace: *const AkTensor,
) -> i32 {
    guard(|| {
        // SAFETY: the function's contract covers every pointer.
        let (c, x, w, o, ws, b) = unsafe {
            (
                context(ctx)?,
                Desc::read("x", x)?,
                Desc::read("w", w)?,
                Desc::read("out", out)?,
                optional("workspace", workspace)?,
                floats("bias", bias, bias_len)?,
            )
        };
        let ws = ws.as_ref().map(Desc::tensor);
        dops::matmul(
            &c.exec,
            stream_of(stream),
            x.tensor(),
            w.tensor(),
            b,
            o.tensor(),
            ws,
        )
    })
}

/// Workspace bytes `ak_mx_matmul` needs on the context's target.
///
/// # Safety
/// `ctx` is a live context; `bytes` is writable.
#[no_mangle]
pub unsafe extern "C" fn ak_mx_matmul_workspace_size(
    ctx: *const AkContext,
    m: u64,
    n: u64,
    k: u64,
    has_bias: i32,
    bytes: *mut u64,
) -> i32 {
    guard(|| {
        // SAFETY: contract.
        let c = unsafe { context(ctx) }?;
        let v = dops::mx_matmul_workspace_bytes(
            &c.exec,
            m as usize,
            n as usize,
            k as usize,
            has_bias != 0,
        )?;
        // SAFETY: contract.
        unsafe { write_u64("bytes", bytes, v) }
    })
}

/// MXFP8 × MXFP8 with group sizes [1, 1, 32] (`npu_quant_matmul` semantics): FP8 `x [M, K]`
/// (`x_format`) with pair-layout `x_scale`, FP8 `w [N, K]` (`w_format`) with `w_scale`,
/// optional f32 host `bias [N]`, into float `out [M, N]`. On a5 the pad byte of odd scale rows
/// must be 0x00 (what `ak_mx_quant` writes); on a2 block scales should lie in the exact window
/// (docs/kernels/matmul.md).
///
/// # Safety
/// As for `ak_matmul`.
#[no_mangle]
pub unsafe extern "C" fn ak_mx_matmul(
    ctx: *const AkContext,
    stream: *mut c_void,
    x_format: i32,
    x: *const AkTensor,
    x_scale: *const AkTensor,
    w_format: i32,
    w: *const AkTensor,
    w_scale: *const AkTensor,
    bias: *const f32,
    bias_len: u64,
    out: *const AkTensor,
    workspace: *const AkTensor,
) -> i32 {
    guard(|| {
        // SAFETY: the function's contract covers every pointer.
        let (c, xe, xs, we, wsc, o, ws, b) = unsafe {
            (
                context(ctx)?,
                Desc::read("x", x)?,
                Desc::read("x_scale", x_scale)?,
                Desc::read("w", w)?,
                Desc::read("w_scale", w_scale)?,
                Desc::read("out", out)?,
                optional("workspace", workspace)?,
                floats("bias", bias, bias_len)?,
            )
        };
        let xo = MxDeviceOperand {
            format: format_of("x_format", x_format)?,
            elements: xe.tensor(),
            scales: xs.tensor(),
        };
        let wo = MxDeviceOperand {
            format: format_of("w_format", w_format)?,
            elements: we.tensor(),
            scales: wsc.tensor(),
        };
        let ws = ws.as_ref().map(Desc::tensor);
        dops::mx_matmul(&c.exec, stream_of(stream), xo, wo, b, o.tensor(), ws)
    })
}

/// Workspace bytes `ak_mx_matmul_weight_only` needs.
///
/// # Safety
/// `bytes` is writable.
#[no_mangle]
pub unsafe extern "C" fn ak_mx_matmul_weight_only_workspace_size(
    n: u64,
    k: u64,
    bytes: *mut u64,
) -> i32 {
    guard(|| {
        let v = dops::mx_matmul_weight_only_workspace_bytes(n as usize, k as usize)?;
        // SAFETY: contract.
        unsafe { write_u64("bytes", bytes, v) }
    })
}

/// BF16 `x [M, K]` × MXFP8 `w [N, K]` (`w_format`, pair-layout `w_scale`) into float
/// `out [M, N]`, through a workspace of `ak_mx_matmul_weight_only_workspace_size` bytes.
///
/// # Safety
/// As for `ak_rms_norm`.
#[no_mangle]
pub unsafe extern "C" fn ak_mx_matmul_weight_only(
    ctx: *const AkContext,
    stream: *mut c_void,
    x: *const AkTensor,
    w_format: i32,
    w: *const AkTensor,
    w_scale: *const AkTensor,
    out: *const AkTensor,
    workspace: *const AkTensor,
) -> i32 {
    guard(|| {
        // SAFETY: the function's contract covers every pointer.
        let (c, x, we, wsc, o, ws) = unsafe {
            (
                context(ctx)?,
                Desc::read("x", x)?,
                Desc::read("w", w)?,
                Desc::read("w_scale", w_scale)?,
                Desc::read("out", out)?,
                Desc::read("workspace", workspace)?,
            )
        };
        let wo = MxDeviceOperand {
            format: format_of("w_format", w_format)?,
            elements: we.tensor(),
            scales: wsc.tensor(),
        };
        dops::mx_matmul_weight_only(
            &c.exec,
            stream_of(stream),
            x.tensor(),
            wo,
            o.tensor(),
            Some(ws.tensor()),
        )
    })
}
