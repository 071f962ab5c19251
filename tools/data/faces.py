#!/usr/bin/env python3
"""Procedural talking faces at 128x128 RGB whose mouth follows per-frame visemes.

    face = Face(face_seed)                       # appearance: shape, skin, hair, eyes, brows, nose, lips, background
    frames, boxes, opening = face.render(vis, motion_seed)
        vis:     float32 [N, 3] visemes (opening, width, rounding) in [0, 1]
        frames:  uint8 [N, 128, 128, 3]
        boxes:   int32 [N, 4] mouth box (x0, y0, x1, y1) in pixels, x1/y1 exclusive; a fixed size per face that holds
                 the widest, most open mouth, moving with the head
        opening: float32 [N] the opening that was drawn (= vis[:, 0])

Everything except the mouth depends only on (face_seed, motion_seed, N): the same face and motion with other visemes
give the same frames outside the mouth. Drawing is at SS x the size and box-downsampled (anti-aliased).
"""
import math

import numpy as np
from PIL import Image, ImageDraw

SIZE = 128
SS = 3  # supersampling factor

SKIN = np.array([(255, 226, 200), (243, 200, 168), (228, 178, 138), (205, 146, 104), (168, 110, 75),
                 (126, 82, 56), (92, 60, 42)], np.float64)
HAIR = [(20, 16, 14), (45, 30, 20), (85, 55, 30), (120, 80, 45), (170, 130, 80), (215, 185, 120),
        (150, 60, 30), (120, 120, 125), (200, 200, 205), (60, 40, 90), (30, 60, 110)]
IRIS = [(70, 45, 25), (100, 65, 35), (50, 90, 140), (70, 120, 80), (110, 110, 120), (35, 30, 30)]


def _mix(a, b, t):
    return tuple(int(round(x * (1 - t) + y * t)) for x, y in zip(a, b))


def _chord(d, box, a0, a1, fill, steps=48):
    """Fill the ellipse segment between angles a0..a1 (degrees, clockwise from 3 o'clock, y down) and its chord."""
    x0, y0, x1, y1 = box
    cx, cy, rx, ry = (x0 + x1) / 2, (y0 + y1) / 2, (x1 - x0) / 2, (y1 - y0) / 2
    t = np.radians(np.linspace(a0, a1, steps))
    d.polygon([(float(cx + rx * math.cos(a)), float(cy + ry * math.sin(a))) for a in t], fill=fill)


def _clamp(c):
    return tuple(int(max(0, min(255, round(v)))) for v in c)


class Face:
    def __init__(self, face_seed):
        self.seed = int(face_seed)
        r = np.random.default_rng([0xFACE, self.seed])
        u = r.uniform
        # skin: a point along the tone ramp, small hue jitter
        t = u(0, len(SKIN) - 1)
        i = min(int(t), len(SKIN) - 2)
        skin = SKIN[i] * (1 - (t - i)) + SKIN[i + 1] * (t - i) + r.normal(0, 6, 3)
        self.skin = _clamp(skin)
        self.skin_shade = _clamp(skin * 0.86)
        self.neck = _clamp(skin * 0.80)
        # face geometry (128-pixel units)
        self.cx = 64 + u(-4, 4)
        self.cy = 64 + u(-2, 4)
        self.rx = u(39, 49)
        self.ry = u(max(self.rx + 2, 47), 58)
        self.jaw = u(0.75, 1.0)  # lower-face width relative to rx ("egg" shape when smaller)
        self.ear = u(0.0, 1.0) < 0.8
        # eyes and brows
        self.eye_y = self.cy - self.ry * u(0.02, 0.16)
        self.eye_dx = self.rx * u(0.33, 0.44)
        self.eye_w = u(5.5, 8.5)
        self.eye_h = self.eye_w * u(0.45, 0.7)
        self.iris = IRIS[int(r.integers(len(IRIS)))]
        self.iris_r = self.eye_h * u(0.75, 0.95)
        self.brow_dy = u(5, 9)
        self.brow_w = self.eye_w * u(1.1, 1.5)
        self.brow_th = u(1.2, 3.0)
        self.brow_tilt = u(-2.0, 2.5)
        # nose
        self.nose_y = self.cy + self.ry * u(0.16, 0.28)
        self.nose_w = u(4, 7.5)
        self.nose_style = int(r.integers(3))
        # mouth
        self.mouth_y = self.cy + self.ry * u(0.48, 0.56)
        self.mouth_y = min(self.mouth_y, self.cy + self.ry - 14)
        self.mouth_hw = u(12.5, 17.0)       # neutral half width
        self.mouth_hmax = u(12.0, 16.0)     # inner height at opening 1
        self.lip = self.mouth_hmax * u(0.14, 0.22)  # lip thickness
        lip_target = [(190, 80, 90), (170, 70, 70), (150, 75, 80), (120, 60, 60)][int(r.integers(4))]
        self.lip_col = _mix(self.skin, lip_target, u(0.35, 0.7))
        self.inner_col = _clamp(np.array((45, 12, 20)) * u(0.6, 1.15))
        self.teeth_col = _clamp(np.array((236, 232, 222)) * u(0.85, 1.0))
        self.tongue_col = _clamp(np.array((120, 45, 55)) * u(0.8, 1.1))
        # hair
        self.hair_col = _clamp(np.array(HAIR[int(r.integers(len(HAIR)))]) + r.normal(0, 8, 3))
        self.brow_col = _mix(self.hair_col, (25, 20, 18), 0.4)
        self.hair_style = int(r.integers(6))  # 0 bald/short, 1 cap, 2 long, 3 fringe, 4 bun, 5 side part
        self.hairline = u(0.45, 0.75)  # how far down the forehead the cap comes (fraction of upper half)
        self.hair_volume = u(1.02, 1.14)
        self.long_len = u(0.6, 1.1)
        # clothes
        self.shirt = _clamp(r.uniform(20, 235, 3))
        self.cheeks = u(0, 1) < 0.4
        # background: gradient between two colours plus a few soft shapes
        self.bg = self._background(r)
        # motion style
        self.motion_amp = (u(0.6, 2.6), u(0.4, 1.8))

    def _background(self, r):
        n = SIZE * SS
        c0, c1 = r.uniform(20, 235, 3), r.uniform(20, 235, 3)
        ang = r.uniform(0, 2 * math.pi)
        y, x = np.mgrid[0:n, 0:n] / n - 0.5
        g = np.clip(0.5 + (x * math.cos(ang) + y * math.sin(ang)), 0, 1)[..., None]
        img = Image.fromarray((c0 * (1 - g) + c1 * g).astype(np.uint8))
        over = Image.new("RGBA", (n, n), (0, 0, 0, 0))
        d = ImageDraw.Draw(over)
        for _ in range(int(r.integers(2, 8))):
            col = tuple(int(v) for v in r.uniform(10, 245, 3)) + (int(r.uniform(50, 160)),)
            x0, y0 = r.uniform(-0.2, 1.0, 2) * n
            w, h = r.uniform(0.1, 0.5, 2) * n
            if r.uniform() < 0.5:
                d.ellipse([x0, y0, x0 + w, y0 + h], fill=col)
            else:
                d.rectangle([x0, y0, x0 + w, y0 + h], fill=col)
        img = Image.alpha_composite(img.convert("RGBA"), over).convert("RGB")
        return img

    # -- motion ---------------------------------------------------------------------------------------------------
    def motion(self, n, motion_seed):
        """Per-frame head offset (dx, dy), blink closure, gaze (gx, gy), brow raise: all smooth, seed-determined."""
        r = np.random.default_rng([0xB0B, self.seed, int(motion_seed)])
        t = np.arange(n) / 25.0
        ax, ay = self.motion_amp

        def wave(amp):
            s = np.zeros(n)
            for _ in range(2):
                s += amp * r.uniform(0.3, 0.7) * np.sin(2 * math.pi * r.uniform(0.1, 0.6) * t + r.uniform(0, 6.3))
            return s

        dx, dy = wave(ax), wave(ay)
        blink = np.zeros(n)
        f = int(r.integers(5, 60))
        prof = [0.45, 1.0, 0.75, 0.25]
        while f < n:
            for k, v in enumerate(prof):
                if f + k < n:
                    blink[f + k] = v
            f += int(r.integers(40, 110))
        gx = np.clip(wave(0.5) + r.uniform(-0.4, 0.4), -1, 1)
        gy = np.clip(wave(0.3), -1, 1)
        brow = wave(1.0)
        return dx, dy, blink, gx, gy, brow

    # -- geometry ---------------------------------------------------------------------------------------------------
    def mouth_extent(self):
        """Half-extents (left/right, up, down) of the widest, most open mouth around its centre."""
        hw = self.mouth_hw * 1.2 + 1.0
        up = self.mouth_hmax * 0.5 + self.lip * 1.4 + 1.0
        down = self.mouth_hmax * 0.5 * 1.15 + self.lip * 1.6 + 1.0
        return hw, up, down

    def mouth_box(self, dx, dy):
        hw, up, down = self.mouth_extent()
        margin = 0.2 * self.mouth_hmax
        # the box has one size per face; its position follows the head (rounded)
        w, h = int(math.ceil(2 * (hw + margin))), int(math.ceil(up + down + 2 * margin))
        x0 = int(math.floor(self.cx + dx - w / 2.0 + 0.5))
        y0 = int(math.floor(self.mouth_y + dy - up - margin + 0.5))
        x0 = max(0, min(SIZE - w, x0))
        y0 = max(0, min(SIZE - h, y0))
        return x0, y0, x0 + w, y0 + h

    # -- drawing ----------------------------------------------------------------------------------------------------
    def render(self, vis, motion_seed=0):
        vis = np.asarray(vis, np.float32)
        n = len(vis)
        dx, dy, blink, gx, gy, brow = self.motion(n, motion_seed)
        frames = np.zeros((n, SIZE, SIZE, 3), np.uint8)
        boxes = np.zeros((n, 4), np.int32)
        for i in range(n):
            img = self.bg.copy()
            d = ImageDraw.Draw(img)
            self._draw_head(d, dx[i], dy[i], blink[i], gx[i], gy[i], brow[i])
            self._draw_mouth(d, dx[i], dy[i], *[float(v) for v in vis[i]])
            frames[i] = np.asarray(img.reduce(SS))
            boxes[i] = self.mouth_box(dx[i], dy[i])
        return frames, boxes, vis[:, 0].copy()

    def _draw_head(self, d, dx, dy, blink, gx, gy, brow):
        s = SS

        def E(cx, cy, rx, ry, fill):
            d.ellipse([(cx - rx) * s, (cy - ry) * s, (cx + rx) * s, (cy + ry) * s], fill=fill)

        cx, cy, rx, ry = self.cx + dx, self.cy + dy, self.rx, self.ry
        hv = self.hair_volume
        # shoulders, neck, long hair behind
        E(cx, cy + ry + 30, rx * 1.7, 28, self.shirt)
        if self.hair_style == 2:
            d.rounded_rectangle([(cx - rx * hv - 2) * s, (cy - ry * 0.6) * s, (cx + rx * hv + 2) * s,
                                 (cy + ry * self.long_len) * s], radius=12 * s, fill=self.hair_col)
        d.rectangle([(cx - rx * 0.42) * s, (cy + ry * 0.6) * s, (cx + rx * 0.42) * s, (cy + ry + 20) * s],
                    fill=self.neck)
        if self.hair_style == 4:
            E(cx, cy - ry * 0.98, rx * 0.45, ry * 0.3, self.hair_col)
        # hair volume behind the top of the head
        if self.hair_style != 0:
            E(cx, cy - ry * 0.06, rx * hv, ry * hv * 0.97, self.hair_col)
        # ears
        if self.ear:
            for sgn in (-1, 1):
                E(cx + sgn * rx * 0.97, self.eye_y + dy + 4, 5.5, 8.5, self.skin_shade)
        # face: upper ellipse + jaw ellipse
        E(cx, cy, rx, ry, self.skin)
        E(cx, cy + ry * 0.25, rx * self.jaw, ry * 0.75, self.skin)
        if self.cheeks:
            cheek = _mix(self.skin, (220, 110, 110), 0.18)
            for sgn in (-1, 1):
                E(cx + sgn * rx * 0.55, self.nose_y + dy + 2, 7, 4.5, cheek)
        # hair in front (cap over the forehead)
        if self.hair_style in (1, 2, 3, 4, 5):
            a = 90 * self.hairline  # chord from 180+a to 360-a degrees
            bb = [(cx - rx * 1.04) * s, (cy - ry * 1.04) * s, (cx + rx * 1.04) * s, (cy + ry * 1.04) * s]
            _chord(d, bb, 180 + a * 0.35, 360 - a * 0.35, self.hair_col)
            if self.hair_style == 3:  # fringe
                pts = [(cx - rx * 0.85, cy - ry * 0.55), (cx + rx * 0.85, cy - ry * 0.55),
                       (cx + rx * 0.6, cy - ry * 0.38), (cx - rx * 0.7, cy - ry * 0.42)]
                d.polygon([(x * s, y * s) for x, y in pts], fill=self.hair_col)
            if self.hair_style == 5:  # side part sweep
                pts = [(cx - rx * 0.95, cy - ry * 0.5), (cx + rx * 0.2, cy - ry * 0.95),
                       (cx + rx * 0.5, cy - ry * 0.6), (cx - rx * 0.3, cy - ry * 0.45)]
                d.polygon([(x * s, y * s) for x, y in pts], fill=self.hair_col)
        elif self.hair_style == 0:
            _chord(d, [(cx - rx) * s, (cy - ry) * s, (cx + rx) * s, (cy + ry) * s], 205, 335, self.hair_col)
        # eyes
        ey = self.eye_y + dy
        open_ = max(0.0, 1.0 - blink)
        for sgn in (-1, 1):
            ex = cx + sgn * self.eye_dx
            if open_ > 0.12:
                h = self.eye_h * open_
                E(ex, ey, self.eye_w, h, (245, 245, 240))
                ir = min(self.iris_r, self.eye_w * 0.8)
                ix, iy = ex + gx * self.eye_w * 0.3, ey + gy * h * 0.2
                # iris clipped to the eye opening by drawing it as an ellipse no taller than the eye
                E(ix, iy, ir, min(ir, h), self.iris)
                E(ix, iy, ir * 0.45, min(ir * 0.45, h * 0.6), (15, 12, 12))
                E(ix - ir * 0.3, iy - min(ir, h) * 0.35, 0.9, 0.9, (250, 250, 250))
            # lids: upper lid line
            lw = max(1, int(1.2 * s))
            top = ey - self.eye_h * open_
            d.line([((ex - self.eye_w) * s, ey * s), (ex * s, top * s), ((ex + self.eye_w) * s, ey * s)],
                   fill=_mix(self.skin_shade, (30, 20, 20), 0.6), width=lw, joint="curve")
            # eyebrow
            by = ey - self.eye_h - self.brow_dy - brow
            tilt = self.brow_tilt * sgn
            d.line([((ex - self.brow_w) * s, (by + tilt * 0.5 * -sgn + 1.5) * s), (ex * s, (by - 0.8) * s),
                    ((ex + self.brow_w) * s, (by - tilt * 0.5 * -sgn + 1.5) * s)],
                   fill=self.brow_col, width=max(1, int(self.brow_th * s)), joint="curve")
        # nose
        ny = self.nose_y + dy
        nw = self.nose_w
        if self.nose_style == 0:
            E(cx, ny - 1, nw * 0.7, 3.5, self.skin_shade)
            E(cx, ny - 2, nw * 0.55, 2.6, self.skin)
        elif self.nose_style == 1:
            d.line([(cx * s, (ny - 12) * s), ((cx + 2) * s, (ny - 1) * s), ((cx - 1) * s, ny * s)],
                   fill=self.skin_shade, width=max(1, int(1.2 * s)), joint="curve")
        for sgn in (-1, 1):
            E(cx + sgn * nw * 0.45, ny, 1.4, 1.0, _mix(self.skin_shade, (40, 20, 20), 0.5))

    def _draw_mouth(self, d, dx, dy, opening, width, rounding):
        s = SS
        mx, my = self.cx + dx, self.mouth_y + dy
        hw = self.mouth_hw * (0.8 + 0.4 * width) * (1 - 0.3 * rounding)
        ih = 0.5 * self.mouth_hmax * opening            # inner half height
        lip = self.lip * (1 + 0.4 * rounding)
        up, down = ih + lip * 1.1, ih * 1.15 + lip * 1.3  # outer lip extents
        cyo = my + (down - up) * 0.5
        d.ellipse([(mx - hw) * s, (my - up) * s, (mx + hw) * s, (my + down) * s], fill=self.lip_col)
        # inner mouth: at least a thin seam when closed
        iw = hw * (0.86 - 0.2 * rounding)
        ihd = max(ih, 0.55)
        box = [(mx - iw) * s, (my - ihd) * s, (mx + iw) * s, (my + ihd * 1.1) * s]
        d.ellipse(box, fill=self.inner_col)
        if ih > 1.6:  # upper teeth and the tongue's tip
            _chord(d, box, 232, 308, self.teeth_col, 16)
            tb = [(mx - iw * 0.5) * s, (my + ihd * 0.5) * s, (mx + iw * 0.5) * s, (my + ihd * 1.3) * s]
            _chord(d, tb, 180, 360, self.tongue_col, 16)
        del cyo
