#!/usr/bin/env python3
"""Export the trained built-in LipSync model (checkpoints under $LIPSYNC_CKPT) to
plugin-manifest/Resources/models/lipsync/, every weight in f16 safetensors:

  humo.safetensors            DiT (EMA weights), original HuMo/Wan key names, metadata `config` = WanConfig JSON
  vae.safetensors             Wan VAE, diffusers AutoencoderKLWan key names, metadata `config` = its config
  vae_config.json             the same config (diffusers names + latents_mean/std; WanVAEConfig decodes it)
  whisper/model.safetensors   Whisper-structured encoder, transformers names (model.encoder.*)
  whisper/config.json         transformers WhisperConfig
  text_context.safetensors    `context` [text_len, text_dim] f32, the fixed text condition
  omniedit.json               family, size, fps, window and the recommended sampler settings

Usage: python tools/train/export.py [--dit model.pt]   (default: the EMA weights)
"""
import argparse
import json
import os
import shutil
import sys

import torch
from safetensors.torch import load_file, save_file

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import CKPT, DIT_CONFIG, EXPORT_DIR, load_vae  # noqa: E402

VAE_KEYS = ["base_dim", "z_dim", "dim_mult", "num_res_blocks", "attn_scales", "temperal_downsample", "dropout",
            "latents_mean", "latents_std"]

OMNIEDIT = {
    "family": "humo", "width": 128, "height": 128, "fps": 25, "windowLength": 25, "sampleRate": 16000,
    "layout": "i2v-channels", "referenceFrame": "first frame of each window",
    "steps": 20, "shift": 5.0, "guidance": 3.0, "start": 6, "end": 16,
}


def half(sd):
    return {k: v.detach().to(torch.float16).contiguous() for k, v in sd.items()}


def vae_config_dict(vae):
    c = dict(vae.config)
    out = {k: c[k] for k in VAE_KEYS if k in c}
    out["_class_name"] = "AutoencoderKLWan"
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dit", default=os.path.join(CKPT, "dit", "ema.pt"))
    ap.add_argument("--out", default=EXPORT_DIR)
    args = ap.parse_args()
    out = args.out
    os.makedirs(os.path.join(out, "whisper"), exist_ok=True)

    sd = torch.load(args.dit, map_location="cpu")
    save_file(half(sd), os.path.join(out, "humo.safetensors"),
              metadata={"format": "pt", "config": json.dumps(DIT_CONFIG)})

    vae = load_vae()
    vcfg = vae_config_dict(vae)
    save_file(half(vae.state_dict()), os.path.join(out, "vae.safetensors"),
              metadata={"format": "pt", "config": json.dumps(vcfg)})
    with open(os.path.join(out, "vae_config.json"), "w") as f:
        json.dump(vcfg, f, indent=1)

    w = load_file(os.path.join(CKPT, "whisper", "model.safetensors"))
    save_file(half(w), os.path.join(out, "whisper", "model.safetensors"), metadata={"format": "pt"})
    shutil.copyfile(os.path.join(CKPT, "whisper", "config.json"), os.path.join(out, "whisper", "config.json"))

    ctx = load_file(os.path.join(CKPT, "text_context.safetensors"))["context"].float().contiguous()
    save_file({"context": ctx}, os.path.join(out, "text_context.safetensors"), metadata={"format": "pt"})

    with open(os.path.join(out, "omniedit.json"), "w") as f:
        json.dump(OMNIEDIT, f, indent=1)
    total = 0
    for root, _, files in os.walk(out):
        for n in sorted(files):
            p = os.path.join(root, n)
            total += os.path.getsize(p)
            print("%10d  %s" % (os.path.getsize(p), os.path.relpath(p, out)))
    print("%10d  total" % total)


if __name__ == "__main__":
    main()
