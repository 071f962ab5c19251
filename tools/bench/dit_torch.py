#!/usr/bin/env python3
"""The PyTorch CPU peer of `omniedit bench-dit`: one Wan2.1-1.3B DiT forward (diffusers
WanTransformer3DModel, random weights, f32) on a 1x16x5x30x52 latent (1950 tokens) with a
512x4096 text context; prints seconds, effective GFLOP/s (the same counted FLOPs as
Sources/omniedit/BenchDiT.swift) and peak memory (max RSS).

Usage (developer venv with torch==2.13.0+cpu and diffusers):
  /tmp/venv-models/bin/python tools/bench/dit_torch.py [--threads N] [--layers 30] [--repeats 1] [--bf16]
"""
import argparse
import resource
import time

import torch
from diffusers import WanTransformer3DModel


def flops(dim, ffn, layers, tokens, text_len, in_dim=16, text_dim=4096, freq_dim=256, head_out=64):
    L, T, d, f = float(tokens), float(text_len), float(dim), float(ffn)
    per_layer = 8 * L * d * d + 4 * L * L * d + 4 * L * d * d + 4 * T * d * d + 4 * L * T * d + 4 * L * d * f
    patch = 2 * L * d * in_dim * 4
    text = 2 * T * text_dim * d + 2 * T * d * d
    time_ = 2 * freq_dim * d + 2 * d * d + 2 * d * 6 * d
    head = 2 * L * d * head_out
    return layers * per_layer + patch + text + time_ + head


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's choice)")
    p.add_argument("--layers", type=int, default=30)
    p.add_argument("--frames", type=int, default=5)
    p.add_argument("--height", type=int, default=30)
    p.add_argument("--width", type=int, default=52)
    p.add_argument("--repeats", type=int, default=1)
    p.add_argument("--bf16", action="store_true", help="run under torch.autocast(cpu, bfloat16): the bf16 peer")
    a = p.parse_args()
    if a.threads:
        torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    t0 = time.time()
    model = WanTransformer3DModel(
        patch_size=(1, 2, 2), num_attention_heads=12, attention_head_dim=128, in_channels=16, out_channels=16,
        text_dim=4096, freq_dim=256, ffn_dim=8960, num_layers=a.layers, cross_attn_norm=True,
        qk_norm="rms_norm_across_heads", eps=1e-6).eval()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; weights generated: {time.time() - t0:.1f} s")
    x = torch.randn(1, 16, a.frames, a.height, a.width)
    ctx = torch.randn(1, 512, 4096)
    t = torch.tensor([500])
    tokens = a.frames * (a.height // 2) * (a.width // 2)
    best = float("inf")
    amp = torch.autocast("cpu", dtype=torch.bfloat16, enabled=a.bf16)
    with torch.inference_mode(), amp:
        if a.repeats > 1:
            model(hidden_states=x, timestep=t, encoder_hidden_states=ctx, return_dict=False)
        for _ in range(a.repeats):
            s, c = time.time(), time.process_time()
            out = model(hidden_states=x, timestep=t, encoder_hidden_states=ctx, return_dict=False)[0]
            wall = time.time() - s
            if wall < best:
                best, cpu = wall, time.process_time() - c
    fl = flops(1536, 8960, a.layers, tokens, 512)
    print(f"config: Wan2.1-1.3B ({a.layers} layers, {'bf16 autocast' if a.bf16 else 'f32'}), latent 1x16x{a.frames}x{a.height}x{a.width}, {tokens} tokens")
    print(f"forward: {best:.2f} s, {fl / 1e9:.1f} GFLOP (counted), {fl / best / 1e9:.1f} GFLOP/s effective")
    print(f"process CPU time during the forward: {cpu:.2f} s ({cpu / best:.2f} cores busy)")
    print(f"peak memory (max RSS): {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20:.2f} GiB")
    print(f"output shape {tuple(out.shape)}, mean |v| {out.abs().mean().item():.4f}")


if __name__ == "__main__":
    main()
