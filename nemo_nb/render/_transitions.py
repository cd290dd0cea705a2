"""Transitions between consecutive segments of a video track (``m.tr``).

``blend(kind, before, after, progress)`` with progress 0..1 across the transition window; the
motion is eased (smoothstep) and sub-pixel.
"""

from __future__ import annotations

import cv2
import numpy as np


def ease(progress: float) -> float:
    p = min(max(progress, 0.0), 1.0)
    return p * p * (3 - 2 * p)


def _shifted(image: np.ndarray, dx: float, dy: float = 0.0, zoom: float = 1.0) -> np.ndarray:
    h, w = image.shape[:2]
    cx, cy = w / 2, h / 2
    forward = np.array([[zoom, 0, cx - zoom * cx + dx], [0, zoom, cy - zoom * cy + dy]])
    return cv2.warpAffine(
        image, forward, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT101
    )


def blend(kind: str, before: np.ndarray, after: np.ndarray, progress: float) -> np.ndarray:
    """The frame ``progress`` of the way from ``before`` to ``after`` (a new array)."""
    p = ease(progress)
    h, w = after.shape[:2]
    if kind == "slide":  # the new picture pushes the old one out to the left, sub-pixel
        offset = p * w
        out = _shifted(before, -offset)
        incoming = np.array([[1.0, 0, w - offset], [0, 1.0, 0]])
        cv2.warpAffine(
            after,
            incoming,
            (w, h),
            dst=out,
            flags=cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_TRANSPARENT,
        )
        return out
    if kind == "wipe":  # a soft vertical edge sweeping left to right
        feather = max(2.0, 0.05 * w)
        edge = -feather + p * (w + 2 * feather)
        columns = np.clip((edge - np.arange(w, dtype=np.float32)) / feather + 0.5, 0, 1)[
            None, :, None
        ]
        return (before + columns * (after.astype(np.float32) - before) + 0.5).astype(np.uint8)
    if kind == "zoom":  # zoom through the old picture while the new one settles in
        before = _shifted(before, 0.0, zoom=1 + 0.35 * p)
        after = _shifted(after, 0.0, zoom=1.15 - 0.15 * p)
    return cv2.addWeighted(before, 1 - p, after, p, 0.0)
