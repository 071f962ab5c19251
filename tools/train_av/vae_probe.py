#!/usr/bin/env python3
"""Do the stage-1 autoencoders carry what the editor must change?  Round trip (encode -> posterior mean -> decode) of
held-out clips through the video VAE checkpoint ($AV_CKPT/video_vae.pt) or an exported folder, read where the
generator's labels say to look:

  hair      the nearest named hair colour in the hair box after the round trip == the clip's hair label
  beard     av_measure.beard_score in the jaw box > 0.5 == the clip's beard label
  PSNR      whole frame, hair box, jaw box, mouth box (128-pixel grid, bilinear up from the model's 64)
  audio     mean |log-mel| error of the audio VAE round trip (if its checkpoint is there)

    python tools/train_av/vae_probe.py [--clips 16] [--model EXPORT_DIR] [--out FILE.json]

The DiT can only edit what survives this round trip, so this is the gate before training it.
"""
import argparse
import json
import os
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "data"))
import av_measure  # noqa: E402
import common as C  # noqa: E402
from sample_eval import to128  # noqa: E402


def box_psnr(a, b, boxes):
    err, cnt = 0.0, 0
    for fa, fb, (x0, y0, x1, y1) in zip(a, b, boxes):
        d = fa[y0:y1, x0:x1].astype(np.float64) - fb[y0:y1, x0:x1].astype(np.float64)
        err += (d ** 2).sum()
        cnt += d.size
    return float(10 * np.log10(255.0 ** 2 / max(err / max(cnt, 1), 1e-10)))


def load_models(model_dir):
    if model_dir:
        from diffusers import AutoencoderKLLTX2Audio, AutoencoderKLLTX2Video
        f32 = dict(torch_dtype=torch.float32)
        return (AutoencoderKLLTX2Video.from_pretrained(os.path.join(model_dir, "vae"), **f32).eval(),
                AutoencoderKLLTX2Audio.from_pretrained(os.path.join(model_dir, "audio_vae"), **f32).eval())
    out = []
    for name, build in (("video_vae", C.build_video_vae), ("audio_vae", C.build_audio_vae)):
        ck = C.load_ckpt(name)
        m = None
        if ck is not None:
            m = build()
            m.load_state_dict(ck["model"])
            m.eval()
        out.append(m)
    return out


@torch.no_grad()
def probe(vae, audio_vae, data, clips):
    rows = []
    for path in C.list_clips_in(data):
        if len(rows) >= clips:
            break
        clip = C.load_clip(path)
        if str(clip["kind"]) != "speech":
            continue
        attrs = json.loads(str(clip["attrs"]))
        v, a = C.window(clip, 0)
        src = clip["frames"][:C.WINDOW]
        row = {"clip": os.path.basename(path), "hair_label": attrs["hair"], "beard_label": bool(attrs["beard"])}
        if vae is not None:
            rec = to128(vae.decode(vae.encode(v[None]).latent_dist.mode()).sample[0].clamp(-1, 1))
            boxes = {k: clip[k][:C.WINDOW] for k in ("hair_box", "beard_box", "skin_box", "mouth_box")}
            skin = av_measure.box_colour(rec, boxes["skin_box"])
            hair_rgb = av_measure.box_colour(rec, boxes["hair_box"])
            row.update(hair=av_measure.hair_colour(rec, boxes["hair_box"]),
                       beard=av_measure.beard_score(rec, boxes["beard_box"], skin, hair_rgb),
                       frame_psnr=box_psnr(rec, src, [(0, 0, 128, 128)] * C.WINDOW),
                       hair_psnr=box_psnr(rec, src, boxes["hair_box"]),
                       jaw_psnr=box_psnr(rec, src, boxes["beard_box"]),
                       mouth_psnr=box_psnr(rec, src, boxes["mouth_box"]))
            row["hair_ok"] = row["hair"] == attrs["hair"]
            row["beard_ok"] = (row["beard"] > 0.5) == bool(attrs["beard"])
        if audio_vae is not None:
            mel = C.stereo_mel(a[None])
            y = audio_vae.decode(audio_vae.encode(mel).latent_dist.mode()).sample
            row["mel_l1"] = float((y - mel[:, :, :y.shape[2]]).abs().mean())
        rows.append(row)
    summary = {"clips": len(rows)}
    for k in ("hair_ok", "beard_ok", "frame_psnr", "hair_psnr", "jaw_psnr", "mouth_psnr", "mel_l1"):
        vals = [r[k] for r in rows if k in r]
        if vals:
            summary[k] = float(np.mean(vals))
    return summary, rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--clips", type=int, default=16)
    ap.add_argument("--data", default=os.path.join(C.DATA, "heldout"))
    ap.add_argument("--model", default="", help="an exported folder (default: the checkpoints in $AV_CKPT)")
    ap.add_argument("--out", default="")
    a = ap.parse_args()
    C.set_threads()
    vae, audio_vae = load_models(a.model)
    summary, rows = probe(vae, audio_vae, a.data, a.clips)
    for r in rows:
        print(r)
    print(json.dumps(summary))
    if a.out:
        C.dump_json(a.out, {"summary": summary, "rows": rows})


if __name__ == "__main__":
    main()
