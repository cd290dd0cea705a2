"""One recovery policy: the same fault table, injected on the fake cloud, gives the same reaction
on an ordinary call, a chat message and a download — except where only idempotence differs (a
message that may have been accepted is never sent twice)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from nemo_nb.api import (
    MalformedResponseError,
    NemoError,
    RateLimitError,
    RenderJob,
    ServerError,
)

DRAFT = {"d": 3000, "t": [{"id": "v1", "tt": 0, "sg": [{"id": "s1", "st": 0, "d": 3000}]}]}


@dataclass
class Case:
    fault: dict[str, Any]
    #: ``None`` for success, else the error class; ``sent`` is how many times the request
    #: reached the server; ``sleeps`` the waits in between (``"backoff"``: any short back-off).
    outcome: type[NemoError] | None
    sent: int
    sleeps: list[float] | str = field(default_factory=list)
    #: What a non-idempotent request (the chat message) gets instead, when it differs.
    chat: tuple[type[NemoError] | None, int] | None = None


TRUNCATED = '{"code": 0, "message": "success", "data": {"avail'

FAULTS = {
    "429 with Retry-After": Case({"status": 429, "headers": {"Retry-After": "2"}}, None, 2, [2.0]),
    "429 without Retry-After": Case({"status": 429}, None, 2, [30.0]),
    "429 twice": Case({"status": 429, "times": 2}, RateLimitError, 2, [30.0]),
    "Retry-After too long": Case(
        {"status": 429, "headers": {"Retry-After": "3600"}}, RateLimitError, 1, []
    ),
    "token expired (1001)": Case({"status": 401, "code": 1001}, None, 2),
    "token expired (1010 envelope)": Case({"status": 200, "code": 1010}, None, 2),
    "503 once": Case({"status": 503}, None, 2, "backoff", chat=(ServerError, 1)),
    "500 for good": Case(
        {"status": 500, "times": 10}, ServerError, 4, "backoff", chat=(ServerError, 1)
    ),
    "200 with truncated JSON": Case(
        {"status": 200, "body": TRUNCATED, "media_type": "application/json"},
        None,
        2,
        "backoff",
        chat=(MalformedResponseError, 1),
    ),
}


async def _prepare(kind: str, client, fake, dest) -> tuple[str, str, Any]:
    """(method, path to fault, the operation) for one kind of request."""
    session = await client.create_session()
    if kind == "call":
        return "GET", "/api/credits", client.credits
    if kind == "chat":
        return "POST", "/run_sse", lambda: client.chat(session.session_id, "jiggle").collect()
    fake.output_on_cdn = False  # the API's own origin: the bearer and the full table apply
    job = await client.start_render(session.session_id, DRAFT)
    done = RenderJob(id=job.id, status="completed")  # downloads from the API's fallback path
    return "GET", f"/api/render/proxy/{job.id}/download", lambda: client.download(done, dest)


@pytest.mark.parametrize("kind", ["call", "chat", "download"])
@pytest.mark.parametrize("name", list(FAULTS))
async def test_one_fault_table_for_calls_chat_and_downloads(
    name, kind, client, fake, sleeps, tmp_path
):
    case = FAULTS[name]
    method, path, operation = await _prepare(kind, client, fake, tmp_path)
    outcome, sent = case.chat if kind == "chat" and case.chat else (case.outcome, case.sent)
    before = fake.count(method, path)
    sleeps.calls.clear()
    fake.fault(method, path, **case.fault)
    if outcome is None:
        result = await operation()
        if kind == "chat":
            assert [e.kind for e in result] == ["tool_call", "tool_result", "text"]
        elif kind == "download":
            assert result.read_bytes() == fake.mp4
        else:
            assert result.available == 100
    else:
        with pytest.raises(outcome) as info:
            await operation()
        text = str(info.value)
        assert "\n" not in text and text.rstrip(")").strip()
        assert not list(tmp_path.glob("*.part")) and not list(tmp_path.glob(".*.part"))
    assert fake.count(method, path) - before == sent
    if kind == "chat":
        assert len(fake.chat_bodies) <= 1  # a message is never accepted twice
    if case.sleeps == "backoff" and (kind != "chat" or case.chat is None):
        assert len(sleeps.calls) == sent - 1 and all(0 < s <= 8 for s in sleeps.calls)
    elif case.sleeps != "backoff":
        assert sleeps.calls == case.sleeps


async def test_a_429_on_a_download_is_waited_out_and_retried_once(client, fake, sleeps, tmp_path):
    method, path, operation = await _prepare("download", client, fake, tmp_path)
    fake.fault(method, path, status=429, headers={"Retry-After": "5"})
    path_on_disk = await operation()
    assert path_on_disk.read_bytes() == fake.mp4
    assert sleeps.calls == [5.0]
    assert fake.count(method, path) == 2


async def test_a_truncated_answer_to_a_post_is_a_typed_error_sent_once(client, fake, sleeps):
    fake.fault("POST", "/api/tasks", status=200, body=TRUNCATED, media_type="application/json")
    with pytest.raises(MalformedResponseError) as info:
        await client.create_session()
    assert str(info.value) == (
        "The server's answer was cut off or garbled JSON, so it could not be read; "
        "try again in a moment."
    )
    assert fake.count("POST", "/api/tasks") == 1 and sleeps.calls == []


async def test_a_reply_stream_with_no_event_is_a_typed_error(client, fake):
    session = await client.create_session()
    fake.chat_script = []
    with pytest.raises(MalformedResponseError) as info:
        await client.chat(session.session_id, "make it jiggle").collect()
    assert "without a single event" in str(info.value)
    assert "not resent" in str(info.value)
    assert len(fake.chat_bodies) == 1


async def test_a_garbled_json_chat_answer_is_a_typed_error(client, fake):
    session = await client.create_session()
    fake.fault(
        "POST", "/run_sse", status=200, body='{"content": {"par', media_type="application/json"
    )
    with pytest.raises(MalformedResponseError) as info:
        await client.chat(session.session_id, "make it jiggle").collect()
    assert "cut off or garbled" in str(info.value) and "not resent" in str(info.value)
    assert fake.count("POST", "/run_sse") == 1


async def test_a_refused_cdn_does_not_restart_the_engine(fake, sleeps, tmp_path):
    # Only our own server is brought back by the reconnect hook; another origin refusing is
    # retried like any failed GET, then reported.
    import socket

    from nemo_nb.api import NemoClient, NemoConnectionError

    restarts = []

    async def restart() -> str:
        restarts.append(1)
        return fake.api_base

    with socket.socket() as s:  # a port nobody listens on: the "CDN"
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    async with NemoClient(fake.api_base, sleep=sleeps, reconnect=restart) as c:
        with pytest.raises(NemoConnectionError):
            await c.download(f"http://127.0.0.2:{port}/files/clip.mp4", tmp_path)
    assert restarts == [] and len(sleeps.calls) == 3
