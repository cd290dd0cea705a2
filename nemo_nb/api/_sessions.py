"""Sessions and chat: create a session, send a message and stream the reply, read state and credits."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping

import httpx

from nemo_nb._errors import (
    MalformedResponseError,
    NemoConnectionError,
    ServerError,
    StreamInterruptedError,
)
from nemo_nb.api._events import FrameParser, iter_sse_data
from nemo_nb.api._models import ChatEvent, Credits, Session, SessionState
from nemo_nb.api._transport import APP_NAME, Recovery, _Connection

log = logging.getLogger("nemo_nb.api")

TURN_TIMEOUT = 15 * 60.0  # docs/contract.md §4: a turn may take up to 15 minutes
# Heartbeats (every few seconds to a minute) reset httpx's read timeout, so a long tool call is
# fine; five silent minutes means the stream is dead.
CHAT_READ_TIMEOUT = 5 * 60.0

_NO_RESEND = "your message was sent, so it was not resent: check the timeline before trying again."


class ChatStream:
    """The events of one chat turn: an async iterator of :class:`ChatEvent`.

    Also an async context manager; ``aclose()`` stops reading (e.g. a Stop button) and frees the
    connection. ``text`` is the text received so far.
    """

    def __init__(self, make: Callable[[ChatStream], AsyncIterator[ChatEvent]]) -> None:
        self._texts: list[str] = []
        self._agen = make(self)

    @property
    def text(self) -> str:
        """All text received so far, each character once."""
        return "".join(self._texts)

    def __aiter__(self) -> AsyncIterator[ChatEvent]:
        # The generator itself: `async for` then costs no extra hop per event.
        return self._agen

    def __anext__(self) -> Awaitable[ChatEvent]:
        return self._agen.__anext__()

    async def collect(self) -> list[ChatEvent]:
        """Read the whole turn and return its events."""
        return [event async for event in self._agen]

    async def aclose(self) -> None:
        """Stop reading and close the connection."""
        await self._agen.aclose()  # type: ignore[attr-defined]

    async def __aenter__(self) -> ChatStream:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


class _Sessions(_Connection):
    async def create_session(self, language: str = "en") -> Session:
        """Create a project session (``POST /api/tasks/me/with-session/nemo_agent``)."""
        data = await self._call(
            "POST",
            f"/api/tasks/me/with-session/{APP_NAME}",
            json_body={"task_name": "project", "language": language},
        )
        data = data if isinstance(data, Mapping) else {}
        sid = data.get("session_id") or data.get("sessionId")
        if not sid:
            raise ServerError("The server did not return a session id; try again.")
        user = data.get("user_id") or data.get("userId")
        if user and not self.user_id:
            self.user_id = str(user)
        task = data.get("task_id") or data.get("taskId")
        return Session(str(sid), str(task) if task else None, str(user) if user else self.user_id)

    async def credits(self) -> Credits:
        """The credit balance (``GET /api/credits/balance/simple``)."""
        data = await self._call("GET", "/api/credits/balance/simple", idempotent=True)
        return Credits.from_json(data if isinstance(data, Mapping) else {})

    async def state(self, session_id: str) -> SessionState:
        """The session's latest state: draft (timeline), media, canvas (``GET …/latest``)."""
        data = await self._call(
            "GET", f"/api/state/{APP_NAME}/me/{session_id}/latest", idempotent=True
        )
        return SessionState.from_json(data if isinstance(data, Mapping) else {})

    def chat(self, session_id: str, text: str, *, turn_timeout: float = TURN_TIMEOUT) -> ChatStream:
        """Send one message and stream the agent's reply as :class:`ChatEvent` s.

        The message is POSTed once. If the stream breaks after the server may have accepted it,
        the events that arrived are yielded and then :class:`StreamInterruptedError` is raised:
        the message is never re-sent (read the state to learn whether the edit landed). A reply
        that is garbled or has no event at all raises :class:`MalformedResponseError`.
        """
        return ChatStream(lambda stream: self._chat(stream, str(session_id), text, turn_timeout))

    async def _chat(
        self, stream: ChatStream, session_id: str, text: str, turn_timeout: float
    ) -> AsyncIterator[ChatEvent]:
        body = {
            "app_name": APP_NAME,
            "user_id": "me",
            "session_id": session_id,
            "new_message": {"parts": [{"text": text}]},
        }
        read = min(CHAT_READ_TIMEOUT, turn_timeout)
        # Not idempotent: only a refusal (nothing accepted) or a refused connection is retried.
        try:
            answer = await self._send(
                "POST",
                "/run_sse",
                Recovery(self, idempotent=False),
                json_body=body,
                headers={"Accept": "text/event-stream", "Cache-Control": "no-store"},
                timeout=httpx.Timeout(connect=10.0, read=read, write=60.0, pool=10.0),
                stream=True,
            )
        except MalformedResponseError as exc:
            raise MalformedResponseError(
                f"The agent's answer was cut off or garbled; {_NO_RESEND}",
                status_code=exc.status_code,
            ) from None
        resp, texts = answer.response, stream._texts
        events = 0
        if not answer.streaming:  # a JSON answer: the events, if any, are in its body
            for event in FrameParser().feed(resp.text):
                if event.kind == "text":
                    texts.append(event.text or "")
                events += 1
                yield event
        else:
            try:
                if "text/html" in resp.headers.get("content-type", ""):
                    # a proxy or captive portal, not the agent
                    raise NemoConnectionError(
                        f"{self.base_url} answered with a web page instead of the agent's "
                        "stream; check the network (a login page or proxy?) and try again."
                    )
                feed = FrameParser().feed
                deadline = time.monotonic() + turn_timeout
                try:
                    async for batch in iter_sse_data(resp.aiter_text()):
                        for data in batch:
                            for event in feed(data):
                                if event.kind == "text":
                                    texts.append(event.text)  # type: ignore[arg-type]
                                events += 1
                                yield event
                        if time.monotonic() > deadline:
                            raise StreamInterruptedError(
                                f"The agent did not finish within {turn_timeout / 60:g} minutes; "
                                f"{_NO_RESEND}"
                            )
                except httpx.TransportError as exc:
                    log.debug("chat stream broke: %s", type(exc).__name__)
                    raise StreamInterruptedError() from exc
            finally:
                await resp.aclose()
        if events == 0:
            raise MalformedResponseError(
                f"The agent's reply ended without a single event; {_NO_RESEND}",
                status_code=resp.status_code,
            )
