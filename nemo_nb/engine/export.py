"""An export draft checked against what the product makes: the one check the export route calls.

Anyone holding a token may send a draft of their own to export, so it is read as untrusted, in
three steps, cheapest first, each ending in one sentence:

1. its shape: a JSON object nested at most :data:`~limits.MAX_DRAFT_DEPTH` deep, with at most
   :data:`~limits.MAX_DRAFT_SEGMENTS` segments and something to render;
2. the product: a clip longer than :data:`~limits.MAX_EXPORT_SECONDS` is **refused** (cutting it
   short would export something else than was asked for; one message to the agent fits it); a
   size beyond 1080p or a frame rate beyond 30 fps is **clamped**, and a note on the job says
   so;
3. every field the renderer reads (``nemo_nb.render.check_draft``), without opening media: media
   that went missing is the render job's to report, as it may also go missing while it waits.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from nemo_nb._contract import draft_is_exportable
from nemo_nb.engine.limits import (
    EXPORT_FPS,
    EXPORT_LONG_SIDE,
    EXPORT_SHORT_SIDE,
    MAX_DRAFT_DEPTH,
    MAX_DRAFT_SEGMENTS,
    MAX_EXPORT_SECONDS,
)

__all__ = ["DraftRefused", "ExportDraft", "check_export", "clip_seconds"]

#: Sides the renderer accepts at all (``render/_draft.py``); a clamp never goes below.
_MIN_SIDE = 16


class DraftRefused(ValueError):
    """The draft cannot be exported; ``str()`` is one sentence saying why."""


@dataclass(frozen=True)
class ExportDraft:
    """The draft to render (clamped where needed) and what was clamped, as sentences."""

    draft: dict[str, Any]
    notes: tuple[str, ...] = ()


def check_export(draft: Any) -> ExportDraft:
    """``draft`` as the engine will render it, or :class:`DraftRefused` with one sentence."""
    _check_shape(draft)
    _check_length(draft)
    clamped = _clamp_output(draft)
    from nemo_nb.render import RenderInputError, check_draft

    try:
        check_draft(clamped.draft)
    except RenderInputError as exc:
        raise DraftRefused(str(exc)) from None
    return clamped


def clip_seconds(draft: Any) -> float:
    """A draft's length in seconds (0 when it does not say); for the watchdog's ceiling."""
    d = _number(draft.get("d") if isinstance(draft, dict) else None)
    return d / 1000 if d is not None and d > 0 else 0.0


def _number(value: Any) -> float | None:
    """A JSON number as a float (``inf`` past the float range), else ``None``; NaN is none."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        number = float(value)
    except OverflowError:  # an int past 1e308
        return math.inf
    return None if math.isnan(number) else number


def _check_shape(draft: Any) -> None:
    if not isinstance(draft, dict):
        raise DraftRefused("The draft is not a JSON object.")
    tracks = draft.get("t")
    segments = sum(
        len(t["sg"]) for t in tracks or [] if isinstance(t, dict) and isinstance(t.get("sg"), list)
    ) if isinstance(tracks, list) else 0  # fmt: skip
    if segments > MAX_DRAFT_SEGMENTS:
        raise DraftRefused(
            f"The draft has {segments} segments; an export may have at most {MAX_DRAFT_SEGMENTS}."
        )
    if _depth(draft) > MAX_DRAFT_DEPTH:
        raise DraftRefused(
            f"The draft is nested more than {MAX_DRAFT_DEPTH} levels deep; a draft needs about 8."
        )
    if not draft_is_exportable(draft):
        raise DraftRefused(
            "The draft has nothing to render yet: it needs a track with at least one segment."
        )


def _depth(root: Any) -> int:
    """How deeply ``root`` nests lists and objects (iteratively: a hostile draft may be deep),
    stopping once past the limit."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        if deepest > MAX_DRAFT_DEPTH:
            break
        children = node.values() if isinstance(node, dict) else node
        stack.extend((c, depth + 1) for c in children if isinstance(c, (dict, list)))
    return deepest


def _check_length(draft: dict[str, Any]) -> None:
    d = draft.get("d")
    seconds = clip_seconds(draft)
    if d is None:
        raise DraftRefused("The draft has no length 'd' (a number of milliseconds above 0).")
    if seconds <= 0 or not math.isfinite(seconds):
        shown = repr(d) if len(repr(d)) <= 40 else repr(d)[:39] + "…"
        raise DraftRefused(
            f"The draft's length 'd' must be a number of milliseconds above 0, not {shown}."
        )
    if seconds > MAX_EXPORT_SECONDS:
        long = f"{seconds:,.1f}".removesuffix(".0") if seconds < 1e9 else "more than a billion"
        raise DraftRefused(
            f"The draft is {long} seconds long; an export may be at most "
            f"{MAX_EXPORT_SECONDS} seconds: shorten it (say “make it {MAX_EXPORT_SECONDS} "
            "seconds”), then export again."
        )


def _side(value: Any) -> int | None:
    """A side the renderer reads (a positive JSON integer), else ``None``."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def _clamp_output(draft: dict[str, Any]) -> ExportDraft:
    """The draft with ``m.width``/``m.height`` within 1080p and ``m.fps`` at most 30."""
    m = draft.get("m")
    if not isinstance(m, dict):
        return ExportDraft(draft)  # no output fields: the renderer's defaults are the product's
    asked, made = [], []
    new_m = dict(m)
    w, h = _side(m.get("width")), _side(m.get("height"))
    if w is not None and h is not None:
        scale = min(1.0, EXPORT_LONG_SIDE / max(w, h), EXPORT_SHORT_SIDE / min(w, h))
        cw, ch = int(w * scale) // 2 * 2, int(h * scale) // 2 * 2
        if scale < 1 and min(cw, ch) >= _MIN_SIDE:
            new_m["width"], new_m["height"] = cw, ch
            asked.append(f"{w}x{h}")
            made.append(f"{cw}x{ch}")
    fps = _number(m.get("fps"))
    if fps is not None and EXPORT_FPS < fps < math.inf:  # inf: the renderer's to refuse
        new_m["fps"] = EXPORT_FPS
        asked.append(f"{fps:g} fps")
        made.append(f"{EXPORT_FPS} fps")
    if not asked:
        return ExportDraft(draft)
    note = (
        f"The draft asked for {' at '.join(asked)}; it is exported at {' at '.join(made)}, "
        "the most an export has."
    )
    return ExportDraft({**draft, "m": new_m}, (note,))
