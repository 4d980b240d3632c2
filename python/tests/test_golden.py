"""Every Python function against the Rust CLI (`ascend-kernels op`) on the committed golden
fixtures: the same inputs and options must give the same bits (and, where the fixture's rule is
exact, the fixture's expected bits). CPU for every fixture; the sims for the Ascend-mode
fixtures on the target they hold on (`sim_targets`) and the MX quant/dequant fixtures."""

import numpy as np
import pytest

import ascend_kernels as ak
from conftest import fixtures, read_safetensors, run_cli, same_bits

SIMS = ["sim-a2", "sim-a5"] if ak.sim_available() else []


def sim_backends(md):
    targets = md.get("sim_targets")
    if targets is None:
        return SIMS
    return [s for s in SIMS if s.split("-")[1] in targets.split(",")]


def check(got, cli, expected, rule, names):
    for name, g in zip(names, got):
        assert same_bits(g, cli[name]), f"{name}: python and the CLI differ"
        if rule in ("exact", "exact_nan") and f"expected.{name}" in expected:
            assert same_bits(g, expected[f"expected.{name}"]), f"{name}: differs from the fixture"


def mx_quant_args(md):
    return dict(
        dst_type="float8_e4m3fn" if md["dst"] == "e4m3" else "float8_e5m2",
        scale_alg={"ocp": 0, "rceil": 1}[md["scale_alg"]],
        round_mode=md["round"],
        tiny_blocks=md["tiny_blocks"],
        non_finite=md["non_finite"],
    )


def cli_flags(md, keys):
    out = []
    for k in keys:
        if k in md:
            out += [f"--{k.replace('_', '-')}", md[k]]
    return out


@pytest.mark.parametrize("path", fixtures("mx-quant"), ids=lambda p: p.stem)
def test_npu_dynamic_mx_quant(path, tmp_path):
    t, md = read_safetensors(path)
    flags = cli_flags(md, ["dst", "scale_alg", "round", "tiny_blocks", "non_finite"])
    for backend in ["cpu"] + SIMS:
        cli = run_cli("mx-quant", path, tmp_path, *flags, backend=backend)
        y, s = ak.npu_dynamic_mx_quant(t["x"], backend=backend, **mx_quant_args(md))
        assert s.dtype.name == "float8_e8m0fnu" and s.shape == t["x"].shape[:-1] + (-(-t["x"].shape[-1] // 64), 2)
        check([y, s], cli, t, md["compare"], ["y", "scale"])


@pytest.mark.parametrize("path", fixtures("mx-dequant"), ids=lambda p: p.stem)
def test_npu_anti_mx_quant(path, tmp_path):
    t, md = read_safetensors(path)
    out = md.get("out_dtype", "f32")
    name = {"f32": "float32", "bf16": "bfloat16", "f16": "float16"}[out]
    for backend in ["cpu"] + SIMS:
        cli = run_cli("mx-dequant", path, tmp_path, "--out-dtype", out, backend=backend)
        x = ak.npu_anti_mx_quant(t["y"], t["scale"], dst_type=name, backend=backend)
        assert same_bits(x, cli["x"])


@pytest.mark.parametrize("path", fixtures("mx-matmul"), ids=lambda p: p.stem)
def test_npu_quant_matmul(path, tmp_path):
    t, md = read_safetensors(path)
    out = md.get("out_dtype", "bf16")
    name = {"f32": "float32", "bf16": "bfloat16", "f16": "float16"}[out]
    cli = run_cli("mx-matmul", path, tmp_path, "--out-dtype", out)
    # the torch_npu layouts: x2 = w.T ([K, N], a view) and scale = w_scale.transpose(1, 0, 2)
    y = ak.npu_quant_matmul(
        t["x"],
        t["w"].T,
        t["w_scale"].transpose(1, 0, 2),
        pertoken_scale=t["x_scale"],
        bias=t.get("bias"),
        output_dtype=name,
        scale_dtype="float8_e8m0fnu",
        pertoken_scale_dtype="float8_e8m0fnu",
        group_sizes=[1, 1, 32],
    )
    assert same_bits(y, cli["y"])


@pytest.mark.parametrize("path", fixtures("fp8-block-dequant"), ids=lambda p: p.stem)
def test_fp8_block_dequant(path, tmp_path):
    t, md = read_safetensors(path)
    out = md.get("out_dtype", "bf16")
    block = [int(v) for v in md.get("block", "128,128").split(",")]
    cli = run_cli("fp8-block-dequant", path, tmp_path, "--block", md.get("block", "128,128"), "--out-dtype", out)
    name = {"f32": "float32", "bf16": "bfloat16", "f16": "float16"}[out]
    y = ak.fp8_block_dequant(t["weight"], t["weight_scale_inv"], block_size=block, output_dtype=name)
    assert same_bits(y, cli["y"])


@pytest.mark.parametrize("path", fixtures("rms-norm"), ids=lambda p: p.stem)
def test_npu_rms_norm(path, tmp_path):
    t, md = read_safetensors(path)
    eps = float(md["eps"])
    mode = md.get("mode", "weight-in-f32" if md.get("weight_in_f32") == "true" else "hf")
    if "residual" in t:
        # HF's fused residual is npu_add_rms_norm in mode hf: (y, rstd, x = residual_out)
        cli = run_cli("rms-norm", path, tmp_path, "--eps", md["eps"], *(["--weight-in-f32"] if mode != "hf" else []))
        if mode != "hf":
            pytest.skip("weight-in-f32 with a residual has no npu_add_rms_norm mode")
        y, _, x = ak.npu_add_rms_norm(t["x"], t["residual"], t["weight"], eps, mode="hf")
        assert same_bits(y, cli["y"]) and same_bits(x, cli["residual_out"])
        return
    for backend in ["cpu"] + (sim_backends(md) if "mode" in md else []):
        cli = run_cli("rms-norm", path, tmp_path, "--eps", md["eps"], "--mode", mode, backend=backend)
        y, rstd = ak.npu_rms_norm(t["x"], t["weight"], eps, mode=mode, backend=backend)
        assert rstd.dtype == np.float32 and rstd.shape == t["x"].shape[:-1] + (1,)
        names = ["y", "rstd"] if "rstd" in cli else ["y"]
        check([y, rstd][: len(names)], cli, t, md["compare"], names)


@pytest.mark.parametrize("path", fixtures("add-rms-norm"), ids=lambda p: p.stem)
def test_npu_add_rms_norm(path, tmp_path):
    t, md = read_safetensors(path)
    for backend in ["cpu"] + sim_backends(md):
        cli = run_cli("add-rms-norm", path, tmp_path, "--eps", md["eps"], "--mode", md["mode"], backend=backend)
        got = ak.npu_add_rms_norm(t["x1"], t["x2"], t["gamma"], float(md["eps"]), mode=md["mode"], backend=backend)
        check(got, cli, t, md["compare"], ["y", "rstd", "x"])


@pytest.mark.parametrize("path", fixtures("rotary-mul"), ids=lambda p: p.stem)
def test_npu_rotary_mul(path, tmp_path):
    t, md = read_safetensors(path)
    for backend in ["cpu"] + sim_backends(md):
        cli = run_cli("rotary-mul", path, tmp_path, "--mode", md["mode"], backend=backend)
        y = ak.npu_rotary_mul(t["x"], t["r1"], t["r2"], mode=md["mode"], backend=backend)
        check([y], cli, t, md["compare"], ["y"])


def test_defaults_follow_the_backend_target():
    """npu_rms_norm / npu_add_rms_norm default to the arithmetic of the backend's SoC (a2 on
    the cpu): the same inputs through the explicit modes give the same bits."""
    path = fixtures("rms-norm", "ascend_ascend950_exact_bf16")[0]
    t, _ = read_safetensors(path)
    cpu_a2 = ak.npu_rms_norm(t["x"], t["weight"])
    assert all(same_bits(a, b) for a, b in zip(cpu_a2, ak.npu_rms_norm(t["x"], t["weight"], mode="ascend-a2")))
    cpu_a5 = ak.npu_rms_norm(t["x"], t["weight"], soc="a5")
    assert all(same_bits(a, b) for a, b in zip(cpu_a5, ak.npu_rms_norm(t["x"], t["weight"], mode="ascend-950")))
    if SIMS:
        sim_a5 = ak.npu_rms_norm(t["x"], t["weight"], backend="sim-a5")
        assert all(same_bits(a, b) for a, b in zip(sim_a5, cpu_a5))
