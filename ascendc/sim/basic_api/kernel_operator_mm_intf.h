// ascend-kernels sim, part of kernel_operator.h (kernels include only that header; see docs/sim.md).
// The cube memories and DataCopy GM->L1 (ND2NZ), LoadData L1->L0A/L0B, Mmad (asc-devkit
// include/basic_api/kernel_operator_data_copy_intf.h, kernel_operator_mm_intf.h).
#ifndef AK_SIM_BASIC_API_KERNEL_OPERATOR_MM_INTF_H
#define AK_SIM_BASIC_API_KERNEL_OPERATOR_MM_INTF_H
// Not self-contained: kernel_operator.h includes the parts in order after its prelude (built-in
// enums, qualifiers, the namespace macros).

AK_SIM_API_BEGIN
AK_SIM_API_END
AK_SIM_IMPL_BEGIN
constexpr uint32_t kFractalBytes = 512;
constexpr uint32_t kCubeOperandsA2 = B(DT_I8) | B(DT_U8) | B(DT_I16) | B(DT_U16) | B(DT_I32) | B(DT_U32) | B(DT_F16) |
                                     B(DT_BF16) | B(DT_F32);
constexpr uint32_t kCubeOperandsA5 = kCubeOperandsA2 | B(DT_E4M3) | B(DT_E5M2) | B(DT_E8M0) | B(DT_BOOL);

template <typename T>
inline void CubeAlign(const char* api, const char* what, const LocalTensor<T>& t, uint32_t align)
{
    if (t.simAddr_ % align != 0) {
        Fail(api, Fmt("%s: %s address %u is not %u-byte aligned", what, MemName(t.simMem_), t.simAddr_, align));
    }
}

template <typename T>
inline void CubeRange(const char* api, const char* what, const LocalTensor<T>& t, uint64_t endByte)
{
    const uint64_t size = static_cast<uint64_t>(t.simSize_) * sizeof(T);
    if (endByte > size) {
        Fail(api, Fmt("%s: the instruction touches %llu B of %s but the tensor has %llu B (out of range)", what,
                      static_cast<unsigned long long>(endByte), MemName(t.simMem_),
                      static_cast<unsigned long long>(size)));
    }
}

template <typename T>
inline double CubeIn(const uint8_t* p)
{
    T v;
    std::memcpy(static_cast<void*>(&v), p, sizeof(T));
    if constexpr (std::is_same<T, fp8_e8m0_t>::value) {
        return static_cast<double>(static_cast<float>(v));
    } else {
        return ToDouble<T>(v);
    }
}
AK_SIM_IMPL_END
AK_SIM_API_BEGIN

// GM (ND) -> L1 (Nz). Row r, column block c (C0 = 32 B of elements) of ND matrix i lands at
// dst + i*dstNzMatrixStride elements + (c*dstNzC0Stride + r*dstNzNStride)*32 B; a partial last
// column block is padded with zeros (DataCopy（GMToL1随路转换-ND2NZ搬运）.md).
#if __NPU_ARCH__ == 3510
template <typename T, bool enableSmallC0 = false>
#else
template <typename T>
#endif
inline void DataCopy(const LocalTensor<T>& dst, const GlobalTensor<T>& src, const Nd2NzParams& p)
{
    const char* api = "DataCopy(L1<-GM, Nd2NzParams)";
#if __NPU_ARCH__ == 3510
    if (enableSmallC0) {
        sim::Fail(api, "enableSmallC0 is not modelled by the sim");
    }
#endif
    sim::DtCheck(api, sim::DtOf<T>(), sim::kCubeOperandsA2, sim::kCubeOperandsA5,
                 "asc-devkit 矩阵计算的搬入/DataCopy（GMToL1随路转换-ND2NZ搬运）.md");
    dst.simLiveIn(api, "dst", sim::MEM_L1);
    sim::CubeAlign(api, "dst", dst, 32);
    const uint64_t ndNum = p.ndNum, nValue = p.nValue, dValue = p.dValue;
    if (ndNum > 4095 || nValue > 16384 || p.srcNdMatrixStride > 65535 || p.srcDValue < 1 || p.srcDValue > 65535 ||
        p.dstNzC0Stride < 1 || p.dstNzC0Stride > 16384 || p.dstNzNStride < 1 || p.dstNzNStride > 16384 ||
        p.dstNzMatrixStride > 16384 || dValue > 65535) {
        sim::Fail(api, sim::Fmt("Nd2NzParams out of range (ndNum %llu [0,4095], nValue %llu [0,16384], srcDValue %llu "
                                "[1,65535], dstNzC0Stride %u [1,16384], dstNzNStride %u [1,16384], dstNzMatrixStride "
                                "%llu [0,16384])",
                                static_cast<unsigned long long>(ndNum), static_cast<unsigned long long>(nValue),
                                static_cast<unsigned long long>(p.srcDValue), p.dstNzC0Stride, p.dstNzNStride,
                                static_cast<unsigned long long>(p.dstNzMatrixStride)));
    }
    if (ndNum == 0 || nValue == 0 || dValue == 0) {
        return;
    }
    const uint32_t es = sizeof(T);
    const uint32_t c0 = 32 / es;
    const uint64_t cBlocks = (dValue + c0 - 1) / c0;
    for (uint64_t i = 0; i < ndNum; ++i) {
        for (uint64_t r = 0; r < nValue; ++r) {
            for (uint64_t cb = 0; cb < cBlocks; ++cb) {
                const uint64_t dOff = i * p.dstNzMatrixStride * es + (cb * p.dstNzC0Stride + r * p.dstNzNStride) * 32;
                sim::CubeRange(api, "dst", dst, dOff + 32);
                const uint64_t n = std::min<uint64_t>(c0, dValue - cb * c0);
                const uint64_t sElem = i * p.srcNdMatrixStride + r * p.srcDValue + cb * c0;
                const uintptr_t g = src.simAccess(api, sElem * es, n * es, false);
                uint8_t* d = sim::CubePtr(api, sim::MEM_L1, static_cast<uint32_t>(dst.simAddr_ + dOff), 32);
                std::memset(d, 0, 32);
                std::memcpy(d, reinterpret_cast<const void*>(g), n * es);
            }
        }
    }
    sim::CountGm(ndNum * nValue * dValue * es, 0);
}

// L1 -> L0A/L0B, one 512-B fractal per repeat: source fractal startIndex + i*srcStride, destination
// fractal i (+ i*dstGap fractals on a2; dstGap is ignored on a5); ifTranspose transposes each 16x16
// b16 fractal (LoadData_2D.md).
template <typename T>
inline void LoadData(const LocalTensor<T>& dst, const LocalTensor<T>& src, const LoadData2DParams& p)
{
    const char* api = "LoadData(L0<-L1, LoadData2DParams)";
    sim::DtCheck(api, sim::DtOf<T>(), sim::kCubeOperandsA2, sim::kCubeOperandsA5,
                 "asc-devkit 矩阵计算的搬入/LoadData_2D.md");
    src.simLiveIn(api, "src", sim::MEM_L1);
    if (dst.simMem_ != sim::MEM_L0A && dst.simMem_ != sim::MEM_L0B) {
        sim::Fail(api, sim::Fmt("dst: the tensor is in %s but LoadData writes L0A (TPosition::A2) or L0B (B2)",
                                sim::MemName(dst.simMem_)));
    }
    dst.simLiveIn(api, "dst", dst.simMem_);
    sim::CubeAlign(api, "src", src, 32);
    sim::CubeAlign(api, "dst", dst, 512);
    if (p.ifTranspose && sizeof(T) != 2) {
        sim::Fail(api, "ifTranspose supports only 16-bit types (b16)");
    }
    if (p.addrMode != 0) {
        sim::Fail(api, "addrMode must be 0 for the L1 -> L0 path");
    }
    if (p.repeatTimes == 0) {
        return;
    }
    const bool a5 = sim::CurTarget() == sim::TARGET_A5;
    const uint64_t fr = sim::kFractalBytes;
    for (uint32_t i = 0; i < p.repeatTimes; ++i) {
        const uint64_t sOff = (static_cast<uint64_t>(p.startIndex) + static_cast<uint64_t>(i) * p.srcStride) * fr;
        const uint64_t dOff = static_cast<uint64_t>(i) * (fr + (a5 ? 0 : static_cast<uint64_t>(p.dstGap) * fr));
        sim::CubeRange(api, "src", src, sOff + fr);
        sim::CubeRange(api, "dst", dst, dOff + fr);
        const uint8_t* sp = sim::CubePtr(api, sim::MEM_L1, static_cast<uint32_t>(src.simAddr_ + sOff), fr);
        uint8_t* dp = sim::CubePtr(api, dst.simMem_, static_cast<uint32_t>(dst.simAddr_ + dOff), fr);
        if (p.ifTranspose) {
            uint8_t tmp[512];
            for (uint32_t r = 0; r < 16; ++r) {
                for (uint32_t c = 0; c < 16; ++c) {
                    std::memcpy(tmp + (r * 16 + c) * 2, sp + (c * 16 + r) * 2, 2);
                }
            }
            std::memcpy(dp, tmp, fr);
        } else {
            std::memmove(dp, sp, fr);
        }
    }
}

AK_SIM_API_END
AK_SIM_IMPL_BEGIN
// C (L0C, Nz 16x16) = [C +] A (L0A) x B (L0B) over the first m rows, n columns and k of the inner
// dimension. Products are exact in double for the 16/8-bit inputs and rounded to float for float
// inputs; each k-fractal (C0 values) is summed in float in order, then the fractal partials are added
// in order, then added to C when accumulating (our order; hardware order is unverified).
// `bias` (the Mmad-with-bias form): n values of T read from the bias table, the initial C of every
// row (C = bias + A x B); nullptr: C starts at 0 (cmatrixInitVal) or at the L0C value.
template <typename T, typename U, typename S>
inline void MmadRun(const char* api, const LocalTensor<T>& dst, const LocalTensor<U>& fm,
                    const LocalTensor<S>& filter, const MmadParams& p, const uint8_t* bias)
{
    dst.simLiveIn(api, "dst", sim::MEM_L0C);
    fm.simLiveIn(api, "fm", sim::MEM_L0A);
    filter.simLiveIn(api, "filter", sim::MEM_L0B);
    const sim::Dt dt = sim::DtOf<T>(), ut = sim::DtOf<U>(), st = sim::DtOf<S>();
    const bool a5 = sim::CurTarget() == sim::TARGET_A5;
    const bool isFp8 = [](sim::Dt d) { return d == sim::DT_E4M3 || d == sim::DT_E5M2; }(ut);
    bool ok = (ut == st && (ut == sim::DT_F16 || ut == sim::DT_F32 || ut == sim::DT_BF16) && dt == sim::DT_F32) ||
              (ut == sim::DT_I8 && st == sim::DT_I8 && dt == sim::DT_I32);
    if (a5 && isFp8 && (st == sim::DT_E4M3 || st == sim::DT_E5M2) && dt == sim::DT_F32) {
        ok = true;
    }
    if (!ok) {
        sim::Fail(api, sim::Fmt("fm %s x filter %s -> dst %s is not a supported Mmad type combination on %s "
                                "(asc-devkit Mmad计算/Mmad.md)", sim::DtName(ut), sim::DtName(st), sim::DtName(dt),
                                sim::TargetName(sim::CurTarget())));
    }
    sim::CubeAlign(api, "fm", fm, 512);
    sim::CubeAlign(api, "filter", filter, 512);
    sim::CubeAlign(api, "dst", dst, 1024);
    if (p.m > 4095 || p.n > 4095 || p.k > 4095) {
        sim::Fail(api, "m, n and k must be in [0, 4095]");
    }
    if (p.m == 0 || p.n == 0 || p.k == 0) {
        return;
    }
    const uint32_t m = p.m, n = p.n, k = p.k;
    const uint32_t K0 = 32 / sizeof(U);
    const uint32_t M1 = (m + 15) / 16, N1 = (n + 15) / 16;
    uint32_t kAl = (k + K0 - 1) / K0 * K0;
    if (ut == sim::DT_F32) {
        kAl = p.kDirectionAlign ? (k + 15) / 16 * 16 : (k + 7) / 8 * 8;
    }
    const uint32_t K1 = kAl / K0;
    sim::CubeRange(api, "fm", fm, static_cast<uint64_t>(M1) * K1 * sim::kFractalBytes);
    sim::CubeRange(api, "filter", filter, static_cast<uint64_t>(K1) * N1 * sim::kFractalBytes);
    sim::CubeRange(api, "dst", dst, static_cast<uint64_t>(M1) * N1 * 256 * sizeof(T));
    const uint8_t* A = sim::CubePtr(api, sim::MEM_L0A, fm.simAddr_, static_cast<uint64_t>(M1) * K1 * sim::kFractalBytes);
    const uint8_t* Bm = sim::CubePtr(api, sim::MEM_L0B, filter.simAddr_, static_cast<uint64_t>(K1) * N1 * sim::kFractalBytes);
    uint8_t* C = sim::CubePtr(api, sim::MEM_L0C, dst.simAddr_, static_cast<uint64_t>(M1) * N1 * 256 * sizeof(T));
    auto aAt = [&](uint32_t mi, uint32_t ki) {
        const uint64_t frac = a5 ? static_cast<uint64_t>(ki / K0) * M1 + mi / 16 : static_cast<uint64_t>(mi / 16) * K1 + ki / K0;
        return sim::CubeIn<U>(A + (frac * 16 * K0 + (mi % 16) * K0 + ki % K0) * sizeof(U));
    };
    auto bAt = [&](uint32_t ki, uint32_t ni) {
        const uint64_t frac = static_cast<uint64_t>(ki / K0) * N1 + ni / 16;
        return sim::CubeIn<S>(Bm + (frac * 16 * K0 + (ni % 16) * K0 + ki % K0) * sizeof(S));
    };
    const bool acc = p.isBias || !p.cmatrixInitVal;
    for (uint32_t mi = 0; mi < m; ++mi) {
        for (uint32_t ni = 0; ni < n; ++ni) {
            uint8_t* cp = C + ((static_cast<uint64_t>(ni / 16) * M1 + mi / 16) * 256 + (mi % 16) * 16 + ni % 16) * sizeof(T);
            if constexpr (std::is_same<T, int32_t>::value) {
                int64_t s = 0;
                for (uint32_t ki = 0; ki < k; ++ki) {
                    s += static_cast<int64_t>(aAt(mi, ki)) * static_cast<int64_t>(bAt(ki, ni));
                }
                int32_t old = 0;
                if (bias != nullptr) {
                    std::memcpy(&old, bias + static_cast<uint64_t>(ni) * 4, 4);
                } else if (acc) {
                    std::memcpy(&old, cp, 4);
                }
                const int32_t r = sim::WrapInt<int32_t>(s + old);
                std::memcpy(cp, &r, 4);
            } else {
                float total = 0.0f;
                for (uint32_t k1 = 0; k1 * K0 < k; ++k1) {
                    float part = 0.0f;
                    for (uint32_t k0 = 0; k0 < K0 && k1 * K0 + k0 < k; ++k0) {
                        const float prod = static_cast<float>(aAt(mi, k1 * K0 + k0) * bAt(k1 * K0 + k0, ni));
                        part = part + prod;
                    }
                    total = total + part;
                }
                float r = total;
                if (bias != nullptr) {
                    float b;
                    std::memcpy(&b, bias + static_cast<uint64_t>(ni) * 4, 4);
                    r = b + total;
                } else if (acc) {
                    float old;
                    std::memcpy(&old, cp, 4);
                    r = old + total;
                }
                std::memcpy(cp, &r, 4);
            }
        }
    }
    sim::Core(api).cubeMacs += static_cast<uint64_t>(m) * n * k;
}

// The bias of the Mmad/MmadMx-with-bias forms (Mmad.md "传入bias的原型", the bias tensor in the BT
// Buffer, TPosition::C2, 64-B aligned; kernel_operator_mm_base_impl.h: a bias in C2 sets
// cmatrixSource, one in CO1 means C from L0C). Returns the n bias values (nullptr for a NOP call).
template <typename T, typename V>
inline const uint8_t* BiasRow(const char* api, const LocalTensor<V>& bias, const MmadParams& p)
{
    if (bias.simMem_ == MEM_L0C) {
        Fail(api, "bias: a bias tensor in L0C (CO1) is not modelled by the sim (it models the bias table, "
                  "TPosition::C2)");
    }
    bias.simLiveIn(api, "bias", MEM_BT);
    const Dt vt = DtOf<V>(), dt = DtOf<T>();
    if (!((dt == DT_F32 && vt == DT_F32) || (dt == DT_I32 && vt == DT_I32))) {
        Fail(api, Fmt("bias %s with dst %s is not a supported combination (float bias for float results, int32_t "
                      "for int32_t; Mmad.md tables 6 and 8)", DtName(vt), DtName(dt)));
    }
    CubeAlign(api, "bias", bias, 64);
    if (p.cmatrixInitVal) {
        Fail(api, "cmatrixInitVal = true starts C at 0 and ignores the bias (Mmad.md: C is initialised from the "
                  "bias table only when cmatrixInitVal is false)");
    }
    if (p.m == 0 || p.n == 0 || p.k == 0) {
        return nullptr;
    }
    CubeRange(api, "bias", bias, static_cast<uint64_t>(p.n) * sizeof(V));
    return CubePtr(api, MEM_BT, bias.simAddr_, static_cast<uint64_t>(p.n) * sizeof(V));
}
AK_SIM_IMPL_END
AK_SIM_API_BEGIN

// C (L0C, Nz 16x16) = [C +] A (L0A) x B (L0B) (Mmad.md, "不传入bias的原型"). C starts at 0 when
// cmatrixInitVal (and not isBias), else at its L0C value. cmatrixSource (C from the bias table
// without a bias operand) is refused: the form with a bias tensor says where the bias is.
template <typename T, typename U, typename S>
inline void Mmad(const LocalTensor<T>& dst, const LocalTensor<U>& fm, const LocalTensor<S>& filter,
                 const MmadParams& p)
{
    const char* api = "Mmad";
    if (p.cmatrixSource) {
        sim::Fail(api, "cmatrixSource without a bias operand is not modelled by the sim (use the Mmad form with a "
                       "bias tensor in TPosition::C2)");
    }
    sim::MmadRun(api, dst, fm, filter, p, nullptr);
}

// C (L0C) = bias (BT, one value per column n) + A x B (Mmad.md, "传入bias的原型"); cmatrixSource is
// ignored (the bias position decides), cmatrixInitVal must be false. The bias enters like an L0C
// start value: the A x B sum of the call is formed as in the form without bias, then added to it.
template <typename T, typename U, typename S, typename V>
inline void Mmad(const LocalTensor<T>& dst, const LocalTensor<U>& fm, const LocalTensor<S>& filter,
                 const LocalTensor<V>& bias, const MmadParams& p)
{
    const char* api = "Mmad(with bias)";
    const uint8_t* b = sim::BiasRow<T>(api, bias, p);
    sim::MmadRun(api, dst, fm, filter, p, b);
}

// L1 -> bias table (DataCopy（L1ToBiasTable-Buffer数据搬运）.md), DataCopyParams form: blockCount
// blocks of blockLen units (a2: 64 B; a5: 32 B, blockLen even), the source gap srcGap in 32-B
// blocks, the destination gap dstGap in units (a2: 64 B; a5: 32 B). src in L1 32-B aligned, dst in
// the bias table 64-B aligned; dst float/int32_t, src a2 half/int32_t/float, a5 also bfloat16_t
// (the converting pairs, half/bfloat16_t -> float, are not modelled). Reached through the
// LocalTensor -> LocalTensor DataCopy forms when dst is in BT.
AK_SIM_API_END
AK_SIM_IMPL_BEGIN
template <typename T, typename U>
inline void CopyL1ToBt(const LocalTensor<T>& dst, const LocalTensor<U>& src, const DataCopyParams& p)
{
    const char* api = "DataCopy(BT<-L1, DataCopyParams)";
    const bool a5 = CurTarget() == TARGET_A5;
    src.simLiveIn(api, "src", MEM_L1);
    dst.simLiveIn(api, "dst", MEM_BT);
    const Dt dt = DtOf<T>(), st = DtOf<U>();
    const bool dstOk = dt == DT_F32 || dt == DT_I32;
    const bool srcOk = st == DT_F16 || st == DT_I32 || st == DT_F32 || (a5 && st == DT_BF16);
    if (!dstOk || !srcOk) {
        Fail(api, Fmt("src %s -> dst %s is not supported on %s (dst float/int32_t; src half, int32_t, float%s)",
                      DtName(st), DtName(dt), TargetName(CurTarget()), a5 ? ", bfloat16_t" : ""));
    }
    if (dt != st) {
        Fail(api, Fmt("the converting copy %s -> %s is not modelled by the sim", DtName(st), DtName(dt)));
    }
    CubeAlign(api, "src", src, 32);
    CubeAlign(api, "dst", dst, 64);
    if (p.blockCount > 4095) {
        Fail(api, Fmt("DataCopyParams.blockCount %u outside [0, 4095]", p.blockCount));
    }
    if (a5 && p.blockLen % 2 != 0) {
        Fail(api, Fmt("blockLen %u must be even on a5 (unit 32 B)", p.blockLen));
    }
    if (p.blockCount == 0 || p.blockLen == 0) {
        return;
    }
    const uint64_t unit = a5 ? 32 : 64;
    const uint64_t len = p.blockLen * unit;
    const uint64_t sp = len + static_cast<uint64_t>(p.srcStride) * 32;
    const uint64_t dp = len + static_cast<uint64_t>(p.dstStride) * unit;
    for (uint32_t i = 0; i < p.blockCount; ++i) {
        CubeRange(api, "src", src, i * sp + len);
        CubeRange(api, "dst", dst, i * dp + len);
        const uint8_t* s = CubePtr(api, MEM_L1, static_cast<uint32_t>(src.simAddr_ + i * sp), len);
        uint8_t* d = CubePtr(api, MEM_BT, static_cast<uint32_t>(dst.simAddr_ + i * dp), len);
        std::memmove(d, s, len);
    }
}

// InitConstValue / Fill (矩阵搬入辅助配置接口/Fill.md): repeatTimes x blockNum blocks of initValue, a
// block 32 B in L1 and 512 B in L0A/L0B, dstGap blocks between iterations; a2: L1, L0A, L0B; a5: L1
// only; dtypes int16_t, uint16_t, half, bfloat16_t, int32_t, uint32_t, float; dst 32-B (L1) / 512-B
// (L0) aligned; each field in [0, 32767]; repeatTimes 0 is a NOP. blockNum 0 with repeatTimes > 0 (what
// the two-argument constructor gives) is refused: the doc makes it a NOP on these products, so the
// call would silently leave the buffer as it was.
template <typename T>
inline void InitConstRun(const char* api, const LocalTensor<T>& dst, const InitConstValueParams<T>& p)
{
    const bool a5 = CurTarget() == TARGET_A5;
    constexpr uint32_t kTypes = B(DT_I16) | B(DT_U16) | B(DT_F16) | B(DT_BF16) | B(DT_I32) | B(DT_U32) | B(DT_F32);
    DtCheck(api, DtOf<T>(), kTypes, kTypes, "asc-devkit 矩阵搬入辅助配置接口/Fill.md");
    const uint8_t mem = dst.simMem_;
    if (mem != MEM_L1 && (a5 || (mem != MEM_L0A && mem != MEM_L0B))) {
        Fail(api, Fmt("dst: the tensor is in %s but %s fills %s", MemName(mem), api,
                      a5 ? "only L1 (TPosition::A1/B1) on a5" : "L1 (A1/B1), L0A (A2) or L0B (B2)"));
    }
    dst.simLiveIn(api, "dst", mem);
    const uint64_t blk = mem == MEM_L1 ? 32 : 512;
    CubeAlign(api, "dst", dst, static_cast<uint32_t>(blk));
    if (p.repeatTimes > 32767 || p.blockNum > 32767 || p.dstGap > 32767) {
        Fail(api, Fmt("InitConstValueParams out of range (repeatTimes %u, blockNum %u, dstGap %u; each in [0, 32767])",
                      p.repeatTimes, p.blockNum, p.dstGap));
    }
    if (p.repeatTimes == 0) {
        return;
    }
    if (p.blockNum == 0) {
        Fail(api, "blockNum 0 makes the call a NOP on a2/a5 (the two-argument InitConstValueParams constructor "
                  "configures only older products): set blockNum");
    }
    const uint64_t end = ((static_cast<uint64_t>(p.repeatTimes) - 1) * (p.blockNum + p.dstGap) + p.blockNum) * blk;
    CubeRange(api, "dst", dst, end);
    for (uint32_t r = 0; r < p.repeatTimes; ++r) {
        const uint64_t off = static_cast<uint64_t>(r) * (p.blockNum + p.dstGap) * blk;
        uint8_t* d = CubePtr(api, mem, static_cast<uint32_t>(dst.simAddr_ + off), p.blockNum * blk);
        for (uint64_t e = 0; e < p.blockNum * blk; e += sizeof(T)) {
            std::memcpy(d + e, static_cast<const void*>(&p.initValue), sizeof(T));
        }
    }
}
AK_SIM_IMPL_END
AK_SIM_API_BEGIN

template <typename T, typename U = T, typename std::enable_if<std::is_same<T, U>::value, bool>::type = true>
inline void Fill(const LocalTensor<T>& dst, const InitConstValueParams<U>& initConstValueParams)
{
    sim::InitConstRun<T>("Fill", dst, initConstValueParams);
}

// The older name of Fill (kernel_operator_mm_intf.h: "InitConstValue has been updated, please use
// Fill instead"); present in every CANN release, so the kernels use it.
template <typename T, typename U = T, typename std::enable_if<std::is_same<T, U>::value, bool>::type = true>
inline void InitConstValue(const LocalTensor<T>& dst, const InitConstValueParams<U>& initConstValueParams)
{
    sim::InitConstRun<T>("InitConstValue", dst, initConstValueParams);
}
AK_SIM_API_END

#endif  // AK_SIM_BASIC_API_KERNEL_OPERATOR_MM_INTF_H
