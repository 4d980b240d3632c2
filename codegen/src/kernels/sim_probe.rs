//! `sim_probe`: a tiny copy kernel with deliberate misuse modes, used by the negative tests that
//! prove the sim refuses what the hardware or toolchain would reject or silently get wrong.

use crate::desc::{
    CType, Dir, Field, GmArg, KernelCode, KernelDesc, SourceKernel, Target, Variant,
};
use crate::ub::{Depth, Position, UbBuffer, UbPlan, When};

/// The description of `sim_probe`.
pub fn desc() -> KernelDesc {
    KernelDesc {
        name: "sim_probe",
        camel: "SimProbe",
        doc: "Copies n f32 from src to dst through one UB queue with plain DataCopy (no padding), one core.
              mode 0 is the correct kernel (n * 4 must be a multiple of 32 B); the other modes misuse the
              API on purpose: 1 frees a tensor twice, 2 dequeues from an empty queue, 3 leaks an allocated
              tensor, 4 reads the tensor after handing it to the queue. For tests only.",
        gm_args: vec![
            GmArg { name: "src", dir: Dir::In, doc: "[n] f32" },
            GmArg { name: "dst", dir: Dir::Out, doc: "[n] f32" },
        ],
        tiling: vec![
            Field { name: "n", ty: CType::U32, doc: "elements to copy" },
            Field { name: "mode", ty: CType::U32, doc: "0 correct, 1 double free, 2 empty DeQue, 3 leak, 4 use after EnQue" },
        ],
        variants: vec![Variant { name: "v0", buffer_num: 1, ub_share_pct: 100, doc: "the only variant" }],
        targets: &Target::ALL,
        includes: vec![],
        code: KernelCode::Source(SourceKernel {
            header: "sim_probe/sim_probe.h",
            class: "KernelSimProbe",
            type_params: vec![],
            mode_keys: vec![],
            ub: UbPlan {
                lets: vec![],
                buffers: vec![UbBuffer {
                    name: "que",
                    position: Position::VecIn,
                    depth: Depth::BufferNum,
                    size: "n * sizeof(float)",
                    when: When::Always,
                    doc: "the copied values (f32)",
                }],
            },
            native_fp8_types: false,
            task_type: "KERNEL_TYPE_AIV_ONLY",
        }),
    }
}
