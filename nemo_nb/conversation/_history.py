"""Turn history: every turn recorded, kept as JSON lines per session, and shown as a DataFrame."""

from __future__ import annotations

import dataclasses
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from nemo_nb._paths import open_private
from nemo_nb.conversation._update import Update

if TYPE_CHECKING:
    from nemo_nb.timeline import Draft
from nemo_nb._unicode import valid_text

__all__ = ["HistoryTurn", "HistoryStore", "history_frame"]

log = logging.getLogger("nemo_nb.conversation")


@dataclass
class HistoryTurn:
    """One turn of a conversation, as recorded for prompt experiments."""

    session_id: str | None
    prompt: str
    action: str  # what route() decided: agent, export, credits, state, upload
    started_at: str  # ISO 8601, UTC
    skill: str = ""
    reply: str = ""  # the reply as shown (after GUI translation)
    raw_reply: str = ""  # the agent's own text
    tool_calls: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)
    draft_before: dict[str, Any] | None = None
    draft_after: dict[str, Any] | None = None
    summary_after: str | None = None
    render_path: str | None = None
    duration_s: float | None = None
    first_text_s: float | None = None  # time to the first streamed text
    credits_before: int | None = None
    credits_after: int | None = None

    def record(self, update: Update) -> None:
        """Note what ``update`` adds to the turn (its text, tool call, notice, error, …)."""
        if update.kind == "text":
            self.reply += update.text
            self.raw_reply += update.data.get("raw", update.text)
        elif update.kind == "activity":
            self.tool_calls.append(str(update.data.get("tool")))
        elif update.kind == "notice":
            self.notices.append(update.text)
        elif update.kind == "error":
            self.errors.append(update.text)
        elif update.kind in ("summary", "draft"):
            self.changes = list(update.data.get("changes", self.changes))
        elif update.kind == "actions":
            self.actions = list(update.data.get("actions", []))
        elif update.kind == "export":
            self.render_path = str(update.data.get("path"))
        elif update.kind in ("upload", "credits", "state") and not self.reply:
            self.reply = update.text

    def close(self, duration_s: float, session_id: str | None, draft: Draft | None) -> None:
        """End the turn: how long it took, its session, and the timeline it left."""
        self.duration_s = round(duration_s, 3)
        self.session_id = self.session_id or session_id
        if draft is not None and self.draft_after is None:
            self.draft_after = draft.to_json()
            self.summary_after = draft.summary()

    @property
    def credits_used(self) -> int | None:
        """Credits the turn cost (``None`` when the balance could not be read)."""
        if self.credits_before is None or self.credits_after is None:
            return None
        return self.credits_before - self.credits_after

    def to_json(self) -> dict[str, Any]:
        """A JSON-serialisable dict (one line of the history file)."""
        return {**dataclasses.asdict(self), "credits_used": self.credits_used}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> HistoryTurn:
        """Read a line written by :meth:`to_json` (unknown keys are ignored)."""
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


class HistoryStore:
    """JSON-lines files, one per session, under ``<data dir>/history``."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, session_id: str) -> Path:
        """The history file of ``session_id``."""
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in session_id)
        return self.root / f"{safe}.jsonl"

    def append(self, turn: HistoryTurn) -> None:
        """Append ``turn`` to its session's file (turns without a session stay in memory only)."""
        if not turn.session_id:
            return
        path = self.path(turn.session_id)
        try:
            with open_private(path, "a") as fh:
                line = json.dumps(turn.to_json(), ensure_ascii=False, default=str)
                fh.write(valid_text(line) + "\n")
        except OSError as exc:  # history is a convenience: never fail a turn over it
            log.warning("could not write the history file %s: %s", path, exc)

    def load(self, session_id: str) -> list[HistoryTurn]:
        """The recorded turns of ``session_id`` (a damaged line is skipped)."""
        path = self.path(session_id)
        if not path.exists():
            return []
        turns = []
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                turns.append(HistoryTurn.from_json(json.loads(line)))
            except (ValueError, TypeError):
                log.warning("skipping a damaged line in %s", path)
        return turns


#: Columns of :func:`history_frame`, in order.
HISTORY_COLUMNS = [
    "started_at", "session_id", "skill", "prompt", "action", "reply", "tool_calls", "changes",
    "errors", "summary_after", "render_path", "duration_s", "first_text_s", "credits_used",
    "draft_before", "draft_after",
]  # fmt: skip


def history_frame(turns: list[HistoryTurn]) -> pd.DataFrame:
    """One row per turn; list columns are joined so the frame reads well in a notebook."""
    rows = []
    for turn in turns:
        row = turn.to_json()
        for key in ("tool_calls", "changes", "errors"):
            row[key] = "; ".join(row[key])
        rows.append({c: row.get(c) for c in HISTORY_COLUMNS})
    frame = pd.DataFrame(rows, columns=HISTORY_COLUMNS)
    frame.index.name = "turn"
    return frame
