"""The Export tab: an Export button, a progress bar with what is happening, the MP4 playing
inline (``nemo_nb.display.show_video``), and the session's earlier exports."""

from __future__ import annotations

from pathlib import Path

import ipywidgets as widgets  # type: ignore[import-untyped]

from nemo_nb._html import escape

__all__ = ["ExportTab"]


class ExportTab:
    """The tab's widget (:attr:`box`) and the states it goes through."""

    def __init__(self) -> None:
        self.button = widgets.Button(
            description="Export MP4", button_style="primary", icon="film",
            tooltip="Render the timeline to a full-quality MP4",
        )  # fmt: skip
        self.progress = widgets.FloatProgress(
            value=0.0, min=0.0, max=1.0, layout=widgets.Layout(width="60%", visibility="hidden")
        )
        self.stage = widgets.HTML("")
        self.video = widgets.HTML("")
        self.video.add_class("nemo-nb-video")
        self.earlier = widgets.HTML("")
        self.box = widgets.VBox(
            [
                widgets.HBox(
                    [self.button, self.progress], layout=widgets.Layout(align_items="center")
                ),
                self.stage,
                self.video,
                self.earlier,
            ],
            layout=widgets.Layout(padding="4px"),
        )
        self.exports: list[Path] = []

    def started(self) -> None:
        self.button.disabled = True
        self.progress.value = 0.0
        self.progress.bar_style = ""
        self.progress.layout.visibility = "visible"
        self.stage.value = _stage("Starting the export…")

    def step(self, fraction: float, text: str) -> None:
        self.progress.value = max(0.0, min(1.0, fraction))
        self.stage.value = _stage(text)

    def say(self, text: str) -> None:
        self.stage.value = _stage(text)

    def finished(self, path: Path | None, preview_html: str | None, text: str) -> None:
        """Done (``path``) or failed (``path is None``, ``text`` says why)."""
        self.button.disabled = False
        self.stage.value = _stage(text)
        if path is None:
            self.progress.bar_style = "danger"
            return
        self.progress.value = 1.0
        self.progress.bar_style = "success"
        if preview_html is not None:
            self.video.value = preview_html
        self.exports.append(path)
        self._list()

    def clear(self) -> None:
        self.exports = []
        self.video.value = self.earlier.value = self.stage.value = ""
        self.progress.layout.visibility = "hidden"

    def _list(self) -> None:
        if len(self.exports) < 2:
            self.earlier.value = ""
            return
        items = "".join(
            f"<li>{escape(p.name)} <span style='color:#777'>({_size(p)})</span></li>"
            for p in reversed(self.exports[:-1])
        )
        self.earlier.value = (
            f"<div style='font-size:12px'><b>Earlier exports</b><ol>{items}</ol></div>"
        )


def _stage(text: str) -> str:
    return f"<div style='line-height:1.45;margin:4px 0'>{escape(text)}</div>"


def _size(path: Path) -> str:
    try:
        return f"{path.stat().st_size / 1e6:.1f} MB"
    except OSError:
        return "gone"
