//! The per-target roofline figures and the cost model that turns sim counters into a modelled
//! NPU time. Every figure is a public vendor or press figure or an assumption, and says which
//! (`docs/tuning.md` lists the sources). Nothing here has been measured on hardware.

use crate::backend::sim::Counters;
use crate::tiling::Target;

/// Roofline figures of one target.
#[derive(Clone, Copy, Debug)]
pub struct TargetModel {
    /// HBM bandwidth, bytes/s.
    pub hbm_bytes_per_s: f64,
    /// Core clock, Hz (assumed; Huawei does not publish it for these parts).
    pub clock_hz: f64,
    /// Vector cores (AIV).
    pub vector_cores: u32,
    /// Cube cores (AIC).
    pub cube_cores: u32,
    /// Bytes one vector instruction repeat processes per cycle.
    pub vector_bytes_per_cycle: f64,
    /// Fixed issue cost of one vector API call, cycles (assumed).
    pub vector_issue_cycles: f64,
    /// bf16 multiply-accumulates per cycle per cube core.
    pub cube_macs_per_cycle: f64,
    /// Fixed cost of one kernel launch, seconds (assumed).
    pub launch_s: f64,
}

impl TargetModel {
    /// The figures used for `target` (see `docs/tuning.md` for sources and assumptions).
    pub fn of(target: Target) -> Self {
        match target {
            // Atlas A2 (910B class): HBM2e at 1.6 TB/s as commonly quoted for the 910B3/B4
            // (third-party figures vary); AIC/AIV counts from the capacity table (20 + 40); cube 16x16x16 per cycle.
            Target::A2 => TargetModel {
                hbm_bytes_per_s: 1.6e12,
                clock_hz: 1.8e9,
                vector_cores: Target::A2.caps().vector_cores,
                cube_cores: Target::A2.caps().cube_cores,
                vector_bytes_per_cycle: 256.0,
                vector_issue_cycles: 16.0,
                cube_macs_per_cycle: 4096.0,
                launch_s: 5e-6,
            },
            // Ascend 950PR: HiBL 1.0 memory at 1.6 TB/s, 1 PFLOPS FP8 (Huawei Connect 2025);
            // AIC/AIV counts from the capacity table (28 + 56); bf16 cube at half the FP8 rate.
            Target::A5 => TargetModel {
                hbm_bytes_per_s: 1.6e12,
                clock_hz: 1.8e9,
                vector_cores: Target::A5.caps().vector_cores,
                cube_cores: Target::A5.caps().cube_cores,
                vector_bytes_per_cycle: 256.0,
                vector_issue_cycles: 16.0,
                cube_macs_per_cycle: 0.5e15 / 2.0 / Target::A5.caps().cube_cores as f64 / 1.8e9,
                launch_s: 5e-6,
            },
        }
    }
}

/// The modelled cost of one launch (or a sequence of launches) from its counters.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Cost {
    /// HBM time of the busiest core at its share of the bandwidth, seconds.
    pub hbm_s: f64,
    /// Vector time of an average core (issue cost + bytes at the vector width), seconds.
    pub vector_s: f64,
    /// Cube time, seconds.
    pub cube_s: f64,
    /// Modelled total: overlapped pipes with double buffering, serialized without, plus launch.
    pub total_s: f64,
    /// The roofline bound: all bytes at full bandwidth or all work at full compute.
    pub roofline_s: f64,
}

/// Elements of vector work are costed at 4 bytes (most of the kernels compute in f32).
const VECTOR_ELEM_BYTES: f64 = 4.0;

/// Models `counters` of `launches` kernel launches run with queue depth `buffer_num`; `fp8_cube`
/// costs cube work at the FP8 rate (twice bf16's, as both targets' figures have it).
pub fn cost(
    target: Target,
    counters: &Counters,
    buffer_num: u32,
    launches: u32,
    fp8_cube: bool,
) -> Cost {
    let m = TargetModel::of(target);
    let blocks = f64::from(counters.blocks.max(1));
    let total_bytes = (counters.gm_to_ub_bytes + counters.ub_to_gm_bytes) as f64;
    let hbm_s = counters.max_core_gm_bytes as f64 * blocks / m.hbm_bytes_per_s;
    let cycles = counters.vector_instrs as f64 * m.vector_issue_cycles
        + counters.vector_elems as f64 * VECTOR_ELEM_BYTES / m.vector_bytes_per_cycle;
    let vector_s = cycles / blocks / m.clock_hz;
    let cube_rate = if fp8_cube { 2.0 } else { 1.0 } * m.cube_macs_per_cycle;
    let cube_s = counters.cube_macs as f64 / (f64::from(m.cube_cores) * cube_rate * m.clock_hz);
    let pipes = if buffer_num >= 2 {
        hbm_s.max(vector_s).max(cube_s)
    } else {
        hbm_s + vector_s + cube_s
    };
    let launch = f64::from(launches) * m.launch_s;
    let ideal_vector = counters.vector_elems as f64 * VECTOR_ELEM_BYTES
        / (m.vector_bytes_per_cycle * f64::from(m.vector_cores) * m.clock_hz);
    let roofline_s = (total_bytes / m.hbm_bytes_per_s)
        .max(ideal_vector)
        .max(cube_s);
    Cost {
        hbm_s,
        vector_s,
        cube_s,
        total_s: pipes + launch,
        roofline_s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counters(bytes: u64, instrs: u64, elems: u64, blocks: u32) -> Counters {
        Counters {
            gm_to_ub_bytes: bytes / 2,
            ub_to_gm_bytes: bytes / 2,
            vector_instrs: instrs,
            vector_elems: elems,
            max_core_gm_bytes: bytes / u64::from(blocks),
            blocks,
            ..Default::default()
        }
    }

    #[test]
    fn double_buffering_overlaps_and_single_buffering_adds() {
        let c = counters(1 << 30, 1000, 1 << 26, 40);
        let (two, one) = (
            cost(Target::A2, &c, 2, 1, false),
            cost(Target::A2, &c, 1, 1, false),
        );
        let launch = TargetModel::of(Target::A2).launch_s;
        assert!((two.total_s - launch - two.hbm_s.max(two.vector_s)).abs() < 1e-12);
        assert!((one.total_s - launch - (one.hbm_s + one.vector_s)).abs() < 1e-12);
        assert!(one.total_s > two.total_s);
        // 1 GiB at 1.6 TB/s.
        assert!((two.roofline_s - (1u64 << 30) as f64 / 1.6e12).abs() < 1e-9);
    }

    #[test]
    fn an_unbalanced_launch_costs_its_busiest_core() {
        let mut c = counters(1 << 20, 10, 1 << 10, 8);
        let balanced = cost(Target::A5, &c, 2, 1, false).hbm_s;
        c.max_core_gm_bytes *= 2;
        assert!((cost(Target::A5, &c, 2, 1, false).hbm_s - 2.0 * balanced).abs() < 1e-15);
    }
}
