// MX cube self-test kernel (a5 native path) shared by the a2 and a5 test TUs. C[M,N] (float) =
// sum_k (x[m,k] * 2^(sx[m,k/32]-127)) * (w[n,k] * 2^(sw[n,k/32]-127)) with x fp8_e4m3fn_t [M,K],
// w fp8_e5m2_t [N,K] and pair-layout e8m0 scales [rows, K/64, 2] in GM:
// ND2NZ (data) and DN2NZ through a 16-bit view (scales) into L1, MX LoadData into L0A/L0B and their
// scale areas, MmadMx, Fixpipe.
#ifndef AK_SIM_SELFTEST_MX_H
#define AK_SIM_SELFTEST_MX_H

#include <cmath>
#include <string>
#include <vector>

#include "kernel_operator.h"
#include "selftest_util.h"

namespace {

enum MxMode {
    MX_OK = 0,
    MX_SCALE_AREA_OVERFLOW,  // scale dstStride so large the fractals leave the 4 KiB L0A_MX area
    MX_NO_SCALES,            // MmadMx on an L0A address where no MX LoadData put scales
    MX_K_NOT_64,             // MmadMx with k = 96
    MX_MISALIGNED,           // operand at 512 B (MmadMx needs 1024 B for fp8)
    MX_BIAS,                 // correct, plus a bias of 0.25 (InitConstValue in L1 -> bias table -> MmadMx with bias)
    MX_WRONG_DTYPE,          // MX LoadData of half tensors
    MX_STRIDE_MISMATCH,      // scales loaded with dstStride K/64 + 1
    MX_STEP_MISMATCH,        // xStep != mStep
    MX_MODES
};

void MxKernel(uint8_t* x, uint8_t* xs, uint8_t* w, uint8_t* ws, float* c, uint32_t M, uint32_t K, uint32_t N,
              int mode)
{
    using namespace AscendC;
    const uint32_t M1 = (M + 15) / 16, N1 = (N + 15) / 16, K1 = K / 32, K64 = K / 64;
    TPipe pipe;
    TQue<TPosition::A1, 1> qa1, qsa;
    TQue<TPosition::B1, 1> qb1, qsb;
    TQue<TPosition::A2, 1> qa2;
    TQue<TPosition::B2, 1> qb2;
    TQue<TPosition::CO1, 1> qc;
    pipe.InitBuffer(qa1, 1, M1 * K1 * 512);
    pipe.InitBuffer(qb1, 1, N1 * K1 * 512);
    pipe.InitBuffer(qsa, 1, M1 * K64 * 32);
    pipe.InitBuffer(qsb, 1, N1 * K64 * 32);
    pipe.InitBuffer(qa2, 1, M1 * K1 * 512 + 2048);
    pipe.InitBuffer(qb2, 1, N1 * K1 * 512);
    pipe.InitBuffer(qc, 1, M1 * N1 * 1024);
    GlobalTensor<fp8_e4m3fn_t> gx;
    GlobalTensor<fp8_e5m2_t> gw;
    GlobalTensor<half> gxs, gws;
    GlobalTensor<float> gc;
    gx.SetGlobalBuffer(reinterpret_cast<fp8_e4m3fn_t*>(x), static_cast<uint64_t>(M) * K);
    gw.SetGlobalBuffer(reinterpret_cast<fp8_e5m2_t*>(w), static_cast<uint64_t>(N) * K);
    gxs.SetGlobalBuffer(reinterpret_cast<half*>(xs), static_cast<uint64_t>(M) * K64);
    gws.SetGlobalBuffer(reinterpret_cast<half*>(ws), static_cast<uint64_t>(N) * K64);
    gc.SetGlobalBuffer(c, static_cast<uint64_t>(M) * N);

    LocalTensor<fp8_e4m3fn_t> a1 = qa1.AllocTensor<fp8_e4m3fn_t>();
    DataCopy(a1, gx, Nd2NzParams(1, M, K, 0, K, M1 * 16, 1, 0));
    qa1.EnQue(a1);
    LocalTensor<fp8_e5m2_t> b1 = qb1.AllocTensor<fp8_e5m2_t>();
    DataCopy(b1, gw, Nd2NzParams(1, N, K, 0, K, N1 * 16, 1, 0));
    qb1.EnQue(b1);
    LocalTensor<fp8_e8m0_t> sa = qsa.AllocTensor<fp8_e8m0_t>();
    DataCopy(sa.ReinterpretCast<half>(), gxs, Dn2NzParams(1, K64, M, 0, K64, K64, 1, 0));
    qsa.EnQue(sa);
    LocalTensor<fp8_e8m0_t> sb = qsb.AllocTensor<fp8_e8m0_t>();
    DataCopy(sb.ReinterpretCast<half>(), gws, Dn2NzParams(1, K64, N, 0, K64, K64, 1, 0));
    qsb.EnQue(sb);
    a1 = qa1.DeQue<fp8_e4m3fn_t>();
    b1 = qb1.DeQue<fp8_e5m2_t>();
    sa = qsa.DeQue<fp8_e8m0_t>();
    sb = qsb.DeQue<fp8_e8m0_t>();

    LocalTensor<fp8_e4m3fn_t> a2 = qa2.AllocTensor<fp8_e4m3fn_t>();
    LocalTensor<fp8_e4m3fn_t> a2at = mode == MX_MISALIGNED ? a2[512] : a2;
    const uint16_t mxDst = mode == MX_SCALE_AREA_OVERFLOW ? 4000 : (mode == MX_STRIDE_MISMATCH ? K64 + 1 : K64);
    const uint8_t xStep = mode == MX_STEP_MISMATCH ? static_cast<uint8_t>(M1 + 1) : static_cast<uint8_t>(M1);
    if (mode == MX_WRONG_DTYPE) {
        LoadData(a2.ReinterpretCast<half>(), a1.ReinterpretCast<half>(), sa,
                 LoadData2DParamsV2(0, 0, M1, K1, M1, M1, false, 0), LoadData2DMxParams(0, 0, M1, K64, K64, K64));
    }
    LoadData(a2at, a1, sa, LoadData2DParamsV2(0, 0, M1, K1, M1, M1, false, 0),
             LoadData2DMxParams(0, 0, xStep, K64, K64, mxDst));
    LocalTensor<fp8_e5m2_t> b2 = qb2.AllocTensor<fp8_e5m2_t>();
    LoadData(b2, b1, sb, LoadData2DParamsV2(0, 0, N1, K1, N1, N1, false, 0),
             LoadData2DMxParams(0, 0, N1, K64, K64, K64));
    qa1.FreeTensor(a1);
    qb1.FreeTensor(b1);
    qsa.FreeTensor(sa);
    qsb.FreeTensor(sb);
    qa2.EnQue(a2);
    qb2.EnQue(b2);
    a2 = qa2.DeQue<fp8_e4m3fn_t>();
    b2 = qb2.DeQue<fp8_e5m2_t>();
    LocalTensor<float> c1 = qc.AllocTensor<float>();
    LocalTensor<fp8_e4m3fn_t> fm = mode == MX_MISALIGNED ? a2[512] : (mode == MX_NO_SCALES ? a2[1024] : a2);
    MmadParams mm(M, N, mode == MX_K_NOT_64 ? 96 : K, false, 0, false, false, false);
    if (mode == MX_BIAS) {
        TQue<TPosition::C1, 1> qbias;
        TQue<TPosition::C2, 1> qbt;
        pipe.InitBuffer(qbias, 1, N1 * 16 * 4);
        pipe.InitBuffer(qbt, 1, N1 * 16 * 4);
        LocalTensor<float> l1b = qbias.AllocTensor<float>();
        InitConstValue(l1b, InitConstValueParams<float>(1, static_cast<uint16_t>(N1 * 2), 0, 0.25f));
        qbias.EnQue(l1b);
        l1b = qbias.DeQue<float>();
        LocalTensor<float> bt = qbt.AllocTensor<float>();
        DataCopy(bt, l1b, DataCopyParams(1, static_cast<uint16_t>(N1 * 2), 0, 0));  // a5: 32-B units, even
        qbt.EnQue(bt);
        bt = qbt.DeQue<float>();
        mm.cmatrixInitVal = false;
        MmadMx(c1, fm, b2, bt, mm);
        qbt.FreeTensor(bt);
        qbias.FreeTensor(l1b);
    } else {
        MmadMx(c1, fm, b2, mm);
    }
    qa2.FreeTensor(a2);
    qb2.FreeTensor(b2);
    qc.EnQue(c1);
    c1 = qc.DeQue<float>();
    Fixpipe(gc, c1, FixpipeParamsV220(N, M, M1 * 16, N, false));
    qc.FreeTensor(c1);
}

// fp8 codes of 0, 0.5, 1, 1.5, 2 (sign bit 0x80)
inline uint8_t MxE4(int i) { static const uint8_t t[] = {0x00, 0x30, 0x38, 0x3C, 0x40}; return t[i]; }
inline uint8_t MxE5(int i) { static const uint8_t t[] = {0x00, 0x38, 0x3C, 0x3E, 0x40}; return t[i]; }

inline void RunMxTests(uint32_t target, const char* tag, bool a5)
{
    const uint32_t M = 20, K = 128, N = 30, K64 = K / 64;
    std::vector<uint8_t> x(M * K), w(N * K), xs(M * K64 * 2), ws(N * K64 * 2);
    std::vector<double> xv(M * K), wv(N * K);
    for (uint32_t i = 0; i < M * K; ++i) {
        const int mag = static_cast<int>((i * 7) % 5), neg = (i * 3) % 7 == 0;
        x[i] = static_cast<uint8_t>(MxE4(mag) | (neg ? 0x80 : 0));
        xv[i] = (neg ? -0.5 : 0.5) * mag;
    }
    for (uint32_t i = 0; i < N * K; ++i) {
        const int mag = static_cast<int>((i * 3 + i / 7) % 5), neg = (i * 11) % 5 == 1;
        w[i] = static_cast<uint8_t>(MxE5(mag) | (neg ? 0x80 : 0));
        wv[i] = (neg ? -0.5 : 0.5) * mag;
    }
    for (uint32_t i = 0; i < xs.size(); ++i) xs[i] = static_cast<uint8_t>(124 + (i * 3) % 7);
    for (uint32_t i = 0; i < ws.size(); ++i) ws[i] = static_cast<uint8_t>(125 + (i * 5) % 6);
    xs[3 * K64 * 2 + 1] = 0xFF;  // x row 3, block 1: NaN scale
    std::vector<float> c(M * N, -99.0f);
    std::vector<selftest::Gm> gms = {{x.data(), x.size(), false, "x"},   {xs.data(), xs.size(), false, "xs"},
                                     {w.data(), w.size(), false, "w"},   {ws.data(), ws.size(), false, "ws"},
                                     {c.data(), c.size() * 4, true, "c"}};
    auto run = [&](int mode, const char* name, const char* want) {
        const std::string nm = std::string(tag) + ": " + name;
        return selftest::Run(nm.c_str(), target, gms, 1,
                             [&] { MxKernel(x.data(), xs.data(), w.data(), ws.data(), c.data(), M, K, N, mode); }, want);
    };
    if (!a5) {
        run(MX_OK, "the MX kernel (fp8 operands) is refused", "dtype fp8_e4m3fn_t is not supported on a2");
        const std::string n1 = std::string(tag) + ": MX LoadData is refused";
        selftest::Run(n1.c_str(), target, gms, 1, [&] {
            using namespace AscendC;
            TPipe pipe;
            TQue<TPosition::A1, 1> q1;
            TQue<TPosition::A2, 1> q2;
            pipe.InitBuffer(q1, 1, 1024);
            pipe.InitBuffer(q2, 1, 1024);
            LocalTensor<int8_t> l1 = q1.AllocTensor<int8_t>();
            LocalTensor<int8_t> l0 = q2.AllocTensor<int8_t>();
            LoadData(l0, l1, l1.ReinterpretCast<fp8_e8m0_t>(), LoadData2DParamsV2(0, 0, 1, 2, 1, 1, false, 0),
                     LoadData2DMxParams(0, 0, 1, 1, 1, 1));
        }, "LoadData(L0<-L1, MX: LoadData2DParamsV2 + LoadData2DMxParams): not supported on a2");
        const std::string n2 = std::string(tag) + ": DN2NZ is refused";
        selftest::Run(n2.c_str(), target, gms, 1, [&] {
            using namespace AscendC;
            TPipe pipe;
            TQue<TPosition::A1, 1> q1;
            pipe.InitBuffer(q1, 1, 1024);
            LocalTensor<half> l1 = q1.AllocTensor<half>();
            GlobalTensor<half> g;
            g.SetGlobalBuffer(reinterpret_cast<half*>(xs.data()), xs.size() / 2);
            DataCopy(l1, g, Dn2NzParams(1, 1, 16, 0, 1, 1, 1, 0));
        }, "DataCopy(L1<-GM, Dn2NzParams): not supported on a2");
        const std::string n3 = std::string(tag) + ": MmadMx is refused";
        selftest::Run(n3.c_str(), target, gms, 1, [&] {
            using namespace AscendC;
            TPipe pipe;
            TQue<TPosition::A2, 1> qa;
            TQue<TPosition::B2, 1> qb;
            TQue<TPosition::CO1, 1> qc;
            pipe.InitBuffer(qa, 1, 2048);
            pipe.InitBuffer(qb, 1, 2048);
            pipe.InitBuffer(qc, 1, 1024);
            LocalTensor<int8_t> a = qa.AllocTensor<int8_t>();
            LocalTensor<int8_t> b = qb.AllocTensor<int8_t>();
            LocalTensor<float> cc = qc.AllocTensor<float>();
            MmadMx(cc, a, b, MmadParams(16, 16, 64, false, 0, false, false, false));
        }, "MmadMx: not supported on a2");
        return;
    }
    for (const int mode : {MX_OK, MX_BIAS}) {
    const bool bias = mode == MX_BIAS;
    if (run(mode, bias ? "MX matmul with a bias (InitConstValue in L1, DataCopy L1 -> BT, MmadMx with bias)"
                       : "MX matmul 20x128x30 e4m3 x e5m2 via ND2NZ, DN2NZ, MX LoadData, MmadMx, Fixpipe (clean run)",
            nullptr)) {
        bool ok = true;
        int nan = 0;
        for (uint32_t m = 0; m < M; ++m) {
            for (uint32_t n = 0; n < N; ++n) {
                double want = 0.0;
                bool isNan = false;
                for (uint32_t j = 0; j < K / 32; ++j) {
                    const uint8_t a = xs[m * K64 * 2 + j], b = ws[n * K64 * 2 + j];
                    if (a == 0xFF || b == 0xFF) isNan = true;
                    double part = 0.0;
                    for (uint32_t e = 0; e < 32; ++e) part += xv[m * K + j * 32 + e] * wv[n * K + j * 32 + e];
                    want += std::ldexp(part, a + b - 254);
                }
                const float got = c[m * N + n];
                if (isNan) {
                    ++nan;
                    ok = ok && std::isnan(got);
                } else {
                    // small exact values: no rounding; the bias enters as C's start value
                    ok = ok && got == (bias ? 0.25f + static_cast<float>(want) : static_cast<float>(want));
                }
            }
        }
        int nonzero = 0;
        for (float v : c) nonzero += (!std::isnan(v) && v != 0.0f) ? 1 : 0;
        selftest::Check(ok && nan == static_cast<int>(N) && nonzero > static_cast<int>(M * N / 2),
                        (std::string(tag) + (bias ? ": MX result with bias" : ": MX result (per-32-k scales, pair "
                                                 "fractals (16, 2), NaN scale row)")).c_str(),
                        "");
    }
    }
    run(MX_SCALE_AREA_OVERFLOW, "MX LoadData scale fractals beyond the 4 KiB L0A_MX area", "L0A_MX scale area");
    run(MX_NO_SCALES, "MmadMx on an operand whose scales were not loaded", "no MX LoadData wrote scales");
    run(MX_K_NOT_64, "MmadMx with k not a multiple of 64", "k = 96 is not a multiple of 64");
    run(MX_MISALIGNED, "MmadMx fp8 operand not 1024-B aligned", "fm: L0A address 512 is not 1024-byte aligned");
    run(MX_WRONG_DTYPE, "MX LoadData of half", "src half -> dst half");
    run(MX_STRIDE_MISMATCH, "MmadMx reading scales loaded with another dstStride", "dstStride must be k/64");
    run(MX_STEP_MISMATCH, "MX LoadData with xStep != mStep", "xStep 3 must equal mStep 2");
}

}  // namespace

#endif
