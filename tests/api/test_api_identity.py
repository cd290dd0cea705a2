"""Identity (client id, attribution headers, platform) and keeping the token secret."""

from __future__ import annotations

import logging
import uuid

import pytest
from fake_cloud import OWN_TOKENS

from nemo_nb.api import AuthError, NemoClient, detect_platform
from nemo_nb.api._identity import load_client_id


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    return tmp_path


def id_file(home):
    return home / ".config" / "nemovideo" / "client_id"


def test_new_client_id_is_a_uuid4_persisted_alone(home):
    cid, source = load_client_id()
    assert source == "new" and uuid.UUID(cid).version == 4
    assert id_file(home).read_text() == cid + "\n"  # only the id: no token on disk
    assert load_client_id() == (cid, "file")


def test_client_id_from_env_wins_and_is_not_written(home, monkeypatch):
    monkeypatch.setenv("NEMO_CLIENT_ID", "4b0e9a3e-9f5d-4d43-a1a2-000000000001")
    assert load_client_id() == ("4b0e9a3e-9f5d-4d43-a1a2-000000000001", "env")
    assert not id_file(home).exists()


def test_garbage_client_id_file_is_replaced(home):
    id_file(home).parent.mkdir(parents=True)
    id_file(home).write_text("not an id\nat all")
    cid, source = load_client_id()
    assert source == "new" and id_file(home).read_text().strip() == cid


async def test_anonymous_token_uses_the_persisted_client_id(home, fake, sleeps):
    id_file(home).parent.mkdir(parents=True)
    id_file(home).write_text("7d3c1a52-1111-4222-8333-444455556666\n")
    async with NemoClient(fake.api_base, sleep=sleeps) as c:
        await c.credits()
        assert c.user_id.startswith("anon_") and c.is_anonymous
    call = fake.calls("POST", "/api/auth/anonymous-token")[0]
    assert call.headers["x-client-id"] == "7d3c1a52-1111-4222-8333-444455556666"
    assert "authorization" not in call.headers


async def test_attribution_headers_on_every_call(fake, sleeps):
    async with NemoClient(fake.api_base, skill="ai-animations", sleep=sleeps) as c:
        session = await c.create_session()
        await c.state(session.session_id)
        await c.chat(session.session_id, "hi").collect()
    after_token = [r for r in fake.requests if r.path != "/api/auth/anonymous-token"]
    assert len(after_token) == 3
    for r in after_token:
        assert r.headers["x-skill-source"] == "ai-animations"
        assert r.headers["x-skill-version"] == "1.0.0"
        assert r.headers["x-skill-platform"] == "unknown"
        assert r.authorization.startswith("Bearer nmv_usr_")


async def test_platform_from_skill_source_env_and_argument_override(fake, sleeps, monkeypatch):
    monkeypatch.setenv("SKILL_SOURCE", "clawhub")
    async with NemoClient(fake.api_base, sleep=sleeps) as c:
        await c.credits()
    async with NemoClient(fake.api_base, sleep=sleeps, platform="colab") as c:
        await c.credits()
    platforms = [r.headers["x-skill-platform"] for r in fake.calls("GET", "/api/credits")]
    assert platforms == ["clawhub", "colab"]


def test_detect_platform(monkeypatch):
    assert (
        detect_platform(notebook=False, install_path="/home/u/.clawhub/skills/x/nemo_nb/api")
        == "clawhub"
    )
    assert detect_platform(notebook=False, install_path="/home/u/.cursor/skills/y/site") == "cursor"
    assert (
        detect_platform(notebook=False, install_path="/usr/lib/python3/site-packages") == "unknown"
    )
    for var in (
        "COLAB_RELEASE_TAG",
        "BINDER_SERVICE_HOST",
        "VSCODE_PID",
        "JPY_PARENT_PID",
        "TERM_PROGRAM",
    ):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.delitem(__import__("sys").modules, "ipykernel", raising=False)
    assert detect_platform(install_path="/x") == "unknown"
    monkeypatch.setenv("JPY_PARENT_PID", "1")
    assert detect_platform(install_path="/x") == "jupyter"
    monkeypatch.setitem(__import__("sys").modules, "ipykernel", object())
    monkeypatch.setenv("VSCODE_PID", "1")
    assert detect_platform(install_path="/x") == "vscode"
    monkeypatch.setenv("BINDER_SERVICE_HOST", "10.0.0.1")
    assert detect_platform(install_path="/x") == "binder"
    monkeypatch.setenv("COLAB_RELEASE_TAG", "release")
    assert detect_platform(install_path="/x") == "colab"
    monkeypatch.setenv("SKILL_SOURCE", "my-platform")
    assert detect_platform(install_path="/x") == "my-platform"


async def test_env_defaults_for_base_url_and_token(fake, sleeps, monkeypatch):
    monkeypatch.setenv("NEMO_API_URL", fake.api_base + "/")
    monkeypatch.setenv("NEMO_TOKEN", OWN_TOKENS[0])
    fake.tokens[OWN_TOKENS[0]] = "user_1"
    async with NemoClient(sleep=sleeps) as c:
        assert c.base_url == fake.api_base and not c.is_anonymous
        await c.credits()
    assert fake.count("POST", "/api/auth/anonymous-token") == 0
    assert fake.calls("GET", "/api/credits")[0].authorization == f"Bearer {OWN_TOKENS[0]}"


async def test_env_token_is_not_sent_to_another_origin(fake, sleeps, monkeypatch):
    # NEMO_TOKEN is for the cloud; a client pointed at another server (the local engine) gets an
    # anonymous token of its own there instead of leaking the cloud token.
    monkeypatch.setenv("NEMO_TOKEN", OWN_TOKENS[0])
    monkeypatch.delenv("NEMO_API_URL", raising=False)
    async with NemoClient(fake.api_base, sleep=sleeps) as c:
        assert c.is_anonymous
        await c.credits()
    assert fake.count("POST", "/api/auth/anonymous-token") == 1
    assert all(OWN_TOKENS[0] not in (r.authorization or "") for r in fake.requests)


def test_default_base_url_is_the_cloud():
    c = NemoClient()
    assert c.base_url == "https://mega-api-prod.nemovideo.ai"


# -- secrets -------------------------------------------------------------------------------------


async def test_token_never_in_repr_str_or_vars(fake, sleeps):
    fake.tokens[OWN_TOKENS[0]] = "user_1"
    async with NemoClient(fake.api_base, OWN_TOKENS[0], sleep=sleeps) as c:
        await c.credits()
        for text in (repr(c), str(c), repr(vars(c)), str(vars(c)), repr(c._http)):
            assert OWN_TOKENS[0] not in text
        assert "redacted" in repr(vars(c))


async def test_server_echoing_the_token_is_redacted_in_errors(own_client, fake):
    fake.fault("GET", "/api/credits", status=401, code=1001,
               message=f"token {OWN_TOKENS[0]} is invalid (Bearer {OWN_TOKENS[0]})")  # fmt: skip
    with pytest.raises(AuthError) as info:
        await own_client.credits()
    err = info.value
    for text in (str(err), repr(err), err.detail, str(err.args)):
        assert OWN_TOKENS[0] not in text
    assert "[redacted]" in err.detail


async def test_debug_logs_are_captured_and_token_free(client, fake, caplog):
    session = await client.create_session()
    await client.chat(session.session_id, "hi").collect()
    loggers = {r.name.split(".")[0] for r in caplog.records}
    assert {"httpx", "httpcore", "nemo_nb"} <= loggers  # the check below is not vacuous
    token = fake.issued[0]
    assert token not in caplog.text
    # anything that does log an Authorization header through these loggers is redacted
    logging.getLogger("httpcore.http11").debug("headers=[(b'Authorization', b'Bearer %s')]", token)
    logging.getLogger("httpx").debug("sending Authorization: Bearer %s", "some-other-secret-value")
    assert token not in caplog.text and "some-other-secret-value" not in caplog.text
    assert caplog.text.count("[redacted]") >= 2
