"""Replies stream as ADK's partial events, a few words at a time at a set pace, then the final
event repeating the whole text; the client shows each character once."""

from __future__ import annotations

import time

from engine_harness import Api, png_bytes, sse_frames

from nemo_nb.api import NemoClient
from nemo_nb.engine import _sse
from nemo_nb.engine.__main__ import _parser

REPLY = "Done! Preview it in the Timeline, then click Export."


def _text(frame: dict) -> str:
    return frame["content"]["parts"][0]["text"]


def test_reply_arrives_as_paced_partial_chunks_then_the_whole(engine_factory) -> None:
    engine = engine_factory(reply_pace=0.05)
    api = Api(engine.url)
    sid = api.new_session()
    api.upload(sid, ("p.png", png_bytes()))
    body = {"app_name": "nemo_agent", "user_id": "me", "session_id": sid,
            "new_message": {"parts": [{"text": "make it jiggle"}]}}  # fmt: skip
    arrivals: list[tuple[float, dict]] = []
    with api.http.stream("POST", "/run_sse", json=body) as r:
        buffer = ""
        for chunk in r.iter_text():
            buffer += chunk
            *done, buffer = buffer.split("\n\n")
            arrivals += [(time.monotonic(), f) for f in sse_frames("\n\n".join(done), partial=True)]
    frames = [f for _, f in arrivals]
    partials = [f for f in frames if f.get("partial")]
    final = frames[-1]
    assert not final.get("partial") and _text(final) == REPLY
    # A few words each, in order, adding up to exactly the final text; tool events come first.
    assert len(partials) == 3
    assert all(1 <= len(_text(p).split()) <= _sse.WORDS_PER_CHUNK for p in partials)
    assert "".join(_text(p) for p in partials) == REPLY
    assert frames.index(partials[0]) == len(frames) - 4
    times = [t for t, f in arrivals if f.get("partial") or f is final]
    assert times[-1] - times[0] >= 2 * 0.05  # paced, not one burst


def test_pace_zero_streams_without_pauses(engine_factory) -> None:
    engine = engine_factory(reply_pace=0.0)
    api = Api(engine.url)
    sid = api.new_session()
    api.upload(sid, ("p.png", png_bytes()))
    frames = sse_frames(api.chat_raw(sid, "make it jiggle").text, partial=True)
    assert [_text(f) for f in frames if f.get("partial")] == [
        "Done! Preview it ",
        "in the Timeline, ",
        "then click Export.",
    ]


async def test_client_shows_each_character_once(engine_factory) -> None:
    engine = engine_factory(reply_pace=0.01)
    api = Api(engine.url)
    sid = api.new_session()
    api.upload(sid, ("p.png", png_bytes()))
    async with NemoClient(engine.url, token=api.token) as client:
        texts = [e.text async for e in client.chat(sid, "make it jiggle") if e.kind == "text"]
    # One text event per partial chunk; the final event adds nothing (de-duplicated).
    assert texts == ["Done! Preview it ", "in the Timeline, ", "then click Export."]


def test_serve_sets_the_pace(monkeypatch) -> None:
    assert _parser().parse_args([]).reply_pace == _sse.REPLY_PACE_S > 0
    assert _parser().parse_args(["--reply-pace", "0"]).reply_pace == 0
    monkeypatch.setenv("NEMO_NB_REPLY_PACE", "0.2")
    assert _parser().parse_args([]).reply_pace == 0.2
