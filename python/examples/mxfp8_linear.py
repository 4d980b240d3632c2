#!/usr/bin/env python3
"""An sglang-style MXFP8 linear layer, played on the CPU with the torch_npu ops of ascend_kernels,
and compared with the bf16 linear it replaces.

What an inference engine does on an Ascend 950 for W8A8 MXFP8 (sglang's NPUMxfp8OnlineLinearMethod,
vllm-ascend's W8A8 MXFP8 linear):
  1. online weight quantization at load time: the bf16 weight [N, K] becomes float8_e4m3fn codes
     and E8M0 scales (npu_dynamic_mx_quant), stored pre-transposed for the GEMM: codes [K, N],
     scales [ceil(K/64), N, 2];
  2. per forward, per-token activation quantization: npu_dynamic_mx_quant(x) -> x codes [T, K],
     scales [T, ceil(K/64), 2];
  3. the MX matmul: npu_quant_matmul(..., group_sizes=[1, 1, 32]) with a float32 bias, bf16 out.

The reference is the bf16 linear: y = x @ W^T + b with x, W, b in bf16, computed exactly (float64)
and rounded once to bf16 — what an f32-accumulating bf16 GEMM approximates. The script prints
how far the MXFP8 layer lands from it, and how much of that each quantization contributes.

    python python/examples/mxfp8_linear.py [--tokens 16] [--in-features 1024] [--out-features 2048]
                                           [--backend cpu|sim-a2|sim-a5] [--seed 0]
"""

import argparse
import time

import ml_dtypes
import numpy as np

import ascend_kernels as ak

BF16 = ml_dtypes.bfloat16


def linear_f64(x, w, b):
    """x [T, K] @ w[N, K]^T + b, exact enough in float64 for a reference (|error| << bf16 ulp)."""
    return x.astype(np.float64) @ w.astype(np.float64).T + b.astype(np.float64)


def stats(name, got, want):
    g, w = got.astype(np.float64), want.astype(np.float64)
    d = g - w
    rel = np.linalg.norm(d) / np.linalg.norm(w)
    cos = float(np.dot(g.ravel(), w.ravel()) / (np.linalg.norm(g) * np.linalg.norm(w)))
    ulp = np.abs(w) * 2.0**-8  # one bf16 ulp is at most |w|·2^-7; half of that is the rounding
    within = float(np.mean(np.abs(d) <= np.maximum(2 * ulp, 1e-30)))
    print(f"  {name:<38} max|err| {np.max(np.abs(d)):.4g}   rel-Frobenius {rel:.4%}   "
          f"cosine {cos:.6f}   within 1 bf16 ulp {within:.1%}")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--tokens", type=int, default=16)
    p.add_argument("--in-features", type=int, default=1024)  # Qwen3-0.6B hidden size
    p.add_argument("--out-features", type=int, default=2048)  # its q_proj: 16 heads x 128
    p.add_argument("--backend", default="cpu")
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args()
    rng = np.random.default_rng(a.seed)
    t, k, n = a.tokens, a.in_features, a.out_features

    # a bf16 checkpoint weight (Kaiming-like scale) with a few outlier channels, activations with
    # the per-token magnitude spread of a real residual stream, and a bias
    w = (rng.standard_normal((n, k)) / np.sqrt(k)).astype(BF16)
    w[:, rng.choice(k, 4, replace=False)] *= BF16(8.0)
    x = (rng.standard_normal((t, k)) * np.exp(rng.uniform(-2, 2, (t, 1)))).astype(BF16)
    b = (rng.standard_normal(n) * 0.02).astype(BF16)

    start = time.perf_counter()
    # 1. online weight quantization, stored pre-transposed as the engine keeps it
    wq, ws = ak.npu_dynamic_mx_quant(w, dst_type="float8_e4m3fn", backend=a.backend)
    w_kn = np.ascontiguousarray(wq.T)  # [K, N] float8_e4m3fn
    ws_gn2 = np.ascontiguousarray(ws.transpose(1, 0, 2))  # [ceil(K/64), N, 2] float8_e8m0fnu
    # 2. per-token activation quantization
    xq, xs = ak.npu_dynamic_mx_quant(x, dst_type="float8_e4m3fn", backend=a.backend)
    # 3. the MX matmul, bias in float32 as npu_quant_matmul requires
    y_mx = ak.npu_quant_matmul(
        xq, w_kn, ws_gn2,
        pertoken_scale=xs, scale_dtype="float8_e8m0fnu", pertoken_scale_dtype="float8_e8m0fnu",
        bias=b.astype(np.float32), output_dtype="bfloat16", group_sizes=[1, 1, 32], backend=a.backend,
    )
    elapsed = time.perf_counter() - start

    # the bf16 linear it replaces, and the parts of the error
    exact = linear_f64(x, w, b)
    y_bf16 = exact.astype(BF16)
    w_dq = ak.npu_anti_mx_quant(wq, ws, dst_type="float32")
    x_dq = ak.npu_anti_mx_quant(xq, xs, dst_type="float32")
    print(f"MXFP8 linear [{t} x {k}] @ [{k} x {n}] on {a.backend} ({elapsed * 1e3:.1f} ms, quantization included)")
    print(f"  weight codes {w_kn.dtype} {list(w_kn.shape)}, scales {ws_gn2.dtype} {list(ws_gn2.shape)}; "
          f"activation codes {list(xq.shape)}, scales {list(xs.shape)}")
    print("error against the bf16 linear (exact, rounded once to bf16):")
    stats("MXFP8 W8A8 (npu_quant_matmul)", y_mx, y_bf16)
    stats("weight quantization only", linear_f64(x, w_dq, b).astype(BF16), y_bf16)
    stats("activation quantization only", linear_f64(x_dq, w, b).astype(BF16), y_bf16)
    # the MX matmul itself rounds once: it equals the exact product of the dequantized operands
    stats("MX matmul vs its dequantized operands", y_mx, linear_f64(x_dq, w_dq, b).astype(BF16))
    wq_err = np.abs(w_dq - w.astype(np.float32)) / np.maximum(np.abs(w.astype(np.float32)), 1e-30)
    print(f"  per-element weight error: median {np.median(wq_err):.3%}, 99th percentile {np.percentile(wq_err, 99):.3%} "
          f"(E4M3 has 3 mantissa bits: half an ulp is at most 6.25%)")


if __name__ == "__main__":
    main()
