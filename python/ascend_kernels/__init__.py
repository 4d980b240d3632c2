"""ascend_kernels: a bit-exact CPU twin of the torch_npu FP8/MXFP8 ops.

The functions carry the torch_npu names, argument names, defaults, layouts and return tuples:

    y, mxscale = npu_dynamic_mx_quant(x, dst_type=torch.float8_e4m3fn)
    out = npu_quant_matmul(y, w_t, w_scale_t, pertoken_scale=mxscale,
                           scale_dtype=torch_npu.float8_e8m0fnu, pertoken_scale_dtype=torch_npu.float8_e8m0fnu,
                           bias=bias, output_dtype=torch.bfloat16, group_sizes=[1, 1, 32])
    y, rstd = npu_rms_norm(x, gamma, epsilon=1e-6)
    y, rstd, x_sum = npu_add_rms_norm(x1, x2, gamma, epsilon=1e-6)
    q = npu_rotary_mul(q, cos, sin)

They take numpy arrays (ml_dtypes for bfloat16 and the float8 types) or CPU torch tensors and
return the same kind. Each is computed by the ascend-kernels Rust library, with the GIL
released, on the backend named by the keyword `backend`: "cpu" (the reference), "sim-a2" or
"sim-a5" (the generated AscendC kernels on the AscendC emulation, for Atlas A2/A3 or the
Ascend 950). Where a hardware operator's arithmetic differs between SoCs (RMSNorm's rstd, Add +
RMSNorm's sum), `soc` picks it ("a2": Atlas A2/A3, "a5": Ascend 950); it defaults to the sim
target, and to "a2" on the cpu. docs/numerics.md in the repository says, per op and mode, which
implementation each result reproduces bit for bit.

Errors: a bad argument raises InvalidArgumentError (a ValueError), an argument value torch_npu
accepts but this package does not implement raises UnsupportedError (a NotImplementedError), a
backend failure raises BackendError (a RuntimeError); all derive from AscendKernelsError and
carry the library's message.
"""

from __future__ import annotations

import math
from typing import Any, Optional, Sequence, Tuple

import ml_dtypes
import numpy as np

from . import _native

__version__ = "0.1.0"

__all__ = [
    "AscendKernelsError",
    "BackendError",
    "InvalidArgumentError",
    "UnsupportedError",
    "backends",
    "sim_available",
    "npu_dynamic_mx_quant",
    "npu_anti_mx_quant",
    "mx_dequant",
    "npu_quant_matmul",
    "npu_rms_norm",
    "npu_add_rms_norm",
    "npu_rotary_mul",
    "npu_apply_rotary_pos_emb",
    "fp8_block_dequant",
]


class AscendKernelsError(Exception):
    """Base class of every error this package raises."""


class InvalidArgumentError(AscendKernelsError, ValueError):
    """An argument is wrong: shape, dtype, layout, option value (the message names it)."""


class UnsupportedError(AscendKernelsError, NotImplementedError):
    """An argument value torch_npu accepts that this package does not implement."""


class BackendError(AscendKernelsError, RuntimeError):
    """The backend failed or is not available (e.g. a build without the AscendC sim)."""


_ERRORS = {
    "invalid": InvalidArgumentError,
    "unsupported": UnsupportedError,
    "backend": BackendError,
    "io": BackendError,
}


def _call(fn, *args):
    try:
        return fn(*args)
    except _native.NativeError as e:
        kind, message = e.args
        raise _ERRORS.get(kind, AscendKernelsError)(message) from None


def backends() -> Tuple[str, ...]:
    """The backend names the ops accept (whether the sim ones run: `sim_available()`)."""
    return ("cpu", "sim-a2", "sim-a5")


def sim_available() -> bool:
    """Whether this build runs the `sim-a2` / `sim-a5` backends."""
    return bool(_native.sim_available())


# ----------------------------------------------------------------------------- dtypes
# torch / torch_npu dtype enum values (op-plugin _meta_registrations.py) and their names
_CODES = {
    0: "uint8",
    1: "int8",
    5: "float16",
    6: "float32",
    15: "bfloat16",
    23: "float8_e5m2",
    24: "float8_e4m3fn",
    285: "int4",
    290: "hifloat8",
    291: "float8_e5m2",
    292: "float8_e4m3fn",
    293: "float8_e8m0fnu",
    296: "float4_e2m1fn_x2",
    297: "float4_e1m2fn_x2",
}
_ALIASES = {
    "bf16": "bfloat16",
    "f16": "float16",
    "half": "float16",
    "f32": "float32",
    "float": "float32",
    "e4m3": "float8_e4m3fn",
    "e5m2": "float8_e5m2",
    "e8m0": "float8_e8m0fnu",
}
_NP = {
    "float32": np.dtype(np.float32),
    "float16": np.dtype(np.float16),
    "bfloat16": np.dtype(ml_dtypes.bfloat16),
    "float8_e4m3fn": np.dtype(ml_dtypes.float8_e4m3fn),
    "float8_e5m2": np.dtype(ml_dtypes.float8_e5m2),
    "float8_e8m0fnu": np.dtype(ml_dtypes.float8_e8m0fnu),
    "uint8": np.dtype(np.uint8),
}
_BITS = {"float32": np.uint32, "float16": np.uint16, "bfloat16": np.uint16}
_FP8 = {"float8_e4m3fn": "e4m3", "float8_e5m2": "e5m2"}
_FLOATS = ("bfloat16", "float16", "float32")


def _dtype_name(what: str, d: Any) -> str:
    """The canonical name of a dtype given as a torch / torch_npu / numpy / ml_dtypes dtype, an
    enum value (int) or a string."""
    if d is None:
        raise InvalidArgumentError(f"{what}: a dtype is required")
    if isinstance(d, bool):
        raise InvalidArgumentError(f"{what}: {d!r} is not a dtype")
    if isinstance(d, int):
        if d in _CODES:
            return _CODES[d]
        raise InvalidArgumentError(f"{what}: unknown dtype enum value {d}")
    if isinstance(d, str):
        name = d.split(".")[-1].lower()
        return _ALIASES.get(name, name)
    text = str(d)
    if text.startswith("torch.") or text.startswith("torch_npu."):
        return text.split(".")[-1]
    try:
        return np.dtype(d).name
    except TypeError:
        raise InvalidArgumentError(f"{what}: {d!r} is not a dtype") from None


def _fp8_format(what: str, d: Any) -> str:
    name = _dtype_name(what, d)
    if name in _FP8:
        return _FP8[name]
    if name in ("float4_e2m1fn_x2", "float4_e1m2fn_x2", "hifloat8"):
        raise UnsupportedError(f"{what}: {name} is not implemented (float8_e4m3fn and float8_e5m2 are)")
    raise InvalidArgumentError(f"{what}: expected float8_e4m3fn or float8_e5m2, got {name}")


def _float_name(what: str, d: Any) -> str:
    name = _dtype_name(what, d)
    if name not in _FLOATS:
        raise InvalidArgumentError(f"{what}: expected bfloat16, float16 or float32, got {name}")
    return name


# ----------------------------------------------------------------------------- arrays
def _is_torch(a: Any) -> bool:
    return type(a).__module__.split(".")[0] == "torch"


def _torch():
    import torch

    return torch


def _as_numpy(name: str, a: Any) -> Tuple[np.ndarray, bool]:
    """A numpy view of `a` (no copy) and whether it was a torch tensor."""
    if isinstance(a, np.ndarray):
        return a, False
    if _is_torch(a):
        torch = _torch()
        if not isinstance(a, torch.Tensor):
            raise TypeError(f"{name}: expected a numpy array or a torch tensor, got {type(a).__name__}")
        if a.device.type != "cpu":
            raise InvalidArgumentError(
                f"{name}: the tensor is on {a.device}; pass CPU tensors (the backends here are cpu and the sim)"
            )
        t = a.detach()
        dt = str(t.dtype).split(".")[-1]
        if dt == "bfloat16":
            return t.view(torch.int16).numpy().view(ml_dtypes.bfloat16), True
        if dt in ("float8_e4m3fn", "float8_e5m2", "float8_e8m0fnu"):
            return t.view(torch.uint8).numpy().view(_NP[dt]), True
        return t.numpy(), True
    raise TypeError(f"{name}: expected a numpy array or a torch tensor, got {type(a).__name__}")


def _to_torch(a: np.ndarray):
    torch = _torch()
    name = a.dtype.name
    a = np.ascontiguousarray(a)
    if name == "bfloat16":
        return torch.from_numpy(a.view(np.int16)).view(torch.bfloat16)
    if name in ("float8_e4m3fn", "float8_e5m2"):
        return torch.from_numpy(a.view(np.uint8)).view(getattr(torch, name))
    if name == "float8_e8m0fnu":  # torch_npu's mxscale tensors are uint8
        return torch.from_numpy(a.view(np.uint8))
    return torch.from_numpy(a)


def _out(a: np.ndarray, as_torch: bool):
    return _to_torch(a) if as_torch else a


def _float_input(name: str, a: np.ndarray) -> str:
    dt = a.dtype.name
    if dt not in _FLOATS:
        raise InvalidArgumentError(f"{name}: expected dtype bfloat16, float16 or float32, got {dt}")
    return dt


def _bits(a: np.ndarray) -> np.ndarray:
    """The element bits as the unsigned type the native module reads (a view, no copy)."""
    name = a.dtype.name
    if name in _BITS:
        return a.view(_BITS[name])
    if a.dtype.itemsize == 1:
        return a.view(np.uint8)
    raise InvalidArgumentError(f"dtype {name} has no bit view here")


def _from_bits(bits: np.ndarray, dtype: str) -> np.ndarray:
    return bits.view(_NP[dtype])


def _fp8_input(name: str, a: np.ndarray, declared: Any) -> str:
    """The FP8 format of `a`: from its dtype, or from `declared` when it holds raw uint8 bytes."""
    dt = a.dtype.name
    if dt in _FP8:
        if declared is not None and _fp8_format(f"{name}_dtype", declared) != _FP8[dt]:
            raise InvalidArgumentError(f"{name}_dtype: {_dtype_name(name, declared)} contradicts {name}'s dtype {dt}")
        return _FP8[dt]
    if dt == "uint8" or dt == "int8":
        if declared is None:
            raise InvalidArgumentError(f"{name}: raw {dt} bytes need {name}_dtype (float8_e4m3fn or float8_e5m2)")
        return _fp8_format(f"{name}_dtype", declared)
    raise InvalidArgumentError(f"{name}: expected float8_e4m3fn or float8_e5m2 data, got {dt}")


def _e8m0_input(name: str, a: np.ndarray, declared: Any) -> np.ndarray:
    dt = a.dtype.name
    if declared is not None and _dtype_name(f"{name}_dtype", declared) not in ("float8_e8m0fnu", "uint8"):
        raise UnsupportedError(
            f"{name}_dtype: {_dtype_name(name, declared)} is not implemented (MX scales are float8_e8m0fnu)"
        )
    if dt not in ("float8_e8m0fnu", "uint8", "int8"):
        raise InvalidArgumentError(f"{name}: expected float8_e8m0fnu (or its uint8 bytes), got {dt}")
    return a.view(np.uint8)


def _resolve_soc(soc: Optional[str], backend: str) -> str:
    """'a2' (Atlas A2/A3: 910B, 910_93) or 'a5' (Ascend 950)."""
    if soc is None:
        return "a5" if backend.strip() == "sim-a5" else "a2"
    s = soc.strip().lower().replace("ascend", "")
    if s in ("a2", "a3", "910b", "910_93", "910b1", "910b2", "910b3", "910b4"):
        return "a2"
    if s in ("a5", "950", "950pr", "950dt"):
        return "a5"
    raise InvalidArgumentError(f"soc: `{soc}` is not one of a2 (Atlas A2/A3) or a5 (Ascend 950)")


# ----------------------------------------------------------------------------- ops
def npu_dynamic_mx_quant(
    input: Any,
    *,
    axis: int = -1,
    round_mode: str = "rint",
    dst_type: Any = 296,
    block_size: int = 32,
    scale_alg: Optional[int] = 0,
    dst_type_max: float = 0.0,
    max_low_bound: float = 0.0,
    backend: str = "cpu",
    tiny_blocks: str = "flush",
    non_finite: str = "zero",
):
    """torch_npu.npu_dynamic_mx_quant: MX quantization in blocks of 32 along the last axis.

    Returns `(y, mxscale)`: `y` of `input`'s shape in `dst_type` (float8_e4m3fn or float8_e5m2),
    `mxscale` the E8M0 scales in the Ascend pair layout `[..., ceil(K/64), 2]` (block `2g + j`
    at `[..., g, j]`; an odd block count padded with 0x00) — float8_e8m0fnu for numpy, uint8
    for torch as torch_npu returns it.

    `scale_alg` 0 is the OCP floor rule, 1 the RCEIL rule. Pass `dst_type` explicitly: torch_npu's
    default (296, float4_e2m1fn_x2) is not implemented. Beyond torch_npu: `tiny_blocks`
    ("flush": the kernel writes ±0 for blocks whose scale byte is 0; "scale": golden.py / OCP
    multiply by 2^127), `non_finite` ("zero": NaN/Inf blocks get 0x00 elements as the NPU
    writes them; "nan": 0x7F), `round_mode` "round" (ties away, msmodelslim's weight export;
    the NPU rounds FP8 with "rint").
    """
    x, as_torch = _as_numpy("input", input)
    dtype = _float_input("input", x)
    if x.ndim < 1 or x.ndim > 7:
        raise InvalidArgumentError(f"input: expected 1 to 7 dimensions, got {x.ndim}")
    if not -x.ndim <= axis < x.ndim:
        raise InvalidArgumentError(f"axis: {axis} is outside [{-x.ndim}, {x.ndim - 1}]")
    if axis % x.ndim != x.ndim - 1:
        raise UnsupportedError(f"axis: only the last axis (-1) is implemented, got {axis}")
    if x.shape[-1] == 0:
        raise InvalidArgumentError(f"input: the quantized (last) axis is empty, shape {list(x.shape)}")
    fmt = _fp8_format("dst_type", dst_type)
    if not (isinstance(block_size, int) and 0 < block_size <= 1024 and block_size % 32 == 0):
        raise InvalidArgumentError(f"block_size: must be a positive multiple of 32 up to 1024, got {block_size}")
    if block_size != 32:
        raise UnsupportedError(f"block_size: only 32 is implemented, got {block_size}")
    alg = {0: "ocp", None: "ocp", 1: "rceil"}.get(scale_alg)
    if alg is None:
        if scale_alg == 2:
            raise UnsupportedError("scale_alg: 2 applies to float4_e2m1 only")
        raise InvalidArgumentError(f"scale_alg: expected 0 or 1, got {scale_alg!r}")
    if round_mode not in ("rint", "round"):
        raise InvalidArgumentError(f"round_mode: expected rint (or round), got {round_mode!r}")
    if dst_type_max != 0.0:
        raise UnsupportedError(f"dst_type_max: only 0.0 (the format's own maximum) is implemented, got {dst_type_max}")
    if max_low_bound != 0.0:
        raise UnsupportedError(f"max_low_bound: only 0.0 is implemented, got {max_low_bound}")
    y, s = _call(_native.mx_quant, _bits(x), dtype, fmt, alg, round_mode, tiny_blocks, non_finite, backend)
    y = y.view(_NP["float8_e4m3fn" if fmt == "e4m3" else "float8_e5m2"])
    s = s.view(_NP["float8_e8m0fnu"])
    return _out(y, as_torch), _out(s, as_torch)


def npu_anti_mx_quant(
    x: Any,
    mxscale: Any,
    *,
    axis: int = -1,
    dst_type: Any = 15,
    src_type: Any = 292,
    backend: str = "cpu",
):
    """torch_npu.npu_anti_mx_quant: MX dequantization along the last axis.

    `x` holds float8_e4m3fn / float8_e5m2 elements (raw uint8 bytes take their format from
    `src_type`), `mxscale` the pair-layout E8M0 scales `[..., ceil(K/64), 2]` (float8_e8m0fnu or
    uint8). Returns `decode(x) · 2^(byte − 127)` rounded (nearest-even) to `dst_type`
    (default 15: bfloat16; float16 and float32 too).
    """
    xa, as_torch = _as_numpy("x", x)
    sa, _ = _as_numpy("mxscale", mxscale)
    if xa.ndim < 1 or not -xa.ndim <= axis < xa.ndim:
        raise InvalidArgumentError(f"axis: {axis} is outside the dimensions of x {xa.shape}")
    if axis % xa.ndim != xa.ndim - 1:
        raise UnsupportedError(f"axis: only the last axis (-1) is implemented, got {axis}")
    fmt = _fp8_input("x", xa, src_type if xa.dtype.name in ("uint8", "int8") else None)
    out = _float_name("dst_type", dst_type)
    pair = xa.shape[:-1] + (math.ceil(math.ceil(xa.shape[-1] / 32) / 2), 2)
    if xa.shape[-1] == 0 or sa.shape != pair:
        raise InvalidArgumentError(
            f"mxscale: expected the pair layout [..., ceil(K/64), 2] = {list(pair)} for x {list(xa.shape)}, got {list(sa.shape)}"
        )
    bits = _call(_native.mx_dequant, _bits(xa), fmt, _e8m0_input("mxscale", sa, None), out, backend)
    return _out(_from_bits(bits, out), as_torch)


mx_dequant = npu_anti_mx_quant


def npu_quant_matmul(
    x1: Any,
    x2: Any,
    scale: Any,
    *,
    offset: Any = None,
    pertoken_scale: Any = None,
    bias: Any = None,
    output_dtype: Any = None,
    x1_dtype: Any = None,
    x2_dtype: Any = None,
    pertoken_scale_dtype: Any = None,
    scale_dtype: Any = None,
    group_sizes: Optional[Sequence[int]] = None,
    y_scale: Any = None,
    backend: str = "cpu",
):
    """torch_npu.npu_quant_matmul in its MX form (`group_sizes=[1, 1, 32]`).

    `x1 [..., M, K]` float8 (from `npu_dynamic_mx_quant`), `pertoken_scale [..., M, ceil(K/64), 2]`
    its E8M0 scales; `x2 [K, N]` float8 — the `[N, K]` weight transposed, as vllm-ascend passes
    `weight.transpose(0, 1)` and sglang stores it pre-transposed — and `scale [ceil(K/64), N, 2]`
    its E8M0 scales (the `[N, ceil(K/64), 2]` pair layout transposed the same way); `bias [N]`
    float32; `output_dtype` bfloat16, float16 or float32. Any strides are accepted.

    Computes `y[m, n] = Σ_blocks dot(x1, x2) · sx · sw + bias[n]` exactly (integer block dot
    products, compensated sums) and rounds once to `output_dtype`: the best answer, to which the
    NPU's f32 accumulation is within a documented bound (not bit-identical: its summation order
    is the hardware's).
    """
    a, as_torch = _as_numpy("x1", x1)
    b, _ = _as_numpy("x2", x2)
    s, _ = _as_numpy("scale", scale)
    if group_sizes is None or [int(g) for g in group_sizes] != [1, 1, 32]:
        if group_sizes is not None and len(group_sizes) != 3:
            raise InvalidArgumentError(f"group_sizes: must have 3 elements [m, n, k], got {list(group_sizes)}")
        raise UnsupportedError(
            f"group_sizes: only the MX form [1, 1, 32] is implemented, got {None if group_sizes is None else list(group_sizes)}"
        )
    if offset is not None:
        raise UnsupportedError("offset: not used by the MX form; pass None")
    if y_scale is not None:
        raise UnsupportedError("y_scale: not used by the MX form; pass None")
    if pertoken_scale is None:
        raise InvalidArgumentError("pertoken_scale: the MX form needs x1's E8M0 scales")
    ps, _ = _as_numpy("pertoken_scale", pertoken_scale)
    if output_dtype is None:
        raise InvalidArgumentError("output_dtype: the MX form outputs bfloat16, float16 or float32; pass one")
    out = _float_name("output_dtype", output_dtype)
    fa = _fp8_input("x1", a, x1_dtype)
    fb = _fp8_input("x2", b, x2_dtype)
    if a.ndim < 2:
        raise InvalidArgumentError(f"x1: expected [..., M, K], got shape {a.shape}")
    if b.ndim != 2:
        raise UnsupportedError(f"x2: only a 2-D [K, N] weight is implemented, got shape {b.shape}")
    k, n = b.shape
    if a.shape[-1] != k:
        raise InvalidArgumentError(f"x2: expected [K, N] with K = {a.shape[-1]} (x1's last axis), got {b.shape}")
    g = math.ceil(k / 64)
    if s.shape != (g, n, 2):
        raise InvalidArgumentError(f"scale: expected [ceil(K/64), N, 2] = {[g, n, 2]}, got {list(s.shape)}")
    if ps.shape != a.shape[:-1] + (g, 2):
        raise InvalidArgumentError(
            f"pertoken_scale: expected [..., M, ceil(K/64), 2] = {list(a.shape[:-1] + (g, 2))}, got {list(ps.shape)}"
        )
    bias_bits = None
    if bias is not None:
        bb, _ = _as_numpy("bias", bias)
        if bb.dtype.name != "float32":
            raise InvalidArgumentError(f"bias: must be float32 (as torch_npu requires), got {bb.dtype.name}")
        if bb.shape != (n,):
            raise InvalidArgumentError(f"bias: expected [N] = [{n}], got {list(bb.shape)}")
        bias_bits = _bits(bb)
    lead = a.shape[:-1]
    rows = int(np.prod(lead)) if lead else 1
    x = a.reshape(rows, k)
    xs = _e8m0_input("pertoken_scale", ps, pertoken_scale_dtype).reshape(rows, g, 2)
    w = b.T  # [N, K], a view
    ws = _e8m0_input("scale", s, scale_dtype).transpose(1, 0, 2)  # [N, G, 2], a view
    bits = _call(_native.mx_matmul, _bits(x), fa, xs, _bits(w), fb, ws, bias_bits, out, backend)
    y = _from_bits(bits, out).reshape(lead + (n,))
    return _out(y, as_torch)


def _norm_rows(name: str, x: np.ndarray, gamma: np.ndarray) -> Tuple[np.ndarray, np.ndarray, Tuple[int, ...]]:
    """x viewed as rows of the gamma-shaped trailing block; returns (x2d-ish, gamma1d, rstd shape)."""
    gd = gamma.ndim
    if gd < 1 or gd > x.ndim or x.shape[x.ndim - gd :] != gamma.shape:
        raise InvalidArgumentError(f"gamma: expected the trailing shape of {name} {list(x.shape)}, got {list(gamma.shape)}")
    if gamma.dtype != x.dtype:
        raise InvalidArgumentError(
            f"gamma: expected dtype {x.dtype.name} (that of {name}; mixed dtypes are not implemented), got {gamma.dtype.name}"
        )
    h = int(np.prod(gamma.shape))
    lead = x.shape[: x.ndim - gd]
    return x.reshape(lead + (h,)), gamma.reshape(h), lead + (1,) * gd


def _norm_mode(mode: Optional[str], soc: Optional[str], backend: str) -> str:
    if mode is not None:
        return mode
    return "ascend-950" if _resolve_soc(soc, backend) == "a5" else "ascend-a2"


def npu_rms_norm(input: Any, gamma: Any, epsilon: float = 1e-6, *, backend: str = "cpu", soc: Optional[str] = None, mode: Optional[str] = None):
    """torch_npu.npu_rms_norm: returns `(y, rstd)`.

    `gamma` has the trailing shape of `input` (and its dtype); `rstd` is float32 of shape
    `input.shape[:-gamma.ndim] + (1,) * gamma.ndim`. The arithmetic is aclnnRmsNorm's on `soc`:
    `y = round((x · rstd) · gamma)` with `rstd = 1/sqrt(f32(Σx²)·f32(1/H) + eps)` — on "a2"
    (Atlas A2/A3) the square root and the division each rounded to f32, on "a5" (Ascend 950)
    the kernel's Newton-Raphson refinement. `mode` overrides: "hf" (transformers'
    Qwen3RMSNorm), "weight-in-f32", "ascend-a2", "ascend-950".
    """
    x, as_torch = _as_numpy("input", input)
    g, _ = _as_numpy("gamma", gamma)
    dtype = _float_input("input", x)
    xr, gr, rshape = _norm_rows("input", x, g)
    m = _norm_mode(mode, soc, backend)
    y, r = _call(_native.rms_norm, _bits(xr), _bits(gr), dtype, float(epsilon), m, backend)
    y = _from_bits(y, dtype).reshape(x.shape)
    r = _from_bits(r, "float32").reshape(rshape)
    return _out(y, as_torch), _out(r, as_torch)


def npu_add_rms_norm(x1: Any, x2: Any, gamma: Any, epsilon: float = 1e-6, *, backend: str = "cpu", soc: Optional[str] = None, mode: Optional[str] = None):
    """torch_npu.npu_add_rms_norm: returns `(y, rstd, x)` with `x = round(x1 + x2)`.

    On "a2" (Atlas A2/A3, AddRmsNorm golden v1) the rounded sum is normalised and `y` is rounded
    to the dtype before the gamma multiply; on "a5" (Ascend 950, golden v2) the f32 sum is
    normalised and `y` rounded once. `mode` overrides: "hf", "ascend-a2", "ascend-950".
    """
    a, as_torch = _as_numpy("x1", x1)
    b, _ = _as_numpy("x2", x2)
    g, _ = _as_numpy("gamma", gamma)
    dtype = _float_input("x1", a)
    if b.shape != a.shape or b.dtype != a.dtype:
        raise InvalidArgumentError(f"x2: expected shape {list(a.shape)} and dtype {a.dtype.name} (those of x1), got {list(b.shape)} {b.dtype.name}")
    ar, gr, rshape = _norm_rows("x1", a, g)
    br = b.reshape(ar.shape)
    m = _norm_mode(mode, soc, backend)
    y, r, s = _call(_native.add_rms_norm, _bits(ar), _bits(br), _bits(gr), dtype, float(epsilon), m, backend)
    y = _from_bits(y, dtype).reshape(a.shape)
    s = _from_bits(s, dtype).reshape(a.shape)
    r = _from_bits(r, "float32").reshape(rshape)
    return _out(y, as_torch), _out(r, as_torch), _out(s, as_torch)


def _rope_inputs(x: Any, r1: Any, r2: Any, names=("input", "r1", "r2")):
    xa, as_torch = _as_numpy(names[0], x)
    c, _ = _as_numpy(names[1], r1)
    s, _ = _as_numpy(names[2], r2)
    dtype = _float_input(names[0], xa)
    for name, r in ((names[1], c), (names[2], s)):
        if r.dtype != xa.dtype:
            raise InvalidArgumentError(f"{name}: expected dtype {xa.dtype.name} (that of {names[0]}), got {r.dtype.name}")
    return xa, c, s, dtype, as_torch


def npu_rotary_mul(input: Any, r1: Any, r2: Any, rotary_mode: str = "half", rotate: Any = None, *, backend: str = "cpu", mode: str = "rotary-mul"):
    """torch_npu.npu_rotary_mul (rotary_mode='half'): `r1 · x + r2 · cat(−x2, x1)`.

    `r1` (cos) and `r2` (sin) have `input`'s rank and dtype and broadcast on axes of size 1
    (e.g. x `[B, S, N, D]` with r `[1, S, 1, D]`, or x `[B, N, S, D]` with r `[1, 1, S, D]`). The
    arithmetic is RotaryPositionEmbedding's: f32 products and sum, one round-to-nearest-even.
    `mode` overrides: "hf", "f32", "rotary-mul", "apply-rotary-pos-emb". On the sim backends
    r1 and r2 must repeat their first half along the last axis (HF's cat(freqs, freqs)).
    """
    if rotary_mode != "half":
        if rotary_mode in ("interleave", "quarter", "interleave-half"):
            raise UnsupportedError(f"rotary_mode: only 'half' is implemented, got {rotary_mode!r}")
        raise InvalidArgumentError(f"rotary_mode: expected 'half' or 'interleave', got {rotary_mode!r}")
    if rotate is not None:
        raise UnsupportedError("rotate: a rotation matrix is not implemented; pass None")
    xa, c, s, dtype, as_torch = _rope_inputs(input, r1, r2)
    y = _call(_native.rotary_mul, _bits(xa), _bits(c), _bits(s), dtype, mode, backend)
    return _out(_from_bits(y, dtype).reshape(xa.shape), as_torch)


def npu_apply_rotary_pos_emb(query: Any, key: Any, cos: Any, sin: Any, layout: str = "BSND", rotary_mode: str = "half", *, backend: str = "cpu", mode: str = "apply-rotary-pos-emb"):
    """torch_npu.npu_apply_rotary_pos_emb (layout 'BSND', rotary_mode 'half'): returns
    `(query_out, key_out)`, new tensors (torch_npu updates query and key in place).

    The arithmetic is aclnnApplyRotaryPosEmb's: bfloat16 in f32 rounded half away from zero,
    float16 in float16 (each product and the sum rounded), float32 in float32.
    """
    if layout != "BSND":
        raise UnsupportedError(f"layout: only 'BSND' is implemented, got {layout!r}")
    if rotary_mode != "half":
        raise UnsupportedError(f"rotary_mode: only 'half' is implemented, got {rotary_mode!r}")
    q, c, s, dtype, as_torch = _rope_inputs(query, cos, sin, ("query", "cos", "sin"))
    k, _ = _as_numpy("key", key)
    if k.dtype != q.dtype:
        raise InvalidArgumentError(f"key: expected dtype {q.dtype.name} (that of query), got {k.dtype.name}")
    for name, t in (("query", q), ("key", k)):
        if t.ndim != 4:
            raise InvalidArgumentError(f"{name}: expected [B, S, N, D], got shape {list(t.shape)}")
    qo = _call(_native.rotary_mul, _bits(q), _bits(c), _bits(s), dtype, mode, backend)
    ko = _call(_native.rotary_mul, _bits(k), _bits(c), _bits(s), dtype, mode, backend)
    return (
        _out(_from_bits(qo, dtype).reshape(q.shape), as_torch),
        _out(_from_bits(ko, dtype).reshape(k.shape), as_torch),
    )


def fp8_block_dequant(weight: Any, weight_scale_inv: Any, *, block_size: Sequence[int] = (128, 128), output_dtype: Any = "bfloat16", backend: str = "cpu"):
    """FP8 block dequantization of HF "fp8" checkpoints (vLLM / msmodelslim `weight_dequant`):
    `weight [O, I]` float8_e4m3fn times `weight_scale_inv [ceil(O/bo), ceil(I/bi)]` (float32,
    bfloat16 or float16), an f32 product rounded once to `output_dtype`."""
    w, as_torch = _as_numpy("weight", weight)
    s, _ = _as_numpy("weight_scale_inv", weight_scale_inv)
    if w.dtype.name != "float8_e4m3fn":
        raise InvalidArgumentError(f"weight: expected float8_e4m3fn, got {w.dtype.name}")
    sd = _float_input("weight_scale_inv", s)
    if len(block_size) != 2 or any(int(v) <= 0 for v in block_size):
        raise InvalidArgumentError(f"block_size: expected two positive sizes, got {list(block_size)}")
    out = _float_name("output_dtype", output_dtype)
    y = _call(_native.fp8_block_dequant, _bits(w), _bits(s), sd, int(block_size[0]), int(block_size[1]), out, backend)
    return _out(_from_bits(y, out).reshape(w.shape), as_torch)
