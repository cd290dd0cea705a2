"""Blocking facade over :class:`nemo_nb.api.NemoClient`, for scripts and for people who'd rather
not ``await``.

>>> import nemo_nb.sync
>>> with nemo_nb.sync.Client() as client:
...     sid = client.create_session().session_id
...     for event in client.chat(sid, "make it jiggle"):
...         print(event.kind, event.text)

It works inside a running Jupyter event loop too: coroutines run on a private event loop in a
background thread (the default), so the kernel's loop is never re-entered. ``NEMO_NB_SYNC=nest``
opts into nest-asyncio instead (archived upstream and fragile on newer Pythons, hence not the
default). The strategy lives behind one function, :func:`_run`.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import threading
from collections.abc import Coroutine, Iterator
from typing import Any, TypeVar

from nemo_nb.api import (
    ChatEvent,
    ChatStream,
    Credits,
    NemoClient,
    RenderJob,
    Session,
    SessionState,
    UploadedFile,
)

__all__ = ["Client", "SyncChatStream", "connect"]

T = TypeVar("T")


class _LoopThread:
    """One daemon thread running a private event loop for every sync client of the process."""

    _lock = threading.Lock()
    _instance: _LoopThread | None = None

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(
            target=self.loop.run_forever, name="nemo-nb-sync-loop", daemon=True
        )
        self.thread.start()

    @classmethod
    def get(cls) -> _LoopThread:
        with cls._lock:
            if cls._instance is None or not cls._instance.thread.is_alive():
                cls._instance = cls()
            return cls._instance

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        if threading.current_thread() is self.thread:
            coro.close()
            raise RuntimeError("nemo_nb.sync cannot be called from its own event-loop thread.")
        future = asyncio.run_coroutine_threadsafe(coro, self.loop)
        try:
            return future.result()
        except (KeyboardInterrupt, concurrent.futures.CancelledError):
            future.cancel()  # stop the request, don't leave it running in the background
            raise


_nest_loop: asyncio.AbstractEventLoop | None = None


def _run_nested(coro: Coroutine[Any, Any, T]) -> T:
    global _nest_loop
    import nest_asyncio

    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        if _nest_loop is None or _nest_loop.is_closed():
            _nest_loop = asyncio.new_event_loop()
        loop = _nest_loop
    nest_asyncio.apply(loop)
    return loop.run_until_complete(coro)


def _strategy() -> str:
    return "nest" if os.environ.get("NEMO_NB_SYNC", "").strip().lower() == "nest" else "thread"


def _run(coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` to completion from synchronous code, whether or not a loop is running here."""
    if _strategy() == "nest":
        return _run_nested(coro)
    return _LoopThread.get().run(coro)


class SyncChatStream:
    """A blocking iterator over one chat turn's :class:`ChatEvent` s (``list()`` it for all)."""

    def __init__(self, stream: ChatStream) -> None:
        self._stream = stream

    @property
    def text(self) -> str:
        """All text received so far."""
        return self._stream.text

    def __iter__(self) -> Iterator[ChatEvent]:
        return self

    async def _next(self) -> ChatEvent:
        return await self._stream.__anext__()

    def __next__(self) -> ChatEvent:
        try:
            return _run(self._next())
        except StopAsyncIteration:
            raise StopIteration from None

    def close(self) -> None:
        """Stop reading and free the connection."""
        _run(self._stream.aclose())

    def __enter__(self) -> SyncChatStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Client:
    """Blocking twin of :class:`~nemo_nb.api.NemoClient`: same constructor, same method names."""

    def __init__(self, *args: Any, _client: NemoClient | None = None, **kwargs: Any) -> None:
        async def make() -> NemoClient:
            return NemoClient(*args, **kwargs)

        # Built on the loop that will run it, so its connection pool lives there.
        self._client: NemoClient = _client if _client is not None else _run(make())

    def __repr__(self) -> str:
        return f"sync.{self._client!r}"

    def __getattr__(self, name: str) -> Any:
        # user_id, is_anonymous, base_url, skill, client_id, platform ... (never the token)
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self._client, name)

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool."""
        _run(self._client.aclose())

    def create_session(self, language: str = "en") -> Session:
        """See :meth:`NemoClient.create_session`."""
        return _run(self._client.create_session(language))

    def chat(self, session_id: str, text: str, **kwargs: Any) -> SyncChatStream:
        """Send a message; iterate the result for events as they arrive (or ``list()`` it)."""
        return SyncChatStream(self._client.chat(session_id, text, **kwargs))

    def upload(self, session_id: str, *paths_or_urls: Any) -> list[UploadedFile]:
        """See :meth:`NemoClient.upload`."""
        return _run(self._client.upload(session_id, *paths_or_urls))

    def credits(self) -> Credits:
        """See :meth:`NemoClient.credits`."""
        return _run(self._client.credits())

    def state(self, session_id: str) -> SessionState:
        """See :meth:`NemoClient.state`."""
        return _run(self._client.state(session_id))

    def start_render(
        self, session_id: str, draft: Any, render_id: str | None = None, *, quality: str = "high"
    ) -> RenderJob:
        """See :meth:`NemoClient.start_render`."""
        return _run(self._client.start_render(session_id, draft, render_id, quality=quality))

    def render_status(self, render_id: str | RenderJob) -> RenderJob:
        """See :meth:`NemoClient.render_status`."""
        return _run(self._client.render_status(render_id))

    def wait_render(
        self, render_id: str | RenderJob, on_progress: Any = None, **kwargs: Any
    ) -> RenderJob:
        """See :meth:`NemoClient.wait_render` (``on_progress`` runs on the client's loop)."""
        return _run(self._client.wait_render(render_id, on_progress, **kwargs))

    def cancel_render(self, render_id: str | RenderJob) -> None:
        """See :meth:`NemoClient.cancel_render`."""
        return _run(self._client.cancel_render(render_id))

    def download(self, job_or_url: Any, dest: Any) -> Any:
        """See :meth:`NemoClient.download`."""
        return _run(self._client.download(job_or_url, dest))


def connect(backend: str = "auto", **kwargs: Any) -> Client:
    """Blocking :func:`nemo_nb.connect`: the embedded engine (started if need be), the cloud, or a
    server URL, as a :class:`Client`.

    >>> client = nemo_nb.sync.connect()     # offline, no account
    """
    from nemo_nb._connect import connect as connect_async

    return Client(_client=_run(connect_async(backend, **kwargs)))
