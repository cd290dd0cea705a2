"""Every error code's reaction (docs/contract.md §1): what the user sees, and exactly which retries
happen."""

from __future__ import annotations

import httpx
import pytest

from nemo_nb.api import (
    AuthError,
    CreditsError,
    FileTooLargeError,
    NemoClient,
    NemoConnectionError,
    NemoError,
    PlanError,
    RateLimitError,
    ServerError,
    SessionNotFoundError,
    UnsupportedMediaError,
)


def one_sentence(err: Exception) -> str:
    text = str(err)
    assert "\n" not in text and "Traceback" not in text
    return text


# -- token expiry and renewal --------------------------------------------------------------------


@pytest.mark.parametrize("style", ["envelope-1001", "envelope-1010", "envelope-1011", "http-401"])
async def test_anonymous_token_is_renewed_with_the_same_client_id(client, fake, style):
    await client.credits()  # gets the first anonymous token
    first_token = fake.issued[0]
    if style == "http-401":
        fake.expire_tokens()  # the real thing: the server forgets the token, answers 401/1001
    else:
        fake.fault("GET", "/api/credits", status=200, code=int(style[-4:]), message="token expired")
    credits = await client.credits()
    assert credits.available == 100
    assert len(fake.issued) == 2  # exactly one renewal
    ids = fake.anon_client_ids
    assert len(ids) == 2 and ids[0] == ids[1] == client.client_id
    calls = fake.calls("GET", "/api/credits")
    assert len(calls) == 3  # first call, the refused one, exactly one retry
    assert calls[-1].authorization == f"Bearer {fake.issued[1]}" != f"Bearer {first_token}"


async def test_anonymous_renewal_that_fails_again_is_an_auth_error(client, fake):
    fake.fault("GET", "/api/credits", status=401, code=1001, times=5)
    with pytest.raises(AuthError) as info:
        await client.credits()
    assert "token" in one_sentence(info.value).lower()
    assert info.value.code == 1001
    assert fake.count("GET", "/api/credits") == 2  # the call and one retry, no loop


async def test_own_token_rejected_is_an_auth_error_without_renewal(own_client, fake):
    fake.fault("GET", "/api/credits", status=200, code=1001, message="token expired")
    with pytest.raises(AuthError) as info:
        await own_client.credits()
    assert "NEMO_TOKEN" in one_sentence(info.value)
    assert fake.count("POST", "/api/auth/anonymous-token") == 0
    assert fake.count("GET", "/api/credits") == 1


async def test_chat_renews_the_token_before_streaming(client, fake):
    session = await client.create_session()
    fake.expire_tokens()
    events = await client.chat(session.session_id, "make it jiggle").collect()
    assert [e.kind for e in events] == ["tool_call", "tool_result", "text"]
    # refused for auth (not accepted), then sent once with the new token
    assert fake.count("POST", "/run_sse") == 2
    assert len(fake.chat_bodies) == 1


async def test_missing_client_id_400_generates_one_and_retries(fake, sleeps, monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path))
    fake.fault(
        "POST", "/api/auth/anonymous-token", status=400, message="X-Client-Id header required"
    )
    async with NemoClient(fake.api_base, sleep=sleeps) as c:
        first = c.client_id
        await c.credits()
        assert c.client_id != first
    assert fake.count("POST", "/api/auth/anonymous-token") == 2
    assert fake.anon_client_ids == [c.client_id]  # the fault answered the first; the new id got in
    stored = (tmp_path / ".config/nemovideo/client_id").read_text()
    assert stored.strip() == c.client_id


# -- business codes ------------------------------------------------------------------------------


async def test_out_of_credits_anonymous_gets_the_bind_url(client, fake):
    session = await client.create_session()
    fake.fault("POST", "/run_sse", status=200, code=2001, message="Insufficient credits")
    with pytest.raises(CreditsError) as info:
        await client.chat(session.session_id, "make a video").collect()
    err = info.value
    assert err.bind_url == f"https://nemovideo.com/register?bind={client.user_id}"
    assert client.user_id.startswith("anon_")
    assert err.bind_url in one_sentence(err)
    assert err.code == 2001 and str(err).endswith("(code 2001)")


async def test_bind_url_host_from_nemo_web_url(client, fake, monkeypatch):
    monkeypatch.setenv("NEMO_WEB_URL", "https://staging.example.test/")
    fake.fault("POST", "/api/tasks", status=200, code=2001)
    with pytest.raises(CreditsError) as info:
        await client.create_session()
    assert info.value.bind_url.startswith("https://staging.example.test/register?bind=anon_")


async def test_out_of_credits_registered_user_is_told_to_top_up(own_client, fake):
    fake.fault("POST", "/api/tasks", status=200, code=2001)
    with pytest.raises(CreditsError) as info:
        await own_client.create_session()
    assert info.value.bind_url is None
    assert "top up" in one_sentence(info.value)


async def test_a_4001_with_a_specific_reason_shows_that_reason(client, fake, tmp_path):
    # The type check passed here, so "not supported" would mislead: the server says what is wrong.
    session = await client.create_session()
    photo = tmp_path / "half.jpg"
    photo.write_bytes(b"\xff\xd8\xff\xe0" + b"\0" * 100)
    reason = "“half.jpg” looks like an image but could not be decoded (damaged or truncated?)."
    fake.fault("POST", "/api/upload-video", status=415, code=4001, message=reason)
    with pytest.raises(UnsupportedMediaError) as info:
        await client.upload(session.session_id, photo)
    assert one_sentence(info.value) == f"{reason} (code 4001)"
    assert info.value.code == 4001 and "jpg" in info.value.accepted


async def test_server_side_4001_and_4002(client, fake, tmp_path):
    session = await client.create_session()
    photo = tmp_path / "a.png"
    photo.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 100)
    fake.fault("POST", "/api/upload-video", status=200, code=4001, message="Unsupported file type")
    with pytest.raises(UnsupportedMediaError) as info:
        await client.upload(session.session_id, photo)
    assert "jpg" in info.value.accepted and info.value.code == 4001
    assert "accepted types" in one_sentence(info.value)
    fake.fault("POST", "/api/upload-video", status=413, code=4002, message="File too large")
    with pytest.raises(FileTooLargeError) as info2:
        await client.upload(session.session_id, photo)
    assert "compress or trim" in one_sentence(info2.value) and info2.value.code == 4002


async def test_402_is_a_plan_error_not_credits(client, fake):
    fake.fault("POST", "/api/tasks", status=402, message="Payment required")
    with pytest.raises(PlanError) as info:
        await client.create_session()
    assert "free" in one_sentence(info.value) and info.value.code == 402
    assert not isinstance(info.value, CreditsError)


# -- 429 -----------------------------------------------------------------------------------------


async def test_429_waits_retry_after_and_retries_once(client, fake, sleeps):
    await client.credits()
    fake.fault("GET", "/api/credits", status=429, headers={"Retry-After": "7"})
    assert (await client.credits()).available == 100
    assert sleeps.calls == [7.0]
    assert fake.count("GET", "/api/credits") == 3


async def test_429_without_retry_after_waits_30_seconds(client, fake, sleeps):
    session = await client.create_session()
    fake.fault("POST", "/run_sse", status=429)
    events = await client.chat(session.session_id, "hi").collect()
    assert events  # the retry streamed the turn
    assert sleeps.calls == [30.0]
    assert len(fake.chat_bodies) == 1  # the 429 accepted nothing; the retry was the one turn


async def test_429_twice_is_a_rate_limit_error(client, fake, sleeps):
    await client.credits()
    fake.fault("GET", "/api/credits", status=429, times=2)
    with pytest.raises(RateLimitError) as info:
        await client.credits()
    assert sleeps.calls == [30.0]  # one wait, one retry, then the error
    assert "wait" in one_sentence(info.value) and info.value.code == 429
    assert fake.count("GET", "/api/credits") == 3


async def test_429_on_anonymous_token(client, fake, sleeps):
    fake.fault("POST", "/api/auth/anonymous-token", status=429, headers={"Retry-After": "2"})
    await client.credits()
    assert sleeps.calls == [2.0]
    assert fake.count("POST", "/api/auth/anonymous-token") == 2


# -- 5xx and connection errors -------------------------------------------------------------------


async def test_get_retries_5xx_with_backoff_then_succeeds(client, fake, sleeps):
    session = await client.create_session()
    fake.fault("GET", "/api/state", status=503, times=2)
    state = await client.state(session.session_id)
    assert state.draft == {}
    assert len(sleeps.calls) == 2 and sleeps.calls[0] < sleeps.calls[1] <= 8
    assert fake.count("GET", "/api/state") == 3


async def test_get_gives_up_after_retries(client, fake, sleeps):
    await client.credits()
    fake.fault("GET", "/api/credits", status=500, times=10)
    with pytest.raises(ServerError) as info:
        await client.credits()
    assert "HTTP 500" in one_sentence(info.value)
    assert fake.count("GET", "/api/credits") == 1 + 4  # first call + 1 + 3 retries
    assert len(sleeps.calls) == 3


async def test_post_is_not_retried_on_5xx(client, fake, sleeps):
    await client.credits()
    session = await client.create_session()
    fake.fault("POST", "/api/render/proxy/lambda", status=500)
    with pytest.raises(NemoError):
        await client.start_render(session.session_id, {"t": [{"tt": 0, "sg": [{"id": "s"}]}]})
    assert fake.count("POST", "/api/render/proxy/lambda") == 1


async def test_session_not_found_on_state_1002(client, fake):
    with pytest.raises(SessionNotFoundError) as info:
        await client.state("404040")
    assert info.value.code == 1002
    assert "starts fresh" in one_sentence(info.value)


async def test_connection_errors_on_gets_are_retried_then_reported(sleeps):
    async with NemoClient("http://127.0.0.1:9", "tok-for-refused-test", sleep=sleeps) as c:
        with pytest.raises(NemoConnectionError) as info:
            await c.credits()
    assert len(sleeps.calls) == 3
    # nothing listens on a loopback port: that is a stopped engine, not a network problem
    assert "local engine" in one_sentence(info.value)
    assert "nemo_nb.connect()" in str(info.value)


async def test_a_remote_connection_failure_points_at_the_network(sleeps):
    # A real remote host cannot be reached from the tests, so the refusal is simulated here.
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    transport = httpx.MockTransport(refuse)
    async with NemoClient(
        "https://api.example.test", "tok", sleep=sleeps, transport=transport
    ) as c:
        with pytest.raises(NemoConnectionError) as info:
            await c.credits()
    assert "check the network" in one_sentence(info.value)
    assert "api.example.test" in str(info.value)


async def test_non_json_error_body(client, fake):
    fake.fault("GET", "/api/credits", status=418, body="I'm a teapot")
    with pytest.raises(NemoError) as info:
        await client.credits()
    assert "HTTP 418" in one_sentence(info.value) and info.value.code == 418


async def test_an_engine_that_restarts_itself_is_not_blamed_on_the_user(sleeps):
    # connect()'s hook restarts the engine on the next call, so the message must not ask the user
    # to call connect(); if the restart itself fails, it says so.
    def broken(request: httpx.Request) -> httpx.Response:
        raise httpx.RemoteProtocolError("server closed the connection", request=request)

    async def restart() -> str:
        return "http://127.0.0.1:9"

    async with NemoClient(
        "http://127.0.0.1:9",
        "tok",
        sleep=sleeps,
        transport=httpx.MockTransport(broken),
        reconnect=restart,
    ) as c:
        with pytest.raises(NemoConnectionError) as info:
            await c.create_session()
    text = one_sentence(info.value)
    assert "starts again by itself" in text and "connect()" not in text

    async def cannot_restart() -> str:
        raise RuntimeError("no engine")

    async with NemoClient("http://127.0.0.1:9", "tok", sleep=sleeps, reconnect=cannot_restart) as c:
        with pytest.raises(NemoConnectionError) as info:
            await c.credits()
    assert "could not be started again" in one_sentence(info.value)


async def test_a_full_disk_on_the_server_is_its_own_sentence(client, fake):
    said = "The engine's disk is full: free space in /srv/nemo, then try again."
    fake.fault("GET", "/api/credits", status=507, code=507, message=said, times=5)
    with pytest.raises(ServerError) as info:
        await client.credits()
    assert str(info.value).startswith(said)  # then its code, as every error
