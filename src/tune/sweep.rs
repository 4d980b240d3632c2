//! The variant sweep: every generated kernel × target × compiled variant × Qwen3 shape, run
//! once on the sim for its counters, costed by [`super::model`].

use super::model::{cost, Cost};
use crate::backend::sim::{self, Counters, MatmulArgs, MxOperand, RmsNormArgs, SimConfig};
use crate::error::Result;
use crate::formats::{E4M3, E8M0};
use crate::ops::{MxQuantOptions, RopeCache, RopeOptions};
use crate::tiling::Target;
use half::bf16;

/// Decode (one token) or prefill (512 tokens).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Phase {
    /// One token.
    Decode,
    /// 512 tokens.
    Prefill,
}

impl Phase {
    /// `decode` or `prefill`.
    pub fn name(self) -> &'static str {
        match self {
            Phase::Decode => "decode",
            Phase::Prefill => "prefill",
        }
    }

    fn tokens(self) -> usize {
        match self {
            Phase::Decode => 1,
            Phase::Prefill => 512,
        }
    }
}

/// Qwen3 shapes the sweep uses (from the models' `config.json`).
#[derive(Clone, Copy, Debug)]
pub struct ModelShape {
    /// `0.6B`, `4B`, `8B`.
    pub name: &'static str,
    /// Hidden size.
    pub hidden: usize,
    /// MLP intermediate size.
    pub intermediate: usize,
    /// Query heads.
    pub heads: usize,
    /// Key/value heads.
    pub kv_heads: usize,
}

/// Qwen3-0.6B, 4B and 8B (head_dim 128 for all).
pub const MODELS: [ModelShape; 3] = [
    ModelShape {
        name: "0.6B",
        hidden: 1024,
        intermediate: 3072,
        heads: 16,
        kv_heads: 8,
    },
    ModelShape {
        name: "4B",
        hidden: 2560,
        intermediate: 9728,
        heads: 32,
        kv_heads: 8,
    },
    ModelShape {
        name: "8B",
        hidden: 4096,
        intermediate: 12288,
        heads: 32,
        kv_heads: 8,
    },
];

const HEAD_DIM: usize = 128;

/// One measured point of the sweep.
#[derive(Clone, Debug)]
pub struct Point {
    /// Kernel name (as compiled).
    pub kernel: &'static str,
    /// Model.
    pub model: &'static str,
    /// Phase.
    pub phase: Phase,
    /// Shape, for the table.
    pub shape: String,
    /// Target.
    pub target: Target,
    /// Variant name.
    pub variant: &'static str,
    /// What the sim counted.
    pub counters: Counters,
    /// The modelled cost.
    pub cost: Cost,
}

fn ramp(n: usize, seed: u32) -> Vec<bf16> {
    (0..n)
        .map(|i| {
            bf16::from_f32(
                (((i as u32).wrapping_mul(2_654_435_761) ^ seed) % 2001) as f32 / 500.0 - 2.0,
            )
        })
        .collect()
}

/// Runs one case on `cfg`; returns counters and launches.
type Runner<'a> = Box<dyn Fn(&SimConfig) -> Result<(Counters, u32)> + 'a>;

struct Case<'a> {
    kernel: &'static str,
    shape: String,
    run: Runner<'a>,
}

fn cases(m: &ModelShape, phase: Phase) -> Result<Vec<Case<'static>>> {
    let t = phase.tokens();
    let (h, inter) = (m.hidden, m.intermediate);
    let mut out: Vec<Case<'static>> = Vec::new();

    let x = ramp(t * h, 1);
    let w = ramp(h, 2);
    out.push(Case {
        kernel: "rms_norm",
        shape: format!("[{t}, {h}]"),
        run: Box::new(move |cfg| {
            let mut y = vec![bf16::ZERO; x.len()];
            let args = RmsNormArgs {
                x: &x,
                residual: None,
                weight: &w,
                rows: t,
                cols: h,
                eps: 1e-6,
                mode: crate::ops::RmsNormMode::Hf,
            };
            Ok((sim::rms_norm(cfg, &args, &mut y, None, None)?, 1))
        }),
    });

    let (hq, hk) = (m.heads, m.kv_heads);
    let q = ramp(t * hq * HEAD_DIM, 3);
    let k = ramp(t * hk * HEAD_DIM, 4);
    out.push(Case {
        kernel: "rope_qk",
        shape: format!("q [{t}, {hq}, 128], k [{t}, {hk}, 128]"),
        run: Box::new(move |cfg| {
            let cache = RopeCache::new(1e6, HEAD_DIM, 4096)?;
            let pos: Vec<i64> = (0..t as i64).collect();
            let (mut qo, mut ko) = (vec![bf16::ZERO; q.len()], vec![bf16::ZERO; k.len()]);
            let c = sim::rope_qk(
                cfg,
                &q,
                &k,
                HEAD_DIM,
                &pos,
                &cache,
                &RopeOptions::default(),
                &mut qo,
                &mut ko,
            )?;
            Ok((c, 1))
        }),
    });

    let a = ramp(t * inter, 5);
    out.push(Case {
        kernel: "mx_quant",
        shape: format!("[{t}, {inter}]"),
        run: Box::new(move |cfg| {
            let nb = crate::ops::pair_scale_row(inter);
            let (mut e, mut s) = (vec![0u8; a.len()], vec![E8M0::MIN; t * nb]);
            let c = sim::mx_quant(
                cfg,
                &a,
                t,
                inter,
                &MxQuantOptions::default(),
                &mut e,
                &mut s,
            )?;
            Ok((c, 1))
        }),
    });

    // Weights are dequantized whole, many rows at once: host tiling classes that as "prefill"
    // (more than 16 rows), so they are swept once, there.
    if phase == Phase::Prefill {
        let codes: Vec<u8> = (0..inter * h).map(|i| (i * 37 % 0x7E) as u8).collect();
        let nb = crate::ops::pair_scale_row(h);
        let scales = vec![E8M0::ONE; inter * nb];
        let codes2 = codes.clone();
        out.push(Case {
            kernel: "mx_dequant",
            shape: format!("[{inter}, {h}]"),
            run: Box::new(move |cfg| {
                let mut y = vec![bf16::ZERO; codes.len()];
                let c = sim::mx_dequant(
                    cfg,
                    crate::Fp8Format::E4M3,
                    &codes,
                    &scales,
                    inter,
                    h,
                    &mut y,
                )?;
                Ok((c, 1))
            }),
        });
        let wq: Vec<E4M3> = codes2.into_iter().map(E4M3::from_bits).collect();
        let grid = vec![1e-3f32; inter.div_ceil(128) * h.div_ceil(128)];
        out.push(Case {
            kernel: "fp8_block_dequant",
            shape: format!("[{inter}, {h}] / 128x128"),
            run: Box::new(move |cfg| {
                let mut y = vec![bf16::ZERO; wq.len()];
                let c = sim::fp8_block_dequant(cfg, &wq, &grid, inter, h, [128, 128], &mut y)?;
                Ok((c, 1))
            }),
        });
    }

    // q_proj: [heads*128, hidden]. Prefill matmuls run 0.6B only (the sim computes every MAC).
    if phase == Phase::Decode || m.name == "0.6B" {
        let n = hq * HEAD_DIM;
        let xa = ramp(t * h, 6);
        let wm = ramp(n * h, 7);
        let quant = |v: &[bf16], rows: usize| -> Result<crate::ops::MxTensor> {
            let shape = [rows, h];
            let view = crate::TensorView::new(&shape, v)?;
            crate::ops::mx_quant(&crate::Backend::Cpu, view, &MxQuantOptions::default())
        };
        let (xq, wq) = (quant(&xa, t)?, quant(&wm, n)?);
        out.push(Case {
            kernel: "matmul",
            shape: format!("[{t}, {h}] x [{n}, {h}]"),
            run: Box::new(move |cfg| {
                let mut y = vec![bf16::ZERO; t * n];
                let args = MatmulArgs {
                    x: &xa,
                    w: &wm,
                    bias: None,
                    m: t,
                    n,
                    k: h,
                };
                Ok((sim::matmul(cfg, &args, &mut y)?, 1))
            }),
        });
        // The same q_proj in MXFP8 x MXFP8: on a5 the native kernel (one launch); a2 has no
        // `matmul_mx` variants, so the sweep skips it there (its MX path is two `mx_dequant`
        // launches and one `matmul`, all swept above).
        out.push(Case {
            kernel: "matmul_mx",
            shape: format!("MXFP8 [{t}, {h}] x [{n}, {h}]"),
            run: Box::new(move |cfg| {
                let mut y = vec![bf16::ZERO; t * n];
                Ok((
                    sim::mx_matmul(cfg, &operand(&xq), &operand(&wq), None, t, n, h, &mut y)?,
                    1,
                ))
            }),
        });
    }
    Ok(out)
}

fn operand(q: &crate::ops::MxTensor) -> MxOperand<'_> {
    MxOperand {
        format: q.format,
        elements: q.elements.data(),
        scales: q.scales.data(),
    }
}

/// Runs the sweep over `models` and both phases on both targets, every compiled variant;
/// `progress` gets one line per case.
pub fn run(models: &[ModelShape], mut progress: impl FnMut(&str)) -> Result<Vec<Point>> {
    let variants = sim::variants();
    let mut points = Vec::new();
    for m in models {
        for phase in [Phase::Decode, Phase::Prefill] {
            for case in cases(m, phase)? {
                for target in Target::ALL {
                    for v in variants
                        .iter()
                        .filter(|v| v.kernel == case.kernel && v.target == target)
                    {
                        progress(&format!(
                            "{} {} {} {} {} {}",
                            case.kernel,
                            m.name,
                            phase.name(),
                            case.shape,
                            target,
                            v.variant
                        ));
                        let cfg = SimConfig::new(target).with_variant(v.variant);
                        let (counters, launches) = (case.run)(&cfg)?;
                        points.push(Point {
                            kernel: case.kernel,
                            model: m.name,
                            phase,
                            shape: case.shape.clone(),
                            target,
                            variant: v.variant,
                            counters,
                            cost: cost(
                                target,
                                &counters,
                                v.knobs.buffer_num,
                                launches,
                                case.kernel == "matmul_mx",
                            ),
                        });
                    }
                }
            }
        }
    }
    Ok(points)
}
