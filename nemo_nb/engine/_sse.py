"""ADK-shaped events as SSE frames (docs/contract.md §4): ``data: <camelCase JSON>`` and a blank line,
null fields omitted, no ``event:``/``id:`` fields and no done frame; and the streamed answer that
carries them."""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import AsyncIterable, Callable
from typing import Any

from starlette.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

__all__ = ["Turn", "EventStream", "frame", "error_frame", "PING", "REPLY_PACE_S"]

AUTHOR = "nemo_agent"
#: Default pause between two streamed chunks of a reply (``nemo-nb serve --reply-pace``), so a
#: person sees the text arrive as from a model; 0 streams them back to back.
REPLY_PACE_S = 0.04
#: Words per streamed chunk, about what a model's token stream delivers per event.
WORDS_PER_CHUNK = 3
_WORD = re.compile(r"\s*\S+\s*")
#: A keep-alive: an SSE comment, which every SSE reader skips.
PING = b": ping\n\n"


def frame(obj: dict[str, Any]) -> bytes:
    """One SSE frame carrying ``obj``."""
    return b"data: " + json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode() + b"\n\n"


def error_frame(message: str) -> bytes:
    """The frame ADK writes when the turn fails: ``{"error": "..."}``, just before the close."""
    return frame({"error": message})


class EventStream(StreamingResponse):
    """A ``text/event-stream`` answer of ``frames``. ``on_end`` runs when the answer ends, however
    it ends: sent whole, or cut short because the client went away (which stops ``frames``)."""

    def __init__(self, frames: AsyncIterable[bytes], on_end: Callable[[], None]) -> None:
        super().__init__(
            frames,
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )
        self.on_end = on_end

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self.on_end()


class Turn:
    """Builds the events of one ``/run_sse`` call; they share one invocation id."""

    def __init__(self) -> None:
        self.invocation_id = "e-" + str(uuid.uuid4())

    def _event(
        self, role: str, parts: list[dict[str, Any]], state_delta: dict | None = None
    ) -> dict[str, Any]:
        return {
            "content": {"parts": parts, "role": role},
            "invocationId": self.invocation_id,
            "author": AUTHOR,
            "actions": {"stateDelta": state_delta or {}, "artifactDelta": {}},
            "id": str(uuid.uuid4()),
            "timestamp": time.time(),
        }

    def function_call(self, call_id: str, name: str, args: dict[str, Any]) -> dict[str, Any]:
        return self._event("model", [{"functionCall": {"id": call_id, "name": name, "args": args}}])

    def function_response(
        self,
        call_id: str,
        name: str,
        response: dict[str, Any],
        state_delta: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        part = {"functionResponse": {"id": call_id, "name": name, "response": response}}
        return self._event("user", [part], state_delta)

    def text(self, text: str) -> dict[str, Any]:
        return self._event("model", [{"text": text}])

    def partials(self, event: dict[str, Any]) -> list[dict[str, Any]]:
        """ADK's streaming mode: the ``partial`` chunks, a few words each, that precede a text
        ``event`` (which then repeats the whole text). None for other events."""
        parts = event["content"]["parts"]
        text = parts[0].get("text") if len(parts) == 1 else None
        if not text:
            return []
        words = _WORD.findall(text)
        chunks = [
            "".join(words[i : i + WORDS_PER_CHUNK]) for i in range(0, len(words), WORDS_PER_CHUNK)
        ]
        return [{**self._event("model", [{"text": c}]), "partial": True} for c in chunks]
