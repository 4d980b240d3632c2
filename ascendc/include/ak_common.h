// ak_common.h: small device helpers shared by the generated kernels of ascend-kernels.
// Plain AscendC (membase API); compiles with CANN (bisheng) and against ascendc/sim.
#ifndef AK_COMMON_H
#define AK_COMMON_H

#include "kernel_operator.h"

constexpr uint32_t AK_BLOCK_BYTES = 32;   // UB block: DataCopy and address granule
constexpr uint32_t AK_REPEAT_BYTES = 256; // one vector repeat
constexpr uint32_t AK_MX_BLOCK = 32;      // MX: fp8 elements per E8M0 scale (OCP Microscaling)
constexpr uint32_t AK_F32_PER_BLOCK = AK_BLOCK_BYTES / sizeof(float);

template <typename A, typename B>
struct AkIsSame {
    static constexpr bool value = false;
};
template <typename A>
struct AkIsSame<A, A> {
    static constexpr bool value = true;
};

template <typename T>
__aicore__ inline T AkMin(T a, T b)
{
    return a < b ? a : b;
}

template <typename T>
__aicore__ inline T AkMax(T a, T b)
{
    return a < b ? b : a;
}

__aicore__ inline uint32_t AkCeilDiv(uint32_t n, uint32_t d)
{
    return (n + d - 1) / d;
}

__aicore__ inline uint32_t AkAlignUp(uint32_t n, uint32_t a)
{
    return AkCeilDiv(n, a) * a;
}

// Bytes of the shared tmp buffer of count-form ReduceSum/ReduceMax over `count` f32 elements:
// one partial per 256-B repeat, rounded up to a 32-B block (asc-devkit ReduceSum doc formula).
__aicore__ inline uint32_t AkReduceWorkBytes(uint32_t count)
{
    const uint32_t perRepeat = AK_REPEAT_BYTES / sizeof(float);
    return AkAlignUp(AkCeilDiv(count, perRepeat), AK_F32_PER_BLOCK) * sizeof(float);
}

// f32 working copy of a T tensor (exact for half, bfloat16_t and float).
template <typename T>
__aicore__ inline void AkToFloat(const AscendC::LocalTensor<float>& dst, const AscendC::LocalTensor<T>& src,
                                 uint32_t count)
{
    if constexpr (AkIsSame<T, float>::value) {
        AscendC::DataCopy(dst, src, count);
    } else {
        AscendC::Cast(dst, src, AscendC::RoundMode::CAST_NONE, count);
    }
}

// Round an f32 tensor to T, nearest-even.
template <typename T>
__aicore__ inline void AkFromFloat(const AscendC::LocalTensor<T>& dst, const AscendC::LocalTensor<float>& src,
                                   uint32_t count)
{
    if constexpr (AkIsSame<T, float>::value) {
        AscendC::DataCopy(dst, src, count);
    } else {
        AscendC::Cast(dst, src, AscendC::RoundMode::CAST_RINT, count);
    }
}

// x = f32(round_T(x)) in place, using `scratch` (count elements of T); a no-op for float.
template <typename T>
__aicore__ inline void AkRoundTrip(const AscendC::LocalTensor<float>& x, const AscendC::LocalTensor<T>& scratch,
                                   uint32_t count)
{
    if constexpr (!AkIsSame<T, float>::value) {
        AscendC::Cast(scratch, x, AscendC::RoundMode::CAST_RINT, count);
        AscendC::PipeBarrier<PIPE_V>();
        AscendC::Cast(x, scratch, AscendC::RoundMode::CAST_NONE, count);
        AscendC::PipeBarrier<PIPE_V>();
    }
}

#endif // AK_COMMON_H
