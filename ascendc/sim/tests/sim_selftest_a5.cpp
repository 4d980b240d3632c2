// Self-test of the ascend-kernels AscendC sim, a5 part (compiled with -D__NPU_ARCH__=3510 and linked
// into the same binary as the a2 part, which also checks that both targets coexist in one binary).
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "kernel_operator.h"
#include "selftest_bias.h"
#include "selftest_matmul.h"
#include "selftest_mx.h"
#include "selftest_util.h"

using namespace AscendC;
using selftest::Check;
using selftest::Gm;
using selftest::Run;

int RunA5Tests()
{
    const uint32_t A5 = AK_SIM_TARGET_A5;
    std::vector<float> in = {2.125f, -2.375f, 448.0f, 500.0f, -1e9f, 0.0f, 1.0f / 1024, NAN,
                             3.0f, 0.3f, 57344.0f, 1e6f, -1e6f, 2.75f, 2.25f, INFINITY, -INFINITY};
    in.resize(64, 0.0f);
    std::vector<uint8_t> e4(64, 0), e5(64, 0);
    std::vector<float> back(64, 0.0f);
    std::vector<Gm> gms = {{in.data(), 256, false, "in"},
                           {e4.data(), 64, true, "e4"},
                           {e5.data(), 64, true, "e5"},
                           {back.data(), 256, true, "back"}};
    Run("a5: Cast float -> fp8 e4m3fn/e5m2 (CAST_RINT) and fp8 -> float (clean run)", A5, gms, 1, [&] {
        TPipe pipe;
        TBuf<TPosition::VECCALC> b;
        pipe.InitBuffer(b, 1024);
        GlobalTensor<float> g;
        g.SetGlobalBuffer(in.data(), 64);
        LocalTensor<float> f = b.Get<float>();
        LocalTensor<fp8_e4m3fn_t> q4 = b.GetWithOffset<fp8_e4m3fn_t>(64, 256);
        LocalTensor<fp8_e5m2_t> q5 = b.GetWithOffset<fp8_e5m2_t>(64, 320);
        LocalTensor<float> r = b.GetWithOffset<float>(64, 512);
        PipeBarrier<PIPE_ALL>();
        DataCopy(f, g, 64);
        PipeBarrier<PIPE_ALL>();
        Cast(q4, f, RoundMode::CAST_RINT, 64);
        Cast(q5, f, RoundMode::CAST_RINT, 64);
        Cast(r, q4, RoundMode::CAST_NONE, 64);
        GlobalTensor<fp8_e4m3fn_t> g4;
        g4.SetGlobalBuffer(reinterpret_cast<fp8_e4m3fn_t*>(e4.data()), 64);
        GlobalTensor<fp8_e5m2_t> g5;
        g5.SetGlobalBuffer(reinterpret_cast<fp8_e5m2_t*>(e5.data()), 64);
        GlobalTensor<float> gb;
        gb.SetGlobalBuffer(back.data(), 64);
        PipeBarrier<PIPE_ALL>();
        DataCopy(g4, q4, 64);
        PipeBarrier<PIPE_ALL>();
        PipeBarrier<PIPE_ALL>();
        DataCopy(g5, q5, 64);
        PipeBarrier<PIPE_ALL>();
        PipeBarrier<PIPE_ALL>();
        DataCopy(gb, r, 64);
        PipeBarrier<PIPE_ALL>();
    }, nullptr);
    // e4m3fn (step 0.25 in [2,4)): 2.125 ties to even 2.0 (0x40), -2.375 ties to even -2.5 (0xC2),
    // 448 = max (0x7E), 500 and -1e9 saturate, 2^-10 is half the smallest subnormal 2^-9 -> ties to 0,
    // 3.0 = 0x44, 2.75 = 0x43; saturating mode (Cast.md table 4): NaN -> 0x00, +-inf -> +-max
    bool ok = e4[0] == 0x40 && e4[1] == 0xC2 && e4[2] == 0x7E && e4[3] == 0x7E && e4[4] == 0xFE && e4[5] == 0x00 &&
              e4[6] == 0x00 && e4[7] == 0x00 && e4[8] == 0x44 && e4[13] == 0x43 && e4[15] == 0x7E && e4[16] == 0xFE;
    Check(ok, "a5: float -> fp8_e4m3fn_t RINT, saturating, NaN -> 0, inf -> max", "");
    // e5m2 (step 0.5 in [2,4)): 2.75 ties to even 3.0 (0x42), 2.25 ties to even 2.0 (0x40),
    // 57344 = max (0x7B), +-1e6 saturate
    ok = e5[14] == 0x40 && e5[10] == 0x7B && e5[11] == 0x7B && e5[12] == 0xFB && e5[13] == 0x42 && e5[7] == 0x00 &&
         e5[15] == 0x7B && e5[16] == 0xFB;
    Check(ok, "a5: float -> fp8_e5m2_t RINT, saturating, NaN -> 0, inf -> max", "");
    ok = back[0] == 2.0f && back[2] == 448.0f && back[3] == 448.0f && back[7] == 0.0f;
    Check(ok, "a5: fp8_e4m3fn_t -> float is exact", "");

    Run("a5: bf16 Add is supported", A5, gms, 1, [&] {
        TPipe pipe;
        TBuf<TPosition::VECCALC> b;
        pipe.InitBuffer(b, 64);
        LocalTensor<bfloat16_t> t = b.Get<bfloat16_t>();
        Duplicate(t, bfloat16_t(1.0f), 32);
        Add(t, t, t, 32);
    }, nullptr);
    Run("a5: UB capacity is 253952 B", A5, gms, 1, [&] {
        TPipe pipe;
        TBuf<TPosition::VECCALC> b1, b2;
        pipe.InitBuffer(b1, 253952 - 32);
        pipe.InitBuffer(b2, 64);
    }, "exceeds the UB capacity 253952 B of a5");
    Run("a5: fp8 Cast accepts only CAST_RINT", A5, gms, 1, [&] {
        TPipe pipe;
        TBuf<TPosition::VECCALC> b;
        pipe.InitBuffer(b, 512);
        Cast(b.GetWithOffset<fp8_e5m2_t>(64, 256), b.Get<float>(), RoundMode::CAST_TRUNC, 64);
    }, "float -> fp8_e5m2_t does not support RoundMode::CAST_TRUNC on a5");
    // MulAddDst is one fused multiply-add: (1 + 2^-12)^2 - (1 + 2^-11) = 2^-24 exactly (a separate
    // f32 product would round the square to 1 + 2^-11 and give 0)
    std::vector<float> fma(8, 0.0f);
    std::vector<Gm> fgms = {{fma.data(), 32, true, "fma"}};
    Run("a5: MulAddDst is fused (clean run)", A5, fgms, 1, [&] {
        TPipe pipe;
        TBuf<TPosition::VECCALC> b;
        pipe.InitBuffer(b, 64);
        LocalTensor<float> a = b.Get<float>();
        LocalTensor<float> d = b.GetWithOffset<float>(8, 32);
        Duplicate(a, 1.0f + 1.0f / 4096, 8);
        Duplicate(d, -(1.0f + 1.0f / 2048), 8);
        PipeBarrier<PIPE_V>();
        MulAddDst(d, a, a, 8);
        GlobalTensor<float> g;
        g.SetGlobalBuffer(fma.data(), 8);
        PipeBarrier<PIPE_ALL>();
        DataCopy(g, d, 8);
        PipeBarrier<PIPE_ALL>();
    }, nullptr);
    Check(fma[0] == std::ldexp(1.0f, -24) && fma[7] == std::ldexp(1.0f, -24), "a5: MulAddDst rounds once", "");
    Run("a5: MulAddDst models float only", A5, gms, 1, [&] {
        TPipe pipe;
        TBuf<TPosition::VECCALC> b;
        pipe.InitBuffer(b, 64);
        LocalTensor<half> h = b.Get<half>();
        MulAddDst(h, h, h, 16);
    }, "the sim models float operands only");
    RunMatmulTests(A5, "a5");
    RunBiasTests(A5, "a5");
    RunMxTests(A5, "a5", true);
    Run("a5 kernel in an a2 session", AK_SIM_TARGET_A2, gms, 1, [&] {}, "kernel compiled for __NPU_ARCH__=3510");
    return 0;
}
