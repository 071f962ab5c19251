#!/usr/bin/env python3
"""The AV Edit example clip (Examples/avedit/): the first frames of one held-out generated clip as PNGs, its sound as
a 16 kHz WAV, and its caption (the source prompt) plus a target caption in the same style (av_scenes.caption).

    python3 tools/data/generate_av.py --out /work/data_av/heldout --clips 48 --split heldout --seed 2
    python3 tools/data/make_av_example.py --clip /work/data_av/heldout/clip_00026.npz --frames 49 --out Examples/avedit
"""
import argparse
import json
import os
import sys
import wave

import numpy as np
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import av_scenes  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--clip", required=True)
    ap.add_argument("--frames", type=int, default=49)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    d = np.load(a.clip, allow_pickle=False)
    frames = d["frames"][: a.frames]
    audio = d["audio"][: len(frames) * 640]
    os.makedirs(os.path.join(a.out, "clip"), exist_ok=True)
    for i, f in enumerate(frames):
        Image.fromarray(f).save(os.path.join(a.out, "clip", "face%04d.png" % (i + 1)), optimize=True)
    pcm = (np.clip(audio, -1, 1) * 32767).round().astype("<i2")
    with wave.open(os.path.join(a.out, "source.wav"), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(pcm.tobytes())
    attrs = json.loads(str(d["attrs"]))
    target = av_scenes.edit_target(attrs, "gender")
    prompts = {"source": av_scenes.caption(attrs), "target": av_scenes.caption(target),
               "from": os.path.basename(a.clip), "frames": len(frames), "fps": 25}
    with open(os.path.join(a.out, "prompts.json"), "w") as f:
        json.dump(prompts, f, indent=1)
    for role in ("source", "target"):  # plain text for Examples/demo.sh
        with open(os.path.join(a.out, role + "-prompt.txt"), "w") as f:
            f.write(prompts[role] + "\n")
    print(json.dumps(prompts))


if __name__ == "__main__":
    main()
