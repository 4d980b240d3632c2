"""Shared helpers of the pytest suite: the repository's golden fixtures (read with a small
safetensors reader, no torch) and the Rust CLI the Python results are held to."""

import json
import os
import struct
import subprocess
from pathlib import Path

import ml_dtypes
import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]
OPS = REPO / "tests" / "golden" / "ops"

NP_DTYPE = {
    "F32": np.dtype(np.float32),
    "F16": np.dtype(np.float16),
    "F64": np.dtype(np.float64),
    "BF16": np.dtype(ml_dtypes.bfloat16),
    "F8_E4M3": np.dtype(ml_dtypes.float8_e4m3fn),
    "F8_E5M2": np.dtype(ml_dtypes.float8_e5m2),
    "F8_E8M0": np.dtype(ml_dtypes.float8_e8m0fnu),
    "U8": np.dtype(np.uint8),
    "I32": np.dtype(np.int32),
    "I64": np.dtype(np.int64),
}


def read_safetensors(path):
    """(tensors: dict name -> numpy array, metadata: dict)."""
    data = Path(path).read_bytes()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8 : 8 + n])
    body = data[8 + n :]
    md = header.pop("__metadata__", {})
    out = {}
    for name, info in header.items():
        lo, hi = info["data_offsets"]
        out[name] = np.frombuffer(body[lo:hi], dtype=NP_DTYPE[info["dtype"]]).reshape(info["shape"]).copy()
    return out, md


def fixtures(op, prefix=""):
    d = OPS / op
    return sorted(p for p in d.glob("*.safetensors") if p.name.startswith(prefix))


def cli_path():
    p = Path(os.environ.get("AK_CLI", REPO / "target" / "release" / "ascend-kernels"))
    if not p.exists():
        pytest.fail(f"the Rust CLI is not built at {p} (cargo build --release, or set AK_CLI)")
    return p


def run_cli(op, input_path, tmp_path, *args, backend="cpu"):
    """Runs `ascend-kernels op`; returns the output tensors (or raises with the CLI's stderr)."""
    out = tmp_path / f"{input_path.stem}.{backend}.out.safetensors"
    cmd = [str(cli_path()), "op", op, "--input", str(input_path), "--output", str(out)]
    if backend != "cpu":
        cmd += ["--backend", "sim", "--target", backend.split("-")[1]]
    cmd += [str(a) for a in args]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(r.stderr.strip())
    return read_safetensors(out)[0]


def same_bits(a, b):
    """Bit-identical arrays (NaNs compared as NaN: their payload is not part of the contract)."""
    a, b = np.asarray(a), np.asarray(b)
    if a.dtype != b.dtype or a.shape != b.shape:
        return False
    ua, ub = a.view(np.uint8).reshape(a.shape + (-1,)), b.view(np.uint8).reshape(b.shape + (-1,))
    equal = (ua == ub).all(axis=-1)
    if a.dtype.kind == "V" or a.dtype.name.startswith(("float", "bfloat")):
        with np.errstate(all="ignore"):
            fa = a.astype(np.float64)
            fb = b.astype(np.float64)
        equal |= np.isnan(fa) & np.isnan(fb)
    return bool(equal.all())
