#!/usr/bin/env python3
"""Our CPU path against PyTorch on this machine, in one run: prints the ratios issue #6 asks for.

    python3 benches/peers/compare.py [--threads 2] [--skip-cargo] [--skip-torch]

Steps (each prints what it runs):
  1. `cargo bench --bench cpu_ops -- peers` and `cargo bench --bench qwen3_decode` (criterion
     medians, read back from target/criterion/**/new/{benchmark,estimates}.json);
  2. `benches/peers/torch_peers.py` (torch / torchao / transformers; skipped parts say why);
  3. a table: our time, the peer's, the ratio, and each kernel's bytes/s as a fraction of the
     copy measured in the same cargo run.

Both sides use the same thread count (RAYON_NUM_THREADS / torch.set_num_threads).
"""
import argparse
import glob
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def sh(cmd, env):
    print("+", " ".join(cmd), file=sys.stderr, flush=True)
    return subprocess.run(cmd, cwd=ROOT, env=env, check=True, stdout=subprocess.PIPE, text=True).stdout


def criterion_medians():
    """full_id -> (median seconds, elements, bytes) for every criterion result on disk."""
    out = {}
    for bench in glob.glob(os.path.join(ROOT, "target/criterion/**/new/benchmark.json"), recursive=True):
        with open(bench) as f:
            b = json.load(f)
        with open(os.path.join(os.path.dirname(bench), "estimates.json")) as f:
            e = json.load(f)
        t = b.get("throughput") or {}
        both = t.get("ElementsAndBytes") or {}
        elements = both.get("elements", t.get("Elements"))
        nbytes = both.get("bytes", t.get("Bytes"))
        out[b["full_id"]] = (e["median"]["point_estimate"] * 1e-9, elements, nbytes)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--skip-cargo", action="store_true", help="reuse the criterion results on disk")
    ap.add_argument("--skip-torch", action="store_true")
    ap.add_argument("--python", default=sys.executable, help="interpreter with torch installed")
    a = ap.parse_args()
    env = dict(os.environ, RAYON_NUM_THREADS=str(a.threads))
    if not a.skip_cargo:
        sh(["cargo", "bench", "--bench", "cpu_ops", "--", "peers"], env)
        sh(["cargo", "bench", "--bench", "qwen3_decode"], env)
    ours = criterion_medians()
    peers = {}
    if not a.skip_torch:
        text = sh([a.python, "benches/peers/torch_peers.py", "--threads", str(a.threads)], env)
        for line in text.splitlines():
            if line.startswith("{"):
                r = json.loads(line)
                peers[r["name"]] = r["seconds"]

    copy = ours.get("peers/copy/4096x4096")
    copy_bps = copy[2] / copy[0] if copy else None
    print(f"\n{a.threads} threads. Times are medians; ratio = peer time / our time.\n")
    print(f"| case | ours | peer | ratio | target | ours GB/s | of copy |")
    print(f"|---|---:|---:|---:|---:|---:|---:|")
    if copy:
        print(f"| copy 4096x4096 bf16 (our baseline) | {copy[0]*1e3:.2f} ms | "
              f"{peers.get('copy/4096x4096', float('nan'))*1e3:.2f} ms (torch clone) | | | {copy_bps/1e9:.2f} | 100% |")
    rows = [
        ("mx_quant 4096x4096", "peers/cpu/mx_quant/4096x4096", "mx_quant/4096x4096", 10.0),
        ("fp8_block_dequant 4096x4096", "peers/cpu/fp8_block_dequant/4096x4096", "fp8_block_dequant/4096x4096", 10.0),
        ("rms_norm 4096x4096", "peers/cpu/rms_norm/4096x4096", "rms_norm/4096x4096", 5.0),
    ]
    rows += [
        (label.replace(" 4096", " (into) 4096"), ours_id.replace("/cpu/", "/cpu-into/"), peer_id, target)
        for label, ours_id, peer_id, target in list(rows)
    ]
    for label, ours_id, peer_id, target in rows:
        o, p = ours.get(ours_id), peers.get(peer_id)
        if not o:
            print(f"| {label} | missing | | | | | |")
            continue
        bps = o[2] / o[0]
        ratio = f"{p / o[0]:.1f}x" if p else "n/a"
        peer = f"{p*1e3:.2f} ms" if p else "n/a"
        frac = f"{100*bps/copy_bps:.0f}%" if copy_bps else "n/a"
        print(f"| {label} | {o[0]*1e3:.2f} ms | {peer} | {ratio} | >= {target:.0f}x | {bps/1e9:.2f} | {frac} |")
    p = peers.get("qwen3_0.6b/decode")
    for name in ["bf16", "w8a16-mxfp8", "w8a8-mxfp8", "w8a16-mxfp8-head"]:
        o = ours.get(f"qwen3_0.6b/decode/{name}")
        if o:
            ratio = f"{p / o[0]:.2f}x" if p else "n/a"
            peer = f"{p*1e3:.1f} ms ({1/p:.1f} tok/s)" if p else "n/a"
            print(f"| Qwen3-0.6B decode, ours {name} vs transformers bf16 | {o[0]*1e3:.1f} ms ({1/o[0]:.1f} tok/s) | {peer} | {ratio} | >= 1.5x (MXFP8) | | |")
    p = peers.get("qwen3_0.6b/prefill")
    for name in ["bf16", "w8a16-mxfp8"]:
        o = ours.get(f"qwen3_0.6b/prefill128/{name}")
        if o:
            ratio = f"{p / o[0]:.2f}x" if p else "n/a"
            peer = f"{p:.2f} s" if p else "n/a"
            print(f"| Qwen3-0.6B prefill 128 tokens, ours {name} vs transformers bf16 | {o[0]:.2f} s | {peer} | {ratio} | reported | | |")


if __name__ == "__main__":
    main()
