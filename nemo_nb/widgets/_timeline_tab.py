"""The Timeline tab: the draft as a compact table (times in seconds, files by their own name) and
its Gantt chart, redrawn whenever the draft changes."""

from __future__ import annotations

from typing import TYPE_CHECKING

import ipywidgets as widgets  # type: ignore[import-untyped]
import pandas as pd

from nemo_nb._html import cell, escape
from nemo_nb._theme import BORDER, MUTED, TEXT
from nemo_nb.timeline import KIND_COLOURS, to_dataframe

if TYPE_CHECKING:
    from nemo_nb.timeline import Draft

__all__ = ["TimelineTab", "timeline_table_html", "EMPTY_TIMELINE"]

EMPTY_TIMELINE = "Nothing on the timeline yet: upload a photo and describe the motion you want."
_COLUMNS = ["#", "track", "name / text", "time", "effect", "strength", "transition", "volume"]


def _time(start: float, end: float) -> str:
    return f"{start:.1f} s" if pd.isna(end) else f"{start:.1f}–{end:.1f} s"


def _pct(value: float) -> str:
    return "" if pd.isna(value) else f"{value:g}%"


def studio_frame(draft: Draft) -> pd.DataFrame:
    """One row per segment, as the Studio shows it: no media URLs (they are temporary and may
    carry signatures), the time span in seconds, percentages as text."""
    full = to_dataframe(draft)
    frame = pd.DataFrame(
        {
            "#": full["track #"],
            "track": full["track type"],
            "name / text": full["name / text"].fillna(""),
            "time": [_time(s, e) for s, e in zip(full["start s"], full["end s"], strict=True)],
            "effect": full["effect"].fillna(""),
            "strength": full["strength %"].map(_pct),
            "transition": full["transition"].fillna(""),
            "volume": full["volume %"].map(_pct),
        },
        columns=_COLUMNS,
    )
    # Columns that say nothing for this draft only take room.
    keep = [c for c in _COLUMNS if c in ("#", "track", "name / text", "time") or frame[c].any()]
    return frame[keep]


def timeline_table_html(draft: Draft | None) -> str:
    """The table as HTML (a pandas Styler: rows tinted by track type, no index)."""
    if draft is None or not draft.segments:
        return f"<p style='color:{MUTED};line-height:1.45'>{escape(EMPTY_TIMELINE)}</p>"
    frame = studio_frame(draft)
    kinds = [track.kind for track, _ in draft.segments]

    def tint(row: pd.Series) -> list[str]:
        colour = KIND_COLOURS.get(kinds[row.name], KIND_COLOURS["other"])
        return [f"border-left: 4px solid {colour}" if c == "#" else "" for c in row.index]

    time_col = list(frame.columns).index("time")
    styler = (
        frame.style.apply(tint, axis=1)
        .format(cell)  # the draft's text came from a server; the Styler does not escape it
        .hide(axis="index")
        .set_table_attributes('class="nemo-nb-timeline"')
        .set_table_styles(
            [
                {
                    "selector": "",
                    "props": f"border-collapse: collapse; font-size: 12px; color: {TEXT};"
                    " width: 100%;",
                },
                {"selector": "th", "props": "text-align: left; padding: 2px 6px;"},
                {
                    "selector": "td",
                    "props": f"padding: 2px 6px; border-top: 1px solid {BORDER};"
                    " overflow-wrap: anywhere;",
                },
                # a time span never breaks ("0.0–6.0 s"), the other columns wrap instead
                {"selector": f"td.col{time_col}", "props": "white-space: nowrap;"},
            ]
        )
    )
    summary = escape(draft.summary())
    return f'<div style="font-size:12px;color:{MUTED};margin-bottom:4px">{summary}</div>' + (
        styler.to_html()
    )


def gantt_png(draft: Draft, width_in: float = 5.6) -> bytes:
    """The Gantt chart as PNG bytes."""
    return draft.gantt(width=width_in)._repr_png_()


class TimelineTab:
    """The tab's widget (:attr:`box`): table above, Gantt image below."""

    def __init__(self) -> None:
        self.table = widgets.HTML(timeline_table_html(None))
        self.table.add_class("nemo-nb-table")
        self.gantt = widgets.Image(
            # no margin: ipywidgets' 2 px each side on a 100 % wide image is a horizontal scrollbar
            format="png",
            layout=widgets.Layout(width="100%", margin="0", display="none"),
        )
        self.gantt.add_class("nemo-nb-gantt")
        self.box = widgets.VBox(
            [self.table, self.gantt], layout=widgets.Layout(overflow="auto", padding="4px")
        )
        self.draft: Draft | None = None
        self.redraws = 0

    def show(self, draft: Draft | None) -> None:
        """Redraw for ``draft`` (``None``: empty). Unchanged drafts are not redrawn."""
        if draft == self.draft and self.redraws:
            return
        self.draft = draft
        self.redraws += 1
        self.table.value = timeline_table_html(draft)
        if draft is None or not draft.segments:
            self.gantt.layout.display = "none"
            self.gantt.value = b""
        else:
            self.gantt.value = gantt_png(draft)
            self.gantt.layout.display = None
