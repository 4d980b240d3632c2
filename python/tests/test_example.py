"""The example runs and reports its error figures; on the cpu the MX matmul equals the exact
product of its dequantized operands rounded once (its documented contract)."""

import re
import subprocess
import sys
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "mxfp8_linear.py"


def test_mxfp8_linear_example_runs():
    r = subprocess.run(
        [sys.executable, str(EXAMPLE), "--tokens", "3", "--in-features", "96", "--out-features", "40"],
        capture_output=True, text=True, check=True,
    )
    out = r.stdout
    assert "error against the bf16 linear" in out
    rel = float(re.search(r"MXFP8 W8A8 \(npu_quant_matmul\)\s+max\|err\| \S+\s+rel-Frobenius ([0-9.]+)%", out).group(1))
    assert 0.1 < rel < 20.0, out  # quantization error is real but bounded
    assert re.search(r"MX matmul vs its dequantized operands\s+max\|err\| 0 ", out), out
