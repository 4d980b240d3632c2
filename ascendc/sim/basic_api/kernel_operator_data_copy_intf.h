// ascend-kernels sim, part of kernel_operator.h (kernels include only that header; see docs/sim.md).
// DataCopy GM<->UB and UB->UB, DataCopyPad (asc-devkit include/basic_api/kernel_operator_data_copy_intf.h).
#ifndef AK_SIM_BASIC_API_KERNEL_OPERATOR_DATA_COPY_INTF_H
#define AK_SIM_BASIC_API_KERNEL_OPERATOR_DATA_COPY_INTF_H
// Not self-contained: kernel_operator.h includes the parts in order after its prelude (built-in
// enums, qualifiers, the namespace macros).

AK_SIM_API_BEGIN
// ------------------------------------------------------------------------------------ DataCopy
AK_SIM_API_END
AK_SIM_IMPL_BEGIN
template <typename T>
inline void CopyDtCheck(const char* api)
{
    DtCheck(api, DtOf<T>(), kCopyA2, kCopyA5, "fp8/e8m0 types exist only on a5 (Ascend 950)");
}

inline void CopyLenCheck(const char* api, uint64_t bytes)
{
    if (bytes % kBlockBytes != 0) {
        Fail(api, Fmt("count*sizeof(T) = %llu B is not a multiple of 32 B (hardware rounds down and silently drops "
                      "the tail; use DataCopyPad)", static_cast<unsigned long long>(bytes)));
    }
}

template <typename T>
inline void GmAlignCheck(const char* api, const GlobalTensor<T>& g)
{
    if (g.simAddr_ % sizeof(T) != 0) {
        Fail(api, Fmt("GM address is not aligned to sizeof(T) = %u B", static_cast<uint32_t>(sizeof(T))));
    }
}

inline void CountGm(uint64_t in, uint64_t out)
{
    CoreState& c = Core("DataCopy");
    c.gmToUb += in;
    c.ubToGm += out;
}

// UB-side footprint check of a strided copy: block i occupies [base + i*pitch, +len).
template <typename T>
inline void UbBlocksCheck(const char* api, const char* what, const LocalTensor<T>& t, uint64_t count, uint64_t len,
                          uint64_t pitch)
{
    if (count == 0) {
        return;
    }
    const uint64_t extent = (count - 1) * pitch + len;
    const uint64_t size = static_cast<uint64_t>(t.simSize_) * sizeof(T);
    if (extent > size) {
        Fail(api, Fmt("%s: the copy touches %llu B of UB but the tensor has %llu B (out of range, npuchk %s)", what,
                      static_cast<unsigned long long>(extent), static_cast<unsigned long long>(size),
                      std::string(what) == "dst" ? "ErrorWrite3" : "ErrorRead3"));
    }
}
AK_SIM_IMPL_END
AK_SIM_API_BEGIN

template <typename T>
inline void DataCopy(const LocalTensor<T>& dst, const GlobalTensor<T>& src, const uint32_t count)
{
    const char* api = "DataCopy(UB<-GM)";
    sim::CopyDtCheck<T>(api);
    const uint64_t bytes = static_cast<uint64_t>(count) * sizeof(T);
    sim::CopyLenCheck(api, bytes);
    sim::Operand(api, "dst", dst, count, false);
    sim::GmAlignCheck(api, src);
    const uintptr_t p = src.simAccess(api, 0, bytes, false);
    if (bytes > 0) {
        std::memcpy(sim::Core(api).ub.data() + dst.simAddr_, reinterpret_cast<const void*>(p), bytes);
        sim::UbMarkWritten(dst.simAddr_, bytes, sim::SP_MTE2, api);
    }
    sim::CountGm(bytes, 0);
}

template <typename T>
inline void DataCopy(const GlobalTensor<T>& dst, const LocalTensor<T>& src, const uint32_t count)
{
    const char* api = "DataCopy(GM<-UB)";
    sim::CopyDtCheck<T>(api);
    const uint64_t bytes = static_cast<uint64_t>(count) * sizeof(T);
    sim::CopyLenCheck(api, bytes);
    sim::Operand(api, "src", src, count, true, sim::kBlockBytes, sim::SP_MTE3);
    sim::GmAlignCheck(api, dst);
    const uintptr_t p = dst.simAccess(api, 0, bytes, true);
    if (bytes > 0) {
        std::memcpy(reinterpret_cast<void*>(p), sim::Core(api).ub.data() + src.simAddr_, bytes);
    }
    sim::CountGm(0, bytes);
}

template <typename T>
inline void DataCopy(const LocalTensor<T>& dst, const LocalTensor<T>& src, const uint32_t count)
{
    if (dst.simMem_ == sim::MEM_BT) {
        sim::Fail("DataCopy(BT<-L1)", "the count form into the bias table is not modelled by the sim (use the "
                                      "DataCopyParams form)");
    }
    const char* api = "DataCopy(UB<-UB)";
    sim::CopyDtCheck<T>(api);
    const uint64_t bytes = static_cast<uint64_t>(count) * sizeof(T);
    sim::CopyLenCheck(api, bytes);
    // The pipe of UB->UB copies is not documented: they are exempt from the sync check.
    sim::Operand(api, "src", src, count, true, sim::kBlockBytes, sim::SP_ANY);
    sim::Operand(api, "dst", dst, count, false);
    sim::NoPartialOverlap(api, dst, count, src, count, "src");
    const std::vector<uint8_t> v = sim::LoadN<uint8_t>(src.simAddr_, bytes);
    sim::StoreN<uint8_t>(dst.simAddr_, v, sim::SP_ANY, api);
}

AK_SIM_API_END
AK_SIM_IMPL_BEGIN
// DataCopy（GM与UB高维切分数据搬运）.md: blockCount in [0, 4095], blockLen in [0, 65535] (32-B blocks).
// A zero blockCount or blockLen moves nothing (treated as a NOP, like DataCopyPad documents).
inline void CopyParamsCheck(const char* api, const DataCopyParams& p)
{
    if (p.blockCount > 4095) {
        Fail(api, Fmt("DataCopyParams.blockCount %u outside [0, 4095]", p.blockCount));
    }
}

// L1 -> bias table (kernel_operator_mm_intf.h): the LocalTensor -> LocalTensor forms below go there
// when dst is in BT.
template <typename T, typename U>
inline void CopyL1ToBt(const LocalTensor<T>& dst, const LocalTensor<U>& src, const DataCopyParams& p);
AK_SIM_IMPL_END
AK_SIM_API_BEGIN

// DataCopyParams form: blockLen, srcStride, dstStride all in 32-B blocks (stride = gap between the
// end of one block and the start of the next).
template <typename T>
inline void DataCopy(const LocalTensor<T>& dst, const GlobalTensor<T>& src, const DataCopyParams& repeatParams)
{
    const char* api = "DataCopy(UB<-GM, DataCopyParams)";
    sim::CopyDtCheck<T>(api);
    sim::CopyParamsCheck(api, repeatParams);
    dst.simLive(api, "dst");
    if (dst.simAddr_ % sim::kBlockBytes != 0) {
        sim::Fail(api, sim::Fmt("dst: UB address %u is not 32-byte aligned", dst.simAddr_));
    }
    sim::GmAlignCheck(api, src);
    const uint64_t len = static_cast<uint64_t>(repeatParams.blockLen) * sim::kBlockBytes;
    const uint64_t sp = len + static_cast<uint64_t>(repeatParams.srcStride) * sim::kBlockBytes;
    const uint64_t dp = len + static_cast<uint64_t>(repeatParams.dstStride) * sim::kBlockBytes;
    sim::UbBlocksCheck(api, "dst", dst, repeatParams.blockCount, len, dp);
    for (uint32_t i = 0; i < repeatParams.blockCount; ++i) {
        const uintptr_t p = src.simAccess(api, i * sp, len, false);
        std::memcpy(sim::Core(api).ub.data() + dst.simAddr_ + i * dp, reinterpret_cast<const void*>(p), len);
        sim::UbMarkWritten(static_cast<uint32_t>(dst.simAddr_ + i * dp), len, sim::SP_MTE2, api);
    }
    sim::CountGm(len * repeatParams.blockCount, 0);
}

template <typename T>
inline void DataCopy(const GlobalTensor<T>& dst, const LocalTensor<T>& src, const DataCopyParams& repeatParams)
{
    const char* api = "DataCopy(GM<-UB, DataCopyParams)";
    sim::CopyDtCheck<T>(api);
    sim::CopyParamsCheck(api, repeatParams);
    src.simLive(api, "src");
    if (src.simAddr_ % sim::kBlockBytes != 0) {
        sim::Fail(api, sim::Fmt("src: UB address %u is not 32-byte aligned", src.simAddr_));
    }
    sim::GmAlignCheck(api, dst);
    const uint64_t len = static_cast<uint64_t>(repeatParams.blockLen) * sim::kBlockBytes;
    const uint64_t sp = len + static_cast<uint64_t>(repeatParams.srcStride) * sim::kBlockBytes;
    const uint64_t dp = len + static_cast<uint64_t>(repeatParams.dstStride) * sim::kBlockBytes;
    sim::UbBlocksCheck(api, "src", src, repeatParams.blockCount, len, sp);
    for (uint32_t i = 0; i < repeatParams.blockCount; ++i) {
        sim::UbCheckInit(api, "src", static_cast<uint32_t>(src.simAddr_ + i * sp), len, sim::SP_MTE3);
        const uintptr_t p = dst.simAccess(api, i * dp, len, true);
        std::memcpy(reinterpret_cast<void*>(p), sim::Core(api).ub.data() + src.simAddr_ + i * sp, len);
    }
    sim::CountGm(0, len * repeatParams.blockCount);
}

template <typename T>
inline void DataCopy(const LocalTensor<T>& dst, const LocalTensor<T>& src, const DataCopyParams& repeatParams)
{
    if (dst.simMem_ == sim::MEM_BT) {
        sim::CopyL1ToBt(dst, src, repeatParams);
        return;
    }
    const char* api = "DataCopy(UB<-UB, DataCopyParams)";
    sim::CopyDtCheck<T>(api);
    sim::CopyParamsCheck(api, repeatParams);
    src.simLive(api, "src");
    dst.simLive(api, "dst");
    if (src.simAddr_ % sim::kBlockBytes != 0 || dst.simAddr_ % sim::kBlockBytes != 0) {
        sim::Fail(api, "UB addresses must be 32-byte aligned");
    }
    const uint64_t len = static_cast<uint64_t>(repeatParams.blockLen) * sim::kBlockBytes;
    const uint64_t sp = len + static_cast<uint64_t>(repeatParams.srcStride) * sim::kBlockBytes;
    const uint64_t dp = len + static_cast<uint64_t>(repeatParams.dstStride) * sim::kBlockBytes;
    sim::UbBlocksCheck(api, "src", src, repeatParams.blockCount, len, sp);
    sim::UbBlocksCheck(api, "dst", dst, repeatParams.blockCount, len, dp);
    for (uint32_t i = 0; i < repeatParams.blockCount; ++i) {
        const uint32_t s = static_cast<uint32_t>(src.simAddr_ + i * sp);
        sim::UbCheckInit(api, "src", s, len, sim::SP_ANY);
        const std::vector<uint8_t> v = sim::LoadN<uint8_t>(s, len);
        sim::StoreN<uint8_t>(static_cast<uint32_t>(dst.simAddr_ + i * dp), v, sim::SP_ANY, api);
    }
}

// The form with different element types moves L1 -> bias table only (kernel_operator_data_copy_intf.h:
// "datacopy from L1 to bt").
template <typename T, typename U>
inline void DataCopy(const LocalTensor<T>& dst, const LocalTensor<U>& src, const DataCopyParams& repeatParams)
{
    sim::CopyL1ToBt(dst, src, repeatParams);
}

// ------------------------------------------------------------------------------------ DataCopyPad
AK_SIM_API_END
AK_SIM_IMPL_BEGIN
constexpr uint32_t kPadBlockLenMax = 2097151;
constexpr uint32_t kPadBlockCountMax = 4095;

inline void PadExtCheck(const char* api, uint32_t blockCount, uint32_t blockLen, uint32_t elem)
{
    const char* doc = "asc-devkit Memory矢量计算/数据搬运/DataCopyPad";
    if (blockCount > kPadBlockCountMax) {
        Fail(api, Fmt("blockCount %u outside [0, 4095] (%s)", blockCount, doc));
    }
    if (blockLen > kPadBlockLenMax) {
        Fail(api, Fmt("blockLen %u B outside [0, 2097151] (%s)", blockLen, doc));
    }
    if (blockLen % elem != 0) {
        Fail(api, Fmt("blockLen %u B is not a multiple of sizeof(T) = %u B (blockLen is in BYTES; %s)", blockLen, elem,
                      doc));
    }
}

// GM -> UB. srcStride: GM gap in bytes; dstStride: UB gap in 32-B blocks. Each block lands in UB as
// [leftPadding elems][blockLen bytes][rightPadding elems][dummy up to 32 B]. Pads are paddingValue
// when isPad, else undefined (the sim writes 0xFF bytes); without left/right padding the dummy is the
// first element of the block.
template <typename T>
inline void PadGmToUb(const char* api, const LocalTensor<T>& dst, const GlobalTensor<T>& src, uint32_t blockCount,
                      uint32_t blockLen, int64_t srcStride, int64_t dstStride, bool isPad, uint32_t left,
                      uint32_t right, T padValue)
{
    CopyDtCheck<T>(api);
    const uint32_t es = sizeof(T);
    PadExtCheck(api, blockCount, blockLen, es);
    if (static_cast<uint64_t>(left) * es > kBlockBytes || static_cast<uint64_t>(right) * es > kBlockBytes) {
        Fail(api, Fmt("leftPadding %u / rightPadding %u elements exceed 32 B (padding is in elements, each side at "
                      "most 32 B; hicann/asc-tools cpudebug kernel_data_copy_pad_check.cpp)", left, right));
    }
    if (es == 8 && isPad) {
        uint64_t pv = 0;
        std::memcpy(&pv, static_cast<const void*>(&padValue), 8);
        if (pv != 0) {
            Fail(api, "paddingValue must be 0 for 64-bit types");
        }
    }
    if (CurTarget() == TARGET_A5) {
        if (srcStride < -static_cast<int64_t>(blockLen)) {
            Fail(api, "srcStride < -blockLen");
        }
        if (dstStride < 0 || dstStride > 65535) {
            Fail(api, Fmt("dstStride %lld outside [0, 65535] on a5", static_cast<long long>(dstStride)));
        }
    }
    dst.simLive(api, "dst");
    if (dst.simAddr_ % kBlockBytes != 0) {
        Fail(api, Fmt("dst: UB address %u is not 32-byte aligned (npuchk ErrorWrite4)", dst.simAddr_));
    }
    if (blockCount == 0 || blockLen == 0) {
        return;  // documented NOP
    }
    const uint64_t blockUb = ((static_cast<uint64_t>(left) * es + blockLen + static_cast<uint64_t>(right) * es + 31) / 32) * 32;
    const uint64_t ubPitch = blockUb + static_cast<uint64_t>(dstStride) * kBlockBytes;
    UbBlocksCheck(api, "dst", dst, blockCount, blockUb, ubPitch);
    const int64_t gmPitch = static_cast<int64_t>(blockLen) + srcStride;
    CoreState& c = Core(api);
    for (uint32_t i = 0; i < blockCount; ++i) {
        const int64_t goff = static_cast<int64_t>(i) * gmPitch;
        if (goff < 0) {
            Fail(api, "negative GM offset");
        }
        const uintptr_t p = src.simAccess(api, static_cast<uint64_t>(goff), blockLen, false);
        const uint32_t ua = static_cast<uint32_t>(dst.simAddr_ + i * ubPitch);
        uint8_t* u = c.ub.data() + ua;
        // fill the whole block first
        if (left == 0 && right == 0) {
            T first;
            std::memcpy(static_cast<void*>(&first), reinterpret_cast<const void*>(p), es);
            for (uint64_t k = 0; k + es <= blockUb; k += es) {
                std::memcpy(u + k, static_cast<const void*>(&first), es);
            }
        } else if (isPad) {
            for (uint64_t k = 0; k + es <= blockUb; k += es) {
                std::memcpy(u + k, static_cast<const void*>(&padValue), es);
            }
        } else {
            std::memset(u, 0xFF, blockUb);
        }
        std::memcpy(u + static_cast<uint64_t>(left) * es, reinterpret_cast<const void*>(p), blockLen);
        UbMarkWritten(ua, blockUb, SP_MTE2, api);
    }
    c.gmToUb += static_cast<uint64_t>(blockLen) * blockCount;
}

// UB -> GM. srcStride: UB gap in 32-B blocks; dstStride: GM gap in bytes. Exactly blockLen bytes per
// block are written.
template <typename T>
inline void PadUbToGm(const char* api, const GlobalTensor<T>& dst, const LocalTensor<T>& src, uint32_t blockCount,
                      uint32_t blockLen, int64_t srcStride, int64_t dstStride)
{
    CopyDtCheck<T>(api);
    PadExtCheck(api, blockCount, blockLen, sizeof(T));
    if (CurTarget() == TARGET_A5 && (srcStride < 0 || srcStride > 65535)) {
        Fail(api, Fmt("srcStride %lld outside [0, 65535] on a5", static_cast<long long>(srcStride)));
    }
    src.simLive(api, "src");
    if (src.simAddr_ % kBlockBytes != 0) {
        Fail(api, Fmt("src: UB address %u is not 32-byte aligned (npuchk ErrorRead4)", src.simAddr_));
    }
    if (blockCount == 0 || blockLen == 0) {
        return;
    }
    const uint64_t blockUb = ((static_cast<uint64_t>(blockLen) + 31) / 32) * 32;
    const uint64_t ubPitch = blockUb + static_cast<uint64_t>(srcStride) * kBlockBytes;
    UbBlocksCheck(api, "src", src, blockCount, blockLen, ubPitch);
    const uint64_t gmPitch = static_cast<uint64_t>(blockLen) + static_cast<uint64_t>(dstStride);
    CoreState& c = Core(api);
    for (uint32_t i = 0; i < blockCount; ++i) {
        const uint32_t ua = static_cast<uint32_t>(src.simAddr_ + i * ubPitch);
        UbCheckInit(api, "src", ua, blockLen, SP_MTE3);
        const uintptr_t p = dst.simAccess(api, i * gmPitch, blockLen, true);
        std::memcpy(reinterpret_cast<void*>(p), c.ub.data() + ua, blockLen);
    }
    c.ubToGm += static_cast<uint64_t>(blockLen) * blockCount;
}
AK_SIM_IMPL_END
AK_SIM_API_BEGIN

#if __NPU_ARCH__ == 3510
template <typename T, PaddingMode mode = PaddingMode::Normal>
#else
template <typename T>
#endif
inline void DataCopyPad(const LocalTensor<T>& dst, const GlobalTensor<T>& src, const DataCopyExtParams& dataCopyParams,
                        const DataCopyPadExtParams<T>& padParams)
{
#if __NPU_ARCH__ == 3510
    if (mode != PaddingMode::Normal) {
        sim::Fail("DataCopyPad(UB<-GM)", "PaddingMode::Compact is not modelled by the sim");
    }
#endif
    sim::PadGmToUb<T>("DataCopyPad(UB<-GM)", dst, src, dataCopyParams.blockCount, dataCopyParams.blockLen,
                      static_cast<int64_t>(dataCopyParams.srcStride), static_cast<int64_t>(dataCopyParams.dstStride),
                      padParams.isPad, padParams.leftPadding, padParams.rightPadding, padParams.paddingValue);
}

#if __NPU_ARCH__ == 3510
template <typename T, PaddingMode mode = PaddingMode::Normal>
#else
template <typename T>
#endif
inline void DataCopyPad(const GlobalTensor<T>& dst, const LocalTensor<T>& src, const DataCopyExtParams& dataCopyParams)
{
#if __NPU_ARCH__ == 3510
    if (mode != PaddingMode::Normal) {
        sim::Fail("DataCopyPad(GM<-UB)", "PaddingMode::Compact is not modelled by the sim");
    }
#endif
    sim::PadUbToGm<T>("DataCopyPad(GM<-UB)", dst, src, dataCopyParams.blockCount, dataCopyParams.blockLen,
                      static_cast<int64_t>(dataCopyParams.srcStride), static_cast<int64_t>(dataCopyParams.dstStride));
}

// Older DataCopyParams/DataCopyPadParams overloads (blockLen in bytes, uint16).
#if __NPU_ARCH__ == 3510
template <typename T, PaddingMode mode = PaddingMode::Normal>
#else
template <typename T>
#endif
inline void DataCopyPad(const LocalTensor<T>& dst, const GlobalTensor<T>& src, const DataCopyParams& dataCopyParams,
                        const DataCopyPadParams& padParams)
{
    T pv{};
    std::memcpy(static_cast<void*>(&pv), &padParams.paddingValue, sizeof(T) <= 8 ? sizeof(T) : 8);
    sim::PadGmToUb<T>("DataCopyPad(UB<-GM)", dst, src, dataCopyParams.blockCount, dataCopyParams.blockLen,
                      dataCopyParams.srcStride, dataCopyParams.dstStride, padParams.isPad, padParams.leftPadding,
                      padParams.rightPadding, pv);
}

#if __NPU_ARCH__ == 3510
template <typename T, PaddingMode mode = PaddingMode::Normal>
#else
template <typename T>
#endif
inline void DataCopyPad(const GlobalTensor<T>& dst, const LocalTensor<T>& src, const DataCopyParams& dataCopyParams)
{
    sim::PadUbToGm<T>("DataCopyPad(GM<-UB)", dst, src, dataCopyParams.blockCount, dataCopyParams.blockLen,
                      dataCopyParams.srcStride, dataCopyParams.dstStride);
}
AK_SIM_API_END

#endif  // AK_SIM_BASIC_API_KERNEL_OPERATOR_DATA_COPY_INTF_H
