// ascend-kernels sim, part of kernel_operator.h (kernels include only that header; see docs/sim.md).
// ReduceSum, ReduceMax, WholeReduceSum/Max, BlockReduceSum/Max/Min (asc-devkit
// include/basic_api/kernel_operator_vec_reduce_intf.h).
#ifndef AK_SIM_BASIC_API_KERNEL_OPERATOR_VEC_REDUCE_INTF_H
#define AK_SIM_BASIC_API_KERNEL_OPERATOR_VEC_REDUCE_INTF_H
// Not self-contained: kernel_operator.h includes the parts in order after its prelude (built-in
// enums, qualifiers, the namespace macros).

AK_SIM_API_BEGIN
// ------------------------------------------------------------------------------------ reductions
AK_SIM_API_END
AK_SIM_IMPL_BEGIN
// Sum of v[0..n) as a binary tree of adjacent pairs ((v0+v1)+(v2+v3))..., each add rounded to T
// (ReduceDataBlock.md 关键特性说明). A partial set of lanes is padded with +0 to the next power of
// two, as a fixed-width tree over masked-off (zero) lanes would do.
template <typename T>
inline T TreeSum(std::vector<T> v)
{
    if (v.empty()) {
        return T(0);
    }
    size_t p2 = 1;
    while (p2 < v.size()) p2 *= 2;
    v.resize(p2, T(0));
    while (v.size() > 1) {
        std::vector<T> w((v.size() + 1) / 2);
        for (size_t i = 0; i < w.size(); ++i) {
            w[i] = (2 * i + 1 < v.size()) ? Bin<T>(OP_ADD, v[2 * i], v[2 * i + 1]) : v[2 * i];
        }
        v.swap(w);
    }
    return v[0];
}

// Max with its first index; NaN wins (first NaN).
template <typename T>
inline void MaxIdx(const std::vector<T>& v, T* best, uint32_t* idx)
{
    *best = v.empty() ? T(0) : v[0];
    *idx = 0;
    for (uint32_t i = 1; i < v.size(); ++i) {
        if (IsNan(*best)) {
            break;
        }
        if (IsNan(v[i]) || ToDouble<T>(v[i]) > ToDouble<T>(*best)) {
            *best = v[i];
            *idx = i;
        }
    }
}

template <typename T>
inline T IndexAsT(uint32_t idx)
{
    // The index is stored as the integer bit pattern in an element of T (ReduceRepeat.md).
    T r{};
    if (sizeof(T) == 2) {
        const uint16_t b = static_cast<uint16_t>(idx);
        std::memcpy(static_cast<void*>(&r), &b, 2);
    } else if (sizeof(T) == 4) {
        std::memcpy(static_cast<void*>(&r), &idx, 4);
    }
    return r;
}
AK_SIM_IMPL_END
AK_SIM_API_BEGIN

// Count form: ReduceSum accumulates inside each 256-B repeat with a binary tree and adds the repeat
// results in order (ReduceSum.md "方式一", the A2 count form). dst[0] = sum.
template <typename T, bool isSetMask = true>
inline void ReduceSum(const LocalTensor<T>& dst, const LocalTensor<T>& src, const LocalTensor<T>& sharedTmpBuffer,
                      const int32_t count)
{
    const char* api = "ReduceSum";
    sim::DtCheck(api, sim::DtOf<T>(), sim::kA2Float, sim::kA5RedSum, "asc-devkit Memory矢量计算/归约计算/ReduceSum.md");
    sim::CountCheck(api, count);
    sim::Operand(api, "src", src, count, true);
    sharedTmpBuffer.simLive(api, "sharedTmpBuffer");
    sim::Operand(api, "dst", dst, 1, false, sizeof(T));
    const std::vector<T> x = sim::LoadN<T>(src.simAddr_, count);
    const uint32_t per = sim::kRepeatBytes / sizeof(T);
    T acc = T(0);
    bool first = true;
    for (uint32_t b = 0; b < static_cast<uint32_t>(count); b += per) {
        const uint32_t e = std::min<uint32_t>(b + per, count);
        const T part = sim::TreeSum<T>(std::vector<T>(x.begin() + b, x.begin() + e));
        acc = first ? part : sim::Bin<T>(sim::OP_ADD, acc, part);
        first = false;
    }
    sim::StoreN<T>(dst.simAddr_, std::vector<T>{acc}, sim::SP_V, api);
    sim::CountVec(1, static_cast<uint64_t>(count));
}

// Count form: dst[0] = max; with calIndex dst[1] = index (bit pattern). NaN wins.
template <typename T>
inline void ReduceMax(const LocalTensor<T>& dst, const LocalTensor<T>& src, const LocalTensor<T>& sharedTmpBuffer,
                      const int32_t count, bool calIndex = 0)
{
    const char* api = "ReduceMax";
    sim::DtCheck(api, sim::DtOf<T>(), sim::kA2Float, sim::kA5RedMax, "asc-devkit Memory矢量计算/归约计算/ReduceMax.md");
    sim::CountCheck(api, count);
    if (count == 0) {
        sim::Fail(api, "count = 0");
    }
    sim::Operand(api, "src", src, count, true);
    sharedTmpBuffer.simLive(api, "sharedTmpBuffer");
    sim::Operand(api, "dst", dst, calIndex ? 2 : 1, false, sizeof(T));
    const std::vector<T> x = sim::LoadN<T>(src.simAddr_, count);
    T best;
    uint32_t idx = 0;
    sim::MaxIdx<T>(x, &best, &idx);
    std::vector<T> out{best};
    if (calIndex) {
        out.push_back(sim::IndexAsT<T>(idx));
    }
    sim::StoreN<T>(dst.simAddr_, out, sim::SP_V, api);
    sim::CountVec(1, static_cast<uint64_t>(count));
}

AK_SIM_API_END
AK_SIM_IMPL_BEGIN
template <typename T>
inline void WholeReduceImpl(const char* api, bool isMax, const LocalTensor<T>& dst, const LocalTensor<T>& src,
                            int32_t maskCount, const uint64_t* maskBits, int32_t repeatTime, int32_t dstRepStride,
                            int32_t srcBlkStride, int32_t srcRepStride, ReduceOrder order)
{
    DtCheck(api, DtOf<T>(), kA2Float, kA2Float, "asc-devkit Memory矢量计算/归约计算/ReduceRepeat.md (WholeReduce*)");
    if (repeatTime < 0 || repeatTime > 255) {
        Fail(api, Fmt("repeatTime %d outside [0, 255]", repeatTime));
    }
    if (dstRepStride < 0 || srcBlkStride < 0 || srcRepStride < 0 || dstRepStride > 65535 || srcBlkStride > 65535 ||
        srcRepStride > 65535) {
        Fail(api, "stride outside [0, 65535]");
    }
    if (repeatTime == 0) {
        return;
    }
    src.simLive(api, "src");
    dst.simLive(api, "dst");
    if (src.simAddr_ % kBlockBytes != 0) {
        Fail(api, Fmt("src: UB address %u is not 32-byte aligned (npuchk ErrorRead4)", src.simAddr_));
    }
    const std::vector<uint32_t> lanes = RepeatLanes<T>(api, maskCount, maskBits);
    // dst entries per repeat and the dstRepStride unit (ReduceRepeat.md table 3)
    uint32_t outElems = 1;
    if (isMax && (order == ReduceOrder::ORDER_VALUE_INDEX || order == ReduceOrder::ORDER_INDEX_VALUE)) {
        outElems = 2;
    }
    const uint32_t unitBytes = (isMax && order == ReduceOrder::ORDER_ONLY_INDEX) ? 4 : outElems * sizeof(T);
    const uint32_t srcEnd = src.simAddr_ + src.simSize_ * static_cast<uint32_t>(sizeof(T));
    const uint32_t dstEnd = dst.simAddr_ + dst.simSize_ * static_cast<uint32_t>(sizeof(T));
    if (dst.simAddr_ % unitBytes != 0) {
        Fail(api, Fmt("dst: UB address %u is not %u-byte aligned", dst.simAddr_, unitBytes));
    }
    std::vector<std::pair<uint64_t, std::vector<uint8_t>>> writes;
    for (int32_t r = 0; r < repeatTime; ++r) {
        std::vector<T> v;
        for (uint32_t lane : lanes) {
            const uint64_t a = LaneAddr<T>(src.simAddr_, r, lane, srcBlkStride, srcRepStride);
            if (a + sizeof(T) > srcEnd) {
                Fail(api, Fmt("src: repeat %d lane %u reads UB byte %llu beyond the tensor (npuchk ErrorRead3)", r, lane,
                              static_cast<unsigned long long>(a)));
            }
            UbCheckInit(api, "src", static_cast<uint32_t>(a), sizeof(T));
            v.push_back(UbLoad<T>(static_cast<uint32_t>(a)));
        }
        std::vector<uint8_t> bytes;
        auto put = [&bytes](const void* p, size_t n) {
            const uint8_t* b = static_cast<const uint8_t*>(p);
            bytes.insert(bytes.end(), b, b + n);
        };
        if (!isMax) {
            const T s = TreeSum<T>(v);
            put(&s, sizeof(T));
        } else {
            T best;
            uint32_t idx = 0;
            MaxIdx<T>(v, &best, &idx);
            const uint32_t laneIdx = lanes[idx];
            const T idxT = IndexAsT<T>(laneIdx);
            switch (order) {
                case ReduceOrder::ORDER_VALUE_INDEX: put(&best, sizeof(T)); put(&idxT, sizeof(T)); break;
                case ReduceOrder::ORDER_INDEX_VALUE: put(&idxT, sizeof(T)); put(&best, sizeof(T)); break;
                case ReduceOrder::ORDER_ONLY_VALUE: put(&best, sizeof(T)); break;
                case ReduceOrder::ORDER_ONLY_INDEX: put(&laneIdx, 4); break;
            }
        }
        const uint64_t da = static_cast<uint64_t>(dst.simAddr_) + static_cast<uint64_t>(r) * dstRepStride * unitBytes;
        if (da + bytes.size() > dstEnd) {
            Fail(api, Fmt("dst: repeat %d writes UB bytes [%llu, %llu) beyond the tensor (npuchk ErrorWrite3)", r,
                          static_cast<unsigned long long>(da), static_cast<unsigned long long>(da + bytes.size())));
        }
        writes.emplace_back(da, std::move(bytes));
    }
    for (const auto& w : writes) {
        StoreN<uint8_t>(static_cast<uint32_t>(w.first), w.second, sim::SP_V, api);
    }
    CountVec(static_cast<uint64_t>(repeatTime), static_cast<uint64_t>(repeatTime) * lanes.size());
}
AK_SIM_IMPL_END
AK_SIM_API_BEGIN

template <typename T, bool isSetMask = true>
inline void WholeReduceSum(const LocalTensor<T>& dst, const LocalTensor<T>& src, const int32_t mask,
                           const int32_t repeatTime, const int32_t dstRepStride, const int32_t srcBlkStride,
                           const int32_t srcRepStride)
{
    sim::WholeReduceImpl<T>("WholeReduceSum", false, dst, src, mask, nullptr, repeatTime, dstRepStride, srcBlkStride,
                            srcRepStride, ReduceOrder::ORDER_ONLY_VALUE);
}
template <typename T, bool isSetMask = true>
inline void WholeReduceSum(const LocalTensor<T>& dst, const LocalTensor<T>& src, const uint64_t mask[],
                           const int32_t repeatTime, const int32_t dstRepStride, const int32_t srcBlkStride,
                           const int32_t srcRepStride)
{
    sim::WholeReduceImpl<T>("WholeReduceSum", false, dst, src, 0, mask, repeatTime, dstRepStride, srcBlkStride,
                            srcRepStride, ReduceOrder::ORDER_ONLY_VALUE);
}
template <typename T, bool isSetMask = true>
inline void WholeReduceMax(const LocalTensor<T>& dst, const LocalTensor<T>& src, const int32_t mask,
                           const int32_t repeatTime, const int32_t dstRepStride, const int32_t srcBlkStride,
                           const int32_t srcRepStride, ReduceOrder order = ReduceOrder::ORDER_VALUE_INDEX)
{
    sim::WholeReduceImpl<T>("WholeReduceMax", true, dst, src, mask, nullptr, repeatTime, dstRepStride, srcBlkStride,
                            srcRepStride, order);
}
template <typename T, bool isSetMask = true>
inline void WholeReduceMax(const LocalTensor<T>& dst, const LocalTensor<T>& src, const uint64_t mask[],
                           const int32_t repeatTime, const int32_t dstRepStride, const int32_t srcBlkStride,
                           const int32_t srcRepStride, ReduceOrder order = ReduceOrder::ORDER_VALUE_INDEX)
{
    sim::WholeReduceImpl<T>("WholeReduceMax", true, dst, src, 0, mask, repeatTime, dstRepStride, srcBlkStride,
                            srcRepStride, order);
}


// ------------------------------------------------------------------------------------ BlockReduce*
// Per repeat, each of the 8 DataBlocks (srcBlkStride apart) is reduced to one value; the 8 results
// are written contiguously, repeat r at dst + r*dstRepStride*8 elements (ReduceDataBlock.md). A
// block with no selected lane keeps its dst value. Sum: pairwise tree inside the block.
AK_SIM_API_END
AK_SIM_IMPL_BEGIN
template <typename T>
inline void BlockReduceImpl(const char* api, int kind /*0 sum 1 max 2 min*/, const LocalTensor<T>& dst,
                            const LocalTensor<T>& src, int32_t repeatTime, int32_t maskCount, const uint64_t* maskBits,
                            int32_t dstRepStride, int32_t srcBlkStride, int32_t srcRepStride)
{
    DtCheck(api, DtOf<T>(), kA2Float, kA2Float, "asc-devkit Memory矢量计算/归约计算/ReduceDataBlock.md");
    if (repeatTime < 0 || repeatTime > 255) {
        Fail(api, Fmt("repeatTime %d outside [0, 255]", repeatTime));
    }
    if (dstRepStride < 0 || srcBlkStride < 0 || srcRepStride < 0 || dstRepStride > 65535 || srcBlkStride > 65535 ||
        srcRepStride > 65535) {
        Fail(api, "stride outside [0, 65535]");
    }
    if (repeatTime == 0 || (maskBits == nullptr && maskCount == 0)) {
        return;
    }
    src.simLive(api, "src");
    dst.simLive(api, "dst");
    if (src.simAddr_ % kBlockBytes != 0) {
        Fail(api, Fmt("src: UB address %u is not 32-byte aligned (npuchk ErrorRead4)", src.simAddr_));
    }
    const uint32_t unit = 8 * sizeof(T) >= kBlockBytes ? kBlockBytes : 8 * sizeof(T);
    if (dst.simAddr_ % unit != 0) {
        Fail(api, Fmt("dst: UB address %u is not %u-byte aligned", dst.simAddr_, unit));
    }
    const std::vector<uint32_t> lanes = RepeatLanes<T>(api, maskCount, maskBits);
    const uint32_t perBlk = kBlockBytes / sizeof(T);
    const uint64_t srcEnd = static_cast<uint64_t>(src.simAddr_) + static_cast<uint64_t>(src.simSize_) * sizeof(T);
    const uint64_t dstEnd = static_cast<uint64_t>(dst.simAddr_) + static_cast<uint64_t>(dst.simSize_) * sizeof(T);
    std::vector<std::pair<uint32_t, T>> out;
    for (int32_t r = 0; r < repeatTime; ++r) {
        for (uint32_t j = 0; j < 8; ++j) {
            std::vector<T> v;
            for (uint32_t lane : lanes) {
                if (lane / perBlk != j) continue;
                const uint64_t a = LaneAddr<T>(src.simAddr_, r, lane, srcBlkStride, srcRepStride);
                if (a + sizeof(T) > srcEnd) {
                    Fail(api, Fmt("src: repeat %d lane %u reads UB byte %llu beyond the tensor (npuchk ErrorRead3)", r,
                                  lane, static_cast<unsigned long long>(a)));
                }
                UbCheckInit(api, "src", static_cast<uint32_t>(a), sizeof(T));
                v.push_back(UbLoad<T>(static_cast<uint32_t>(a)));
            }
            if (v.empty()) continue;
            T res = v[0];
            if (kind == 0) {
                res = TreeSum<T>(v);
            } else {
                for (size_t i = 1; i < v.size(); ++i) res = Bin<T>(kind == 1 ? OP_MAX : OP_MIN, res, v[i]);
            }
            const uint64_t da = static_cast<uint64_t>(dst.simAddr_) +
                                (static_cast<uint64_t>(r) * dstRepStride * 8 + j) * sizeof(T);
            if (da + sizeof(T) > dstEnd) {
                Fail(api, Fmt("dst: repeat %d writes UB byte %llu beyond the tensor (npuchk ErrorWrite3)", r,
                              static_cast<unsigned long long>(da)));
            }
            out.emplace_back(static_cast<uint32_t>(da), res);
        }
    }
    for (const auto& w : out) {
        UbStore<T>(w.first, w.second);
        UbMarkWritten(w.first, sizeof(T), sim::SP_V, api);
    }
    CountVec(static_cast<uint64_t>(repeatTime), static_cast<uint64_t>(repeatTime) * lanes.size());
}
AK_SIM_IMPL_END
AK_SIM_API_BEGIN

#define AK_SIM_BLOCK_REDUCE(NAME, KIND)                                                                        \
    template <typename T, bool isSetMask = true>                                                               \
    inline void NAME(const LocalTensor<T>& dst, const LocalTensor<T>& src, const int32_t repeatTime,           \
                     const int32_t mask, const int32_t dstRepStride, const int32_t srcBlkStride,               \
                     const int32_t srcRepStride)                                                               \
    {                                                                                                          \
        sim::BlockReduceImpl<T>(#NAME, KIND, dst, src, repeatTime, mask, nullptr, dstRepStride, srcBlkStride,  \
                                srcRepStride);                                                                 \
    }                                                                                                          \
    template <typename T, bool isSetMask = true>                                                               \
    inline void NAME(const LocalTensor<T>& dst, const LocalTensor<T>& src, const int32_t repeatTime,           \
                     const uint64_t mask[], const int32_t dstRepStride, const int32_t srcBlkStride,            \
                     const int32_t srcRepStride)                                                               \
    {                                                                                                          \
        sim::BlockReduceImpl<T>(#NAME, KIND, dst, src, repeatTime, 0, mask, dstRepStride, srcBlkStride,        \
                                srcRepStride);                                                                 \
    }
AK_SIM_BLOCK_REDUCE(BlockReduceSum, 0)
AK_SIM_BLOCK_REDUCE(BlockReduceMax, 1)
AK_SIM_BLOCK_REDUCE(BlockReduceMin, 2)
#undef AK_SIM_BLOCK_REDUCE
AK_SIM_API_END

#endif  // AK_SIM_BASIC_API_KERNEL_OPERATOR_VEC_REDUCE_INTF_H
