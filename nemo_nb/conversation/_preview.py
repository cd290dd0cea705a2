"""Previews: the session's timeline rendered small and fast by the local engine, one file per
timeline, so an unchanged timeline is never rendered twice.

The engine keeps at most one preview pending per session and a newer one cancels the older
(docs/contract.md §3, the engine's ``output.quality: "preview"`` extension); here the older
caller then gets ``None`` instead of an error, and a preview asked for twice is rendered once.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from nemo_nb._contract import PREVIEW, is_loopback
from nemo_nb.api import RenderError
from nemo_nb.conversation._client import AgentClient
from nemo_nb.conversation._export import (
    PendingRenders,
    fingerprint,
    follow_render,
    submit_render,
)
from nemo_nb.timeline import Draft

__all__ = ["Previewer", "renders_previews", "PREVIEWS_KEPT"]

ProgressCallback = Callable[[float], Any]

#: Previews kept per session (the newest); older ones are deleted as new ones arrive.
PREVIEWS_KEPT = 20


def renders_previews(client: AgentClient) -> bool:
    """Whether ``client``'s server renders previews: the local engine does; nothing says the
    cloud accepts the quality, so it is never asked (the same test as ``NemoClient.is_local``)."""
    return is_loopback(client.base_url)


class Previewer:
    """Renders and keeps the previews of the sessions of one client, in :attr:`folder`
    (``<folder>/<session>/<draft fingerprint>.mp4``).

    Knows the client and the pending-renders file, nothing of the conversation.
    """

    def __init__(self, client: AgentClient, pending: PendingRenders, folder: Path) -> None:
        self.client = client
        self.pending = pending
        #: Where previews are written (one sub-folder per session).
        self.folder = folder
        self._newest: dict[str, Path] = {}  # session -> the preview asked for last
        self._running: dict[Path, asyncio.Future[Path | None]] = {}
        self._submitting = asyncio.Lock()  # "still the newest?" and the submission, as one step

    def path_for(self, session_id: str, draft: Draft) -> Path:
        """Where the preview of ``draft`` in ``session_id`` is (or will be) kept. The session is
        part of the key: a draft names its media by ids of its own session."""
        session = hashlib.sha256(session_id.encode()).hexdigest()[:12]
        return self.folder / session / f"{fingerprint(draft)}.mp4"

    async def preview(
        self, session_id: str, draft: Draft, on_progress: ProgressCallback | None = None
    ) -> Path | None:
        """The preview of ``draft``: the kept file when there is one, else rendered (once, however
        many callers ask) and downloaded. ``None`` when a newer preview of the session replaced
        it before it was done. Raises the client's error (e.g. ``RenderError``) otherwise."""
        target = self.path_for(session_id, draft)
        if target.is_file():
            return target
        self._newest[session_id] = target
        task = self._running.get(target)
        if task is None:
            task = asyncio.ensure_future(self._render(session_id, draft, target, on_progress))
            self._running[target] = task
            task.add_done_callback(lambda _t: self._running.pop(target, None))
        # shielded: a caller that stops waiting leaves the render to finish for the next one
        return await asyncio.shield(task)

    def _superseded(self, session_id: str, target: Path) -> bool:
        return self._newest.get(session_id) != target

    async def _render(
        self,
        session_id: str,
        draft: Draft,
        target: Path,
        on_progress: ProgressCallback | None,
    ) -> Path | None:
        async with self._submitting:
            if self._superseded(session_id, target):
                return None  # a newer one was asked for before this one went out
            job = await submit_render(
                self.client, self.pending, session_id, draft, target, quality=PREVIEW
            )
        async for update in follow_render(self.client, self.pending, job, on_progress=on_progress):
            if update.kind == "export":
                self._prune(target.parent)
                return Path(update.data["path"])
            if update.kind == "error":
                if self._superseded(session_id, target):
                    return None  # the engine cancelled it for the newer one
                exc = update.data.get("exception")
                raise exc if isinstance(exc, BaseException) else RenderError(update.text)
        return None

    def _prune(self, folder: Path) -> None:
        """Keep the newest :data:`PREVIEWS_KEPT` previews of a session."""
        try:
            files = sorted(folder.glob("*.mp4"), key=lambda p: p.stat().st_mtime, reverse=True)
        except OSError:
            return
        for old in files[PREVIEWS_KEPT:]:
            with contextlib.suppress(OSError):
                old.unlink()
