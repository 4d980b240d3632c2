"""The native module: element bits in, element bits out (see ascend_kernels/__init__.py)."""

from typing import Optional, Tuple

import numpy as np
import numpy.typing as npt

class NativeError(Exception):
    """A library error; args are (kind, message), kind in invalid, unsupported, backend, io."""

Bits = npt.NDArray[np.uint8] | npt.NDArray[np.uint16] | npt.NDArray[np.uint32]

def mx_quant(
    x: Bits, dtype: str, dst: str, scale_alg: str, round: str, tiny_blocks: str, non_finite: str, backend: str
) -> Tuple[npt.NDArray[np.uint8], npt.NDArray[np.uint8]]: ...
def mx_dequant(y: npt.NDArray[np.uint8], format: str, scale: npt.NDArray[np.uint8], out_dtype: str, backend: str) -> Bits: ...
def mx_matmul(
    x: npt.NDArray[np.uint8],
    x_format: str,
    x_scale: npt.NDArray[np.uint8],
    w: npt.NDArray[np.uint8],
    w_format: str,
    w_scale: npt.NDArray[np.uint8],
    bias: Optional[npt.NDArray[np.uint32]],
    out_dtype: str,
    backend: str,
) -> Bits: ...
def rms_norm(x: Bits, gamma: Bits, dtype: str, eps: float, mode: str, backend: str) -> Tuple[Bits, npt.NDArray[np.uint32]]: ...
def add_rms_norm(
    x1: Bits, x2: Bits, gamma: Bits, dtype: str, eps: float, mode: str, backend: str
) -> Tuple[Bits, npt.NDArray[np.uint32], Bits]: ...
def rotary_mul(x: Bits, r1: Bits, r2: Bits, dtype: str, mode: str, backend: str) -> Bits: ...
def fp8_block_dequant(
    weight: npt.NDArray[np.uint8], scale: Bits, scale_dtype: str, block_rows: int, block_cols: int, out_dtype: str, backend: str
) -> Bits: ...
def sim_available() -> bool: ...
def check_backend(name: str) -> str: ...
