#!/usr/bin/env python3
"""Held-out LipSync evaluation cases, each a folder shaped like Examples/ (clip/, truth/, source.wav,
voice.wav, example.json), for `omniedit bench lipsync --cases DIR`.

Every case is a held-out face (odd seed) with a held-out voice saying held-out sentence A (the clip), and
the same face and head motion saying held-out sentence B (the ground truth for the target audio B).
Deterministic: the same arguments write the same files.

    /work/venv/bin/python tools/eval/make_cases.py --out /work/eval-cases --cases 8
"""
import argparse
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data"))
import faces  # noqa: E402
import generate  # noqa: E402
import make_example  # noqa: E402
import mouth_metric  # noqa: E402
import sentences  # noqa: E402


def make_case(out, index, n_frames=75):
    rng = np.random.default_rng(1000 + index)
    voice = generate.HELDOUT_VOICES[index % len(generate.HELDOUT_VOICES)]
    a, b = rng.choice(len(sentences.HELDOUT), size=2, replace=False)
    sentence_a, sentence_b = sentences.HELDOUT[a], sentences.HELDOUT[b]
    face_seed = 2 * (5000 + index) + 1
    motion_seed = 100 + index
    make_example.VOICE = voice
    make_example.PITCH = int(rng.integers(35, 70))
    face = faces.Face(face_seed)
    audio_a, vis_a, rate_a = make_example.speak_to_fit(sentence_a, n_frames)
    audio_b, vis_b, rate_b = make_example.speak_to_fit(sentence_b, n_frames)
    frames_a, boxes, open_a = face.render(vis_a, motion_seed)
    frames_b, _, open_b = face.render(vis_b, motion_seed)
    os.makedirs(out, exist_ok=True)
    make_example.write_frames(os.path.join(out, "clip"), frames_a)
    make_example.write_frames(os.path.join(out, "truth"), frames_b)
    make_example.write_wav(os.path.join(out, "source.wav"), audio_a)
    make_example.write_wav(os.path.join(out, "voice.wav"), audio_b)
    m_src, m_truth = mouth_metric.measure(frames_a, boxes), mouth_metric.measure(frames_b, boxes)
    r = lambda x, y: round(float(np.corrcoef(x, y)[0, 1]), 4)  # noqa: E731
    meta = {
        "frames": n_frames, "fps": generate.FPS, "sample_rate": generate.SR, "size": faces.SIZE,
        "face_seed": face_seed, "motion_seed": motion_seed, "voice": voice,
        "source": {"sentence": sentence_a, "rate_wpm": rate_a, "opening": [round(float(v), 4) for v in open_a]},
        "target": {"sentence": sentence_b, "rate_wpm": rate_b, "opening": [round(float(v), 4) for v in open_b]},
        "mouth_box": [[int(x) for x in bx] for bx in boxes],
        "sync_r": {"truth_vs_target": r(m_truth, open_b), "source_vs_target_floor": r(m_src, open_b)},
    }
    with open(os.path.join(out, "example.json"), "w") as f:
        json.dump(meta, f)
    return meta


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--cases", type=int, default=8)
    a = ap.parse_args()
    for i in range(a.cases):
        m = make_case(os.path.join(a.out, "case%02d" % i), i)
        print("case%02d: %s | %s (%s) floor r %.2f" % (i, m["source"]["sentence"], m["target"]["sentence"], m["voice"],
                                                        m["sync_r"]["source_vs_target_floor"]))


if __name__ == "__main__":
    main()
