// Cube self-test kernel shared by the a2 and a5 test TUs (internal linkage: each TU gets its own
// copy compiled for its __NPU_ARCH__). C[M,N] (float) = A[M,K] (half) x B[K,N] (half), ND in GM.
#ifndef AK_SIM_SELFTEST_MATMUL_H
#define AK_SIM_SELFTEST_MATMUL_H

#include <cmath>
#include <vector>

#include "kernel_operator.h"
#include "selftest_util.h"

namespace {

// mode 0: correct; 1: Mmad with fm taken from L1; 2: LoadData to a misaligned L0A address;
// 3: L0A InitBuffer over capacity; 4: Fixpipe srcStride too small
void MatmulKernel(half* a, half* b, float* c, uint32_t M, uint32_t K, uint32_t N, int mode)
{
    using namespace AscendC;
    const bool a5 = __NPU_ARCH__ == 3510;
    const uint32_t M1 = (M + 15) / 16, K1 = (K + 15) / 16, N1 = (N + 15) / 16;
    TPipe pipe;
    TQue<TPosition::A1, 1> qa1;
    TQue<TPosition::B1, 1> qb1;
    TQue<TPosition::A2, 1> qa2;
    TQue<TPosition::B2, 1> qb2;
    TQue<TPosition::CO1, 1> qc;
    pipe.InitBuffer(qa1, 1, M1 * K1 * 512);
    pipe.InitBuffer(qb1, 1, K1 * N1 * 512);
    pipe.InitBuffer(qa2, 1, mode == 3 ? 65536 + 32 : M1 * K1 * 512 + 512);
    pipe.InitBuffer(qb2, 1, K1 * N1 * 512);
    pipe.InitBuffer(qc, 1, M1 * N1 * 1024);
    GlobalTensor<half> ga, gb;
    GlobalTensor<float> gc;
    ga.SetGlobalBuffer(a, static_cast<uint64_t>(M) * K);
    gb.SetGlobalBuffer(b, static_cast<uint64_t>(K) * N);
    gc.SetGlobalBuffer(c, static_cast<uint64_t>(M) * N);

    LocalTensor<half> a1 = qa1.AllocTensor<half>();
    DataCopy(a1, ga, Nd2NzParams(1, M, K, 0, K, M1 * 16, 1, 0));
    qa1.EnQue(a1);
    LocalTensor<half> b1 = qb1.AllocTensor<half>();
    DataCopy(b1, gb, Nd2NzParams(1, K, N, 0, N, K1 * 16, 1, 0));
    qb1.EnQue(b1);
    a1 = qa1.DeQue<half>();
    b1 = qb1.DeQue<half>();

    LocalTensor<half> a2 = qa2.AllocTensor<half>();
    LocalTensor<half> a2dst = mode == 2 ? a2[16] : a2;
    if (a5) {
        LoadData(a2dst, a1, LoadData2DParams(0, static_cast<uint8_t>(M1 * K1), 1, 0, 0, false, 0));  // Nz as is
    } else {
        for (uint32_t m1 = 0; m1 < M1; ++m1) {  // Nz -> Zz: row m1 of fractals
            LoadData(a2dst[m1 * K1 * 256], a1, LoadData2DParams(m1, static_cast<uint8_t>(K1), M1, 0, 0, false, 0));
        }
    }
    LocalTensor<half> b2 = qb2.AllocTensor<half>();
    for (uint32_t k1 = 0; k1 < K1; ++k1) {  // Nz -> Zn: transpose each fractal
        LoadData(b2[k1 * N1 * 256], b1, LoadData2DParams(k1, static_cast<uint8_t>(N1), K1, 0, 0, true, 0));
    }
    qa1.FreeTensor(a1);
    qb1.FreeTensor(b1);
    qa2.EnQue(a2);
    qb2.EnQue(b2);
    a2 = qa2.DeQue<half>();
    b2 = qb2.DeQue<half>();
    LocalTensor<float> c1 = qc.AllocTensor<float>();
    if (mode == 1) {
        LocalTensor<half> wrong = qa1.AllocTensor<half>();
        Mmad(c1, wrong, b2, MmadParams(M, N, K, false, 0, false, false, false));
    }
    Mmad(c1, a2, b2, MmadParams(M, N, K, false, 0, false, false, false));
    qa2.FreeTensor(a2);
    qb2.FreeTensor(b2);
    qc.EnQue(c1);
    c1 = qc.DeQue<float>();
    Fixpipe(gc, c1, FixpipeParamsV220(N, M, mode == 4 ? 16 : M1 * 16, N, false));
    qc.FreeTensor(c1);
}

inline float MatmulRef(const std::vector<half>& a, const std::vector<half>& b, uint32_t K, uint32_t N, uint32_t m,
                       uint32_t n)
{
    float total = 0.0f;
    for (uint32_t k1 = 0; k1 * 16 < K; ++k1) {
        float part = 0.0f;
        for (uint32_t k0 = 0; k0 < 16 && k1 * 16 + k0 < K; ++k0) {
            const uint32_t k = k1 * 16 + k0;
            part = part + static_cast<float>(a[m * K + k]) * static_cast<float>(b[k * N + n]);
        }
        total = total + part;
    }
    return total;
}

inline void RunMatmulTests(uint32_t target, const char* tag)
{
    const uint32_t M = 20, K = 23, N = 30;
    std::vector<half> a(M * K), b(K * N);
    for (uint32_t i = 0; i < M * K; ++i) a[i] = half(static_cast<float>((i * 7) % 13) * 0.25f - 1.5f);
    for (uint32_t i = 0; i < K * N; ++i) b[i] = half(static_cast<float>((i * 5) % 11) * 0.125f - 0.5f);
    std::vector<float> c(M * N, -99.0f);
    std::vector<selftest::Gm> gms = {{a.data(), a.size() * 2, false, "a"},
                                     {b.data(), b.size() * 2, false, "b"},
                                     {c.data(), c.size() * 4, true, "c"}};
    std::string name = std::string(tag) + ": matmul 20x23x30 via ND2NZ, LoadData, Mmad, Fixpipe (clean run)";
    AkSimCounters cnt;
    if (selftest::Run(name.c_str(), target, gms, 1, [&] { MatmulKernel(a.data(), b.data(), c.data(), M, K, N, 0); },
                      nullptr, &cnt)) {
        bool ok = true;
        for (uint32_t m = 0; m < M; ++m) {
            for (uint32_t n = 0; n < N; ++n) ok = ok && c[m * N + n] == MatmulRef(a, b, K, N, m, n);
        }
        selftest::Check(ok, (std::string(tag) + ": matmul result (L0A Zz on a2 / Nz on a5, L0B Zn, L0C Nz)").c_str(), "");
        selftest::Check(cnt.cube_macs == 1ull * M * N * K && cnt.gm_to_ub_bytes == 2ull * (M * K + K * N) &&
                            cnt.ub_to_gm_bytes == 4ull * M * N,
                        (std::string(tag) + ": cube counters").c_str(), std::to_string(cnt.cube_macs));
    }
    const char* wants[] = {nullptr, "fm: the tensor is in L1 but this API needs it in L0A",
                           "dst: L0A address 32 is not 512-byte aligned", "per-core L0A total 65568 B exceeds the L0A capacity 65536 B",
                           "srcStride 16 is below mSize rounded up to 16 (32)"};
    const char* names[] = {nullptr, "Mmad with fm in L1", "LoadData to an L0A address not 512-B aligned",
                           "L0A capacity", "Fixpipe srcStride below mSize rounded to 16"};
    for (int mode = 1; mode <= 4; ++mode) {
        std::string nm = std::string(tag) + ": " + names[mode];
        selftest::Run(nm.c_str(), target, gms, 1, [&] { MatmulKernel(a.data(), b.data(), c.data(), M, K, N, mode); },
                      wants[mode]);
    }
}

}  // namespace

#endif
