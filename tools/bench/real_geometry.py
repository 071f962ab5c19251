#!/usr/bin/env python3
"""Random-weight models at the real models' widths and sequence lengths (fewer layers), for checking
`omniedit forward --backend vulkan` against `--backend cpu` at real geometry.

  make OUT      writes OUT/{dit,vae,whisper}/ (diffusers / transformers folders) and OUT/*_inputs.safetensors:
                  DiT: Wan2.1-1.3B widths (dim 1536, 12 heads × 128, FFN 8960, text 4096), 1 layer,
                       x [16, 1, 60, 104] = one 480×832 latent frame (1560 tokens), 512 text rows;
                  VAE: Wan VAE widths (base 96, ×[1, 2, 4, 4] → 384, one 384-wide attention head),
                       1 res block per stage, latent [1, 16, 1, S, S] (S = --vae-latent, 24 → 576 pixels);
                  Whisper: large-v3 widths (d 1280, 20 heads × 64, FFN 5120), 1 layer, 1500 positions.
  compare A B   max |A − B|, max |B|, and relative L2 for every tensor both safetensors files hold.

Needs torch, diffusers, transformers, safetensors (/work/venv). Weights are random: these check the
backends against each other at real sizes, not model quality.
"""
import argparse
import os

import torch
from safetensors.torch import load_file, save_file


def randomize(model, generator, skip=()):
    # Every tensor random, gains near 1, fan-in scaled weights: activations stay O(1) through the net.
    with torch.no_grad():
        for name, p in model.named_parameters():
            if any(s in name for s in skip):
                continue
            if "scale_shift_table" in name:
                p.copy_(0.3 * torch.randn(p.shape, generator=generator))
            elif name.endswith("bias"):
                p.copy_(0.05 * torch.randn(p.shape, generator=generator))
            elif p.dim() == 1 or name.endswith("gamma"):
                p.copy_(1 + 0.2 * torch.randn(p.shape, generator=generator))
            else:
                p.copy_(torch.randn(p.shape, generator=generator) / p[0].numel() ** 0.5)


def make(out, vae_latent):
    from diffusers import AutoencoderKLWan, WanTransformer3DModel
    from transformers import WhisperConfig, WhisperForConditionalGeneration

    g = torch.Generator().manual_seed(1536)
    os.makedirs(out, exist_ok=True)

    dit = WanTransformer3DModel(
        patch_size=(1, 2, 2), num_attention_heads=12, attention_head_dim=128, in_channels=16, out_channels=16,
        text_dim=4096, freq_dim=256, ffn_dim=8960, num_layers=1, cross_attn_norm=True,
        qk_norm="rms_norm_across_heads", eps=1e-6).eval()
    randomize(dit, g)
    dit.save_pretrained(os.path.join(out, "dit"), safe_serialization=True)
    save_file({
        "x": torch.randn(16, 1, 60, 104, generator=g), "t": torch.tensor([500.0]),
        "context": torch.randn(512, 4096, generator=g),
    }, os.path.join(out, "dit_inputs.safetensors"))

    vae = AutoencoderKLWan(base_dim=96, z_dim=16, dim_mult=[1, 2, 4, 4], num_res_blocks=1, attn_scales=[],
                           temperal_downsample=[False, True, True]).eval()
    randomize(vae, g)
    vae.save_pretrained(os.path.join(out, "vae"), safe_serialization=True)
    save_file({"latent": torch.randn(1, 16, 1, vae_latent, vae_latent, generator=g)},
              os.path.join(out, "vae_inputs.safetensors"))

    config = WhisperConfig(
        vocab_size=64, num_mel_bins=128, d_model=1280, encoder_layers=1, encoder_attention_heads=20,
        encoder_ffn_dim=5120, decoder_layers=1, decoder_attention_heads=2, decoder_ffn_dim=64,
        max_source_positions=1500, max_target_positions=16, pad_token_id=0, bos_token_id=1, eos_token_id=2,
        decoder_start_token_id=1)
    whisper = WhisperForConditionalGeneration(config).eval()
    randomize(whisper, g, skip=("encoder.embed_positions",))
    folder = os.path.join(out, "whisper")
    whisper.save_pretrained(folder, safe_serialization=True)
    extra = os.path.join(folder, "generation_config.json")
    if os.path.exists(extra):
        os.remove(extra)
    save_file({"log_mel": torch.randn(128, 3000, generator=g).clamp(-1.5, 1.5)},
              os.path.join(out, "whisper_inputs.safetensors"))


def compare(a_path, b_path):
    a, b = load_file(a_path), load_file(b_path)
    for name in sorted(set(a) & set(b)):
        x, y = a[name].double(), b[name].double()
        rel = ((x - y).norm() / y.norm().clamp_min(1e-30)).item()
        print(f"{name}: shape {tuple(y.shape)}  max|A-B| {(x - y).abs().max().item():.3e}  "
              f"max|B| {y.abs().max().item():.3e}  rel L2 {rel:.3e}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    m = sub.add_parser("make")
    m.add_argument("out")
    m.add_argument("--vae-latent", type=int, default=24)
    c = sub.add_parser("compare")
    c.add_argument("a")
    c.add_argument("b")
    args = parser.parse_args()
    torch.set_num_threads(1)
    if args.command == "make":
        make(args.out, args.vae_latent)
    else:
        compare(args.a, args.b)


if __name__ == "__main__":
    main()
