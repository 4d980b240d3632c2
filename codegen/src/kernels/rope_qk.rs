//! `rope_qk`: fused NeoX (half-rotation) RoPE on Q and K with a cos/sin cache gathered by position.

use crate::desc::{
    CType, Dir, Field, GmArg, KernelCode, KernelDesc, SourceKernel, Target, TypeParam, Variant,
    FLOAT_DTYPES,
};
use crate::ub::{Depth, Position, UbBuffer, UbPlan, When};

/// The description of `rope_qk`.
pub fn desc() -> KernelDesc {
    KernelDesc {
        name: "rope_qk",
        camel: "RopeQk",
        doc: "q [tokens, heads_q, head_dim] and k [tokens, heads_k, head_dim] rotated by the cache row of each
              token's position (cache [positions, rotary_dim] f32 = [cos | sin]): o1 = x1*c - x2*s,
              o2 = x2*c + x1*s on the first rotary_dim dims (x1 = dims 0..rd/2, x2 = rd/2..rd), the rest
              passed through. HF rounding (each product and sum rounded to the dtype, c and s rounded
              too) unless flag F32_COMPUTE (f32 products and sum, one rounding; with DTYPE_COS_SIN c and
              s rounded to the dtype first, with ROUND_AWAY the final rounding ties away from zero: the
              Ascend RotaryPositionEmbedding and ApplyRotaryPosEmb arithmetic). The halves are copied with strided DataCopyPad so each lands
              32-B aligned; each token's cos/sin row is expanded once per head with UB->UB DataCopy.",
        gm_args: vec![
            GmArg { name: "q", dir: Dir::In, doc: "[tokens, heads_q, head_dim] (dtype)" },
            GmArg { name: "k", dir: Dir::In, doc: "[tokens, heads_k, head_dim] (dtype)" },
            GmArg { name: "positions", dir: Dir::In, doc: "[tokens] int32" },
            GmArg { name: "cache", dir: Dir::In, doc: "[max_positions, rotary_dim] f32" },
            GmArg { name: "q_out", dir: Dir::Out, doc: "[tokens, heads_q, head_dim] (dtype)" },
            GmArg { name: "k_out", dir: Dir::Out, doc: "[tokens, heads_k, head_dim] (dtype)" },
        ],
        tiling: vec![
            Field { name: "tokens", ty: CType::U32, doc: "number of tokens" },
            Field { name: "heads_q", ty: CType::U32, doc: "heads of q" },
            Field { name: "heads_k", ty: CType::U32, doc: "heads of k" },
            Field { name: "head_dim", ty: CType::U32, doc: "elements per head" },
            Field { name: "rotary_dim", ty: CType::U32, doc: "rotated leading dims (even, <= head_dim)" },
            Field { name: "max_positions", ty: CType::U32, doc: "rows of the cache" },
            Field { name: "rows_per_core", ty: CType::U32, doc: "tokens of every core but the last" },
            Field { name: "rows_per_tile", ty: CType::U32, doc: "tokens per UB tile" },
            Field { name: "dtype", ty: CType::U32, doc: "AK_DTYPE_* of q, k and the outputs" },
            Field { name: "flags", ty: CType::U32, doc: "AK_ROPE_F32_COMPUTE | AK_ROPE_DTYPE_COS_SIN | AK_ROPE_ROUND_AWAY" },
        ],
        variants: vec![
            Variant { name: "v0", buffer_num: 2, ub_share_pct: 100, doc: "double-buffered" },
            Variant { name: "v1", buffer_num: 1, ub_share_pct: 100, doc: "single-buffered" },
        ],
        targets: &Target::ALL,
        includes: vec![],
        code: KernelCode::Source(SourceKernel {
            header: "rope_qk/rope_qk.h",
            class: "KernelRopeQk",
            type_params: vec![TypeParam { name: "T", field: "dtype", choices: FLOAT_DTYPES }],
            mode_keys: vec![],
            ub: ub_plan(),
            native_fp8_types: false,
            task_type: "KERNEL_TYPE_AIV_ONLY",
        }),
    }
}

/// The UB buffers of `rope_qk`, in allocation order.
fn ub_plan() -> UbPlan {
    use Depth::{BufferNum, One};
    use Position::{VecCalc, VecIn, VecOut};
    let buf = UbBuffer::new;
    let always = When::Always;
    UbPlan {
        lets: vec![
            ("half", "rotary_dim / 2"),
            ("heads", "max(heads_q, heads_k)"),
            // each head's half padded to 32 B
            (
                "n",
                "rows_per_tile * heads * align_up(half, AK_BLOCK_BYTES / sizeof(T))",
            ),
            // one cos (sin) row per token, padded to 32 B
            (
                "cs",
                "rows_per_tile * align_up(half, AK_BLOCK_BYTES / sizeof(float))",
            ),
            (
                "pass_stride",
                "align_up(head_dim - rotary_dim, AK_BLOCK_BYTES / sizeof(T))",
            ),
        ],
        buffers: vec![
            buf(
                "inQueX1",
                VecIn,
                BufferNum,
                "n * sizeof(T)",
                always,
                "x1 = dims [0, half) of every head (T)",
            ),
            buf(
                "inQueX2",
                VecIn,
                BufferNum,
                "n * sizeof(T)",
                always,
                "x2 = dims [half, rotary_dim) of every head (T)",
            ),
            buf(
                "inQueCos",
                VecIn,
                BufferNum,
                "cs * sizeof(float)",
                always,
                "each token's cos row, gathered by position",
            ),
            buf(
                "inQueSin",
                VecIn,
                BufferNum,
                "cs * sizeof(float)",
                always,
                "each token's sin row, gathered by position",
            ),
            buf(
                "outQueO1",
                VecOut,
                BufferNum,
                "n * sizeof(T)",
                always,
                "o1 = x1*c - x2*s (T)",
            ),
            buf(
                "outQueO2",
                VecOut,
                BufferNum,
                "n * sizeof(T)",
                always,
                "o2 = x2*c + x1*s (T)",
            ),
            buf(
                "passBuf",
                VecCalc,
                One,
                "rows_per_tile * heads * pass_stride * sizeof(T)",
                When::NonZero,
                "dims [rotary_dim, head_dim) copied through unchanged (T)",
            ),
            buf(
                "cosBuf",
                VecCalc,
                One,
                "n * sizeof(float)",
                always,
                "cos expanded to every head (f32)",
            ),
            buf(
                "sinBuf",
                VecCalc,
                One,
                "n * sizeof(float)",
                always,
                "sin expanded to every head (f32)",
            ),
            buf(
                "x1Buf",
                VecCalc,
                One,
                "n * sizeof(float)",
                always,
                "x1 in f32",
            ),
            buf(
                "x2Buf",
                VecCalc,
                One,
                "n * sizeof(float)",
                always,
                "x2 in f32",
            ),
            buf(
                "t1Buf",
                VecCalc,
                One,
                "n * sizeof(float)",
                always,
                "products and sums (f32)",
            ),
            buf(
                "t2Buf",
                VecCalc,
                One,
                "n * sizeof(float)",
                always,
                "products (f32)",
            ),
            buf(
                "scratchBuf",
                VecCalc,
                One,
                "n * sizeof(T)",
                always,
                "round trips to T (HF rounding)",
            ),
        ],
    }
}
