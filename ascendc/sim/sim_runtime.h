// Internal runtime of the ascend-kernels AscendC sim: per-core state, violations, GM and UB
// checks, the queue state machine. Shared by kernel_operator.h (kernel side, templates) and
// ak_sim.cpp (runtime). Not part of the AscendC API.
#ifndef AK_SIM_RUNTIME_H
#define AK_SIM_RUNTIME_H

#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <exception>
#include <string>
#include <utility>
#include <vector>

#include "ak_targets.h"

namespace AscendC {
namespace sim {

// A violated fidelity rule. Thrown inside a block thread, caught by Launch.
struct Violation : std::exception {
    std::string msg;
    explicit Violation(std::string m) : msg(std::move(m)) {}
    const char* what() const noexcept override { return msg.c_str(); }
};

std::string Fmt(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
[[noreturn]] void Fail(const char* api, const std::string& rule);

enum Target : uint32_t { TARGET_A2 = 0, TARGET_A5 = 1 };
// Capacities come from the generated table (ak_targets.h, codegen/src/target.rs).
constexpr uint32_t kUbBytesA2 = AK_TARGET_A2_UB_BYTES;
constexpr uint32_t kUbBytesA5 = AK_TARGET_A5_UB_BYTES;
constexpr uint32_t kBlockBytes = 32;    // one UB DataBlock
constexpr uint32_t kRepeatBytes = 256;  // one vector repeat
constexpr uint32_t kMaxBuffers = 64;    // all TQue/TBuf buffers of one kernel (TPipe::InitBuffer doc)
constexpr int kMaxEventIds = 8;
constexpr int kMaxHardEvents = 64;

const char* TargetName(uint32_t t);

// Pipes for the cross-pipe sync check (npuchk ErrorSync2): UB bytes remember the pipe and sequence
// number of their last write; a read by another pipe needs a SetFlag/WaitFlag of that pipe pair,
// a PipeBarrier<PIPE_ALL> or the DeQue of the queue buffer after the write.
enum SimPipe : uint8_t { SP_S = 0, SP_V, SP_M, SP_MTE1, SP_MTE2, SP_MTE3, SP_FIX, SP_ANY, SP_COUNT };
const char* PipeName(uint32_t p);

struct GmRegion {
    uintptr_t base = 0;
    uint64_t len = 0;
    bool writable = false;
    std::string name;
};

// Physical memories a LocalTensor can live in (TPosition -> memory, asc-devkit
// docs/zh/api/SIMD-API/通用说明和约束.md): VECIN/VECOUT/VECCALC -> UB; A1/B1/C1 -> L1; A2 -> L0A;
// B2 -> L0B; CO1 -> L0C; C2 -> BT (the bias table, asc-devkit 数据搬运导览/L1与BiasTable-Buffer数据搬运.md).
enum Mem : uint8_t { MEM_UB = 0, MEM_L1, MEM_L0A, MEM_L0B, MEM_L0C, MEM_BT, MEM_COUNT };
const char* MemName(uint32_t m);
uint32_t MemCapacity(uint32_t target, uint32_t m);
uint32_t MemAlign(uint32_t m);  // start-address alignment of tensors in this memory

// A cube-side memory (L1/L0A/L0B/L0C/BT), allocated on first use. No "written" tracking: the cube
// legitimately reads padding rows/columns that were never written (their results are dropped).
struct Arena {
    std::vector<uint8_t> data;
    uint32_t cap = 0;
    uint32_t top = 0;
};

enum SlotState : uint8_t { SLOT_FREE = 0, SLOT_ALLOCATED, SLOT_ENQUEUED, SLOT_DEQUEUED };

struct Slot {
    uint32_t addr = 0;
    uint32_t len = 0;
    uint8_t state = SLOT_FREE;
    uint32_t gen = 1;
    int que = -1;
    uint8_t mem = MEM_UB;
};

struct QueueState {
    int depth = 0;
    uint8_t pos = 0;
    uint8_t mem = MEM_UB;
    bool isBuf = false;
    uint32_t num = 0;
    uint32_t len = 0;   // per-buffer length, rounded up to 32 B
    uint32_t addr = 0;  // TBuf: start address
    std::vector<int> slots;
    std::deque<int> fifo;
    uint32_t next = 0;
};

// One MX LoadData's scale fractals in an L0A_MX / L0B_MX area: bytes [base, end), laid out as
// xStep rows of dstStride 32-B fractals (yStep of them written per row).
struct MxRecord {
    uint32_t base = 0;
    uint32_t end = 0;
    uint32_t dstStride = 0;
    uint32_t xStep = 0;
    uint32_t yStep = 0;
};
constexpr uint32_t kMxAreaBytes = AK_TARGET_A5_MX_SCALE_AREA_BYTES;  // L0A_MX / L0B_MX (asc-devkit LoadData_2D_MX.md)
// Fresh cube buffers (L1/L0A/L0B/L0C, at every AllocTensor) hold 0xFF: NaN in half, bf16, float
// and both fp8 formats, so never-written data a kernel feeds into a result shows up as NaN.
constexpr uint8_t kCubePoison = 0xFF;

struct CoreState {
    uint32_t blockIdx = 0;
    uint32_t blockNum = 0;
    uint32_t target = TARGET_A2;
    uint32_t ubCap = kUbBytesA2;
    std::vector<uint8_t> ub;
    std::vector<uint8_t> ubInit;  // 1 = byte written since its buffer was handed out
    uint32_t ubTop = 0;           // bump pointer of InitBuffer
    Arena cube[MEM_COUNT];        // L1, L0A, L0B, L0C (index MEM_UB unused)
    std::vector<uint8_t> mxArea[2];      // a5: L0A_MX, L0B_MX scale areas (allocated on first MX LoadData)
    std::vector<MxRecord> mxRecs[2];     // what the MX LoadData calls wrote there
    uint32_t pipeGen = 1;         // bumped by a new TPipe / Reset: invalidates older tensors
    int pipesAlive = 0;
    void* pipe = nullptr;
    uint32_t bufferCount = 0;
    std::vector<Slot> slots;
    std::vector<QueueState> queues;
    int events[kMaxHardEvents][kMaxEventIds] = {};
    // counters
    uint64_t gmToUb = 0;
    uint64_t ubToGm = 0;
    uint64_t vecInstrs = 0;
    uint64_t vecElems = 0;
    uint64_t ubPeak = 0;
    uint64_t cubeMacs = 0;
    // GM bytes written by this core, as [begin, end) intervals (merged when adjacent)
    std::vector<std::pair<uintptr_t, uintptr_t>> gmWrites;
    size_t gmMergeAt = 4096;
    // GM bytes read by this core (for the cross-core read/write race check)
    std::vector<std::pair<uintptr_t, uintptr_t>> gmReads;
    size_t gmReadMergeAt = 4096;
    const std::vector<GmRegion>* regions = nullptr;
    // cross-pipe sync state (UB only)
    bool syncCheck = true;
    uint32_t seq = 0;
    std::vector<uint8_t> ubWPipe;   // SimPipe of the last write of each UB byte (SP_ANY: synchronised)
    std::vector<uint32_t> ubWSeq;   // sequence number of that write
    std::vector<uint8_t> ubRPipe;   // SimPipe of the last non-scalar read since the last write (SP_ANY: none)
    std::vector<uint32_t> ubRSeq;   // sequence number of that read
    uint32_t visible[SP_COUNT][SP_COUNT] = {};  // writes of pipe Q with seq <= visible[Q][P] are visible to P
    // Same-pipe ordering on V (npuchk ErrorSync1/2 "pipe内缺少pipe barrier"): accesses with seq <= vInstrStart
    // belong to earlier vector instructions (CountVec closes each one); visible[SP_V][SP_V] is the seq of the
    // last PipeBarrier<PIPE_V> (or PIPE_ALL).
    // Opt-in (AK_SIM_VECTOR_ORDER_CHECK=1) until every kernel and self-test has its barriers audited.
    uint32_t vInstrStart = 0;
    bool vectorOrderCheck = false;
    std::vector<uint32_t> ubVRSeq;  // seq of the earliest vector read of each UB byte not yet ordered by a barrier
    uint32_t pendingSet[kMaxHardEvents][kMaxEventIds] = {};
    // vector mask register for Level-0 calls with isSetMask = false (SetVectorMask / SetMaskCount)
    uint64_t vecMask[2] = {~0ull, ~0ull};
    bool maskCounter = false;
};

CoreState* CurrentCore() noexcept;
// The core of the calling block thread; a violation if called outside Launch.
CoreState& Core(const char* api);

// GM: checks that [p, p+len) lies in one registered buffer (writable if write) and records writes.
void GmAccess(const char* api, const void* p, uint64_t len, bool write);

// UB
void UbCheckRange(const char* api, const char* what, uint32_t addr, uint64_t len);
// read by `pipe`: bytes must have been written, and be visible to that pipe
void UbCheckInit(const char* api, const char* what, uint32_t addr, uint64_t len, uint8_t pipe = SP_V);
void UbMarkWritten(uint32_t addr, uint64_t len, uint8_t pipe = SP_V, const char* api = "UB write");
void UbMarkSynced(uint32_t addr, uint64_t len);
void PipeBarrierAll();
// PipeBarrier<PIPE_V>: earlier vector instructions complete before later ones start
void PipeBarrierVector();
// a vector instruction ended: its accesses become "earlier" for the same-pipe check
void VectorInstrEnd();

// TPipe / TQue / TBuf (ids index CoreState::queues)
void PipeCreated(void* pipe);
void PipeDestroyed(void* pipe);
void PipeReset(const char* api);
// pos is the TPosition value; mem the physical memory it maps to
int QueInit(const char* api, int existingId, uint8_t pos, uint8_t mem, int depth, uint32_t num, uint32_t len);
int BufInit(const char* api, int existingId, uint8_t pos, uint8_t mem, uint32_t len);
// Host pointer to bytes [addr, addr+len) of a cube memory (bounds-checked).
uint8_t* CubePtr(const char* api, uint32_t mem, uint32_t addr, uint64_t len);
int QueAlloc(const char* api, int que);  // returns slot index
void QueEnQue(const char* api, int que, int slot, uint32_t gen);
int QueDeQue(const char* api, int que);  // returns slot index
void QueFree(const char* api, int que, int slot, uint32_t gen);
void CheckTensorLive(const char* api, const char* what, int slot, uint32_t gen, uint32_t pipeGen);

// Events
void EventSet(const char* api, int evt, int32_t id);
void EventWait(const char* api, int evt, int32_t id);
int EventFetch(int evt);

// End-of-kernel checks (leaks, unpaired flags). Throws a Violation.
void KernelEndChecks();

}  // namespace sim
}  // namespace AscendC

#endif  // AK_SIM_RUNTIME_H
