"""Small formatting helpers shared by the timeline views."""

from __future__ import annotations


def seconds(ms: float | None) -> str:
    """Milliseconds as compact seconds: ``3000`` → ``"3"``, ``2500`` → ``"2.5"``, ``None`` → ``"?"``."""
    if ms is None:
        return "?"
    text = f"{ms / 1000:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def span(start_ms: float, duration_ms: float | None) -> str:
    """A segment's span as in the seeds' summary: ``"0-10s"``."""
    end = None if duration_ms is None else start_ms + duration_ms
    return f"{seconds(start_ms)}-{seconds(end)}s"


def percent(fraction: float | None) -> str:
    """``0.35`` → ``"35%"``."""
    return "?" if fraction is None else f"{round(fraction * 100)}%"


#: One colour per track kind, shared by the table and the Gantt chart (colour-blind-safe hues).
KIND_COLOURS: dict[str, str] = {
    "video": "#4C72B0",
    "audio": "#55A868",
    "text": "#DD8452",
    "other": "#8C8C8C",
}


def short_value(value: object, limit: int = 40) -> str:
    """A value shown in a table cell, cut to ``limit`` characters."""
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
