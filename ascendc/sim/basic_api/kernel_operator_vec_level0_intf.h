// ascend-kernels sim, part of kernel_operator.h (kernels include only that header; see docs/sim.md).
// The Level-0 (mask/repeat) forms of the binary, tensor-scalar and unary ops (same asc-devkit headers).
#ifndef AK_SIM_BASIC_API_KERNEL_OPERATOR_VEC_LEVEL0_INTF_H
#define AK_SIM_BASIC_API_KERNEL_OPERATOR_VEC_LEVEL0_INTF_H
// Not self-contained: kernel_operator.h includes the parts in order after its prelude (built-in
// enums, qualifiers, the namespace macros).

AK_SIM_API_BEGIN
// ------------------------------------------------------------------------------------ Level-0 (mask/repeat)
// High-dimension split form (asc-devkit Memory矢量计算/SIMD计算说明/高维切分.md, 掩码.md): repeat r,
// DataBlock j (32 B), element e: address = base + (r*repStride + j*blkStride)*32 B + e*sizeof(T);
// the mask selects lanes of each repeat (continuous: the first `mask` lanes; bit mode: mask[0]
// lanes 0-63, mask[1] lanes 64-127). Normal mask mode only; counter mode is not modelled.
inline void SetMaskCount() { sim::Core("SetMaskCount").maskCounter = true; }
inline void SetMaskNorm() { sim::Core("SetMaskNorm").maskCounter = false; }
inline void ResetMask()
{
    sim::CoreState& c = sim::Core("ResetMask");
    c.vecMask[0] = ~0ull;
    c.vecMask[1] = ~0ull;
}
template <typename T, MaskMode mode = MaskMode::NORMAL>
inline void SetVectorMask(const uint64_t maskHigh, const uint64_t maskLow)
{
    sim::CoreState& c = sim::Core("SetVectorMask");
    c.vecMask[0] = maskLow;
    c.vecMask[1] = maskHigh;
    c.maskCounter = mode == MaskMode::COUNTER ? true : c.maskCounter;
}
template <typename T, MaskMode mode = MaskMode::NORMAL>
inline void SetVectorMask(int32_t len)
{
    sim::CoreState& c = sim::Core("SetVectorMask");
    const uint32_t lanes = sim::kRepeatBytes / sizeof(T);
    if (len < 0 || (mode == MaskMode::NORMAL && !c.maskCounter && static_cast<uint32_t>(len) > lanes)) {
        sim::Fail("SetVectorMask", sim::Fmt("len %d outside [0, %u]", len, lanes));
    }
    c.vecMask[0] = len >= 64 ? ~0ull : ((1ull << len) - 1ull);
    c.vecMask[1] = len >= 128 ? ~0ull : (len <= 64 ? 0ull : ((1ull << (len - 64)) - 1ull));
    c.maskCounter = mode == MaskMode::COUNTER ? true : c.maskCounter;
}

AK_SIM_API_END
AK_SIM_IMPL_BEGIN
// Elements of repeat r selected by a Level-0 continuous mask (first `mask` lanes) or bit mask.
template <typename T>
inline std::vector<uint32_t> RepeatLanes(const char* api, int32_t maskCount, const uint64_t* maskBits)
{
    const uint32_t lanes = kRepeatBytes / sizeof(T);
    std::vector<uint32_t> sel;
    if (maskBits == nullptr) {
        if (maskCount < 1 || static_cast<uint32_t>(maskCount) > lanes) {
            Fail(api, Fmt("mask %d outside [1, %u] for a %u-byte type (continuous mask mode)", maskCount, lanes,
                          static_cast<uint32_t>(sizeof(T))));
        }
        for (uint32_t i = 0; i < static_cast<uint32_t>(maskCount); ++i) sel.push_back(i);
    } else {
        for (uint32_t i = 0; i < lanes; ++i) {
            if ((maskBits[i / 64] >> (i % 64)) & 1u) sel.push_back(i);
        }
        if (sel.empty()) {
            Fail(api, "bit mask selects no element");
        }
    }
    return sel;
}

// UB byte address of lane `lane` of repeat r with Level-0 block/repeat strides (in 32-B blocks).
template <typename T>
inline uint64_t LaneAddr(uint32_t base, uint32_t r, uint32_t lane, uint32_t blkStride, uint32_t repStride)
{
    const uint32_t perBlk = kBlockBytes / sizeof(T);
    return static_cast<uint64_t>(base) + static_cast<uint64_t>(r) * repStride * kBlockBytes +
           static_cast<uint64_t>(lane / perBlk) * blkStride * kBlockBytes + (lane % perBlk) * sizeof(T);
}

struct L0Op {
    const char* api;
    uint32_t a2, a5;
    const char* doc;
};

// One Level-0 elementwise instruction. src1 == nullptr: unary / tensor-scalar form.
template <typename T, bool isSetMask, typename F>
inline void Level0(const L0Op& o, const LocalTensor<T>& dst, const LocalTensor<T>& src0, const LocalTensor<T>* src1,
                   uint64_t maskCount, const uint64_t* maskBits, uint8_t repeatTime, uint32_t dstBlk, uint32_t s0Blk,
                   uint32_t s1Blk, uint32_t dstRep, uint32_t s0Rep, uint32_t s1Rep, F op)
{
    const char* api = o.api;
    DtCheck(api, DtOf<T>(), o.a2, o.a5, o.doc);
    CoreState& c = Core(api);
    uint64_t bitsBuf[2];
    if (!isSetMask) {
        if (c.maskCounter) {
            Fail(api, "counter mask mode (SetMaskCount) with Level-0 calls is not modelled by the sim");
        }
        bitsBuf[0] = c.vecMask[0];
        bitsBuf[1] = c.vecMask[1];
        maskBits = bitsBuf;
    } else if (c.maskCounter) {
        Fail(api, "counter mask mode (SetMaskCount) with Level-0 calls is not modelled by the sim");
    }
    if (dstBlk == 0) {
        Fail(api, "dstBlkStride = 0 is undefined behaviour (高维切分.md)");
    }
    if (repeatTime == 0) {
        return;
    }
    const uint32_t lanesPer = kRepeatBytes / sizeof(T);
    if (maskBits == nullptr && maskCount > lanesPer) {
        Fail(api, Fmt("mask %llu outside [1, %u] for a %u-byte type (continuous mask mode)",
                      static_cast<unsigned long long>(maskCount), lanesPer, static_cast<uint32_t>(sizeof(T))));
    }
    const std::vector<uint32_t> lanes = RepeatLanes<T>(api, static_cast<int32_t>(maskCount), maskBits);
    struct Opnd {
        const LocalTensor<T>* t;
        const char* what;
        uint32_t blk, rep;
        bool read;
    };
    Opnd ops[3] = {{&src0, "src0", s0Blk, s0Rep, true}, {src1, "src1", s1Blk, s1Rep, true}, {&dst, "dst", dstBlk, dstRep, false}};
    for (const Opnd& op2 : ops) {
        if (op2.t == nullptr) continue;
        op2.t->simLive(api, op2.what);
        if (op2.t->simAddr_ % kBlockBytes != 0) {
            Fail(api, Fmt("%s: UB address %u is not 32-byte aligned (npuchk %s)", op2.what, op2.t->simAddr_,
                          op2.read ? "ErrorRead4" : "ErrorWrite4"));
        }
    }
    auto addrOf = [&](const Opnd& od, uint32_t r, uint32_t lane) -> uint32_t {
        const uint64_t a = LaneAddr<T>(od.t->simAddr_, r, lane, od.blk, od.rep);
        const uint64_t end = static_cast<uint64_t>(od.t->simAddr_) + static_cast<uint64_t>(od.t->simSize_) * sizeof(T);
        if (a + sizeof(T) > end) {
            Fail(api, Fmt("%s: repeat %u lane %u touches UB byte %llu beyond the tensor (npuchk %s)", od.what, r, lane,
                          static_cast<unsigned long long>(a), od.read ? "ErrorRead3" : "ErrorWrite3"));
        }
        if (od.read) {
            UbCheckInit(api, od.what, static_cast<uint32_t>(a), sizeof(T));
        }
        return static_cast<uint32_t>(a);
    };
    std::vector<std::pair<uint32_t, T>> out;
    out.reserve(static_cast<size_t>(repeatTime) * lanes.size());
    for (uint32_t r = 0; r < repeatTime; ++r) {
        for (uint32_t lane : lanes) {
            const T a = UbLoad<T>(addrOf(ops[0], r, lane));
            const T b = src1 != nullptr ? UbLoad<T>(addrOf(ops[1], r, lane)) : a;
            out.emplace_back(addrOf(ops[2], r, lane), op(a, b));
        }
    }
    for (const auto& w : out) {
        UbStore<T>(w.first, w.second);
        UbMarkWritten(w.first, sizeof(T), sim::SP_V, api);
    }
    CountVec(repeatTime, static_cast<uint64_t>(repeatTime) * lanes.size());
}
AK_SIM_IMPL_END
AK_SIM_API_BEGIN

#define AK_SIM_L0_BINARY(NAME, OP, A2, A5, DOC)                                                                \
    template <typename T, bool isSetMask = true>                                                               \
    inline void NAME(const LocalTensor<T>& dst, const LocalTensor<T>& src0, const LocalTensor<T>& src1,        \
                     uint64_t mask[], const uint8_t repeatTime, const BinaryRepeatParams& p)                   \
    {                                                                                                          \
        sim::Level0<T, isSetMask>(sim::L0Op{#NAME, A2, A5, DOC}, dst, src0, &src1, 0, mask, repeatTime,        \
                                  p.dstBlkStride, p.src0BlkStride, p.src1BlkStride, p.dstRepStride,            \
                                  p.src0RepStride, p.src1RepStride,                                            \
                                  [](T a, T b) { return sim::Bin<T>(sim::OP, a, b); });                         \
    }                                                                                                          \
    template <typename T, bool isSetMask = true>                                                               \
    inline void NAME(const LocalTensor<T>& dst, const LocalTensor<T>& src0, const LocalTensor<T>& src1,        \
                     uint64_t mask, const uint8_t repeatTime, const BinaryRepeatParams& p)                     \
    {                                                                                                          \
        sim::Level0<T, isSetMask>(sim::L0Op{#NAME, A2, A5, DOC}, dst, src0, &src1, mask, nullptr, repeatTime,  \
                                  p.dstBlkStride, p.src0BlkStride, p.src1BlkStride, p.dstRepStride,            \
                                  p.src0RepStride, p.src1RepStride,                                            \
                                  [](T a, T b) { return sim::Bin<T>(sim::OP, a, b); });                         \
    }

AK_SIM_L0_BINARY(Add, OP_ADD, sim::kA2Arith, sim::kA5AddMax, "asc-devkit Memory矢量计算/基础算术/Add.md")
AK_SIM_L0_BINARY(Sub, OP_SUB, sim::kA2Arith, sim::kA5AddMax, "asc-devkit Memory矢量计算/基础算术/Sub.md")
AK_SIM_L0_BINARY(Mul, OP_MUL, sim::kA2Arith, sim::kA5Mul, "asc-devkit Memory矢量计算/基础算术/Mul.md")
AK_SIM_L0_BINARY(Div, OP_DIV, sim::kA2Float, sim::kA5Div, "asc-devkit Memory矢量计算/基础算术/Div.md")
AK_SIM_L0_BINARY(Max, OP_MAX, sim::kA2Arith, sim::kA5AddMax, "asc-devkit Memory矢量计算/基础算术/Max.md")
AK_SIM_L0_BINARY(Min, OP_MIN, sim::kA2Arith, sim::kA5AddMax, "asc-devkit Memory矢量计算/基础算术/Min.md")
AK_SIM_L0_BINARY(And, OP_AND, sim::kA2Logic, sim::kA5Logic, "asc-devkit Memory矢量计算/逻辑计算/And.md")
AK_SIM_L0_BINARY(Or, OP_OR, sim::kA2Logic, sim::kA5Logic, "asc-devkit Memory矢量计算/逻辑计算/Or.md")
#undef AK_SIM_L0_BINARY

#define AK_SIM_L0_SCALAR(NAME, OP, A2, A5, DOC)                                                                \
    template <typename T, bool isSetMask = true>                                                               \
    inline void NAME(const LocalTensor<T>& dst, const LocalTensor<T>& src, const T& scalarValue,               \
                     uint64_t mask[], const uint8_t repeatTime, const UnaryRepeatParams& p)                    \
    {                                                                                                          \
        const T s = scalarValue;                                                                               \
        sim::Level0<T, isSetMask>(sim::L0Op{#NAME, A2, A5, DOC}, dst, src, nullptr, 0, mask, repeatTime,       \
                                  p.dstBlkStride, p.srcBlkStride, 0, p.dstRepStride, p.srcRepStride, 0,        \
                                  [s](T a, T) { return sim::Bin<T>(sim::OP, a, s); });                          \
    }                                                                                                          \
    template <typename T, bool isSetMask = true>                                                               \
    inline void NAME(const LocalTensor<T>& dst, const LocalTensor<T>& src, const T& scalarValue,               \
                     uint64_t mask, const uint8_t repeatTime, const UnaryRepeatParams& p)                      \
    {                                                                                                          \
        const T s = scalarValue;                                                                               \
        sim::Level0<T, isSetMask>(sim::L0Op{#NAME, A2, A5, DOC}, dst, src, nullptr, mask, nullptr, repeatTime, \
                                  p.dstBlkStride, p.srcBlkStride, 0, p.dstRepStride, p.srcRepStride, 0,        \
                                  [s](T a, T) { return sim::Bin<T>(sim::OP, a, s); });                          \
    }

AK_SIM_L0_SCALAR(Adds, OP_ADD, sim::kA2Arith, sim::kA5ScalarAddMax, "asc-devkit Memory矢量计算/基础算术/Adds.md")
AK_SIM_L0_SCALAR(Muls, OP_MUL, sim::kA2Arith, sim::kA5ScalarMul, "asc-devkit Memory矢量计算/基础算术/Muls.md")
AK_SIM_L0_SCALAR(Maxs, OP_MAX, sim::kA2Arith, sim::kA5ScalarAddMax, "asc-devkit Memory矢量计算/基础算术/Maxs.md")
AK_SIM_L0_SCALAR(Mins, OP_MIN, sim::kA2Arith, sim::kA5ScalarAddMax, "asc-devkit Memory矢量计算/基础算术/Mins.md")
#undef AK_SIM_L0_SCALAR

#define AK_SIM_L0_UNARY(NAME, OP, A2, A5, DOC)                                                                 \
    template <typename T, bool isSetMask = true>                                                               \
    inline void NAME(const LocalTensor<T>& dst, const LocalTensor<T>& src, uint64_t mask[],                    \
                     const uint8_t repeatTime, const UnaryRepeatParams& p)                                     \
    {                                                                                                          \
        sim::Level0<T, isSetMask>(sim::L0Op{#NAME, A2, A5, DOC}, dst, src, nullptr, 0, mask, repeatTime,       \
                                  p.dstBlkStride, p.srcBlkStride, 0, p.dstRepStride, p.srcRepStride, 0,        \
                                  [](T a, T) { return sim::Un<T>(sim::OP, a); });                               \
    }                                                                                                          \
    template <typename T, bool isSetMask = true>                                                               \
    inline void NAME(const LocalTensor<T>& dst, const LocalTensor<T>& src, uint64_t mask,                      \
                     const uint8_t repeatTime, const UnaryRepeatParams& p)                                     \
    {                                                                                                          \
        sim::Level0<T, isSetMask>(sim::L0Op{#NAME, A2, A5, DOC}, dst, src, nullptr, mask, nullptr, repeatTime, \
                                  p.dstBlkStride, p.srcBlkStride, 0, p.dstRepStride, p.srcRepStride, 0,        \
                                  [](T a, T) { return sim::Un<T>(sim::OP, a); });                               \
    }

AK_SIM_L0_UNARY(Abs, OP_ABS, sim::kA2Float, sim::kA5Abs, "asc-devkit Memory矢量计算/基础算术/Abs.md")
AK_SIM_L0_UNARY(Exp, OP_EXP, sim::kA2Float, sim::kA2Float, "asc-devkit Memory矢量计算/基础算术/Exp.md")
AK_SIM_L0_UNARY(Ln, OP_LN, sim::kA2Float, sim::kA2Float, "asc-devkit Memory矢量计算/基础算术/Ln.md")
AK_SIM_L0_UNARY(Sqrt, OP_SQRT, sim::kA2Float, sim::kA2Float, "asc-devkit Memory矢量计算/基础算术/Sqrt.md")
AK_SIM_L0_UNARY(Rsqrt, OP_RSQRT, sim::kA2Float, sim::kA2Float, "asc-devkit Memory矢量计算/基础算术/Rsqrt.md")
AK_SIM_L0_UNARY(Reciprocal, OP_RECIP, sim::kA2Float, sim::kA2Float, "asc-devkit Memory矢量计算/基础算术/Reciprocal.md")
AK_SIM_L0_UNARY(Relu, OP_RELU, sim::kA2Relu, sim::kA5Relu, "asc-devkit Memory矢量计算/基础算术/Relu.md")
AK_SIM_L0_UNARY(Not, OP_NOT, sim::kA2Logic, sim::kA5Not, "asc-devkit Memory矢量计算/逻辑计算/Not.md")
#undef AK_SIM_L0_UNARY
AK_SIM_API_END

#endif  // AK_SIM_BASIC_API_KERNEL_OPERATOR_VEC_LEVEL0_INTF_H
