"""numpy-only helpers for the golden generators that need neither torch nor the network: a
byte-deterministic safetensors writer (the same format as _common.write_safetensors: sorted
metadata and tensor names, header padded with spaces to 8 bytes) and a reader to check it."""

import json
import os
import struct

import ml_dtypes
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
OPS = os.path.join(HERE, "ops")

ST_DTYPE = {
    np.dtype(np.float32): "F32",
    np.dtype(np.float16): "F16",
    np.dtype(np.float64): "F64",
    np.dtype(ml_dtypes.bfloat16): "BF16",
    np.dtype(ml_dtypes.float8_e4m3fn): "F8_E4M3",
    np.dtype(ml_dtypes.float8_e5m2): "F8_E5M2",
    np.dtype(ml_dtypes.float8_e8m0fnu): "F8_E8M0",
    np.dtype(np.uint8): "U8",
    np.dtype(np.int32): "I32",
    np.dtype(np.int64): "I64",
}
NP_DTYPE = {v: k for k, v in ST_DTYPE.items()}


def write_safetensors(path, tensors, metadata):
    header = {"__metadata__": dict(sorted(metadata.items()))}
    blobs = []
    off = 0
    for name in sorted(tensors):
        a = np.ascontiguousarray(tensors[name])
        b = a.tobytes()
        header[name] = {"dtype": ST_DTYPE[a.dtype], "shape": list(a.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)
    back, md = read_safetensors(path)
    assert md == header["__metadata__"]
    for k, v in tensors.items():
        assert back[k].dtype == np.asarray(v).dtype and back[k].shape == np.asarray(v).shape, k
        assert back[k].tobytes() == np.ascontiguousarray(v).tobytes(), k


def read_safetensors(path):
    data = open(path, "rb").read()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8 : 8 + n])
    body = data[8 + n :]
    md = header.pop("__metadata__", {})
    out = {}
    for name, info in header.items():
        lo, hi = info["data_offsets"]
        out[name] = np.frombuffer(body[lo:hi], dtype=NP_DTYPE[info["dtype"]]).reshape(info["shape"])
    return out, md


def save_case(op, case, inputs, expected, meta):
    """inputs/expected: dict name -> numpy array. meta: dict str -> str (op is added)."""
    d = os.path.join(OPS, op)
    os.makedirs(d, exist_ok=True)
    tensors = dict(inputs)
    for k, v in expected.items():
        tensors["expected." + k] = v
    md = {"op": op}
    for k, v in meta.items():
        assert isinstance(v, str), (k, v)
        md[k] = v
    assert "source" in md and "compare" in md
    path = os.path.join(d, case + ".safetensors")
    write_safetensors(path, tensors, md)
    return path


def remove_cases(op, prefix):
    d = os.path.join(OPS, op)
    if os.path.isdir(d):
        for f in os.listdir(d):
            if f.startswith(prefix) and f.endswith(".safetensors"):
                os.remove(os.path.join(d, f))
