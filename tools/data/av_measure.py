#!/usr/bin/env python3
"""Attributes measured from pixels and from audio, for the AV data's labels and the AV Edit evaluation.

    f0_track(audio, sr=16000) -> float32 [frames] Hz per 25-fps frame (0 where unvoiced)
    median_f0(audio)          -> Hz over voiced frames (0 if none)
    peak_hz(audio)            -> the strongest frequency (a bell's tone)
    envelope(audio, n_frames) -> float32 [n_frames] RMS per 25-fps frame
    box_colour(frames, boxes) -> float32 [3] mean RGB inside the per-frame boxes
    hair_colour(frames, boxes) -> name of the nearest av_scenes.HAIR_COLOURS entry
    beard_score(frames, beard_boxes, side_skin) -> 0..1, how far the chin is from the skin colour toward the hair

Pitch: normalised autocorrelation on 40-ms frames (hop 40 ms), lag range 60-500 Hz, voiced when the peak >= 0.45
and the frame's RMS is above 2 % of the loudest frame's. Voice gender from pitch: women speak above ~165 Hz here
(espeak f* variants, pitch 5-95: 120-305 Hz; m* variants 70-155 Hz), so a threshold of 140 Hz separates most.
"""
import numpy as np

import av_scenes

SR, SPF = 16000, 640
GENDER_F0_HZ = 140.0


def f0_track(audio, sr=SR, spf=SPF):
    a = np.asarray(audio, np.float64)
    n = len(a) // spf
    out = np.zeros(n, np.float32)
    if n == 0:
        return out
    rms = np.sqrt((a[:n * spf].reshape(n, spf) ** 2).mean(axis=1))
    floor = 0.02 * rms.max() if rms.max() > 0 else 1.0
    lo, hi = int(sr / 500), int(sr / 60)
    for i in range(n):
        if rms[i] < floor or rms[i] < 1e-4:
            continue
        x = a[i * spf:(i + 1) * spf]
        x = x - x.mean()
        spec = np.fft.rfft(x, 2 * spf)
        c = np.fft.irfft(np.abs(spec) ** 2)[:spf]
        if c[0] <= 0:
            continue
        c = c / c[0] / (1 - np.arange(spf) / spf)  # unbiased normalised autocorrelation
        seg = c[lo:min(hi, spf // 2)]
        k = int(np.argmax(seg))
        if seg[k] >= 0.45:
            out[i] = sr / (lo + k)
    return out


def median_f0(audio, sr=SR):
    f = f0_track(audio, sr)
    v = f[f > 0]
    return float(np.median(v)) if len(v) else 0.0


def peak_hz(audio, sr=SR, lo=50.0):
    """The strongest frequency of the whole signal above `lo` Hz (a bell's tone)."""
    a = np.asarray(audio, np.float64)
    spec = np.abs(np.fft.rfft(a * np.hanning(len(a))))
    freqs = np.fft.rfftfreq(len(a), 1.0 / sr)
    spec[freqs < lo] = 0
    return float(freqs[int(np.argmax(spec))])


def envelope(audio, n_frames, spf=SPF):
    a = np.asarray(audio, np.float64)[:n_frames * spf]
    a = np.pad(a, (0, n_frames * spf - len(a)))
    return np.sqrt((a.reshape(n_frames, spf) ** 2).mean(axis=1)).astype(np.float32)


def box_colour(frames, boxes):
    acc, cnt = np.zeros(3), 0
    for f, (x0, y0, x1, y1) in zip(frames, boxes):
        p = np.asarray(f[y0:y1, x0:x1], np.float64).reshape(-1, 3)
        acc += p.sum(axis=0)
        cnt += len(p)
    return (acc / max(cnt, 1)).astype(np.float32)


def hair_colour(frames, boxes):
    c = box_colour(frames, boxes)
    names = list(av_scenes.HAIR_COLOURS)
    d = [np.linalg.norm(c - np.array(av_scenes.HAIR_COLOURS[k])) for k in names]
    return names[int(np.argmin(d))]


def beard_score(frames, beard_boxes, skin, hair):
    """Where the chin's mean colour lies between the skin (0) and the hair/beard colour (1), clipped to 0..1."""
    c = box_colour(frames, beard_boxes).astype(np.float64)
    skin, hair = np.asarray(skin, np.float64), np.asarray(hair, np.float64)
    axis = hair - skin
    den = float(axis @ axis)
    if den < 1e-6:
        return 0.0
    return float(np.clip((c - skin) @ axis / den, 0.0, 1.0))
