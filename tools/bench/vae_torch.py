#!/usr/bin/env python3
"""The PyTorch CPU peer of `omniedit bench-vae`: the Wan2.1 VAE at its real size (diffusers
AutoencoderKLWan, dim 96, random weights, f32) decoding one tile latent [1, 16, F, T, T] frame by frame
with its feature cache (the same work as bench-vae's decode); prints seconds per output frame and
peak memory (max RSS).

Usage (developer venv with torch==2.13.0+cpu and diffusers):
  /tmp/venv-models/bin/python tools/bench/vae_torch.py [--tile 32] [--latent-frames 3] [--threads N]
"""
import argparse
import resource
import time

import torch
from diffusers import AutoencoderKLWan


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--tile", type=int, default=32, help="latent tile side (8 pixels per cell)")
    p.add_argument("--latent-frames", type=int, default=3)
    p.add_argument("--threads", type=int, default=None)
    a = p.parse_args()
    if a.threads:
        torch.set_num_threads(a.threads)
    g = torch.Generator().manual_seed(96)
    model = AutoencoderKLWan().eval()
    with torch.no_grad():
        for name, w in model.named_parameters():
            if name.endswith("gamma"):
                w.copy_(1 + 0.2 * torch.randn(w.shape, generator=g))
            elif name.endswith("bias"):
                w.copy_(0.05 * torch.randn(w.shape, generator=g))
            else:
                w.copy_(torch.randn(w.shape, generator=g) / w[0].numel() ** 0.5)
    params = sum(w.numel() for w in model.parameters())
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; Wan2.1 VAE {params / 1e6:.2f} M parameters")
    z = torch.randn(1, 16, a.latent_frames, a.tile, a.tile, generator=g)
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    with torch.no_grad():
        t0 = time.perf_counter()
        out = model.decode(z).sample
        dt = time.perf_counter() - t0
    frames = out.shape[2]
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    print(f"decode: {dt:.1f} s for {frames} frames of {8 * a.tile}x{8 * a.tile} ({dt / frames:.2f} s per frame); "
          f"peak RSS {rss:.2f} GiB (before decoding {rss0:.2f} GiB)")


if __name__ == "__main__":
    main()
