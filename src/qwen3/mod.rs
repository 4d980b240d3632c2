//! Qwen3: the forward pass composed from the library's ops (and, with the loader, checkpoints in
//! bf16, FP8-block and MXFP8 formats).
//!
//! Loading: [`Checkpoint::load`] reads a checkpoint directory (`config.json` + safetensors,
//! memory-mapped, single file or shards, bf16/f16/f32, FP8-block or MXFP8), checks every tensor
//! against the config, and [`Checkpoint::into_weights`] prepares the forward's weights for a mode.
//! [`dummy`] writes random weights in a real config's layout, to run that path before the real
//! weights are downloaded.

pub mod checkpoint;
pub mod compare;
pub mod config;
pub mod convert;
pub mod dummy;
pub mod embedded;
pub mod forward;
mod fused;
pub mod proof;

pub use checkpoint::{Checkpoint, CheckpointFormat, Layer, Linear};
pub use config::{QuantizationConfig, Qwen3Config};
