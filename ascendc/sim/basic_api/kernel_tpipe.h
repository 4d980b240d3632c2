// ascend-kernels sim, part of kernel_operator.h (kernels include only that header; see docs/sim.md).
// TPipe, TQueBind/TQue and TBuf (asc-devkit include/basic_api/kernel_tpipe.h,
// impl/basic_api/kernel_tquebind_impl.h).
#ifndef AK_SIM_BASIC_API_KERNEL_TPIPE_H
#define AK_SIM_BASIC_API_KERNEL_TPIPE_H
// Not self-contained: kernel_operator.h includes the parts in order after its prelude (built-in
// enums, qualifiers, the namespace macros).

AK_SIM_API_BEGIN
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
           : p == TPosition::C2                                                           ? MEM_BT
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
AK_SIM_API_END

#endif  // AK_SIM_BASIC_API_KERNEL_TPIPE_H
