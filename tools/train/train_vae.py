#!/usr/bin/env python3
"""Train the built-in LipSync model's Wan-structured VAE (diffusers AutoencoderKLWan, causal 3-D,
temporal x4 with frame 0 apart, spatial x8, z_dim 16) on the generated talking-face clips.

Time-budgeted (VAE_MINUTES, default 15): 5-frame clips, 64x64 crops (half of them around the mouth)
for the first 75 % of the time, then full 128x128 frames. Loss: L1 with the mouth box weighted
x6 + 0.5 MSE; deterministic autoencoder on the posterior mean (what every consumer uses).
At the end: PSNR (whole frame and mouth box) on held-out 25-frame windows, and the per-channel
latent mean/std of training windows, written into the saved config as latents_mean/latents_std.

Environment: VAE_MINUTES, VAE_T (frames per clip, 1+4k), VAE_B (crops per batch), VAE_CROP (crop size, 64),
VAE_MOUTH_FRAC (share of crops centred near the mouth, 0.5), VAE_MOUTH_W (loss weight of the mouth box, 6),
VAE_LR, VAE_FULL_AFTER (share of the time before full frames), VAE_RESUME, VAE_DECODER_ONLY, TORCH_THREADS.
Check the result with vae_mouth_check.py: the mouth must survive the 4-frame latent groups.

Usage: nice -n 10 python tools/train/train_vae.py   (checkpoint: $LIPSYNC_CKPT/vae, log on stdout)
"""
import json
import math
import os
import random
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import (CKPT, VAE_CONFIG, WINDOW, frames_to_tensor, list_clips, load_clip, set_threads,  # noqa: E402
                    vae_decode_raw, vae_encode_mu)

SEED = 10
MOUTH_W = float(os.environ.get("VAE_MOUTH_W", "6"))
CROP = int(os.environ.get("VAE_CROP", "64"))              # crop size before the full-frame part
MOUTH_FRAC = float(os.environ.get("VAE_MOUTH_FRAC", "0.5"))  # share of crops centred near the mouth
LR = float(os.environ.get("VAE_LR", "1e-3"))
CLIP_T = int(os.environ.get("VAE_T", "9"))   # frames per training clip (1 + 4k; 9 = three latent frames)


def sample_batch(clips, rng, crop, T, B, cache):
    vids, ws = [], []
    for _ in range(B):
        path = clips[rng.randrange(len(clips))]
        if path not in cache:
            if len(cache) > 400:
                cache.pop(next(iter(cache)))
            d = load_clip(path)
            cache[path] = (d["frames"], d["mouth_box"])
        frames, boxes = cache[path]
        n = frames.shape[0]
        s = rng.randrange(0, n - T + 1)
        f = frames[s:s + T]
        b = boxes[s:s + T]
        x0 = min(b[:, 0]); y0 = min(b[:, 1]); x1 = max(b[:, 2]); y1 = max(b[:, 3])
        wmap = np.ones((128, 128), np.float32)
        wmap[max(0, y0 - 2):y1 + 2, max(0, x0 - 2):x1 + 2] = MOUTH_W
        if crop < 128:
            if rng.random() < MOUTH_FRAC:
                cx = (x0 + x1) // 2 + rng.randrange(-crop // 4, crop // 4 + 1)
                cy = (y0 + y1) // 2 + rng.randrange(-crop // 4, crop // 4 + 1)
                ox = int(np.clip(cx - crop // 2, 0, 128 - crop)); oy = int(np.clip(cy - crop // 2, 0, 128 - crop))
            else:
                ox = rng.randrange(0, 128 - crop + 1); oy = rng.randrange(0, 128 - crop + 1)
            f = f[:, oy:oy + crop, ox:ox + crop]
            wmap = wmap[oy:oy + crop, ox:ox + crop]
        if rng.random() < 0.5:
            f = f[:, :, ::-1]
            wmap = wmap[:, ::-1]
        vids.append(frames_to_tensor(f))
        ws.append(torch.from_numpy(np.ascontiguousarray(wmap)))
    return torch.stack(vids), torch.stack(ws)[:, None, None]


def psnr(a, b):
    mse = ((a - b) ** 2).mean().item()
    return 10 * math.log10(4.0 / max(mse, 1e-12))   # range [-1,1] -> peak-to-peak 2


def evaluate(vae, clips, n=8):
    rng = random.Random(123)
    whole, mouth = [], []
    with torch.no_grad():
        for path in clips[:n]:
            d = load_clip(path)
            fr = d["frames"]
            s = rng.randrange(0, fr.shape[0] - WINDOW + 1)
            x = frames_to_tensor(fr[s:s + WINDOW])[None]
            y = vae_decode_raw(vae, vae_encode_mu(vae, x)).clamp(-1, 1)
            whole.append(psnr(x, y))
            b = d["mouth_box"][s:s + WINDOW]
            ms = [psnr(x[:, :, i, b[i, 1]:b[i, 3], b[i, 0]:b[i, 2]], y[:, :, i, b[i, 1]:b[i, 3], b[i, 0]:b[i, 2]])
                  for i in range(WINDOW)]
            mouth.append(float(np.mean(ms)))
    return float(np.mean(whole)), float(np.mean(mouth))


def latent_statistics(vae, clips, n=48):
    rng = random.Random(7)
    mus = []
    with torch.no_grad():
        for path in rng.sample(clips, min(n, len(clips))):
            fr = load_clip(path)["frames"]
            s = rng.randrange(0, fr.shape[0] - WINDOW + 1)
            mus.append(vae_encode_mu(vae, frames_to_tensor(fr[s:s + WINDOW])[None]))
    mu = torch.cat(mus, 0).transpose(0, 1).reshape(16, -1)
    return mu.mean(1).tolist(), mu.std(1).tolist()


def main():
    from diffusers import AutoencoderKLWan
    set_threads()
    torch.manual_seed(SEED)
    rng = random.Random(SEED)
    budget = float(os.environ.get("VAE_MINUTES", "15")) * 60
    out = os.path.join(CKPT, "vae")
    if os.environ.get("VAE_RESUME"):
        vae = AutoencoderKLWan.from_pretrained(out)      # continue a previous run (same schedule restarted)
        torch.manual_seed(SEED + 1)
        rng = random.Random(SEED + 1)
    else:
        vae = AutoencoderKLWan(**VAE_CONFIG)
    print("params %.2f M" % (sum(p.numel() for p in vae.parameters()) / 1e6), flush=True)
    decoder_only = bool(os.environ.get("VAE_DECODER_ONLY"))
    if decoder_only:
        # fine-tune the decoder only: the encoder, the latent space and its statistics stay as they are,
        # so latents already encoded for the DiT remain valid
        for p in list(vae.encoder.parameters()) + list(vae.quant_conv.parameters()):
            p.requires_grad_(False)
    params = [p for p in vae.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=1e-3, betas=(0.9, 0.99), weight_decay=0.0)
    cache = {}
    t0 = time.time()
    step = 0
    last_save = t0
    ema = None
    while True:
        el = time.time() - t0
        prog = el / budget
        if prog >= 1:
            break
        clips = list_clips("train") if step % 200 == 0 or step == 0 else clips
        lr = LR * min(1.0, (step + 1) / 100) * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(prog, 1))))
        for g in opt.param_groups:
            g["lr"] = lr
        full = prog > float(os.environ.get("VAE_FULL_AFTER", "0.75"))
        x, w = sample_batch(clips, rng, 128 if full else CROP, CLIP_T, 1 if full else int(os.environ.get("VAE_B", "4")), cache)
        if decoder_only:
            with torch.no_grad():
                mu = vae_encode_mu(vae, x)
        else:
            mu = vae_encode_mu(vae, x)
        y = vae_decode_raw(vae, mu)
        err = (y - x)
        loss = (err.abs() * w).mean() / w.mean() + 0.5 * (err ** 2).mean() + 1e-4 * (mu ** 2).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(vae.parameters(), 1.0)
        opt.step()
        ema = loss.item() if ema is None else 0.98 * ema + 0.02 * loss.item()
        step += 1
        if step % 25 == 0:
            print("step %d t %.0fs lr %.2e loss %.4f ema %.4f full %s" % (step, el, lr, loss.item(), ema, full),
                  flush=True)
        if time.time() - last_save > 180:
            vae.save_pretrained(out)
            last_save = time.time()
    vae.eval()
    train = list_clips("train")
    if decoder_only:
        mean, std = list(vae.config.latents_mean), list(vae.config.latents_std)
    else:
        mean, std = latent_statistics(vae, train)
    vae.register_to_config(latents_mean=mean, latents_std=std)
    vae.save_pretrained(out)
    held = list_clips("heldout") or train[-8:]
    p_all, p_mouth = evaluate(vae, held)
    info = dict(steps=step, seconds=time.time() - t0, final_loss_ema=ema, psnr_heldout=p_all,
                psnr_mouth_heldout=p_mouth, latents_mean=mean, latents_std=std)
    with open(os.path.join(out, "train_info.json"), "w") as f:
        json.dump(info, f, indent=1)
    print(json.dumps(info), flush=True)


if __name__ == "__main__":
    main()
