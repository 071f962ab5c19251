#!/usr/bin/env python3
"""Speech with phoneme timings from espeak-ng (through ctypes on libespeak-ng.so.1), and visemes per 25-fps frame.

    audio, events = synthesize("Hello there.", voice="en+f3", rate=170, pitch=50)
        audio:  float32 [S] at 16 kHz (resampled from espeak's 22050 Hz)
        events: list of (time_seconds, phoneme_name), one per phoneme espeak reported, in order
    vis = visemes(events, n_frames)   # float32 [n_frames, 3]: opening, width, rounding in [0, 1]

Deterministic: espeak-ng's output depends on what it spoke before (state in its wave generator), so each sentence
is synthesized in a forked child of a process where espeak was initialised but never spoke; the resampler and the
viseme mapping are pure numpy. POSIX only (os.fork).
"""
import ctypes
import math
import os
import pickle

import numpy as np

SAMPLE_RATE = 16000
FPS = 25
SAMPLES_PER_FRAME = SAMPLE_RATE // FPS  # 640

# --- espeak-ng through ctypes -------------------------------------------------------------------------------------

class _EventId(ctypes.Union):
    _fields_ = [("number", ctypes.c_int), ("name", ctypes.c_char_p), ("string", ctypes.c_char * 8)]


class _Event(ctypes.Structure):  # espeak_EVENT, 40 bytes on x86-64
    _fields_ = [("type", ctypes.c_int), ("unique_identifier", ctypes.c_uint), ("text_position", ctypes.c_int),
                ("length", ctypes.c_int), ("audio_position", ctypes.c_int), ("sample", ctypes.c_int),
                ("user_data", ctypes.c_void_p), ("id", _EventId)]


_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(_Event))
_EVENT_LIST_TERMINATED, _EVENT_PHONEME = 0, 7
_lib = None
_rate_hz = None
_chunks = []
_events = []


def _on_synth(wav, n, events):
    if wav and n > 0:
        _chunks.append(np.ctypeslib.as_array(wav, shape=(n,)).copy())
    i = 0
    while events[i].type != _EVENT_LIST_TERMINATED:
        e = events[i]
        if e.type == _EVENT_PHONEME:
            _events.append((e.sample, e.id.string.decode("ascii", "replace")))
        i += 1
    return 0


_callback_ref = _CALLBACK(_on_synth)  # keep a reference: espeak holds the raw pointer


def _init():
    global _lib, _rate_hz
    if _lib is not None:
        return
    lib = ctypes.CDLL("libespeak-ng.so.1")
    lib.espeak_Initialize.restype = ctypes.c_int
    lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
    lib.espeak_SetSynthCallback.argtypes = [_CALLBACK]
    lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
    lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
    lib.espeak_Synth.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int, ctypes.c_uint,
                                 ctypes.c_uint, ctypes.c_void_p, ctypes.c_void_p]
    rate = lib.espeak_Initialize(2, 0, None, 0x0001)  # AUDIO_OUTPUT_SYNCHRONOUS, phoneme events on
    if rate <= 0:
        raise RuntimeError("espeak_Initialize failed (is libespeak-ng1 installed?)")
    lib.espeak_SetSynthCallback(_callback_ref)
    _lib, _rate_hz = lib, rate


def resample(x, src_rate, dst_rate=SAMPLE_RATE):
    """Band-limited resampling of a whole signal through the FFT (numpy only, deterministic)."""
    x = np.asarray(x, dtype=np.float64)
    n_out = int(round(len(x) * dst_rate / src_rate))
    if len(x) == 0 or n_out == 0:
        return np.zeros(n_out, np.float32)
    pad = 256  # short zero padding keeps the circular wrap-around away from the ends
    xp = np.concatenate([x, np.zeros(pad)])
    spec = np.fft.rfft(xp)
    m = int(round(len(xp) * dst_rate / src_rate))
    keep = min(len(spec), m // 2 + 1)
    out_spec = np.zeros(m // 2 + 1, np.complex128)
    out_spec[:keep] = spec[:keep]
    if dst_rate < src_rate:  # gentle roll-off over the last 5 % below the new Nyquist
        taper = max(1, keep // 20)
        out_spec[keep - taper:keep] *= np.linspace(1.0, 0.0, taper)
    y = np.fft.irfft(out_spec, m) * (m / len(xp))
    return y[:n_out].astype(np.float32)


def _synth_raw(text, voice, rate, pitch):
    """Synthesize in this process: (int16 samples at espeak's rate, [(sample, phoneme), ...])."""
    _init()
    _chunks.clear()
    _events.clear()
    if _lib.espeak_SetVoiceByName(voice.encode()) != 0:
        raise ValueError("espeak-ng has no voice %r" % voice)
    _lib.espeak_SetParameter(1, int(rate), 0)   # espeakRATE, words per minute
    _lib.espeak_SetParameter(3, int(pitch), 0)  # espeakPITCH, 0..100
    data = text.encode("utf-8") + b"\0"
    buf = ctypes.create_string_buffer(data)
    if _lib.espeak_Synth(buf, len(data), 0, 1, 0, 1, None, None) != 0:  # POS_CHARACTER, espeakCHARS_UTF8
        raise RuntimeError("espeak_Synth failed")
    _lib.espeak_Synchronize()
    raw = np.concatenate(_chunks) if _chunks else np.zeros(0, np.int16)
    return raw.astype(np.int16), list(_events)


def _synth_fresh(text, voice, rate, pitch):
    """espeak-ng's output depends on earlier utterances (its wave generator keeps state, e.g. the pitch flutter
    phase), so every sentence is synthesized in a forked child of a process that initialised espeak but never
    spoke: the same arguments always give the same samples."""
    _init()
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        code = 0
        try:
            os.close(r)
            raw, events = _synth_raw(text, voice, rate, pitch)
            payload = pickle.dumps((raw.tobytes(), events), protocol=4)
            with os.fdopen(w, "wb") as f:
                f.write(payload)
        except BaseException as e:  # report the failure through the pipe
            try:
                with os.fdopen(w, "wb") as f:
                    f.write(pickle.dumps(("error", repr(e)), protocol=4))
            except Exception:
                pass
            code = 1
        os._exit(code)
    os.close(w)
    with os.fdopen(r, "rb") as f:
        payload = f.read()
    _, status = os.waitpid(pid, 0)
    a, b = pickle.loads(payload) if payload else ("error", "espeak child died (status %d)" % status)
    if a == "error":
        raise RuntimeError("espeak-ng synthesis failed: " + b)
    return np.frombuffer(a, np.int16), b


def synthesize(text, voice="en", rate=170, pitch=50):
    """Speak `text`; returns (audio float32 [S] at 16 kHz in [-1, 1], [(time_s, phoneme), ...]).
    Deterministic: the same arguments give the same result, whatever was synthesized before."""
    raw, events = _synth_fresh(text, voice, rate, pitch)
    audio = resample(raw.astype(np.float32) / 32768.0, _rate_hz)
    return np.clip(audio, -1.0, 1.0), [(s / _rate_hz, name) for s, name in events]


def speech_span(audio, threshold=0.01, rate=SAMPLE_RATE):
    """(first, last) sample index where the signal's 10-ms envelope exceeds `threshold` (whole range if never)."""
    hop = rate // 100
    n = len(audio) // hop
    if n == 0:
        return 0, len(audio)
    env = np.abs(audio[:n * hop]).reshape(n, hop).max(axis=1)
    loud = np.nonzero(env > threshold)[0]
    if len(loud) == 0:
        return 0, len(audio)
    return int(loud[0] * hop), int(min(len(audio), (loud[-1] + 1) * hop))


# --- phonemes to visemes -------------------------------------------------------------------------------------------
# Targets (opening, width, rounding). espeak-ng's English phoneme names (Kirshenbaum-like ASCII).
CLOSED = (0.0, 0.45, 0.15)
_V = {
    # vowels: open for vowels, "aa" the widest opening
    "aa": (1.00, 0.62, 0.10), "A:": (0.95, 0.55, 0.15), "A@": (0.90, 0.55, 0.20), "A": (0.90, 0.55, 0.15),
    "a": (0.85, 0.65, 0.05), "a#": (0.70, 0.58, 0.08), "V": (0.70, 0.55, 0.10), "0": (0.75, 0.42, 0.60),
    "O:": (0.70, 0.32, 0.80), "O@": (0.65, 0.35, 0.75), "O": (0.68, 0.35, 0.75), "o@": (0.60, 0.35, 0.75),
    "o": (0.55, 0.30, 0.85), "E": (0.62, 0.70, 0.02), "e": (0.55, 0.72, 0.02), "e@": (0.60, 0.65, 0.05),
    "@": (0.42, 0.50, 0.12), "@L": (0.35, 0.50, 0.12), "@2": (0.40, 0.50, 0.12), "@5": (0.40, 0.50, 0.20),
    "3:": (0.42, 0.42, 0.45), "3": (0.40, 0.45, 0.35), "i": (0.28, 0.82, 0.00), "i:": (0.28, 0.88, 0.00),
    "I": (0.35, 0.75, 0.00), "I#": (0.35, 0.70, 0.05), "I2": (0.35, 0.72, 0.00), "i@": (0.40, 0.70, 0.05),
    "u:": (0.28, 0.18, 1.00), "u": (0.30, 0.22, 0.95), "U": (0.35, 0.30, 0.80), "U@": (0.40, 0.30, 0.75),
    # diphthongs: (start, end) targets, blended across the phoneme
    "aI": ((0.95, 0.62, 0.08), (0.35, 0.78, 0.00)), "aU": ((0.92, 0.60, 0.10), (0.32, 0.25, 0.90)),
    "eI": ((0.58, 0.72, 0.02), (0.32, 0.82, 0.00)), "oU": ((0.60, 0.35, 0.70), (0.30, 0.22, 0.95)),
    "OI": ((0.68, 0.35, 0.75), (0.32, 0.78, 0.00)), "aI@": ((0.95, 0.62, 0.08), (0.45, 0.55, 0.10)),
    "aU@": ((0.92, 0.60, 0.10), (0.45, 0.50, 0.30)), "i@3": ((0.35, 0.75, 0.0), (0.42, 0.5, 0.15)),
    # consonants: closed for bilabials, rounded for w
    "p": CLOSED, "b": CLOSED, "m": CLOSED,
    "f": (0.10, 0.52, 0.05), "v": (0.10, 0.52, 0.05),
    "T": (0.22, 0.55, 0.05), "D": (0.22, 0.55, 0.05),
    "s": (0.16, 0.66, 0.02), "z": (0.16, 0.66, 0.02), "t": (0.20, 0.58, 0.05), "d": (0.22, 0.58, 0.05),
    "n": (0.20, 0.56, 0.05), "l": (0.28, 0.56, 0.05), "t#": (0.2, 0.58, 0.05), "d#": (0.22, 0.58, 0.05),
    "S": (0.22, 0.38, 0.70), "Z": (0.22, 0.38, 0.70), "tS": (0.22, 0.38, 0.70), "dZ": (0.24, 0.38, 0.70),
    "k": (0.30, 0.52, 0.10), "g": (0.30, 0.52, 0.10), "N": (0.28, 0.52, 0.08), "x": (0.30, 0.52, 0.1),
    "h": (0.40, 0.52, 0.10), "r": (0.24, 0.38, 0.55), "r-": (0.24, 0.38, 0.55), "w": (0.12, 0.18, 0.95),
    "j": (0.22, 0.68, 0.00), "?": (0.15, 0.50, 0.10),
}
_SILENCE = ("_", ";", ":", " ")
_STRIP = "'`,%=!"
_VOWEL_START = set("aeiouAEIOUV03@")


def viseme_targets(name):
    """(start_target, end_target) for an espeak phoneme name; silence/pauses are closed."""
    p = "".join(c for c in name if c not in _STRIP)
    if not p or p[0] in _SILENCE:
        return CLOSED, CLOSED
    for k in range(min(len(p), 3), 0, -1):  # longest known prefix
        t = _V.get(p[:k])
        if t is not None:
            return (t, t) if isinstance(t[0], float) else t
    if p[0] in _VOWEL_START:
        return _V["@"], _V["@"]
    return (0.25, 0.52, 0.10), (0.25, 0.52, 0.10)  # unknown consonant: slightly open


def visemes(events, n_frames, fps=FPS, smooth_ms=22.0, end_time=None):
    """Per-frame visemes float32 [n_frames, 3] (opening, width, rounding) from phoneme events.

    The targets form a piecewise-linear track at 1 ms (each phoneme holds from its start to the next event; a
    diphthong glides from its first to its second target), closed before the first and after the last phoneme.
    Coarticulation: a Gaussian low-pass (sigma `smooth_ms`), then each frame averages its 40-ms window."""
    n_ms = int(math.ceil(n_frames * 1000.0 / fps)) + 1
    track = np.tile(np.array(CLOSED, np.float64), (n_ms, 1))
    for i, (t, name) in enumerate(events):
        t1 = events[i + 1][0] if i + 1 < len(events) else (end_time if end_time is not None else t + 0.08)
        a, b = int(round(t * 1000)), int(round(t1 * 1000))
        a, b = max(0, a), min(n_ms, b)
        if b <= a:
            continue
        s, e = viseme_targets(name)
        w = np.linspace(0.0, 1.0, b - a)[:, None] if s != e else 0.0
        track[a:b] = np.array(s) * (1 - w) + np.array(e) * w
    # Gaussian low-pass along time (edge-padded)
    sig = smooth_ms
    r = int(3 * sig)
    k = np.exp(-0.5 * (np.arange(-r, r + 1) / sig) ** 2)
    k /= k.sum()
    padded = np.pad(track, ((r, r), (0, 0)), mode="edge")
    sm = np.stack([np.convolve(padded[:, c], k, mode="valid") for c in range(3)], axis=1)
    out = np.zeros((n_frames, 3), np.float64)
    step = 1000.0 / fps
    for f in range(n_frames):
        a, b = int(round(f * step)), int(round((f + 1) * step))
        out[f] = sm[a:max(a + 1, b)].mean(axis=0)
    return np.clip(out, 0.0, 1.0).astype(np.float32)


if __name__ == "__main__":
    import sys
    text = " ".join(sys.argv[1:]) or "Hello from Omni Edit. Bob moved the map."
    audio, ev = synthesize(text, "en+f3", 170, 50)
    print(len(audio) / SAMPLE_RATE, "s,", len(ev), "phonemes:", " ".join(n for _, n in ev))
    v = visemes(ev, int(math.ceil(len(audio) / SAMPLES_PER_FRAME)))
    print(np.round(v[:, 0], 2))
