#!/usr/bin/env python3
"""The PyTorch CPU peer of `omniedit bench-attention`: torch.nn.functional.scaled_dot_product_attention
(f32, no mask, scale 1/sqrt(D)) on --tokens queries and keys of --heads heads x --dim, driven by the
Swift command over stdin/stdout so that the two sides run alternately in one session.

The operands are laid out as the models make them (diffusers: [B, L, H, D] from the projections, passed
to SDPA as the transposed view [B, H, L, D]); the same memory layout our attention reads.

Protocol: prints `ready {json}` once the operands exist; then, for each `run` line read on stdin, does one
timed SDPA call and prints `result {"seconds": s, "cpu_seconds": c, "peak_gib": g}` (c: the process's CPU
time, all threads; g: peak resident memory during the pass, VmHWM after resetting it); `quit` or end of
input exits.

Usage (the developer venv, torch==2.13.0+cpu; tools/bench/requirements-attention.txt):
  .build/release/omniedit bench-attention --python /work/venv/bin/python     (runs this script)
  /work/venv/bin/python tools/bench/attention_torch.py --tokens 1950 --threads 2 < <(echo run)
"""
import argparse
import json
import sys
import time

import torch


def status_gib(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024 / 2**30
    return 0.0


def reset_peak():
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--tokens", type=int, required=True, help="queries = keys")
    p.add_argument("--heads", type=int, default=12)
    p.add_argument("--dim", type=int, default=128)
    p.add_argument("--threads", type=int, required=True, help="torch.set_num_threads")
    a = p.parse_args()
    if a.tokens < 1 or a.heads < 1 or a.dim < 1:
        sys.exit("attention_torch.py: --tokens, --heads and --dim must be >= 1")
    torch.set_num_threads(a.threads)
    g = torch.Generator().manual_seed(2026)
    shape = (1, a.tokens, a.heads, a.dim)
    q, k, v = (torch.randn(shape, generator=g).transpose(1, 2) for _ in range(3))
    scale = a.dim ** -0.5
    print("ready " + json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads()}), flush=True)
    for line in sys.stdin:
        command = line.strip()
        if command == "quit":
            break
        if command != "run":
            print(f"error unknown command {command!r}", flush=True)
            continue
        reset_peak()
        with torch.inference_mode():
            t0, c0 = time.perf_counter(), time.process_time()
            o = torch.nn.functional.scaled_dot_product_attention(q, k, v, scale=scale)
            seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
        print("result " + json.dumps({
            "seconds": seconds, "cpu_seconds": cpu, "peak_gib": status_gib("VmHWM"),
            "mean_abs": o.abs().mean().item()}), flush=True)


if __name__ == "__main__":
    main()
