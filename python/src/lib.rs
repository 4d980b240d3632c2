//! `ascend_kernels._native`: the Rust half of the `ascend_kernels` Python package.
//!
//! Every function takes tensors as numpy arrays of unsigned integers holding the element bits
//! (`uint16` for bfloat16/float16, `uint32` for float32, `uint8` for FP8 and E8M0) plus the
//! dtype's name; the Python half (`ascend_kernels/__init__.py`) converts numpy, ml_dtypes and
//! torch tensors to that form and back, and checks the torch_npu argument conventions. Inputs
//! are copied into Rust buffers while the GIL is held (so no Python thread can change them
//! mid-computation), the op runs with the GIL released, and the outputs come back as fresh
//! arrays of bits. A library error is raised as `NativeError(kind, message)` with the library's
//! message; the Python half re-raises it as the public exception class of its kind.

use ascend_kernels::ops::{
    self, AddRmsNormMode, AddRmsNormOptions, MxQuantOptions, MxView, NonFiniteBlocks, RmsNormMode,
    RmsNormOptions, RopeMode, ScaleAlg, TinyBlocks,
};
use ascend_kernels::{Backend, Error, FloatElement, Fp8Format, RoundMode, Tensor, TensorView};
use ascend_kernels::{E4M3, E8M0};
use half::{bf16, f16};
use numpy::{PyArray1, PyArrayMethods, PyReadonlyArrayDyn, PyUntypedArrayMethods};
use pyo3::exceptions::PyException;
use pyo3::prelude::*;

pyo3::create_exception!(
    _native,
    NativeError,
    PyException,
    "A library error: args are (kind, message); kind is invalid, unsupported, backend or io."
);

/// The kind of a library error, as the Python half maps it to its exception classes.
fn kind_of(e: &Error) -> &'static str {
    match e {
        Error::Unsupported { .. } => "unsupported",
        Error::BackendUnavailable { .. } | Error::Runtime { .. } | Error::Library { .. } => {
            "backend"
        }
        Error::Io { .. } | Error::Format { .. } => "io",
        _ => "invalid",
    }
}

fn py_err(e: Error) -> PyErr {
    NativeError::new_err((kind_of(&e), e.to_string()))
}

/// An option that does not parse, worded as the library words option errors.
fn option_err(option: &str, reason: String) -> PyErr {
    py_err(Error::option(option, reason))
}

fn parse<T: std::str::FromStr<Err = String>>(option: &str, text: &str) -> PyResult<T> {
    text.parse().map_err(|reason| option_err(option, reason))
}

fn parse_backend(name: &str) -> PyResult<Backend> {
    Backend::parse(name).map_err(py_err)
}

/// An input array of element bits.
#[derive(FromPyObject)]
enum Bits<'py> {
    U8(PyReadonlyArrayDyn<'py, u8>),
    U16(PyReadonlyArrayDyn<'py, u16>),
    U32(PyReadonlyArrayDyn<'py, u32>),
}

/// An input copied out of Python: its shape and bits in C order.
struct Owned {
    name: &'static str,
    shape: Vec<usize>,
    data: Data,
}

enum Data {
    U8(Vec<u8>),
    U16(Vec<u16>),
    U32(Vec<u32>),
}

impl Bits<'_> {
    fn to_owned(&self, name: &'static str) -> Owned {
        let (shape, data) = match self {
            Bits::U8(a) => (
                a.shape().to_vec(),
                Data::U8(a.as_array().iter().copied().collect()),
            ),
            Bits::U16(a) => (
                a.shape().to_vec(),
                Data::U16(a.as_array().iter().copied().collect()),
            ),
            Bits::U32(a) => (
                a.shape().to_vec(),
                Data::U32(a.as_array().iter().copied().collect()),
            ),
        };
        Owned { name, shape, data }
    }
}

fn bits_error(name: &str, expected: &str, data: &Data) -> Error {
    let got = match data {
        Data::U8(_) => "uint8",
        Data::U16(_) => "uint16",
        Data::U32(_) => "uint32",
    };
    Error::InvalidValue {
        tensor: name.to_string(),
        reason: format!(
            "expected the bits of {expected} as {}, got {got}",
            bits_name(expected)
        ),
    }
}

fn bits_name(dtype: &str) -> &'static str {
    match dtype {
        "float32" => "uint32",
        "bfloat16" | "float16" => "uint16",
        _ => "uint8",
    }
}

impl Owned {
    /// The elements as `T` (bf16 / f16 from uint16 bits, f32 from uint32 bits).
    fn floats<T: FloatElement>(&self) -> Result<&[T], Error> {
        match (&self.data, std::mem::size_of::<T>()) {
            (Data::U16(v), 2) => Ok(bytemuck::cast_slice(v)),
            (Data::U32(v), 4) => Ok(bytemuck::cast_slice(v)),
            (d, _) => Err(bits_error(self.name, T::DTYPE.name(), d)),
        }
    }

    fn bytes(&self) -> Result<&[u8], Error> {
        match &self.data {
            Data::U8(v) => Ok(v),
            d => Err(bits_error(self.name, "an 8-bit dtype", d)),
        }
    }

    fn view<T: FloatElement>(&self) -> Result<TensorView<'_, T>, Error> {
        TensorView::new(&self.shape, self.floats::<T>()?)
    }
}

/// An output: shape and bits.
struct Out {
    shape: Vec<usize>,
    data: Data,
}

impl Out {
    fn float<T: FloatElement>(t: Tensor<T>) -> Out {
        let shape = t.shape().to_vec();
        let v = t.into_data();
        let data = match std::mem::size_of::<T>() {
            2 => Data::U16(bytemuck::allocation::pod_collect_to_vec(&v)),
            _ => Data::U32(bytemuck::allocation::pod_collect_to_vec(&v)),
        };
        Out { shape, data }
    }

    fn bytes(shape: Vec<usize>, data: Vec<u8>) -> Out {
        Out {
            shape,
            data: Data::U8(data),
        }
    }

    fn into_py(self, py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
        let shape = self.shape;
        Ok(match self.data {
            Data::U8(v) => PyArray1::from_vec(py, v).reshape(shape)?.into_any(),
            Data::U16(v) => PyArray1::from_vec(py, v).reshape(shape)?.into_any(),
            Data::U32(v) => PyArray1::from_vec(py, v).reshape(shape)?.into_any(),
        })
    }
}

/// Runs `$body` with `$t` the Rust type of the float dtype named `$dtype`.
macro_rules! with_float {
    ($dtype:expr, $t:ident => $body:expr) => {
        match $dtype {
            "bfloat16" => {
                type $t = bf16;
                $body
            }
            "float16" => {
                type $t = f16;
                $body
            }
            "float32" => {
                type $t = f32;
                $body
            }
            other => Err(Error::option(
                "dtype",
                format!("`{other}` is not a float dtype of the ops (bfloat16, float16, float32)"),
            )),
        }
    };
}

fn out_dtype_check(name: &str) -> PyResult<()> {
    match name {
        "bfloat16" | "float16" | "float32" => Ok(()),
        other => Err(option_err(
            "output_dtype",
            format!("`{other}` is not one of bfloat16, float16, float32"),
        )),
    }
}

/// `npu_dynamic_mx_quant` along the last axis: `(y bits [x.shape], scale bits [..., ceil(K/64), 2])`.
#[pyfunction]
#[allow(clippy::too_many_arguments)]
fn mx_quant<'py>(
    py: Python<'py>,
    x: Bits<'py>,
    dtype: &str,
    dst: &str,
    scale_alg: &str,
    round: &str,
    tiny_blocks: &str,
    non_finite: &str,
    backend: &str,
) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyAny>)> {
    let options = MxQuantOptions {
        dst: parse::<Fp8Format>("dst_type", dst)?,
        scale_alg: parse::<ScaleAlg>("scale_alg", scale_alg)?,
        round: parse::<RoundMode>("round_mode", round)?,
        tiny_blocks: parse::<TinyBlocks>("tiny_blocks", tiny_blocks)?,
        non_finite: parse::<NonFiniteBlocks>("non_finite", non_finite)?,
    };
    let backend = parse_backend(backend)?;
    let x = x.to_owned("input");
    let dtype = dtype.to_string();
    let (y, s) = py
        .detach(move || -> Result<(Out, Out), Error> {
            let q = with_float!(dtype.as_str(), T => ops::mx_quant(&backend, x.view::<T>()?, &options))?;
            let scales: Vec<u8> = q.scales.data().iter().map(|s| s.to_bits()).collect();
            Ok((
                Out::bytes(q.elements.shape().to_vec(), q.elements.into_data()),
                Out::bytes(q.scales.shape().to_vec(), scales),
            ))
        })
        .map_err(py_err)?;
    Ok((y.into_py(py)?, s.into_py(py)?))
}

fn mx_view<'a>(
    elements: &'a Owned,
    format: &str,
    scales: &'a [E8M0],
    scale_shape: &'a [usize],
) -> Result<MxView<'a>, Error> {
    let format: Fp8Format = format
        .parse()
        .map_err(|reason| Error::option(elements.name, reason))?;
    Ok(MxView {
        format,
        elements: TensorView::new(&elements.shape, elements.bytes()?)?,
        scales: TensorView::new(scale_shape, scales)?,
    })
}

fn e8m0s(o: &Owned) -> Result<Vec<E8M0>, Error> {
    Ok(o.bytes()?.iter().map(|&b| E8M0(b)).collect())
}

/// `npu_anti_mx_quant`: `decode(y) · 2^(byte − 127)` rounded to `out_dtype`.
#[pyfunction]
fn mx_dequant<'py>(
    py: Python<'py>,
    y: Bits<'py>,
    format: &str,
    scale: Bits<'py>,
    out_dtype: &str,
    backend: &str,
) -> PyResult<Bound<'py, PyAny>> {
    out_dtype_check(out_dtype)?;
    let backend = parse_backend(backend)?;
    let (y, scale) = (y.to_owned("x"), scale.to_owned("mxscale"));
    let (format, out_dtype) = (format.to_string(), out_dtype.to_string());
    let out = py
        .detach(move || -> Result<Out, Error> {
            let s = e8m0s(&scale)?;
            let view = mx_view(&y, &format, &s, &scale.shape)?;
            with_float!(out_dtype.as_str(), O => Ok(Out::float(ops::mx_dequant::<O>(&backend, view)?)))
        })
        .map_err(py_err)?;
    out.into_py(py)
}

/// The MX matmul (`npu_quant_matmul(..., group_sizes=[1, 1, 32])`) with `x [M, K]`,
/// `w [N, K]` and pair-layout scales (the Python half transposes the torch_npu layouts).
#[pyfunction]
#[allow(clippy::too_many_arguments)]
fn mx_matmul<'py>(
    py: Python<'py>,
    x: Bits<'py>,
    x_format: &str,
    x_scale: Bits<'py>,
    w: Bits<'py>,
    w_format: &str,
    w_scale: Bits<'py>,
    bias: Option<Bits<'py>>,
    out_dtype: &str,
    backend: &str,
) -> PyResult<Bound<'py, PyAny>> {
    out_dtype_check(out_dtype)?;
    let backend = parse_backend(backend)?;
    let (x, xs) = (x.to_owned("x1"), x_scale.to_owned("pertoken_scale"));
    let (w, ws) = (w.to_owned("x2"), w_scale.to_owned("scale"));
    let bias = bias.map(|b| b.to_owned("bias"));
    let (xf, wf, out_dtype) = (
        x_format.to_string(),
        w_format.to_string(),
        out_dtype.to_string(),
    );
    let out = py
        .detach(move || -> Result<Out, Error> {
            let (sx, sw) = (e8m0s(&xs)?, e8m0s(&ws)?);
            let xv = mx_view(&x, &xf, &sx, &xs.shape)?;
            let wv = mx_view(&w, &wf, &sw, &ws.shape)?;
            let b = match &bias {
                Some(b) => Some(b.view::<f32>()?),
                None => None,
            };
            with_float!(out_dtype.as_str(), O => Ok(Out::float(ops::mx_matmul::<O>(&backend, xv, wv, b)?)))
        })
        .map_err(py_err)?;
    out.into_py(py)
}

/// RMSNorm in `mode`: `(y, rstd [..., 1])`.
#[pyfunction]
fn rms_norm<'py>(
    py: Python<'py>,
    x: Bits<'py>,
    gamma: Bits<'py>,
    dtype: &str,
    eps: f32,
    mode: &str,
    backend: &str,
) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyAny>)> {
    let options = RmsNormOptions {
        eps,
        mode: parse::<RmsNormMode>("mode", mode)?,
    };
    let backend = parse_backend(backend)?;
    let (x, gamma) = (x.to_owned("input"), gamma.to_owned("gamma"));
    let dtype = dtype.to_string();
    let (y, r) = py
        .detach(move || -> Result<(Out, Out), Error> {
            with_float!(dtype.as_str(), T => {
                let (y, r) = ops::rms_norm_rstd(&backend, x.view::<T>()?, gamma.view::<T>()?, &options)?;
                Ok((Out::float(y), Out::float(r)))
            })
        })
        .map_err(py_err)?;
    Ok((y.into_py(py)?, r.into_py(py)?))
}

/// Add + RMSNorm in `mode`: `(y, rstd [..., 1], x)`.
#[pyfunction]
#[allow(clippy::too_many_arguments)]
fn add_rms_norm<'py>(
    py: Python<'py>,
    x1: Bits<'py>,
    x2: Bits<'py>,
    gamma: Bits<'py>,
    dtype: &str,
    eps: f32,
    mode: &str,
    backend: &str,
) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyAny>, Bound<'py, PyAny>)> {
    let options = AddRmsNormOptions {
        eps,
        mode: parse::<AddRmsNormMode>("mode", mode)?,
    };
    let backend = parse_backend(backend)?;
    let (x1, x2, gamma) = (
        x1.to_owned("x1"),
        x2.to_owned("x2"),
        gamma.to_owned("gamma"),
    );
    let dtype = dtype.to_string();
    let (y, r, x) = py
        .detach(move || -> Result<(Out, Out, Out), Error> {
            with_float!(dtype.as_str(), T => {
                let o = ops::add_rms_norm(&backend, x1.view::<T>()?, x2.view::<T>()?, gamma.view::<T>()?, &options)?;
                Ok((Out::float(o.y), Out::float(o.rstd), Out::float(o.x)))
            })
        })
        .map_err(py_err)?;
    Ok((y.into_py(py)?, r.into_py(py)?, x.into_py(py)?))
}

/// `npu_rotary_mul(x, r1, r2)` (half rotation) in `mode`.
#[pyfunction]
fn rotary_mul<'py>(
    py: Python<'py>,
    x: Bits<'py>,
    r1: Bits<'py>,
    r2: Bits<'py>,
    dtype: &str,
    mode: &str,
    backend: &str,
) -> PyResult<Bound<'py, PyAny>> {
    let mode = parse::<RopeMode>("mode", mode)?;
    let backend = parse_backend(backend)?;
    let (x, r1, r2) = (x.to_owned("input"), r1.to_owned("r1"), r2.to_owned("r2"));
    let dtype = dtype.to_string();
    let out = py
        .detach(move || -> Result<Out, Error> {
            with_float!(dtype.as_str(), T => {
                let y = ops::rotary_mul(&backend, x.view::<T>()?, r1.view::<T>()?, r2.view::<T>()?, mode)?;
                Ok(Out::float(y))
            })
        })
        .map_err(py_err)?;
    out.into_py(py)
}

/// FP8 block dequantization: `weight [O, I]` E4M3 × `scale [ceil(O/bo), ceil(I/bi)]`.
#[pyfunction]
#[allow(clippy::too_many_arguments)]
fn fp8_block_dequant<'py>(
    py: Python<'py>,
    weight: Bits<'py>,
    scale: Bits<'py>,
    scale_dtype: &str,
    block_rows: usize,
    block_cols: usize,
    out_dtype: &str,
    backend: &str,
) -> PyResult<Bound<'py, PyAny>> {
    out_dtype_check(out_dtype)?;
    let backend = parse_backend(backend)?;
    let (w, s) = (
        weight.to_owned("weight"),
        scale.to_owned("weight_scale_inv"),
    );
    let (scale_dtype, out_dtype) = (scale_dtype.to_string(), out_dtype.to_string());
    let out = py
        .detach(move || -> Result<Out, Error> {
            let codes: Vec<E4M3> = w.bytes()?.iter().map(|&b| E4M3::from_bits(b)).collect();
            let wv = TensorView::new(&w.shape, &codes)?;
            let block = [block_rows, block_cols];
            with_float!(scale_dtype.as_str(), S => {
                let sv = s.view::<S>()?;
                with_float!(out_dtype.as_str(), O => {
                    Ok(Out::float(ops::fp8_block_dequant::<S, O>(&backend, wv, sv, block)?))
                })
            })
        })
        .map_err(py_err)?;
    out.into_py(py)
}

/// Whether this build runs the `sim-*` backends (the AscendC emulation compiled in).
#[pyfunction]
fn sim_available() -> bool {
    ascend_kernels::backend::sim::available()
}

/// Checks a backend name the way every op does; raises the op's error otherwise.
#[pyfunction]
fn check_backend(name: &str) -> PyResult<String> {
    Ok(parse_backend(name)?.name())
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("NativeError", m.py().get_type::<NativeError>())?;
    m.add_function(wrap_pyfunction!(mx_quant, m)?)?;
    m.add_function(wrap_pyfunction!(mx_dequant, m)?)?;
    m.add_function(wrap_pyfunction!(mx_matmul, m)?)?;
    m.add_function(wrap_pyfunction!(rms_norm, m)?)?;
    m.add_function(wrap_pyfunction!(add_rms_norm, m)?)?;
    m.add_function(wrap_pyfunction!(rotary_mul, m)?)?;
    m.add_function(wrap_pyfunction!(fp8_block_dequant, m)?)?;
    m.add_function(wrap_pyfunction!(sim_available, m)?)?;
    m.add_function(wrap_pyfunction!(check_backend, m)?)?;
    Ok(())
}
