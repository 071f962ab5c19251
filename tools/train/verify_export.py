#!/usr/bin/env python3
"""Check that our Swift loaders read the exported built-in LipSync model and reproduce PyTorch.

For each component it writes fixed inputs (from a held-out clip, seeded noise) to a safetensors
file, runs `omniedit forward --component ...` on the exported files, runs the same component in
PyTorch on the same exported (f16) weights, and prints the relative error
max|swift - torch| / max|torch| (and the RMS ratio). Pass: <= 1e-2.

  dit            humo.safetensors: x [16,8,16,16], t, context, audio windows [8,8,5,C], y [20,8,16,16]
  vae-encode     vae.safetensors (--config vae_config.json): 25 frames -> mu, latent
  vae-decode     latent -> 25 frames
  whisper        whisper/: log-mel [128,3000] -> hidden states [5,1500,C]
  audio-windows  hidden states -> HuMo grouped features [T25,5,C] and windows [F+1,8,5,C]

Usage: python tools/train/verify_export.py [--omniedit .build/release/omniedit] [--data /work/data/heldout]
"""
import argparse
import glob
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import (EXPORT_DIR, HuMoDiT, ROOT, audio_windows, frames_to_tensor, group_states,  # noqa: E402
                    latent_stats, log_mel_chunks, make_y, vae_decode_raw, vae_encode_mu, video_rate_features)


def f32(sd):
    return {k: v.float() for k, v in sd.items()}


def rel(a, b):
    a, b = a.double(), b.double()
    return ((a - b).abs().max() / b.abs().max().clamp_min(1e-12)).item(), ((a - b).norm() / b.norm()).item()


def swift(omniedit, component, model, inputs, extra=()):
    out = inputs.replace(".in.", ".out.")
    cmd = [omniedit, "forward", "--component", component, "--model", model, "--inputs", inputs, "--output", out,
           *extra]
    try:
        r = subprocess.run(cmd, capture_output=True, text=True)
    except OSError as e:
        return None, str(e)
    if r.returncode != 0:
        return None, (r.stderr or r.stdout).strip()
    return load_file(out), None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--omniedit", default=os.path.join(ROOT, ".build", "release", "omniedit"))
    ap.add_argument("--model", default=EXPORT_DIR)
    ap.add_argument("--data", default=os.environ.get("LIPSYNC_DATA", "/work/data") + "/heldout")
    args = ap.parse_args()
    torch.manual_seed(0)
    m = args.model
    tmp = tempfile.mkdtemp(prefix="lipsync_verify_")
    clip = np.load(sorted(glob.glob(os.path.join(args.data, "*.npz")))[0])
    results = {}

    def report(name, ours, theirs, err):
        if err is not None:
            results[name] = {"error": err}
            print("%-28s SWIFT REFUSED: %s" % (name, err))
            return
        mx, rms = rel(theirs, ours)
        results[name] = {"max_rel": mx, "rms_rel": rms, "pass": mx <= 1e-2}
        print("%-28s max rel %.2e  rms rel %.2e  %s" % (name, mx, rms, "ok" if mx <= 1e-2 else "FAIL"))

    # --- Whisper ---------------------------------------------------------------------------------
    from transformers import WhisperConfig
    from transformers.models.whisper.modeling_whisper import WhisperEncoder
    wcfg = WhisperConfig.from_json_file(os.path.join(m, "whisper", "config.json"))
    enc = WhisperEncoder(wcfg).eval()
    enc.load_state_dict({k[len("model.encoder."):]: v for k, v in
                         f32(load_file(os.path.join(m, "whisper", "model.safetensors"))).items()})
    audio = clip["audio"][: 25 * 640 * 3]
    mel = log_mel_chunks(audio)                                   # [1, 128, 3000]
    with torch.no_grad():
        states = enc(mel, output_hidden_states=True).hidden_states
    hs = torch.stack([s[0] for s in states])                      # [5, 1500, C]
    p = os.path.join(tmp, "whisper.in.safetensors")
    save_file({"log_mel": mel[0].contiguous()}, p)
    out, err = swift(args.omniedit, "whisper", os.path.join(m, "whisper"), p)
    report("whisper hidden_states", hs, out and out["hidden_states"], err)

    # --- audio windows (grouping generalised to 4g+1 states) ----------------------------------------
    with torch.no_grad():
        a = video_rate_features(enc, mel, len(audio))            # [T25, 5, C]
    win = audio_windows(a[:25], 25, 1)
    p = os.path.join(tmp, "windows.in.safetensors")
    save_file({"hidden_states": hs.contiguous(), "num_samples": torch.tensor([25.0 * 640]),
               "frame_num": torch.tensor([25.0]), "ref_frames": torch.tensor([1.0])}, p)
    out, err = swift(args.omniedit, "audio-windows", os.path.join(m, "whisper"), p)
    with torch.no_grad():
        a25 = video_rate_features(enc, mel, 25 * 640)
    report("audio grouped (25 frames)", a25, out and out["grouped"], err)
    report("audio windows (7+1)", audio_windows(a25, 25, 1), out and out["windows"], err)

    # --- VAE -------------------------------------------------------------------------------------
    from diffusers import AutoencoderKLWan
    with open(os.path.join(m, "vae_config.json")) as f:
        vcfg = {k: v for k, v in json.load(f).items() if not k.startswith("_")}
    vae = AutoencoderKLWan(**vcfg).eval()
    vae.load_state_dict(f32(load_file(os.path.join(m, "vae.safetensors"))))
    mean, std = latent_stats(vae)
    video = frames_to_tensor(clip["frames"][:25])[None]
    with torch.no_grad():
        mu = vae_encode_mu(vae, video)
        lat = (mu - mean) / std
        dec = vae_decode_raw(vae, lat * std + mean).clamp(-1, 1)
        dec_diffusers = vae.decode(lat * std + mean).sample
    print("%-28s max abs %.2e (our full-sequence pass vs diffusers' chunked decode)" %
          ("torch decode self-check", (dec - dec_diffusers).abs().max().item()))
    vconf = ["--config", os.path.join(m, "vae_config.json")]
    p = os.path.join(tmp, "vae_enc.in.safetensors")
    save_file({"video": video.contiguous()}, p)
    out, err = swift(args.omniedit, "vae-encode", os.path.join(m, "vae.safetensors"), p, vconf)
    report("vae-encode mu", mu, out and out["mu"], err)
    report("vae-encode latent", lat, out and out["latent"], err)
    p = os.path.join(tmp, "vae_dec.in.safetensors")
    save_file({"latent": lat.contiguous()}, p)
    out, err = swift(args.omniedit, "vae-decode", os.path.join(m, "vae.safetensors"), p, vconf)
    report("vae-decode video", dec, out and out["video"], err)

    # --- DiT -------------------------------------------------------------------------------------
    with safe_open(os.path.join(m, "humo.safetensors"), "pt") as f:
        cfg = json.loads(f.metadata()["config"])
    dit = HuMoDiT(cfg).eval()
    dit.load_state_dict(f32(load_file(os.path.join(m, "humo.safetensors"))))
    ctx = load_file(os.path.join(m, "text_context.safetensors"))["context"].float()
    with torch.no_grad():
        ref = vae_encode_mu(vae, video[:, :, :1])
        ref = (ref - mean) / std
        zero = (vae_encode_mu(vae, torch.zeros(1, 3, 25, 128, 128)) - mean) / std
    y = make_y(zero[0], ref)                                      # [1, 20, 8, 16, 16]
    x0 = torch.cat([lat, ref], 2)
    sigma = 0.8
    x = (1 - sigma) * x0 + sigma * torch.randn_like(x0)
    t = 1000 * sigma
    for name, aw in [("dit velocity (audio)", win), ("dit velocity (no audio)", None)]:
        with torch.no_grad():
            v = dit(x, y, torch.tensor([t]), ctx, (aw if aw is not None else torch.zeros_like(win))[None])[0]
        inputs = {"x": x[0].contiguous(), "t": torch.tensor([t]), "context": ctx.contiguous(),
                  "y": y[0].contiguous()}
        if aw is not None:
            inputs["audio"] = aw.contiguous()
        p = os.path.join(tmp, name.split()[0] + ("_a" if aw is not None else "_n") + ".in.safetensors")
        save_file(inputs, p)
        out, err = swift(args.omniedit, "dit", os.path.join(m, "humo.safetensors"), p)
        report(name, v, out and out["velocity"], err)

    try:
        inspect = subprocess.run([args.omniedit, "inspect", m], capture_output=True, text=True)
    except OSError as e:
        inspect = subprocess.CompletedProcess([], -1, "", str(e))
    print("--- omniedit inspect (rc %d) ---\n%s%s" % (inspect.returncode, inspect.stdout[-3000:], inspect.stderr[-2000:]))
    with open(os.path.join(tmp, "results.json"), "w") as f:
        json.dump(results, f, indent=1)
    print(json.dumps(results))
    bad = [k for k, r in results.items() if not r.get("pass")]
    print("FAILED or refused: %s" % bad if bad else "all components within 1e-2")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
