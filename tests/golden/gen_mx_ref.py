#!/usr/bin/env python3
"""Golden fixtures for `mx-dequant`, `mx-matmul` and `fp8-block-dequant`: plain torch float32 math.

Run from the repo root:  /work/pyenv/bin/python tests/golden/gen_mx_ref.py

Independent reference written here (no project code):
  * FP8 elements decoded with torch's float8 dtypes (.float()), E8M0 bytes turned into exact powers of
    two in float64 then float32 (byte 0 = 2^-127, an f32 subnormal; 0xFF = NaN);
  * mx-dequant: x = f32(y) * 2^(byte-127) per 32-element block, then .to(out dtype) (RNE);
  * mx-matmul: y = sum_j (f32(x[:, blk j]) @ f32(w[:, blk j]).T) * (sx_j * sw_j) in f32 (torch CPU matmul
    per 32-wide K block, blocks summed in order), y = (y + bias).to(out). (hicann/ops-nn
    qbmmv3_kernel_golden.py scales the operands before one f32 matmul instead; that overflows f32 when a
    scale byte is near 254, so the per-block form is used.) y_f64 is the same
    sum in float64 from exact products: sum_j (sum_{k in j} x*w) * sx * sw + bias. Every case asserts that
    the f32 result is within the numerics.md bound of y_f64;
  * fp8-block-dequant: vLLM/msmodelslim repeat_interleave-then-crop of the scale grid,
    y = (f32(w) * s).to(out dtype).
Deterministic (numpy default_rng with fixed seeds).
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import DT, F8, clean_dir, e8m0_to_f32, pair_layout, save_case  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402

TORCH = f"torch {torch.__version__.split('+')[0]}"


def rand_codes(rng, shape, fmt, allow_nan=False):
    """Random FP8 byte codes; finite only unless allow_nan (E5M2 inf codes excluded unless allow_nan)."""
    b = rng.integers(0, 256, size=shape).astype(np.uint8)
    if not allow_nan:
        if fmt == "e4m3":
            bad = (b & 0x7F) == 0x7F
            b[bad] = b[bad] - 1  # 0x7E / 0xFE
        else:
            bad = (b & 0x7F) >= 0x7C
            b[bad] = (b[bad] & 0x80) | rng.integers(0, 0x7C, size=int(bad.sum())).astype(np.uint8)
    return torch.from_numpy(b).view(F8[fmt])


def rand_blocks(rng, lead, nb, lo, hi, extremes=False):
    b = rng.integers(lo, hi + 1, size=(*lead, nb)).astype(np.uint8)
    if extremes:
        flat = b.reshape(-1)
        ext = np.array([0, 1, 2, 253, 254, 127], dtype=np.uint8)
        flat[: min(len(ext), flat.size)] = ext[: flat.size]
    return torch.from_numpy(b)


def expand_scale(blocks_u8, K):
    """[..., nb] bytes -> [..., K] f32 multipliers."""
    return e8m0_to_f32(blocks_u8).repeat_interleave(32, dim=-1)[..., :K]


def scale_tensor(blocks, as_e8m0, pad_byte=0):
    p = pair_layout(blocks).clone()
    nb = blocks.shape[-1]
    if nb % 2 and pad_byte:
        p[..., -1, 1] = pad_byte
    return p.view(torch.float8_e8m0fnu) if as_e8m0 else p


# --------------------------------------------------------------------------------------- mx-dequant
def mx_dequant_cases():
    clean_dir("mx-dequant")
    cases = [
        # name, shape, fmt, out, e8m0 scale dtype, nan codes, scale range, extremes, pad byte
        ("e4m3_f32_1x32", (1, 32), "e4m3", "f32", True, False, (110, 140), True, 0),
        ("e4m3_bf16_3x100", (3, 100), "e4m3", "bf16", False, False, (100, 150), True, 0),
        ("e5m2_f32_5x96_u8scale_pad55", (5, 96), "e5m2", "f32", False, False, (90, 160), True, 0x55),
        ("e5m2_bf16_2x3x64", (2, 3, 64), "e5m2", "bf16", True, False, (0, 254), True, 0),
        ("e4m3_f32_1x40_nan", (1, 40), "e4m3", "f32", True, True, (120, 130), False, 0),
        ("e5m2_bf16_3x100_naninf", (3, 100), "e5m2", "bf16", False, True, (100, 150), False, 0),
        ("e4m3_bf16_5x96_fullrange", (5, 96), "e4m3", "bf16", True, False, (0, 254), True, 0xAA),
        ("e5m2_f32_4x160_nanscale", (4, 160), "e5m2", "f32", True, False, (100, 255), True, 0),
    ]
    for i, (name, shape, fmt, out, as_e8m0, nan, (lo, hi), ext, pad) in enumerate(cases):
        rng = np.random.default_rng(1000 + i)
        *lead, K = shape
        nb = (K + 31) // 32
        y = rand_codes(rng, shape, fmt, allow_nan=nan)
        blocks = rand_blocks(rng, lead, nb, lo, hi, extremes=ext)
        x = (y.float() * expand_scale(blocks, K)).to(DT[out])
        has_nan = bool(torch.isnan(x.float()).any())
        save_case(
            "mx-dequant",
            name,
            {"y": y, "scale": scale_tensor(blocks, as_e8m0, pad)},
            {"x": x},
            {
                "source": f"{TORCH} float32 math in gen_mx_ref.py: f32(y) * 2^(byte-127), .to({out})"
                + ("; pad byte of the odd pair set to 0x%02X (must be ignored)" % pad if pad and nb % 2 else ""),
                "out_dtype": out,
                "compare": "exact_nan" if has_nan else "exact",
            },
        )


# --------------------------------------------------------------------------------------- mx-matmul
def f64_reference(x, sxb, w, swb, bias):
    K = x.shape[1]
    nb = (K + 31) // 32
    xd = x.double()
    wd = w.double()
    sx = e8m0_to_f32(sxb).double()
    sw = e8m0_to_f32(swb).double()
    M, N = x.shape[0], w.shape[0]
    y = torch.zeros(M, N, dtype=torch.float64)
    a = torch.zeros(M, N, dtype=torch.float64)
    for j in range(nb):
        ks = slice(j * 32, min(K, (j + 1) * 32))
        part = xd[:, ks] @ wd[:, ks].T  # exact: <= 32 products of FP8 values fit in f64
        apart = xd[:, ks].abs() @ wd[:, ks].abs().T
        f = sx[:, j : j + 1] * sw[:, j][None, :]
        y += part * f
        a += apart * f
    if bias is not None:
        y += bias.double()[None, :]
    return y, a


def ulp(v, dt):
    """ulp of dtype dt at |v| (v float64 tensor)."""
    fi = torch.finfo(DT[dt])
    mant = {"bf16": 8, "f16": 11, "f32": 24}[dt]
    e = torch.floor(torch.log2(v.abs().clamp(min=fi.tiny)))
    return torch.exp2(e - (mant - 1))


def mx_matmul_cases():
    clean_dir("mx-matmul")
    # name, M, N, K, xfmt, wfmt, out, bias, x scale range, w scale range, scale dtype e8m0, pad byte
    cases = [
        ("m1_n1_k32_e4m3_f32", 1, 1, 32, "e4m3", "e4m3", "f32", False, (120, 134), (120, 134), True, 0),
        ("m3_n5_k40_e4m3_bf16_bias", 3, 5, 40, "e4m3", "e4m3", "bf16", True, (118, 136), (118, 136), True, 0),
        ("m17_n16_k64_e5m2_f16", 17, 16, 64, "e5m2", "e5m2", "f16", False, (100, 112), (100, 112), False, 0),
        ("m3_n33_k96_e4m3_f32_bias_pad55", 3, 33, 96, "e4m3", "e4m3", "f32", True, (110, 140), (110, 140), False, 0x55),
        ("m17_n5_k100_mixed_bf16", 17, 5, 100, "e4m3", "e5m2", "bf16", False, (115, 135), (110, 130), True, 0),
        ("m1_n33_k100_e5m2_bf16_bias", 1, 33, 100, "e5m2", "e5m2", "bf16", True, (105, 125), (110, 130), True, 0),
        ("m3_n16_k32_mixed_f16_bias", 3, 16, 32, "e4m3", "e5m2", "f16", True, (108, 116), (100, 112), False, 0),
        ("m17_n1_k40_e4m3_f16", 17, 1, 40, "e4m3", "e4m3", "f16", False, (115, 125), (115, 125), True, 0),
        ("m1_n5_k64_e5m2_f32_bias", 1, 5, 64, "e5m2", "e5m2", "f32", True, (100, 150), (100, 150), False, 0),
        ("m3_n1_k96_e4m3_bf16_padaa", 3, 1, 96, "e4m3", "e4m3", "bf16", False, (120, 130), (120, 130), True, 0xAA),
        ("m17_n33_k100_e4m3_f32_bias", 17, 33, 100, "e4m3", "e4m3", "f32", True, (118, 134), (118, 134), False, 0),
        # scale bytes near both ends of E8M0: x scales low, w scales high (and vice versa), products moderate
        ("m3_n5_k96_ends_lo_hi_f32", 3, 5, 96, "e4m3", "e4m3", "f32", True, (0, 6), (240, 254), True, 0),
        ("m5_n16_k64_ends_hi_lo_bf16", 5, 16, 64, "e5m2", "e4m3", "bf16", False, (244, 254), (0, 8), True, 0),
        ("m1_n16_k40_ends_lo_hi_f16", 1, 16, 40, "e4m3", "e5m2", "f16", True, (0, 3), (225, 230), False, 0),
    ]
    for i, (name, M, N, K, xf, wf, out, has_bias, xr, wr, as_e8m0, pad) in enumerate(cases):
        rng = np.random.default_rng(2000 + i)
        nb = (K + 31) // 32
        x = rand_codes(rng, (M, K), xf)
        w = rand_codes(rng, (N, K), wf)
        sxb = rand_blocks(rng, (M,), nb, *xr)
        swb = rand_blocks(rng, (N,), nb, *wr)
        bias = torch.from_numpy((rng.standard_normal(N) * 4).astype(np.float32)) if has_bias else None
        # torch f32 reference (Ascend golden style)
        # per block: f32 dot of the raw FP8 values, times the f32 product of the two scales (exact for
        # these ranges); scaling the operands first (as qbmmv3 golden does) overflows at the E8M0 ends.
        sx32, sw32 = e8m0_to_f32(sxb), e8m0_to_f32(swb)
        y32 = torch.zeros(M, N, dtype=torch.float32)
        for j in range(nb):
            ks = slice(j * 32, min(K, (j + 1) * 32))
            y32 = y32 + (x.float()[:, ks] @ w.float()[:, ks].T) * (sx32[:, j : j + 1] * sw32[:, j][None, :])
        if bias is not None:
            y32 = y32 + bias[None, :]
        y = y32.to(DT[out])
        y64, a64 = f64_reference(x, sxb, w, swb, bias)
        assert torch.isfinite(y.float()).all(), name
        # numerics.md bound: gamma_K * sum|x w sx sw| + (ulp of f32 for the bias add) + half ulp of out
        u = 2.0**-24
        gK = K * u / (1 - K * u)
        bound = gK * a64 + ulp(y64, "f32") / 2 + ulp(y64, out) / 2
        err = (y.double() - y64).abs()
        assert (err <= bound).all(), (name, (err - bound).max())
        inputs = {"x": x, "x_scale": scale_tensor(sxb, as_e8m0, pad), "w": w, "w_scale": scale_tensor(swb, as_e8m0, pad)}
        if bias is not None:
            inputs["bias"] = bias
        save_case(
            "mx-matmul",
            name,
            inputs,
            {"y": y, "y_f64": y64},
            {
                "source": f"{TORCH} float32 math in gen_mx_ref.py (per 32-block f32 matmul of raw FP8 values times "
                "sx*sw, blocks summed in f32, + bias, .to(out)); y_f64 = exact block products summed in float64"
                + ("; pad byte of the odd pair set to 0x%02X (must be ignored)" % pad if pad and nb % 2 else ""),
                "out_dtype": out,
                "compare": "matmul_bound",
            },
        )


# ------------------------------------------------------------------------------- fp8-block-dequant
def fp8_block_dequant_cases():
    clean_dir("fp8-block-dequant")
    cases = [
        # name, O, I, bo, bi, scale dtype, out
        ("w300x200_b128_f32scale_bf16", 300, 200, 128, 128, "f32", "bf16"),
        ("w5x7_b2x3_bf16scale_bf16", 5, 7, 2, 3, "bf16", "bf16"),
        ("w5x7_b2x3_f32scale_f32", 5, 7, 2, 3, "f32", "f32"),
        ("w64x96_b32x32_f32scale_f32", 64, 96, 32, 32, "f32", "f32"),
        ("w130x129_b128_bf16scale_bf16", 130, 129, 128, 128, "bf16", "bf16"),
        ("w1x1_b128_f32scale_bf16", 1, 1, 128, 128, "f32", "bf16"),
    ]
    for i, (name, O, I, bo, bi, sdt, out) in enumerate(cases):
        rng = np.random.default_rng(3000 + i)
        w = rand_codes(rng, (O, I), "e4m3")
        so, si = -(-O // bo), -(-I // bi)
        # HF-style scales: amax/448 for random amax (arbitrary f32), a few powers of two and extreme values
        s = (np.exp(rng.uniform(np.log(1e-6), np.log(10.0), size=(so, si)))).astype(np.float32)
        flat = s.reshape(-1)
        extra = np.array([1.0, 2.0**-20, 3.0e-3, 1.0 / 448.0], dtype=np.float32)
        flat[: min(4, flat.size)] = extra[: flat.size]
        scale = torch.from_numpy(s).to(DT[sdt])
        s_exp = scale.float().repeat_interleave(bo, dim=0).repeat_interleave(bi, dim=1)[:O, :I]
        y = (w.float() * s_exp).to(DT[out])
        save_case(
            "fp8-block-dequant",
            name,
            {"weight": w, "weight_scale_inv": scale},
            {"y": y},
            {
                "source": f"{TORCH} float32 math in gen_mx_ref.py: vLLM/msmodelslim repeat_interleave-then-crop, "
                f"(f32(weight) * f32(weight_scale_inv)).to({out})",
                "block": f"{bo},{bi}",
                "out_dtype": out,
                "compare": "exact",
            },
        )


def main():
    torch.set_flush_denormal(False)
    mx_dequant_cases()
    mx_matmul_cases()
    fp8_block_dequant_cases()


if __name__ == "__main__":
    main()
