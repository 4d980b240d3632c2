//! What the fuzz targets share: the budget they run under, an allocator that turns any
//! allocation past that budget into a crash (so "never allocates more than the budget" is
//! checked on every input, not assumed), and the decoders of the targets' input formats
//! (`fuzz/README.md` describes them; `fuzz/seeds/make_seeds.py` writes inputs in them).

use ascend_kernels::Budget;
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Once;

/// The largest single allocation the library may make under the fuzz budget.
pub const MAX_ALLOCATION: u64 = 64 << 20;
/// The working set the library may plan under the fuzz budget.
pub const MAX_WORKING_SET: u64 = 256 << 20;
/// What the harness itself may hold beside the library's planned buffers: the input's copies
/// (a safetensors file is parsed into owned tensors, then typed), bookkeeping, thread pools.
const HARNESS_SLACK: usize = 96 << 20;

/// Live bytes allocated through the Rust allocator.
static LIVE: AtomicUsize = AtomicUsize::new(0);

/// The global allocator of every fuzz target: the system allocator, aborting (a libFuzzer
/// crash, with the input saved) when one allocation exceeds [`MAX_ALLOCATION`] or the live
/// total exceeds [`MAX_WORKING_SET`] plus the harness's slack.
pub struct BudgetGuard;

fn die(message: &[u8]) -> ! {
    // SAFETY: writes a static byte string to stderr; no allocation (the allocator is failing).
    unsafe {
        libc::write(2, message.as_ptr().cast(), message.len());
    }
    std::process::abort()
}

fn check(size: usize) {
    if size as u64 > MAX_ALLOCATION {
        die(b"\n== fuzz: one allocation over the budget's largest allocation ==\n");
    }
    let live = LIVE.fetch_add(size, Ordering::Relaxed) + size;
    if live as u64 > MAX_WORKING_SET + HARNESS_SLACK as u64 {
        die(b"\n== fuzz: live allocations over the budget's working set ==\n");
    }
}

// SAFETY: every method forwards to `System` with the caller's layout and pointer unchanged; the
// counting and the size check only read the sizes.
unsafe impl GlobalAlloc for BudgetGuard {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        check(layout.size());
        let p = System.alloc(layout);
        if p.is_null() {
            LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        check(layout.size());
        let p = System.alloc_zeroed(layout);
        if p.is_null() {
            LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        System.dealloc(ptr, layout)
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        check(new_size);
        let p = System.realloc(ptr, layout, new_size);
        if p.is_null() {
            // The old block stays allocated.
            LIVE.fetch_sub(new_size, Ordering::Relaxed);
            LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: BudgetGuard = BudgetGuard;

/// Sets the fuzz budget (once per process).
pub fn init() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| Budget::set_global(Budget::new(MAX_ALLOCATION, MAX_WORKING_SET)));
}

/// Checks the promise every error makes: one line.
pub fn assert_one_line(message: &str) {
    assert!(
        !message.contains('\n') && !message.contains('\r'),
        "error message on several lines: {message:?}"
    );
}

/// A byte reader over a fuzz input: fixed-width little-endian fields, then the rest.
pub struct Reader<'a> {
    data: &'a [u8],
}

impl<'a> Reader<'a> {
    /// Reads from `data`.
    pub fn new(data: &'a [u8]) -> Self {
        Reader { data }
    }

    /// The next `n` bytes (zero-padded past the end).
    pub fn bytes<const N: usize>(&mut self) -> [u8; N] {
        let mut out = [0u8; N];
        let n = N.min(self.data.len());
        out[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        out
    }

    /// A byte.
    pub fn u8(&mut self) -> u8 {
        self.bytes::<1>()[0]
    }

    /// A little-endian u16.
    pub fn u16(&mut self) -> u16 {
        u16::from_le_bytes(self.bytes())
    }

    /// A little-endian u32.
    pub fn u32(&mut self) -> u32 {
        u32::from_le_bytes(self.bytes())
    }

    /// A little-endian u64.
    pub fn u64(&mut self) -> u64 {
        u64::from_le_bytes(self.bytes())
    }

    /// Up to `n` bytes.
    pub fn take(&mut self, n: usize) -> &'a [u8] {
        let n = n.min(self.data.len());
        let (head, tail) = self.data.split_at(n);
        self.data = tail;
        head
    }

    /// Everything left.
    pub fn rest(&mut self) -> &'a [u8] {
        std::mem::take(&mut self.data)
    }

    /// True when nothing is left.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }
}

/// What a record of the `checkpoint` target's input puts in the model directory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EntryKind {
    /// A regular file with the record's bytes.
    File,
    /// A FIFO (the loader must refuse it, never wait on it).
    Fifo,
    /// A symbolic link to a file outside the directory.
    LinkOutside,
    /// A symbolic link to the file named by the record's bytes, inside the directory.
    LinkInside,
    /// A directory.
    Dir,
}

/// The names a record may take (index = the record's name byte modulo the count); everything
/// the loader looks for, in both layouts, and a few it must ignore.
pub const NAMES: [&str; 14] = [
    "config.json",
    "model.safetensors",
    "model.safetensors.index.json",
    "model-00001-of-00002.safetensors",
    "model-00002-of-00002.safetensors",
    "quant_model_description.json",
    "quant_model_weight_w8a8_mxfp8.safetensors",
    "quant_model_weight_w8a8_mxfp8.safetensors.index.json",
    "quant_model_weight_w8a8_mxfp8-00001-of-00002.safetensors",
    "quant_model_weight_w8a8_mxfp8-00002-of-00002.safetensors",
    "quant_model_description_w8a8_mxfp8.json",
    "tokenizer.json",
    "expected.safetensors",
    "generation_config.json",
];

/// Writes the `checkpoint` target's records into `dir`: each record is `kind: u8`,
/// `name: u8` (into [`NAMES`]), `len: u32` LE, then `len` bytes. `outside` is a file outside
/// `dir` for links that escape. Returns the selector byte that precedes the records.
pub fn write_model_dir(data: &[u8], dir: &std::path::Path, outside: &std::path::Path) -> u8 {
    let mut r = Reader::new(data);
    let selector = r.u8();
    while !r.is_empty() {
        let kind = match r.u8() % 8 {
            0..=3 => EntryKind::File,
            4 => EntryKind::Fifo,
            5 => EntryKind::LinkOutside,
            6 => EntryKind::LinkInside,
            _ => EntryKind::Dir,
        };
        let name = NAMES[r.u8() as usize % NAMES.len()];
        let len = r.u32() as usize;
        let body = r.take(len);
        let path = dir.join(name);
        if std::fs::symlink_metadata(&path).is_ok() {
            continue; // the first record of a name wins
        }
        let _ = match kind {
            EntryKind::File => std::fs::write(&path, body),
            EntryKind::Fifo => {
                let c = std::ffi::CString::new(path.to_string_lossy().as_bytes()).unwrap();
                // SAFETY: `c` is a valid NUL-terminated path that outlives the call.
                unsafe { libc::mkfifo(c.as_ptr(), 0o600) };
                Ok(())
            }
            EntryKind::LinkOutside => std::os::unix::fs::symlink(outside, &path),
            EntryKind::LinkInside => {
                let target = NAMES[body.first().copied().unwrap_or(0) as usize % NAMES.len()];
                std::os::unix::fs::symlink(target, &path)
            }
            EntryKind::Dir => std::fs::create_dir(&path),
        };
    }
    selector
}

/// A fresh directory for one input, in memory when `/dev/shm` exists.
pub fn scratch_dir() -> tempfile::TempDir {
    let shm = std::path::Path::new("/dev/shm");
    if shm.is_dir() {
        if let Ok(d) = tempfile::Builder::new().prefix("ak-fuzz-").tempdir_in(shm) {
            return d;
        }
    }
    tempfile::Builder::new()
        .prefix("ak-fuzz-")
        .tempdir()
        .expect("a temporary directory")
}
