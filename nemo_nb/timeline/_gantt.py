"""The timeline as a Gantt chart: one lane per track, one labelled bar per segment.

Built on :class:`matplotlib.figure.Figure` directly (no pyplot), so no global figure state leaks
between calls and nothing is shown unless the caller displays the figure.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

import matplotlib.style
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from nemo_nb.timeline._format import KIND_COLOURS, seconds

if TYPE_CHECKING:
    from nemo_nb.timeline._model import Draft

_BAR_HEIGHT = 0.6
_FONT_SIZE = 8
_CHAR_WIDTH_IN = _FONT_SIZE * 0.6 / 72  # average glyph width at the label font size, inches


class TimelineFigure(Figure):
    """A plain matplotlib Figure that also renders itself as PNG in notebooks without pyplot."""

    def _repr_png_(self) -> bytes:
        buffer = io.BytesIO()
        self.savefig(buffer, format="png", dpi=100, facecolor=self.get_facecolor())
        return buffer.getvalue()


def _fit_label(label: str, width_in: float) -> str | None:
    """The label cut to fit a bar ``width_in`` inches wide, or ``None`` if nothing useful fits."""
    room = int(width_in / _CHAR_WIDTH_IN) - 1
    if room >= len(label):
        return label
    if room < 4:
        return None
    return label[: room - 1] + "…"


def _fit_number(index: int, width_in: float) -> str | None:
    label = str(index)
    return label if width_in >= (len(label) + 1) * _CHAR_WIDTH_IN else None


def gantt(draft: Draft, *, width: float = 10.0) -> TimelineFigure:
    """Draw ``draft`` as a Gantt chart and return the Figure.

    Lanes top to bottom follow the track order (track 1 on top), bars are coloured by track type
    and labelled with the segment's name or text when the label fits; transitions are hatched.
    Segment bars carry ``gid="segment:<track>:<segment>"`` so tests and tools can find them.
    The chart is always dark on white, whatever matplotlib style is active: a light card that
    reads the same in a light or dark notebook theme.
    """
    with matplotlib.style.context("default"):
        return _draw(draft, width)


def _draw(draft: Draft, width: float) -> TimelineFigure:
    lanes = max(len(draft.tracks), 1)
    figure = TimelineFigure(figsize=(width, 1.2 + 0.5 * lanes), layout="constrained")
    ax = figure.add_subplot()
    end_s = max(draft.duration_ms, max((t.end_ms for t in draft.tracks), default=0.0)) / 1000
    span_s = end_s if end_s > 0 else 1.0
    ax.set_xlim(0, span_s * 1.01)
    ax.set_ylim(lanes - 0.5, -0.5)  # track 1 at the top
    # Width of the plotting area in inches, minus the lane labels on the left (about 1.6 in).
    inches_per_s = max(width - 2.0, 1.0) / (span_s * 1.01)

    for lane, track in enumerate(draft.tracks):
        colour = KIND_COLOURS[track.kind]
        for seg in track.segments:
            start_s = seg.start_ms / 1000
            duration_s = (seg.duration_ms or 0.0) / 1000
            ax.barh(
                lane,
                duration_s,
                left=start_s,
                height=_BAR_HEIGHT,
                color=colour,
                edgecolor="white",
                linewidth=1.0,
                gid=f"segment:{track.index}:{seg.index}",
            )
            if seg.index > 1 and seg.transition and seg.transition_ms:
                ax.barh(
                    lane,
                    seg.transition_ms / 1000,
                    left=start_s,
                    height=_BAR_HEIGHT,
                    color="none",
                    edgecolor=(1.0, 1.0, 1.0, 0.7),
                    hatch="///",
                    linewidth=0.0,
                    gid=f"transition:{track.index}:{seg.index}",
                )
            label = seg.label if track.kind != "text" else f'"{seg.label}"'
            if seg.effect:
                label = f"{label} · {seg.effect}"
            # Too narrow for the name: the segment's number still tells bars apart.
            fitted = _fit_label(label, duration_s * inches_per_s) or _fit_number(
                seg.index, duration_s * inches_per_s
            )
            if fitted:
                ax.text(
                    start_s + duration_s / 2,
                    lane,
                    fitted,
                    ha="center",
                    va="center",
                    fontsize=_FONT_SIZE,
                    color="white",
                    clip_on=True,
                )

    ax.set_yticks(range(len(draft.tracks)))
    ax.set_yticklabels([_lane_label(t.index, t.name) for t in draft.tracks], fontsize=9)
    ax.set_xlabel("time (s)")
    ax.grid(axis="x", alpha=0.3)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    title = draft.title or "Timeline"
    ax.set_title(f"{title} · {seconds(draft.duration_ms)} s", fontsize=10, loc="left")
    kinds = list(dict.fromkeys(t.kind for t in draft.tracks))
    if kinds:
        handles = [Patch(color=KIND_COLOURS[k], label=k) for k in kinds]
        ax.legend(
            handles=handles,
            loc="lower right",
            bbox_to_anchor=(1.0, 1.0),
            ncol=len(handles),
            fontsize=8,
            frameon=False,
        )
    if not draft.tracks:
        ax.text(0.5, 0.5, "empty timeline", ha="center", va="center", transform=ax.transAxes)
        ax.set_yticks([])
    return figure


def _lane_label(index: int, name: str) -> str:
    label = f"{index}. {name}"
    return label if len(label) <= 18 else label[:17] + "…"
