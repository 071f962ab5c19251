"""Shared code of the built-in LipSync model's training (issue 10): the HuMo-structured DiT in
PyTorch under the original HuMo/Wan key names, the exact HuMo audio-feature path (Whisper hidden
states -> 5 groups -> 50->25 Hz linear align_corners -> 8-row windows per latent frame + one zero
window for the reference), a full-sequence (non-chunked) pass through diffusers' AutoencoderKLWan
that equals its chunked causal encode/decode, data loading and the flow-matching helpers.

Written for this repository; follows the arithmetic in shared/docs/models.md sections 1-3.
"""
import glob
import json
import math
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
EXPORT_DIR = os.path.join(ROOT, "plugin-manifest", "Resources", "models", "lipsync")
CKPT = os.environ.get("LIPSYNC_CKPT", "/work/ckpt")

FPS = 25
SAMPLE_RATE = 16000
SAMPLES_PER_FRAME = 640
RES = 128
WINDOW = 25                      # video frames per training/inference window
LATENT_FRAMES = (WINDOW - 1) // 4 + 1   # 7

# ------------------------------------------------------------------------------------------------
# Configs (JSON in the names our Swift loaders read)

VAE_CONFIG = dict(base_dim=16, z_dim=16, dim_mult=[1, 2, 4, 8], num_res_blocks=1, attn_scales=[],
                  temperal_downsample=[False, True, True], dropout=0.0)
WHISPER_CONFIG = dict(d_model=128, encoder_layers=4, encoder_attention_heads=2, encoder_ffn_dim=512,
                      num_mel_bins=128, max_source_positions=1500, decoder_layers=1,
                      decoder_attention_heads=2, decoder_ffn_dim=256, max_target_positions=64,
                      vocab_size=64, pad_token_id=0, bos_token_id=1, eos_token_id=2,
                      decoder_start_token_id=1)
TEXT_LEN, TEXT_DIM = 8, 64
DIT_CONFIG = dict(dim=128, num_heads=2, num_layers=4, ffn_dim=512, in_dim=36, out_dim=16,
                  text_dim=TEXT_DIM, text_len=TEXT_LEN, freq_dim=256, patch_size=[1, 2, 2], eps=1e-6,
                  audio=dict(window=8, groups=5, channels=WHISPER_CONFIG["d_model"], intermediate=256,
                             token_dim=128, tokens_per_frame=4, layernorm_eps=1e-5))


def set_threads():
    torch.set_num_threads(int(os.environ.get("TORCH_THREADS", "2")))


# ------------------------------------------------------------------------------------------------
# Data

def list_clips(split):
    base = os.environ.get("LIPSYNC_DATA", "/work/data")
    return sorted(glob.glob(os.path.join(base, split, "*.npz")))


def load_clip(path):
    d = np.load(path, allow_pickle=True)
    return {k: d[k] for k in d.files}


def frames_to_tensor(frames):
    """uint8 [N,H,W,3] -> float [3,N,H,W] in [-1,1]."""
    x = torch.from_numpy(np.ascontiguousarray(frames)).float().div(127.5).sub(1.0)
    return x.permute(3, 0, 1, 2).contiguous()


# ------------------------------------------------------------------------------------------------
# Wan VAE: full-sequence causal pass over diffusers' modules (same result as the chunked code)

def _resample_full(m, x):
    b, c, t, h, w = x.shape
    if m.mode == "upsample3d" and t > 1:
        # frame 0 skips the time conv ('Rep'); the rest run a causal, zero-padded conv
        rest = m.time_conv(x[:, :, 1:])
        rest = rest.reshape(b, 2, c, t - 1, h, w)
        rest = torch.stack((rest[:, 0], rest[:, 1]), 3).reshape(b, c, 2 * (t - 1), h, w)
        x = torch.cat([x[:, :, :1], rest], 2)
    t = x.shape[2]
    y = m.resample(x.permute(0, 2, 1, 3, 4).reshape(b * t, c, h, w))
    y = y.view(b, t, y.size(1), y.size(2), y.size(3)).permute(0, 2, 1, 3, 4)
    if m.mode == "downsample3d" and t > 1:
        # frame 0 alone, then windows (0,1,2), (2,3,4), ... stride 2
        y = torch.cat([y[:, :, :1], m.time_conv(y)], 2)
    return y


def _run_layer(layer, x):
    from diffusers.models.autoencoders.autoencoder_kl_wan import WanResample
    if isinstance(layer, WanResample):
        return _resample_full(layer, x)
    return layer(x)


def vae_encode_mu(vae, video):
    """video [B,3,1+4k,H,W] in [-1,1] -> raw posterior mean [B,16,1+k,H/8,W/8]."""
    e = vae.encoder
    x = e.conv_in(video)
    for layer in e.down_blocks:
        x = _run_layer(layer, x)
    x = e.mid_block(x)
    x = e.conv_out(e.nonlinearity(e.norm_out(x)))
    return vae.quant_conv(x)[:, : vae.config.z_dim]


def vae_decode_raw(vae, z):
    """raw (de-normalised) latent [B,16,T,h,w] -> video [B,3,1+4(T-1),8h,8w], not clamped."""
    d = vae.decoder
    x = d.conv_in(vae.post_quant_conv(z))
    x = d.mid_block(x)
    for ub in d.up_blocks:
        for r in ub.resnets:
            x = r(x)
        if ub.upsamplers is not None:
            x = _resample_full(ub.upsamplers[0], x)
    return d.conv_out(d.nonlinearity(d.norm_out(x)))


def latent_stats(vae):
    mean = torch.tensor(vae.config.latents_mean).view(1, -1, 1, 1, 1)
    std = torch.tensor(vae.config.latents_std).view(1, -1, 1, 1, 1)
    return mean, std


def load_vae(path=None):
    from diffusers import AutoencoderKLWan
    path = path or os.path.join(CKPT, "vae")
    return AutoencoderKLWan.from_pretrained(path).eval()


# ------------------------------------------------------------------------------------------------
# Audio: Whisper log-mel (30 s chunks padded to 3000 frames) -> hidden states -> HuMo windows

_FE = None


def log_mel_chunks(audio):
    """float32 16 kHz samples -> [chunks, 128, 3000] (transformers' WhisperFeatureExtractor, per 30 s chunk)."""
    global _FE
    if _FE is None:
        from transformers import WhisperFeatureExtractor
        _FE = WhisperFeatureExtractor(feature_size=WHISPER_CONFIG["num_mel_bins"], sampling_rate=SAMPLE_RATE)
    chunks = []
    for s in range(0, max(len(audio), 1), 480000):
        piece = audio[s: s + 480000]
        f = _FE(piece, sampling_rate=SAMPLE_RATE, return_tensors="np")["input_features"][0]
        chunks.append(torch.from_numpy(f).float())
    return torch.stack(chunks)


def make_whisper():
    from transformers import WhisperConfig
    from transformers.models.whisper.modeling_whisper import WhisperEncoder
    cfg = WhisperConfig(**WHISPER_CONFIG)
    return WhisperEncoder(cfg), cfg


def group_states(states):
    """n+1 = 4g+1 hidden states [..., T, C] -> [..., T, 5, C]: means of g consecutive states x4, then the last."""
    n = len(states) - 1
    assert n % 4 == 0, f"{len(states)} hidden states do not make 4 groups + last"
    g = n // 4
    parts = [torch.stack(states[i * g:(i + 1) * g], 0).mean(0) for i in range(4)] + [states[n]]
    return torch.stack(parts, -2)


def video_rate_features(encoder, mel_chunks, num_samples):
    """mel [chunks,128,3000] -> a [T25, 5, C] (HuMo: join chunks, cut to 2*(samples//640), resample 50->25 Hz)."""
    out = encoder(mel_chunks, output_hidden_states=True)
    states = [h for h in out.hidden_states]                    # each [chunks, 1500, C]
    states = [s.reshape(-1, s.shape[-1]) for s in states]      # chunks joined along time
    t50 = 2 * (num_samples // SAMPLES_PER_FRAME)
    states = [s[:t50] for s in states]
    grouped = group_states(states)                              # [t50, 5, C]
    t25 = t50 // 2
    flat = grouped.reshape(t50, -1).t().unsqueeze(0)           # [1, 5C, t50]
    res = F.interpolate(flat, size=t25, mode="linear", align_corners=True)
    return res[0].t().reshape(t25, 5, -1)


def audio_windows(a, video_frames, ref_frames=1):
    """a [T25, 5, C] (row 0 = the window's first video frame) -> [F_lat + ref, 8, 5, C]: rows 4k-5..4k+2, zeros outside."""
    t25 = a.shape[0]
    lat = (video_frames - 1) // 4 + 1
    table = torch.cat([a, a.new_zeros(1, *a.shape[1:])], 0)
    idx = []
    for k in range(lat + ref_frames):
        for r in range(8):
            i = 4 * k - 5 + r
            idx.append(i if (k < lat and 0 <= i < t25) else t25)
    return table[torch.tensor(idx)].reshape(lat + ref_frames, 8, *a.shape[1:])


# ------------------------------------------------------------------------------------------------
# HuMo DiT (original key names)

def sinusoid(t, dim):
    """t [B] float -> [B, dim]: [cos(t f), sin(t f)], f_j = 10000^(-j/half), computed in float64."""
    half = dim // 2
    f = torch.pow(10000.0, -torch.arange(half, dtype=torch.float64) / half)
    a = t.double()[:, None] * f[None]
    return torch.cat([torch.cos(a), torch.sin(a)], 1).float()


def rope_tables(frames, h, w, head_dim):
    pairs = head_dim // 2
    sp = head_dim // 6
    tp = pairs - 2 * sp

    def th(n):
        return torch.pow(10000.0, -2.0 * torch.arange(n, dtype=torch.float64) / (2 * n))
    ff, hh, ww = torch.meshgrid(torch.arange(frames), torch.arange(h), torch.arange(w), indexing="ij")
    phi = torch.cat([ff.reshape(-1, 1).double() * th(tp)[None], hh.reshape(-1, 1).double() * th(sp)[None],
                     ww.reshape(-1, 1).double() * th(sp)[None]], 1)
    return torch.cos(phi).float(), torch.sin(phi).float()      # [L, pairs]


def apply_rope(x, cos, sin):
    """x [B, heads, L, hd]; adjacent pairs (x[2j], x[2j+1]) rotated."""
    xr = x.reshape(*x.shape[:-1], -1, 2)
    a, b = xr[..., 0], xr[..., 1]
    return torch.stack([a * cos - b * sin, a * sin + b * cos], -1).flatten(-2)


class RMSNorm(nn.Module):
    def __init__(self, dim, eps):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


class WanAttn(nn.Module):
    def __init__(self, dim, heads, eps, kdim=None):
        super().__init__()
        kdim = kdim or dim
        self.heads = heads
        self.q = nn.Linear(dim, dim)
        self.k = nn.Linear(kdim, dim)
        self.v = nn.Linear(kdim, dim)
        self.o = nn.Linear(dim, dim)
        self.norm_q = RMSNorm(dim, eps)
        self.norm_k = RMSNorm(dim, eps)

    def kv(self, ctx):
        return self.norm_k(self.k(ctx)), self.v(ctx)

    def forward(self, x, k, v, rope=None):
        """x [..., Lq, dim]; k, v [..., Lk, dim] (same leading dims)."""
        q = self.norm_q(self.q(x))
        lead = q.shape[:-2]
        hd = q.shape[-1] // self.heads

        def split(t):
            return t.reshape(*t.shape[:-1], self.heads, hd).transpose(-2, -3)
        q, k, v = split(q), split(k), split(v)
        if rope is not None:
            q = apply_rope(q, *rope)
            k = apply_rope(k, *rope)
        o = F.scaled_dot_product_attention(q, k, v)
        o = o.transpose(-2, -3).reshape(*lead, -1, self.heads * hd)
        return self.o(o)


class AudioWrapper(nn.Module):
    def __init__(self, dim, heads, eps, token_dim):
        super().__init__()
        self.norm1_audio = nn.LayerNorm(dim, eps=eps)
        self.audio_cross_attn = WanAttn(dim, heads, eps, kdim=token_dim)


class Block(nn.Module):
    def __init__(self, c):
        super().__init__()
        d, eps = c["dim"], c["eps"]
        self.eps = eps
        self.modulation = nn.Parameter(torch.randn(1, 6, d) / d ** 0.5)
        self.self_attn = WanAttn(d, c["num_heads"], eps)
        self.norm3 = nn.LayerNorm(d, eps=eps)
        self.cross_attn = WanAttn(d, c["num_heads"], eps)
        self.audio_cross_attn_wrapper = AudioWrapper(d, c["num_heads"], eps, c["audio"]["token_dim"])
        self.ffn = nn.Sequential(nn.Linear(d, c["ffn_dim"]), nn.GELU(approximate="tanh"), nn.Linear(c["ffn_dim"], d))

    def forward(self, x, e0, text, audio, frames, rope):
        """x [B, L, d]; e0 [B, 6, d]; text [B, Lt, d]; audio [B, F, tpf, token_dim]."""
        B, L, d = x.shape
        m = (self.modulation + e0).chunk(6, 1)
        n = F.layer_norm(x, (d,), eps=self.eps) * (1 + m[1]) + m[0]
        k, v = self.self_attn.kv(n)
        x = x + m[2] * self.self_attn(n, k, v, rope)
        k, v = self.cross_attn.kv(text)
        x = x + self.cross_attn(self.norm3(x), k, v)
        aw = self.audio_cross_attn_wrapper
        q = aw.norm1_audio(x).reshape(B, frames, L // frames, d)
        k, v = aw.audio_cross_attn.kv(audio)
        x = x + aw.audio_cross_attn(q, k, v).reshape(B, L, d)
        y = F.layer_norm(x, (d,), eps=self.eps) * (1 + m[4]) + m[3]
        return x + m[5] * self.ffn(y)


class Layer(nn.Module):
    """HuMo's AudioProjModel layers are named `<name>.layer`."""

    def __init__(self, mod):
        super().__init__()
        self.layer = mod

    def forward(self, x):
        return self.layer(x)


class AudioProj(nn.Module):
    def __init__(self, a):
        super().__init__()
        self.a = a
        n_in = a["window"] * a["groups"] * a["channels"]
        self.audio_proj_glob_1 = Layer(nn.Linear(n_in, a["intermediate"]))
        self.audio_proj_glob_2 = Layer(nn.Linear(a["intermediate"], a["intermediate"]))
        self.audio_proj_glob_3 = Layer(nn.Linear(a["intermediate"], a["tokens_per_frame"] * a["token_dim"]))
        self.audio_proj_glob_norm = Layer(nn.LayerNorm(a["token_dim"], eps=a["layernorm_eps"]))

    def forward(self, w):
        """w [B, F, 8, 5, C] -> [B, F, tpf, token_dim]."""
        B, Fr = w.shape[:2]
        h = F.relu(self.audio_proj_glob_1(w.reshape(B, Fr, -1)))
        h = F.relu(self.audio_proj_glob_2(h))
        h = self.audio_proj_glob_3(h).reshape(B, Fr, self.a["tokens_per_frame"], self.a["token_dim"])
        return self.audio_proj_glob_norm(h)


class HuMoDiT(nn.Module):
    def __init__(self, c=DIT_CONFIG):
        super().__init__()
        self.c = c
        d = c["dim"]
        self.patch_embedding = nn.Conv3d(c["in_dim"], d, kernel_size=tuple(c["patch_size"]),
                                         stride=tuple(c["patch_size"]))
        self.text_embedding = nn.Sequential(nn.Linear(c["text_dim"], d), nn.GELU(approximate="tanh"), nn.Linear(d, d))
        self.time_embedding = nn.Sequential(nn.Linear(c["freq_dim"], d), nn.SiLU(), nn.Linear(d, d))
        self.time_projection = nn.Sequential(nn.SiLU(), nn.Linear(d, 6 * d))
        self.blocks = nn.ModuleList([Block(c) for _ in range(c["num_layers"])])
        self.head = nn.Module()
        self.head.modulation = nn.Parameter(torch.randn(1, 2, d) / d ** 0.5)
        self.head.head = nn.Linear(d, c["out_dim"] * math.prod(c["patch_size"]))
        self.audio_proj = AudioProj(c["audio"])
        self._rope = {}
        with torch.no_grad():
            nn.init.zeros_(self.head.head.weight)
            nn.init.zeros_(self.head.head.bias)

    def rope(self, f, h, w):
        key = (f, h, w)
        if key not in self._rope:
            self._rope[key] = rope_tables(f, h, w, self.c["dim"] // self.c["num_heads"])
        return self._rope[key]

    def forward(self, x, y, t, context, audio_windows):
        """x [B,16,F,H,W]; y [B,20,F,H,W]; t [B] (timestep 0..1000); context [Lc, text_dim] or [B, Lc, text_dim];
        audio_windows [B, F, 8, 5, C] (zeros = no audio). Returns velocity [B,16,F,H,W]."""
        c = self.c
        B = x.shape[0]
        inp = torch.cat([x, y], 1)
        h = self.patch_embedding(inp)                       # [B, d, F, H/2, W/2]
        _, d, Fr, gh, gw = h.shape
        h = h.flatten(2).transpose(1, 2)                    # [B, L, d] in (f, h, w) order
        e = self.time_embedding(sinusoid(t, c["freq_dim"]))
        e0 = self.time_projection(e).reshape(B, 6, d)
        if context.dim() == 2:
            context = context.unsqueeze(0).expand(B, -1, -1)
        ctx = F.pad(context, (0, 0, 0, c["text_len"] - context.shape[1]))
        text = self.text_embedding(ctx)
        audio = self.audio_proj(audio_windows)
        rope = self.rope(Fr, gh, gw)
        for blk in self.blocks:
            h = blk(h, e0, text, audio, Fr, rope)
        hm = (self.head.modulation + e.unsqueeze(1)).chunk(2, 1)
        out = self.head.head(F.layer_norm(h, (d,), eps=c["eps"]) * (1 + hm[1]) + hm[0])
        # unpatchify: token features ordered (p=1, q=2, r=2, c), c fastest
        out = out.reshape(B, Fr, gh, gw, 2, 2, c["out_dim"])
        out = out.permute(0, 6, 1, 2, 4, 3, 5).reshape(B, c["out_dim"], Fr, gh * 2, gw * 2)
        return out


def make_y(zero_vae, ref_latent):
    """zero_vae [16, F_lat, h, w], ref [B, 16, 1, h, w] -> y [B, 20, F_lat+1, h, w] (17B layout: mask || cond)."""
    B = ref_latent.shape[0]
    C, Fl, hh, ww = zero_vae.shape
    mask = torch.zeros(B, 4, Fl + 1, hh, ww)
    mask[:, :, Fl:] = 1
    cond = torch.cat([zero_vae.unsqueeze(0).expand(B, -1, -1, -1, -1), ref_latent], 2)
    return torch.cat([mask, cond], 1)


def shift_sigma(u, shift=5.0):
    return shift * u / (1 + (shift - 1) * u)


def sigma_grid(steps=20, shift=5.0):
    s = torch.linspace(1, 0, steps + 1)[:-1]
    return torch.cat([shift_sigma(s, shift), torch.zeros(1)])


def save_json(path, obj):
    with open(path, "w") as f:
        json.dump(obj, f, indent=1)
