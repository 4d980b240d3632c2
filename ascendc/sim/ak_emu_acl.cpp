// The emulator runtime: the AscendCL subset of acl/acl.h on host memory, for the generated
// kernels compiled against the sim. Device memory is host memory from aclrtMalloc, tracked per
// allocation; a stream is a FIFO of tasks (kernel launches, asynchronous copies) that run, in
// order, on the thread that calls aclrtSynchronizeStream, each kernel in a sim session over exactly
// the allocations its arguments point into. Misuse a real NPU would punish with a data race or an
// AI-core exception is reported as an error code with a message (aclGetRecentErrMsg): freeing,
// copying or setting memory a pending task uses, destroying a stream with pending tasks, a kernel
// argument outside device memory, a kernel rule violation. docs/sim.md ("The emulator runtime").
#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

#include "acl/acl.h"
#include "ak_emu.h"
#include "ak_sim.h"
#include "ak_targets.h"
#include "sim_runtime.h"

namespace {

using AscendC::sim::Fmt;
using AscendC::sim::KernelArg;

constexpr int32_t kDevices = 2;
constexpr size_t kAllocAlign = 512;  // device allocations start on a 512-B boundary
constexpr uint8_t kFreshByte = 0xFF; // fresh device memory: NaN in every float format
const char* const kDefaultSoc[kDevices] = {"Ascend910B3", "Ascend950PR"};
const uint32_t kDeviceTarget[kDevices] = {AK_TARGET_A2_CODE, AK_TARGET_A5_CODE};
const int kDeviceArch[kDevices] = {AK_TARGET_A2_NPU_ARCH, AK_TARGET_A5_NPU_ARCH};

struct Allocation {
    size_t len = 0;
    int32_t device = 0;
    std::thread::id owner;
    // Byte ranges [begin, end) pending tasks use: a kernel argument pins from its pointer to the
    // end of the allocation (a kernel may reach anything past its pointer), an asynchronous copy
    // exactly the bytes it copies. One entry per use.
    std::vector<std::pair<uintptr_t, uintptr_t>> pins;
};

struct Task {
    bool kernel = true;
    // kernel
    std::string name;
    int arch = 0;
    uint32_t blockDim = 0;
    std::vector<KernelArg> args;
    std::vector<std::string> argNames;
    std::function<void()> body;
    // asynchronous copy
    void* dst = nullptr;
    const void* src = nullptr;
    size_t count = 0;
    // ranges this task pinned: (allocation base, begin, end)
    struct Pin {
        uintptr_t base, begin, end;
    };
    std::vector<Pin> pinned;
};

struct Stream {
    int32_t device = 0;
    std::deque<Task> tasks;
};

struct Runtime {
    std::mutex mu;
    std::atomic<bool> initialized{false};
    std::map<uintptr_t, Allocation> allocs;  // by base address
    std::map<void*, std::unique_ptr<Stream>> streams;
    std::string soc[kDevices] = {kDefaultSoc[0], kDefaultSoc[1]};
    uint64_t liveBytes = 0;
    uint64_t capacity = 0;  // emulated device memory per process (bytes)
};

// Never destroyed: the runtime may be used from thread-exit and atexit paths.
Runtime& R()
{
    static Runtime* r = new Runtime();
    return *r;
}

struct Fault {
    uint32_t skip = 0;
    int32_t code = 0;
};

thread_local int32_t tl_device = -1;
thread_local std::string tl_error;
thread_local std::string tl_errorHandedOut;
thread_local AkSimCounters tl_counters{};
thread_local std::map<std::string, Fault>* tl_faults = nullptr;

const char* const kApis[] = {
    "aclInit", "aclFinalize", "aclrtSetDevice", "aclrtResetDevice", "aclrtGetDeviceCount",
    "aclrtGetSocName", "aclrtCreateStream", "aclrtDestroyStream", "aclrtSynchronizeStream",
    "aclrtMalloc", "aclrtFree", "aclrtMemcpy", "aclrtMemcpyAsync", "aclrtMemset", "launch",
};

aclError Err(aclError code, const std::string& msg)
{
    try {
        tl_error = msg;
    } catch (...) {
    }
    return code;
}

// A pending injected fault of `api` on this thread: its code (consumed), else 0.
int32_t TakeFault(const char* api)
{
    if (tl_faults == nullptr) {
        return 0;
    }
    auto it = tl_faults->find(api);
    if (it == tl_faults->end()) {
        return 0;
    }
    if (it->second.skip > 0) {
        --it->second.skip;
        return 0;
    }
    const int32_t code = it->second.code;
    tl_faults->erase(it);
    return code;
}

#define AK_EMU_FAULT(api)                                                  \
    do {                                                                   \
        if (const int32_t fc = TakeFault(api)) {                           \
            return Err(fc, std::string(api) + ": injected fault (akEmuInjectFault)"); \
        }                                                                  \
    } while (0)

uint64_t DeviceCapacity()
{
    // The emulated HBM: 64 GiB, but never more than half of the host's physical memory, so an
    // oversized request is ACL_ERROR_RT_MEMORY_ALLOCATION instead of the host's OOM killer.
    const long pages = sysconf(_SC_PHYS_PAGES);
    const long page = sysconf(_SC_PAGESIZE);
    uint64_t cap = 64ull << 30;
    if (pages > 0 && page > 0) {
        cap = std::min<uint64_t>(cap, static_cast<uint64_t>(pages) * static_cast<uint64_t>(page) / 2);
    }
    return cap;
}

// The allocation holding [p, p+len) (len >= 1), or end(). Caller holds the lock.
std::map<uintptr_t, Allocation>::iterator Find(Runtime& r, const void* p, size_t len)
{
    const uintptr_t a = reinterpret_cast<uintptr_t>(p);
    auto it = r.allocs.upper_bound(a);
    if (it == r.allocs.begin()) {
        return r.allocs.end();
    }
    --it;
    if (a - it->first >= it->second.len || len > it->second.len - (a - it->first)) {
        return r.allocs.end();
    }
    return it;
}

bool Initialized(const char* api, aclError* rc)
{
    if (!R().initialized) {
        *rc = Err(ACL_ERROR_UNINITIALIZE, std::string(api) + ": aclInit has not been called");
        return false;
    }
    return true;
}

bool HaveDevice(const char* api, aclError* rc)
{
    if (tl_device < 0) {
        *rc = Err(ACL_ERROR_RT_CONTEXT_NULL,
                  std::string(api) + ": no device is set on this thread (call aclrtSetDevice first)");
        return false;
    }
    return true;
}

// Checks a device range for a synchronous host operation (memcpy, memset): inside one
// allocation of the current device, not used by a pending task. Caller holds the lock.
bool CheckDeviceRange(Runtime& r, const char* api, const char* what, const void* p, size_t len, aclError* rc)
{
    auto it = Find(r, p, len == 0 ? 1 : len);
    if (it == r.allocs.end()) {
        *rc = Err(ACL_ERROR_RT_PARAM_INVALID,
                  Fmt("%s: %s [%p, +%zu B) is not inside one device allocation (aclrtMalloc)", api, what, p, len));
        return false;
    }
    const uintptr_t b = reinterpret_cast<uintptr_t>(p);
    const uintptr_t e = b + len;
    for (const auto& pin : it->second.pins) {
        if (b < pin.second && pin.first < e) {
            *rc = Err(ACL_ERROR_RT_PARAM_INVALID,
                      Fmt("%s: %s [%p, +%zu B) overlaps device memory a pending task uses (bytes [%llu, %llu) of "
                          "its allocation); synchronize that stream first (the copy would race with it)",
                          api, what, p, len, static_cast<unsigned long long>(pin.first - it->first),
                          static_cast<unsigned long long>(pin.second - it->first)));
            return false;
        }
    }
    return true;
}

// Pins [begin, end) of the allocation at `it` for task `t`. Caller holds the lock.
void Pin(std::map<uintptr_t, Allocation>::iterator it, Task& t, uintptr_t begin, uintptr_t end)
{
    it->second.pins.emplace_back(begin, end);
    t.pinned.push_back({it->first, begin, end});
}

void Unpin(Runtime& r, const Task& t)
{
    for (const Task::Pin& p : t.pinned) {
        auto it = r.allocs.find(p.base);
        if (it == r.allocs.end()) {
            continue;
        }
        auto& v = it->second.pins;
        auto at = std::find(v.begin(), v.end(), std::make_pair(p.begin, p.end));
        if (at != v.end()) {
            v.erase(at);
        }
    }
}

void AddCounters(const AkSimCounters& c)
{
    AkSimCounters& t = tl_counters;
    t.gm_to_ub_bytes += c.gm_to_ub_bytes;
    t.ub_to_gm_bytes += c.ub_to_gm_bytes;
    t.vector_instrs += c.vector_instrs;
    t.vector_elems += c.vector_elems;
    t.cube_macs += c.cube_macs;
    t.max_core_gm_bytes = std::max(t.max_core_gm_bytes, c.max_core_gm_bytes);
    t.ub_peak_bytes = std::max(t.ub_peak_bytes, c.ub_peak_bytes);
    t.blocks = std::max(t.blocks, c.blocks);
}

// Runs one kernel task in a sim session over the allocations its arguments point into. Returns
// an empty string when clean, else the message.
std::string RunKernel(Runtime& r, const Stream& s, Task& t)
{
    struct Region {
        uintptr_t base;
        uint64_t len;
        bool writable;
        std::string name;
    };
    std::vector<Region> regions;
    {
        std::lock_guard<std::mutex> lock(r.mu);
        for (size_t i = 0; i < t.args.size(); ++i) {
            if (t.args[i].ptr == nullptr) {
                continue;
            }
            auto it = Find(r, t.args[i].ptr, 1);
            if (it == r.allocs.end()) {
                return Fmt("argument '%s' (%p) no longer points into a device allocation", t.argNames[i].c_str(),
                           t.args[i].ptr);
            }
            auto reg = std::find_if(regions.begin(), regions.end(), [&](const Region& g) { return g.base == it->first; });
            if (reg == regions.end()) {
                regions.push_back({it->first, it->second.len, t.args[i].written != 0, t.argNames[i]});
            } else {
                reg->writable = reg->writable || t.args[i].written != 0;
                reg->name += "|" + t.argNames[i];
            }
        }
    }
    const uint32_t target = kDeviceTarget[s.device];
    if (ak_sim_begin(target) != 0) {
        return "a sim session is already open on this thread (a kernel synchronized a stream?)";
    }
    for (const Region& g : regions) {
        if (ak_sim_register_gm(reinterpret_cast<const void*>(g.base), g.len, g.writable ? 1 : 0, g.name.c_str()) != 0) {
            AkSimCounters c;
            char e[8];
            ak_sim_end(&c, e, sizeof(e));
            return Fmt("could not register device allocation '%s' with the sim", g.name.c_str());
        }
    }
    AscendC::sim::LaunchImpl(t.blockDim, t.arch, t.body);
    AkSimCounters c{};
    char err[2048];
    const int32_t rc = ak_sim_end(&c, err, sizeof(err));
    AddCounters(c);
    if (rc != 0) {
        return std::string(err[0] != '\0' ? err : "the sim reported a failure");
    }
    return std::string();
}

}  // namespace

// ---------------------------------------------------------------------------------- AscendCL

extern "C" aclError aclInit(const char* configPath)
{
    (void)configPath;
    AK_EMU_FAULT("aclInit");
    Runtime& r = R();
    std::lock_guard<std::mutex> lock(r.mu);
    if (r.initialized) {
        return Err(ACL_ERROR_REPEAT_INITIALIZE, "aclInit: already initialized");
    }
    r.initialized = true;
    r.capacity = DeviceCapacity();
    return ACL_SUCCESS;
}

extern "C" aclError aclFinalize(void)
{
    AK_EMU_FAULT("aclFinalize");
    Runtime& r = R();
    std::lock_guard<std::mutex> lock(r.mu);
    if (!r.initialized) {
        return Err(ACL_ERROR_UNINITIALIZE, "aclFinalize: aclInit has not been called");
    }
    r.initialized = false;
    return ACL_SUCCESS;
}

extern "C" aclError aclrtSetDevice(int32_t deviceId)
{
    AK_EMU_FAULT("aclrtSetDevice");
    aclError rc;
    if (!Initialized("aclrtSetDevice", &rc)) {
        return rc;
    }
    if (deviceId < 0 || deviceId >= kDevices) {
        return Err(ACL_ERROR_RT_INVALID_DEVICEID,
                   Fmt("aclrtSetDevice: device %d does not exist (the emulator has devices 0 and 1)", deviceId));
    }
    tl_device = deviceId;
    return ACL_SUCCESS;
}

extern "C" aclError aclrtResetDevice(int32_t deviceId)
{
    AK_EMU_FAULT("aclrtResetDevice");
    aclError rc;
    if (!Initialized("aclrtResetDevice", &rc)) {
        return rc;
    }
    if (deviceId < 0 || deviceId >= kDevices) {
        return Err(ACL_ERROR_RT_INVALID_DEVICEID, Fmt("aclrtResetDevice: device %d does not exist", deviceId));
    }
    if (tl_device == deviceId) {
        tl_device = -1;
    }
    return ACL_SUCCESS;
}

extern "C" aclError aclrtGetDeviceCount(uint32_t* count)
{
    AK_EMU_FAULT("aclrtGetDeviceCount");
    aclError rc;
    if (!Initialized("aclrtGetDeviceCount", &rc)) {
        return rc;
    }
    if (count == nullptr) {
        return Err(ACL_ERROR_INVALID_PARAM, "aclrtGetDeviceCount: count is NULL");
    }
    *count = kDevices;
    return ACL_SUCCESS;
}

extern "C" const char* aclrtGetSocName(void)
{
    if (TakeFault("aclrtGetSocName") != 0) {
        Err(ACL_ERROR_RT_INTERNAL_ERROR, "aclrtGetSocName: injected fault (akEmuInjectFault)");
        return nullptr;
    }
    aclError rc;
    if (!Initialized("aclrtGetSocName", &rc) || !HaveDevice("aclrtGetSocName", &rc)) {
        return nullptr;
    }
    Runtime& r = R();
    std::lock_guard<std::mutex> lock(r.mu);
    return r.soc[tl_device].c_str();
}

extern "C" aclError aclrtCreateStream(aclrtStream* stream)
{
    AK_EMU_FAULT("aclrtCreateStream");
    aclError rc;
    if (!Initialized("aclrtCreateStream", &rc) || !HaveDevice("aclrtCreateStream", &rc)) {
        return rc;
    }
    if (stream == nullptr) {
        return Err(ACL_ERROR_INVALID_PARAM, "aclrtCreateStream: stream is NULL");
    }
    try {
        std::unique_ptr<Stream> s(new Stream());
        s->device = tl_device;
        void* handle = s.get();
        Runtime& r = R();
        std::lock_guard<std::mutex> lock(r.mu);
        r.streams.emplace(handle, std::move(s));
        *stream = handle;
        return ACL_SUCCESS;
    } catch (...) {
        return Err(ACL_ERROR_RT_INTERNAL_ERROR, "aclrtCreateStream: out of host memory");
    }
}

extern "C" aclError aclrtDestroyStream(aclrtStream stream)
{
    AK_EMU_FAULT("aclrtDestroyStream");
    aclError rc;
    if (!Initialized("aclrtDestroyStream", &rc)) {
        return rc;
    }
    Runtime& r = R();
    std::lock_guard<std::mutex> lock(r.mu);
    auto it = r.streams.find(stream);
    if (it == r.streams.end()) {
        return Err(ACL_ERROR_RT_PARAM_INVALID, Fmt("aclrtDestroyStream: %p is not a live stream", stream));
    }
    if (!it->second->tasks.empty()) {
        return Err(ACL_ERROR_RT_PARAM_INVALID,
                   Fmt("aclrtDestroyStream: the stream has %zu pending task(s); synchronize it first",
                       it->second->tasks.size()));
    }
    r.streams.erase(it);
    return ACL_SUCCESS;
}

extern "C" aclError aclrtSynchronizeStream(aclrtStream stream)
{
    aclError rc;
    if (!Initialized("aclrtSynchronizeStream", &rc) || !HaveDevice("aclrtSynchronizeStream", &rc)) {
        return rc;
    }
    Runtime& r = R();
    Stream* s = nullptr;
    std::deque<Task> tasks;
    {
        std::lock_guard<std::mutex> lock(r.mu);
        auto it = r.streams.find(stream);
        if (it == r.streams.end()) {
            return Err(ACL_ERROR_RT_PARAM_INVALID, Fmt("aclrtSynchronizeStream: %p is not a live stream", stream));
        }
        s = it->second.get();
        if (s->device != tl_device) {
            return Err(ACL_ERROR_RT_STREAM_CONTEXT,
                       Fmt("aclrtSynchronizeStream: the stream belongs to device %d, this thread is on device %d",
                           s->device, tl_device));
        }
        tasks.swap(s->tasks);
    }
    const int32_t fault = TakeFault("aclrtSynchronizeStream");
    std::string failure;
    size_t done = 0;
    if (fault != 0) {
        failure = "aclrtSynchronizeStream: injected fault (akEmuInjectFault)";
    }
    for (; failure.empty() && done < tasks.size(); ++done) {
        Task& t = tasks[done];
        if (t.kernel) {
            std::string msg;
            try {
                msg = RunKernel(r, *s, t);
            } catch (...) {
                msg = "out of host memory while running the kernel";
            }
            if (!msg.empty()) {
                failure = "kernel " + t.name + ": " + msg;
            }
        } else {
            std::memcpy(t.dst, t.src, t.count);
        }
    }
    {
        std::lock_guard<std::mutex> lock(r.mu);
        for (const Task& t : tasks) {
            Unpin(r, t);
        }
    }
    if (!failure.empty()) {
        const size_t dropped = tasks.size() - done;
        if (fault == 0 && dropped > 0) {
            failure += Fmt(" (%zu later task(s) of the stream were not run)", dropped);
        }
        return Err(fault != 0 ? fault : ACL_ERROR_RT_AICORE_EXCEPTION, failure);
    }
    return ACL_SUCCESS;
}

extern "C" aclError aclrtMalloc(void** devPtr, size_t size, aclrtMemMallocPolicy policy)
{
    AK_EMU_FAULT("aclrtMalloc");
    aclError rc;
    if (!Initialized("aclrtMalloc", &rc) || !HaveDevice("aclrtMalloc", &rc)) {
        return rc;
    }
    if (devPtr == nullptr || size == 0) {
        return Err(ACL_ERROR_INVALID_PARAM, Fmt("aclrtMalloc: %s", devPtr == nullptr ? "devPtr is NULL" : "size is 0"));
    }
    if (policy != ACL_MEM_MALLOC_HUGE_FIRST && policy != ACL_MEM_MALLOC_HUGE_ONLY &&
        policy != ACL_MEM_MALLOC_NORMAL_ONLY) {
        return Err(ACL_ERROR_INVALID_PARAM, Fmt("aclrtMalloc: unknown policy %d", static_cast<int>(policy)));
    }
    Runtime& r = R();
    {
        std::lock_guard<std::mutex> lock(r.mu);
        if (size > r.capacity || r.liveBytes > r.capacity - size) {
            return Err(ACL_ERROR_RT_MEMORY_ALLOCATION,
                       Fmt("aclrtMalloc: %zu B do not fit in the emulated device memory (%llu B in use of %llu B)",
                           size, static_cast<unsigned long long>(r.liveBytes),
                           static_cast<unsigned long long>(r.capacity)));
        }
    }
    const size_t rounded = (size + kAllocAlign - 1) / kAllocAlign * kAllocAlign;
    void* p = std::aligned_alloc(kAllocAlign, rounded);
    if (p == nullptr) {
        return Err(ACL_ERROR_RT_MEMORY_ALLOCATION, Fmt("aclrtMalloc: the host could not provide %zu B", size));
    }
    std::memset(p, kFreshByte, size);
    try {
        std::lock_guard<std::mutex> lock(r.mu);
        Allocation a;
        a.len = size;
        a.device = tl_device;
        a.owner = std::this_thread::get_id();
        r.allocs.emplace(reinterpret_cast<uintptr_t>(p), a);
        r.liveBytes += size;
    } catch (...) {
        std::free(p);
        return Err(ACL_ERROR_RT_INTERNAL_ERROR, "aclrtMalloc: out of host memory");
    }
    *devPtr = p;
    return ACL_SUCCESS;
}

extern "C" aclError aclrtFree(void* devPtr)
{
    AK_EMU_FAULT("aclrtFree");
    aclError rc;
    if (!Initialized("aclrtFree", &rc)) {
        return rc;
    }
    Runtime& r = R();
    std::lock_guard<std::mutex> lock(r.mu);
    auto it = r.allocs.find(reinterpret_cast<uintptr_t>(devPtr));
    if (it == r.allocs.end()) {
        return Err(ACL_ERROR_RT_PARAM_INVALID,
                   Fmt("aclrtFree: %p is not the start of a live device allocation (double free?)", devPtr));
    }
    if (!it->second.pins.empty()) {
        return Err(ACL_ERROR_RT_PARAM_INVALID,
                   Fmt("aclrtFree: %zu pending task(s) use the allocation at %p; synchronize their stream first",
                       it->second.pins.size(), devPtr));
    }
    r.liveBytes -= it->second.len;
    r.allocs.erase(it);
    std::free(devPtr);
    return ACL_SUCCESS;
}

namespace {

// Validates a copy; on success the copy may go ahead. `sync` selects the pending-use check.
bool CheckCopy(Runtime& r, const char* api, void* dst, size_t destMax, const void* src, size_t count,
               aclrtMemcpyKind kind, bool sync, aclError* rc)
{
    if (dst == nullptr || src == nullptr) {
        *rc = Err(ACL_ERROR_INVALID_PARAM, Fmt("%s: %s is NULL", api, dst == nullptr ? "dst" : "src"));
        return false;
    }
    if (count > destMax) {
        *rc = Err(ACL_ERROR_INVALID_PARAM, Fmt("%s: count %zu exceeds destMax %zu", api, count, destMax));
        return false;
    }
    const bool dstDev = kind == ACL_MEMCPY_HOST_TO_DEVICE || kind == ACL_MEMCPY_DEVICE_TO_DEVICE;
    const bool srcDev = kind == ACL_MEMCPY_DEVICE_TO_HOST || kind == ACL_MEMCPY_DEVICE_TO_DEVICE;
    if (kind != ACL_MEMCPY_HOST_TO_HOST && !dstDev && !srcDev) {
        *rc = Err(ACL_ERROR_INVALID_PARAM, Fmt("%s: unknown copy kind %d", api, static_cast<int>(kind)));
        return false;
    }
    if (dstDev && Find(r, dst, destMax == 0 ? 1 : destMax) == r.allocs.end()) {
        *rc = Err(ACL_ERROR_RT_PARAM_INVALID,
                  Fmt("%s: dst [%p, +%zu B) is not inside one device allocation", api, dst, destMax));
        return false;
    }
    if (sync && dstDev && !CheckDeviceRange(r, api, "dst", dst, count, rc)) {
        return false;
    }
    if (srcDev && (sync ? !CheckDeviceRange(r, api, "src", src, count, rc)
                        : Find(r, src, count == 0 ? 1 : count) == r.allocs.end())) {
        if (!sync) {
            *rc = Err(ACL_ERROR_RT_PARAM_INVALID,
                      Fmt("%s: src [%p, +%zu B) is not inside one device allocation", api, src, count));
        }
        return false;
    }
    return true;
}

}  // namespace

extern "C" aclError aclrtMemcpy(void* dst, size_t destMax, const void* src, size_t count, aclrtMemcpyKind kind)
{
    AK_EMU_FAULT("aclrtMemcpy");
    aclError rc;
    if (!Initialized("aclrtMemcpy", &rc) || !HaveDevice("aclrtMemcpy", &rc)) {
        return rc;
    }
    Runtime& r = R();
    {
        std::lock_guard<std::mutex> lock(r.mu);
        if (!CheckCopy(r, "aclrtMemcpy", dst, destMax, src, count, kind, true, &rc)) {
            return rc;
        }
    }
    if (count > 0) {
        std::memmove(dst, src, count);
    }
    return ACL_SUCCESS;
}

extern "C" aclError aclrtMemcpyAsync(void* dst, size_t destMax, const void* src, size_t count, aclrtMemcpyKind kind,
                                     aclrtStream stream)
{
    AK_EMU_FAULT("aclrtMemcpyAsync");
    aclError rc;
    if (!Initialized("aclrtMemcpyAsync", &rc) || !HaveDevice("aclrtMemcpyAsync", &rc)) {
        return rc;
    }
    Runtime& r = R();
    try {
        std::lock_guard<std::mutex> lock(r.mu);
        auto sit = r.streams.find(stream);
        if (sit == r.streams.end()) {
            return Err(ACL_ERROR_RT_PARAM_INVALID, Fmt("aclrtMemcpyAsync: %p is not a live stream", stream));
        }
        if (!CheckCopy(r, "aclrtMemcpyAsync", dst, destMax, src, count, kind, false, &rc)) {
            return rc;
        }
        Task t;
        t.kernel = false;
        t.dst = dst;
        t.src = src;
        t.count = count;
        for (const void* p : {static_cast<const void*>(dst), src}) {
            auto it = Find(r, p, 1);
            if (it != r.allocs.end()) {
                const uintptr_t b = reinterpret_cast<uintptr_t>(p);
                Pin(it, t, b, b + count);
            }
        }
        sit->second->tasks.push_back(std::move(t));
        return ACL_SUCCESS;
    } catch (...) {
        return Err(ACL_ERROR_RT_INTERNAL_ERROR, "aclrtMemcpyAsync: out of host memory");
    }
}

extern "C" aclError aclrtMemset(void* devPtr, size_t maxCount, int32_t value, size_t count)
{
    AK_EMU_FAULT("aclrtMemset");
    aclError rc;
    if (!Initialized("aclrtMemset", &rc) || !HaveDevice("aclrtMemset", &rc)) {
        return rc;
    }
    if (devPtr == nullptr || count > maxCount) {
        return Err(ACL_ERROR_INVALID_PARAM, Fmt("aclrtMemset: %s", devPtr == nullptr ? "devPtr is NULL"
                                                                                    : "count exceeds maxCount"));
    }
    Runtime& r = R();
    {
        std::lock_guard<std::mutex> lock(r.mu);
        if (!CheckDeviceRange(r, "aclrtMemset", "devPtr", devPtr, count, &rc)) {
            return rc;
        }
    }
    std::memset(devPtr, value, count);
    return ACL_SUCCESS;
}

extern "C" const char* aclGetRecentErrMsg(void)
{
    if (tl_error.empty()) {
        return nullptr;
    }
    try {
        tl_errorHandedOut.swap(tl_error);
        tl_error.clear();
        return tl_errorHandedOut.c_str();
    } catch (...) {
        return nullptr;
    }
}

// ---------------------------------------------------------------------------------- launch

int32_t AscendC::sim::EnqueueKernelImpl(void* stream, const char* kernel, int arch, uint32_t blockDim,
                                        const KernelArg* args, uint32_t nargs, std::function<void()> fn) noexcept
{
    AK_EMU_FAULT("launch");
    const std::string name = kernel != nullptr ? kernel : "?";
    aclError rc;
    if (!Initialized(name.c_str(), &rc) || !HaveDevice(name.c_str(), &rc)) {
        return rc;
    }
    Runtime& r = R();
    try {
        std::lock_guard<std::mutex> lock(r.mu);
        auto sit = r.streams.find(stream);
        if (sit == r.streams.end()) {
            return Err(ACL_ERROR_RT_PARAM_INVALID, Fmt("%s: %p is not a live stream", name.c_str(), stream));
        }
        Stream& s = *sit->second;
        if (s.device != tl_device) {
            return Err(ACL_ERROR_RT_STREAM_CONTEXT, Fmt("%s: the stream belongs to device %d, this thread is on device %d",
                                                        name.c_str(), s.device, tl_device));
        }
        if (arch != kDeviceArch[s.device]) {
            return Err(ACL_ERROR_RT_SOC_VERSION,
                       Fmt("%s: compiled for __NPU_ARCH__ %d, device %d (%s) is __NPU_ARCH__ %d", name.c_str(), arch,
                           s.device, r.soc[s.device].c_str(), kDeviceArch[s.device]));
        }
        if (blockDim == 0 || blockDim > 65535) {
            return Err(ACL_ERROR_RT_PARAM_INVALID,
                       Fmt("%s: block_dim %u out of range [1, 65535]", name.c_str(), blockDim));
        }
        Task t;
        t.name = name;
        t.arch = arch;
        t.blockDim = blockDim;
        t.body = std::move(fn);
        for (uint32_t i = 0; i < nargs; ++i) {
            const char* an = args[i].name != nullptr ? args[i].name : "?";
            t.args.push_back(args[i]);
            t.argNames.emplace_back(an);
            if (args[i].ptr == nullptr) {
                continue;
            }
            auto it = Find(r, args[i].ptr, 1);
            if (it == r.allocs.end() || it->second.device != s.device) {
                Unpin(r, t);
                return Err(ACL_ERROR_RT_PARAM_INVALID,
                           Fmt("%s: argument '%s' (%p) is not inside a device allocation of device %d", name.c_str(),
                               an, args[i].ptr, s.device));
            }
            Pin(it, t, reinterpret_cast<uintptr_t>(args[i].ptr), it->first + it->second.len);
        }
        s.tasks.push_back(std::move(t));
        return ACL_SUCCESS;
    } catch (...) {
        return Err(ACL_ERROR_RT_INTERNAL_ERROR, name + ": out of host memory");
    }
}

// ---------------------------------------------------------------------------------- controls

extern "C" int32_t akEmuInjectFault(const char* api, uint32_t skip, int32_t code)
{
    if (api == nullptr || code == 0) {
        return ACL_ERROR_INVALID_PARAM;
    }
    const bool known = std::any_of(std::begin(kApis), std::end(kApis), [&](const char* a) { return std::strcmp(a, api) == 0; });
    if (!known) {
        return ACL_ERROR_INVALID_PARAM;
    }
    try {
        if (tl_faults == nullptr) {
            tl_faults = new std::map<std::string, Fault>();
        }
        (*tl_faults)[api] = Fault{skip, code};
        return 0;
    } catch (...) {
        return ACL_ERROR_RT_INTERNAL_ERROR;
    }
}

extern "C" void akEmuClearFaults(void)
{
    if (tl_faults != nullptr) {
        tl_faults->clear();
    }
}

extern "C" int32_t akEmuSetSocName(int32_t deviceId, const char* soc)
{
    if (deviceId < 0 || deviceId >= kDevices) {
        return ACL_ERROR_RT_INVALID_DEVICEID;
    }
    Runtime& r = R();
    try {
        std::lock_guard<std::mutex> lock(r.mu);
        r.soc[deviceId] = soc != nullptr ? soc : kDefaultSoc[deviceId];
        return 0;
    } catch (...) {
        return ACL_ERROR_RT_INTERNAL_ERROR;
    }
}

extern "C" uint64_t akEmuLiveAllocations(void)
{
    Runtime& r = R();
    std::lock_guard<std::mutex> lock(r.mu);
    return r.allocs.size();
}

extern "C" uint64_t akEmuThreadLiveAllocations(void)
{
    Runtime& r = R();
    const std::thread::id me = std::this_thread::get_id();
    std::lock_guard<std::mutex> lock(r.mu);
    return static_cast<uint64_t>(
        std::count_if(r.allocs.begin(), r.allocs.end(), [&](const auto& a) { return a.second.owner == me; }));
}

extern "C" uint64_t akEmuLiveStreams(void)
{
    Runtime& r = R();
    std::lock_guard<std::mutex> lock(r.mu);
    return r.streams.size();
}

extern "C" int32_t akEmuTakeThreadCounters(AkSimCounters* out)
{
    if (out != nullptr) {
        *out = tl_counters;
    }
    tl_counters = AkSimCounters{};
    return 0;
}
