#!/usr/bin/env python3
"""PyTorch peers of the CPU benches, measured on this machine with the same thread count.

Prints one JSON object per line: {"name", "seconds", "elements"} (median wall time of one call).
`benches/peers/compare.py` runs this and our criterion suites in one go and prints the ratios.

Peers (each skipped with a note on stderr when its package is missing):
  copy/4096x4096           torch `clone` of a bf16 4096x4096 tensor (bandwidth probe)
  mx_quant/4096x4096       torchao `to_mx` (E4M3, block 32, FLOOR = our Ocp+Scale)
  fp8_block_dequant/4096x4096  `(w.float() * s.repeat_interleave(128,0).repeat_interleave(128,1)).to(bf16)`
  rms_norm/4096x4096       transformers `Qwen3RMSNorm(4096)` on bf16
  qwen3_0.6b/decode        transformers Qwen3ForCausalLM, Qwen3-0.6B shapes, random bf16 weights,
                           seconds per decode token (KV cache, 16-token prompt)
  qwen3_0.6b/prefill       same model, seconds for a 128-token prompt
"""
import argparse
import json
import statistics
import sys
import time


def median_time(fn, warmup, reps):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def emit(name, seconds, elements):
    print(json.dumps({"name": name, "seconds": seconds, "elements": elements}), flush=True)


def note(msg):
    print(f"torch_peers: {msg}", file=sys.stderr, flush=True)


def kernels(torch, reps):
    n = 4096
    g = torch.Generator().manual_seed(0)
    x = (torch.rand(n, n, generator=g) * 8 - 4).to(torch.bfloat16)
    emit("copy/4096x4096", median_time(lambda: x.clone(), 2, reps), n * n)

    try:
        from torchao.prototype.mx_formats.mx_tensor import to_mx

        emit(
            "mx_quant/4096x4096",
            median_time(lambda: to_mx(x, torch.float8_e4m3fn, 32), 1, reps),
            n * n,
        )
    except ImportError as e:
        note(f"torchao missing, mx_quant peer skipped ({e})")

    w = (torch.rand(n, n, generator=g) * 100 - 50).to(torch.float8_e4m3fn)
    s = torch.rand(n // 128, n // 128, generator=g) * 1e-3

    def dequant():
        full = s.repeat_interleave(128, 0).repeat_interleave(128, 1)[:n, :n]
        return (w.to(torch.float32) * full).to(torch.bfloat16)

    emit("fp8_block_dequant/4096x4096", median_time(dequant, 1, reps), n * n)

    try:
        from transformers.models.qwen3.modeling_qwen3 import Qwen3RMSNorm

        norm = Qwen3RMSNorm(n, eps=1e-6).to(torch.bfloat16)
        with torch.no_grad():
            emit("rms_norm/4096x4096", median_time(lambda: norm(x), 1, reps), n * n)
    except ImportError as e:
        note(f"transformers missing, rms_norm peer skipped ({e})")


def qwen3(torch, decode_tokens):
    try:
        from transformers import Qwen3Config, Qwen3ForCausalLM
    except ImportError as e:
        note(f"transformers missing, Qwen3 peer skipped ({e})")
        return
    # Qwen/Qwen3-0.6B config.json shapes.
    cfg = Qwen3Config(
        vocab_size=151936, hidden_size=1024, intermediate_size=3072, num_hidden_layers=28,
        num_attention_heads=16, num_key_value_heads=8, head_dim=128, rms_norm_eps=1e-6,
        rope_theta=1000000.0, max_position_embeddings=40960, tie_word_embeddings=True,
        torch_dtype="bfloat16",
    )
    cfg._attn_implementation = "eager"
    torch.manual_seed(0)
    note("building Qwen3-0.6B with random bf16 weights ...")
    model = Qwen3ForCausalLM(cfg).to(torch.bfloat16).eval()
    prompt = torch.randint(0, cfg.vocab_size, (1, 128))
    with torch.no_grad():
        model(prompt[:, :16])  # warm-up
        t0 = time.perf_counter()
        model(prompt)
        emit("qwen3_0.6b/prefill", time.perf_counter() - t0, 128)
        out = model(prompt[:, :16], use_cache=True)
        past, nxt = out.past_key_values, out.logits[:, -1:].argmax(-1)
        times = []
        for _ in range(decode_tokens):
            t0 = time.perf_counter()
            out = model(nxt, past_key_values=past, use_cache=True)
            times.append(time.perf_counter() - t0)
            past, nxt = out.past_key_values, out.logits[:, -1:].argmax(-1)
        emit("qwen3_0.6b/decode", statistics.median(times[1:]), 1)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--reps", type=int, default=7)
    ap.add_argument("--decode-tokens", type=int, default=12)
    ap.add_argument("--only", choices=["kernels", "qwen3"], default=None)
    a = ap.parse_args()
    import torch

    torch.set_num_threads(a.threads)
    note(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    if a.only in (None, "kernels"):
        kernels(torch, a.reps)
    if a.only in (None, "qwen3"):
        qwen3(torch, a.decode_tokens)


if __name__ == "__main__":
    main()
