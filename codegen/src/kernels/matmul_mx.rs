//! `matmul_mx`: the a5 (Ascend 950) native MX cube kernel of the matmul family.
//! `out[M,N] = Σ_j (x[m, block j] · w[n, block j]) · 2^(sx[m,j] − 127) · 2^(sw[n,j] − 127) (+ bias)`
//! with FP8 operands (E4M3 or E5M2 each) and pair-layout E8M0 scales in GM, straight into the
//! cube: no decode to bf16, one launch.
//!
//! Dataflow per output tile (`base_m` × `base_n`), for each L1 chunk of `k_l1` columns (a
//! multiple of 64): `DataCopy` ND→NZ of the x / w fp8 sub-tiles into L1 (A1/B1) and, when the
//! chunk's K is not a multiple of 64, a zero fill of the 32-B column block the ND2NZ padding does
//! not reach (MmadMx reads K in multiples of 64); `DataCopy` DN→NZ of the scale pairs through a
//! 16-bit view into L1 (fractal (row block, 64-k group) = 16 rows × 2 bytes, the layout of ops-nn's
//! `CopyInScaleA/B`); for each `base_k` step (a multiple of 64) the MX `LoadData` moves the data
//! fractals into L0A/L0B and the scale fractals into the L0A_MX/L0B_MX areas (at the data address
//! / 16), and `MmadMx` accumulates in L0C (f32). The optional bias is the rank-3 bf16 `Mmad`
//! update of the `matmul` kernel (an exact split of the f32 bias, one rounding), through bf16
//! views of the same L1/L0 buffers. Then `Fixpipe` NZ→ND with the output conversion.
//!
//! Generated for a5 only: LoadData with `LoadData2DMxParams`, DN2NZ and `MmadMx` do not exist on
//! a2 (asc-devkit: Ascend 950PR/950DT only).

use crate::desc::{CType, Dir, EmitCtx, Field, GmArg, KernelCode, KernelDesc, Target, Variant};
use crate::writer::SourceWriter;

/// The description of `matmul_mx`.
pub fn desc() -> KernelDesc {
    KernelDesc {
        name: "matmul_mx",
        camel: "MatmulMx",
        doc: "out[m, n] = sum_j dot(x[m, block j], w[n, block j]) * 2^(sx[m, j] - 127) * 2^(sw[n, j] - 127) (+ bias[n])
              for fp8 x [m, k] and w [n, k] (x_fmt, w_fmt: E4M3 or E5M2) with pair-layout e8m0 scales [rows, ceil(k/64), 2],
              on the a5 native MX cube path: ND2NZ (data) and DN2NZ (scale pairs) into L1, MX LoadData into L0A/L0B and
              their scale areas, MmadMx (K in multiples of 64, the tail zero-filled) with f32 accumulation in L0C, and
              Fixpipe NZ2ND to out_dtype. The pad scale byte of an odd block count must be finite (the host makes it 0).
              The bias is a rank-3 bf16 Mmad update ones[16, 16] x bias3[N, 16] (hi, mid, lo, 0...) after the K loop.",
        gm_args: vec![
            GmArg { name: "x", dir: Dir::In, doc: "[m, k] fp8 activations (x_fmt)" },
            GmArg { name: "x_scale", dir: Dir::In, doc: "[m, ceil(k/64), 2] e8m0 scales of x (pair layout)" },
            GmArg { name: "w", dir: Dir::In, doc: "[n, k] fp8 weights (w_fmt)" },
            GmArg { name: "w_scale", dir: Dir::In, doc: "[n, ceil(k/64), 2] e8m0 scales of w (pair layout)" },
            GmArg { name: "zeros", dir: Dir::In, doc: "[32] bytes of 0: the K-tail fill of L1" },
            GmArg { name: "bias3", dir: Dir::In, doc: "[n, 16] bf16 bias split (hi, mid, lo, 0 x 13), has_bias only" },
            GmArg { name: "ones", dir: Dir::In, doc: "[16, 16] bf16, every row (1, 1, 1, 0 x 13), has_bias only" },
            GmArg { name: "out", dir: Dir::Out, doc: "[m, n] output (out_dtype)" },
        ],
        tiling: vec![
            Field { name: "m", ty: CType::U32, doc: "rows of x and out" },
            Field { name: "n", ty: CType::U32, doc: "rows of w, columns of out" },
            Field { name: "k", ty: CType::U32, doc: "inner dimension" },
            Field { name: "base_m", ty: CType::U32, doc: "output tile rows (multiple of 16)" },
            Field { name: "base_n", ty: CType::U32, doc: "output tile columns (multiple of 16)" },
            Field { name: "base_k", ty: CType::U32, doc: "K per MmadMx / L0A-L0B buffer (multiple of 64)" },
            Field { name: "k_l1", ty: CType::U32, doc: "K per L1 chunk (a multiple of base_k)" },
            Field { name: "tiles_n", ty: CType::U32, doc: "ceil(n / base_n)" },
            Field { name: "tiles", ty: CType::U32, doc: "ceil(m / base_m) * tiles_n" },
            Field { name: "has_bias", ty: CType::U32, doc: "1: add bias3" },
            Field { name: "x_fmt", ty: CType::U32, doc: "AK_FP8_E4M3 or AK_FP8_E5M2 of x" },
            Field { name: "w_fmt", ty: CType::U32, doc: "AK_FP8_E4M3 or AK_FP8_E5M2 of w" },
            Field { name: "out_dtype", ty: CType::U32, doc: "AK_DTYPE_* of out" },
        ],
        variants: vec![
            Variant { name: "v0", buffer_num: 2, ub_share_pct: 100, doc: "double-buffered L1 and L0A/L0B" },
            Variant { name: "v1", buffer_num: 1, ub_share_pct: 100, doc: "single-buffered (largest tiles)" },
        ],
        targets: &[Target::A5],
        includes: vec!["ak_common.h"],
        code: KernelCode::Inline { body, entry },
    }
}

fn body(_ctx: &EmitCtx, w: &mut SourceWriter) {
    w.lines(
        r#"
constexpr uint32_t FRAC_ROWS = 16;        // rows of a cube fractal
constexpr uint32_t FRAC_BYTES = 512;      // bytes of a data fractal (16 rows x 32 B)
constexpr uint32_t MX_BLOCK = 32;         // fp8 elements per e8m0 scale (one 32-B fractal column)
constexpr uint32_t MX_PAIR = 64;          // K per scale pair (one 32-B scale fractal of 16 rows x 2)
constexpr uint32_t BF16_FRAC_ELEMS = 256; // bf16 elements of a fractal (bias update)
constexpr uint32_t MAX_LOAD_REPEAT = 255; // LoadData2DParams::repeatTimes is 8 bits
constexpr uint32_t BIAS_K = 3;            // bias split into three bf16 parts

template <typename X, typename W, typename O>
class KernelMatmulMx {
public:
    __aicore__ inline KernelMatmulMx() {}

    __aicore__ inline void Init(GM_ADDR x, GM_ADDR xScale, GM_ADDR w, GM_ADDR wScale, GM_ADDR zeros, GM_ADDR bias3,
                                GM_ADDR ones, GM_ADDR out, const AkMatmulMxTiling& tiling)
    {
        m_ = tiling.m;
        n_ = tiling.n;
        k_ = tiling.k;
        k64_ = AkCeilDiv(k_, MX_PAIR);
        baseM_ = tiling.base_m;
        baseN_ = tiling.base_n;
        baseK_ = tiling.base_k;
        kL1_ = tiling.k_l1;
        tilesN_ = tiling.tiles_n;
        tiles_ = tiling.tiles;
        hasBias_ = tiling.has_bias != 0;
        xGm_.SetGlobalBuffer(reinterpret_cast<__gm__ X*>(x), static_cast<uint64_t>(m_) * k_);
        wGm_.SetGlobalBuffer(reinterpret_cast<__gm__ W*>(w), static_cast<uint64_t>(n_) * k_);
        // a scale pair (two e8m0 bytes) is one 16-bit element: DN2NZ moves 16-bit types
        xsGm_.SetGlobalBuffer(reinterpret_cast<__gm__ half*>(xScale), static_cast<uint64_t>(m_) * k64_);
        wsGm_.SetGlobalBuffer(reinterpret_cast<__gm__ half*>(wScale), static_cast<uint64_t>(n_) * k64_);
        zerosGm_.SetGlobalBuffer(reinterpret_cast<__gm__ X*>(zeros), MX_BLOCK);
        outGm_.SetGlobalBuffer(reinterpret_cast<__gm__ O*>(out), static_cast<uint64_t>(m_) * n_);
        if (hasBias_) {
            biasGm_.SetGlobalBuffer(reinterpret_cast<__gm__ bfloat16_t*>(bias3), static_cast<uint64_t>(n_) * FRAC_ROWS);
            onesGm_.SetGlobalBuffer(reinterpret_cast<__gm__ bfloat16_t*>(ones), BF16_FRAC_ELEMS);
        }
        // L1: Nz data tiles of base_m (base_n) rows x k_l1 bytes and their scale fractals
        // (base_m / 16 row blocks x k_l1 / 64 fractals of 32 B); L0A/L0B: base_m (base_n) x base_k
        // bytes (1024-B multiples, so every buffer and its scale area address / 16 stay aligned);
        // L0C: base_m x base_n floats
        pipe_.InitBuffer(qa1_, BUFFER_NUM, baseM_ * kL1_);
        pipe_.InitBuffer(qb1_, BUFFER_NUM, baseN_ * kL1_);
        pipe_.InitBuffer(qsa_, BUFFER_NUM, baseM_ * kL1_ / MX_BLOCK);
        pipe_.InitBuffer(qsb_, BUFFER_NUM, baseN_ * kL1_ / MX_BLOCK);
        pipe_.InitBuffer(qa2_, BUFFER_NUM, baseM_ * baseK_);
        pipe_.InitBuffer(qb2_, BUFFER_NUM, baseN_ * baseK_);
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
    // GM (ND) -> L1 (Nz) of `rows` fp8 rows from `gm`, K columns [kOff, kOff + kLen), plus the zero
    // fill of the 32-B column block between the ND2NZ padding (to 32 B) and the next multiple of 64
    template <typename T>
    __aicore__ inline void CopyData(const LocalTensor<T>& l1, const GlobalTensor<T>& gm, uint32_t rows, uint32_t kLen)
    {
        const uint32_t r1 = AkCeilDiv(rows, FRAC_ROWS);
        DataCopy(l1, gm, Nd2NzParams(1, rows, kLen, 0, k_, r1 * FRAC_ROWS, 1, 0));
        const uint32_t k32 = AkCeilDiv(kLen, MX_BLOCK) * MX_BLOCK;
        if (k32 % MX_PAIR != 0) {
            // r1 * 16 one-row matrices of 32 zero bytes (srcNdMatrixStride 0: all read the same
            // bytes), one after the other in column block k32 / 32
            DataCopy(l1[k32 * r1 * FRAC_ROWS], zerosGm_.template ReinterpretCast<T>(),
                     Nd2NzParams(static_cast<uint16_t>(r1 * FRAC_ROWS), 1, MX_BLOCK, 0, MX_BLOCK, 1, 1, MX_BLOCK));
        }
    }

    // GM [rows, k64] scale pairs -> L1 fractals (row block rb, pair g) at (rb * k_l1 / 64 + g) * 32 B,
    // byte (row % 16) * 2 + j: DN2NZ with the row as D (contiguous in the fractal) and the pair as N
    __aicore__ inline void CopyScales(const LocalTensor<fp8_e8m0_t>& l1, const GlobalTensor<half>& gm, uint32_t rows,
                                      uint32_t kLen)
    {
        DataCopy(l1.template ReinterpretCast<half>(), gm,
                 Dn2NzParams(1, static_cast<uint16_t>(AkCeilDiv(kLen, MX_PAIR)), rows, 0, k64_,
                             static_cast<uint16_t>(kL1_ / MX_PAIR), 1, 0));
    }

    __aicore__ inline void CopyInL1(uint32_t mOff, uint32_t mLen, uint32_t nOff, uint32_t nLen, uint32_t kOff)
    {
        const uint32_t kLen = AkMin(kL1_, k_ - kOff);
        LocalTensor<X> a1 = qa1_.AllocTensor<X>();
        CopyData(a1, xGm_[static_cast<uint64_t>(mOff) * k_ + kOff], mLen, kLen);
        qa1_.EnQue(a1);
        LocalTensor<W> b1 = qb1_.AllocTensor<W>();
        CopyData(b1, wGm_[static_cast<uint64_t>(nOff) * k_ + kOff], nLen, kLen);
        qb1_.EnQue(b1);
        LocalTensor<fp8_e8m0_t> sa = qsa_.AllocTensor<fp8_e8m0_t>();
        CopyScales(sa, xsGm_[static_cast<uint64_t>(mOff) * k64_ + kOff / MX_PAIR], mLen, kLen);
        qsa_.EnQue(sa);
        LocalTensor<fp8_e8m0_t> sb = qsb_.AllocTensor<fp8_e8m0_t>();
        CopyScales(sb, wsGm_[static_cast<uint64_t>(nOff) * k64_ + kOff / MX_PAIR], nLen, kLen);
        qsb_.EnQue(sb);
    }

    // L1 -> L0 (data + scales) for K [kk, kk + kStep) of the chunk (kk, kStep multiples of 64):
    // `r1` row blocks, data fractal (kb, rb) at kb * r1 + rb in L1 and in L0 (Nz for L0A; w's Nz is
    // the Zn layout of L0B), scale fractal (rb, g) at rb * k_l1/64 + g in L1 and rb * kStep/64 + g
    // in the scale area (the rows of k/64 fractals MmadMx reads)
    template <typename T>
    __aicore__ inline void LoadMx(const LocalTensor<T>& l0, const LocalTensor<T>& l1,
                                  const LocalTensor<fp8_e8m0_t>& s1, uint32_t r1, uint32_t kk, uint32_t kStep)
    {
        LoadData(l0, l1, s1,
                 LoadData2DParamsV2(0, kk / MX_BLOCK, static_cast<uint16_t>(r1), static_cast<uint16_t>(kStep / MX_BLOCK),
                                    static_cast<int32_t>(r1), static_cast<uint16_t>(r1), false, 0),
                 LoadData2DMxParams(0, static_cast<uint16_t>(kk / MX_PAIR), static_cast<uint8_t>(r1),
                                    static_cast<uint8_t>(kStep / MX_PAIR), static_cast<uint16_t>(kL1_ / MX_PAIR),
                                    static_cast<uint16_t>(kStep / MX_PAIR)));
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
            LocalTensor<X> a1 = qa1_.DeQue<X>();
            LocalTensor<W> b1 = qb1_.DeQue<W>();
            LocalTensor<fp8_e8m0_t> sa = qsa_.DeQue<fp8_e8m0_t>();
            LocalTensor<fp8_e8m0_t> sb = qsb_.DeQue<fp8_e8m0_t>();
            // the chunk's K padded to 64: MmadMx takes K in multiples of 64
            const uint32_t kPad = AkCeilDiv(AkMin(kL1_, k_ - ch * kL1_), MX_PAIR) * MX_PAIR;
            for (uint32_t kk = 0; kk < kPad; kk += baseK_) {
                const uint32_t kStep = AkMin(baseK_, kPad - kk);
                LocalTensor<X> a2 = qa2_.AllocTensor<X>();
                LoadMx(a2, a1, sa, m1, kk, kStep);
                qa2_.EnQue(a2);
                LocalTensor<W> b2 = qb2_.AllocTensor<W>();
                LoadMx(b2, b1, sb, n1, kk, kStep);
                qb2_.EnQue(b2);
                a2 = qa2_.DeQue<X>();
                b2 = qb2_.DeQue<W>();
                MmadParams mm(static_cast<uint16_t>(mLen), static_cast<uint16_t>(nLen), static_cast<uint16_t>(kStep),
                              false, 0, false, false, false);
                mm.cmatrixInitVal = first;
                MmadMx(c1, a2, b2, mm);
                first = false;
                qa2_.FreeTensor(a2);
                qb2_.FreeTensor(b2);
            }
            qa1_.FreeTensor(a1);
            qb1_.FreeTensor(b1);
            qsa_.FreeTensor(sa);
            qsb_.FreeTensor(sb);
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

    // L1 -> L0 of `count` bf16 fractals (one k block: Nz and Zz coincide)
    __aicore__ inline void LoadRun(const LocalTensor<bfloat16_t>& dst, const LocalTensor<bfloat16_t>& src,
                                   uint32_t count)
    {
        for (uint32_t done = 0; done < count; done += MAX_LOAD_REPEAT) {
            const uint32_t rep = AkMin(MAX_LOAD_REPEAT, count - done);
            LoadData(dst[done * BF16_FRAC_ELEMS], src,
                     LoadData2DParams(static_cast<uint16_t>(done), static_cast<uint8_t>(rep), 1, 0, 0, false, 0));
        }
    }

    // c += ones[m, 0..3] * (hi, mid, lo)[n] with bf16 views of the fp8 buffers: one k-fractal,
    // summed exactly, added with one rounding
    __aicore__ inline void AddBias(const LocalTensor<float>& c1, uint32_t mLen, uint32_t nOff, uint32_t nLen,
                                   uint32_t m1, uint32_t n1)
    {
        LocalTensor<X> a1 = qa1_.AllocTensor<X>();
        DataCopy(a1.template ReinterpretCast<bfloat16_t>(), onesGm_,
                 Nd2NzParams(static_cast<uint16_t>(m1), FRAC_ROWS, FRAC_ROWS, 0, FRAC_ROWS, FRAC_ROWS, 1,
                             BF16_FRAC_ELEMS));
        qa1_.EnQue(a1);
        LocalTensor<W> b1 = qb1_.AllocTensor<W>();
        DataCopy(b1.template ReinterpretCast<bfloat16_t>(), biasGm_[static_cast<uint64_t>(nOff) * FRAC_ROWS],
                 Nd2NzParams(1, nLen, FRAC_ROWS, 0, FRAC_ROWS, n1 * FRAC_ROWS, 1, 0));
        qb1_.EnQue(b1);
        a1 = qa1_.DeQue<X>();
        b1 = qb1_.DeQue<W>();
        LocalTensor<X> a2 = qa2_.AllocTensor<X>();
        LoadRun(a2.template ReinterpretCast<bfloat16_t>(), a1.template ReinterpretCast<bfloat16_t>(), m1);
        qa2_.EnQue(a2);
        LocalTensor<W> b2 = qb2_.AllocTensor<W>();
        LoadRun(b2.template ReinterpretCast<bfloat16_t>(), b1.template ReinterpretCast<bfloat16_t>(), n1);
        qb2_.EnQue(b2);
        qa1_.FreeTensor(a1);
        qb1_.FreeTensor(b1);
        a2 = qa2_.DeQue<X>();
        b2 = qb2_.DeQue<W>();
        MmadParams mm(static_cast<uint16_t>(mLen), static_cast<uint16_t>(nLen), BIAS_K, false, 0, false, false, false);
        mm.cmatrixInitVal = false;
        Mmad(c1, a2.template ReinterpretCast<bfloat16_t>(), b2.template ReinterpretCast<bfloat16_t>(), mm);
        qa2_.FreeTensor(a2);
        qb2_.FreeTensor(b2);
    }

    TPipe pipe_;
    TQue<TPosition::A1, BUFFER_NUM> qa1_;
    TQue<TPosition::B1, BUFFER_NUM> qb1_;
    TQue<TPosition::A1, BUFFER_NUM> qsa_;
    TQue<TPosition::B1, BUFFER_NUM> qsb_;
    TQue<TPosition::A2, BUFFER_NUM> qa2_;
    TQue<TPosition::B2, BUFFER_NUM> qb2_;
    TQue<TPosition::CO1, 1> qc_;
    GlobalTensor<X> xGm_;
    GlobalTensor<W> wGm_;
    GlobalTensor<half> xsGm_;
    GlobalTensor<half> wsGm_;
    GlobalTensor<X> zerosGm_;
    GlobalTensor<bfloat16_t> biasGm_;
    GlobalTensor<bfloat16_t> onesGm_;
    GlobalTensor<O> outGm_;
    uint32_t m_ = 0;
    uint32_t n_ = 0;
    uint32_t k_ = 0;
    uint32_t k64_ = 0;
    uint32_t baseM_ = 0;
    uint32_t baseN_ = 0;
    uint32_t baseK_ = 0;
    uint32_t kL1_ = 0;
    uint32_t tilesN_ = 0;
    uint32_t tiles_ = 0;
    bool hasBias_ = false;
};

template <typename X, typename W, typename O>
__aicore__ inline void Run(GM_ADDR x, GM_ADDR xScale, GM_ADDR w, GM_ADDR wScale, GM_ADDR zeros, GM_ADDR bias3,
                           GM_ADDR ones, GM_ADDR out, const AkMatmulMxTiling& tiling)
{
    KernelMatmulMx<X, W, O> op;
    op.Init(x, xScale, w, wScale, zeros, bias3, ones, out, tiling);
    op.Process();
}

template <typename X, typename W>
__aicore__ inline void RunOut(GM_ADDR x, GM_ADDR xScale, GM_ADDR w, GM_ADDR wScale, GM_ADDR zeros, GM_ADDR bias3,
                              GM_ADDR ones, GM_ADDR out, const AkMatmulMxTiling& tiling)
{
    switch (tiling.out_dtype) {
        case AK_DTYPE_F32:
            Run<X, W, float>(x, xScale, w, wScale, zeros, bias3, ones, out, tiling);
            break;
        case AK_DTYPE_F16:
            Run<X, W, half>(x, xScale, w, wScale, zeros, bias3, ones, out, tiling);
            break;
        case AK_DTYPE_BF16:
            Run<X, W, bfloat16_t>(x, xScale, w, wScale, zeros, bias3, ones, out, tiling);
            break;
        default:
            break;
    }
}

template <typename X>
__aicore__ inline void RunW(GM_ADDR x, GM_ADDR xScale, GM_ADDR w, GM_ADDR wScale, GM_ADDR zeros, GM_ADDR bias3,
                            GM_ADDR ones, GM_ADDR out, const AkMatmulMxTiling& tiling)
{
    if (tiling.w_fmt == AK_FP8_E4M3) {
        RunOut<X, fp8_e4m3fn_t>(x, xScale, w, wScale, zeros, bias3, ones, out, tiling);
    } else if (tiling.w_fmt == AK_FP8_E5M2) {
        RunOut<X, fp8_e5m2_t>(x, xScale, w, wScale, zeros, bias3, ones, out, tiling);
    }
}
"#,
    );
    w.blank();
}

fn entry(_ctx: &EmitCtx, w: &mut SourceWriter) {
    w.lines(
        r#"
if (tiling.x_fmt == AK_FP8_E4M3) {
    RunW<fp8_e4m3fn_t>(x, x_scale, w, w_scale, zeros, bias3, ones, out, tiling);
} else if (tiling.x_fmt == AK_FP8_E5M2) {
    RunW<fp8_e5m2_t>(x, x_scale, w, w_scale, zeros, bias3, ones, out, tiling);
}
"#,
    );
}
