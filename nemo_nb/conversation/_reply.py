"""A whole turn collected into one readable object, for notebooks and scripts that don't stream."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nemo_nb.conversation._update import Update

__all__ = ["Reply"]

_PREFIX = {"activity": "▸ ", "notice": "", "error": "✗ ", "summary": "Changed: "}
#: What answers a turn when the agent wrote nothing: a silent edit's summary, a local command's
#: answer ("credits", "status", "upload") or the finished export.
_ANSWERS = ("summary", "credits", "state", "upload", "export")


@dataclass
class Reply:
    """Everything one :meth:`Conversation.ask` turn produced, in order, plus handy views."""

    prompt: str
    updates: list[Update] = field(default_factory=list)

    @property
    def text(self) -> str:
        """The reply as the user read it: the agent's words (GUI phrases translated), or when it
        wrote none, the answer shown instead (a silent edit's summary, credits, status…)."""
        said = "".join(u.text for u in self.updates if u.kind == "text")
        return said or "\n".join(u.text for u in self.updates if u.kind in _ANSWERS and u.text)

    @property
    def changes(self) -> list[str]:
        """One sentence per change the turn made to the timeline."""
        for u in reversed(self.updates):
            if u.kind in ("draft", "summary") and u.data.get("changes") is not None:
                return list(u.data["changes"])
        return []

    @property
    def actions(self) -> list[str]:
        """Actions the reply mentioned that a UI can offer as buttons (``"export"``, …)."""
        return [a for u in self.updates if u.kind == "actions" for a in u.data.get("actions", [])]

    @property
    def errors(self) -> list[Update]:
        """The ``error`` updates, each with a sentence saying what to do next."""
        return [u for u in self.updates if u.kind == "error"]

    @property
    def path(self) -> Path | None:
        """The exported MP4, when the turn was an export."""
        for u in self.updates:
            if u.kind == "export":
                return Path(u.data["path"])
        return None

    def lines(self) -> list[str]:
        """The turn as a short transcript: reply first, then activity, changes and the rest."""
        out = [f"You: {self.prompt}"]
        reply_shown = False
        for u in self.updates:
            if u.kind == "text":
                if not reply_shown and self.text:
                    out.append(f"Agent: {self.text}")
                    reply_shown = True
            elif u.kind == "summary":
                out.extend(f"{_PREFIX['summary']}{c}" for c in u.data.get("changes") or [u.text])
            elif u.kind in ("progress", "draft", "actions"):
                continue  # progress is transient; the draft and buttons belong to a UI
            elif u.text:
                out.append(f"{_PREFIX.get(u.kind, '')}{u.text}")
        return out

    def __str__(self) -> str:
        return "\n".join(self.lines())

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:  # IPython display
        printer.text(str(self))
