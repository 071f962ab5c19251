#!/usr/bin/env python3
"""Measure the built-in AV model's vocoder on held-out speech given the TRUE stereo mel (the mono mel in both
channels, what `common.stereo_mel` makes): does it give back a coherent pair at the source's level, and how strong
is the 100 Hz mel-hop buzz.

    python tools/train_av/vocoder_check.py [--vocoder DIR_OR_CKPT ...] [--clips 16] [--out JSON]
        [--wav OUT.wav --ref SOURCE.wav ...]

--vocoder: an exported `vocoder/` folder (diffusers LTX2Vocoder, f16 on disk, run in f32) or a training checkpoint
`vocoder.pt` (rounded through f16 as the export does); default: the shipped plugin-manifest folder. Several may be
given (before / after side by side). --wav/--ref: also measure finished audio files (e.g. the output of
`omniedit avedit` against its source audio), in pairs.

Per clip (the whole held-out clip, 2-3 s, from $AV_DATA/heldout, first --clips files in name order):
  rms_src, rms_left, rms_right   RMS of the source and of each output channel
  rms_mono                       RMS of the mono mix (L+R)/2 (what a mono speaker or a downmix plays)
  lr_corr                        Pearson correlation of L and R (1: coherent; -1: anti-phase)
  mel_l1, mel_l1_mono            mean |log-mel(output) - input mel| per channel / of the mono mix
  comb_src, comb_out             fraction of the power within +-3 Hz of the 100 Hz harmonics (k * 100 Hz, k = 1..79;
                                 Welch spectrum, 2 Hz bins), of the source and of the mono mix
  comb_channel                   the same of each output channel (mean of L and R)
  buzz_db                        10 log10(comb_out / comb_src): the comb the vocoder adds over the voice's own
  f0_src, f0_out                 median autocorrelation pitch (tools/data/av_measure.py) of the source / mono mix
The summary gives medians (and for f0 the share of clips whose output pitch is within 10 % of the source's, and
the share read as the 100 Hz buzz, 95-105 Hz, where the source is not).
"""
import argparse
import json
import os
import struct
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "data"))
import av_measure  # noqa: E402
import common as C  # noqa: E402

BUZZ_HZ = 100.0  # SR / HOP: the mel frame rate


def load_vocoder(path):
    """An exported folder (f16 safetensors) or a checkpoint .pt (rounded through f16 like the export), in f32."""
    from diffusers.pipelines.ltx2.vocoder import LTX2Vocoder
    if os.path.isdir(path):
        return LTX2Vocoder.from_pretrained(path, torch_dtype=torch.float32).eval()
    ck = torch.load(path, map_location="cpu", weights_only=False)
    m = C.build_vocoder()
    m.load_state_dict({k: v.to(torch.float16).to(torch.float32) for k, v in ck["model"].items()})
    return m.eval()


def comb_fraction(x, sr=C.SR, nfft=8000, width=3.0):
    """Share of the signal's power within +-width Hz of the BUZZ_HZ harmonics (Welch, hann, 50 % overlap)."""
    x = np.asarray(x, np.float64)
    if len(x) < nfft:
        x = np.pad(x, (0, nfft - len(x)))
    w = np.hanning(nfft)
    frames = [x[s:s + nfft] * w for s in range(0, len(x) - nfft + 1, nfft // 2)]
    p = np.mean([np.abs(np.fft.rfft(f)) ** 2 for f in frames], axis=0)
    freqs = np.fft.rfftfreq(nfft, 1.0 / sr)
    k = np.round(freqs / BUZZ_HZ)
    near = (k >= 1) & (np.abs(freqs - k * BUZZ_HZ) <= width)
    return float(p[near].sum() / max(p[1:].sum(), 1e-20))


def corr(a, b):
    a, b = a - a.mean(), b - b.mean()
    d = np.sqrt((a * a).sum() * (b * b).sum())
    return float((a * b).sum() / d) if d > 0 else float("nan")


def rms(x):
    return float(np.sqrt(np.mean(np.asarray(x, np.float64) ** 2)))


def measure_pair(left, right, src, mel=None):
    """Figures of one stereo output (left, right float arrays) against its mono source (and its input mel)."""
    n = min(len(left), len(src))
    left, right, src = (np.asarray(v[:n], np.float64) for v in (left, right, src))
    mono = (left + right) / 2
    comb_src, comb_out = comb_fraction(src), comb_fraction(mono)
    comb_channel = (comb_fraction(left) + comb_fraction(right)) / 2
    r = {"rms_src": rms(src), "rms_left": rms(left), "rms_right": rms(right), "rms_mono": rms(mono),
         "lr_corr": corr(left, right), "comb_src": comb_src, "comb_out": comb_out, "comb_channel": comb_channel,
         "buzz_db": float(10 * np.log10(max(comb_out, 1e-12) / max(comb_src, 1e-12))),
         "f0_src": av_measure.median_f0(src), "f0_out": av_measure.median_f0(mono)}
    if mel is not None:
        t = mel.shape[0]
        lm = lambda v: C.log_mel(torch.from_numpy(v.astype(np.float32)))[:t].numpy()  # noqa: E731
        r["mel_l1"] = float(np.mean([np.abs(lm(ch) - mel).mean() for ch in (left, right)]))
        r["mel_l1_mono"] = float(np.abs(lm(mono) - mel).mean())
    return r


def summary(rows):
    med = lambda k: float(np.median([r[k] for r in rows]))  # noqa: E731
    s = {k: med(k) for k in rows[0] if isinstance(rows[0][k], float)}
    s["clips"] = len(rows)
    s["rms_channel_over_src"] = float(np.median([(r["rms_left"] + r["rms_right"]) / 2 / r["rms_src"] for r in rows]))
    s["rms_mono_over_src"] = float(np.median([r["rms_mono"] / r["rms_src"] for r in rows]))
    s["mono_db_vs_src"] = float(20 * np.log10(s["rms_mono_over_src"]))
    voiced = [r for r in rows if r["f0_src"] > 0]
    if voiced:
        s["f0_within_10pct"] = float(np.mean([abs(r["f0_out"] - r["f0_src"]) <= 0.1 * r["f0_src"] for r in voiced]))
        s["f0_read_as_buzz"] = float(np.mean([95 <= r["f0_out"] <= 105 and not 95 <= r["f0_src"] <= 105
                                              for r in voiced]))
    return s


@torch.no_grad()
def check_vocoder(path, clips):
    voc = load_vocoder(path)
    rows = []
    for f in clips:
        a = np.asarray(np.load(f)["audio"], np.float32)
        a = a[: len(a) // C.HOP * C.HOP]
        mel = C.stereo_mel(torch.from_numpy(a)[None])  # [1, 2, T, 64], both channels the mono mel
        y = voc(mel)[0].numpy()
        r = measure_pair(y[0], y[1], a, mel[0, 0].numpy())
        r["clip"] = os.path.basename(f)
        rows.append(r)
    return {"vocoder": path, "summary": summary(rows), "clips": rows}


def read_wav(path):
    """(float64 [frames, channels], rate) of a RIFF WAVE file: PCM 16/24/32-bit or IEEE float 32/64."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise SystemExit("%s: not a RIFF WAVE file" % path)
    pos, fmt, pcm = 12, None, None
    while pos + 8 <= len(data):
        cid, size = data[pos:pos + 4], struct.unpack("<I", data[pos + 4:pos + 8])[0]
        body = data[pos + 8:pos + 8 + min(size, len(data) - pos - 8)]
        if cid == b"fmt ":
            tag, ch, rate, _, _, bits = struct.unpack("<HHIIHH", body[:16])
            if tag == 0xFFFE and len(body) >= 26:
                tag = struct.unpack("<H", body[24:26])[0]
            fmt = (tag, ch, rate, bits)
        elif cid == b"data":
            pcm = body
        pos += 8 + size + (size & 1)
    if fmt is None or pcm is None:
        raise SystemExit("%s: no fmt or data chunk" % path)
    tag, ch, rate, bits = fmt
    if tag == 3 and bits in (32, 64):
        x = np.frombuffer(pcm[: len(pcm) // (bits // 8) * (bits // 8)], "<f%d" % (bits // 8)).astype(np.float64)
    elif tag == 1 and bits in (16, 32):
        x = np.frombuffer(pcm[: len(pcm) // (bits // 8) * (bits // 8)], "<i%d" % (bits // 8)) / 2.0 ** (bits - 1)
    elif tag == 1 and bits == 24:
        b = np.frombuffer(pcm[: len(pcm) // 3 * 3], np.uint8).reshape(-1, 3).astype(np.int32)
        v = b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16)
        x = np.where(v >= 1 << 23, v - (1 << 24), v) / 2.0 ** 23
    else:
        raise SystemExit("%s: unsupported WAVE format %d / %d bits" % (path, tag, bits))
    return x[: len(x) // ch * ch].reshape(-1, ch), rate


def check_wav(out_path, ref_path):
    out, r1 = read_wav(out_path)
    ref, r2 = read_wav(ref_path)
    if r1 != r2:
        raise SystemExit("%s and %s: sample rates differ (%d, %d)" % (out_path, ref_path, r1, r2))
    left, right = out[:, 0], out[:, -1]
    r = measure_pair(left, right, ref.mean(axis=1))
    r["rms_mono_over_src"] = r["rms_mono"] / max(r["rms_src"], 1e-12)
    r["mono_db_vs_src"] = float(20 * np.log10(max(r["rms_mono_over_src"], 1e-12)))
    return {"output": out_path, "source": ref_path, "channels": out.shape[1], **r}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vocoder", action="append", default=None)
    ap.add_argument("--clips", type=int, default=16)
    ap.add_argument("--wav", action="append", default=[], help="an output audio file (pairs with --ref)")
    ap.add_argument("--ref", action="append", default=[], help="its source audio file")
    ap.add_argument("--no-clips", action="store_true", help="measure only the --wav files")
    ap.add_argument("--out")
    a = ap.parse_args()
    torch.set_num_threads(int(os.environ.get("TORCH_THREADS", "1")))
    if len(a.wav) != len(a.ref):
        raise SystemExit("--wav and --ref come in pairs")
    res = {"vocoders": [], "files": []}
    if not a.no_clips:
        clips = C.list_clips("heldout")[: a.clips]
        if len(clips) < a.clips:
            raise SystemExit("only %d held-out clips in %s" % (len(clips), C.DATA))
        for path in a.vocoder or [os.path.join(C.EXPORT_DIR, "vocoder")]:
            r = check_vocoder(path, clips)
            res["vocoders"].append(r)
            print("%s\n  %s" % (path, json.dumps({k: round(v, 4) for k, v in r["summary"].items()})), flush=True)
    for o, s in zip(a.wav, a.ref):
        r = check_wav(o, s)
        res["files"].append(r)
        print("%s vs %s\n  %s" % (o, s, json.dumps({k: (round(v, 4) if isinstance(v, float) else v)
                                                   for k, v in r.items() if k not in ("output", "source")})))
    if a.out:
        C.dump_json(a.out, res)


if __name__ == "__main__":
    main()
