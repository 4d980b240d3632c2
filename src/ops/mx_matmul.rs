//! The MX grouped quant matmul, group sizes `[1, 1, 32]`.

use super::mx::MxView;
use crate::backend::{cpu, Backend};
use crate::error::{Error, Result};
use crate::formats::FloatElement;
use crate::tensor::{Tensor, TensorView};

/// `y[m,n] = round_out( sum_j dot_j(x[m], w[n]) * sx[m,j] * sw[n,j] + bias[n] )` for
/// `x [M,K]`, `w [N,K]` (both FP8, E4M3 or E5M2 independently), pair-layout E8M0 scales,
/// optional f32 `bias [N]` — the `npu_quant_matmul(..., group_sizes=[1,1,32])` contract.
///
/// The CPU reference is the best answer: each block's dot product is exact (integer
/// arithmetic), blocks are summed with compensated f64 summation, and the result is rounded
/// once to `O` (`docs/numerics.md`, "mx_matmul").
pub fn mx_matmul<O: FloatElement>(
    backend: &Backend,
    x: MxView<'_>,
    w: MxView<'_>,
    bias: Option<TensorView<'_, f32>>,
) -> Result<Tensor<O>> {
    let (m, k) = x.validate("x")?;
    let (n, kw) = w.validate("w")?;
    if x.elements.rank() != 2 {
        return Err(Error::shape("x", "[M, K]", x.elements.shape()));
    }
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
    let bias = match bias {
        Some(b) => {
            if b.shape() != [n] {
                return Err(Error::shape("bias", format!("[{n}] (N of w)"), b.shape()));
            }
            Some(b.data())
        }
        None => None,
    };
    let count = m.checked_mul(n);
    let mut plan = super::plan("mx_matmul");
    plan.buffer("y", count, O::DTYPE.size())?;
    plan.bytes(
        "scratch",
        super::matmul_scratch(m, n, k, O::DTYPE.size()).unwrap_or(u64::MAX),
    )?;
    if m == 0 || n == 0 || k == 0 {
        return Ok(super::empty_sum_product(m, n, bias));
    }
    let mut out = vec![O::from_f32(0.0); m * n];
    match backend {
        Backend::Cpu => cpu::fast::matmul::mx(&x, &w, bias, m, n, k, &mut out),
        Backend::Sim(cfg) => {
            use super::{bytes_of, spans, unaliased};
            let xe = x.elements.data();
            let xs = unaliased("mx_matmul", x.scales.data(), &spans(&[xe]))?;
            let seen = [xe, bytes_of(&xs)];
            let we = unaliased("mx_matmul", w.elements.data(), &spans(&seen))?;
            let seen = [xe, bytes_of(&xs), &we];
            let ws = unaliased("mx_matmul", w.scales.data(), &spans(&seen))?;
            let seen = [xe, bytes_of(&xs), &we, bytes_of(&ws)];
            let b = match bias {
                Some(b) => Some(unaliased("mx_matmul", b, &spans(&seen))?),
                None => None,
            };
            let xo = crate::backend::sim::MxOperand {
                format: x.format,
                elements: xe,
                scales: &xs,
            };
            let wo = crate::backend::sim::MxOperand {
                format: w.format,
                elements: &we,
                scales: &ws,
            };
            let b = b.as_deref();
            crate::backend::sim::mx_matmul(cfg, &xo, &wo, b, m, n, k, &mut out)?;
        }
    }
    Ok(Tensor::from_parts(vec![m, n], out))
}
