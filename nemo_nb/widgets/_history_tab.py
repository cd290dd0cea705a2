"""The History tab: the session's turns as a compact table that fits the tab.

One row per turn: what you asked (files by their own name, never the uploads folder they were
copied to), what came back (the reply, what changed, errors on a red edge), and how long it took.
Text wraps inside its column; nothing runs off to the right. Every column is still in
``studio.conversation.history_frame()``.
"""

from __future__ import annotations

import html
import math
import re
from typing import Any

from nemo_nb._theme import BORDER, ERROR, MUTED, RAISED, SUCCESS, TEXT

__all__ = ["EMPTY_HISTORY", "history_table_html", "names_only"]

EMPTY_HISTORY = "No turns yet."
#: Longest reply shown in a cell; the whole reply is in the history frame.
_REPLY_CHARS = 280

_URL = re.compile(r"https?://[^\s\"'<>]+", re.IGNORECASE)
# two or more path parts ("/home/me/.local/…/photo.jpg", "C:\\Users\\…\\photo.jpg", "~/x/y.png")
_PATH = re.compile(r"(?<![\w.:/\\])(?:~|[A-Za-z]:)?(?:[\\/][^\s\\/\"'<>]+){2,}")


def _last_part(path: str) -> str:
    return re.split(r"[\\/]", path.rstrip("\\/"))[-1] or path


def names_only(text: str) -> str:
    """``text`` with every file path and URL shortened to its file name (an address may carry a
    signature in its query, and a local path says where nemo-nb keeps its copies: neither is
    worth a column's width)."""
    text = _URL.sub(lambda m: _last_part(m.group(0).split("?")[0].split("#")[0]), text)
    return _PATH.sub(lambda m: _last_part(m.group(0)), text)


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _took(value: Any) -> str:
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return ""
    return "" if math.isnan(seconds) else f"{seconds:.1f} s"


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def history_table_html(frame: Any) -> str:
    """The tab's HTML for a history frame (:func:`nemo_nb.conversation.history_frame`'s columns
    ``prompt``, ``reply``, ``render_path``, ``changes``, ``errors``, ``duration_s``); every value
    escaped."""
    if frame is None or len(frame) == 0:
        return f"<p style='color:{MUTED};line-height:1.45'>{html.escape(EMPTY_HISTORY)}</p>"
    cell = f"padding:4px 6px;border-top:1px solid {BORDER};vertical-align:top"
    rows = []
    for number, (_, turn) in enumerate(frame.iterrows(), start=1):
        result = []
        reply = _text(turn.get("reply"))
        if reply:
            result.append(html.escape(_cut(names_only(reply), _REPLY_CHARS)))
        render = _text(turn.get("render_path"))
        if render:
            result.append(html.escape(f"Exported {names_only(render)}"))
        changes = _text(turn.get("changes"))
        if changes:
            result.append(
                f"<div style='border-left:3px solid {SUCCESS};padding-left:6px;margin-top:2px'>"
                f"Changed: {html.escape(names_only(changes))}</div>"
            )
        errors = _text(turn.get("errors"))
        if errors:
            result.append(
                f"<div class='nemo-nb-history-error' style='border-left:3px solid {ERROR};"
                f"background:{RAISED};padding:2px 6px;margin-top:2px'>"
                f"✗ {html.escape(names_only(errors))}</div>"
            )
        rows.append(
            f"<tr><td style='{cell};color:{MUTED}'>{number}</td>"
            f"<td style='{cell}'>{html.escape(names_only(_text(turn.get('prompt'))))}</td>"
            f"<td style='{cell}'>{''.join(result)}</td>"
            f"<td style='{cell};white-space:nowrap;text-align:right'>"
            f"{_took(turn.get('duration_s'))}</td></tr>"
        )
    # with a fixed layout the header row's widths are the columns' (the result takes the rest)
    head = "".join(
        f"<th style='text-align:{align};padding:2px 6px;font-weight:600;width:{width}'>{name}</th>"
        for name, align, width in (
            ("#", "left", "2.2em"),
            ("You", "left", "32%"),
            ("Result", "left", "auto"),
            ("Took", "right", "4.8em"),
        )
    )
    return (
        f"<table class='nemo-nb-history' style='width:100%;border-collapse:collapse;"
        f"table-layout:fixed;font-size:12px;line-height:1.4;color:{TEXT};"
        f"white-space:pre-wrap;overflow-wrap:anywhere'>"
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
        f"<p style='color:{MUTED};font-size:12px'>Every column: "
        "<code>studio.conversation.history_frame()</code></p>"
    )
