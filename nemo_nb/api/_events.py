"""Chat stream decoding: SSE lines -> frames -> typed :class:`ChatEvent` s.

The SSE wire format (line splitting on CR/LF/CRLF across chunk boundaries, multi-line ``data``,
dispatch on blank lines) is httpx-sse's. We drive its decoders line by line ourselves instead of
``EventSource.aiter_sse()`` because that drops SSE comments, and a ``: ping`` comment is a heartbeat
the UI must see ("still working").
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from typing import Any

from httpx_sse._decoders import SSEDecoder, SSELineDecoder

from nemo_nb.api._models import ChatEvent

__all__ = ["FrameParser", "iter_sse_data"]

log = logging.getLogger("nemo_nb.api")

_HEARTBEAT_TYPES = {"heartbeat", "ping", "keepalive", "keep-alive", "keep_alive"}
_IGNORED_TYPES = {"done", "end", "turn_complete", "complete"}


async def iter_sse_data(chunks: AsyncIterator[str]) -> AsyncIterator[list[str | None]]:
    """For each chunk received, yield the list of complete SSE events' ``data`` in it (``""`` for
    an empty ``data:``, ``None`` for a comment line).

    Batches per chunk rather than per event: one async-generator hop per network read keeps the
    client close to a bare httpx-sse loop. A final event the server did not close with a blank
    line is still dispatched: the end of the body is the end of the turn.
    """
    decoder = _EventDecoder()
    async for text in chunks:
        batch = decoder.decode(text)
        if batch:
            yield batch
    batch = decoder.flush()
    if batch:
        yield batch


class _EventDecoder:
    """httpx-sse's line decoder (CR, LF, CRLF, split across chunks), then events.

    Events made only of ``data:`` lines (every frame ADK writes) take an inline path with the same
    semantics as httpx-sse's ``SSEDecoder``; an event with any other field (``event:``, ``id:``,
    ``retry:``) is replayed into ``SSEDecoder`` itself. Comment lines become ``None``.
    """

    def __init__(self) -> None:
        self._lines = SSELineDecoder()
        self._general = SSEDecoder()
        self._data: list[str] = []
        self._in_general = False

    def decode(self, text: str) -> list[str | None]:
        return self._events(self._lines.decode(text))

    def flush(self) -> list[str | None]:
        return self._events([*self._lines.flush(), ""])

    def _events(self, lines: list[str]) -> list[str | None]:
        out: list[str | None] = []
        data = self._data
        for line in lines:
            if not line:  # blank line: dispatch
                if self._in_general:
                    self._in_general = False
                    sse = self._general.decode(line)
                    if sse is not None:
                        out.append(_data_of(sse))
                elif data:
                    out.append(data[0] if len(data) == 1 else "\n".join(data))
                    data.clear()
            elif line[0] == ":":
                out.append(None)
            elif not self._in_general and line.startswith("data:"):
                value = line[5:]
                data.append(value[1:] if value[:1] == " " else value)
            else:
                if not self._in_general:
                    self._in_general = True
                    for value in data:
                        self._general.decode("data: " + value)
                    data.clear()
                self._general.decode(line)
        return out


def _data_of(sse: Any) -> str:
    # An `event: ping`/`event: heartbeat` frame with no data is a heartbeat too.
    if sse.event in _HEARTBEAT_TYPES and not sse.data.strip():
        return ""
    if sse.event == "error" and sse.data and not sse.data.lstrip().startswith("{"):
        return json.dumps({"error": sse.data})
    return sse.data


def _as_dict(value: Any) -> dict[str, Any] | None:
    return value if type(value) is dict else None


def _message(value: Any) -> str:
    if type(value) is dict:
        return str(value.get("message") or value.get("error") or json.dumps(value))
    return str(value)


#: The ``error`` event for a frame that is not valid JSON (the stream goes on after it).
GARBLED_CODE = "malformed"
GARBLED_FRAME = "A piece of the agent's reply arrived garbled and could not be read."

_raw_decode = json.JSONDecoder().raw_decode


def _loads_stdlib(data: str) -> Any:
    return _raw_decode(data)[0]  # raw_decode: no per-call whitespace regex, tolerates a tail


try:  # optional: orjson parses a frame several times faster; the stdlib stays the reference
    import orjson

    def _loads(data: str) -> Any:
        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError:
            return _loads_stdlib(data)  # NaN, trailing text: what the stdlib still accepts

except ImportError:  # pragma: no cover - depends on the environment
    _loads = _loads_stdlib
_JSON_START = frozenset('{["')


class FrameParser:
    """Turns one turn's frames into events. Keeps the partial-chunk state of the turn.

    Hot path of a stream: plain ``type(x) is dict`` checks (JSON only makes dicts) instead of
    ``isinstance(x, Mapping)``, which is several times slower through the ABC machinery.
    """

    def __init__(self) -> None:
        self._streamed = ""  # text already shown from `partial` chunks awaiting their aggregate

    def feed(self, data: str | None) -> list[ChatEvent]:
        """Parse one frame's data (``None`` = SSE comment) into zero or more events."""
        if not data or data.isspace():
            return [ChatEvent("heartbeat")]  # comment, empty `data:` or blank data
        if data[0] not in _JSON_START:
            data = data.strip()
            if data[0] not in _JSON_START:
                if data == "[DONE]":
                    return []
                return self._text(data, False, data)  # liberal: a bare text frame
        try:
            frame = _loads(data)
        except ValueError:  # said, not skipped silently: part of the reply is missing
            if data.strip() == "[DONE]":  # OpenAI-style end marker
                return []
            log.debug("a chat frame is not valid JSON (%d chars)", len(data))
            return [ChatEvent("error", text=GARBLED_FRAME, code=GARBLED_CODE)]
        if type(frame) is not dict:
            return self._text(frame, False, frame) if type(frame) is str else []
        content = frame.get("content")
        if type(content) is not dict and type(frame.get("type")) is str:
            return self._simple(frame)
        return self._adk(frame, content if type(content) is dict else None)

    # -- simplified {"type": ...} frames (OFF-REF44) --------------------------------------------
    def _simple(self, f: dict[str, Any]) -> list[ChatEvent]:
        kind = f["type"].lower()
        if kind in _HEARTBEAT_TYPES:
            return [ChatEvent("heartbeat")]
        if kind == "text":
            text = f.get("content", f.get("text"))
            return self._text(str(text or ""), bool(f.get("partial")), f)
        if kind in ("tool_call", "function_call", "functioncall"):
            args = f.get("args", f.get("arguments", f.get("input")))
            return [
                ChatEvent(
                    "tool_call",
                    name=f.get("name"),
                    args=_as_dict(args) or {},
                    call_id=f.get("id"),
                    raw=f,
                )
            ]
        if kind in ("tool_result", "function_response", "functionresponse"):
            delta = f.get("state_delta", f.get("stateDelta"))
            if delta is None and type(f.get("actions")) is dict:
                delta = f["actions"].get("stateDelta")
            return [
                ChatEvent(
                    "tool_result",
                    name=f.get("name"),
                    response=f.get("result", f.get("response", f.get("output"))),
                    state_delta=_as_dict(delta) or None,
                    call_id=f.get("id"),
                    raw=f,
                )
            ]
        if kind == "error":
            msg = f.get("message", f.get("error", f.get("content", "The agent reported an error.")))
            return [ChatEvent("error", text=_message(msg), code=f.get("code"), raw=f)]
        if kind not in _IGNORED_TYPES:
            log.debug("skipping a chat frame of unknown type %r", kind)
        return []

    # -- ADK Event frames (camelCase) -----------------------------------------------------------
    def _adk(self, f: dict[str, Any], content: dict[str, Any] | None) -> list[ChatEvent]:
        events: list[ChatEvent] = []
        parts = content.get("parts") if content is not None else None
        if type(parts) is not list:
            parts = []
        author = f.get("author")
        is_echo = author == "user" or (
            author is None
            and content is not None
            and content.get("role") == "user"
            and not any(type(p) is dict and "functionResponse" in p for p in parts)
        )
        partial = f.get("partial") is True
        if not is_echo and parts:
            texts: list[str] = []
            for part in parts:
                if type(part) is not dict or part.get("thought"):
                    continue
                text = part.get("text")
                if type(text) is str:
                    texts.append(text)
                elif partial:
                    continue  # partial function-call chunks are repeated by the aggregate
                elif type(call := part.get("functionCall")) is dict:
                    events.append(
                        ChatEvent(
                            "tool_call",
                            name=call.get("name"),
                            args=_as_dict(call.get("args")) or {},
                            call_id=call.get("id"),
                            raw=f,
                        )
                    )
                elif type(resp := part.get("functionResponse")) is dict:
                    events.append(
                        ChatEvent(
                            "tool_result",
                            name=resp.get("name"),
                            response=resp.get("response"),
                            call_id=resp.get("id"),
                            raw=f,
                        )
                    )
            if texts:
                text_events = self._text(
                    texts[0] if len(texts) == 1 else "".join(texts), partial, f
                )
                events = text_events + events if events else text_events
        actions = f.get("actions")
        if not is_echo and not partial and type(actions) is dict:
            delta = actions.get("stateDelta")
            if delta and type(delta) is dict:
                # The state change belongs to the event's last tool result; a state-only event
                # still surfaces as a tool_result so that no change goes unseen.
                for e in reversed(events):
                    if e.kind == "tool_result":
                        e.state_delta = delta
                        break
                else:
                    events.append(ChatEvent("tool_result", state_delta=delta, raw=f))
        if "error" in f and content is None:
            events.append(ChatEvent("error", text=_message(f["error"]), code=f.get("code"), raw=f))
        elif f.get("errorCode") or f.get("errorMessage"):
            code = f.get("errorCode")
            msg = f.get("errorMessage") or f"The agent stopped with error {code}."
            events.append(ChatEvent("error", text=str(msg), code=code, raw=f))
        return events

    def _text(self, text: str, partial: bool, raw: Any) -> list[ChatEvent]:
        if partial:
            self._streamed += text
            new = text
        elif self._streamed:
            # The aggregate repeats what the partial chunks showed: emit only what is new.
            seen, self._streamed = self._streamed, ""
            new = text[len(seen) :] if text.startswith(seen) else ""
        else:
            new = text
        return [ChatEvent("text", text=new, raw=raw)] if new else []
