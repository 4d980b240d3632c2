//! Fused NeoX (half-rotation) RoPE on Q and K with a host-built cos/sin cache.

use crate::backend::{cpu, Backend, Op};
use crate::device::{self, host::HostRun, Exec};
use crate::error::{Error, Result};
use crate::formats::{DType, FloatElement};
use crate::tensor::{Tensor, TensorView};

/// Positions are exact in f32 below this bound (2^24), the largest a cache may cover.
pub const MAX_POSITIONS: usize = 1 << 24;

/// The cos/sin table, built on the host and gathered by position on every backend: the row of
/// position `p` is `[cos(θ_0..θ_{d/2-1}), sin(θ_0..θ_{d/2-1})]` in f32 for `d = rotary_dim`, with
/// `θ_i = f32(p * inv_freq[i])` and `inv_freq[i] = 1 / theta^(2i/d)` with HF's rounding points.
///
/// A cache covers either the positions `0..max_positions` ([`RopeCache::new`],
/// [`RopeCache::from_table`]: row `p` is position `p`) or exactly the positions a request uses
/// ([`RopeCache::for_positions`]: one row per distinct position, whatever their values), so its
/// size never depends on how large a position is.
#[derive(Clone, Debug, PartialEq)]
pub struct RopeCache {
    rotary_dim: usize,
    /// The position of each row, ascending, for a cache of chosen positions; `None` when row
    /// `p` is position `p`.
    positions: Option<Vec<u32>>,
    table: Vec<f32>,
}

/// `inv_freq[i] = f32(1 / f32(theta^f32(2i / d)))` for `i < d/2`.
fn inv_freq(theta: f64, rotary_dim: usize) -> Vec<f32> {
    (0..rotary_dim / 2)
        .map(|i| {
            let exponent = (2 * i) as f32 / rotary_dim as f32;
            let power = theta.powf(exponent as f64) as f32;
            1.0f32 / power
        })
        .collect()
}

/// Fills `row` (cos half, then sin half) for position `p`.
fn fill_row(row: &mut [f32], p: u32, inv_freq: &[f32]) {
    let (cos, sin) = row.split_at_mut(inv_freq.len());
    for (i, f) in inv_freq.iter().enumerate() {
        let angle = (p as f32 * f) as f64;
        cos[i] = angle.cos() as f32;
        sin[i] = angle.sin() as f32;
    }
}

fn check_theta_and_dim(theta: f64, rotary_dim: usize) -> Result<()> {
    if !(theta.is_finite() && theta > 1.0) {
        return Err(Error::option(
            "theta",
            format!("must be finite and > 1, got {theta}"),
        ));
    }
    if rotary_dim == 0 || rotary_dim % 2 != 0 {
        return Err(Error::option(
            "rotary_dim",
            format!("must be even and positive, got {rotary_dim}"),
        ));
    }
    Ok(())
}

/// Holds a table of `rows` rows (and its `inv_freq`) to the budget before it is built.
fn plan_table(rows: usize, rotary_dim: usize) -> Result<()> {
    if rows == 0 {
        return Ok(());
    }
    let mut plan = super::plan("rope cache");
    plan.buffer("inv_freq", Some(rotary_dim / 2), 4)?;
    plan.buffer("cos_sin_cache", rows.checked_mul(rotary_dim), 4)
}

impl RopeCache {
    /// Builds the table for positions `0..max_positions` (at most 2^24).
    ///
    /// `inv_freq[i] = f32(1 / f32(theta^f32(2i / d)))` — HF's rounding points — with the power,
    /// cosine and sine evaluated in f64 and rounded once to f32 (correctly rounded, where torch's
    /// f32 `pow`, `cos` and `sin` may be an ulp off; see `docs/numerics.md`). The table is held
    /// to the [budget](crate::budget::Budget) before it is allocated.
    pub fn new(theta: f64, rotary_dim: usize, max_positions: usize) -> Result<Self> {
        check_theta_and_dim(theta, rotary_dim)?;
        if max_positions == 0 || max_positions > MAX_POSITIONS {
            return Err(Error::option(
                "max_positions",
                format!("must be in 1..=2^24 (positions are exact in f32), got {max_positions}"),
            ));
        }
        plan_table(max_positions, rotary_dim)?;
        let inv_freq = inv_freq(theta, rotary_dim);
        let mut table = vec![0.0f32; max_positions * rotary_dim];
        for (p, row) in table.chunks_mut(rotary_dim).enumerate() {
            fill_row(row, p as u32, &inv_freq);
        }
        Ok(RopeCache {
            rotary_dim,
            positions: None,
            table,
        })
    }

    /// Builds rows for exactly the distinct positions in `positions` (each in `0..2^24`; an
    /// empty list gives an empty cache), with the values [`RopeCache::new`] gives them: the cache
    /// costs `distinct positions x rotary_dim` floats however large the positions are. The
    /// positions and the table size are checked before anything is allocated.
    pub fn for_positions(theta: f64, rotary_dim: usize, positions: &[i64]) -> Result<Self> {
        check_theta_and_dim(theta, rotary_dim)?;
        check_positions(positions)?;
        let mut rows: Vec<u32> = positions.iter().map(|&p| p as u32).collect();
        rows.sort_unstable();
        rows.dedup();
        plan_table(rows.len(), rotary_dim)?;
        let inv_freq = if rows.is_empty() {
            Vec::new()
        } else {
            inv_freq(theta, rotary_dim)
        };
        let mut table = vec![0.0f32; rows.len() * rotary_dim];
        for (&p, row) in rows.iter().zip(table.chunks_mut(rotary_dim)) {
            fill_row(row, p, &inv_freq);
        }
        Ok(RopeCache {
            rotary_dim,
            positions: Some(rows),
            table,
        })
    }

    /// Wraps a table computed elsewhere (e.g. dumped from torch): `[max_positions, rotary_dim]`,
    /// each row the cos half then the sin half; row `p` is position `p`.
    pub fn from_table(rotary_dim: usize, table: Vec<f32>) -> Result<Self> {
        if rotary_dim == 0
            || rotary_dim % 2 != 0
            || table.is_empty()
            || table.len() % rotary_dim != 0
            || table.len() / rotary_dim > MAX_POSITIONS
        {
            return Err(Error::shape(
                "cos_sin_cache",
                format!("[positions <= 2^24, {rotary_dim}] with an even, positive rotary_dim"),
                &[table.len()],
            ));
        }
        Ok(RopeCache {
            rotary_dim,
            positions: None,
            table,
        })
    }

    /// Rotary dimension `d`.
    pub fn rotary_dim(&self) -> usize {
        self.rotary_dim
    }

    /// One past the largest position covered (0 for an empty cache). Every position below it
    /// is covered when the cache was made by [`RopeCache::new`] or [`RopeCache::from_table`];
    /// see [`RopeCache::covers`] for one made by [`RopeCache::for_positions`].
    pub fn max_positions(&self) -> usize {
        match &self.positions {
            None => self.rows(),
            Some(p) => p.last().map_or(0, |&l| l as usize + 1),
        }
    }

    /// Number of rows in the table.
    pub fn rows(&self) -> usize {
        self.table.len() / self.rotary_dim
    }

    /// The table, `[rows, rotary_dim]` row-major (row `i` is position `i` unless the cache was
    /// made by [`RopeCache::for_positions`]; then rows follow the ascending distinct positions).
    pub fn table(&self) -> &[f32] {
        &self.table
    }

    /// The index of position `p`'s row, if the cache covers `p`.
    pub fn row_index(&self, p: i64) -> Option<usize> {
        let p = usize::try_from(p).ok()?;
        match &self.positions {
            None => (p < self.rows()).then_some(p),
            Some(rows) => rows.binary_search(&u32::try_from(p).ok()?).ok(),
        }
    }

    /// True when the cache has a row for position `p`.
    pub fn covers(&self, p: i64) -> bool {
        self.row_index(p).is_some()
    }

    /// The row of position `p` (cos half then sin half), or `None` when `p` is not covered.
    pub fn row(&self, p: i64) -> Option<&[f32]> {
        let i = self.row_index(p)?;
        Some(&self.table[i * self.rotary_dim..][..self.rotary_dim])
    }

    /// Describes what the cache covers, for error messages.
    fn coverage(&self) -> String {
        match &self.positions {
            None => format!("0..{}", self.rows()),
            Some(p) => format!("{} chosen positions", p.len()),
        }
    }

    /// For a backend that gathers rows by index: a cache whose row `i` is position `i` and
    /// the row index of every position (all covered, checked by the caller). A cache of chosen
    /// positions is re-labelled (its table copied); a dense one is used as it is.
    fn by_row_index(&self, positions: &[i64]) -> (std::borrow::Cow<'_, RopeCache>, Vec<i64>) {
        match &self.positions {
            None => (std::borrow::Cow::Borrowed(self), positions.to_vec()),
            Some(_) => {
                let indices = positions
                    .iter()
                    .map(|&p| self.row_index(p).map_or(0, |i| i as i64))
                    .collect();
                let dense = RopeCache {
                    rotary_dim: self.rotary_dim,
                    positions: None,
                    table: self.table.clone(),
                };
                (std::borrow::Cow::Owned(dense), indices)
            }
        }
    }
}

/// Every position must lie in `0..2^24` (exact in f32): the first that does not is named.
fn check_positions(positions: &[i64]) -> Result<()> {
    match positions
        .iter()
        .enumerate()
        .find(|(_, &p)| !(0..MAX_POSITIONS as i64).contains(&p))
    {
        Some((t, p)) => Err(Error::InvalidValue {
            tensor: "positions".to_string(),
            reason: format!("token {t} has position {p}, outside 0..2^24 (exact in f32)"),
        }),
        None => Ok(()),
    }
}

/// The arithmetic of a rotation (`docs/numerics.md`, "rope_qk"); `c`, `s` are a token's cos and
/// sin from the f32 table, `round` rounds to the activation dtype.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum RopeMode {
    /// HF `apply_rotary_pos_emb` (the default): `c`, `s` rounded, every product and sum rounded
    /// to the activation dtype, as torch computes in bf16.
    #[default]
    Hf,
    /// f32 cos/sin and f32 arithmetic, one rounding at the end.
    F32Compute,
    /// `torch_npu.npu_rotary_mul(mode='half')` / `aclnnRotaryPositionEmbedding` (ops-transformer
    /// `rotate_half_bf16.h`): cos/sin in the activation dtype, f32 products and sum, one
    /// round-to-nearest-even at the end (for bf16, f16 and f32 alike).
    AscendRotaryMul,
    /// `aclnnApplyRotaryPosEmb` (ops-transformer `apply_rotary_pos_emb_compute_ab_cast.h`): for
    /// bf16 as `AscendRotaryMul` but the final rounding ties away from zero (`CAST_ROUND`); f16
    /// is computed in f16 (each product and the sum rounded: HF's arithmetic); f32 in f32.
    AscendApplyRotaryPosEmb,
}

impl RopeMode {
    /// Every mode, in the CLI's order.
    pub const ALL: [RopeMode; 4] = [
        RopeMode::Hf,
        RopeMode::F32Compute,
        RopeMode::AscendRotaryMul,
        RopeMode::AscendApplyRotaryPosEmb,
    ];

    /// The CLI spelling.
    pub fn name(self) -> &'static str {
        match self {
            RopeMode::Hf => "hf",
            RopeMode::F32Compute => "f32",
            RopeMode::AscendRotaryMul => "rotary-mul",
            RopeMode::AscendApplyRotaryPosEmb => "apply-rotary-pos-emb",
        }
    }

    /// The target whose hardware operator this mode reproduces (`None`: available everywhere).
    /// Both Ascend operators are built for Atlas A2/A3 only in the ops-transformer sources we
    /// read (`op_host/config/ascend910b`, `ascend910_93`).
    pub fn ascend_target(self) -> Option<crate::tiling::Target> {
        match self {
            RopeMode::Hf | RopeMode::F32Compute => None,
            RopeMode::AscendRotaryMul | RopeMode::AscendApplyRotaryPosEmb => {
                Some(crate::tiling::Target::A2)
            }
        }
    }
}

impl std::str::FromStr for RopeMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        RopeMode::ALL
            .into_iter()
            .find(|m| m.name() == s)
            .ok_or_else(|| {
                format!("unknown rope mode `{s}` (expected hf, f32, rotary-mul or apply-rotary-pos-emb)")
            })
    }
}

/// Options of [`rope_qk`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct RopeOptions {
    /// The arithmetic (default HF).
    pub mode: RopeMode,
}

fn validate_heads<T: FloatElement>(
    name: &str,
    t: &TensorView<'_, T>,
    tokens: usize,
) -> Result<usize> {
    match *t.shape() {
        [n, _, d] if n == tokens && d > 0 => Ok(d),
        _ => Err(Error::shape(
            name,
            format!("[{tokens}, heads, head_dim] (T from positions)"),
            t.shape(),
        )),
    }
}

/// Applies NeoX RoPE to `q [T, Hq, D]` and `k [T, Hk, D]` at `positions [T]`, rotating the
/// first `cache.rotary_dim()` dims of each head (element `i` pairs with `i + d/2`) and passing
/// the rest through. Returns `(q_out, k_out)` in the input dtype.
pub fn rope_qk<T: FloatElement>(
    backend: &Backend,
    q: TensorView<'_, T>,
    k: TensorView<'_, T>,
    positions: &[i64],
    cache: &RopeCache,
    options: &RopeOptions,
) -> Result<(Tensor<T>, Tensor<T>)> {
    let tokens = positions.len();
    let d = validate_heads("q", &q, tokens)?;
    let dk = validate_heads("k", &k, tokens)?;
    if dk != d {
        return Err(Error::shape(
            "k",
            format!("[{tokens}, heads, {d}] (head_dim of q)"),
            k.shape(),
        ));
    }
    if cache.rotary_dim() > d {
        return Err(Error::option(
            "rotary_dim",
            format!("{} exceeds head_dim {d}", cache.rotary_dim()),
        ));
    }
    if let Some((t, &p)) = positions
        .iter()
        .enumerate()
        .find(|(_, &p)| !cache.covers(p))
    {
        return Err(Error::InvalidValue {
            tensor: "positions".to_string(),
            reason: format!(
                "token {t} has position {p}, outside the cache's {}",
                cache.coverage()
            ),
        });
    }
    let outputs = [
        ("q_out", Some(q.len()), T::DTYPE.size()),
        ("k_out", Some(k.len()), T::DTYPE.size()),
    ];
    let inputs = super::nbytes(q.data()) + super::nbytes(k.data()) + super::nbytes(positions);
    // The device path gathers rows by index: a cache of chosen positions is re-labelled (its
    // table copied), and an empty q or k is stood in for by a copy of the other.
    let scratch = (tokens as u64)
        .checked_mul(8)
        .and_then(|b| b.checked_add(super::nbytes(cache.table()) * 2))
        .and_then(|b| b.checked_add(2 * super::nbytes(q.data()).max(super::nbytes(k.data()))));
    super::plan_op("rope_qk", &outputs, inputs, scratch)?;
    let mut q_out = q.data().to_vec();
    let mut k_out = k.data().to_vec();
    if q.is_empty() && k.is_empty() {
        return Ok((
            Tensor::from_parts(q.shape().to_vec(), q_out),
            Tensor::from_parts(k.shape().to_vec(), k_out),
        ));
    }
    let (cache, positions) = match backend {
        Backend::Cpu => (
            std::borrow::Cow::Borrowed(cache),
            std::borrow::Cow::Borrowed(positions),
        ),
        _ => {
            let (c, p) = cache.by_row_index(positions);
            (c, std::borrow::Cow::Owned(p))
        }
    };
    let (cache, positions) = (&*cache, &*positions);
    let run = |q: TensorView<'_, T>, k: TensorView<'_, T>, qo: &mut [T], ko: &mut [T]| {
        backend.run(Rope {
            q,
            k,
            head_dim: d,
            positions,
            cache,
            options,
            q_out: qo,
            k_out: ko,
        })
    };
    if q.is_empty() || k.is_empty() {
        // One side has no heads: the other rotates alone, its copy standing in for the empty one.
        let (full, full_out) = if q.is_empty() {
            (k, &mut k_out)
        } else {
            (q, &mut q_out)
        };
        let stand_in = full.data().to_vec();
        let stand_in = TensorView::new(full.shape(), &stand_in)?;
        let mut dropped = full.data().to_vec();
        run(full, stand_in, full_out, &mut dropped)?;
    } else {
        run(q, k, &mut q_out, &mut k_out)?;
    }
    Ok((
        Tensor::from_parts(q.shape().to_vec(), q_out),
        Tensor::from_parts(k.shape().to_vec(), k_out),
    ))
}

/// The row of `r` (shape `r_shape`, broadcast against `x_shape` on every axis but the last)
/// that row `row` of `x` reads.
fn broadcast_row(x_shape: &[usize], r_shape: &[usize], row: usize) -> usize {
    let lead = x_shape.len() - 1;
    let (mut rest, mut index, mut stride) = (row, 0, 1);
    for axis in (0..lead).rev() {
        let coord = rest % x_shape[axis];
        rest /= x_shape[axis];
        if r_shape[axis] != 1 {
            index += coord * stride;
        }
        stride *= r_shape[axis];
    }
    index
}

fn validate_broadcast<T: FloatElement>(
    name: &str,
    x: &TensorView<'_, T>,
    r: &TensorView<'_, T>,
) -> Result<()> {
    let (xs, rs) = (x.shape(), r.shape());
    let ok = rs.len() == xs.len()
        && rs.last() == xs.last()
        && rs.iter().zip(xs).all(|(&a, &b)| a == b || a == 1);
    if !ok {
        return Err(Error::shape(
            name,
            format!("{xs:?} with axes of size 1 broadcast (the last axis equal), as x"),
            rs,
        ));
    }
    Ok(())
}

/// `torch_npu.npu_rotary_mul(x, r1, r2, rotary_mode='half')`: `y = x·r1 + rotate_half(x)·r2`
/// with `rotate_half(x) = cat(-x2, x1)` over the last axis `D` (even), `r1` (cos) and `r2`
/// (sin) in the dtype of `x`, of `x`'s rank, broadcast on every axis of size 1 but the last.
/// The arithmetic is `mode`'s ([`RopeMode::AscendRotaryMul`] is the NPU's); the cos/sin halves
/// are used as given (element `i < D/2` reads `r[i]`, element `i + D/2` reads `r[i + D/2]`).
///
/// On a device backend the generated `rope_qk` kernel runs, which shares one cos/sin half
/// between both halves: there `r1` and `r2` must repeat their first half (as `cat(freqs, freqs)`
/// tables do).
pub fn rotary_mul<T: FloatElement>(
    backend: &Backend,
    x: TensorView<'_, T>,
    r1: TensorView<'_, T>,
    r2: TensorView<'_, T>,
    mode: RopeMode,
) -> Result<Tensor<T>> {
    let (rows, d) = super::rows_and_last("x", &x)?;
    if d % 2 != 0 {
        return Err(Error::shape(
            "x",
            "an even last axis (rotate_half splits it in two)",
            x.shape(),
        ));
    }
    validate_broadcast("r1", &x, &r1)?;
    validate_broadcast("r2", &x, &r2)?;
    let half = d / 2;
    let (xs, s1, s2) = (x.shape(), r1.shape(), r2.shape());
    // the device path's f32 cos/sin table (at most one row per row of x) and i64 positions
    let scratch = (rows as u64)
        .checked_mul(d as u64)
        .and_then(|n| n.checked_mul(4))
        .and_then(|b| b.checked_add((rows as u64).checked_mul(8)?));
    let inputs = super::nbytes(x.data()) + super::nbytes(r1.data()) + super::nbytes(r2.data());
    super::plan_op(
        "rotary_mul",
        &[("y", Some(x.len()), T::DTYPE.size())],
        inputs,
        scratch,
    )?;
    if x.is_empty() {
        return Ok(Tensor::from_parts(xs.to_vec(), Vec::new()));
    }
    match backend {
        Backend::Cpu => {
            let mut out = x.data().to_vec();
            use rayon::prelude::*;
            out.par_chunks_mut(d).enumerate().for_each(|(row, o)| {
                let c = &r1.data()[broadcast_row(xs, s1, row) * d..][..d];
                let s = &r2.data()[broadcast_row(xs, s2, row) * d..][..d];
                let xr = &x.data()[row * d..][..d];
                for i in 0..half {
                    let lo = cpu::rope::rotate_pair(
                        xr[i],
                        xr[i + half],
                        c[i].to_f32(),
                        s[i].to_f32(),
                        mode,
                    );
                    let hi = cpu::rope::rotate_pair(
                        xr[i],
                        xr[i + half],
                        c[i + half].to_f32(),
                        s[i + half].to_f32(),
                        mode,
                    );
                    o[i] = lo.0;
                    o[i + half] = hi.1;
                }
            });
            Ok(Tensor::from_parts(xs.to_vec(), out))
        }
        _ => {
            // a device backend: one cos/sin table row per row of x (or per row of r1 when r1 and r2 broadcast alike)
            let shared = s1 == s2;
            let table_rows = if shared { r1.len() / d } else { rows };
            if table_rows > 1 << 24 {
                return Err(Error::shape(
                    "x",
                    "at most 2^24 distinct cos/sin rows on the sim",
                    xs,
                ));
            }
            let mut table = vec![0.0f32; table_rows * d];
            for (p, row) in table.chunks_mut(d).enumerate() {
                let (i1, i2) = if shared {
                    (p, p)
                } else {
                    (broadcast_row(xs, s1, p), broadcast_row(xs, s2, p))
                };
                let (c, s) = (&r1.data()[i1 * d..][..d], &r2.data()[i2 * d..][..d]);
                for i in 0..half {
                    if c[i].to_bits_u32() != c[i + half].to_bits_u32()
                        || s[i].to_bits_u32() != s[i + half].to_bits_u32()
                    {
                        return Err(Error::InvalidValue {
                            tensor: if c[i].to_bits_u32() != c[i + half].to_bits_u32() {
                                "r1".into()
                            } else {
                                "r2".into()
                            },
                            reason: format!(
                                "row {} has different halves at {i} and {}: the device rope kernel shares one cos/sin half (use the cpu backend)",
                                if c[i].to_bits_u32() != c[i + half].to_bits_u32() { i1 } else { i2 },
                                i + half
                            ),
                        });
                    }
                }
                row[..half]
                    .iter_mut()
                    .zip(c)
                    .for_each(|(t, v)| *t = v.to_f32());
                row[half..]
                    .iter_mut()
                    .zip(s)
                    .for_each(|(t, v)| *t = v.to_f32());
            }
            let positions: Vec<i64> = (0..rows)
                .map(|row| {
                    if shared {
                        broadcast_row(xs, s1, row) as i64
                    } else {
                        row as i64
                    }
                })
                .collect();
            let cache = RopeCache::from_table(d, table)?;
            let (q_shape, k_shape) = ([rows, 1, d], [rows, 0, d]);
            let q = TensorView::new(&q_shape, x.data())?;
            let empty: [T; 0] = [];
            let k = TensorView::new(&k_shape, &empty)?;
            let (y, _) = rope_qk(backend, q, k, &positions, &cache, &RopeOptions { mode })?;
            Ok(Tensor::from_parts(xs.to_vec(), y.into_data()))
        }
    }
}

/// One validated `rope_qk`; `q_out`, `k_out` start as copies of `q`, `k`.
struct Rope<'a, 'o, T> {
    q: TensorView<'a, T>,
    k: TensorView<'a, T>,
    head_dim: usize,
    positions: &'a [i64],
    cache: &'a RopeCache,
    options: &'a RopeOptions,
    q_out: &'o mut [T],
    k_out: &'o mut [T],
}

impl<T: FloatElement> Op for Rope<'_, '_, T> {
    type Output = ();

    fn cpu(self) -> Result<()> {
        let (d, p, c, o) = (self.head_dim, self.positions, self.cache, self.options);
        cpu::rope::apply(self.q_out, d, p, c, o);
        cpu::rope::apply(self.k_out, d, p, c, o);
        Ok(())
    }

    fn device(self, exec: &Exec) -> Result<()> {
        // Positions were checked against the cache (0..max_positions, and max_positions <=
        // 2^24), so they fit the kernel's int32.
        let pos: Vec<i32> = self.positions.iter().map(|&p| p as i32).collect();
        let mut run = HostRun::new(exec)?;
        let qs = run.input(self.q.data())?;
        let ks = run.input(self.k.data())?;
        let ps = run.input(&pos)?;
        let cs = run.input(self.cache.table())?;
        let qo = run.output_for::<T>(self.q_out.len())?;
        let ko = run.output_for::<T>(self.k_out.len())?;
        let (dt, tokens) = (T::DTYPE, [pos.len()]);
        let table = [self.cache.max_positions(), self.cache.rotary_dim()];
        device::ops::rope_qk(
            exec,
            run.stream(),
            run.tensor(qs, self.q.shape(), dt),
            run.tensor(ks, self.k.shape(), dt),
            run.tensor(ps, &tokens, DType::I32),
            run.tensor(cs, &table, DType::F32),
            run.tensor(qo, self.q.shape(), dt),
            run.tensor(ko, self.k.shape(), dt),
            self.options,
        )?;
        run.sync()?;
        run.download(qo, self.q_out)?;
        run.download(ko, self.k_out)
    }
}
