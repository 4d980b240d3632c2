//! The kernel descriptions, one module per kernel.

pub mod fp8_block_dequant;
pub mod matmul;
pub mod matmul_mx;
pub mod mx_dequant;
pub mod mx_quant;
pub mod rms_norm;
pub mod rope_qk;
pub mod sim_probe;
