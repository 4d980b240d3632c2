// Helpers of the sim self-test (ascendc/sim/tests/run.sh). Shared by the a2 and a5 test TUs.
#ifndef AK_SIM_SELFTEST_UTIL_H
#define AK_SIM_SELFTEST_UTIL_H

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "ak_sim.h"

namespace selftest {

struct Gm {
    void* p;
    uint64_t bytes;
    bool writable;
    const char* name;
};

inline int& Failures()
{
    static int n = 0;
    return n;
}
inline int& Cases()
{
    static int n = 0;
    return n;
}

inline void Check(bool ok, const char* name, const std::string& detail)
{
    ++Cases();
    if (!ok) {
        ++Failures();
        std::printf("FAIL %s: %s\n", name, detail.c_str());
    } else {
        std::printf("ok   %s%s%s\n", name, detail.empty() ? "" : "  -- ", detail.c_str());
    }
}

// Runs one launch in a fresh session. want == nullptr: the launch must be clean. Otherwise it must
// fail with a message containing want (and, if wantPrefix, starting with it).
template <typename F>
inline bool Run(const char* name, uint32_t target, const std::vector<Gm>& gms, uint32_t blocks, F&& body,
                const char* want, AkSimCounters* countersOut = nullptr, const char* wantPrefix = nullptr)
{
    if (ak_sim_begin(target) != 0) {
        Check(false, name, "ak_sim_begin failed");
        return false;
    }
    for (const Gm& g : gms) {
        if (ak_sim_register_gm(g.p, g.bytes, g.writable ? 1 : 0, g.name) != 0) {
            Check(false, name, std::string("ak_sim_register_gm failed for ") + g.name);
            AkSimCounters c;
            char e[16];
            ak_sim_end(&c, e, sizeof(e));
            return false;
        }
    }
    const int32_t rc = AscendC::sim::Launch(blocks, body);
    AkSimCounters c;
    char err[2048];
    const int32_t end = ak_sim_end(&c, err, sizeof(err));
    if (countersOut != nullptr) {
        *countersOut = c;
    }
    bool ok;
    std::string detail;
    if (want == nullptr) {
        ok = rc == 0 && end == 0;
        detail = ok ? "" : std::string("unexpected violation: ") + err;
    } else {
        ok = rc != 0 && end != 0 && std::strstr(err, want) != nullptr &&
             (wantPrefix == nullptr || std::strncmp(err, wantPrefix, std::strlen(wantPrefix)) == 0);
        detail = ok ? std::string(err) : (std::string("expected a violation containing '") + want + "', got rc=" +
                                          std::to_string(rc) + " msg='" + err + "'");
    }
    Check(ok, name, detail);
    return ok;
}

}  // namespace selftest

#endif
