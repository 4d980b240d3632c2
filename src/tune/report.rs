//! Choosing variants from a sweep and writing them out: the markdown table of
//! `docs/tuning.md` and the generated `src/tiling/tuned.rs`.

use super::sweep::{Phase, Point};
use std::collections::BTreeMap;
use std::fmt::Write;

/// The chosen variant per (kernel, target, phase): the least modelled time summed over the
/// swept shapes of that phase (ties: the first variant name).
pub fn choose(points: &[Point]) -> BTreeMap<(&'static str, &'static str, Phase), &'static str> {
    let mut totals: BTreeMap<(&'static str, &'static str, Phase), BTreeMap<&'static str, f64>> =
        BTreeMap::new();
    for p in points {
        *totals
            .entry((p.kernel, p.target.name(), p.phase))
            .or_default()
            .entry(p.variant)
            .or_default() += p.cost.total_s;
    }
    totals
        .into_iter()
        .map(|(key, per_variant)| {
            let best = per_variant
                .iter()
                .min_by(|a, b| a.1.total_cmp(b.1).then(a.0.cmp(b.0)))
                .map(|(v, _)| *v)
                .unwrap_or("v0");
            (key, best)
        })
        .collect()
}

/// The sweep as a markdown table (times in microseconds), chosen variants marked.
pub fn markdown(points: &[Point]) -> String {
    let chosen = choose(points);
    let mut s = String::new();
    s.push_str(
        "| kernel | model | phase | shape | target | variant | GM MB | vec instrs | cube MMAC | hbm µs | vec µs | cube µs | modelled µs | roofline µs | of roofline |\n\
         |---|---|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for p in points {
        let c = &p.counters;
        let mark = if chosen.get(&(p.kernel, p.target.name(), p.phase)) == Some(&p.variant) {
            " ✓"
        } else {
            ""
        };
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {}{} | {:.2} | {} | {:.1} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {:.0}% |",
            p.kernel,
            p.model,
            p.phase.name(),
            p.shape,
            p.target,
            p.variant,
            mark,
            (c.gm_to_ub_bytes + c.ub_to_gm_bytes) as f64 / 1e6,
            c.vector_instrs,
            c.cube_macs as f64 / 1e6,
            p.cost.hbm_s * 1e6,
            p.cost.vector_s * 1e6,
            p.cost.cube_s * 1e6,
            p.cost.total_s * 1e6,
            p.cost.roofline_s * 1e6,
            100.0 * p.cost.roofline_s / p.cost.total_s,
        );
    }
    s
}

/// The generated `src/tiling/tuned.rs`.
pub fn tuned_rs(points: &[Point]) -> String {
    let mut s = String::from(
        "//! Default variants chosen by `ascend-kernels tune --write` from *modelled* NPU costs\n\
         //! (sim counters against each target's roofline; see `docs/tuning.md`). Generated: do not\n\
         //! edit by hand.\n\n\
         /// `(kernel, target, phase, variant)`: the variant `SimConfig`'s `auto` resolves to.\n\
         pub(crate) const TUNED: &[(&str, &str, &str, &str)] = &[\n",
    );
    for ((kernel, target, phase), variant) in choose(points) {
        let _ = writeln!(
            s,
            "    (\"{kernel}\", \"{target}\", \"{}\", \"{variant}\"),",
            phase.name()
        );
    }
    s.push_str("];\n");
    s
}
