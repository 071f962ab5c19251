#!/usr/bin/env python3
"""The Swift AV Edit bench beside the PyTorch reference, case by case: does the Swift job edit as sample_eval does?

    python3 tools/eval/compare_av_bench.py SWIFT.json PYTHON.json [--sampler omniEdit]

SWIFT.json: `omniedit bench-avedit --cases DIR --json SWIFT.json` on cases of tools/eval/make_av_cases.py (default
arguments: sample_eval's first held-out speech clips, one window). PYTHON.json: tools/train_av/sample_eval.py --out
(same clips, same cfg). Rows are matched by clip order and edit kind. Prints, per edit, what each side read (hair,
beard, background PSNR, the change of the output sound's low-band centroid vs its round trip) and how often the
attribute decisions agree. The two samplers draw different noise, so small differences are expected.
"""
import argparse
import json
import sys

PY_METHOD = {"omniEdit": "omniedit", "flowEdit": "flowedit", "omniEditRandomNoise": "random"}


def pct(a, b):
    return 100.0 * (a - b) / b if b else float("nan")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("swift")
    ap.add_argument("python")
    ap.add_argument("--sampler", default="omniEdit")
    a = ap.parse_args()
    sw = json.load(open(a.swift))
    py = json.load(open(a.python))
    clips, ref = [], {}
    for r in py["rows"]:
        if r["clip"] not in clips:
            clips.append(r["clip"])
        ref[clips.index(r["clip"]), r["case"], r["method"]] = r
    print("| case | edit | hair swift / python | beard | background dB | sound centroid change % (vs round trip) |")
    print("|---|---|---|---|---|---|")
    agree = {"hair": 0, "beard": 0, "voice direction": 0, "voice counted": 0, "n": 0}
    for r in sw["rows"]:
        if r["sampler"] != a.sampler:
            continue
        p = ref.get((int(r["case"][4:]), r["kind"], PY_METHOD[r["sampler"]]))
        if p is None:
            continue
        wave = "%+.1f / %+.1f" % (r["mel_change_pct"], pct(p["wave_centroid"], p["wave_centroid_roundtrip"])) \
            if "wave_centroid" in p else "%+.1f / –" % r["mel_change_pct"]
        print("| %s | %s | %s / %s | %.2f / %.2f | %.1f / %.1f | %s |" % (
            r["case"], r["kind"], r["hair"], p["hair"], r["beard"], p["beard"], r["keep_psnr"], p["keep_psnr"], wave))
        agree["n"] += 1
        agree["hair"] += r["hair"] == p["hair"]
        agree["beard"] += (r["beard"] > 0.5) == (p["beard"] > 0.5)
        if r["mel_moved_right"] is not None and p.get("wave_moved_right") is not None:
            agree["voice counted"] += 1
            agree["voice direction"] += r["mel_moved_right"] == p["wave_moved_right"]
    if not agree["n"]:
        sys.exit("no edit of %s matched a row of %s" % (a.swift, a.python))
    print("\nsame decision: hair %d/%d, beard %d/%d, voice direction %d/%d" % (
        agree["hair"], agree["n"], agree["beard"], agree["n"], agree["voice direction"], agree["voice counted"]))


if __name__ == "__main__":
    main()
