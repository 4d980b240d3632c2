//! The Qwen3 forward pass composed from the library's ops.
//!
//! Every RMSNorm, RoPE, quantization, dequantization and matmul goes through [`crate::ops`] on
//! the chosen backend; attention (f32 softmax), SiLU and the embedding gather are host code.
//! Rounding follows HF's bf16 model: every op's output is bf16, residual adds are bf16 sums.

use super::fused::Projections;
use crate::error::{Error, Result};
use crate::formats::FloatElement;
use crate::ops::{self, MxQuantOptions, MxTensor, RmsNormOptions, RopeCache, RopeOptions};
use crate::tensor::Tensor;
use crate::Backend;
use half::bf16;
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// How linear layers run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Mode {
    /// Quantized weights are dequantized to bf16 once at load; bf16 matmuls (what the Ascend
    /// A2/A3 adaptations do).
    #[default]
    Dequant,
    /// MXFP8 weights; activations quantized per token by `mx_quant`, then `mx_matmul`.
    W8A8Mxfp8,
    /// MXFP8 weights, bf16 activations (weight-only).
    W8A16Mxfp8,
}

impl Mode {
    /// The CLI spelling.
    pub fn name(self) -> &'static str {
        match self {
            Mode::Dequant => "dequant",
            Mode::W8A8Mxfp8 => "w8a8-mxfp8",
            Mode::W8A16Mxfp8 => "w8a16-mxfp8",
        }
    }
}

impl std::str::FromStr for Mode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        [Mode::Dequant, Mode::W8A8Mxfp8, Mode::W8A16Mxfp8]
            .into_iter()
            .find(|m| m.name() == s)
            .ok_or_else(|| {
                format!("unknown mode `{s}` (expected dequant, w8a8-mxfp8 or w8a16-mxfp8)")
            })
    }
}

/// A linear layer's weight, `[out, in]`, as the forward uses it.
#[derive(Clone, Debug)]
pub enum LinearWeight {
    /// bf16 weight.
    Dense(Tensor<bf16>),
    /// MXFP8 weight with pair-layout scales.
    Mx(MxTensor),
}

impl LinearWeight {
    /// `[out, in]`.
    pub fn shape(&self) -> &[usize] {
        match self {
            LinearWeight::Dense(w) => w.shape(),
            LinearWeight::Mx(w) => w.elements.shape(),
        }
    }
}

/// Model dimensions and constants the forward needs.
#[derive(Clone, Debug, PartialEq)]
pub struct Dims {
    /// Vocabulary size.
    pub vocab: usize,
    /// Hidden size.
    pub hidden: usize,
    /// MLP intermediate size.
    pub intermediate: usize,
    /// Query heads.
    pub heads: usize,
    /// Key/value heads (GQA).
    pub kv_heads: usize,
    /// Head dimension.
    pub head_dim: usize,
    /// RMSNorm epsilon.
    pub eps: f32,
    /// RoPE base.
    pub rope_theta: f64,
    /// Longest sequence (prompt + generated) the RoPE cache covers.
    pub max_positions: usize,
}

/// One decoder layer's weights.
#[derive(Clone, Debug)]
pub struct LayerWeights {
    /// `input_layernorm.weight` `[hidden]`.
    pub input_norm: Tensor<bf16>,
    /// `q_proj` `[heads*head_dim, hidden]`.
    pub q: LinearWeight,
    /// `k_proj` `[kv_heads*head_dim, hidden]`.
    pub k: LinearWeight,
    /// `v_proj` `[kv_heads*head_dim, hidden]`.
    pub v: LinearWeight,
    /// `o_proj` `[hidden, heads*head_dim]`.
    pub o: LinearWeight,
    /// `q_norm.weight` `[head_dim]`.
    pub q_norm: Tensor<bf16>,
    /// `k_norm.weight` `[head_dim]`.
    pub k_norm: Tensor<bf16>,
    /// `post_attention_layernorm.weight` `[hidden]`.
    pub post_norm: Tensor<bf16>,
    /// `gate_proj` `[intermediate, hidden]`.
    pub gate: LinearWeight,
    /// `up_proj` `[intermediate, hidden]`.
    pub up: LinearWeight,
    /// `down_proj` `[hidden, intermediate]`.
    pub down: LinearWeight,
}

/// All weights, prepared for one mode.
#[derive(Clone, Debug)]
pub struct ModelWeights {
    /// `embed_tokens.weight` `[vocab, hidden]`.
    pub embed: Tensor<bf16>,
    /// Decoder layers.
    pub layers: Vec<LayerWeights>,
    /// `norm.weight` `[hidden]`.
    pub norm: Tensor<bf16>,
    /// `lm_head.weight` `[vocab, hidden]`, `None` when tied to the embedding.
    pub lm_head: Option<LinearWeight>,
}

/// Wall time per op kind.
#[derive(Clone, Debug, Default)]
pub struct Profile {
    /// Seconds and calls per op name.
    pub ops: BTreeMap<&'static str, (Duration, usize)>,
}

impl Profile {
    fn time<T>(&mut self, name: &'static str, f: impl FnOnce() -> T) -> T {
        let start = Instant::now();
        let out = f();
        let entry = self.ops.entry(name).or_default();
        entry.0 += start.elapsed();
        entry.1 += 1;
        out
    }
}

/// Keys and values of past positions, per layer: `[positions, kv_heads, head_dim]` bf16.
#[derive(Clone, Debug, Default)]
pub struct KvCache {
    keys: Vec<Vec<bf16>>,
    values: Vec<Vec<bf16>>,
    len: usize,
}

impl KvCache {
    /// Positions held.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True before the first token.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Forgets every position from `len` on (no effect when `len >= self.len()`), e.g. to
    /// re-run a decode step or roll back rejected speculative tokens.
    pub fn truncate(&mut self, len: usize) {
        if len >= self.len {
            return;
        }
        for (k, v) in self.keys.iter_mut().zip(&mut self.values) {
            let per_position = k.len() / self.len;
            k.truncate(len * per_position);
            v.truncate(len * per_position);
        }
        self.len = len;
    }
}

/// A Qwen3 model ready to run: weights for one mode, on one backend.
#[derive(Debug)]
pub struct Qwen3 {
    dims: Dims,
    embed: Tensor<bf16>,
    layers: Vec<Layer>,
    norm: Tensor<bf16>,
    lm_head: Option<LinearWeight>,
    mode: Mode,
    backend: Backend,
    rope: RopeCache,
    /// Op timings accumulated over every call.
    pub profile: Profile,
}

/// A decoder layer as the forward runs it: the projections of one input joined.
#[derive(Debug)]
struct Layer {
    input_norm: Tensor<bf16>,
    /// `q_proj`, `k_proj`, `v_proj`.
    qkv: Projections,
    o: LinearWeight,
    q_norm: Tensor<bf16>,
    k_norm: Tensor<bf16>,
    post_norm: Tensor<bf16>,
    /// `gate_proj`, `up_proj`.
    gate_up: Projections,
    down: LinearWeight,
}

impl From<LayerWeights> for Layer {
    fn from(l: LayerWeights) -> Self {
        Layer {
            input_norm: l.input_norm,
            qkv: Projections::new(vec![l.q, l.k, l.v]),
            o: l.o,
            q_norm: l.q_norm,
            k_norm: l.k_norm,
            post_norm: l.post_norm,
            gate_up: Projections::new(vec![l.gate, l.up]),
            down: l.down,
        }
    }
}

fn check_linear(name: &str, w: &LinearWeight, out: usize, inp: usize, mode: Mode) -> Result<()> {
    if w.shape() != [out, inp] {
        return Err(Error::shape(name, format!("[{out}, {inp}]"), w.shape()));
    }
    match (w, mode) {
        (LinearWeight::Mx(_), Mode::Dequant) => Err(Error::option(
            "mode",
            format!("{name} is MXFP8 but mode dequant needs bf16 weights (dequantize at load)"),
        )),
        (LinearWeight::Dense(_), Mode::W8A8Mxfp8 | Mode::W8A16Mxfp8) => Err(Error::option(
            "mode",
            format!(
                "{name} is bf16 but mode {} needs MXFP8 weights (quantize at load)",
                mode.name()
            ),
        )),
        _ => Ok(()),
    }
}

fn check_vector(name: &str, t: &Tensor<bf16>, len: usize) -> Result<()> {
    if t.shape() != [len] {
        return Err(Error::shape(name, format!("[{len}]"), t.shape()));
    }
    Ok(())
}

impl Qwen3 {
    /// Checks every weight against `dims` and `mode`, and builds the RoPE cache.
    pub fn new(dims: Dims, weights: ModelWeights, mode: Mode, backend: Backend) -> Result<Self> {
        let d = &dims;
        let overflow = |what: &str| Error::option(what, "x head_dim overflows");
        let qd = d
            .heads
            .checked_mul(d.head_dim)
            .ok_or_else(|| overflow("num_attention_heads"))?;
        let kvd = d
            .kv_heads
            .checked_mul(d.head_dim)
            .ok_or_else(|| overflow("num_key_value_heads"))?;
        if d.heads == 0 || d.kv_heads == 0 || d.heads % d.kv_heads != 0 {
            return Err(Error::option(
                "num_key_value_heads",
                format!("{} must divide num_attention_heads {}", d.kv_heads, d.heads),
            ));
        }
        if weights.embed.shape() != [d.vocab, d.hidden] {
            return Err(Error::shape(
                "model.embed_tokens.weight",
                format!("[{}, {}]", d.vocab, d.hidden),
                weights.embed.shape(),
            ));
        }
        check_vector("model.norm.weight", &weights.norm, d.hidden)?;
        if let Some(head) = &weights.lm_head {
            if head.shape() != [d.vocab, d.hidden] {
                return Err(Error::shape(
                    "lm_head.weight",
                    format!("[{}, {}]", d.vocab, d.hidden),
                    head.shape(),
                ));
            }
        }
        for (i, l) in weights.layers.iter().enumerate() {
            let p = |n: &str| format!("model.layers.{i}.{n}.weight");
            check_vector(&p("input_layernorm"), &l.input_norm, d.hidden)?;
            check_vector(&p("post_attention_layernorm"), &l.post_norm, d.hidden)?;
            check_vector(&p("self_attn.q_norm"), &l.q_norm, d.head_dim)?;
            check_vector(&p("self_attn.k_norm"), &l.k_norm, d.head_dim)?;
            check_linear(&p("self_attn.q_proj"), &l.q, qd, d.hidden, mode)?;
            check_linear(&p("self_attn.k_proj"), &l.k, kvd, d.hidden, mode)?;
            check_linear(&p("self_attn.v_proj"), &l.v, kvd, d.hidden, mode)?;
            check_linear(&p("self_attn.o_proj"), &l.o, d.hidden, qd, mode)?;
            check_linear(&p("mlp.gate_proj"), &l.gate, d.intermediate, d.hidden, mode)?;
            check_linear(&p("mlp.up_proj"), &l.up, d.intermediate, d.hidden, mode)?;
            check_linear(&p("mlp.down_proj"), &l.down, d.hidden, d.intermediate, mode)?;
        }
        let rope = RopeCache::new(d.rope_theta, d.head_dim, d.max_positions.max(1))?;
        let ModelWeights {
            embed,
            layers,
            norm,
            lm_head,
        } = weights;
        Ok(Qwen3 {
            dims,
            embed,
            layers: layers.into_iter().map(Layer::from).collect(),
            norm,
            lm_head,
            mode,
            backend,
            rope,
            profile: Profile::default(),
        })
    }

    /// Holds a generation of `prompt` tokens then `max_new` more to the
    /// [budget](crate::budget::Budget) before it starts, and to the positions the model was
    /// built for: the weights, the KV cache at its full length and the largest activations
    /// (the prefill's, with the matmuls' scratch), all computed with checked arithmetic.
    pub fn plan_generation(&self, prompt: usize, max_new: usize) -> Result<()> {
        let total = prompt
            .checked_add(max_new)
            .filter(|&n| n <= self.rope.max_positions())
            .ok_or_else(|| {
                Error::option(
                    "max_new_tokens",
                    format!(
                        "{max_new} new tokens after a prompt of {prompt} exceed the {} positions \
                         the model was built for",
                        self.rope.max_positions()
                    ),
                )
            })?;
        self.plan_step(prompt, total)
    }

    /// The budget check of one forward of `prompt` new tokens that ends at `total` positions:
    /// the weights, the KV cache at `total`, attention scratch, activations and logits.
    fn plan_step(&self, prompt: usize, total: usize) -> Result<()> {
        let d = &self.dims;
        let mut plan = crate::budget::Budget::current().plan("qwen3 forward");
        let weights = self.weight_bytes();
        plan.bytes("weights", weights)?;
        let p = crate::budget::product;
        let layers = self.layers.len();
        // Keys and values, bf16, every layer, every position.
        plan.buffer(
            "kv cache",
            p(&[layers, total, d.kv_heads, d.head_dim, 2]),
            2,
        )?;
        // Attention: keys and values widened to f64 per KV head, scores per query.
        plan.buffer(
            "attention scratch",
            p(&[d.kv_heads, d.head_dim, total, 2]),
            8,
        )?;
        plan.buffer("attention scores", p(&[prompt, d.heads, total]), 8)?;
        let qd = d.heads.saturating_mul(d.head_dim);
        let widest = [d.hidden, d.intermediate.saturating_mul(2), qd, d.vocab]
            .into_iter()
            .max()
            .unwrap_or(0);
        // Hidden states, residuals and projections (bf16, a few at once), logits in f32.
        plan.buffer("activations", p(&[prompt, widest, 8]), 2)?;
        plan.buffer("logits", p(&[prompt, d.vocab]), 4)?;
        let scratch = [d.vocab, d.intermediate.saturating_mul(2), d.hidden]
            .into_iter()
            .map(|n| crate::ops::matmul_scratch_bytes(prompt, n, d.hidden.max(d.intermediate)))
            .try_fold(0u64, |acc, s| s.map(|s| acc.max(s)));
        plan.bytes("matmul scratch", scratch.unwrap_or(u64::MAX))?;
        Ok(())
    }

    /// Bytes held by the weights.
    pub fn weight_bytes(&self) -> u64 {
        let dense = |t: &Tensor<bf16>| 2 * t.data().len() as u64;
        let linear = |w: &LinearWeight| match w {
            LinearWeight::Dense(t) => dense(t),
            LinearWeight::Mx(m) => (m.elements.data().len() + m.scales.data().len()) as u64,
        };
        let mut total = dense(&self.embed) + dense(&self.norm);
        total += self.lm_head.as_ref().map_or(0, linear);
        for l in &self.layers {
            for t in [&l.input_norm, &l.q_norm, &l.k_norm, &l.post_norm] {
                total += dense(t);
            }
            for w in l.qkv.weights().iter().chain(l.gate_up.weights()) {
                total += linear(w);
            }
            total += linear(&l.o) + linear(&l.down);
        }
        total
    }

    /// The dimensions.
    pub fn dims(&self) -> &Dims {
        &self.dims
    }

    /// The mode.
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// The backend.
    pub fn backend(&self) -> &Backend {
        &self.backend
    }

    /// An empty KV cache for this model.
    pub fn new_cache(&self) -> KvCache {
        KvCache {
            keys: vec![Vec::new(); self.layers.len()],
            values: vec![Vec::new(); self.layers.len()],
            len: 0,
        }
    }

    /// Runs `tokens` (continuing after the positions already in `cache`) and returns the logits
    /// of every new position, `[tokens.len(), vocab]` (bf16 values widened to f32, as HF's bf16
    /// model returns them).
    ///
    /// The call runs on a rayon pool thread (inline when already on one): the many short
    /// parallel ops of a forward then share work among the pool's threads without handing each
    /// one over from, and back to, a thread outside the pool.
    pub fn forward(&mut self, tokens: &[u32], cache: &mut KvCache) -> Result<Tensor<f32>> {
        rayon::scope(|_| self.forward_in_pool(tokens, cache))
    }

    fn forward_in_pool(&mut self, tokens: &[u32], cache: &mut KvCache) -> Result<Tensor<f32>> {
        let d = &self.dims;
        let t = tokens.len();
        if t == 0 {
            return Err(Error::InvalidValue {
                tensor: "tokens".into(),
                reason: "no token to run".into(),
            });
        }
        if cache.keys.len() != self.layers.len() {
            return Err(Error::InvalidValue {
                tensor: "cache".into(),
                reason: "made for another model".into(),
            });
        }
        if let Some((i, &bad)) = tokens
            .iter()
            .enumerate()
            .find(|(_, &id)| id as usize >= d.vocab)
        {
            return Err(Error::InvalidValue {
                tensor: "tokens".into(),
                reason: format!(
                    "token {i} is id {bad}, outside the vocabulary of {}",
                    d.vocab
                ),
            });
        }
        let start = cache.len;
        if start + t > self.rope.max_positions() {
            return Err(Error::InvalidValue {
                tensor: "tokens".into(),
                reason: format!(
                    "{} positions exceed the model's {}",
                    start + t,
                    self.rope.max_positions()
                ),
            });
        }
        self.plan_step(t, start + t)?;
        let positions: Vec<i64> = (start..start + t).map(|p| p as i64).collect();
        let mut run = Runner {
            backend: &self.backend,
            mode: self.mode,
            profile: &mut self.profile,
            dims: &self.dims,
            rope: &self.rope,
        };
        let mut hidden = run.profile.time("embed", || {
            let mut h = Vec::with_capacity(t * d.hidden);
            for &id in tokens {
                h.extend_from_slice(&self.embed.data()[id as usize * d.hidden..][..d.hidden]);
            }
            Tensor::from_parts(vec![t, d.hidden], h)
        });
        let mut pending: Option<Tensor<bf16>> = None;
        for (i, layer) in self.layers.iter().enumerate() {
            // input_layernorm, fused with the previous layer's MLP residual add.
            let a = match pending.take() {
                None => run.norm(&hidden, &layer.input_norm)?,
                Some(mlp_out) => {
                    let (a, h) = run.add_norm(&mlp_out, &hidden, &layer.input_norm)?;
                    hidden = h;
                    a
                }
            };
            let attn = run.attention_block(layer, &a, &positions, cache, i)?;
            let o = run.linear(&layer.o, &attn)?;
            let (m, h) = run.add_norm(&o, &hidden, &layer.post_norm)?;
            hidden = h;
            let [g, u]: [Tensor<bf16>; 2] = run.project(&layer.gate_up, &m)?;
            let act = run.profile.time("silu_mul", || silu_mul(&g, &u));
            pending = Some(run.linear(&layer.down, &act)?);
        }
        let normed = match pending {
            None => run.norm(&hidden, &self.norm)?,
            Some(mlp_out) => run.add_norm(&mlp_out, &hidden, &self.norm)?.0,
        };
        let logits = match &self.lm_head {
            Some(head) => run.linear(head, &normed)?,
            None => run.profile.time("matmul", || {
                ops::matmul::<bf16, bf16>(run.backend, normed.view(), self.embed.view())
            })?,
        };
        cache.len += t;
        let (shape, data) = logits.into_parts();
        Ok(Tensor::from_parts(
            shape,
            data.into_iter().map(f32::from).collect(),
        ))
    }

    /// Greedy generation: runs the prompt, then appends the argmax token `max_new` times.
    /// Returns the generated ids and the prompt's logits.
    pub fn generate(
        &mut self,
        prompt: &[u32],
        max_new: usize,
    ) -> Result<(Vec<u32>, Tensor<f32>, GenerationTimes)> {
        let mut cache = self.new_cache();
        let start = Instant::now();
        let logits = self.forward(prompt, &mut cache)?;
        let prefill = start.elapsed();
        let vocab = self.dims.vocab;
        let mut next = argmax(&logits.data()[(prompt.len() - 1) * vocab..]);
        let mut out = Vec::with_capacity(max_new);
        let start = Instant::now();
        for step in 0..max_new {
            out.push(next);
            if step + 1 == max_new {
                break;
            }
            let l = self.forward(&[next], &mut cache)?;
            next = argmax(l.data());
        }
        Ok((
            out,
            logits,
            GenerationTimes {
                prefill,
                decode: start.elapsed(),
                prompt_tokens: prompt.len(),
                decode_tokens: max_new.saturating_sub(1),
            },
        ))
    }
}

/// Wall times of one generation.
#[derive(Clone, Copy, Debug)]
pub struct GenerationTimes {
    /// Time of the prompt's forward.
    pub prefill: Duration,
    /// Time of the decode steps.
    pub decode: Duration,
    /// Prompt length.
    pub prompt_tokens: usize,
    /// Decode forwards run (the first generated token comes from the prefill).
    pub decode_tokens: usize,
}

/// The per-call view of a model: backend, mode and timings, borrowed apart from the weights.
struct Runner<'a> {
    backend: &'a Backend,
    mode: Mode,
    profile: &'a mut Profile,
    dims: &'a Dims,
    rope: &'a RopeCache,
}

impl Runner<'_> {
    fn linear(&mut self, w: &LinearWeight, x: &Tensor<bf16>) -> Result<Tensor<bf16>> {
        let backend = self.backend;
        match (w, self.mode) {
            (LinearWeight::Dense(w), _) => self
                .profile
                .time("matmul", || ops::matmul(backend, x.view(), w.view())),
            (LinearWeight::Mx(w), Mode::W8A16Mxfp8) => {
                self.profile.time("mx_matmul_weight_only", || {
                    ops::mx_matmul_weight_only(backend, x.view(), w.view())
                })
            }
            (LinearWeight::Mx(w), _) => {
                let q = self.profile.time("mx_quant", || {
                    ops::mx_quant(backend, x.view(), &MxQuantOptions::default())
                })?;
                self.profile.time("mx_matmul", || {
                    ops::mx_matmul(backend, q.view(), w.view(), None)
                })
            }
        }
    }

    /// The outputs of joined projections, part by part.
    fn project<const N: usize>(
        &mut self,
        p: &Projections,
        x: &Tensor<bf16>,
    ) -> Result<[Tensor<bf16>; N]> {
        let outputs = p
            .weights()
            .iter()
            .map(|w| self.linear(w, x))
            .collect::<Result<Vec<_>>>()?;
        p.split(outputs)
            .try_into()
            .map_err(|parts: Vec<_>| Error::InvalidValue {
                tensor: "projections".into(),
                reason: format!("{} outputs where {N} were expected", parts.len()),
            })
    }

    fn norm_options(&self) -> RmsNormOptions {
        RmsNormOptions {
            eps: self.dims.eps,
            mode: ops::RmsNormMode::Hf,
        }
    }

    fn norm(&mut self, x: &Tensor<bf16>, w: &Tensor<bf16>) -> Result<Tensor<bf16>> {
        let (opts, backend) = (self.norm_options(), self.backend);
        self.profile.time("rms_norm", || {
            ops::rms_norm(backend, x.view(), w.view(), &opts)
        })
    }

    /// `(rms_norm(x + residual), x + residual)`.
    fn add_norm(
        &mut self,
        x: &Tensor<bf16>,
        residual: &Tensor<bf16>,
        w: &Tensor<bf16>,
    ) -> Result<(Tensor<bf16>, Tensor<bf16>)> {
        let (opts, backend) = (self.norm_options(), self.backend);
        self.profile.time("rms_norm", || {
            ops::rms_norm_residual(backend, x.view(), residual.view(), w.view(), &opts)
        })
    }

    /// Projections, QK-norm, RoPE, the KV cache append and attention; returns `[t, heads*head_dim]`.
    fn attention_block(
        &mut self,
        layer: &Layer,
        a: &Tensor<bf16>,
        positions: &[i64],
        cache: &mut KvCache,
        index: usize,
    ) -> Result<Tensor<bf16>> {
        let d = self.dims;
        let t = positions.len();
        let [q, k, v]: [Tensor<bf16>; 3] = self.project(&layer.qkv, a)?;
        let q = q.reshape(vec![t, d.heads, d.head_dim])?;
        let k = k.reshape(vec![t, d.kv_heads, d.head_dim])?;
        let q = self.norm(&q, &layer.q_norm)?;
        let k = self.norm(&k, &layer.k_norm)?;
        let (rope, backend) = (self.rope, self.backend);
        let (q, k) = self.profile.time("rope_qk", || {
            ops::rope_qk(
                backend,
                q.view(),
                k.view(),
                positions,
                rope,
                &RopeOptions::default(),
            )
        })?;
        cache.keys[index].extend_from_slice(k.data());
        cache.values[index].extend_from_slice(v.data());
        let past = cache.len;
        let (keys, values) = (&cache.keys[index], &cache.values[index]);
        Ok(self
            .profile
            .time("attention", || attention(d, q.data(), keys, values, past)))
    }
}

/// Index of the largest logit (the first one on ties, as torch.argmax).
pub fn argmax(row: &[f32]) -> u32 {
    let mut best = 0;
    for (i, &v) in row.iter().enumerate() {
        if v > row[best] {
            best = i;
        }
    }
    best as u32
}

/// Causal GQA attention for the new positions (the last `q.len() / (heads*head_dim)` of all
/// positions), with HF's eager-attention rounding points in bf16: `s = bf16(q·k)`,
/// `s = bf16(s * head_dim^-0.5)`, `p = bf16(softmax_f32(s))`, `o = bf16(Σ p·v)`. Each dot
/// product and weighted sum adds its (exact) f64 products in index order from `-0.0`, then
/// rounds once; the softmax is computed in f32. Keys are widened and transposed once per KV
/// head so the sums for many positions (or output lanes) advance side by side, each in its own
/// fixed order.
fn attention(d: &Dims, q: &[bf16], keys: &[bf16], values: &[bf16], past: usize) -> Tensor<bf16> {
    let (hd, heads, kvh) = (d.head_dim, d.heads, d.kv_heads);
    let t = q.len() / (heads * hd);
    let total = past + t;
    let group = heads / kvh;
    let scale = (hd as f64).powf(-0.5) as f32;
    let round = |v: f64| <bf16 as FloatElement>::from_f64(v).to_f32();
    // Per KV head: keys as `[head_dim][positions]` and values as `[positions][head_dim]`, in f64.
    let widened: Vec<(Vec<f64>, Vec<f64>)> = (0..kvh)
        .into_par_iter()
        .map(|kv| {
            let (mut kt, mut vv) = (vec![0f64; hd * total], vec![0f64; total * hd]);
            for s in 0..total {
                let at = (s * kvh + kv) * hd;
                for (i, k) in keys[at..][..hd].iter().enumerate() {
                    kt[i * total + s] = wide(*k);
                }
                for (o, v) in vv[s * hd..][..hd].iter_mut().zip(&values[at..][..hd]) {
                    *o = wide(*v);
                }
            }
            (kt, vv)
        })
        .collect();
    let mut out = vec![bf16::ZERO; t * heads * hd];
    out.par_chunks_mut(hd).enumerate().for_each(|(idx, o)| {
        let (ti, h) = (idx / heads, idx % heads);
        let n = past + ti + 1; // positions this query sees
        let (kt, vv) = &widened[h / group];
        let qv = &q[(ti * heads + h) * hd..][..hd];
        let mut dots = vec![-0.0f64; n];
        for (i, qi) in qv.iter().enumerate() {
            let qi = wide(*qi);
            for (acc, k) in dots.iter_mut().zip(&kt[i * total..][..n]) {
                *acc += qi * k;
            }
        }
        let scores: Vec<f32> = dots
            .iter()
            .map(|&dot| bf16::from_f32(round(dot) * scale).to_f32())
            .collect();
        let max = scores.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let exps: Vec<f32> = scores
            .iter()
            .map(|s| ((s - max) as f64).exp() as f32)
            .collect();
        let sum: f32 = (exps.iter().map(|&e| e as f64).sum::<f64>()) as f32;
        let mut acc = vec![-0.0f64; hd];
        for (s, e) in exps.iter().enumerate() {
            let p = wide(bf16::from_f32(e / sum));
            for (a, v) in acc.iter_mut().zip(&vv[s * hd..][..hd]) {
                *a += p * v;
            }
        }
        for (slot, a) in o.iter_mut().zip(&acc) {
            *slot = <bf16 as FloatElement>::from_f64(*a);
        }
    });
    Tensor::from_parts(vec![t, heads * hd], out)
}

/// A bf16 value as f64 (exact; by way of f32, whose widening has no branches for zeros).
fn wide(v: bf16) -> f64 {
    f64::from(v.to_f32())
}

/// `round(round(silu(g)) * u)`: SiLU in f32 rounded to bf16, then the bf16 product, as HF's
/// `act_fn(gate) * up` in bf16.
fn silu_mul(g: &Tensor<bf16>, u: &Tensor<bf16>) -> Tensor<bf16> {
    let data = g
        .data()
        .par_iter()
        .zip(u.data().par_iter())
        .map(|(g, u)| {
            let x = g.to_f32();
            let s = bf16::from_f32(x / (1.0 + (-x).exp()));
            bf16::from_f32(s.to_f32() * u.to_f32())
        })
        .collect();
    Tensor::from_parts(g.shape().to_vec(), data)
}
