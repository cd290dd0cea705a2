"""Decode media files: pictures (any size, EXIF-upright, alpha flattened) and video frames."""

from __future__ import annotations

import contextlib
import math
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
from PIL import Image

from nemo_nb._mediatype import (
    allow_png_metadata,
    enable_image_formats,
    exif_orientation,
    image_size_problem,
    sniff_file,
)
from nemo_nb._webp import WebPHeader, decode_webp, read_header

from ._errors import RenderInputError
from ._fit import fit_picture
from ._yuv import to_i420

#: A JPEG is decoded at the smallest DCT scale (1/2, 1/4, 1/8) that leaves it at most this
#: much smaller than the fit needs; the cubic fit then scales it up a little. A 12 MP portrait
#: photo in a 9:16 frame needs 2121 rows with a jiggle's margin, and half scale gives 2016: it
#: decodes in ~40 ms with 1/4 of the memory, against ~110 ms at full size (decode, crop and copy
#: out of Pillow). Nothing is lost that a proper reduction keeps: on a detail-rich 12 MP test
#: picture the plate came out closer to an area-filtered reduction of the full image (mean error
#: 12.3 grey levels against 14.1), since a direct cubic reduction by 1.9 aliases fine detail the
#: DCT scaling filters out.
_DRAFT_SHORTFALL = 1.1

_EXIF_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


@dataclass
class _Picture:
    """An opened picture: its stored size, format and EXIF orientation, from the header only."""

    path: Path
    size: tuple[int, int]
    format: str
    orientation: int
    image: Image.Image | None = None  # Pillow's opened file (not for WebP)
    webp: WebPHeader | None = None

    def decode(self, fit: float) -> Image.Image:
        """The first frame, decoded at about ``fit`` (the scale the fit needs) or larger, in the
        picture's own mode: JPEG at the DCT scale up to :data:`_DRAFT_SHORTFALL` short of it,
        WebP at exactly it, the rest whole (reduced afterwards, see :func:`_reduce`)."""
        if self.webp is not None:
            return decode_webp(self.path, min(1.0, fit), self.webp)
        im = self.image
        assert im is not None
        scale = fit / _DRAFT_SHORTFALL
        if scale < 1 and im.format == "JPEG":
            im.draft("RGB", (math.ceil(im.size[0] * scale), math.ceil(im.size[1] * scale)))
        im.load()
        return im


@contextlib.contextmanager
def _open_picture(path: Path) -> Iterator[_Picture]:
    """Open ``path`` reading only its header, refusing what breaks the pixel budget before any
    decoding. WebP is not opened with Pillow at all (see ``nemo_nb._webp``)."""
    enable_image_formats()
    allow_png_metadata()
    kind = sniff_file(path)
    if kind is not None and kind.ext == "webp":
        header = read_header(path)
        problem = image_size_problem(*header.size, "WEBP")
        if problem:
            raise ValueError(f"it {problem}")
        yield _Picture(path, header.size, "WEBP", exif_orientation(header.exif), webp=header)
        return
    # 100 MP camera photos are normal input here: no warning (Pillow's hard limit still applies)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        im = Image.open(path)
        # not ``with``: a caller may close the decoded image early to free its pixels, and
        # Pillow 10's ``__exit__`` then fails on the closed file (``close()`` does not)
        try:
            problem = image_size_problem(im.width, im.height, im.format)  # before any decoding
            if problem:
                raise ValueError(f"it {problem}")
            yield _Picture(path, im.size, im.format or "", exif_orientation(im), image=im)
        finally:
            im.close()


def check_picture(path: Path, where: str) -> None:
    """Fail early, before any encoding, if ``path`` is not a picture we can open."""
    try:
        with _open_picture(path):
            pass  # reading the header is the check
    except Exception as exc:
        raise RenderInputError(
            f"The {where} picture {path.name} cannot be decoded ({exc})."
        ) from exc


def picture_size(path: Path) -> tuple[int, int]:
    """The picture's upright (width, height), from its header."""
    with _open_picture(path) as picture:
        w, h = picture.size
        return (h, w) if picture.orientation in (5, 6, 7, 8) else (w, h)


def load_picture(path: Path, need: tuple[int, int], fit: str, where: str) -> np.ndarray:
    """Decode ``path`` upright as RGB uint8, reduced to about what a ``fit`` into ``need`` uses.

    Huge pictures are never held at full size when avoidable: JPEG decodes at 1/2..1/8 scale
    (``draft``, up to :data:`_DRAFT_SHORTFALL` short of the need), WebP straight to the need, and
    everything else is reduced by an integer factor straight after decoding, converted a band of
    rows at a time when its mode needs converting (palette, 16-bit, CMYK).
    GIF, WebP and other animations give their first frame; transparency is flattened onto white.
    """
    return load_picture_region(path, need, fit, where, crop=False)[0]


# Stored-image point (normalised) for an upright point (u, v), per EXIF orientation.
_UPRIGHT_TO_STORED = {
    1: lambda u, v: (u, v),
    2: lambda u, v: (1 - u, v),
    3: lambda u, v: (1 - u, 1 - v),
    4: lambda u, v: (u, 1 - v),
    5: lambda u, v: (v, u),
    6: lambda u, v: (v, 1 - u),
    7: lambda u, v: (1 - v, 1 - u),
    8: lambda u, v: (1 - v, u),
}

#: Modes reduced in one go; the rest are reduced (and converted, if the later steps need another
#: mode) in bands, as Pillow reduces RGBA and LA through a premultiplied full-size copy.
_REDUCED_WHOLE = ("RGB", "L")
#: Rows converted at a time: a band of a 8000 px wide picture in RGBA is 8 MB.
_BAND_ROWS = 256


def _eight_bit_grey(im: Image.Image, peak: float) -> Image.Image:
    """A 16-bit ("I;16"), 32-bit ("I") or float ("F") greyscale picture scaled to 8 bits, given
    the brightest value of the whole picture (``im`` may be one band of it)."""
    values = np.asarray(im)
    if values.dtype.kind == "f":
        scaled = values * np.float32(255.0) if peak <= 1.0 else values
    elif im.mode.startswith("I;16") or peak > 255:
        scaled = values / np.float32(257.0)  # the 16-bit range onto 0..255
    else:
        scaled = values
    return Image.fromarray(np.clip(scaled, 0, 255).astype(np.uint8), "L")


def _reduce(im: Image.Image, box: tuple[int, int, int, int], factor: int) -> Image.Image:
    """The ``box`` of ``im``, reduced ``factor`` times, as RGB, RGBA, L or LA.

    Other than RGB and L, a picture is converted and reduced a band of rows at a time: whole,
    it would take a second full-size copy (RGBA premultiplied, a palette GIF's RGBA four times
    its size, a 16-bit PNG's floats eight times).
    """
    if im.mode in _REDUCED_WHOLE:
        return im.reduce(factor, box) if factor > 1 else im.crop(box)
    if im.mode in ("RGBA", "LA"):
        convert = lambda band: band.copy()  # noqa: E731
    elif im.mode.startswith(("I", "F")):  # 16/32-bit greyscale: convert() would clip it
        extrema = im.getextrema()
        peak = float(extrema[1] if isinstance(extrema[1], (int, float)) else 255)
        convert = lambda band: _eight_bit_grey(band, peak)  # noqa: E731
    else:
        target = "RGBA" if im.mode in ("P", "PA") else "RGB"
        convert = lambda band: band.convert(target)  # noqa: E731
    left, top, right, bottom = box
    rows = factor * max(1, _BAND_ROWS // factor)  # whole blocks: as if reduced in one go
    out: Image.Image | None = None
    for y in range(top, bottom, rows):
        with im.crop((left, y, right, min(bottom, y + rows))) as cut:
            band = convert(cut)
        if factor > 1:
            smaller = band.reduce(factor)
            band.close()
            band = smaller
        if out is None:
            size = (math.ceil((right - left) / factor), math.ceil((bottom - top) / factor))
            out = Image.new(band.mode, size)
        out.paste(band, (0, (y - top) // factor))
        band.close()
    assert out is not None
    return out


def load_picture_region(
    path: Path,
    need: tuple[int, int],
    fit: str,
    where: str,
    *,
    crop: bool = True,
    focus: tuple[float, float] = (0.5, 0.5),
) -> tuple[np.ndarray, tuple[float, float, float, float]]:
    """Like :func:`load_picture`, but for ``cover`` keeps only the region the fit shows, centred
    on ``focus`` (fractions of the upright picture: the subject) as far as the picture allows.

    Returns the picture and the kept box (u0, v0, u1, v1) as fractions of the upright image. A
    12 MP landscape photo in a 9:16 frame keeps under half its width, which halves the memory a
    slideshow needs while the next photo loads. Only the decoded picture is ever full size;
    every later step works on the kept, reduced part and closes the one before it.
    """
    box = (0.0, 0.0, 1.0, 1.0)
    try:
        with _open_picture(path) as opened:
            orientation = opened.orientation
            sideways = orientation in (5, 6, 7, 8)

            def fit_scale(size: tuple[int, int]) -> float:
                w, h = size[::-1] if sideways else size  # fit the upright size
                fits = (need[0] / w, need[1] / h)
                return max(fits) if fit == "cover" else min(fits)

            decoded = opened.decode(fit_scale(opened.size))
            sw, sh = decoded.size
            kept = (0, 0, sw, sh)
            if crop and fit == "cover":
                w, h = (sh, sw) if sideways else (sw, sh)
                s = fit_scale((sw, sh))
                # the shown part, plus a few pixels so edge interpolation reads real picture
                keep_u = min(1.0, (need[0] / s + 4) / w)
                keep_v = min(1.0, (need[1] / s + 4) / h)
                if keep_u * keep_v < 0.9:
                    cu = min(max(focus[0], keep_u / 2), 1 - keep_u / 2)
                    cv = min(max(focus[1], keep_v / 2), 1 - keep_v / 2)
                    box = (cu - keep_u / 2, cv - keep_v / 2, cu + keep_u / 2, cv + keep_v / 2)
                    to_stored = _UPRIGHT_TO_STORED.get(orientation, _UPRIGHT_TO_STORED[1])
                    corners = [to_stored(box[0], box[1]), to_stored(box[2], box[3])]
                    kept = (
                        math.floor(min(c[0] for c in corners) * sw),
                        math.floor(min(c[1] for c in corners) * sh),
                        math.ceil(max(c[0] for c in corners) * sw),
                        math.ceil(max(c[1] for c in corners) * sh),
                    )
                    # the box actually kept, in upright fractions
                    fractions = (kept[0] / sw, kept[1] / sh, kept[2] / sw, kept[3] / sh)
                    box = _kept_upright_box(fractions, orientation)
            s = fit_scale((kept[2] - kept[0], kept[3] - kept[1]))
            # still far larger than needed: integer reduce keeps the result >= need
            factor = min(int(1 / s), 64) if s < 1 else 1
            try:
                im = _reduce(decoded, kept, factor)
            finally:
                decoded.close()  # frees the full-size pixels now, not at function exit

            def step(result: Image.Image) -> Image.Image:
                nonlocal im
                im.close()
                im = result
                return im

            if orientation in _EXIF_TRANSPOSE:  # after crop and reduce: rotating 12000 px is slow
                step(im.transpose(_EXIF_TRANSPOSE[orientation]))
            if im.mode in ("RGBA", "LA"):
                rgba = im.convert("RGBA")
                flat = Image.new("RGB", rgba.size, (255, 255, 255))
                flat.paste(rgba, mask=rgba.getchannel("A"))
                rgba.close()
                step(flat)
            if im.mode != "RGB":
                step(im.convert("RGB"))
            picture = np.asarray(im)
            im.close()
    except RenderInputError:
        raise
    except Exception as exc:
        raise RenderInputError(
            f"The {where} picture {path.name} cannot be decoded ({exc})."
        ) from exc
    if picture.size == 0:
        raise RenderInputError(f"The {where} picture {path.name} is empty.")
    return np.ascontiguousarray(picture), box


def _kept_upright_box(
    stored: tuple[float, float, float, float], orientation: int
) -> tuple[float, float, float, float]:
    """The upright box (fractions) of a box given in stored-image fractions."""
    to_stored = _UPRIGHT_TO_STORED.get(orientation, _UPRIGHT_TO_STORED[1])
    # each orientation map is affine: stored = origin + axes @ (u, v); invert it
    origin = np.array(to_stored(0.0, 0.0))
    axes = np.column_stack(
        [np.array(to_stored(1.0, 0.0)) - origin, np.array(to_stored(0.0, 1.0)) - origin]
    )
    inverse = np.linalg.inv(axes)
    corners = [
        inverse @ (np.array(p) - origin) for p in ((stored[0], stored[1]), (stored[2], stored[3]))
    ]
    us, vs = [c[0] for c in corners], [c[1] for c in corners]
    return (float(min(us)), float(min(vs)), float(max(us)), float(max(vs)))


def check_stream(path: Path, kind: str, where: str) -> None:
    """Fail early if ``path`` has no decodable ``kind`` ("video" or "audio") stream."""
    try:
        with av.open(str(path)) as container:
            streams = container.streams.video if kind == "video" else container.streams.audio
            if not streams:
                raise RenderInputError(f"The {where} media {path.name} has no {kind} stream.")
    except RenderInputError:
        raise
    except Exception as exc:
        raise RenderInputError(
            f"The {where} media {path.name} cannot be decoded as {kind} ({exc})."
        ) from exc


def upright_video_frame(rgb: np.ndarray, rotation: float | None) -> np.ndarray:
    """Apply a video's display rotation (degrees counter-clockwise, as PyAV reports it): phone
    videos are stored landscape with a -90 display matrix."""
    quarter_turns = round((rotation or 0) / 90) % 4
    return np.ascontiguousarray(np.rot90(rgb, quarter_turns)) if quarter_turns else rgb


class VideoClip:
    """Frames of an uploaded video, fitted to the output, read forward only as time advances.

    ``frame_at(t)`` returns (as I420) the source frame showing at ``trim_in + t`` (the last one once the
    video has ended: a short video holds its last frame). Each source frame is fitted once.
    """

    def __init__(
        self, path: Path, trim_in: float, size: tuple[int, int], fit: str, where: str
    ) -> None:
        self._where, self._path, self._size, self._fit = where, path, size, fit
        self._trim_in = trim_in
        try:
            self._container = av.open(str(path))
            self._stream = self._container.streams.video[0]
            self._stream.thread_type = "AUTO"
            if trim_in > 0 and self._stream.time_base:
                self._container.seek(int(trim_in / self._stream.time_base), stream=self._stream)
            self._decoder = self._container.decode(self._stream)
        except Exception as exc:
            raise RenderInputError(
                f"The {where} video {path.name} cannot be decoded ({exc})."
            ) from exc
        self._current: tuple[float, av.VideoFrame] | None = None
        self._upcoming = self._read()
        self._fitted: np.ndarray | None = None
        self._ended = False

    def _read(self) -> tuple[float, av.VideoFrame] | None:
        try:
            frame = next(self._decoder)
        except StopIteration:
            return None
        except Exception as exc:
            raise RenderInputError(
                f"The {self._where} video {self._path.name} cannot be decoded ({exc})."
            ) from exc
        when = (
            float(frame.pts * frame.time_base) if frame.pts is not None and frame.time_base else 0.0
        )
        return when, frame

    def frame_at(self, t: float) -> np.ndarray:
        target = self._trim_in + t + 1e-4
        advanced = False
        while self._upcoming is not None and (self._current is None or self._upcoming[0] <= target):
            self._current, self._upcoming = self._upcoming, self._read()
            advanced = True
        if self._current is None:
            raise RenderInputError(
                f"The {self._where} video {self._path.name} has no frames at or after m.trim_in."
            )
        if advanced or self._fitted is None:
            frame = self._current[1]
            rgb = upright_video_frame(
                frame.to_ndarray(format="rgb24"), getattr(frame, "rotation", 0)
            )
            self._fitted = to_i420(fit_picture(rgb, *self._size, self._fit))
        return self._fitted.copy()

    def close(self) -> None:
        self._container.close()
