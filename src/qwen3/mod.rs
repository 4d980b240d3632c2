//! Qwen3: the forward pass composed from the library's ops (and, with the loader, checkpoints in
//! bf16, FP8-block and MXFP8 formats).

pub mod forward;
