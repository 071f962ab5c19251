#!/usr/bin/env python3
"""Deterministic training data for the built-in AV Edit model: clips whose picture and sound share attributes.

    python3 tools/data/generate_av.py --out DIR --clips N --seed S [--split train|heldout] [--workers 2] [--keep-existing]

85 % speakers (av_scenes.SpeakerFace + espeak-ng: hair, beard, age, expression <-> voice gender, pitch, speed),
15 % scenes without speech (bell, ball, rain with their sounds). Every clip is captioned from its attributes.
Writes DIR/clip_%05d.npz and DIR/index.json (format "omniedit-av-clips/1"); each .npz holds
    frames   uint8 [N,128,128,3]    audio float32 [N*640] (16 kHz mono, 25 fps)
    caption  str                    attrs str (JSON of the attributes)           kind str (speech|bell|ball|rain)
  speech clips, as tools/data/generate.py writes them (opening, visemes, mouth_box, face_seed, sentence, voice) plus
    hair_box, beard_box, side_box, skin_box  int32 [N,4]  where the evaluation looks (see av_scenes)
    espeak_pitch, rate  int;  f0_hz float (median pitch measured in the clean audio, av_measure.median_f0)
    skin_rgb, hair_rgb  float32 [3]  the colours that were drawn
  scenes
    object_box int32 [N,4];  events float32 [E] (seconds of each strike / bounce);  tone_hz float (bell, else 0)
Clips are 49-81 frames (8k+1, 2-3.2 s). A fixed (seed, split, index) gives the same bytes whatever the workers.
Train and held-out splits use disjoint sentences, voices (generate.TRAIN_VOICES / HELDOUT_VOICES) and face seeds.
"""
import argparse
import json
import math
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import av_measure  # noqa: E402
import av_scenes  # noqa: E402
import faces  # noqa: E402
import generate  # noqa: E402
import sentences  # noqa: E402
import speech  # noqa: E402

FPS, SR, SPF = generate.FPS, generate.SR, generate.SPF
FRAME_CHOICES = (49, 57, 65, 73, 81)  # 8k+1 frames: LTX-2's window grid
SCENE_SHARE = 0.15
FORMAT = "omniedit-av-clips/1"


def _sentence(rng, split):
    for _ in range(50):
        if split == "heldout":
            return sentences.HELDOUT[int(rng.integers(len(sentences.HELDOUT)))]
        s = sentences.TRAIN[int(rng.integers(len(sentences.TRAIN)))] if rng.uniform() < 0.6 \
            else sentences.template_sentence(rng)
        if not sentences.is_heldout(s):
            return s
    raise RuntimeError("no training sentence found")


def speaker_clip(rng, split, index):
    attrs = av_scenes.sample_speaker(rng)
    women, men = av_scenes.voices_by_gender(generate.TRAIN_VOICES if split == "train" else generate.HELDOUT_VOICES)
    pool = women if attrs["gender"] == "woman" else men
    voice = pool[int(rng.integers(len(pool)))]
    pitch, rate = av_scenes.speech_params(attrs, rng)
    n = FRAME_CHOICES[int(rng.integers(len(FRAME_CHOICES)))]
    lead, tail = float(rng.uniform(0.05, 0.2)), float(rng.uniform(0.05, 0.2))
    room = n / FPS - lead - tail
    # a sentence that fits at this rate: try a few, then cut the longest fitting prefix of words
    for _ in range(8):
        sentence = _sentence(rng, split)
        raw, events = speech.synthesize(sentence, voice, rate, pitch)
        s0, s1 = speech.speech_span(raw)
        if (s1 - s0) / SR + 0.08 <= room:
            break
    else:
        words = sentence.rstrip(".?!").split()
        while len(words) > 2:
            words = words[:-1]
            sentence = " ".join(words) + "."
            raw, events = speech.synthesize(sentence, voice, rate, pitch)
            s0, s1 = speech.speech_span(raw)
            if (s1 - s0) / SR + 0.08 <= room:
                break
    audio, ev, speech_end = generate.place_speech(raw * float(rng.uniform(0.6, 1.0)), events, lead, n)
    vis = speech.visemes(ev, n, end_time=speech_end)
    face_seed = generate.face_seed_for(rng, split)
    face = av_scenes.SpeakerFace(face_seed, attrs)
    frames, boxes, opening, probes = face.render(vis, motion_seed=index)
    out = {"frames": frames, "audio": audio.astype(np.float32), "caption": np.array(av_scenes.caption(attrs)),
           "attrs": np.array(json.dumps(attrs, sort_keys=True)), "kind": np.array("speech"),
           "opening": opening.astype(np.float32), "visemes": vis.astype(np.float32),
           "mouth_box": boxes.astype(np.int32), "face_seed": np.array(face_seed, np.int64),
           "sentence": np.array(sentence), "voice": np.array(voice),
           "espeak_pitch": np.array(pitch, np.int64), "rate": np.array(rate, np.int64),
           "f0_hz": np.array(av_measure.median_f0(audio), np.float32),
           "skin_rgb": np.array(face.skin, np.float32), "hair_rgb": np.array(face.hair_col, np.float32)}
    out.update({k: v.astype(np.int32) for k, v in probes.items()})
    return out


def scene_clip(rng, split, index):
    attrs = av_scenes.sample_scene(rng)
    n = FRAME_CHOICES[int(rng.integers(len(FRAME_CHOICES)))]
    frames, audio, probes = av_scenes.render_scene(attrs, n, int(rng.integers(0, 2 ** 40)) * 2 + generate.SPLITS[split])
    return {"frames": frames, "audio": audio, "caption": np.array(av_scenes.caption(attrs)),
            "attrs": np.array(json.dumps(attrs, sort_keys=True)), "kind": np.array(attrs["kind"]),
            "object_box": probes["object_box"].astype(np.int32), "events": probes["events"],
            "tone_hz": probes["tone_hz"]}


def make_clip(seed, split, index):
    """Everything for one clip (a pure function of its arguments)."""
    rng = np.random.default_rng([int(seed), 0xAF, generate.SPLITS[split], int(index)])
    if rng.uniform() < SCENE_SHARE:
        return scene_clip(rng, split, index)
    return speaker_clip(rng, split, index)


def _work(job):
    out, seed, split, index, keep = job
    name = "clip_%05d.npz" % index
    path = os.path.join(out, name)
    if keep and os.path.exists(path):  # written by an earlier (interrupted) run with the same seed and split
        with np.load(path, allow_pickle=False) as d:
            z = {k: d[k] for k in d.files}
    else:
        z = make_clip(seed, split, index)
        generate.save_npz(path, z)
    e = {"file": name, "frames": int(len(z["frames"])), "kind": str(z["kind"]), "caption": str(z["caption"]),
         "attrs": json.loads(str(z["attrs"]))}
    if e["kind"] == "speech":
        e.update(sentence=str(z["sentence"]), voice=str(z["voice"]), pitch=int(z["espeak_pitch"]),
                 rate=int(z["rate"]), f0_hz=round(float(z["f0_hz"]), 1))
    return e


def generate_av(out, clips, seed, split="train", workers=2, progress=True, keep_existing=False):
    os.makedirs(out, exist_ok=True)
    if keep_existing and os.path.exists(os.path.join(out, "index.json")):
        with open(os.path.join(out, "index.json")) as f:
            old = json.load(f)
        if (old.get("seed"), old.get("split")) != (seed, split):
            raise SystemExit("%s holds seed %s / %s clips; --keep-existing needs the same seed and split"
                             % (out, old.get("seed"), old.get("split")))
    t0 = time.time()
    entries = generate.run_jobs(_work, [(out, seed, split, i, keep_existing) for i in range(clips)], workers, progress)
    index = {"format": FORMAT, "split": split, "seed": seed, "clips": len(entries),
             "frames": sum(e["frames"] for e in entries), "fps": FPS, "sample_rate": SR, "size": faces.SIZE,
             "entries": entries}
    tmp = os.path.join(out, "index.json.tmp")
    with open(tmp, "w") as f:
        json.dump(index, f, indent=1)
    os.replace(tmp, os.path.join(out, "index.json"))
    return index, time.time() - t0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--clips", type=int, required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--split", choices=sorted(generate.SPLITS), default="train")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--keep-existing", action="store_true",
                    help="reuse clip files already in --out (an interrupted run with the same seed and split)")
    a = ap.parse_args()
    if a.clips < 1:
        ap.error("--clips must be at least 1")
    index, dt = generate_av(a.out, a.clips, a.seed, a.split, a.workers, keep_existing=a.keep_existing)
    print("wrote %d clips, %d frames (%.1f s) to %s in %.0f s" % (index["clips"], index["frames"],
                                                                 index["frames"] / FPS, a.out, dt))


if __name__ == "__main__":
    main()
