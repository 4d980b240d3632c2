//! A seeded xorshift64 stream for unit tests: reproducible, no dependency.

/// The xorshift64 sequence (shifts 13, 7, 17) after `seed`, which must not be 0.
pub(crate) fn xorshift64(mut state: u64) -> impl FnMut() -> u64 {
    move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    }
}
