"""The frame parser and SSE event decoder on their own (pure functions of the bytes received)."""

from __future__ import annotations

import json

from nemo_nb.api._events import FrameParser, _EventDecoder


def decode(*chunks: str) -> list[str | None]:
    d = _EventDecoder()
    out: list[str | None] = []
    for chunk in chunks:
        out += d.decode(chunk)
    return out + d.flush()


def test_decoder_line_endings_and_comments():
    assert decode("data: a\r\rdata: b\n\n: ping\r\n\r\n") == ["a", "b", None]
    assert decode("data: x\r", "\ndata: y\r\n", "\r\n") == ["x\ny"]


def test_decoder_other_fields_go_through_httpx_sse():
    # `event:`/`id:`/`retry:` lines hand the event to httpx-sse's SSEDecoder, data kept intact
    assert decode("data: one\nid: 7\nretry: 100\ndata: two\n\n") == ["one\ntwo"]
    assert decode("event: ping\n\n") == [""]  # a named ping with no data: a heartbeat
    assert json.loads(decode("event: error\ndata: boom\n\n")[0]) == {"error": "boom"}


def test_state_only_event_surfaces_as_a_tool_result():
    frame = {"author": "nemo_agent", "actions": {"stateDelta": {"draft": {"t": []}}}}
    (event,) = FrameParser().feed(json.dumps(frame))
    assert event.kind == "tool_result" and event.name is None
    assert event.state_delta == {"draft": {"t": []}}


def test_delta_goes_to_the_last_tool_result_of_the_event():
    frame = {
        "author": "nemo_agent",
        "content": {"role": "user", "parts": [
            {"functionResponse": {"name": "a", "response": {}}},
            {"functionResponse": {"name": "b", "response": {}}},
        ]},
        "actions": {"stateDelta": {"draft": {"d": 1}}},
    }  # fmt: skip
    events = FrameParser().feed(json.dumps(frame))
    assert [(e.name, e.state_delta) for e in events] == [("a", None), ("b", {"draft": {"d": 1}})]


def test_simplified_partial_text_and_odd_frames():
    p = FrameParser()
    got = []
    for data in (
        '{"type": "text", "content": "Hi ", "partial": true}',
        '{"type": "text", "content": "Hi there"}',
        "[DONE]",
        "plain words",
        '{"type": "done"}',
        '{"type": "mystery"}',
        "{not json",
        '"a json string"',
    ):
        got += [(e.kind, e.text) for e in p.feed(data)]
    assert got == [
        ("text", "Hi "),
        ("text", "there"),
        ("text", "plain words"),
        ("error", "A piece of the agent's reply arrived garbled and could not be read."),
        ("text", "a json string"),
    ]


def test_aggregate_that_disagrees_with_the_chunks_adds_nothing():
    p = FrameParser()
    first = p.feed(
        json.dumps({"author": "a", "partial": True, "content": {"parts": [{"text": "Hello"}]}})
    )
    second = p.feed(json.dumps({"author": "a", "content": {"parts": [{"text": "Howdy"}]}}))
    assert [e.text for e in first] == ["Hello"] and second == []


def test_error_variants():
    p = FrameParser()
    (a,) = p.feed('{"type": "error", "message": "quota", "code": 2001}')
    (b,) = p.feed('{"error": {"message": "boom"}}')
    (c,) = p.feed('{"author": "nemo_agent", "errorCode": "SAFETY"}')
    assert (a.kind, a.text, a.code) == ("error", "quota", 2001)
    assert (b.kind, b.text) == ("error", "boom")
    assert (c.kind, c.code) == ("error", "SAFETY") and "SAFETY" in c.text
