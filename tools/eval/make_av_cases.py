#!/usr/bin/env python3
"""Held-out AV Edit evaluation cases for `omniedit bench-avedit --cases DIR`, one folder per clip:

    caseNN/clip/face####.png   the clip's first --frames frames (128x128 RGB, 25 fps)
    caseNN/source.wav          its sound (16 kHz mono, 16-bit)
    caseNN/case.json           the source prompt and attributes, one target prompt per edit kind (gender, hair,
                               pitch: av_scenes.edit_target), and the generator's labels saying where to look

The clips are the speech clips of `generate_av.py --split heldout --seed 2` in index order (the same clips, in the
same order, as tools/train_av/sample_eval.py reads from /work/data_av/heldout), made here directly from the
generator, so no data folder is needed. Deterministic: the same arguments write the same files.

case.json labels (pixels of the 128 grid, boxes x0, y0, x1, y1 with exclusive ends, one per frame):
    boxes.hair / beard / skin / side / mouth   av_scenes' probe boxes and the mouth box (moving with the head)
    head_box        the region the background PSNR leaves out (sample_eval.background_mask: all but the corners)
    hair_colours    the named colours the hair box is read against (av_scenes.HAIR_COLOURS)
    gender_f0_hz    the voice-gender threshold on the median f0 (av_measure.GENDER_F0_HZ)
    python_source   the attributes av_measure / mouth_metric read from the source itself (a check of the readers)

    /work/venv/bin/python tools/eval/make_av_cases.py --out /work/avedit-cases --cases 6
"""
import argparse
import json
import os
import sys
import wave

import numpy as np
from PIL import Image

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data"))
import av_measure  # noqa: E402
import av_scenes  # noqa: E402
import generate_av  # noqa: E402
import mouth_metric  # noqa: E402

FORMAT = "omniedit-avedit-case/1"
HEAD_BOX = [20, 16, 108, 128]  # sample_eval.background_mask: m[16:, 20:108] = False


def write_wav16(path, audio, rate=16000):
    pcm = (np.clip(audio, -1, 1) * 32767).round().astype("<i2")
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())


def source_measures(frames, audio, boxes):
    """What the Python readers see in the source clip (sample_eval.measure on the source)."""
    n = len(frames)
    skin = av_measure.box_colour(frames, boxes["skin"])
    hair_rgb = av_measure.box_colour(frames, boxes["hair"])
    mouth = mouth_metric.measure(frames, boxes["mouth"])
    env = av_measure.envelope(audio, n)
    sync = float(np.corrcoef(mouth, env)[0, 1]) if mouth.std() > 1e-6 and env.std() > 1e-9 else None
    return {"hair": av_measure.hair_colour(frames, boxes["hair"]),
            "beard": round(av_measure.beard_score(frames, boxes["beard"], skin, hair_rgb), 4),
            "f0_hz": round(av_measure.median_f0(audio), 2), "sync_r": None if sync is None else round(sync, 4)}


def make_case(out, clip, index, number, n_frames):
    frames = clip["frames"][:n_frames]
    audio = clip["audio"][:n_frames * generate_av.SPF].astype(np.float64)
    attrs = json.loads(str(clip["attrs"]))
    boxes = {k: clip[k + "_box"][:n_frames] for k in ("hair", "beard", "skin", "side", "mouth")}
    os.makedirs(os.path.join(out, "clip"), exist_ok=True)
    for i, f in enumerate(frames):
        Image.fromarray(f).save(os.path.join(out, "clip", "face%04d.png" % (i + 1)), optimize=True)
    write_wav16(os.path.join(out, "source.wav"), audio)
    pcm = np.round(np.clip(audio, -1, 1) * 32767) / 32768.0  # what a reader of the WAV gets back
    meta = {
        "format": FORMAT, "generator": {"script": "tools/data/generate_av.py", "split": "heldout", "seed": 2,
                                        "index": index, "voice": str(clip["voice"]), "sentence": str(clip["sentence"])},
        "frames": n_frames, "fps": generate_av.FPS, "sample_rate": generate_av.SR, "size": int(frames.shape[1]),
        "seed": number + 1,  # sample_eval's seed of its (number+1)-th clip
        "source": {"prompt": av_scenes.caption(attrs), "attrs": attrs},
        "targets": [{"kind": k, "prompt": av_scenes.caption(av_scenes.edit_target(attrs, k)),
                     "attrs": av_scenes.edit_target(attrs, k)} for k in av_scenes.EDIT_KINDS],
        "boxes": {k: [[int(v) for v in b] for b in boxes[k]] for k in boxes},
        "head_box": HEAD_BOX,
        "hair_colours": {k: list(v) for k, v in av_scenes.HAIR_COLOURS.items()},
        "gender_f0_hz": av_measure.GENDER_F0_HZ,
        "python_source": source_measures(frames, pcm, boxes),
    }
    tmp = os.path.join(out, "case.json.tmp")
    with open(tmp, "w") as f:
        json.dump(meta, f, indent=1)
    os.replace(tmp, os.path.join(out, "case.json"))
    return meta


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--cases", type=int, default=6, help="speech clips (sample_eval's first N held-out clips)")
    ap.add_argument("--frames", type=int, default=25, help="frames per clip: 25 = one window (sample_eval's), up to 49")
    ap.add_argument("--indices", help="comma-separated held-out clip indices instead of the first speech clips "
                                      "(26 = the clip of Examples/avedit)")
    a = ap.parse_args()
    if a.cases < 1 or not 9 <= a.frames <= 49:
        ap.error("--cases must be at least 1 and --frames between 9 and 49 (every held-out clip has 49 or more)")
    if a.indices:
        for number, index in enumerate(int(i) for i in a.indices.split(",")):
            clip = generate_av.make_clip(2, "heldout", index)
            if str(clip["kind"]) != "speech":
                ap.error("held-out clip %d is a %s scene, not a speaker" % (index, clip["kind"]))
            m = make_case(os.path.join(a.out, "case%02d" % number), clip, index, number, a.frames)
            print("case%02d (clip_%05d): %s" % (number, index, m["source"]["prompt"]), flush=True)
        return
    number, index = 0, 0
    while number < a.cases:
        clip = generate_av.make_clip(2, "heldout", index)
        if str(clip["kind"]) == "speech":
            m = make_case(os.path.join(a.out, "case%02d" % number), clip, index, number, a.frames)
            print("case%02d (clip_%05d): %s | f0 %.0f Hz, hair read %s, beard %.2f" % (
                number, index, m["source"]["prompt"], m["python_source"]["f0_hz"], m["python_source"]["hair"],
                m["python_source"]["beard"]), flush=True)
            number += 1
        index += 1


if __name__ == "__main__":
    main()
