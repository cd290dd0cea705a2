"""A stand-in for NemoClient with the same async methods, scripted per test.

Only for unit tests of routing and updates; the end-to-end test uses the real engine.
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from nemo_nb._mediatype import ENGINE_TYPES
from nemo_nb.api import (
    ChatEvent,
    Credits,
    RenderError,
    RenderJob,
    Session,
    SessionNotFoundError,
    SessionState,
    UploadedFile,
)
from nemo_nb.skills import get_skill

#: The engine's schema example (docs/draft-schema.md).
ENGINE_DRAFT: dict[str, Any] = {
    "d": 6000,
    "m": {"title": "Jiggle", "width": 1080, "height": 1920, "fps": 30, "aspect": "9:16"},
    "t": [
        {"id": "v1", "tt": 0, "n": "Video", "sg": [
            {"id": "s1", "st": 0, "d": 6000, "src": "http://127.0.0.1:1/media/m1/portrait.jpg",
             "n": "portrait.jpg",
             "m": {"kind": "image", "fx": {"type": "jiggle", "strength": 0.6, "speed": 1.0,
                                           "loops": 2}}}]},
        {"id": "a1", "tt": 1, "n": "BGM", "sg": [
            {"id": "s2", "st": 0, "d": 6000, "src": "builtin:lofi", "n": "Lo-fi",
             "m": {"vol": 0.35}}]},
    ],
}  # fmt: skip


class SetDraft:
    """A script step: the server's draft changes to ``draft`` (``None``: empty)."""

    def __init__(self, draft: dict[str, Any] | None) -> None:
        self.draft = draft


class Advance:
    """A script step: the fake clock moves ``seconds`` forward."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds


def text(chunk: str) -> ChatEvent:
    return ChatEvent("text", text=chunk)


def tool(name: str, **args: Any) -> ChatEvent:
    return ChatEvent("tool_call", name=name, args=args)


def result(name: str, draft: dict[str, Any] | None = None) -> ChatEvent:
    return ChatEvent(
        "tool_result",
        name=name,
        response={"status": "ok"},
        state_delta={"draft": draft} if draft else None,
    )


HEARTBEAT = ChatEvent("heartbeat")


class FakeClock:
    """An injectable monotonic clock."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class FakeClient:
    """Scripted chat turns, an in-memory draft, credits and render jobs."""

    base_url = "http://127.0.0.1:8765"
    is_anonymous = True
    user_id = "anon_test"
    accepted_types = ENGINE_TYPES

    def __init__(
        self,
        draft: dict[str, Any] | None = None,
        *,
        clock: FakeClock | None = None,
        credits: int = 100,
        turn_cost: int = 1,
        render_fails: bool = False,
    ) -> None:
        self.skill = get_skill("image-to-video-jiggle")
        self.draft = copy.deepcopy(draft)
        self.clock = clock or FakeClock()
        self.scripts: list[list[Any]] = []
        self.sent: list[tuple[str, str]] = []
        self.sessions: list[str] = []
        self.lost_sessions: set[str] = set()
        self.available = credits
        self.turn_cost = turn_cost
        self.emitted = 0  # chat events handed out so far (to check streaming)
        self.state_calls = 0
        self.credits_calls = 0
        self.state_hook: Callable[[int], None] | None = None
        self.renders: dict[str, RenderJob] = {}
        self.cancelled: list[str] = []
        self.render_drafts: dict[str, dict[str, Any]] = {}
        self.render_fails = render_fails
        self.uploads: list[tuple[str, tuple[Any, ...]]] = []

    # -- sessions and state -------------------------------------------------------------------
    async def create_session(self, language: str = "en") -> Session:
        sid = f"sess-{len(self.sessions) + 1}"
        self.sessions.append(sid)
        if len(self.sessions) > 1:
            self.draft = None  # a new session starts with an empty timeline
        return Session(sid, f"task-{sid}", self.user_id)

    def _check(self, session_id: str) -> None:
        if session_id in self.lost_sessions:
            raise SessionNotFoundError(code=1002)

    async def state(self, session_id: str) -> SessionState:
        self._check(session_id)
        self.state_calls += 1
        if self.state_hook is not None:
            self.state_hook(self.state_calls)
        return SessionState(draft=copy.deepcopy(self.draft) or {})

    async def credits(self) -> Credits:
        self.credits_calls += 1
        return Credits(self.available, 0, self.available)

    async def upload(self, session_id: str, *items: Any) -> list[UploadedFile]:
        self._check(session_id)
        self.uploads.append((session_id, items))
        return [
            UploadedFile(filename=Path(str(i)).name, file_type="image", width=512, height=600)
            for i in items
        ]

    # -- chat -----------------------------------------------------------------------------------
    def chat(self, session_id: str, message: str) -> AsyncIterator[ChatEvent]:
        self.sent.append((session_id, message))
        script = self.scripts.pop(0) if self.scripts else []
        return self._run(session_id, script)

    async def _run(self, session_id: str, script: list[Any]) -> AsyncIterator[ChatEvent]:
        self._check(session_id)
        self.available -= self.turn_cost
        for step in script:
            await asyncio.sleep(0)
            if isinstance(step, SetDraft):
                self.draft = copy.deepcopy(step.draft)
            elif isinstance(step, Advance):
                self.clock.now += step.seconds
            elif isinstance(step, BaseException):
                raise step
            else:
                self.emitted += 1
                yield step

    # -- render ---------------------------------------------------------------------------------
    async def start_render(
        self, session_id: str, draft: Any, render_id: str | None = None
    ) -> RenderJob:
        rid = render_id or f"render_{len(self.renders) + 1}"
        self.renders[rid] = RenderJob(rid, "pending", 0.0)
        self.render_drafts[rid] = draft
        return self.renders[rid]

    async def wait_render(self, render_id: str, on_progress: Any = None) -> RenderJob:
        for progress in (0.0, 25.0, 75.0, 100.0):
            await asyncio.sleep(0)
            status = "completed" if progress == 100 else "processing"
            if self.render_fails and progress == 75.0:
                raise RenderError("The render failed: the photo could not be decoded.")
            job = RenderJob(render_id, status, progress, output_url=f"/out/{render_id}.mp4")
            self.renders[render_id] = job
            if on_progress is not None:
                on_progress(job)
        return self.renders[render_id]

    async def cancel_render(self, render_id: str) -> None:
        self.cancelled.append(render_id)

    async def download(self, job: RenderJob, dest: Path) -> Path:
        target = Path(dest) / f"{job.id}.mp4" if Path(dest).is_dir() else Path(dest)
        target.write_bytes(b"\x00\x00\x00\x18ftypmp42 fake")
        return target
