// sim_probe.h: a tiny copy kernel with deliberate misuse modes, for the negative tests that prove the
// emulator refuses what the hardware or toolchain would reject or silently get wrong. Not shipped by
// `emit`'s CANN project (tests only).
//
// Copies n f32 from src to dst through one UB queue with plain DataCopy (no padding), one core. mode 0
// is the correct kernel (n * 4 must be a multiple of 32 B); the other modes misuse the API on purpose:
// 1 frees a tensor twice, 2 dequeues from an empty queue, 3 leaks an allocated tensor, 4 reads the
// tensor after handing it to the queue.
//
// Template parameters: BUFFER_NUM the queue depth; Traits the target (unused). Buffers: sim_probe_ub.h
// (generated).
#ifndef AK_SIM_PROBE_H
#define AK_SIM_PROBE_H

#include "kernel_operator.h"
#include "ak_kernels.h"
#include "common/ak_kernel.h"
#include "sim_probe/sim_probe_ub.h"

using namespace AscendC;

template <int32_t BUFFER_NUM, typename Traits>
class KernelSimProbe {
public:
    __aicore__ inline KernelSimProbe() {}

    __aicore__ inline void Init(GM_ADDR src, GM_ADDR dst, const AkSimProbeTiling& tiling)
    {
        n_ = tiling.n;
        mode_ = tiling.mode;
        srcGm_.SetGlobalBuffer(reinterpret_cast<__gm__ float*>(src), n_);
        dstGm_.SetGlobalBuffer(reinterpret_cast<__gm__ float*>(dst), n_);
        ub_.Init(pipe_, tiling);
    }

    __aicore__ inline void Process()
    {
        if (mode_ == 2) {
            LocalTensor<float> none = ub_.que.template DeQue<float>();
            ub_.que.FreeTensor(none);
            return;
        }
        LocalTensor<float> t = ub_.que.template AllocTensor<float>();
        DataCopy(t, srcGm_, n_);
        ub_.que.EnQue(t);
        if (mode_ == 4) {
            Muls(t, t, 2.0f, n_);
        }
        t = ub_.que.template DeQue<float>();
        DataCopy(dstGm_, t, n_);
        if (mode_ == 3) {
            return;
        }
        ub_.que.FreeTensor(t);
        if (mode_ == 1) {
            ub_.que.FreeTensor(t);
        }
    }

private:
    TPipe pipe_;
    AkSimProbeUb<BUFFER_NUM, Traits> ub_;
    GlobalTensor<float> srcGm_;
    GlobalTensor<float> dstGm_;
    uint32_t n_ = 0;
    uint32_t mode_ = 0;
};

#endif // AK_SIM_PROBE_H
