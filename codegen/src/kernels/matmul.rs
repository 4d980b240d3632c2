//! `matmul`: the cube half of the matmul family. `out[M,N] = x[M,K] · w[N,K]ᵀ (+ bias)` with
//! 16-bit operands (bf16 or f16) in GM, f32 accumulation in L0C, Fixpipe to f32/f16/bf16.
//!
//! It serves all three Rust entry points: `ops::matmul` (bf16 × bf16 directly),
//! `ops::mx_matmul_weight_only` and `ops::mx_matmul` (the MXFP8 operands are first decoded and
//! scaled to bf16 in GM by the generated `mx_dequant` vector kernel, then this kernel runs).
//! Dataflow per output tile (`base_m` × `base_n`): for each L1 chunk of `k_l1` columns,
//! `DataCopy` ND→NZ of the x and w sub-tiles into L1 (A1/B1); for each `base_k` step inside it,
//! `LoadData` 2D into L0A (Zz on a2, Nz on a5: one row of fractals per call on a2, one contiguous
//! run on a5) and L0B (w's Nz layout *is* the Zn layout `Mmad` wants for `x · wᵀ`, so no
//! transpose), `Mmad` accumulating into L0C. The optional bias is a last rank-3 `Mmad` update
//! (`ones[m,0..3] · [hi, mid, lo][n]`, an exact bf16 triple split of the f32 bias made by the
//! host), so it enters with one f32 rounding, as an f32 epilogue add would. Then `Fixpipe`
//! NZ→ND with the output conversion. Double buffering (`BUFFER_NUM = 2`) prefetches the next L1
//! chunk before the current one is consumed and ping-pongs the L0A/L0B buffers.

use crate::desc::{CType, Dir, EmitCtx, Field, GmArg, KernelCode, KernelDesc, Target, Variant};
use crate::writer::SourceWriter;

/// The description of `matmul`.
pub fn desc() -> KernelDesc {
    KernelDesc {
        name: "matmul",
        camel: "Matmul",
        doc: "out[m, n] = sum_k x[m, k] * w[n, k] (+ bias[n]) with 16-bit operands (in_dtype), f32 accumulation in L0C
              and Fixpipe NZ2ND to out_dtype. Output tiles of base_m x base_n are dealt round-robin to the cores;
              K is staged into L1 in chunks of k_l1 (ND2NZ) and fed to L0A/L0B in steps of base_k (LoadData 2D).
              The bias (bf16 only) is a rank-3 Mmad update ones[16, 16] x bias3[N, 16] (hi, mid, lo, 0...) after
              the K loop: an exact split of the f32 bias, added to the f32 accumulator with one rounding.",
        gm_args: vec![
            GmArg { name: "x", dir: Dir::In, doc: "[m, k] activations (in_dtype)" },
            GmArg { name: "w", dir: Dir::In, doc: "[n, k] weights (in_dtype)" },
            GmArg { name: "bias3", dir: Dir::In, doc: "[n, 16] bf16 bias split (hi, mid, lo, 0 x 13), has_bias only" },
            GmArg { name: "ones", dir: Dir::In, doc: "[16, 16] bf16, every row (1, 1, 1, 0 x 13), has_bias only" },
            GmArg { name: "out", dir: Dir::Out, doc: "[m, n] output (out_dtype)" },
        ],
        tiling: vec![
            Field { name: "m", ty: CType::U32, doc: "rows of x and out" },
            Field { name: "n", ty: CType::U32, doc: "rows of w, columns of out" },
            Field { name: "k", ty: CType::U32, doc: "inner dimension (<= 65535)" },
            Field { name: "base_m", ty: CType::U32, doc: "output tile rows (multiple of 16)" },
            Field { name: "base_n", ty: CType::U32, doc: "output tile columns (multiple of 16)" },
            Field { name: "base_k", ty: CType::U32, doc: "K per Mmad / L0A-L0B buffer (multiple of 16)" },
            Field { name: "k_l1", ty: CType::U32, doc: "K per L1 chunk (a multiple of base_k: the L1 staging depth)" },
            Field { name: "tiles_n", ty: CType::U32, doc: "ceil(n / base_n)" },
            Field { name: "tiles", ty: CType::U32, doc: "ceil(m / base_m) * tiles_n" },
            Field { name: "has_bias", ty: CType::U32, doc: "1: add bias3 (needs in_dtype bf16)" },
            Field { name: "in_dtype", ty: CType::U32, doc: "AK_DTYPE_BF16 or AK_DTYPE_F16 of x and w" },
            Field { name: "out_dtype", ty: CType::U32, doc: "AK_DTYPE_* of out" },
        ],
        variants: vec![
            Variant { name: "v0", buffer_num: 2, ub_share_pct: 100, doc: "double-buffered L1 and L0A/L0B" },
            Variant { name: "v1", buffer_num: 1, ub_share_pct: 100, doc: "single-buffered (largest tiles)" },
        ],
        targets: &Target::ALL,
        includes: vec!["ak_common.h"],
        code: KernelCode::Inline { body, entry },
    }
}

fn body(ctx: &EmitCtx, w: &mut SourceWriter) {
    w.lines(
        r#"
constexpr uint32_t FRAC_ROWS = 16;       // rows of a cube fractal
constexpr uint32_t FRAC_ELEMS = 256;     // 16-bit elements of a 512-B fractal
constexpr uint32_t MAX_LOAD_REPEAT = 255; // LoadData2DParams::repeatTimes is 8 bits
constexpr uint32_t BIAS_K = 3;           // bias split into three bf16 parts

template <typename T, typename O>
class KernelMatmul {
public:
    __aicore__ inline KernelMatmul() {}

    __aicore__ inline void Init(GM_ADDR x, GM_ADDR w, GM_ADDR bias3, GM_ADDR ones, GM_ADDR out,
                                const AkMatmulTiling& tiling)
    {
        m_ = tiling.m;
        n_ = tiling.n;
        k_ = tiling.k;
        baseM_ = tiling.base_m;
        baseN_ = tiling.base_n;
        baseK_ = tiling.base_k;
        kL1_ = tiling.k_l1;
        tilesN_ = tiling.tiles_n;
        tiles_ = tiling.tiles;
        hasBias_ = tiling.has_bias != 0;
        xGm_.SetGlobalBuffer(reinterpret_cast<__gm__ T*>(x), static_cast<uint64_t>(m_) * k_);
        wGm_.SetGlobalBuffer(reinterpret_cast<__gm__ T*>(w), static_cast<uint64_t>(n_) * k_);
        outGm_.SetGlobalBuffer(reinterpret_cast<__gm__ O*>(out), static_cast<uint64_t>(m_) * n_);
        if (hasBias_) {
            biasGm_.SetGlobalBuffer(reinterpret_cast<__gm__ T*>(bias3), static_cast<uint64_t>(n_) * FRAC_ROWS);
            onesGm_.SetGlobalBuffer(reinterpret_cast<__gm__ T*>(ones), FRAC_ELEMS);
        }
        // L1: Nz tiles of base_m (base_n) rows x k_l1 columns; L0A/L0B: base_m (base_n) x base_k;
        // L0C: base_m x base_n floats (Nz, 16x16 fractals)
        pipe_.InitBuffer(qa1_, BUFFER_NUM, baseM_ * kL1_ * sizeof(T));
        pipe_.InitBuffer(qb1_, BUFFER_NUM, baseN_ * kL1_ * sizeof(T));
        pipe_.InitBuffer(qa2_, BUFFER_NUM, baseM_ * baseK_ * sizeof(T));
        pipe_.InitBuffer(qb2_, BUFFER_NUM, baseN_ * baseK_ * sizeof(T));
        pipe_.InitBuffer(qc_, 1, baseM_ * baseN_ * sizeof(float));
    }

    __aicore__ inline void Process()
    {
        for (uint32_t t = GetBlockIdx(); t < tiles_; t += GetBlockNum()) {
            const uint32_t mOff = (t / tilesN_) * baseM_;
            const uint32_t nOff = (t % tilesN_) * baseN_;
            Tile(mOff, AkMin(baseM_, m_ - mOff), nOff, AkMin(baseN_, n_ - nOff));
        }
    }

private:
    // GM (ND) -> L1 (Nz) for the K chunk starting at kOff: x rows [mOff, mOff + mLen), w rows [nOff, nOff + nLen)
    __aicore__ inline void CopyInL1(uint32_t mOff, uint32_t mLen, uint32_t nOff, uint32_t nLen, uint32_t kOff)
    {
        const uint32_t kLen = AkMin(kL1_, k_ - kOff);
        const uint32_t m1 = AkCeilDiv(mLen, FRAC_ROWS), n1 = AkCeilDiv(nLen, FRAC_ROWS);
        LocalTensor<T> a1 = qa1_.AllocTensor<T>();
        DataCopy(a1, xGm_[static_cast<uint64_t>(mOff) * k_ + kOff],
                 Nd2NzParams(1, mLen, kLen, 0, k_, m1 * FRAC_ROWS, 1, 0));
        qa1_.EnQue(a1);
        LocalTensor<T> b1 = qb1_.AllocTensor<T>();
        DataCopy(b1, wGm_[static_cast<uint64_t>(nOff) * k_ + kOff],
                 Nd2NzParams(1, nLen, kLen, 0, k_, n1 * FRAC_ROWS, 1, 0));
        qb1_.EnQue(b1);
    }

    // L1 -> L0: `count` fractals from `start` (stride srcStride) into consecutive destination fractals
    __aicore__ inline void LoadRun(const LocalTensor<T>& dst, const LocalTensor<T>& src, uint32_t start,
                                   uint32_t count, uint32_t srcStride)
    {
        for (uint32_t done = 0; done < count; done += MAX_LOAD_REPEAT) {
            const uint32_t rep = AkMin(MAX_LOAD_REPEAT, count - done);
            LoadData(dst[done * FRAC_ELEMS], src,
                     LoadData2DParams(static_cast<uint16_t>(start + done * srcStride), static_cast<uint8_t>(rep),
                                      static_cast<uint16_t>(srcStride), 0, 0, false, 0));
        }
    }

    // A: L1 Nz (fractal (kb, mb) at kb * m1 + mb) -> L0A for k blocks [kb0, kb0 + kb1)
    __aicore__ inline void LoadA(const LocalTensor<T>& a2, const LocalTensor<T>& a1, uint32_t m1, uint32_t kb0,
                                 uint32_t kb1)
    {
"#,
    );
    if ctx.target == Target::A2 {
        w.lines(
            r#"
        // a2: L0A is Zz (fractal (mb, kb) at mb * kb1 + kb): one row of fractals per call
        for (uint32_t mb = 0; mb < m1; ++mb) {
            LoadRun(a2[mb * kb1 * FRAC_ELEMS], a1, kb0 * m1 + mb, kb1, m1);
        }
"#,
        );
    } else {
        w.lines(
            r#"
        // a5: L0A is Nz, the L1 layout: one contiguous run of fractals
        LoadRun(a2, a1, kb0 * m1, kb1 * m1, 1);
"#,
        );
    }
    w.lines(
        r#"
    }

    __aicore__ inline void Tile(uint32_t mOff, uint32_t mLen, uint32_t nOff, uint32_t nLen)
    {
        const uint32_t m1 = AkCeilDiv(mLen, FRAC_ROWS), n1 = AkCeilDiv(nLen, FRAC_ROWS);
        const uint32_t chunks = AkCeilDiv(k_, kL1_);
        LocalTensor<float> c1 = qc_.AllocTensor<float>();
        bool first = true;
        uint32_t issued = 0;
        CopyInL1(mOff, mLen, nOff, nLen, 0);
        ++issued;
        for (uint32_t ch = 0; ch < chunks; ++ch) {
            if (BUFFER_NUM > 1 && issued < chunks) {  // prefetch the next chunk
                CopyInL1(mOff, mLen, nOff, nLen, issued * kL1_);
                ++issued;
            }
            LocalTensor<T> a1 = qa1_.DeQue<T>();
            LocalTensor<T> b1 = qb1_.DeQue<T>();
            const uint32_t kLen = AkMin(kL1_, k_ - ch * kL1_);
            for (uint32_t kk = 0; kk < kLen; kk += baseK_) {
                const uint32_t kStep = AkMin(baseK_, kLen - kk);
                const uint32_t kb0 = kk / FRAC_ROWS, kb1 = AkCeilDiv(kStep, FRAC_ROWS);
                LocalTensor<T> a2 = qa2_.AllocTensor<T>();
                LoadA(a2, a1, m1, kb0, kb1);
                qa2_.EnQue(a2);
                // B: L1 Nz of w [n, k] (fractal (kb, nb) at kb * n1 + nb) is already Zn for x * w^T
                LocalTensor<T> b2 = qb2_.AllocTensor<T>();
                LoadRun(b2, b1, kb0 * n1, kb1 * n1, 1);
                qb2_.EnQue(b2);
                a2 = qa2_.DeQue<T>();
                b2 = qb2_.DeQue<T>();
                MmadParams mm(static_cast<uint16_t>(mLen), static_cast<uint16_t>(nLen), static_cast<uint16_t>(kStep),
                              false, 0, false, false, false);
                mm.cmatrixInitVal = first;
                Mmad(c1, a2, b2, mm);
                first = false;
                qa2_.FreeTensor(a2);
                qb2_.FreeTensor(b2);
            }
            qa1_.FreeTensor(a1);
            qb1_.FreeTensor(b1);
            if (BUFFER_NUM == 1 && issued < chunks) {
                CopyInL1(mOff, mLen, nOff, nLen, issued * kL1_);
                ++issued;
            }
        }
        if (hasBias_) {
            AddBias(c1, mLen, nOff, nLen, m1, n1);
        }
        qc_.EnQue(c1);
        c1 = qc_.DeQue<float>();
        FixpipeParamsV220 fp(static_cast<uint16_t>(nLen), static_cast<uint16_t>(mLen),
                             static_cast<uint16_t>(m1 * FRAC_ROWS), n_, false);
        if constexpr (AkIsSame<O, half>::value) {
            fp.quantPre = QuantMode_t::F322F16;
        } else if constexpr (AkIsSame<O, bfloat16_t>::value) {
            fp.quantPre = QuantMode_t::F322BF16;
        }
        Fixpipe(outGm_[static_cast<uint64_t>(mOff) * n_ + nOff], c1, fp);
        qc_.FreeTensor(c1);
    }

    // c += ones[m, 0..3] * (hi, mid, lo)[n]: one k-fractal, summed exactly, added with one rounding
    __aicore__ inline void AddBias(const LocalTensor<float>& c1, uint32_t mLen, uint32_t nOff, uint32_t nLen,
                                   uint32_t m1, uint32_t n1)
    {
        LocalTensor<T> a1 = qa1_.AllocTensor<T>();
        DataCopy(a1, onesGm_, Nd2NzParams(static_cast<uint16_t>(m1), FRAC_ROWS, FRAC_ROWS, 0, FRAC_ROWS, FRAC_ROWS, 1,
                                          FRAC_ELEMS));
        qa1_.EnQue(a1);
        LocalTensor<T> b1 = qb1_.AllocTensor<T>();
        DataCopy(b1, biasGm_[static_cast<uint64_t>(nOff) * FRAC_ROWS],
                 Nd2NzParams(1, nLen, FRAC_ROWS, 0, FRAC_ROWS, n1 * FRAC_ROWS, 1, 0));
        qb1_.EnQue(b1);
        a1 = qa1_.DeQue<T>();
        b1 = qb1_.DeQue<T>();
        LocalTensor<T> a2 = qa2_.AllocTensor<T>();
        LoadRun(a2, a1, 0, m1, 1);  // one k block: Zz and Nz coincide
        qa2_.EnQue(a2);
        LocalTensor<T> b2 = qb2_.AllocTensor<T>();
        LoadRun(b2, b1, 0, n1, 1);
        qb2_.EnQue(b2);
        qa1_.FreeTensor(a1);
        qb1_.FreeTensor(b1);
        a2 = qa2_.DeQue<T>();
        b2 = qb2_.DeQue<T>();
        MmadParams mm(static_cast<uint16_t>(mLen), static_cast<uint16_t>(nLen), BIAS_K, false, 0, false, false, false);
        mm.cmatrixInitVal = false;
        Mmad(c1, a2, b2, mm);
        qa2_.FreeTensor(a2);
        qb2_.FreeTensor(b2);
    }

    TPipe pipe_;
    TQue<TPosition::A1, BUFFER_NUM> qa1_;
    TQue<TPosition::B1, BUFFER_NUM> qb1_;
    TQue<TPosition::A2, BUFFER_NUM> qa2_;
    TQue<TPosition::B2, BUFFER_NUM> qb2_;
    TQue<TPosition::CO1, 1> qc_;
    GlobalTensor<T> xGm_;
    GlobalTensor<T> wGm_;
    GlobalTensor<T> biasGm_;
    GlobalTensor<T> onesGm_;
    GlobalTensor<O> outGm_;
    uint32_t m_ = 0;
    uint32_t n_ = 0;
    uint32_t k_ = 0;
    uint32_t baseM_ = 0;
    uint32_t baseN_ = 0;
    uint32_t baseK_ = 0;
    uint32_t kL1_ = 0;
    uint32_t tilesN_ = 0;
    uint32_t tiles_ = 0;
    bool hasBias_ = false;
};

template <typename T, typename O>
__aicore__ inline void Run(GM_ADDR x, GM_ADDR w, GM_ADDR bias3, GM_ADDR ones, GM_ADDR out,
                           const AkMatmulTiling& tiling)
{
    KernelMatmul<T, O> op;
    op.Init(x, w, bias3, ones, out, tiling);
    op.Process();
}

template <typename T>
__aicore__ inline void RunOut(GM_ADDR x, GM_ADDR w, GM_ADDR bias3, GM_ADDR ones, GM_ADDR out,
                              const AkMatmulTiling& tiling)
{
    switch (tiling.out_dtype) {
        case AK_DTYPE_F32:
            Run<T, float>(x, w, bias3, ones, out, tiling);
            break;
        case AK_DTYPE_F16:
            Run<T, half>(x, w, bias3, ones, out, tiling);
            break;
        case AK_DTYPE_BF16:
            Run<T, bfloat16_t>(x, w, bias3, ones, out, tiling);
            break;
        default:
            break;
    }
}
"#,
    );
    w.blank();
}

fn entry(_ctx: &EmitCtx, w: &mut SourceWriter) {
    w.lines(
        r#"
if (tiling.in_dtype == AK_DTYPE_BF16) {
    RunOut<bfloat16_t>(x, w, bias3, ones, out, tiling);
} else if (tiling.in_dtype == AK_DTYPE_F16) {
    RunOut<half>(x, w, bias3, ones, out, tiling);
}
"#,
    );
}
