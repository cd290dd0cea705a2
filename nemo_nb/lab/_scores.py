"""Motion scores of a rendered clip, measured on its frames: how much it moves, whether the motion
is on the subject, and whether the loop closes without a jump.

Dense optical flow between consecutive frames (OpenCV's DIS at its medium preset: as steady as
Farnebäck on a still background, ~0.01 px, at half its cost), counted on textured pixels only
(flow is blind on flat areas). Where the subject is comes from the caller: for an engine clip, the
renderer's own subject layer at rest (:func:`nemo_nb.render.subject_in_frame`).
Frames are analysed at a fixed small size (short side :data:`ANALYSIS_SHORT_SIDE`) and the flow is
reported at 1080p scale, so a preview and a full export of one draft score alike.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast
from urllib.parse import unquote, urlsplit

import av
import cv2
import numpy as np

__all__ = ["MotionScores", "score_clip", "score_render", "SCORE_COLUMNS"]

#: The short side frames are analysed at: flow costs ~7x less than at a preview's 360 px and
#: still resolves a subtle jiggle's fraction of a pixel.
ANALYSIS_SHORT_SIDE = 240
#: Flow is reported in pixels per frame of a frame whose short side is this.
REPORT_SHORT_SIDE = 1080
#: At most this many frame pairs are measured (spread over the clip): well under a second a clip.
MAX_PAIRS = 30
#: Flow outside the subject below this (px per frame, at analysis size) is encoding noise: a
#: still background would otherwise turn ``subject_focus`` into a division by almost zero.
_STILL_FLOW = 0.05
#: A mean grey change below this is encoding noise, not motion: two frames far apart in a still
#: clip differ by about one grey level after x264 (a preview at crf 23: 0.99), which would make
#: a still's seam a division by almost zero.
_NOISE_GREY = 1.0
#: Frame steps on each side of the loop point that say how fast the clip moves there.
_SEAM_NEIGHBOURS = 2
#: Local contrast (Sobel magnitude, blurred) above which flow can see motion.
_TEXTURE = 20.0

log = logging.getLogger("nemo_nb.lab")

#: ``PromptLab.frame`` columns, in order.
SCORE_COLUMNS: tuple[str, ...] = ("motion", "subject_focus", "seam")


@dataclass(frozen=True)
class MotionScores:
    """What a clip's frames show, as three numbers (``nan`` when a clip is too short to say).

    - ``motion``: mean optical-flow magnitude, px per frame at 1080p scale (0 for a still).
    - ``subject_focus``: flow inside the subject ÷ flow outside it; about 1 when the whole frame
      moves, well above 1 when only the subject moves; ``nan`` when no subject is found.
    - ``seam``: the change from the last frame back to the first ÷ the usual change between
      consecutive frames (mean absolute grey difference, which, unlike flow, also sees a big
      jump): the median over the clip, or around the loop point when the clip moves faster
      there (a bounce lands on it); about 1 (or less) for a seamless loop, 1 for a still, large
      for a clip that jumps when it loops.
    """

    motion: float
    subject_focus: float
    seam: float

    def as_row(self) -> dict[str, float]:
        """The three scores keyed by their ``PromptLab.frame`` column names."""
        return {"motion": self.motion, "subject_focus": self.subject_focus, "seam": self.seam}


def score_clip(path: str | os.PathLike[str], subject: np.ndarray | None = None) -> MotionScores:
    """Measure the motion of the video at ``path`` (any size; decoded at a small size).

    ``subject`` is where the subject is in the first frame, as an alpha (0..1, any size of the
    frame's aspect), e.g. from :func:`nemo_nb.render.subject_in_frame`; without one,
    ``subject_focus`` is ``nan``.
    """
    gray = _decode_small(Path(path))
    if len(gray) < 3:
        return MotionScores(math.nan, math.nan, math.nan)
    texture = _textured(gray[0])
    inside, outside = _subject_regions(subject, texture)
    stride = max(1, math.ceil((len(gray) - 1) / MAX_PAIRS))
    pairs = range(0, len(gray) - 1, stride)
    flow = cv2.DISOpticalFlow.create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
    heat = np.mean([_flow_magnitude(flow, gray[i], gray[i + 1]) for i in pairs], axis=0)
    motion = _mean(heat, texture) * REPORT_SHORT_SIDE / min(texture.shape)
    focus = math.nan
    if inside is not None and outside is not None:
        focus = _mean(heat, inside) / max(_mean(heat, outside), _STILL_FLOW)
    return MotionScores(round(motion, 3), round(focus, 2), round(_seam(gray, pairs), 2))


def _seam(gray: list[np.ndarray], pairs: range) -> float:
    """The loop point's change ÷ the usual step (both at least :data:`_NOISE_GREY`)."""
    usual = float(np.median([_change(gray[i], gray[i + 1]) for i in pairs]))
    n, k = len(gray), min(_SEAM_NEIGHBOURS, (len(gray) - 1) // 2)
    beside = [*range(n - 1 - k, n - 1), *range(k)]  # steps into the loop point and out of it
    around = float(np.median([_change(gray[i], gray[i + 1]) for i in beside]))
    jump = _change(gray[-1], gray[0])
    return max(jump, _NOISE_GREY) / max(usual, around, _NOISE_GREY)


def _decode_small(path: Path) -> list[np.ndarray]:
    """Every frame of the first video stream as grey, short side ``ANALYSIS_SHORT_SIDE`` or less."""
    frames: list[np.ndarray] = []
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        for frame in container.decode(stream):
            w, h = frame.width, frame.height
            k = min(1.0, ANALYSIS_SHORT_SIDE / min(w, h))
            size = (max(2, round(w * k)) & ~1, max(2, round(h * k)) & ~1)
            frames.append(frame.to_ndarray(format="gray", width=size[0], height=size[1]))
    return frames


def _textured(gray: np.ndarray) -> np.ndarray:
    g = gray.astype(np.float32)
    gx, gy = cv2.Sobel(g, cv2.CV_32F, 1, 0), cv2.Sobel(g, cv2.CV_32F, 0, 1)
    return np.asarray(cv2.GaussianBlur(np.hypot(gx, gy), (0, 0), 2) > _TEXTURE)


def _subject_regions(
    subject: np.ndarray | None, texture: np.ndarray
) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Textured pixels well inside and well outside the subject (the band along its outline,
    where flow's window sees both layers, counts as neither)."""
    if subject is None:
        return None, None
    h, w = texture.shape
    alpha = cv2.resize(subject.astype(np.float32), (w, h), interpolation=cv2.INTER_LINEAR)
    size = max(3, round(0.05 * max(h, w)))
    kernel = np.ones((size, size), np.uint8)
    inside = cv2.erode((alpha > 0.9).astype(np.uint8), kernel).astype(bool) & texture
    outside = ~cv2.dilate((alpha > 0.05).astype(np.uint8), kernel).astype(bool) & texture
    if not inside.any() or not outside.any():
        return None, None
    return inside, outside


def _flow_magnitude(flow: cv2.DISOpticalFlow, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    uv = np.asarray(flow.calc(a, b, cast(Any, None)))
    return np.asarray(np.hypot(uv[..., 0], uv[..., 1]))


def _change(a: np.ndarray, b: np.ndarray) -> float:
    return float(cv2.absdiff(a, b).mean())


def _mean(values: np.ndarray, where: np.ndarray) -> float:
    return float(values[where].mean()) if where.any() else 0.0


def score_render(
    path: str | os.PathLike[str], draft: Any, pictures: Sequence[str | os.PathLike[str]]
) -> MotionScores:
    """The scores of a clip rendered from ``draft``, with the renderer's own subject layer at
    rest (:func:`nemo_nb.render.subject_in_frame`) as where the subject is. ``pictures`` are the
    local files the draft's media were uploaded from (matched by file name, else the first);
    without one, or when the renderer cannot read the draft, ``subject_focus`` is ``nan``.
    Blocking: decodes the clip and runs optical flow (well under a second)."""
    return score_clip(path, _subject(draft, [Path(p) for p in pictures]))


def _subject(draft: Any, pictures: list[Path]) -> np.ndarray | None:
    from nemo_nb.render import subject_in_frame

    local = [p for p in pictures if p.is_file()]
    if not draft or not local:
        return None
    by_name = {p.name: p for p in local}

    def resolve(src: str) -> Path:
        # the server's media URL ends with the uploaded file's name
        return by_name.get(unquote(Path(urlsplit(str(src)).path).name), local[0])

    try:  # the small frame is enough: the mask is compared at the analysis size
        return subject_in_frame(draft, resolve, quality="preview")
    except Exception as exc:  # a draft of another server's making: no subject, still scored
        log.info("no subject for the motion scores: %s", exc)
        return None
