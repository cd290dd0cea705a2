"""Fit a source picture to the output frame (cover / contain over a blurred fill of itself).

A *plate* is the fitted picture the per-frame warps sample from: the frame plus a margin on every
side (so motion never reveals an edge) at ``scale`` plate pixels per frame pixel (Ken Burns samples
a finer plate so its sub-pixel motion stays sharp). Built once per segment.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ._yuv import even


@dataclass(frozen=True)
class Plate:
    image: np.ndarray  # (h, w, 3) uint8 RGB, or its I420 buffer once built (even sides)
    margin: tuple[float, float]  # frame pixels of extra picture left/right and top/bottom
    scale: float  # plate pixels per frame pixel
    anchor: tuple[float, float]  # the pinned point, frame pixels
    #: 2x3 forward matrix: source picture pixel -> frame pixel (where the picture landed).
    source_to_frame: np.ndarray | None = None

    def frame_to_plate(self) -> np.ndarray:
        """3x3 matrix taking frame pixel coordinates to plate pixel coordinates."""
        s, (mx, my) = self.scale, self.margin
        # pixel centres: x_p + 0.5 = s * (x_f + 0.5 + mx)
        return np.array([[s, 0, s * (0.5 + mx) - 0.5], [0, s, s * (0.5 + my) - 0.5], [0, 0, 1]])


def _fit_scale(
    iw: int, ih: int, width: float, height: float, fit: str, margin: tuple[float, float] = (0, 0)
) -> float:
    """Source -> frame scale. Cover fills the frame *plus its margin* with real picture (a slightly
    over-scaled image, so motion never needs pixels from outside it); contain fits the frame."""
    if fit == "cover":
        return max((width + 2 * margin[0]) / iw, (height + 2 * margin[1]) / ih)
    return min(width / iw, height / ih)


#: Portrait framing, as fractions of the frame's height: the free space kept above the top of the
#: hair, above the face box (when the whole head cannot fit) and below the chin; and where the
#: eyes go (the upper third, the photographer's rule) when the crop has room to choose.
HEADROOM = 0.06
FACE_HEADROOM = 0.05
CHIN_ROOM = 0.04
EYE_LINE = 1 / 3


def cover_window(
    picture: tuple[float, float], frame: tuple[float, float], margin_frac: float = 0.0
) -> tuple[float, float]:
    """The part of the picture a cover fit shows in the frame (width, height as fractions of
    the picture): the margin around the frame is picture too, so it narrows the window."""
    (pw, ph), (width, height) = picture, frame
    s = _fit_scale(
        round(pw), round(ph), width, height, "cover", (margin_frac * width, margin_frac * height)
    )
    return min(1.0, width / (s * pw)), min(1.0, height / (s * ph))


def portrait_focus(
    picture: tuple[float, float],
    frame: tuple[float, float],
    face: tuple[float, float, float, float],
    head_top: float,
    margin_frac: float = 0.0,
) -> tuple[float, float]:
    """The cover fit's focus (the picture point put at the frame's centre) that frames a face.

    ``face`` is the detector's box (x0, y0, x1, y1, fractions of the picture: brows to chin) and
    ``head_top`` where the hair or hat begins. In order of priority, the frame keeps: the face
    box with room above it and below the chin; the whole head with ``HEADROOM`` above the hair;
    the eyes on ``EYE_LINE``. The picture's own edges limit all three (the fit clamps the focus).
    """
    u, v = cover_window(picture, frame, margin_frac)
    x0, y0, x1, y1 = face
    eyes = y0 + 0.3 * (y1 - y0)  # a frontal face box starts at the brows
    top = min(eyes - EYE_LINE * v, head_top - HEADROOM * v)  # the whole head, eyes near the third
    top = max(top, y1 + CHIN_ROOM * v - v)  # ... but never at the cost of the chin
    if top > y0 - FACE_HEADROOM * v:  # a close-up: the box and its room need more than the window
        top = (y0 + y1 - v) / 2
    return (x0 + x1) / 2, top + v / 2


def _offsets(
    iw: int,
    ih: int,
    width: int,
    height: int,
    fit: str,
    margin: tuple[float, float],
    focus: tuple[float, float] = (0.5, 0.5),
) -> tuple[float, float, float]:
    """(scale, ox, oy): the fitted picture's scale and its top-left corner in frame pixels.

    Contain centres the picture; cover puts ``focus`` (fractions of the picture: the subject)
    as near the frame's centre as the picture allows while still covering the frame and margin.
    """
    s = _fit_scale(iw, ih, width, height, fit, margin)
    ox, oy = (width - s * iw) / 2, (height - s * ih) / 2
    if fit == "cover" and focus != (0.5, 0.5):
        mx, my = margin
        ox = min(-mx, max(width + mx - s * iw, width / 2 - s * focus[0] * iw))
        oy = min(-my, max(height + my - s * ih, height / 2 - s * focus[1] * ih))
    return s, ox, oy


def _source_to_plate(
    iw: int,
    ih: int,
    width: int,
    height: int,
    fit: str,
    margin: tuple[float, float],
    scale: float,
    focus: tuple[float, float] = (0.5, 0.5),
) -> np.ndarray:
    """2x3 forward matrix: source pixel -> plate pixel, for the fit centred on ``focus``."""
    s, ox, oy = _offsets(iw, ih, width, height, fit, margin, focus)
    mx, my = margin
    a = scale * s
    return np.array(
        [[a, 0, scale * (0.5 * s + ox + mx) - 0.5], [0, a, scale * (0.5 * s + oy + my) - 0.5]],
        dtype=np.float64,
    )


def _warp_into(
    src: np.ndarray, forward: np.ndarray, size: tuple[int, int], dst: np.ndarray | None = None
) -> np.ndarray:
    """Resample ``src`` through ``forward`` (source -> destination) at ``size`` (w, h).

    Large reductions go through ``INTER_AREA`` first so the result is not aliased; the residual
    (at most about 2x) is a cubic warp with reflected borders.
    """
    a = forward[0, 0]
    ih, iw = src.shape[:2]
    if a < 0.5:
        rw, rh = max(1, round(iw * a)), max(1, round(ih * a))
        src = cv2.resize(src, (rw, rh), interpolation=cv2.INTER_AREA)
        rx, ry = rw / iw, rh / ih
        # x_s = (x_r + 0.5) / rx - 0.5
        to_source = np.array([[1 / rx, 0, 0.5 / rx - 0.5], [0, 1 / ry, 0.5 / ry - 0.5], [0, 0, 1]])
        forward = forward @ to_source
    if dst is None:
        return cv2.warpAffine(
            src, forward, size, flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REFLECT101
        )
    cv2.warpAffine(
        src, forward, size, dst=dst, flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_TRANSPARENT
    )
    return dst


def blurred_fill(
    src: np.ndarray,
    width: int,
    height: int,
    margin: tuple[float, float] = (0, 0),
    scale: float = 1.0,
) -> np.ndarray:
    """The picture cover-fitted, heavily blurred and dimmed: the background behind a contain fit."""
    pw, ph = even((width + 2 * margin[0]) * scale), even((height + 2 * margin[1]) * scale)
    # Blur at 1/16 size and scale up: same look as a huge Gaussian at a fraction of the cost.
    sw, sh = max(4, pw // 16), max(4, ph // 16)
    ih, iw = src.shape[:2]
    small = _warp_into(src, _source_to_plate(iw, ih, sw, sh, "cover", (0, 0), 1.0), (sw, sh))
    small = cv2.GaussianBlur(
        small, (0, 0), sigmaX=max(sw, sh) / 20, borderType=cv2.BORDER_REFLECT101
    )
    fill = cv2.resize(small, (pw, ph), interpolation=cv2.INTER_LINEAR)
    return cv2.convertScaleAbs(fill, alpha=0.7)  # dimmed so the picture itself stands out


def fit_picture(
    src: np.ndarray,
    width: int,
    height: int,
    fit: str,
    *,
    margin: tuple[float, float] = (0.0, 0.0),
    scale: float = 1.0,
    focus: tuple[float, float] = (0.5, 0.5),
) -> np.ndarray:
    """``src`` fitted into a (width + 2 mx, height + 2 my) * scale canvas; contain gets a blurred fill."""
    ih, iw = src.shape[:2]
    size = (even((width + 2 * margin[0]) * scale), even((height + 2 * margin[1]) * scale))
    forward = _source_to_plate(iw, ih, width, height, fit, margin, scale, focus)
    if fit == "cover":
        return _warp_into(src, forward, size)
    return _warp_into(src, forward, size, dst=blurred_fill(src, width, height, margin, scale))


def build_plate(
    src: np.ndarray,
    width: int,
    height: int,
    fit: str,
    anchor_uv: tuple[float, float],
    *,
    margin_frac: float,
    scale: float,
    focus: tuple[float, float] = (0.5, 0.5),
) -> Plate:
    """Fit ``src`` once for a segment; ``anchor_uv`` (0..1 of the source) becomes frame pixels;
    a cover crop centres on ``focus`` (0..1 of the source)."""
    margin = (margin_frac * width, margin_frac * height)
    image = fit_picture(src, width, height, fit, margin=margin, scale=scale, focus=focus)
    ih, iw = src.shape[:2]
    s, ox, oy = _offsets(iw, ih, width, height, fit, margin, focus)
    to_frame = np.array([[s, 0, 0.5 * s + ox - 0.5], [0, s, 0.5 * s + oy - 0.5]])
    ax = s * anchor_uv[0] * iw + ox - 0.5
    ay = s * anchor_uv[1] * ih + oy - 0.5
    # A base point cropped off by cover still needs to be on (or just below) the frame to pin it.
    ax = min(max(ax, 0.0), width - 1.0)
    ay = min(max(ay, 0.3 * height), float(height))
    return Plate(image, margin, scale, (ax, ay), to_frame)
