#!/usr/bin/env python3
"""Stage 1 of the built-in AV model: the video VAE, the audio VAE and the vocoder, each on its own (they do not
depend on each other: the vocoder learns ground-truth mels -> waveform).

    python tools/train_av/train_autoencoders.py video|audio|vocoder [--minutes M] [--batch B] [--lr LR]

The VAEs are trained as deterministic autoencoders on the posterior mean (`latent_dist.mode()`, what the DiT and
the editing pipeline encode with) with a small L2 pull on the latents: sampling the posterior of a young encoder
(log-variance near 0 against means of std ~0.3) drowned the decoder's input in noise, and a decoder trained on a
frozen, barely trained encoder stayed at the mean image (measured: L1 0.30 on 4 clips after 60 steps vs 0.21 jointly).
Time-budgeted; checkpoints to $AV_CKPT/<part>.pt every ~2 minutes and resumes from it (same seeds, the step
counter continues). Data: $AV_DATA/train (tools/data/generate_av.py; clips appearing while it runs are used too).
Run niced with one thread: TORCH_THREADS=1 nice -n 19 ...
"""
import argparse
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common as C  # noqa: E402

SAVE_EVERY_S = 120


PROBE_BOXES = ("hair_box", "beard_box", "mouth_box", "side_box")


def video_batch(cache, rng, b, frames):
    """(clips [B, 3, frames, 64, 64], weights [B, 1, frames, 64, 64]): 1 everywhere, +1 inside the generator's probe
    boxes (hair, jaw/beard, mouth, side hair), the small regions the edits are about."""
    vs, ws = [], []
    for _ in range(b):
        clip = cache.sample()
        s = int(rng.integers(0, len(clip["frames"]) - frames + 1))
        vs.append(C.downsample_frames(clip["frames"][s:s + frames]))
        w = torch.ones(1, frames, C.RES, C.RES)
        for key in PROBE_BOXES:
            if key in clip:
                for t, (x0, y0, x1, y1) in enumerate(clip[key][s:s + frames] // 2):
                    w[0, t, y0:y1, x0:x1] += 1.0
        ws.append(w)
    return torch.stack(vs), torch.stack(ws)


def audio_batch(cache, rng, b, seconds):
    n = int(seconds * C.SR)
    out = []
    for _ in range(b):
        clip = cache.sample()
        a = clip["audio"]
        s = int(rng.integers(0, max(1, len(a) - n + 1)))
        seg = a[s:s + n]
        out.append(np.pad(seg, (0, n - len(seg))))
    return torch.from_numpy(np.stack(out).astype(np.float32))


def stft_loss(y, x):
    """Multi-resolution STFT magnitude loss (log and linear) between waveforms [B, S]."""
    loss = 0.0
    for n_fft, hop in ((256, 64), (512, 128), (1024, 256)):
        w = torch.hann_window(n_fft)
        sy = torch.stft(y, n_fft, hop, n_fft, w, return_complex=True).abs() + 1e-5
        sx = torch.stft(x, n_fft, hop, n_fft, w, return_complex=True).abs() + 1e-5
        loss = loss + (sy - sx).norm() / sx.norm() + (sy.log() - sx.log()).abs().mean()
    return loss / 3


def frame_level_loss(y, x, frame=320, floor=1e-3):
    """Mean |ln RMS(y) - ln RMS(x)| over 20-ms frames (RMS floored at -60 dB so silence does not dominate): the level,
    which the spectral-convergence term under-shoots (under uncertainty a quieter output has the smaller L2 error)."""
    n = y.shape[-1] // frame * frame
    ry = y[..., :n].unflatten(-1, (-1, frame)).pow(2).mean(-1).add(floor ** 2).sqrt()
    rx = x[..., :n].unflatten(-1, (-1, frame)).pow(2).mean(-1).add(floor ** 2).sqrt()
    return (ry.log() - rx.log()).abs().mean()


def vocoder_loss(y, wav, coherence=1.0, buzz=1.0, level=1.0):
    """(per-channel reconstruction, total loss) of the vocoder's stereo output y [B, 2, S] for the mono target wav
    [B, S] (both mel channels were the mono mel).

    The per-channel STFT-magnitude and log-mel losses cannot see phase, so alone they leave the two channels free to
    come out in anti-phase (attempt 2's vocoder: L-R correlation -0.89, mono mix -19 dB). `coherence` adds the same
    losses on the mid channel (L+R)/2 against the target, which only a coherent pair at the right level satisfies, and
    the side channel's energy (L-R)/2 relative to the target's, which must be zero where the two mel channels are
    equal. `buzz` adds a 2048-point (7.8 Hz bins) magnitude resolution on the mid channel, which separates the comb
    at the 100 Hz mel-hop harmonics from the voice's own harmonics. `level` adds frame_level_loss on the mid channel
    (attempt 3's first 2,840 steps left it at ~0.46 of the source's RMS)."""
    tgt = wav.repeat_interleave(2, dim=0)
    flat = y.reshape(-1, y.shape[-1])
    rec = stft_loss(flat, tgt)
    loss = rec + 0.5 * (C.log_mel(flat) - C.log_mel(tgt)).abs().mean()
    if coherence:
        mid, side = y.mean(dim=1), (y[:, 0] - y[:, 1]) / 2
        mono = stft_loss(mid, wav) + 0.5 * (C.log_mel(mid) - C.log_mel(wav)).abs().mean()
        side_energy = side.pow(2).mean() / wav.pow(2).mean().clamp_min(1e-8)
        loss = loss + coherence * (mono + side_energy)
    if level:
        loss = loss + level * frame_level_loss(y.mean(dim=1), wav)
    if buzz:
        w = torch.hann_window(2048)
        sm = torch.stft(y.mean(dim=1), 2048, 256, 2048, w, return_complex=True).abs() + 1e-5
        sx = torch.stft(wav, 2048, 256, 2048, w, return_complex=True).abs() + 1e-5
        loss = loss + buzz * ((sm.log() - sx.log()).abs().mean() + (sm - sx).norm() / sx.norm())
    return rec, loss


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("part", choices=["video", "audio", "vocoder"])
    ap.add_argument("--minutes", type=float, default=20)
    ap.add_argument("--batch", type=int, default=2)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--seed", type=int, default=15)
    ap.add_argument("--decoder-only", action="store_true",
                    help="freeze the encoder (its latent space is in use by the DiT) and go on training the decoder")
    ap.add_argument("--frames", type=int, default=9, help="video crop length (8k+1; the convolutions are local)")
    ap.add_argument("--seconds", type=float, default=0.5, help="audio crop length")
    ap.add_argument("--box-weight", type=float, default=0.0,
                    help="video: extra loss weight inside the probe boxes (0: plain L1 + MSE)")
    ap.add_argument("--fresh-optimizer", action="store_true",
                    help="continue the weights with a new optimizer and a new warmup + cosine over --schedule-steps")
    ap.add_argument("--schedule-steps", type=int, default=4000, help="length of the cosine learning-rate schedule")
    ap.add_argument("--coherence-weight", type=float, default=1.0,
                    help="vocoder: weight of the mid-channel losses and the side-channel energy that keep the two "
                         "output channels coherent and at the right level (0: attempts 1-2, per-channel losses only)")
    ap.add_argument("--level-weight", type=float, default=1.0,
                    help="vocoder: weight of the mid channel's 20-ms frame level loss (0: attempts 1-2)")
    ap.add_argument("--tie-channels", action="store_true",
                    help="vocoder: before training, set both rows of the output convolution to their mean (the mid "
                         "channel the coherence terms trained): a coherent pair by construction where the mel "
                         "channels are equal")
    ap.add_argument("--buzz-weight", type=float, default=1.0,
                    help="vocoder: weight of a 2048-point STFT magnitude loss on the mid channel (0: attempts 1-2)")
    a = ap.parse_args()
    C.set_threads()
    C.seed_all(a.seed)
    name = {"video": "video_vae", "audio": "audio_vae", "vocoder": "vocoder"}[a.part]
    model = {"video": C.build_video_vae, "audio": C.build_audio_vae, "vocoder": C.build_vocoder}[a.part]()
    step, ck = 0, C.load_ckpt(name)
    if ck is not None:
        model.load_state_dict(ck["model"])
        step = ck["step"]
    if a.tie_channels:
        if a.part != "vocoder" or ck is None:
            raise SystemExit("--tie-channels continues a trained vocoder")
        with torch.no_grad():
            for p in (model.conv_out.weight, model.conv_out.bias):
                p.copy_(p.mean(dim=0, keepdim=True).expand_as(p))
        C.log(name, "output rows tied to their mean")
    if a.decoder_only:
        if a.part == "vocoder" or ck is None:
            raise SystemExit("--decoder-only continues a trained VAE")
        model.encoder.requires_grad_(False)
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=a.lr, weight_decay=0.0,
                            betas=(0.9, 0.99))
    sched_start = 0
    if ck is not None:
        if a.fresh_optimizer:
            sched_start = step
        elif bool(ck.get("decoder_only")) == a.decoder_only:
            opt.load_state_dict(ck["opt"])
            sched_start = ck.get("sched_start", 0)
        C.log(name, "resumed at step %d%s%s" % (step, " (decoder only)" if a.decoder_only else "",
                                                " (fresh optimizer)" if a.fresh_optimizer else ""))
    rng = np.random.default_rng([a.seed, step])
    cache = C.ClipCache("train", size=150, seed=a.seed + step)
    clock = C.Clock(a.minutes)
    last_save, losses = time.time(), []
    model.train()
    while not clock.done():
        for g in opt.param_groups:
            g["lr"] = C.lr_at(step - sched_start, a.schedule_steps, a.lr, warmup=50)
        if a.part == "video":
            x, wgt = video_batch(cache, rng, a.batch, a.frames)
            with torch.set_grad_enabled(not a.decoder_only):
                post = model.encode(x).latent_dist
                z = post.mode()
            y = model.decode(z).sample
            rec = (y - x).abs().mean() + F.mse_loss(y, x)
            if a.box_weight:
                err = (y - x).abs() + (y - x) ** 2
                rec = rec + a.box_weight * ((err * (wgt - 1)).sum() / (wgt - 1).sum().clamp_min(1) / 3)
            loss = rec + (0 if a.decoder_only else 1e-4 * z.pow(2).mean())
        elif a.part == "audio":
            mel = C.stereo_mel(audio_batch(cache, rng, a.batch, a.seconds))  # [B, 2, 100 * seconds, 64]
            with torch.set_grad_enabled(not a.decoder_only):
                post = model.encode(mel).latent_dist
                z = post.mode()
            y = model.decode(z).sample  # the causal decoder's 4 (T - 1) + 1 frames
            tgt = mel[:, :, : y.shape[2]]
            rec = (y - tgt).abs().mean()
            loss = rec + (0 if a.decoder_only else 1e-4 * z.pow(2).mean())
        else:
            wav = audio_batch(cache, rng, a.batch, a.seconds)
            mel = C.stereo_mel(wav)  # 50 frames
            y = model(mel)[:, :, : wav.shape[1]]
            y = F.pad(y, (0, wav.shape[1] - y.shape[2]))
            rec, loss = vocoder_loss(y, wav, a.coherence_weight, a.buzz_weight, a.level_weight)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_([p for p in model.parameters() if p.requires_grad], 1.0)
        opt.step()
        step += 1
        losses.append(float(rec.detach()))
        if step % 20 == 0:
            C.log(name, "step %d loss %.4f (%.0f s, %d clips listed)" % (step, np.mean(losses[-20:]),
                                                                          clock.elapsed(), len(cache.files)))
        if time.time() - last_save > SAVE_EVERY_S:
            C.save_ckpt(name, model=model.state_dict(), opt=opt.state_dict(), step=step, decoder_only=a.decoder_only,
                        sched_start=sched_start)
            last_save = time.time()
    C.save_ckpt(name, model=model.state_dict(), opt=opt.state_dict(), step=step, decoder_only=a.decoder_only,
                sched_start=sched_start)
    C.log(name, "stopped at step %d, last loss %.4f" % (step, np.mean(losses[-20:]) if losses else float("nan")))


if __name__ == "__main__":
    main()
