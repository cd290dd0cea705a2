"""The lab's cards as HTML: one card per variant (prompt and skill, preview with its filmstrip,
render time, effects, duration, aspect, motion scores, reply), and the whole grid for static
viewers."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

from nemo_nb._html import escape
from nemo_nb._theme import BORDER, ERROR, MUTED, PAGE, SUCCESS, TEXT, WARN
from nemo_nb.display import VideoPreview
from nemo_nb.lab._variant import Variant

__all__ = ["card_html", "grid_html", "CARD_WIDTH"]

#: Width of a card's looping preview, px: small enough for a row of four.
CARD_WIDTH = 200

_CARD_STYLE = (
    f"border:1px solid {BORDER};border-radius:8px;padding:8px;box-sizing:border-box;"
    f"font:13px/1.35 system-ui,sans-serif;background:{PAGE};color:{TEXT};min-width:0"
)
_GRID_STYLE = (
    "display:grid;grid-template-columns:repeat(auto-fill,minmax(220px,1fr));gap:10px;"
    "align-items:start"
)
#: A variant's state is the edge of its status line (coloured text would fail in one theme).
_STATUS_COLOUR = {"done": SUCCESS, "failed": ERROR, "cancelled": WARN}


def _seconds(value: float | None) -> str:
    return f"{value:.1f} s" if value is not None else "–"


def _score(value: float | None, digits: int) -> str:
    return "–" if value is None or math.isnan(value) else f"{value:.{digits}f}"


#: The scores' rows on a card: (label, column, digits, what it means).
_SCORE_ROWS = (
    ("motion", "motion", 2, "mean optical flow, px per frame at 1080p"),
    ("subject focus", "subject_focus", 1, "flow on the subject ÷ flow around it (~1: whole frame)"),
    ("seam", "seam", 2, "the loop's jump ÷ a usual frame step (~1: seamless)"),
)


def card_html(variant: Variant, preview: VideoPreview | None) -> str:
    """One variant's card."""
    facts = variant.facts()
    parts = [
        f'<div class="nemo-card" style="{_CARD_STYLE}">',
        f'<div style="font-weight:600">#{variant.index + 1} “{escape(variant.prompt)}”</div>',
        f'<div style="color:{MUTED}">{escape(variant.skill)} · {escape(variant.image_label)}</div>',
    ]
    parts += [f'<div style="color:{MUTED}">then: “{escape(f)}”</div>' for f in variant.follow_ups]
    edge = f"border-left:3px solid {_STATUS_COLOUR.get(variant.status, BORDER)};padding-left:6px"
    if variant.error:
        parts.append(
            f'<div class="nemo-error" style="{edge};margin:4px 0">✗ {escape(variant.error)}</div>'
        )
    elif variant.status != "done":
        parts.append(f'<div style="{edge};margin:4px 0">{escape(variant.stage)}</div>')
    if preview is not None:  # (a long file path breaks inside the card)
        parts.append(f'<div style="overflow-wrap:anywhere">{preview._repr_html_()}</div>')
    if variant.status == "done" or variant.draft:
        strength = facts["strength"]
        effect = facts["effects"] or "none"
        if strength is not None:
            effect = f"{effect} ({strength:.0%})"
        clip = "preview" if variant.quality == "preview" else "full quality"
        rows = [
            ("render", f"{_seconds(variant.render_s)}" + (f" ({clip})" if variant.path else "")),
            ("effect", effect),
            ("duration", _seconds(facts["duration_s"])),
            ("aspect", facts["aspect"] or "–"),
        ]
        if facts["title"]:
            rows.append(("title", facts["title"]))
        if facts["music"]:
            rows.append(("music", facts["music"]))
        if variant.quality == "preview" and variant.export_path:
            rows.append(("full quality", Path(variant.export_path).name))
        scores = variant.score_row()
        tips = {label: tip for label, _, _, tip in _SCORE_ROWS}
        if variant.scores is not None:
            rows += [(label, _score(scores[c], d)) for label, c, d, _ in _SCORE_ROWS]
        cells = "".join(
            f'<tr title="{escape(tips.get(k, ""))}"><td style="color:{MUTED};padding:0 8px 0 0">'
            f"{escape(k)}</td><td>{escape(v)}</td></tr>"
            for k, v in rows
        )
        parts.append(f'<table style="margin:4px 0;font-size:12px">{cells}</table>')
    if variant.reply:
        parts.append(
            f'<div style="font-size:12px;white-space:pre-wrap">'
            f"<b>Agent:</b> {escape(variant.reply)}</div>"
        )
    parts.append("</div>")
    return "".join(parts)


def grid_html(variants: Sequence[Variant], previews: dict[int, VideoPreview], headline: str) -> str:
    """Every card in a grid under ``headline``: what a static viewer (GitHub, nbviewer) shows."""
    cards = "".join(card_html(v, previews.get(v.index)) for v in variants)
    return (
        f'<div class="nemo-prompt-lab"><div style="font:600 14px system-ui,sans-serif;'
        f'margin:4px 0 8px">{escape(headline)}</div><div style="{_GRID_STYLE}">{cards}</div></div>'
    )
