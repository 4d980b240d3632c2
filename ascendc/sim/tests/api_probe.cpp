// api_probe.cpp: one call of every AscendC API form the sim provides, with the template arguments,
// defaults and argument types the sim accepts. It is never run. It is compiled twice:
//   * against the sim (ascendc/sim/tests/run.sh, a2 and a5), so it covers the whole sim surface;
//   * against the real asc-devkit headers in their CPU-debug configuration
//     (scripts/check_ascendc_headers.sh, a2 and a5), so every form the sim accepts is proven to exist
//     in the real API.
// A form the sim accepts but the real API lacks fails the second compile; a new sim API must be added
// here (docs/sim.md, "API conformance"). Target-specific forms sit under `__NPU_ARCH__` tests.
#include "kernel_operator.h"

using namespace AscendC;

namespace ak_api_probe {

constexpr int32_t N = 256;

__aicore__ inline void Enums()
{
    TPosition positions[] = {TPosition::GM,     TPosition::A1,    TPosition::A2,     TPosition::B1,
                             TPosition::B2,     TPosition::C1,    TPosition::C2,     TPosition::CO1,
                             TPosition::CO2,    TPosition::VECIN, TPosition::VECOUT, TPosition::VECCALC,
                             TPosition::LCM,    TPosition::SPM,   TPosition::SHM,    TPosition::TSCM,
                             TPosition::C2PIPE2GM, TPosition::C2PIPE2LOCAL, TPosition::MAX};
    (void)positions;
    QuePosition qp = QuePosition::VECIN;
    (void)qp;
    HardEvent events[] = {HardEvent::MTE2_MTE1, HardEvent::MTE1_MTE2, HardEvent::MTE1_M,  HardEvent::M_MTE1,
                          HardEvent::MTE2_V,    HardEvent::V_MTE2,    HardEvent::MTE3_V,  HardEvent::V_MTE3,
                          HardEvent::M_V,       HardEvent::V_M,       HardEvent::V_V,     HardEvent::MTE3_MTE1,
                          HardEvent::MTE1_MTE3, HardEvent::MTE1_V,    HardEvent::MTE2_M,  HardEvent::M_MTE2,
                          HardEvent::V_MTE1,    HardEvent::M_FIX,     HardEvent::FIX_M,   HardEvent::MTE3_MTE2,
                          HardEvent::MTE2_MTE3, HardEvent::S_V,       HardEvent::V_S,     HardEvent::S_MTE2,
                          HardEvent::MTE2_S,    HardEvent::S_MTE3,    HardEvent::MTE3_S,  HardEvent::MTE2_FIX,
                          HardEvent::FIX_MTE2,  HardEvent::FIX_S,     HardEvent::M_S,     HardEvent::FIX_MTE3,
                          HardEvent::MTE1_FIX,  HardEvent::FIX_MTE1,  HardEvent::FIX_FIX, HardEvent::MAX};
    (void)events;
    RoundMode modes[] = {RoundMode::CAST_NONE, RoundMode::CAST_RINT,  RoundMode::CAST_FLOOR, RoundMode::CAST_CEIL,
                         RoundMode::CAST_ROUND, RoundMode::CAST_TRUNC, RoundMode::CAST_ODD,
#if __NPU_ARCH__ == 3510
                         RoundMode::CAST_HYBRID, RoundMode::CAST_EVEN, RoundMode::CAST_ZERO,
#endif
                         RoundMode::UNKNOWN};
    (void)modes;
    CMPMODE cmps[] = {CMPMODE::LT, CMPMODE::GT, CMPMODE::EQ, CMPMODE::LE, CMPMODE::GE, CMPMODE::NE};
    (void)cmps;
    SELMODE sels[] = {SELMODE::VSEL_CMPMASK_SPR, SELMODE::VSEL_TENSOR_SCALAR_MODE, SELMODE::VSEL_TENSOR_TENSOR_MODE};
    (void)sels;
    ReduceOrder orders[] = {ReduceOrder::ORDER_VALUE_INDEX, ReduceOrder::ORDER_INDEX_VALUE,
                            ReduceOrder::ORDER_ONLY_VALUE, ReduceOrder::ORDER_ONLY_INDEX};
    (void)orders;
    PaddingMode pads[] = {PaddingMode::Normal, PaddingMode::Compact};
    (void)pads;
    MaskMode masks[] = {MaskMode::NORMAL, MaskMode::COUNTER};
    (void)masks;
    CacheMode caches[] = {CacheMode::CACHE_MODE_DISABLE, CacheMode::CACHE_MODE_NORMAL, CacheMode::CACHE_MODE_LAST,
                          CacheMode::CACHE_MODE_PERSISTENT};
    (void)caches;
    // pipe_t, event_t and QuantMode_t are compiler built-ins (CANN's closed stub header on the CPU):
    // only the enumerators the public headers use can be checked here. The sim also has PIPE_MTE4,
    // PIPE_MTE5, PIPE_V2 and EVENT_ID1..EVENT_ID7 (docs/sim.md, API conformance).
    pipe_t pipes[] = {PIPE_S, PIPE_V, PIPE_M, PIPE_MTE1, PIPE_MTE2, PIPE_MTE3, PIPE_ALL, PIPE_FIX};
    (void)pipes;
    QuantMode_t quants[] = {QuantMode_t::NoQuant, QuantMode_t::F322F16, QuantMode_t::F322BF16, QuantMode_t::DEQF16,
                            QuantMode_t::VDEQF16, QuantMode_t::QF322B8_PRE, QuantMode_t::VQF322B8_PRE,
                            QuantMode_t::REQ8, QuantMode_t::VREQ8};
    (void)quants;
    event_t first = EVENT_ID0;
    (void)first;
    TEventID id = 0;
    (void)id;
    uint64_t constants[] = {DEFAULT_DATA_COPY_NBURST, DEFAULT_DATA_COPY_STRIDE, DEFAULT_BLK_NUM, DEFAULT_BLK_STRIDE,
                            DEFAULT_REPEAT_STRIDE,    ONE_BLK_SIZE,             ONE_REPEAT_BYTE_SIZE, MASK_PLACEHOLDER};
    (void)constants;
}

__aicore__ inline void Structs()
{
    DataCopyParams a;
    DataCopyParams b(1, 2, 0, 0);
    a.blockCount = b.blockLen;
    a.srcStride = b.dstStride;
    a.srcGap = 0;
    a.dstGap = 0;
    DataCopyExtParams c;
    DataCopyExtParams d(1, 64, 0, 0, 0);
    c.blockCount = d.blockCount;
    c.blockLen = d.blockLen;
    c.srcStride = d.srcStride;
    c.dstStride = d.dstStride;
    c.rsv = 0;
    DataCopyPadParams e;
    DataCopyPadParams f(true, 1, 2, 0);
    e.isPad = f.isPad;
    e.leftPadding = f.leftPadding;
    e.rightPadding = f.rightPadding;
    e.paddingValue = f.paddingValue;
    DataCopyPadExtParams<float> g;
    DataCopyPadExtParams<float> h(true, 1, 2, 0.0f);
    g.isPad = h.isPad;
    g.leftPadding = h.leftPadding;
    g.rightPadding = h.rightPadding;
    g.paddingValue = h.paddingValue;
    BinaryRepeatParams i;
    BinaryRepeatParams j(1, 1, 1, 8, 8, 8);
    i.blockNumber = j.blockNumber;
    i.dstBlkStride = j.src0BlkStride;
    i.src1BlkStride = 1;
    i.dstRepStride = j.src0RepStride;
    i.src1RepStride = 8;
    i.repeatStrideMode = false;
    i.strideSizeMode = false;
    UnaryRepeatParams k;
    UnaryRepeatParams l(1, 1, 8, 8);
    k.blockNumber = l.blockNumber;
    k.dstBlkStride = l.srcBlkStride;
    k.dstRepStride = l.srcRepStride;
    k.repeatStrideMode = false;
    k.strideSizeMode = false;
    BrcbRepeatParams m;
    BrcbRepeatParams n(1, 8);
    m.blockNumber = n.blockNumber;
    m.dstRepStride = n.dstBlkStride;
}

__aicore__ inline void Tensors(GM_ADDR gm)
{
    TPipe pipe;
    TQue<TPosition::VECIN, 2> qin;
    TQue<TPosition::VECOUT, 1> qout;
    TQueBind<TPosition::VECIN, TPosition::VECOUT, 1> bind;
    TBuf<TPosition::VECCALC> buf;
    TBuf<> bufDefault;
    pipe.Init();
    pipe.InitBuffer(qin, 2, N * sizeof(float));
    pipe.InitBuffer(qout, 1, N * sizeof(float));
    pipe.InitBuffer(bind, 1, N * sizeof(float));
    pipe.InitBuffer(buf, N * sizeof(float));
    pipe.InitBuffer(bufDefault, N * sizeof(float));

    LocalTensor<float> x = qin.AllocTensor<float>();
    LocalTensor<float> y = qin.AllocTensor<float>();
    bool queued = qin.EnQue(x);
    queued = qin.EnQue<float>(y) && queued;
    LocalTensor<float> z = qin.DeQue<float>();
    y = qin.DeQue<float>();
    qin.FreeTensor(z);
    qin.FreeTensor<float>(y);
    // the in-place forms exist for depth-0 queues only (the sim refuses depth 0 at InitBuffer)
    TQue<TPosition::VECIN, 0> inPlace;
    LocalTensor<float> w;
    inPlace.AllocTensor<float>(w);
    inPlace.DeQue<float>(w);
    bool vacant = qin.VacantInQue();
    bool has = qin.HasTensorInQue();
    int32_t inQue = qin.GetTensorCountInQue();
    bool idle = qin.HasIdleBuffer();
    qin.FreeAllEvent();
    (void)queued;
    (void)vacant;
    (void)has;
    (void)inQue;
    (void)idle;

    LocalTensor<float> t = buf.Get<float>();
    LocalTensor<float> t2 = buf.Get<float>(N);
    LocalTensor<float> t3 = buf.GetWithOffset<float>(8, 32);
    LocalTensor<float> sub = t[8];
    float v = t.GetValue(0);
    t.SetValue(0, v);
    t2.SetSize(N);
    uint32_t size = t2.GetSize() + t3.GetSize();
    int32_t pos = sub.GetPosition();
    LocalTensor<int32_t> asInt = t.ReinterpretCast<int32_t>();
    (void)size;
    (void)pos;
    (void)asInt;

    GlobalTensor<float> g;
    g.SetGlobalBuffer((__gm__ float*)gm, N);
    g.SetGlobalBuffer((__gm__ float*)gm);
    GlobalTensor<float> gsub = g[8];
    float gv = gsub.GetValue(0);
    g.SetValue(0, gv);
    uint64_t gsize = g.GetSize();
    const __gm__ float* p0 = g.GetPhyAddr();
    __gm__ float* p1 = g.GetPhyAddr(8);
    g.SetL2CacheHint(CacheMode::CACHE_MODE_NORMAL);
#if __NPU_ARCH__ == 3510
    GlobalTensor<int32_t> gi = g.ReinterpretCast<int32_t>();
    (void)gi;
#endif
    (void)gsize;
    (void)p0;
    (void)p1;

    TPipe* self = GetTPipePtr();
    (void)self;
    TEventID e1 = pipe.FetchEventID(HardEvent::V_MTE3);
    TEventID e2 = pipe.FetchEventID<HardEvent::V_MTE3>();
    TEventID e3 = pipe.AllocEventID<HardEvent::MTE2_V>();
    pipe.ReleaseEventID<HardEvent::MTE2_V>(e3);
    SetFlag<HardEvent::V_MTE3>(e1);
    WaitFlag<HardEvent::V_MTE3>(e2);
    PipeBarrier<PIPE_V>();
    PipeBarrier<PIPE_ALL>();
    int64_t ids = GetBlockIdx() + GetBlockNum() + GetSubBlockIdx() + GetSubBlockNum();
    (void)ids;
    pipe.Reset();
    pipe.Destroy();
}

template <typename T>
__aicore__ inline void CountForms(const LocalTensor<T>& d, const LocalTensor<T>& a, const LocalTensor<T>& b, T s)
{
    Add(d, a, b, N);
    Sub(d, a, b, N);
    Mul(d, a, b, N);
    Max(d, a, b, N);
    Min(d, a, b, N);
    Adds(d, a, s, N);
    Muls(d, a, s, N);
    Maxs(d, a, s, N);
    Mins(d, a, s, N);
    Adds<T, true>(d, a, s, N);
    Duplicate(d, s, N);
}

template <typename T>
__aicore__ inline void Level0Forms(const LocalTensor<T>& d, const LocalTensor<T>& a, const LocalTensor<T>& b, T s)
{
    uint64_t bits[2] = {~0ull, 0};
    const uint64_t mask = 256 / sizeof(T);
    BinaryRepeatParams bp(1, 1, 1, 8, 8, 8);
    UnaryRepeatParams up(1, 1, 8, 8);
    Add(d, a, b, mask, 1, bp);
    Add(d, a, b, bits, 1, bp);
    Sub<T, true>(d, a, b, mask, 1, bp);
    Mul(d, a, b, mask, 1, bp);
    Max(d, a, b, mask, 1, bp);
    Min(d, a, b, bits, 1, bp);
    Adds(d, a, s, mask, 1, up);
    Adds(d, a, s, bits, 1, up);
    Muls<T, false>(d, a, s, mask, 1, up);
    Maxs(d, a, s, mask, 1, up);
    Mins(d, a, s, bits, 1, up);
    Duplicate(d, s, mask, 1, 1, 8);
    Duplicate(d, s, bits, 1, 1, 8);
    Duplicate<T, true>(d, s, mask, 1, 1, 8);
}

template <typename T>
__aicore__ inline void FloatForms(const LocalTensor<T>& d, const LocalTensor<T>& a, const LocalTensor<T>& b)
{
    uint64_t bits[2] = {~0ull, 0};
    const uint64_t mask = 256 / sizeof(T);
    BinaryRepeatParams bp(1, 1, 1, 8, 8, 8);
    UnaryRepeatParams up(1, 1, 8, 8);
    Div(d, a, b, N);
    Abs(d, a, N);
    Exp(d, a, N);
    Ln(d, a, N);
    Sqrt(d, a, N);
    Rsqrt(d, a, N);
    Reciprocal(d, a, N);
    Relu(d, a, N);
    Div(d, a, b, mask, 1, bp);
    Abs(d, a, mask, 1, up);
    Exp(d, a, bits, 1, up);
    Ln(d, a, mask, 1, up);
    Sqrt(d, a, mask, 1, up);
    Rsqrt(d, a, mask, 1, up);
    Reciprocal<T, true>(d, a, mask, 1, up);
    Relu(d, a, mask, 1, up);
}

template <typename T>
__aicore__ inline void LogicForms(const LocalTensor<T>& d, const LocalTensor<T>& a, const LocalTensor<T>& b)
{
    const uint64_t mask = 256 / sizeof(T);
    BinaryRepeatParams bp(1, 1, 1, 8, 8, 8);
    UnaryRepeatParams up(1, 1, 8, 8);
    And(d, a, b, N);
    Or(d, a, b, N);
    Not(d, a, N);
    And(d, a, b, mask, 1, bp);
    Or(d, a, b, mask, 1, bp);
    Not(d, a, mask, 1, up);
    ShiftLeft(d, a, static_cast<T>(1), N);
    ShiftRight(d, a, static_cast<T>(1), N);
    ShiftLeft<T, true>(d, a, static_cast<T>(1), N);
}

__aicore__ inline void Vector(TBuf<TPosition::VECCALC>& buf)
{
    LocalTensor<float> f = buf.Get<float>();
    LocalTensor<half> h = buf.Get<half>();
    LocalTensor<int16_t> i16 = buf.Get<int16_t>();
    LocalTensor<int32_t> i32 = buf.Get<int32_t>();
    LocalTensor<uint8_t> u8 = buf.Get<uint8_t>();
    LocalTensor<bfloat16_t> bf = buf.Get<bfloat16_t>();
    CountForms<float>(f, f, f, 1.0f);
    CountForms<int32_t>(i32, i32, i32, 1);
    Level0Forms<float>(f, f, f, 1.0f);
    FloatForms<float>(f, f, f);
    FloatForms<half>(h, h, h);
    LogicForms<int16_t>(i16, i16, i16);

    ResetMask();
    SetMaskNorm();
    SetVectorMask<float>(0, ~0ull);
    SetVectorMask<float, MaskMode::NORMAL>(64);
    SetMaskCount();
    SetMaskNorm();

    Cast(f, h, RoundMode::CAST_NONE, N);
    Cast(h, f, RoundMode::CAST_RINT, N);
    Cast(bf, f, RoundMode::CAST_RINT, N);
    Cast(i32, f, RoundMode::CAST_ROUND, N);

    Compare(u8, f, f, CMPMODE::LT, N);
    Compares(u8, f, 1.0f, CMPMODE::NE, N);
    Select(f, u8, f, f, SELMODE::VSEL_TENSOR_TENSOR_MODE, N);
    Select(f, u8, f, 0.0f, SELMODE::VSEL_TENSOR_SCALAR_MODE, N);

    ReduceSum(f, f, f, N);
    ReduceSum<float, true>(f, f, f, N);
    ReduceMax(f, f, f, N);
    ReduceMax(f, f, f, N, true);
    uint64_t bits[2] = {~0ull, 0};
    WholeReduceSum(f, f, 64, 1, 1, 1, 8);
    WholeReduceSum(f, f, bits, 1, 1, 1, 8);
    WholeReduceSum<float, true>(f, f, 64, 1, 1, 1, 8);
    WholeReduceMax(f, f, 64, 1, 1, 1, 8);
    WholeReduceMax(f, f, 64, 1, 1, 1, 8, ReduceOrder::ORDER_ONLY_VALUE);
    WholeReduceMax(f, f, bits, 1, 1, 1, 8, ReduceOrder::ORDER_VALUE_INDEX);
    BlockReduceSum(f, f, 1, 64, 8, 1, 8);
    BlockReduceSum(f, f, 1, bits, 8, 1, 8);
    BlockReduceMax(f, f, 1, 64, 8, 1, 8);
    BlockReduceMin<float, true>(f, f, 1, 64, 8, 1, 8);
    Brcb(f, f, 1, BrcbRepeatParams(1, 8));
}

__aicore__ inline void Copies(TBuf<TPosition::VECCALC>& buf, GM_ADDR gm)
{
    LocalTensor<float> f = buf.Get<float>();
    LocalTensor<float> f2 = buf.GetWithOffset<float>(64, 512);
    GlobalTensor<float> g;
    g.SetGlobalBuffer((__gm__ float*)gm, N);
    DataCopy(f, g, N);
    DataCopy(g, f, N);
    DataCopy(f2, f, 64);
    DataCopyParams params(1, 8, 0, 0);
    DataCopy(f, g, params);
    DataCopy(g, f, params);
    DataCopy(f2, f, params);
    DataCopyExtParams ext(1, 64, 0, 0, 0);
    DataCopyPadExtParams<float> padExt(false, 0, 0, 0.0f);
    DataCopyPad(f, g, ext, padExt);
    DataCopyPad(g, f, ext);
    DataCopyPadParams pad(false, 0, 0, 0);
    DataCopyPad(f, g, params, pad);
    DataCopyPad(g, f, params);
#if __NPU_ARCH__ == 3510
    DataCopyPad<float, PaddingMode::Normal>(f, g, ext, padExt);
    DataCopyPad<float, PaddingMode::Normal>(g, f, ext);
#endif
}

__aicore__ inline void Cube(GM_ADDR gm)
{
    TPipe pipe;
    TQue<TPosition::A1, 1> a1;
    TQue<TPosition::B1, 1> b1;
    TQue<TPosition::A2, 1> a2;
    TQue<TPosition::B2, 1> b2;
    TQue<TPosition::CO1, 1> co1;
    pipe.InitBuffer(a1, 1, 16 * 1024);
    pipe.InitBuffer(b1, 1, 16 * 1024);
    pipe.InitBuffer(a2, 1, 16 * 1024);
    pipe.InitBuffer(b2, 1, 16 * 1024);
    pipe.InitBuffer(co1, 1, 16 * 1024);
    GlobalTensor<half> gh;
    gh.SetGlobalBuffer((__gm__ half*)gm);
    GlobalTensor<float> gf;
    gf.SetGlobalBuffer((__gm__ float*)gm);
    LocalTensor<half> l1a = a1.AllocTensor<half>();
    LocalTensor<half> l1b = b1.AllocTensor<half>();
    LocalTensor<half> l0a = a2.AllocTensor<half>();
    LocalTensor<half> l0b = b2.AllocTensor<half>();
    LocalTensor<float> l0c = co1.AllocTensor<float>();

    Nd2NzParams nd;
    Nd2NzParams nd2(1, 16, 16, 0, 16, 16, 1, 0);
    nd.ndNum = nd2.ndNum;
    nd.nValue = nd2.nValue;
    nd.dValue = nd2.dValue;
    nd.srcNdMatrixStride = nd2.srcNdMatrixStride;
    nd.srcDValue = nd2.srcDValue;
    nd.dstNzC0Stride = nd2.dstNzC0Stride;
    nd.dstNzNStride = nd2.dstNzNStride;
    nd.dstNzMatrixStride = nd2.dstNzMatrixStride;
    DataCopy(l1a, gh, nd);

    LoadData2DParams ld;
    LoadData2DParams ld2(0, 1, 1, 0, 0, false, 0);
    ld.startIndex = ld2.startIndex;
    ld.repeatTimes = ld2.repeatTimes;
    ld.srcStride = ld2.srcStride;
    ld.sid = ld2.sid;
    ld.dstGap = ld2.dstGap;
    ld.ifTranspose = ld2.ifTranspose;
    ld.addrMode = ld2.addrMode;
    LoadData2dParams alias = ld;
    LoadData(l0a, l1a, alias);
    LoadData(l0b, l1b, ld);

    MmadParams mm;
    MmadParams mm2(16, 16, 16, false, 0, false, false, false);
    MmadParams mm3(16, 16, 16, 0, false, true);
    mm.m = mm2.m;
    mm.n = mm2.n;
    mm.k = mm2.k;
    mm.isBias = mm2.isBias;
    mm.fmOffset = mm2.fmOffset;
    mm.enSsparse = mm2.enSsparse;
    mm.enWinogradA = mm2.enWinogradA;
    mm.enWinogradB = mm2.enWinogradB;
    mm.unitFlag = mm3.unitFlag;
    mm.kDirectionAlign = false;
    mm.cmatrixSource = mm3.cmatrixSource;
    mm.cmatrixInitVal = mm3.cmatrixInitVal;
#if __NPU_ARCH__ == 3510
    mm.disableGemv = false;
#endif
    Mmad(l0c, l0a, l0b, mm);

    // The bias table (TPosition::C2): L1 -> BT (same type and the two-type form), Mmad with bias.
    TQue<TPosition::C1, 1> c1;
    TQue<TPosition::C2, 1> c2;
    pipe.InitBuffer(c1, 1, 1024);
    pipe.InitBuffer(c2, 1, 1024);
    LocalTensor<float> l1bias = c1.AllocTensor<float>();
    LocalTensor<float> bt = c2.AllocTensor<float>();
    DataCopy(bt, l1bias, DataCopyParams(1, 2, 0, 0));
    DataCopy<float, float>(bt, l1bias, DataCopyParams(1, 2, 0, 0));
    Mmad(l0c, l0a, l0b, bt, mm);

    // InitConstValue / Fill (L1; L0A/L0B on a2 only, but the signature is the same).
    InitConstValueParams<half> icv;
    InitConstValueParams<half> icv2(1, 1, 0, half(0.0f));
    InitConstValueParams<half> icv3(1, half(0.0f));
    icv.repeatTimes = icv2.repeatTimes;
    icv.blockNum = icv2.blockNum;
    icv.dstGap = icv3.dstGap;
    icv.initValue = icv3.initValue;
    InitConstValue(l1a, icv);
    Fill(l1a, icv);
    InitConstValue<half, half>(l1b, icv2);

    FixpipeParamsV220 fp;
    FixpipeParamsV220 fp2(16, 16, 16, 16, false);
    FixpipeParamsV220 fp3(16, 16, 16, 16, false, QuantMode_t::F322F16, 0, 1, 0, 0, 0);
    fp.nSize = fp2.nSize;
    fp.mSize = fp2.mSize;
    fp.srcStride = fp2.srcStride;
    fp.dstStride = fp2.dstStride;
    fp.quantPre = fp3.quantPre;
    fp.deqScalar = fp3.deqScalar;
    fp.ndNum = fp3.ndNum;
    fp.srcNdStride = fp3.srcNdStride;
    fp.dstNdStride = fp3.dstNdStride;
    fp.reluEn = fp3.reluEn;
    fp.unitFlag = fp3.unitFlag;
    fp.isChannelSplit = false;
    Fixpipe(gf, l0c, fp);
    Fixpipe<float, float, CFG_ROW_MAJOR>(gf, l0c, fp);
    FixpipeConfig cfg = CFG_NZ;
    cfg.format = CO2Layout::COLUMN_MAJOR;
    (void)cfg;
    (void)CFG_COLUMN_MAJOR;
    (void)CO2Layout::ROW_MAJOR;

#if __NPU_ARCH__ == 3510
    TQue<TPosition::A1, 1> a1mx;
    pipe.InitBuffer(a1mx, 1, 4 * 1024);
    LocalTensor<fp8_e4m3fn_t> l1f8 = a1.AllocTensor<fp8_e4m3fn_t>();
    LocalTensor<fp8_e8m0_t> l1mx = a1mx.AllocTensor<fp8_e8m0_t>();
    LocalTensor<fp8_e4m3fn_t> l0af8 = a2.AllocTensor<fp8_e4m3fn_t>();
    LocalTensor<fp8_e4m3fn_t> l0bf8 = b2.AllocTensor<fp8_e4m3fn_t>();
    Dn2NzParams dn;
    Dn2NzParams dn2(1, 16, 16, 0, 16, 1, 1, 0);
    dn.dnNum = dn2.dnNum;
    dn.nValue = dn2.nValue;
    dn.dValue = dn2.dValue;
    dn.srcDnMatrixStride = dn2.srcDnMatrixStride;
    dn.srcDValue = dn2.srcDValue;
    dn.dstNzC0Stride = dn2.dstNzC0Stride;
    dn.dstNzNStride = dn2.dstNzNStride;
    dn.dstNzMatrixStride = dn2.dstNzMatrixStride;
    DataCopy(l1b, gh, dn);
    LoadData2DParamsV2 v2;
    LoadData2DParamsV2 v2b(0, 0, 1, 2, 1, 1, false, 0);
    v2.mStartPosition = v2b.mStartPosition;
    v2.kStartPosition = v2b.kStartPosition;
    v2.mStep = v2b.mStep;
    v2.kStep = v2b.kStep;
    v2.srcStride = v2b.srcStride;
    v2.dstStride = v2b.dstStride;
    v2.ifTranspose = v2b.ifTranspose;
    v2.sid = v2b.sid;
    LoadData2DMxParams mx;
    LoadData2DMxParams mx2(0, 0, 1, 1, 1, 1);
    mx.xStartPosition = mx2.xStartPosition;
    mx.yStartPosition = mx2.yStartPosition;
    mx.xStep = mx2.xStep;
    mx.yStep = mx2.yStep;
    mx.srcStride = mx2.srcStride;
    mx.dstStride = mx2.dstStride;
    LoadData(l0af8, l1f8, l1mx, v2, mx);
    LoadData(l0bf8, l1f8, l1mx, v2, mx);
    MmadMx(l0c, l0af8, l0bf8, mm);
    MmadMx(l0c, l0af8, l0bf8, bt, mm);
#endif
}

__aicore__ inline void Scalars()
{
    half h = half(1.0f);
    bfloat16_t b = bfloat16_t(1.0f);
    float f = static_cast<float>(h) + static_cast<float>(b);
    (void)f;
#if __NPU_ARCH__ == 3510
    fp8_e4m3fn_t e4 = fp8_e4m3fn_t(1.0f);
    fp8_e5m2_t e5 = fp8_e5m2_t(1.0f);
    float g = static_cast<float>(e4) + static_cast<float>(e5);
    (void)g;
#endif
}

} // namespace ak_api_probe

extern "C" __global__ __aicore__ void ak_api_probe_kernel(GM_ADDR gm)
{
    KERNEL_TASK_TYPE_DEFAULT(KERNEL_TYPE_AIV_ONLY);
    using namespace ak_api_probe;
    Enums();
    Structs();
    Tensors(gm);
    TPipe pipe;
    TBuf<TPosition::VECCALC> buf;
    pipe.InitBuffer(buf, 4096);
    Vector(buf);
    Copies(buf, gm);
    Cube(gm);
    Scalars();
    if ASCEND_IS_AIV {
        pipe_barrier(PIPE_ALL);
    }
    if ASCEND_IS_AIC {
        pipe_barrier(PIPE_V);
    }
}
