"""Shared helpers for the golden fixture generators (no project code)."""
import json
import os
import struct
import warnings

warnings.filterwarnings("ignore")

import torch  # noqa: E402
from safetensors.torch import load_file  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
OPS = os.path.join(HERE, "ops")

DT = {"bf16": torch.bfloat16, "f16": torch.float16, "f32": torch.float32}
F8 = {"e4m3": torch.float8_e4m3fn, "e5m2": torch.float8_e5m2}
F8MAX = {"e4m3": 448.0, "e5m2": 57344.0}


def clean_dir(op):
    d = os.path.join(OPS, op)
    os.makedirs(d, exist_ok=True)
    for f in os.listdir(d):
        if f.endswith(".safetensors"):
            os.remove(os.path.join(d, f))
    return d


def save_case(op, case, inputs, expected, meta):
    """inputs/expected: dict name -> tensor. meta: dict of str -> str (op is added)."""
    d = os.path.join(OPS, op)
    os.makedirs(d, exist_ok=True)
    tensors = {}
    for k, v in inputs.items():
        tensors[k] = v.contiguous().clone()
    for k, v in expected.items():
        tensors["expected." + k] = v.contiguous().clone()
    md = {"op": op}
    for k, v in meta.items():
        assert isinstance(v, str), (k, v)
        md[k] = v
    assert "source" in md and "compare" in md
    path = os.path.join(d, case + ".safetensors")
    write_safetensors(path, tensors, md)
    return path


ST_DTYPE = {
    torch.bfloat16: "BF16",
    torch.float16: "F16",
    torch.float32: "F32",
    torch.float64: "F64",
    torch.int32: "I32",
    torch.int64: "I64",
    torch.uint8: "U8",
    torch.float8_e4m3fn: "F8_E4M3",
    torch.float8_e5m2: "F8_E5M2",
    torch.float8_e8m0fnu: "F8_E8M0",
}


def write_safetensors(path, tensors, metadata):
    """Byte-deterministic safetensors writer (sorted header keys and tensor order; the safetensors
    package's writer orders __metadata__ by a hash map, so its files differ run to run). The result is
    read back with safetensors.torch.load_file and compared."""
    header = {"__metadata__": dict(sorted(metadata.items()))}
    blobs = []
    off = 0
    for name in sorted(tensors):
        t = tensors[name].contiguous()
        b = t.view(torch.uint8).numpy().tobytes() if t.numel() else b""
        header[name] = {"dtype": ST_DTYPE[t.dtype], "shape": list(t.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)
    back = load_file(path)
    assert sorted(back) == sorted(tensors)
    for k, v in tensors.items():
        assert back[k].dtype == v.dtype and back[k].shape == v.shape
        assert torch.equal(back[k].view(torch.uint8), v.contiguous().view(torch.uint8)), k


def e8m0_to_f32(b):
    """uint8 tensor of E8M0 bytes -> exact f32 powers of two (byte 0 = 2^-127, 0xFF = NaN)."""
    b = b.to(torch.int32)
    v = torch.exp2((b - 127).to(torch.float64)).to(torch.float32)  # 2^-127 is exact as f32 subnormal
    return torch.where(b == 255, torch.tensor(float("nan")), v)


def pair_layout(blocks_u8):
    """[..., nb] uint8 -> [..., ceil(nb/2), 2] with an odd count padded with 0x00."""
    nb = blocks_u8.shape[-1]
    if nb % 2:
        pad = torch.zeros(*blocks_u8.shape[:-1], 1, dtype=torch.uint8)
        blocks_u8 = torch.cat([blocks_u8, pad], dim=-1)
    return blocks_u8.reshape(*blocks_u8.shape[:-1], (nb + 1) // 2, 2)
