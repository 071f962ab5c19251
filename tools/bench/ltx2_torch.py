#!/usr/bin/env python3
"""The PyTorch CPU peer of `omniedit bench-ltx2`: the same LTX-2 work in diffusers (f32, random weights),
driven by the Swift command over stdin/stdout so that the two sides can run alternately in one session.

  --part dit      LTX2VideoTransformer3DModel at LTX-2's geometry (video 32 x 128, FFN 16384; audio 32 x 64,
                  FFN 8192; captions 3840) with --layers layers: one joint forward of --video-grid F,H,W latent
                  tokens, --audio-frames audio tokens and --text-rows caption rows per stream.
  --part vae      AutoencoderKLLTX2Video at LTX-2's widths (decoder 1024 -> 512 -> 256 -> 128, 5 resnets per
                  stage, patch 4, decoder not causal as LTX-2's own): decode of one latent tile
                  [128, --latent-frames, --tile, --tile]. The encoder is not materialised (decode only).
  --part vocoder  LTX2Vocoder at LTX-2's widths (1024 channels, x240): mel [1, 2, --mel-frames, 64].
  --tiny          the same parts at small widths (the smoke test of the Swift command).

Protocol: tools/bench/peer.py (one timed pass per `run` line).

Usage (the developer venv: torch==2.13.0+cpu, diffusers==0.42.1, see tools/fixtures/ltx2/requirements.txt):
  .build/release/omniedit bench-ltx2 --python /work/venv/bin/python     (runs this script)
  /work/venv/bin/python tools/bench/ltx2_torch.py --part vocoder --threads 2 < <(echo run)
"""
import argparse
import time

import torch
from peer import serve, status_gib


def randomise(model, generator):
    # Fan-in scaled weights, small biases, gains near 1: activations stay O(1) (as BenchDiT.randomWeights).
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "scale_shift_table" in name:
                p.copy_(0.05 * (2 * torch.rand(p.shape, generator=generator) - 1))
            elif name.endswith("bias"):
                p.copy_(0.02 * (2 * torch.rand(p.shape, generator=generator) - 1))
            elif p.dim() == 1:
                p.copy_(1 + 0.1 * (2 * torch.rand(p.shape, generator=generator) - 1))
            else:
                bound = (3 / p[0].numel()) ** 0.5
                p.copy_(bound * (2 * torch.rand(p.shape, generator=generator) - 1))


def build_dit(a, g):
    from diffusers import LTX2VideoTransformer3DModel

    if a.tiny:
        cfg = dict(in_channels=16, out_channels=16, num_attention_heads=2, attention_head_dim=16,
                   cross_attention_dim=32, audio_in_channels=16, audio_out_channels=16, audio_num_attention_heads=2,
                   audio_attention_head_dim=8, audio_cross_attention_dim=16, caption_channels=24)
    else:
        cfg = {}  # diffusers' defaults are LTX-2's geometry
    model = LTX2VideoTransformer3DModel(num_layers=a.layers, rope_type="split", **cfg).eval()
    randomise(model, g)
    c = model.config
    f, h, w = a.video_grid
    video = torch.randn(1, f * h * w, c.in_channels, generator=g)
    audio = torch.randn(1, a.audio_frames, c.audio_in_channels, generator=g)
    text = torch.randn(1, a.text_rows, c.caption_channels, generator=g)
    audio_text = torch.randn(1, a.text_rows, c.caption_channels, generator=g)
    t = torch.tensor([700.0])

    def run():
        out = model(hidden_states=video, audio_hidden_states=audio, encoder_hidden_states=text,
                    audio_encoder_hidden_states=audio_text, timestep=t, audio_timestep=t, sigma=t, audio_sigma=t,
                    use_cross_timestep=True, num_frames=f, height=h, width=w, fps=a.fps, audio_num_frames=a.audio_frames,
                    return_dict=False)
        return out[0].abs().mean().item() + out[1].abs().mean().item()

    return model, run


def build_vae(a, g):
    from diffusers import AutoencoderKLLTX2Video

    cfg = dict(decoder_causal=False)
    if a.tiny:
        cfg.update(latent_channels=4, block_out_channels=(8, 16, 16, 32), layers_per_block=(1, 1, 2, 1, 1),
                   decoder_block_out_channels=(8, 16, 32), decoder_layers_per_block=(1, 2, 1, 1), patch_size=2)
    # Built on the meta device, encoder dropped, decoder materialised: peak memory is the decoder's.
    with torch.device("meta"):
        model = AutoencoderKLLTX2Video(**cfg)
    model.encoder = None
    model = model.to_empty(device="cpu").eval()
    randomise(model, g)
    z = torch.randn(1, model.config.latent_channels, a.latent_frames, a.tile, a.tile, generator=g)

    def run():
        return model.decode(z, return_dict=False)[0].abs().mean().item()

    return model, run


def build_vocoder(a, g):
    from diffusers.pipelines.ltx2.vocoder import LTX2Vocoder

    cfg = dict(in_channels=16, hidden_channels=32) if a.tiny else {}
    model = LTX2Vocoder(**cfg).eval()
    randomise(model, g)
    mel = torch.randn(1, 2, a.mel_frames, model.config.in_channels // 2, generator=g)

    def run():
        return model(mel).abs().mean().item()

    return model, run


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--part", choices=["dit", "vae", "vocoder"], required=True)
    p.add_argument("--threads", type=int, required=True)
    p.add_argument("--tiny", action="store_true")
    p.add_argument("--layers", type=int, default=2)
    p.add_argument("--video-grid", type=lambda s: [int(v) for v in s.split(",")], default=[4, 16, 24])
    p.add_argument("--fps", type=float, default=24.0)
    p.add_argument("--audio-frames", type=int, default=26)
    p.add_argument("--text-rows", type=int, default=1024)
    p.add_argument("--tile", type=int, default=16)
    p.add_argument("--latent-frames", type=int, default=2)
    p.add_argument("--mel-frames", type=int, default=200)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    g = torch.Generator().manual_seed(2026)
    t0 = time.perf_counter()
    model, run = {"dit": build_dit, "vae": build_vae, "vocoder": build_vocoder}[a.part](a, g)
    params = sum(w.numel() for w in model.parameters())
    import diffusers

    serve({
        "torch": torch.__version__, "diffusers": diffusers.__version__, "threads": torch.get_num_threads(),
        "parameters": params, "build_seconds": round(time.perf_counter() - t0, 2),
        "rss_gib": round(status_gib("VmRSS"), 3)}, run, lambda checksum: {"mean_abs": checksum})

if __name__ == "__main__":
    main()
