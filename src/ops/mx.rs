//! MX quantization (`mx_quant`), its inverse (`mx_dequant`) and the scale layouts.

use super::{ceil_div, rows_and_last};
use crate::backend::{cpu, Backend, Op};
use crate::device::{self, host::HostRun, Exec};
use crate::error::{Error, Result};
use crate::formats::{DType, FloatElement, Fp8Format, RoundMode, E8M0};
use crate::tensor::{Tensor, TensorView};

/// Elements per MX block (group size 32 along the last axis).
pub const MX_BLOCK: usize = 32;

/// How the shared exponent of a block is chosen (Ascend `scale_alg`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum ScaleAlg {
    /// OCP MX v1.0 floor rule (Ascend 0, the default): `max(floor(log2 amax) + 127 - emax, 0)`.
    #[default]
    Ocp,
    /// cuBLAS-style round-up of `amax / max` (Ascend 1).
    Rceil,
}

impl std::str::FromStr for ScaleAlg {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "ocp" => Ok(ScaleAlg::Ocp),
            "rceil" => Ok(ScaleAlg::Rceil),
            _ => Err(format!(
                "unknown scale algorithm `{s}` (expected ocp or rceil)"
            )),
        }
    }
}

/// What `ScaleAlg::Ocp` does with a block whose scale byte is 0 (amax < 2^(emax+1-127)).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum TinyBlocks {
    /// Every element becomes ±0: what the Ascend kernel produces (the default).
    #[default]
    Flush,
    /// Elements are multiplied by 2^127: the OCP / torchao / Ascend-golden behaviour.
    Scale,
}

impl std::str::FromStr for TinyBlocks {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "flush" => Ok(TinyBlocks::Flush),
            "scale" => Ok(TinyBlocks::Scale),
            _ => Err(format!(
                "unknown tiny-block policy `{s}` (expected flush or scale)"
            )),
        }
    }
}

/// The elements `mx_quant` writes in a block holding a NaN or an Inf (its scale byte is `0xFF`
/// either way, so every consumer decodes the block as NaN).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum NonFiniteBlocks {
    /// Every element `0x00`: what `npu_dynamic_mx_quant` writes (the default; ops-nn golden.py
    /// and the kernel's saturating f32 -> fp8 cast of a NaN product, `docs/numerics.md`).
    #[default]
    Zero,
    /// Every element `0x7F` (NaN), as OCP-style quantizers (torchao) mark them.
    Nan,
}

impl std::str::FromStr for NonFiniteBlocks {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "zero" => Ok(NonFiniteBlocks::Zero),
            "nan" => Ok(NonFiniteBlocks::Nan),
            _ => Err(format!(
                "unknown non-finite block policy `{s}` (expected zero or nan)"
            )),
        }
    }
}

/// Options of [`mx_quant`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct MxQuantOptions {
    /// Element format.
    pub dst: Fp8Format,
    /// Scale rule.
    pub scale_alg: ScaleAlg,
    /// Element rounding: `Rint` (the only mode Ascend accepts for FP8) or `Round` (msmodelslim's
    /// offline weight export). Other modes are rejected.
    pub round: RoundMode,
    /// Tiny-block policy of `ScaleAlg::Ocp`.
    pub tiny_blocks: TinyBlocks,
    /// Elements of blocks holding a NaN or an Inf.
    pub non_finite: NonFiniteBlocks,
}

/// An MX-quantized tensor: FP8 elements of the input's shape and E8M0 scales in the Ascend
/// pair layout `[..., ceil(K/64), 2]` (an odd block count is padded with one `0x00`).
#[derive(Clone, Debug, PartialEq)]
pub struct MxTensor {
    /// Element format.
    pub format: Fp8Format,
    /// FP8 element bytes, shape `[..., K]`.
    pub elements: Tensor<u8>,
    /// Scales, shape `[..., ceil(K/64), 2]`.
    pub scales: Tensor<E8M0>,
}

impl MxTensor {
    /// A borrowed view.
    pub fn view(&self) -> MxView<'_> {
        MxView {
            format: self.format,
            elements: self.elements.view(),
            scales: self.scales.view(),
        }
    }
}

/// A borrowed MX tensor (elements `[..., K]`, pair-layout scales `[..., ceil(K/64), 2]`).
#[derive(Clone, Copy, Debug)]
pub struct MxView<'a> {
    /// Element format.
    pub format: Fp8Format,
    /// FP8 element bytes.
    pub elements: TensorView<'a, u8>,
    /// E8M0 scales, pair layout.
    pub scales: TensorView<'a, E8M0>,
}

/// E8M0 scale bytes per row of `k` elements in the Ascend pair layout: `2 · ceil(K/64)` (an
/// odd block count padded by one byte). The length `mx_quant_into` expects per row.
pub fn pair_scale_row(k: usize) -> usize {
    ceil_div(ceil_div(k, MX_BLOCK), 2) * 2
}

/// The pair-layout scale shape for elements of shape `shape` (last axis K).
pub(crate) fn pair_scale_shape(shape: &[usize]) -> Vec<usize> {
    let k = *shape.last().expect("validated rank >= 1");
    let mut s = shape[..shape.len() - 1].to_vec();
    s.push(ceil_div(ceil_div(k, MX_BLOCK), 2));
    s.push(2);
    s
}

impl MxView<'_> {
    /// Validates the view; returns (rows, K). `name` prefixes the tensor names in errors
    /// (`x` gives `x` and `x_scale`).
    pub(crate) fn validate(&self, name: &str) -> Result<(usize, usize)> {
        let (elements, scales) = (self.elements, self.scales);
        let (rows, k) = rows_and_last(name, &elements)?;
        let expected = pair_scale_shape(elements.shape());
        if scales.shape() != expected.as_slice() {
            return Err(Error::shape(
                &format!("{name}_scale"),
                format!(
                    "{expected:?} (pair layout for {name} {:?})",
                    elements.shape()
                ),
                scales.shape(),
            ));
        }
        Ok((rows, k))
    }
}

/// [`mx_quant`] into a caller's buffers: `elements` of `x.len()` bytes and `scales` of
/// `rows * 2 * ceil(K/64)` (the pair layout, flattened). No allocation; after an error their
/// contents are not a result.
pub fn mx_quant_into<T: FloatElement>(
    backend: &Backend,
    x: TensorView<'_, T>,
    options: &MxQuantOptions,
    elements: &mut [u8],
    scales: &mut [E8M0],
) -> Result<()> {
    let (rows, k) = rows_and_last("x", &x)?;
    check_round(options)?;
    let scale_row = pair_scale_row(k);
    if elements.len() != x.len() {
        return Err(Error::shape(
            "elements",
            format!("{} bytes (x)", x.len()),
            &[elements.len()],
        ));
    }
    let scale_bytes = rows.checked_mul(scale_row);
    if Some(scales.len()) != scale_bytes {
        return Err(Error::shape(
            "scales",
            format!("{} bytes", scale_bytes.unwrap_or(usize::MAX)),
            &[scales.len()],
        ));
    }
    // The caller's buffers hold the outputs; the device path copies them.
    super::plan_op("mx_quant", &[], super::nbytes(x.data()) * 2, Some(0))?;
    if x.is_empty() {
        return Ok(());
    }
    quantize_checked(backend, x, k, options, elements, scales)
}

fn check_round(options: &MxQuantOptions) -> Result<()> {
    if !matches!(options.round, RoundMode::Rint | RoundMode::Round) {
        return Err(Error::option(
            "round",
            format!(
                "mx_quant rounds FP8 elements with rint or round, not {}",
                options.round.name()
            ),
        ));
    }
    Ok(())
}

fn quantize_checked<T: FloatElement>(
    backend: &Backend,
    x: TensorView<'_, T>,
    k: usize,
    options: &MxQuantOptions,
    elements: &mut [u8],
    scales: &mut [E8M0],
) -> Result<()> {
    backend.run(MxQuant {
        x,
        k,
        options,
        elements,
        scales,
    })
}

/// One validated `mx_quant` into caller buffers.
struct MxQuant<'a, 'o, T> {
    x: TensorView<'a, T>,
    k: usize,
    options: &'a MxQuantOptions,
    elements: &'o mut [u8],
    scales: &'o mut [E8M0],
}

impl<T: FloatElement> Op for MxQuant<'_, '_, T> {
    type Output = ();

    fn cpu(self) -> Result<()> {
        cpu::mx::quantize(
            self.x.data(),
            self.k,
            self.options,
            self.elements,
            self.scales,
        );
        Ok(())
    }

    fn device(self, exec: &Exec) -> Result<()> {
        let mut run = HostRun::new(exec)?;
        let xs = run.input(self.x.data())?;
        let ys = run.output(self.elements.len())?;
        let ss = run.output(self.scales.len())?;
        let shape = self.x.shape();
        let scale_shape = pair_scale_shape(shape);
        device::ops::mx_quant(
            exec,
            run.stream(),
            run.tensor(xs, shape, T::DTYPE),
            run.tensor(ys, shape, DType::U8),
            run.tensor(ss, &scale_shape, DType::U8),
            self.options,
        )?;
        run.sync()?;
        run.download(ys, self.elements)?;
        run.download(ss, self.scales)
    }
}

/// Dynamic MX quantization along the last axis: blocks of 32, one E8M0 scale per block, FP8
/// elements (`docs/numerics.md`, "mx_quant"). Input of any rank >= 1.
pub fn mx_quant<T: FloatElement>(
    backend: &Backend,
    x: TensorView<'_, T>,
    options: &MxQuantOptions,
) -> Result<MxTensor> {
    let (rows, k) = rows_and_last("x", &x)?;
    check_round(options)?;
    let scale_shape = pair_scale_shape(x.shape());
    let scale_count = rows.checked_mul(pair_scale_row(k));
    let outputs = [("y", Some(x.len()), 1), ("scale", scale_count, 1)];
    super::plan_op("mx_quant", &outputs, super::nbytes(x.data()), Some(0))?;
    let mut elements = crate::output::filled(x.len(), 0u8);
    let mut scales = vec![E8M0::MIN; scale_count.unwrap_or(0)];
    if !x.is_empty() {
        quantize_checked(backend, x, k, options, &mut elements, &mut scales)?;
    }
    Ok(MxTensor {
        format: options.dst,
        elements: Tensor::from_parts(x.shape().to_vec(), elements),
        scales: Tensor::from_parts(scale_shape, scales),
    })
}

/// MX dequantization: `decode(y) * 2^(byte - 127)` in f32, rounded to `O` (RNE).
pub fn mx_dequant<O: FloatElement>(backend: &Backend, y: MxView<'_>) -> Result<Tensor<O>> {
    y.validate("y")?;
    let inputs = super::nbytes(y.elements.data()) + super::nbytes(y.scales.data());
    let outputs = [("x", Some(y.elements.len()), O::DTYPE.size())];
    super::plan_op("mx_dequant", &outputs, inputs, Some(0))?;
    let mut out = crate::output::filled(y.elements.len(), O::from_f32(0.0));
    mx_dequant_into(backend, y, &mut out)?;
    Ok(Tensor::from_parts(y.elements.shape().to_vec(), out))
}

/// [`mx_dequant`] into a caller's buffer of `y.elements.len()` elements (no allocation; after an
/// error its contents are not a result).
pub fn mx_dequant_into<O: FloatElement>(
    backend: &Backend,
    y: MxView<'_>,
    out: &mut [O],
) -> Result<()> {
    let (_, k) = y.validate("y")?;
    if out.len() != y.elements.len() {
        return Err(Error::shape(
            "out",
            format!("{} elements (y)", y.elements.len()),
            &[out.len()],
        ));
    }
    if out.is_empty() {
        return Ok(());
    }
    backend.run(MxDequant { y, k, out })
}

/// One validated `mx_dequant` into a caller buffer.
struct MxDequant<'a, 'o, O> {
    y: MxView<'a>,
    k: usize,
    out: &'o mut [O],
}

impl<O: FloatElement> Op for MxDequant<'_, '_, O> {
    type Output = ();

    fn cpu(self) -> Result<()> {
        let y = self.y;
        cpu::mx::dequantize(
            y.format,
            y.elements.data(),
            y.scales.data(),
            self.k,
            self.out,
        );
        Ok(())
    }

    fn device(self, exec: &Exec) -> Result<()> {
        let y = self.y;
        let mut run = HostRun::new(exec)?;
        let es = run.input(y.elements.data())?;
        let ss = run.input(y.scales.data())?;
        let os = run.output_for::<O>(self.out.len())?;
        let shape = y.elements.shape();
        device::ops::mx_dequant(
            exec,
            run.stream(),
            y.format,
            run.tensor(es, shape, DType::U8),
            run.tensor(ss, y.scales.shape(), DType::U8),
            run.tensor(os, shape, O::DTYPE),
        )?;
        run.sync()?;
        run.download(os, self.out)
    }
}

/// Converts pair-layout scales `[..., ceil(nb/2), 2]` to the msmodelslim checkpoint layout
/// `[..., nb]` with `nb = ceil(k/32)` (the pad byte of an odd count is dropped).
pub fn pair_scales_to_blocks(scales: TensorView<'_, E8M0>, k: usize) -> Result<Tensor<E8M0>> {
    let nb = ceil_div(k, MX_BLOCK);
    let pairs = ceil_div(nb, 2);
    let shape = scales.shape();
    let ok =
        k > 0 && shape.len() >= 2 && shape[shape.len() - 1] == 2 && shape[shape.len() - 2] == pairs;
    if !ok {
        return Err(Error::shape(
            "scale",
            format!("[..., {pairs}, 2] (pair layout for K = {k})"),
            shape,
        ));
    }
    let rows = scales.len() / (2 * pairs).max(1);
    super::plan("pair_scales_to_blocks").buffer("scale", rows.checked_mul(nb), 1)?;
    let mut out = Vec::with_capacity(rows * nb);
    for row in scales.data().chunks(2 * pairs) {
        out.extend_from_slice(&row[..nb]);
    }
    let mut out_shape = shape[..shape.len() - 2].to_vec();
    out_shape.push(nb);
    Ok(Tensor::from_parts(out_shape, out))
}

/// Converts msmodelslim-layout scales `[..., nb]` to the Ascend pair layout
/// `[..., ceil(nb/2), 2]`, padding an odd count with `0x00`.
pub fn block_scales_to_pair(blocks: TensorView<'_, E8M0>) -> Result<Tensor<E8M0>> {
    let (rows, nb) = rows_and_last("weight_scale", &blocks)?;
    let pairs = ceil_div(nb, 2);
    let count = rows.checked_mul(pairs * 2);
    super::plan("block_scales_to_pair").buffer("scale", count, 1)?;
    let mut out = Vec::with_capacity(count.unwrap_or(0));
    for row in blocks.data().chunks(nb.max(1)) {
        out.extend_from_slice(row);
        if nb % 2 == 1 {
            out.push(E8M0::MIN);
        }
    }
    let shape = blocks.shape();
    let mut out_shape = shape[..shape.len() - 1].to_vec();
    out_shape.extend([pairs, 2]);
    Ok(Tensor::from_parts(out_shape, out))
}
