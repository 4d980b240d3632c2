// Runtime of the ascend-kernels AscendC host emulation ("sim"): the thread-local session, the
// per-block launch, GM registration and checks, the queue state machine and end-of-kernel checks.
// Target-agnostic: the target (a2/a5) is a property of the session.
#include "ak_sim.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <thread>

#include "sim_runtime.h"

namespace AscendC {
namespace sim {

namespace {

struct Session {
    uint32_t target = TARGET_A2;
    std::vector<GmRegion> regions;
    bool failed = false;
    std::string firstError;
    AkSimCounters counters{};
};

thread_local Session* tl_session = nullptr;
thread_local CoreState* tl_core = nullptr;

// Names of HardEvent values, in the order of the AscendC enum (impl/basic_api/kernel_event.h).
const char* const kHardEventNames[] = {
    "MTE2_MTE1", "MTE1_MTE2", "MTE1_M",  "M_MTE1",    "MTE2_V",    "V_MTE2",   "MTE3_V",   "V_MTE3",
    "M_V",       "V_M",       "V_V",     "MTE3_MTE1", "MTE1_MTE3", "MTE1_V",   "MTE2_M",   "M_MTE2",
    "V_MTE1",    "M_FIX",     "FIX_M",   "MTE3_MTE2", "MTE2_MTE3", "S_V",      "V_S",      "S_MTE2",
    "MTE2_S",    "S_MTE3",    "MTE3_S",  "MTE2_FIX",  "FIX_MTE2",  "FIX_S",    "M_S",      "FIX_MTE3",
    "MTE1_FIX",  "FIX_MTE1",  "FIX_FIX",
};

// Source and destination pipe of a HardEvent, parsed from its name ("MTE2_V" -> MTE2, V).
SimPipe PipeOfName(const std::string& n)
{
    if (n == "S") return SP_S;
    if (n == "V") return SP_V;
    if (n == "M") return SP_M;
    if (n == "MTE1") return SP_MTE1;
    if (n == "MTE2") return SP_MTE2;
    if (n == "MTE3") return SP_MTE3;
    if (n == "FIX") return SP_FIX;
    return SP_ANY;
}

bool EventPipes(int evt, SimPipe* src, SimPipe* dst);

const char* EventName(int evt)
{
    const int n = static_cast<int>(sizeof(kHardEventNames) / sizeof(kHardEventNames[0]));
    return (evt >= 0 && evt < n) ? kHardEventNames[evt] : "?";
}

bool EventPipes(int evt, SimPipe* src, SimPipe* dst)
{
    const std::string n = EventName(evt);
    const size_t us = n.find('_');
    if (us == std::string::npos) {
        return false;
    }
    *src = PipeOfName(n.substr(0, us));
    *dst = PipeOfName(n.substr(us + 1));
    return *src != SP_ANY && *dst != SP_ANY;
}

void SetError(Session& s, const std::string& msg)
{
    if (!s.failed) {
        s.failed = true;
        s.firstError = msg;
    }
}

struct BlockResult {
    bool failed = false;
    std::string msg;
    uint64_t gmToUb = 0, ubToGm = 0, vecInstrs = 0, vecElems = 0, ubPeak = 0, cubeMacs = 0;
    std::vector<std::pair<uintptr_t, uintptr_t>> writes;
    std::vector<std::pair<uintptr_t, uintptr_t>> reads;
};

void RunBlock(uint32_t idx, uint32_t blockDim, uint32_t target, const std::vector<GmRegion>* regions,
              const std::function<void()>* fn, BlockResult* out) noexcept
{
    try {
        std::unique_ptr<CoreState> core(new CoreState());
        core->blockIdx = idx;
        core->blockNum = blockDim;
        core->target = target;
        core->ubCap = target == TARGET_A5 ? kUbBytesA5 : kUbBytesA2;
        core->ub.assign(core->ubCap, 0xCD);
        core->ubInit.assign(core->ubCap, 0);
        core->ubWPipe.assign(core->ubCap, SP_ANY);
        core->ubWSeq.assign(core->ubCap, 0);
        core->ubRPipe.assign(core->ubCap, SP_ANY);
        core->ubRSeq.assign(core->ubCap, 0);
        const char* sc = std::getenv("AK_SIM_SYNC_CHECK");
        core->syncCheck = !(sc != nullptr && sc[0] == '0');
        const char* vc = std::getenv("AK_SIM_VECTOR_ORDER_CHECK");
        core->vectorOrderCheck = core->syncCheck && vc != nullptr && vc[0] == '1';
        if (core->vectorOrderCheck) {
            core->ubVRSeq.assign(core->ubCap, 0);
        }
        core->regions = regions;
        tl_core = core.get();
        try {
            (*fn)();
            KernelEndChecks();
        } catch (const Violation& v) {
            out->failed = true;
            out->msg = v.msg;
        } catch (const std::exception& e) {
            out->failed = true;
            out->msg = std::string("C++ exception escaped the kernel: ") + e.what();
        } catch (...) {
            out->failed = true;
            out->msg = "unknown C++ exception escaped the kernel";
        }
        tl_core = nullptr;
        out->gmToUb = core->gmToUb;
        out->ubToGm = core->ubToGm;
        out->vecInstrs = core->vecInstrs;
        out->vecElems = core->vecElems;
        out->ubPeak = core->ubPeak;
        out->cubeMacs = core->cubeMacs;
        out->writes = std::move(core->gmWrites);
        out->reads = std::move(core->gmReads);
    } catch (...) {
        tl_core = nullptr;
        out->failed = true;
        out->msg = "sim: out of host memory while setting up the core";
    }
}

void MergeIntervals(std::vector<std::pair<uintptr_t, uintptr_t>>& v)
{
    std::sort(v.begin(), v.end());
    size_t o = 0;
    for (size_t i = 0; i < v.size(); ++i) {
        if (o > 0 && v[i].first <= v[o - 1].second) {
            v[o - 1].second = std::max(v[o - 1].second, v[i].second);
        } else {
            v[o++] = v[i];
        }
    }
    v.resize(o);
}

const GmRegion* RegionOf(const std::vector<GmRegion>& regions, uintptr_t p)
{
    for (const GmRegion& r : regions) {
        if (p >= r.base && p - r.base < r.len) {
            return &r;
        }
    }
    return nullptr;
}

// Cross-core GM write overlap check (npuchk: overlapping writes by different cores).
bool CheckOverlaps(const std::vector<BlockResult>& res, const std::vector<GmRegion>& regions, std::string* msg)
{
    struct Iv {
        uintptr_t b, e;
        uint32_t core;
    };
    std::vector<Iv> all;
    for (uint32_t c = 0; c < res.size(); ++c) {
        for (const auto& w : res[c].writes) {
            all.push_back({w.first, w.second, c});
        }
    }
    std::sort(all.begin(), all.end(), [](const Iv& a, const Iv& b) {
        return a.b != b.b ? a.b < b.b : a.core < b.core;
    });
    bool have = false;
    Iv best{0, 0, 0};
    for (const Iv& iv : all) {
        if (have && iv.b < best.e && iv.core != best.core) {
            const uintptr_t ob = iv.b;
            const uintptr_t oe = std::min(iv.e, best.e);
            const GmRegion* r = RegionOf(regions, ob);
            const uint32_t lo = std::min(iv.core, best.core), hi = std::max(iv.core, best.core);
            if (r != nullptr) {
                *msg = Fmt("core %u: GM write overlap: bytes [%llu, %llu) of GM buffer '%s' are written by core %u "
                           "and core %u (cross-core write overlap; the result would depend on timing)",
                           hi, static_cast<unsigned long long>(ob - r->base),
                           static_cast<unsigned long long>(oe - r->base), r->name.c_str(), lo, hi);
            } else {
                *msg = Fmt("core %u: GM write overlap between core %u and core %u", hi, lo, hi);
            }
            return false;
        }
        if (!have || iv.e > best.e) {
            best = iv;
            have = true;
        }
    }
    return true;
}

// Cross-core GM read/write race: a core reads bytes another core writes in the same launch. Blocks
// run concurrently without any ordering (no SyncAll in the modelled subset), so the value read
// depends on timing. Runs after CheckOverlaps, so writes of different cores are disjoint.
bool CheckReadWriteRaces(const std::vector<BlockResult>& res, const std::vector<GmRegion>& regions, std::string* msg)
{
    struct Iv {
        uintptr_t b, e;
        uint32_t core;
    };
    std::vector<Iv> writes;
    for (uint32_t c = 0; c < res.size(); ++c) {
        for (const auto& w : res[c].writes) writes.push_back({w.first, w.second, c});
    }
    if (writes.empty() || res.size() < 2) {
        return true;
    }
    std::sort(writes.begin(), writes.end(), [](const Iv& a, const Iv& b) { return a.b < b.b; });
    for (uint32_t c = 0; c < res.size(); ++c) {
        for (const auto& rd : res[c].reads) {
            // first write whose end is beyond the read start (ends are sorted: writes are disjoint)
            size_t lo = 0, hi = writes.size();
            while (lo < hi) {
                const size_t mid = (lo + hi) / 2;
                if (writes[mid].e <= rd.first) lo = mid + 1; else hi = mid;
            }
            for (size_t i = lo; i < writes.size() && writes[i].b < rd.second; ++i) {
                if (writes[i].core != c) {
                    const uintptr_t ob = std::max(rd.first, writes[i].b), oe = std::min(rd.second, writes[i].e);
                    const GmRegion* r = RegionOf(regions, ob);
                    *msg = Fmt("core %u: GM read/write race: bytes [%llu, %llu) of GM buffer '%s' are read by core %u "
                               "and written by core %u in the same launch (cores run unordered; the value read "
                               "depends on timing)",
                               c, static_cast<unsigned long long>(r != nullptr ? ob - r->base : ob),
                               static_cast<unsigned long long>(r != nullptr ? oe - r->base : oe),
                               r != nullptr ? r->name.c_str() : "?", c, writes[i].core);
                    return false;
                }
            }
        }
    }
    return true;
}

}  // namespace

std::string Fmt(const char* fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    const int n = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (n < 0) {
        return std::string("(format error)");
    }
    return std::string(buf);
}

void Fail(const char* api, const std::string& rule) { throw Violation(std::string(api) + ": " + rule); }

const char* TargetName(uint32_t t) { return t == TARGET_A5 ? "a5 (Ascend 950, dav-c310)" : "a2 (Atlas A2/A3, dav-c220)"; }

CoreState* CurrentCore() noexcept { return tl_core; }

const char* MemName(uint32_t m)
{
    static const char* const names[] = {"UB", "L1", "L0A", "L0B", "L0C", "BT"};
    return m < MEM_COUNT ? names[m] : "?";
}

// Capacities: the generated table (ak_targets.h from codegen/src/target.rs), whose figures come
// from the cpudebug utils/include/utils/kernel_utils_mode_cpu.h and api_check ini files.
uint32_t MemCapacity(uint32_t target, uint32_t m)
{
    const bool a5 = target == TARGET_A5;
    switch (m) {
        case MEM_UB: return a5 ? AK_TARGET_A5_UB_BYTES : AK_TARGET_A2_UB_BYTES;
        case MEM_L1: return a5 ? AK_TARGET_A5_L1_BYTES : AK_TARGET_A2_L1_BYTES;
        case MEM_L0A: return a5 ? AK_TARGET_A5_L0A_BYTES : AK_TARGET_A2_L0A_BYTES;
        case MEM_L0B: return a5 ? AK_TARGET_A5_L0B_BYTES : AK_TARGET_A2_L0B_BYTES;
        case MEM_L0C: return a5 ? AK_TARGET_A5_L0C_BYTES : AK_TARGET_A2_L0C_BYTES;
        case MEM_BT: return a5 ? AK_TARGET_A5_BT_BYTES : AK_TARGET_A2_BT_BYTES;
        default: return 0;
    }
}

// 通用说明和约束.md alignment table: UB 32 B, L1 32 B, L0A/L0B 512 B, L0C 64 B; BT 64 B
// (DataCopy（L1ToBiasTable-Buffer数据搬运）.md, Mmad.md: the bias tensor starts 64-B aligned).
uint32_t MemAlign(uint32_t m)
{
    switch (m) {
        case MEM_L0A:
        case MEM_L0B: return 512;
        case MEM_L0C:
        case MEM_BT: return 64;
        default: return 32;
    }
}

uint8_t* CubePtr(const char* api, uint32_t mem, uint32_t addr, uint64_t len)
{
    CoreState& c = Core(api);
    if (mem == MEM_UB || mem >= MEM_COUNT) {
        Fail(api, "internal: CubePtr on a non-cube memory");
    }
    Arena& a = c.cube[mem];
    if (static_cast<uint64_t>(addr) + len > a.data.size()) {
        Fail(api, Fmt("%s bytes [%u, %llu) outside the allocated %s", MemName(mem), addr,
                      static_cast<unsigned long long>(addr + len), MemName(mem)));
    }
    return a.data.data() + addr;
}

CoreState& Core(const char* api)
{
    if (tl_core == nullptr) {
        Fail(api, "kernel API called outside AscendC::sim::Launch (no core)");
    }
    return *tl_core;
}

// ----------------------------------------------------------------------------------------- GM
void GmAccess(const char* api, const void* p, uint64_t len, bool write)
{
    CoreState& c = Core(api);
    if (len == 0) {
        return;
    }
    const uintptr_t b = reinterpret_cast<uintptr_t>(p);
    const GmRegion* r = c.regions != nullptr ? RegionOf(*c.regions, b) : nullptr;
    if (r == nullptr) {
        // Maybe it starts before a buffer and runs into it.
        Fail(api, Fmt("GM %s of %llu B at %p is outside every GM buffer registered with ak_sim_register_gm",
                      write ? "write" : "read", static_cast<unsigned long long>(len), p));
    }
    const uint64_t off = b - r->base;
    if (len > r->len - off) {
        Fail(api, Fmt("GM %s of bytes [%llu, %llu) runs past the end of GM buffer '%s' (%llu B)",
                      write ? "write" : "read", static_cast<unsigned long long>(off),
                      static_cast<unsigned long long>(off + len), r->name.c_str(),
                      static_cast<unsigned long long>(r->len)));
    }
    if (write && !r->writable) {
        Fail(api, Fmt("GM write to read-only GM buffer '%s' (bytes [%llu, %llu))", r->name.c_str(),
                      static_cast<unsigned long long>(off), static_cast<unsigned long long>(off + len)));
    }
    // Record the interval (merged with the previous one when they touch).
    std::vector<std::pair<uintptr_t, uintptr_t>>& v = write ? c.gmWrites : c.gmReads;
    size_t& mergeAt = write ? c.gmMergeAt : c.gmReadMergeAt;
    const uintptr_t e = b + len;
    if (!v.empty() && b <= v.back().second && e >= v.back().first) {
        v.back().first = std::min(v.back().first, b);
        v.back().second = std::max(v.back().second, e);
    } else {
        v.emplace_back(b, e);
        if (v.size() >= mergeAt) {
            MergeIntervals(v);
            mergeAt = std::max<size_t>(4096, 2 * v.size());
        }
    }
}

// ----------------------------------------------------------------------------------------- UB
void UbCheckRange(const char* api, const char* what, uint32_t addr, uint64_t len)
{
    CoreState& c = Core(api);
    if (static_cast<uint64_t>(addr) + len > c.ubCap) {
        Fail(api, Fmt("%s: UB bytes [%u, %llu) exceed the UB capacity %u B", what, addr,
                      static_cast<unsigned long long>(addr + len), c.ubCap));
    }
}

const char* PipeName(uint32_t p)
{
    static const char* const names[] = {"S", "V", "M", "MTE1", "MTE2", "MTE3", "FIX", "any"};
    return p < SP_COUNT ? names[p] : "?";
}

// An access (seq) by an earlier vector instruction that no PipeBarrier<PIPE_V>/<PIPE_ALL> has ordered
// against the running one.
static bool VectorUnordered(const CoreState& c, uint32_t seq)
{
    return c.vectorOrderCheck && seq > c.visible[SP_V][SP_V] && seq <= c.vInstrStart;
}

void UbCheckInit(const char* api, const char* what, uint32_t addr, uint64_t len, uint8_t pipe)
{
    CoreState& c = Core(api);
    UbCheckRange(api, what, addr, len);
    const uint8_t* p = c.ubInit.data() + addr;
    const void* hole = len > 0 ? std::memchr(p, 0, len) : nullptr;
    if (hole != nullptr) {
        const uint64_t i = static_cast<uint64_t>(static_cast<const uint8_t*>(hole) - p);
        {
            Fail(api, Fmt("%s reads UB byte %llu (tensor byte offset %llu) that was never written since its "
                          "buffer was allocated (npuchk ErrorRead2: read of uninitialised UB)",
                          what, static_cast<unsigned long long>(addr + i), static_cast<unsigned long long>(i)));
        }
    }
    if (!c.syncCheck || pipe == SP_ANY) {
        return;
    }
    const uint8_t* wp = c.ubWPipe.data() + addr;
    const uint32_t* ws = c.ubWSeq.data() + addr;
    const uint32_t rseq = ++c.seq;
    for (uint64_t i = 0; i < len; ++i) {
        const uint8_t w = wp[i];
        if (w == SP_V && pipe == SP_V && VectorUnordered(c, ws[i])) {
            Fail(api, Fmt("%s reads UB byte %llu (tensor byte offset %llu) that an earlier vector instruction wrote, "
                          "with no PipeBarrier<PIPE_V> in between: on hardware the vector pipe overlaps "
                          "instructions and the read may see the old value (read-after-write in one pipe, npuchk "
                          "ErrorSync2)",
                          what, static_cast<unsigned long long>(addr + i), static_cast<unsigned long long>(i)));
        }
        if (w == SP_ANY || w == pipe) {
            continue;
        }
        if (w != SP_ANY && w != pipe && ws[i] > c.visible[w][pipe]) {
            Fail(api, Fmt("%s reads UB byte %llu (tensor byte offset %llu) on pipe %s, written on pipe %s without a "
                          "synchronisation in between: add SetFlag/WaitFlag<HardEvent::%s_%s> (or pass the tensor "
                          "through a TQue EnQue/DeQue, or PipeBarrier<PIPE_ALL>); on hardware the read races with "
                          "the write (npuchk ErrorSync2)",
                          what, static_cast<unsigned long long>(addr + i), static_cast<unsigned long long>(i),
                          PipeName(pipe), PipeName(w), PipeName(w), PipeName(pipe)));
        }
    }
    // Remember the read for the write-after-read check. Scalar reads are exempt: GetValue completes
    // before the scalar unit issues any later instruction.
    if (pipe == SP_V && c.vectorOrderCheck) {
        uint32_t* vr = c.ubVRSeq.data() + addr;
        for (uint64_t i = 0; i < len; ++i) {
            if (!VectorUnordered(c, vr[i])) {
                vr[i] = rseq;
            }
        }
    }
    if (pipe != SP_S) {
        std::memset(c.ubRPipe.data() + addr, pipe, len);
        std::fill(c.ubRSeq.begin() + addr, c.ubRSeq.begin() + addr + len, rseq);
    }
}

void UbMarkWritten(uint32_t addr, uint64_t len, uint8_t pipe, const char* api)
{
    CoreState* c = tl_core;
    if (c == nullptr || static_cast<uint64_t>(addr) + len > c->ubCap) {
        return;
    }
    if (c->syncCheck && pipe != SP_ANY) {
        const uint8_t* rp = c->ubRPipe.data() + addr;
        const uint32_t* rs = c->ubRSeq.data() + addr;
        if (pipe == SP_V && c->vectorOrderCheck) {
            const uint8_t* wp = c->ubWPipe.data() + addr;
            const uint32_t* ws = c->ubWSeq.data() + addr;
            for (uint64_t i = 0; i < len; ++i) {
                const bool waw = wp[i] == SP_V && VectorUnordered(*c, ws[i]);
                const bool war = c->vectorOrderCheck && VectorUnordered(*c, c->ubVRSeq[addr + i]);
                if (waw || war) {
                    Fail(api, Fmt("vector write to UB byte %llu that an earlier vector instruction %s, with no "
                                  "PipeBarrier<PIPE_V> in between: on hardware the vector pipe overlaps "
                                  "instructions (%s in one pipe, npuchk ErrorSync1)",
                                  static_cast<unsigned long long>(addr + i), waw ? "wrote" : "read",
                                  waw ? "write-after-write" : "write-after-read"));
                }
            }
        }
        for (uint64_t i = 0; i < len; ++i) {
            const uint8_t r = rp[i];
            if (r != SP_ANY && r != pipe && rs[i] > c->visible[r][pipe]) {
                Fail(api, Fmt("pipe %s overwrites UB byte %llu that pipe %s read without a synchronisation in "
                                     "between: add SetFlag/WaitFlag<HardEvent::%s_%s> before the write (or use a TQue, "
                                     "whose FreeTensor/AllocTensor carry it, or PipeBarrier<PIPE_ALL>); on hardware "
                                     "the write races with the read (write-after-read, npuchk ErrorSync2)",
                                     PipeName(pipe), static_cast<unsigned long long>(addr + i), PipeName(r),
                                     PipeName(r), PipeName(pipe)));
            }
        }
    }
    std::memset(c->ubInit.data() + addr, 1, len);
    const uint32_t q = ++c->seq;
    std::memset(c->ubWPipe.data() + addr, pipe, len);
    std::memset(c->ubRPipe.data() + addr, SP_ANY, len);
    std::fill(c->ubWSeq.begin() + addr, c->ubWSeq.begin() + addr + len, q);
}

void UbMarkSynced(uint32_t addr, uint64_t len)
{
    CoreState* c = tl_core;
    if (c == nullptr || static_cast<uint64_t>(addr) + len > c->ubCap) {
        return;
    }
    std::memset(c->ubWPipe.data() + addr, SP_ANY, len);
}

void PipeBarrierVector()
{
    CoreState* c = tl_core;
    if (c != nullptr) {
        c->visible[SP_V][SP_V] = c->seq;
    }
}

void VectorInstrEnd()
{
    CoreState* c = tl_core;
    if (c != nullptr) {
        c->vInstrStart = c->seq;
    }
}

void PipeBarrierAll()
{
    CoreState* c = tl_core;
    if (c == nullptr) {
        return;
    }
    for (auto& row : c->visible) {
        for (uint32_t& v : row) v = c->seq;
    }
}

// ---------------------------------------------------------------------------- TPipe / TQue / TBuf
void PipeCreated(void* pipe)
{
    CoreState& c = Core("TPipe::TPipe");
    if (c.pipesAlive > 0) {
        Fail("TPipe::TPipe", "a second TPipe was constructed while another is alive (one TPipe per kernel)");
    }
    c.pipesAlive = 1;
    c.pipe = pipe;
    c.pipeGen++;
    c.ubTop = 0;
    for (Arena& a : c.cube) a.top = 0;
    c.bufferCount = 0;
}

void PipeDestroyed(void* pipe)
{
    CoreState* c = tl_core;
    if (c != nullptr && c->pipe == pipe) {
        c->pipesAlive = 0;
        c->pipe = nullptr;
    }
}

void PipeReset(const char* api)
{
    CoreState& c = Core(api);
    for (const Slot& s : c.slots) {
        if (s.state != SLOT_FREE) {
            Fail(api, "TPipe::Reset while a queue tensor is still allocated (AllocTensor without FreeTensor)");
        }
    }
    c.pipeGen++;
    c.ubTop = 0;
    for (Arena& a : c.cube) a.top = 0;
    c.bufferCount = 0;
}

static void Reserve(const char* api, CoreState& c, uint8_t mem, uint32_t num, uint32_t len, uint32_t* addr)
{
    if (c.pipesAlive == 0) {
        Fail(api, "InitBuffer without a live TPipe");
    }
    if (mem >= MEM_COUNT) {
        Fail(api, "this TPosition is not modelled by the sim (supported: VECIN/VECOUT/VECCALC, A1/B1/C1, A2, B2, CO1, C2)");
    }
    if (c.bufferCount + num > kMaxBuffers) {
        Fail(api, Fmt("more than %u buffers in one kernel (TPipe::InitBuffer: the number of all buffers must not "
                      "exceed 64)", kMaxBuffers));
    }
    const uint32_t cap = MemCapacity(c.target, mem);
    uint32_t& top = mem == MEM_UB ? c.ubTop : c.cube[mem].top;
    const uint64_t total = static_cast<uint64_t>(top) + static_cast<uint64_t>(num) * len;
    if (total > cap) {
        if (mem == MEM_UB) {
            Fail(api, Fmt("per-core UB total %llu B (InitBuffer lengths rounded up to 32 B) exceeds the UB capacity "
                          "%u B of %s", static_cast<unsigned long long>(total), cap, TargetName(c.target)));
        }
        Fail(api, Fmt("per-core %s total %llu B exceeds the %s capacity %u B of %s", MemName(mem),
                      static_cast<unsigned long long>(total), MemName(mem), cap, TargetName(c.target)));
    }
    *addr = top;
    top = static_cast<uint32_t>(total);
    c.bufferCount += num;
    if (mem == MEM_UB) {
        c.ubPeak = std::max<uint64_t>(c.ubPeak, c.ubTop);
    } else if (c.cube[mem].data.size() < cap) {
        c.cube[mem].cap = cap;
        c.cube[mem].data.assign(cap, kCubePoison);
    }
}

int QueInit(const char* api, int existingId, uint8_t pos, uint8_t mem, int depth, uint32_t num, uint32_t len)
{
    CoreState& c = Core(api);
    if (existingId >= 0) {
        Fail(api, "InitBuffer called twice for the same TQue");
    }
    if (num == 0) {
        Fail(api, "num = 0 buffers");
    }
    if (len == 0) {
        Fail(api, "len = 0 B");
    }
    const uint32_t rlen = (len + 31u) & ~31u;  // InitBuffer rounds to 32 B in every memory
    uint32_t addr = 0;
    Reserve(api, c, mem, num, rlen, &addr);
    QueueState q;
    q.depth = depth;
    q.pos = pos;
    q.mem = mem;
    q.num = num;
    q.len = rlen;
    q.addr = addr;
    const int id = static_cast<int>(c.queues.size());
    for (uint32_t i = 0; i < num; ++i) {
        Slot s;
        s.addr = addr + i * rlen;
        s.len = rlen;
        s.que = id;
        s.mem = mem;
        q.slots.push_back(static_cast<int>(c.slots.size()));
        c.slots.push_back(s);
    }
    c.queues.push_back(std::move(q));
    return id;
}

int BufInit(const char* api, int existingId, uint8_t pos, uint8_t mem, uint32_t len)
{
    CoreState& c = Core(api);
    if (existingId >= 0) {
        Fail(api, "InitBuffer called twice for the same TBuf");
    }
    if (len == 0) {
        Fail(api, "len = 0 B");
    }
    const uint32_t rlen = (len + 31u) & ~31u;  // InitBuffer rounds to 32 B in every memory
    uint32_t addr = 0;
    Reserve(api, c, mem, 1, rlen, &addr);
    QueueState q;
    q.isBuf = true;
    q.pos = pos;
    q.mem = mem;
    q.num = 1;
    q.len = rlen;
    q.addr = addr;
    c.queues.push_back(std::move(q));
    return static_cast<int>(c.queues.size()) - 1;
}

int QueAlloc(const char* api, int que)
{
    CoreState& c = Core(api);
    if (que < 0 || que >= static_cast<int>(c.queues.size())) {
        Fail(api, "TQue used before TPipe::InitBuffer");
    }
    QueueState& q = c.queues[que];
    if (q.depth == 0) {
        Fail(api, "AllocTensor on a TQue with depth 0 (non-inplace AllocTensor needs depth >= 1)");
    }
    for (uint32_t k = 0; k < q.num; ++k) {
        const uint32_t i = (q.next + k) % q.num;
        Slot& s = c.slots[q.slots[i]];
        if (s.state == SLOT_FREE) {
            s.state = SLOT_ALLOCATED;
            q.next = (i + 1) % q.num;
            // A fresh buffer holds stale data: reads before writes are errors (UB), poison (cube).
            if (s.mem == MEM_UB) {
                std::memset(c.ubInit.data() + s.addr, 0, s.len);
                std::memset(c.ub.data() + s.addr, 0xCD, s.len);
                std::memset(c.ubWPipe.data() + s.addr, SP_ANY, s.len);
                std::memset(c.ubRPipe.data() + s.addr, SP_ANY, s.len);
            } else {
                std::memset(c.cube[s.mem].data.data() + s.addr, kCubePoison, s.len);
            }
            return q.slots[i];
        }
    }
    Fail(api, Fmt("all %u buffers of the queue are in use (num=%u): AllocTensor without FreeTensor "
                  "(hardware would wait forever)", q.num, q.num));
}

void QueEnQue(const char* api, int que, int slot, uint32_t gen)
{
    CoreState& c = Core(api);
    if (que < 0 || que >= static_cast<int>(c.queues.size())) {
        Fail(api, "TQue used before TPipe::InitBuffer");
    }
    QueueState& q = c.queues[que];
    if (slot < 0 || slot >= static_cast<int>(c.slots.size())) {
        Fail(api, "EnQue of a tensor that was not allocated from a TQue (npuchk ErrorBuffer)");
    }
    Slot& s = c.slots[slot];
    if (s.que != que) {
        Fail(api, "EnQue of a tensor that was not allocated from this queue (it belongs to another TQue)");
    }
    if (s.gen != gen || s.state == SLOT_FREE) {
        Fail(api, "EnQue of a tensor that was already freed (FreeTensor)");
    }
    if (s.state == SLOT_ENQUEUED) {
        Fail(api, "EnQue of a tensor that is already in the queue");
    }
    if (static_cast<int>(q.fifo.size()) >= q.depth) {
        Fail(api, Fmt("queue depth %d exceeded: %d consecutive EnQue without DeQue", q.depth,
                      static_cast<int>(q.fifo.size()) + 1));
    }
    s.state = SLOT_ENQUEUED;
    q.fifo.push_back(slot);
}

int QueDeQue(const char* api, int que)
{
    CoreState& c = Core(api);
    if (que < 0 || que >= static_cast<int>(c.queues.size())) {
        Fail(api, "TQue used before TPipe::InitBuffer");
    }
    QueueState& q = c.queues[que];
    if (q.fifo.empty()) {
        Fail(api, "DeQue on an empty queue (no tensor was EnQue'd)");
    }
    const int slot = q.fifo.front();
    q.fifo.pop_front();
    c.slots[slot].state = SLOT_DEQUEUED;
    // EnQue/DeQue insert the producer -> consumer synchronisation for this buffer
    if (c.slots[slot].mem == MEM_UB) {
        std::memset(c.ubWPipe.data() + c.slots[slot].addr, SP_ANY, c.slots[slot].len);
    }
    return slot;
}

void QueFree(const char* api, int que, int slot, uint32_t gen)
{
    CoreState& c = Core(api);
    if (que < 0 || que >= static_cast<int>(c.queues.size())) {
        Fail(api, "TQue used before TPipe::InitBuffer");
    }
    if (slot < 0 || slot >= static_cast<int>(c.slots.size())) {
        Fail(api, "FreeTensor of a tensor that was not allocated from a TQue (npuchk ErrorBuffer)");
    }
    Slot& s = c.slots[slot];
    if (s.que != que) {
        Fail(api, "FreeTensor of a tensor that was allocated from another queue (foreign tensor)");
    }
    if (s.gen != gen || s.state == SLOT_FREE) {
        Fail(api, "FreeTensor of a tensor that was already freed (double free, npuchk ErrorFree)");
    }
    if (s.state == SLOT_ENQUEUED) {
        Fail(api, "FreeTensor of a tensor that is still in the queue (EnQue without DeQue)");
    }
    s.state = SLOT_FREE;
    s.gen++;
}

void CheckTensorLive(const char* api, const char* what, int slot, uint32_t gen, uint32_t pipeGen)
{
    CoreState& c = Core(api);
    if (pipeGen == 0) {
        Fail(api, Fmt("%s: LocalTensor was not obtained from a TQue or TBuf (npuchk ErrorBuffer)", what));
    }
    if (pipeGen != c.pipeGen) {
        Fail(api, Fmt("%s: LocalTensor belongs to a TPipe that was reset or destroyed", what));
    }
    if (slot >= 0) {
        if (slot >= static_cast<int>(c.slots.size())) {
            Fail(api, Fmt("%s: invalid LocalTensor", what));
        }
        const Slot& s = c.slots[slot];
        if (s.gen != gen || s.state == SLOT_FREE) {
            Fail(api, Fmt("%s: LocalTensor used after FreeTensor (npuchk ErrorRead1/ErrorWrite1)", what));
        }
        if (s.state == SLOT_ENQUEUED) {
            Fail(api, Fmt("%s: LocalTensor used between EnQue and DeQue (the copy or computation that produced it "
                          "may still be running on another pipe; DeQue it first)", what));
        }
    }
}

// ----------------------------------------------------------------------------------------- events
void EventSet(const char* api, int evt, int32_t id)
{
    CoreState& c = Core(api);
    if (evt < 0 || evt >= kMaxHardEvents) {
        Fail(api, "invalid HardEvent");
    }
    if (id < 0 || id >= kMaxEventIds) {
        Fail(api, Fmt("event id %d out of range [0, %d)", id, kMaxEventIds));
    }
    if (c.events[evt][id] > 0) {
        Fail(api, Fmt("SetFlag<HardEvent::%s>(%d) twice without WaitFlag in between (npuchk ErrorSync4)",
                      EventName(evt), id));
    }
    c.events[evt][id]++;
    c.pendingSet[evt][id] = c.seq;
}

void EventWait(const char* api, int evt, int32_t id)
{
    CoreState& c = Core(api);
    if (evt < 0 || evt >= kMaxHardEvents) {
        Fail(api, "invalid HardEvent");
    }
    if (id < 0 || id >= kMaxEventIds) {
        Fail(api, Fmt("event id %d out of range [0, %d)", id, kMaxEventIds));
    }
    if (c.events[evt][id] == 0) {
        Fail(api, Fmt("WaitFlag<HardEvent::%s>(%d) without a matching SetFlag (unpaired; hardware would hang, "
                      "npuchk ErrorSync3)", EventName(evt), id));
    }
    c.events[evt][id]--;
    SimPipe sp, dp;
    if (EventPipes(evt, &sp, &dp)) {
        c.visible[sp][dp] = std::max(c.visible[sp][dp], c.pendingSet[evt][id]);
    }
}

int EventFetch(int evt)
{
    CoreState* c = tl_core;
    if (c == nullptr || evt < 0 || evt >= kMaxHardEvents) {
        return 0;
    }
    for (int i = 0; i < kMaxEventIds; ++i) {
        if (c->events[evt][i] == 0) {
            return i;
        }
    }
    return 0;
}

void KernelEndChecks()
{
    CoreState& c = Core("kernel end");
    for (size_t i = 0; i < c.slots.size(); ++i) {
        const Slot& s = c.slots[i];
        if (s.state != SLOT_FREE) {
            const char* st = s.state == SLOT_ALLOCATED ? "allocated" : s.state == SLOT_ENQUEUED ? "enqueued" : "dequeued";
            Fail("kernel end", Fmt("a tensor of TQue #%d (UB bytes [%u, %u)) is still %s: AllocTensor without "
                                   "FreeTensor (tensor leaked, npuchk ErrorLeak)", s.que, s.addr, s.addr + s.len, st));
        }
    }
    for (int e = 0; e < kMaxHardEvents; ++e) {
        for (int i = 0; i < kMaxEventIds; ++i) {
            if (c.events[e][i] != 0) {
                Fail("kernel end", Fmt("SetFlag<HardEvent::%s>(%d) without a matching WaitFlag (unpaired "
                                       "SetFlag/WaitFlag, npuchk ErrorSync3)", EventName(e), i));
            }
        }
    }
}

// ----------------------------------------------------------------------------------------- launch
int32_t LaunchImpl(uint32_t blockDim, int arch, const std::function<void()>& fn) noexcept
{
    Session* s = tl_session;
    if (s == nullptr) {
        return -2;  // no session: nothing to record the error in
    }
    try {
        if (tl_core != nullptr) {
            SetError(*s, "Launch: nested launch from inside a kernel");
            return 1;
        }
        const int want = s->target == TARGET_A5 ? 3510 : 2201;
        if (arch != 0 && arch != want) {
            SetError(*s, Fmt("Launch: kernel compiled for __NPU_ARCH__=%d but the session target is %s", arch,
                             TargetName(s->target)));
            return 1;
        }
        if (blockDim == 0 || blockDim > 65535) {
            SetError(*s, Fmt("Launch: block_dim %u out of range [1, 65535]", blockDim));
            return 1;
        }
        std::vector<BlockResult> res(blockDim);
        const uint32_t wave = 64;
        for (uint32_t start = 0; start < blockDim; start += wave) {
            const uint32_t end = std::min(blockDim, start + wave);
            std::vector<std::thread> threads;
            threads.reserve(end - start);
            for (uint32_t i = start; i < end; ++i) {
                try {
                    threads.emplace_back(RunBlock, i, blockDim, s->target, &s->regions, &fn, &res[i]);
                } catch (...) {
                    res[i].failed = true;
                    res[i].msg = "sim: could not start a host thread for this block";
                }
            }
            for (std::thread& t : threads) {
                t.join();
            }
        }
        AkSimCounters& k = s->counters;
        k.blocks = blockDim;
        std::string first;
        bool failed = false;
        for (uint32_t i = 0; i < blockDim; ++i) {
            const BlockResult& r = res[i];
            k.gm_to_ub_bytes += r.gmToUb;
            k.ub_to_gm_bytes += r.ubToGm;
            k.vector_instrs += r.vecInstrs;
            k.vector_elems += r.vecElems;
            k.max_core_gm_bytes = std::max<uint64_t>(k.max_core_gm_bytes, r.gmToUb + r.ubToGm);
            k.ub_peak_bytes = std::max<uint64_t>(k.ub_peak_bytes, r.ubPeak);
            k.cube_macs += r.cubeMacs;
            if (r.failed && !failed) {
                failed = true;
                first = Fmt("core %u: ", i) + r.msg;
            }
        }
        if (!failed) {
            for (BlockResult& r : res) {
                MergeIntervals(r.writes);
            }
            for (BlockResult& r : res) {
                MergeIntervals(r.reads);
            }
            std::string msg;
            if (!CheckOverlaps(res, s->regions, &msg) || !CheckReadWriteRaces(res, s->regions, &msg)) {
                failed = true;
                first = msg;
            }
        }
        if (failed) {
            SetError(*s, first);
            return 1;
        }
        return 0;
    } catch (...) {
        SetError(*s, "sim: internal error (host out of memory?) during launch");
        return 1;
    }
}

}  // namespace sim
}  // namespace AscendC

using AscendC::sim::Session;

extern "C" int32_t ak_sim_begin(uint32_t target)
{
    using namespace AscendC::sim;
    if (tl_session != nullptr) {
        return 1;
    }
    if (target != AK_SIM_TARGET_A2 && target != AK_SIM_TARGET_A5) {
        return 2;
    }
    try {
        tl_session = new Session();
        tl_session->target = target;
        return 0;
    } catch (...) {
        return 3;
    }
}

extern "C" int32_t ak_sim_register_gm(const void* ptr, uint64_t len, int32_t writable, const char* name)
{
    using namespace AscendC::sim;
    Session* s = tl_session;
    if (s == nullptr) {
        return 1;
    }
    if (ptr == nullptr || len == 0) {
        return 2;
    }
    try {
        const uintptr_t b = reinterpret_cast<uintptr_t>(ptr);
        if (b + len < b) {
            return 2;
        }
        for (const GmRegion& r : s->regions) {
            if (b < r.base + r.len && r.base < b + len) {
                return 3;
            }
        }
        GmRegion r;
        r.base = b;
        r.len = len;
        r.writable = writable != 0;
        r.name = name != nullptr ? name : "?";
        s->regions.push_back(r);
        return 0;
    } catch (...) {
        return 4;
    }
}

extern "C" int32_t ak_sim_end(AkSimCounters* counters, char* err, uint64_t err_len)
{
    using namespace AscendC::sim;
    Session* s = tl_session;
    if (err != nullptr && err_len > 0) {
        err[0] = '\0';
    }
    if (s == nullptr) {
        if (err != nullptr && err_len > 0) {
            std::snprintf(err, err_len, "ak_sim_end: no open session");
        }
        if (counters != nullptr) {
            std::memset(counters, 0, sizeof(*counters));
        }
        return 1;
    }
    tl_session = nullptr;
    if (counters != nullptr) {
        *counters = s->counters;
    }
    const int32_t rc = s->failed ? 1 : 0;
    if (s->failed && err != nullptr && err_len > 0) {
        std::snprintf(err, err_len, "%s", s->firstError.c_str());
    }
    delete s;
    return rc;
}
