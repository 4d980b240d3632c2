//! Fast CPU kernels that return exactly what the reference returns.
//!
//! Each one either is bit-exact by construction (the same f32 operations in the same order per
//! element, vectorized) or, for the matmuls, *certifies* its answer: it computes the sum in a
//! fast order together with a rigorous bound on its distance from the exact sum, and keeps the
//! result only when every value within that bound (which includes the reference's own f64
//! value) rounds to the same output; otherwise that one output is recomputed by the reference
//! function. `docs/performance.md` gives the argument; the tests here compare with the
//! reference on random and adversarial inputs.

pub(crate) mod elementwise;
pub(crate) mod matmul;
pub(crate) mod simd;

/// True when the CPU has AVX2 and FMA, the features every vector kernel here is compiled for
/// (detected once).
#[cfg(target_arch = "x86_64")]
pub(crate) fn has_avx2_fma() -> bool {
    use std::sync::OnceLock;
    static DETECTED: OnceLock<bool> = OnceLock::new();
    *DETECTED.get_or_init(|| {
        std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
    })
}

/// True when this thread keeps subnormal results and operands (no flush-to-zero, no
/// denormals-are-zero in MXCSR). The certified kernels' error bounds assume IEEE gradual
/// underflow: each f32 operation loses at most `2^-150` below the normal range.
#[cfg(target_arch = "x86_64")]
pub(crate) fn subnormals_kept() -> bool {
    let mut csr: u32 = 0;
    // SAFETY: `stmxcsr` stores the 32-bit MXCSR register at the address given, which is that of
    // the live local `csr`; it reads or writes nothing else.
    unsafe {
        std::arch::asm!(
            "stmxcsr [{}]",
            in(reg) std::ptr::addr_of_mut!(csr),
            options(nostack, preserves_flags)
        );
    }
    const FLUSH_TO_ZERO: u32 = 1 << 15;
    const DENORMALS_ARE_ZERO: u32 = 1 << 6;
    csr & (FLUSH_TO_ZERO | DENORMALS_ARE_ZERO) == 0
}

/// See the x86-64 version; other targets use the portable kernels, which certify nothing.
#[cfg(not(target_arch = "x86_64"))]
pub(crate) fn subnormals_kept() -> bool {
    true
}
