// ak_block_mmad.h: the block-level matmul shared by the cube kernels of ascend-kernels
// (matmul/matmul.h, matmul_mx/matmul_mx.h). Plain AscendC (membase API); compiles with CANN and
// against ascendc/sim.
//
// One output tile of base_m x base_n per step, tiles dealt round-robin to the cores:
//   bias (optional)  GM f32 [n] -> L1 (C1, ND2NZ of one row) -> bias table (C2)
//   K loop           per L1 chunk of k_l1 columns: GM -> L1 (A1/B1), the next chunk prefetched
//                    while this one is consumed (BUFFER_NUM = 2); per base_k step: L1 -> L0A/L0B
//                    (ping-pong with BUFFER_NUM = 2), Mmad into L0C (f32); the first step takes
//                    C from the bias table (C = bias + A x B) or starts at 0, later steps add
//   epilogue         Fixpipe NZ -> ND, L0C -> GM, with the output conversion (f32 / f16 / bf16)
// What depends on the operands is a policy (the way catlass' gemm/block and ops-nn's BlockMmadMx
// separate the block from its dispatch policy): AkMmad16 (bf16 / f16 operands, LoadData 2D,
// Mmad) and AkMmadMx (fp8 operands with e8m0 scale pairs, the MX LoadData, MmadMx; Ascend 950).
// Target differences are flags of the target traits (Traits::L0A_NZ, Traits::BT_COPY_32B).
// The buffers are L1, L0A/L0B/L0C and the bias table, not UB: their plan is AkBlockMmad::Init,
// mirrored by src/tiling/matmul.rs. docs/kernels/matmul.md has the dataflow and the rules.
#ifndef AK_BLOCK_MMAD_H
#define AK_BLOCK_MMAD_H

#include "kernel_operator.h"
#include "ak_common.h"
#include "common/ak_kernel.h" // the target traits, AK_MX_BLOCK

constexpr uint32_t AK_FRAC_ROWS = 16;         // rows of a cube fractal
constexpr uint32_t AK_FRAC_BYTES = 512;       // bytes of an L1 / L0A / L0B fractal (16 rows x 32 B)
constexpr uint32_t AK_MAX_LOAD_REPEAT = 255;  // LoadData2DParams::repeatTimes is 8 bits
constexpr uint32_t AK_MX_PAIR = 64;           // K per scale pair (one 32-B scale fractal of 16 rows x 2)

// The tiling fields every kernel of the family has.
struct AkBlockMmadShape {
    uint32_t m;        // rows of x and out
    uint32_t n;        // rows of w, columns of out
    uint32_t k;        // inner dimension
    uint32_t baseM;    // output tile rows (multiple of 16)
    uint32_t baseN;    // output tile columns (multiple of 16)
    uint32_t baseK;    // K per Mmad step (the policy's granularity)
    uint32_t kL1;      // K per L1 chunk (a multiple of baseK)
    uint32_t tilesN;   // ceil(n / baseN)
    uint32_t tiles;    // ceil(m / baseM) * tilesN
    bool hasBias;      // add bias[n] (f32 in GM)
};

template <typename Tiling>
__aicore__ inline AkBlockMmadShape AkBlockMmadShapeOf(const Tiling& t)
{
    return AkBlockMmadShape{t.m, t.n, t.k, t.base_m, t.base_n, t.base_k, t.k_l1, t.tiles_n, t.tiles,
                            t.has_bias != 0};
}

// L1 -> L0: `count` fractals from `start` (stride srcStride) into consecutive destination fractals.
template <typename T>
__aicore__ inline void AkLoadFractals(const AscendC::LocalTensor<T>& dst, const AscendC::LocalTensor<T>& src,
                                      uint32_t start, uint32_t count, uint32_t srcStride)
{
    constexpr uint32_t fracElems = AK_FRAC_BYTES / sizeof(T);
    for (uint32_t done = 0; done < count; done += AK_MAX_LOAD_REPEAT) {
        const uint32_t rep = AkMin(AK_MAX_LOAD_REPEAT, count - done);
        AscendC::LoadData(dst[done * fracElems], src,
                          AscendC::LoadData2DParams(static_cast<uint16_t>(start + done * srcStride),
                                                    static_cast<uint8_t>(rep), static_cast<uint16_t>(srcStride), 0,
                                                    0, false, 0));
    }
}

// Policy: 16-bit operands (bf16 or f16) x [m, k] and w [n, k] in GM.
template <typename T, typename Traits>
class AkMmad16 {
public:
    using A = T;
    using B = T;
    struct Args {
        GM_ADDR x;
        GM_ADDR w;
    };

    __aicore__ inline void Init(AscendC::TPipe& pipe, const Args& args, const AkBlockMmadShape& s)
    {
        (void)pipe;
        k_ = s.k;
        xGm_.SetGlobalBuffer(reinterpret_cast<__gm__ T*>(args.x), static_cast<uint64_t>(s.m) * s.k);
        wGm_.SetGlobalBuffer(reinterpret_cast<__gm__ T*>(args.w), static_cast<uint64_t>(s.n) * s.k);
    }

    // The K the steps of a chunk of kLen columns cover (Mmad pads K to the fractal itself).
    __aicore__ inline uint32_t StepSpan(uint32_t kLen) const { return kLen; }

    // GM (ND) -> L1 (Nz): x rows [mOff, mOff + mLen), w rows [nOff, nOff + nLen), K [kOff, kOff + kLen)
    __aicore__ inline void CopyIn(const AscendC::LocalTensor<T>& a1, const AscendC::LocalTensor<T>& b1, uint32_t mOff,
                                  uint32_t mLen, uint32_t nOff, uint32_t nLen, uint32_t kOff, uint32_t kLen)
    {
        const uint32_t m1 = AkCeilDiv(mLen, AK_FRAC_ROWS), n1 = AkCeilDiv(nLen, AK_FRAC_ROWS);
        AscendC::DataCopy(a1, xGm_[static_cast<uint64_t>(mOff) * k_ + kOff],
                          AscendC::Nd2NzParams(1, mLen, kLen, 0, k_, m1 * AK_FRAC_ROWS, 1, 0));
        AscendC::DataCopy(b1, wGm_[static_cast<uint64_t>(nOff) * k_ + kOff],
                          AscendC::Nd2NzParams(1, nLen, kLen, 0, k_, n1 * AK_FRAC_ROWS, 1, 0));
    }

    __aicore__ inline void ChunkReady() {}
    __aicore__ inline void ChunkDone() {}

    // A: L1 Nz (fractal (kb, mb) at kb * m1 + mb) -> L0A for K [kk, kk + kStep)
    __aicore__ inline void LoadA(const AscendC::LocalTensor<T>& a2, const AscendC::LocalTensor<T>& a1, uint32_t m1,
                                 uint32_t kk, uint32_t kStep)
    {
        const uint32_t kb0 = kk / AK_FRAC_ROWS, kb1 = AkCeilDiv(kStep, AK_FRAC_ROWS);
        if constexpr (Traits::L0A_NZ) {
            AkLoadFractals(a2, a1, kb0 * m1, kb1 * m1, 1);  // one contiguous run
        } else {
            for (uint32_t mb = 0; mb < m1; ++mb) {  // Zz: fractal (mb, kb) at mb * kb1 + kb
                AkLoadFractals(a2[mb * kb1 * (AK_FRAC_BYTES / sizeof(T))], a1, kb0 * m1 + mb, kb1, m1);
            }
        }
    }

    // B: L1 Nz of w [n, k] (fractal (kb, nb) at kb * n1 + nb) is already the Zn layout of w^T
    __aicore__ inline void LoadB(const AscendC::LocalTensor<T>& b2, const AscendC::LocalTensor<T>& b1, uint32_t n1,
                                 uint32_t kk, uint32_t kStep)
    {
        const uint32_t kb0 = kk / AK_FRAC_ROWS, kb1 = AkCeilDiv(kStep, AK_FRAC_ROWS);
        AkLoadFractals(b2, b1, kb0 * n1, kb1 * n1, 1);
    }

    __aicore__ inline void Mma(const AscendC::LocalTensor<float>& c, const AscendC::LocalTensor<T>& a,
                               const AscendC::LocalTensor<T>& b, const AscendC::MmadParams& mm)
    {
        AscendC::Mmad(c, a, b, mm);
    }

    __aicore__ inline void Mma(const AscendC::LocalTensor<float>& c, const AscendC::LocalTensor<T>& a,
                               const AscendC::LocalTensor<T>& b, const AscendC::LocalTensor<float>& bias,
                               const AscendC::MmadParams& mm)
    {
        AscendC::Mmad(c, a, b, bias, mm);
    }

private:
    AscendC::GlobalTensor<T> xGm_;
    AscendC::GlobalTensor<T> wGm_;
    uint32_t k_ = 0;
};

// Policy: fp8 operands x [m, k] (X) and w [n, k] (W) with pair-layout e8m0 scales [rows, ceil(k/64), 2]
// in GM, for MmadMx (Ascend 950 only). Steps cover K in multiples of 64; a chunk whose K is not one
// gets the 32-B column block that ND2NZ's padding leaves between it and the next multiple of 64
// zero-filled with InitConstValue. The scales travel GM -> L1 as DN2NZ of the pairs through a
// 16-bit view (fractal (row block, pair) = 16 rows x 2 B) and L1 -> L0A_MX / L0B_MX with the data.
template <typename X, typename W, int32_t BUFFER_NUM, typename Traits>
class AkMmadMx {
public:
    using A = X;
    using B = W;
    struct Args {
        GM_ADDR x;
        GM_ADDR xScale;
        GM_ADDR w;
        GM_ADDR wScale;
    };

    __aicore__ inline void Init(AscendC::TPipe& pipe, const Args& args, const AkBlockMmadShape& s)
    {
        k_ = s.k;
        k64_ = AkCeilDiv(s.k, AK_MX_PAIR);
        kL1_ = s.kL1;
        xGm_.SetGlobalBuffer(reinterpret_cast<__gm__ X*>(args.x), static_cast<uint64_t>(s.m) * s.k);
        wGm_.SetGlobalBuffer(reinterpret_cast<__gm__ W*>(args.w), static_cast<uint64_t>(s.n) * s.k);
        // a scale pair (two e8m0 bytes) is one 16-bit element: DN2NZ moves 16-bit types
        xsGm_.SetGlobalBuffer(reinterpret_cast<__gm__ half*>(args.xScale), static_cast<uint64_t>(s.m) * k64_);
        wsGm_.SetGlobalBuffer(reinterpret_cast<__gm__ half*>(args.wScale), static_cast<uint64_t>(s.n) * k64_);
        // L1 scale fractals: base_m (base_n) / 16 row blocks x k_l1 / 64 fractals of 32 B
        pipe.InitBuffer(qsa_, BUFFER_NUM, s.baseM * s.kL1 / AK_MX_BLOCK);
        pipe.InitBuffer(qsb_, BUFFER_NUM, s.baseN * s.kL1 / AK_MX_BLOCK);
    }

    // MmadMx takes K in multiples of 64: the steps cover the chunk's K padded to 64.
    __aicore__ inline uint32_t StepSpan(uint32_t kLen) const { return AkAlignUp(kLen, AK_MX_PAIR); }

    __aicore__ inline void CopyIn(const AscendC::LocalTensor<X>& a1, const AscendC::LocalTensor<W>& b1, uint32_t mOff,
                                  uint32_t mLen, uint32_t nOff, uint32_t nLen, uint32_t kOff, uint32_t kLen)
    {
        CopyData(a1, xGm_[static_cast<uint64_t>(mOff) * k_ + kOff], mLen, kLen);
        CopyData(b1, wGm_[static_cast<uint64_t>(nOff) * k_ + kOff], nLen, kLen);
        AscendC::LocalTensor<fp8_e8m0_t> sa = qsa_.template AllocTensor<fp8_e8m0_t>();
        CopyScales(sa, xsGm_[static_cast<uint64_t>(mOff) * k64_ + kOff / AK_MX_PAIR], mLen, kLen);
        qsa_.EnQue(sa);
        AscendC::LocalTensor<fp8_e8m0_t> sb = qsb_.template AllocTensor<fp8_e8m0_t>();
        CopyScales(sb, wsGm_[static_cast<uint64_t>(nOff) * k64_ + kOff / AK_MX_PAIR], nLen, kLen);
        qsb_.EnQue(sb);
    }

    // The scales of the chunk whose data the block has just dequeued.
    __aicore__ inline void ChunkReady()
    {
        sa_ = qsa_.template DeQue<fp8_e8m0_t>();
        sb_ = qsb_.template DeQue<fp8_e8m0_t>();
    }

    __aicore__ inline void ChunkDone()
    {
        qsa_.FreeTensor(sa_);
        qsb_.FreeTensor(sb_);
    }

    __aicore__ inline void LoadA(const AscendC::LocalTensor<X>& a2, const AscendC::LocalTensor<X>& a1, uint32_t m1,
                                 uint32_t kk, uint32_t kStep)
    {
        LoadMx(a2, a1, sa_, m1, kk, kStep);
    }

    __aicore__ inline void LoadB(const AscendC::LocalTensor<W>& b2, const AscendC::LocalTensor<W>& b1, uint32_t n1,
                                 uint32_t kk, uint32_t kStep)
    {
        LoadMx(b2, b1, sb_, n1, kk, kStep);
    }

    __aicore__ inline void Mma(const AscendC::LocalTensor<float>& c, const AscendC::LocalTensor<X>& a,
                               const AscendC::LocalTensor<W>& b, const AscendC::MmadParams& mm)
    {
        AscendC::MmadMx(c, a, b, mm);
    }

    __aicore__ inline void Mma(const AscendC::LocalTensor<float>& c, const AscendC::LocalTensor<X>& a,
                               const AscendC::LocalTensor<W>& b, const AscendC::LocalTensor<float>& bias,
                               const AscendC::MmadParams& mm)
    {
        AscendC::MmadMx(c, a, b, bias, mm);
    }

private:
    // GM (ND) -> L1 (Nz) of `rows` fp8 rows, kLen columns, and the zero fill of the 32-B column
    // block between the ND2NZ padding (to 32 B) and the next multiple of 64: column block c of
    // r1 row blocks starts at c * r1 fractals; InitConstValue writes it through a 16-bit view
    // (the API has no fp8 fill; zero bytes are zero in every format)
    template <typename T>
    __aicore__ inline void CopyData(const AscendC::LocalTensor<T>& l1, const AscendC::GlobalTensor<T>& gm,
                                    uint32_t rows, uint32_t kLen)
    {
        const uint32_t r1 = AkCeilDiv(rows, AK_FRAC_ROWS);
        AscendC::DataCopy(l1, gm, AscendC::Nd2NzParams(1, rows, kLen, 0, k_, r1 * AK_FRAC_ROWS, 1, 0));
        const uint32_t k32 = AkAlignUp(kLen, AK_MX_BLOCK);
        if (k32 % AK_MX_PAIR != 0) {
            const uint32_t blockBytes = r1 * AK_FRAC_BYTES;  // one column block of the tile
            AscendC::LocalTensor<uint16_t> tail =
                l1.template ReinterpretCast<uint16_t>()[(k32 / AK_MX_BLOCK) * blockBytes / sizeof(uint16_t)];
            AscendC::InitConstValue(tail, AscendC::InitConstValueParams<uint16_t>(
                                              1, static_cast<uint16_t>(blockBytes / AK_BLOCK_BYTES), 0, 0));
        }
    }

    // GM [rows, k64] scale pairs -> L1 fractals (row block rb, pair g) at (rb * k_l1 / 64 + g) * 32 B,
    // byte (row % 16) * 2 + j: DN2NZ with the row as D (contiguous in the fractal) and the pair as N
    // (a template so that the DN2NZ copy, which only a5's API declares, is compiled only where the
    // MX policy is instantiated)
    template <typename S = half>
    __aicore__ inline void CopyScales(const AscendC::LocalTensor<fp8_e8m0_t>& l1, const AscendC::GlobalTensor<S>& gm,
                                      uint32_t rows, uint32_t kLen)
    {
        AscendC::DataCopy(l1.template ReinterpretCast<S>(), gm,
                          AscendC::Dn2NzParams(1, static_cast<uint16_t>(AkCeilDiv(kLen, AK_MX_PAIR)), rows, 0, k64_,
                                               static_cast<uint16_t>(kL1_ / AK_MX_PAIR), 1, 0));
    }

    // L1 -> L0 (data + scales) for K [kk, kk + kStep) of the chunk (multiples of 64): `r1` row
    // blocks, data fractal (kb, rb) at kb * r1 + rb in L1 and in L0 (Nz for L0A; w's Nz is the Zn
    // layout of L0B), scale fractal (rb, g) at rb * k_l1/64 + g in L1 and rb * kStep/64 + g in the
    // scale area (the rows of k/64 fractals MmadMx reads)
    template <typename T>
    __aicore__ inline void LoadMx(const AscendC::LocalTensor<T>& l0, const AscendC::LocalTensor<T>& l1,
                                  const AscendC::LocalTensor<fp8_e8m0_t>& s1, uint32_t r1, uint32_t kk, uint32_t kStep)
    {
        AscendC::LoadData(
            l0, l1, s1,
            AscendC::LoadData2DParamsV2(0, kk / AK_MX_BLOCK, static_cast<uint16_t>(r1),
                                        static_cast<uint16_t>(kStep / AK_MX_BLOCK), static_cast<int32_t>(r1),
                                        static_cast<uint16_t>(r1), false, 0),
            AscendC::LoadData2DMxParams(0, static_cast<uint16_t>(kk / AK_MX_PAIR), static_cast<uint8_t>(r1),
                                        static_cast<uint8_t>(kStep / AK_MX_PAIR), static_cast<uint16_t>(kL1_ / AK_MX_PAIR),
                                        static_cast<uint16_t>(kStep / AK_MX_PAIR)));
    }

    AscendC::TQue<AscendC::TPosition::A1, BUFFER_NUM> qsa_;
    AscendC::TQue<AscendC::TPosition::B1, BUFFER_NUM> qsb_;
    AscendC::LocalTensor<fp8_e8m0_t> sa_;
    AscendC::LocalTensor<fp8_e8m0_t> sb_;
    AscendC::GlobalTensor<X> xGm_;
    AscendC::GlobalTensor<W> wGm_;
    AscendC::GlobalTensor<half> xsGm_;
    AscendC::GlobalTensor<half> wsGm_;
    uint32_t k_ = 0;
    uint32_t k64_ = 0;
    uint32_t kL1_ = 0;
};

// The block: buffers (InitBuffer plan), the tile loop, the bias step and the Fixpipe epilogue.
// `Policy` supplies the operand types, their GM -> L1 and L1 -> L0 moves and the Mmad form;
// `O` is the output element (float, half or bfloat16_t).
template <typename Policy, typename O, int32_t BUFFER_NUM, typename Traits>
class AkBlockMmad {
public:
    using A = typename Policy::A;
    using B = typename Policy::B;

    // InitBuffer plan (src/tiling/matmul.rs mirrors it): L1 A1/B1 base_m (base_n) x k_l1 elements
    // and the policy's own L1 buffers; L1 C1 and the bias table C2 base_n floats (the bias, with
    // or without one: one plan per tiling); L0A/L0B base_m (base_n) x base_k; L0C base_m x base_n
    // floats (Nz, 16 x 16 fractals).
    __aicore__ inline void Init(const typename Policy::Args& args, const AkBlockMmadShape& s, GM_ADDR bias,
                                GM_ADDR out)
    {
        s_ = s;
        outGm_.SetGlobalBuffer(reinterpret_cast<__gm__ O*>(out), static_cast<uint64_t>(s.m) * s.n);
        pipe_.InitBuffer(qa1_, BUFFER_NUM, s.baseM * s.kL1 * sizeof(A));
        pipe_.InitBuffer(qb1_, BUFFER_NUM, s.baseN * s.kL1 * sizeof(B));
        policy_.Init(pipe_, args, s);
        if (s.hasBias) {
            biasGm_.SetGlobalBuffer(reinterpret_cast<__gm__ float*>(bias), s.n);
        }
        pipe_.InitBuffer(qbias_, 1, s.baseN * sizeof(float));
        pipe_.InitBuffer(qbt_, 1, s.baseN * sizeof(float));
        pipe_.InitBuffer(qa2_, BUFFER_NUM, s.baseM * s.baseK * sizeof(A));
        pipe_.InitBuffer(qb2_, BUFFER_NUM, s.baseN * s.baseK * sizeof(B));
        pipe_.InitBuffer(qc_, 1, s.baseM * s.baseN * sizeof(float));
    }

    __aicore__ inline void Process()
    {
        for (uint32_t t = AscendC::GetBlockIdx(); t < s_.tiles; t += AscendC::GetBlockNum()) {
            const uint32_t mOff = (t / s_.tilesN) * s_.baseM;
            const uint32_t nOff = (t % s_.tilesN) * s_.baseN;
            Tile(mOff, AkMin(s_.baseM, s_.m - mOff), nOff, AkMin(s_.baseN, s_.n - nOff));
        }
    }

private:
    __aicore__ inline void CopyIn(uint32_t mOff, uint32_t mLen, uint32_t nOff, uint32_t nLen, uint32_t kOff)
    {
        AscendC::LocalTensor<A> a1 = qa1_.template AllocTensor<A>();
        AscendC::LocalTensor<B> b1 = qb1_.template AllocTensor<B>();
        policy_.CopyIn(a1, b1, mOff, mLen, nOff, nLen, kOff, AkMin(s_.kL1, s_.k - kOff));
        qa1_.EnQue(a1);
        qb1_.EnQue(b1);
    }

    // bias[nOff, nOff + nLen) -> L1 (one ND row: consecutive 32-B column blocks, the last
    // zero-padded) -> the bias table, ceil(nLen / 16) * 64 bytes (what both targets' units cover)
    __aicore__ inline AscendC::LocalTensor<float> LoadBias(uint32_t nOff, uint32_t nLen)
    {
        AscendC::LocalTensor<float> l1 = qbias_.template AllocTensor<float>();
        AscendC::DataCopy(l1, biasGm_[nOff], AscendC::Nd2NzParams(1, 1, nLen, 0, nLen, 1, 1, 0));
        qbias_.EnQue(l1);
        l1 = qbias_.template DeQue<float>();
        AscendC::LocalTensor<float> bt = qbt_.template AllocTensor<float>();
        const uint32_t bytes = AkCeilDiv(nLen, AK_FRAC_ROWS) * AK_FRAC_ROWS * sizeof(float);
        constexpr uint32_t unit = Traits::BT_COPY_32B ? 32 : 64;  // blockLen unit (even count on a5)
        AscendC::DataCopy(bt, l1, AscendC::DataCopyParams(1, static_cast<uint16_t>(bytes / unit), 0, 0));
        qbias_.FreeTensor(l1);
        qbt_.EnQue(bt);
        return qbt_.template DeQue<float>();
    }

    __aicore__ inline void Tile(uint32_t mOff, uint32_t mLen, uint32_t nOff, uint32_t nLen)
    {
        const uint32_t m1 = AkCeilDiv(mLen, AK_FRAC_ROWS), n1 = AkCeilDiv(nLen, AK_FRAC_ROWS);
        const uint32_t chunks = AkCeilDiv(s_.k, s_.kL1);
        AscendC::LocalTensor<float> bt;
        if (s_.hasBias) {
            bt = LoadBias(nOff, nLen);
        }
        AscendC::LocalTensor<float> c1 = qc_.template AllocTensor<float>();
        bool first = true;
        uint32_t issued = 0;
        CopyIn(mOff, mLen, nOff, nLen, 0);
        ++issued;
        for (uint32_t ch = 0; ch < chunks; ++ch) {
            if (BUFFER_NUM > 1 && issued < chunks) {  // prefetch the next chunk
                CopyIn(mOff, mLen, nOff, nLen, issued * s_.kL1);
                ++issued;
            }
            AscendC::LocalTensor<A> a1 = qa1_.template DeQue<A>();
            AscendC::LocalTensor<B> b1 = qb1_.template DeQue<B>();
            policy_.ChunkReady();
            const uint32_t span = policy_.StepSpan(AkMin(s_.kL1, s_.k - ch * s_.kL1));
            for (uint32_t kk = 0; kk < span; kk += s_.baseK) {
                const uint32_t kStep = AkMin(s_.baseK, span - kk);
                AscendC::LocalTensor<A> a2 = qa2_.template AllocTensor<A>();
                policy_.LoadA(a2, a1, m1, kk, kStep);
                qa2_.EnQue(a2);
                AscendC::LocalTensor<B> b2 = qb2_.template AllocTensor<B>();
                policy_.LoadB(b2, b1, n1, kk, kStep);
                qb2_.EnQue(b2);
                a2 = qa2_.template DeQue<A>();
                b2 = qb2_.template DeQue<B>();
                AscendC::MmadParams mm(static_cast<uint16_t>(mLen), static_cast<uint16_t>(nLen),
                                       static_cast<uint16_t>(kStep), false, 0, false, false, false);
                if (first && s_.hasBias) {
                    mm.cmatrixInitVal = false;  // C starts at the bias (the bias table)
                    policy_.Mma(c1, a2, b2, bt, mm);
                } else {
                    mm.cmatrixInitVal = first;
                    policy_.Mma(c1, a2, b2, mm);
                }
                first = false;
                qa2_.FreeTensor(a2);
                qb2_.FreeTensor(b2);
            }
            qa1_.FreeTensor(a1);
            qb1_.FreeTensor(b1);
            policy_.ChunkDone();
            if (BUFFER_NUM == 1 && issued < chunks) {
                CopyIn(mOff, mLen, nOff, nLen, issued * s_.kL1);
                ++issued;
            }
        }
        if (s_.hasBias) {
            qbt_.FreeTensor(bt);
        }
        qc_.EnQue(c1);
        c1 = qc_.template DeQue<float>();
        Epilogue(c1, mOff, mLen, nOff, nLen, m1);
        qc_.FreeTensor(c1);
    }

    // Fixpipe NZ -> ND with the output conversion (f32 as is; f16 / bf16 round to nearest even)
    __aicore__ inline void Epilogue(const AscendC::LocalTensor<float>& c1, uint32_t mOff, uint32_t mLen, uint32_t nOff,
                                    uint32_t nLen, uint32_t m1)
    {
        AscendC::FixpipeParamsV220 fp(static_cast<uint16_t>(nLen), static_cast<uint16_t>(mLen),
                                      static_cast<uint16_t>(m1 * AK_FRAC_ROWS), s_.n, false);
        if constexpr (AkIsSame<O, half>::value) {
            fp.quantPre = QuantMode_t::F322F16;
        } else if constexpr (AkIsSame<O, bfloat16_t>::value) {
            fp.quantPre = QuantMode_t::F322BF16;
        }
        AscendC::Fixpipe(outGm_[static_cast<uint64_t>(mOff) * s_.n + nOff], c1, fp);
    }

    AscendC::TPipe pipe_;
    AscendC::TQue<AscendC::TPosition::A1, BUFFER_NUM> qa1_;
    AscendC::TQue<AscendC::TPosition::B1, BUFFER_NUM> qb1_;
    AscendC::TQue<AscendC::TPosition::C1, 1> qbias_;
    AscendC::TQue<AscendC::TPosition::C2, 1> qbt_;
    AscendC::TQue<AscendC::TPosition::A2, BUFFER_NUM> qa2_;
    AscendC::TQue<AscendC::TPosition::B2, BUFFER_NUM> qb2_;
    AscendC::TQue<AscendC::TPosition::CO1, 1> qc_;
    AscendC::GlobalTensor<float> biasGm_;
    AscendC::GlobalTensor<O> outGm_;
    Policy policy_;
    AkBlockMmadShape s_{};
};

#endif  // AK_BLOCK_MMAD_H
