#!/usr/bin/env python3
"""The PyTorch CPU peer of `omniedit bench-text`: transformers' UMT5EncoderModel (umT5-XXL geometry, 512
tokens) or Gemma3TextModel (Gemma-3-12B geometry, 256 tokens, all hidden states) with a few layers and a
small vocabulary, random weights; prints seconds per layer, the whole encoder's estimate, tokens/s and
peak memory (max RSS).

Usage (/work/venv: torch 2.13 cpu, transformers 5.25.0):
  /work/venv/bin/python tools/bench/text_torch.py --encoder umt5 [--layers 2] [--dtype bf16] [--threads N]
"""
import argparse
import resource
import time

import torch
from transformers import Gemma3TextConfig, Gemma3TextModel, UMT5Config, UMT5EncoderModel


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--encoder", default="umt5", choices=["umt5", "gemma3"])
    p.add_argument("--layers", type=int, default=2)
    p.add_argument("--tokens", type=int, default=None)
    p.add_argument("--dtype", default="bf16", choices=["f32", "bf16"], help="weight AND compute dtype in torch")
    p.add_argument("--threads", type=int, default=None)
    a = p.parse_args()
    if a.threads:
        torch.set_num_threads(a.threads)
    dtype = torch.bfloat16 if a.dtype == "bf16" else torch.float32
    t0 = time.time()
    if a.encoder == "umt5":
        real, tokens = 24, a.tokens or 512
        model = UMT5EncoderModel(UMT5Config(
            vocab_size=1024, d_model=4096, d_kv=64, num_heads=64, d_ff=10240, num_layers=a.layers,
            feed_forward_proj="gated-gelu", dropout_rate=0.0))
    else:
        real, tokens = 48, a.tokens or 256
        model = Gemma3TextModel(Gemma3TextConfig(
            vocab_size=1024, hidden_size=3840, intermediate_size=15360, num_hidden_layers=a.layers,
            num_attention_heads=16, num_key_value_heads=8, head_dim=256, sliding_window=1024,
            layer_types=["sliding_attention"] * (a.layers - 1) + ["full_attention"]))
    model = model.to(dtype).eval()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {a.dtype}; weights generated: "
          f"{time.time() - t0:.1f} s")
    ids = torch.randint(0, 1024, (1, tokens))
    with torch.no_grad():
        model(input_ids=ids[:, :8], output_hidden_states=True)
        t0 = time.time()
        model(input_ids=ids, output_hidden_states=True)
        s = time.time() - t0
    per = s / a.layers
    print(f"forward: {s:.2f} s ({per:.2f} s per layer); {real}-layer encoder ~ {per * real:.1f} s, "
          f"{tokens / (per * real):.1f} tokens/s")
    print(f"peak memory (max RSS): {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20:.2f} GiB")


if __name__ == "__main__":
    main()
