"""A preview in the Studio's log: the clip small and looping under the agent's reply (muted, with
a Sound button when it has music), and an "Export full quality" button beside it.

The video is an HTML output of an ``Output`` widget, set by trait assignment: Jupyter resolves an
output's relative ``src`` to its files route beside the notebook (a widget's own HTML is not
resolved), so the notebook's widget state holds a short link instead of the video's bytes. A
preview outside the notebook's folder has no such link; it is embedded when small.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import ipywidgets as widgets  # type: ignore[import-untyped]

from nemo_nb._html import file_href, tag
from nemo_nb._theme import MUTED

__all__ = ["PreviewCard", "PreviewClip", "probe_clip", "PREVIEW_BOX", "MAX_INLINE_BYTES"]

#: The preview's box in the log, px: it fits inside it, keeping its aspect.
PREVIEW_BOX = (320, 240)
#: A preview the notebook server cannot serve is embedded up to this size (else its path shows).
MAX_INLINE_BYTES = 150_000

_CAPTION = f"font-size:12px;color:{MUTED};line-height:1.4"


@dataclass(frozen=True)
class PreviewClip:
    """What the log needs to know of a preview file."""

    path: Path
    width: int
    height: int
    seconds: float
    has_audio: bool
    size_bytes: int

    @property
    def shown_size(self) -> tuple[int, int]:
        """(width, height) in the log: inside :data:`PREVIEW_BOX`, the clip's aspect."""
        box_w, box_h = PREVIEW_BOX
        scale = min(box_w / max(1, self.width), box_h / max(1, self.height), 1.0)
        return max(2, round(self.width * scale)), max(2, round(self.height * scale))

    def source(self) -> str | None:
        """The ``src`` of its ``<video>``: the link Jupyter serves, else the file's bytes when
        small, else ``None``."""
        href = file_href(self.path)
        if href is not None:
            return href
        if self.size_bytes <= MAX_INLINE_BYTES:
            data = base64.b64encode(self.path.read_bytes()).decode("ascii")
            return f"data:video/mp4;base64,{data}"
        return None


def probe_clip(path: Path) -> PreviewClip:
    """Read a preview's size, length and whether it has sound (the header only; blocking)."""
    import av

    with av.open(str(path)) as container:
        video = container.streams.video[0]
        seconds = float(container.duration or 0) / 1_000_000
        return PreviewClip(
            path=path,
            width=video.width,
            height=video.height,
            seconds=seconds,
            has_audio=bool(container.streams.audio),
            size_bytes=path.stat().st_size,
        )


class PreviewCard:
    """One preview entry of the log (:attr:`box`): "Making a preview…", then the clip with its
    buttons; an older one collapses to a line once a newer preview is in."""

    def __init__(self, export: Callable[[], None]) -> None:
        self.clip: PreviewClip | None = None
        self.caption = widgets.HTML(_caption("Making a preview…"))
        self.video = widgets.Output(layout=widgets.Layout(margin="0"))
        self.sound = widgets.ToggleButton(
            value=False, description="Sound", icon="volume-up",
            tooltip="Play the preview with its music", layout=widgets.Layout(width="auto"),
        )  # fmt: skip
        self.sound.add_class("nemo-nb-preview-sound")
        self.sound.observe(lambda _change: self._draw(), "value")
        self.export = widgets.Button(
            description="Export full quality", icon="film",
            tooltip="Render this timeline to a full-quality MP4 (the Export tab)",
            layout=widgets.Layout(width="auto"),
        )  # fmt: skip
        self.export.add_class("nemo-nb-preview-export")
        self.export.on_click(lambda _b: export())
        self.buttons = widgets.VBox(
            [], layout=widgets.Layout(justify_content="flex-end", grid_gap="4px")
        )
        self.box = widgets.VBox(
            [widgets.HBox([self.video, self.buttons], layout=widgets.Layout(
                align_items="flex-end", grid_gap="8px")), self.caption],
            layout=widgets.Layout(padding="2px 8px 6px", width="auto"),
        )  # fmt: skip
        self.box.add_class("nemo-nb-preview")
        self.text = "Preview: making it…"  # the log's plain-text line

    def show(self, clip: PreviewClip) -> None:
        """The clip is ready: play it (muted, looping) with its buttons."""
        self.clip = clip
        seconds = f"{clip.seconds:.1f} s" if clip.seconds else ""
        parts = ["Preview", f"{clip.width}x{clip.height}", seconds]
        if clip.has_audio:
            parts.append("♪ has music: press Sound to hear it")
        self.caption.value = _caption(" · ".join(p for p in parts if p))
        self.buttons.children = (self.sound, self.export) if clip.has_audio else (self.export,)
        self.text = f"Preview: {clip.path.name}"
        self._draw()

    def replaced(self) -> None:
        """A newer preview is in (or replaced this one before it was done): keep one line."""
        self.clip = None
        self.video.outputs = ()
        self.buttons.children = ()
        self.caption.value = _caption("Preview replaced by a newer one below.")
        self.text = "Preview: replaced by a newer one."

    def failed(self, sentence: str) -> None:
        """No preview: say why in one sentence."""
        self.video.outputs = ()
        self.buttons.children = ()
        self.caption.value = _caption(f"No preview: {sentence}")
        self.text = f"Preview: {sentence}"

    def _draw(self) -> None:
        clip = self.clip
        if clip is None:
            return
        width, height = clip.shown_size
        source = clip.source()
        if source is None:
            html = tag("code", str(clip.path))
        else:
            muted = not self.sound.value
            html = tag(
                "video", src=source, width=width, height=height, autoplay=True, loop=True,
                muted=muted, playsinline=True, controls=True, class_="nemo-nb-preview-video",
                style="display:block;border-radius:4px;background:#000",
            )  # fmt: skip
        self.video.outputs = (
            {
                "output_type": "display_data",
                "data": {"text/html": str(html), "text/plain": f"Preview: {clip.path.name}"},
                "metadata": {},
            },
        )


def _caption(text: str) -> str:
    return str(tag("div", text, style=_CAPTION, class_="nemo-nb-preview-caption"))
