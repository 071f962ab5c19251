#!/usr/bin/env python3
"""Does the DiT's output follow the audio? Measured in latent space, so the VAE decoder plays no part
(a blurry decoder hides any sync in pixels; see vae_mouth_check.py).

A ridge probe maps the latent cells around the mouth (3x3 cells x 16 channels of one latent frame) to
the true openings of that latent frame's 4 video frames; it is fitted on the DiT's training latents
($LIPSYNC_CKPT/dit_data, first 100 clips). Then held-out windows that start mid-clip (frame 24, inside
the speech, so a shared silence-then-speech envelope cannot make the correlation) are generated from
noise (sample_eval.generate: reference = the window's first frame, 20 steps, shift 5, seed 1234) with
  cfg N          the window's own audio (v_null + N (v_audio - v_null)),
  null           the null audio only,
  other audio    cfg N with the audio of a different held-out window (control: what any speech gives),
and the probe's openings of latent frames 1..6 are correlated with the true openings of frames 1..24.
The probe on the true latents of the same windows is the ceiling of this measure.

Usage: python tools/train/latent_sync_check.py [--model EXPORT_DIR] [--dit ema.pt] [--windows 12] [--cfg 3]
"""
import argparse
import glob
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import (CKPT, EXPORT_DIR, WINDOW, audio_windows, frames_to_tensor, latent_stats, log_mel_chunks,  # noqa
                    make_y, set_threads, vae_encode_mu, video_rate_features)
import sample_eval  # noqa: E402

LAMBDA = 10.0
START = 24


def mouth_cells(lat, boxes, k):
    """lat [16, F, 16, 16] -> the 3x3 latent cells around the mouth of latent frame k (video frames 4k-3..4k)."""
    b = boxes[4 * k - 3:4 * k + 1]
    cx = int((b[:, 0].min() + b[:, 2].max()) / 2) // 8
    cy = int((b[:, 1].min() + b[:, 3].max()) / 2) // 8
    cx, cy = min(max(cx, 1), 14), min(max(cy, 1), 14)
    return lat[:, k, cy - 1:cy + 2, cx - 1:cx + 2].reshape(-1).numpy()


class Probe:
    def __init__(self, data_dir, clips=100):
        xs, ys = [], []
        for f in sorted(glob.glob(os.path.join(data_dir, "*.latent.pt")))[:clips]:
            d = torch.load(f)
            boxes, op = d["boxes"].numpy(), d["opening"].numpy()
            for k in range(1, d["lat"].shape[1]):
                xs.append(mouth_cells(d["lat"], boxes, k))
                ys.append(op[4 * k - 3:4 * k + 1])
        x, y = np.array(xs, np.float64), np.array(ys, np.float64)
        self.mu, self.sd = x.mean(0), x.std(0) + 1e-6
        a = self._design(x)
        self.w = np.linalg.solve(a.T @ a + LAMBDA * np.eye(a.shape[1]), a.T @ y)

    def _design(self, x):
        return np.c_[(x - self.mu) / self.sd, np.ones(len(x))]

    def openings(self, lat, boxes):
        """lat [16, 7, 16, 16] -> predicted openings of video frames 1..24."""
        x = np.array([mouth_cells(lat, boxes, k) for k in range(1, lat.shape[1])])
        return (self._design(x) @ self.w).reshape(-1)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", default=EXPORT_DIR, help="exported model folder (VAE encoder, Whisper, text)")
    ap.add_argument("--dit", help="DiT state dict (.pt) to use instead of the folder's humo.safetensors")
    ap.add_argument("--data", default=os.environ.get("LIPSYNC_DATA", "/work/data") + "/heldout")
    ap.add_argument("--windows", type=int, default=12)
    ap.add_argument("--cfg", type=float, default=3.0)
    a = ap.parse_args()
    set_threads()
    probe = Probe(os.path.join(CKPT, "dit_data"))
    dit, vae, enc, ctx = sample_eval.load_models(a.model)
    if a.dit:
        dit.load_state_dict(torch.load(a.dit))
    mean, std = latent_stats(vae)
    wins = []
    for path in sorted(glob.glob(os.path.join(a.data, "*.npz")))[:a.windows]:
        d = np.load(path)
        if d["frames"].shape[0] < START + WINDOW:
            continue
        with torch.no_grad():
            feats = video_rate_features(enc, log_mel_chunks(d["audio"]), len(d["audio"]))
        sl = slice(START, START + WINDOW)
        wins.append(dict(frames=d["frames"][sl], boxes=d["mouth_box"][sl], opening=d["opening"][sl],
                         aw=audio_windows(feats[sl], WINDOW, 1)))
    video = torch.stack([frames_to_tensor(w["frames"]) for w in wins])
    with torch.no_grad():
        zero = ((vae_encode_mu(vae, torch.zeros(1, 3, WINDOW, 128, 128)) - mean) / std)[0]
        ref = (vae_encode_mu(vae, video[:, :, :1]) - mean) / std
        true = (vae_encode_mu(vae, video) - mean) / std
    y = make_y(zero[:, :7], ref)
    aw = torch.stack([w["aw"] for w in wins])

    def score(lats):
        pred = [probe.openings(lat, w["boxes"]) for lat, w in zip(lats, wins)]
        truth = [w["opening"][1:WINDOW] for w in wins]
        per = [np.corrcoef(p, t)[0, 1] for p, t in zip(pred, truth)]
        return dict(per_window_mean_r=float(np.nanmean(per)),
                    pooled_r=float(np.corrcoef(np.concatenate(pred), np.concatenate(truth))[0, 1]))

    res = dict(windows=len(wins), start_frame=START, cfg=a.cfg, probe_on_true_latents=score(true))
    with torch.no_grad():
        res["generated_own_audio"] = score(sample_eval.generate(dit, ctx, y, aw, a.cfg, seed=1234)[:, :, :7])
        res["generated_null_audio"] = score(sample_eval.generate(dit, ctx, y, aw, 0.0, seed=1234)[:, :, :7])
        other = torch.roll(aw, 1, 0)
        res["generated_other_window_audio"] = score(sample_eval.generate(dit, ctx, y, other, a.cfg, seed=1234)[:, :, :7])
    print(json.dumps(res, indent=1))


if __name__ == "__main__":
    main()
