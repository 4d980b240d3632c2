// ascend-kernels sim, part of kernel_operator.h (kernels include only that header; see docs/sim.md).
// Brcb (asc-devkit include/basic_api/kernel_operator_vec_brcb_intf.h).
#ifndef AK_SIM_BASIC_API_KERNEL_OPERATOR_VEC_BRCB_INTF_H
#define AK_SIM_BASIC_API_KERNEL_OPERATOR_VEC_BRCB_INTF_H
// Not self-contained: kernel_operator.h includes the parts in order after its prelude (built-in
// enums, qualifiers, the namespace macros).

AK_SIM_API_BEGIN
// ------------------------------------------------------------------------------------ Brcb
// Each repeat takes 8 consecutive elements of src and fills one 32-B block of dst with each
// (asc-devkit Memory矢量计算/数据填充/Brcb.md).
template <typename T>
inline void Brcb(const LocalTensor<T>& dst, const LocalTensor<T>& src, const uint8_t repeatTime,
                 const BrcbRepeatParams& repeatParams)
{
    const char* api = "Brcb";
    sim::DtCheck(api, sim::DtOf<T>(), sim::kA2Dup, sim::kA5Brcb, "asc-devkit Memory矢量计算/数据填充/Brcb.md");
    if (repeatTime == 0) {
        return;
    }
    sim::Operand(api, "src", src, static_cast<uint64_t>(repeatTime) * 8, true);
    dst.simLive(api, "dst");
    if (dst.simAddr_ % sim::kBlockBytes != 0) {
        sim::Fail(api, sim::Fmt("dst: UB address %u is not 32-byte aligned (npuchk ErrorWrite4)", dst.simAddr_));
    }
    const std::vector<T> x = sim::LoadN<T>(src.simAddr_, static_cast<uint64_t>(repeatTime) * 8);
    const uint32_t perBlk = sim::kBlockBytes / sizeof(T);
    const uint64_t dstEnd = static_cast<uint64_t>(dst.simAddr_) + static_cast<uint64_t>(dst.simSize_) * sizeof(T);
    for (uint32_t r = 0; r < repeatTime; ++r) {
        for (uint32_t j = 0; j < 8; ++j) {
            const uint64_t a = static_cast<uint64_t>(dst.simAddr_) +
                               (static_cast<uint64_t>(r) * repeatParams.dstRepStride +
                                static_cast<uint64_t>(j) * repeatParams.dstBlkStride) * sim::kBlockBytes;
            if (a + sim::kBlockBytes > dstEnd) {
                sim::Fail(api, sim::Fmt("dst: repeat %u block %u writes UB bytes [%llu, %llu) beyond the tensor (npuchk "
                                        "ErrorWrite3)", r, j, static_cast<unsigned long long>(a),
                                        static_cast<unsigned long long>(a + sim::kBlockBytes)));
            }
            sim::StoreN<T>(static_cast<uint32_t>(a), std::vector<T>(perBlk, x[r * 8 + j]), sim::SP_V, api);
        }
    }
    sim::CountVec(repeatTime, static_cast<uint64_t>(repeatTime) * 8 * perBlk);
}
AK_SIM_API_END

#endif  // AK_SIM_BASIC_API_KERNEL_OPERATOR_VEC_BRCB_INTF_H
