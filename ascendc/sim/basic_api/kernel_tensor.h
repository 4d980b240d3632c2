// ascend-kernels sim, part of kernel_operator.h (kernels include only that header; see docs/sim.md).
// LocalTensor and GlobalTensor (asc-devkit include/basic_api/kernel_tensor.h).
#ifndef AK_SIM_BASIC_API_KERNEL_TENSOR_H
#define AK_SIM_BASIC_API_KERNEL_TENSOR_H
// Not self-contained: kernel_operator.h includes the parts in order after its prelude (built-in
// enums, qualifiers, the namespace macros).

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
AK_SIM_API_END

#endif  // AK_SIM_BASIC_API_KERNEL_TENSOR_H
