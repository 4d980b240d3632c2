// Bias table (TPosition::C2) and InitConstValue self-tests, shared by the a2 and a5 test TUs
// (internal linkage: each TU gets its own copy compiled for its __NPU_ARCH__).
// C[M,N] (float) = bias[N] + A[M,K] (half) x B[K,N] (half): the bias goes GM -> L1 (ND2NZ of one
// row) -> bias table (DataCopy L1 -> BT) -> Mmad with a bias operand.
#ifndef AK_SIM_SELFTEST_BIAS_H
#define AK_SIM_SELFTEST_BIAS_H

#include <string>
#include <vector>

#include "kernel_operator.h"
#include "selftest_matmul.h"
#include "selftest_util.h"

namespace {

enum BiasMode {
    BIAS_OK,
    BIAS_INIT_VAL,       // Mmad with bias but cmatrixInitVal = true (the bias would be ignored)
    BIAS_MISALIGNED,     // bias tensor at BT byte 32
    BIAS_IN_L0C,         // bias tensor in CO1
    BIAS_SOURCE_NO_BIAS, // Mmad without a bias operand but cmatrixSource = true
    BIAS_BT_CAPACITY,    // a C2 buffer larger than the bias table
    BIAS_CONVERT,        // DataCopy L1 half -> BT float
    BIAS_COUNT_FORM,     // DataCopy(BT, L1, count)
    BIAS_BT_RANGE,       // DataCopy L1 -> BT past the end of the BT tensor
};

void BiasKernel(half* a, half* b, float* bias, float* c, uint32_t M, uint32_t K, uint32_t N, int mode)
{
    using namespace AscendC;
    const bool a5 = __NPU_ARCH__ == 3510;
    const uint32_t M1 = (M + 15) / 16, K1 = (K + 15) / 16, N1 = (N + 15) / 16;
    const uint32_t biasBytes = N1 * 16 * 4;
    TPipe pipe;
    TQue<TPosition::A1, 1> qa1;
    TQue<TPosition::B1, 1> qb1;
    TQue<TPosition::C1, 1> qbias;
    TQue<TPosition::C2, 1> qbt;
    TQue<TPosition::A2, 1> qa2;
    TQue<TPosition::B2, 1> qb2;
    TQue<TPosition::CO1, 1> qc;
    pipe.InitBuffer(qa1, 1, M1 * K1 * 512);
    pipe.InitBuffer(qb1, 1, K1 * N1 * 512);
    pipe.InitBuffer(qbias, 1, biasBytes);
    pipe.InitBuffer(qbt, 1, mode == BIAS_BT_CAPACITY ? (a5 ? 4096 : 1024) + 64 : biasBytes);
    pipe.InitBuffer(qa2, 1, M1 * K1 * 512);
    pipe.InitBuffer(qb2, 1, K1 * N1 * 512);
    pipe.InitBuffer(qc, 1, M1 * N1 * 1024 + 1024);
    GlobalTensor<half> ga, gb;
    GlobalTensor<float> gbias, gc;
    ga.SetGlobalBuffer(a, static_cast<uint64_t>(M) * K);
    gb.SetGlobalBuffer(b, static_cast<uint64_t>(K) * N);
    gbias.SetGlobalBuffer(bias, N);
    gc.SetGlobalBuffer(c, static_cast<uint64_t>(M) * N);

    LocalTensor<half> a1 = qa1.AllocTensor<half>();
    DataCopy(a1, ga, Nd2NzParams(1, M, K, 0, K, M1 * 16, 1, 0));
    qa1.EnQue(a1);
    LocalTensor<half> b1 = qb1.AllocTensor<half>();
    DataCopy(b1, gb, Nd2NzParams(1, K, N, 0, N, K1 * 16, 1, 0));
    qb1.EnQue(b1);
    // the bias row: one ND row of N floats lands as consecutive 32-B column blocks (the last zero-padded)
    LocalTensor<float> l1b = qbias.AllocTensor<float>();
    DataCopy(l1b, gbias, Nd2NzParams(1, 1, N, 0, N, 1, 1, 0));
    qbias.EnQue(l1b);
    a1 = qa1.DeQue<half>();
    b1 = qb1.DeQue<half>();
    l1b = qbias.DeQue<float>();

    LocalTensor<float> bt = qbt.AllocTensor<float>();
    const uint16_t btLen = static_cast<uint16_t>(a5 ? biasBytes / 32 : biasBytes / 64);  // a2: 64-B units
    if (mode == BIAS_CONVERT) {
        DataCopy(bt, l1b.ReinterpretCast<half>(), DataCopyParams(1, btLen, 0, 0));
    } else if (mode == BIAS_COUNT_FORM) {
        DataCopy(bt, l1b, N1 * 16);
    } else {
        DataCopy(bt, l1b, DataCopyParams(1, static_cast<uint16_t>(mode == BIAS_BT_RANGE ? btLen + 2 : btLen), 0, 0));
    }
    qbt.EnQue(bt);
    bt = qbt.DeQue<float>();

    LocalTensor<half> a2 = qa2.AllocTensor<half>();
    if (a5) {
        LoadData(a2, a1, LoadData2DParams(0, static_cast<uint8_t>(M1 * K1), 1, 0, 0, false, 0));
    } else {
        for (uint32_t m1 = 0; m1 < M1; ++m1) {
            LoadData(a2[m1 * K1 * 256], a1, LoadData2DParams(m1, static_cast<uint8_t>(K1), M1, 0, 0, false, 0));
        }
    }
    LocalTensor<half> b2 = qb2.AllocTensor<half>();
    for (uint32_t k1 = 0; k1 < K1; ++k1) {
        LoadData(b2[k1 * N1 * 256], b1, LoadData2DParams(k1, static_cast<uint8_t>(N1), K1, 0, 0, true, 0));
    }
    qa1.FreeTensor(a1);
    qb1.FreeTensor(b1);
    qbias.FreeTensor(l1b);
    qa2.EnQue(a2);
    qb2.EnQue(b2);
    a2 = qa2.DeQue<half>();
    b2 = qb2.DeQue<half>();
    LocalTensor<float> c1 = qc.AllocTensor<float>();
    MmadParams mm(M, N, K, 0, false, mode == BIAS_INIT_VAL);
    if (mode == BIAS_SOURCE_NO_BIAS) {
        mm.cmatrixSource = true;
        Mmad(c1, a2, b2, mm);
    } else if (mode == BIAS_IN_L0C) {
        Mmad(c1, a2, b2, c1[M1 * N1 * 256], mm);
    } else {
        Mmad(c1, a2, b2, mode == BIAS_MISALIGNED ? bt[8] : bt, mm);
    }
    qa2.FreeTensor(a2);
    qb2.FreeTensor(b2);
    qbt.FreeTensor(bt);
    qc.EnQue(c1);
    c1 = qc.DeQue<float>();
    Fixpipe(gc, c1, FixpipeParamsV220(N, M, M1 * 16, N, false));
    qc.FreeTensor(c1);
}

// Reads `len` bytes of a cube memory of the running core (test-only access to the sim's state).
inline std::vector<uint8_t> PeekCube(uint32_t mem, uint32_t addr, uint32_t len)
{
    const uint8_t* p = AscendC::sim::CubePtr("selftest", mem, addr, len);
    return std::vector<uint8_t>(p, p + len);
}

inline bool AllHalf(const std::vector<uint8_t>& v, size_t from, size_t to, float want)
{
    for (size_t i = from; i < to; i += 2) {
        uint16_t bits;
        std::memcpy(&bits, v.data() + i, 2);
        if (static_cast<float>(half::FromBits(bits)) != want) return false;
    }
    return true;
}

inline void RunBiasTests(uint32_t target, const char* tag)
{
    using namespace AscendC;
    const bool a5 = target == AK_SIM_TARGET_A5;
    const uint32_t M = 20, K = 23, N = 30;
    std::vector<half> a(M * K), b(K * N);
    std::vector<float> bias(N);
    for (uint32_t i = 0; i < M * K; ++i) a[i] = half(static_cast<float>((i * 7) % 13) * 0.25f - 1.5f);
    for (uint32_t i = 0; i < K * N; ++i) b[i] = half(static_cast<float>((i * 5) % 11) * 0.125f - 0.5f);
    for (uint32_t i = 0; i < N; ++i) bias[i] = static_cast<float>(i) * 0.3f - 4.0f;
    std::vector<float> c(M * N, -99.0f);
    std::vector<selftest::Gm> gms = {{a.data(), a.size() * 2, false, "a"},
                                     {b.data(), b.size() * 2, false, "b"},
                                     {bias.data(), bias.size() * 4, false, "bias"},
                                     {c.data(), c.size() * 4, true, "c"}};
    auto run = [&](int mode, const char* name, const char* want, AkSimCounters* cnt = nullptr) {
        const std::string nm = std::string(tag) + ": " + name;
        return selftest::Run(nm.c_str(), target, gms, 1,
                             [&] { BiasKernel(a.data(), b.data(), bias.data(), c.data(), M, K, N, mode); }, want, cnt);
    };
    AkSimCounters cnt;
    if (run(BIAS_OK, "matmul 20x23x30 + bias: ND2NZ -> L1 (C1), DataCopy L1 -> BT (C2), Mmad with bias", nullptr,
            &cnt)) {
        bool ok = true;
        for (uint32_t m = 0; m < M; ++m) {
            for (uint32_t n = 0; n < N; ++n) ok = ok && c[m * N + n] == bias[n] + MatmulRef(a, b, K, N, m, n);
        }
        selftest::Check(ok, (std::string(tag) + ": Mmad with bias = bias[n] + the A x B sum (one rounding)").c_str(), "");
        selftest::Check(cnt.cube_macs == 1ull * M * N * K && cnt.gm_to_ub_bytes == 2ull * (M * K + K * N) + 4ull * N,
                        (std::string(tag) + ": bias-table counters (no extra MACs)").c_str(),
                        std::to_string(cnt.cube_macs));
    }
    run(BIAS_INIT_VAL, "Mmad with bias and cmatrixInitVal = true", "cmatrixInitVal = true starts C at 0 and ignores the bias");
    run(BIAS_MISALIGNED, "bias tensor not 64-B aligned", "bias: BT address 32 is not 64-byte aligned");
    run(BIAS_IN_L0C, "bias tensor in L0C", "a bias tensor in L0C (CO1) is not modelled");
    run(BIAS_SOURCE_NO_BIAS, "Mmad with cmatrixSource and no bias operand", "cmatrixSource without a bias operand");
    run(BIAS_BT_CAPACITY, "C2 buffer beyond the bias table",
        a5 ? "per-core BT total 4160 B exceeds the BT capacity 4096 B" : "per-core BT total 1088 B exceeds the BT capacity 1024 B");
    run(BIAS_CONVERT, "converting DataCopy L1 half -> BT float", "the converting copy half -> float is not modelled");
    run(BIAS_COUNT_FORM, "count-form DataCopy into the bias table", "the count form into the bias table is not modelled");
    run(BIAS_BT_RANGE, "DataCopy L1 -> BT past the end of the tensors", "the instruction touches");

    // L1 -> BT rules that need no matmul around them.
    auto l1bt = [&](const char* name, const char* want, auto&& body) {
        const std::string nm = std::string(tag) + ": " + name;
        selftest::Run(nm.c_str(), target, gms, 1, [&] {
            TPipe pipe;
            TBuf<TPosition::C1> l1;
            TBuf<TPosition::C2> btb;
            pipe.InitBuffer(l1, 512);
            pipe.InitBuffer(btb, 512);
            body(l1, btb);
        }, want);
    };
    if (a5) {
        l1bt("DataCopy L1 -> BT with an odd blockLen", "blockLen 3 must be even on a5", [](auto& l1, auto& btb) {
            DataCopy(btb.template Get<float>(), l1.template Get<float>(), DataCopyParams(1, 3, 0, 0));
        });
    } else {
        l1bt("DataCopy L1 bf16 -> BT", "src bfloat16_t -> dst float is not supported on a2", [](auto& l1, auto& btb) {
            DataCopy(btb.template Get<float>(), l1.template Get<bfloat16_t>(), DataCopyParams(1, 1, 0, 0));
        });
    }
    l1bt("DataCopy UB <- UB form with a BT source", "the tensor is in BT but this API needs it in UB",
         [](auto& l1, auto& btb) {
             (void)l1;
             TBuf<TPosition::VECCALC> ub;
             GetTPipePtr()->InitBuffer(ub, 256);
             DataCopy(ub.Get<float>(), btb.template Get<float>(), DataCopyParams(1, 1, 0, 0));
         });

    // InitConstValue / Fill.
    auto fill = [&](const char* name, const char* want, auto&& body) {
        const std::string nm = std::string(tag) + ": " + name;
        return selftest::Run(nm.c_str(), target, gms, 1, [&] {
            TPipe pipe;
            body(pipe);
        }, want);
    };
    bool gaps = false;
    fill("InitConstValue in L1: 2 repeats x 2 blocks, gap 1", nullptr, [&](TPipe& pipe) {
        TBuf<TPosition::A1> l1;
        pipe.InitBuffer(l1, 256);
        LocalTensor<half> t = l1.Get<half>();
        InitConstValue(t, InitConstValueParams<half>(1, 8, 0, half(0.0f)));
        InitConstValue(t, InitConstValueParams<half>(2, 2, 1, half(1.5f)));
        const std::vector<uint8_t> v = PeekCube(sim::MEM_L1, t.simAddr_, 256);
        gaps = AllHalf(v, 0, 64, 1.5f) && AllHalf(v, 64, 96, 0.0f) && AllHalf(v, 96, 160, 1.5f) &&
               AllHalf(v, 160, 256, 0.0f);
    });
    selftest::Check(gaps, (std::string(tag) + ": InitConstValue blocks 0, 1, 3, 4 = 1.5, the rest 0").c_str(), "");
    if (!a5) {
        bool l0 = false;
        fill("Fill in L0A (512-B blocks)", nullptr, [&](TPipe& pipe) {
            TBuf<TPosition::A2> l0a;
            pipe.InitBuffer(l0a, 1024);
            LocalTensor<half> t = l0a.Get<half>();
            Fill(t, InitConstValueParams<half>(1, 2, 0, half(0.0f)));
            Fill(t, InitConstValueParams<half>(1, 1, 0, half(-2.0f)));
            const std::vector<uint8_t> v = PeekCube(sim::MEM_L0A, t.simAddr_, 1024);
            l0 = AllHalf(v, 0, 512, -2.0f) && AllHalf(v, 512, 1024, 0.0f);
        });
        selftest::Check(l0, (std::string(tag) + ": Fill L0A: the first 512-B block = -2, the second 0").c_str(), "");
        fill("InitConstValue in L0A not 512-B aligned", "dst: L0A address 32 is not 512-byte aligned",
             [](TPipe& pipe) {
                 TBuf<TPosition::A2> l0a;
                 pipe.InitBuffer(l0a, 1024);
                 InitConstValue(l0a.Get<half>()[16], InitConstValueParams<half>(1, 1, 0, half(0.0f)));
             });
    } else {
        fill("InitConstValue in L0A on a5", "InitConstValue fills only L1 (TPosition::A1/B1) on a5", [](TPipe& pipe) {
            TBuf<TPosition::A2> l0a;
            pipe.InitBuffer(l0a, 1024);
            InitConstValue(l0a.Get<half>(), InitConstValueParams<half>(1, 1, 0, half(0.0f)));
        });
        fill("InitConstValue of fp8 on a5", "InitConstValue: dtype fp8_e4m3fn_t is not supported", [](TPipe& pipe) {
            TBuf<TPosition::A1> l1;
            pipe.InitBuffer(l1, 256);
            InitConstValue(l1.Get<fp8_e4m3fn_t>(), InitConstValueParams<fp8_e4m3fn_t>(1, 1, 0, fp8_e4m3fn_t(0.0f)));
        });
    }
    fill("InitConstValue in UB", "the tensor is in UB but InitConstValue fills", [](TPipe& pipe) {
        TBuf<TPosition::VECCALC> ub;
        pipe.InitBuffer(ub, 256);
        InitConstValue(ub.Get<float>(), InitConstValueParams<float>(1, 1, 0, 0.0f));
    });
    fill("InitConstValue with blockNum 0", "blockNum 0 makes the call a NOP", [](TPipe& pipe) {
        TBuf<TPosition::A1> l1;
        pipe.InitBuffer(l1, 256);
        InitConstValue(l1.Get<float>(), InitConstValueParams<float>(2, 0.0f));
    });
    fill("InitConstValue past the end of the tensor", "dst: the instruction touches 320 B of L1 but the tensor has 256 B",
         [](TPipe& pipe) {
             TBuf<TPosition::A1> l1;
             pipe.InitBuffer(l1, 256);
             InitConstValue(l1.Get<float>(), InitConstValueParams<float>(3, 2, 2, 0.0f));
         });
    fill("InitConstValue in L1 not 32-B aligned", "dst: L1 address 16 is not 32-byte aligned", [](TPipe& pipe) {
        TBuf<TPosition::A1> l1;
        pipe.InitBuffer(l1, 256);
        InitConstValue(l1.Get<half>()[8], InitConstValueParams<half>(1, 1, 0, half(0.0f)));
    });
}

}  // namespace

#endif
