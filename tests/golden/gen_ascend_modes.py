#!/usr/bin/env python3
"""Fixtures for the Ascend modes, written from Huawei's golden functions and kernel code in
numpy + ml_dtypes (no torch, no project code): rms-norm (ascend-a2, ascend-950), add-rms-norm
(hf, ascend-a2, ascend-950), rotary-mul (rotary-mul, apply-rotary-pos-emb) and mx-quant as
npu_dynamic_mx_quant writes NaN/Inf blocks (golden.py).

Sources (read with git from the stored mirrors; the formulas below are our own numpy):
  OPS_NN  = hicann/ops-nn @ e5c3fa9327ea95ba26d06227e746923580d10921
    norm/rms_norm/tests/assets/golden.py             y = (x*rstd)*gamma rounded once
    norm/rms_norm/op_kernel/rms_norm.h                rstd = 1 / sqrt(sum * avg_factor + eps) (A2/A3)
    norm/rms_norm/op_kernel/arch35/rms_norm_regbase_perf.h   950: ComputeRstdNewtonRaphson<false, true>
    norm/norm_common/op_kernel/reduce_common_regbase.h       ComputeRstdNewtonRaphsonReg
    norm/add_rms_norm/tests/assets/golden.py          add_rms_golden_v1 (910B/910_93), _v2 (others)
    norm/add_rms_norm/op_kernel/add_rms_norm.h        A2/A3: Muls(sqx, avgFactor) before ReduceSum, Sqrt, Div
    norm/add_rms_norm/op_kernel/arch35/add_rms_norm_regbase.h   950: f32 sum, NR rstd, one rounding
    quant/dynamic_mx_quant/tests/assets/golden.py     _mx_quantize: NaN share_exp -> nan_to_num(0)
    norm/rms_norm/examples/test_aclnn_rms_norm.cpp, norm/add_rms_norm/examples/test_aclnn_add_rms_norm.cpp
  OPS_TF  = hicann/ops-transformer @ c29bc1069d3252c641e2aa059ec88f392d3f05ac
    posembedding/rotary_position_embedding/op_kernel/rotate_half_bf16.h, rotate_half_base.h
    posembedding/apply_rotary_pos_emb/op_kernel/apply_rotary_pos_emb_compute_ab_cast.h (CAST_ROUND),
      apply_rotary_pos_emb.cpp (f16 computed in f16)
    posembedding/rotary_position_embedding/examples/test_aclnn_rotary_position_embedding.cpp

Run from the repo root: python tests/golden/gen_ascend_modes.py (deterministic; rewrites only the
files it owns: ops/rms-norm/ascend_*, ops/add-rms-norm/*, ops/rotary-mul/*, ops/mx-quant/npu_*).
"""

import math
import os
import sys
from fractions import Fraction

import ml_dtypes
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _np_io import OPS, remove_cases  # noqa: E402
from _np_io import save_case as _save_case  # noqa: E402


def save_case(op, case, inputs, expected, meta):
    """Fixtures whose expected outputs hold a NaN compare `exact_nan` (NaN bits are not part of
    the contract), the others `exact`."""
    nan = any(np.isnan(np.asarray(v).astype(np.float64)).any() for v in expected.values()
              if np.asarray(v).dtype != np.dtype(ml_dtypes.float8_e8m0fnu) and np.asarray(v).dtype != np.uint8)
    meta = dict(meta)
    if meta.get("compare") == "exact" and nan:
        meta["compare"] = "exact_nan"
    return _save_case(op, case, inputs, expected, meta)

OPS_NN = "hicann/ops-nn@e5c3fa9327ea95ba26d06227e746923580d10921"
OPS_TF = "hicann/ops-transformer@c29bc1069d3252c641e2aa059ec88f392d3f05ac"
F32 = np.float32
BF16 = ml_dtypes.bfloat16
DTYPES = {"bf16": BF16, "f16": np.float16, "f32": np.float32}
INF = F32(np.inf)


# ----------------------------------------------------------------------------- f32 arithmetic
def round_to_f32(q):
    """An exact rational rounded to binary32, nearest-even, with subnormals and overflow."""
    if q == 0:
        return F32(0.0)
    sign = -1 if q < 0 else 1
    q = abs(q)
    e = q.numerator.bit_length() - q.denominator.bit_length()
    if Fraction(2) ** e > q:
        e -= 1
    elif Fraction(2) ** (e + 1) <= q:
        e += 1
    e = max(e, -126)
    quantum = Fraction(2) ** (e - 23)
    n = q / quantum
    fl = n.numerator // n.denominator
    rem = n - fl
    if rem > Fraction(1, 2) or (rem == Fraction(1, 2) and fl % 2 == 1):
        fl += 1
    v = fl * quantum
    if v >= Fraction(2) ** 128:
        return F32(sign * np.inf)
    return F32(sign * float(v))


def fma32(a, b, c):
    """Fused a*b + c in binary32 (one rounding), exactly, via rationals."""
    a, b, c = F32(a), F32(b), F32(c)
    if not (np.isfinite(a) and np.isfinite(b) and np.isfinite(c)):
        with np.errstate(all="ignore"):
            return F32(np.float64(a) * np.float64(b) + np.float64(c))
    return round_to_f32(Fraction(float(a)) * Fraction(float(b)) + Fraction(float(c)))


def rstd_sqrt_div(var):
    """A2/A3: Sqrt then Div, each rounded to f32 (rms_norm.h, add_rms_norm.h)."""
    with np.errstate(all="ignore"):
        return F32(1.0) / np.sqrt(F32(var))


def rstd_newton_raphson(var):
    """The 950's ComputeRstdNewtonRaphsonReg, every Mula a fused multiply-add."""
    var = F32(var)
    with np.errstate(all="ignore"):
        r = F32(1.0) / var
        y = np.sqrt(r)
        t = (var * F32(-0.5)) * y
        t1 = fma32(t, y, F32(1.5))
        rstd = y * t1
        s = fma32(var * F32(-1.0), r, F32(1.0))
        r = fma32(rstd * F32(-1.0), rstd, r)
        s = fma32(var, r, s)
        s = s * rstd
        rstd = fma32(s, F32(0.5), rstd)
    if var == INF:
        return F32(0.0)
    if var == 0:
        return INF
    return F32(rstd)


def f32_sum(values):
    """The f32 value of the exact sum (math.fsum, then one rounding); +inf past the f32 range."""
    v = np.asarray(values, dtype=np.float64)
    if np.isnan(v).any():
        return F32(np.nan)
    if np.isinf(v).any():
        return F32(np.sum(v))
    s = math.fsum(v.tolist())
    if s > np.finfo(np.float32).max:
        return INF
    return F32(s)


def avg_factor(h):
    return F32(1.0) / F32(h)


def to_dtype(a, dt):
    with np.errstate(all="ignore"):
        return np.asarray(a, dtype=F32).astype(dt)


# ----------------------------------------------------------------------------- the ops
def rms_norm_ascend(x, gamma, eps, newton_raphson):
    """aclnnRmsNorm: golden.py's y = (x*rstd)*gamma rounded once, with the kernel's rstd."""
    xf = x.astype(F32)
    gf = gamma.astype(F32)
    h = x.shape[-1]
    rows = xf.reshape(-1, h)
    rstd = np.empty((rows.shape[0], 1), dtype=F32)
    with np.errstate(all="ignore"):
        for i, row in enumerate(rows):
            mean = f32_sum(row * row) * avg_factor(h)
            var = F32(mean + F32(eps))
            rstd[i, 0] = rstd_newton_raphson(var) if newton_raphson else rstd_sqrt_div(var)
        y = to_dtype((rows * rstd) * gf, x.dtype).reshape(x.shape)
    return y, rstd.reshape(x.shape[:-1] + (1,))


def add_rms_norm(x1, x2, gamma, eps, mode):
    """npu_add_rms_norm: golden v1 (ascend-a2) / v2 (ascend-950) rounding points with the kernels'
    rstd; hf: the rounded sum normalised with the correctly rounded rstd and HF's y rounding."""
    dt = x1.dtype
    h = x1.shape[-1]
    with np.errstate(all="ignore"):
        s = x1.astype(F32) + x2.astype(F32)
        x = to_dtype(s, dt)
        normed = s if mode == "ascend-950" else x.astype(F32)
        rows = normed.reshape(-1, h)
        rstd = np.empty((rows.shape[0], 1), dtype=F32)
        for i, row in enumerate(rows):
            sq = row * row
            if mode == "ascend-a2":
                var = F32(f32_sum(sq * avg_factor(h)) + F32(eps))
                rstd[i, 0] = rstd_sqrt_div(var)
            elif mode == "ascend-950":
                var = F32(f32_sum(sq) * avg_factor(h) + F32(eps))
                rstd[i, 0] = rstd_newton_raphson(var)
            else:  # hf: squares and sum in f64, f32(sum / H) in one rounding (+inf past the f32
                # range), f32 eps add, correctly rounded 1/sqrt
                sq64 = np.asarray(row, np.float64) ** 2
                if np.isnan(sq64).any():
                    mean = F32(np.nan)
                elif np.isinf(sq64).any() or math.fsum(sq64.tolist()) > np.finfo(np.float32).max:
                    mean = INF
                else:
                    mean = F32(math.fsum(sq64.tolist()) / h)
                var = F32(mean + F32(eps))
                rstd[i, 0] = F32(1.0 / math.sqrt(float(var))) if var > 0 else (INF if var == 0 else F32(np.nan))
        gf = gamma.astype(F32)
        t = rows * rstd
        if mode == "ascend-950":
            y = to_dtype(t * gf, dt)
        else:  # golden v1 / HF: round to the dtype before the gamma multiply
            y = to_dtype(to_dtype(t, dt).astype(F32) * gf, dt)
    return y.reshape(x1.shape), rstd.reshape(x1.shape[:-1] + (1,)), x


def bf16_ties_away(v):
    """f32 -> bf16 rounding half away from zero (CAST_ROUND: carry when the first dropped bit is 1)."""
    f = np.atleast_1d(np.asarray(v, dtype=F32))
    u = f.view(np.uint32)
    mag = ((u & np.uint32(0x7FFFFFFF)) + np.uint32(0x8000)) >> np.uint32(16)
    out = (((u >> np.uint32(16)) & np.uint32(0x8000)) | mag).astype(np.uint16)
    out[np.isnan(f)] = np.uint16(0x7FC0)
    return out.view(BF16).reshape(np.shape(v))


def rotary_mul(x, r1, r2, mode):
    """npu_rotary_mul(half): out = r1*x + r2*cat(-x2, x1), r1/r2 in the activation dtype.
    rotary-mul (RotaryPositionEmbedding, rotate_half_bf16.h): f32 products and sum, RINT.
    apply-rotary-pos-emb (ApplyRotaryPosEmb): bf16 as rotary-mul but CAST_ROUND (ties away);
    f16 in f16 (each product and the sum rounded); f32 in f32."""
    dt = x.dtype
    d = x.shape[-1]
    h = d // 2
    c = np.broadcast_to(r1, x.shape)
    s = np.broadcast_to(r2, x.shape)
    with np.errstate(all="ignore"):
        if mode == "apply-rotary-pos-emb" and dt == np.float16:
            x1, x2 = x[..., :h], x[..., h:]
            o1 = (x1 * c[..., :h]) - (x2 * s[..., :h])  # numpy f16 ops round each result to f16
            o2 = (x2 * c[..., h:]) + (x1 * s[..., h:])
            return np.concatenate([o1, o2], axis=-1).astype(np.float16)
        xf = x.astype(F32)
        cf, sf = c.astype(F32), s.astype(F32)
        x1, x2 = xf[..., :h], xf[..., h:]
        o1 = (x1 * cf[..., :h]) - (x2 * sf[..., :h])
        o2 = (x2 * cf[..., h:]) + (x1 * sf[..., h:])
        o = np.concatenate([o1, o2], axis=-1)
        if mode == "apply-rotary-pos-emb" and dt == BF16:
            return bf16_ties_away(o)
        return o.astype(dt)


# ----------------------------------------------------------------------------- mx (golden.py)
EMAX = {"e4m3": 8, "e5m2": 15}
MAXN = {"e4m3": 448.0, "e5m2": 57344.0}
MBITS = {"e4m3": 3, "e5m2": 2}
EBITS = {"e4m3": 4, "e5m2": 5}
FP8 = {"e4m3": ml_dtypes.float8_e4m3fn, "e5m2": ml_dtypes.float8_e5m2}
RCP = {"e4m3": np.uint32(0x3B124925).view(F32), "e5m2": np.uint32(0x37924925).view(F32)}


def mx_quant_golden(x, fmt, alg):
    """_mx_quantize of dynamic_mx_quant golden.py (blocks of 32 on the last axis, tiny blocks scaled
    by 2^127, NaN/Inf blocks: scale NaN and elements nan_to_num -> 0), written again in numpy. RCEIL
    takes amax * f32(1/max) as the kernel does (golden.py divides by max; counted in the notes)."""
    k = x.shape[-1]
    xf = x.astype(F32).reshape(-1, k)
    nb = -(-k // 32)
    pad = np.zeros((xf.shape[0], nb * 32), dtype=F32)
    pad[:, :k] = xf
    blocks = pad.reshape(xf.shape[0], nb, 32)
    with np.errstate(all="ignore"):
        amax = np.max(np.abs(blocks), axis=-1)
        if alg == "ocp":
            share = np.floor(np.log2(amax + np.float32(2.0**-126) * (amax == 0))) - EMAX[fmt]
        else:
            sf = (amax * RCP[fmt]).astype(F32)
            bits = sf.view(np.uint32)
            e = ((bits >> 23) & 0xFF).astype(np.int32)
            m = bits & 0x7FFFFF
            up = ((e > 0) & (e < 254) & (m > 0)) | ((e == 0) & (m > 2**22))
            share = (e + up - 127).astype(np.float64)
            # golden.py's own division, for the notes
            sg = (amax / F32(MAXN[fmt])).astype(F32).view(np.uint32)
            eg = ((sg >> 23) & 0xFF).astype(np.int32)
            mg = sg & 0x7FFFFF
            upg = ((eg > 0) & (eg < 254) & (mg > 0)) | ((eg == 0) & (mg > 2**22))
            golden_share = (eg + upg - 127).astype(np.float64)
            golden_share[amax == 0] = -np.inf
            RCEIL_DIFF.append(int(np.sum((golden_share != share) & np.isfinite(amax) & (amax != 0))))
        share = share.astype(np.float64)
        share[amax == 0] = -np.inf
        share[share > 127] = np.nan
        share[np.isnan(amax)] = np.nan
        share[share < -127] = -127
        ret = blocks.astype(np.float64) / (2.0 ** share[..., None])
        private = np.floor(np.log2(np.abs(ret) + (ret == 0)))
        private = np.clip(private, -(2 ** (EBITS[fmt] - 1)) + 2, None)
        ret = ret / (2.0**private) * (2.0 ** MBITS[fmt])
        ret = np.rint(ret)
        ret = ret / (2.0 ** MBITS[fmt]) * (2.0**private)
        ret = np.clip(ret, -MAXN[fmt], MAXN[fmt])
        ret = np.nan_to_num(ret, nan=0.0)
    y = ret.reshape(xf.shape[0], nb * 32)[:, :k].astype(FP8[fmt]).reshape(x.shape)
    byte = np.where(np.isnan(share), 255, share + 127).astype(np.uint8)
    pairs = -(-nb // 2)
    pair = np.zeros((xf.shape[0], pairs * 2), dtype=np.uint8)
    pair[:, :nb] = byte
    scale = pair.view(ml_dtypes.float8_e8m0fnu).reshape(x.shape[:-1] + (pairs, 2))
    return y, scale, byte.reshape(x.shape[:-1] + (nb,))


RCEIL_DIFF = []


# ----------------------------------------------------------------------------- data
def rng(seed):
    return np.random.default_rng(seed)


def exact_rows(rows, cols, seed, specials=True):
    """Multiples of 1/8 below 8 in magnitude (every square and partial sum exact in f32: the NPU's
    reduction order cannot change the sum), signed zeros, and special rows: Inf, NaN, a sum of
    squares beyond the f32 range, an all-zero row."""
    g = rng(seed)
    x = (g.integers(-63, 64, size=(rows, cols)) / 8.0).astype(F32)
    x[g.random((rows, cols)) < 0.05] = 0.0
    x[g.random((rows, cols)) < 0.05] = -0.0
    if specials and rows >= 6:
        x[1, cols // 2] = np.inf
        x[2, 0] = np.nan
        x[3, :] = 3e30
        x[4, :] = 0.0
        x[5, :] = -x[5, :]
    return x


def general_rows(rows, cols, seed):
    """Normal data at mixed magnitudes per row: 1, 1e3, 1e-3, 1e-20 (squares subnormal or zero in
    f32), 1e18, and bf16 subnormals."""
    g = rng(seed)
    x = g.standard_normal((rows, cols)).astype(F32)
    scales = [1.0, 1e3, 1e-3, 1e-20, 1e18, 1e-39]
    for i in range(rows):
        x[i] *= F32(scales[i % len(scales)])
    return x


def tagged(x, dt):
    return to_dtype(x, DTYPES[dt])


def source(kind, what):
    return f"{kind}; numpy + ml_dtypes (tests/golden/gen_ascend_modes.py) from {what}"


# ----------------------------------------------------------------------------- fixtures
def gen_rms_norm():
    remove_cases("rms-norm", "ascend_")
    what = {
        "ascend-a2": f"{OPS_NN} norm/rms_norm/tests/assets/golden.py (y = (x*rstd)*gamma, one rounding) "
        "and op_kernel/rms_norm.h (rstd = 1/sqrt(sum*avg_factor + eps), sqrt and division rounded to f32)",
        "ascend-950": f"{OPS_NN} norm/rms_norm/tests/assets/golden.py and op_kernel/arch35/rms_norm_regbase_perf.h "
        "(rstd: norm_common reduce_common_regbase.h ComputeRstdNewtonRaphsonReg, Mula fused)",
    }
    seed = 100
    for mode in ["ascend-a2", "ascend-950"]:
        nr = mode == "ascend-950"
        tag = mode.replace("-", "")
        for dt in ["bf16", "f16", "f32"]:
            for kind, rows, cols, eps in [("exact", 7, 37, 1e-6), ("exact", 6, 64, 0.0), ("general", 6, 300, 1e-6)]:
                seed += 1
                data = exact_rows(rows, cols, seed) if kind == "exact" else general_rows(rows, cols, seed)
                x = tagged(data, dt)
                gamma = tagged(exact_rows(1, cols, seed + 7, specials=False)[0] if kind == "exact"
                               else rng(seed + 7).uniform(-2, 2, cols), dt)
                y, rstd = rms_norm_ascend(x, gamma, eps, nr)
                note = ("exact-sum inputs: the NPU's reduction order cannot change the sum, so this is "
                        "its output bit for bit" if kind == "exact" else
                        "general inputs: the documented model (f32 value of the exact sum of squares)")
                target = ("a2" if mode == "ascend-a2" else "a5") if kind == "exact" else "none"
                save_case("rms-norm", f"ascend_{tag}_{kind}_{dt}_{rows}x{cols}_eps{eps:g}",
                          {"x": x, "weight": gamma}, {"y": y, "rstd": rstd},
                          {"source": source(note, what[mode]), "compare": "exact", "mode": mode,
                           "eps": repr(eps), "sim_targets": target})
        # the aclnnRmsNorm doc example (examples/test_aclnn_rms_norm.cpp): f32 [2, 16], eps 1e-6
        x = np.array([list(range(8)) * 2] * 2, dtype=F32)
        gamma = np.array(list(range(8)) * 2, dtype=F32)
        y, rstd = rms_norm_ascend(x, gamma, 1e-6, nr)
        save_case("rms-norm", f"ascend_{tag}_doc_example_f32_2x16", {"x": x, "weight": gamma}, {"y": y, "rstd": rstd},
                  {"source": source(f"the inputs of {OPS_NN} norm/rms_norm/examples/test_aclnn_rms_norm.cpp", what[mode]),
                   "compare": "exact", "mode": mode, "eps": "1e-06",
                   "sim_targets": "a2" if mode == "ascend-a2" else "a5"})


def gen_add_rms_norm():
    remove_cases("add-rms-norm", "")
    what = {
        "hf": "HF Qwen3 residual semantics (x = round(x1 + x2); rstd correctly rounded; y = round(round(x*r)*w))",
        "ascend-a2": f"{OPS_NN} norm/add_rms_norm/tests/assets/golden.py add_rms_golden_v1 (x rounded, "
        "y = round(round(x*rstd)*gamma)) and op_kernel/add_rms_norm.h (squares * avgFactor before ReduceSum, Sqrt, Div)",
        "ascend-950": f"{OPS_NN} norm/add_rms_norm/tests/assets/golden.py add_rms_golden_v2 (the f32 sum "
        "normalised, one rounding) and op_kernel/arch35/add_rms_norm_regbase.h (ComputeRstdNewtonRaphson, Mula fused)",
    }
    targets = {"hf": "none", "ascend-a2": "a2", "ascend-950": "a5"}
    seed = 300
    for mode in ["hf", "ascend-a2", "ascend-950"]:
        tag = mode.replace("-", "")
        for dt in ["bf16", "f16", "f32"]:
            for kind, rows, cols in [("exact", 7, 64), ("exact", 6, 40), ("general", 6, 256)]:
                seed += 1
                if kind == "exact":
                    a = exact_rows(rows, cols, seed)
                    b = exact_rows(rows, cols, seed + 1, specials=False)
                    g = exact_rows(1, cols, seed + 2, specials=False)[0]
                else:
                    a = general_rows(rows, cols, seed)
                    b = general_rows(rows, cols, seed + 1)
                    g = rng(seed + 2).uniform(-2, 2, cols)
                x1, x2, gamma = tagged(a, dt), tagged(b, dt), tagged(g, dt)
                y, rstd, x = add_rms_norm(x1, x2, gamma, 1e-6, mode)
                exact_npu = kind == "exact" and not (mode == "ascend-a2" and cols & (cols - 1))
                note = ("exact-sum inputs: the NPU's reduction order cannot change the sum" if exact_npu else
                        "the documented model (f32 value of the exact sum of squares)")
                save_case("add-rms-norm", f"{tag}_{kind}_{dt}_{rows}x{cols}", {"x1": x1, "x2": x2, "gamma": gamma},
                          {"y": y, "rstd": rstd, "x": x},
                          {"source": source(note, what[mode]), "compare": "exact", "mode": mode, "eps": "1e-06",
                           "sim_targets": targets[mode] if exact_npu else "none"})
        # the aclnnAddRmsNorm doc example (examples/test_aclnn_add_rms_norm.cpp): f32 [2, 16]
        v = np.array([list(range(8)) * 2] * 2, dtype=F32)
        gamma = np.array(list(range(8)) * 2, dtype=F32)
        y, rstd, x = add_rms_norm(v, v.copy(), gamma, 1e-6, mode)
        save_case("add-rms-norm", f"{tag}_doc_example_f32_2x16", {"x1": v, "x2": v.copy(), "gamma": gamma},
                  {"y": y, "rstd": rstd, "x": x},
                  {"source": source(f"the inputs of {OPS_NN} norm/add_rms_norm/examples/test_aclnn_add_rms_norm.cpp",
                                    what[mode]),
                   "compare": "exact", "mode": mode, "eps": "1e-06", "sim_targets": targets[mode]})


def rope_tables(s, d, theta=1e6, offset=0):
    """cat(freqs, freqs) cos/sin tables [s, d] in f64 (rounded by the caller to the dtype)."""
    half = d // 2
    inv = 1.0 / theta ** (np.arange(half) * 2.0 / d)
    ang = (np.arange(s)[:, None] + offset) * inv[None, :]
    return np.concatenate([np.cos(ang)] * 2, axis=1), np.concatenate([np.sin(ang)] * 2, axis=1)


def gen_rotary_mul():
    remove_cases("rotary-mul", "")
    what = {
        "rotary-mul": f"the npu_rotary_mul(half) formula r1*x + r2*cat(-x2, x1) in the arithmetic of {OPS_TF} "
        "posembedding/rotary_position_embedding/op_kernel/rotate_half_bf16.h, rotate_half_base.h "
        "(r1, r2 in the activation dtype cast to f32, f32 Mul/Mul/Add, CAST_RINT)",
        "apply-rotary-pos-emb": f"{OPS_TF} posembedding/apply_rotary_pos_emb/op_kernel/"
        "apply_rotary_pos_emb_compute_ab_cast.h (bf16: f32 arithmetic, CAST_ROUND ties away) and "
        "apply_rotary_pos_emb.cpp (f16 computed in f16; f32 in f32)",
    }
    seed = 500
    for mode in ["rotary-mul", "apply-rotary-pos-emb"]:
        tag = mode.replace("-", "_")
        for dt in ["bf16", "f16", "f32"]:
            for layout, b, s_, n, d in [("bsnd", 2, 3, 4, 64), ("bnsd", 1, 5, 2, 18)]:
                seed += 1
                g = rng(seed)
                x = g.uniform(-4, 4, (b, s_, n, d)).astype(F32)
                x.reshape(-1)[:4] = [0.0, -0.0, 1e-40, -3e-39]  # signed zeros, f32/bf16 subnormals
                x.reshape(-1)[4] = np.nan
                x.reshape(-1)[5 + d] = np.inf
                x.reshape(-1)[6 + 2 * d] = 3e38 if dt != "f16" else 6e4  # products/sums beyond range
                x.reshape(-1)[6 + 2 * d + d // 2] = -3e38 if dt != "f16" else -6e4
                cos, sin = rope_tables(s_, d, offset=seed % 97)
                if layout == "bsnd":
                    r_shape = (1, s_, 1, d)
                    xs = x
                else:  # BNSD: x [b, n, s, d], r [1, 1, s, d]
                    r_shape = (1, 1, s_, d)
                    xs = x.reshape(b, n, s_, d)
                xt = tagged(xs, dt)
                r1, r2 = tagged(cos.reshape(r_shape), dt), tagged(sin.reshape(r_shape), dt)
                y = rotary_mul(xt, r1, r2, mode)
                save_case("rotary-mul", f"{tag}_{layout}_{dt}_{'x'.join(map(str, xs.shape))}",
                          {"x": xt, "r1": r1, "r2": r2}, {"y": y},
                          {"source": source("random inputs with ±0, subnormals, NaN, Inf and overflowing sums",
                                            what[mode]),
                           "compare": "exact", "mode": mode, "sim_targets": "a2"})
        # halfway cases: x1 = ±1, x2 = ∓2^-8 with cos = sin = 1: x1 - x2 = ±(1 + 2^-8) is a bf16 tie
        d = 16
        x = np.zeros((1, 1, 2, d), dtype=F32)
        sign = np.where(np.arange(d // 2) % 2 == 0, 1.0, -1.0)
        x[..., : d // 2] = sign
        x[..., d // 2 :] = -sign * 2.0**-8
        x[0, 0, 1] *= 3.0  # 3 + 3·2^-8: a tie in the next binade too
        ones = np.ones((1, 1, 1, d), dtype=F32)
        xt, r = tagged(x, "bf16"), tagged(ones, "bf16")
        y = rotary_mul(xt, r, r, mode)
        save_case("rotary-mul", f"{tag}_ties_bf16_1x1x2x16", {"x": xt, "r1": r, "r2": r}, {"y": y},
                  {"source": source("constructed bf16 halfway cases (RINT vs CAST_ROUND)", what[mode]),
                   "compare": "exact", "mode": mode, "sim_targets": "a2"})
    # the aclnnRotaryPositionEmbedding doc example inputs (f32 [1, 1, 1, 128]; the doc runs them in
    # interleave mode, we run them in half mode): the cos/sin halves differ, which the sim's rope
    # kernel (one shared half) does not model -> cpu only
    xd = np.array(DOC_ROPE_X, dtype=F32).reshape(1, 1, 1, 128)
    cd = np.array(DOC_ROPE_COS, dtype=F32).reshape(1, 1, 1, 128)
    sd = np.array(DOC_ROPE_SIN, dtype=F32).reshape(1, 1, 1, 128)
    y = rotary_mul(xd, cd, sd, "rotary-mul")
    save_case("rotary-mul", "rotary_mul_doc_example_f32_1x1x1x128", {"x": xd, "r1": cd, "r2": sd}, {"y": y},
              {"source": source(f"the inputs of {OPS_TF} posembedding/rotary_position_embedding/examples/"
                                "test_aclnn_rotary_position_embedding.cpp, in half mode", what["rotary-mul"]),
               "compare": "exact", "mode": "rotary-mul", "sim_targets": "none"})


def gen_mx_quant():
    remove_cases("mx-quant", "npu_")
    lines = []
    seed = 700
    for dt in ["bf16", "f16", "f32"]:
        for fmt in ["e4m3", "e5m2"]:
            for alg in ["ocp", "rceil"]:
                seed += 1
                g = rng(seed)
                rows, k = 4, 100
                x = (g.standard_normal((rows, k)) * np.exp2(g.integers(-6, 6, (rows, 1)))).astype(F32)
                x[0, 5] = np.nan  # a NaN block
                x[1, 40] = np.inf  # an Inf block
                x[1, 70] = -np.inf
                x[2, 33] = np.nan  # NaN and Inf in one block
                x[2, 34] = np.inf
                x[3, 0:32] = 0.0  # an all-zero block
                x[3, 3] = -0.0
                x[3, 32:64] *= F32(2.0**-100) if dt != "f16" else F32(2.0**-20)  # tiny block
                x[3, 64:96] = np.where(np.arange(32) % 2 == 0, 1.0, -1.0) * F32(MAXN[fmt] * 0.99)
                x[0, 96:] = [1e30, -1e-30, 0.5, 3.0] if dt != "f16" else [6e4, -1e-7, 0.5, 3.0]
                # an RCEIL edge: amax = max * 2^k exactly (golden.py's division and the kernel's
                # multiplication by f32(1/max) can pick different bytes there)
                edge = MAXN[fmt] * (8.0 if fmt == "e4m3" else 0.125)
                x[2, 64:96] = np.linspace(-edge / 2, edge / 2, 32)
                x[2, 70] = edge
                xt = tagged(x, dt)
                before = len(RCEIL_DIFF)
                y, scale, blocks = mx_quant_golden(xt, fmt, alg)
                diff = sum(RCEIL_DIFF[before:])
                case = f"npu_{alg}_{fmt}_{dt}_{rows}x{k}"
                src = (f"{OPS_NN} quant/dynamic_mx_quant/tests/assets/golden.py _mx_quantize written in numpy "
                       "(tests/golden/gen_ascend_modes.py): NaN/Inf blocks get scale 0xFF and elements "
                       "nan_to_num -> 0x00, as the kernel's saturating Cast writes them (asc-devkit Cast.md)")
                if alg == "rceil":
                    src += f"; RCEIL from amax * f32(1/max) as the kernel multiplies ({diff} blocks differ from golden.py's division)"
                save_case("mx-quant", case, {"x": xt}, {"y": y, "scale": scale, "scale_blocks": blocks},
                          {"source": src, "compare": "exact", "dst": fmt, "scale_alg": alg, "round": "rint",
                           "tiny_blocks": "scale", "non_finite": "zero"})
                if alg == "rceil":
                    lines.append(f"{case}: blocks whose byte differs from golden.py's division: {diff}")
    return lines


DOC_ROPE_X = [74, 54, 84, 125, 23, 78, 37, 72, 27, 98, 34, 107, 29, 23, 54, 60, 70, 49, 119, 54, 29, 54, 41, 99, 27,
              62, 5, 46, 108, 39, 24, 123, 33, 82, 6, 40, 88, 24, 6, 116, 38, 119, 110, 5, 30, 79, 87, 18, 29, 100, 90,
              24, 21, 93, 63, 68, 34, 112, 119, 48, 74, 43, 85, 64, 14, 49, 128, 59, 18, 37, 123, 76, 14, 63, 10, 39,
              107, 124, 79, 16, 17, 76, 80, 47, 90, 41, 58, 82, 75, 80, 69, 37, 74, 36, 54, 26, 32, 54, 13, 100, 105,
              15, 13, 69, 122, 26, 94, 59, 29, 14, 60, 8, 24, 17, 45, 33, 107, 122, 63, 111, 75, 128, 68, 31, 105, 6,
              82, 99]
DOC_ROPE_COS = [41, 37, 17, 25, 49, 25, 22, 24, 110, 120, 107, 3, 82, 66, 75, 86, 85, 115, 110, 56, 52, 39, 86, 23,
                36, 71, 20, 73, 113, 25, 114, 56, 125, 80, 95, 82, 31, 63, 99, 62, 23, 55, 30, 99, 42, 121, 15, 24,
                97, 87, 81, 67, 43, 21, 13, 9, 33, 29, 117, 10, 114, 61, 98, 15, 78, 108, 48, 97, 1, 3, 78, 109, 57,
                46, 47, 56, 50, 66, 81, 77, 17, 128, 68, 121, 47, 91, 114, 125, 51, 108, 31, 15, 47, 78, 109, 115,
                113, 26, 53, 97, 1, 111, 103, 58, 106, 68, 11, 104, 22, 79, 61, 127, 86, 39, 33, 123, 102, 39, 64,
                41, 119, 120, 61, 29, 94, 68, 36, 12]
DOC_ROPE_SIN = [46, 56, 56, 101, 66, 10, 96, 16, 86, 57, 102, 66, 12, 105, 76, 58, 90, 6, 79, 128, 126, 82, 41, 3,
                45, 7, 66, 4, 46, 22, 31, 26, 37, 63, 97, 84, 91, 90, 47, 77, 90, 34, 41, 83, 91, 108, 120, 13, 90,
                32, 85, 37, 119, 31, 51, 82, 122, 125, 7, 116, 121, 108, 38, 56, 100, 20, 97, 119, 10, 4, 53, 13, 46,
                82, 103, 119, 124, 80, 23, 67, 78, 56, 119, 122, 40, 58, 128, 27, 30, 52, 71, 42, 123, 69, 4, 5, 116,
                97, 38, 107, 8, 4, 65, 120, 40, 22, 60, 44, 48, 66, 68, 125, 4, 93, 112, 112, 113, 90, 94, 23, 104,
                39, 85, 84, 64, 128, 96, 119]


def self_checks():
    """The numerics helpers against facts checked by hand."""
    assert fma32(1 + 2.0**-12, 1 + 2.0**-12, -(1 + 2.0**-11)) == F32(2.0**-24)
    assert round_to_f32(Fraction(1) + Fraction(1, 2**24)) == F32(1.0)  # tie to even
    assert round_to_f32(Fraction(1) + Fraction(3, 2**24)) == F32(1 + 2.0**-22)
    assert round_to_f32(Fraction(1, 2**149)) == F32(2.0**-149)
    assert bf16_ties_away(F32(1 + 2.0**-8)) == BF16(1 + 2.0**-7)
    assert to_dtype(F32(1 + 2.0**-8), BF16) == BF16(1.0)
    # NR equals the correctly rounded 1/sqrt on sampled values; sqrt+div does not always
    vals = np.linspace(0.25, 4, 2001, dtype=F32)
    cr = [F32(1 / math.sqrt(float(v))) for v in vals]
    assert sum(rstd_newton_raphson(v) != c for v, c in zip(vals, cr)) <= 1
    assert sum(rstd_sqrt_div(v) != c for v, c in zip(vals, cr)) > 100
    # the dynamic_mx_quant doc vector (aclnnDynamicMxQuant.md): [0, 8, 64, 512] -> 128, [0, 0x48, 0x60, 0x78]
    x = np.zeros((1, 32), dtype=BF16)
    x[0, :4] = [0, 8, 64, 512]
    y, _, b = mx_quant_golden(x, "e4m3", "ocp")
    assert b[0, 0] == 128 and list(y.view(np.uint8)[0, :4]) == [0x00, 0x48, 0x60, 0x78]


def main():
    self_checks()
    gen_rms_norm()
    gen_add_rms_norm()
    gen_rotary_mul()
    notes = gen_mx_quant()
    with open(os.path.join(OPS, "mx-quant", "NOTES_npu.txt"), "w") as f:
        f.write("npu_* fixtures (gen_ascend_modes.py): RCEIL blocks whose byte differs between the kernel's\n"
                "amax * f32(1/max) and golden.py's amax / max (the fixture follows the kernel)\n")
        f.write("\n".join(notes) + "\n")
    print("done")


if __name__ == "__main__":
    main()
