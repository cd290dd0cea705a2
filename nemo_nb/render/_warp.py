"""Warping one still I420 plate (and its subject alpha) by a smooth backward map, frame after frame.

The map is given on a coarse grid of output pixels (the effects are smooth). A full-resolution
``cv2.remap`` of the luma plane costs ~4 ms a frame at 1080x1920, most of it per-pixel map
handling, while OpenCV's 4-channel remap moves four bytes for little more than the price of one.
So luma is warped in two 4-channel passes (Catmull-Smith), each carrying four pixels per sample:

1. horizontal: the plate packed as quads of four rows (packed once per plate) is resampled along
   its rows, giving ``J(x, r) = plate(X'(x, r), r)`` on the plate's rows;
2. vertical: ``J`` viewed as quads of four columns (a free reshape) is resampled along its
   columns, giving ``out(x, y) = J(x, Y(x, y))``.

``X'`` is ``X`` re-indexed by plate row (``X'(x, Y(x, y)) = X(x, y)``), so the two passes
compose to the whole map. Within a quad the shift is the one at its centre: an error of at most
1.5 px times the map's cross-derivative, checked every frame; a map that turns more than that
(say, a strong rotation) takes the exact one-pass remap instead. Measured on the jiggle portrait:
the two passes cost ~2.9 ms against ~5.2 ms, within one grey level of the one-pass result.

Chroma and the chroma-size alpha travel together as one 4-channel image (U, V, alpha, 0).
Every buffer is allocated once and reused: the returned front layer is valid until the next call.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from . import _yuv as yuv

#: Output pixels per coarse-grid cell: the effects' maps are smooth on this scale (the linear
#: interpolation between samples is off by well under 0.05 px).
GRID_STEP = 16
#: The grid reaches this far beyond the frame (pixels, a multiple of 4): ``cv2.resize`` holds a
#: map constant beyond its outermost samples, which would stretch the frame's edge rows.
_BLEED = 8
#: Largest error allowed from shifting a quad of four pixels as one (output pixels).
_QUAD_ERROR_PX = 0.15
#: The first pass runs on the plate's rows: beyond this many per output row (a plate scaled up
#: for a slow zoom) one full-size warp is cheaper.
_MAX_ROWS_PER_ROW = 1.3
_LINEAR = cv2.INTER_LINEAR
_REFLECT = cv2.BORDER_REFLECT101


def coarse_grid(width: int, height: int, step: int = GRID_STEP) -> tuple[np.ndarray, np.ndarray]:
    """Output-pixel coordinates (x, y) of the coarse samples of a ``width`` x ``height`` frame.

    They cover the frame plus :data:`_BLEED` pixels on each side and sit where ``cv2.resize``
    places samples, so a map resized to that bled frame (or to half or a quarter of its width)
    is exact at them; the frame is then cut from the middle.
    """
    wide, tall = width + 2 * _BLEED, height + 2 * _BLEED
    cw, ch = math.ceil(wide / step) + 1, math.ceil(tall / step) + 1
    xs = (np.arange(cw) + 0.5) * wide / cw - 0.5 - _BLEED
    ys = (np.arange(ch) + 0.5) * tall / ch - 0.5 - _BLEED
    gx, gy = np.meshgrid(xs, ys)
    return gx, gy


def _upsample(
    coarse: np.ndarray, width: int, height: int, dst: np.ndarray, scale: int
) -> np.ndarray:
    """``coarse`` resized to the bled frame at ``1/scale`` of its width (and ``1/scale`` of its
    height unless ``scale`` is 4: quads are four columns of full rows) into ``dst``; returns
    the frame's part, a view."""
    sx, sy = scale, (1 if scale == 4 else scale)
    cv2.resize(coarse, (dst.shape[1], dst.shape[0]), dst=dst, interpolation=_LINEAR)
    x0, y0 = _BLEED // sx, _BLEED // sy
    return dst[y0 : y0 + height // sy, x0 : x0 + width // sx]


class PlateWarp:
    """Warps a fixed I420 plate (optionally with a chroma-size uint8 alpha) into ``width`` x
    ``height`` frames by backward maps given on :func:`coarse_grid` (plate pixel coordinates).

    With an alpha the plate must be premultiplied by it (``_yuv.premultiply``): beyond the
    plate the layer is then absent. ``scratch`` holds the working buffers and may be shared by
    the warps of one track, which make their frames one at a time.
    """

    def __init__(
        self,
        plate: np.ndarray,
        width: int,
        height: int,
        alpha_c: np.ndarray | None = None,
        scratch: dict[str, np.ndarray] | None = None,
    ) -> None:
        self.size = (width, height)
        self.grid = coarse_grid(width, height)
        self._scratch = {} if scratch is None else scratch
        _, pu, pv = yuv.planes(plate)
        self._plate = plate
        self._has_alpha = alpha_c is not None
        # a premultiplied layer is absent beyond the plate (all planes 0); a whole picture
        # reflects at its edge (the margin keeps the motion away from it anyway)
        self._border = cv2.BORDER_CONSTANT if self._has_alpha else _REFLECT
        self._row_quads: np.ndarray | None = None  # made on the first two-pass frame
        zero = np.zeros_like(pu)
        self._uva = cv2.merge([pu, pv, alpha_c if alpha_c is not None else zero, zero])
        self._front = yuv.new_frame(width, height)
        self._alpha_c = np.empty((height // 2, width // 2) if alpha_c is not None else 0, np.uint8)

    def warp(self, mx: np.ndarray, my: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """(front I420, its alpha at chroma size or ``None``) for the backward map whose plate
        coordinates ``(mx, my)`` are given at :attr:`grid`. The arrays are reused by the next
        call."""
        width, height = self.size
        fy = yuv.planes(self._front)[0]
        mx = mx.astype(np.float32, copy=False)
        my = my.astype(np.float32, copy=False)
        bled = (height + 2 * _BLEED, width + 2 * _BLEED)
        if not self._two_passes(mx, my, fy):
            luma_map = self._buffer("luma map", (*bled, 2), np.float32)
            luma = _upsample(cv2.merge([mx, my]), width, height, luma_map, 1)
            plate_y = yuv.planes(self._plate)[0]
            cv2.remap(plate_y, luma, None, _LINEAR, dst=fy, borderMode=self._border)  # type: ignore[call-overload]
        # luma source px -> chroma source px (a chroma sample sits at the centre of its 2x2 block)
        coarse_c = cv2.merge([(mx - 0.5) * 0.5, (my - 0.5) * 0.5])
        chroma_map = self._buffer("chroma map", (bled[0] // 2, bled[1] // 2, 2), np.float32)
        chroma = _upsample(coarse_c, width, height, chroma_map, 2)
        uva = self._buffer("uva", (height // 2, width // 2, 4))
        cv2.remap(self._uva, chroma, None, _LINEAR, dst=uva, borderMode=self._border)  # type: ignore[call-overload]
        return self._unpack_chroma(uva)

    def warp_affine(self, backward: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """:meth:`warp` for a rigid motion: ``backward`` is a 3x3 matrix, output px -> plate px.

        Without a rotation it takes the two passes when the plate is about the frame's size;
        a larger plate (Ken Burns samples a 1.5x one) would make the first pass, which runs on
        the plate's rows, cost more than one ``warpAffine``.
        """
        width, height = self.size
        fy = yuv.planes(self._front)[0]
        gx, gy = self.grid
        b = backward
        mx = (b[0, 0] * gx + b[0, 1] * gy + b[0, 2]).astype(np.float32)
        my = (b[1, 0] * gx + b[1, 1] * gy + b[1, 2]).astype(np.float32)
        flags = _LINEAR | cv2.WARP_INVERSE_MAP
        if not self._two_passes(mx, my, fy):
            plate_y = yuv.planes(self._plate)[0]
            cv2.warpAffine(
                plate_y, b[:2], (width, height), dst=fy, flags=flags, borderMode=self._border
            )
        uva = self._buffer("uva", (height // 2, width // 2, 4))
        chroma = yuv.chroma_matrix(b)[:2]
        size = (width // 2, height // 2)
        cv2.warpAffine(self._uva, chroma, size, dst=uva, flags=flags, borderMode=self._border)
        return self._unpack_chroma(uva)

    def _unpack_chroma(self, uva: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """The warped (U, V, alpha, 0) into the front's planes and the alpha."""
        _, fu, fv = yuv.planes(self._front)
        shape = (fu.shape[0], fu.shape[1])
        alpha = self._alpha_c if self._has_alpha else self._buffer("no alpha", shape)
        _split_into(uva, [fu, fv, alpha, self._buffer("zero channel", shape)])
        return self._front, (alpha if self._has_alpha else None)

    def _two_passes(self, mx: np.ndarray, my: np.ndarray, out: np.ndarray) -> bool:
        """Warp the luma plane into ``out`` in two 4-channel passes; ``False`` (nothing done)
        when the map turns too much for a quad to move as one, or the plate is much larger
        than the frame, or the frame's width is not a multiple of four."""
        width, height = self.size
        if width % 4:
            return False
        gx, gy = self.grid
        step_x, step_y = gx[0, 1] - gx[0, 0], gy[1, 0] - gy[0, 0]
        # pass 2 shifts four columns by the shift at their centre (1.5 px away at most), pass 1
        # four rows: the error is the map's cross-derivative times 1.5 px
        cross = max(
            float(np.abs(np.diff(my, axis=1)).max()) / step_x,
            float(np.abs(np.diff(mx, axis=0)).max()) / step_y,
        )
        if cross * 1.5 > _QUAD_ERROR_PX:
            return False
        # plate rows the output reads (bilinear: and the next), as whole quads, plus two quads
        # each side (half a grid cell, where the resized pass-1 map is held constant)
        quad_rows = -(-yuv.planes(self._plate)[0].shape[0] // 4)
        first = max(0, (math.floor(float(my.min())) - 2) // 4 - 2)
        last = min(quad_rows, math.ceil((float(my.max()) + 3) / 4) + 2)
        count = last - first
        most = math.ceil(_MAX_ROWS_PER_ROW * height / 4)
        if count < 2 or count > most:
            return False  # (before packing: a plate too tall for the passes is never packed)
        row_quads = self._packed_rows()
        wide, tall = width + 2 * _BLEED, height + 2 * _BLEED
        # pass 1's map on a coarse grid of plate rows: for each column, the output row showing
        # plate row r (the inverse of my along the column), and mx there
        rows_c = max(2, math.ceil(count * 4 / (2 * GRID_STEP)) + 1)  # mx varies slowly down
        rs = 4 * (first + (np.arange(rows_c) + 0.5) * count / rows_c - 0.5) + 1.5
        bled = self._buffer("pass 1 x", (most, wide), np.float32)[:count]
        cv2.resize(_column_inverse(my, mx, rs), (wide, count), dst=bled, interpolation=_LINEAR)
        pass1_x = bled[:, _BLEED : _BLEED + width]
        pass1_y = self._constant("pass 1 y", np.arange(most)[:, None], (most, width))[:count]
        packed = self._buffer("packed", (most, width, 4))[:count]
        border = self._border
        source = row_quads[first:last]
        cv2.remap(source, pass1_x, pass1_y, _LINEAR, dst=packed, borderMode=border)
        between = self._buffer("between", (most * 4, width))[: count * 4]
        _split_into(packed, [between[c::4] for c in range(4)])
        pass2_y = self._buffer("pass 2 y", (tall, wide // 4), np.float32)
        pass2_x = self._constant("pass 2 x", np.arange(width // 4)[None], (height, width // 4))
        cv2.remap(
            between.reshape(count * 4, width // 4, 4),
            pass2_x,
            _upsample(my - 4 * first, width, height, pass2_y, 4),
            _LINEAR,
            dst=out.reshape(height, width // 4, 4),
            borderMode=border,
        )
        return True

    def _packed_rows(self) -> np.ndarray:
        """The plate's luma as quads of four rows, (rows / 4, width, 4), made once."""
        if self._row_quads is None:
            py = yuv.planes(self._plate)[0]
            rows = -(-py.shape[0] // 4) * 4  # padded as the border would continue the plate
            pad = cv2.copyMakeBorder(py, 0, rows - py.shape[0], 0, 0, self._border, value=0)
            self._row_quads = cv2.merge([np.ascontiguousarray(pad[c::4]) for c in range(4)])
        return self._row_quads

    def _buffer(self, name: str, shape: tuple[int, ...], dtype: type = np.uint8) -> np.ndarray:
        """A working buffer from the scratch, made when missing or of another shape."""
        buf = self._scratch.get(name)
        if buf is None or buf.shape != shape or buf.dtype != dtype:
            buf = self._scratch[name] = np.empty(shape, dtype)
        return buf

    def _constant(self, name: str, values: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
        """A map coordinate that is the same in every frame: ``values`` (a column or a row)
        repeated to ``shape``, kept in the scratch."""
        buf = self._scratch.get(name)
        if buf is None or buf.shape != shape:
            repeated = np.broadcast_to(values.astype(np.float32), shape)
            buf = self._scratch[name] = np.ascontiguousarray(repeated)
        return buf


def _split_into(image: np.ndarray, planes: list[np.ndarray]) -> None:
    """The channels of ``image`` into ``planes`` (views allowed, rows may be strided).

    ``cv2.split`` writes into arrays of the right size (~0.1 ms for 2 MB, where ``mixChannels``
    takes ~0.8 ms); should a binding ever hand back new arrays instead, they are copied."""
    for made, plane in zip(cv2.split(image, planes), planes, strict=True):
        if made.ctypes.data != plane.ctypes.data:
            np.copyto(plane, made)


def _column_inverse(my: np.ndarray, mx: np.ndarray, rs: np.ndarray) -> np.ndarray:
    """For each coarse column k: the value of ``mx[:, k]`` where ``my[:, k]`` equals each of
    ``rs`` (linear between samples, extended linearly beyond them). ``my`` must rise down the
    columns, as any map that does not fold the picture does."""
    rows = my.shape[0]
    # secant steps from the column's straight-line fit: each divides the error by the map's
    # departure from a straight line (a few percent), so two reach ~0.1 px in the row and
    # ~0.003 px in mx
    top, bottom = my[0], my[-1]
    slope = (bottom - top) / (rows - 1)  # plate rows per coarse row
    f = (rs[:, None] - top[None]) / slope[None]  # fractional coarse row, per (r, column)
    cols = np.arange(my.shape[1])[None]
    for _ in range(2):
        value = _along_columns(my, f, cols)
        f = f + (rs[:, None] - value) / slope[None]
    return _along_columns(mx, f, cols).astype(np.float32)


def _along_columns(a: np.ndarray, f: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """``a[f, col]`` with linear interpolation in the fractional row ``f`` (linear extension
    beyond the first and last rows)."""
    i = np.clip(np.floor(f).astype(np.intp), 0, a.shape[0] - 2)
    w = f - i
    return a[i, cols] * (1 - w) + a[i + 1, cols] * w
