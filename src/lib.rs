//! # ascend-kernels
//!
//! FP8 / MXFP8 kernels for Qwen3-class models on Huawei Ascend NPUs: a build-time generator of
//! AscendC kernels, a strict host emulation of the AscendC API to run them without hardware,
//! and an exact CPU reference that holds every kernel to the numerics of `docs/numerics.md`.
//!
//! The safe API lives in [`ops`]: every function takes typed views, validates them, and
//! dispatches to the [`Backend`] the caller chose.
//!
//! ```
//! use ascend_kernels::{ops, Backend, TensorView};
//! use half::bf16;
//!
//! let x: Vec<bf16> = [0.0f32, 8.0, 64.0, 512.0].iter().map(|&v| bf16::from_f32(v)).collect();
//! let q = ops::mx_quant(&Backend::Cpu, TensorView::new(&[1, 4], &x)?, &Default::default())?;
//! assert_eq!(q.scales.data()[0].to_bits(), 128);
//! assert_eq!(q.elements.data(), &[0x00, 0x48, 0x60, 0x78]);
//! # Ok::<(), ascend_kernels::Error>(())
//! ```

pub mod backend;
pub mod device;
pub mod error;
pub mod formats;
pub mod io;
pub mod ops;
mod output;
pub mod qwen3;
pub mod runner;
pub mod tensor;
#[cfg(test)]
mod test_rng;
pub mod tiling;
pub mod tune;
pub mod verify;

pub use backend::Backend;
pub use error::{Error, Result};
pub use formats::{DType, Element, FloatElement, Fp8Format, RoundMode, E4M3, E5M2, E8M0};
pub use tensor::{Tensor, TensorView};
