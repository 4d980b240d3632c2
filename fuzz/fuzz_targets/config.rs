//! `config.json` of a Qwen3 checkpoint: parsed, and for an accepted config every size it
//! implies computed (the dims, the RoPE cache for a few positions, held to the budget).
#![no_main]

use ascend_kernels::ops::RopeCache;
use ascend_kernels::qwen3::Qwen3Config;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    ascend_kernels_fuzz::init();
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match Qwen3Config::from_json_str("config.json", text) {
        Ok(c) => {
            let d = c.dims(c.max_position_embeddings.min(8));
            let _ = (c.q_dim(), c.kv_dim(), d.hidden);
            if let Err(e) = RopeCache::new(c.rope_theta, c.head_dim, d.max_positions) {
                ascend_kernels_fuzz::assert_one_line(&e.to_string());
            }
        }
        Err(e) => ascend_kernels_fuzz::assert_one_line(&e.to_string()),
    }
});
