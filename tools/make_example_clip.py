#!/usr/bin/env python3
"""Draws the example clip: a 96x96 cartoon face, 49 frames at 25 fps, whose mouth opens and closes.
Examples/clip/face####.png (8-bit RGBA). The speech track Examples/voice.wav was made with
`espeak-ng -w Examples/voice.wav "Hello from Omni Edit. This voice drives the mouth."`.
Standard library only: python3 tools/make_example_clip.py"""
import math, os, struct, zlib

W = H = 96
OUT = os.path.join(os.path.dirname(__file__), "..", "Examples", "clip")

def png(path, rows):
    raw = b"".join(b"\x00" + bytes(r) for r in rows)
    ch = lambda t, d: struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)
    open(path, "wb").write(b"\x89PNG\r\n\x1a\n" + ch(b"IHDR", struct.pack(">IIBBBBB", W, H, 8, 6, 0, 0, 0))
                           + ch(b"IDAT", zlib.compress(raw, 9)) + ch(b"IEND", b""))

def inside(x, y, cx, cy, rx, ry):
    return ((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2 <= 1

for f in range(49):
    opening = 1.5 + 6 * abs(math.sin(f * 0.45))
    rows = []
    for y in range(H):
        row = []
        for x in range(W):
            c = (60 + y // 3, 90 + y // 4, 140, 255)                      # background gradient
            if inside(x, y, 48, 50, 30, 36): c = (236, 196, 160, 255)    # face
            if inside(x, y, 37, 40, 4, 5) or inside(x, y, 59, 40, 4, 5): c = (40, 40, 60, 255)  # eyes
            if inside(x, y, 48, 68, 11, opening): c = (120, 30, 40, 255)  # mouth
            row += c
        rows.append(row)
    png(os.path.join(OUT, "face%04d.png" % (f + 1)), rows)
