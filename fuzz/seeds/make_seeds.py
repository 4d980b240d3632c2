#!/usr/bin/env python3
"""Writes the fuzz targets' seed corpus (fuzz/seeds/TARGET/) and the regression inputs of
issue #12 (fuzz/regressions/TARGET/), in the input formats of fuzz/README.md.

Everything is made here from a fixed random seed (no model download, no torch): a micro Qwen3
checkpoint (vocab 16, hidden 8, one layer) in each layout the loader reads, small inputs for
every op, configs and argument lists. Run from anywhere: python3 fuzz/seeds/make_seeds.py
"""
import json
import os
import random
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
FUZZ = os.path.dirname(HERE)
rng = random.Random(12)

# ------------------------------------------------------------------------------ helpers


def safetensors(tensors, metadata=None):
    """tensors: list of (name, dtype, shape, raw bytes) -> safetensors bytes."""
    header, data = {}, b""
    for name, dtype, shape, raw in tensors:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    if metadata:
        header["__metadata__"] = metadata
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    return struct.pack("<Q", len(h)) + h + data


def bf16(values):
    return b"".join(struct.pack("<H", struct.unpack("<I", struct.pack("<f", v))[0] >> 16) for v in values)


def f32(values):
    return b"".join(struct.pack("<f", v) for v in values)


def normal(n, scale=0.5):
    return [rng.gauss(0.0, scale) for _ in range(n)]


def fp8_codes(n):
    # E4M3 codes of moderate magnitude, both signs
    return bytes(rng.choice([0, 0x80]) | rng.randrange(0x18, 0x48) for _ in range(n))


def write(target, kind, name, data):
    d = os.path.join(FUZZ, kind, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


# --------------------------------------------------------------------- micro checkpoint

V, H, I, L, HEADS, KV, HD = 16, 8, 16, 1, 2, 1, 4
CONFIG = {
    "model_type": "qwen3", "vocab_size": V, "hidden_size": H, "intermediate_size": I,
    "num_hidden_layers": L, "num_attention_heads": HEADS, "num_key_value_heads": KV,
    "head_dim": HD, "rms_norm_eps": 1e-6, "rope_theta": 1000000.0,
    "tie_word_embeddings": True, "max_position_embeddings": 16, "hidden_act": "silu",
    "dtype": "bfloat16",
}
LINEARS = {  # name -> [out, in]
    "self_attn.q_proj": [HEADS * HD, H], "self_attn.k_proj": [KV * HD, H],
    "self_attn.v_proj": [KV * HD, H], "self_attn.o_proj": [H, HEADS * HD],
    "mlp.gate_proj": [I, H], "mlp.up_proj": [I, H], "mlp.down_proj": [H, I],
}


def norms():
    out = [("model.embed_tokens.weight", "BF16", [V, H], bf16(normal(V * H))),
           ("model.norm.weight", "BF16", [H], bf16([1.0] * H))]
    for i in range(L):
        p = f"model.layers.{i}."
        for n, size in [("input_layernorm", H), ("post_attention_layernorm", H),
                        ("self_attn.q_norm", HD), ("self_attn.k_norm", HD)]:
            out.append((p + n + ".weight", "BF16", [size], bf16([1.0] * size)))
    return out


def dense_tensors():
    out = norms()
    for i in range(L):
        for n, (o, k) in LINEARS.items():
            out.append((f"model.layers.{i}.{n}.weight", "BF16", [o, k], bf16(normal(o * k))))
    return out


def fp8_tensors(block):
    out = norms()
    for i in range(L):
        for n, (o, k) in LINEARS.items():
            p = f"model.layers.{i}.{n}."
            grid = [-(-o // block[0]), -(-k // block[1])]
            out.append((p + "weight", "F8_E4M3", [o, k], fp8_codes(o * k)))
            out.append((p + "weight_scale_inv", "F32", grid, f32([0.01] * (grid[0] * grid[1]))))
    return out


def mx_tensors():
    out, desc = norms(), {"version": "1.0.0", "model_quant_type": "W8A8_MXFP8", "group_size": 32}
    for name, *_ in out:
        desc[name] = "FLOAT"
    for i in range(L):
        for n, (o, k) in LINEARS.items():
            p = f"model.layers.{i}.{n}."
            nb = -(-k // 32)
            out.append((p + "weight", "F8_E4M3", [o, k], fp8_codes(o * k)))
            out.append((p + "weight_scale", "U8", [o, nb], bytes([rng.randrange(118, 128) for _ in range(o * nb)])))
            desc[p + "weight"] = desc[p + "weight_scale"] = "W8A8_MXFP8"
    return out, desc


NAMES = [  # must match fuzz/src/lib.rs NAMES
    "config.json", "model.safetensors", "model.safetensors.index.json",
    "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors",
    "quant_model_description.json", "quant_model_weight_w8a8_mxfp8.safetensors",
    "quant_model_weight_w8a8_mxfp8.safetensors.index.json",
    "quant_model_weight_w8a8_mxfp8-00001-of-00002.safetensors",
    "quant_model_weight_w8a8_mxfp8-00002-of-00002.safetensors",
    "quant_model_description_w8a8_mxfp8.json", "tokenizer.json", "expected.safetensors",
    "generation_config.json",
]
FILE, FIFO, LINK_OUT, LINK_IN, DIR = 0, 4, 5, 6, 7


def model_dir(selector, records):
    """records: list of (kind, file name, bytes)."""
    out = bytes([selector])
    for kind, name, body in records:
        out += bytes([kind, NAMES.index(name)]) + struct.pack("<I", len(body)) + body
    return out


def cfg(**edits):
    c = dict(CONFIG)
    c.update(edits)
    return json.dumps(c).encode()


def sharded(tensors, prefix, index_name, names):
    half = len(tensors) // 2
    parts = [tensors[:half], tensors[half:]]
    weight_map = {t[0]: names[j] for j, part in enumerate(parts) for t in part}
    index = json.dumps({"metadata": {}, "weight_map": weight_map}).encode()
    return [(FILE, index_name, index)] + [(FILE, names[j], safetensors(parts[j])) for j in range(2)]


def checkpoints():
    dense = safetensors(dense_tensors())
    fp8 = safetensors(fp8_tensors([4, 4]))
    mx, desc = mx_tensors()
    mxb, descb = safetensors(mx), json.dumps(desc).encode()
    fp8_cfg = cfg(quantization_config={"quant_method": "fp8", "fmt": "e4m3", "activation_scheme": "dynamic", "weight_block_size": [4, 4]})
    seeds = {
        "bf16": model_dir(0, [(FILE, "config.json", cfg()), (FILE, "model.safetensors", dense)]),
        "bf16_w8a16": model_dir(1, [(FILE, "config.json", cfg()), (FILE, "model.safetensors", dense)]),
        "bf16_sharded": model_dir(0, [(FILE, "config.json", cfg())] + sharded(
            dense_tensors(), "model", "model.safetensors.index.json",
            ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"])),
        "fp8": model_dir(2, [(FILE, "config.json", fp8_cfg), (FILE, "model.safetensors", fp8)]),
        "mxfp8": model_dir(1, [(FILE, "config.json", cfg()), (FILE, "quant_model_description.json", descb),
                               (FILE, "quant_model_weight_w8a8_mxfp8.safetensors", mxb)]),
        "mxfp8_sharded": model_dir(2, [(FILE, "config.json", cfg()), (FILE, "quant_model_description.json", descb)] + sharded(
            mx, "quant", "quant_model_weight_w8a8_mxfp8.safetensors.index.json",
            ["quant_model_weight_w8a8_mxfp8-00001-of-00002.safetensors",
             "quant_model_weight_w8a8_mxfp8-00002-of-00002.safetensors"])),
        "linked_inside": model_dir(0, [(FILE, "config.json", cfg()), (FILE, "expected.safetensors", dense),
                                       (LINK_IN, "model.safetensors", bytes([NAMES.index("expected.safetensors")]))]),
    }
    for name, data in seeds.items():
        write("checkpoint", "seeds", name, data)
    # issue #12: each used to crash, hang or load the wrong thing
    regressions = {
        # num_hidden_layers 10^9 / 2^62: Vec::with_capacity before any tensor was checked
        "layers_1e9": model_dir(0, [(FILE, "config.json", cfg(num_hidden_layers=10**9)), (FILE, "model.safetensors", dense)]),
        "layers_2p62": model_dir(0, [(FILE, "config.json", cfg(num_hidden_layers=2**62)), (FILE, "model.safetensors", dense)]),
        "dims_overflow": model_dir(0, [(FILE, "config.json", cfg(num_attention_heads=2**62, num_key_value_heads=2**62, head_dim=4)), (FILE, "model.safetensors", dense)]),
        # a FIFO in place of a shard hung the loader forever
        "fifo_shard": model_dir(0, [(FILE, "config.json", cfg())] + [
            (FIFO if n.startswith("model-00002") else k, n, b) for k, n, b in sharded(
                dense_tensors(), "model", "model.safetensors.index.json",
                ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"])]),
        "fifo_config": model_dir(0, [(FIFO, "config.json", b""), (FILE, "model.safetensors", dense)]),
        "link_outside": model_dir(0, [(FILE, "config.json", cfg()), (LINK_OUT, "model.safetensors", b"")]),
        # convert into a converted directory left two layouts; the loader picked one silently
        "two_layouts": model_dir(0, [(FILE, "config.json", cfg()), (FILE, "model.safetensors", dense),
                                     (FILE, "quant_model_description.json", descb),
                                     (FILE, "quant_model_weight_w8a8_mxfp8.safetensors", mxb)]),
        "index_and_stray_single": model_dir(0, [(FILE, "config.json", cfg()), (FILE, "model.safetensors", dense)] + sharded(
            dense_tensors(), "model", "model.safetensors.index.json",
            ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"])),
    }
    for name, data in regressions.items():
        write("checkpoint", "regressions", name, data)
    # config target: the same configs as text
    for name, text in [("tiny", cfg()), ("fp8", fp8_cfg),
                       ("rope_parameters", cfg(rope_theta=None, rope_parameters={"rope_type": "default", "rope_theta": 1e6}))]:
        write("config", "seeds", name, text)
    for name, text in [("layers_1e9", cfg(num_hidden_layers=10**9)), ("layers_2p62", cfg(num_hidden_layers=2**62)),
                       ("vocab_overflow", cfg(vocab_size=2**40, hidden_size=2**40)),
                       ("max_positions_huge", cfg(max_position_embeddings=2**63))]:
        write("config", "regressions", name, text)
    # safetensors target: the weight files themselves
    write("safetensors", "seeds", "bf16_weights", dense)
    write("safetensors", "seeds", "mx_weights", mxb)


# ---------------------------------------------------------------------------------- ops

OPS = ["mx-quant", "mx-dequant", "mx-matmul", "fp8-block-dequant", "rms-norm", "rope-qk"]
BIT = {"dst": 0, "scale_alg": 1, "round": 2, "tiny_blocks": 3, "out_dtype": 4, "block": 5, "eps": 6,
       "weight_in_f32": 7, "theta": 8, "rotary_dim": 9, "f32_compute": 10}


def op_input(op, file, backend=0, **opts):
    """The op target's 33-byte header, then the safetensors file."""
    mask = 0
    for k in opts:
        mask |= 1 << BIT[k]
    block = opts.get("block", (128, 128))
    header = bytes([OPS.index(op), backend]) + struct.pack("<H", mask)
    header += bytes([opts.get("dst", 0), opts.get("scale_alg", 0), opts.get("round", 0), opts.get("tiny_blocks", 0), opts.get("out_dtype", 0)])
    header += struct.pack("<HH", *block) + struct.pack("<f", opts.get("eps", 1e-6))
    header += struct.pack("<d", opts.get("theta", 1e6)) + struct.pack("<Q", opts.get("rotary_dim", 0))
    assert len(header) == 33
    return header + file


def mx_operand(name, rows, k, scale_name=None):
    nb = -(-k // 32)
    pairs = -(-nb // 2)
    scales = bytes(rng.randrange(120, 130) if j < nb else 0 for _ in range(rows) for j in range(2 * pairs))
    return [(name, "F8_E4M3", [rows, k], fp8_codes(rows * k)), (scale_name or name + "_scale", "U8", [rows, pairs, 2], scales)]


def rope_file(t, hq, hk, d, positions, dtype="BF16", pdtype="I64"):
    enc = bf16 if dtype == "BF16" else f32
    pos = b"".join(struct.pack("<q" if pdtype == "I64" else "<i", p) for p in positions)
    return safetensors([("q", dtype, [t, hq, d], enc(normal(t * hq * d))), ("k", dtype, [t, hk, d], enc(normal(t * hk * d))),
                        ("positions", pdtype, [len(positions)], pos)])


def ops():
    x = normal(4 * 64) + [float("nan"), float("inf"), -0.0, 1e-40]
    seeds = {
        "mx_quant_bf16": op_input("mx-quant", safetensors([("x", "BF16", [5, 52], bf16(x[:260]))]), dst=1, scale_alg=1),
        "mx_quant_f32": op_input("mx-quant", safetensors([("x", "F32", [2, 96], f32(normal(192)))]), 6, round=1, tiny_blocks=1),
        "mx_dequant": op_input("mx-dequant", safetensors(mx_operand("y", 3, 70, "scale")), 7, out_dtype=1),
        "mx_matmul": op_input("mx-matmul", safetensors(mx_operand("x", 3, 64) + mx_operand("w", 5, 64) + [("bias", "F32", [5], f32(normal(5)))]), out_dtype=0),
        "mx_matmul_sim": op_input("mx-matmul", safetensors(mx_operand("x", 2, 96) + mx_operand("w", 3, 96)), 7),
        "fp8_block_dequant": op_input("fp8-block-dequant", safetensors([("weight", "F8_E4M3", [6, 10], fp8_codes(60)), ("weight_scale_inv", "F32", [2, 3], f32([0.5] * 6))]), block=(4, 4)),
        "rms_norm": op_input("rms-norm", safetensors([("x", "BF16", [3, 16], bf16(normal(48))), ("weight", "BF16", [16], bf16(normal(16))), ("residual", "BF16", [3, 16], bf16(normal(48)))]), eps=1e-5),
        "rms_norm_sim": op_input("rms-norm", safetensors([("x", "F32", [2, 32], f32(normal(64))), ("weight", "F32", [32], f32(normal(32)))]), 6, weight_in_f32=1),
        "rope_qk": op_input("rope-qk", rope_file(3, 2, 1, 8, [0, 5, 9]), theta=1e4, rotary_dim=4),
        "rope_qk_sim": op_input("rope-qk", rope_file(2, 2, 2, 8, [1, 3], "F32", "I32"), 6, f32_compute=1),
    }
    for name, data in seeds.items():
        write("op", "seeds", name, data)
    M = 1 << 13
    regressions = {
        # mx-matmul with M = 0 or N = 0 panicked on the CPU (chunk_size must not be zero)
        "mx_matmul_m0": op_input("mx-matmul", safetensors(mx_operand("x", 0, 32) + mx_operand("w", 4, 32))),
        "mx_matmul_n0": op_input("mx-matmul", safetensors(mx_operand("x", 4, 32) + mx_operand("w", 0, 32))),
        "mx_matmul_m0_sim_a5": op_input("mx-matmul", safetensors(mx_operand("x", 0, 32) + mx_operand("w", 4, 32)), 7),
        "mx_matmul_k0_bias": op_input("mx-matmul", safetensors(mx_operand("x", 2, 0) + mx_operand("w", 3, 0) + [("bias", "F32", [3], f32([1.5, -0.0, 2.0]))])),
        # a small file asking for an output past the budget (the M = N = 2^17 at fuzz scale)
        "mx_matmul_huge_output": op_input("mx-matmul", safetensors(mx_operand("x", M, 32) + mx_operand("w", M, 32))),
        # rope-qk built its cache (largest position x rotary_dim) before validating anything
        "rope_rotary_dim_2p36": op_input("rope-qk", rope_file(1, 1, 1, 4, [3]), rotary_dim=68719476736),
        "rope_q_0_1_2p50": op_input("rope-qk", safetensors([("q", "BF16", [0, 1, 1 << 50], b""), ("k", "BF16", [0, 1, 2], b""), ("positions", "I64", [0], b"")])),
        "rope_q_0_2p63_2p63": op_input("rope-qk", safetensors([("q", "BF16", [0, 1 << 63, 1 << 63], b""), ("k", "BF16", [0, 1, 2], b""), ("positions", "I64", [0], b"")])),
        "rope_position_i64_max": op_input("rope-qk", rope_file(1, 1, 1, 4, [2**63 - 1])),
        "rope_position_2p24_hd2048": op_input("rope-qk", rope_file(1, 1, 1, 2048, [2**24 - 1])),
        "rope_tokens_0": op_input("rope-qk", rope_file(0, 2, 1, 8, []), 6),
        "rms_norm_rows_0_sim": op_input("rms-norm", safetensors([("x", "BF16", [0, 16], b""), ("weight", "BF16", [16], bf16([1.0] * 16))]), 6),
        "mx_quant_k0": op_input("mx-quant", safetensors([("x", "BF16", [3, 0], b"")]), 7),
    }
    for name, data in regressions.items():
        write("op", "regressions", name, data)
    for name, data in [("rope_i64_max", rope_file(1, 1, 1, 4, [2**63 - 1])),
                       ("matmul_m0", safetensors(mx_operand("x", 0, 32) + mx_operand("w", 4, 32)))]:
        write("safetensors", "regressions", name, data)


# ---------------------------------------------------------------------------------- cli


def cli():
    seeds = {
        "op": ["op", "mx-quant", "--input", "x.safetensors", "--output", "y.safetensors", "--dst", "e5m2", "--scale-alg", "rceil"],
        "op_sim": ["op", "rope-qk", "--input", "a", "--output", "b", "--backend", "sim", "--target", "a5", "--rotary-dim", "64", "--theta", "1e4"],
        "qwen3": ["qwen3", "--backend", "cpu", "--mode", "w8a8-mxfp8", "--prompt-ids", "1,2,3", "--max-new-tokens", "4"],
        "convert": ["convert", "--input", "a", "--output", "b", "--to", "mxfp8", "--round", "rint", "--replace"],
        "verify": ["verify", "--backend", "cpu,sim-a2,sim-a5", "--quiet"],
        "budget": ["--max-memory", "8G", "--max-allocation", "512M", "emit", "--target", "a2", "--out", "d"],
    }
    for name, args in seeds.items():
        write("cli", "seeds", name, b"\0".join(a.encode() for a in args))
    regressions = {
        "three_line_error": ["op", "mx-quant", "--input", "a", "--output", "b", "--dst", "e9"],
        "missing_args": ["op", "mx-quant"],
        "no_command": [],
        "max_new_u64_max": ["qwen3", "--max-new-tokens", "18446744073709551615", "--prompt-ids", "1"],
        "non_utf8": ["op", "mx-quant", "--input", "\udcff"],
    }
    for name, args in regressions.items():
        write("cli", "regressions", name, b"\0".join(a.encode("utf-8", "surrogateescape") for a in args))


checkpoints()
ops()
cli()
print("seeds and regressions written under", FUZZ)
