"""Decode media files: pictures (any size, EXIF-upright, alpha flattened) and video frames."""

from __future__ import annotations

import contextlib
import math
import warnings
from collections.abc import Iterator
from pathlib import Path

import av
import numpy as np
from PIL import Image

from ._errors import RenderInputError
from ._fit import fit_picture

_heif_registered = False
_EXIF_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def _register_heif() -> None:
    global _heif_registered
    if not _heif_registered:
        try:
            import pillow_heif

            pillow_heif.register_heif_opener()
        except ImportError:  # pragma: no cover - pillow-heif is a dependency
            pass
        _heif_registered = True


@contextlib.contextmanager
def _open_picture(path: Path) -> Iterator[Image.Image]:
    # 100 MP camera photos are normal input here: no warning (Pillow's hard limit still applies)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        with Image.open(path) as im:
            yield im


def check_picture(path: Path, where: str) -> None:
    """Fail early, before any encoding, if ``path`` is not a picture Pillow can open."""
    _register_heif()
    try:
        with _open_picture(path) as im:
            im.size  # noqa: B018 - reading the header is the check
    except Exception as exc:
        raise RenderInputError(
            f"The {where} picture {path.name} cannot be decoded ({exc})."
        ) from exc


def load_picture(path: Path, need: tuple[int, int], fit: str, where: str) -> np.ndarray:
    """Decode ``path`` upright as RGB uint8, reduced to about what a ``fit`` into ``need`` uses.

    Huge pictures are never held at full size when avoidable: JPEG decodes at 1/2..1/8 scale
    (``draft``) and everything else is reduced by an integer factor straight after decoding.
    GIF and other animations give their first frame; transparency is flattened onto white.
    """
    _register_heif()
    try:
        with _open_picture(path) as im:
            orientation = im.getexif().get(0x0112, 1)

            def cover_scale(size: tuple[int, int]) -> float:
                w, h = size[::-1] if orientation in (5, 6, 7, 8) else size  # fit the upright size
                fits = (need[0] / w, need[1] / h)
                return max(fits) if fit == "cover" else min(fits)

            scale = cover_scale(im.size)
            if scale < 1 and im.format == "JPEG":
                im.draft("RGB", (math.ceil(im.size[0] * scale), math.ceil(im.size[1] * scale)))
            im.load()
            if im.mode not in ("RGB", "RGBA", "L", "LA"):
                im = im.convert("RGBA" if im.mode in ("P", "PA") else "RGB")
            factor = int(1 / cover_scale(im.size))
            if factor >= 2:  # still far larger than needed: integer reduce keeps the result >= need
                im = im.reduce(min(factor, 64))
            if orientation in _EXIF_TRANSPOSE:  # after the reduce: rotating 12000 px is slow
                im = im.transpose(_EXIF_TRANSPOSE[orientation])
            if im.mode in ("RGBA", "LA"):
                rgba = im.convert("RGBA")
                flat = Image.new("RGB", rgba.size, (255, 255, 255))
                flat.paste(rgba, mask=rgba.getchannel("A"))
                im = flat
            if im.mode != "RGB":
                im = im.convert("RGB")
            picture = np.asarray(im)  # one copy; the PIL image is released right after
    except RenderInputError:
        raise
    except Exception as exc:
        raise RenderInputError(
            f"The {where} picture {path.name} cannot be decoded ({exc})."
        ) from exc
    if picture.size == 0:
        raise RenderInputError(f"The {where} picture {path.name} is empty.")
    return np.ascontiguousarray(picture)


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


class VideoClip:
    """Frames of an uploaded video, fitted to the output, read forward only as time advances.

    ``frame_at(t)`` returns the source frame showing at ``trim_in + t`` (the last one once the
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
            rgb = self._current[1].to_ndarray(format="rgb24")
            self._fitted = fit_picture(rgb, *self._size, self._fit)
        return self._fitted.copy()

    def close(self) -> None:
        self._container.close()
