"""Show a rendered MP4 inline in a notebook, notebook-sized (mediapy's ``show_video`` idea).

The full export stays on disk; the notebook gets a small preview (≤ 960 px wide, muted, looping,
autoplaying, with controls), embedded only under a size cap so outputs stay small enough for git and
for Jupyter's output rate limit.
"""

from __future__ import annotations

import base64
import html
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

__all__ = ["show_video", "VideoPreview", "make_preview"]

#: Widest preview we embed, in pixels.
MAX_PREVIEW_WIDTH = 960
#: Largest preview embedded as a data URI; above it the notebook links to the file instead.
MAX_EMBED_BYTES = 4 * 1024 * 1024


def make_preview(path: str | os.PathLike[str], width: int = 540, crf: int = 28) -> bytes:
    """Re-encode ``path`` to a small, silent H.264 MP4 ``width`` pixels wide; return its bytes."""
    # faststart rewrites the file by name, so the preview goes through a temp file, not BytesIO.
    with tempfile.TemporaryDirectory(prefix="nemo-nb-preview-") as tmp:
        out_path = Path(tmp) / "preview.mp4"
        _encode_preview(Path(path), out_path, width, crf)
        return out_path.read_bytes()


def _encode_preview(path: Path, out_path: Path, width: int, crf: int) -> None:
    import av
    import cv2

    with av.open(str(path)) as src:
        vin = src.streams.video[0]
        scale = min(1.0, width / vin.codec_context.width)
        w = max(2, int(vin.codec_context.width * scale) // 2 * 2)
        h = max(2, int(vin.codec_context.height * scale) // 2 * 2)
        rate = vin.average_rate or 30
        with av.open(str(out_path), "w", options={"movflags": "faststart"}) as dst:
            vout = dst.add_stream("libx264", rate=rate)
            vout.width, vout.height, vout.pix_fmt = w, h, "yuv420p"
            vout.options = {"crf": str(crf), "preset": "veryfast"}
            for frame in src.decode(vin):
                rgb = cv2.resize(
                    frame.to_ndarray(format="rgb24"), (w, h), interpolation=cv2.INTER_AREA
                )
                i420 = cv2.cvtColor(rgb, cv2.COLOR_RGB2YUV_I420)
                for packet in vout.encode(av.VideoFrame.from_ndarray(i420, format="yuv420p")):
                    dst.mux(packet)
            for packet in vout.encode():
                dst.mux(packet)


@dataclass
class VideoPreview:
    """A notebook-sized view of a video file; displays itself as HTML."""

    path: Path
    preview: bytes | None
    width: int

    def _repr_html_(self) -> str:
        name = html.escape(self.path.name)
        size_mb = self.path.stat().st_size / 1e6 if self.path.exists() else 0.0
        link = html.escape(_link_target(self.path))
        attrs = f'width="{self.width}" controls loop autoplay muted playsinline'
        if self.preview is not None:
            data = base64.b64encode(self.preview).decode("ascii")
            video = f'<video {attrs} src="data:video/mp4;base64,{data}"></video>'
        else:
            video = f'<video {attrs} src="{link}"></video>'
        caption = f'<div style="font-size:90%"><a href="{link}" download>{name}</a> ({size_mb:.1f} MB, full quality)</div>'
        return f"<div>{video}{caption}</div>"

    def __repr__(self) -> str:
        return f"VideoPreview({str(self.path)!r})"


def _link_target(path: Path) -> str:
    """A link the notebook server can follow: relative to the working dir when possible."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.resolve().as_uri()


def show_video(
    path: str | os.PathLike[str], *, width: int = 360, max_embed_bytes: int = MAX_EMBED_BYTES
) -> VideoPreview:
    """Show the MP4 at ``path`` inline: a muted, looping preview plus a link to the full file.

    Returns a :class:`VideoPreview`; as the last expression of a cell it displays itself.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"There is no video at {path}.")
    width = max(2, min(width, MAX_PREVIEW_WIDTH))
    preview = make_preview(path, width=width)
    return VideoPreview(path, preview if len(preview) <= max_embed_bytes else None, width)
