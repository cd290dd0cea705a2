"""The UI-neutral updates a conversation turn yields."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from nemo_nb.api import CreditsError

__all__ = ["Update", "UpdateKind", "error_update", "credits_error_update"]

UpdateKind = Literal[
    "text",  # a streamed piece of the agent's reply, GUI phrases already translated: append it
    "activity",  # tool activity ("Applying motion…"): data["tool"], data["args"]
    "notice",  # "⏳ Still working...", "checking whether the edit landed…"
    "actions",  # buttons the UI can offer: data["actions"] e.g. ["export", "show_timeline"]
    "summary",  # what changed in a turn that ended without text: data["changes"]
    "draft",  # the new timeline: data["draft"] (a timeline.Draft), data["changes"]
    "error",  # one sentence saying what went wrong and what to do next
    "progress",  # export progress: data["fraction"] 0..1, data["render_id"]
    "export",  # export finished: data["path"] (pathlib.Path), data["render_id"]
    "credits",  # data["credits"] (api.Credits)
    "state",  # timeline summary: data["draft"] (Draft or None)
    "upload",  # upload result or how to upload: data["files"] (list of api.UploadedFile)
]


@dataclass(frozen=True)
class Update:
    """One thing to show the user. ``text`` is always ready to display; ``data`` has the details.

    Kinds and their ``data``:

    - ``text``: ``{"delta": True, "raw": <the agent's own words>}`` for each streamed piece of
      the reply. Append ``text``: it is already GUI-translated ("click Export" arrives as
      'say "export"'), each character once, never to be replaced.
    - ``activity``: ``{"tool": name, "args": dict}``. ``notice``: ``{}`` or ``{"waited_s": s}``.
    - ``actions``: ``{"actions": [...], "labels": [...]}``, actions a subset of ``"export"``,
      ``"show_timeline"``, ``"credits"``, ``"upload"`` and labels their button captions.
    - ``summary``: ``{"changes": [sentence, …]}``; ``draft``: ``{"draft": Draft, "changes": […]}``.
    - ``error``: ``{"error": exception class name, "code": code, "exception": the exception}``
      plus ``bind_url`` for credits, ``session_id`` (the new one) for a replaced session.
    - ``progress``: ``{"fraction": 0..1, "render_id": id}``; ``export``: ``{"path": Path,
      "render_id": id}``; ``credits``: ``{"credits": Credits}``; ``state``: ``{"draft": Draft |
      None}``; ``upload``: ``{"files": [UploadedFile, …]}``.
    """

    kind: UpdateKind
    text: str = ""
    data: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        keys = f", data keys={sorted(self.data)}" if self.data else ""
        return f"Update({self.kind!r}, {self.text!r}{keys})"


def error_update(exc: BaseException, text: str | None = None, **data: Any) -> Update:
    """The ``error`` update for ``exc``: its sentence (or ``text``) and what a UI needs to act."""
    return Update(
        "error",
        text or str(exc),
        {"error": type(exc).__name__, "code": getattr(exc, "code", None), "exception": exc, **data},
    )


def credits_error_update(exc: CreditsError) -> Update:
    """The ``error`` update for running out of credits, with where to get more."""
    bind_url = exc.bind_url
    text = str(exc)
    if bind_url and bind_url not in text:
        text = f"{text} Register at {bind_url} to get more credits."
    return error_update(exc, text, bind_url=bind_url)
