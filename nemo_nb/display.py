"""Show a rendered MP4 inline in a notebook, notebook-sized (mediapy's ``show_video`` idea).

The full export stays on disk; the notebook gets a small preview (≤ 960 px wide, muted, looping,
autoplaying, with controls), embedded only under a size cap so outputs stay small enough for git and
for Jupyter's output rate limit. Every preview also carries a filmstrip (a PNG of about six frames)
because GitHub and nbviewer do not play embedded video: the still strip is what they show.
"""

from __future__ import annotations

import base64
import io
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nemo_nb._html import Markup, file_href, tag
from nemo_nb._theme import LINK, TEXT

if TYPE_CHECKING:
    import numpy as np
    from PIL import Image

__all__ = ["show_video", "VideoPreview", "make_preview", "filmstrip"]

#: Widest preview we embed, in pixels.
MAX_PREVIEW_WIDTH = 960
#: Largest preview embedded as a data URI; above it the notebook links to the file instead
#: (when the file is in the notebook's folder, the only place Jupyter serves files from).
MAX_EMBED_BYTES = 4 * 1024 * 1024
#: Frames in a filmstrip, and their height in pixels.
FILMSTRIP_FRAMES = 6
FILMSTRIP_HEIGHT = 120
_PREVIEW_CRF = 28  # small files; the preview only has to show the motion
_STRIP_GAP = 2  # px of dark gap between frames, so a still strip reads as separate moments
_STRIP_BACKGROUND = (34, 34, 34)


def make_preview(path: str | os.PathLike[str], width: int = 540, crf: int = _PREVIEW_CRF) -> bytes:
    """Re-encode ``path`` to a small, silent H.264 MP4 ``width`` pixels wide; return its bytes."""
    return _preview_and_strip(Path(path), width, crf, strip=None)[0]


def filmstrip(
    path: str | os.PathLike[str],
    *,
    frames: int = FILMSTRIP_FRAMES,
    height: int = FILMSTRIP_HEIGHT,
) -> Image.Image:
    """A still of the video at ``path``: ``frames`` frames spread evenly over it, side by side,
    each ``height`` pixels tall (a PIL image; it displays itself, ``.save("strip.png")`` keeps it).

    >>> nemo_nb.filmstrip("jiggle.mp4")     # six moments of the loop in one PNG
    """
    import av

    path = _existing(path)
    strip = _StripCollector(frames, height)
    with av.open(str(path)) as src:
        vin = src.streams.video[0]
        vin.thread_type = "AUTO"
        strip.expect(_frame_count(src, vin))
        for frame in src.decode(vin):
            strip.offer(frame)
    return strip.image()


def _existing(path: str | os.PathLike[str]) -> Path:
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"There is no video at {path}.")
    return path


def _frame_count(src: Any, vin: Any) -> int:
    """Frames in the stream: the container's count, else estimated from its duration."""
    if vin.frames:
        return int(vin.frames)
    rate = float(vin.average_rate or 30)
    if vin.duration is not None and vin.time_base is not None:
        return max(1, round(float(vin.duration * vin.time_base) * rate))
    if src.duration:
        return max(1, round(src.duration / 1_000_000 * rate))
    return FILMSTRIP_FRAMES


class _StripCollector:
    """Picks ``count`` evenly spaced frames out of a decode pass, converting only those."""

    def __init__(self, count: int, height: int) -> None:
        self.count = max(1, count)
        self.height = max(8, height)
        self._wanted: set[int] = set()
        self._index = 0
        self._last: Any = None  # the last decoded frame, for a clip shorter than announced
        self.thumbs: list[np.ndarray] = []

    def expect(self, total: int) -> None:
        total = max(1, total)
        # The middle of each of `count` equal stretches: never the very first black-ish frame
        # of a fade-in, and spaced so a loop's motion shows as distinct poses.
        self._wanted = {
            min(total - 1, int((j + 0.5) * total / self.count)) for j in range(self.count)
        }

    def offer(self, frame: Any, rgb: np.ndarray | None = None) -> None:
        """Consider one decoded frame (``rgb``: its pixels, if the caller has them already)."""
        if self._index in self._wanted:
            self._take(rgb if rgb is not None else frame.to_ndarray(format="rgb24"))
        self._last = (frame, rgb)
        self._index += 1

    def _take(self, rgb: np.ndarray) -> None:
        import cv2

        h, w = rgb.shape[:2]
        thumb_w = max(1, round(self.height * w / h))
        self.thumbs.append(cv2.resize(rgb, (thumb_w, self.height), interpolation=cv2.INTER_AREA))

    def image(self) -> Image.Image:
        from PIL import Image

        if self._last is None:
            raise ValueError("The video has no frames to show.")
        while len(self.thumbs) < min(len(self._wanted), self.count):
            frame, rgb = self._last
            self._take(rgb if rgb is not None else frame.to_ndarray(format="rgb24"))
        width = sum(t.shape[1] for t in self.thumbs) + _STRIP_GAP * (len(self.thumbs) - 1)
        strip = Image.new("RGB", (width, self.height), _STRIP_BACKGROUND)
        x = 0
        for thumb in self.thumbs:
            strip.paste(Image.fromarray(thumb), (x, 0))
            x += thumb.shape[1] + _STRIP_GAP
        return strip


def _png(image: Image.Image) -> bytes:
    """The strip as a small PNG: 256 colours are plenty for thumbnails and a third the bytes."""
    from PIL import Image

    buf = io.BytesIO()
    image.quantize(256, method=Image.Quantize.MEDIANCUT).save(buf, format="PNG", optimize=True)
    return buf.getvalue()


def _preview_and_strip(
    path: Path, width: int, crf: int, strip: _StripCollector | None
) -> tuple[bytes, Image.Image | None]:
    """One decode pass: the small preview MP4's bytes and, if asked, the filmstrip."""
    # faststart rewrites the file by name, so the preview goes through a temp file, not BytesIO.
    with tempfile.TemporaryDirectory(prefix="nemo-nb-preview-") as tmp:
        out_path = Path(tmp) / "preview.mp4"
        _encode_preview(path, out_path, width, crf, strip)
        return out_path.read_bytes(), strip.image() if strip is not None else None


def _encode_preview(
    path: Path, out_path: Path, width: int, crf: int, strip: _StripCollector | None = None
) -> None:
    import av
    import cv2

    with av.open(str(path)) as src:
        vin = src.streams.video[0]
        vin.thread_type = "AUTO"
        if strip is not None:
            strip.expect(_frame_count(src, vin))
        scale = min(1.0, width / vin.codec_context.width)
        w = max(2, int(vin.codec_context.width * scale) // 2 * 2)
        h = max(2, int(vin.codec_context.height * scale) // 2 * 2)
        rate = vin.average_rate or 30
        with av.open(str(out_path), "w", options={"movflags": "faststart"}) as dst:
            vout = dst.add_stream("libx264", rate=rate)
            vout.width, vout.height, vout.pix_fmt = w, h, "yuv420p"
            vout.options = {"crf": str(crf), "preset": "veryfast"}
            for frame in src.decode(vin):
                full = frame.to_ndarray(format="rgb24")
                if strip is not None:
                    strip.offer(frame, full)
                rgb = cv2.resize(full, (w, h), interpolation=cv2.INTER_AREA)
                i420 = cv2.cvtColor(rgb, cv2.COLOR_RGB2YUV_I420)
                for packet in vout.encode(av.VideoFrame.from_ndarray(i420, format="yuv420p")):
                    dst.mux(packet)
            for packet in vout.encode():
                dst.mux(packet)


@dataclass
class VideoPreview:
    """A notebook-sized view of a video file; displays itself as HTML (the looping preview, its
    filmstrip and a link to the full file, or its path when Jupyter cannot serve it) and as PNG
    (the filmstrip) for viewers without HTML. File names are escaped and links percent-encoded
    (``nemo_nb._html``): an export's name may come from a server."""

    path: Path
    preview: bytes | None
    width: int
    poster: bytes | None = None  # the filmstrip, PNG
    label: str = "full quality"  # what the file is, in its caption ("preview" for a preview)

    def _repr_html_(self) -> str:
        size_mb = self.path.stat().st_size / 1e6 if self.path.exists() else 0.0
        href = file_href(self.path)
        if self.preview is not None:
            data = base64.b64encode(self.preview).decode("ascii")
            source: str | None = f"data:video/mp4;base64,{data}"
        else:
            source = href
        video = tag(
            "video", width=self.width, controls=True, loop=True, autoplay=True, muted=True,
            playsinline=True, src=source,
        ) if source is not None else Markup("")  # fmt: skip
        if href is not None:
            name = tag("a", self.path.name, href=href, download=True, style=f"color:{LINK}")
        else:  # outside the notebook's folder: the browser cannot open it, so say where it is
            name = tag("code", str(self.path))
        caption = tag(
            "div", name, f" ({size_mb:.1f} MB, {self.label})", style=f"font-size:90%;color:{TEXT}"
        )
        return tag("div", video, Markup(self.poster_html()), caption)

    def poster_html(self) -> str:
        """The filmstrip as an ``<img>`` (class ``nemo-filmstrip``), or ``""`` without one."""
        if self.poster is None:
            return ""
        data = base64.b64encode(self.poster).decode("ascii")
        alt = f"Filmstrip of {self.path.name}"
        image = tag(
            "img", class_="nemo-filmstrip", alt=alt, title=alt,
            style=f"max-width:{self.width}px;width:100%;height:auto",
            src=f"data:image/png;base64,{data}",
        )  # fmt: skip
        return tag("div", image)

    def _repr_png_(self) -> bytes | None:
        return self.poster

    def __repr__(self) -> str:
        return f"VideoPreview({str(self.path)!r})"


def show_video(
    path: str | os.PathLike[str],
    *,
    width: int = 360,
    max_embed_bytes: int = MAX_EMBED_BYTES,
    poster: bool = True,
    label: str = "full quality",
) -> VideoPreview:
    """Show the MP4 at ``path`` inline: a muted, looping preview plus a link to the full file
    (its path, when it is outside the notebook's folder).

    With ``poster`` (the default) the output also carries a filmstrip PNG of six frames, which is
    what GitHub and nbviewer show since they do not play video. ``label`` says what the file is
    in the caption ("full quality"; "preview" for an engine preview). Returns a
    :class:`VideoPreview`; as the last expression of a cell it displays itself.
    """
    path = _existing(path)
    width = max(2, min(width, MAX_PREVIEW_WIDTH))
    strip = _StripCollector(FILMSTRIP_FRAMES, FILMSTRIP_HEIGHT) if poster else None
    preview, image = _preview_and_strip(path, width, _PREVIEW_CRF, strip)
    return VideoPreview(
        path,
        preview if len(preview) <= max_embed_bytes else None,
        width,
        _png(image) if image is not None else None,
        label,
    )
