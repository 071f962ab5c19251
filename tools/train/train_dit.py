#!/usr/bin/env python3
"""Train the built-in LipSync model's HuMo-structured DiT (17B channel layout: in_dim 36 =
16 noisy + 4 mask + 16 conditioning) by rectified flow on windows of 25 video frames.

A training sample (one window starting at video frame s = 4m of a clip):
  X0 = [window latents (7 frames: frame s encoded alone, then the clip's 4-frame latents m+1..m+6), ref]
       where ref = frame s encoded alone (the window's first frame, as the inference reference);
  y  = [mask 4ch: 0 on the 7 video frames, 1 on the ref frame] || [zero_vae[:, :7], ref]  (HuMo-17B);
  audio = HuMo windows of the features a[s : s+25] (rows 4k-5..4k+2 of the window, zeros outside)
          + one zero window for the reference; 10 % of samples get all-zero windows (the null audio);
  sigma = shift5(u), u ~ U(0,1) (the sampler's own grid density), x_t = (1-sigma) X0 + sigma n,
  target v = n - X0, t = 1000 sigma; loss = MSE weighted x8 on latent cells of the mouth boxes.
Time-budgeted (DIT_MINUTES, default 45); AdamW, cosine LR, EMA 0.998 of the weights (exported).

Environment: DIT_MINUTES, DIT_LR, DIT_MOUTH_W (8), DIT_BATCH (8), DIT_RESUME (weights, EMA and a lower LR of
this run), DIT_INIT (a state dict to start from, EMA warm-up restarted), DIT_MIN_WINDOWS, TORCH_THREADS.
Check the result with latent_sync_check.py (in latent space, independent of the VAE decoder).

Usage: nice -n 10 python tools/train/train_dit.py
"""
import glob
import json
import math
import os
import random
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import (CKPT, DIT_CONFIG, LATENT_FRAMES, TEXT_DIM, TEXT_LEN, WINDOW, HuMoDiT,  # noqa: E402
                    audio_windows, make_y, set_threads, shift_sigma)

DATA = os.path.join(CKPT, "dit_data")
SEED = 20
MOUTH_W = float(os.environ.get("DIT_MOUTH_W", "8"))
AUDIO_DROP = 0.1
BATCH = int(os.environ.get("DIT_BATCH", "8"))
LR = float(os.environ.get("DIT_LR", "5e-4"))


def text_context():
    from safetensors.torch import save_file, load_file
    path = os.path.join(CKPT, "text_context.safetensors")
    if not os.path.exists(path):
        g = torch.Generator().manual_seed(12)
        save_file({"context": torch.randn(TEXT_LEN, TEXT_DIM, generator=g)}, path)
    return load_file(path)["context"].float()


class Pool:
    """Clips whose latents and audio features are ready; rescanned as prepare_dit_data.py adds more."""

    def __init__(self):
        self.clips = {}
        self.windows = []

    def scan(self):
        for f in sorted(glob.glob(os.path.join(DATA, "*.latent.pt"))):
            name = os.path.basename(f)[: -len(".latent.pt")]
            af = os.path.join(DATA, name + ".audio.pt")
            if name in self.clips or not os.path.exists(af):
                continue
            d = torch.load(f)
            d["a"] = torch.load(af).float()
            self.clips[name] = d
            n_lat = d["lat"].shape[1]
            for m in range(0, n_lat - LATENT_FRAMES + 1):
                if 4 * m + WINDOW <= d["a"].shape[0]:
                    self.windows.append((name, m))
        return len(self.clips), len(self.windows)


def mouth_weights(boxes, s):
    """[8, 16, 16] weights: MOUTH_W on latent cells covering the mouth boxes of each latent frame's video frames."""
    w = torch.ones(LATENT_FRAMES + 1, 16, 16)
    for k in range(LATENT_FRAMES + 1):
        if k == LATENT_FRAMES or k == 0:
            fr = [s]
        else:
            fr = list(range(s + 4 * k - 3, s + 4 * k + 1))
        b = boxes[fr]
        x0 = int(b[:, 0].min()) // 8; y0 = int(b[:, 1].min()) // 8
        x1 = -(-int(b[:, 2].max()) // 8); y1 = -(-int(b[:, 3].max()) // 8)
        w[k, max(0, y0):min(16, y1), max(0, x0):min(16, x1)] = MOUTH_W
    return w


def make_batch(pool, rng, zero_vae, B):
    x0s, ys, auds, ws = [], [], [], []
    for _ in range(B):
        name, m = pool.windows[rng.randrange(len(pool.windows))]
        d = pool.clips[name]
        s = 4 * m
        ref = d["refs"][m]                                          # [16, 16, 16]
        video = torch.cat([ref[:, None], d["lat"][:, m + 1: m + LATENT_FRAMES]], 1)   # [16, 7, 16, 16]
        x0s.append(torch.cat([video, ref[:, None]], 1))
        ys.append(make_y(zero_vae[:, :LATENT_FRAMES], ref[None, :, None])[0])
        aw = audio_windows(d["a"][s: s + WINDOW], WINDOW, 1)
        if rng.random() < AUDIO_DROP:
            aw = torch.zeros_like(aw)
        auds.append(aw)
        ws.append(mouth_weights(d["boxes"], s))
    return torch.stack(x0s), torch.stack(ys), torch.stack(auds), torch.stack(ws)[:, None]


def main():
    set_threads()
    torch.manual_seed(SEED)
    rng = random.Random(SEED)
    budget = float(os.environ.get("DIT_MINUTES", "45")) * 60
    out = os.path.join(CKPT, "dit")
    os.makedirs(out, exist_ok=True)
    ctx = text_context()
    zero_vae = torch.load(os.path.join(DATA, "zero_vae.pt"))
    pool = Pool()
    while pool.scan()[1] < int(os.environ.get("DIT_MIN_WINDOWS", "50")):
        print("waiting for data", pool.scan(), flush=True)
        time.sleep(30)
    model = HuMoDiT(DIT_CONFIG)
    ema = HuMoDiT(DIT_CONFIG)
    ema.load_state_dict(model.state_dict())
    if os.environ.get("DIT_RESUME"):          # continue a previous run: its weights and EMA, a fresh (lower) LR schedule
        model.load_state_dict(torch.load(os.path.join(out, "model.pt")))
        ema.load_state_dict(torch.load(os.path.join(out, "ema.pt")))
        torch.manual_seed(SEED + 1)
        rng = random.Random(SEED + 1)
    elif os.environ.get("DIT_INIT"):          # warm start from another run's EMA weights (e.g. after the VAE changed):
        init = torch.load(os.environ["DIT_INIT"])  # the latents moved, so the EMA restarts with its warm-up
        model.load_state_dict(init)
        ema.load_state_dict(init)
    for p in ema.parameters():
        p.requires_grad_(False)
    print("params %.2f M" % (sum(p.numel() for p in model.parameters()) / 1e6), flush=True)
    opt = torch.optim.AdamW(model.parameters(), lr=5e-4, betas=(0.9, 0.99), weight_decay=0.01)
    t0 = time.time()
    step, last_save, run = 0, t0, None
    history = []
    while True:
        el = time.time() - t0
        prog = el / budget
        if prog >= 1 or os.path.exists(os.path.join(out, "STOP")):
            break
        if step % 100 == 0:
            nc, nw = pool.scan()
        lr = LR * min(1.0, (step + 1) / 150) * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * prog)))
        for g in opt.param_groups:
            g["lr"] = lr
        x0, y, aw, w = make_batch(pool, rng, zero_vae, BATCH)
        sigma = shift_sigma(torch.rand(BATCH), 5.0)
        n = torch.randn_like(x0)
        s5 = sigma.view(-1, 1, 1, 1, 1)
        xt = (1 - s5) * x0 + s5 * n
        v = model(xt, y, 1000 * sigma, ctx, aw)
        loss = (((v - (n - x0)) ** 2) * w).mean() / w.mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        decay = 0.998 if os.environ.get("DIT_RESUME") else min(0.998, (1 + step) / (10 + step))
        with torch.no_grad():
            for pe, pm in zip(ema.parameters(), model.parameters()):
                pe.mul_(decay).add_(pm, alpha=1 - decay)
        run = loss.item() if run is None else 0.98 * run + 0.02 * loss.item()
        step += 1
        if step % 20 == 0:
            print("step %d t %.0fs lr %.2e loss %.4f ema %.4f clips %d windows %d" %
                  (step, el, lr, loss.item(), run, nc, nw), flush=True)
            history.append((step, round(el), run))
        if time.time() - last_save > 300:
            torch.save(ema.state_dict(), os.path.join(out, "ema.pt"))
            torch.save(model.state_dict(), os.path.join(out, "model.pt"))
            last_save = time.time()
    torch.save(ema.state_dict(), os.path.join(out, "ema.pt"))
    torch.save(model.state_dict(), os.path.join(out, "model.pt"))
    info = dict(steps=step, batch=BATCH, samples=step * BATCH, seconds=time.time() - t0, final_loss_ema=run,
                clips=len(pool.clips), windows=len(pool.windows), history=history[-50:])
    with open(os.path.join(out, "train_info.json"), "w") as f:
        json.dump(info, f, indent=1)
    print(json.dumps({k: v for k, v in info.items() if k != "history"}), flush=True)


if __name__ == "__main__":
    main()
