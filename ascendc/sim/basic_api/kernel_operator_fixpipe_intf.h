// ascend-kernels sim, part of kernel_operator.h (kernels include only that header; see docs/sim.md).
// Fixpipe L0C->GM (asc-devkit include/basic_api/kernel_operator_fixpipe_intf.h).
#ifndef AK_SIM_BASIC_API_KERNEL_OPERATOR_FIXPIPE_INTF_H
#define AK_SIM_BASIC_API_KERNEL_OPERATOR_FIXPIPE_INTF_H
// Not self-contained: kernel_operator.h includes the parts in order after its prelude (built-in
// enums, qualifiers, the namespace macros).

AK_SIM_API_BEGIN
// L0C (Nz) -> GM (ND, CFG_ROW_MAJOR): element (r, c) of the mSize x nSize result is read from
// src + (c/16)*srcStride*16 + r*16 + c%16 elements (srcStride = M rounded up to 16) and written to
// dst[r*dstStride + c]; quantPre F322F16 / F322BF16 round float to half / bf16 (nearest even,
// assumed); reluEn clamps negatives to 0 first (Fixpipe（L0C到GM数据搬运）.md).
template <typename T, typename U, const FixpipeConfig& config = CFG_ROW_MAJOR>
inline void Fixpipe(const GlobalTensor<T>& dst, const LocalTensor<U>& src, const FixpipeParamsV220& p)
{
    const char* api = "Fixpipe(GM<-L0C)";
    src.simLiveIn(api, "src", sim::MEM_L0C);
    sim::CubeAlign(api, "src", src, 64);
    if (config.format != CO2Layout::ROW_MAJOR) {
        sim::Fail(api, "only CFG_ROW_MAJOR (NZ2ND) output is modelled by the sim");
    }
    const sim::Dt ut = sim::DtOf<U>(), tt = sim::DtOf<T>();
    const bool modeOk = (p.quantPre == QuantMode_t::NoQuant && ut == tt && (ut == sim::DT_F32 || ut == sim::DT_I32)) ||
                        (p.quantPre == QuantMode_t::F322F16 && ut == sim::DT_F32 && tt == sim::DT_F16) ||
                        (p.quantPre == QuantMode_t::F322BF16 && ut == sim::DT_F32 && tt == sim::DT_BF16);
    if (!modeOk) {
        sim::Fail(api, sim::Fmt("quantPre %d with %s -> %s is not supported (NoQuant keeps the type; F322F16 float->half; "
                                "F322BF16 float->bfloat16_t; other modes are not modelled)",
                                static_cast<int>(p.quantPre), sim::DtName(ut), sim::DtName(tt)));
    }
    if (p.nSize == 0 || p.mSize == 0 || p.ndNum == 0) {
        return;
    }
    if (p.ndNum != 1) {
        sim::Fail(api, "ndNum > 1 is not modelled by the sim");
    }
    if (p.nSize > 4095 || p.mSize > 8192) {
        sim::Fail(api, sim::Fmt("nSize %u (max 4095) / mSize %u (max 8192 with NZ2ND) out of range", p.nSize, p.mSize));
    }
    if (p.dstStride == 0) {
        sim::Fail(api, "dstStride = 0 (elements per destination row)");
    }
    const uint32_t mRound = (p.mSize + 15u) / 16u * 16u;
    if (p.srcStride < mRound) {
        sim::Fail(api, sim::Fmt("srcStride %u is below mSize rounded up to 16 (%u): units of 16 elements per Nz column "
                                "block", p.srcStride, mRound));
    }
    const uint64_t lastElem = static_cast<uint64_t>((p.nSize - 1) / 16) * p.srcStride * 16 +
                              static_cast<uint64_t>(p.mSize - 1) * 16 + 15;
    sim::CubeRange(api, "src", src, (lastElem + 1) * sizeof(U));
    const uint8_t* S = sim::CubePtr(api, sim::MEM_L0C, src.simAddr_, (lastElem + 1) * sizeof(U));
    std::vector<T> row(p.nSize);
    for (uint32_t r = 0; r < p.mSize; ++r) {
        for (uint32_t c = 0; c < p.nSize; ++c) {
            U v;
            std::memcpy(static_cast<void*>(&v),
                        S + (static_cast<uint64_t>(c / 16) * p.srcStride * 16 + static_cast<uint64_t>(r) * 16 + c % 16) * sizeof(U),
                        sizeof(U));
            if (p.reluEn && v < U(0)) {
                v = U(0);
            }
            if constexpr (std::is_same<T, U>::value) {
                row[c] = v;
            } else {
                row[c] = T(static_cast<float>(v));
            }
        }
        const uintptr_t g = dst.simAccess(api, static_cast<uint64_t>(r) * p.dstStride * sizeof(T), p.nSize * sizeof(T), true);
        std::memcpy(reinterpret_cast<void*>(g), static_cast<const void*>(row.data()), p.nSize * sizeof(T));
    }
    sim::CountGm(0, static_cast<uint64_t>(p.mSize) * p.nSize * sizeof(T));
}

AK_SIM_API_END

#endif  // AK_SIM_BASIC_API_KERNEL_OPERATOR_FIXPIPE_INTF_H
