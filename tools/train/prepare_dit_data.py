#!/usr/bin/env python3
"""Prepare the DiT's training data (after train_vae.py):

  audio  step: builds the frozen Whisper-structured audio encoder (seeded random init, init_std 0.1:
               a linear probe on its HuMo features already predicts the mouth opening of unseen clips
               with r ~ 0.87; training it jointly would cost ~1.7 s per clip because every clip is
               padded to a 30 s chunk) and saves it; then per clip the HuMo audio features
               a [N, 5, C] at 25 fps by exactly the inference path (log-mel of the 30 s chunk ->
               5 hidden states -> 5 groups -> truncate to 2*(samples//640) -> linear align_corners
               resample to 25 Hz).
  latent step: per clip the VAE posterior means of the whole clip (frame 0 alone, then 4-frame
               chunks) and of every 4th frame encoded alone (the window's first latent frame and its
               reference latent), normalised with the VAE's latents_mean/std; and zero_vae (an all-zero
               25-frame video encoded, normalised).

Usage: python prepare_dit_data.py audio|latent   (env DIT_CLIPS: how many training clips, default 200)
"""
import json
import os
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import (CKPT, WHISPER_CONFIG, WINDOW, frames_to_tensor, latent_stats, list_clips,  # noqa: E402
                    load_clip, load_vae, log_mel_chunks, set_threads, vae_encode_mu, video_rate_features)

OUT = os.path.join(CKPT, "dit_data")
WHISPER_SEED = 11


def build_whisper():
    from transformers import WhisperConfig
    from transformers.models.whisper.modeling_whisper import WhisperEncoder
    from safetensors.torch import save_file
    torch.manual_seed(WHISPER_SEED)
    cfg = WhisperConfig(**WHISPER_CONFIG, init_std=0.1)
    enc = WhisperEncoder(cfg).eval()
    enc.init_weights()
    d = os.path.join(CKPT, "whisper")
    os.makedirs(d, exist_ok=True)
    save_file({"model.encoder." + k: v.contiguous() for k, v in enc.state_dict().items()},
              os.path.join(d, "model.safetensors"))
    cfg.to_json_file(os.path.join(d, "config.json"))
    return enc


def load_whisper():
    from transformers import WhisperConfig
    from transformers.models.whisper.modeling_whisper import WhisperEncoder
    from safetensors.torch import load_file
    d = os.path.join(CKPT, "whisper")
    cfg = WhisperConfig.from_json_file(os.path.join(d, "config.json"))
    enc = WhisperEncoder(cfg).eval()
    sd = load_file(os.path.join(d, "model.safetensors"))
    enc.load_state_dict({k[len("model.encoder."):]: v.float() for k, v in sd.items()})
    return enc


def audio_features(enc, audio):
    with torch.no_grad():
        return video_rate_features(enc, log_mel_chunks(audio), len(audio))


def main():
    set_threads()
    step = sys.argv[1]
    os.makedirs(OUT, exist_ok=True)
    clips = list_clips("train")[: int(os.environ.get("DIT_CLIPS", "200"))]
    if os.environ.get("DIT_SHARD"):                       # "i/n": this process takes clips i, i+n, ...
        i, n = (int(v) for v in os.environ["DIT_SHARD"].split("/"))
        clips = clips[i::n]
    t0 = time.time()
    if step == "audio":
        enc = build_whisper()
        for i, p in enumerate(clips):
            name = os.path.basename(p)[:-4]
            f = os.path.join(OUT, name + ".audio.pt")
            if os.path.exists(f):
                continue
            d = load_clip(p)
            torch.save(audio_features(enc, d["audio"]).half(), f)
            if i % 20 == 0:
                print("audio %d/%d %.0fs" % (i, len(clips), time.time() - t0), flush=True)
    elif step == "latent":
        vae = load_vae()
        mean, std = latent_stats(vae)
        with torch.no_grad():
            z = vae_encode_mu(vae, torch.zeros(1, 3, WINDOW, 128, 128))
            torch.save(((z - mean) / std)[0], os.path.join(OUT, "zero_vae.pt.tmp"))
            os.replace(os.path.join(OUT, "zero_vae.pt.tmp"), os.path.join(OUT, "zero_vae.pt"))
            for i, p in enumerate(clips):
                name = os.path.basename(p)[:-4]
                f = os.path.join(OUT, name + ".latent.pt")
                if os.path.exists(f):
                    continue
                d = load_clip(p)
                fr = d["frames"]
                n = 1 + 4 * ((fr.shape[0] - 1) // 4)
                x = frames_to_tensor(fr[:n])[None]
                lat = ((vae_encode_mu(vae, x) - mean) / std)[0]                # [16, 1+(n-1)/4, 16, 16]
                singles = frames_to_tensor(fr[0:n:4]).transpose(0, 1)[:, :, None]  # [M, 3, 1, H, W]
                refs = torch.cat([vae_encode_mu(vae, singles[j:j + 8]) for j in range(0, singles.shape[0], 8)])
                refs = ((refs - mean) / std)[:, :, 0]                            # [M, 16, 16, 16]
                torch.save(dict(lat=lat, refs=refs, boxes=torch.from_numpy(d["mouth_box"][:n]),
                                opening=torch.from_numpy(d["opening"][:n])), f + ".tmp")
                os.replace(f + ".tmp", f)
                if i % 10 == 0:
                    print("latent %d/%d %.0fs" % (i, len(clips), time.time() - t0), flush=True)
    print("done %.0fs" % (time.time() - t0), flush=True)


if __name__ == "__main__":
    main()
