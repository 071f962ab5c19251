#!/usr/bin/env python3
"""Mouth opening measured in rendered frames, and a check of it against the true opening.

    m = measure(frames, boxes)    # frames uint8 [N, H, W, 3], boxes int [N, 4] (x0, y0, x1, y1) -> float32 [N]

Inside each mouth box: the skin level is the median luminance of the box's outer ring (the box is generous, so its
border is skin); each pixel's contrast c = (skin - L) / (skin - 0.04) is 0 at skin level and 1 at a fully dark
mouth interior, and its *soft* darkness is a ramp of c from 0 at c = 0.35 to 1 at c = 0.85 (a lip is a little
darker than skin and scores ~0, the inner mouth scores ~1, blurred edges score in between: no hard threshold).
Summing darkness down a column gives the dark height there in pixels, which a blur largely preserves; the measure is
the mean of the tallest eighth of the columns (the mouth's middle) divided by the box height, so it does not depend
on the face's size. It is ~0 for a closed mouth and rises linearly with the inner mouth's height.

    python3 tools/data/mouth_metric.py /work/data/heldout [--sigma 1.5]
prints per-clip and pooled Pearson r between measure() and the clip's `opening`, on the frames as stored and blurred.
"""
import argparse
import json
import os
import sys

import numpy as np

DARK = 0.04          # luminance of a fully dark mouth interior
LO, HI = 0.35, 0.85  # darkness ramp over the contrast (skin - L) / (skin - DARK)


def _luma(rgb):
    rgb = np.asarray(rgb, np.float32) / 255.0
    return rgb[..., 0] * 0.299 + rgb[..., 1] * 0.587 + rgb[..., 2] * 0.114


def measure_one(frame, box):
    h, w = frame.shape[:2]
    x0, y0, x1, y1 = [int(v) for v in box]
    x0, y0, x1, y1 = max(0, x0), max(0, y0), min(w, x1), min(h, y1)
    if x1 - x0 < 4 or y1 - y0 < 4:
        return 0.0
    lum = _luma(frame[y0:y1, x0:x1])
    ring = np.concatenate([lum[0], lum[-1], lum[1:-1, 0], lum[1:-1, -1]])
    skin = max(float(np.median(ring)), 0.05)
    contrast = (skin - lum) / max(skin - DARK, 0.05)
    dark = np.clip((contrast - LO) / (HI - LO), 0.0, 1.0)
    cols = np.sort(dark.sum(axis=0))[::-1]
    k = max(1, len(cols) // 8)
    return float(cols[:k].mean() / (y1 - y0))


def measure(frames, boxes):
    return np.array([measure_one(f, b) for f, b in zip(frames, boxes)], np.float32)


def gaussian_blur(frames, sigma):
    """Separable Gaussian blur of uint8 frames [N, H, W, C] (edge-padded); returns uint8."""
    r = max(1, int(np.ceil(3 * sigma)))
    k = np.exp(-0.5 * (np.arange(-r, r + 1) / sigma) ** 2)
    k /= k.sum()
    x = np.asarray(frames, np.float32)
    for axis in (1, 2):
        pad = [(0, 0)] * x.ndim
        pad[axis] = (r, r)
        xp = np.pad(x, pad, mode="edge")
        n = x.shape[axis]
        acc = np.zeros_like(x)
        for i, kv in enumerate(k):
            acc += kv * np.take(xp, np.arange(i, i + n), axis=axis)
        x = acc
    return np.clip(np.round(x), 0, 255).astype(np.uint8)


def _r(a, b):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    if a.std() < 1e-9 or b.std() < 1e-9:
        return float("nan")
    return float(np.corrcoef(a, b)[0, 1])


def check(folder, sigma=1.5, limit=None):
    index = json.load(open(os.path.join(folder, "index.json")))
    entries = index["entries"][:limit] if limit else index["entries"]
    res = {"clips": len(entries)}
    for label, blur in (("sharp", 0.0), ("blur%.1f" % sigma, sigma)):
        per, ms, ops, ctrl = [], [], [], []
        prev = None
        for e in entries:
            z = np.load(os.path.join(folder, e["file"]))
            fr = z["frames"] if blur == 0 else gaussian_blur(z["frames"], blur)
            m = measure(fr, z["mouth_box"])
            per.append(_r(m, z["opening"]))
            ms.append(m)
            ops.append(z["opening"])
            if prev is not None:  # control: the measure against another clip's opening
                n = min(len(m), len(prev))
                ctrl.append(_r(m[:n], prev[:n]))
            prev = z["opening"]
        res[label] = {"per_clip_mean_r": float(np.nanmean(per)), "per_clip_min_r": float(np.nanmin(per)),
                      "pooled_r": _r(np.concatenate(ms), np.concatenate(ops)),
                      "control_other_clip_mean_r": float(np.nanmean(ctrl)) if ctrl else float("nan")}
    return res


def main():
    ap = argparse.ArgumentParser(description="Correlation of the measured mouth opening with the true opening")
    ap.add_argument("folder")
    ap.add_argument("--sigma", type=float, default=1.5)
    ap.add_argument("--limit", type=int)
    a = ap.parse_args()
    print(json.dumps(check(a.folder, a.sigma, a.limit), indent=1))


if __name__ == "__main__":
    sys.exit(main())
