"""The torch_npu conventions (argument names, defaults, return tuples, layouts) and the GIL."""

import inspect
import threading

import ml_dtypes
import numpy as np
import pytest

import ascend_kernels as ak

BF = ml_dtypes.bfloat16

# op-plugin's op_plugin_functions.yaml (Ascend/op-plugin@517f2e7d): name -> (positional
# parameters, keyword defaults) of the torch_npu schema
TORCH_NPU = {
    "npu_dynamic_mx_quant": (["input"], dict(axis=-1, round_mode="rint", dst_type=296, block_size=32, scale_alg=0,
                                             dst_type_max=0.0, max_low_bound=0.0)),
    "npu_anti_mx_quant": (["x", "mxscale"], dict(axis=-1, dst_type=15, src_type=292)),
    "npu_quant_matmul": (["x1", "x2", "scale"], dict(offset=None, pertoken_scale=None, bias=None, output_dtype=None,
                                                     x1_dtype=None, x2_dtype=None, pertoken_scale_dtype=None,
                                                     scale_dtype=None, group_sizes=None, y_scale=None)),
    "npu_rms_norm": (["input", "gamma", "epsilon"], dict(epsilon=1e-6)),
    "npu_add_rms_norm": (["x1", "x2", "gamma", "epsilon"], dict(epsilon=1e-6)),
    "npu_rotary_mul": (["input", "r1", "r2", "rotary_mode", "rotate"], dict(rotary_mode="half", rotate=None)),
    "npu_apply_rotary_pos_emb": (["query", "key", "cos", "sin", "layout", "rotary_mode"], dict(layout="BSND", rotary_mode="half")),
}


@pytest.mark.parametrize("name", sorted(TORCH_NPU))
def test_signature_follows_torch_npu(name):
    positional, defaults = TORCH_NPU[name]
    sig = inspect.signature(getattr(ak, name))
    params = list(sig.parameters.values())
    got_positional = [p.name for p in params if p.kind == p.POSITIONAL_OR_KEYWORD]
    assert got_positional == positional
    for key, value in defaults.items():
        assert sig.parameters[key].default == value, key
    assert sig.parameters["backend"].default == "cpu"
    assert sig.parameters["backend"].kind == inspect.Parameter.KEYWORD_ONLY
    assert getattr(ak, name).__doc__


def test_return_tuples_and_layouts():
    x = np.random.default_rng(0).standard_normal((2, 3, 80)).astype(BF)
    y, s = ak.npu_dynamic_mx_quant(x, dst_type="float8_e5m2")
    assert y.shape == x.shape and y.dtype.name == "float8_e5m2"
    assert s.shape == (2, 3, 2, 2) and s.dtype.name == "float8_e8m0fnu"  # 3 blocks of 32 in 2 pairs
    assert s.view(np.uint8)[..., 1, 1].tolist() == [[0] * 3] * 2  # the pad byte of the odd count
    assert (s.view(np.uint8)[..., :, 0] != 0).all()
    g = np.ones(80, BF)
    out = ak.npu_rms_norm(x, g)
    assert len(out) == 2 and out[1].shape == (2, 3, 1) and out[1].dtype == np.float32
    out = ak.npu_add_rms_norm(x, x, g)
    assert len(out) == 3 and out[2].shape == x.shape
    # gamma over the two trailing axes: rstd keeps both as size 1 (torch_npu's shape rule)
    y2, r2 = ak.npu_rms_norm(x, np.ones((3, 80), BF))
    assert r2.shape == (2, 1, 1)


def test_quant_matmul_takes_sglang_and_vllm_ascend_layouts():
    """sglang stores the weight pre-transposed and contiguous ([K, N], scales [G, N, 2]);
    vllm-ascend passes transposed views of the [N, K] weight and [N, G, 2] scales. Same result."""
    rng = np.random.default_rng(1)
    x = rng.standard_normal((4, 96)).astype(BF)
    wt = rng.standard_normal((7, 96)).astype(BF)
    xq, xs = ak.npu_dynamic_mx_quant(x, dst_type="float8_e4m3fn")
    wq, ws = ak.npu_dynamic_mx_quant(wt, dst_type="float8_e4m3fn")
    args = dict(pertoken_scale=xs, output_dtype="bfloat16", group_sizes=[1, 1, 32],
                scale_dtype="float8_e8m0fnu", pertoken_scale_dtype="float8_e8m0fnu")
    views = ak.npu_quant_matmul(xq, wq.T, ws.transpose(1, 0, 2), **args)
    stored = ak.npu_quant_matmul(xq, np.ascontiguousarray(wq.T), np.ascontiguousarray(ws.transpose(1, 0, 2)), **args)
    assert views.shape == (4, 7) and views.dtype.name == "bfloat16"
    assert views.view(np.uint16).tolist() == stored.view(np.uint16).tolist()
    # uint8 bytes with the *_dtype arguments, as torch_npu takes them
    raw = ak.npu_quant_matmul(xq.view(np.uint8), wq.T.view(np.uint8), ws.transpose(1, 0, 2).view(np.uint8),
                              x1_dtype=292, x2_dtype=292, **{**args, "pertoken_scale": xs.view(np.uint8)})
    assert raw.view(np.uint16).tolist() == views.view(np.uint16).tolist()
    # leading batch axes of x1 are flattened and restored
    b = ak.npu_quant_matmul(np.stack([xq, xq]), wq.T, ws.transpose(1, 0, 2), **{**args, "pertoken_scale": np.stack([xs, xs])})
    assert b.shape == (2, 4, 7) and b[1].view(np.uint16).tolist() == views.view(np.uint16).tolist()


def test_the_gil_is_released_while_computing():
    """Another Python thread runs while an op computes (the op copies its inputs first)."""
    backend = "sim-a2" if ak.sim_available() else "cpu"
    x = np.random.default_rng(2).standard_normal((256, 4096)).astype(BF)
    g = np.ones(4096, BF)
    done = threading.Event()
    result = {}

    def work():
        result["out"] = ak.npu_rms_norm(x, g, backend=backend)
        done.set()

    t = threading.Thread(target=work)
    t.start()
    ticks = 0
    while not done.is_set():
        ticks += 1
    t.join()
    assert result["out"][0].shape == x.shape
    # with the GIL held for the whole call this loop could only run between switch intervals
    assert ticks > 10_000, ticks
