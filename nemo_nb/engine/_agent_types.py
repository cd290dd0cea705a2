"""The agent's public types: what a turn gets (:class:`MediaRef`) and what it gives back."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["MediaRef", "ToolCall", "AgentReply"]


@dataclass(frozen=True)
class MediaRef:
    """One uploaded file of the session, in upload order."""

    media_id: str
    url: str  # what goes into a segment's ``src``
    name: str  # the upload's file name (a segment's ``n``)
    kind: str  # "image" | "video" | "audio"
    width: int | None = None
    height: int | None = None
    duration_s: float | None = None


@dataclass
class ToolCall:
    """One tool the agent "called", as the cloud's would appear in the stream."""

    name: str
    args: dict[str, Any] = field(default_factory=dict)


@dataclass
class AgentReply:
    """What one turn produced.

    ``draft`` is the new draft, or ``None`` when the draft did not change; ``text`` is ``None`` for
    a silent turn; ``undo`` asks the server to restore the previous draft from its history;
    ``understood`` is ``False`` when nothing could be done (the text then says why and suggests
    prompts that work).
    """

    calls: list[ToolCall]
    draft: dict[str, Any] | None
    text: str | None
    undo: bool = False
    understood: bool = True
