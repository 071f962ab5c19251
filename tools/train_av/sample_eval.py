#!/usr/bin/env python3
"""Does an OmniEdit edit with the exported built-in AV model move the target attributes?  (PyTorch, CPU)

Loads the exported folder with diffusers / transformers classes only (not the training code's objects), takes
held-out clips (tools/data/generate_av.py --split heldout: unseen faces, voices and sentences), and edits the first
window of each from its own caption (source prompt) to a target caption that changes some attributes. The sampler is
shared/docs/omniedit-sampler.md section 4 for a joint audio-video model (every quantity twice, video and audio, each
with its own noise and norm; the initial noise not rescaled), on the LTX-2 grid (T 40, start 12, end 39).
Baselines on the same cases and seeds: FlowEdit (section 5) and OmniEdit with random noise.

Measured on the decoded output, from pixels and audio, where the generator's labels say to look:
  hair      the nearest named hair colour in the hair box == the target's
  beard     av_measure.beard_score in the jaw box (> 0.5 counts as a beard) == target
  pitch     median f0 of the vocoded audio moves in the target's direction (vs the unedited round trip), and the
            same for the energy centroid below 1 kHz of the decoded mel (before the vocoder)
  keep      PSNR of the frame outside the head (the background) against the source frames
  sync      Pearson r of the mouth opening (mouth_metric) with the audio envelope
Each figure is also given for the unedited round trip (VAE + vocoder) so the model's own losses are visible.

    python tools/train_av/sample_eval.py [--model DIR] [--clips 12] [--cfg 4] [--out /work/ckpt_av/eval.json]
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "data"))
import av_measure  # noqa: E402
import av_scenes  # noqa: E402
import common as C  # noqa: E402
import mouth_metric  # noqa: E402


# --------------------------------------------------------------------------------------------------------------------
# The model, loaded from the exported folder

class AVModel:
    def __init__(self, folder):
        from diffusers import AutoencoderKLLTX2Audio, AutoencoderKLLTX2Video, LTX2VideoTransformer3DModel
        from diffusers.pipelines.ltx2.connectors import LTX2TextConnectors
        from diffusers.pipelines.ltx2.vocoder import LTX2Vocoder
        from transformers import Gemma3ForCausalLM, GemmaTokenizer
        f32 = dict(torch_dtype=torch.float32)
        self.vae = AutoencoderKLLTX2Video.from_pretrained(os.path.join(folder, "vae"), **f32).eval()
        self.audio_vae = AutoencoderKLLTX2Audio.from_pretrained(os.path.join(folder, "audio_vae"), **f32).eval()
        self.vocoder = LTX2Vocoder.from_pretrained(os.path.join(folder, "vocoder"), **f32).eval()
        self.dit = LTX2VideoTransformer3DModel.from_pretrained(os.path.join(folder, "transformer"), **f32).eval()
        self.connectors = LTX2TextConnectors.from_pretrained(os.path.join(folder, "connectors"), **f32).eval()
        self.text_encoder = Gemma3ForCausalLM.from_pretrained(os.path.join(folder, "text_encoder"), **f32).eval()
        self.tokenizer = GemmaTokenizer.from_pretrained(os.path.join(folder, "tokenizer"))
        with open(os.path.join(folder, "omniedit.json")) as f:
            self.meta = json.load(f)

    @torch.no_grad()
    def encode_prompt(self, prompt):
        """As LTX2Pipeline: left padding to the model's text length, every hidden state, then the connectors."""
        t = self.tokenizer([prompt.strip()], padding="max_length", max_length=self.meta["textLength"],
                           truncation=True, add_special_tokens=True, return_tensors="pt")
        hs = self.text_encoder(input_ids=t.input_ids, attention_mask=t.attention_mask,
                               output_hidden_states=True).hidden_states
        emb = torch.stack(hs, dim=-1).flatten(2, 3)
        return self.connectors(emb, t.attention_mask, padding_side="left")

    @torch.no_grad()
    def encode(self, frames, audio):
        """frames float [3, 25, 64, 64] in [-1, 1], audio [16000] -> normalised packed latents (video, audio)."""
        z = self.vae.encode(frames[None]).latent_dist.mode()
        z = (z - self.vae.latents_mean.view(1, -1, 1, 1, 1)) / self.vae.latents_std.view(1, -1, 1, 1, 1)
        self.vshape = z.shape
        zv = z.flatten(2).transpose(1, 2)
        za = self.audio_vae.encode(C.stereo_mel(audio[None])).latent_dist.mode()
        self.ashape = za.shape
        za = za.transpose(1, 2).flatten(2, 3)
        return zv, (za - self.audio_vae.latents_mean) / self.audio_vae.latents_std

    @torch.no_grad()
    def decode(self, zv, za):
        b, c, f, h, w = self.vshape
        z = zv.transpose(1, 2).reshape(b, c, f, h, w)
        z = z * self.vae.latents_std.view(1, -1, 1, 1, 1) + self.vae.latents_mean.view(1, -1, 1, 1, 1)
        video = self.vae.decode(z).sample[0].clamp(-1, 1)
        za = za * self.audio_vae.latents_std + self.audio_vae.latents_mean
        _, ca, la, ma = self.ashape
        mel = self.audio_vae.decode(za.unflatten(2, (ca, ma)).transpose(1, 2)).sample
        self.last_mel = mel[0].mean(0)  # [frames, 64] log-mel, before the vocoder
        wav = self.vocoder(mel)[0].mean(0)
        return video, wav

    @torch.no_grad()
    def velocity(self, zv, za, sigma, ctx):
        """Batched over the conditions in ctx: (video, audio, mask) each [B, L, D]."""
        b = ctx[0].shape[0]
        t = torch.full((b,), sigma * 1000.0)
        _, _, f, h, w = self.vshape
        vv, va = self.dit(hidden_states=zv.expand(b, -1, -1), audio_hidden_states=za.expand(b, -1, -1),
                          encoder_hidden_states=ctx[0], audio_encoder_hidden_states=ctx[1], timestep=t, sigma=t,
                          encoder_attention_mask=ctx[2], audio_encoder_attention_mask=ctx[2], num_frames=f, height=h,
                          width=w, fps=float(self.meta["fps"]), audio_num_frames=self.ashape[2], return_dict=False)
        return vv, va


# --------------------------------------------------------------------------------------------------------------------
# Samplers (omniedit-sampler.md sections 2, 4, 5)

def ltx_sigmas(steps=40, mu=2.05, terminal=0.1):
    s = np.linspace(1.0, 0.0, steps + 1)[:-1]
    s = np.exp(mu) / (np.exp(mu) + (1.0 / s - 1.0))
    s = 1.0 - (1.0 - s) * (1.0 - terminal) / (1.0 - s[-1])
    return np.append(s, 0.0)


def cat(*ctxs):
    return tuple(torch.cat(x) for x in zip(*ctxs))


def rms1(x):
    return x * (x.numel() ** 0.5) / x.norm()


def edit(model, x0, c_src, c_tgt, cfg, seed, method="omniedit", start=12, end=39, steps=40):
    """x0 = (video, audio) clean normalised latents; returns the edited pair."""
    sig = ltx_sigmas(steps)
    gen = torch.Generator().manual_seed(seed)
    randn = lambda x: torch.randn(x.shape, generator=gen)  # noqa: E731
    both = cat(c_src, c_tgt)

    def v_pair(z, s):  # (v_src, v_tgt) for both modalities with one batched call
        vv, va = model.velocity(z[0], z[1], s, both)
        return (vv[:1], va[:1]), (vv[1:], va[1:])

    def guided(z, s):
        (sv, sa), (tv, ta) = v_pair(z, s)
        return sv + cfg * (tv - sv), sa + cfg * (ta - sa)

    if method == "flowedit":
        e = list(x0)
        zt = None
        for i in range(start, steps):
            s, s1 = float(sig[i]), float(sig[i + 1])
            if i <= end:
                n = [randn(x) for x in x0]
                S = [(1 - s) * x + s * nn for x, nn in zip(x0, n)]
                zt = [ee + ss - x for ee, ss, x in zip(e, S, x0)]
                vp = guided(zt, s)
                vq = model.velocity(S[0], S[1], s, c_src)
                e = [ee + (s1 - s) * (p - q) for ee, p, q in zip(e, vp, vq)]
            else:
                if zt is None or i == end + 1:
                    n = [randn(x) for x in x0]
                    zt = [ee + ((1 - s) * x + s * nn) - x for ee, x, nn in zip(e, x0, n)]
                vp = guided(zt, s)
                zt = [z + (s1 - s) * p for z, p in zip(zt, vp)]
        return tuple(zt) if end < steps - 1 else tuple(e)

    v0 = model.velocity(x0[0], x0[1], float(sig[steps - 1]), c_src)
    n = [x + v for x, v in zip(x0, v0)]  # initial noise, not rescaled (AV Edit, as the reference)
    s0 = float(sig[start])
    Z = [(1 - s0) * x + s0 * nn for x, nn in zip(x0, n)]
    for i in range(start, steps):
        s, s1 = float(sig[i]), float(sig[i + 1])
        if i <= end:
            S = [(1 - s) * x + s * nn for x, nn in zip(x0, n)]
            # the three calls of an edit step in one batch: (Z, src), (Z, tgt), (S, src)
            vv, va = _three(model, Z, S, s, c_src, c_tgt)
            vp = (vv[0:1] + cfg * (vv[1:2] - vv[0:1]), va[0:1] + cfg * (va[1:2] - va[0:1]))
            vq = (vv[2:3], va[2:3])
            new_n = []
            for k in range(2):
                nh = S[k] + (1 - s) * vq[k]
                eps = randn(nh)
                new_n.append(eps if method == "random" else rms1((1 - s) * nh + s * eps))
            Z = [z + (s1 - s) * (p - q) + (s - s1) * x + s1 * nn2 - s * nn
                 for z, p, q, x, nn2, nn in zip(Z, vp, vq, x0, new_n, n)]
            n = new_n
        else:
            vp = guided(Z, s)
            Z = [z + (s1 - s) * p for z, p in zip(Z, vp)]
    return tuple(Z)


def _three(model, Z, S, s, c_src, c_tgt):
    b = cat(c_src, c_tgt, c_src)
    _, _, f, h, w = model.vshape
    t = torch.full((3,), s * 1000.0)
    with torch.no_grad():
        return model.dit(hidden_states=torch.cat([Z[0], Z[0], S[0]]), audio_hidden_states=torch.cat([Z[1], Z[1], S[1]]),
                         encoder_hidden_states=b[0], audio_encoder_hidden_states=b[1], timestep=t, sigma=t,
                         encoder_attention_mask=b[2], audio_encoder_attention_mask=b[2], num_frames=f, height=h,
                         width=w, fps=float(model.meta["fps"]), audio_num_frames=model.ashape[2], return_dict=False)


# --------------------------------------------------------------------------------------------------------------------
# Cases and measures

def target_attrs(a, case):
    return av_scenes.edit_target(a, case)


def to128(video):
    """[3, N, 64, 64] in [-1, 1] -> uint8 [N, 128, 128, 3] (bilinear), the generator's pixel grid."""
    x = F.interpolate(video.permute(1, 0, 2, 3), scale_factor=2, mode="bilinear", align_corners=False)
    return ((x.clamp(-1, 1) + 1) * 127.5).round().byte().permute(0, 2, 3, 1).numpy()


def background_mask(clip, n):
    """Pixels of the 128 grid clear of the head (a margin around the face ellipse): the corners of the frame."""
    m = np.ones((128, 128), bool)
    m[16:, 20:108] = False
    return m


def measure(frames, wav, clip, n):
    f = frames[:n]
    boxes = {k: clip[k][:n] for k in ("hair_box", "beard_box", "skin_box", "mouth_box")}
    skin = av_measure.box_colour(f, boxes["skin_box"])
    hair_rgb = av_measure.box_colour(f, boxes["hair_box"])
    wav = wav.numpy().astype(np.float64)
    env = av_measure.envelope(wav, n)
    mouth = mouth_metric.measure(f, boxes["mouth_box"])
    sync = float(np.corrcoef(mouth, env)[0, 1]) if mouth.std() > 1e-6 and env.std() > 1e-9 else float("nan")
    return {"hair": av_measure.hair_colour(f, boxes["hair_box"]), "wave_centroid": wave_centroid(wav),
            "beard": av_measure.beard_score(f, boxes["beard_box"], skin, hair_rgb),
            "f0": av_measure.median_f0(wav), "sync": sync}


_CENTRES = None


def low_band_centroid(mel):
    """Energy centroid (Hz) of the mel bands below 1 kHz over the loudest half of the frames: a pitch proxy read
    from the decoded mel itself, so a weak vocoder does not hide what the DiT did."""
    global _CENTRES
    if _CENTRES is None:
        fb = C.mel_filterbank().numpy()
        _CENTRES = (fb * np.linspace(0, C.SR / 2, fb.shape[1])).sum(1) / fb.sum(1)
    e = np.exp(np.asarray(mel, np.float64))
    loud = e.sum(1) >= np.median(e.sum(1))
    low = _CENTRES < 1000
    w = e[loud][:, low]
    return float((w * _CENTRES[low]).sum() / max(w.sum(), 1e-12))


def wave_centroid(wav):
    """low_band_centroid of the output waveform's own log-mel (what `omniedit bench-avedit` reads from the sound)."""
    x = np.asarray(wav, np.float32)
    return low_band_centroid(C.log_mel(x)[: len(x) // C.HOP].numpy())


class LatentProbe:
    """Ridge (one-vs-rest) classifiers of attributes from clean latents of training windows: what the edit did in the
    latent space, read without the decoders (the video probe reads hair and gender, the audio probe pitch and gender)."""

    KEYS = (("hair", "video"), ("gender", "video"), ("beard", "video"), ("pitch", "audio"), ("gender", "audio"))

    def __init__(self, model, windows, lam=10.0):
        feats, labels = {"video": [], "audio": []}, []
        for path in C.list_clips_in(os.path.join(C.DATA, "train"))[:windows]:
            clip = C.load_clip(path)
            if str(clip["kind"]) != "speech":
                continue
            zv, za = model.encode(*C.window(clip, 0))
            feats["video"].append(self.features(zv, "video"))
            feats["audio"].append(self.features(za, "audio"))
            labels.append(json.loads(str(clip["attrs"])))
        self.w = {}
        for key, mod in self.KEYS:
            X = np.stack(feats[mod])
            X = np.concatenate([X, np.ones((len(X), 1))], 1)
            classes = sorted({str(l[key]) for l in labels})
            Y = np.array([[1.0 if str(l[key]) == c else 0.0 for c in classes] for l in labels])
            W = np.linalg.solve(X.T @ X + lam * np.eye(X.shape[1]), X.T @ Y)
            self.w[key, mod] = (classes, W)
        self.n = len(labels)

    def features(self, z, mod):
        """Time-averaged latents (video: [4x4 positions x 32 channels] of the packed tokens, audio: 32 channels): few
        enough dimensions for a probe fitted on tens of windows."""
        if mod == "video":
            return z[0].reshape(-1, 16, z.shape[-1]).mean(0).flatten().numpy()
        return z[0].mean(0).numpy()

    def predict(self, zv, za):
        out = {}
        for (key, mod), (classes, W) in self.w.items():
            x = self.features(zv if mod == "video" else za, mod)
            out["%s_%s" % (key, mod)] = classes[int(np.argmax(np.append(x, 1.0) @ W))]
        return out


def psnr(a, b, mask):
    d = (a.astype(np.float64) - b.astype(np.float64))[:, mask]
    return float(10 * np.log10(255.0 ** 2 / max(np.mean(d ** 2), 1e-10)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=C.EXPORT_DIR)
    ap.add_argument("--data", default=os.path.join(C.DATA, "heldout"))
    ap.add_argument("--clips", type=int, default=12)
    ap.add_argument("--cfg", type=float, default=4.0)
    ap.add_argument("--methods", default="omniedit,flowedit,random")
    ap.add_argument("--cases", default="gender,hair,pitch")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--probe-windows", type=int, default=120, help="training clips for the latent probe (0: none)")
    ap.add_argument("--out", default=os.path.join(C.CKPT, "eval.json"))
    a = ap.parse_args()
    C.set_threads()
    torch.manual_seed(0)
    model = AVModel(a.model)
    probe = LatentProbe(model, a.probe_windows) if a.probe_windows else None
    if probe:
        print("latent probe fitted on %d training windows" % probe.n, flush=True)
    files = C.list_clips_in(a.data)
    rows, t0 = [], time.time()
    used = 0
    for path in files:
        if used >= a.clips:
            break
        clip = C.load_clip(path)
        if str(clip["kind"]) != "speech":
            continue
        used += 1
        attrs = json.loads(str(clip["attrs"]))
        frames_src = clip["frames"][:C.WINDOW]
        v, au = C.window(clip, 0)
        x0 = model.encode(v, au)
        rec_v, rec_w = model.decode(*x0)
        rec = measure(to128(rec_v), rec_w, clip, C.WINDOW)
        rec["centroid"] = low_band_centroid(model.last_mel)
        src = measure(frames_src, torch.from_numpy(clip["audio"][:C.WINDOW * C.SPF]), clip, C.WINDOW)
        mask = background_mask(clip, C.WINDOW)
        c_src = model.encode_prompt(str(clip["caption"]))
        probe_src = probe.predict(*x0) if probe else {}
        for case in a.cases.split(","):
            tgt = target_attrs(attrs, case)
            c_tgt = model.encode_prompt(av_scenes.caption(tgt))
            for method in a.methods.split(","):
                ev, ea = edit(model, x0, c_src, c_tgt, a.cfg, a.seed + used, method)
                out_v, out_w = model.decode(ev, ea)
                fr = to128(out_v)
                m = measure(fr, out_w, clip, C.WINDOW)
                m["centroid"] = low_band_centroid(model.last_mel)
                row = {"clip": os.path.basename(path), "case": case, "method": method,
                       "source": av_scenes.caption(attrs), "target": av_scenes.caption(tgt),
                       "hair_ok": m["hair"] == tgt["hair"], "hair": m["hair"], "hair_roundtrip": rec["hair"],
                       "beard_ok": (m["beard"] > 0.5) == bool(tgt["beard"]), "beard": m["beard"],
                       "beard_roundtrip": rec["beard"], "f0": m["f0"], "f0_roundtrip": rec["f0"],
                       "f0_source": src["f0"],
                       "pitch_moved_right": (m["f0"] - rec["f0"]) * (1 if tgt["pitch"] == "high" else -1) > 0
                       if tgt["pitch"] != attrs["pitch"] else None,
                       "f0_change_pct": 100 * (m["f0"] - rec["f0"]) / max(rec["f0"], 1e-6),
                       "mel_centroid": m["centroid"], "mel_centroid_roundtrip": rec["centroid"],
                       "mel_moved_right": (m["centroid"] - rec["centroid"]) * (1 if tgt["pitch"] == "high" else -1) > 0
                       if tgt["pitch"] != attrs["pitch"] else None,
                       "wave_centroid": m["wave_centroid"], "wave_centroid_roundtrip": rec["wave_centroid"],
                       "wave_moved_right": (m["wave_centroid"] - rec["wave_centroid"]) * (1 if tgt["pitch"] == "high" else -1) > 0
                       if tgt["pitch"] != attrs["pitch"] else None,
                       "keep_psnr": psnr(fr, frames_src, mask), "keep_psnr_roundtrip": psnr(to128(rec_v), frames_src, mask),
                       "frame_psnr_roundtrip": psnr(to128(rec_v), frames_src, np.ones((128, 128), bool)),
                       "change_vs_roundtrip_psnr": psnr(fr, to128(rec_v), np.ones((128, 128), bool)),
                       "sync": m["sync"], "sync_roundtrip": rec["sync"], "sync_source": src["sync"]}
                if probe:
                    pe = probe.predict(ev, ea)
                    row["probe_source"] = probe_src
                    row["probe_edit"] = pe
                    row["probe_target_ok"] = {k: pe[k] == str(tgt[k.split("_")[0]]) for k in pe}
                    row["probe_source_ok"] = {k: probe_src[k] == str(attrs[k.split("_")[0]]) for k in pe}
                rows.append(row)
                print("%s %-6s %-8s hair %s->%s (%s) beard %.2f->%.2f f0 %.0f->%.0f mel %.0f->%.0f keep %.1f dB sync %.2f"
                      % (row["clip"], case, method, rec["hair"], m["hair"], tgt["hair"], rec["beard"], m["beard"],
                         rec["f0"], m["f0"], rec["centroid"], m["centroid"], row["keep_psnr"], m["sync"]), flush=True)
    summary = {}
    for case in a.cases.split(","):
        for method in a.methods.split(","):
            r = [x for x in rows if x["case"] == case and x["method"] == method]
            if not r:
                continue
            pm = [x["pitch_moved_right"] for x in r if x["pitch_moved_right"] is not None]
            mm = [x["mel_moved_right"] for x in r if x["mel_moved_right"] is not None]
            summary["%s/%s" % (case, method)] = {
                "n": len(r), "hair_acc": float(np.mean([x["hair_ok"] for x in r])),
                "beard_acc": float(np.mean([x["beard_ok"] for x in r])),
                "pitch_direction_acc": float(np.mean(pm)) if pm else None,
                "mel_pitch_direction_acc": float(np.mean(mm)) if mm else None,
                "wave_pitch_direction_acc": float(np.mean([x["wave_moved_right"] for x in r if x["wave_moved_right"] is not None]))
                if mm else None,
                "f0_change_pct_mean": float(np.mean([x["f0_change_pct"] for x in r])),
                "keep_psnr_db": float(np.mean([x["keep_psnr"] for x in r])),
                "edit_vs_roundtrip_psnr_db": float(np.mean([x["change_vs_roundtrip_psnr"] for x in r])),
                "sync_r": float(np.nanmean([x["sync"] for x in r]))}
            if probe:
                summary["%s/%s" % (case, method)]["latent_probe_target_acc"] = {
                    k: float(np.mean([x["probe_target_ok"][k] for x in r])) for k in r[0]["probe_target_ok"]}
    base = [x for x in rows if x["method"] == rows[0]["method"] and x["case"] == rows[0]["case"]] if rows else []
    summary["roundtrip"] = {"hair_matches_source": float(np.mean([x["hair_roundtrip"] == json.loads(
        str(C.load_clip(os.path.join(a.data, x["clip"]))["attrs"]))["hair"] for x in base])) if base else None,
        "keep_psnr_db": float(np.mean([x["keep_psnr_roundtrip"] for x in base])) if base else None,
        "frame_psnr_db": float(np.mean([x["frame_psnr_roundtrip"] for x in base])) if base else None,
        "sync_r": float(np.nanmean([x["sync_roundtrip"] for x in base])) if base else None,
        "sync_r_source_clip": float(np.nanmean([x["sync_source"] for x in base])) if base else None}
    if probe and base:
        summary["roundtrip"]["latent_probe_source_acc"] = {
            k: float(np.mean([x["probe_source_ok"][k] for x in base])) for k in base[0]["probe_source_ok"]}
    res = {"model": os.path.abspath(a.model), "cfg": a.cfg, "clips": used, "seconds": time.time() - t0,
           "summary": summary, "rows": rows}
    C.dump_json(a.out, res)
    print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
