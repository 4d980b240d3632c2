#!/usr/bin/env python3
"""Golden fixtures for `rms-norm` and `rope-qk` from Hugging Face transformers' Qwen3 modules.

Run from the repo root:  /work/pyenv/bin/python tests/golden/gen_norm_rope.py

rms-norm
  * default: transformers.models.qwen3.modeling_qwen3.Qwen3RMSNorm (weight in the activation dtype,
    module .to(dtype), as a loaded checkpoint has it), eps 1e-6.
  * fused residual: residual_out = (x + residual) in the dtype (as Qwen3DecoderLayer does),
    y = Qwen3RMSNorm(residual_out).
  * weight_in_f32=true: y = (x.float() * rsqrt(mean(x.float()^2) + eps) * w.float()).to(dtype), as
    vllm-ascend's fused-kernel test goldens compute it (torch written here, not transformers).
rope-qk
  * HF cases: Qwen3RotaryEmbedding(Qwen3Config(head_dim, rope_theta)) + apply_rotary_pos_emb on q
    [T,Hq,D], k [T,Hk,D] (cos/sin [T,D] unsqueezed at dim 1). expected.cos/sin are HF's cos/sin in the
    activation dtype, [T, rotary_dim] with duplicated halves (HF's cat(freqs, freqs) layout);
    expected.cos_f32/sin_f32 are the same before the cast (HF called with an f32 activation).
  * Partial rotary_dim and f32_compute=true: our own torch implementation of numerics.md rope_qk
    (same inv_freq/angle/cos expressions as HF, with d = rotary_dim; f32_compute rounds once at the end);
    dims >= rotary_dim pass through. NOT produced by HF.
Deterministic (torch.Generator / numpy default_rng with fixed seeds).
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import DT, OPS, clean_dir, save_case  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402
import transformers  # noqa: E402
from transformers import Qwen3Config  # noqa: E402
from transformers.models.qwen3.modeling_qwen3 import (  # noqa: E402
    Qwen3RMSNorm,
    Qwen3RotaryEmbedding,
    apply_rotary_pos_emb,
)

HF = f"transformers {transformers.__version__}"
TORCH = f"torch {torch.__version__.split('+')[0]}"
EPS = 1e-6


def randn(gen, shape, dt, scale=1.0):
    return (torch.randn(shape, generator=gen) * scale).to(DT[dt])


# ----------------------------------------------------------------------------------------- rms-norm
def rms_norm_cases():
    clean_dir("rms-norm")
    i = 0
    for dt in ["bf16", "f16", "f32"]:
        for shape in [(1, 64), (5, 128), (3, 4, 64)]:
            for variant in ["plain", "residual", "wf32", "wf32_residual"]:
                if dt != "bf16" and variant == "wf32_residual" and shape != (5, 128):
                    continue
                i += 1
                gen = torch.Generator().manual_seed(4000 + i)
                H = shape[-1]
                # mixed row magnitudes
                rows = int(np.prod(shape[:-1]))
                mags = torch.tensor([2.0 ** ((r * 5) % 9 - 4) for r in range(rows)]).reshape(*shape[:-1], 1)
                x = (torch.randn(shape, generator=gen) * mags).to(DT[dt])
                w = (1.0 + 0.2 * torch.randn(H, generator=gen)).to(DT[dt])
                inputs = {"x": x, "weight": w}
                exp = {}
                h = x
                if variant.endswith("residual"):
                    res = (torch.randn(shape, generator=gen) * mags).to(DT[dt])
                    inputs["residual"] = res
                    h = x + res  # in the dtype
                    exp["residual_out"] = h
                if variant.startswith("wf32"):
                    hf = h.float()
                    y = (hf * torch.rsqrt(hf.pow(2).mean(-1, keepdim=True) + EPS) * w.float()).to(DT[dt])
                    src = f"{TORCH} written in gen_norm_rope.py (vllm-ascend fused-kernel golden semantics)"
                else:
                    m = Qwen3RMSNorm(H, eps=EPS)
                    with torch.no_grad():
                        m.weight.copy_(w.float())
                    m = m.to(DT[dt])
                    with torch.no_grad():
                        y = m(h)
                    assert y.dtype == DT[dt]
                    src = f"{HF} Qwen3RMSNorm"
                if "residual" in inputs:
                    src += "; residual_out = (x + residual) in the dtype, as Qwen3DecoderLayer"
                exp["y"] = y
                name = f"{variant}_{dt}_" + "x".join(map(str, shape))
                save_case(
                    "rms-norm",
                    name,
                    inputs,
                    exp,
                    {
                        "source": src,
                        "eps": "1e-6",
                        "weight_in_f32": "true" if variant.startswith("wf32") else "false",
                        "compare": "ulp1",
                    },
                )


# ------------------------------------------------------------------------------------------ rope-qk
def hf_rope(q, k, pos, theta, D):
    cfg = Qwen3Config(
        hidden_size=256,
        num_attention_heads=q.shape[1],
        num_key_value_heads=k.shape[1],
        head_dim=D,
        rope_parameters={"rope_type": "default", "rope_theta": theta},
        max_position_embeddings=8192,
    )
    rot = Qwen3RotaryEmbedding(cfg)
    pid = pos[None, :]
    cos, sin = rot(q, pid)  # [1, T, D] in q.dtype
    cos32, sin32 = rot(q.float(), pid)
    qo, ko = apply_rotary_pos_emb(q, k, cos[0], sin[0], unsqueeze_dim=1)
    return qo, ko, cos[0], sin[0], cos32[0], sin32[0]


def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat((-x[..., h:], x[..., :h]), dim=-1)


def own_rope(q, k, pos, theta, rd, f32_compute):
    inv_freq = 1.0 / (theta ** (torch.arange(0, rd, 2, dtype=torch.int64).float() / rd))
    freqs = pos.float()[:, None] * inv_freq[None, :]
    emb = torch.cat((freqs, freqs), dim=-1)
    cos32, sin32 = emb.cos(), emb.sin()
    dt = q.dtype

    def one(x):
        xr, xp = x[..., :rd], x[..., rd:]
        if f32_compute:
            o = (xr.float() * cos32[:, None, :] + rotate_half(xr.float()) * sin32[:, None, :]).to(dt)
        else:
            c, s = cos32.to(dt)[:, None, :], sin32.to(dt)[:, None, :]
            o = (xr * c) + (rotate_half(xr) * s)
        return torch.cat((o, xp), dim=-1)

    return one(q), one(k), cos32.to(dt), sin32.to(dt), cos32, sin32


def rope_cases():
    clean_dir("rope-qk")
    Hq, Hk = 4, 2
    i = 0
    cases = []
    # HF cases (head_dim, theta, T, dtype), a subset of the full product to keep fixtures small
    for D, theta, T, dt in [
        (64, 1e6, 1, "bf16"), (64, 1e6, 7, "bf16"), (64, 1e6, 7, "f16"), (64, 5e6, 7, "f32"), (64, 5e6, 1, "f16"),
        (128, 1e6, 7, "bf16"), (128, 1e6, 1, "f32"), (128, 5e6, 7, "bf16"), (128, 5e6, 1, "f16"),
    ]:
        cases.append(("hf", D, D, theta, T, dt, False))
    # own implementation: partial rotary dim and/or f32_compute
    cases += [
        ("own", 64, 32, 1e6, 7, "bf16", False),
        ("own", 64, 32, 1e6, 7, "bf16", True),
        ("own", 128, 64, 5e6, 3, "f16", True),
        ("own", 128, 128, 1e6, 3, "bf16", True),
        ("own", 128, 128, 5e6, 1, "f16", True),
        ("own", 128, 96, 1e6, 3, "f32", True),
        ("own", 64, 16, 5e6, 1, "f16", False),
        ("own", 128, 64, 1e6, 3, "f32", False),
    ]
    for kind, D, rd, theta, T, dt, f32c in cases:
        i += 1
        gen = torch.Generator().manual_seed(5000 + i)
        rng = np.random.default_rng(5000 + i)
        q = randn(gen, (T, Hq, D), dt, 2.0)
        k = randn(gen, (T, Hk, D), dt, 2.0)
        pdt = torch.int64 if i % 2 else torch.int32
        p = rng.integers(0, 4096, T)
        if T == 7:
            p[0], p[1] = 0, 4095
        pos = torch.from_numpy(p).to(pdt)
        with torch.no_grad():
            if kind == "hf":
                qo, ko, c, s, c32, s32 = hf_rope(q, k, pos, theta, D)
                src = f"{HF} Qwen3RotaryEmbedding + apply_rotary_pos_emb (Qwen3Config head_dim={D}, rope_theta={theta:g})"
                # our own implementation must agree with HF on the full-rotary case
                oq, ok, oc, os_, oc32, os32 = own_rope(q, k, pos, theta, rd, False)
                for a, b in [(qo, oq), (ko, ok), (c, oc), (s, os_), (c32, oc32), (s32, os32)]:
                    assert torch.equal(a.view(-1).float(), b.view(-1).float()) or torch.equal(a, b)
            else:
                qo, ko, c, s, c32, s32 = own_rope(q, k, pos, theta, rd, f32c)
                src = (
                    f"{TORCH} written in gen_norm_rope.py from numerics.md rope_qk (HF expressions, d = rotary_dim"
                    + (", f32_compute: cos/sin f32, one rounding at the end" if f32c else ", HF per-op rounding")
                    + "); not produced by HF"
                )
        name = f"{kind}_d{D}_rd{rd}_theta{theta:g}_t{T}_{dt}" + ("_f32c" if f32c else "") + ("_i64" if pdt == torch.int64 else "_i32")
        save_case(
            "rope-qk",
            name,
            {"q": q, "k": k, "positions": pos},
            {"q_out": qo, "k_out": ko, "cos": c, "sin": s, "cos_f32": c32, "sin_f32": s32},
            {
                "source": src,
                "theta": f"{theta:g}",
                "rotary_dim": str(rd),
                "f32_compute": "true" if f32c else "false",
                "compare": "ulp1",
            },
        )


def main():
    rms_norm_cases()
    rope_cases()


if __name__ == "__main__":
    main()
