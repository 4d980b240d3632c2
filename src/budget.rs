//! The resource budget: how much memory one request may make the library allocate.
//!
//! Every size that comes from outside (tensor shapes, options, `config.json` fields, token
//! counts, positions) is turned into a byte count with checked arithmetic and held to a
//! [`Budget`] *before* anything is allocated, so an oversized or overflowing request becomes an
//! [`Error::ResourceLimit`] naming the buffer instead of an abort, a panic or a machine brought
//! to its knees. Two limits:
//!
//! - `max_allocation`: the largest single buffer (an op output, a scratch array, a file read
//!   into memory, one converted weight);
//! - `max_working_set`: the sum of the buffers one request holds at once (an op: its outputs
//!   and scratch; a checkpoint: every weight it materializes; a generation: weights, KV cache
//!   and activations).
//!
//! The default is a share of the machine's memory ([`Budget::for_machine`]): three quarters of
//! the physical memory (or of the cgroup's limit, when lower) for the working set and half of
//! it for one allocation, read from `/proc/meminfo`, with 8 GiB / 4 GiB where that cannot be
//! read. [`Budget::set_global`] changes it for the process (the command line's `--max-memory`
//! and `--max-allocation` do), [`Budget::scoped`] for one thread and one closure.
//!
//! The figures are estimates made before the work, deliberately on the high side: each op
//! counts its outputs and the largest scratch any backend allocates for it (see each op's
//! documentation and `docs/robustness.md`), so a request is accepted or refused the same way on
//! every backend.

use crate::error::{Error, Result};
use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};

/// Memory limits of one request, in bytes. See the module documentation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Budget {
    /// The largest single buffer.
    pub max_allocation: u64,
    /// The largest total of the buffers one request holds at once.
    pub max_working_set: u64,
}

const GIB: u64 = 1 << 30;

/// Global limits; 0 means "not set" (the machine default applies).
static GLOBAL_ALLOCATION: AtomicU64 = AtomicU64::new(0);
static GLOBAL_WORKING_SET: AtomicU64 = AtomicU64::new(0);

thread_local! {
    static SCOPED: Cell<Option<Budget>> = const { Cell::new(None) };
}

impl Budget {
    /// Limits as given; `max_allocation` is lowered to `max_working_set` if above it.
    pub fn new(max_allocation: u64, max_working_set: u64) -> Self {
        Budget {
            max_allocation: max_allocation.min(max_working_set),
            max_working_set,
        }
    }

    /// No limit at all (`u64::MAX` for both): sizes are still computed with checked arithmetic,
    /// so an overflowing size is still refused.
    pub fn unlimited() -> Self {
        Budget::new(u64::MAX, u64::MAX)
    }

    /// The default: from the machine's memory `total` in bytes, three quarters for the working
    /// set and half for one allocation.
    pub fn from_memory(total: u64) -> Self {
        Budget::new(total / 2, total / 4 * 3)
    }

    /// The default for this machine: [`Budget::from_memory`] of [`machine_memory`], or 4 GiB /
    /// 8 GiB when the memory size cannot be read.
    pub fn for_machine() -> Self {
        match machine_memory() {
            Some(total) => Budget::from_memory(total),
            None => Budget::new(4 * GIB, 8 * GIB),
        }
    }

    /// The budget in force on this thread: the innermost [`Budget::scoped`] one, else the
    /// global one ([`Budget::set_global`]), else [`Budget::for_machine`].
    pub fn current() -> Self {
        if let Some(b) = SCOPED.with(Cell::get) {
            return b;
        }
        let (a, w) = (
            GLOBAL_ALLOCATION.load(Ordering::Relaxed),
            GLOBAL_WORKING_SET.load(Ordering::Relaxed),
        );
        if a != 0 && w != 0 {
            return Budget::new(a, w);
        }
        let b = Budget::for_machine();
        // Cache the machine default (reading /proc once); a concurrent set_global wins.
        let _ = GLOBAL_WORKING_SET.compare_exchange(
            0,
            b.max_working_set.max(1),
            Ordering::Relaxed,
            Ordering::Relaxed,
        );
        let _ = GLOBAL_ALLOCATION.compare_exchange(
            0,
            b.max_allocation.max(1),
            Ordering::Relaxed,
            Ordering::Relaxed,
        );
        b
    }

    /// Sets the process-wide budget (threads inside [`Budget::scoped`] keep theirs).
    pub fn set_global(budget: Budget) {
        let b = Budget::new(budget.max_allocation, budget.max_working_set);
        GLOBAL_WORKING_SET.store(b.max_working_set.max(1), Ordering::Relaxed);
        GLOBAL_ALLOCATION.store(b.max_allocation.max(1), Ordering::Relaxed);
    }

    /// Runs `f` with `self` as this thread's budget (restored afterwards, also on unwinding).
    /// The checks run on the calling thread before any work is handed to the thread pool, so
    /// the scoped budget governs every op called from `f`.
    pub fn scoped<R>(self, f: impl FnOnce() -> R) -> R {
        struct Restore(Option<Budget>);
        impl Drop for Restore {
            fn drop(&mut self) {
                SCOPED.with(|s| s.set(self.0));
            }
        }
        let _restore = Restore(SCOPED.with(|s| s.replace(Some(self))));
        f()
    }

    /// A fresh plan of what `request` will allocate, held to this budget.
    pub fn plan(self, request: &str) -> Plan {
        Plan {
            budget: self,
            request: request.to_string(),
            total: 0,
        }
    }
}

/// The memory this machine gives the process: `MemTotal` of `/proc/meminfo`, or the cgroup
/// (v2 `memory.max`, v1 `memory.limit_in_bytes`) limit when lower; `None` when unreadable.
pub fn machine_memory() -> Option<u64> {
    static MEMORY: std::sync::OnceLock<Option<u64>> = std::sync::OnceLock::new();
    *MEMORY.get_or_init(read_machine_memory)
}

fn read_machine_memory() -> Option<u64> {
    let meminfo = std::fs::read_to_string("/proc/meminfo").ok()?;
    let total = meminfo.lines().find_map(|l| {
        let rest = l.strip_prefix("MemTotal:")?;
        let kib: u64 = rest.trim().trim_end_matches("kB").trim().parse().ok()?;
        kib.checked_mul(1024)
    })?;
    let cgroup = [
        "/sys/fs/cgroup/memory.max",
        "/sys/fs/cgroup/memory/memory.limit_in_bytes",
    ]
    .iter()
    .filter_map(|p| std::fs::read_to_string(p).ok())
    .filter_map(|s| s.trim().parse::<u64>().ok())
    .filter(|&v| v > 0)
    .min();
    Some(cgroup.map_or(total, |c| c.min(total)))
}

/// Bytes as a short human-readable figure (`12.0 GiB`).
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 7] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    if bytes == u64::MAX {
        return "more than 16 EiB (the size overflows)".to_string();
    }
    let mut v = bytes as f64;
    let mut unit = 0;
    while v >= 1024.0 && unit + 1 < UNITS.len() {
        v /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{v:.1} {}", UNITS[unit])
    }
}

/// Parses a size as the command line takes it: bytes, or a number with `K`, `M`, `G` or `T`
/// (powers of 1024, optionally followed by `iB` or `B`): `4096`, `512M`, `1.5G`, `8GiB`.
pub fn parse_size(text: &str) -> std::result::Result<u64, String> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let factor: u64 = match unit.trim().to_ascii_uppercase().as_str() {
        "" | "B" => 1,
        "K" | "KB" | "KIB" => 1 << 10,
        "M" | "MB" | "MIB" => 1 << 20,
        "G" | "GB" | "GIB" => 1 << 30,
        "T" | "TB" | "TIB" => 1 << 40,
        _ => {
            return Err(format!(
                "`{text}` is not a size (expected bytes or a number with K, M, G or T, e.g. 8G)"
            ))
        }
    };
    let value: f64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a size (expected e.g. 4096, 512M or 8G)"))?;
    let bytes = value * factor as f64;
    if !(bytes.is_finite() && bytes >= 1.0 && bytes < u64::MAX as f64) {
        return Err(format!(
            "`{text}` is out of range (at least 1 byte, less than 16 EiB)"
        ));
    }
    Ok(bytes as u64)
}

/// The buffers one request will allocate, added up and held to a [`Budget`] as they are
/// declared: the first one that is too large, or that takes the total past the working set,
/// gives the error. Declare before allocating.
#[derive(Clone, Debug)]
pub struct Plan {
    budget: Budget,
    request: String,
    total: u64,
}

impl Plan {
    /// A buffer of `count` elements of `element_bytes` each; `None` stands for a count that
    /// overflowed while being computed (refused like any oversized buffer).
    pub fn buffer(&mut self, name: &str, count: Option<usize>, element_bytes: usize) -> Result<()> {
        let bytes = count
            .and_then(|c| (c as u64).checked_mul(element_bytes as u64))
            .unwrap_or(u64::MAX);
        self.bytes(name, bytes)
    }

    /// A buffer of `bytes` bytes (`u64::MAX` for an overflowed size).
    pub fn bytes(&mut self, name: &str, bytes: u64) -> Result<()> {
        let limit = |limit_name: &'static str, limit: u64, requested: u64| Error::ResourceLimit {
            request: self.request.clone(),
            buffer: name.to_string(),
            requested,
            limit_name,
            limit,
        };
        // u64::MAX stands for a size that overflowed: refused under any budget.
        if bytes == u64::MAX || bytes > self.budget.max_allocation {
            return Err(limit(
                "largest allocation",
                self.budget.max_allocation,
                bytes,
            ));
        }
        let total = self.total.saturating_add(bytes);
        if total == u64::MAX || total > self.budget.max_working_set {
            return Err(limit("working set", self.budget.max_working_set, total));
        }
        self.total = total;
        Ok(())
    }

    /// The bytes declared so far.
    pub fn total(&self) -> u64 {
        self.total
    }
}

/// `∏ dims`, or `None` on overflow.
pub(crate) fn product(dims: &[usize]) -> Option<usize> {
    dims.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse() {
        assert_eq!(parse_size("4096"), Ok(4096));
        assert_eq!(parse_size("512M"), Ok(512 << 20));
        assert_eq!(parse_size("1.5G"), Ok(3 << 29));
        assert_eq!(parse_size("8GiB"), Ok(8 << 30));
        assert_eq!(parse_size(" 2 t "), Ok(2 << 40));
        for bad in ["", "G", "-1G", "0", "1X", "1e30G", "nan", "1..2"] {
            assert!(parse_size(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn plans_refuse_large_buffers_and_totals() {
        let b = Budget::new(100, 150);
        let mut p = b.plan("op");
        p.buffer("a", Some(25), 4).unwrap();
        let e = p.buffer("b", Some(26), 4).unwrap_err();
        assert!(
            matches!(&e, Error::ResourceLimit { buffer, limit_name: "largest allocation", requested: 104, .. } if buffer == "b"),
            "{e}"
        );
        let e = p.bytes("c", 51).unwrap_err();
        assert!(
            matches!(
                e,
                Error::ResourceLimit {
                    limit_name: "working set",
                    requested: 151,
                    ..
                }
            ),
            "{e}"
        );
        p.bytes("d", 50).unwrap();
        assert_eq!(p.total(), 150);
        assert!(Budget::unlimited()
            .plan("x")
            .buffer("overflow", None, 1)
            .is_err());
        assert!(Budget::unlimited()
            .plan("x")
            .buffer("overflow", Some(usize::MAX), 2)
            .is_err());
    }

    #[test]
    fn scoped_budgets_nest_and_restore() {
        let outer = Budget::new(10, 20);
        let inner = Budget::new(1, 2);
        outer.scoped(|| {
            assert_eq!(Budget::current(), outer);
            inner.scoped(|| assert_eq!(Budget::current(), inner));
            assert_eq!(Budget::current(), outer);
        });
        assert_ne!(Budget::current(), inner);
    }

    #[test]
    fn machine_default_is_a_share_of_memory() {
        let b = Budget::from_memory(24 << 30);
        assert_eq!((b.max_allocation, b.max_working_set), (12 << 30, 18 << 30));
        if let Some(m) = machine_memory() {
            assert!(m > 0);
            assert!(Budget::for_machine().max_working_set < m);
        }
        assert_eq!(human_bytes(3 << 29), "1.5 GiB");
        assert_eq!(human_bytes(12), "12 B");
    }
}
