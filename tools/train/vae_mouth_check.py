#!/usr/bin/env python3
"""Does the VAE keep the mouth? A cheap gate to run before any DiT training (a DiT cannot lip-sync
through a VAE whose reconstruction has lost the mouth opening).

On the first 25 frames of held-out clips, the mouth opening measured in the reconstruction
(tools/data/mouth_metric.py at the true mouth boxes) is correlated with the true opening, for
  window  - the whole 25-frame window encoded at once (frame 0 alone, then groups of 4 frames in one
            latent frame: the path every video latent of the DiT takes), pooled and by position in the group;
  single  - every frame encoded alone (the path of the reference latent and of each window's first frame).
Also: PSNR of the window path (whole frame, mouth boxes), and the ceiling a VAE reaches that keeps only
the mean opening of each 4-frame group (r of the group mean with the per-frame opening).

Usage: python tools/train/vae_mouth_check.py [--vae $LIPSYNC_CKPT/vae] [--clips 8]
"""
import argparse
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import (CKPT, ROOT, WINDOW, frames_to_tensor, list_clips, load_clip, load_vae, set_threads,  # noqa: E402
                    vae_decode_raw, vae_encode_mu)

sys.path.insert(0, os.path.join(ROOT, "tools", "data"))
import mouth_metric as mm  # noqa: E402
from sample_eval import to_uint8  # noqa: E402
from train_vae import psnr  # noqa: E402


def group_mean(opening):
    """Each 4-frame latent group (frames 4k-3..4k) replaced by its mean; frame 0 kept."""
    g = np.array(opening, np.float64)
    for k in range(1, (len(g) - 1) // 4 + 1):
        g[4 * k - 3:4 * k + 1] = g[4 * k - 3:4 * k + 1].mean()
    return g


def check(vae, clips):
    win, single, truth, opening, whole, mouth = [], [], [], [], [], []
    ceiling = []
    with torch.no_grad():
        for path in clips:
            d = load_clip(path)
            fr, boxes, op = d["frames"][:WINDOW], d["mouth_box"][:WINDOW], d["opening"][:WINDOW]
            x = frames_to_tensor(fr)
            y = vae_decode_raw(vae, vae_encode_mu(vae, x[None]))[0].clamp(-1, 1)
            ys = vae_decode_raw(vae, vae_encode_mu(vae, x.transpose(0, 1)[:, :, None]))[:, :, 0].clamp(-1, 1)
            win.append(mm.measure(to_uint8(y), boxes))
            single.append(mm.measure(to_uint8(ys.transpose(0, 1)), boxes))
            truth.append(mm.measure(fr, boxes))
            opening.append(op)
            ceiling.append(mm._r(group_mean(op), op))
            whole.append(psnr(x, y))
            mouth.append(np.mean([psnr(x[:, i, b[1]:b[3], b[0]:b[2]], y[:, i, b[1]:b[3], b[0]:b[2]])
                                  for i, b in enumerate(boxes)]))
    win, single, truth, opening = map(np.concatenate, (win, single, truth, opening))
    frame = np.tile(np.arange(WINDOW), len(clips))
    pos = np.where(frame > 0, (frame - 1) % 4 + 1, 0)      # 1..4 inside a latent group, 0 = frame 0 (alone)
    return dict(
        clips=len(clips), frames=WINDOW,
        psnr_window=float(np.mean(whole)), psnr_mouth_window=float(np.mean(mouth)),
        r_truth=mm._r(truth, opening),
        r_window=mm._r(win, opening),
        r_window_by_position_in_group={str(k): mm._r(win[pos == k], opening[pos == k]) for k in (1, 2, 3, 4)},
        r_single=mm._r(single, opening),
        r_ceiling_group_mean=float(np.mean(ceiling)),
        mean_opening_measured=dict(truth=float(truth.mean()), window=float(win.mean()), single=float(single.mean())))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--vae", default=os.path.join(CKPT, "vae"))
    ap.add_argument("--clips", type=int, default=8)
    a = ap.parse_args()
    set_threads()
    print(json.dumps(check(load_vae(a.vae), list_clips("heldout")[:a.clips]), indent=1))


if __name__ == "__main__":
    main()
