"""Every validation error raises: the exception class of its kind and a message naming what is
wrong. Errors found by the library carry its message unchanged (checked against the CLI's)."""

import math
import subprocess

import ml_dtypes
import numpy as np
import pytest

import ascend_kernels as ak
from ascend_kernels import BackendError, InvalidArgumentError, UnsupportedError
from conftest import cli_path

BF = ml_dtypes.bfloat16
E4 = ml_dtypes.float8_e4m3fn
E8 = ml_dtypes.float8_e8m0fnu


def bf(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(BF)


def mx_operands(m=3, k=64, n=5):
    x, xs = ak.npu_dynamic_mx_quant(bf(m, k), dst_type="float8_e4m3fn")
    w, ws = ak.npu_dynamic_mx_quant(bf(n, k, seed=1), dst_type="float8_e4m3fn")
    return x, xs, w.T, ws.transpose(1, 0, 2)


X, XS, W_T, WS_T = mx_operands()
MM = dict(pertoken_scale=XS, output_dtype="bfloat16", group_sizes=[1, 1, 32])

CASES = [
    # npu_dynamic_mx_quant
    ("input int32", lambda: ak.npu_dynamic_mx_quant(np.zeros((2, 32), np.int32), dst_type="float8_e4m3fn"), InvalidArgumentError, "input: expected dtype"),
    ("input 0-d", lambda: ak.npu_dynamic_mx_quant(np.zeros((), BF), dst_type="float8_e4m3fn"), InvalidArgumentError, "1 to 7 dimensions"),
    ("empty last axis", lambda: ak.npu_dynamic_mx_quant(np.zeros((2, 0), BF), dst_type="float8_e4m3fn"), InvalidArgumentError, "input: the quantized (last) axis is empty"),
    ("axis out of range", lambda: ak.npu_dynamic_mx_quant(bf(2, 32), dst_type="float8_e4m3fn", axis=2), InvalidArgumentError, "axis: 2 is outside"),
    ("axis 0", lambda: ak.npu_dynamic_mx_quant(bf(2, 32), dst_type="float8_e4m3fn", axis=0), UnsupportedError, "only the last axis"),
    ("default dst_type fp4", lambda: ak.npu_dynamic_mx_quant(bf(2, 32)), UnsupportedError, "float4_e2m1fn_x2 is not implemented"),
    ("dst_type hifloat8", lambda: ak.npu_dynamic_mx_quant(bf(2, 32), dst_type=290), UnsupportedError, "hifloat8"),
    ("dst_type float16", lambda: ak.npu_dynamic_mx_quant(bf(2, 32), dst_type=np.float16), InvalidArgumentError, "expected float8_e4m3fn or float8_e5m2, got float16"),
    ("dst_type unknown code", lambda: ak.npu_dynamic_mx_quant(bf(2, 32), dst_type=12345), InvalidArgumentError, "unknown dtype enum value 12345"),
    ("block_size 48", lambda: ak.npu_dynamic_mx_quant(bf(2, 32), dst_type="e4m3", block_size=48), InvalidArgumentError, "multiple of 32"),
    ("block_size 64", lambda: ak.npu_dynamic_mx_quant(bf(2, 32), dst_type="e4m3", block_size=64), UnsupportedError, "only 32"),
    ("scale_alg 2", lambda: ak.npu_dynamic_mx_quant(bf(2, 32), dst_type="e4m3", scale_alg=2), UnsupportedError, "float4_e2m1 only"),
    ("scale_alg 7", lambda: ak.npu_dynamic_mx_quant(bf(2, 32), dst_type="e4m3", scale_alg=7), InvalidArgumentError, "expected 0 or 1"),
    ("round_mode floor", lambda: ak.npu_dynamic_mx_quant(bf(2, 32), dst_type="e4m3", round_mode="floor"), InvalidArgumentError, "round_mode"),
    ("dst_type_max", lambda: ak.npu_dynamic_mx_quant(bf(2, 32), dst_type="e4m3", dst_type_max=240.0), UnsupportedError, "dst_type_max"),
    ("max_low_bound", lambda: ak.npu_dynamic_mx_quant(bf(2, 32), dst_type="e4m3", max_low_bound=1.0), UnsupportedError, "max_low_bound"),
    ("tiny_blocks", lambda: ak.npu_dynamic_mx_quant(bf(2, 32), dst_type="e4m3", tiny_blocks="keep"), InvalidArgumentError, "option tiny_blocks: unknown tiny-block policy"),
    ("non_finite", lambda: ak.npu_dynamic_mx_quant(bf(2, 32), dst_type="e4m3", non_finite="inf"), InvalidArgumentError, "option non_finite"),
    ("backend gpu", lambda: ak.npu_dynamic_mx_quant(bf(2, 32), dst_type="e4m3", backend="gpu"), InvalidArgumentError, "unknown backend `gpu`"),
    ("backend sim-a9", lambda: ak.npu_dynamic_mx_quant(bf(2, 32), dst_type="e4m3", backend="sim-a9"), InvalidArgumentError, "a9"),
    ("not an array", lambda: ak.npu_dynamic_mx_quant([[1.0] * 32], dst_type="e4m3"), TypeError, "expected a numpy array or a torch tensor"),
    # npu_anti_mx_quant
    ("anti: x bf16", lambda: ak.npu_anti_mx_quant(bf(2, 32), XS[:2, :1]), InvalidArgumentError, "expected float8_e4m3fn or float8_e5m2 data"),
    ("anti: uint8 without format", lambda: ak.npu_anti_mx_quant(X.view(np.uint8), XS, src_type=None), InvalidArgumentError, "need x_dtype"),
    ("anti: scale shape", lambda: ak.npu_anti_mx_quant(X, XS[:, :, :1]), InvalidArgumentError, "mxscale: expected the pair layout"),
    ("anti: scale dtype", lambda: ak.npu_anti_mx_quant(X, XS.astype(np.float32)), InvalidArgumentError, "mxscale: expected float8_e8m0fnu"),
    ("anti: dst_type fp8", lambda: ak.npu_anti_mx_quant(X, XS, dst_type="float8_e4m3fn"), InvalidArgumentError, "dst_type: expected bfloat16, float16 or float32"),
    ("anti: axis", lambda: ak.npu_anti_mx_quant(X, XS, axis=0), UnsupportedError, "only the last axis"),
    # npu_quant_matmul
    ("mm: group_sizes None", lambda: ak.npu_quant_matmul(X, W_T, WS_T, pertoken_scale=XS, output_dtype="bfloat16"), UnsupportedError, "only the MX form [1, 1, 32]"),
    ("mm: group_sizes [1,128,128]", lambda: ak.npu_quant_matmul(X, W_T, WS_T, **{**MM, "group_sizes": [1, 128, 128]}), UnsupportedError, "[1, 128, 128]"),
    ("mm: group_sizes length", lambda: ak.npu_quant_matmul(X, W_T, WS_T, **{**MM, "group_sizes": [1, 32]}), InvalidArgumentError, "3 elements"),
    ("mm: no pertoken_scale", lambda: ak.npu_quant_matmul(X, W_T, WS_T, output_dtype="bfloat16", group_sizes=[1, 1, 32]), InvalidArgumentError, "pertoken_scale"),
    ("mm: no output_dtype", lambda: ak.npu_quant_matmul(X, W_T, WS_T, pertoken_scale=XS, group_sizes=[1, 1, 32]), InvalidArgumentError, "output_dtype"),
    ("mm: output int8", lambda: ak.npu_quant_matmul(X, W_T, WS_T, **{**MM, "output_dtype": np.int8}), InvalidArgumentError, "expected bfloat16, float16 or float32, got int8"),
    ("mm: offset", lambda: ak.npu_quant_matmul(X, W_T, WS_T, offset=np.zeros(5, np.float32), **MM), UnsupportedError, "offset"),
    ("mm: y_scale", lambda: ak.npu_quant_matmul(X, W_T, WS_T, y_scale=np.zeros(5, np.float32), **MM), UnsupportedError, "y_scale"),
    ("mm: K mismatch", lambda: ak.npu_quant_matmul(X, W_T[:32], WS_T, **MM), InvalidArgumentError, "x2: expected [K, N] with K = 64"),
    ("mm: scale shape", lambda: ak.npu_quant_matmul(X, W_T, WS_T[:, :4], **MM), InvalidArgumentError, "scale: expected [ceil(K/64), N, 2]"),
    ("mm: untransposed scale", lambda: ak.npu_quant_matmul(X, W_T, WS_T.transpose(1, 0, 2), **MM), InvalidArgumentError, "scale: expected"),
    ("mm: pertoken shape", lambda: ak.npu_quant_matmul(X, W_T, WS_T, **{**MM, "pertoken_scale": XS[:2]}), InvalidArgumentError, "pertoken_scale: expected"),
    ("mm: x2 3-D", lambda: ak.npu_quant_matmul(X, W_T[None], WS_T, **MM), UnsupportedError, "2-D [K, N]"),
    ("mm: x1 1-D", lambda: ak.npu_quant_matmul(X[0], W_T, WS_T, **MM), InvalidArgumentError, "x1: expected [..., M, K]"),
    ("mm: x1 bf16", lambda: ak.npu_quant_matmul(bf(3, 64), W_T, WS_T, **MM), InvalidArgumentError, "x1: expected float8"),
    ("mm: x1_dtype contradicts", lambda: ak.npu_quant_matmul(X, W_T, WS_T, x1_dtype="float8_e5m2", **MM), InvalidArgumentError, "contradicts"),
    ("mm: x1_dtype fp4", lambda: ak.npu_quant_matmul(X.view(np.uint8), W_T, WS_T, x1_dtype=296, **MM), UnsupportedError, "float4_e2m1fn_x2"),
    ("mm: scale_dtype f32", lambda: ak.npu_quant_matmul(X, W_T, WS_T, scale_dtype=np.float32, **MM), UnsupportedError, "scale_dtype"),
    ("mm: bias bf16", lambda: ak.npu_quant_matmul(X, W_T, WS_T, bias=bf(5), **MM), InvalidArgumentError, "bias: must be float32"),
    ("mm: bias shape", lambda: ak.npu_quant_matmul(X, W_T, WS_T, bias=np.zeros(4, np.float32), **MM), InvalidArgumentError, "bias: expected [N]"),
    # npu_rms_norm / npu_add_rms_norm
    ("rms: gamma shape", lambda: ak.npu_rms_norm(bf(2, 8), bf(7)), InvalidArgumentError, "gamma: expected the trailing shape"),
    ("rms: gamma dtype", lambda: ak.npu_rms_norm(bf(2, 8), np.ones(8, np.float32)), InvalidArgumentError, "mixed dtypes"),
    ("rms: input int", lambda: ak.npu_rms_norm(np.ones((2, 8), np.int32), np.ones(8, np.int32)), InvalidArgumentError, "input: expected dtype"),
    ("rms: eps NaN", lambda: ak.npu_rms_norm(bf(2, 8), bf(8), math.nan), InvalidArgumentError, "option eps: must be finite and >= 0, got NaN"),
    ("rms: eps < 0", lambda: ak.npu_rms_norm(bf(2, 8), bf(8), -1.0), InvalidArgumentError, "option eps"),
    ("rms: soc", lambda: ak.npu_rms_norm(bf(2, 8), bf(8), soc="910a"), InvalidArgumentError, "soc: `910a`"),
    ("rms: mode", lambda: ak.npu_rms_norm(bf(2, 8), bf(8), mode="ascend"), InvalidArgumentError, "unknown rms_norm mode `ascend`"),
    ("add: x2 shape", lambda: ak.npu_add_rms_norm(bf(2, 8), bf(3, 8), bf(8)), InvalidArgumentError, "x2: expected shape [2, 8]"),
    ("add: x2 dtype", lambda: ak.npu_add_rms_norm(bf(2, 8), np.ones((2, 8), np.float16), bf(8)), InvalidArgumentError, "x2: expected shape"),
    ("add: mode", lambda: ak.npu_add_rms_norm(bf(2, 8), bf(2, 8), bf(8), mode="weight-in-f32"), InvalidArgumentError, "unknown add_rms_norm mode"),
    # npu_rotary_mul / npu_apply_rotary_pos_emb
    ("rope: interleave", lambda: ak.npu_rotary_mul(bf(1, 2, 1, 8), bf(1, 2, 1, 8), bf(1, 2, 1, 8), "interleave"), UnsupportedError, "only 'half'"),
    ("rope: bad mode", lambda: ak.npu_rotary_mul(bf(1, 2, 1, 8), bf(1, 2, 1, 8), bf(1, 2, 1, 8), "spiral"), InvalidArgumentError, "rotary_mode"),
    ("rope: rotate", lambda: ak.npu_rotary_mul(bf(1, 2, 1, 8), bf(1, 2, 1, 8), bf(1, 2, 1, 8), rotate=bf(8, 8)), UnsupportedError, "rotate"),
    ("rope: r1 dtype", lambda: ak.npu_rotary_mul(bf(1, 2, 1, 8), np.ones((1, 2, 1, 8), np.float32), bf(1, 2, 1, 8)), InvalidArgumentError, "r1: expected dtype bfloat16"),
    ("rope: r1 broadcast", lambda: ak.npu_rotary_mul(bf(1, 2, 1, 8), bf(1, 3, 1, 8), bf(1, 2, 1, 8)), InvalidArgumentError, "r1: expected shape"),
    ("rope: r1 rank", lambda: ak.npu_rotary_mul(bf(1, 2, 1, 8), bf(2, 8), bf(1, 2, 1, 8)), InvalidArgumentError, "r1: expected shape"),
    ("rope: odd D", lambda: ak.npu_rotary_mul(bf(1, 2, 1, 7), bf(1, 2, 1, 7), bf(1, 2, 1, 7)), InvalidArgumentError, "even last axis"),
    ("rope: mode", lambda: ak.npu_rotary_mul(bf(1, 2, 1, 8), bf(1, 2, 1, 8), bf(1, 2, 1, 8), mode="neox"), InvalidArgumentError, "unknown rope mode `neox`"),
    ("apply: layout", lambda: ak.npu_apply_rotary_pos_emb(bf(1, 2, 1, 8), bf(1, 2, 1, 8), bf(1, 2, 1, 8), bf(1, 2, 1, 8), layout="BNSD"), UnsupportedError, "'BSND'"),
    ("apply: rank", lambda: ak.npu_apply_rotary_pos_emb(bf(2, 8), bf(2, 8), bf(2, 8), bf(2, 8)), InvalidArgumentError, "query: expected [B, S, N, D]"),
    # fp8_block_dequant
    ("fp8: weight dtype", lambda: ak.fp8_block_dequant(bf(4, 4), np.ones((1, 1), np.float32)), InvalidArgumentError, "weight: expected float8_e4m3fn"),
    ("fp8: block", lambda: ak.fp8_block_dequant(np.zeros((4, 4), E4), np.ones((1, 1), np.float32), block_size=(0, 4)), InvalidArgumentError, "block_size"),
    ("fp8: scale grid", lambda: ak.fp8_block_dequant(np.zeros((4, 4), E4), np.ones((2, 2), np.float32), block_size=(4, 4)), InvalidArgumentError, "weight_scale_inv"),
]


@pytest.mark.parametrize("name,call,exc,fragment", CASES, ids=[c[0] for c in CASES])
def test_error(name, call, exc, fragment):
    with pytest.raises(exc) as info:
        call()
    assert fragment in str(info.value), f"{name}: {info.value}"
    if exc in (InvalidArgumentError, UnsupportedError, BackendError):
        assert isinstance(info.value, ak.AscendKernelsError)


def test_error_classes_are_the_builtin_kinds():
    assert issubclass(InvalidArgumentError, ValueError)
    assert issubclass(UnsupportedError, NotImplementedError)
    assert issubclass(BackendError, RuntimeError)


@pytest.mark.skipif(not ak.sim_available(), reason="a build without the AscendC sim")
def test_sim_errors_are_backend_errors_or_named_options():
    # an Ascend mode on the other target's sim: the library's option error
    with pytest.raises(InvalidArgumentError, match="reproduces the a2 operator"):
        ak.npu_rms_norm(bf(2, 8), bf(8), mode="ascend-a2", backend="sim-a5")
    # r1 halves that differ: the sim's rope kernel shares one half
    r = np.ones((1, 1, 1, 8), BF)
    r[..., -1] = 0.5
    with pytest.raises(InvalidArgumentError, match="different halves"):
        ak.npu_rotary_mul(bf(1, 1, 1, 8), r, r, backend="sim-a2")


def test_library_messages_are_passed_through_unchanged(tmp_path):
    """The message of a library error is the CLI's for the same input and option."""
    import struct, json

    x = np.ones((2, 8), np.float32)
    w = np.ones(8, np.float32)
    header = {"x": {"dtype": "F32", "shape": [2, 8], "data_offsets": [0, 64]},
              "weight": {"dtype": "F32", "shape": [8], "data_offsets": [64, 96]}}
    h = json.dumps(header).encode()
    path = tmp_path / "in.safetensors"
    path.write_bytes(struct.pack("<Q", len(h)) + h + x.tobytes() + w.tobytes())
    r = subprocess.run([str(cli_path()), "op", "rms-norm", "--input", str(path), "--output", str(tmp_path / "o"),
                        "--eps=-1"], capture_output=True, text=True)
    assert r.returncode == 2
    with pytest.raises(InvalidArgumentError) as info:
        ak.npu_rms_norm(x, w, -1.0)
    assert str(info.value) in r.stderr, (str(info.value), r.stderr)
