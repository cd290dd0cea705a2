"""Public result and error types of the renderer."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from nemo_nb._errors import NemoError


class RenderInputError(NemoError, ValueError):
    """The draft or one of its media files cannot be rendered; ``str()`` names the segment and field."""


class RenderCancelled(NemoError):
    """The render was cancelled through its ``cancel`` event; the partial output was removed."""


@dataclass(frozen=True)
class RenderResult:
    """What :func:`render_draft` wrote."""

    path: Path
    frames: int
    fps: int
    width: int
    height: int
    duration_s: float
    has_audio: bool
    size_bytes: int
    #: One sentence per thing rendered differently from what the draft asked, e.g. a photo
    #: without a clear subject whose whole frame moves (subject analysis fell back).
    notes: tuple[str, ...] = ()
