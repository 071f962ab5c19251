#!/usr/bin/env python3
"""Audio-visual scenes whose picture and sound share attributes, for the built-in AV Edit model.

Speakers: a procedural face (faces.Face) whose look is set by attributes that also set the voice:
    gender     woman | man       hair style (long/bun vs short), beard (men only) | espeak-ng voice variant f* / m*
    pitch      high | low                                                         | espeak pitch 60-95 / 5-40
    age        young | old       hair colour (grey/white when old), forehead lines | pitch 8 lower when old
    expression smiling | serious mouth corners up + cheeks / brows lowered       | speech 185-230 / 110-140 wpm
    hair       blonde | black | brown | red (young), grey | white (old)
    beard      yes | no (men)
Scenes without speech (with their sounds):
    bell  small | large          a swinging bell, struck at each end of the swing | a decaying tone, high / low
    ball  red | blue | green     a ball bouncing on the floor                    | a thud at each floor contact
    rain  light | heavy          falling streaks                                  | filtered noise, quiet / loud

    attrs = sample_speaker(rng) / sample_scene(rng)      # dict, JSON-able
    caption(attrs) -> str                                # the caption is a pure function of the attributes
    SpeakerFace(face_seed, attrs).render(vis, motion_seed) -> frames, mouth boxes, opening, probe boxes
    render_scene(attrs, n_frames, seed) -> frames, audio, probes

Probe boxes tell the evaluation where to look (x0, y0, x1, y1, exclusive ends, per frame, moving with the head):
    hair_box   the top of the head: hair colour          beard_box  the jaw beside and below the mouth: beard or skin
    side_box   beside the face at jaw level (left side): long hair or background
    skin_box   the cheek beside the nose: the skin colour (the reference for the beard)
    object_box (scenes) the bell or ball, the whole frame for rain
"""
import math

import numpy as np
from PIL import Image, ImageDraw

import faces

SR, FPS, SPF = 16000, 25, 640
HAIR_COLOURS = {"blonde": (222, 190, 110), "black": (22, 18, 16), "brown": (92, 58, 32), "red": (170, 62, 28),
                "grey": (140, 140, 146), "white": (226, 226, 230)}
YOUNG_HAIR, OLD_HAIR = ("blonde", "black", "brown", "red"), ("grey", "white")
WOMAN_STYLES, MAN_STYLES = (2, 4), (0, 1, 3, 5)  # faces.Face hair styles: 2 long, 4 bun | short ones
BALL_COLOURS = {"red": (210, 40, 40), "blue": (40, 80, 220), "green": (40, 170, 60)}


def voices_by_gender(voices):
    """Split espeak voice names into (women, men) by their variant (+f* / +m*); plain voices are dropped."""
    women = [v for v in voices if "+f" in v]
    men = [v for v in voices if "+m" in v]
    return women, men


def sample_speaker(rng):
    g = "woman" if rng.uniform() < 0.5 else "man"
    usual = "high" if g == "woman" else "low"
    pitch = usual if rng.uniform() < 0.75 else ("low" if usual == "high" else "high")
    age = "young" if rng.uniform() < 0.7 else "old"
    hair = (YOUNG_HAIR if age == "young" else OLD_HAIR)[int(rng.integers(len(YOUNG_HAIR if age == "young" else OLD_HAIR)))]
    beard = bool(g == "man" and rng.uniform() < 0.5)
    expression = "smiling" if rng.uniform() < 0.5 else "serious"
    return {"kind": "speech", "gender": g, "pitch": pitch, "age": age, "hair": hair, "beard": beard,
            "expression": expression}


def sample_scene(rng):
    kind = ("bell", "ball", "rain")[int(rng.integers(3))]
    if kind == "bell":
        return {"kind": "bell", "size": "small" if rng.uniform() < 0.5 else "large"}
    if kind == "ball":
        return {"kind": "ball", "colour": list(BALL_COLOURS)[int(rng.integers(len(BALL_COLOURS)))]}
    return {"kind": "rain", "strength": "light" if rng.uniform() < 0.5 else "heavy"}


def caption(a):
    """The clip's caption, from its attributes only (the text encoder learns these words)."""
    if a["kind"] == "speech":
        who = "%s %s" % ("an" if a["age"] == "old" else "a", "old " + a["gender"] if a["age"] == "old" else a["gender"])
        look = "with %s hair" % a["hair"] + (" and a beard" if a["beard"] else "")
        how = "smiles and speaks quickly" if a["expression"] == "smiling" else "looks serious and speaks slowly"
        return "%s %s %s in a %s voice" % (who, look, how, a["pitch"])
    if a["kind"] == "bell":
        return "a %s bell swings and rings with a %s tone" % (a["size"], "high" if a["size"] == "small" else "low")
    if a["kind"] == "ball":
        return "a %s ball bounces with a thud on each bounce" % a["colour"]
    return "%s rain falls with a %s patter" % (a["strength"], "soft" if a["strength"] == "light" else "loud")


EDIT_KINDS = ("gender", "hair", "pitch")


def edit_target(a, kind):
    """The attributes a speaker edit asks for (the evaluation's target prompt is caption(edit_target(a, kind))):
    gender  woman <-> man with a beard, with the new gender's usual pitch
    hair    the first other hair colour of the same age group
    pitch   the pitch word only (high <-> low)"""
    t = dict(a)
    if kind == "gender":
        if a["gender"] == "woman":
            t.update(gender="man", beard=True, pitch="low")
        else:
            t.update(gender="woman", beard=False, pitch="high")
    elif kind == "hair":
        options = YOUNG_HAIR if a["age"] == "young" else OLD_HAIR
        t["hair"] = [h for h in options if h != a["hair"]][0]
    elif kind == "pitch":
        t["pitch"] = "low" if a["pitch"] == "high" else "high"
    else:
        raise ValueError("edit kind %r is not one of %s" % (kind, ", ".join(EDIT_KINDS)))
    return t


def speech_params(a, rng):
    """(espeak pitch 0..100, rate wpm) for a speaker's attributes."""
    pitch = int(rng.integers(60, 96)) if a["pitch"] == "high" else int(rng.integers(5, 41))
    if a["age"] == "old":
        pitch = max(0, pitch - 8)
    rate = int(rng.integers(185, 231)) if a["expression"] == "smiling" else int(rng.integers(110, 141))
    return pitch, rate


def _box(cx, cy, hw, hh):
    x0 = int(max(0, min(faces.SIZE - 2, math.floor(cx - hw))))
    y0 = int(max(0, min(faces.SIZE - 2, math.floor(cy - hh))))
    return x0, y0, int(min(faces.SIZE, max(x0 + 2, math.ceil(cx + hw)))), int(min(faces.SIZE, max(y0 + 2, math.ceil(cy + hh))))


class SpeakerFace(faces.Face):
    """A faces.Face whose hair, beard, age marks and expression follow the attributes (the rest from the seed)."""

    def __init__(self, face_seed, attrs):
        super().__init__(face_seed)
        self.attrs = attrs
        r = np.random.default_rng([0xA7, int(face_seed)])
        styles = WOMAN_STYLES if attrs["gender"] == "woman" else MAN_STYLES
        self.hair_style = styles[int(r.integers(len(styles)))]
        self.hair_col = faces._clamp(np.array(HAIR_COLOURS[attrs["hair"]]) + r.normal(0, 6, 3))
        self.brow_col = faces._mix(self.hair_col, (25, 20, 18), 0.4 if attrs["age"] == "young" else 0.15)
        self.hairline = r.uniform(0.55, 0.75)  # enough hair on top for the probe
        if attrs["gender"] == "woman":
            self.long_len = r.uniform(0.85, 1.1)
        if attrs["expression"] == "serious":
            self.brow_tilt = r.uniform(-2.5, -1.2)  # inner ends lowered
        else:
            self.brow_tilt = r.uniform(1.0, 2.5)
            self.cheeks = True

    def probes(self, dx, dy):
        cx, cy, rx, ry = self.cx + dx, self.cy + dy, self.rx, self.ry
        hair = _box(cx, cy - ry * 0.86, rx * 0.35, ry * 0.07 + 1)
        beard = _box(cx - rx * 0.55, self.mouth_y + dy + 7, 2, 2.5)  # the jaw beside and below the mouth
        side = _box(cx - rx * 0.99 - 1.5, cy + ry * 0.35, 1.5, 4)  # between the face's edge and long hair's edge
        skin = _box(cx + rx * 0.3, self.nose_y + dy - 2, 2, 1.5)  # cheek beside the nose: the skin reference
        return hair, beard, side, skin

    def render(self, vis, motion_seed=0):
        frames, boxes, opening = super().render(vis, motion_seed)
        dx, dy = self.motion(len(vis), motion_seed)[:2]
        probes = np.array([self.probes(x, y) for x, y in zip(dx, dy)], np.int32)  # [N, 3, 4]
        return frames, boxes, opening, {"hair_box": probes[:, 0], "beard_box": probes[:, 1], "side_box": probes[:, 2],
                                        "skin_box": probes[:, 3]}

    def _draw_head(self, d, dx, dy, blink, gx, gy, brow):
        super()._draw_head(d, dx, dy, blink, gx, gy, brow)
        s = faces.SS
        cx, cy, rx, ry = self.cx + dx, self.cy + dy, self.rx, self.ry
        if self.attrs["age"] == "old":  # forehead lines
            col = faces._mix(self.skin, (60, 40, 30), 0.35)
            for k in range(3):
                y = cy - ry * (0.42 - 0.08 * k)
                d.line([((cx - rx * 0.4) * s, y * s), (cx * s, (y - 1.2) * s), ((cx + rx * 0.4) * s, y * s)],
                       fill=col, width=s, joint="curve")
        if self.attrs["beard"]:  # a full beard around the jaw; the mouth is drawn over it
            my = self.mouth_y + dy
            pts = [(cx - rx * 0.93, cy + ry * 0.05), (cx - rx * 0.8, cy + ry * 0.6), (cx - rx * 0.35, cy + ry * 0.97),
                   (cx, cy + ry * 1.03), (cx + rx * 0.35, cy + ry * 0.97), (cx + rx * 0.8, cy + ry * 0.6),
                   (cx + rx * 0.93, cy + ry * 0.05), (cx + rx * 0.7, cy + ry * 0.25), (cx + rx * 0.45, my - 6),
                   (cx - rx * 0.45, my - 6), (cx - rx * 0.7, cy + ry * 0.25)]
            d.polygon([(x * s, y * s) for x, y in pts], fill=faces._mix(self.hair_col, (0, 0, 0), 0.15))

    def _draw_mouth(self, d, dx, dy, opening, width, rounding):
        super()._draw_mouth(d, dx, dy, opening, width, rounding)
        s = faces.SS
        mx, my = self.cx + dx, self.mouth_y + dy
        hw = self.mouth_hw * (0.8 + 0.4 * width) * (1 - 0.3 * rounding)
        col = faces._mix(self.lip_col, (60, 20, 25), 0.5)
        rise = -3.5 if self.attrs["expression"] == "smiling" else 1.5
        for sgn in (-1, 1):  # mouth corners: up when smiling, slightly down when serious
            d.line([((mx + sgn * hw * 0.8) * s, my * s), ((mx + sgn * (hw + 2.5)) * s, (my + rise) * s)],
                   fill=col, width=max(1, int(1.3 * s)), joint="curve")


# --- scenes without speech ------------------------------------------------------------------------------------------

def _background(rng, n):
    c0, c1 = rng.uniform(60, 200, 3), rng.uniform(60, 200, 3)
    y = (np.arange(n) / n)[:, None, None]
    return Image.fromarray(np.broadcast_to(c0 * (1 - y) + c1 * y, (n, n, 3)).astype(np.uint8))


def _decay_tone(n, f0, start, rng, dur=0.9):
    t = np.arange(int(dur * SR)) / SR
    env = np.exp(-t * rng.uniform(3.5, 5.5))
    tone = np.sin(2 * np.pi * f0 * t) + 0.5 * np.sin(2 * np.pi * 2.76 * f0 * t) + 0.25 * np.sin(2 * np.pi * 5.4 * f0 * t)
    seg = 0.35 * env * tone
    out = np.zeros(n)
    a = int(start * SR)
    k = max(0, min(len(seg), n - a))
    out[a:a + k] += seg[:k]
    return out


def render_scene(a, n_frames, seed):
    """(frames uint8 [N,128,128,3], audio float32 [N*640], probes {object_box [N,4], events [E] s, tone_hz})."""
    rng = np.random.default_rng([0x5CE, int(seed)])
    S, n = faces.SS, faces.SIZE * faces.SS
    bg = _background(rng, n)
    n_audio = n_frames * SPF
    audio = np.zeros(n_audio)
    frames = np.zeros((n_frames, faces.SIZE, faces.SIZE, 3), np.uint8)
    boxes = np.zeros((n_frames, 4), np.int32)
    events, tone = [], 0.0
    t = np.arange(n_frames) / FPS
    if a["kind"] == "bell":
        big = a["size"] == "large"
        r = rng.uniform(26, 32) if big else rng.uniform(12, 16)
        tone = rng.uniform(200, 320) if big else rng.uniform(700, 1000)
        period = rng.uniform(0.9, 1.4)
        phase = rng.uniform(0, 2 * math.pi)
        angle = 0.45 * np.sin(2 * math.pi * t / period + phase)
        col = (212, 170, 50) if big else (200, 200, 210)
        px, py = 64 + rng.uniform(-8, 8), 18 + rng.uniform(-4, 4)
        end = n_frames / FPS - 0.05
        for k in range(-2, int(2 * end / period) + 3):  # struck at each end of the swing: phase + 2*pi*t/T = pi/2 + k*pi
            e = (math.pi / 2 + k * math.pi - phase) * period / (2 * math.pi)
            if 0 <= e < end:
                events.append(float(e))
        for e in events:
            audio += _decay_tone(n_audio, tone, e, rng)
        for i in range(n_frames):
            img = bg.copy()
            d = ImageDraw.Draw(img)
            bx, by = px + math.sin(angle[i]) * (r * 1.6), py + math.cos(angle[i]) * (r * 1.6)
            d.line([(px * S, py * S), (bx * S, by * S)], fill=(60, 50, 40), width=2 * S)
            d.pieslice([(bx - r) * S, (by - r * 0.9) * S, (bx + r) * S, (by + r * 1.1) * S], 180, 360, fill=col)
            d.rectangle([(bx - r) * S, by * S, (bx + r) * S, (by + r * 0.5) * S], fill=col)
            d.ellipse([(bx - r * 0.2) * S, (by + r * 0.4) * S, (bx + r * 0.2) * S, (by + r * 0.8) * S], fill=(70, 60, 40))
            frames[i] = np.asarray(img.reduce(S))
            boxes[i] = _box(bx, by, r, r)
    elif a["kind"] == "ball":
        col = BALL_COLOURS[a["colour"]]
        r = rng.uniform(9, 13)
        floor = 112.0
        period = rng.uniform(0.6, 0.9)
        h = rng.uniform(45, 70)
        x0, vx = rng.uniform(25, 45), rng.uniform(-12, 12)
        ph = rng.uniform(0, period)
        for i in range(n_frames):
            u = ((t[i] + ph) % period) / period  # 0 and 1 at floor contact
            y = floor - r - h * 4 * u * (1 - u)
            x = x0 + 40 + vx * t[i]
            img = bg.copy()
            d = ImageDraw.Draw(img)
            d.rectangle([0, floor * S, n, n], fill=(90, 70, 50))
            d.ellipse([(x - r * 1.1) * S, (floor - 2) * S, (x + r * 1.1) * S, (floor + 2) * S], fill=(60, 45, 35))
            d.ellipse([(x - r) * S, (y - r) * S, (x + r) * S, (y + r) * S], fill=col)
            frames[i] = np.asarray(img.reduce(S))
            boxes[i] = _box(x, y, r, r)
        k = 0
        while True:
            e = k * period - ph
            k += 1
            if e < 0:
                continue
            if e >= n_frames / FPS - 0.05:
                break
            events.append(float(e))
        tt = np.arange(int(0.25 * SR)) / SR
        thud = np.sin(2 * np.pi * 70 * tt * (1 - 0.3 * tt)) * np.exp(-tt * 22)
        noise = rng.normal(0, 1, len(tt)) * np.exp(-tt * 60) * 0.3
        for e in events:
            s0 = int(e * SR)
            m = min(len(tt), n_audio - s0)
            audio[s0:s0 + m] += 0.6 * (thud + noise)[:m]
    else:
        heavy = a["strength"] == "heavy"
        count = int(rng.integers(70, 110)) if heavy else int(rng.integers(12, 24))
        drops = rng.uniform(0, 1, (count, 3))  # x, phase, speed
        for i in range(n_frames):
            img = bg.copy()
            d = ImageDraw.Draw(img)
            for x, p, v in drops:
                y = ((p + t[i] * (1.2 + v)) % 1.0) * 140 - 12
                d.line([(x * 128 * S, y * S), ((x * 128 - 2) * S, (y + 9) * S)], fill=(200, 210, 235), width=S)
            frames[i] = np.asarray(img.reduce(S))
            boxes[i] = (0, 0, faces.SIZE, faces.SIZE)
        noise = rng.normal(0, 1, n_audio)
        sm = np.convolve(noise, np.ones(4) / 4, mode="same")  # soften the hiss
        ticks = (rng.uniform(0, 1, n_audio) < (0.004 if heavy else 0.0008)) * rng.normal(0, 4, n_audio)
        audio = (0.22 if heavy else 0.05) * sm + np.convolve(ticks, np.exp(-np.arange(80) / 12.0), mode="same") * (0.05 if heavy else 0.08)
    audio = np.clip(audio, -1, 1).astype(np.float32)
    return frames, audio, {"object_box": boxes, "events": np.array(events, np.float32),
                           "tone_hz": np.array(tone, np.float32)}
