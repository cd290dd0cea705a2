"""The Export tab: Export and Cancel, a progress bar with what is happening, then the exported
MP4 playing at full quality with a Download link, and the session's earlier exports.

The video and the links are HTML *output* (an ``Output`` widget's outputs, set by trait
assignment), not a widget's HTML: JupyterLab and Notebook 7 resolve a relative link in output
against the notebook's folder to the server's ``files/`` route (on Binder too, under its base
URL), and a link with a ``download`` attribute then downloads instead of opening. A browser never
follows a ``file:`` link from a notebook page, so a file the server does not serve gets no link.

An export older than the timeline is marked ("The timeline changed since this export") and the
button offers to export again. :func:`video_html` draws one exported file, so another view (a
reply's preview in the log) can show an export the same way.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import ipywidgets as widgets  # type: ignore[import-untyped]

from nemo_nb._html import Markup, escape, file_href, tag
from nemo_nb._theme import LINK, RAISED, TEXT, WARN

__all__ = ["ExportTab", "STALE", "video_html"]

#: The marker of an export that no longer matches the timeline.
STALE = "The timeline changed since this export."
#: The exported video's height in the tab at most, px (its width follows its aspect).
VIDEO_MAX_HEIGHT = 420


def _size(path: Path) -> str:
    try:
        return f"{path.stat().st_size / 1e6:.1f} MB"
    except OSError:
        return "gone"


def _download(path: Path, href: str, label: str) -> Markup:
    return tag(
        "a", label, href=href, download=path.name, class_="nemo-nb-download",
        style=f"color:{LINK};font-weight:600",
    )  # fmt: skip


def video_html(path: Path, fallback: str | None = None) -> Markup:
    """The exported ``path`` playing at full quality, with its Download link; ``fallback`` (the
    small embedded preview's HTML) stands in where the notebook server does not serve the file."""
    href = file_href(path)
    if href is None:
        where = tag("code", str(path))
        note = tag(
            "div", "Saved as ", where, " (outside the notebook's folder, so the browser cannot "
            "download it from here; pass export_dir= to save beside the notebook).",
            style=f"color:{TEXT};font-size:12px",
        )  # fmt: skip
        return tag("div", Markup(fallback or ""), note)
    video = tag(
        "video", src=href, controls=True, autoplay=True, muted=True, loop=True,
        playsinline=True, preload="auto",
        style=f"display:block;max-width:100%;max-height:{VIDEO_MAX_HEIGHT}px;background:#000",
    )  # fmt: skip
    link = _download(path, href, f"⬇ Download {path.name}")
    caption = tag(
        "div", link, f" ({_size(path)}, full quality)", style=f"color:{TEXT};margin:4px 0"
    )
    return tag("div", video, caption)


def _earlier_html(paths: list[Path]) -> Markup:
    items = []
    for path in reversed(paths):
        href = file_href(path)
        name = _download(path, href, path.name) if href else tag("code", str(path))
        items.append(tag("li", name, f" ({_size(path)})"))
    return tag(
        "div", tag("b", "Earlier exports"), tag("ol", *items, style="margin:2px 0"),
        style=f"color:{TEXT};font-size:12px",
    )  # fmt: skip


class ExportTab:
    """The tab's widget (:attr:`box`) and the states it goes through."""

    def __init__(self) -> None:
        self.button = widgets.Button(
            description="Export MP4", button_style="primary", icon="film",
            tooltip="Render the timeline to a full-quality MP4",
        )  # fmt: skip
        self.cancel = widgets.Button(
            description="Cancel", icon="stop", tooltip="Cancel the render",
            layout=widgets.Layout(display="none"),
        )  # fmt: skip
        self.cancel.add_class("nemo-nb-cancel-export")
        self.progress = widgets.FloatProgress(
            value=0.0, min=0.0, max=1.0, layout=widgets.Layout(width="50%", visibility="hidden")
        )
        self.stage = widgets.HTML("")
        self.stage.add_class("nemo-nb-export-stage")
        self.stale = widgets.HTML("")
        self.stale.add_class("nemo-nb-stale")
        #: The exported video and its links, as output (see the module docstring).
        self.result = widgets.Output()
        self.result.add_class("nemo-nb-video")
        self.box = widgets.VBox(
            [
                widgets.HBox(
                    [self.button, self.cancel, self.progress],
                    layout=widgets.Layout(align_items="center", grid_gap="6px"),
                ),
                self.stage,
                self.stale,
                self.result,
            ],
            layout=widgets.Layout(padding="4px"),
        )
        self.exports: list[Path] = []
        #: The timeline the last export rendered.
        self.exported_draft: Any = None

    @property
    def rendering(self) -> bool:
        """Whether an export is under way (its Cancel button is showing)."""
        return self.button.disabled

    def started(self) -> None:
        self.button.disabled = True
        self.cancel.disabled = False
        self.cancel.layout.display = None
        self.progress.value = 0.0
        self.progress.bar_style = ""
        self.progress.layout.visibility = "visible"
        self.stage.value = _stage("Starting the export…")

    def step(self, fraction: float, text: str) -> None:
        self.progress.value = max(0.0, min(1.0, fraction))
        self.stage.value = _stage(text)

    def say(self, text: str) -> None:
        self.stage.value = _stage(text)

    def cancelling(self) -> None:
        self.cancel.disabled = True
        self.stage.value = _stage("Cancelling the render…")

    def finished(
        self,
        path: Path | None,
        text: str,
        *,
        draft: Any = None,
        fallback: str | None = None,
        cancelled: bool = False,
    ) -> None:
        """Done (``path``: the exported ``draft``) or not (``path is None``: ``text`` says why)."""
        self.button.disabled = False
        self.cancel.layout.display = "none"
        self.stage.value = _stage(text)
        if path is None:
            self.progress.bar_style = "warning" if cancelled else "danger"
            return
        self.progress.value = 1.0
        self.progress.bar_style = "success"
        self.exports.append(path)
        self.exported_draft = draft
        self.timeline_changed(draft)
        html = video_html(path, fallback)
        if len(self.exports) > 1:
            html = Markup(html + _earlier_html(self.exports[:-1]))
        self.result.outputs = (
            {
                "output_type": "display_data",
                "data": {"text/html": str(html), "text/plain": f"Exported {path.name}"},
                "metadata": {},
            },
        )

    def timeline_changed(self, draft: Any) -> None:
        """Mark the shown export as stale when ``draft`` is not the timeline it rendered."""
        stale = bool(self.exports) and draft != self.exported_draft
        self.stale.value = _stale() if stale else ""
        self.button.description = "Export again" if stale else "Export MP4"

    def clear(self) -> None:
        self.exports = []
        self.exported_draft = None
        self.result.outputs = ()
        self.stage.value = self.stale.value = ""
        self.button.description = "Export MP4"
        self.progress.layout.visibility = "hidden"


def _stage(text: str) -> str:
    return f"<div style='line-height:1.45;margin:4px 0;color:{TEXT}'>{escape(text)}</div>"


def _stale() -> str:
    return (
        f"<div style='margin:4px 0;padding:2px 8px;border-left:3px solid {WARN};"
        f"background:{RAISED};color:{TEXT}'>{escape(STALE)} "
        f"<span style='color:{TEXT}'>Export again to get the video as it is now.</span></div>"
    )
