"""The media row: an "Upload" button (several files), a URL box, and thumbnails of the session's
media. Files picked in the browser are written under the data dir with their own names, then go
through the conversation's upload (the client checks type and size before sending anything)."""

from __future__ import annotations

import datetime as _dt
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import ipywidgets as widgets  # type: ignore[import-untyped]

from nemo_nb._html import escape
from nemo_nb._mediatype import ENGINE_TYPES, file_extensions

__all__ = ["MediaBar", "save_picked", "thumbnail_jpeg"]

THUMB_HEIGHT = 56
# The picker offers what either server takes (the cloud gets HEIC converted to JPEG).
_ACCEPT = ",".join(f".{e}" for e in sorted(file_extensions(ENGINE_TYPES)))


def _safe_name(name: str) -> str:
    base = Path(name.replace("\\", "/")).name
    return re.sub(r"[^\w.\- ]+", "_", base).strip(" .") or "upload"


def save_picked(picked: Iterable[Mapping[str, Any]], folder: Path) -> list[Path]:
    """Write FileUpload's value (ipywidgets 8: dicts with ``name`` and ``content``) to ``folder``
    under each file's own name; returns the paths in the order picked."""
    stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    target = folder / stamp
    target.mkdir(parents=True, exist_ok=True)
    paths = []
    for item in picked:
        path = target / _safe_name(str(item.get("name") or "upload"))
        path.write_bytes(bytes(item["content"]))
        paths.append(path)
    return paths


def thumbnail_jpeg(path: Path, height: int = THUMB_HEIGHT) -> bytes | None:
    """A small JPEG of a photo or of a video's first frame; ``None`` for audio or unreadable files."""
    from PIL import Image

    from nemo_nb._mediatype import enable_image_formats

    enable_image_formats()
    image = None
    try:
        with Image.open(path) as im:
            im.thumbnail((height * 4, height))
            image = im.convert("RGB")
    except Exception:
        try:
            import av

            with av.open(str(path)) as container:
                frame = next(container.decode(video=0))
                image = frame.to_image()
                image.thumbnail((height * 4, height))
        except Exception:
            return None
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=80)
    return out.getvalue()


class MediaBar:
    """Upload button, URL box and thumbnails (:attr:`box`)."""

    def __init__(self) -> None:
        self.upload = widgets.FileUpload(
            description="Upload",
            accept=_ACCEPT,
            multiple=True,
            tooltip="Photos, videos or music: JPG, PNG, WEBP, HEIC, MP4, MOV, MP3, ... up to 200 MB",
            layout=widgets.Layout(width="auto"),
        )
        # Its view appends how many files the value holds, "(0)" once the upload has cleared
        # it: the panel's stylesheet shows the plain caption instead (widgets/_style.py).
        self.upload.add_class("nemo-nb-upload")
        self.url = widgets.Text(
            placeholder="or paste a photo/video URL and press Enter",
            layout=widgets.Layout(flex="0 1 300px", min_width="160px"),
        )
        self.add_url = widgets.Button(description="Add URL", layout=widgets.Layout(width="auto"))
        self.thumbs = widgets.HBox(layout=widgets.Layout(flex_flow="row wrap", overflow="hidden"))
        self.thumbs.add_class("nemo-nb-thumbs")
        self.box = widgets.HBox(
            [self.upload, self.url, self.add_url, self.thumbs],
            layout=widgets.Layout(flex_flow="row wrap", align_items="center", grid_gap="6px"),
        )

    def add_thumbnails(self, names: Sequence[str], paths: Sequence[Path | None]) -> None:
        """One thumbnail (or a name chip for audio and URLs) per uploaded file."""
        tiles = []
        for name, path in zip(names, paths, strict=False):
            jpeg = thumbnail_jpeg(path) if path is not None else None
            caption = widgets.HTML(
                f'<div style="font-size:10px;max-width:90px;overflow:hidden;'
                f'text-overflow:ellipsis;white-space:nowrap" title="{escape(name)}">'
                f"{escape(name)}</div>"
            )
            parts: list[widgets.Widget] = [caption]
            if jpeg is not None:
                size = widgets.Layout(height=f"{THUMB_HEIGHT}px", width="auto")
                parts.insert(0, widgets.Image(value=jpeg, format="jpeg", layout=size))
            tiles.append(widgets.VBox(parts, layout=widgets.Layout(margin="0 4px")))
        self.thumbs.children = (*self.thumbs.children, *tiles)

    def clear(self) -> None:
        """Forget the thumbnails (a new session)."""
        self.thumbs.children = ()
