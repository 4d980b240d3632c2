//! Helpers shared by the integration tests: each test file includes this module with
//! `mod common;` and uses what it needs. The conformance cases (`parity.rs`, one per kernel) are
//! included only by `tests/conformance.rs`, which runs them for every compiled unit.
#![allow(dead_code)]

use ascend_kernels::backend::sim::{self, SimConfig};
use ascend_kernels::{DType, Error, FloatElement};
use half::bf16;

/// Whether this build has the emulator (`Backend::Sim`). Without `ascendc/sim` in the tree the
/// sim is legitimately absent and the sim tests skip; with it, a missing sim means the kernels
/// or the emulator failed to compile, which fails the test (with the build's reason).
pub fn require_sim() -> bool {
    if sim::available() {
        return true;
    }
    assert!(
        !std::path::Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/ascendc/sim/kernel_operator.h"
        ))
        .exists(),
        "ascendc/sim is present but Backend::Sim is not available: {:?}",
        ascend_kernels::device::emulator::unavailable_reason()
    );
    eprintln!("skipping: this build has no AscendC sim");
    false
}

/// A config (target's core count) for every compiled variant of `kernel`, from the emulator's
/// generated unit list.
pub fn configs(kernel: &str) -> Vec<SimConfig> {
    sim::variants()
        .into_iter()
        .filter(|v| v.kernel == kernel)
        .map(|v| SimConfig::new(v.target).with_variant(v.variant))
        .collect()
}

/// The message of a failure the emulator reported through the device path: a kernel that broke
/// an AscendC rule (from `aclrtSynchronizeStream`, code 507015 `ACL_ERROR_RT_AICORE_EXCEPTION`,
/// the message starting `kernel ak_<unit>: core N: <API>: ...`) or a launch the emulator refused
/// (from the launcher `ak_<unit>_launch`). Panics on anything else.
pub fn emulator_error<T: std::fmt::Debug>(r: ascend_kernels::Result<T>) -> String {
    match r {
        Err(Error::Runtime {
            runtime,
            api,
            code,
            message,
        }) => {
            assert_eq!(runtime, "emulator");
            assert_ne!(code, 0);
            if api == "aclrtSynchronizeStream" {
                assert_eq!(code, 507_015, "{message}");
                assert!(message.starts_with("kernel ak_"), "{message}");
            } else {
                assert!(
                    api.starts_with("ak_") && api.ends_with("_launch"),
                    "unexpected API {api}: {message}"
                );
            }
            message
        }
        other => panic!("expected an emulator error, got {other:?}"),
    }
}

/// xorshift64 (the seed must not be 0).
pub struct Rng(pub u64);

impl Rng {
    /// The next 64 random bits.
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// Uniform-ish in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// Uniform in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// (mantissa bits incl. the implicit one, minimum normal exponent) of a float dtype.
pub fn fmt_of(d: DType) -> (i32, i32) {
    match d {
        DType::F32 => (24, -126),
        DType::BF16 => (8, -126),
        DType::F16 => (11, -14),
        _ => unreachable!(),
    }
}

/// The unit in the last place of `v` in a format `(p, emin)` (subnormal spacing below the normal
/// range).
pub fn ulp(v: f64, (p, emin): (i32, i32)) -> f64 {
    let e = if v == 0.0 {
        emin
    } else {
        (v.abs().log2().floor() as i32).max(emin)
    };
    2f64.powi(e - p + 1)
}

/// Checks a matmul result `got [m, n]` against the exact `Σ_k xa·wa + bias` with the bound of
/// `docs/numerics.md` (mx_matmul): an f32 accumulation in any order lands within
/// `γ_K · Σ|x w| + ulp_f32/2 + ulp_out/2` of the exact value. `what` names the case. Non-finite
/// exact values must be matched in class (NaN, ±inf); values beyond the output's range must
/// overflow (or saturate).
#[allow(clippy::too_many_arguments)]
pub fn check_bound<O: FloatElement>(
    what: &str,
    got: &[O],
    xa: &[f64],
    wa: &[f64],
    bias: Option<&[f32]>,
    m: usize,
    n: usize,
    k: usize,
) -> Result<(), String> {
    let u = 2f64.powi(-24);
    let gamma = k as f64 * u / (1.0 - k as f64 * u);
    let out_fmt = fmt_of(O::DTYPE);
    let max_out = match O::DTYPE {
        DType::F16 => 65504.0,
        DType::BF16 => f64::from(bf16::MAX.to_f32()),
        _ => f64::from(f32::MAX),
    };
    for i in 0..m {
        for j in 0..n {
            let (mut s, mut abs) = (0.0f64, 0.0f64);
            for t in 0..k {
                let p = xa[i * k + t] * wa[j * k + t];
                s += p;
                abs += p.abs();
            }
            if let Some(b) = bias {
                s += f64::from(b[j]);
            }
            let g = f64::from(got[i * n + j].to_f32());
            let ok = if s.is_nan() {
                g.is_nan()
            } else if s.is_infinite() {
                g == s
            } else if s.abs() > max_out * (1.0 + 2f64.powi(-out_fmt.0)) {
                g.is_infinite() && g.signum() == s.signum() || g.abs() >= max_out
            } else {
                let mag = s.abs().max(g.abs());
                let bound = gamma * abs
                    + ulp(mag, fmt_of(DType::F32)) / 2.0
                    + ulp(mag, out_fmt) / 2.0
                    + 2f64.powi(-50) * abs;
                (g - s).abs() <= bound
            };
            if !ok {
                return Err(format!(
                    "{what}: out[{i}, {j}] = {g:e}, exact {s:e} (sum |x w| {abs:e}, K {k})"
                ));
            }
        }
    }
    Ok(())
}
