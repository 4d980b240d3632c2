"""torch interop: tensors in, tensors out, the same bits as the numpy path (skipped without torch)."""

import ml_dtypes
import numpy as np
import pytest

import ascend_kernels as ak

torch = pytest.importorskip("torch")


def test_mx_quant_and_matmul_with_torch_tensors():
    x = torch.randn(4, 96, dtype=torch.bfloat16)
    w = torch.randn(6, 96, dtype=torch.bfloat16)
    y, s = ak.npu_dynamic_mx_quant(x, dst_type=torch.float8_e4m3fn)
    assert isinstance(y, torch.Tensor) and y.dtype == torch.float8_e4m3fn and y.shape == x.shape
    assert s.dtype == torch.uint8 and tuple(s.shape) == (4, 2, 2)  # torch_npu returns uint8 scales
    yn, sn = ak.npu_dynamic_mx_quant(x.view(torch.int16).numpy().view(ml_dtypes.bfloat16), dst_type="float8_e4m3fn")
    assert np.array_equal(y.view(torch.uint8).numpy(), yn.view(np.uint8))
    assert np.array_equal(s.numpy(), sn.view(np.uint8))
    wq, ws = ak.npu_dynamic_mx_quant(w, dst_type=torch.float8_e4m3fn)
    out = ak.npu_quant_matmul(y, wq.transpose(0, 1), ws.transpose(0, 1), pertoken_scale=s,
                              scale_dtype=293, pertoken_scale_dtype=293, bias=torch.zeros(6),
                              output_dtype=torch.bfloat16, group_sizes=[1, 1, 32])
    assert out.dtype == torch.bfloat16 and tuple(out.shape) == (4, 6)


def test_norms_and_rope_with_torch_tensors():
    x = torch.randn(3, 64, dtype=torch.float16)
    g = torch.rand(64, dtype=torch.float16)
    y, rstd = ak.npu_rms_norm(x, g)
    assert y.dtype == torch.float16 and rstd.dtype == torch.float32 and tuple(rstd.shape) == (3, 1)
    y2, r2, s = ak.npu_add_rms_norm(x, x, g)
    assert s.dtype == torch.float16
    q = torch.randn(1, 5, 2, 64, dtype=torch.bfloat16)
    cos = torch.ones(1, 5, 1, 64, dtype=torch.bfloat16)
    sin = torch.zeros(1, 5, 1, 64, dtype=torch.bfloat16)
    out = ak.npu_rotary_mul(q, cos, sin)
    assert torch.equal(out.view(torch.int16), q.view(torch.int16))  # cos 1, sin 0: identity


def test_gradients_and_devices():
    x = torch.randn(2, 32, requires_grad=True)
    y, s = ak.npu_dynamic_mx_quant(x, dst_type="float8_e5m2")
    assert y.dtype == torch.float8_e5m2
    meta = torch.empty(2, 32, device="meta")
    with pytest.raises(ak.InvalidArgumentError, match="is on meta"):
        ak.npu_dynamic_mx_quant(meta, dst_type="float8_e5m2")
