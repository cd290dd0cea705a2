"""Frames as I420 (the encoder's own layout): one (h * 3/2, w) uint8 buffer, Y then U then V.

Pictures are converted once (plates, text, video frames) and every per-frame operation works on
the planes: chroma planes have a quarter of the pixels, so a warp costs about half of an RGB one
and no per-frame RGB -> YUV conversion is left. Conversion is OpenCV's (BT.601, limited range),
the same one the encoder would otherwise apply.
"""

from __future__ import annotations

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
    return np.empty((height * 3 // 2, width), np.uint8)


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


def remap(src: np.ndarray, coarse: np.ndarray, width: int, height: int) -> np.ndarray:
    """Warp an I420 frame by a smooth backward map given on a coarse grid (luma source px).

    The grid's samples must sit where ``cv2.resize`` places them; the same grid then serves the
    half-size chroma planes exactly.
    """
    return _remap_planes(src, coarse, width, height)[0]


def _remap_planes(
    src: np.ndarray, coarse: np.ndarray, width: int, height: int
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`remap`, plus the chroma-size map it used (for warping an alpha the same way)."""
    out = new_frame(width, height)
    (sy, su, sv), (oy, ou, ov) = planes(src), planes(out)
    luma = cv2.resize(coarse, (width, height), interpolation=cv2.INTER_LINEAR)
    cv2.remap(sy, luma, None, cv2.INTER_LINEAR, dst=oy, borderMode=cv2.BORDER_REFLECT101)  # type: ignore[call-overload]
    chroma = cv2.resize(coarse, (width // 2, height // 2), interpolation=cv2.INTER_LINEAR)
    chroma = (chroma - 0.5) * 0.5  # luma source px -> chroma source px
    for s, o in ((su, ou), (sv, ov)):
        cv2.remap(s, chroma, None, cv2.INTER_LINEAR, dst=o, borderMode=cv2.BORDER_REFLECT101)  # type: ignore[call-overload]
    return out, chroma


def half_alpha(alpha: np.ndarray) -> np.ndarray:
    """A layer's alpha (0..1, luma size) as uint8 at chroma size: the subject's feathered mask
    is smooth, so it is warped at half size and scaled up, at a quarter of the cost."""
    a = np.round(np.clip(alpha, 0, 1) * 255).astype(np.uint8)
    h, w = a.shape
    return cv2.resize(a, (w // 2, h // 2), interpolation=cv2.INTER_AREA)


def warp_affine_with_alpha(
    src: np.ndarray, alpha: np.ndarray, backward: np.ndarray, width: int, height: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`warp_affine` of a frame and its :func:`half_alpha`: (frame, alpha, half alpha)."""
    out = warp_affine(src, backward, width, height)
    flags = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
    chroma = chroma_matrix(backward)[:2]
    ac = cv2.warpAffine(alpha, chroma, (width // 2, height // 2), flags=flags)
    return out, cv2.resize(ac, (width, height), interpolation=cv2.INTER_LINEAR), ac


def remap_with_alpha(
    src: np.ndarray, alpha: np.ndarray, coarse: np.ndarray, width: int, height: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`remap` of a frame and its :func:`half_alpha`: (frame, alpha, half alpha)."""
    out, chroma = _remap_planes(src, coarse, width, height)
    ac = cv2.remap(alpha, chroma, None, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)  # type: ignore[call-overload]
    return out, cv2.resize(ac, (width, height), interpolation=cv2.INTER_LINEAR), ac


def blend_over(back: np.ndarray, front: np.ndarray, ay: np.ndarray, ac: np.ndarray) -> np.ndarray:
    """``front`` over ``back`` (both I420) with uint8 alpha; writes into and returns ``back``.

    ``front * a + back * (255 - a)``, each term rounded: within one level of the exact blend,
    and several times faster than a float blend.
    """
    for b, f, a in zip(planes(back), planes(front), (ay, ac, ac), strict=True):
        lit = cv2.multiply(f, a, scale=1 / 255)
        cv2.add(lit, cv2.multiply(b, cv2.bitwise_not(a), scale=1 / 255), dst=b)
    return back
