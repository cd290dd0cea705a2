"""One agent reply stream, read into updates: the text as GUI-translated clauses, tool activity,
"still working" notices over heartbeats-only stretches, and the stream's own error events."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

from nemo_nb.api import ChatEvent, CreditsError, NemoError, StreamInterruptedError
from nemo_nb.api._events import GARBLED_CODE
from nemo_nb.conversation._activity import activity_label
from nemo_nb.conversation._client import AgentClient, ReplyStream
from nemo_nb.conversation._gui import FrontEnd, GuiStream
from nemo_nb.conversation._history import HistoryTurn
from nemo_nb.conversation._update import Update, credits_error_update
from nemo_nb.timeline import Draft, DraftError

__all__ = ["ReplyReader", "STILL_WORKING", "parse_draft"]

log = logging.getLogger("nemo_nb.conversation")

STILL_WORKING = "⏳ Still working..."

Clock = Callable[[], float]
EditCallback = Callable[[Draft], None]


def parse_draft(raw: Any) -> Draft | None:
    """The server's timeline as a :class:`Draft` (``None`` when empty or unreadable: logged)."""
    if not raw:
        return None
    try:
        return Draft.from_json(raw)
    except DraftError as exc:
        log.warning("the server's timeline could not be read: %s", exc)
        return None


class ReplyReader:
    """Reads one chat stream into :class:`Update` s and keeps what the end of the turn needs.

    After :meth:`read`: :attr:`text` is the agent's own words, :attr:`draft` the last timeline a
    tool result carried (for when the state cannot be read), :attr:`interrupted` the drop if the
    stream dropped, and :attr:`failed` whether the stream carried an error event. Any other
    :class:`~nemo_nb.api.NemoError` ends :meth:`read` with the reply so far flushed, then raised.
    ``on_edit(draft)`` is called as soon as a tool result carries a timeline other than the
    turn's first, before the reply's text (a UI can start a preview while the text streams).
    """

    def __init__(
        self,
        client: AgentClient,
        turn: HistoryTurn,
        *,
        clock: Clock,
        notice_after: float,
        started: float,
        front_end: FrontEnd = "code",
        on_edit: EditCallback | None = None,
    ) -> None:
        self.client = client
        self.turn = turn
        self.clock = clock
        self.notice_after = notice_after  # heartbeats-only seconds before each notice
        self.started = started  # perf_counter() when the turn began, for first_text_s
        self.on_edit = on_edit
        self.text = ""
        self.draft: Draft | None = None
        self.interrupted: StreamInterruptedError | None = None
        self.failed = False
        self._gui = GuiStream(front_end)  # translates whole clauses as they complete
        self._quiet_since = clock()
        self._notices = 0
        self._last_activity: str | None = None

    async def read(self, stream: ReplyStream) -> AsyncIterator[Update]:
        """The updates of ``stream``, ending with the reply's last clause."""
        try:
            async for event in stream:
                for update in self._updates_for(event):
                    yield update
        except StreamInterruptedError as exc:
            self.interrupted = exc
        except NemoError:
            for update in self._flush():
                yield update
            raise
        finally:
            with contextlib.suppress(Exception):
                await stream.aclose()
        for update in self._flush():
            yield update

    def _updates_for(self, event: ChatEvent) -> list[Update]:
        if event.kind == "heartbeat":
            return self._heartbeat()
        self._quiet_since, self._notices = self.clock(), 0
        if event.kind == "text" and event.text:
            return self._text(event.text)
        if event.kind == "tool_call":
            return self._tool_call(event)
        if event.kind == "tool_result":
            return self._tool_result(event)
        if event.kind == "error":
            self.failed = True
            return [*self._flush(), self._stream_error(event)]
        return []

    def _tool_result(self, event: ChatEvent) -> list[Update]:
        """Keep the timeline a result carries (for when the state cannot be read after the
        reply); tell :attr:`on_edit` when it differs from the turn's first."""
        draft = parse_draft((event.state_delta or {}).get("draft"))
        if draft is None or draft == self.draft:
            return []
        self.draft = draft
        if self.on_edit is not None and draft.to_json() != self.turn.draft_before:
            try:
                self.on_edit(draft)
            except Exception:  # a UI callback failing must not end the reply
                log.exception("on_edit failed")
        return []

    def _heartbeat(self) -> list[Update]:
        """A "still working" notice each time another :attr:`notice_after` passes quietly."""
        waited = self.clock() - self._quiet_since
        if waited < self.notice_after * (self._notices + 1):
            return []
        self._notices += 1
        return [Update("notice", STILL_WORKING, {"waited_s": waited})]

    def _text(self, chunk: str) -> list[Update]:
        if not self.text:
            self.turn.first_text_s = round(time.perf_counter() - self.started, 3)
        self.text += chunk
        shown, raw = self._gui.feed(chunk)
        return [Update("text", shown, {"delta": True, "raw": raw})] if raw else []

    def _tool_call(self, event: ChatEvent) -> list[Update]:
        """Activity, shown once while the same label repeats (each call is still recorded)."""
        label = activity_label(event.name, event.args)
        if label == self._last_activity:
            self.turn.tool_calls.append(str(event.name))
            return []
        self._last_activity = label
        return [Update("activity", label, {"tool": event.name, "args": event.args})]

    def _flush(self) -> list[Update]:
        """The reply's held-back tail as a ``text`` update (none if nothing is left)."""
        shown, raw = self._gui.flush()
        return [Update("text", shown, {"delta": True, "raw": raw})] if raw else []

    def _stream_error(self, event: ChatEvent) -> Update:
        code = str(event.code) if event.code is not None else None
        if code == GARBLED_CODE:  # the client's own finding; the agent went on
            return Update(
                "notice",
                "A piece of the agent's reply arrived garbled and could not be shown; the rest "
                'follows, and "status" shows what the timeline holds.',
                {"error": "garbled", "code": code},
            )
        if code == "2001":
            return credits_error_update(
                CreditsError(
                    anonymous=self.client.is_anonymous,
                    anonymous_user_id=self.client.user_id,
                    code=2001,
                )
            )
        message = (event.text or "").strip().rstrip(".") or "an unknown error"
        return Update(
            "error",
            f"The agent stopped with an error: {message}. Anything already shown stays; "
            "try again, or rephrase the request.",
            {"error": "agent", "code": event.code},
        )
