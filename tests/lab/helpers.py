"""Shared by the Prompt Lab and magics tests: decode what was made, and a disguised file."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

#: Keep every clip short: the suite renders each one for real.
QUICK = "make it 3 seconds and square"


@dataclass
class Decoded:
    codec: str
    width: int
    height: int
    frames: int
    motion: float  # largest mean abs difference of a frame from the first, 0-255


def decode(path: str | Path) -> Decoded:
    """Decode every frame of the MP4 with PyAV; measure how much the picture moves."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        first, motion, count = None, 0.0, 0
        for frame in container.decode(stream):
            gray = frame.to_ndarray(format="gray").astype(np.float32)
            if first is None:
                first = gray
            else:
                motion = max(motion, float(np.abs(gray - first).mean()))
            count += 1
        return Decoded(
            stream.codec_context.name,
            stream.codec_context.width,
            stream.codec_context.height,
            count,
            motion,
        )


def disguised_jpg(folder: Path) -> Path:
    """Text bytes named like a photo: the upload must refuse it by its content."""
    path = folder / "holiday.jpg"
    path.write_text("these are not the pixels you are looking for\n" * 20, encoding="utf-8")
    return path
