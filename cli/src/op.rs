//! `ascend-kernels op <OP>`: one op on tensors from a safetensors file, for comparing against
//! tensors dumped from torch_npu.

use ascend_kernels::io::{serialize, write_atomic, TensorFile};
use ascend_kernels::ops::{NonFiniteBlocks, ScaleAlg, TinyBlocks};
use ascend_kernels::runner::{run_op, OpName, OpOptions, OutDType};
use ascend_kernels::{Backend, Fp8Format, Result, RoundMode};
use clap::Args;
use std::collections::HashMap;
use std::path::PathBuf;

/// Arguments of `ascend-kernels op`.
#[derive(Args, Debug)]
pub struct OpArgs {
    /// The op: mx-quant, mx-dequant, mx-matmul, fp8-block-dequant, rms-norm, add-rms-norm,
    /// rope-qk or rotary-mul.
    op: OpName,
    /// Input safetensors file (tensor names as in the README's table).
    #[arg(long)]
    input: PathBuf,
    /// Output safetensors file (written only if the op succeeds).
    #[arg(long)]
    output: PathBuf,
    /// Where to run: cpu, sim (the emulator) or npu[:N] (an NPU through CANN).
    #[arg(long, default_value = "cpu")]
    backend: String,
    /// With `--backend sim`: the target whose generated kernels run (a2 | a5) [default: a2].
    #[arg(long)]
    target: Option<String>,
    /// mx-quant: element format (e4m3 | e5m2) [default: e4m3].
    #[arg(long)]
    dst: Option<Fp8Format>,
    /// mx-quant: scale rule (ocp | rceil) [default: ocp].
    #[arg(long)]
    scale_alg: Option<ScaleAlg>,
    /// mx-quant: element rounding (rint | round) [default: rint].
    #[arg(long)]
    round: Option<RoundMode>,
    /// mx-quant: tiny blocks under ocp (flush | scale) [default: flush].
    #[arg(long)]
    tiny_blocks: Option<TinyBlocks>,
    /// mx-quant: elements of NaN/Inf blocks (zero, as the NPU writes them | nan) [default: zero].
    #[arg(long)]
    non_finite: Option<NonFiniteBlocks>,
    /// The arithmetic of rms-norm (hf | weight-in-f32 | ascend-a2 | ascend-950), add-rms-norm
    /// (hf | ascend-a2 | ascend-950), rope-qk (hf | f32 | rotary-mul | apply-rotary-pos-emb)
    /// [default: hf] and rotary-mul (the same [default: rotary-mul]).
    #[arg(long)]
    mode: Option<String>,
    /// Output dtype (f32 | bf16 | f16) of mx-dequant [default f32], mx-matmul and
    /// fp8-block-dequant [default bf16].
    #[arg(long)]
    out_dtype: Option<OutDType>,
    /// fp8-block-dequant: block shape `rows,cols` [default: 128,128].
    #[arg(long)]
    block: Option<String>,
    /// rms-norm, add-rms-norm: epsilon [default: 1e-6].
    #[arg(long)]
    eps: Option<f32>,
    /// rms-norm: multiply by the weight in f32 before the one rounding (= --mode weight-in-f32).
    #[arg(long)]
    weight_in_f32: bool,
    /// rope-qk: base theta [default: 1e6].
    #[arg(long)]
    theta: Option<f64>,
    /// rope-qk: rotary dimension [default: head_dim].
    #[arg(long)]
    rotary_dim: Option<usize>,
    /// rope-qk: f32 cos/sin and arithmetic, one rounding at the end (= --mode f32).
    #[arg(long)]
    f32_compute: bool,
}

impl OpArgs {
    fn options(&self) -> OpOptions {
        OpOptions {
            dst: self.dst,
            scale_alg: self.scale_alg,
            round: self.round,
            tiny_blocks: self.tiny_blocks,
            non_finite: self.non_finite,
            mode: self.mode.clone(),
            out_dtype: self.out_dtype,
            block: self.block.clone(),
            eps: self.eps,
            weight_in_f32: self.weight_in_f32,
            theta: self.theta,
            rotary_dim: self.rotary_dim,
            f32_compute: self.f32_compute,
        }
    }
}

/// Parses a backend name as `verify` lists them: `cpu`, `sim-a2`, `sim-a5` (or `sim`), `npu`
/// (or `npu:N`).
pub fn parse_backend(name: &str) -> Result<Backend> {
    Backend::parse(name)
}

impl OpArgs {
    /// The checks that need no file: options that apply to the op, the backend.
    pub fn check(&self) -> Result<()> {
        self.options().check_applicable(self.op)?;
        Backend::from_cli(&self.backend, self.target.as_deref()).map(|_| ())
    }
}

/// Runs the op and writes its outputs; writes nothing on error.
pub fn run(args: &OpArgs) -> Result<()> {
    args.check()?;
    let options = args.options();
    let backend = Backend::from_cli(&args.backend, args.target.as_deref())?;
    let input = TensorFile::read(&args.input)?;
    let outputs = run_op(&backend, args.op, &input, &options)?;
    let metadata = HashMap::from([
        (
            "producer".to_string(),
            format!("ascend-kernels {}", env!("CARGO_PKG_VERSION")),
        ),
        ("backend".to_string(), backend.name()),
        ("op".to_string(), args.op.name().to_string()),
    ]);
    let bytes = serialize(&outputs, &metadata)?;
    write_atomic(&args.output, &bytes)
}
