"""Facts of the API contract that both the client and the engine apply to the same JSON.

Imports nothing from the rest of the package, so every layer may use it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["draft_is_exportable"]


def draft_is_exportable(draft: Any) -> bool:
    """A draft is exportable iff some track has a non-empty ``sg`` (contract §5)."""
    if not isinstance(draft, Mapping):
        return False
    tracks = draft.get("t")
    if not isinstance(tracks, list):
        return False
    return any(isinstance(t, Mapping) and t.get("sg") for t in tracks)
