// ascend-kernels sim, part of kernel_operator.h (kernels include only that header; see docs/sim.md).
// The a5 MX cube path: DataCopy GM->L1 (DN2NZ), the MX LoadData and MmadMx (asc-devkit
// include/basic_api/kernel_operator_mm_intf.h, kernel_operator_data_copy_intf.h).
#ifndef AK_SIM_BASIC_API_KERNEL_OPERATOR_MM_MX_INTF_H
#define AK_SIM_BASIC_API_KERNEL_OPERATOR_MM_MX_INTF_H
// Not self-contained: kernel_operator.h includes the parts in order after its prelude (built-in
// enums, qualifiers, the namespace macros).

AK_SIM_API_BEGIN
AK_SIM_API_END
AK_SIM_IMPL_BEGIN
// The MX APIs exist only on a5 (asc-devkit: "Ascend 950PR/Ascend 950DT：支持", every other product
// "不支持").
inline void MxOnlyA5(const char* api, const char* doc)
{
    if (CurTarget() != TARGET_A5) {
        Fail(api, Fmt("not supported on %s: the MX cube path exists only on a5 (Ascend 950, asc-devkit %s)",
                      TargetName(CurTarget()), doc));
    }
}

inline bool IsFp8(Dt d) { return d == DT_E4M3 || d == DT_E5M2; }

// The L0A_MX (area 0) / L0B_MX (area 1) scale area of the current core, 4 KiB, poisoned on first use.
inline std::vector<uint8_t>& MxArea(const char* api, int area)
{
    CoreState& c = Core(api);
    if (c.mxArea[area].empty()) {
        c.mxArea[area].assign(kMxAreaBytes, 0xCD);
    }
    return c.mxArea[area];
}
AK_SIM_IMPL_END
AK_SIM_API_BEGIN

// GM (DN) -> L1 (Nz), a5 only. Element (d, n) of DN matrix i (source element
// i*srcDnMatrixStride + d*srcDValue + n) lands at dst + i*dstNzMatrixStride elements +
// ((d / C0)*dstNzC0Stride + n*dstNzNStride)*32 B + (d % C0)*sizeof(T), C0 = 32 B of elements; a
// partial last C0 chunk of a column is zero-padded to 32 B
// (asc-devkit 矩阵计算的搬入/DataCopy（GMToL1随路转换-DN2NZ搬运）.md).
#if __NPU_ARCH__ == 3510
template <typename T, uint8_t dim>
inline void DataCopy(const LocalTensor<T>& dst, const GlobalTensor<T>& src, const MultiCopyParams<T, dim>& params)
{
    (void)dst;
    (void)src;
    (void)params;
    sim::Fail("DataCopy(UB<-GM, MultiCopyParams)", "the N-D DMA copy (MultiCopy) is not modelled by the sim");
}
#endif

template <typename T, bool enableSmallC0 = false>
inline void DataCopy(const LocalTensor<T>& dst, const GlobalTensor<T>& src, const Dn2NzParams& p)
{
    const char* api = "DataCopy(L1<-GM, Dn2NzParams)";
    sim::MxOnlyA5(api, "DataCopy（GMToL1随路转换-DN2NZ搬运）.md");
    if (enableSmallC0) {
        sim::Fail(api, "enableSmallC0 is not modelled by the sim");
    }
    constexpr uint32_t kDn2NzTypes = sim::B(sim::DT_I8) | sim::B(sim::DT_U8) | sim::B(sim::DT_I16) |
                                     sim::B(sim::DT_U16) | sim::B(sim::DT_I32) | sim::B(sim::DT_U32) |
                                     sim::B(sim::DT_F16) | sim::B(sim::DT_BF16) | sim::B(sim::DT_F32);
    sim::DtCheck(api, sim::DtOf<T>(), 0, kDn2NzTypes,
                 "DN2NZ supports int8/uint8/int16/uint16/int32/uint32/half/bfloat16/float: move e8m0 scale pairs "
                 "through a 16-bit view");
    dst.simLiveIn(api, "dst", sim::MEM_L1);
    sim::CubeAlign(api, "dst", dst, 32);
    if (p.dnNum > 4095 || p.nValue > 16384 || p.dValue > 2097151 || p.srcDValue < 1 ||
        p.srcDValue > 0xFFFFFFFFFFull || p.srcDnMatrixStride > 0xFFFFFFFFFFull || p.dstNzC0Stride < 1 ||
        p.dstNzC0Stride > 16384 || p.dstNzNStride < 1 || p.dstNzNStride > 16384 || p.dstNzMatrixStride > 16384) {
        sim::Fail(api, sim::Fmt("Dn2NzParams out of range (dnNum %u [0,4095], nValue %u [0,16384], dValue %u "
                                "[0,2^21-1], srcDValue %llu [1,2^40-1], dstNzC0Stride %u [1,16384], dstNzNStride %u "
                                "[1,16384], dstNzMatrixStride %u [0,16384])",
                                p.dnNum, p.nValue, p.dValue, static_cast<unsigned long long>(p.srcDValue),
                                p.dstNzC0Stride, p.dstNzNStride, p.dstNzMatrixStride));
    }
    if (p.dnNum == 0 || p.nValue == 0 || p.dValue == 0) {
        return;
    }
    const uint32_t es = sizeof(T);
    const uint32_t c0 = 32 / es;
    const uint64_t chunks = (static_cast<uint64_t>(p.dValue) + c0 - 1) / c0;
    for (uint64_t i = 0; i < p.dnNum; ++i) {
        for (uint64_t n = 0; n < p.nValue; ++n) {
            for (uint64_t c = 0; c < chunks; ++c) {
                const uint64_t dOff = i * p.dstNzMatrixStride * es + (c * p.dstNzC0Stride + n * p.dstNzNStride) * 32;
                sim::CubeRange(api, "dst", dst, dOff + 32);
                uint8_t* d = sim::CubePtr(api, sim::MEM_L1, static_cast<uint32_t>(dst.simAddr_ + dOff), 32);
                std::memset(d, 0, 32);
                const uint64_t cnt = std::min<uint64_t>(c0, p.dValue - c * c0);
                for (uint64_t e = 0; e < cnt; ++e) {
                    const uint64_t sElem = i * p.srcDnMatrixStride + (c * c0 + e) * p.srcDValue + n;
                    const uintptr_t g = src.simAccess(api, sElem * es, es, false);
                    std::memcpy(d + e * es, reinterpret_cast<const void*>(g), es);
                }
            }
        }
    }
    sim::CountGm(static_cast<uint64_t>(p.dnNum) * p.nValue * p.dValue * es, 0);
}

// L1 -> L0A/L0B data fractals plus L1 -> L0A_MX/L0B_MX scale fractals, a5 only
// (asc-devkit 矩阵计算的搬入/LoadData_2D_MX.md, LoadData_2D_V2.md, C-API asc_copy_l12l0a_mx.md).
// Data (fp8, 512-B fractals of 16 rows x 32 B): source fractal (kStart + kk)*srcStride + mStart + mm
// goes to destination fractal kk*dstStride + mm (the Nz order of LoadData_2D_V2.md, no transpose).
// Scales (e8m0, 32-B fractals of 16 rows x 2 blocks, byte (row % 16)*2 + j): source fractal
// (xStart + xx)*srcStride + yStart + yy (units of 32 B) goes to the scale area at dst address / 16 +
// (xx*dstStride + yy)*32 B. Sim rules beyond the doc (strictest reading, unverified on hardware):
// T == U, no transpose, strides not below the step (no overlapping fractals), and the scale
// fractals cover exactly the data loaded (xStep == mStep, 2*yStep == kStep).
template <typename T, typename U = T>
inline void LoadData(const LocalTensor<U>& dst, const LocalTensor<T>& src, const LocalTensor<fp8_e8m0_t>& srcMx,
                     const LoadData2DParamsV2& p, const LoadData2DMxParams& mx)
{
    const char* api = "LoadData(L0<-L1, MX: LoadData2DParamsV2 + LoadData2DMxParams)";
    sim::MxOnlyA5(api, "矩阵计算的搬入/LoadData_2D_MX.md");
    const sim::Dt tt = sim::DtOf<T>(), ut = sim::DtOf<U>();
    if (!sim::IsFp8(tt) || tt != ut) {
        sim::Fail(api, sim::Fmt("src %s -> dst %s: the sim models the MX load of fp8_e4m3fn_t / fp8_e5m2_t with the "
                                "same type on both sides (fp4 is not modelled; LoadData_2D_MX.md)",
                                sim::DtName(tt), sim::DtName(ut)));
    }
    src.simLiveIn(api, "src", sim::MEM_L1);
    srcMx.simLiveIn(api, "srcMx", sim::MEM_L1);
    if (dst.simMem_ != sim::MEM_L0A && dst.simMem_ != sim::MEM_L0B) {
        sim::Fail(api, sim::Fmt("dst: the tensor is in %s but the MX LoadData writes L0A (TPosition::A2) or L0B (B2)",
                                sim::MemName(dst.simMem_)));
    }
    dst.simLiveIn(api, "dst", dst.simMem_);
    sim::CubeAlign(api, "src", src, 32);
    sim::CubeAlign(api, "srcMx", srcMx, 32);
    sim::CubeAlign(api, "dst", dst, 512);
    if (p.ifTranspose) {
        sim::Fail(api, "ifTranspose is not modelled by the sim for the MX load");
    }
    if (p.mStep > 255 || p.kStep > 255) {
        sim::Fail(api, sim::Fmt("mStep %u / kStep %u outside [0, 255]", p.mStep, p.kStep));
    }
    const bool dataNop = p.mStep == 0 || p.kStep == 0;
    const bool scaleNop = mx.xStep == 0 || mx.yStep == 0;
    if (dataNop != scaleNop || (!dataNop && (mx.xStep != p.mStep || 2u * mx.yStep != p.kStep))) {
        sim::Fail(api, sim::Fmt("the scale fractals must cover the data fractals loaded: xStep %u must equal mStep %u "
                                "and 2*yStep %u must equal kStep %u (one e8m0 per row per 32 fp8 along K)",
                                mx.xStep, p.mStep, 2u * mx.yStep, p.kStep));
    }
    if (dataNop) {
        return;
    }
    if (p.srcStride < static_cast<int32_t>(p.mStep) || p.dstStride < p.mStep) {
        sim::Fail(api, sim::Fmt("srcStride %d / dstStride %u below mStep %u: data fractals would overlap", p.srcStride,
                                p.dstStride, p.mStep));
    }
    if (mx.srcStride < mx.yStep || mx.dstStride < mx.yStep) {
        sim::Fail(api, sim::Fmt("scale srcStride %u / dstStride %u below yStep %u: scale fractals would overlap",
                                mx.srcStride, mx.dstStride, mx.yStep));
    }
    const uint64_t fr = sim::kFractalBytes;
    for (uint64_t kk = 0; kk < p.kStep; ++kk) {
        for (uint64_t mm = 0; mm < p.mStep; ++mm) {
            const uint64_t sOff = ((p.kStartPosition + kk) * static_cast<uint64_t>(p.srcStride) + p.mStartPosition + mm) * fr;
            const uint64_t dOff = (kk * p.dstStride + mm) * fr;
            sim::CubeRange(api, "src", src, sOff + fr);
            sim::CubeRange(api, "dst", dst, dOff + fr);
            const uint8_t* sp = sim::CubePtr(api, sim::MEM_L1, static_cast<uint32_t>(src.simAddr_ + sOff), fr);
            uint8_t* dp = sim::CubePtr(api, dst.simMem_, static_cast<uint32_t>(dst.simAddr_ + dOff), fr);
            std::memmove(dp, sp, fr);
        }
    }
    const int area = dst.simMem_ == sim::MEM_L0A ? 0 : 1;
    const char* areaName = area == 0 ? "L0A_MX" : "L0B_MX";
    std::vector<uint8_t>& mxa = sim::MxArea(api, area);
    const uint32_t base = dst.simAddr_ / 16;
    const uint64_t end = base + ((static_cast<uint64_t>(mx.xStep) - 1) * mx.dstStride + mx.yStep) * 32;
    if (end > sim::kMxAreaBytes) {
        sim::Fail(api, sim::Fmt("%s scale area: the scale fractals go to bytes [%u, %llu) (scale address = %s address "
                                "%u / 16) but the area has %u B", areaName, base, static_cast<unsigned long long>(end),
                                sim::MemName(dst.simMem_), dst.simAddr_, sim::kMxAreaBytes));
    }
    for (uint64_t xx = 0; xx < mx.xStep; ++xx) {
        for (uint64_t yy = 0; yy < mx.yStep; ++yy) {
            const uint64_t sOff = ((mx.xStartPosition + xx) * mx.srcStride + mx.yStartPosition + yy) * 32;
            sim::CubeRange(api, "srcMx", srcMx, sOff + 32);
            const uint8_t* sp = sim::CubePtr(api, sim::MEM_L1, static_cast<uint32_t>(srcMx.simAddr_ + sOff), 32);
            std::memcpy(mxa.data() + base + (xx * mx.dstStride + yy) * 32, sp, 32);
        }
    }
    std::vector<sim::MxRecord>& recs = sim::Core(api).mxRecs[area];
    for (size_t i = recs.size(); i-- > 0;) {
        if (recs[i].base < end && base < recs[i].end) {
            recs.erase(recs.begin() + static_cast<std::ptrdiff_t>(i));
        }
    }
    sim::MxRecord r;
    r.base = base;
    r.end = static_cast<uint32_t>(end);
    r.dstStride = mx.dstStride;
    r.xStep = mx.xStep;
    r.yStep = mx.yStep;
    recs.push_back(r);
}

AK_SIM_API_END
AK_SIM_IMPL_BEGIN
// The MX LoadData record at scale address `base` that MmadMx with `rows` (m or n) and `k` reads.
inline void MxCheckScales(const char* api, const char* what, int area, uint32_t dataAddr, uint32_t rows, uint32_t k)
{
    const char* areaName = area == 0 ? "L0A_MX" : "L0B_MX";
    const uint32_t base = dataAddr / 16;
    const std::vector<MxRecord>& recs = Core(api).mxRecs[area];
    const MxRecord* r = nullptr;
    for (const MxRecord& x : recs) {
        if (x.base == base) r = &x;
    }
    if (r == nullptr) {
        Fail(api, Fmt("%s: no MX LoadData wrote scales at %s address %u (= the operand address %u / 16); load the "
                      "operand with LoadData(dst, src, srcMx, LoadData2DParamsV2, LoadData2DMxParams)", what, areaName,
                      base, dataAddr));
    }
    const uint32_t k64 = k / 64, r1 = (rows + 15) / 16;
    if (r->dstStride != k64 || r->yStep < k64 || r->xStep < r1) {
        Fail(api, Fmt("%s: the scales at %s address %u were loaded as %u rows of fractals with dstStride %u and yStep "
                      "%u, but MmadMx with k = %u and %u rows reads %u rows of k/64 = %u fractals (dstStride must "
                      "be k/64)", what, areaName, base, r->xStep, r->dstStride, r->yStep, k, rows, r1, k64));
    }
}
AK_SIM_IMPL_END
AK_SIM_API_BEGIN

// C (L0C, Nz 16x16, float) [+]= (scaleA ⊗ A) x (scaleB ⊗ B), a5 only (asc-devkit Mmad计算/MmadMx.md). A
// is L0A Nz fp8, B L0B Zn fp8 (as for Mmad); the scale of A[m, k] is byte (m % 16)*2 + (k/32) % 2 of
// fractal (m/16)*(k_total/64) + k/64 at L0A_MX address fm / 16 (scaleB likewise with n, "big N
// small n"). k must be a multiple of 64; fm/filter/dst 1024-B aligned; only the first m rows and n
// columns enter. Per 32-k block j: the 32 products (exact in float) are summed in order in float,
// the partial is multiplied by 2^(sa - 127) * 2^(sb - 127) in double and rounded to float once
// (NaN when either scale byte is 0xFF); the block results are added in order, then added to C (its L0C
// value, or the bias of the form with a bias tensor).
// [summation order and the exact scaling unverified on hardware]
AK_SIM_API_END
AK_SIM_IMPL_BEGIN
template <typename T, typename U, typename S>
inline void MmadMxRun(const char* api, const LocalTensor<T>& dst, const LocalTensor<U>& fm,
                      const LocalTensor<S>& filter, const MmadParams& p, const uint8_t* bias)
{
    sim::MxOnlyA5(api, "Mmad计算/MmadMx.md");
    dst.simLiveIn(api, "dst", sim::MEM_L0C);
    fm.simLiveIn(api, "fm", sim::MEM_L0A);
    filter.simLiveIn(api, "filter", sim::MEM_L0B);
    const sim::Dt dt = sim::DtOf<T>(), ut = sim::DtOf<U>(), st = sim::DtOf<S>();
    if (!sim::IsFp8(ut) || !sim::IsFp8(st) || dt != sim::DT_F32) {
        sim::Fail(api, sim::Fmt("fm %s x filter %s -> dst %s is not a supported MmadMx type combination (fp8_e4m3fn_t "
                                "/ fp8_e5m2_t pairs -> float; fp4 is not modelled; MmadMx.md)",
                                sim::DtName(ut), sim::DtName(st), sim::DtName(dt)));
    }
    sim::CubeAlign(api, "fm", fm, 1024);
    sim::CubeAlign(api, "filter", filter, 1024);
    sim::CubeAlign(api, "dst", dst, 1024);
    if (p.m > 4095 || p.n > 4095 || p.k > 4095) {
        sim::Fail(api, "m, n and k must be in [0, 4095]");
    }
    if (p.m == 0 || p.n == 0 || p.k == 0) {
        return;
    }
    if (p.k % 64 != 0) {
        sim::Fail(api, sim::Fmt("k = %u is not a multiple of 64 (MmadMx.md: K需要是64的倍数)", p.k));
    }
    const uint32_t m = p.m, n = p.n, k = p.k;
    const uint32_t M1 = (m + 15) / 16, N1 = (n + 15) / 16, K1 = k / 32, K64 = k / 64;
    sim::CubeRange(api, "fm", fm, static_cast<uint64_t>(M1) * K1 * sim::kFractalBytes);
    sim::CubeRange(api, "filter", filter, static_cast<uint64_t>(K1) * N1 * sim::kFractalBytes);
    sim::CubeRange(api, "dst", dst, static_cast<uint64_t>(M1) * N1 * 256 * sizeof(T));
    sim::MxCheckScales(api, "fm", 0, fm.simAddr_, m, k);
    sim::MxCheckScales(api, "filter", 1, filter.simAddr_, n, k);
    const uint8_t* A = sim::CubePtr(api, sim::MEM_L0A, fm.simAddr_, static_cast<uint64_t>(M1) * K1 * sim::kFractalBytes);
    const uint8_t* Bm = sim::CubePtr(api, sim::MEM_L0B, filter.simAddr_, static_cast<uint64_t>(K1) * N1 * sim::kFractalBytes);
    uint8_t* C = sim::CubePtr(api, sim::MEM_L0C, dst.simAddr_, static_cast<uint64_t>(M1) * N1 * 256 * sizeof(T));
    const uint8_t* SA = sim::MxArea(api, 0).data() + fm.simAddr_ / 16;
    const uint8_t* SB = sim::MxArea(api, 1).data() + filter.simAddr_ / 16;
    auto aAt = [&](uint32_t mi, uint32_t ki) {
        const uint64_t frac = static_cast<uint64_t>(ki / 32) * M1 + mi / 16;
        return sim::CubeIn<U>(A + frac * 512 + (mi % 16) * 32 + ki % 32);
    };
    auto bAt = [&](uint32_t ki, uint32_t ni) {
        const uint64_t frac = static_cast<uint64_t>(ki / 32) * N1 + ni / 16;
        return sim::CubeIn<S>(Bm + frac * 512 + (ni % 16) * 32 + ki % 32);
    };
    auto sAt = [&](const uint8_t* s, uint32_t row, uint32_t blk) {
        return s[(static_cast<uint64_t>(row / 16) * K64 + blk / 2) * 32 + (row % 16) * 2 + blk % 2];
    };
    const bool acc = p.isBias || !p.cmatrixInitVal;
    for (uint32_t mi = 0; mi < m; ++mi) {
        for (uint32_t ni = 0; ni < n; ++ni) {
            float total = 0.0f;
            for (uint32_t j = 0; j < K1; ++j) {
                float part = 0.0f;
                for (uint32_t e = 0; e < 32; ++e) {
                    const float prod = static_cast<float>(aAt(mi, j * 32 + e) * bAt(j * 32 + e, ni));
                    part = part + prod;
                }
                const uint8_t sa = sAt(SA, mi, j), sb = sAt(SB, ni, j);
                float scaled;
                if (sa == 0xFF || sb == 0xFF) {
                    scaled = std::numeric_limits<float>::quiet_NaN();
                } else {
                    scaled = static_cast<float>(std::ldexp(static_cast<double>(part), static_cast<int>(sa) + sb - 254));
                }
                total = total + scaled;
            }
            uint8_t* cp = C + ((static_cast<uint64_t>(ni / 16) * M1 + mi / 16) * 256 + (mi % 16) * 16 + ni % 16) * sizeof(T);
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
    sim::Core(api).cubeMacs += static_cast<uint64_t>(m) * n * k;
}
AK_SIM_IMPL_END
AK_SIM_API_BEGIN

template <typename T, typename U, typename S>
inline void MmadMx(const LocalTensor<T>& dst, const LocalTensor<U>& fm, const LocalTensor<S>& filter,
                   const MmadParams& p)
{
    const char* api = "MmadMx";
    sim::MxOnlyA5(api, "Mmad计算/MmadMx.md");
    if (p.cmatrixSource) {
        sim::Fail(api, "cmatrixSource without a bias operand is not modelled by the sim (use the MmadMx form with a "
                       "bias tensor in TPosition::C2)");
    }
    sim::MmadMxRun(api, dst, fm, filter, p, nullptr);
}

// MmadMx with a float bias in the bias table (kernel_operator_mm_intf.h; the rules of the Mmad form
// with bias): C = bias + the scaled block sums of the call.
template <typename T, typename U, typename S, typename V>
inline void MmadMx(const LocalTensor<T>& dst, const LocalTensor<U>& fm, const LocalTensor<S>& filter,
                   const LocalTensor<V>& bias, const MmadParams& p)
{
    const char* api = "MmadMx(with bias)";
    sim::MxOnlyA5(api, "Mmad计算/MmadMx.md");
    const uint8_t* b = sim::BiasRow<T>(api, bias, p);
    sim::MmadMxRun(api, dst, fm, filter, p, b);
}
AK_SIM_API_END

#endif  // AK_SIM_BASIC_API_KERNEL_OPERATOR_MM_MX_INTF_H
