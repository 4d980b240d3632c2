// ascend-kernels sim, part of kernel_operator.h (kernels include only that header; see docs/sim.md).
// Duplicate, Level-0 form (asc-devkit include/basic_api/kernel_operator_vec_duplicate_intf.h).
#ifndef AK_SIM_BASIC_API_KERNEL_OPERATOR_VEC_DUPLICATE_L0_H
#define AK_SIM_BASIC_API_KERNEL_OPERATOR_VEC_DUPLICATE_L0_H
// Not self-contained: kernel_operator.h includes the parts in order after its prelude (built-in
// enums, qualifiers, the namespace macros).

AK_SIM_API_BEGIN
// Level-0 Duplicate: the scalar is written to the selected lanes of each repeat.
AK_SIM_API_END
AK_SIM_IMPL_BEGIN
template <typename T, bool isSetMask>
inline void DuplicateL0(const LocalTensor<T>& dst, const T& v, uint64_t maskCount, const uint64_t* maskBits,
                        uint8_t repeatTime, uint16_t dstBlk, uint8_t dstRep)
{
    const char* api = "Duplicate";
    DtCheck(api, DtOf<T>(), kA2Dup, kA5Dup, "asc-devkit Memory矢量计算/数据填充/Duplicate.md");
    CoreState& c = Core(api);
    uint64_t bitsBuf[2];
    if (c.maskCounter) {
        Fail(api, "counter mask mode (SetMaskCount) with Level-0 calls is not modelled by the sim");
    }
    if (!isSetMask) {
        bitsBuf[0] = c.vecMask[0];
        bitsBuf[1] = c.vecMask[1];
        maskBits = bitsBuf;
    }
    if (dstBlk == 0) {
        Fail(api, "dstBlockStride = 0 is undefined behaviour (高维切分.md)");
    }
    if (repeatTime == 0) {
        return;
    }
    const uint32_t lanesPer = kRepeatBytes / sizeof(T);
    if (maskBits == nullptr && maskCount > lanesPer) {
        Fail(api, Fmt("mask %llu outside [1, %u] (continuous mask mode)", static_cast<unsigned long long>(maskCount),
                      lanesPer));
    }
    const std::vector<uint32_t> lanes = RepeatLanes<T>(api, static_cast<int32_t>(maskCount), maskBits);
    dst.simLive(api, "dst");
    if (dst.simAddr_ % kBlockBytes != 0) {
        Fail(api, Fmt("dst: UB address %u is not 32-byte aligned (npuchk ErrorWrite4)", dst.simAddr_));
    }
    const uint64_t end = static_cast<uint64_t>(dst.simAddr_) + static_cast<uint64_t>(dst.simSize_) * sizeof(T);
    for (uint32_t r = 0; r < repeatTime; ++r) {
        for (uint32_t lane : lanes) {
            const uint64_t a = LaneAddr<T>(dst.simAddr_, r, lane, dstBlk, dstRep);
            if (a + sizeof(T) > end) {
                Fail(api, Fmt("dst: repeat %u lane %u touches UB byte %llu beyond the tensor (npuchk ErrorWrite3)", r,
                              lane, static_cast<unsigned long long>(a)));
            }
        }
    }
    for (uint32_t r = 0; r < repeatTime; ++r) {
        for (uint32_t lane : lanes) {
            const uint32_t a = static_cast<uint32_t>(LaneAddr<T>(dst.simAddr_, r, lane, dstBlk, dstRep));
            UbStore<T>(a, v);
            UbMarkWritten(a, sizeof(T), sim::SP_V, api);
        }
    }
    CountVec(repeatTime, static_cast<uint64_t>(repeatTime) * lanes.size());
}
AK_SIM_IMPL_END
AK_SIM_API_BEGIN

template <typename T, bool isSetMask = true>
inline void Duplicate(const LocalTensor<T>& dst, const T& scalarValue, uint64_t mask, const uint8_t repeatTime,
                      const uint16_t dstBlockStride, const uint8_t dstRepeatStride)
{
    sim::DuplicateL0<T, isSetMask>(dst, scalarValue, mask, nullptr, repeatTime, dstBlockStride, dstRepeatStride);
}
template <typename T, bool isSetMask = true>
inline void Duplicate(const LocalTensor<T>& dst, const T& scalarValue, uint64_t mask[], const uint8_t repeatTime,
                      const uint16_t dstBlockStride, const uint8_t dstRepeatStride)
{
    sim::DuplicateL0<T, isSetMask>(dst, scalarValue, 0, mask, repeatTime, dstBlockStride, dstRepeatStride);
}
AK_SIM_API_END

#endif  // AK_SIM_BASIC_API_KERNEL_OPERATOR_VEC_DUPLICATE_L0_H
