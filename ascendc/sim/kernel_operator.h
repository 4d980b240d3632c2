// ascend-kernels sim: a strict host (CPU) emulation of the classic AscendC "membase" API subset
// listed in ascendc/sim/CONTRACT.md section 4. Generated kernels include "kernel_operator.h";
// compiled with -DAK_SIM -DASCENDC_CPU_DEBUG=1 -D__NPU_ARCH__=2201|3510 and -I ascendc/sim they get
// this header instead of CANN's. Names, template parameters and argument order follow asc-devkit
// include/basic_api/*.h so the same source compiles with CANN. Every violated rule throws a
// sim::Violation that AscendC::sim::Launch turns into an error (see docs/sim.md).
#ifndef AK_SIM_KERNEL_OPERATOR_H
#define AK_SIM_KERNEL_OPERATOR_H

#include <cmath>
#include <cstdint>
#include <algorithm>
#include <cstring>
#include <limits>
#include <type_traits>
#include <vector>

#include "ak_sim.h"
#include "sim_runtime.h"
#include "sim_types.h"

#ifndef __NPU_ARCH__
#error "the sim needs -D__NPU_ARCH__=2201 (a2) or -D__NPU_ARCH__=3510 (a5)"
#endif
#if (__NPU_ARCH__ != 2201) && (__NPU_ARCH__ != 3510)
#error "the sim supports __NPU_ARCH__ 2201 (a2) and 3510 (a5) only"
#endif

// No fused multiply-add contraction in kernel code (hardware rounds every vector op). GCC in ISO mode
// (-std=c++17) already defaults to -ffp-contract=off; clang honours this pragma.
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#endif

// Qualifiers compile to nothing (as in the CANN CPU twin): generated code must not overload on them.
#define __aicore__
#define __global__
#define __gm__
#define __ubuf__
#define __vector__
#define __cube__
#define __mix__(a, b)
#define __inout_pipe__(x)
#define __sync_alias__
#define __sync_noalias__
#ifndef GM_ADDR
#define GM_ADDR uint8_t*
#endif
#define KERNEL_TASK_TYPE_DEFAULT(x)
#define ASCEND_IS_AIV (true)
#define ASCEND_IS_AIC (false)

// Compiler built-in enums of the device toolchain.
enum pipe_t : int {
    PIPE_S = 0,
    PIPE_V,
    PIPE_M,
    PIPE_MTE1,
    PIPE_MTE2,
    PIPE_MTE3,
    PIPE_ALL,
    PIPE_MTE4,
    PIPE_MTE5,
    PIPE_V2,
    PIPE_FIX,
};
// Fixpipe quantisation modes (a compiler built-in enum on the device toolchain).
enum QuantMode_t : int {
    NoQuant = 0,
    F322F16,
    F322BF16,
    DEQF16,
    VDEQF16,
    QF322B8_PRE,
    VQF322B8_PRE,
    REQ8,
    VREQ8,
};
enum event_t : int {
    EVENT_ID0 = 0,
    EVENT_ID1,
    EVENT_ID2,
    EVENT_ID3,
    EVENT_ID4,
    EVENT_ID5,
    EVENT_ID6,
    EVENT_ID7,
};

// Everything that depends on __NPU_ARCH__ lives in an inline namespace named after the arch, so
// kernels of both targets can be linked into one binary without ODR clashes (the layouts of e.g.
// DataCopyExtParams differ between a2 and a5).
#define AK_SIM_NS_CAT2(a, b) a##b
#define AK_SIM_NS_CAT(a, b) AK_SIM_NS_CAT2(a, b)
#define AK_SIM_ARCH_NS AK_SIM_NS_CAT(arch, __NPU_ARCH__)
#define AK_SIM_API_BEGIN namespace AscendC { inline namespace AK_SIM_ARCH_NS {
#define AK_SIM_API_END } }
#define AK_SIM_IMPL_BEGIN namespace AscendC { namespace sim { inline namespace AK_SIM_ARCH_NS {
#define AK_SIM_IMPL_END } } }

AK_SIM_API_BEGIN

// ------------------------------------------------------------------------------------ enums/structs
enum class TPosition : uint8_t {
    GM,
    A1,
    A2,
    B1,
    B2,
    C1,
    C2,
    CO1,
    CO2,
    VECIN,
    VECOUT,
    VECCALC,
    LCM = VECCALC,
    SPM,
    SHM = SPM,
    TSCM,
    C2PIPE2GM,
    C2PIPE2LOCAL,
    MAX,
};
using QuePosition = TPosition;

enum class HardEvent : uint8_t {
    MTE2_MTE1,
    MTE1_MTE2,
    MTE1_M,
    M_MTE1,
    MTE2_V,
    V_MTE2,
    MTE3_V,
    V_MTE3,
    M_V,
    V_M,
    V_V,
    MTE3_MTE1,
    MTE1_MTE3,
    MTE1_V,
    MTE2_M,
    M_MTE2,
    V_MTE1,
    M_FIX,
    FIX_M,
    MTE3_MTE2,
    MTE2_MTE3,
    S_V,
    V_S,
    S_MTE2,
    MTE2_S,
    S_MTE3,
    MTE3_S,
    MTE2_FIX,
    FIX_MTE2,
    FIX_S,
    M_S,
    FIX_MTE3,
    MTE1_FIX,
    FIX_MTE1,
    FIX_FIX,
    MAX,
};

enum class RoundMode : uint8_t {
    CAST_NONE = 0,
    CAST_RINT,
    CAST_FLOOR,
    CAST_CEIL,
    CAST_ROUND,
    CAST_TRUNC,
    CAST_ODD,
#if __NPU_ARCH__ == 3510
    CAST_HYBRID,
    CAST_EVEN,
    CAST_ZERO,
#endif
    UNKNOWN = 0xFF,
};

enum class CMPMODE : uint8_t { LT = 0, GT, EQ, LE, GE, NE };
enum class SELMODE : uint8_t { VSEL_CMPMASK_SPR = 0, VSEL_TENSOR_SCALAR_MODE, VSEL_TENSOR_TENSOR_MODE };
enum class ReduceOrder : uint8_t { ORDER_VALUE_INDEX = 0, ORDER_INDEX_VALUE, ORDER_ONLY_VALUE, ORDER_ONLY_INDEX };
enum class PaddingMode : uint8_t { Normal = 0, Compact };
enum class MaskMode : uint8_t { NORMAL = 0, COUNTER };
enum class CacheMode { CACHE_MODE_DISABLE = 0, CACHE_MODE_NORMAL = 1, CACHE_MODE_LAST = 2, CACHE_MODE_PERSISTENT = 4 };
enum class CacheRwMode { READ = 1, WRITE = 2, RW = 3 };

using TEventID = int8_t;

constexpr uint16_t DEFAULT_DATA_COPY_NBURST = 1;
constexpr uint32_t DEFAULT_DATA_COPY_STRIDE = 0;
constexpr uint8_t DEFAULT_BLK_NUM = 8;
constexpr uint16_t DEFAULT_BLK_STRIDE = 1;
constexpr uint16_t DEFAULT_REPEAT_STRIDE = 8;
constexpr int32_t ONE_BLK_SIZE = 32;
constexpr int32_t ONE_REPEAT_BYTE_SIZE = 256;
constexpr uint64_t MASK_PLACEHOLDER = 0;

struct DataCopyParams {
    DataCopyParams() {}
    DataCopyParams(const uint16_t count, const uint16_t len, const uint16_t srcStrideIn, const uint16_t dstStrideIn)
        : blockCount(count), blockLen(len), srcStride(srcStrideIn), dstStride(dstStrideIn)
    {}
    uint16_t blockCount = DEFAULT_DATA_COPY_NBURST;
    uint16_t blockLen = 0;
    union {
        uint16_t srcGap = 0;
        uint16_t srcStride;
    };
    union {
        uint16_t dstGap = 0;
        uint16_t dstStride;
    };
};

struct DataCopyExtParams {
    DataCopyExtParams() {}
#if __NPU_ARCH__ == 3510
    DataCopyExtParams(const uint16_t count, const uint32_t len, const int64_t srcStrideIn, const int64_t dstStrideIn,
                      const uint32_t rsvIn)
#else
    DataCopyExtParams(const uint16_t count, const uint32_t len, const uint32_t srcStrideIn,
                      const uint32_t dstStrideIn, const uint32_t rsvIn)
#endif
        : blockCount(count), blockLen(len), srcStride(srcStrideIn), dstStride(dstStrideIn), rsv(rsvIn)
    {}
    uint16_t blockCount = DEFAULT_DATA_COPY_NBURST;
    uint32_t blockLen = 0;
#if __NPU_ARCH__ == 3510
    int64_t srcStride = static_cast<int64_t>(DEFAULT_DATA_COPY_STRIDE);
    int64_t dstStride = static_cast<int64_t>(DEFAULT_DATA_COPY_STRIDE);
#else
    uint32_t srcStride = DEFAULT_DATA_COPY_STRIDE;
    uint32_t dstStride = DEFAULT_DATA_COPY_STRIDE;
#endif
    uint32_t rsv = 0;
};

struct DataCopyPadParams {
    DataCopyPadParams() {}
    DataCopyPadParams(const bool isPadValue, const uint8_t leftPadValue, const uint8_t rightPadValue,
                      const uint64_t padValue)
        : isPad(isPadValue), leftPadding(leftPadValue), rightPadding(rightPadValue), paddingValue(padValue)
    {}
    bool isPad = false;
    uint8_t leftPadding = 0;
    uint8_t rightPadding = 0;
    uint64_t paddingValue = 0;
};

template <typename T>
struct DataCopyPadExtParams {
    DataCopyPadExtParams() {}
    DataCopyPadExtParams(const bool isPadValue, const uint8_t leftPadValue, const uint8_t rightPadValue, T padValue)
        : isPad(isPadValue), leftPadding(leftPadValue), rightPadding(rightPadValue), paddingValue(padValue)
    {}
    bool isPad = false;
    uint8_t leftPadding = 0;
    uint8_t rightPadding = 0;
    T paddingValue = T(0);
};

struct BinaryRepeatParams {
    BinaryRepeatParams() {}
    BinaryRepeatParams(const uint8_t dstBlkStrideIn, const uint8_t src0BlkStrideIn, const uint8_t src1BlkStrideIn,
                       const uint8_t dstRepStrideIn, const uint8_t src0RepStrideIn, const uint8_t src1RepStrideIn)
        : dstBlkStride(dstBlkStrideIn), src0BlkStride(src0BlkStrideIn), src1BlkStride(src1BlkStrideIn),
          dstRepStride(dstRepStrideIn), src0RepStride(src0RepStrideIn), src1RepStride(src1RepStrideIn)
    {}
    uint32_t blockNumber = DEFAULT_BLK_NUM;
    uint8_t dstBlkStride = DEFAULT_BLK_STRIDE;
    uint8_t src0BlkStride = DEFAULT_BLK_STRIDE;
    uint8_t src1BlkStride = DEFAULT_BLK_STRIDE;
    uint8_t dstRepStride = DEFAULT_REPEAT_STRIDE;
    uint8_t src0RepStride = DEFAULT_REPEAT_STRIDE;
    uint8_t src1RepStride = DEFAULT_REPEAT_STRIDE;
    bool repeatStrideMode = false;
    bool strideSizeMode = false;
};

struct UnaryRepeatParams {
    UnaryRepeatParams() {}
    UnaryRepeatParams(const uint16_t dstBlkStrideIn, const uint16_t srcBlkStrideIn, const uint8_t dstRepStrideIn,
                      const uint8_t srcRepStrideIn)
        : dstBlkStride(dstBlkStrideIn), srcBlkStride(srcBlkStrideIn), dstRepStride(dstRepStrideIn),
          srcRepStride(srcRepStrideIn)
    {}
    uint32_t blockNumber = DEFAULT_BLK_NUM;
    uint16_t dstBlkStride = DEFAULT_BLK_STRIDE;
    uint16_t srcBlkStride = DEFAULT_BLK_STRIDE;
    uint8_t dstRepStride = DEFAULT_REPEAT_STRIDE;
    uint8_t srcRepStride = DEFAULT_REPEAT_STRIDE;
    bool repeatStrideMode = false;
    bool strideSizeMode = false;
};

struct BrcbRepeatParams {
    BrcbRepeatParams() {}
    BrcbRepeatParams(const uint16_t dstBlkStrideIn, const uint16_t dstRepStrideIn)
        : dstRepStride(dstRepStrideIn), dstBlkStride(dstBlkStrideIn)
    {}
    uint32_t blockNumber = DEFAULT_BLK_NUM;
    uint16_t dstRepStride = DEFAULT_REPEAT_STRIDE;
    uint16_t dstBlkStride = DEFAULT_BLK_STRIDE;
};

// ------------------------------------------------------------------------------------ sim helpers
AK_SIM_API_END
AK_SIM_IMPL_BEGIN

enum Dt : uint32_t {
    DT_BOOL = 0,
    DT_I8,
    DT_U8,
    DT_I16,
    DT_U16,
    DT_I32,
    DT_U32,
    DT_I64,
    DT_U64,
    DT_F16,
    DT_BF16,
    DT_F32,
    DT_F64,
    DT_E4M3,
    DT_E5M2,
    DT_E8M0,
    DT_OTHER,
};

template <typename T>
constexpr Dt DtOf()
{
    using U = typename std::remove_cv<T>::type;
    if constexpr (std::is_same<U, bool>::value) return DT_BOOL;
    else if constexpr (std::is_same<U, int8_t>::value) return DT_I8;
    else if constexpr (std::is_same<U, uint8_t>::value) return DT_U8;
    else if constexpr (std::is_same<U, int16_t>::value) return DT_I16;
    else if constexpr (std::is_same<U, uint16_t>::value) return DT_U16;
    else if constexpr (std::is_same<U, int32_t>::value) return DT_I32;
    else if constexpr (std::is_same<U, uint32_t>::value) return DT_U32;
    else if constexpr (std::is_same<U, int64_t>::value) return DT_I64;
    else if constexpr (std::is_same<U, uint64_t>::value) return DT_U64;
    else if constexpr (std::is_same<U, half>::value) return DT_F16;
    else if constexpr (std::is_same<U, bfloat16_t>::value) return DT_BF16;
    else if constexpr (std::is_same<U, float>::value) return DT_F32;
    else if constexpr (std::is_same<U, double>::value) return DT_F64;
    else if constexpr (std::is_same<U, fp8_e4m3fn_t>::value) return DT_E4M3;
    else if constexpr (std::is_same<U, fp8_e5m2_t>::value) return DT_E5M2;
    else if constexpr (std::is_same<U, fp8_e8m0_t>::value) return DT_E8M0;
    else return DT_OTHER;
}

inline const char* DtName(Dt d)
{
    static const char* const names[] = {"bool",  "int8_t", "uint8_t",    "int16_t",    "uint16_t",    "int32_t",
                                        "uint32_t", "int64_t", "uint64_t", "half", "bfloat16_t", "float",
                                        "double", "fp8_e4m3fn_t", "fp8_e5m2_t", "fp8_e8m0_t", "(other)"};
    return d <= DT_OTHER ? names[d] : "?";
}

constexpr uint32_t B(Dt d) { return 1u << static_cast<uint32_t>(d); }
constexpr uint32_t kIntsAll = B(DT_I8) | B(DT_U8) | B(DT_I16) | B(DT_U16) | B(DT_I32) | B(DT_U32) | B(DT_I64) | B(DT_U64);
constexpr uint32_t kFp8s = B(DT_E4M3) | B(DT_E5M2) | B(DT_E8M0);
constexpr uint32_t kCopyA2 = kIntsAll | B(DT_F16) | B(DT_BF16) | B(DT_F32) | B(DT_F64) | B(DT_BOOL);
constexpr uint32_t kCopyA5 = kCopyA2 | kFp8s;

inline void DtCheck(const char* api, Dt d, uint32_t maskA2, uint32_t maskA5, const char* docRef)
{
    CoreState& c = Core(api);
    const uint32_t m = c.target == TARGET_A5 ? maskA5 : maskA2;
    if ((m & B(d)) == 0) {
        Fail(api, Fmt("dtype %s is not supported on %s (%s)", DtName(d), TargetName(c.target), docRef));
    }
}

template <typename T>
inline T UbLoad(uint32_t addr)
{
    T v;
    std::memcpy(static_cast<void*>(&v), Core("UB").ub.data() + addr, sizeof(T));
    return v;
}
template <typename T>
inline void UbStore(uint32_t addr, const T& v)
{
    std::memcpy(Core("UB").ub.data() + addr, static_cast<const void*>(&v), sizeof(T));
}

inline uint32_t CurTarget() { return Core("target").target; }

inline void CountVec(uint64_t instrs, uint64_t elems)
{
    CoreState& c = Core("vector");
    c.vecInstrs += instrs;
    c.vecElems += elems;
    VectorInstrEnd();
}

template <typename T>
constexpr bool kFloatLike = std::is_same<T, float>::value || std::is_same<T, half>::value ||
                            std::is_same<T, bfloat16_t>::value;

template <typename T>
inline bool IsNan(const T& v)
{
    if constexpr (kFloatLike<T>) {
        return std::isnan(static_cast<float>(v));
    } else {
        (void)v;
        return false;
    }
}

AK_SIM_IMPL_END
AK_SIM_API_BEGIN

// ------------------------------------------------------------------------------------ tensors
template <typename T>
class LocalTensor {
public:
    using PrimType = T;
    LocalTensor() = default;

    LocalTensor operator[](const uint32_t offset) const
    {
        simLiveIn("LocalTensor::operator[]", "tensor", simMem_);
        if (offset > simSize_) {
            sim::Fail("LocalTensor::operator[]",
                      sim::Fmt("offset %u is beyond the tensor size %u elements (npuchk ErrorRead3/ErrorWrite3)", offset,
                               simSize_));
        }
        LocalTensor r = *this;
        r.simAddr_ = simAddr_ + offset * static_cast<uint32_t>(sizeof(T));
        r.simSize_ = simSize_ - offset;
        return r;
    }

    T GetValue(const uint32_t index) const
    {
        const char* api = "LocalTensor::GetValue";
        simLive(api);
        if (index >= simSize_) {
            sim::Fail(api, sim::Fmt("index %u out of range (tensor size %u elements, npuchk ErrorRead3)", index, simSize_));
        }
        const uint32_t a = simAddr_ + index * static_cast<uint32_t>(sizeof(T));
        sim::UbCheckInit(api, "GetValue", a, sizeof(T), sim::SP_S);
        return sim::UbLoad<T>(a);
    }

    void SetValue(const uint32_t index, const T value) const
    {
        const char* api = "LocalTensor::SetValue";
        simLive(api);
        if (index >= simSize_) {
            sim::Fail(api, sim::Fmt("index %u out of range (tensor size %u elements, npuchk ErrorWrite3)", index, simSize_));
        }
        const uint32_t a = simAddr_ + index * static_cast<uint32_t>(sizeof(T));
        sim::UbStore<T>(a, value);
        sim::UbMarkWritten(a, sizeof(T), sim::SP_S, api);
    }

    uint32_t GetSize() const { return simSize_; }
    [[deprecated("NOTICE: GetLength has been deprecated and will be removed in the next version. Please do not use "
                 "it!")]] uint32_t
    GetLength() const
    {
        return simSize_ * static_cast<uint32_t>(sizeof(T));
    }
    void SetSize(const uint32_t size)
    {
        simLiveIn("LocalTensor::SetSize", "tensor", simMem_);
        if (static_cast<uint64_t>(simAddr_) + static_cast<uint64_t>(size) * sizeof(T) > simBufEnd_) {
            sim::Fail("LocalTensor::SetSize", sim::Fmt("size %u elements exceeds the underlying buffer", size));
        }
        simSize_ = size;
    }
    int32_t GetPosition() const { return static_cast<int32_t>(simPos_); }  // int32_t, as in kernel_tensor.h

    template <typename U>
    LocalTensor<U> ReinterpretCast() const
    {
        LocalTensor<U> r;
        r.simAddr_ = simAddr_;
        r.simSize_ = static_cast<uint32_t>(static_cast<uint64_t>(simSize_) * sizeof(T) / sizeof(U));
        r.simBufEnd_ = simBufEnd_;
        r.simSlot_ = simSlot_;
        r.simGen_ = simGen_;
        r.simPipeGen_ = simPipeGen_;
        r.simQue_ = simQue_;
        r.simPos_ = simPos_;
        r.simMem_ = simMem_;
        return r;
    }

    // --- sim internals (not AscendC API) ---
    // Live and in UB (every vector / UB data-movement API).
    void simLive(const char* api, const char* what = "tensor") const { simLiveIn(api, what, sim::MEM_UB); }
    void simLiveIn(const char* api, const char* what, uint32_t mem) const
    {
        sim::CheckTensorLive(api, what, simSlot_, simGen_, simPipeGen_);
        if (simMem_ != mem) {
            sim::Fail(api, sim::Fmt("%s: the tensor is in %s but this API needs it in %s", what, sim::MemName(simMem_),
                                    sim::MemName(mem)));
        }
    }
    uint32_t simAddr_ = 0;     // byte address in the core's UB
    uint32_t simSize_ = 0;     // elements
    uint32_t simBufEnd_ = 0;   // end (byte address) of the underlying buffer
    int simSlot_ = -1;         // queue slot, -1 for TBuf tensors
    uint32_t simGen_ = 0;      // slot generation at allocation
    uint32_t simPipeGen_ = 0;  // 0: not obtained from a TQue/TBuf
    int simQue_ = -1;
    uint8_t simPos_ = 0;
    uint8_t simMem_ = 0;  // sim::Mem
};

template <typename T>
class GlobalTensor {
public:
    using PrimType = T;
    GlobalTensor() = default;
    void SetGlobalBuffer(__gm__ T* buffer, uint64_t bufferSize)
    {
        simAddr_ = reinterpret_cast<uintptr_t>(buffer);
        simSize_ = bufferSize;
        simSized_ = true;
    }
    void SetGlobalBuffer(__gm__ T* buffer)
    {
        simAddr_ = reinterpret_cast<uintptr_t>(buffer);
        simSize_ = 0;
        simSized_ = false;
    }
    GlobalTensor operator[](const uint64_t offset) const
    {
        if (simSized_ && offset > simSize_) {
            sim::Fail("GlobalTensor::operator[]",
                      sim::Fmt("offset %llu is beyond the GlobalTensor size %llu elements",
                               static_cast<unsigned long long>(offset), static_cast<unsigned long long>(simSize_)));
        }
        GlobalTensor r = *this;
        r.simAddr_ = simAddr_ + offset * sizeof(T);
        r.simSize_ = simSized_ ? simSize_ - offset : 0;
        return r;
    }
    T GetValue(const uint64_t offset) const
    {
        const uintptr_t p = simAccess("GlobalTensor::GetValue", offset * sizeof(T), sizeof(T), false);
        T v;
        std::memcpy(static_cast<void*>(&v), reinterpret_cast<const void*>(p), sizeof(T));
        return v;
    }
    void SetValue(const uint64_t offset, T value)  // not const, as in kernel_tensor.h
    {
        const uintptr_t p = simAccess("GlobalTensor::SetValue", offset * sizeof(T), sizeof(T), true);
        std::memcpy(reinterpret_cast<void*>(p), static_cast<const void*>(&value), sizeof(T));
    }
    uint64_t GetSize() const { return simSize_; }
    const __gm__ T* GetPhyAddr() const { return reinterpret_cast<const T*>(simAddr_); }
    __gm__ T* GetPhyAddr(const uint64_t offset) const { return reinterpret_cast<T*>(simAddr_ + offset * sizeof(T)); }
    template <CacheRwMode rwMode = CacheRwMode::RW>
    void SetL2CacheHint(CacheMode mode)
    {
        (void)mode;
    }
#if __NPU_ARCH__ == 3510
    // GlobalTensor::ReinterpretCast exists on 3510/5102 only (kernel_tensor.h).
    template <typename U>
    GlobalTensor<U> ReinterpretCast() const
    {
        GlobalTensor<U> r;
        r.simAddr_ = simAddr_;
        r.simSize_ = simSized_ ? simSize_ * sizeof(T) / sizeof(U) : 0;
        r.simSized_ = simSized_;
        return r;
    }
#endif

    // --- sim internals ---
    // Checks bytes [byteOff, byteOff+len) of this tensor: inside its own size and inside a registered
    // GM buffer (writable if write); returns the host address.
    uintptr_t simAccess(const char* api, uint64_t byteOff, uint64_t len, bool write) const
    {
        if (simAddr_ == 0) {
            sim::Fail(api, "GlobalTensor used before SetGlobalBuffer");
        }
        if (simSized_ && byteOff + len > simSize_ * sizeof(T)) {
            sim::Fail(api, sim::Fmt("GM %s of bytes [%llu, %llu) is outside the GlobalTensor's own size %llu elements "
                                    "(%llu B, SetGlobalBuffer)",
                                    write ? "write" : "read", static_cast<unsigned long long>(byteOff),
                                    static_cast<unsigned long long>(byteOff + len),
                                    static_cast<unsigned long long>(simSize_),
                                    static_cast<unsigned long long>(simSize_ * sizeof(T))));
        }
        const uintptr_t p = simAddr_ + byteOff;
        sim::GmAccess(api, reinterpret_cast<const void*>(p), len, write);
        return p;
    }
    uintptr_t simAddr_ = 0;
    uint64_t simSize_ = 0;
    bool simSized_ = false;
};

// ------------------------------------------------------------------------------------ TPipe & queues
class TPipe;

AK_SIM_API_END
AK_SIM_IMPL_BEGIN
inline TPipe*& PipePtrSlot()
{
    static thread_local TPipe* p = nullptr;
    return p;
}

constexpr uint8_t MemOfPos(TPosition p)
{
    return (p == TPosition::VECIN || p == TPosition::VECOUT || p == TPosition::VECCALC) ? MEM_UB
           : (p == TPosition::A1 || p == TPosition::B1 || p == TPosition::C1)            ? MEM_L1
           : p == TPosition::A2                                                           ? MEM_L0A
           : p == TPosition::B2                                                           ? MEM_L0B
           : p == TPosition::CO1                                                          ? MEM_L0C
                                                                                          : MEM_COUNT;
}

template <typename T>
inline LocalTensor<T> MakeTensor(uint32_t addr, uint32_t bytes, int slot, uint32_t gen, int que, uint8_t pos,
                                 uint8_t mem)
{
    LocalTensor<T> t;
    t.simAddr_ = addr;
    t.simSize_ = bytes / static_cast<uint32_t>(sizeof(T));
    t.simBufEnd_ = addr + bytes;
    t.simSlot_ = slot;
    t.simGen_ = gen;
    t.simPipeGen_ = Core("tensor").pipeGen;
    t.simQue_ = que;
    t.simPos_ = pos;
    t.simMem_ = mem;
    return t;
}
AK_SIM_IMPL_END
AK_SIM_API_BEGIN

template <TPosition src, TPosition dst, int32_t depth, auto mask = 0>
class TQueBind {
public:
    TQueBind() = default;

    // The queue-state APIs carry the real headers' compile-time depth rules (kernel_tquebind_impl.h):
    // the value forms of AllocTensor/DeQue and the queue queries need depth != 0, the in-place forms
    // depth == 0. Depth-0 (in-place) queues are not modelled: they are refused at InitBuffer.
    template <typename T>
    LocalTensor<T> AllocTensor()
    {
        static_assert((depth != 0), "must use AllocTensor<LocalTensor&> api while tque's depth is zero");
        const char* api = "TQue::AllocTensor";
        const int q = simId(api);
        const int slot = sim::QueAlloc(api, q);
        const sim::Slot& s = sim::Core(api).slots[slot];
        return sim::MakeTensor<T>(s.addr, s.len, slot, s.gen, q, static_cast<uint8_t>(src), s.mem);
    }
    template <typename T>
    void AllocTensor(LocalTensor<T>& tensor)
    {
        static_assert((depth == 0), "can not AllocTensor in place while tque's depth is non zero");
        (void)tensor;
        sim::Fail("TQue::AllocTensor(LocalTensor&)", "TQue with depth 0 (in-place queue) is not modelled by the sim");
    }
    template <typename T>
    bool EnQue(const LocalTensor<T>& tensor)
    {
        const char* api = "TQue::EnQue";
        sim::QueEnQue(api, simId(api), tensor.simSlot_, tensor.simGen_);
        return true;
    }
    template <typename T>
    LocalTensor<T> DeQue()
    {
        static_assert((depth != 0), "must use DeQue<LocalTensor&> api while tque's depth is zero");
        const char* api = "TQue::DeQue";
        const int q = simId(api);
        const int slot = sim::QueDeQue(api, q);
        const sim::Slot& s = sim::Core(api).slots[slot];
        return sim::MakeTensor<T>(s.addr, s.len, slot, s.gen, q, static_cast<uint8_t>(dst), s.mem);
    }
    template <typename T>
    void DeQue(LocalTensor<T>& tensor)
    {
        static_assert((depth == 0), "can not DeQue tensor in place while tque's depth is non zero");
        (void)tensor;
        sim::Fail("TQue::DeQue(LocalTensor&)", "TQue with depth 0 (in-place queue) is not modelled by the sim");
    }
    template <typename T>
    void FreeTensor(LocalTensor<T>& tensor)
    {
        const char* api = "TQue::FreeTensor";
        sim::QueFree(api, simId(api), tensor.simSlot_, tensor.simGen_);
    }
    bool VacantInQue()
    {
        static_assert((depth != 0), "VacantInQue api is not supported while depth is zero");
        const sim::QueueState& q = simState("TQue::VacantInQue");
        return static_cast<int>(q.fifo.size()) < q.depth;
    }
    bool HasTensorInQue()
    {
        static_assert((depth != 0), "HasTensorInQue api is not supported while depth is zero");
        return !simState("TQue::HasTensorInQue").fifo.empty();
    }
    int32_t GetTensorCountInQue()
    {
        static_assert((depth != 0), "GetTensorCountInQue api is not supported while depth is zero");
        return static_cast<int32_t>(simState("TQue::GetTensorCountInQue").fifo.size());
    }
    bool HasIdleBuffer()
    {
        static_assert((depth != 0), "HasIdleBuffer api is not supported while depth is zero");
        const char* api = "TQue::HasIdleBuffer";
        const sim::QueueState& q = simState(api);
        for (int s : q.slots) {
            if (sim::Core(api).slots[s].state == sim::SLOT_FREE) {
                return true;
            }
        }
        return false;
    }
    void FreeAllEvent() { static_assert((depth != 0), "can not use FreeAllEvent api while depth is zero"); }

    // --- sim internals ---
    bool simInit(uint8_t num, uint32_t len)
    {
        const char* api = "TPipe::InitBuffer(TQue)";
        if (depth == 0) {
            sim::Fail(api, "TQue with depth 0 (in-place queue) is not modelled by the sim");
        }
        sim::CoreState& c = sim::Core(api);
        const int existing = (simPipeGen_ == c.pipeGen) ? simId_ : -1;
        simId_ = sim::QueInit(api, existing, static_cast<uint8_t>(src), sim::MemOfPos(src), depth, num, len);
        simPipeGen_ = c.pipeGen;
        return true;
    }
    int simId(const char* api)
    {
        sim::CoreState& c = sim::Core(api);
        if (simId_ < 0 || simPipeGen_ != c.pipeGen) {
            sim::Fail(api, "TQue used before TPipe::InitBuffer");
        }
        return simId_;
    }
    const sim::QueueState& simState(const char* api) { return sim::Core(api).queues[simId(api)]; }
    int simId_ = -1;
    uint32_t simPipeGen_ = 0;
};

template <TPosition pos, int32_t depth, auto mask = 0>
class TQue : public TQueBind<pos, pos, depth, mask> {
public:
    TQue() = default;
};

template <TPosition pos = TPosition::LCM>
class TBuf {
public:
    TBuf() = default;
    template <typename T>
    LocalTensor<T> Get()
    {
        const char* api = "TBuf::Get";
        const sim::QueueState& q = simState(api);
        return sim::MakeTensor<T>(q.addr, q.len, -1, 0, simId_, static_cast<uint8_t>(pos), q.mem);
    }
    template <typename T>
    LocalTensor<T> Get(uint32_t len)
    {
        const char* api = "TBuf::Get";
        const sim::QueueState& q = simState(api);
        if (static_cast<uint64_t>(len) * sizeof(T) > q.len) {
            sim::Fail(api, sim::Fmt("len %u elements (%llu B) exceeds the TBuf length %u B", len,
                                    static_cast<unsigned long long>(static_cast<uint64_t>(len) * sizeof(T)), q.len));
        }
        LocalTensor<T> t = sim::MakeTensor<T>(q.addr, q.len, -1, 0, simId_, static_cast<uint8_t>(pos), q.mem);
        t.simSize_ = len;
        return t;
    }
    template <typename T>
    LocalTensor<T> GetWithOffset(uint32_t size, uint32_t bufOffset)
    {
        const char* api = "TBuf::GetWithOffset";
        const sim::QueueState& q = simState(api);
        if (bufOffset % sim::kBlockBytes != 0) {
            sim::Fail(api, sim::Fmt("bufOffset %u B is not 32-byte aligned", bufOffset));
        }
        if (static_cast<uint64_t>(size) * sizeof(T) + bufOffset > q.len) {
            sim::Fail(api, sim::Fmt("size*sizeof(T) + bufOffset = %llu B exceeds the TBuf length %u B",
                                    static_cast<unsigned long long>(static_cast<uint64_t>(size) * sizeof(T) + bufOffset),
                                    q.len));
        }
        LocalTensor<T> t = sim::MakeTensor<T>(q.addr + bufOffset, q.len - bufOffset, -1, 0, simId_,
                                              static_cast<uint8_t>(pos), q.mem);
        t.simSize_ = size;
        return t;
    }

    // --- sim internals ---
    bool simInit(uint32_t len)
    {
        const char* api = "TPipe::InitBuffer(TBuf)";
        sim::CoreState& c = sim::Core(api);
        const int existing = (simPipeGen_ == c.pipeGen) ? simId_ : -1;
        simId_ = sim::BufInit(api, existing, static_cast<uint8_t>(pos), sim::MemOfPos(pos), len);
        simPipeGen_ = c.pipeGen;
        return true;
    }
    const sim::QueueState& simState(const char* api)
    {
        sim::CoreState& c = sim::Core(api);
        if (simId_ < 0 || simPipeGen_ != c.pipeGen) {
            sim::Fail(api, "TBuf used before TPipe::InitBuffer");
        }
        return c.queues[simId_];
    }
    int simId_ = -1;
    uint32_t simPipeGen_ = 0;
};

class TPipe {
public:
    TPipe()
    {
        sim::PipeCreated(this);
        sim::PipePtrSlot() = this;
    }
    ~TPipe()
    {
        sim::PipeDestroyed(this);
        if (sim::PipePtrSlot() == this) {
            sim::PipePtrSlot() = nullptr;
        }
    }
    TPipe(const TPipe&) = delete;
    TPipe& operator=(const TPipe&) = delete;
    void Init() {}
    template <class T>
    bool InitBuffer(T& que, uint8_t num, uint32_t len)
    {
        return que.simInit(num, len);
    }
    template <TPosition pos>
    bool InitBuffer(TBuf<pos>& buf, uint32_t len)
    {
        return buf.simInit(len);
    }
    void Reset() { sim::PipeReset("TPipe::Reset"); }
    void Destroy() {}
    TEventID FetchEventID(HardEvent evt) { return static_cast<TEventID>(sim::EventFetch(static_cast<int>(evt))); }
    template <HardEvent evt>
    TEventID FetchEventID()
    {
        return FetchEventID(evt);
    }
    template <HardEvent evt>
    TEventID AllocEventID()
    {
        return FetchEventID(evt);
    }
    template <HardEvent evt>
    void ReleaseEventID(TEventID id)
    {
        (void)id;
    }
};


// ------------------------------------------------------------------------------------ system
inline int64_t GetBlockIdx()
{
    sim::CoreState* c = sim::CurrentCore();
    return c != nullptr ? static_cast<int64_t>(c->blockIdx) : 0;
}
inline int64_t GetBlockNum()
{
    sim::CoreState* c = sim::CurrentCore();
    return c != nullptr ? static_cast<int64_t>(c->blockNum) : 1;
}
inline int64_t GetSubBlockIdx() { return 0; }
inline int64_t GetSubBlockNum() { return 1; }

// Execution is sequential per core; PIPE_ALL makes every earlier write visible to every pipe (sync
// check), PIPE_V orders the vector instructions before it against those after it (same-pipe check),
// other pipes order only themselves.
template <pipe_t pipe>
inline void PipeBarrier()
{
    if (pipe == PIPE_ALL) {
        sim::PipeBarrierAll();
    } else if (pipe == PIPE_V) {
        sim::PipeBarrierVector();
    }
}

template <HardEvent event>
inline void SetFlag(int32_t eventID)
{
    sim::EventSet("SetFlag", static_cast<int>(event), eventID);
}

template <HardEvent event>
inline void WaitFlag(int32_t eventID)
{
    sim::EventWait("WaitFlag", static_cast<int>(event), eventID);
}

// ------------------------------------------------------------------------------------ operand checks
AK_SIM_API_END
AK_SIM_IMPL_BEGIN

// A vector operand: live, `count` elements inside the tensor, 32-byte aligned start (UB alignment
// rule for vector instructions, asc-devkit docs/zh/api/SIMD-API/通用说明和约束.md).
template <typename T>
inline void Operand(const char* api, const char* what, const LocalTensor<T>& t, uint64_t count, bool read,
                    uint32_t align = kBlockBytes, uint8_t pipe = SP_V)
{
    t.simLive(api, what);
    if (count > t.simSize_) {
        Fail(api, Fmt("%s: %llu elements exceed the tensor size %u elements (out of range, npuchk %s)", what,
                      static_cast<unsigned long long>(count), t.simSize_, read ? "ErrorRead3" : "ErrorWrite3"));
    }
    if (t.simAddr_ % align != 0) {
        Fail(api, Fmt("%s: UB address %u is not %u-byte aligned (npuchk %s)", what, t.simAddr_, align,
                      read ? "ErrorRead4" : "ErrorWrite4"));
    }
    if (read) {
        UbCheckInit(api, what, t.simAddr_, count * sizeof(T), pipe);
    }
}

// dst may alias a source only 100% (same start address) (通用说明和约束: address overlap).
template <typename T, typename U>
inline void NoPartialOverlap(const char* api, const LocalTensor<T>& dst, uint64_t dn, const LocalTensor<U>& src,
                             uint64_t sn, const char* what)
{
    const uint64_t d0 = dst.simAddr_, d1 = d0 + dn * sizeof(T);
    const uint64_t s0 = src.simAddr_, s1 = s0 + sn * sizeof(U);
    if (dn == 0 || sn == 0 || d1 <= s0 || s1 <= d0) {
        return;
    }
    if (d0 == s0 && sizeof(T) == sizeof(U)) {
        return;
    }
    Fail(api, Fmt("dst and %s overlap partially (UB [%llu, %llu) vs [%llu, %llu)); only complete (100%%) aliasing "
                  "of same-size operands is allowed", what, static_cast<unsigned long long>(d0),
                  static_cast<unsigned long long>(d1), static_cast<unsigned long long>(s0),
                  static_cast<unsigned long long>(s1)));
}

inline void CountCheck(const char* api, int64_t count)
{
    if (count < 0) {
        Fail(api, Fmt("count %lld is negative", static_cast<long long>(count)));
    }
}

template <typename T>
inline std::vector<T> LoadN(uint32_t addr, uint64_t n)
{
    std::vector<T> v(n);
    if (n > 0) {
        std::memcpy(static_cast<void*>(v.data()), Core("UB").ub.data() + addr, n * sizeof(T));
    }
    return v;
}

template <typename T>
inline void StoreN(uint32_t addr, const std::vector<T>& v, uint8_t pipe = SP_V, const char* api = "UB write")
{
    if (!v.empty()) {
        std::memcpy(Core("UB").ub.data() + addr, static_cast<const void*>(v.data()), v.size() * sizeof(T));
        UbMarkWritten(addr, v.size() * sizeof(T), pipe, api);
    }
}

// Element arithmetic: float-like types compute in float and round to T (RNE); integers wrap.
template <typename T>
inline T FromF(float f)
{
    return T(f);
}

template <typename T>
inline T WrapInt(int64_t v)
{
    using UT = typename std::make_unsigned<T>::type;
    return static_cast<T>(static_cast<UT>(static_cast<uint64_t>(v)));
}

enum BinOp { OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_MAX, OP_MIN, OP_AND, OP_OR };

template <typename T>
inline T Bin(BinOp op, T a, T b)
{
    if constexpr (kFloatLike<T>) {
        const float x = static_cast<float>(a), y = static_cast<float>(b);
        switch (op) {
            case OP_ADD: return FromF<T>(x + y);
            case OP_SUB: return FromF<T>(x - y);
            case OP_MUL: return FromF<T>(x * y);
            case OP_DIV: return FromF<T>(x / y);
            case OP_MAX: return (std::isnan(x) || std::isnan(y)) ? FromF<T>(NAN) : (x >= y ? a : b);
            case OP_MIN: return (std::isnan(x) || std::isnan(y)) ? FromF<T>(NAN) : (x <= y ? a : b);
            default: break;
        }
        // bitwise ops on float-like types: on the bit patterns
        using Bits = typename std::conditional<sizeof(T) == 2, uint16_t, uint32_t>::type;
        Bits ba, bb;
        std::memcpy(&ba, static_cast<const void*>(&a), sizeof(T));
        std::memcpy(&bb, static_cast<const void*>(&b), sizeof(T));
        const Bits br = op == OP_AND ? static_cast<Bits>(ba & bb) : static_cast<Bits>(ba | bb);
        T r;
        std::memcpy(static_cast<void*>(&r), &br, sizeof(T));
        return r;
    } else {
        switch (op) {
            case OP_ADD: return WrapInt<T>(static_cast<int64_t>(a) + static_cast<int64_t>(b));
            case OP_SUB: return WrapInt<T>(static_cast<int64_t>(a) - static_cast<int64_t>(b));
            case OP_MUL: {
                using UT = typename std::make_unsigned<T>::type;
                return static_cast<T>(static_cast<UT>(static_cast<uint64_t>(static_cast<UT>(a)) *
                                                      static_cast<uint64_t>(static_cast<UT>(b))));
            }
            case OP_DIV:
                if (b == 0) return T(0);
                if (std::is_signed<T>::value && b == static_cast<T>(-1)) return WrapInt<T>(-static_cast<int64_t>(a));
                return static_cast<T>(a / b);
            case OP_MAX: return a >= b ? a : b;
            case OP_MIN: return a <= b ? a : b;
            case OP_AND: return static_cast<T>(a & b);
            case OP_OR: return static_cast<T>(a | b);
        }
        return a;
    }
}

enum UnOp { OP_ABS, OP_EXP, OP_LN, OP_SQRT, OP_RSQRT, OP_RECIP, OP_RELU, OP_NOT };

template <typename T>
inline T Un(UnOp op, T a)
{
    if constexpr (kFloatLike<T>) {
        const float x = static_cast<float>(a);
        switch (op) {
            case OP_ABS: return FromF<T>(std::fabs(x));
            case OP_EXP: return FromF<T>(std::exp(x));
            case OP_LN: return FromF<T>(std::log(x));
            case OP_SQRT: return FromF<T>(std::sqrt(x));
            case OP_RSQRT: {
                const float s = std::sqrt(x);
                return FromF<T>(1.0f / s);
            }
            case OP_RECIP: return FromF<T>(1.0f / x);
            case OP_RELU: return std::isnan(x) ? a : (x > 0.0f ? a : FromF<T>(0.0f));
            case OP_NOT: break;
        }
        using Bits = typename std::conditional<sizeof(T) == 2, uint16_t, uint32_t>::type;
        Bits ba;
        std::memcpy(&ba, static_cast<const void*>(&a), sizeof(T));
        ba = static_cast<Bits>(~ba);
        T r;
        std::memcpy(static_cast<void*>(&r), &ba, sizeof(T));
        return r;
    } else {
        switch (op) {
            case OP_ABS: return a < 0 ? WrapInt<T>(-static_cast<int64_t>(a)) : a;
            case OP_RELU: return a > 0 ? a : T(0);
            case OP_NOT: return static_cast<T>(~a);
            default: return a;
        }
    }
}

// Per-target dtype sets (asc-devkit docs/zh/api/SIMD-API/基础API/Memory矢量计算/<category>/<Op>.md).
constexpr uint32_t kA2Arith = B(DT_I16) | B(DT_F16) | B(DT_I32) | B(DT_F32);
constexpr uint32_t kA2Float = B(DT_F16) | B(DT_F32);
constexpr uint32_t kA2Logic = B(DT_I16) | B(DT_U16);
constexpr uint32_t kA5AddMax = kIntsAll | B(DT_F16) | B(DT_BF16) | B(DT_F32);
constexpr uint32_t kA5Mul = B(DT_I16) | B(DT_U16) | B(DT_F16) | B(DT_BF16) | B(DT_I32) | B(DT_U32) | B(DT_F32) |
                            B(DT_I64) | B(DT_U64);
constexpr uint32_t kA5Div = B(DT_I16) | B(DT_U16) | B(DT_F16) | B(DT_I32) | B(DT_U32) | B(DT_F32) | B(DT_I64) |
                            B(DT_U64);
constexpr uint32_t kA5ScalarAddMax = B(DT_I8) | B(DT_U8) | B(DT_I16) | B(DT_F16) | B(DT_BF16) | B(DT_I32) |
                                     B(DT_F32) | B(DT_I64) | B(DT_U64);
constexpr uint32_t kA5ScalarMul = B(DT_I16) | B(DT_F16) | B(DT_BF16) | B(DT_I32) | B(DT_F32) | B(DT_I64) | B(DT_U64);
constexpr uint32_t kA5Abs = B(DT_I8) | B(DT_I16) | B(DT_F16) | B(DT_I32) | B(DT_F32) | B(DT_I64);
constexpr uint32_t kA2Relu = B(DT_F16) | B(DT_I32) | B(DT_F32);
constexpr uint32_t kA5Relu = kA2Relu | B(DT_I64);
constexpr uint32_t kA5Logic = kIntsAll;
constexpr uint32_t kA5Not = kIntsAll | B(DT_F16) | B(DT_F32);
constexpr uint32_t kA2Shift = B(DT_I16) | B(DT_U16) | B(DT_I32) | B(DT_U32);
constexpr uint32_t kA2Dup = B(DT_I16) | B(DT_U16) | B(DT_F16) | B(DT_BF16) | B(DT_I32) | B(DT_U32) | B(DT_F32);
constexpr uint32_t kA5Dup = kA2Dup | B(DT_BOOL) | B(DT_I8) | B(DT_U8) | B(DT_I64) | B(DT_U64) | kFp8s;
constexpr uint32_t kA5Sel = kIntsAll | B(DT_F16) | B(DT_BF16) | B(DT_F32);
constexpr uint32_t kA5RedMax = B(DT_I16) | B(DT_U16) | B(DT_F16) | B(DT_I32) | B(DT_U32) | B(DT_F32);
constexpr uint32_t kA5RedSum = B(DT_F16) | B(DT_F32) | B(DT_I32) | B(DT_U32);
constexpr uint32_t kA5Brcb = kIntsAll | B(DT_F16) | B(DT_BF16) | B(DT_F32);

template <typename T>
inline void BinaryCount(const char* api, BinOp op, uint32_t a2, uint32_t a5, const char* doc, const LocalTensor<T>& dst,
                        const LocalTensor<T>& src0, const LocalTensor<T>& src1, int32_t count)
{
    DtCheck(api, DtOf<T>(), a2, a5, doc);
    CountCheck(api, count);
    Operand(api, "src0", src0, count, true);
    Operand(api, "src1", src1, count, true);
    Operand(api, "dst", dst, count, false);
    NoPartialOverlap(api, dst, count, src0, count, "src0");
    NoPartialOverlap(api, dst, count, src1, count, "src1");
    std::vector<T> x = LoadN<T>(src0.simAddr_, count);
    const std::vector<T> y = LoadN<T>(src1.simAddr_, count);
    for (int32_t i = 0; i < count; ++i) {
        x[i] = Bin<T>(op, x[i], y[i]);
    }
    StoreN<T>(dst.simAddr_, x, sim::SP_V, api);
    CountVec(1, static_cast<uint64_t>(count));
}

template <typename T>
inline void ScalarCount(const char* api, BinOp op, uint32_t a2, uint32_t a5, const char* doc, const LocalTensor<T>& dst,
                        const LocalTensor<T>& src, const T& scalar, int32_t count)
{
    DtCheck(api, DtOf<T>(), a2, a5, doc);
    CountCheck(api, count);
    Operand(api, "src", src, count, true);
    Operand(api, "dst", dst, count, false);
    NoPartialOverlap(api, dst, count, src, count, "src");
    std::vector<T> x = LoadN<T>(src.simAddr_, count);
    for (int32_t i = 0; i < count; ++i) {
        x[i] = Bin<T>(op, x[i], scalar);
    }
    StoreN<T>(dst.simAddr_, x, sim::SP_V, api);
    CountVec(1, static_cast<uint64_t>(count));
}

template <typename T>
inline void UnaryCount(const char* api, UnOp op, uint32_t a2, uint32_t a5, const char* doc, const LocalTensor<T>& dst,
                       const LocalTensor<T>& src, int32_t count)
{
    DtCheck(api, DtOf<T>(), a2, a5, doc);
    CountCheck(api, count);
    Operand(api, "src", src, count, true);
    Operand(api, "dst", dst, count, false);
    NoPartialOverlap(api, dst, count, src, count, "src");
    std::vector<T> x = LoadN<T>(src.simAddr_, count);
    for (int32_t i = 0; i < count; ++i) {
        x[i] = Un<T>(op, x[i]);
    }
    StoreN<T>(dst.simAddr_, x, sim::SP_V, api);
    CountVec(1, static_cast<uint64_t>(count));
}

AK_SIM_IMPL_END
AK_SIM_API_BEGIN

// ------------------------------------------------------------------------------------ vector: binary
#define AK_SIM_BINARY(NAME, OP, A2, A5, DOC)                                                                   \
    template <typename T>                                                                                      \
    inline void NAME(const LocalTensor<T>& dst, const LocalTensor<T>& src0, const LocalTensor<T>& src1,        \
                     const int32_t& count)                                                                     \
    {                                                                                                          \
        sim::BinaryCount<T>(#NAME, sim::OP, A2, A5, DOC, dst, src0, src1, count);                              \
    }

AK_SIM_BINARY(Add, OP_ADD, sim::kA2Arith, sim::kA5AddMax, "asc-devkit Memory矢量计算/基础算术/Add.md")
AK_SIM_BINARY(Sub, OP_SUB, sim::kA2Arith, sim::kA5AddMax, "asc-devkit Memory矢量计算/基础算术/Sub.md")
AK_SIM_BINARY(Mul, OP_MUL, sim::kA2Arith, sim::kA5Mul, "asc-devkit Memory矢量计算/基础算术/Mul.md")
AK_SIM_BINARY(Div, OP_DIV, sim::kA2Float, sim::kA5Div, "asc-devkit Memory矢量计算/基础算术/Div.md")
AK_SIM_BINARY(Max, OP_MAX, sim::kA2Arith, sim::kA5AddMax, "asc-devkit Memory矢量计算/基础算术/Max.md")
AK_SIM_BINARY(Min, OP_MIN, sim::kA2Arith, sim::kA5AddMax, "asc-devkit Memory矢量计算/基础算术/Min.md")
AK_SIM_BINARY(And, OP_AND, sim::kA2Logic, sim::kA5Logic, "asc-devkit Memory矢量计算/逻辑计算/And.md")
AK_SIM_BINARY(Or, OP_OR, sim::kA2Logic, sim::kA5Logic, "asc-devkit Memory矢量计算/逻辑计算/Or.md")
#undef AK_SIM_BINARY

// MulAddDst (asc-devkit Memory矢量计算/复合计算/MulAddDst.md): dst = src0 * src1 + dst, count form.
// The sim models float operands only, as one fused multiply-add (one rounding): the doc gives the
// formula but not its rounding; ops-nn's Newton-Raphson rstd (norm/norm_common/op_kernel/
// reduce_common_regbase.h, ComputeRstdNewtonRaphsonReg) forms the residual 1 - var * r with it,
// which only means something fused. docs/sim.md lists this as an assumption.
template <typename T, typename U>
inline void MulAddDst(const LocalTensor<T>& dst, const LocalTensor<U>& src0, const LocalTensor<U>& src1,
                      const int32_t& count)
{
    const char* api = "MulAddDst";
    if (!std::is_same<T, float>::value || !std::is_same<U, float>::value) {
        sim::Fail(api, sim::Fmt("dst %s, src %s: the sim models float operands only",
                                sim::DtName(sim::DtOf<T>()), sim::DtName(sim::DtOf<U>())));
    }
    sim::CountCheck(api, count);
    sim::Operand(api, "src0", src0, count, true);
    sim::Operand(api, "src1", src1, count, true);
    sim::Operand(api, "dst", dst, count, true);
    sim::NoPartialOverlap(api, dst, count, src0, count, "src0");
    sim::NoPartialOverlap(api, dst, count, src1, count, "src1");
    const std::vector<U> a = sim::LoadN<U>(src0.simAddr_, count);
    const std::vector<U> b = sim::LoadN<U>(src1.simAddr_, count);
    std::vector<T> d = sim::LoadN<T>(dst.simAddr_, count);
    for (int32_t i = 0; i < count; ++i) {
        d[i] = static_cast<T>(std::fma(static_cast<float>(a[i]), static_cast<float>(b[i]), static_cast<float>(d[i])));
    }
    sim::StoreN<T>(dst.simAddr_, d, sim::SP_V, api);
    sim::CountVec(1, static_cast<uint64_t>(count));
}

// ------------------------------------------------------------------------------------ vector: scalar
#define AK_SIM_SCALAR(NAME, OP, A2, A5, DOC)                                                                   \
    template <typename T, bool isSetMask = true>                                                               \
    inline void NAME(const LocalTensor<T>& dst, const LocalTensor<T>& src, const T& scalarValue,               \
                     const int32_t& count)                                                                     \
    {                                                                                                          \
        sim::ScalarCount<T>(#NAME, sim::OP, A2, A5, DOC, dst, src, scalarValue, count);                        \
    }

AK_SIM_SCALAR(Adds, OP_ADD, sim::kA2Arith, sim::kA5ScalarAddMax, "asc-devkit Memory矢量计算/基础算术/Adds.md")
AK_SIM_SCALAR(Muls, OP_MUL, sim::kA2Arith, sim::kA5ScalarMul, "asc-devkit Memory矢量计算/基础算术/Muls.md")
AK_SIM_SCALAR(Maxs, OP_MAX, sim::kA2Arith, sim::kA5ScalarAddMax, "asc-devkit Memory矢量计算/基础算术/Maxs.md")
AK_SIM_SCALAR(Mins, OP_MIN, sim::kA2Arith, sim::kA5ScalarAddMax, "asc-devkit Memory矢量计算/基础算术/Mins.md")
#undef AK_SIM_SCALAR

AK_SIM_API_END
AK_SIM_IMPL_BEGIN
template <typename T>
inline void ShiftCount(const char* api, bool left, const LocalTensor<T>& dst, const LocalTensor<T>& src,
                       const T& scalarValue, int32_t count)
{
    const char* doc = left ? "asc-devkit Memory矢量计算/逻辑计算/ShiftLeft.md" : "asc-devkit Memory矢量计算/逻辑计算/ShiftRight.md";
    DtCheck(api, DtOf<T>(), kA2Shift, kA5Logic, doc);
    CountCheck(api, count);
    const int64_t sh = static_cast<int64_t>(scalarValue);
    const int64_t bits = static_cast<int64_t>(sizeof(T) * 8);
    if (CurTarget() == TARGET_A2) {
        if (sh < 0 || sh > bits) {
            Fail(api, Fmt("shift %lld outside [0, %lld] for a %lld-bit type on a2 (%s)", static_cast<long long>(sh),
                          static_cast<long long>(bits), static_cast<long long>(bits), doc));
        }
    } else if (sh < 0) {
        Fail(api, Fmt("negative shift %lld (%s)", static_cast<long long>(sh), doc));
    }
    Operand(api, "src", src, count, true);
    Operand(api, "dst", dst, count, false);
    NoPartialOverlap(api, dst, count, src, count, "src");
    using UT = typename std::make_unsigned<T>::type;
    std::vector<T> x = LoadN<T>(src.simAddr_, count);
    for (int32_t i = 0; i < count; ++i) {
        if (left) {
            x[i] = sh >= bits ? T(0) : static_cast<T>(static_cast<UT>(static_cast<UT>(x[i]) << sh));
        } else if (std::is_signed<T>::value) {
            const int64_t v = static_cast<int64_t>(x[i]);
            x[i] = static_cast<T>(sh >= bits ? (v < 0 ? -1 : 0) : (v >> sh));
        } else {
            x[i] = sh >= bits ? T(0) : static_cast<T>(static_cast<UT>(x[i]) >> sh);
        }
    }
    StoreN<T>(dst.simAddr_, x, sim::SP_V, api);
    CountVec(1, static_cast<uint64_t>(count));
}
AK_SIM_IMPL_END
AK_SIM_API_BEGIN

template <typename T, bool isSetMask = true>
inline void ShiftLeft(const LocalTensor<T>& dst, const LocalTensor<T>& src, const T& scalarValue, const int32_t& count)
{
    sim::ShiftCount<T>("ShiftLeft", true, dst, src, scalarValue, count);
}
template <typename T, bool isSetMask = true>
inline void ShiftRight(const LocalTensor<T>& dst, const LocalTensor<T>& src, const T& scalarValue, const int32_t& count)
{
    sim::ShiftCount<T>("ShiftRight", false, dst, src, scalarValue, count);
}

// ------------------------------------------------------------------------------------ vector: unary
#define AK_SIM_UNARY(NAME, OP, A2, A5, DOC)                                                                    \
    template <typename T>                                                                                      \
    inline void NAME(const LocalTensor<T>& dst, const LocalTensor<T>& src, const int32_t& count)               \
    {                                                                                                          \
        sim::UnaryCount<T>(#NAME, sim::OP, A2, A5, DOC, dst, src, count);                                      \
    }

AK_SIM_UNARY(Abs, OP_ABS, sim::kA2Float, sim::kA5Abs, "asc-devkit Memory矢量计算/基础算术/Abs.md")
AK_SIM_UNARY(Exp, OP_EXP, sim::kA2Float, sim::kA2Float, "asc-devkit Memory矢量计算/基础算术/Exp.md")
AK_SIM_UNARY(Ln, OP_LN, sim::kA2Float, sim::kA2Float, "asc-devkit Memory矢量计算/基础算术/Ln.md")
AK_SIM_UNARY(Sqrt, OP_SQRT, sim::kA2Float, sim::kA2Float, "asc-devkit Memory矢量计算/基础算术/Sqrt.md")
AK_SIM_UNARY(Rsqrt, OP_RSQRT, sim::kA2Float, sim::kA2Float, "asc-devkit Memory矢量计算/基础算术/Rsqrt.md")
AK_SIM_UNARY(Reciprocal, OP_RECIP, sim::kA2Float, sim::kA2Float, "asc-devkit Memory矢量计算/基础算术/Reciprocal.md")
AK_SIM_UNARY(Relu, OP_RELU, sim::kA2Relu, sim::kA5Relu, "asc-devkit Memory矢量计算/基础算术/Relu.md")
AK_SIM_UNARY(Not, OP_NOT, sim::kA2Logic, sim::kA5Not, "asc-devkit Memory矢量计算/逻辑计算/Not.md")
#undef AK_SIM_UNARY

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

// ------------------------------------------------------------------------------------ Duplicate
template <typename T>
inline void Duplicate(const LocalTensor<T>& dst, const T& scalarValue, const int32_t& count)
{
    const char* api = "Duplicate";
    sim::DtCheck(api, sim::DtOf<T>(), sim::kA2Dup, sim::kA5Dup, "asc-devkit Memory矢量计算/数据填充/Duplicate.md");
    sim::CountCheck(api, count);
    sim::Operand(api, "dst", dst, count, false);
    std::vector<T> x(static_cast<size_t>(count), scalarValue);
    sim::StoreN<T>(dst.simAddr_, x, sim::SP_V, api);
    sim::CountVec(1, static_cast<uint64_t>(count));
}

// ------------------------------------------------------------------------------------ Cast
AK_SIM_API_END
AK_SIM_IMPL_BEGIN

constexpr uint32_t RM(RoundMode m) { return 1u << static_cast<uint32_t>(m); }
constexpr uint32_t kRmAll5 = RM(RoundMode::CAST_RINT) | RM(RoundMode::CAST_FLOOR) | RM(RoundMode::CAST_CEIL) |
                             RM(RoundMode::CAST_ROUND) | RM(RoundMode::CAST_TRUNC);
constexpr uint32_t kRmNone = RM(RoundMode::CAST_NONE);
constexpr uint32_t kRmRint = RM(RoundMode::CAST_RINT);

struct CastRule {
    Dt src, dst;
    uint32_t modes;
};

// asc-devkit docs/zh/api/SIMD-API/基础API/Memory矢量计算/类型转换/Cast.md, table
// "Atlas A2 训练系列产品/Atlas A2 推理系列产品支持的数据类型组合情况" (int4b_t rows and int32->half,
// which needs SetDeqScale, are not modelled).
inline const std::vector<CastRule>& CastTableA2()
{
    static const std::vector<CastRule> t = {
        {DT_I8, DT_F16, kRmNone},
        {DT_U8, DT_F16, kRmNone},
        {DT_I16, DT_F16, kRmAll5 | kRmNone},
        {DT_I16, DT_F32, kRmNone},
        {DT_F16, DT_I8, kRmAll5 | kRmNone},
        {DT_F16, DT_U8, kRmAll5 | kRmNone},
        {DT_F16, DT_I16, kRmAll5},
        {DT_F16, DT_I32, kRmAll5},
        {DT_F16, DT_F32, kRmNone},
        {DT_BF16, DT_I32, kRmAll5},
        {DT_BF16, DT_F32, kRmNone},
        {DT_I32, DT_I16, kRmNone},
        {DT_I32, DT_F32, kRmAll5 | kRmNone},
        {DT_I32, DT_I64, kRmNone},
        {DT_F32, DT_I16, kRmAll5},
        {DT_F32, DT_F16, kRmAll5 | RM(RoundMode::CAST_ODD) | kRmNone},
        {DT_F32, DT_BF16, kRmAll5},
        {DT_F32, DT_I32, kRmAll5},
        {DT_F32, DT_F32, kRmAll5},
        {DT_F32, DT_I64, kRmAll5},
        {DT_I64, DT_I32, kRmNone},
        {DT_I64, DT_F32, kRmAll5},
    };
    return t;
}

// Same doc, table "Ascend 950PR/Ascend 950DT支持的数据类型组合情况" (int4/fp4/hifloat8/complex/double
// rows not modelled).
inline const std::vector<CastRule>& CastTableA5()
{
    static const std::vector<CastRule> t = {
        {DT_I8, DT_I16, kRmNone},
        {DT_I8, DT_F16, kRmNone},
        {DT_I8, DT_I32, kRmNone},
        {DT_U8, DT_U16, kRmNone},
        {DT_U8, DT_F16, kRmNone},
        {DT_U8, DT_U32, kRmNone},
        {DT_E5M2, DT_F32, kRmNone},
        {DT_E4M3, DT_F32, kRmNone},
        {DT_I16, DT_U8, kRmNone},
        {DT_I16, DT_F16, kRmAll5},
        {DT_I16, DT_I32, kRmNone},
        {DT_I16, DT_U32, kRmNone},
        {DT_I16, DT_F32, kRmNone},
        {DT_U16, DT_U8, kRmNone},
        {DT_U16, DT_U32, kRmNone},
        {DT_F16, DT_I8, kRmAll5},
        {DT_F16, DT_U8, kRmAll5},
        {DT_F16, DT_I16, kRmAll5},
        {DT_F16, DT_BF16, kRmAll5},
        {DT_F16, DT_I32, kRmAll5},
        {DT_F16, DT_F32, kRmNone},
        {DT_BF16, DT_F16, kRmAll5},
        {DT_BF16, DT_I32, kRmAll5},
        {DT_BF16, DT_F32, kRmNone},
        {DT_I32, DT_U8, kRmNone},
        {DT_I32, DT_I16, kRmNone},
        {DT_I32, DT_U16, kRmNone},
        {DT_I32, DT_F32, kRmAll5},
        {DT_I32, DT_I64, kRmNone},
        {DT_U32, DT_U8, kRmNone},
        {DT_U32, DT_I16, kRmNone},
        {DT_U32, DT_U16, kRmNone},
        {DT_F32, DT_E5M2, kRmRint},
        {DT_F32, DT_E4M3, kRmRint},
        {DT_F32, DT_I16, kRmAll5},
        {DT_F32, DT_F16, kRmAll5 | RM(RoundMode::CAST_ODD) | kRmNone},
        {DT_F32, DT_BF16, kRmAll5},
        {DT_F32, DT_I32, kRmAll5},
        {DT_F32, DT_F32, kRmAll5},
        {DT_F32, DT_I64, kRmAll5},
        {DT_I64, DT_I32, kRmNone},
        {DT_I64, DT_F32, kRmAll5},
    };
    return t;
}

inline const char* RoundModeName(RoundMode m)
{
    switch (m) {
        case RoundMode::CAST_NONE: return "CAST_NONE";
        case RoundMode::CAST_RINT: return "CAST_RINT";
        case RoundMode::CAST_FLOOR: return "CAST_FLOOR";
        case RoundMode::CAST_CEIL: return "CAST_CEIL";
        case RoundMode::CAST_ROUND: return "CAST_ROUND";
        case RoundMode::CAST_TRUNC: return "CAST_TRUNC";
        case RoundMode::CAST_ODD: return "CAST_ODD";
        default: return "(other)";
    }
}

inline RoundKind KindOf(RoundMode m)
{
    switch (m) {
        case RoundMode::CAST_FLOOR: return RK_FLOOR;
        case RoundMode::CAST_CEIL: return RK_CEIL;
        case RoundMode::CAST_ROUND: return RK_ROUND;
        case RoundMode::CAST_TRUNC: return RK_TRUNC;
        case RoundMode::CAST_ODD: return RK_ODD;
        default: return RK_RINT;  // CAST_NONE (lossy) and CAST_RINT
    }
}

inline constexpr SmallFloatFmt kFmtF32{8, 23, true, 0x7FC00000u, 3.4028234663852886e38, false};

template <typename U>
inline double ToDouble(const U& v)
{
    if constexpr (std::is_same<U, fp8_e4m3fn_t>::value || std::is_same<U, fp8_e5m2_t>::value ||
                  std::is_same<U, half>::value || std::is_same<U, bfloat16_t>::value) {
        return static_cast<double>(static_cast<float>(v));
    } else {
        return static_cast<double>(v);
    }
}

// Rounds x to an integer value with the given rounding.
inline double RoundToInt(double x, RoundKind rk)
{
    const bool neg = std::signbit(x);
    const double a = std::fabs(x);
    double n = std::floor(a);
    if (RoundUp(n, a - n, neg, rk)) {
        n += 1.0;
    }
    return neg ? -n : n;
}

template <typename T, typename U>
inline T ConvertOne(const U& s, RoundKind rk)
{
    // exact widenings and the common RINT narrowings: fast paths
    if constexpr (std::is_same<T, float>::value &&
                  (std::is_same<U, half>::value || std::is_same<U, bfloat16_t>::value ||
                   std::is_same<U, fp8_e4m3fn_t>::value || std::is_same<U, fp8_e5m2_t>::value)) {
        (void)rk;
        return static_cast<float>(s);
    } else if constexpr ((std::is_same<T, half>::value || std::is_same<T, bfloat16_t>::value) &&
                         std::is_same<U, float>::value) {
        if (rk == RK_RINT) {
            return T(s);
        }
    }
    const double v = ToDouble<U>(s);
    if constexpr (std::is_same<T, fp8_e4m3fn_t>::value || std::is_same<T, fp8_e5m2_t>::value) {
        // The saturating float -> fp8 conversion (asc-devkit Reg矢量计算/类型转换/Cast.md, table 4,
        // "float to float, saturating mode": NaN gives 0, values beyond the largest finite one give
        // +-max; Memory Cast overflows in saturating mode by default, 数据结构/precision_conversion.md).
        // So NaN -> 0x00 and +-inf -> +-max in both formats.
        if (std::isnan(v)) {
            T r;
            r.bits_ = 0;
            return r;
        }
        if (std::isinf(v)) {
            T r;
            const uint8_t maxBits = std::is_same<T, fp8_e4m3fn_t>::value ? 0x7E : 0x7B;
            r.bits_ = static_cast<uint8_t>(maxBits | (v < 0 ? 0x80 : 0x00));
            return r;
        }
    }
    if constexpr (std::is_same<T, half>::value) {
        return half::FromBits(static_cast<uint16_t>(RoundSmallFloat(v, kFmtHalf, rk)));
    } else if constexpr (std::is_same<T, bfloat16_t>::value) {
        return bfloat16_t::FromBits(static_cast<uint16_t>(RoundSmallFloat(v, kFmtBf16, rk)));
    } else if constexpr (std::is_same<T, fp8_e4m3fn_t>::value) {
        fp8_e4m3fn_t r;
        r.bits_ = static_cast<uint8_t>(RoundSmallFloat(v, kFmtE4M3, rk));
        return r;
    } else if constexpr (std::is_same<T, fp8_e5m2_t>::value) {
        fp8_e5m2_t r;
        r.bits_ = static_cast<uint8_t>(RoundSmallFloat(v, kFmtE5M2, rk));
        return r;
    } else if constexpr (std::is_same<T, float>::value) {
        if (std::is_same<U, float>::value) {
            // float -> float: round to an integral value
            return std::isnan(v) || std::isinf(v) ? static_cast<float>(v) : static_cast<float>(RoundToInt(v, rk));
        }
        const uint32_t bits = RoundSmallFloat(v, kFmtF32, rk);
        float f;
        std::memcpy(&f, &bits, 4);
        return f;
    } else {
        static_assert(std::is_integral<T>::value, "Cast to an unsupported type");
        // to integer: round, then saturate; NaN -> 0 (asc-devkit precision_conversion.md: overflow saturates)
        if (std::isnan(v)) {
            return T(0);
        }
        const double r = sim::kFloatLike<U> || std::is_same<U, fp8_e4m3fn_t>::value ||
                                 std::is_same<U, fp8_e5m2_t>::value
                             ? RoundToInt(v, rk)
                             : v;
        const double lo = static_cast<double>(std::numeric_limits<T>::min());
        const double hi = static_cast<double>(std::numeric_limits<T>::max());
        if (r <= lo) return std::numeric_limits<T>::min();
        if (r >= hi) return std::numeric_limits<T>::max();
        if constexpr (std::is_integral<U>::value) {
            return static_cast<T>(s);  // in range: exact
        }
        return static_cast<T>(r);
    }
}

AK_SIM_IMPL_END
AK_SIM_API_BEGIN

template <typename T, typename U>
inline void Cast(const LocalTensor<T>& dst, const LocalTensor<U>& src, const RoundMode& roundMode, const uint32_t count)
{
    const char* api = "Cast";
    sim::CoreState& c = sim::Core(api);
    const sim::Dt sd = sim::DtOf<U>(), dd = sim::DtOf<T>();
    const std::vector<sim::CastRule>& table = c.target == sim::TARGET_A5 ? sim::CastTableA5() : sim::CastTableA2();
    const char* doc = "asc-devkit Memory矢量计算/类型转换/Cast.md";
    bool pair = false;
    uint32_t modes = 0;
    for (const sim::CastRule& r : table) {
        if (r.src == sd && r.dst == dd) {
            pair = true;
            modes = r.modes;
        }
    }
    if (!pair) {
        sim::Fail(api, sim::Fmt("%s -> %s is not a supported conversion on %s (%s)", sim::DtName(sd), sim::DtName(dd),
                                sim::TargetName(c.target), doc));
    }
    if ((modes & sim::RM(roundMode)) == 0) {
        sim::Fail(api, sim::Fmt("%s -> %s does not support RoundMode::%s on %s (%s)", sim::DtName(sd), sim::DtName(dd),
                                sim::RoundModeName(roundMode), sim::TargetName(c.target), doc));
    }
    sim::Operand(api, "src", src, count, true);
    sim::Operand(api, "dst", dst, count, false);
    sim::NoPartialOverlap(api, dst, count, src, count, "src");
    const std::vector<U> x = sim::LoadN<U>(src.simAddr_, count);
    std::vector<T> y(count);
    const sim::RoundKind rk = sim::KindOf(roundMode);
    for (uint32_t i = 0; i < count; ++i) {
        y[i] = sim::ConvertOne<T, U>(x[i], rk);
    }
    sim::StoreN<T>(dst.simAddr_, y, sim::SP_V, api);
    sim::CountVec(1, count);
}

// ------------------------------------------------------------------------------------ Compare/Select
AK_SIM_API_END
AK_SIM_IMPL_BEGIN
template <typename T>
inline bool CmpOne(CMPMODE m, T a, T b)
{
    const double x = ToDouble<T>(a), y = ToDouble<T>(b);
    switch (m) {
        case CMPMODE::LT: return x < y;
        case CMPMODE::GT: return x > y;
        case CMPMODE::EQ: return x == y;
        case CMPMODE::LE: return x <= y;
        case CMPMODE::GE: return x >= y;
        case CMPMODE::NE: return x != y;
    }
    return false;
}

// Compare (tensor-tensor, dst int8_t/uint8_t) and Compares (tensor-scalar, dst uint8_t only): the same
// bit-mask result, one bit per element, LSB first (Compare.md, Compares.md).
template <typename T, typename U>
inline void CompareImpl(const char* api, const char* doc, uint32_t dstTypes, const LocalTensor<U>& dst,
                        const LocalTensor<T>& src0, const LocalTensor<T>* src1, T scalar, CMPMODE cmpMode,
                        uint32_t count)
{
    const Dt d = DtOf<T>();
    DtCheck(api, d, kA2Float | B(DT_I32), kIntsAll | B(DT_F16) | B(DT_BF16) | B(DT_F32), doc);
    if (CurTarget() == TARGET_A2 && d == DT_I32 && cmpMode != CMPMODE::EQ) {
        Fail(api, Fmt("int32_t supports only CMPMODE::EQ on a2 (%s)", doc));
    }
    DtCheck(api, DtOf<U>(), dstTypes, dstTypes, doc);
    if ((static_cast<uint64_t>(count) * sizeof(T)) % kRepeatBytes != 0) {
        Fail(api, Fmt("count*sizeof(T) = %llu B is not a multiple of 256 B (only whole 256-B repeats are compared; "
                      "%s)", static_cast<unsigned long long>(static_cast<uint64_t>(count) * sizeof(T)), doc));
    }
    Operand(api, "src0", src0, count, true);
    if (src1 != nullptr) {
        Operand(api, "src1", *src1, count, true);
    }
    const uint64_t outBytes = count / 8;
    Operand(api, "dst", dst, (outBytes + sizeof(U) - 1) / sizeof(U), false);
    const std::vector<T> x = LoadN<T>(src0.simAddr_, count);
    std::vector<T> y;
    if (src1 != nullptr) {
        y = LoadN<T>(src1->simAddr_, count);
    }
    std::vector<uint8_t> bits(outBytes, 0);
    for (uint32_t i = 0; i < count; ++i) {
        if (CmpOne<T>(cmpMode, x[i], src1 != nullptr ? y[i] : scalar)) {
            bits[i / 8] = static_cast<uint8_t>(bits[i / 8] | (1u << (i % 8)));
        }
    }
    StoreN<uint8_t>(dst.simAddr_, bits, sim::SP_V, api);
    CountVec(1, count);
}

template <typename T, typename U>
inline void SelectImpl(const char* api, const LocalTensor<T>& dst, const LocalTensor<U>& selMask,
                       const LocalTensor<T>& src0, const LocalTensor<T>* src1, T scalar, SELMODE selMode,
                       uint32_t count)
{
    const char* doc = "asc-devkit Memory矢量计算/比较与选择/Select.md";
    DtCheck(api, DtOf<T>(), kA2Float, kA5Sel, doc);
    if (selMode == SELMODE::VSEL_CMPMASK_SPR) {
        Fail(api, "SELMODE::VSEL_CMPMASK_SPR (mask from the CMPMASK register) is not modelled by the sim");
    }
    if (src1 != nullptr && selMode != SELMODE::VSEL_TENSOR_TENSOR_MODE) {
        Fail(api, "tensor-tensor Select needs SELMODE::VSEL_TENSOR_TENSOR_MODE");
    }
    if (src1 == nullptr && selMode != SELMODE::VSEL_TENSOR_SCALAR_MODE) {
        Fail(api, "tensor-scalar Select needs SELMODE::VSEL_TENSOR_SCALAR_MODE");
    }
    const uint64_t maskBytes = (static_cast<uint64_t>(count) + 7) / 8;
    const uint64_t maskElems = (maskBytes + sizeof(U) - 1) / sizeof(U);
    Operand(api, "selMask", selMask, maskElems, false);
    UbCheckInit(api, "selMask", selMask.simAddr_, maskBytes);
    Operand(api, "src0", src0, count, true);
    if (src1 != nullptr) {
        Operand(api, "src1", *src1, count, true);
    }
    Operand(api, "dst", dst, count, false);
    NoPartialOverlap(api, dst, count, src0, count, "src0");
    if (src1 != nullptr) {
        NoPartialOverlap(api, dst, count, *src1, count, "src1");
    }
    const std::vector<uint8_t> m = LoadN<uint8_t>(selMask.simAddr_, maskBytes);
    std::vector<T> x = LoadN<T>(src0.simAddr_, count);
    std::vector<T> y;
    if (src1 != nullptr) {
        y = LoadN<T>(src1->simAddr_, count);
    }
    for (uint32_t i = 0; i < count; ++i) {
        const bool bit = ((m[i / 8] >> (i % 8)) & 1u) != 0;
        if (!bit) {
            x[i] = src1 != nullptr ? y[i] : scalar;
        }
    }
    StoreN<T>(dst.simAddr_, x, sim::SP_V, api);
    CountVec(1, count);
}
AK_SIM_IMPL_END
AK_SIM_API_BEGIN

template <typename T, typename U>
inline void Compare(const LocalTensor<U>& dst, const LocalTensor<T>& src0, const LocalTensor<T>& src1, CMPMODE cmpMode,
                    uint32_t count)
{
    sim::CompareImpl<T, U>("Compare", "asc-devkit Memory矢量计算/比较与选择/Compare.md", sim::B(sim::DT_U8) | sim::B(sim::DT_I8),
                           dst, src0, &src1, T(0), cmpMode, count);
}

// The tensor-scalar compare is Compares; there is no Compare(dst, src0, scalar, mode, count) in the
// real API (kernel_operator_vec_cmpsel_intf.h), so the sim has none either.
template <typename T, typename U>
inline void Compares(const LocalTensor<U>& dst, const LocalTensor<T>& src0, const T src1Scalar, CMPMODE cmpMode,
                     uint32_t count)
{
    sim::CompareImpl<T, U>("Compares", "asc-devkit Memory矢量计算/比较与选择/Compares.md", sim::B(sim::DT_U8), dst, src0,
                           nullptr, src1Scalar, cmpMode, count);
}

template <typename T, typename U>
inline void Select(const LocalTensor<T>& dst, const LocalTensor<U>& selMask, const LocalTensor<T>& src0,
                   const LocalTensor<T>& src1, SELMODE selMode, uint32_t count)
{
    sim::SelectImpl<T, U>("Select", dst, selMask, src0, &src1, T(0), selMode, count);
}

template <typename T, typename U>
inline void Select(const LocalTensor<T>& dst, const LocalTensor<U>& selMask, const LocalTensor<T>& src0, T src1,
                   SELMODE selMode, uint32_t count)
{
    sim::SelectImpl<T, U>("Select(scalar)", dst, selMask, src0, nullptr, src1, selMode, count);
}

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


// ------------------------------------------------------------------------------------ cube subset
// CONTRACT.md section 5: DataCopy(L1 <- GM, Nd2NzParams), LoadData(L0A/L0B <- L1, LoadData2DParams),
// Mmad(L0C, L0A, L0B, MmadParams), Fixpipe(GM <- L0C, FixpipeParamsV220). Layouts (asc-devkit
// 矩阵计算（ISASI）/矩阵计算分形介绍/关键分形格式详解.md): a fractal is 16 rows x C0 (= 32 B) elements,
// 512 B; L1 holds Nz (column blocks of fractals); L0A holds Zz on a2 and Nz on a5; L0B holds Zn;
// L0C holds Nz with 16x16 fractals of float/int32.
struct Nd2NzParams {
    Nd2NzParams() {}
#if __NPU_ARCH__ == 3510
    Nd2NzParams(const uint16_t ndNumIn, const uint16_t nValueIn, const uint32_t dValueIn,
                const uint64_t srcNdMatrixStrideIn, const uint64_t srcDValueIn, const uint16_t dstNzC0StrideIn,
                const uint16_t dstNzNStrideIn, const uint32_t dstNzMatrixStrideIn)
        : ndNum(ndNumIn), nValue(nValueIn), dValue(dValueIn), srcNdMatrixStride(srcNdMatrixStrideIn),
          srcDValue(srcDValueIn), dstNzC0Stride(dstNzC0StrideIn), dstNzNStride(dstNzNStrideIn),
          dstNzMatrixStride(dstNzMatrixStrideIn)
    {}
    uint16_t ndNum = 0;
    uint16_t nValue = 0;
    uint32_t dValue = 0;
    uint64_t srcNdMatrixStride = 0;
    uint64_t srcDValue = 0;
    uint16_t dstNzC0Stride = 0;
    uint16_t dstNzNStride = 0;
    uint32_t dstNzMatrixStride = 0;
#else
    Nd2NzParams(const uint16_t ndNumIn, const uint16_t nValueIn, const uint16_t dValueIn,
                const uint16_t srcNdMatrixStrideIn, const uint16_t srcDValueIn, const uint16_t dstNzC0StrideIn,
                const uint16_t dstNzNStrideIn, const uint16_t dstNzMatrixStrideIn)
        : ndNum(ndNumIn), nValue(nValueIn), dValue(dValueIn), srcNdMatrixStride(srcNdMatrixStrideIn),
          srcDValue(srcDValueIn), dstNzC0Stride(dstNzC0StrideIn), dstNzNStride(dstNzNStrideIn),
          dstNzMatrixStride(dstNzMatrixStrideIn)
    {}
    uint16_t ndNum = 0;
    uint16_t nValue = 0;
    uint16_t dValue = 0;
    uint16_t srcNdMatrixStride = 0;
    uint16_t srcDValue = 0;
    uint16_t dstNzC0Stride = 0;
    uint16_t dstNzNStride = 0;
    uint16_t dstNzMatrixStride = 0;
#endif
};

struct LoadData2DParams {
    LoadData2DParams() {}
    LoadData2DParams(const uint16_t startIndexIn, const uint8_t repeatTimesIn, const uint16_t srcStrideIn,
                     const uint8_t sidIn, const uint16_t dstGapIn, const bool ifTransposeIn, const uint8_t addrModeIn)
        : startIndex(startIndexIn), dstGap(dstGapIn), srcStride(srcStrideIn), ifTranspose(ifTransposeIn),
          repeatTimes(repeatTimesIn), sid(sidIn), addrMode(addrModeIn)
    {}
    uint16_t startIndex = 0;
    uint16_t dstGap = 0;
    uint16_t srcStride = 0;
    bool ifTranspose = 0;
    uint8_t repeatTimes = 0;
    uint8_t sid = 0;
    uint8_t addrMode = 0;
};
using LoadData2dParams = LoadData2DParams;

// a5 (Ascend 950) MX path structs (asc-devkit include/basic_api/kernel_struct_mm.h and
// kernel_struct_data_copy.h). Declared on both targets so that an a2 kernel using them compiles
// and is then refused at run time with a message naming the rule, like every other sim check.
struct LoadData2DParamsV2 {
    LoadData2DParamsV2() {}
    LoadData2DParamsV2(const uint32_t mStartPositionIn, const uint32_t kStartPositionIn, const uint16_t mStepIn,
                       const uint16_t kStepIn, const int32_t srcStrideIn, const uint16_t dstStrideIn,
                       const bool ifTransposeIn, const uint8_t sidIn)
        : mStartPosition(mStartPositionIn), kStartPosition(kStartPositionIn), mStep(mStepIn), kStep(kStepIn),
          srcStride(srcStrideIn), dstStride(dstStrideIn), ifTranspose(ifTransposeIn), sid(sidIn)
    {}
    uint32_t mStartPosition = 0;
    uint32_t kStartPosition = 0;
    uint16_t mStep = 0;
    uint16_t kStep = 0;
    int32_t srcStride = 0;
    uint16_t dstStride = 0;
    bool ifTranspose = false;
    uint8_t sid = 0;
};

struct LoadData2DMxParams {
    LoadData2DMxParams() {}
    LoadData2DMxParams(const uint16_t xStartPositionIn, const uint16_t yStartPositionIn, const uint8_t xStepIn,
                       const uint8_t yStepIn, const uint16_t srcStrideIn, const uint16_t dstStrideIn)
        : xStartPosition(xStartPositionIn), yStartPosition(yStartPositionIn), xStep(xStepIn), yStep(yStepIn),
          srcStride(srcStrideIn), dstStride(dstStrideIn)
    {}
    uint16_t xStartPosition = 0;
    uint16_t yStartPosition = 0;
    uint8_t xStep = 0;
    uint8_t yStep = 0;
    uint16_t srcStride = 0;
    uint16_t dstStride = 0;
};

struct Dn2NzParams {
    Dn2NzParams() {}
    Dn2NzParams(const uint16_t dnNumIn, const uint16_t nValueIn, const uint32_t dValueIn,
                const uint64_t srcDnMatrixStrideIn, const uint64_t srcDValueIn, const uint16_t dstNzC0StrideIn,
                const uint16_t dstNzNStrideIn, const uint32_t dstNzMatrixStrideIn)
        : dnNum(dnNumIn), nValue(nValueIn), dValue(dValueIn), srcDnMatrixStride(srcDnMatrixStrideIn),
          srcDValue(srcDValueIn), dstNzC0Stride(dstNzC0StrideIn), dstNzNStride(dstNzNStrideIn),
          dstNzMatrixStride(dstNzMatrixStrideIn)
    {}
    uint16_t dnNum = 0;
    uint16_t nValue = 0;
    uint32_t dValue = 0;
    uint64_t srcDnMatrixStride = 0;
    uint64_t srcDValue = 0;
    uint16_t dstNzC0Stride = 0;
    uint16_t dstNzNStride = 0;
    uint32_t dstNzMatrixStride = 0;
};

#if __NPU_ARCH__ == 3510
// The N-D DMA (MultiCopy) parameter types of kernel_struct_data_copy.h. The copy itself is not
// modelled (refused at run time); the types are here because their DataCopy overload takes part in
// overload resolution: on the real a5 headers an explicit `DataCopy<T, false>(l1, gm, Nd2NzParams)`
// also tries MultiCopyParams<T, 0> and stops at this static_assert, so the sim refuses it the same way.
template <uint8_t dim>
struct MultiCopyLoopInfo {
    static_assert(dim >= 1 && dim <= 5, "MultiCopy Dims must be between 1 and 5.");
    uint64_t loopSrcStride[dim] = {0};
    uint32_t loopDstStride[dim] = {0};
    uint32_t loopSize[dim] = {0};
    uint8_t loopLpSize[dim] = {0};
    uint8_t loopRpSize[dim] = {0};
};
template <typename T, uint8_t dim>
struct MultiCopyParams {
    MultiCopyLoopInfo<dim> loopInfo;
    T constantValue;
};
#endif

struct MmadParams {
    MmadParams() {}
    MmadParams(const uint16_t mIn, const uint16_t nIn, const uint16_t kIn, const bool isBiasIn, const int32_t fmOffsetIn,
               const bool enSsparseIn, const bool enWinogradAIn, const bool enWinogradBIn)
        : m(mIn), n(nIn), k(kIn), isBias(isBiasIn), fmOffset(fmOffsetIn), enSsparse(enSsparseIn),
          enWinogradA(enWinogradAIn), enWinogradB(enWinogradBIn)
    {}
    MmadParams(const uint16_t mIn, const uint16_t nIn, const uint16_t kIn, const uint8_t unitFlagIn,
               const bool cmatrixSourceIn, const bool cmatrixInitValIn)
        : m(mIn), n(nIn), k(kIn), unitFlag(unitFlagIn), cmatrixSource(cmatrixSourceIn),
          cmatrixInitVal(cmatrixInitValIn)
    {}
    uint16_t m = 0;
    uint16_t n = 0;
    uint16_t k = 0;
    bool isBias = false;
    int32_t fmOffset = 0;
    bool enSsparse = false;
    bool enWinogradA = false;
    bool enWinogradB = false;
    uint8_t unitFlag = 0;
    bool kDirectionAlign = false;
    bool cmatrixSource = false;
    bool cmatrixInitVal = true;
#if __NPU_ARCH__ == 3510
    bool disableGemv = false;
#endif
};

enum class CO2Layout : uint8_t { NZ = 0, ROW_MAJOR, COLUMN_MAJOR };
struct FixpipeConfig {
    CO2Layout format;
#if __NPU_ARCH__ == 3510
    bool isToUB;
#endif
};
#if __NPU_ARCH__ == 3510
inline constexpr FixpipeConfig CFG_NZ = {CO2Layout::NZ, false};
inline constexpr FixpipeConfig CFG_ROW_MAJOR = {CO2Layout::ROW_MAJOR, false};
inline constexpr FixpipeConfig CFG_COLUMN_MAJOR = {CO2Layout::COLUMN_MAJOR, false};
#else
inline constexpr FixpipeConfig CFG_NZ = {CO2Layout::NZ};
inline constexpr FixpipeConfig CFG_ROW_MAJOR = {CO2Layout::ROW_MAJOR};
inline constexpr FixpipeConfig CFG_COLUMN_MAJOR = {CO2Layout::COLUMN_MAJOR};
#endif

struct FixpipeParamsV220 {
    FixpipeParamsV220() {}
    FixpipeParamsV220(const uint16_t nSizeIn, const uint16_t mSizeIn, const uint16_t srcStrideIn,
                      const uint32_t dstStrideIn, const bool reluEnIn)
        : nSize(nSizeIn), mSize(mSizeIn), srcStride(srcStrideIn), dstStride(dstStrideIn), reluEn(reluEnIn)
    {}
    FixpipeParamsV220(const uint16_t nSizeIn, const uint16_t mSizeIn, const uint16_t srcStrideIn,
                      const uint32_t dstStrideIn, const bool reluEnIn, const QuantMode_t quantPreIn,
                      const int64_t deqScalarIn, const uint16_t ndNumIn, const uint16_t srcNdStrideIn,
                      const uint16_t dstNdStrideIn, const uint8_t unitFlagIn)
        : nSize(nSizeIn), mSize(mSizeIn), srcStride(srcStrideIn), dstStride(dstStrideIn), quantPre(quantPreIn),
          deqScalar(static_cast<uint64_t>(deqScalarIn)), ndNum(ndNumIn), srcNdStride(srcNdStrideIn),
          dstNdStride(dstNdStrideIn), reluEn(reluEnIn), unitFlag(unitFlagIn)
    {}
    uint16_t nSize = 0;
    uint16_t mSize = 0;
    uint16_t srcStride = 0;
    uint32_t dstStride = 0;
    QuantMode_t quantPre = QuantMode_t::NoQuant;
    uint64_t deqScalar = 0;
    uint16_t ndNum = 1;
    uint16_t srcNdStride = 0;
    uint16_t dstNdStride = 0;
    bool reluEn = false;
    uint8_t unitFlag = 0;
    bool isChannelSplit = false;
};

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

// C (L0C, Nz 16x16) = [C +] A (L0A) x B (L0B) over the first m rows, n columns and k of the inner
// dimension. Products are exact in double for the 16/8-bit inputs and rounded to float for float
// inputs; each k-fractal (C0 values) is summed in float in order, then the fractal partials are added
// in order, then added to C when accumulating (our order; hardware order is unverified).
template <typename T, typename U, typename S>
inline void Mmad(const LocalTensor<T>& dst, const LocalTensor<U>& fm, const LocalTensor<S>& filter,
                 const MmadParams& p)
{
    const char* api = "Mmad";
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
    if (p.cmatrixSource) {
        sim::Fail(api, "cmatrixSource (C initialised from the bias table) is not modelled by the sim");
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
                if (acc) std::memcpy(&old, cp, 4);
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
                if (acc) {
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
// (NaN when either scale byte is 0xFF); the block results are added in order, then added to C.
// [summation order and the exact scaling unverified on hardware]
template <typename T, typename U, typename S>
inline void MmadMx(const LocalTensor<T>& dst, const LocalTensor<U>& fm, const LocalTensor<S>& filter,
                   const MmadParams& p)
{
    const char* api = "MmadMx";
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
    if (p.cmatrixSource) {
        sim::Fail(api, "cmatrixSource (C initialised from the bias table) is not modelled by the sim");
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
            if (acc) {
                float old;
                std::memcpy(&old, cp, 4);
                r = old + total;
            }
            std::memcpy(cp, &r, 4);
        }
    }
    sim::Core(api).cubeMacs += static_cast<uint64_t>(m) * n * k;
}

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

// GetTPipePtr is a global function (asc-devkit kernel_common.h), not a member of AscendC. `static`:
// the a2 and a5 kernels of one binary each get their own (their TPipe types differ).
static inline AscendC::TPipe* GetTPipePtr() { return AscendC::sim::PipePtrSlot(); }

// The device intrinsic behind PipeBarrier<pipe>() (a compiler built-in); same meaning.
inline void pipe_barrier(pipe_t p)
{
    if (p == PIPE_ALL) {
        AscendC::sim::PipeBarrierAll();
    }
}

#endif  // AK_SIM_KERNEL_OPERATOR_H
