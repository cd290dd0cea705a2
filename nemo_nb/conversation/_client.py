"""What a :class:`Conversation` needs from its client: :class:`~nemo_nb.api.NemoClient` provides it;
tests pass a scripted stand-in with the same shape."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

from nemo_nb.api import ChatEvent, Credits, RenderJob, Session, SessionState, UploadedFile
from nemo_nb.skills import Skill

__all__ = ["AgentClient", "ReplyStream"]


class ReplyStream(Protocol):
    """One chat turn's events (:class:`~nemo_nb.api.ChatStream`), which can be stopped early."""

    def __aiter__(self) -> AsyncIterator[ChatEvent]: ...

    async def aclose(self) -> None: ...


class AgentClient(Protocol):
    """The client side of the agent API, as the conversation layer uses it."""

    skill: Skill
    base_url: str
    user_id: str | None
    accepted_types: frozenset[str]

    @property
    def is_anonymous(self) -> bool: ...

    async def create_session(self, language: str = ...) -> Session: ...

    async def state(self, session_id: str) -> SessionState: ...

    async def credits(self) -> Credits: ...

    async def upload(
        self, session_id: str, *paths_or_urls: str | os.PathLike[str]
    ) -> Sequence[UploadedFile]: ...

    def chat(self, session_id: str, text: str) -> ReplyStream: ...

    async def start_render(
        self, session_id: str, draft: Any, *, quality: str = ...
    ) -> RenderJob: ...

    async def wait_render(
        self, render_id: str, on_progress: Callable[[RenderJob], Any] | None = ...
    ) -> RenderJob: ...

    async def cancel_render(self, render_id: str) -> None: ...

    async def download(self, job: RenderJob, dest: str | os.PathLike[str]) -> Path: ...
