"""The soundtrack: uploaded audio and built-in music, looped or trimmed, faded and mixed.

Everything is 48 kHz stereo float32. Uploaded files are decoded with PyAV and resampled; only as
much of a file as its segment uses is decoded.
"""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np

from ._draft import AudioSegment
from ._errors import RenderInputError
from ._music import SAMPLE_RATE, synthesize


def decode_audio(path: Path, max_samples: int, where: str) -> np.ndarray:
    """Up to ``max_samples`` of ``path`` as (samples, 2) float32 at 48 kHz."""
    chunks: list[np.ndarray] = []
    have = 0
    try:
        with av.open(str(path)) as container:
            if not container.streams.audio:
                raise RenderInputError(f"The {where} media {path.name} has no audio stream.")
            stream = container.streams.audio[0]
            resampler = av.AudioResampler(format="fltp", layout="stereo", rate=SAMPLE_RATE)
            for frame in container.decode(stream):
                for out in resampler.resample(frame):
                    chunks.append(out.to_ndarray().reshape(2, -1).T)
                    have += out.samples
                if have >= max_samples:
                    break
            else:
                for out in resampler.resample(None):
                    chunks.append(out.to_ndarray().reshape(2, -1).T)
    except RenderInputError:
        raise
    except Exception as exc:
        raise RenderInputError(f"The {where} audio {path.name} cannot be decoded ({exc}).") from exc
    if not chunks:
        raise RenderInputError(f"The {where} audio {path.name} contains no sound.")
    return np.concatenate(chunks)[:max_samples].astype(np.float32, copy=False)


def segment_audio(seg: AudioSegment, samples: int) -> np.ndarray:
    """The segment's ``samples`` (looped if the source is shorter) with volume and fades applied."""
    if isinstance(seg.source, str):
        audio = synthesize(seg.source.split(":", 1)[1], samples)
    else:
        source = decode_audio(seg.source, samples, seg.label)
        reps = -(-samples // len(source))
        audio = np.tile(source, (reps, 1))[:samples] if reps > 1 else source[:samples]
    gain = np.full(samples, seg.volume, np.float32)
    ramp_in = min(samples, round(seg.fade_in * SAMPLE_RATE))
    if ramp_in:
        gain[:ramp_in] *= np.linspace(0, 1, ramp_in, endpoint=False, dtype=np.float32)
    ramp_out = min(samples, round(seg.fade_out * SAMPLE_RATE))
    if ramp_out:
        gain[samples - ramp_out :] *= np.linspace(1, 0, ramp_out, dtype=np.float32)
    return audio * gain[:, None]


def mix_soundtrack(segments: list[AudioSegment], total_samples: int) -> np.ndarray | None:
    """All audio segments mixed over the output's length, or ``None`` when there is no audio.

    A mix that would clip is scaled down as a whole (never hard-clipped).
    """
    if not segments:
        return None
    mix = np.zeros((total_samples, 2), np.float32)
    for seg in segments:
        start = round(seg.start * SAMPLE_RATE)
        if start >= total_samples:
            continue
        n = min(round(seg.duration * SAMPLE_RATE), total_samples - start)
        if n > 0:
            mix[start : start + n] += segment_audio(seg, n)
    peak = float(np.abs(mix).max())
    if peak > 0.98:
        mix *= 0.98 / peak
    return mix
