"""Facts of the API contract that both the client and the engine apply to the same JSON.

Imports nothing from the rest of the package, so every layer may use it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

__all__ = [
    "draft_is_exportable",
    "lenient_number",
    "is_loopback",
    "LOOPBACK_HOSTS",
    "RENDER_QUALITIES",
    "PREVIEW",
]

#: Host names that mean "this machine": a server there is the embedded engine (or a local serve).
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})

#: An export's ``output.quality`` (contract §3): the cloud's "high" and the engine's extension.
RENDER_QUALITIES = ("high", "preview")
#: The engine's extension: the same draft rendered small and fast (360 px on the short side).
#: Nothing says the cloud accepts it, so it is never sent there.
PREVIEW = "preview"


def draft_is_exportable(draft: Any) -> bool:
    """A draft is exportable iff some track has a non-empty ``sg`` (docs/contract.md §5)."""
    if not isinstance(draft, Mapping):
        return False
    tracks = draft.get("t")
    if not isinstance(tracks, list):
        return False
    return any(isinstance(t, Mapping) and t.get("sg") for t in tracks)


def lenient_number(value: Any) -> float | None:
    """``value`` as a finite float — a number or a numeric string, as servers send them — else
    ``None`` (bools, blanks, NaN and infinities are not numbers)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None


def is_loopback(url: str) -> bool:
    """True when ``url`` points at this machine (``127.0.0.1``, ``localhost``, ``::1``)."""
    return (urlsplit(url).hostname or "").lower() in LOOPBACK_HOSTS
