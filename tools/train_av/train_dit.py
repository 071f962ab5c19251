#!/usr/bin/env python3
"""Stage 2 of the built-in AV model: the joint audio-video DiT (diffusers LTX2VideoTransformer3DModel), the text
connectors (LTX2TextConnectors) and the Gemma-3-structured text encoder (transformers Gemma3ForCausalLM), trained
together from scratch by rectified flow on the latents of the frozen stage-1 VAEs, conditioned on the captions.

    python tools/train_av/train_dit.py [--minutes M] [--batch B] [--lr LR]

The text path is the diffusers LTX2Pipeline's: tokenizer (left padding to TEXT_LEN, BOS first) -> every hidden state
of the text encoder stacked -> connectors (per-layer masked normalisation, projection, registers, 1-layer
transformers) -> the DiT's caption projections. Latents are normalised with per-channel statistics measured on the
first windows (stored in the checkpoint and exported as the VAEs' latents_mean / latents_std).
Windows are encoded lazily and kept (a random window per clip per visit, starts on a 4-frame grid).
10 % of the captions are dropped to the empty prompt (for guidance). EMA of all trained weights (0.999).
Checkpoint $AV_CKPT/dit.pt every ~2 minutes; resumes from it.
"""
import argparse
import copy
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common as C  # noqa: E402

SAVE_EVERY_S = 120
EMA_DECAY = 0.999


class TextPath(torch.nn.Module):
    """Tokens -> (video context, audio context, mask) exactly as diffusers' LTX2Pipeline computes them."""

    def __init__(self, text_encoder, connectors):
        super().__init__()
        self.text_encoder, self.connectors = text_encoder, connectors

    def forward(self, ids, mask):
        hs = self.text_encoder(input_ids=ids, attention_mask=mask, output_hidden_states=True).hidden_states
        emb = torch.stack(hs, dim=-1).flatten(2, 3)
        return self.connectors(emb, mask, padding_side="left")


def tokenize(sp, texts):
    """Gemma conventions: BOS + pieces, left padded with 0 to TEXT_LEN (truncated from the right)."""
    ids = torch.zeros(len(texts), C.TEXT_LEN, dtype=torch.long)
    mask = torch.zeros(len(texts), C.TEXT_LEN, dtype=torch.long)
    for i, t in enumerate(texts):
        toks = ([2] + sp.encode(t.strip()))[: C.TEXT_LEN]
        ids[i, C.TEXT_LEN - len(toks):] = torch.tensor(toks)
        mask[i, C.TEXT_LEN - len(toks):] = 1
    return ids, mask


def load_frozen(name, build):
    ck = C.load_ckpt(name)
    if ck is None:
        raise SystemExit("no %s checkpoint in %s: run train_autoencoders.py first" % (name, C.CKPT))
    m = build()
    m.load_state_dict(ck["model"])
    m.eval().requires_grad_(False)
    return m


def pack_video(z):
    """[B, C, F, H, W] -> [B, F*H*W, C] (patch size 1, LTX2Pipeline._pack_latents)."""
    return z.flatten(2).transpose(1, 2)


def pack_audio(z):
    """[B, C, L, M] -> [B, L, C*M] (LTX2Pipeline._pack_audio_latents without patching)."""
    return z.transpose(1, 2).flatten(2, 3)


class LatentBank:
    """Lazily encoded (video, audio) latents of training windows with their captions."""

    def __init__(self, vae, audio_vae, seed):
        self.vae, self.audio_vae = vae, audio_vae
        self.cache = C.ClipCache("train", size=300, seed=seed)
        self.rng = np.random.default_rng(seed)
        self.items = []

    @torch.no_grad()
    def encode_new(self):
        clip = self.cache.sample()
        starts = list(range(0, len(clip["frames"]) - C.WINDOW + 1, 4))
        s = starts[int(self.rng.integers(len(starts)))]
        v, a = C.window(clip, s)
        zv = self.vae.encode(v[None]).latent_dist.mode()[0]               # [32, 4, 4, 4]
        za = self.audio_vae.encode(C.stereo_mel(a[None])).latent_dist.mode()[0]  # [2, 25, 16]
        item = (zv, pack_audio(za[None])[0], str(clip["caption"]))
        self.items.append(item)
        return item

    def batch(self, b, p_new):
        out = []
        for _ in range(b):
            if not self.items or self.rng.uniform() < p_new:
                out.append(self.encode_new())
            else:
                out.append(self.items[int(self.rng.integers(len(self.items)))])
        return out


def sample_sigmas(b, gen):
    """Half uniform, half logit-normal around 0.73 (the edit runs from sigma 0.94 down to 0.1)."""
    u = torch.rand(b, generator=gen)
    ln = torch.sigmoid(torch.randn(b, generator=gen) + 1.0)
    return torch.where(torch.rand(b, generator=gen) < 0.5, u, ln).clamp(1e-3, 1.0)


def dit_forward(dit, xv, xa, ctx_v, ctx_a, ctx_mask, sigma):
    t = sigma * 1000.0
    return dit(hidden_states=xv, audio_hidden_states=xa, encoder_hidden_states=ctx_v,
               audio_encoder_hidden_states=ctx_a, timestep=t, sigma=t, encoder_attention_mask=ctx_mask,
               audio_encoder_attention_mask=ctx_mask, num_frames=C.LATENT_FRAMES, height=C.RES // 16,
               width=C.RES // 16, fps=float(C.FPS), audio_num_frames=C.AUDIO_LATENTS, return_dict=False)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=60)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--lr", type=float, default=4e-4)
    ap.add_argument("--seed", type=int, default=16)
    ap.add_argument("--stats-windows", type=int, default=48)
    ap.add_argument("--schedule-steps", type=int, default=12000,
                    help="length of the cosine learning-rate schedule in steps (ignored with --time-schedule)")
    ap.add_argument("--time-schedule", action="store_true",
                    help="run the cosine over this run's wall-clock budget (--minutes) instead: on a shared machine "
                         "the step rate is unknown in advance, and the rate should reach its floor as the run ends")
    ap.add_argument("--bank-new", type=float, default=0.05,
                    help="share of a batch freshly encoded once the bank holds 400 windows (0.3 before that)")
    a = ap.parse_args()
    import sentencepiece as spm
    C.set_threads()
    C.seed_all(a.seed)
    sp = spm.SentencePieceProcessor(model_file=os.path.join(C.CKPT, "tokenizer.model"))
    vae, audio_vae = load_frozen("video_vae", C.build_video_vae), load_frozen("audio_vae", C.build_audio_vae)
    text = TextPath(C.build_text_encoder(), C.build_connectors())
    dit = C.build_transformer()
    params = list(text.parameters()) + list(dit.parameters())
    opt = torch.optim.AdamW(params, lr=a.lr, weight_decay=0.01, betas=(0.9, 0.99))
    ck = C.load_ckpt("dit")
    step, stats = 0, None
    if ck is not None:
        text.load_state_dict(ck["text"])
        dit.load_state_dict(ck["dit"])
        opt.load_state_dict(ck["opt"])
        step, stats = ck["step"], ck["stats"]
        ema_text, ema_dit = copy.deepcopy(text), copy.deepcopy(dit)
        ema_text.load_state_dict(ck["ema_text"])
        ema_dit.load_state_dict(ck["ema_dit"])
        C.log("dit", "resumed at step %d" % step)
    else:
        ema_text, ema_dit = copy.deepcopy(text), copy.deepcopy(dit)
    bank = LatentBank(vae, audio_vae, a.seed + step)
    if stats is None:  # per-channel latent statistics (video: per channel; audio: per packed channel)
        items = [bank.encode_new() for _ in range(a.stats_windows)]
        zv = torch.stack([i[0] for i in items]).transpose(0, 1).flatten(1)
        za = torch.cat([i[1] for i in items]).transpose(0, 1)
        stats = {"video_mean": zv.mean(1), "video_std": zv.std(1).clamp_min(1e-3),
                 "audio_mean": za.mean(1), "audio_std": za.std(1).clamp_min(1e-3)}
        C.log("dit", "latent stats: video std %.3f..%.3f, audio std %.3f..%.3f" % (
            stats["video_std"].min(), stats["video_std"].max(), stats["audio_std"].min(), stats["audio_std"].max()))
    gen = torch.Generator().manual_seed(a.seed * 1000 + step)
    clock = C.Clock(a.minutes)
    last_save, hist = time.time(), []
    first_step = step
    while not clock.done():
        for g in opt.param_groups:
            if a.time_schedule:
                g["lr"] = C.lr_at_fraction(step - first_step, clock.elapsed() / clock.limit, a.lr, warmup=200)
            else:
                g["lr"] = C.lr_at(step, a.schedule_steps, a.lr, warmup=200)
        p_new = 0.3 if len(bank.items) < 400 else a.bank_new  # encoding a window costs a fraction of a step
        items = bank.batch(a.batch, p_new)
        xv = pack_video((torch.stack([i[0] for i in items]) - stats["video_mean"].view(1, -1, 1, 1, 1))
                        / stats["video_std"].view(1, -1, 1, 1, 1))
        xa = (torch.stack([i[1] for i in items]) - stats["audio_mean"]) / stats["audio_std"]
        caps = [i[2] if torch.rand((), generator=gen) > 0.1 else "" for i in items]
        ids, mask = tokenize(sp, caps)
        sigma = sample_sigmas(a.batch, gen)
        nv, na = torch.randn(xv.shape, generator=gen), torch.randn(xa.shape, generator=gen)
        s3 = sigma.view(-1, 1, 1)
        zv, za = (1 - s3) * xv + s3 * nv, (1 - s3) * xa + s3 * na
        ctx_v, ctx_a, ctx_mask = text(ids, mask)
        pv, pa = dit_forward(dit, zv, za, ctx_v, ctx_a, ctx_mask, sigma)
        lv, la = ((pv - (nv - xv)) ** 2).mean(), ((pa - (na - xa)) ** 2).mean()
        loss = lv + la
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        step += 1
        with torch.no_grad():
            d = min(EMA_DECAY, (1 + step) / (10 + step))
            for e, p in zip(list(ema_text.parameters()) + list(ema_dit.parameters()), params):
                e.mul_(d).add_(p.detach(), alpha=1 - d)
        hist.append((float(lv.detach()), float(la.detach())))
        if step % 20 == 0:
            h = np.mean(hist[-20:], axis=0)
            C.log("dit", "step %d loss video %.4f audio %.4f (%.0f s, %d windows, %d clips)" % (
                step, h[0], h[1], clock.elapsed(), len(bank.items), len(bank.cache.files)))
        if time.time() - last_save > SAVE_EVERY_S or clock.done():
            C.save_ckpt("dit", text=text.state_dict(), dit=dit.state_dict(), opt=opt.state_dict(), step=step,
                        stats=stats, ema_text=ema_text.state_dict(), ema_dit=ema_dit.state_dict())
            last_save = time.time()
    C.log("dit", "stopped at step %d" % step)


if __name__ == "__main__":
    main()
