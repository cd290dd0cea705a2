"""Limits enforced where a request's bytes arrive (the numbers are in :mod:`nemo_nb.engine.limits`).

:class:`BodyGuard` counts and times every request body as the app reads it: a body over its
route's size (declared or counted) is answered 413 and one that stalls 408, with one sentence, and
the connection is closed rather than read to the end, so a 400 MB body costs 64 KB of reading, not
minutes of CPU. :class:`RateWindow` counts events per key (anonymous tokens per client address),
:class:`TimeBudget` the seconds of work done per key (agent time per user).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["BodyLimit", "BodyGuard", "RateWindow", "TimeBudget"]


@dataclass(frozen=True)
class BodyLimit:
    """What a body sent to paths starting with ``prefix`` may be: at most ``max_bytes``, within
    ``max_seconds`` in all; ``too_large`` is the 413 sentence, ``code`` the envelope's code."""

    prefix: str
    max_bytes: int
    max_seconds: float
    too_large: str
    code: int = 413
    #: Only for bodies of this media type (``None``: any).
    content_type: str | None = None

    def applies(self, path: str, content_type: str) -> bool:
        return path.startswith(self.prefix) and (
            self.content_type is None or content_type.startswith(self.content_type)
        )


@dataclass(frozen=True)
class _Refusal:
    """The answer a body gets instead of the app's: HTTP ``status``, envelope ``code``, sentence."""

    status: int
    code: int
    message: str


class BodyGuard:
    """Pure ASGI middleware holding every request body to the :class:`BodyLimit` of its path
    (the first whose prefix matches; ``default`` otherwise) and to ``read_timeout`` seconds
    between two pieces of it.

    A declared ``Content-Length`` over the limit is refused before the app runs. Otherwise the app
    reads as usual; once the count passes the limit, or the client stalls, the app is told the
    client went away, and whatever it answers is replaced by the refusal. Any answer sent before
    the body was read to its end closes the connection, so the rest is never read.
    """

    def __init__(
        self,
        app: ASGIApp,
        limits: Sequence[BodyLimit],
        default: BodyLimit,
        read_timeout: float,
        render_prefix: str,
    ) -> None:
        self.app = app
        self.limits = tuple(limits)
        self.default = default
        self.read_timeout = read_timeout
        self.render_prefix = render_prefix  # answered in the render envelope (contract §1)

    def _limit(self, scope: Scope) -> BodyLimit:
        ctype = _header(scope, b"content-type").decode("latin-1").strip().lower()
        return next((x for x in self.limits if x.applies(scope["path"], ctype)), self.default)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self._limit(scope)
        body = _Body(limit, self.read_timeout, receive)
        declared = _content_length(scope)
        if declared is not None and declared > limit.max_bytes:
            body.refusal = _Refusal(413, limit.code, limit.too_large)
            await self._refuse(scope, send, body.refusal)
            return
        if declared == 0 or (declared is None and not _has_body(scope)):
            body.complete = True
        # A short unread rest is cheaper to skip than a new connection; anything else is not read.
        close_if_unread = declared is None or declared > _SKIPPABLE_BYTES
        replaced = started = False

        async def guarded_send(message: Message) -> None:
            nonlocal replaced, started
            if body.refusal is not None and not started:
                if not replaced:  # the app's own answer to a body it never fully got
                    replaced = True
                    await self._refuse(scope, send, body.refusal)
                return
            started = True
            if message["type"] == "http.response.start" and not body.complete and close_if_unread:
                headers = [(k, v) for k, v in message.get("headers", []) if k != b"connection"]
                message = {**message, "headers": [*headers, (b"connection", b"close")]}
            await send(message)

        try:
            await self.app(scope, body.receive, guarded_send)
        except Exception:
            if body.refusal is None:
                raise  # the app's own failure; a body refused is answered below
        if body.refusal is not None and not (replaced or started):
            await self._refuse(scope, send, body.refusal)

    async def _refuse(self, scope: Scope, send: Send, refusal: _Refusal) -> None:
        if scope["path"].startswith(self.render_prefix):
            envelope: dict[str, Any] = {"success": False, "data": None, "error": refusal.message}
        else:
            envelope = {"code": refusal.code, "message": refusal.message, "data": None}
        content = json.dumps(envelope, ensure_ascii=False).encode()
        await send(
            {
                "type": "http.response.start",
                "status": refusal.status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(content)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": content})


class _Body:
    """One request's body as the app reads it: counted, timed, and cut off at the limit."""

    def __init__(self, limit: BodyLimit, read_timeout: float, receive: Receive) -> None:
        self.limit = limit
        self.read_timeout = read_timeout
        self._receive = receive
        self.deadline = time.monotonic() + limit.max_seconds
        self.size = 0
        self.complete = False
        self.refusal: _Refusal | None = None

    async def receive(self) -> Message:
        if self.complete or self.refusal is not None:
            # After the body: only the disconnect is left to hear (streamed answers listen for it).
            return await self._receive() if self.refusal is None else _GONE
        left = self.deadline - time.monotonic()
        try:
            message = await asyncio.wait_for(self._receive(), min(self.read_timeout, left))
        except asyncio.TimeoutError:
            whole = left <= self.read_timeout
            self.refusal = _Refusal(
                408,
                408,
                f"The request body did not arrive within {self.limit.max_seconds:g} seconds; "
                "send it again."
                if whole
                else f"The request body stalled for {self.read_timeout:g} seconds; send it again.",
            )
            return _GONE
        if message["type"] != "http.request":
            self.complete = True
            return message
        self.size += len(message.get("body", b""))
        if self.size > self.limit.max_bytes:
            self.refusal = _Refusal(413, self.limit.code, self.limit.too_large)
            return _GONE
        self.complete = not message.get("more_body", False)
        return message


_GONE: Message = {"type": "http.disconnect"}
_SKIPPABLE_BYTES = 64 * 1024


def _header(scope: Scope, name: bytes) -> bytes:
    return next((v for k, v in scope["headers"] if k == name), b"")


def _content_length(scope: Scope) -> int | None:
    value = _header(scope, b"content-length").strip()
    return int(value) if value.isdigit() else None


def _has_body(scope: Scope) -> bool:
    return bool(_header(scope, b"transfer-encoding"))


class RateWindow:
    """At most ``count`` events per key in any ``window`` seconds (0 or less: unlimited)."""

    def __init__(
        self, count: int, window: float = 60.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.count = count
        self.window = window
        self.clock = clock
        self._events: dict[str, deque[float]] = {}

    def admit(self, key: str) -> float | None:
        """Count an event for ``key`` and return ``None``; or, over the limit, count nothing and
        return the seconds until one is allowed again."""
        if self.count <= 0:
            return None
        now = self.clock()
        if len(self._events) > 10_000:  # forget keys that have gone quiet
            for k in [k for k, q in self._events.items() if q[-1] <= now - self.window]:
                del self._events[k]
        events = self._events.setdefault(key, deque())
        while events and events[0] <= now - self.window:
            events.popleft()
        if len(events) >= self.count:
            return events[0] + self.window - now
        events.append(now)
        return None


class TimeBudget:
    """At most ``seconds`` of work per key in any ``window`` seconds (0 or less: unlimited)."""

    def __init__(
        self, seconds: float, window: float = 60.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.seconds = seconds
        self.window = window
        self.clock = clock
        self._spent: dict[str, deque[tuple[float, float]]] = {}

    def spend(self, key: str, seconds: float) -> None:
        """Record ``seconds`` of work for ``key``, done now."""
        self._spent.setdefault(key, deque()).append((self.clock(), seconds))

    def wait(self, key: str) -> float:
        """Seconds until ``key`` has room for more work (0: now)."""
        spent = self._spent.get(key)
        if self.seconds <= 0 or not spent:
            return 0.0
        now = self.clock()
        while spent and spent[0][0] <= now - self.window:
            spent.popleft()
        if not spent:
            del self._spent[key]
            return 0.0
        used = sum(s for _, s in spent)
        if used < self.seconds:
            return 0.0
        for at, s in spent:  # room comes back as the oldest work leaves the window
            used -= s
            if used < self.seconds:
                return at + self.window - now
        return 0.0  # not reached: with all of it gone, used is 0
