//! Allocation of large op outputs.
//!
//! A fresh output of tens of MiB is mapped by the allocator and faulted in page by page on
//! first touch: with 4 KiB pages a 32 MiB output costs 8192 faults, about 25 ms on the
//! development VM, more than the kernels that fill it. On Linux, such an output is advised to
//! use transparent huge pages before it is touched (where the system allows it, in `madvise`
//! or `always` mode), so it takes a few 2 MiB faults instead. The values are the same either
//! way; only the time to map the memory changes.

/// Outputs smaller than this are left to the allocator as they are.
const ADVISE_FROM_BYTES: usize = 8 << 20;

/// `len` copies of `value`, allocated as described in the module documentation.
pub(crate) fn filled<T: Copy>(len: usize, value: T) -> Vec<T> {
    let mut v: Vec<T> = Vec::with_capacity(len);
    advise_huge_pages(v.as_mut_ptr().cast::<u8>(), len * std::mem::size_of::<T>());
    v.resize(len, value);
    v
}

#[cfg(target_os = "linux")]
fn advise_huge_pages(start: *mut u8, bytes: usize) {
    const HUGE_PAGE: usize = 2 << 20;
    if bytes < ADVISE_FROM_BYTES {
        return;
    }
    let first = (start as usize).next_multiple_of(HUGE_PAGE);
    let end = (start as usize + bytes) / HUGE_PAGE * HUGE_PAGE;
    if end > first {
        // SAFETY: `first..end` lies inside the allocation of `bytes` bytes at `start` that the
        // caller has just made and not yet touched. `madvise` only changes how the kernel
        // backs those pages, never their contents or validity; a refusal (e.g. huge pages
        // disabled) is harmless advice ignored, so the result is not checked.
        unsafe {
            libc::madvise(first as *mut libc::c_void, end - first, libc::MADV_HUGEPAGE);
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn advise_huge_pages(_start: *mut u8, _bytes: usize) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn large_and_small_outputs_hold_their_values() {
        for len in [
            0,
            1,
            1000,
            (ADVISE_FROM_BYTES / 2) + 3,
            3 * ADVISE_FROM_BYTES / 2 + 1,
        ] {
            let v = filled(len, 0x5A5Au16);
            assert_eq!(v.len(), len);
            assert!(v.iter().all(|&x| x == 0x5A5A), "len {len}");
        }
    }
}
