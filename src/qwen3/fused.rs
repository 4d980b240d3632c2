//! Projections that read the same input (`q|k|v`, `gate|up`), concatenated by rows so they run
//! as one matmul. Every output element is the same as the separate matmuls' (rows of a matmul
//! are independent), and one call instead of several halves the fixed per-call costs of a
//! decode step (the input's decode, the hand-off to the thread pool, the last task's wait).

use super::forward::LinearWeight;
use crate::ops::MxTensor;
use crate::tensor::Tensor;
use half::bf16;

/// Weights whose outputs are wanted side by side, stored as one row-concatenated weight when
/// the parts are alike (all bf16, or all MX of one element format), else part by part.
#[derive(Clone, Debug)]
pub(crate) struct Projections {
    weights: Vec<LinearWeight>,
    widths: Vec<usize>,
}

impl Projections {
    /// Concatenates `parts` (each `[out_i, in]`, one `in`) when they are alike.
    pub(crate) fn new(parts: Vec<LinearWeight>) -> Self {
        let widths = parts.iter().map(|p| p.shape()[0]).collect();
        let weights = match concat_rows(&parts) {
            Some(one) => vec![one],
            None => parts,
        };
        Projections { weights, widths }
    }

    /// The weights to run, in order.
    pub(crate) fn weights(&self) -> &[LinearWeight] {
        &self.weights
    }

    /// The parts' outputs from the weights' outputs (`[t, Σ out_i]` split by columns when the
    /// parts were concatenated).
    pub(crate) fn split(&self, outputs: Vec<Tensor<bf16>>) -> Vec<Tensor<bf16>> {
        match outputs.as_slice() {
            [joined] if self.widths.len() > 1 => split_columns(joined, &self.widths),
            _ => outputs,
        }
    }
}

fn concat_rows(parts: &[LinearWeight]) -> Option<LinearWeight> {
    let k = parts.first()?.shape()[1];
    if parts.iter().any(|p| p.shape()[1] != k) {
        return None;
    }
    let rows: usize = parts.iter().map(|p| p.shape()[0]).sum();
    match &parts[0] {
        LinearWeight::Dense(_) => {
            let mut data = Vec::with_capacity(rows * k);
            for p in parts {
                let LinearWeight::Dense(w) = p else {
                    return None;
                };
                data.extend_from_slice(w.data());
            }
            Tensor::new(vec![rows, k], data)
                .ok()
                .map(LinearWeight::Dense)
        }
        LinearWeight::Mx(first) => {
            let scale_shape = &first.scales.shape()[1..];
            let (mut elements, mut scales) = (Vec::new(), Vec::new());
            for p in parts {
                match p {
                    LinearWeight::Mx(w)
                        if w.format == first.format && &w.scales.shape()[1..] == scale_shape =>
                    {
                        elements.extend_from_slice(w.elements.data());
                        scales.extend_from_slice(w.scales.data());
                    }
                    _ => return None,
                }
            }
            let scales_shape = [&[rows][..], scale_shape].concat();
            Some(LinearWeight::Mx(MxTensor {
                format: first.format,
                elements: Tensor::new(vec![rows, k], elements).ok()?,
                scales: Tensor::new(scales_shape, scales).ok()?,
            }))
        }
    }
}

/// `[t, Σ widths]` into `[t, width_i]` tensors.
fn split_columns(joined: &Tensor<bf16>, widths: &[usize]) -> Vec<Tensor<bf16>> {
    let total: usize = widths.iter().sum();
    let t = joined.data().len() / total.max(1);
    let mut start = 0;
    widths
        .iter()
        .map(|&w| {
            let mut part = Vec::with_capacity(t * w);
            for row in joined.data().chunks(total) {
                part.extend_from_slice(&row[start..start + w]);
            }
            start += w;
            Tensor::from_parts(vec![t, w], part)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::{Fp8Format, E8M0};

    fn dense(rows: usize, k: usize, base: f32) -> LinearWeight {
        let data = (0..rows * k)
            .map(|i| bf16::from_f32(base + i as f32))
            .collect();
        LinearWeight::Dense(Tensor::new(vec![rows, k], data).unwrap())
    }

    fn mx(rows: usize, format: Fp8Format, byte: u8) -> LinearWeight {
        LinearWeight::Mx(MxTensor {
            format,
            elements: Tensor::new(vec![rows, 64], vec![byte; rows * 64]).unwrap(),
            scales: Tensor::new(vec![rows, 1, 2], vec![E8M0(127 + byte); rows * 2]).unwrap(),
        })
    }

    #[test]
    fn alike_parts_are_joined_and_outputs_split_back() {
        let p = Projections::new(vec![dense(2, 3, 0.0), dense(1, 3, 100.0)]);
        assert_eq!(p.weights().len(), 1);
        let LinearWeight::Dense(w) = &p.weights()[0] else {
            panic!("dense parts stay dense");
        };
        assert_eq!(w.shape(), [3, 3]);
        assert_eq!(w.data()[6].to_f32(), 100.0);
        // Two rows of outputs [a0 a1 | b0].
        let joined = Tensor::new(
            vec![2, 3],
            (0..6).map(|i| bf16::from_f32(i as f32)).collect(),
        );
        let parts = p.split(vec![joined.unwrap()]);
        let values = |t: &Tensor<bf16>| t.data().iter().map(|v| v.to_f32()).collect::<Vec<_>>();
        assert_eq!(parts[0].shape(), [2, 2]);
        assert_eq!(values(&parts[0]), [0.0, 1.0, 3.0, 4.0]);
        assert_eq!(values(&parts[1]), [2.0, 5.0]);
    }

    #[test]
    fn mx_parts_keep_their_rows_scales_and_format() {
        let p = Projections::new(vec![mx(2, Fp8Format::E4M3, 1), mx(3, Fp8Format::E4M3, 2)]);
        let LinearWeight::Mx(w) = &p.weights()[0] else {
            panic!("MX parts stay MX");
        };
        assert_eq!(w.elements.shape(), [5, 64]);
        assert_eq!(w.scales.shape(), [5, 1, 2]);
        assert_eq!(w.elements.data()[2 * 64], 2);
        assert_eq!(w.scales.data()[2 * 2], E8M0(129));
    }

    #[test]
    fn unlike_parts_run_apart() {
        let mixed = Projections::new(vec![mx(2, Fp8Format::E4M3, 1), mx(2, Fp8Format::E5M2, 1)]);
        assert_eq!(mixed.weights().len(), 2);
        let kinds = Projections::new(vec![dense(2, 64, 0.0), mx(2, Fp8Format::E4M3, 1)]);
        assert_eq!(kinds.weights().len(), 2);
        let outputs = vec![Tensor::new(vec![1, 2], vec![bf16::ONE; 2]).unwrap(); 2];
        assert_eq!(kinds.split(outputs.clone()), outputs);
    }
}
