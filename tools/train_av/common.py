"""Shared code of the built-in AV Edit model's training (issue 15): the component configs (diffusers / transformers
classes of the LTX-2 family at a small size), the audio front end (LTX-2's log-mel), data windows from
tools/data/generate_av.py clips, checkpoints that resume, and the flow-matching helpers.

Sizes: frames 64x64 at 25 fps in windows of 25 frames (8k+1: 4 latent frames of 4x4 tokens, 32 channels);
audio 16 kHz, 100 mel frames per second x 64 bins, stereo (the mono source in both channels), 25 latent frames/s
of 2 channels x 16 bins (= 32 packed audio channels per token).
"""
import glob
import json
import math
import os
import random
import time
import zipfile

import numpy as np
import torch
import torch.nn.functional as F

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
EXPORT_DIR = os.path.join(ROOT, "plugin-manifest", "Resources", "models", "avedit")
CKPT = os.environ.get("AV_CKPT", "/work/ckpt_av")
DATA = os.environ.get("AV_DATA", "/work/data_av")

FPS, SR, SPF = 25, 16000, 640
RES = 64                 # model frame size (the 128-pixel clips are box-downsampled by 2)
WINDOW = 25              # frames per window (8k+1)
LATENT_FRAMES = (WINDOW - 1) // 8 + 1
HOP, N_FFT, N_MELS = 160, 1024, 64
MEL_PER_WINDOW = WINDOW * SPF // HOP   # 100 mel frames per 1-s window
AUDIO_LATENTS = MEL_PER_WINDOW // 4    # 25
TEXT_LEN = 32            # tokens (left padded); equals the connectors' register count

VIDEO_VAE = dict(in_channels=3, out_channels=3, latent_channels=32, block_out_channels=[16, 32, 64],
                 down_block_types=["LTX2VideoDownBlock3D"] * 3, decoder_block_out_channels=[16, 32, 64],
                 layers_per_block=[1, 1, 1, 1], decoder_layers_per_block=[1, 1, 1, 1],
                 spatio_temporal_scaling=[True, True, True], decoder_spatio_temporal_scaling=[True, True, True],
                 decoder_inject_noise=[False, False, False, False],
                 downsample_type=["spatiotemporal", "spatiotemporal", "temporal"],
                 upsample_type=["temporal", "spatiotemporal", "spatiotemporal"], upsample_residual=[True, True, True],
                 upsample_factor=[2, 2, 2], patch_size=4, patch_size_t=1, spatial_compression_ratio=16,
                 temporal_compression_ratio=8)
AUDIO_VAE = dict(base_channels=32, output_channels=2, ch_mult=[1, 2, 2], num_res_blocks=1, in_channels=2,
                 latent_channels=2, mel_bins=N_MELS, sample_rate=SR, mel_hop_length=HOP)
VOCODER = dict(in_channels=2 * N_MELS, hidden_channels=128, out_channels=2, upsample_kernel_sizes=[10, 8, 4, 4, 4],
               upsample_factors=[5, 4, 2, 2, 2], resnet_kernel_sizes=[3, 7], resnet_dilations=[[1, 3], [1, 3]],
               output_sampling_rate=SR)
TEXT_HIDDEN, TEXT_LAYERS = 128, 2
GEMMA3 = dict(vocab_size=384, hidden_size=TEXT_HIDDEN, intermediate_size=384, num_hidden_layers=TEXT_LAYERS,
              num_attention_heads=4, num_key_value_heads=1, head_dim=32, max_position_embeddings=TEXT_LEN * 4,
              sliding_window=TEXT_LEN * 2, pad_token_id=0, eos_token_id=1, bos_token_id=2, query_pre_attn_scalar=32,
              tie_word_embeddings=True, rope_theta=10000.0, rope_local_base_freq=10000.0)
CONNECTORS = dict(caption_channels=TEXT_HIDDEN, text_proj_in_factor=TEXT_LAYERS + 1,
                  video_connector_num_attention_heads=4, video_connector_attention_head_dim=32,
                  video_connector_num_layers=1, video_connector_num_learnable_registers=TEXT_LEN,
                  audio_connector_num_attention_heads=4, audio_connector_attention_head_dim=32,
                  audio_connector_num_layers=1, audio_connector_num_learnable_registers=TEXT_LEN,
                  rope_type="split")
TRANSFORMER = dict(in_channels=32, out_channels=32, num_attention_heads=4, attention_head_dim=32,
                   cross_attention_dim=128, vae_scale_factors=[8, 16, 16], audio_in_channels=32, audio_out_channels=32,
                   audio_num_attention_heads=4, audio_attention_head_dim=16, audio_cross_attention_dim=64,
                   num_layers=4, caption_channels=TEXT_HIDDEN, rope_type="split")


def set_threads():
    torch.set_num_threads(int(os.environ.get("TORCH_THREADS", "1")))


def seed_all(seed):
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


# --------------------------------------------------------------------------------------------------------------------
# Builders (diffusers / transformers classes only)

def build_video_vae():
    from diffusers import AutoencoderKLLTX2Video
    return AutoencoderKLLTX2Video(**VIDEO_VAE)


def build_audio_vae():
    from diffusers import AutoencoderKLLTX2Audio
    return AutoencoderKLLTX2Audio(**AUDIO_VAE)


def build_vocoder():
    from diffusers.pipelines.ltx2.vocoder import LTX2Vocoder
    return LTX2Vocoder(**VOCODER)


def build_text_encoder():
    from transformers import Gemma3ForCausalLM, Gemma3TextConfig
    cfg = Gemma3TextConfig(**GEMMA3)
    return Gemma3ForCausalLM(cfg)


def build_connectors():
    from diffusers.pipelines.ltx2.connectors import LTX2TextConnectors
    return LTX2TextConnectors(**CONNECTORS)


def build_transformer():
    from diffusers import LTX2VideoTransformer3DModel
    return LTX2VideoTransformer3DModel(**TRANSFORMER)


# --------------------------------------------------------------------------------------------------------------------
# Audio front end: LTX-2's log-mel (16 kHz, n_fft 1024, hop 160, Hann 1024, centred with reflect padding, magnitude,
# 64 Slaney mel bands 0-8 kHz with Slaney area normalisation, natural log of max(x, 1e-5))

def _hz_to_mel(f):
    f = np.asarray(f, np.float64)
    lin = f / (200.0 / 3)
    return np.where(f >= 1000.0, 15.0 + np.log(np.maximum(f, 1e-9) / 1000.0) / (np.log(6.4) / 27.0), lin)


def _mel_to_hz(m):
    m = np.asarray(m, np.float64)
    return np.where(m >= 15.0, 1000.0 * np.exp((np.log(6.4) / 27.0) * (m - 15.0)), m * (200.0 / 3))


def mel_filterbank(sr=SR, n_fft=N_FFT, n_mels=N_MELS, fmin=0.0, fmax=None):
    fmax = fmax or sr / 2
    freqs = np.linspace(0, sr / 2, n_fft // 2 + 1)
    pts = _mel_to_hz(np.linspace(_hz_to_mel(fmin), _hz_to_mel(fmax), n_mels + 2))
    fb = np.zeros((n_mels, len(freqs)))
    for i in range(n_mels):
        lo, c, hi = pts[i], pts[i + 1], pts[i + 2]
        up = (freqs - lo) / max(c - lo, 1e-9)
        down = (hi - freqs) / max(hi - c, 1e-9)
        fb[i] = np.maximum(0, np.minimum(up, down)) * (2.0 / (hi - lo))
    return torch.tensor(fb, dtype=torch.float32)


_FB = None


def log_mel(audio):
    """audio float [..., S] at 16 kHz -> log-mel [..., 1 + S // 160, 64]."""
    global _FB
    if _FB is None:
        _FB = mel_filterbank()
    x = torch.as_tensor(audio, dtype=torch.float32)
    shape = x.shape[:-1]
    x = x.reshape(-1, x.shape[-1])
    spec = torch.stft(x, N_FFT, HOP, N_FFT, torch.hann_window(N_FFT), center=True, pad_mode="reflect",
                      return_complex=True).abs()  # [B, F, T]
    mel = torch.log(torch.clamp(_FB @ spec, min=1e-5)).transpose(1, 2)
    return mel.reshape(*shape, mel.shape[-2], N_MELS)


def stereo_mel(audio):
    """mono float [B, S] -> [B, 2, S // 160, 64] (the mono mel in both channels, the window's own frames)."""
    m = log_mel(audio)[..., : audio.shape[-1] // HOP, :]
    return torch.stack([m, m], dim=1)


# --------------------------------------------------------------------------------------------------------------------
# Data

def list_clips(split):
    return list_clips_in(os.path.join(DATA, split))


def list_clips_in(folder):
    return sorted(glob.glob(os.path.join(folder, "clip_*.npz")))


def load_clip(path):
    with np.load(path, allow_pickle=False) as d:
        return {k: d[k] for k in d.files}


def downsample_frames(frames):
    """uint8 [N,128,128,3] -> float [3,N,64,64] in [-1, 1] (2x2 box filter)."""
    x = torch.from_numpy(np.ascontiguousarray(frames)).float()
    n, h, w, c = x.shape
    x = x.reshape(n, h // 2, 2, w // 2, 2, c).mean(dim=(2, 4))
    return x.permute(3, 0, 1, 2).div(127.5).sub(1.0).contiguous()


def window(clip, start):
    """(video [3, WINDOW, 64, 64], audio [WINDOW*640]) from frame `start`."""
    v = downsample_frames(clip["frames"][start:start + WINDOW])
    a = torch.from_numpy(clip["audio"][start * SPF:(start + WINDOW) * SPF].astype(np.float32))
    return v, a


class ClipCache:
    """Keeps up to `size` decoded clips in memory, re-listing the folder (the generator may still be writing)."""

    def __init__(self, split="train", size=200, seed=0):
        self.split, self.size = split, size
        self.rng = random.Random(seed)
        self.files, self.cache, self.listed = [], {}, 0.0

    def _relist(self, force=False):
        if force or time.time() - self.listed > 60:
            self.files = list_clips(self.split)
            self.listed = time.time()

    def sample(self):
        self._relist()
        for attempt in range(5):
            if not self.files:
                raise RuntimeError("no clips in %s/%s" % (DATA, self.split))
            f = self.files[self.rng.randrange(len(self.files))]
            if f in self.cache:
                return self.cache[f]
            try:
                clip = load_clip(f)
            except (OSError, ValueError, zipfile.BadZipFile):  # replaced or removed since the listing
                self._relist(force=True)
                continue
            if len(self.cache) >= self.size:
                self.cache.pop(next(iter(self.cache)))
            self.cache[f] = clip
            return clip
        raise RuntimeError("clips in %s/%s keep failing to load" % (DATA, self.split))


# --------------------------------------------------------------------------------------------------------------------
# Checkpoints: one file per component, written atomically; training resumes from it

def ckpt_path(name):
    os.makedirs(CKPT, exist_ok=True)
    return os.path.join(CKPT, name + ".pt")


def save_ckpt(name, **state):
    path = ckpt_path(name)
    torch.save(state, path + ".tmp")
    os.replace(path + ".tmp", path)


def load_ckpt(name):
    path = ckpt_path(name)
    return torch.load(path, map_location="cpu", weights_only=False) if os.path.exists(path) else None


class Clock:
    def __init__(self, minutes):
        self.t0, self.limit = time.time(), minutes * 60

    def done(self):
        return time.time() - self.t0 > self.limit

    def elapsed(self):
        return time.time() - self.t0


def log(name, msg):
    line = "%s %s" % (time.strftime("%H:%M:%S"), msg)
    print(line, flush=True)
    with open(os.path.join(CKPT, name + ".log"), "a") as f:
        f.write(line + "\n")


def lr_at(step, total, peak, warmup=100):
    if step < warmup:
        return peak * (step + 1) / warmup
    return peak * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(1.0, step / max(total, 1)))))


def lr_at_fraction(step, fraction, peak, warmup=100):
    """lr_at with the cosine driven by the finished fraction of a wall-clock budget (warmup still in steps)."""
    if step < warmup:
        return peak * (step + 1) / warmup
    return peak * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(1.0, max(0.0, fraction)))))


def dump_json(path, obj):
    with open(path + ".tmp", "w") as f:
        json.dump(obj, f, indent=1)
    os.replace(path + ".tmp", path)
