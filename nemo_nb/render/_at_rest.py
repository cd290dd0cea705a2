"""Where a draft's subject sits in the frame before anything moves: the renderer's own subject
analysis, placed by the renderer's own fit, for measuring a clip (``subject_focus``)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from ._draft import VisualSegment, plan_draft
from ._encode import RenderQuality
from ._pipeline import _at_quality, _fit_still, _layers, _settings
from ._subject import analyse

__all__ = ["subject_in_frame"]


def subject_in_frame(
    draft: Any,
    resolve: Callable[[str], Path],
    *,
    quality: str | RenderQuality = "high",
) -> np.ndarray | None:
    """The subject of the draft's first picture as an alpha (float32, 0..1) the size of the
    frame ``render_draft(draft, ..., quality=quality)`` makes, placed where the picture sits
    at rest: the feathered layer the renderer cuts the subject out with, whatever the effect
    (a Ken Burns pan included). ``None`` when the first visual segment is not a picture or the
    picture has no plausible subject (the renderer then moves the whole frame).

    ``resolve`` maps a segment's ``src`` to a file, as for :func:`render_draft`; a picture is
    analysed once and cached by content, so this costs a decode of the picture at frame size.
    """
    plan = _at_quality(plan_draft(draft, resolve), _settings(quality, None, None))
    seg = _first_visual(plan.layers)
    if seg is None or seg.kind != "image":
        return None
    width, height = plan.width, plan.height
    fit = _fit_still(seg, width, height)  # the picture where the renderer puts it
    try:  # the subject it would cut out: the same analysis, made here for any effect
        analysed = fit.found if fit.found is not None else analyse(seg.path)
    except Exception:  # as in the renderer: no analysis means the whole frame moves
        return None
    if not analysed.ok:
        return None
    to_plate = fit.plate.frame_to_plate()
    small_to_plate = to_plate @ fit.analysis_to_frame(analysed)
    _, alpha = _layers(fit.plate.image, analysed, small_to_plate, seg.fit)
    flags = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
    placed = cv2.warpAffine(
        alpha.astype(np.float32) / 255, to_plate[:2], (width, height), flags=flags
    )
    return np.asarray(placed, np.float32)


def _first_visual(layers: list[tuple[str, list[Any]]]) -> VisualSegment | None:
    """The earliest segment of the bottom video track (what the clip opens on)."""
    for kind, segments in layers:
        if kind == "video" and segments:
            return min(segments, key=lambda s: s.start)
    return None
