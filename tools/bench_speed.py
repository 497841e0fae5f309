#!/usr/bin/env python3
"""LearnKit speed report: our GPU and CPU backends next to PyTorch on the same machine, in one run.

  python tools/bench_speed.py            # full report (on a real GPU: GODOT=<its wrapper> python tools/...)
  python tools/bench_speed.py --quick    # smaller sizes, for a smoke run on lavapipe

A benchmark, not a test: it prints figures and targets (met / not met) and exits 0 whatever they are.
PyTorch (`pip install torch==2.13.0`) is optional: without it, only LearnKit's figures are printed.
Lavapipe (CPU Vulkan) figures say nothing about GPU speed; run on a real GPU for those.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NETS = [("4-32-16-3", [4, 32, 16, 3], 16), ("784-256-128-10", [784, 256, 128, 10], 128)]


def learnkit(gemm: list[int], quick: bool) -> dict:
    cmd = [str(ROOT / "tools" / "godot"), "-s", "res://bench/speed.gd", "--", "--gemm", ",".join(map(str, gemm))]
    if quick:
        cmd.append("--quick")
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=1800, check=False)
    for line in out.stdout.splitlines():
        if line.startswith("LEARNKIT_BENCH "):
            return json.loads(line[len("LEARNKIT_BENCH "):])
    sys.exit(f"bench_speed: Godot printed no result (rc {out.returncode}):\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}")


def _torch_steps(model, opt, loss_fn, x, y, batch: int, n: int) -> None:
    """n training steps over batches of the 64-batch data set, the way a PyTorch user writes them."""
    for s in range(n):
        i = (s % 64) * batch
        opt.zero_grad(set_to_none=True)
        loss_fn(model(x[i:i + batch]), y[i:i + batch]).backward()
        opt.step()


def torch_figures(gemm: list[int], quick: bool) -> dict:
    try:
        import torch
    except ImportError:
        return {}
    res: dict = {"version": torch.__version__, "gemm": {}, "train": {}}
    torch.backends.cuda.matmul.allow_tf32 = False  # FP32 against FP32
    torch.backends.cudnn.allow_tf32 = False
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    if "cuda" in devices:
        res["cuda_name"] = torch.cuda.get_device_name(0)
        for n in gemm:
            a = torch.randn(n, n, device="cuda")
            b = torch.randn(n, n, device="cuda")
            for _ in range(3):
                a @ b.T
            torch.cuda.synchronize()
            reps = max(5, min(200, int(2e12 / (2 * n**3))))
            t = time.perf_counter()
            for _ in range(reps):
                a @ b.T
            torch.cuda.synchronize()
            res["gemm"][n] = 2 * n**3 * reps / (time.perf_counter() - t) / 1e9
    for name, sizes, batch in NETS:
        for dev in devices:
            layers: list = []
            for i in range(len(sizes) - 1):
                layers.append(torch.nn.Linear(sizes[i], sizes[i + 1]))
                if i < len(sizes) - 2:
                    layers.append(torch.nn.ReLU())
            model = torch.nn.Sequential(*layers).to(dev)
            opt = torch.optim.Adam(model.parameters(), lr=1e-3)
            loss_fn = torch.nn.CrossEntropyLoss()
            x = torch.randn(batch * 64, sizes[0], device=dev)
            y = torch.randint(0, sizes[-1], (batch * 64,), device=dev)
            steps = 128 if quick else 512
            _torch_steps(model, opt, loss_fn, x, y, batch, 16)
            if dev == "cuda":
                torch.cuda.synchronize()
            t = time.perf_counter()
            _torch_steps(model, opt, loss_fn, x, y, batch, steps)
            if dev == "cuda":
                torch.cuda.synchronize()
            res["train"][(name, dev)] = (time.perf_counter() - t) * 1000 / steps
    return res


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small sizes (smoke run)")
    args = ap.parse_args()
    gemm = [256, 512] if args.quick else [1024, 2048, 4096]
    lk = learnkit(gemm, args.quick)
    th = torch_figures(gemm, args.quick)
    info = lk["device_info"]
    print(f"LearnKit GPU device: {info.get('gpu_name') or 'none'} ({info.get('gpu_vendor', '')}); "
          f"CPU: {info.get('cpu_name')}; GODOT={os.environ.get('GODOT', '(tools/godot default)')}")
    if th:
        print(f"PyTorch {th['version']}, CUDA device: {th.get('cuda_name', 'none')} (TF32 off)")
    print("\nDense forward GEMM (n x n x n, bias fused), GFLOP/s:")
    print(f"  {'n':>5}  {'LearnKit GPU':>12}  {'PyTorch CUDA':>12}  {'ratio':>6}  {'LearnKit CPU':>12}")
    ratios = {}
    for n in gemm:
        g = next((r["gflops"] for r in lk["gemm"] if r["n"] == n and r["backend"] == "gpu"), None)
        c = next((r["gflops"] for r in lk["gemm"] if r["n"] == n and r["backend"] == "cpu"), None)
        t = th.get("gemm", {}).get(n)
        ratio = g / t if g and t else None
        ratios[n] = ratio
        fmt = lambda v: f"{v:12.1f}" if v else f"{'-':>12}"
        print(f"  {n:>5}  {fmt(g)}  {fmt(t)}  {f'{ratio:6.2f}' if ratio else '     -'}  {fmt(c)}")
    print("\nTraining step (Adam, cross-entropy), ms per step; LearnKit: fit() over 64 batches per epoch:")
    print(f"  {'network':<16} {'batch':>5}  {'LK GPU':>8}  {'LK CPU':>8}  {'torch CUDA':>10}  {'torch CPU':>9}"
          f"  {'record/step':>11}  {'steps/submit':>12}  {'readbacks/step':>14}")
    gpu_rows = []
    for name, _, batch in NETS:
        row = {r["backend"]: r for r in lk["train"] if r["net"] == name}
        g, c = row.get("gpu"), row.get("cpu")
        tc, tp = th.get("train", {}).get((name, "cuda")), th.get("train", {}).get((name, "cpu"))
        f = lambda v, w: f"{v:{w}.3f}" if v is not None else f"{'-':>{w}}"
        print(f"  {name:<16} {batch:>5}  {f(g and g['ms_per_step'], 8)}  {f(c and c['ms_per_step'], 8)}  "
              f"{f(tc, 10)}  {f(tp, 9)}  {f(g and g['record_ms_per_step'], 11)}  "
              f"{f(g and g['steps_per_submit'], 12)}  {f(g and g['readbacks_per_step'], 14)}")
        if g:
            gpu_rows.append(g)
    print("\nTargets (issue: prove the GPU path):")
    big = [r for n, r in ratios.items() if n >= 2048 and r is not None]
    if big:
        worst = min(big)
        print(f"  GEMM >= 0.75x PyTorch FP32 at n >= 2048: {'met' if worst >= 0.75 else 'NOT met'} "
              f"(lowest ratio {worst:.2f})")
    else:
        print("  GEMM >= 0.75x PyTorch FP32 at n >= 2048: not measured (needs a GPU and PyTorch CUDA)")
    if gpu_rows:
        rb = max(r["readbacks_per_step"] for r in gpu_rows)
        sps = min(r["steps_per_submit"] for r in gpu_rows)
        print(f"  0 blocking readbacks per step: {'met' if rb == 0 else 'NOT met'} "
              f"({rb:.4f} per step: one loss readback per submit)")
        print(f"  >= 32 steps per submit when training epochs: {'met' if sps >= 32 else 'NOT met'} ({sps:.0f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
