#!/usr/bin/env python3
"""Deterministic training data for the built-in LipSync model: procedural faces speaking espeak-ng sentences.

    python3 tools/data/generate.py --out DIR --clips N --seed S [--split train|heldout] [--workers 2]

Writes DIR/clip_%05d.npz (one per clip) and DIR/index.json. Each .npz holds
    frames     uint8   [N, 128, 128, 3]
    audio      float32 [N * 640]  16 kHz mono (25 fps, 640 samples per frame)
    opening    float32 [N]        viseme mouth opening 0..1 (what was drawn)
    visemes    float32 [N, 3]     opening, width, rounding
    mouth_box  int32   [N, 4]     x0, y0, x1, y1 in pixels (x1, y1 exclusive)
    face_seed  int64   scalar
    sentence   str (numpy unicode scalar)
    voice      str
A fixed (seed, split, clip index) gives the same bytes, whatever the number of workers.
Train and held-out splits use disjoint sentences, voices and face seeds (even / odd).
"""
import argparse
import io
import json
import math
import os
import sys
import time
import zipfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import faces  # noqa: E402
import sentences  # noqa: E402
import speech  # noqa: E402

FPS, SR, SPF = 25, 16000, 640
MIN_FRAMES, MAX_FRAMES = 50, 100  # 2-4 s

TRAIN_VOICES = ["en", "en+m1", "en+m2", "en+m3", "en+m4", "en+m7", "en+f1", "en+f2", "en+f3", "en-us",
                "en-us+m3", "en-us+f2", "en-us+m7", "en-gb-scotland", "en-gb-scotland+f3", "en-gb-x-rp+m2",
                "en-gb-x-rp+f1"]
HELDOUT_VOICES = ["en-us+f4", "en-029+m6", "en-gb-x-gbclan+f5", "en+m5"]
assert not set(TRAIN_VOICES) & set(HELDOUT_VOICES)
SPLITS = {"train": 0, "heldout": 1}


def face_seed_for(rng, split):
    """Face seeds: even for train, odd for held-out, so the two never share a face."""
    return int(rng.integers(0, 2 ** 40)) * 2 + SPLITS[split]


def place_speech(raw, events, lead_s, n_frames):
    """Trim espeak's own silence, put the speech `lead_s` into a zero track of n_frames*640 samples."""
    s0, s1 = speech.speech_span(raw)
    s0 = max(0, s0 - int(0.03 * SR))
    s1 = min(len(raw), s1 + int(0.05 * SR))
    seg = raw[s0:s1]
    audio = np.zeros(n_frames * SPF, np.float32)
    a = int(round(lead_s * SR))
    k = max(0, min(len(seg), len(audio) - a))
    audio[a:a + k] = seg[:k]
    shift = lead_s - s0 / SR
    ev = [(t + shift, p) for t, p in events]
    return audio, ev, (a + len(seg)) / SR


def make_clip(seed, split, index):
    """Everything for one clip, as a dict of arrays (pure function of its arguments)."""
    rng = np.random.default_rng([int(seed), SPLITS[split], int(index)])
    voices = TRAIN_VOICES if split == "train" else HELDOUT_VOICES
    voice = voices[int(rng.integers(len(voices)))]
    rate = int(rng.integers(135, 201))
    pitch = int(rng.integers(25, 76))
    lead = float(rng.uniform(0.1, 0.5))
    tail = float(rng.uniform(0.1, 0.4))
    gain = float(rng.uniform(0.6, 1.0))
    for attempt in range(20):
        if split == "heldout":
            sentence = sentences.HELDOUT[int(rng.integers(len(sentences.HELDOUT)))]
        elif rng.uniform() < 0.6:
            sentence = sentences.TRAIN[int(rng.integers(len(sentences.TRAIN)))]
        else:
            sentence = sentences.template_sentence(rng)
            if sentences.is_heldout(sentence):
                continue
        raw, events = speech.synthesize(sentence, voice, rate, pitch)
        s0, s1 = speech.speech_span(raw)
        dur = (s1 - s0) / SR + 0.08
        if lead + dur + tail <= MAX_FRAMES / FPS:
            break
        rate = min(260, rate + 20)  # too long: speak faster, or another sentence next time
    n = int(math.ceil((lead + dur + tail) * FPS))
    n = max(MIN_FRAMES, min(MAX_FRAMES, n))
    audio, ev, speech_end = place_speech(raw * gain, events, lead, n)
    vis = speech.visemes(ev, n, end_time=speech_end)
    face_seed = face_seed_for(rng, split)
    face = faces.Face(face_seed)
    frames, boxes, opening = face.render(vis, motion_seed=index)
    return {
        "frames": frames, "audio": audio.astype(np.float32), "opening": opening.astype(np.float32),
        "visemes": vis.astype(np.float32), "mouth_box": boxes.astype(np.int32),
        "face_seed": np.array(face_seed, dtype=np.int64), "sentence": np.array(sentence), "voice": np.array(voice),
    }, {"rate": rate, "pitch": pitch}


def save_npz(path, arrays, compress=True):
    """Like np.savez_compressed but byte-for-byte reproducible (fixed zip timestamps, fixed order)."""
    tmp = path + ".tmp"
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED, allowZip64=True) as z:
        for key, arr in arrays.items():
            buf = io.BytesIO()
            np.lib.format.write_array(buf, np.asanyarray(arr), allow_pickle=False)
            info = zipfile.ZipInfo(key + ".npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
            info.external_attr = 0o644 << 16
            z.writestr(info, buf.getvalue(), compresslevel=6 if compress else None)
    os.replace(tmp, path)


def _work(job):
    out, seed, split, index = job
    name = "clip_%05d.npz" % index
    arrays, extra = make_clip(seed, split, index)
    save_npz(os.path.join(out, name), arrays)
    return {"file": name, "frames": int(len(arrays["frames"])), "sentence": str(arrays["sentence"]),
            "voice": str(arrays["voice"]), "face_seed": int(arrays["face_seed"]), **extra}


def generate(out, clips, seed, split="train", workers=2, progress=True):
    os.makedirs(out, exist_ok=True)
    t0 = time.time()
    entries = run_jobs(_work, [(out, seed, split, i) for i in range(clips)], workers, progress)
    frames = sum(e["frames"] for e in entries)
    index = {"format": "omniedit-lipsync-clips/1", "split": split, "seed": seed, "clips": len(entries),
             "frames": frames, "fps": FPS, "sample_rate": SR, "size": faces.SIZE, "entries": entries}
    with open(os.path.join(out, "index.json"), "w") as f:
        json.dump(index, f, indent=1)
    return index, time.time() - t0


def run_jobs(work, jobs, workers, progress):
    """work(job) for every job, in order, over `workers` forked processes; the results in job order."""
    t0 = time.time()
    entries = []
    if workers > 1:
        import multiprocessing as mp
        with mp.get_context("fork").Pool(workers) as pool:
            for e in pool.imap(work, jobs, chunksize=2):
                entries.append(e)
                _progress(progress, len(entries), len(jobs), t0)
    else:
        for j in jobs:
            entries.append(work(j))
            _progress(progress, len(entries), len(jobs), t0)
    return entries


def _progress(on, done, total, t0):
    if on and (done == total or done % 25 == 0):
        dt = time.time() - t0
        print("%d/%d clips, %.0f s, %.2f clips/s" % (done, total, dt, done / max(dt, 1e-9)), flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--clips", type=int, required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--split", choices=sorted(SPLITS), default="train")
    ap.add_argument("--workers", type=int, default=2)
    a = ap.parse_args()
    index, dt = generate(a.out, a.clips, a.seed, a.split, a.workers)
    print("wrote %d clips, %d frames (%.1f s of video) to %s in %.0f s (%.0f frames/s)"
          % (index["clips"], index["frames"], index["frames"] / FPS, a.out, dt, index["frames"] / dt))


if __name__ == "__main__":
    main()
