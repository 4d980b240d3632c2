//! Device-level ops, for engines that own device memory and streams: each validates shapes and
//! dtypes, plans the tiling on the host (`src/tiling`), fills the kernel's generated tiling
//! struct and launches the generated kernel on the caller's stream. Launches are asynchronous:
//! the results are there once the caller synchronizes the stream, and a kernel that fails on
//! the device is reported by that synchronization.
//!
//! Inputs and outputs are [`DeviceTensor`]s: a device address, the bytes available there, a
//! shape and a dtype. The host never reads device memory here, so what only the data can show
//! (a position outside the RoPE cache, the pad byte of an odd MX scale row) is the caller's
//! contract, stated on each function; the host-level [`crate::ops`] check it on the host.
//!
//! The same functions back `Backend::Sim` and `Backend::Npu` in [`crate::ops`], through
//! [`super::host`].

mod matmul;
mod vector;

pub use matmul::{
    exact_scale_window, matmul, matmul_planned, matmul_workspace_bytes, mx_matmul,
    mx_matmul_decode, mx_matmul_native, mx_matmul_native_planned, mx_matmul_weight_only,
    mx_matmul_weight_only_workspace_bytes, mx_matmul_workspace_bytes, mx_pad_scales, mx_rebalance,
    MxDeviceOperand,
};
pub use vector::{
    fp8_block_dequant, mx_dequant, mx_quant, rms_norm, rms_norm_planned, rope_qk, sim_probe,
    ProbeMode,
};

use super::kernels::{DevicePtr, AK_DTYPE_CODES, AK_FP8_CODES};
use super::DeviceBuffer;
use crate::error::{Error, Result};
use crate::formats::{DType, Fp8Format};
use crate::tiling::TilingError;

/// A tensor in device memory.
#[derive(Clone, Copy, Debug)]
pub struct DeviceTensor<'a> {
    ptr: DevicePtr,
    bytes: usize,
    shape: &'a [usize],
    dtype: DType,
}

impl<'a> DeviceTensor<'a> {
    /// The tensor of `shape` and `dtype` at the start of `buffer`, which must hold it.
    pub fn new(buffer: &DeviceBuffer, shape: &'a [usize], dtype: DType) -> Result<Self> {
        // SAFETY: the buffer is a live allocation of `buffer.len()` bytes.
        let t = unsafe { DeviceTensor::from_raw(buffer.ptr(), buffer.len(), shape, dtype) };
        t.byte_len("tensor")?;
        Ok(t)
    }

    /// A tensor at a device address the caller owns (e.g. an engine's own allocation).
    ///
    /// # Safety
    /// `ptr` must be a device address from the runtime the tensor is used with, with `bytes`
    /// bytes behind it that stay allocated until every launch using the tensor has completed.
    pub unsafe fn from_raw(
        ptr: DevicePtr,
        bytes: usize,
        shape: &'a [usize],
        dtype: DType,
    ) -> DeviceTensor<'a> {
        DeviceTensor {
            ptr,
            bytes,
            shape,
            dtype,
        }
    }

    /// Its address.
    pub fn ptr(&self) -> DevicePtr {
        self.ptr
    }

    /// Its shape.
    pub fn shape(&self) -> &'a [usize] {
        self.shape
    }

    /// Its dtype.
    pub fn dtype(&self) -> DType {
        self.dtype
    }

    /// Elements (`None` on overflow).
    pub fn elements(&self) -> Option<usize> {
        crate::tensor::element_count(self.shape)
    }

    /// Bytes its elements take, checked against the bytes behind the address.
    fn byte_len(&self, name: &str) -> Result<usize> {
        let need = self
            .elements()
            .and_then(|n| n.checked_mul(self.dtype.size()))
            .ok_or_else(|| {
                Error::shape(name, "a shape whose byte size fits in usize", self.shape)
            })?;
        if need > self.bytes {
            return Err(Error::shape(
                name,
                format!(
                    "at most {} elements of {} (the {} bytes at its address)",
                    self.bytes / self.dtype.size().max(1),
                    self.dtype,
                    self.bytes
                ),
                self.shape,
            ));
        }
        if need > 0 && self.ptr.is_null() {
            return Err(Error::InvalidValue {
                tensor: name.to_string(),
                reason: "null device address".into(),
            });
        }
        Ok(need)
    }

    /// Checks the dtype (one of `dtypes`) and the shape, and that the bytes are there.
    fn expect(&self, name: &str, dtypes: &[DType], shape: &[usize]) -> Result<()> {
        if !dtypes.contains(&self.dtype) {
            return Err(Error::DType {
                tensor: name.to_string(),
                expected: dtypes
                    .iter()
                    .map(|d| d.name())
                    .collect::<Vec<_>>()
                    .join(" or "),
                actual: self.dtype,
            });
        }
        if self.shape != shape {
            return Err(Error::shape(name, format!("{shape:?}"), self.shape));
        }
        self.byte_len(name).map(|_| ())
    }

    /// The launcher argument: null for an empty tensor.
    fn arg(&self) -> DevicePtr {
        if self.elements() == Some(0) {
            DevicePtr::NULL
        } else {
            self.ptr
        }
    }
}

/// The float dtypes the vector kernels take.
const FLOATS: [DType; 3] = [DType::F32, DType::F16, DType::BF16];

/// `rows = product of all but the last axis`, `last`; the last axis must be non-empty.
fn rows_and_last(name: &str, t: &DeviceTensor<'_>) -> Result<(usize, usize)> {
    match t.shape.last() {
        Some(&last) if last > 0 => {
            let rows = t.elements().ok_or_else(|| {
                Error::shape(name, "a shape whose element count fits in usize", t.shape)
            })? / last;
            Ok((rows, last))
        }
        _ => Err(Error::shape(
            name,
            "rank >= 1 with a non-empty last axis",
            t.shape,
        )),
    }
}

fn u32_of(what: &str, v: usize) -> Result<u32> {
    u32::try_from(v).map_err(|_| Error::shape(what, "< 2^32", &[v]))
}

/// The ABI code of a float dtype (`AK_DTYPE_*`, generated).
fn dtype_code(tensor: &str, d: DType) -> Result<u32> {
    AK_DTYPE_CODES
        .iter()
        .find(|(name, _)| *name == d.name())
        .map(|&(_, code)| code)
        .ok_or_else(|| Error::DType {
            tensor: tensor.to_string(),
            expected: AK_DTYPE_CODES
                .iter()
                .map(|(n, _)| *n)
                .collect::<Vec<_>>()
                .join(", "),
            actual: d,
        })
}

/// The ABI code of an FP8 format (`AK_FP8_*`, generated).
fn fp8_code(f: Fp8Format) -> Result<u32> {
    AK_FP8_CODES
        .iter()
        .find(|(name, _)| *name == f.name())
        .map(|&(_, code)| code)
        .ok_or_else(|| Error::option("format", format!("{} has no ABI code", f.name())))
}

/// The byte dtypes an FP8 tensor of `format` may carry.
fn fp8_dtypes(format: Fp8Format) -> [DType; 2] {
    match format {
        Fp8Format::E4M3 => [DType::F8E4M3, DType::U8],
        Fp8Format::E5M2 => [DType::F8E5M2, DType::U8],
    }
}

/// The byte dtypes an E8M0 scale tensor may carry.
const SCALE_DTYPES: [DType; 2] = [DType::F8E8M0, DType::U8];

fn plan_error(e: TilingError) -> Error {
    Error::option("variant", e.0)
}
