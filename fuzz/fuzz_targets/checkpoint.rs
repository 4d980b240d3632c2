//! A checkpoint directory: `config.json`, weights (single, sharded with an index, FP8 block,
//! MXFP8 with its msmodelslim description), written from the input's records (regular files,
//! FIFOs, links inside and outside, directories; `fuzz/README.md`), then loaded; an accepted
//! checkpoint is prepared for the mode the selector byte picks and runs one token on the CPU.
#![no_main]

use ascend_kernels::ops::MxQuantOptions;
use ascend_kernels::qwen3::forward::{Mode, Qwen3};
use ascend_kernels::qwen3::Checkpoint;
use ascend_kernels::Backend;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    ascend_kernels_fuzz::init();
    let dir = ascend_kernels_fuzz::scratch_dir();
    let outside = ascend_kernels_fuzz::scratch_dir();
    let secret = outside.path().join("secret.safetensors");
    std::fs::write(&secret, b"not yours").unwrap();
    let selector = ascend_kernels_fuzz::write_model_dir(data, dir.path(), &secret);
    let checkpoint = match Checkpoint::load(dir.path()) {
        Ok(c) => c,
        Err(e) => return ascend_kernels_fuzz::assert_one_line(&e.to_string()),
    };
    let mode = [Mode::Dequant, Mode::W8A16Mxfp8, Mode::W8A8Mxfp8][selector as usize % 3];
    let dims = checkpoint
        .config
        .dims(4.min(checkpoint.config.max_position_embeddings));
    let run = || -> ascend_kernels::Result<()> {
        let weights =
            checkpoint
                .clone()
                .into_weights(mode, &Backend::Cpu, &MxQuantOptions::default())?;
        let mut model = Qwen3::new(dims, weights, mode, Backend::Cpu)?;
        model.plan_generation(1, 1)?;
        let mut cache = model.new_cache();
        model.forward(&[0], &mut cache)?;
        Ok(())
    };
    if let Err(e) = run() {
        ascend_kernels_fuzz::assert_one_line(&e.to_string());
    }
});
