//! Dense matmul (`x · wᵀ` in bf16/f16/f32) and the weight-only MX matmul (float activations ×
//! MXFP8 weights), the two linears a Qwen3 forward needs besides `mx_matmul`.

use super::mx::MxView;
use crate::backend::{cpu, Backend};
use crate::error::{Error, Result};
use crate::formats::FloatElement;
use crate::tensor::{Tensor, TensorView};

fn check_2d<T: crate::formats::Element>(
    name: &str,
    t: &TensorView<'_, T>,
    what: &str,
) -> Result<(usize, usize)> {
    match *t.shape() {
        [a, b] => Ok((a, b)),
        _ => Err(Error::shape(name, what, t.shape())),
    }
}

/// `y[m,n] = round_out(Σ_k x[m,k] · w[n,k])` for `x [M,K]` and `w [N,K]` (a linear layer's
/// weight layout). The CPU reference sums the exact products with compensated f64 summation and
/// rounds once; an f32-accumulating backend must land within `γ_K · Σ|x w|` plus half an output
/// ulp of it.
pub fn matmul<T: FloatElement, O: FloatElement>(
    backend: &Backend,
    x: TensorView<'_, T>,
    w: TensorView<'_, T>,
) -> Result<Tensor<O>> {
    let (m, k) = check_2d("x", &x, "[M, K]")?;
    let (n, kw) = check_2d("w", &w, "[N, K]")?;
    if kw != k {
        return Err(Error::shape("w", format!("[N, {k}] (K of x)"), w.shape()));
    }
    let count = m.checked_mul(n);
    let mut plan = super::plan("matmul");
    plan.buffer("y", count, O::DTYPE.size())?;
    plan.bytes(
        "scratch",
        super::matmul_scratch(m, n, k, O::DTYPE.size()).unwrap_or(u64::MAX),
    )?;
    if m == 0 || n == 0 || k == 0 {
        return Ok(super::empty_sum_product(m, n, None));
    }
    let mut out = vec![O::from_f32(0.0); m * n];
    match backend {
        Backend::Cpu if cpu::fast::matmul::supports::<T>() => {
            cpu::fast::matmul::dense(x.data(), w.data(), m, n, k, &mut out)
        }
        Backend::Cpu => cpu::matmul::dense(x.data(), w.data(), n, k, &mut out),
        Backend::Sim(cfg) => {
            let xs = super::spans(&[super::bytes_of(x.data())]);
            let w = super::unaliased("matmul", w.data(), &xs)?;
            let args = crate::backend::sim::MatmulArgs {
                x: x.data(),
                w: &w,
                bias: None,
                m,
                n,
                k,
            };
            crate::backend::sim::matmul(cfg, &args, &mut out)?;
        }
    }
    Ok(Tensor::from_parts(vec![m, n], out))
}

/// Weight-only MX matmul: `y[m,n] = round_out(Σ_k x[m,k] · decode(w[n,k]) · sw[n, k/32])` for
/// float activations `x [M,K]` and MXFP8 weights `w [N,K]` with pair-layout scales — weights stay
/// at half the bf16 footprint. The CPU reference is exact per product and compensated across
/// the sum, rounded once.
pub fn mx_matmul_weight_only<T: FloatElement, O: FloatElement>(
    backend: &Backend,
    x: TensorView<'_, T>,
    w: MxView<'_>,
) -> Result<Tensor<O>> {
    let (m, k) = check_2d("x", &x, "[M, K]")?;
    let (n, kw) = w.validate("w")?;
    if w.elements.rank() != 2 {
        return Err(Error::shape("w", "[N, K]", w.elements.shape()));
    }
    if kw != k {
        return Err(Error::shape(
            "w",
            format!("[N, {k}] (K of x)"),
            w.elements.shape(),
        ));
    }
    let count = m.checked_mul(n);
    let mut plan = super::plan("mx_matmul_weight_only");
    plan.buffer("y", count, O::DTYPE.size())?;
    plan.bytes(
        "scratch",
        super::matmul_scratch(m, n, k, O::DTYPE.size()).unwrap_or(u64::MAX),
    )?;
    if m == 0 || n == 0 || k == 0 {
        return Ok(super::empty_sum_product(m, n, None));
    }
    let mut out = vec![O::from_f32(0.0); m * n];
    match backend {
        Backend::Cpu if cpu::fast::matmul::supports::<T>() => {
            cpu::fast::matmul::weight_only(x.data(), &w, m, n, k, &mut out)
        }
        Backend::Cpu => cpu::matmul::weight_only(x.data(), &w, n, k, &mut out),
        Backend::Sim(cfg) => {
            let xs = super::spans(&[super::bytes_of(x.data())]);
            let we = super::unaliased("mx_matmul_weight_only", w.elements.data(), &xs)?;
            let xs = super::spans(&[super::bytes_of(x.data()), &we]);
            let ws = super::unaliased("mx_matmul_weight_only", w.scales.data(), &xs)?;
            let wo = crate::backend::sim::MxOperand {
                format: w.format,
                elements: &we,
                scales: &ws,
            };
            crate::backend::sim::mx_matmul_weight_only(cfg, x.data(), &wo, m, n, k, &mut out)?;
        }
    }
    Ok(Tensor::from_parts(vec![m, n], out))
}
