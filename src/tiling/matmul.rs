//! Tiling of the cube `matmul` kernel (`codegen/src/kernels/matmul.rs`): output tiles of
//! `base_m × base_n` dealt round-robin to the cube cores, K staged into L1 in chunks of `k_l1`
//! and fed to L0A/L0B in steps of `base_k`. The memory accounting mirrors the kernel's
//! `InitBuffer` calls buffer for buffer; the capacities are the sim's (docs/sim.md, cube subset).

use super::{align_up, Knobs, Target, TilingError};

/// Rows (and 16-bit columns) of a cube fractal.
pub const FRACTAL: u32 = 16;
/// Largest output tile side the planner picks.
pub const MAX_BASE: u32 = 256;
/// Largest K the kernel takes (`Nd2NzParams::srcDValue` is 16-bit on a2).
pub const MAX_K: u32 = 65_535;
/// Largest L1 staging depth (`k_l1 / base_k`) the planner picks.
pub const MAX_L1_DEPTH: u32 = 8;

/// Cube cores the planner spreads tiles over, from a vector-core count (AIC:AIV = 1:2).
pub fn cube_cores(vector_cores: u32) -> u32 {
    vector_cores.div_ceil(2).max(1)
}

/// What `matmul` is asked to do (16-bit operands).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MatmulShape {
    /// Rows of x and of the output.
    pub m: u32,
    /// Rows of w, columns of the output.
    pub n: u32,
    /// Inner dimension.
    pub k: u32,
}

/// The plan: launch geometry and tiling fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MatmulPlan {
    /// Cores to launch (0: nothing to do).
    pub block_dim: u32,
    /// Output tile rows (multiple of 16).
    pub base_m: u32,
    /// Output tile columns (multiple of 16).
    pub base_n: u32,
    /// K per Mmad (multiple of 16).
    pub base_k: u32,
    /// K per L1 chunk (multiple of `base_k`).
    pub k_l1: u32,
    /// `ceil(n / base_n)`.
    pub tiles_n: u32,
    /// `ceil(m / base_m) * tiles_n`.
    pub tiles: u32,
}

/// Bytes of the bias buffers (L1 `C1` and the bias table `C2`, `base_n` floats each) every
/// kernel of the family allocates (`ascendc/include/ak_block_mmad.h`, `AkBlockMmad::Init`).
pub fn bias_bytes(p: &MatmulPlan) -> u64 {
    (u64::from(p.base_n) * 4).div_ceil(32) * 32
}

/// Bytes one core allocates in (L1, L0A, L0B, L0C) for a plan (mirrors the kernel's `Init`; the
/// bias table holds [`bias_bytes`]).
pub fn usage(knobs: Knobs, p: &MatmulPlan) -> (u64, u64, u64, u64) {
    let r = |n: u64| n.div_ceil(32) * 32;
    let bn = u64::from(knobs.buffer_num);
    let (bm, bnn, bk, kl1) = (
        u64::from(p.base_m),
        u64::from(p.base_n),
        u64::from(p.base_k),
        u64::from(p.k_l1),
    );
    (
        bn * (r(bm * kl1 * 2) + r(bnn * kl1 * 2)) + bias_bytes(p),
        bn * r(bm * bk * 2),
        bn * r(bnn * bk * 2),
        r(bm * bnn * 4),
    )
}

/// Checks a plan against the target's capacities and the kernel's alignment rules.
pub fn check(target: Target, knobs: Knobs, p: &MatmulPlan) -> Result<(), TilingError> {
    let err = |s: String| Err(TilingError(format!("matmul: {s}")));
    for (name, v) in [
        ("base_m", p.base_m),
        ("base_n", p.base_n),
        ("base_k", p.base_k),
    ] {
        if v == 0 || v % FRACTAL != 0 || v > MAX_BASE {
            return err(format!(
                "{name} = {v} must be a multiple of 16 in [16, {MAX_BASE}]"
            ));
        }
    }
    if p.k_l1 == 0 || p.k_l1 % p.base_k != 0 {
        return err(format!(
            "k_l1 = {} is not a multiple of base_k = {}",
            p.k_l1, p.base_k
        ));
    }
    let (l1, l0a, l0b, l0c) = usage(knobs, p);
    let caps = target.caps();
    let limits = [
        ("L1", l1, caps.l1_bytes),
        ("L0A", l0a, caps.l0a_bytes),
        ("L0B", l0b, caps.l0b_bytes),
        ("L0C", l0c, caps.l0c_bytes),
        ("the bias table", bias_bytes(p), caps.bt_bytes),
    ];
    for (mem, used, cap) in limits {
        if used > u64::from(cap) {
            return err(format!("{mem} needs {used} B, {target} has {cap} B"));
        }
    }
    Ok(())
}

/// Plans `matmul` for `target` and a variant's `knobs` on at most `vector_cores` vector cores.
pub fn plan(
    target: Target,
    knobs: Knobs,
    vector_cores: u32,
    shape: &MatmulShape,
) -> Result<MatmulPlan, TilingError> {
    if shape.k == 0 || shape.k > MAX_K {
        return Err(TilingError(format!(
            "matmul: K = {} outside [1, {MAX_K}]",
            shape.k
        )));
    }
    if shape.m == 0 || shape.n == 0 {
        return Ok(MatmulPlan {
            block_dim: 0,
            base_m: 0,
            base_n: 0,
            base_k: 0,
            k_l1: 0,
            tiles_n: 0,
            tiles: 0,
        });
    }
    let double = knobs.buffer_num > 1;
    let base_m = align_up(shape.m, FRACTAL).min(128);
    let base_n = align_up(shape.n, FRACTAL).min(if double { 128 } else { 256 });
    let base_k = align_up(shape.k, FRACTAL).min(64);
    let mut p = MatmulPlan {
        block_dim: 0,
        base_m,
        base_n,
        base_k,
        k_l1: base_k,
        tiles_n: shape.n.div_ceil(base_n),
        tiles: shape.m.div_ceil(base_m) * shape.n.div_ceil(base_n),
    };
    check(target, knobs, &p)?;
    // the deepest L1 staging that fits (no deeper than K needs)
    let need = align_up(shape.k, base_k) / base_k;
    for depth in (1..=need.min(MAX_L1_DEPTH)).rev() {
        let q = MatmulPlan {
            k_l1: depth * base_k,
            ..p
        };
        if check(target, knobs, &q).is_ok() {
            p = q;
            break;
        }
    }
    p.block_dim = p.tiles.min(cube_cores(vector_cores));
    Ok(p)
}

/// K granularity of `MmadMx` and of one e8m0 scale pair (two blocks of 32).
pub const MX_PAIR: u32 = 64;
/// Largest `base_k` the MX planner picks.
pub const MX_MAX_BASE_K: u32 = 128;

/// Bytes one core of the a5 native MX kernel (`matmul_mx`) uses: L1 (data + scales), L0A, L0B,
/// L0C, and the end of the used part of the L0A_MX / L0B_MX scale areas (mirrors its `Init`; the
/// bias table holds [`bias_bytes`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MxUsage {
    /// L1: fp8 x and w chunks plus their scale fractals, per buffer, and the bias row.
    pub l1: u64,
    /// L0A.
    pub l0a: u64,
    /// L0B.
    pub l0b: u64,
    /// L0C.
    pub l0c: u64,
    /// Highest byte + 1 of the L0A_MX scale area written.
    pub l0a_mx: u64,
    /// Highest byte + 1 of the L0B_MX scale area written.
    pub l0b_mx: u64,
}

/// The memory use of a `matmul_mx` plan.
pub fn usage_mx(knobs: Knobs, p: &MatmulPlan) -> MxUsage {
    let r = |n: u64| n.div_ceil(32) * 32;
    let bn = u64::from(knobs.buffer_num);
    let (bm, bnn, bk, kl1) = (
        u64::from(p.base_m),
        u64::from(p.base_n),
        u64::from(p.base_k),
        u64::from(p.k_l1),
    );
    // the last L0 buffer starts at (bn - 1) * rows * base_k; its scales at that / 16, one 32-B
    // fractal per 16 rows per 64 of K
    let mx_end = |rows: u64| ((bn - 1) * r(rows * bk)) / 16 + rows.div_ceil(16) * (bk / 64) * 32;
    MxUsage {
        l1: bn * (r(bm * kl1) + r(bnn * kl1) + r(bm * kl1 / 32) + r(bnn * kl1 / 32))
            + bias_bytes(p),
        l0a: bn * r(bm * bk),
        l0b: bn * r(bnn * bk),
        l0c: r(bm * bnn * 4),
        l0a_mx: mx_end(bm),
        l0b_mx: mx_end(bnn),
    }
}

/// Checks a plan of the a5 native MX kernel `matmul_mx`: a5 only; `base_m`, `base_n` multiples
/// of 16 in [16, 256]; `base_k` a multiple of 64 in [64, 256] (`MmadMx` takes K in multiples of
/// 64, and it keeps every L0A/L0B buffer 1024-B aligned as `MmadMx` requires for fp8); `k_l1` a
/// multiple of `base_k`; L1, L0A, L0B, L0C and both scale areas within the target's capacities.
pub fn check_mx(target: Target, knobs: Knobs, p: &MatmulPlan) -> Result<(), TilingError> {
    let err = |s: String| Err(TilingError(format!("matmul_mx: {s}")));
    if target != Target::A5 {
        return err(format!(
            "the native MX cube path (MX LoadData, MmadMx) exists only on a5, not on {target}"
        ));
    }
    for (name, v) in [("base_m", p.base_m), ("base_n", p.base_n)] {
        if v == 0 || v % FRACTAL != 0 || v > MAX_BASE {
            return err(format!(
                "{name} = {v} must be a multiple of 16 in [16, {MAX_BASE}]"
            ));
        }
    }
    if p.base_k == 0 || p.base_k % MX_PAIR != 0 || p.base_k > MAX_BASE {
        return err(format!(
            "base_k = {} must be a multiple of 64 in [64, {MAX_BASE}]",
            p.base_k
        ));
    }
    if p.k_l1 == 0 || p.k_l1 % p.base_k != 0 {
        return err(format!(
            "k_l1 = {} is not a multiple of base_k = {}",
            p.k_l1, p.base_k
        ));
    }
    let u = usage_mx(knobs, p);
    let caps = target.caps();
    let limits = [
        ("L1", u.l1, caps.l1_bytes),
        ("L0A", u.l0a, caps.l0a_bytes),
        ("L0B", u.l0b, caps.l0b_bytes),
        ("L0C", u.l0c, caps.l0c_bytes),
        ("the bias table", bias_bytes(p), caps.bt_bytes),
        // The scales of an L0A/L0B operand at address `a` live at `a / 16` of its MX area
        // (asc-devkit `LoadData_2D_MX.md`).
        ("the L0A_MX scale area", u.l0a_mx, caps.mx_scale_area_bytes),
        ("the L0B_MX scale area", u.l0b_mx, caps.mx_scale_area_bytes),
    ];
    for (mem, used, cap) in limits {
        if used > u64::from(cap) {
            return err(format!("{mem} needs {used} B, {target} has {cap} B"));
        }
    }
    Ok(())
}

/// Plans the a5 native MX kernel `matmul_mx`: `base_m = min(align16(M), 128)`, `base_n =
/// min(align16(N), 128 (v0) / 256 (v1))`, `base_k = min(align64(K), 128)`, the deepest L1 staging
/// that fits (at most [`MAX_L1_DEPTH`], no deeper than K needs), one tile per cube core at a time.
pub fn plan_mx(
    target: Target,
    knobs: Knobs,
    vector_cores: u32,
    shape: &MatmulShape,
) -> Result<MatmulPlan, TilingError> {
    if shape.k == 0 || shape.k > MAX_K {
        return Err(TilingError(format!(
            "matmul_mx: K = {} outside [1, {MAX_K}]",
            shape.k
        )));
    }
    if shape.m == 0 || shape.n == 0 {
        return Ok(MatmulPlan {
            block_dim: 0,
            base_m: 0,
            base_n: 0,
            base_k: 0,
            k_l1: 0,
            tiles_n: 0,
            tiles: 0,
        });
    }
    let double = knobs.buffer_num > 1;
    let base_m = align_up(shape.m, FRACTAL).min(128);
    let base_n = align_up(shape.n, FRACTAL).min(if double { 128 } else { 256 });
    let base_k = align_up(shape.k, MX_PAIR).min(MX_MAX_BASE_K);
    let mut p = MatmulPlan {
        block_dim: 0,
        base_m,
        base_n,
        base_k,
        k_l1: base_k,
        tiles_n: shape.n.div_ceil(base_n),
        tiles: shape.m.div_ceil(base_m) * shape.n.div_ceil(base_n),
    };
    check_mx(target, knobs, &p)?;
    let need = align_up(shape.k, base_k) / base_k;
    for depth in (1..=need.min(MAX_L1_DEPTH)).rev() {
        let q = MatmulPlan {
            k_l1: depth * base_k,
            ..p
        };
        if check_mx(target, knobs, &q).is_ok() {
            p = q;
            break;
        }
    }
    p.block_dim = p.tiles.min(cube_cores(vector_cores));
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    const V0: Knobs = Knobs {
        buffer_num: 2,
        ub_share_pct: 100,
    };
    const V1: Knobs = Knobs {
        buffer_num: 1,
        ub_share_pct: 100,
    };

    #[test]
    fn plans_fit_and_cover() {
        for t in Target::ALL {
            for knobs in [V0, V1] {
                for &(m, n, k) in &[
                    (1, 1, 1),
                    (1, 4096, 4096),
                    (17, 33, 100),
                    (4096, 4096, 65535),
                ] {
                    let p = plan(t, knobs, 40, &MatmulShape { m, n, k }).unwrap();
                    check(t, knobs, &p).unwrap();
                    assert!(p.base_m * p.tiles.div_ceil(p.tiles_n) >= m);
                    assert!(p.base_n * p.tiles_n >= n);
                    assert!(p.block_dim >= 1 && p.block_dim <= 20);
                }
            }
        }
    }

    #[test]
    fn mx_plans_fit_and_cover() {
        for knobs in [V0, V1] {
            for &(m, n, k) in &[
                (1, 1, 1),
                (1, 4096, 4096),
                (17, 33, 100),
                (4096, 4096, 65535),
            ] {
                let p = plan_mx(Target::A5, knobs, 40, &MatmulShape { m, n, k }).unwrap();
                check_mx(Target::A5, knobs, &p).unwrap();
                assert_eq!(p.base_k % MX_PAIR, 0);
                assert!(p.base_m * p.tiles.div_ceil(p.tiles_n) >= m);
                assert!(p.base_n * p.tiles_n >= n);
                assert!(p.block_dim >= 1 && p.block_dim <= 20);
            }
        }
    }

    #[test]
    fn bad_mx_plans_are_named() {
        let p = MatmulPlan {
            block_dim: 1,
            base_m: 128,
            base_n: 128,
            base_k: 128,
            k_l1: 256,
            tiles_n: 1,
            tiles: 1,
        };
        assert!(check_mx(Target::A5, V0, &p).is_ok());
        let e = check_mx(Target::A2, V0, &p).unwrap_err();
        assert!(e.0.contains("only on a5"), "{e}");
        let q = MatmulPlan { base_k: 96, ..p };
        assert!(check_mx(Target::A5, V0, &q)
            .unwrap_err()
            .0
            .contains("base_k"));
        let q = MatmulPlan {
            base_m: 256,
            base_k: 256,
            ..p
        };
        let e = check_mx(Target::A5, V0, &q).unwrap_err();
        assert!(e.0.contains("L0A needs 131072 B"), "{e}");
        // v1 fits the same L0A; the scale area ends at 256/16 * 4 * 32 = 2048 B
        assert!(check_mx(Target::A5, V1, &q).is_ok());
        assert_eq!(usage_mx(V1, &q).l0a_mx, 2048);
        assert!(plan_mx(Target::A2, V0, 4, &MatmulShape { m: 1, n: 1, k: 64 }).is_err());
    }

    #[test]
    fn bad_plans_are_named() {
        let p = MatmulPlan {
            block_dim: 1,
            base_m: 256,
            base_n: 256,
            base_k: 16,
            k_l1: 16,
            tiles_n: 1,
            tiles: 1,
        };
        let e = check(Target::A2, V1, &p).unwrap_err();
        assert!(e.0.contains("L0C"), "{e}");
        assert!(check(Target::A5, V1, &p).is_ok());
        let q = MatmulPlan { base_k: 24, ..p };
        assert!(check(Target::A5, V1, &q).unwrap_err().0.contains("base_k"));
        assert!(plan(Target::A2, V0, 4, &MatmulShape { m: 1, n: 1, k: 0 }).is_err());
    }
}
