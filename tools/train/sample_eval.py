#!/usr/bin/env python3
"""Held-out sanity check of the built-in LipSync model in PyTorch (not the product's sampler):
pure generation of 25-frame windows from noise, conditioned on the held-out audio and the window's
first frame as reference, 20 Euler steps on the shift-5 grid, audio CFG
v = v_null + cfg (v_audio - v_null). The mouth opening measured in the generated frames
(tools/data/mouth_metric.py, at the ground-truth mouth boxes) is correlated with the true opening;
the same for the ground-truth frames (ceiling), for the VAE reconstruction, and for generation with
the null audio (control, cfg 0 = null branch only).

Writes tools/train/heldout_sanity.json and heldout_sanity.png (rows: truth / generated, every 2nd frame).
Usage: python tools/train/sample_eval.py [--model EXPORT_DIR] [--windows 12] [--cfg 3]
"""
import argparse
import glob
import json
import os
import sys

import numpy as np
import torch
from safetensors import safe_open
from safetensors.torch import load_file

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import (EXPORT_DIR, ROOT, WINDOW, HuMoDiT, audio_windows, frames_to_tensor, latent_stats,  # noqa
                    log_mel_chunks, make_y, set_threads, sigma_grid, vae_decode_raw, vae_encode_mu,
                    video_rate_features)

sys.path.insert(0, os.path.join(ROOT, "tools", "data"))


def f32(sd):
    return {k: v.float() for k, v in sd.items()}


def load_models(m):
    from diffusers import AutoencoderKLWan
    from transformers import WhisperConfig
    from transformers.models.whisper.modeling_whisper import WhisperEncoder
    with safe_open(os.path.join(m, "humo.safetensors"), "pt") as f:
        cfg = json.loads(f.metadata()["config"])
    dit = HuMoDiT(cfg).eval()
    dit.load_state_dict(f32(load_file(os.path.join(m, "humo.safetensors"))))
    with open(os.path.join(m, "vae_config.json")) as f:
        vcfg = {k: v for k, v in json.load(f).items() if not k.startswith("_")}
    vae = AutoencoderKLWan(**vcfg).eval()
    vae.load_state_dict(f32(load_file(os.path.join(m, "vae.safetensors"))))
    enc = WhisperEncoder(WhisperConfig.from_json_file(os.path.join(m, "whisper", "config.json"))).eval()
    enc.load_state_dict({k[len("model.encoder."):]: v for k, v in
                         f32(load_file(os.path.join(m, "whisper", "model.safetensors"))).items()})
    ctx = load_file(os.path.join(m, "text_context.safetensors"))["context"].float()
    return dit, vae, enc, ctx


def generate(dit, ctx, y, aw, cfg, seed, steps=20, shift=5.0):
    B = y.shape[0]
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(B, 16, y.shape[2], y.shape[3], y.shape[4], generator=g)
    sig = sigma_grid(steps, shift)
    null = torch.zeros_like(aw)
    for i in range(steps):
        s, s2 = float(sig[i]), float(sig[i + 1])
        t = torch.full((2 * B,), 1000 * s)
        v = dit(torch.cat([x, x]), torch.cat([y, y]), t, ctx, torch.cat([aw, null]))
        va, vn = v[:B], v[B:]
        x = x + (s2 - s) * (vn + cfg * (va - vn))
    return x


def to_uint8(v):
    """[3,T,H,W] in [-1,1] -> uint8 [T,H,W,3]."""
    return ((v.clamp(-1, 1) + 1) * 127.5).round().byte().permute(1, 2, 3, 0).numpy()


def main():
    import mouth_metric as mm
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=EXPORT_DIR)
    ap.add_argument("--data", default=os.environ.get("LIPSYNC_DATA", "/work/data") + "/heldout")
    ap.add_argument("--windows", type=int, default=12)
    ap.add_argument("--cfg", type=float, nargs="+", default=[3.0])
    ap.add_argument("--out", default=os.path.join(ROOT, "tools", "train", "heldout_sanity"))
    args = ap.parse_args()
    set_threads()
    torch.manual_seed(0)
    dit, vae, enc, ctx = load_models(args.model)
    mean, std = latent_stats(vae)
    with torch.no_grad():
        zero = ((vae_encode_mu(vae, torch.zeros(1, 3, WINDOW, 128, 128)) - mean) / std)[0]
    wins = []
    for path in sorted(glob.glob(os.path.join(args.data, "*.npz"))):
        d = np.load(path)
        n = d["frames"].shape[0]
        with torch.no_grad():
            a = video_rate_features(enc, log_mel_chunks(d["audio"]), len(d["audio"]))
        for s in range(0, n - WINDOW + 1, WINDOW - 1):
            if len(wins) < args.windows and s < 2 * (WINDOW - 1):
                wins.append(dict(frames=d["frames"][s:s + WINDOW], boxes=d["mouth_box"][s:s + WINDOW],
                                 opening=d["opening"][s:s + WINDOW], aw=audio_windows(a[s:s + WINDOW], WINDOW, 1),
                                 clip=os.path.basename(path), start=s))
    video = torch.stack([frames_to_tensor(w["frames"]) for w in wins])
    with torch.no_grad():
        ref = (vae_encode_mu(vae, video[:, :, :1]) - mean) / std
        rec = vae_decode_raw(vae, vae_encode_mu(vae, video)).clamp(-1, 1)
    y = make_y(zero[:, :7], ref)
    aw = torch.stack([w["aw"] for w in wins])

    def score(frames_list):
        per, ms = [], []
        for fr, w in zip(frames_list, wins):
            m = mm.measure(fr, w["boxes"])
            per.append(mm._r(m, w["opening"]))
            ms.append(m)
        pooled = mm._r(np.concatenate(ms), np.concatenate([w["opening"] for w in wins]))
        return dict(per_window_mean_r=float(np.nanmean(per)), pooled_r=float(pooled))

    res = dict(windows=len(wins), frames_per_window=WINDOW, steps=20, shift=5.0,
               truth=score([w["frames"] for w in wins]), vae_reconstruction=score([to_uint8(r) for r in rec]))
    gens = {}
    with torch.no_grad():
        for cfg in args.cfg + [0.0]:
            x0 = generate(dit, ctx, y, aw, cfg, seed=1234)
            out = vae_decode_raw(vae, x0[:, :, :7] * std + mean).clamp(-1, 1)
            gens[cfg] = [to_uint8(o) for o in out]
            res["generated_cfg%g" % cfg + (" (null audio only)" if cfg == 0 else "")] = score(gens[cfg])
            print(json.dumps(res), flush=True)
    with open(args.out + ".json", "w") as f:
        json.dump(res, f, indent=1)
    from PIL import Image
    rows = []
    for w, g in list(zip(wins, gens[args.cfg[0]]))[:4]:
        rows.append(np.concatenate(list(w["frames"][::2]), 1))
        rows.append(np.concatenate(list(g[::2]), 1))
    Image.fromarray(np.concatenate(rows, 0)).save(args.out + ".png")
    print(json.dumps(res, indent=1))


if __name__ == "__main__":
    main()
