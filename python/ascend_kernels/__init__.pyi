"""Type stubs of ascend_kernels: torch_npu's op names, arguments, defaults and return tuples.

`Array` is a numpy array (ml_dtypes for bfloat16 and the float8 types) or a CPU torch tensor;
every function returns the kind it was given (the kind of its first tensor argument)."""

from typing import Any, Optional, Sequence, Tuple, TypeVar

import numpy as np

__version__: str

Array = TypeVar("Array")  # numpy.ndarray or torch.Tensor
DType = Any  # a torch / torch_npu / numpy / ml_dtypes dtype, a torch_npu enum value, or a name

class AscendKernelsError(Exception): ...
class InvalidArgumentError(AscendKernelsError, ValueError): ...
class UnsupportedError(AscendKernelsError, NotImplementedError): ...
class BackendError(AscendKernelsError, RuntimeError): ...

def backends() -> Tuple[str, ...]: ...
def sim_available() -> bool: ...
def npu_dynamic_mx_quant(
    input: Array,
    *,
    axis: int = -1,
    round_mode: str = "rint",
    dst_type: DType = 296,
    block_size: int = 32,
    scale_alg: Optional[int] = 0,
    dst_type_max: float = 0.0,
    max_low_bound: float = 0.0,
    backend: str = "cpu",
    tiny_blocks: str = "flush",
    non_finite: str = "zero",
) -> Tuple[Array, Array]: ...
def npu_anti_mx_quant(
    x: Array, mxscale: Array, *, axis: int = -1, dst_type: DType = 15, src_type: DType = 292, backend: str = "cpu"
) -> Array: ...
def mx_dequant(
    x: Array, mxscale: Array, *, axis: int = -1, dst_type: DType = 15, src_type: DType = 292, backend: str = "cpu"
) -> Array: ...
def npu_quant_matmul(
    x1: Array,
    x2: Array,
    scale: Array,
    *,
    offset: Optional[Array] = None,
    pertoken_scale: Optional[Array] = None,
    bias: Optional[Array] = None,
    output_dtype: Optional[DType] = None,
    x1_dtype: Optional[DType] = None,
    x2_dtype: Optional[DType] = None,
    pertoken_scale_dtype: Optional[DType] = None,
    scale_dtype: Optional[DType] = None,
    group_sizes: Optional[Sequence[int]] = None,
    y_scale: Optional[Array] = None,
    backend: str = "cpu",
) -> Array: ...
def npu_rms_norm(
    input: Array, gamma: Array, epsilon: float = 1e-6, *, backend: str = "cpu", soc: Optional[str] = None, mode: Optional[str] = None
) -> Tuple[Array, Array]: ...
def npu_add_rms_norm(
    x1: Array,
    x2: Array,
    gamma: Array,
    epsilon: float = 1e-6,
    *,
    backend: str = "cpu",
    soc: Optional[str] = None,
    mode: Optional[str] = None,
) -> Tuple[Array, Array, Array]: ...
def npu_rotary_mul(
    input: Array, r1: Array, r2: Array, rotary_mode: str = "half", rotate: Optional[Array] = None, *, backend: str = "cpu", mode: str = "rotary-mul"
) -> Array: ...
def npu_apply_rotary_pos_emb(
    query: Array,
    key: Array,
    cos: Array,
    sin: Array,
    layout: str = "BSND",
    rotary_mode: str = "half",
    *,
    backend: str = "cpu",
    mode: str = "apply-rotary-pos-emb",
) -> Tuple[Array, Array]: ...
def fp8_block_dequant(
    weight: Array, weight_scale_inv: Array, *, block_size: Sequence[int] = (128, 128), output_dtype: DType = "bfloat16", backend: str = "cpu"
) -> Array: ...
