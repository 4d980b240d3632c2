//! Tensors: a shape and a contiguous row-major buffer, owned ([`Tensor`]) or borrowed
//! ([`TensorView`]).

use crate::error::{Error, Result};
use crate::formats::Element;

/// Number of elements a shape holds, or `None` on overflow.
pub fn element_count(shape: &[usize]) -> Option<usize> {
    shape.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d))
}

fn check_shape(name: &str, shape: &[usize], len: usize) -> Result<()> {
    match element_count(shape) {
        Some(n) if n == len => Ok(()),
        n => Err(Error::ShapeDataMismatch {
            tensor: name.to_string(),
            shape: shape.to_vec(),
            expected: n.unwrap_or(usize::MAX),
            actual: len,
        }),
    }
}

/// A borrowed, contiguous, row-major tensor.
#[derive(Clone, Copy, Debug)]
pub struct TensorView<'a, T> {
    shape: &'a [usize],
    data: &'a [T],
}

impl<'a, T: Element> TensorView<'a, T> {
    /// Wraps `data` with `shape`; fails if the shape does not hold exactly `data.len()` elements.
    pub fn new(shape: &'a [usize], data: &'a [T]) -> Result<Self> {
        check_shape("tensor", shape, data.len())?;
        Ok(TensorView { shape, data })
    }

    /// The shape.
    pub fn shape(&self) -> &'a [usize] {
        self.shape
    }

    /// The elements, row-major.
    pub fn data(&self) -> &'a [T] {
        self.data
    }

    /// The rank.
    pub fn rank(&self) -> usize {
        self.shape.len()
    }

    /// The size of the last axis (1 for a scalar).
    pub fn last_dim(&self) -> usize {
        self.shape.last().copied().unwrap_or(1)
    }

    /// The number of elements.
    pub fn len(&self) -> usize {
        self.data.len()
    }

    /// True when the tensor holds no element.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// An owned copy.
    pub fn to_tensor(&self) -> Tensor<T> {
        Tensor {
            shape: self.shape.to_vec(),
            data: self.data.to_vec(),
        }
    }
}

/// An owned, contiguous, row-major tensor.
#[derive(Clone, Debug, PartialEq)]
pub struct Tensor<T> {
    shape: Vec<usize>,
    data: Vec<T>,
}

impl<T: Element> Tensor<T> {
    /// Builds a tensor; fails if the shape does not hold exactly `data.len()` elements.
    pub fn new(shape: Vec<usize>, data: Vec<T>) -> Result<Self> {
        check_shape("tensor", &shape, data.len())?;
        Ok(Tensor { shape, data })
    }

    /// Builds a tensor whose shape is known to match (internal use by the ops).
    pub(crate) fn from_parts(shape: Vec<usize>, data: Vec<T>) -> Self {
        debug_assert_eq!(element_count(&shape), Some(data.len()));
        Tensor { shape, data }
    }

    /// The shape.
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    /// The elements, row-major.
    pub fn data(&self) -> &[T] {
        &self.data
    }

    /// Consumes the tensor, returning its elements.
    pub fn into_data(self) -> Vec<T> {
        self.data
    }

    /// Consumes the tensor, returning shape and elements.
    pub fn into_parts(self) -> (Vec<usize>, Vec<T>) {
        (self.shape, self.data)
    }

    /// A borrowed view.
    pub fn view(&self) -> TensorView<'_, T> {
        TensorView {
            shape: &self.shape,
            data: &self.data,
        }
    }

    /// The same elements under another shape with the same element count.
    pub fn reshape(self, shape: Vec<usize>) -> Result<Self> {
        check_shape("tensor", &shape, self.data.len())?;
        Ok(Tensor {
            shape,
            data: self.data,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shape_must_match() {
        let d = [1.0f32; 6];
        assert!(TensorView::new(&[2, 3], &d).is_ok());
        assert!(matches!(
            TensorView::new(&[4, 2], &d),
            Err(Error::ShapeDataMismatch {
                expected: 8,
                actual: 6,
                ..
            })
        ));
        assert!(matches!(
            TensorView::new(&[usize::MAX, 2], &d),
            Err(Error::ShapeDataMismatch { .. })
        ));
    }
}
