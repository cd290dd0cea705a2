"""Text into HTML: the one place nemo-nb decides how a string becomes markup.

Everything a server sends is untrusted (draft text, file names, the agent's replies, error
sentences, render status, URLs; a cloud or a shared room engine may be hostile), and so is what a
user typed. Every view builds its HTML with :func:`escape` (text in an element or in a quoted
attribute), :func:`cell` (a pandas formatter), :func:`tag` (an element whose attribute values are
escaped and whose ``href``/``src`` must pass :func:`safe_url`) and :func:`file_href` (a link to a
file the notebook server can serve). A leaf module: it imports only :mod:`nemo_nb._unicode`.
"""

from __future__ import annotations

import html
import math
import os
import re
from pathlib import Path
from urllib.parse import quote

from nemo_nb._unicode import valid_text

__all__ = ["Markup", "escape", "cell", "tag", "safe_url", "file_href"]


class Markup(str):
    """HTML that is safe as it is: made by this module, or written in our own source. Passing it
    to :func:`escape` or :func:`tag` leaves it alone; any other string is escaped."""

    __slots__ = ()


def escape(value: object) -> Markup:
    """``value`` as text in HTML content or in a quoted attribute (``& < > " '`` escaped, lone
    surrogates replaced as :mod:`nemo_nb._unicode` says, since the page travels as UTF-8);
    ``None`` is the empty string and :class:`Markup` stays as it is."""
    if isinstance(value, Markup):
        return value
    return Markup(html.escape(valid_text("" if value is None else str(value)), quote=True))


def cell(value: object) -> str:
    """A pandas ``Styler.format`` formatter: the value escaped, missing values (``None``, NaN)
    empty. pandas' Styler does not escape cell text unless told to."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return escape(value)


# Attribute names we write; a name built from data could smuggle in an event handler.
_ATTR_NAME = re.compile(r"[a-z][a-z0-9-]*\Z")
_URL_ATTRS = frozenset({"href", "src", "poster"})


def tag(name: str, *children: object, **attrs: object) -> Markup:
    """``<name attrs>children</name>``: children that are not :class:`Markup` are escaped, as is
    every attribute value. ``class_`` writes ``class``, ``data_x`` writes ``data-x``; ``True``
    writes a bare attribute, ``None`` and ``False`` none. An ``href``, ``src`` or ``poster`` that
    :func:`safe_url` refuses is left out. ``img`` and ``br`` take no children or end tag."""
    if not _ATTR_NAME.match(name):
        raise ValueError(f"not a tag name: {name!r}")
    parts = [name]
    for key, value in attrs.items():
        attr = key.rstrip("_").replace("_", "-")
        if not _ATTR_NAME.match(attr) or attr.startswith("on"):
            raise ValueError(f"not an attribute nemo-nb writes: {key!r}")
        if value is None or value is False:
            continue
        if value is True:
            parts.append(attr)
            continue
        text = str(value)
        if attr in _URL_ATTRS:
            checked = safe_url(text)
            if checked is None:
                continue
            text = checked
        parts.append(f'{attr}="{escape(text)}"')
    opening = f"<{' '.join(parts)}>"
    if name in ("img", "br"):
        return Markup(opening)
    return Markup(opening + "".join(escape(c) for c in children) + f"</{name}>")


# A browser drops leading/trailing C0 controls and spaces and every tab/newline before it reads a
# URL's scheme ("java\tscript:" is javascript:), so the check does the same first.
_URL_JUNK = re.compile(r"[\t\n\r]")
_SCHEME = re.compile(r"([a-zA-Z][a-zA-Z0-9+.\-]*):")
# Embedded media we make ourselves: MP4 previews, PNG filmstrips, JPEG thumbnails.
_DATA_URL = re.compile(r"data:(?:video/[a-z0-9.+-]+|image/(?:png|jpeg|gif|webp))[;,]", re.I)


def safe_url(url: str) -> str | None:
    """``url`` if it is safe in an ``href`` or ``src`` (http(s), a path relative to the page such
    as Jupyter's ``files/…`` route, or a ``data:`` video or raster image), else ``None``: never
    ``javascript:``, ``vbscript:``, ``data:text/html``, ``file:`` or any other scheme."""
    cleaned = _URL_JUNK.sub("", url).strip("".join(map(chr, range(33))))
    scheme = _SCHEME.match(cleaned)
    if scheme is None:
        return cleaned  # relative: resolved against the notebook's own origin
    if scheme.group(1).lower() in ("http", "https"):
        return cleaned
    if _DATA_URL.match(cleaned):
        return cleaned
    return None


def file_href(path: str | os.PathLike[str]) -> str | None:
    """A link to ``path`` that the notebook server follows: relative to the kernel's working
    directory (the notebook's folder, which Jupyter serves under its files route), each part
    percent-encoded so a name like ``javascript:x.mp4`` stays a file name. ``None`` for a file
    outside that folder: a browser will not open ``file:`` links from a notebook page."""
    try:
        relative = Path(path).resolve().relative_to(Path.cwd().resolve())
    except (ValueError, OSError):
        return None
    return "/".join(quote(part, safe="") for part in relative.parts)
