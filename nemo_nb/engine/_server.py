"""The HTTP server under the engine's app: uvicorn (h11) held to the read limits of
:mod:`nemo_nb.engine.limits`.

uvicorn closes a kept-alive connection that stays idle, but gives a client unlimited time to send
its request headers: one that connects and sends nothing, or half a request line, holds its
connection forever, and a few thousand of them exhaust the engine's file descriptors. Here every
connection must complete its headers within the read timeout (counted from connecting, or from the
end of the previous answer), or it gets a 408 and is closed. Bodies are timed and counted by
:class:`nemo_nb.engine._guards.BodyGuard`.

When an answer (a 413, say) ends a connection whose client is still sending its body, closing at
once would make the kernel reset the connection, and many clients (httpx among them) read the
answer only after sending everything: the reset destroys the answer they were about to read. So
the engine finishes its side, then discards what still arrives, unparsed, for
:data:`~nemo_nb.engine.limits.LINGER_S` at most, and closes.
"""

from __future__ import annotations

import asyncio
from typing import Any, cast

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from nemo_nb.engine import limits

__all__ = ["server_config"]

_SENTENCE = b"The request headers did not arrive in time; send the request again."
_TIMED_OUT = (
    b"HTTP/1.1 408 Request Timeout\r\ncontent-type: text/plain; charset=utf-8\r\n"
    b"connection: close\r\ncontent-length: %d\r\n\r\n%s" % (len(_SENTENCE), _SENTENCE)
)


class _LingeringTransport:
    """A connection's transport whose ``close`` lingers (see the module) while the client is
    still sending a request body; everything else is the transport's own."""

    def __init__(self, transport: asyncio.Transport, conn: h11.Connection) -> None:
        self._transport = transport
        self._conn = conn
        self.lingering = False
        self._timer: asyncio.TimerHandle | None = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)

    def is_closing(self) -> bool:
        return self.lingering or self._transport.is_closing()

    def close(self) -> None:
        if self.lingering:
            return
        if self._conn.their_state is not h11.SEND_BODY or self._transport.is_closing():
            self._transport.close()
            return
        self.lingering = True
        self._transport.resume_reading()
        if self._transport.can_write_eof():
            self._transport.write_eof()  # once the answer is out: the client sees it end
        loop = asyncio.get_running_loop()
        self._timer = loop.call_later(limits.LINGER_S, self._transport.close)

    def lost(self) -> None:
        if self._timer is not None:
            self._timer.cancel()


class _HeaderTimedProtocol(H11Protocol):
    """uvicorn's h11 protocol with a deadline for each request's headers, and a lingering close."""

    header_timeout: float = limits.READ_TIMEOUT_S
    _header_timer: asyncio.TimerHandle | None = None
    _lingering: _LingeringTransport | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        self._lingering = _LingeringTransport(transport, self.conn)
        super().connection_made(cast(asyncio.Transport, self._lingering))
        self._await_headers()

    def data_received(self, data: bytes) -> None:
        if self._lingering is not None and self._lingering.lingering:
            return  # the rest of a refused body: dropped unread
        super().data_received(data)
        if self.conn.their_state is not h11.IDLE:
            self._stop_timer()  # the headers are complete: the body has its own timeout

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._await_headers()  # the next request on this connection

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_timer()
        if self._lingering is not None:
            self._lingering.lost()
        super().connection_lost(exc)

    def _await_headers(self) -> None:
        self._stop_timer()
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self._header_timer = self.loop.call_later(self.header_timeout, self._too_slow)

    def _stop_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _too_slow(self) -> None:
        self._header_timer = None
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self.transport.write(_TIMED_OUT)
            self.transport.close()


def server_config(
    app: Any, *, read_timeout: float = limits.READ_TIMEOUT_S, log_level: str = "warning"
) -> uvicorn.Config:
    """uvicorn's configuration for the engine's ``app``: h11 with a ``read_timeout`` for request
    headers and at most :data:`~nemo_nb.engine.limits.HEADER_BYTES` of them."""
    protocol = type(
        "HeaderTimedProtocol", (_HeaderTimedProtocol,), {"header_timeout": read_timeout}
    )
    return uvicorn.Config(
        app,
        http=protocol,
        h11_max_incomplete_event_size=limits.HEADER_BYTES,
        log_level=log_level,
        access_log=False,
        lifespan="on",
    )
