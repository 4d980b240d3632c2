//! `sim_probe`: a tiny copy kernel with deliberate misuse modes, used by the negative tests that
//! prove the sim refuses what the hardware or toolchain would reject or silently get wrong.

use crate::desc::{CType, Dir, EmitCtx, Field, GmArg, KernelCode, KernelDesc, Target, Variant};
use crate::writer::SourceWriter;

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
        code: KernelCode::Inline { body, entry },
    }
}

fn body(_ctx: &EmitCtx, w: &mut SourceWriter) {
    w.lines(
        r#"
__aicore__ inline void Probe(GM_ADDR src, GM_ADDR dst, const AkSimProbeTiling& tiling)
{
    TPipe pipe;
    TQue<QuePosition::VECIN, BUFFER_NUM> que;
    GlobalTensor<float> srcGm;
    GlobalTensor<float> dstGm;
    srcGm.SetGlobalBuffer(reinterpret_cast<__gm__ float*>(src), tiling.n);
    dstGm.SetGlobalBuffer(reinterpret_cast<__gm__ float*>(dst), tiling.n);
    pipe.InitBuffer(que, BUFFER_NUM, tiling.n * sizeof(float));

    if (tiling.mode == 2) {
        LocalTensor<float> none = que.DeQue<float>();
        que.FreeTensor(none);
        return;
    }
    LocalTensor<float> t = que.AllocTensor<float>();
    DataCopy(t, srcGm, tiling.n);
    que.EnQue(t);
    if (tiling.mode == 4) {
        Muls(t, t, 2.0f, tiling.n);
    }
    t = que.DeQue<float>();
    DataCopy(dstGm, t, tiling.n);
    if (tiling.mode == 3) {
        return;
    }
    que.FreeTensor(t);
    if (tiling.mode == 1) {
        que.FreeTensor(t);
    }
}
"#,
    );
    w.blank();
}

fn entry(_ctx: &EmitCtx, w: &mut SourceWriter) {
    w.line("Probe(src, dst, tiling);");
}
