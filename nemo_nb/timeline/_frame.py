"""The timeline as a table: a pandas DataFrame, a Styler for notebooks, and the HTML repr."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from nemo_nb._html import cell, escape
from nemo_nb.timeline._format import KIND_COLOURS, seconds, short_value

if TYPE_CHECKING:
    from pandas.io.formats.style import Styler

    from nemo_nb.timeline._model import Draft

#: Columns of :func:`to_dataframe`, in order.
COLUMNS = [
    "track #",
    "track type",
    "track",
    "name / text",
    "start s",
    "end s",
    "duration s",
    "effect",
    "strength %",
    "transition",
    "volume %",
    "source",
    "other",
]
# Numeric columns stay numeric (NaN for "not given") so users can sort and plot them.
_NUMERIC = ("start s", "end s", "duration s", "strength %", "volume %")
#: The rest hold the draft's text, which came from a server: escaped wherever it becomes HTML.
_TEXT = [c for c in COLUMNS if c not in _NUMERIC]


def _pct(fraction: float | None) -> float | None:
    return None if fraction is None else round(fraction * 100, 1)


def to_dataframe(draft: Draft) -> pd.DataFrame:
    """One row per segment: track number and type, name or text, start/end/duration in seconds,
    effect, strength, transition, volume, source, and any keys we do not know (``other``)."""
    rows = []
    for track, seg in draft.segments:
        rows.append(
            {
                "track #": track.index,
                "track type": track.type_label,
                "track": track.name,
                "name / text": seg.label,
                "start s": seg.start_ms / 1000,
                "end s": None if seg.duration_ms is None else seg.end_ms / 1000,
                "duration s": None if seg.duration_ms is None else seg.duration_ms / 1000,
                "effect": seg.effect,
                "strength %": _pct(seg.strength),
                "transition": seg.transition if seg.index > 1 else None,
                "volume %": _pct(seg.volume),
                "source": seg.src,
                "other": "; ".join(f"{k}={short_value(v)}" for k, v in seg.extra.items()) or None,
            }
        )
    frame = pd.DataFrame(rows, columns=COLUMNS)
    for column in _NUMERIC:
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("float64")
    return frame


def styled(draft: Draft) -> Styler:
    """The table for notebooks: rows tinted by track type, seconds formatted, no index. Cell
    text is escaped (pandas' Styler writes it into HTML as it is otherwise)."""
    frame = to_dataframe(draft)
    kinds = [track.kind for track, _ in draft.segments]

    def tint(row: pd.Series) -> list[str]:
        colour = KIND_COLOURS[kinds[row.name]]
        return [f"border-left: 4px solid {colour}" if col == "track #" else "" for col in row.index]

    styler = (
        frame.style.apply(tint, axis=1)
        # One call: each format() with a dict resets the columns the dict leaves out.
        .format(
            {
                **dict.fromkeys(_TEXT, cell),
                **dict.fromkeys(("start s", "end s", "duration s"), _cell_seconds),
                **dict.fromkeys(("strength %", "volume %"), _cell_percent),
            }
        )
        .hide(axis="index")
        .set_caption(escape(_caption(draft)))
    )
    return styler


def _cell_seconds(value: float) -> str:
    return "" if pd.isna(value) else seconds(value * 1000)


def _cell_percent(value: float) -> str:
    return "" if pd.isna(value) else f"{value:g}%"


def _caption(draft: Draft) -> str:
    parts = [draft.title or "Timeline", f"{seconds(draft.duration_ms)} s"]
    if draft.aspect:
        parts.append(draft.aspect)
    if draft.size:
        parts.append(f"{draft.size[0]}x{draft.size[1]}")
    return " · ".join(parts)


def draft_html(draft: Draft) -> str:
    """The notebook view of a draft: the summary line, then the table."""
    head = f"<p><code>{escape(draft.summary())}</code></p>"
    if not draft.segments:
        return head
    try:
        table = styled(draft).to_html()
    except ImportError:  # the Styler needs jinja2, which only comes with Jupyter
        table = to_dataframe(draft).to_html(index=False, na_rep="", escape=True)
    return head + table
