"""Built-in background music (``builtin:<mood>``), synthesised with numpy: no files needed.

Each mood is a four-bar loop of chords, bass and (for most) simple drums. The loop is rendered
once with the tails of its last notes wrapped round to its start, so tiling it is seamless, then
normalised below full scale so it never clips.
"""

from __future__ import annotations

import functools

import numpy as np

SAMPLE_RATE = 48_000
_TAIL_S = 3.0  # longest ring-out wrapped round to the loop start

# bpm, four chords (MIDI notes), four bass roots, chord voice, drum kit
_MOODS: dict[str, dict] = {
    "lofi": {
        "bpm": 76,
        "voice": "epiano",
        "kit": "lofi",
        "chords": [[53, 57, 60, 64], [52, 55, 59, 62], [50, 53, 57, 60], [48, 52, 55, 59]],
        "bass": [41, 40, 38, 36],
    },
    "upbeat": {
        "bpm": 116,
        "voice": "pluck",
        "kit": "dance",
        "chords": [[60, 64, 67], [59, 62, 67], [57, 60, 64], [57, 60, 65]],
        "bass": [36, 43, 45, 41],
    },
    "calm": {
        "bpm": 64,
        "voice": "pad",
        "kit": None,
        "chords": [[60, 64, 67, 71], [57, 60, 64, 67], [53, 57, 60, 64], [55, 59, 62, 67]],
        "bass": [36, 33, 29, 31],
    },
    "cinematic": {
        "bpm": 68,
        "voice": "strings",
        "kit": "boom",
        "chords": [[57, 60, 64], [53, 57, 60], [48, 52, 55], [55, 59, 62]],
        "bass": [33, 29, 36, 31],
    },
}


def _hz(midi: float) -> float:
    return 440.0 * 2 ** ((midi - 69) / 12)


class _Loop:
    def __init__(self, seconds: float, seed: int) -> None:
        self.length = round(seconds * SAMPLE_RATE)
        self.buf = np.zeros((self.length + round(_TAIL_S * SAMPLE_RATE), 2), np.float64)
        self.rng = np.random.default_rng(seed)

    def add(self, start_s: float, signal: np.ndarray, gain: float, pan: float = 0.0) -> None:
        """Mix a mono ``signal`` at ``start_s`` (pan -1 left .. 1 right, constant power)."""
        i = round(start_s * SAMPLE_RATE)
        n = min(len(signal), len(self.buf) - i)
        angle = (pan + 1) * np.pi / 4
        self.buf[i : i + n, 0] += gain * np.cos(angle) * signal[:n]
        self.buf[i : i + n, 1] += gain * np.sin(angle) * signal[:n]

    def seamless(self) -> np.ndarray:
        out = self.buf[: self.length].copy()
        tail = self.buf[self.length :]
        out[: len(tail)] += tail[: self.length]
        return out


def _time(seconds: float) -> np.ndarray:
    return np.arange(round(seconds * SAMPLE_RATE)) / SAMPLE_RATE


def _envelope(
    t: np.ndarray, attack: float, hold: float, release: float, decay: float | None = None
) -> np.ndarray:
    env = np.minimum(1.0, t / attack) if attack > 0 else np.ones_like(t)
    if decay:
        env = env * np.exp(-np.maximum(t - attack, 0) / decay)
    return env * np.clip(1 - (t - hold) / release, 0, 1)


def _tone(midi: float, hold: float, voice: str, detune_cents: float = 0.0) -> np.ndarray:
    f = _hz(midi + detune_cents / 100)
    if voice == "epiano":
        t = _time(hold + 0.4)
        partials = (
            np.sin(2 * np.pi * f * t)
            + 0.35 * np.exp(-t / 0.25) * np.sin(4 * np.pi * f * t)
            + 0.08 * np.exp(-t / 0.1) * np.sin(6 * np.pi * f * t)
        )
        return (
            partials
            * _envelope(t, 0.004, hold, 0.35, decay=1.2)
            * (1 + 0.05 * np.sin(2 * np.pi * 4.5 * t))
        )
    if voice == "pluck":
        t = _time(hold + 0.15)
        partials = sum(  # type: ignore[assignment]
            np.exp(-t * k / 0.35) * np.sin(2 * np.pi * k * f * t) / k for k in range(1, 6)
        )
        return partials * _envelope(t, 0.003, hold, 0.12)
    if voice == "bell":
        t = _time(hold + 1.5)
        return (
            np.sin(2 * np.pi * f * t) + 0.2 * np.sin(2 * np.pi * 2.76 * f * t) * np.exp(-t / 0.3)
        ) * _envelope(t, 0.003, hold + 1.2, 0.3, decay=0.9)
    # pad and strings: soft saw (few harmonics), slow attack, long release
    t = _time(hold + 1.2)
    vibrato = 1 + (0.003 * np.sin(2 * np.pi * 5 * t) if voice == "strings" else 0)
    phase = 2 * np.pi * f * np.cumsum(vibrato) / SAMPLE_RATE
    partials = sum(np.sin(k * phase) / k**1.3 for k in range(1, 7))
    attack = 0.5 if voice == "pad" else 0.25
    return 0.5 * partials * _envelope(t, attack, hold, 1.0)


def _bass(midi: float, hold: float) -> np.ndarray:
    t = _time(hold + 0.2)
    f = _hz(midi)
    return (np.sin(2 * np.pi * f * t) + 0.25 * np.sin(4 * np.pi * f * t)) * _envelope(
        t, 0.01, hold, 0.15, decay=1.5
    )


def _kick() -> np.ndarray:
    t = _time(0.45)
    phase = 2 * np.pi * (45 * t + (120 - 45) * 0.04 * (1 - np.exp(-t / 0.04)))
    return np.sin(phase) * np.exp(-t / 0.16)


def _noise_hit(rng: np.random.Generator, seconds: float, decay: float, bright: bool) -> np.ndarray:
    t = _time(seconds)
    noise = rng.standard_normal(len(t))
    if bright:  # first difference: a cheap high-pass
        noise = np.diff(noise, prepend=0.0) / 2
    return noise * np.exp(-t / decay)


def _snare(rng: np.random.Generator) -> np.ndarray:
    t = _time(0.3)
    return 0.6 * _noise_hit(rng, 0.3, 0.07, True) + 0.5 * np.sin(2 * np.pi * 185 * t) * np.exp(
        -t / 0.05
    )


def _boom() -> np.ndarray:
    t = _time(2.5)
    return np.sin(2 * np.pi * (50 * t + 30 * 0.08 * (1 - np.exp(-t / 0.08)))) * np.exp(-t / 0.9)


def _lowpass(signal: np.ndarray, cutoff_hz: float) -> np.ndarray:
    """Gentle low-pass in the frequency domain: circular, so the loop stays seamless."""
    spectrum = np.fft.rfft(signal, axis=0)
    freqs = np.fft.rfftfreq(len(signal), 1 / SAMPLE_RATE)
    spectrum *= (1 / np.sqrt(1 + (freqs / cutoff_hz) ** 4))[:, None]
    return np.fft.irfft(spectrum, n=len(signal), axis=0)


@functools.lru_cache(maxsize=4)
def music_loop(mood: str) -> np.ndarray:
    """One seamless loop of ``mood`` as (samples, 2) float32 peaking at -1 dBFS."""
    spec = _MOODS[mood]
    beat = 60 / spec["bpm"]
    loop = _Loop(16 * beat, seed=sum(map(ord, mood)))
    voice = spec["voice"]
    for bar, (chord, root) in enumerate(zip(spec["chords"], spec["bass"], strict=True)):
        b0 = bar * 4 * beat
        if voice == "epiano":  # lazy comping: on the one and a swung "and" of two
            hits = [(0.0, 2.0, 0.22), (2.58, 1.3, 0.14)]
        elif voice == "pluck":  # off-beat stabs
            hits = [(x + 0.5, 0.35, 0.16) for x in range(4)]
        else:
            hits = [(0.0, 4.0 * beat / beat, 0.13)]
        for at, length, gain in hits:
            for i, note in enumerate(chord):
                pan = (i / max(1, len(chord) - 1) - 0.5) * 0.6
                loop.add(
                    b0 + at * beat,
                    _tone(note, length * beat, voice, detune_cents=4 * (i % 2) - 2),
                    gain,
                    pan,
                )
        if voice == "pluck":
            for eighth in range(8):
                loop.add(
                    b0 + eighth * 0.5 * beat, _bass(root + 12 * (eighth % 2), 0.4 * beat), 0.32
                )
        elif voice == "epiano":
            loop.add(b0, _bass(root, 1.6 * beat), 0.42)
            loop.add(b0 + 2.5 * beat, _bass(root + 7, 1.2 * beat), 0.3)
        else:
            loop.add(b0, _bass(root, 3.8 * beat), 0.36)
        if voice == "pad":  # a slow bell arpeggio over the pad
            for step, note in enumerate(chord + chord[-2:0:-1]):
                if step < 6:
                    loop.add(
                        b0 + step * (4 / 6) * beat,
                        _tone(note + 12, 0.3 * beat, "bell"),
                        0.05,
                        pan=0.3 * np.sin(step),
                    )

        kit = spec["kit"]
        if kit == "lofi":
            for at in (0.0, 2.5):
                loop.add(b0 + at * beat, _kick(), 0.55)
            for at in (1.0, 3.0):
                loop.add(b0 + at * beat, _snare(loop.rng), 0.22)
            for eighth in range(8):  # swung hats
                at = eighth // 2 + (0.58 if eighth % 2 else 0.0)
                loop.add(
                    b0 + at * beat,
                    _noise_hit(loop.rng, 0.08, 0.018, True),
                    0.05 if eighth % 2 else 0.08,
                    pan=0.2,
                )
        elif kit == "dance":
            for at in range(4):
                loop.add(b0 + at * beat, _kick(), 0.6)
                loop.add(
                    b0 + (at + 0.5) * beat, _noise_hit(loop.rng, 0.1, 0.03, True), 0.09, pan=0.25
                )
            for at in (1.0, 3.0):
                loop.add(b0 + at * beat, _snare(loop.rng), 0.28)
        elif kit == "boom":
            if bar % 2 == 0:
                loop.add(b0, _boom(), 0.6)
            for sixteenth in range(16):
                loop.add(
                    b0 + sixteenth * 0.25 * beat,
                    _noise_hit(loop.rng, 0.05, 0.01, True),
                    0.03 + 0.02 * (sixteenth % 4 == 0),
                    pan=-0.3,
                )
    audio = loop.seamless()
    if mood == "lofi":
        audio = _lowpass(audio, 3200.0)
    elif mood in ("calm", "cinematic"):
        audio = _lowpass(audio, 6000.0)
    peak = float(np.abs(audio).max()) or 1.0
    return (audio * (0.89 / peak)).astype(np.float32)


def synthesize(mood: str, samples: int) -> np.ndarray:
    """``samples`` of ``mood`` music, (samples, 2) float32, the loop tiled seamlessly."""
    loop = music_loop(mood)
    reps = -(-samples // len(loop))
    return np.tile(loop, (reps, 1))[:samples]
