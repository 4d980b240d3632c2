#!/usr/bin/env python3
"""Golden fixtures for `mx-quant` from torchao's `to_mx` (torchao.prototype.mx_formats.mx_tensor).

Run from the repo root:  /work/pyenv/bin/python tests/golden/gen_mx_quant.py

  ScaleCalculationMode.FLOOR  <->  scale_alg=ocp,   tiny_blocks=scale
  ScaleCalculationMode.RCEIL  <->  scale_alg=rceil  (tiny_blocks does not apply; written as "scale")

torchao needs K % 32 == 0: x is zero-padded along K to a multiple of 32, quantized, and y is cropped
back to K (numerics.md: a short block is zero-padded, amax over the real elements only, and zeros do
not change the amax). torchao does not accept f16: f16 inputs are converted to f32 (exact) first.

Where torchao 0.18.0 differs from numerics.md the affected blocks are normalised to numerics.md, using
plain torch f32 math (x * 2^(127-byte), clamp to +-max, torch's RNE cast), and counted in
ops/mx-quant/NOTES.txt:
  [tiny]    FLOOR, byte 0 blocks: torchao clamps the scale to F32_MIN_NORMAL (2^-126), so it multiplies
            by 2^126; numerics.md (TinyBlocks::Scale, OCP, Ascend golden.py) multiplies by 2^127. We run
            torchao with mx_tensor.F32_MIN_NORMAL patched to 2^-127 (its own code path, exact 2^127).
  [naninf]  Blocks with NaN or Inf: numerics.md says scale 0xFF and every element NaN. torchao FLOOR
            gives byte 0xFF for NaN but elements x/inf = 0, and for an Inf (no NaN) block a finite
            byte (247 for E4M3, 240 for E5M2); RCEIL gives 0xFE for Inf.
  [rceil0]  RCEIL byte-0 blocks with amax != 0: torchao multiplies by 1.0, numerics.md by 2^127.
  [rceil_log2] RCEIL bytes from torchao's eager ceil(log2(amax/max)): f32 log2 rounds e.g. 2^k(1+2^-23)
            to exactly k, missing the +1; numerics.md uses the exponent/mantissa bits.
A bits-level check of numerics.md written here (spec_mx_quant) must agree with every normalised
fixture byte for byte; the script asserts that differences only occur in the categories above.
Deterministic (numpy default_rng with fixed seeds).
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import DT, F8, F8MAX, OPS, clean_dir, pair_layout, save_case  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torchao  # noqa: E402
import torchao.prototype.mx_formats.mx_tensor as mxt  # noqa: E402
from torchao.prototype.mx_formats.config import ScaleCalculationMode  # noqa: E402

EMAX = {"e4m3": 8, "e5m2": 15}
RCP_MAX_BITS = {"e4m3": 0x3B124925, "e5m2": 0x37924925}
TAO = f"torchao {torchao.__version__}"

KINDS = ["normal", "pow2", "sat", "huge", "tiny_sub", "tiny_norm", "zero", "ties", "rceil_edge", "signed_zero"]


def gen_block(rng, kind, dt):
    """32 values as float64, representable (after the cast) in dt."""
    n = 32
    if kind == "normal":
        e = rng.integers(-12, 12)
        v = rng.standard_normal(n) * 2.0**e
    elif kind == "pow2":
        v = np.ldexp(1.0, rng.integers(-14, 14, n)) * rng.choice([-1.0, 1.0], n)
    elif kind == "sat":
        k = int(rng.integers(-20, 4))
        v = rng.standard_normal(n) * 2.0 ** (k + 6)
        idx = rng.choice(n, 3, replace=False)
        # values in (448, 512) * 2^k with <= 7 mantissa bits (representable in bf16/f16)
        v[idx] = rng.integers(225, 256, 3) * 2.0 * 2.0**k * rng.choice([-1.0, 1.0], 3)
    elif kind == "huge":
        big = 1e30 if dt != "f16" else 65504.0
        v = rng.standard_normal(n) * big / 8
        v[rng.integers(n)] = -big
    elif kind == "tiny_sub":
        # subnormals of the input dtype (f16 subnormals are not tiny for the scale, still a useful block)
        sub = {"bf16": 2.0**-133, "f16": 2.0**-24, "f32": 2.0**-149}[dt]
        v = rng.integers(-127, 128, n) * sub
        v[0] = 127 * sub
    elif kind == "tiny_norm":
        if dt == "f16":
            v = rng.standard_normal(n) * 2.0**-12
        else:
            # amax < 2^-118 (E4M3) / 2^-111 (E5M2): scale byte 0, normal inputs
            v = rng.standard_normal(n) * 2.0 ** rng.integers(-124, -119)
    elif kind == "zero":
        v = np.zeros(n)
    elif kind == "ties":
        k = int(rng.integers(-6, 6))
        v = np.empty(n)
        v[0] = 2.0 ** (8 + k)
        j = rng.integers(0, 8, n)
        m = np.where(rng.random(n) < 0.5, 1 + (2 * j + 1) / 16.0, 1 + (2 * (j % 4) + 1) / 8.0)
        p = rng.integers(-14, 8, n)
        v[1:] = (m * 2.0 ** (p + k) * rng.choice([-1.0, 1.0], n))[1:]
        # subnormal-grid ties of E4M3 (2^-10 half of 2^-9 etc.) and E5M2 (2^-17)
        v[1:5] = np.array([1, 3, 5, -3]) * 2.0 ** (-10 + k)
        v[5:9] = np.array([1, 3, 5, -3]) * 2.0 ** (-17 + k + 7)
    elif kind == "rceil_edge":
        k = int(rng.integers(-40, 40)) if dt != "f16" else int(rng.integers(-10, 3))
        v = rng.standard_normal(n) * 2.0 ** (k + 6)
        a = 448.0 * 2.0**k
        a32 = np.float32(a)
        up = {"bf16": a * (1 + 2.0**-7), "f16": a * (1 + 2.0**-10), "f32": float(np.nextafter(a32, np.float32(np.inf)))}[dt]
        v[0] = rng.choice([a, up, -up])
        v = np.clip(v, -abs(v[0]), abs(v[0]))
    elif kind == "signed_zero":
        v = rng.standard_normal(n) * 2.0 ** rng.integers(-3, 3)
        v[::3] = 0.0
        v[1::5] = -0.0
    else:
        raise ValueError(kind)
    return v


def make_x(shape, dt, seed, nan_inf_rows=True):
    rng = np.random.default_rng(seed)
    *lead, K = shape
    rows = int(np.prod(lead)) if lead else 1
    nb = (K + 31) // 32
    x = np.zeros((rows, nb * 32))
    for r in range(rows):
        for b in range(nb):
            kind = KINDS[(r * 3 + b * 7 + seed) % len(KINDS)]
            x[r, b * 32 : (b + 1) * 32] = gen_block(rng, kind, dt)
    if nan_inf_rows and rows >= 3:
        b = rng.integers(nb)
        x[1, b * 32 + rng.integers(min(32, K - b * 32))] = np.nan
        b = rng.integers(nb)
        c = b * 32 + rng.integers(min(32, K - b * 32))
        x[2, c] = np.inf
        if rows >= 4:
            x[3, c] = -np.inf
    x = x[:, :K].reshape(shape)
    t = torch.from_numpy(x.astype(np.float32)).to(DT[dt])
    return t


def spec_mx_quant(x, fmt, alg):
    """numerics.md mx_quant (tiny_blocks=scale) from the bits; returns (y fp8 [rows,K], bytes [rows,nb])."""
    K = x.shape[-1]
    xf = x.float().reshape(-1, K)
    rows = xf.shape[0]
    nb = (K + 31) // 32
    xp = torch.zeros(rows, nb * 32)
    xp[:, :K] = xf
    xb = xp.reshape(rows, nb, 32)
    bits = xb.abs().view(torch.int32)
    nonfinite = (bits >= 0x7F800000).any(-1)
    amax = xb.abs().nan_to_num(0.0, 0.0, 0.0).amax(-1)  # finite blocks only matter
    ab = amax.view(torch.int32)
    if alg == "ocp":
        ef = (ab >> 23) & 0xFF
        byte = torch.clamp(ef - EMAX[fmt], min=0)
    else:
        rcp = torch.tensor([RCP_MAX_BITS[fmt]], dtype=torch.int32).view(torch.float32)
        s = (amax * rcp).view(torch.int32)
        E = (s >> 23) & 0xFF
        M = s & 0x7FFFFF
        inc = ((E > 0) & (E < 254) & (M > 0)) | ((E == 0) & (M > 0x400000))
        byte = E + inc.int()
    byte = torch.where(nonfinite, 255, byte)
    scale = torch.exp2((127 - byte).double()).float()  # 2^(127-byte), exact (byte 254 -> 2^-127)
    y = (xb * scale[..., None]).clamp(-F8MAX[fmt], F8MAX[fmt]).to(F8[fmt])
    # amax == 0 (RCEIL byte 0): x * 2^127 of +-0 is +-0, the same as the kernel's multiply by 0
    yb = y.view(torch.uint8)
    yb = torch.where(nonfinite[..., None], torch.tensor(0x7F, dtype=torch.uint8), yb)
    return yb.reshape(rows, nb * 32)[:, :K], byte.to(torch.uint8)


def torchao_mx_quant(x, fmt, alg):
    """Run torchao, normalise to numerics.md, return (y u8 [rows,K], bytes [rows,nb], counts)."""
    K = x.shape[-1]
    src = x if x.dtype in (torch.bfloat16, torch.float32) else x.float()
    xf = src.reshape(-1, K)
    rows = xf.shape[0]
    nb = (K + 31) // 32
    xp = torch.zeros(rows, nb * 32, dtype=src.dtype)
    xp[:, :K] = xf
    mode = ScaleCalculationMode.FLOOR if alg == "ocp" else ScaleCalculationMode.RCEIL
    saved = mxt.F32_MIN_NORMAL
    mxt.F32_MIN_NORMAL = 2.0**-127  # [tiny] normalisation (see module doc)
    try:
        s, y = mxt.to_mx(xp.contiguous(), F8[fmt], 32, mode)
    finally:
        mxt.F32_MIN_NORMAL = saved
    mxt_unpatched_s, mxt_unpatched_y = mxt.to_mx(xp.contiguous(), F8[fmt], 32, mode)
    byte = s.view(torch.uint8).reshape(rows, nb).clone()
    yb = y.view(torch.uint8).reshape(rows, nb, 32).clone()
    ref_y, ref_b = spec_mx_quant(xp, fmt, alg)
    ref_y = ref_y.reshape(rows, nb, 32)
    xb = xp.float().reshape(rows, nb, 32)
    nonfinite = ~torch.isfinite(xb).all(-1)
    amax = xb.abs().nan_to_num(0.0, 0.0, 0.0).amax(-1)
    counts = {"blocks": rows * nb, "tiny": 0, "naninf": 0, "rceil0": 0, "rceil_log2": 0}
    # count what the F32_MIN_NORMAL patch changed
    ub = mxt_unpatched_y.view(torch.uint8).reshape(rows, nb, 32)
    counts["tiny"] = int(((ub != yb).any(-1) & ~nonfinite).sum())
    for r in range(rows):
        for b in range(nb):
            same = byte[r, b] == ref_b[r, b] and torch.equal(yb[r, b], ref_y[r, b])
            if nonfinite[r, b]:
                # [naninf]: 0xFF and NaN elements
                if not (byte[r, b] == 255 and bool((yb[r, b] & 0x7F == 0x7F).all())):
                    counts["naninf"] += 1
                byte[r, b] = 255
                yb[r, b] = ref_y[r, b]
                continue
            if same:
                continue
            if alg == "rceil" and byte[r, b] == 0 and amax[r, b] != 0 and ref_b[r, b] == 0:
                counts["rceil0"] += 1
            elif alg == "rceil" and int(ref_b[r, b]) - int(byte[r, b]) == 1:
                counts["rceil_log2"] += 1
            else:
                raise AssertionError(
                    f"unexplained torchao/spec difference {fmt} {alg} row {r} block {b}: "
                    f"byte {int(byte[r, b])} vs {int(ref_b[r, b])}\n{xb[r, b]}\n{yb[r, b]}\n{ref_y[r, b]}"
                )
            byte[r, b] = ref_b[r, b]
            yb[r, b] = ref_y[r, b]
    return yb.reshape(rows, nb * 32)[:, :K], byte, counts


NOTES = []


def emit(case, x, fmt, alg, tiny="scale", flush_from=None):
    shape = tuple(x.shape)
    K = shape[-1]
    y, byte, counts = torchao_mx_quant(x, fmt, alg)
    if tiny == "flush":
        z = byte == 0  # [rows, nb]
        zk = z.repeat_interleave(32, dim=1)[:, :K]
        y = torch.where(zk, y & 0x80, y)
    lead = shape[:-1]
    nb = byte.shape[-1]
    y_t = y.reshape(shape).view(F8[fmt])
    blocks = byte.reshape(*lead, nb)
    scale = pair_layout(blocks).view(torch.float8_e8m0fnu)
    has_nan = bool(~torch.isfinite(x.float()).all())
    mode = "FLOOR" if alg == "ocp" else "RCEIL"
    src = f"{TAO} to_mx ScaleCalculationMode.{mode}"
    if x.dtype == torch.float16:
        src += " on x.float() (to_mx rejects f16)"
    src += "; K zero-padded to a multiple of 32 and y cropped"
    norm = [k for k in ("tiny", "naninf", "rceil0", "rceil_log2") if counts[k]]
    if norm:
        src += "; normalised to numerics.md in blocks: " + ", ".join(f"{k}={counts[k]}" for k in norm)
    if tiny == "flush":
        src += "; tiny_blocks=flush derived by zeroing (keeping sign) the elements of byte-0 blocks"
    meta = {
        "source": src,
        "dst": fmt,
        "scale_alg": alg,
        "round": "rint",
        "tiny_blocks": tiny,
        # NaN/Inf blocks are normalised to NaN elements (0x7F), the non-default policy
        "non_finite": "nan",
        "compare": "exact_nan" if has_nan else "exact",
    }
    save_case("mx-quant", case, {"x": x}, {"y": y_t, "scale": scale, "scale_blocks": blocks}, meta)
    NOTES.append(f"{case}: shape {list(shape)} {str(x.dtype)[6:]} {fmt} {alg} {tiny}: blocks={counts['blocks']} " + " ".join(f"{k}={counts[k]}" for k in norm))


def main():
    clean_dir("mx-quant")
    shapes = [(1, 32), (3, 100), (5, 96), (2, 3, 64), (1, 40)]
    seed = 0
    for dt in ["bf16", "f32", "f16"]:
        for fmt in ["e4m3", "e5m2"]:
            for alg in ["ocp", "rceil"]:
                for shape in shapes:
                    seed += 1
                    x = make_x(shape, dt, seed)
                    name = f"{alg}_{fmt}_{dt}_" + "x".join(map(str, shape))
                    emit(name, x, fmt, alg)
    # the big shape, fewer combinations (fixture size budget)
    for dt, fmt, alg in [("bf16", "e4m3", "ocp"), ("bf16", "e4m3", "rceil"), ("f16", "e5m2", "rceil")]:
        seed += 1
        emit(f"{alg}_{fmt}_{dt}_4x4096", make_x((4, 4096), dt, seed), fmt, alg)
    # tiny_blocks=flush (OCP): derived from the FLOOR output
    for dt, fmt, shape in [("bf16", "e4m3", (3, 100)), ("f32", "e4m3", (5, 96)), ("bf16", "e5m2", (2, 3, 64)), ("f32", "e5m2", (3, 100))]:
        seed += 1
        x = make_x(shape, dt, seed)
        emit(f"ocp_flush_{fmt}_{dt}_" + "x".join(map(str, shape)), x, fmt, "ocp", tiny="flush")
    # Ascend doc vector (hand-written from docs/aclnnDynamicMxQuant.md, not torchao)
    x = torch.zeros(1, 32, dtype=torch.bfloat16)
    x[0, :4] = torch.tensor([0.0, 8.0, 64.0, 512.0])
    y = torch.zeros(1, 32, dtype=torch.uint8)
    y[0, :4] = torch.tensor([0x00, 0x48, 0x60, 0x78], dtype=torch.uint8)
    blocks = torch.tensor([[128]], dtype=torch.uint8)
    save_case(
        "mx-quant",
        "ascend_doc_vector",
        {"x": x},
        {"y": y.view(torch.float8_e4m3fn), "scale": pair_layout(blocks).view(torch.float8_e8m0fnu), "scale_blocks": blocks},
        {
            "source": "hand-written from the Ascend doc (hicann/ops-nn docs/aclnnDynamicMxQuant.md worked example); "
            "also reproduced by " + TAO + " to_mx FLOOR",
            "dst": "e4m3",
            "scale_alg": "ocp",
            "round": "rint",
            "tiny_blocks": "flush",
            "non_finite": "zero",
            "compare": "exact",
        },
    )
    ty, tb, _ = torchao_mx_quant(x, "e4m3", "ocp")
    assert torch.equal(ty, y) and torch.equal(tb, blocks), (ty, tb)
    with open(os.path.join(OPS, "mx-quant", "NOTES.txt"), "w") as f:
        f.write(
            f"{TAO}, torch {torch.__version__}: blocks per fixture normalised to numerics.md "
            "(see gen_mx_quant.py doc; 'tiny' = changed by the F32_MIN_NORMAL=2^-127 patch)\n"
        )
        f.write("\n".join(NOTES) + "\n")
    print("\n".join(NOTES))


if __name__ == "__main__":
    main()
