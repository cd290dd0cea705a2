"""Typed results: plain dataclasses built from the server's JSON, tolerant of its variants."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from nemo_nb._contract import draft_is_exportable, lenient_number

__all__ = [
    "Session",
    "ChatEvent",
    "UploadedFile",
    "Credits",
    "SessionState",
    "RenderJob",
    "EventKind",
]

EventKind = Literal["text", "tool_call", "tool_result", "heartbeat", "error"]


@dataclass(frozen=True)
class Session:
    """An editing session (one project): ``session_id`` is what every other call takes."""

    session_id: str
    task_id: str | None = None
    user_id: str | None = None


@dataclass(slots=True)  # not frozen: a frozen __init__ costs ~2x on the hot streaming path
class ChatEvent:
    """One typed event of a chat turn.

    ``kind`` is ``"text"`` (``text`` holds only *new* text), ``"tool_call"`` (``name``, ``args``),
    ``"tool_result"`` (``name``, ``response``, ``state_delta``: a dict or ``None``),
    ``"heartbeat"`` (the agent is still working) or ``"error"`` (``text`` is the message, ``code``
    the ``errorCode`` if any).
    """

    kind: EventKind
    text: str | None = None
    name: str | None = None
    args: dict[str, Any] | None = None
    response: Any = None
    state_delta: dict[str, Any] | None = None
    code: str | int | None = None
    call_id: str | None = None
    raw: Any = field(default=None, repr=False, compare=False)


_num = lenient_number


def _mapping(value: Any) -> Mapping[str, Any]:
    """``value`` if it is a JSON object, else an empty one (servers send ``null`` for absent)."""
    return value if isinstance(value, Mapping) else {}


@dataclass(frozen=True)
class UploadedFile:
    """A file the server accepted: ``cdn_url`` is what a draft segment's ``src`` refers to."""

    filename: str
    file_type: str | None = None  # "video" | "image" | "audio"
    cdn_url: str | None = None
    duration: float | None = None  # seconds
    width: int | None = None
    height: int | None = None
    fps: float | None = None
    hash: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def url(self) -> str | None:
        """Alias of :attr:`cdn_url`."""
        return self.cdn_url

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> UploadedFile:
        url = d.get("cdn_url") or d.get("url") or d.get("cdnUrl")
        name = d.get("filename") or d.get("name") or (str(url).rsplit("/", 1)[-1] if url else "")
        width, height = _num(d.get("width")), _num(d.get("height"))
        return cls(
            filename=str(name),
            file_type=d.get("file_type") or d.get("fileType") or d.get("type"),
            cdn_url=str(url) if url else None,
            duration=_num(d.get("duration")),
            width=int(width) if width is not None else None,
            height=int(height) if height is not None else None,
            fps=_num(d.get("fps")),
            hash=d.get("hash"),
            raw=dict(d),
        )


@dataclass(frozen=True)
class Credits:
    """Credit balance: ``total = available + frozen`` (frozen: reserved by running jobs)."""

    available: int = 0
    frozen: int = 0
    total: int = 0

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> Credits:
        def n(key: str) -> int:
            v = _num(d.get(key))
            return max(0, int(v)) if v is not None else 0  # missing or negative -> 0

        available, frozen = n("available"), n("frozen")
        total = n("total") if d.get("total") is not None else available + frozen
        return cls(available, frozen, total)


@dataclass(frozen=True)
class SessionState:
    """The session's state: ``draft`` is the timeline (``{}`` when nothing was made yet)."""

    draft: dict[str, Any] = field(default_factory=dict)
    video_infos: list[Any] = field(default_factory=list)
    canvas_config: dict[str, Any] = field(default_factory=dict)
    generated_media: Any = None
    video_analyses: Any = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def exportable(self) -> bool:
        """True when some track has at least one segment (docs/contract.md §5)."""
        return draft_is_exportable(self.draft)

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> SessionState:
        state = _mapping(d.get("state")) or d
        return cls(
            draft=dict(state.get("draft") or {}),
            video_infos=list(state.get("video_infos") or []),
            canvas_config=dict(state.get("canvas_config") or {}),
            generated_media=state.get("generated_media"),
            video_analyses=state.get("video_analyses"),
            raw=dict(d),
        )


_STATUS = {
    "pending": "pending",
    "queued": "pending",
    "submitted": "pending",
    "processing": "processing",
    "running": "processing",
    "rendering": "processing",
    "in_progress": "processing",
    "completed": "completed",
    "complete": "completed",
    "done": "completed",
    "success": "completed",
    "succeeded": "completed",
    "finished": "completed",
    "failed": "failed",
    "error": "failed",
    "failure": "failed",
    "cancelled": "cancelled",
    "canceled": "cancelled",
}


def _when(value: Any) -> _dt.datetime | None:
    if isinstance(value, str):
        try:
            return _dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            value = _num(value)
    v = _num(value)
    if v is None:
        return None
    if v > 1e11:  # epoch milliseconds (the contract's unit)
        v /= 1000.0
    return _dt.datetime.fromtimestamp(v, tz=_dt.timezone.utc)


@dataclass(frozen=True)
class RenderJob:
    """A render (export) job. ``status``: pending, processing, completed, failed (or cancelled).

    ``progress`` is 0-100; ``created_at``/``started_at``/``completed_at`` are UTC datetimes when
    the server gave them (the engine says when rendering started, after any queueing).
    """

    id: str
    status: str = "pending"
    progress: float = 0.0
    output_url: str | None = None
    error: str | None = None
    created_at: _dt.datetime | None = None
    started_at: _dt.datetime | None = None  # when rendering began (after any queueing)
    completed_at: _dt.datetime | None = None
    duration: float | None = None  # seconds, shape C only
    size: int | None = None  # bytes, shape C only
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def done(self) -> bool:
        """True once the job can no longer change (completed, failed or cancelled)."""
        return self.status in ("completed", "failed", "cancelled")

    @classmethod
    def from_json(cls, d: Mapping[str, Any], fallback_id: str = "") -> RenderJob:
        """Read shape A (``data.outputUrl``), B (top-level ``status`` + ``output.url``) or C
        (``taskId`` + ``output.{url,duration,size}``), already unwrapped or not."""
        body = d
        if isinstance(d.get("data"), Mapping) and "status" not in d:
            body = d["data"]
        output = _mapping(body.get("output"))
        raw_status = str(body.get("status") or "pending").strip().lower()
        status = _STATUS.get(raw_status, raw_status)
        progress = _num(body.get("progress"))
        if progress is None:
            progress = 100.0 if status == "completed" else 0.0
        error = body.get("error") or body.get("errorMessage") or body.get("message")
        if isinstance(error, Mapping):
            error = error.get("message") or str(error)
        size = _num(output.get("size"))
        return cls(
            id=str(body.get("id") or body.get("taskId") or body.get("task_id") or fallback_id),
            status=status,
            progress=progress,
            output_url=body.get("outputUrl") or body.get("output_url") or output.get("url"),
            error=str(error) if error and status in ("failed", "cancelled") else None,
            created_at=_when(body.get("createdAt") or body.get("created_at")),
            started_at=_when(body.get("startedAt") or body.get("started_at")),
            completed_at=_when(body.get("completedAt") or body.get("completed_at")),
            duration=_num(output.get("duration")),
            size=int(size) if size is not None else None,
            raw=dict(d),
        )
