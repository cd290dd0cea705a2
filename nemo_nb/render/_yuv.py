"""Frames as I420 (the encoder's own layout): one (h * 3/2, w) uint8 buffer, Y then U then V.

Pictures are converted once (plates, text, video frames) and every per-frame operation works on
the planes: chroma planes have a quarter of the pixels, so a warp costs about half of an RGB one
and no per-frame RGB -> YUV conversion is left. Conversion is OpenCV's (BT.601, limited range),
the same one the encoder would otherwise apply.
"""

from __future__ import annotations

import queue
import sys

import cv2
import numpy as np

# chroma pixel -> luma pixel coordinates (a chroma sample sits at the centre of its 2x2 block)
_CHROMA_TO_LUMA = np.array([[2.0, 0, 0.5], [0, 2.0, 0.5], [0, 0, 1]])
_LUMA_TO_CHROMA = np.linalg.inv(_CHROMA_TO_LUMA)


def even(n: float) -> int:
    """``n`` rounded up to an even integer (4:2:0 needs even sides)."""
    return int(np.ceil(n / 2) * 2)


def to_i420(rgb: np.ndarray) -> np.ndarray:
    """RGB (even sides) -> I420 buffer."""
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2YUV_I420)


def to_rgb(i420: np.ndarray) -> np.ndarray:
    """I420 buffer -> RGB (for tests and contact sheets)."""
    return cv2.cvtColor(i420, cv2.COLOR_YUV2RGB_I420)


def planes(buf: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Writable Y, U, V views of an I420 buffer."""
    height = buf.shape[0] * 2 // 3
    width = buf.shape[1]
    flat = buf.reshape(-1)
    y_size, c_size = width * height, (width // 2) * (height // 2)
    y = flat[:y_size].reshape(height, width)
    u = flat[y_size : y_size + c_size].reshape(height // 2, width // 2)
    v = flat[y_size + c_size :].reshape(height // 2, width // 2)
    return y, u, v


def blank(width: int, height: int) -> np.ndarray:
    """A new black I420 frame."""
    return to_i420(np.zeros((height, width, 3), np.uint8))


def new_frame(width: int, height: int) -> np.ndarray:
    """A new, uninitialised I420 frame."""
    return np.empty((height * 3 // 2, width), np.uint8)


class FramePool:
    """Frames the encoder is done with, handed back to the compositor: a fresh 3 MB buffer
    per frame costs page faults in one thread and a free in another, every frame."""

    def __init__(self, width: int, height: int, keep: int = 2) -> None:
        self._shape = (height * 3 // 2, width)
        self._keep = keep
        self._spare: queue.SimpleQueue[np.ndarray] = queue.SimpleQueue()

    def take(self) -> np.ndarray:
        """A spare frame, or a new one (uninitialised either way)."""
        try:
            return self._spare.get_nowait()
        except queue.Empty:
            return np.empty(self._shape, np.uint8)

    def give(self, frame: np.ndarray) -> None:
        """Hand ``frame`` back, if nothing else holds it (a segment may keep the frame it
        returned, say a video's last one) and it is a whole frame of its own."""
        # references: the caller's and getrefcount's argument
        if (
            frame.base is None
            and frame.shape == self._shape
            and sys.getrefcount(frame) <= 3
            and self._spare.qsize() < self._keep
        ):
            self._spare.put(frame)


def chroma_matrix(backward: np.ndarray) -> np.ndarray:
    """The chroma-plane version of a 3x3 luma backward matrix (output px -> source px)."""
    return _LUMA_TO_CHROMA @ backward @ _CHROMA_TO_LUMA


def warp_affine(
    src: np.ndarray,
    backward: np.ndarray,
    width: int,
    height: int,
    *,
    border: int = cv2.BORDER_REFLECT101,
    dst: np.ndarray | None = None,
) -> np.ndarray:
    """Warp an I420 frame through a 3x3 backward matrix (output luma px -> source luma px)."""
    out = new_frame(width, height) if dst is None else dst
    flags = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
    (sy, su, sv), (oy, ou, ov) = planes(src), planes(out)
    cv2.warpAffine(sy, backward[:2], (width, height), dst=oy, flags=flags, borderMode=border)
    chroma = chroma_matrix(backward)[:2]
    for s, o in ((su, ou), (sv, ov)):
        cv2.warpAffine(s, chroma, (width // 2, height // 2), dst=o, flags=flags, borderMode=border)
    return out


def alpha_u8(alpha: np.ndarray) -> np.ndarray:
    """A layer's alpha (0..1 float) as uint8."""
    return np.round(np.clip(alpha, 0, 1) * 255).astype(np.uint8)


def half_alpha(alpha: np.ndarray) -> np.ndarray:
    """A layer's uint8 alpha (luma size) at chroma size: the subject's feathered mask is
    smooth, so it is warped at half size and scaled up, at a quarter of the cost."""
    h, w = alpha.shape
    return cv2.resize(alpha, (w // 2, h // 2), interpolation=cv2.INTER_AREA)


def premultiply(frame: np.ndarray, ay: np.ndarray, ac: np.ndarray) -> None:
    """Multiply each plane of ``frame`` (I420, in place) by its alpha (uint8, luma and chroma
    size) / 255.

    A premultiplied layer is interpolated without dark fringes at its edge, and goes over a
    background with one add per plane (:func:`over_premultiplied`).
    """
    for plane, a in zip(planes(frame), (ay, ac, ac), strict=True):
        cv2.multiply(plane, a, dst=plane, scale=1 / 255)


#: Rows blended at a time: a band's temporaries stay in the core's cache instead of making
#: several round trips through memory, which the encoder's threads are using too.
_BAND_ROWS = 128


def over_premultiplied(
    back: np.ndarray,
    front: np.ndarray,
    ac: np.ndarray,
    out: np.ndarray,
    scratch: dict[str, np.ndarray],
) -> np.ndarray:
    """A :func:`premultiply`-ed ``front`` over ``back`` (both I420) into ``out``, with the
    front's alpha ``ac`` given at chroma size (uint8; scaled up linearly for luma, the
    subject's mask is smooth): ``front + back * (255 - a) / 255``, the second term rounded.

    Work goes in bands of rows; a band where the front is opaque is a copy of it. ``scratch``
    keeps the band temporaries between calls.
    """
    (by, bu, bv), (fy, fu, fv), (oy, ou, ov) = planes(back), planes(front), planes(out)
    height, width = by.shape
    half = _BAND_ROWS // 2
    if "ay" not in scratch:
        scratch["ay"] = np.empty((_BAND_ROWS + 4, width), np.uint8)
        scratch["nc"] = np.empty((half, width // 2), np.uint8)
    band_ay, band_nc = scratch["ay"], scratch["nc"]
    for c0 in range(0, height // 2, half):
        c1 = min(c0 + half, height // 2)
        y0, y1 = 2 * c0, 2 * c1
        a = ac[c0:c1]
        lowest, highest = cv2.minMaxLoc(a)[:2]
        if lowest == 255 or highest == 0:  # opaque front, or none: one of the two as it is
            shown = planes(front if lowest == 255 else back)
            oy[y0:y1], ou[c0:c1], ov[c0:c1] = shown[0][y0:y1], shown[1][c0:c1], shown[2][c0:c1]
            continue
        # luma alpha of these rows, scaled up with a chroma row of context either side so the
        # band matches one resize of the whole plane
        s0, s1 = max(c0 - 1, 0), min(c1 + 1, height // 2)
        up = band_ay[: 2 * (s1 - s0)]
        cv2.resize(ac[s0:s1], (width, 2 * (s1 - s0)), dst=up, interpolation=cv2.INTER_LINEAR)
        ay = up[2 * (c0 - s0) : 2 * (c0 - s0) + (y1 - y0)]
        cv2.bitwise_not(ay, dst=ay)
        cv2.multiply(by[y0:y1], ay, dst=ay, scale=1 / 255)
        cv2.add(fy[y0:y1], ay, dst=oy[y0:y1])
        nc = band_nc[: c1 - c0]
        for b, f, o in ((bu, fu, ou), (bv, fv, ov)):
            cv2.bitwise_not(a, dst=nc)
            cv2.multiply(b[c0:c1], nc, dst=nc, scale=1 / 255)
            cv2.add(f[c0:c1], nc, dst=o[c0:c1])
    return out
