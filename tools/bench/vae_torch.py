#!/usr/bin/env python3
"""The PyTorch CPU peer of `omniedit bench-vae`: the Wan2.1 VAE at its real size (diffusers
AutoencoderKLWan, dim 96, random weights, f32) decoding one tile latent [1, 16, F, T, T] frame by frame
with its feature cache, the same work as bench-vae's decode. Driven by the Swift command over
stdin/stdout so that the two sides run alternately in one session.

Protocol: tools/bench/peer.py (one timed decode per `run` line).

Usage (a venv with tools/fixtures/ltx2/requirements.txt: torch==2.13.0+cpu, diffusers==0.42.1):
  .build/release/omniedit bench-vae --python venv/bin/python      (runs this script)
  venv/bin/python tools/bench/vae_torch.py --tile 32 --latent-frames 2 --threads 2 < <(echo run)
"""
import argparse
import time

import torch
from diffusers import AutoencoderKLWan
from peer import serve, status_gib


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--tile", type=int, default=32, help="latent tile side (8 pixels per cell)")
    p.add_argument("--latent-frames", type=int, default=2)
    p.add_argument("--threads", type=int, required=True)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    g = torch.Generator().manual_seed(96)
    t0 = time.perf_counter()
    model = AutoencoderKLWan().eval()
    with torch.no_grad():
        for name, w in model.named_parameters():
            if name.endswith("gamma"):
                w.copy_(1 + 0.2 * torch.randn(w.shape, generator=g))
            elif name.endswith("bias"):
                w.copy_(0.05 * torch.randn(w.shape, generator=g))
            else:
                w.copy_(torch.randn(w.shape, generator=g) / w[0].numel() ** 0.5)
    z = torch.randn(1, 16, a.latent_frames, a.tile, a.tile, generator=g)
    import diffusers

    serve({
        "torch": torch.__version__, "diffusers": diffusers.__version__, "threads": torch.get_num_threads(),
        "parameters": sum(w.numel() for w in model.parameters()),
        "build_seconds": round(time.perf_counter() - t0, 2), "rss_gib": round(status_gib("VmRSS"), 3)},
          lambda: model.decode(z).sample, lambda out: {"frames": out.shape[2], "mean_abs": out.abs().mean().item()})

if __name__ == "__main__":
    main()
