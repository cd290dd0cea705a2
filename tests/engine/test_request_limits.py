"""The engine's request limits (nemo_nb.engine.limits), each enforced where the bytes arrive: a
chat message's length, body sizes (declared or counted as they stream), the time a client may
take to send its headers and body, the anonymous-token rate per address, and a turn whose client
has gone. Each refusal is one sentence, and nothing of a refused request is stored."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import _standins
import httpx
import pytest
from engine_harness import Api, RunningEngine, sse_frames

from nemo_nb.api import NemoClient, NemoError, RateLimitError
from nemo_nb.engine import limits
from nemo_nb.engine._guards import TimeBudget


def _chat_body(sid: str, text: str) -> dict[str, Any]:
    return {"app_name": "nemo_agent", "user_id": "me", "session_id": sid,
            "new_message": {"parts": [{"text": text}]}}  # fmt: skip


def _connect(url: str) -> socket.socket:
    host, port = url.removeprefix("http://").split(":")
    return socket.create_connection((host, int(port)), timeout=10)


def _read_all(s: socket.socket, limit: float = 10) -> bytes:
    """Everything the engine sends until it closes the connection."""
    s.settimeout(limit)
    data = b""
    while chunk := s.recv(65536):
        data += chunk
    return data


# --- a chat message's length ---------------------------------------------------------------------


def test_a_message_at_the_limit_is_answered_and_one_over_is_413(
    api: Api, engine: RunningEngine
) -> None:
    sid = api.new_session()
    at_limit = ("make it jiggle " * 400)[: limits.PROMPT_CHARS]
    frames = api.chat(sid, at_limit)
    assert frames and frames[-1]["content"]["parts"][0]["text"]
    over = "x" * (limits.PROMPT_CHARS + 1)
    r = api.chat_raw(sid, over)
    assert r.status_code == 413
    assert r.json()["message"] == (
        f"A chat message may be at most {limits.PROMPT_CHARS} characters; this one has "
        f"{limits.PROMPT_CHARS + 1}."
    )
    texts = [m["text"] for m in engine.engine.store.messages(sid) if m["role"] == "user"]
    assert texts == [at_limit]  # the refused one left no trace


async def test_our_client_shows_the_413_sentence(engine: RunningEngine) -> None:
    async with NemoClient(engine.url) as client:
        session = await client.create_session()
        with pytest.raises(NemoError) as info:
            await client.chat(session.session_id, "y" * 5000).collect()
    assert str(info.value) == (
        f"A chat message may be at most {limits.PROMPT_CHARS} characters; this one has 5000. "
        "(code 413)"
    )


# --- body sizes ----------------------------------------------------------------------------------


def test_chat_body_over_its_limit_is_413_and_read_no_further(
    api: Api, engine: RunningEngine
) -> None:
    sid = api.new_session()
    padding = "z" * (limits.CHAT_BODY_BYTES + 1000)
    r = api.http.post("/run_sse", json={**_chat_body(sid, "jiggle"), "padding": padding})
    assert r.status_code == 413
    assert r.json()["message"] == (
        f"A chat message may be at most {limits.PROMPT_CHARS} characters; this request is over "
        f"{limits.CHAT_BODY_BYTES // 1024} KB."
    )
    assert r.headers["connection"] == "close"
    assert engine.engine.store.messages(sid) == []


def test_streamed_body_is_cut_off_at_the_limit(api: Api) -> None:
    """No Content-Length (chunked): counted as it arrives and refused at the limit. httpx reads
    the answer only after sending everything: it gets the 413 if it finishes while the engine
    lingers, else the connection is closed on it; either way within the linger time."""
    sid = api.new_session()

    def body() -> Iterator[bytes]:
        yield json.dumps(_chat_body(sid, "x")).encode()[:-4]  # ...{"text": "
        for _ in range(400):  # 400 MB
            yield b"a" * (1024 * 1024)

    t0 = time.perf_counter()
    try:
        r = api.http.post("/run_sse", content=body(), headers={"Content-Type": "application/json"})
        assert r.status_code == 413 and "may be at most" in r.json()["message"]
    except httpx.TransportError:
        pass
    took = time.perf_counter() - t0
    assert took < limits.LINGER_S + 3, f"took {took:.1f} s"
    assert api.http.get("/healthz").status_code == 200
    assert api.state(sid)["draft"] is None


def test_declared_too_large_is_refused_before_reading(api: Api) -> None:
    """A Content-Length over the limit gets its 413 before a byte of the body is sent."""
    sid = api.new_session()
    with _connect(api.url) as s:
        head = (
            f"POST /run_sse HTTP/1.1\r\nHost: {api.url.removeprefix('http://')}\r\n"
            f"Authorization: Bearer {api.token}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {400 * 1024 * 1024}\r\n\r\n"
        )
        s.sendall(head.encode())
        t0 = time.perf_counter()
        answer = _read_all(s)
    assert time.perf_counter() - t0 < limits.LINGER_S + 1
    status, _, rest = answer.partition(b"\r\n")
    assert status.split()[1] == b"413", answer[:200]
    assert b"A chat message may be at most" in rest
    assert api.state(sid)["draft"] is None


@pytest.mark.parametrize(
    ("path", "envelope"),
    [("/api/tasks/me/with-session/nemo_agent", "code"), ("/api/render/proxy/lambda", "success")],
)
def test_other_json_bodies_have_their_limit(api: Api, path: str, envelope: str) -> None:
    big = {"draft": {"t": [], "junk": "j" * (limits.JSON_BODY_BYTES + 1)}}
    r = api.http.post(path, json=big)
    assert r.status_code == 413
    sentence = "The request body is over the 1 MB this engine accepts."
    if envelope == "code":
        assert r.json() == {"code": 413, "message": sentence, "data": None}
    else:
        assert r.json() == {"success": False, "data": None, "error": sentence}


def test_upload_declaring_more_than_twenty_full_files_is_4002(api: Api) -> None:
    sid = api.new_session()
    with _connect(api.url) as s:
        head = (
            f"POST /api/upload-video/nemo_agent/me/{sid} HTTP/1.1\r\n"
            f"Host: {api.url.removeprefix('http://')}\r\nAuthorization: Bearer {api.token}\r\n"
            "Content-Type: multipart/form-data; boundary=B\r\n"
            f"Content-Length: {limits.UPLOAD_BODY_BYTES + 1}\r\n\r\n"
        )
        s.sendall(head.encode())
        answer = _read_all(s)
    body = json.loads(answer.partition(b"\r\n\r\n")[2])
    assert body["code"] == 4002
    assert body["message"] == (
        "One upload may carry at most 20 files of up to 200 MB each; send fewer or smaller files."
    )


# --- time ----------------------------------------------------------------------------------------


def test_a_stalled_body_gets_408_after_the_read_timeout(engine_factory) -> None:
    e = engine_factory(read_timeout=0.5)
    api = Api(e.url)
    sid = api.new_session()
    with _connect(e.url) as s:
        body = json.dumps(_chat_body(sid, "jiggle")).encode()
        head = (
            f"POST /run_sse HTTP/1.1\r\nHost: {e.url.removeprefix('http://')}\r\n"
            f"Authorization: Bearer {api.token}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        )
        s.sendall(head.encode() + body[:20])  # and then nothing
        t0 = time.perf_counter()
        answer = _read_all(s)
        took = time.perf_counter() - t0
    assert answer.startswith(b"HTTP/1.1 408 ")
    assert json.loads(answer.partition(b"\r\n\r\n")[2])["message"] == (
        "The request body stalled for 0.5 seconds; send it again."
    )
    assert 0.4 < took < 0.5 + limits.LINGER_S + 1
    assert api.state(sid)["draft"] is None


def test_headers_must_arrive_within_the_read_timeout(engine_factory) -> None:
    e = engine_factory(read_timeout=0.5)
    with _connect(e.url) as silent, _connect(e.url) as partial:
        partial.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # no blank line, ever
        t0 = time.perf_counter()
        assert _read_all(partial).startswith(b"HTTP/1.1 408 ")
        assert _read_all(silent).startswith(b"HTTP/1.1 408 ")
        assert time.perf_counter() - t0 < 1.5
    # a kept-alive connection has the same time for its next request's headers
    with _connect(e.url) as s:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        time.sleep(0.2)
        assert b" 200 " in s.recv(65536)
        s.sendall(b"GET /healthz HTTP/1.1\r\n")
        assert b"408" in _read_all(s, limit=3)


# --- anonymous tokens per address ----------------------------------------------------------------


def test_anonymous_tokens_per_address_are_limited(engine_factory) -> None:
    e = engine_factory(anonymous_tokens_per_minute=3)
    for _ in range(3):
        Api(e.url)
    r = httpx.post(f"{e.url}/api/auth/anonymous-token", headers={"X-Client-Id": "a-new-one"})
    assert r.status_code == 429
    wait = int(r.headers["Retry-After"])
    assert 1 <= wait <= 60
    assert r.json()["message"] == (
        "This address has been given 3 anonymous tokens in the last minute, the most it may "
        f"get; try again in {wait} seconds."
    )
    assert e.engine.store.user_for_token("anything") is None


async def test_our_client_waits_once_then_says_the_rate_sentence(engine_factory) -> None:
    e = engine_factory(anonymous_tokens_per_minute=1)
    Api(e.url)
    waits: list[float] = []

    async def no_sleep(seconds: float) -> None:
        waits.append(seconds)

    async with NemoClient(e.url, sleep=no_sleep) as client:
        with pytest.raises(RateLimitError) as info:
            await client.credits()
    assert len(waits) == 1 and 1 <= waits[0] <= 60
    assert str(info.value).startswith(
        "This address has been given 1 anonymous tokens in the last minute"
    )


# --- a turn whose client has gone ----------------------------------------------------------------

PONDER_S = 1.5


def _pondering_agent(text: str, draft: dict | None, media: Any) -> Any:
    """The stand-in agent, except that "ponder" takes PONDER_S seconds."""
    if "ponder" in text.split():
        time.sleep(PONDER_S)
    return _standins.interpret(text, draft, media)


@pytest.mark.slow
def test_abandoned_turns_do_not_hold_up_another_users_turn(engine_factory) -> None:
    e = engine_factory(interpret=_pondering_agent)
    attackers = [Api(e.url) for _ in range(8)]
    sids = [a.new_session() for a in attackers]
    for a, sid in zip(attackers, sids, strict=True):
        with a.http.stream("POST", "/run_sse", json=_chat_body(sid, "ponder jiggle")) as r:
            assert r.status_code == 200  # and hang up at once
    other = Api(e.url)
    mine = other.new_session()
    t0 = time.perf_counter()
    frames = other.chat(mine, "jiggle")
    took = time.perf_counter() - t0
    assert frames[-1]["content"]["parts"][0]["text"].startswith("Done!")
    # Without cancelling, 8 turns of 1.5 s on 2 slots come first: 6 s. The 2 that had begun run
    # to their end; the 6 still waiting were dropped.
    assert took < PONDER_S + 1.5, f"hello took {took:.1f} s"
    time.sleep(PONDER_S)
    landed = [sid for sid in sids if e.engine.store.messages(sid)]
    assert len(landed) == limits.AGENT_TURNS_AT_ONCE  # begun turns keep their edit


@pytest.mark.slow
def test_one_user_holds_one_agent_slot(engine_factory) -> None:
    e = engine_factory(interpret=_pondering_agent)
    eager = Api(e.url)
    frames_of: dict[str, list] = {}

    def chat(sid: str) -> None:
        frames_of[sid] = sse_frames(eager.chat_raw(sid, "ponder jiggle").text)

    threads = [threading.Thread(target=chat, args=(eager.new_session(),)) for _ in range(3)]
    for t in threads:
        t.start()
    time.sleep(0.2)
    other = Api(e.url)
    t0 = time.perf_counter()
    other.chat(other.new_session(), "jiggle")
    assert time.perf_counter() - t0 < 0.8  # a slot was free: the eager user holds only one
    for t in threads:
        t.join(20)
    assert len(frames_of) == 3 and all(f[-1]["content"] for f in frames_of.values())


# --- agent time per user -------------------------------------------------------------------------


def test_time_budget_paces_by_the_work_in_the_window() -> None:
    now = [0.0]
    budget = TimeBudget(3.0, window=60.0, clock=lambda: now[0])
    assert budget.wait("ann") == 0
    budget.spend("ann", 1.0)
    now[0] = 10.0
    budget.spend("ann", 2.5)
    assert budget.wait("ann") == pytest.approx(50.0)  # room again once the first second leaves
    assert budget.wait("bob") == 0  # per key
    now[0] = 60.5
    assert budget.wait("ann") == 0  # the first second has left: 2.5 s is under 3
    budget.spend("ann", 1.0)
    assert budget.wait("ann") == pytest.approx(9.5)  # until the 2.5 s leaves at 70
    assert TimeBudget(0).wait("ann") == 0


def _burning_agent(text: str, draft: dict | None, media: Any) -> Any:
    """The stand-in agent, except that "burn" keeps a CPU busy for 0.3 s."""
    if "burn" in text.split():
        end = time.thread_time() + 0.3
        while time.thread_time() < end:
            pass
    return _standins.interpret(text, draft, media)


def test_a_user_over_their_agent_time_waits_and_is_dropped_on_hang_up(engine_factory) -> None:
    e = engine_factory(interpret=_burning_agent, agent_seconds_per_minute=0.25)
    hog = Api(e.url)
    sid = hog.new_session()
    assert hog.chat(sid, "burn jiggle")  # 0.3 s of CPU: the minute's budget is spent
    with hog.http.stream("POST", "/run_sse", json=_chat_body(sid, "burn bounce")) as r:
        assert r.status_code == 200  # paced for most of a minute; hang up
    other = Api(e.url)
    t0 = time.perf_counter()
    assert other.chat(other.new_session(), "jiggle")
    assert time.perf_counter() - t0 < 1.0  # other users are not paced
    time.sleep(0.3)
    texts = [m["text"] for m in e.engine.store.messages(sid) if m["role"] == "user"]
    assert texts == ["burn jiggle"]  # the paced turn was dropped, not run
