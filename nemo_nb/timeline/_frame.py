"""The timeline as a table: a pandas DataFrame, a Styler for notebooks, and the HTML repr."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

import pandas as pd

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
    # Numeric columns stay numeric (NaN for "not given") so users can sort and plot them.
    for column in ("start s", "end s", "duration s", "strength %", "volume %"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("float64")
    return frame


def styled(draft: Draft) -> Styler:
    """The table for notebooks: rows tinted by track type, seconds formatted, no index."""
    frame = to_dataframe(draft)
    kinds = [track.kind for track, _ in draft.segments]

    def tint(row: pd.Series) -> list[str]:
        colour = KIND_COLOURS[kinds[row.name]]
        return [f"border-left: 4px solid {colour}" if col == "track #" else "" for col in row.index]

    styler = (
        frame.style.apply(tint, axis=1)
        .format({"start s": _cell_seconds, "end s": _cell_seconds, "duration s": _cell_seconds})
        .format({"strength %": _cell_percent, "volume %": _cell_percent})
        .format(na_rep="", subset=["effect", "transition", "source", "other"])
        .hide(axis="index")
        .set_caption(html.escape(_caption(draft)))
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
    head = f"<p><code>{html.escape(draft.summary())}</code></p>"
    if not draft.segments:
        return head
    try:
        table = styled(draft).to_html()
    except ImportError:  # the Styler needs jinja2, which only comes with Jupyter
        table = to_dataframe(draft).to_html(index=False, na_rep="")
    return head + table
