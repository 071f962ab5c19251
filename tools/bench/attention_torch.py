#!/usr/bin/env python3
"""The PyTorch CPU peer of `omniedit bench-attention`: torch.nn.functional.scaled_dot_product_attention
(f32, no mask, scale 1/sqrt(D)) on --tokens queries and keys of --heads heads x --dim, driven by the
Swift command over stdin/stdout so that the two sides run alternately in one session.

The operands are laid out as the models make them (diffusers: [B, L, H, D] from the projections, passed
to SDPA as the transposed view [B, H, L, D]); the same memory layout our attention reads.

Protocol: tools/bench/peer.py (one timed SDPA call per `run` line).

Usage (the developer venv, torch==2.13.0+cpu; tools/bench/requirements-attention.txt):
  .build/release/omniedit bench-attention --python /work/venv/bin/python     (runs this script)
  /work/venv/bin/python tools/bench/attention_torch.py --tokens 1950 --threads 2 < <(echo run)
"""
import argparse
import sys

import torch
from peer import serve


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
    serve({"torch": torch.__version__, "threads": torch.get_num_threads()},
          lambda: torch.nn.functional.scaled_dot_product_attention(q, k, v, scale=scale),
          lambda o: {"mean_abs": o.abs().mean().item()})

if __name__ == "__main__":
    main()
