#!/usr/bin/env python3
"""Writes the demo media in Examples/ (deterministic; numpy + Pillow + espeak-ng):

    Examples/clip/face0001.png ... face0075.png   a held-out face saying sentence A (3 s at 25 fps, 128x128 RGB)
    Examples/source.wav                           sentence A, 16 kHz mono 16-bit, exactly 75 * 640 samples
    Examples/voice.wav                            sentence B, same voice, same length (the target audio)
    Examples/truth/face0001.png ... face0075.png  the same face and head motion saying sentence B (ground truth)
    Examples/example.json                         sentences, voice, rates, mouth boxes and openings per frame, the
                                                  measured openings and their sync correlations (truth, floor)

The face, sentences and voice are all from the held-out split (never in training data).
    python3 tools/data/make_example.py [--out Examples]
"""
import argparse
import glob
import json
import os
import sys
import wave

import numpy as np
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import faces  # noqa: E402
import generate  # noqa: E402
import mouth_metric  # noqa: E402
import sentences  # noqa: E402
import speech  # noqa: E402

N_FRAMES = 75
SENTENCE_A = "Bob opened the map and pointed to the moon."
SENTENCE_B = "We ordered soup, bread and a big salad."  # chosen so its openings correlate little with A (r 0.11)
VOICE = "en-us+f4"
PITCH = 50
FACE_SEED = 2 * 1004 + 1  # odd: a held-out face
MOTION_SEED = 7
LEAD_S, TAIL_S = 0.16, 0.12

assert SENTENCE_A in sentences.HELDOUT and SENTENCE_B in sentences.HELDOUT
assert VOICE in generate.HELDOUT_VOICES


def speak_to_fit(sentence, n_frames, rate=165):
    """Synthesize at `rate`, speeding up in 5-wpm steps until lead + speech + tail fits in n_frames."""
    room = n_frames / generate.FPS - LEAD_S - TAIL_S
    while True:
        raw, events = speech.synthesize(sentence, VOICE, rate, PITCH)
        s0, s1 = speech.speech_span(raw)
        if (s1 - s0) / generate.SR + 0.08 <= room or rate >= 300:
            break
        rate += 5
    audio, ev, end = generate.place_speech(raw, events, LEAD_S, n_frames)
    return audio, speech.visemes(ev, n_frames, end_time=end), rate


def write_wav(path, audio):
    pcm = np.clip(np.round(audio * 32767.0), -32768, 32767).astype("<i2")
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(generate.SR)
        w.writeframes(pcm.tobytes())


def write_frames(folder, frames):
    os.makedirs(folder, exist_ok=True)
    for old in glob.glob(os.path.join(folder, "face*.png")):
        os.remove(old)
    for i, f in enumerate(frames):
        Image.fromarray(f).save(os.path.join(folder, "face%04d.png" % (i + 1)), optimize=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "Examples"))
    a = ap.parse_args()
    out = os.path.abspath(a.out)
    face = faces.Face(FACE_SEED)
    audio_a, vis_a, rate_a = speak_to_fit(SENTENCE_A, N_FRAMES)
    audio_b, vis_b, rate_b = speak_to_fit(SENTENCE_B, N_FRAMES)
    assert len(audio_a) == len(audio_b) == N_FRAMES * generate.SPF
    frames_a, boxes, open_a = face.render(vis_a, MOTION_SEED)
    frames_b, boxes_b, open_b = face.render(vis_b, MOTION_SEED)
    assert np.array_equal(boxes, boxes_b)
    m_src, m_truth = mouth_metric.measure(frames_a, boxes), mouth_metric.measure(frames_b, boxes)
    r = lambda x, y: round(float(np.corrcoef(x, y)[0, 1]), 4)  # noqa: E731
    write_frames(os.path.join(out, "clip"), frames_a)
    write_frames(os.path.join(out, "truth"), frames_b)
    write_wav(os.path.join(out, "source.wav"), audio_a)
    write_wav(os.path.join(out, "voice.wav"), audio_b)
    meta = {
        "frames": N_FRAMES, "fps": generate.FPS, "sample_rate": generate.SR, "size": faces.SIZE,
        "face_seed": FACE_SEED, "motion_seed": MOTION_SEED, "voice": VOICE, "pitch": PITCH,
        "source": {"sentence": SENTENCE_A, "rate_wpm": rate_a, "frames": "clip/face####.png", "audio": "source.wav",
                   "opening": [round(float(v), 4) for v in open_a],
                   "visemes": [[round(float(x), 4) for x in v] for v in vis_a]},
        "target": {"sentence": SENTENCE_B, "rate_wpm": rate_b, "frames": "truth/face####.png", "audio": "voice.wav",
                   "opening": [round(float(v), 4) for v in open_b],
                   "visemes": [[round(float(x), 4) for x in v] for v in vis_b]},
        "mouth_box": [[int(x) for x in b] for b in boxes],
        "measured_opening": {"source": [round(float(v), 4) for v in m_src],
                             "truth": [round(float(v), 4) for v in m_truth]},
        "sync_r": {"truth_vs_target": r(m_truth, open_b), "source_vs_target_floor": r(m_src, open_b),
                   "source_vs_source": r(m_src, open_a),
                   "note": "Pearson r of mouth_metric.measure() on the frames with the true openings"},
        "mouth_box_format": "x0, y0, x1, y1 in pixels (x1, y1 exclusive), frame 1 first; the same for source and truth",
    }
    with open(os.path.join(out, "example.json"), "w") as f:
        json.dump(meta, f, indent=None, separators=(",", ":"))
        f.write("\n")
    print("wrote %s: clip/ and truth/ (%d frames), source.wav (rate %d), voice.wav (rate %d), example.json"
          % (out, N_FRAMES, rate_a, rate_b))


if __name__ == "__main__":
    main()
