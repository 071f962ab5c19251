#!/usr/bin/env python3
"""Draws the effects' icons (128x128 RGBA PNG + SVG per effect identifier) into plugin-manifest/Resources.

Our own drawings: a rounded tile with a mouth + sound wave (LipSync) or a film frame + wave (AV Edit).
Run: python3 tools/make_icons.py   (no dependencies beyond the standard library)."""
import math, os, struct, zlib

OUT = os.path.join(os.path.dirname(__file__), "..", "plugin-manifest", "Resources")
SIZE = 128

def png(path, pixels):
    raw = b"".join(b"\x00" + bytes(row) for row in pixels)
    def chunk(tag, data):
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)
    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", SIZE, SIZE, 8, 6, 0, 0, 0))
    data += chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
    open(path, "wb").write(data)

def draw(shapes):
    """shapes: functions (x, y) -> (r, g, b, a) or None, painted in order with 4x4 supersampling."""
    rows = []
    for y in range(SIZE):
        row = []
        for x in range(SIZE):
            acc = [0.0, 0.0, 0.0, 0.0]
            for sy in range(4):
                for sx in range(4):
                    px, py = x + (sx + 0.5) / 4, y + (sy + 0.5) / 4
                    c = [0.0, 0.0, 0.0, 0.0]
                    for s in shapes:
                        v = s(px, py)
                        if v is None: continue
                        a = v[3] / 255
                        c = [c[i] * (1 - a) + v[i] * a for i in range(3)] + [c[3] * (1 - a) + a]
                    for i in range(3): acc[i] += c[i] * c[3]
                    acc[3] += c[3]
            a = acc[3] / 16
            row += [int(acc[i] / max(acc[3], 1e-9) + 0.5) if a > 0 else 0 for i in range(3)] + [int(a * 255 + 0.5)]
        rows.append(row)
    return rows

def tile(colour):
    def f(x, y):
        r, m = 22, 6
        dx = max(m + r - x, 0, x - (SIZE - m - r)); dy = max(m + r - y, 0, y - (SIZE - m - r))
        return colour if dx * dx + dy * dy <= r * r else None
    return f

def ellipse(cx, cy, rx, ry, colour):
    return lambda x, y: colour if ((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2 <= 1 else None

def wave(x0, x1, cy, amp, colour, width=3.0):
    def f(x, y):
        if not (x0 <= x <= x1): return None
        t = (x - x0) / (x1 - x0)
        yy = cy + amp * math.sin(t * 4 * math.pi) * math.sin(t * math.pi)
        return colour if abs(y - yy) <= width else None
    return f

def rect(x0, y0, x1, y1, colour):
    return lambda x, y: colour if x0 <= x <= x1 and y0 <= y <= y1 else None

WHITE, INK = (255, 255, 255, 255), (30, 34, 48, 255)
ICONS = {
    "org.omniedit.LipSync": ([tile((232, 84, 92, 255)), ellipse(64, 52, 34, 20, WHITE), ellipse(64, 52, 26, 9, INK),
                              wave(22, 106, 96, 12, WHITE)],
        '<rect x="6" y="6" width="116" height="116" rx="22" fill="#e8545c"/>'
        '<ellipse cx="64" cy="52" rx="34" ry="20" fill="#fff"/><ellipse cx="64" cy="52" rx="26" ry="9" fill="#1e2230"/>'
        '<path d="M22 96 C36 72 50 120 64 96 S92 72 106 96" fill="none" stroke="#fff" stroke-width="6" stroke-linecap="round"/>'),
    "org.omniedit.AVEdit": ([tile((70, 120, 220, 255)), rect(24, 24, 104, 72, WHITE), rect(30, 30, 98, 66, INK),
                             rect(52, 38, 76, 58, (255, 196, 64, 255)), wave(22, 106, 96, 12, WHITE)],
        '<rect x="6" y="6" width="116" height="116" rx="22" fill="#4678dc"/>'
        '<rect x="24" y="24" width="80" height="48" fill="#fff"/><rect x="30" y="30" width="68" height="36" fill="#1e2230"/>'
        '<rect x="52" y="38" width="24" height="20" fill="#ffc440"/>'
        '<path d="M22 96 C36 72 50 120 64 96 S92 72 106 96" fill="none" stroke="#fff" stroke-width="6" stroke-linecap="round"/>'),
}

if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    for ident, (shapes, svg) in ICONS.items():
        png(os.path.join(OUT, ident + ".png"), draw(shapes))
        with open(os.path.join(OUT, ident + ".svg"), "w") as f:
            f.write('<svg xmlns="http://www.w3.org/2000/svg" width="128" height="128" viewBox="0 0 128 128">%s</svg>\n' % svg)
