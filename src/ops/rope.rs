//! Fused NeoX (half-rotation) RoPE on Q and K with a host-built cos/sin cache.

use crate::backend::{cpu, Backend, Op};
use crate::device::{self, host::HostRun, Exec};
use crate::error::{Error, Result};
use crate::formats::{DType, FloatElement};
use crate::tensor::{Tensor, TensorView};

/// The cos/sin table, built once on the host and gathered by position on every backend:
/// row `p` is `[cos(θ_0..θ_{d/2-1}), sin(θ_0..θ_{d/2-1})]` in f32 for `d = rotary_dim`, with
/// `θ_i = f32(p * inv_freq[i])` and `inv_freq[i] = 1 / theta^(2i/d)` with HF's rounding points.
#[derive(Clone, Debug, PartialEq)]
pub struct RopeCache {
    rotary_dim: usize,
    max_positions: usize,
    table: Vec<f32>,
}

impl RopeCache {
    /// Builds the table for positions `0..max_positions`.
    ///
    /// `inv_freq[i] = f32(1 / f32(theta^f32(2i / d)))` — HF's rounding points — with the power,
    /// cosine and sine evaluated in f64 and rounded once to f32 (correctly rounded, where torch's
    /// f32 `pow`, `cos` and `sin` may be an ulp off; see `docs/numerics.md`).
    pub fn new(theta: f64, rotary_dim: usize, max_positions: usize) -> Result<Self> {
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
        if max_positions == 0 || max_positions > 1 << 24 {
            return Err(Error::option(
                "max_positions",
                format!("must be in 1..=2^24 (positions are exact in f32), got {max_positions}"),
            ));
        }
        let half = rotary_dim / 2;
        let inv_freq: Vec<f32> = (0..half)
            .map(|i| {
                let exponent = (2 * i) as f32 / rotary_dim as f32;
                let power = theta.powf(exponent as f64) as f32;
                1.0f32 / power
            })
            .collect();
        let mut table = vec![0.0f32; max_positions * rotary_dim];
        for (p, row) in table.chunks_mut(rotary_dim).enumerate() {
            let (cos, sin) = row.split_at_mut(half);
            for i in 0..half {
                let angle = (p as f32 * inv_freq[i]) as f64;
                cos[i] = angle.cos() as f32;
                sin[i] = angle.sin() as f32;
            }
        }
        Ok(RopeCache {
            rotary_dim,
            max_positions,
            table,
        })
    }

    /// Wraps a table computed elsewhere (e.g. dumped from torch): `[max_positions, rotary_dim]`,
    /// each row the cos half then the sin half.
    pub fn from_table(rotary_dim: usize, table: Vec<f32>) -> Result<Self> {
        if rotary_dim == 0
            || rotary_dim % 2 != 0
            || table.is_empty()
            || table.len() % rotary_dim != 0
        {
            return Err(Error::shape(
                "cos_sin_cache",
                format!("[positions, {rotary_dim}] with an even, positive rotary_dim"),
                &[table.len()],
            ));
        }
        Ok(RopeCache {
            rotary_dim,
            max_positions: table.len() / rotary_dim,
            table,
        })
    }

    /// Rotary dimension `d`.
    pub fn rotary_dim(&self) -> usize {
        self.rotary_dim
    }

    /// Number of positions the table covers.
    pub fn max_positions(&self) -> usize {
        self.max_positions
    }

    /// The table, `[max_positions, rotary_dim]` row-major.
    pub fn table(&self) -> &[f32] {
        &self.table
    }

    /// Row `p`: cos half then sin half.
    pub fn row(&self, p: usize) -> &[f32] {
        &self.table[p * self.rotary_dim..][..self.rotary_dim]
    }
}

/// Options of [`rope_qk`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct RopeOptions {
    /// `false` (default, HF): cos/sin rounded to the activation dtype and every product and sum
    /// rounded to it. `true`: f32 cos/sin and f32 arithmetic, one rounding at the end.
    pub f32_compute: bool,
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
        .find(|(_, &p)| p < 0 || p as u64 >= cache.max_positions() as u64)
    {
        return Err(Error::InvalidValue {
            tensor: "positions".to_string(),
            reason: format!(
                "token {t} has position {p}, outside the cache's 0..{}",
                cache.max_positions()
            ),
        });
    }
    let mut q_out = q.data().to_vec();
    let mut k_out = k.data().to_vec();
    backend.run(Rope {
        q,
        k,
        head_dim: d,
        positions,
        cache,
        options,
        q_out: &mut q_out,
        k_out: &mut k_out,
    })?;
    Ok((
        Tensor::from_parts(q.shape().to_vec(), q_out),
        Tensor::from_parts(k.shape().to_vec(), k_out),
    ))
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
