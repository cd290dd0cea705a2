"""Text nemo-nb sends, saves or shows is valid Unicode, so UTF-8 can always encode it.

A Python string can hold surrogates, which UTF-8 cannot encode: a lone one from a broken paste or
from a browser's half of an emoji, or the stand-ins ``os.fsdecode`` makes for a file name's
undecodable bytes. Sent as they are, they fail deep inside httpx with a raw ``UnicodeEncodeError``
(and in a JSON-lines file, or in a widget message to the browser).

The policy, stated once: **a surrogate pair becomes the character it encodes; a lone surrogate
becomes U+FFFD (�); nothing else changes.** The message is still sent (one unreadable character
costs less than a refused prompt). Applied where text is encoded: every JSON body and multipart
file name the client sends (``api._transport``, ``api._upload``), the prompt a conversation
records, the history and Prompt Lab files, and every string :func:`nemo_nb._html.escape` turns
into HTML. A leaf module: it imports nothing from nemo-nb.
"""

from __future__ import annotations

from typing import Any

__all__ = ["valid_text", "valid_json"]


def valid_text(text: str) -> str:
    """``text`` with surrogate pairs joined and lone surrogates replaced by U+FFFD."""
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        # UTF-16 with surrogatepass keeps every code unit; decoding it pairs what pairs up.
        return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return text


def valid_json(value: Any) -> Any:
    """A JSON-shaped value (dicts, lists, strings, numbers) with :func:`valid_text` applied to
    every string in it, keys included; other values are returned as they are."""
    if isinstance(value, str):
        return valid_text(value)
    if isinstance(value, dict):
        return {valid_json(k): valid_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [valid_json(v) for v in value]
    return value
