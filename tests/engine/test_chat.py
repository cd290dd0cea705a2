"""/run_sse: ADK events as SSE, state and draft history, undo, heartbeats, errors, credits."""

from __future__ import annotations

import json
import time

import pytest
from engine_harness import Api, RunningEngine, png_bytes, sse_frames


def _kinds(frames: list[dict]) -> list[str]:
    out = []
    for f in frames:
        part = f["content"]["parts"][0]
        out.append(next(k for k in ("functionCall", "functionResponse", "text") if k in part))
    return out


def test_turn_is_adk_events_and_lands_in_state(api: Api) -> None:
    sid = api.new_session()
    url = api.upload(sid, ("p.png", png_bytes())).json()["data"]["files"][0]["cdn_url"]
    r = api.chat_raw(sid, "make it jiggle")
    assert r.headers["content-type"].startswith("text/event-stream")
    # exactly `data: <json>` + blank line, no event:/id: fields, no done frame
    assert all(b.startswith("data: {") for b in r.text.strip().split("\n\n"))
    frames = sse_frames(r.text)
    assert _kinds(frames) == ["functionCall", "functionResponse"] * 2 + ["text"]
    assert [f["content"]["role"] for f in frames] == ["model", "user", "model", "user", "model"]
    assert len({f["invocationId"] for f in frames}) == 1 and frames[0]["invocationId"].startswith(
        "e-"
    )
    assert len({f["id"] for f in frames}) == 5
    for f in frames:
        assert f["author"] == "nemo_agent" and isinstance(f["timestamp"], float)
        assert "invocation_id" not in f and "null" not in r.text
    call, resp = frames[2]["content"]["parts"][0]["functionCall"], frames[3]["content"]["parts"][0]
    assert call["name"] == "apply_motion" and call["args"] == {"effect": "jiggle"}
    assert resp["functionResponse"]["id"] == call["id"]
    # only the last functionResponse carries the new draft
    assert frames[1]["actions"]["stateDelta"] == {}
    draft = frames[3]["actions"]["stateDelta"]["draft"]
    assert draft["t"][0]["sg"][0]["src"] == url
    assert frames[4]["content"]["parts"][0]["text"].startswith("Done!")
    assert api.state(sid)["draft"] == draft


def test_camel_case_body_and_silent_turn(api: Api) -> None:
    sid = api.new_session()
    body = {"appName": "nemo_agent", "userId": api.user_id, "sessionId": sid,
            "newMessage": {"role": "user", "parts": [{"text": "quiet please"}]}}  # fmt: skip
    frames = sse_frames(api.http.post("/run_sse", json=body).text)
    assert _kinds(frames) == ["functionCall", "functionResponse"]  # no text: a silent edit
    assert frames[-1]["actions"]["stateDelta"]["draft"]["m"]["title"] == "pulse"


def test_not_understood_changes_nothing(api: Api) -> None:
    sid = api.new_session()
    api.chat(sid, "bounce")
    before = api.state(sid)["draft"]
    frames = api.chat(sid, "what is the meaning of life")
    assert (
        _kinds(frames) == ["text"]
        and "did not understand" in frames[0]["content"]["parts"][0]["text"]
    )
    assert api.state(sid)["draft"] == before


def test_undo_restores_previous_draft(engine: RunningEngine, api: Api) -> None:
    sid = api.new_session()
    api.chat(sid, "bounce")
    first = api.state(sid)["draft"]
    api.chat(sid, "jiggle")
    assert api.state(sid)["draft"]["m"]["title"] == "jiggle"
    frames = api.chat(sid, "undo")
    assert frames[1]["actions"]["stateDelta"]["draft"] == first
    assert api.state(sid)["draft"] == first
    frames = api.chat(sid, "undo")
    assert frames[1]["actions"]["stateDelta"]["draft"] is None
    assert api.state(sid)["draft"] is None
    # history is kept, every message stored
    msgs = engine.engine.store.messages(sid)
    assert [m["role"] for m in msgs] == ["user", "model"] * 4
    assert msgs[4]["text"] == "undo"


def test_heartbeats_while_the_agent_works(engine_factory) -> None:
    e = engine_factory(heartbeat_interval=0.1)
    api = Api(e.url)
    sid = api.new_session()
    r = api.chat_raw(sid, "slow jiggle")
    assert r.text.count(": ping\n\n") >= 3
    assert _kinds(sse_frames(r.text))[-1] == "text"


def test_agent_exception_is_an_error_frame_then_close(api: Api) -> None:
    sid = api.new_session()
    api.chat(sid, "jiggle")
    before = api.state(sid)["draft"]
    frames = api.chat(sid, "boom")
    assert frames == [{"error": "The agent could not handle that message: stand-in agent exploded"}]
    assert api.state(sid)["draft"] == before
    assert api.http.get("/healthz").status_code == 200


def test_hanging_up_mid_turn_keeps_the_edit(engine: RunningEngine, api: Api) -> None:
    sid = api.new_session()
    body = {"app_name": "nemo_agent", "user_id": "me", "session_id": sid,
            "new_message": {"parts": [{"text": "slow bounce"}]}}  # fmt: skip
    with api.http.stream("POST", "/run_sse", json=body) as r:
        assert r.status_code == 200  # and hang up before the agent answers
    deadline = time.monotonic() + 5
    while api.state(sid)["draft"] is None:
        assert time.monotonic() < deadline, "the edit was lost"
        time.sleep(0.05)
    assert api.state(sid)["draft"]["m"]["title"] == "bounce"


def test_out_of_credits_is_2001_before_streaming(engine_factory) -> None:
    e = engine_factory(credit_cost=40)
    api = Api(e.url)
    sid = api.new_session()
    api.chat(sid, "jiggle")
    api.chat(sid, "what?")  # not a generation: free
    api.chat(sid, "bounce")
    assert api.http.get("/api/credits/balance/simple").json()["data"]["available"] == 20
    r = api.chat_raw(sid, "jiggle")
    assert r.status_code == 403 and r.json()["code"] == 2001
    assert "out of credits" in r.json()["message"]
    assert api.state(sid)["draft"]["m"]["title"] == "bounce"


def test_state_shows_media_srcs_on_the_current_origin(engine: RunningEngine, api: Api) -> None:
    sid = api.new_session()
    url = api.upload(sid, ("p.png", png_bytes())).json()["data"]["files"][0]["cdn_url"]
    api.chat(sid, "jiggle")
    draft = api.state(sid)["draft"]
    old = json.loads(json.dumps(draft).replace(api.url, "http://old-host:1234"))
    old["t"].append({"id": "a1", "tt": 1, "sg": [{"src": "builtin:lofi"}], "future": True})
    engine.engine.store.record_turn(sid, "x", reply_text=None, events=[], new_draft=old, undo=False)
    shown = api.state(sid)["draft"]
    assert shown["t"][0]["sg"][0]["src"] == url
    assert shown["t"][1] == {"id": "a1", "tt": 1, "sg": [{"src": "builtin:lofi"}], "future": True}


def test_a_turn_that_cannot_be_paid_stores_nothing(engine: RunningEngine, api: Api) -> None:
    from nemo_nb.engine.store import OutOfCredits

    sid = api.new_session()
    api.chat(sid, "jiggle")
    store = engine.engine.store
    before = (store.messages(sid), store.draft(sid), store.credits(api.user_id))
    with pytest.raises(OutOfCredits):
        store.record_turn(sid, "bounce", reply_text="x", events=[], new_draft={"t": []},
                          undo=False, cost=101)  # fmt: skip
    assert (store.messages(sid), store.draft(sid), store.credits(api.user_id)) == before
