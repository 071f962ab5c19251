#!/usr/bin/env python3
"""Writes the fuzzers' seed corpora (tools/fuzz/corpus/NAME/): small valid files of every format each
harness reads, plus a few hostile ones, so fuzzing starts from inputs that reach deep into the readers.

Run from the repository root with the project's venv (numpy, torch, safetensors):
    /work/venv/bin/python tools/fuzz/make_seeds.py
Audio is written through libsndfile (ctypes) so WAV/FLAC/OGG/MP3 are the real library's output."""
import ctypes
import ctypes.util
import io
import json
import os
import struct
import zlib

import numpy as np
import torch
from safetensors.numpy import save as st_save

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")


def put(name, relative, data):
    folder = os.path.join(ROOT, name)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, relative), "wb") as f:
        f.write(data)


def raw_safetensors(header, data=b""):
    h = json.dumps(header).encode()
    return struct.pack("<Q", len(h)) + h + data


def weights():
    rng = np.random.default_rng(1)
    # A whole Wan/HuMo-structured DiT at a tiny size, with its config in the metadata (read from the golden
    # fixture's names and shapes, stored as f16 zeros-plus-noise to stay small).
    from safetensors import safe_open
    fixture = "Tests/ModelsTests/Fixtures/humo_dit_tiny_1p7b.safetensors"
    tensors = {}
    with safe_open(fixture, "np") as f:
        meta = f.metadata() or {}
        for k in f.keys():
            if not k.startswith("weights/") or ".blocks.1." in k or k.startswith("weights/blocks.1."):
                continue
            shape = f.get_slice(k).get_shape()
            tensors[k[len("weights/"):]] = (rng.standard_normal(shape) * 0.02).astype(np.float16)
    config = json.loads(meta["config"]) if "config" in meta else None
    md = {}
    if config is not None:
        config["num_layers"] = 1
        md["config"] = json.dumps(config)
    put("weights", "humo_dit_1layer_f16.safetensors", st_save(tensors, metadata=md))
    # Whisper- and VAE-named tensors (recognition paths), tiny.
    put("weights", "whisper_like.safetensors", st_save({
        "model.encoder.embed_positions.weight": np.zeros((4, 8), np.float32),
        "model.encoder.layers.0.self_attn.q_proj.weight": np.zeros((8, 8), np.float32),
        "model.encoder.conv1.weight": np.zeros((8, 4, 3), np.float32),
    }))
    put("weights", "vae_like.safetensors", st_save({
        "encoder.conv1.weight": np.zeros((4, 3, 3, 3, 3), np.float16),
        "decoder.conv1.weight": np.zeros((4, 4, 3, 3, 3), np.float16),
        "conv1.weight": np.zeros((8, 8, 1, 1, 1), np.float16),
    }, metadata={"config": json.dumps({"dim": 4, "z_dim": 4})}))
    put("weights", "text_context.safetensors", st_save({"context": np.zeros((3, 8), np.float32)}))
    # PyTorch zip (torch.save), the restricted unpickler's input.
    buffer = io.BytesIO()
    torch.save({"blocks.0.self_attn.q.weight": torch.zeros(2, 2), "head.head.weight": torch.ones(3, dtype=torch.bfloat16),
                "nested": {"x": torch.arange(4, dtype=torch.float16)}}, buffer)
    put("weights", "state_dict.pth", buffer.getvalue())
    # Hostile headers (each refused with a message): a config asking for 10^9 layers, overlapping and
    # out-of-range offsets, a shape whose element count overflows, escapes in names, deep nesting.
    put("weights", "hostile_layers.safetensors", raw_safetensors(
        {"__metadata__": {"config": json.dumps({"dim": 16, "num_heads": 2, "num_layers": 10**9, "ffn_dim": 32})},
         "x": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}, b"\0" * 4))
    put("weights", "hostile_offsets.safetensors", raw_safetensors(
        {"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
         "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}, b"\0" * 12))
    put("weights", "hostile_shape.safetensors", raw_safetensors(
        {"a": {"dtype": "F32", "shape": [2**40, 2**40], "data_offsets": [0, 4]}}, b"\0" * 4))
    put("weights", "hostile_name.safetensors", raw_safetensors(
        {"blocks.0.\u001b[2Jx": {"dtype": "BF16", "shape": [1], "data_offsets": [0, 2]}}, b"\0" * 2))
    put("weights", "hostile_nesting.safetensors", raw_safetensors({"__metadata__": {"config": "[" * 5000}}))


def libsndfile():
    lib = ctypes.CDLL(ctypes.util.find_library("sndfile") or "libsndfile.so.1")

    class Info(ctypes.Structure):
        _fields_ = [("frames", ctypes.c_int64), ("samplerate", ctypes.c_int), ("channels", ctypes.c_int),
                    ("format", ctypes.c_int), ("sections", ctypes.c_int), ("seekable", ctypes.c_int)]
    lib.sf_open.restype = ctypes.c_void_p
    lib.sf_open.argtypes = [ctypes.c_char_p, ctypes.c_int, ctypes.POINTER(Info)]
    lib.sf_writef_float.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_float), ctypes.c_int64]
    lib.sf_close.argtypes = [ctypes.c_void_p]
    return lib, Info


def audio():
    lib, Info = libsndfile()
    formats = {  # major | subtype, from sndfile.h
        "tone_16k_pcm16.wav": (0x010000 | 0x0002, 16000, 1),
        "tone_44k_stereo_float.wav": (0x010000 | 0x0006, 44100, 2),
        "tone_48k_pcm24.flac": (0x170000 | 0x0003, 48000, 1),
        "tone_22k_vorbis.ogg": (0x200000 | 0x0060, 22050, 1),
        "tone_44k_layer3.mp3": (0x230000 | 0x0082, 44100, 1),
    }
    tmp = "/tmp/omniedit-fuzz-seed-audio"
    for name, (fmt, rate, channels) in formats.items():
        n = rate // 10  # 0.1 s
        t = np.arange(n) / rate
        samples = np.stack([0.3 * np.sin(2 * np.pi * 220 * (c + 1) * t) for c in range(channels)], axis=1)
        samples = np.ascontiguousarray(samples.astype(np.float32))
        info = Info(0, rate, channels, fmt, 0, 0)
        handle = lib.sf_open((tmp + "-" + name).encode(), 0x20, ctypes.byref(info))  # SFM_WRITE
        if not handle:
            print(f"libsndfile cannot write {name}; skipped")
            continue
        lib.sf_writef_float(handle, samples.ctypes.data_as(ctypes.POINTER(ctypes.c_float)), n)
        lib.sf_close(handle)
        with open(tmp + "-" + name, "rb") as f:
            put("audio", name, f.read())
        os.remove(tmp + "-" + name)
    put("audio", "hostile_riff_sizes.wav", b"RIFF" + struct.pack("<I", 0xFFFFFFF0) + b"WAVEfmt " + struct.pack(
        "<IHHIIHH", 16, 1, 65535, 0xFFFFFFFF, 0xFFFFFFFF, 0, 16) + b"data" + struct.pack("<I", 0xFFFFFFF0) + b"\0" * 16)


def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png(width, height, depth, color, rows, palette=None, trns=None):
    out = b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, depth, color, 0, 0, 0))
    if palette is not None:
        out += png_chunk(b"PLTE", palette)
    if trns is not None:
        out += png_chunk(b"tRNS", trns)
    raw = b"".join(b"\0" + r for r in rows)
    return out + png_chunk(b"IDAT", zlib.compress(raw)) + png_chunk(b"IEND", b"")


def images():
    w, h = 5, 3
    put("image", "rgba8.png", png(w, h, 8, 6, [bytes((x * 40 + y * 7 + c * 3) % 256 for x in range(w) for c in range(4)) for y in range(h)]))
    put("image", "rgb16.png", png(w, h, 16, 2, [b"".join(struct.pack(">H", (x * 9000 + y * 300 + c) % 65536) for x in range(w) for c in range(3)) for y in range(h)]))
    put("image", "grey8.png", png(w, h, 8, 0, [bytes(x * 50 for x in range(w)) for _ in range(h)]))
    put("image", "grey_alpha16.png", png(w, h, 16, 4, [b"".join(struct.pack(">HH", x * 1000, 65535 - y) for x in range(w)) for y in range(h)]))
    put("image", "palette4.png", png(w, h, 4, 3, [bytes([0x01, 0x23, 0x40]) for _ in range(h)], palette=bytes(range(48)), trns=b"\x80\x40"))
    put("image", "hostile_size.png", png(0x7FFFFFFF, 0x7FFFFFFF, 8, 6, [b"\0" * 8]))
    rgb = np.arange(w * h * 3, dtype="<f4") / 10
    put("image", "rgb_le.pfm", b"PF\n%d %d\n-1.0\n" % (w, h) + rgb.tobytes())
    put("image", "grey_be.pfm", b"Pf\n%d %d\n1.0\n" % (w, h) + np.arange(w * h, dtype=">f4").tobytes())
    put("image", "hostile_size.pfm", b"PF\n99999999 99999999\n-1.0\n" + b"\0" * 12)


def jobfiles():
    put("jobfile", "render.json", json.dumps({"renders": [{
        "bundle": "build/OmniEdit.ofx.bundle", "effect": "LipSync", "input": "clip/face####.png", "output": "out/o.mp4",
        "frames": "1-25", "frameRate": 25, "audio": "voice.wav", "context": "general", "depth": "float",
        "set": {"seed": "3", "steps": "20"}, "setFiles": {"audioFile": "voice.wav", "modelFolder": ""},
        "negativeRowBytes": False}]}, indent=1).encode())
    put("jobfile", "two.json", b'{"renders": [{"bundle": "/a.ofx.bundle", "effect": "Invert", "input": "/in.png", "output": "o####.png", "frames": "7"}, {"bundle": "b", "effect": "e", "input": "i", "output": "o", "setList": ["a=1", "b"]}]}')
    put("jobfile", "hostile_types.json", b'{"renders": [{"bundle": 1, "effect": null, "input": [], "output": {}, "frames": "9223372036854775807-9223372036854775807"}]}')


if __name__ == "__main__":
    weights()
    audio()
    images()
    jobfiles()
    for name in sorted(os.listdir(ROOT)):
        files = os.listdir(os.path.join(ROOT, name))
        print(name, len(files), "files,", sum(os.path.getsize(os.path.join(ROOT, name, f)) for f in files), "bytes")
