"""Transitions between consecutive segments of a video track (``m.tr``), on I420 frames.

``blend(kind, before, after, progress)`` with progress 0..1 across the transition window; the
motion is eased (smoothstep) and sub-pixel.
"""

from __future__ import annotations

import cv2
import numpy as np

from . import _yuv as yuv


def ease(progress: float) -> float:
    p = min(max(progress, 0.0), 1.0)
    return p * p * (3 - 2 * p)


def _moved(width: int, height: int, dx: float = 0.0, zoom: float = 1.0) -> np.ndarray:
    """Backward matrix showing a picture moved right by ``dx`` and zoomed about the centre."""
    cx, cy = width / 2, height / 2
    return np.array(
        [[1 / zoom, 0, cx - (cx + dx) / zoom], [0, 1 / zoom, cy - cy / zoom], [0, 0, 1]]
    )


def blend(kind: str, before: np.ndarray, after: np.ndarray, progress: float) -> np.ndarray:
    """The I420 frame ``progress`` of the way from ``before`` to ``after`` (a new buffer)."""
    p = ease(progress)
    height, width = after.shape[0] * 2 // 3, after.shape[1]
    if kind == "slide":  # the new picture comes in from the right, pushing the old one out
        offset = p * width
        out = yuv.warp_affine(before, _moved(width, height, -offset), width, height)
        incoming = _moved(width, height, width - offset)
        return yuv.warp_affine(
            after, incoming, width, height, border=cv2.BORDER_TRANSPARENT, dst=out
        )
    if kind == "wipe":  # a soft vertical edge sweeping left to right reveals the new picture
        out = yuv.new_frame(width, height)
        feather = max(2.0, 0.05 * width)
        edge = -feather + p * (width + 2 * feather)
        for b, a, o in zip(yuv.planes(before), yuv.planes(after), yuv.planes(out), strict=True):
            step = width / b.shape[1]  # 1 for luma, 2 for chroma
            centres = (np.arange(b.shape[1], dtype=np.float32) + 0.5) * step - 0.5
            weight = np.clip((edge - centres) / feather + 0.5, 0, 1)[None, :]
            o[:] = (b + weight * (a.astype(np.float32) - b) + 0.5).astype(np.uint8)
        return out
    if kind == "zoom":  # zoom through the old picture while the new one settles in
        before = yuv.warp_affine(before, _moved(width, height, zoom=1 + 0.35 * p), width, height)
        after = yuv.warp_affine(after, _moved(width, height, zoom=1.15 - 0.15 * p), width, height)
    return cv2.addWeighted(before, 1 - p, after, p, 0.0)
