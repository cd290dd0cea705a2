"""What the engine refuses and protects: names it is not reached by, web pages, export without the
attribution headers (as the cloud refuses it), other users' render ids, and files others could
read."""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import _standins
import httpx
import pytest
from engine_harness import ATTRIBUTION, HERE, Api, RunningEngine, png_bytes

from nemo_nb.engine.store import Store


def _raw(url: str, request: bytes) -> tuple[int, dict]:
    """Send ``request`` bytes as they are over a socket; the status and JSON body of the answer."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as s:
        s.sendall(request)
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), json.loads(body)


# --- Host and Origin ---------------------------------------------------------------------------


def test_rebinding_host_names_get_no_answer_and_no_token(engine: RunningEngine) -> None:
    port = engine.url.rsplit(":", 1)[1]
    http = httpx.Client(base_url=engine.url)
    for host in ("evil.example", f"evil.example:{port}", "127.0.0.1.evil.example", "10.0.0.5"):
        for method, path in (("GET", "/healthz"), ("POST", "/api/auth/anonymous-token")):
            r = http.request(method, path, headers={"Host": host, "X-Client-Id": "c" * 36})
            assert r.status_code == 403, (host, path)
            assert r.json()["message"] == (
                "This engine answers only requests addressed to it by one of its own names "
                "(whoever runs it can add one with nemo-nb serve --allow-host NAME)."
            )
            assert "evil" not in r.text and "token" not in r.json()["message"]
    for host in (f"127.0.0.1:{port}", f"localhost:{port}", "LOCALHOST.", f"127.0.0.2:{port}"):
        assert http.get("/healthz", headers={"Host": host}).status_code == 200, host


@pytest.mark.parametrize(
    "host",
    ["[::1]evil.example", "[::1]evil.example:80", "[::1]:80evil", "[::1]:", "[::1", "[evil]",
     "[127.0.0.1]", "[::1]]", "[::1]:80:80"],
)  # fmt: skip
def test_bracketed_hosts_are_parsed_strictly(engine: RunningEngine, host: str) -> None:
    http = httpx.Client(base_url=engine.url)
    for method, path in (("GET", "/healthz"), ("POST", "/api/auth/anonymous-token")):
        r = http.request(method, path, headers={"Host": host, "X-Client-Id": "c" * 36})
        assert r.status_code == 403, (host, path)
    port = engine.url.rsplit(":", 1)[1]
    for fine in ("[::1]", f"[::1]:{port}", "[0:0:0:0:0:0:0:1]:80"):
        assert http.get("/healthz", headers={"Host": fine}).status_code == 200, fine


def test_served_names_and_beyond_loopback_ips_are_answered(engine_factory) -> None:
    e = engine_factory(allowed_hosts=["class-room.local"], serve_beyond_loopback=True)
    http = httpx.Client(base_url=e.url)
    for host in ("class-room.local", "class-room.local:8000", "192.168.1.20:8000", "[fe80::1]:1"):
        assert http.get("/healthz", headers={"Host": host}).status_code == 200, host
    assert http.get("/healthz", headers={"Host": "evil.example"}).status_code == 403
    api = Api(e.url)
    sid = api.new_session()
    files = api.upload(sid, ("p.png", png_bytes())).json()["data"]["files"]
    # the host a client used is what the engine's URLs name, and only allowed names get there
    r = api.http.get(f"/api/state/nemo_agent/me/{sid}/latest", headers={"Host": "class-room.local"})
    assert r.json()["data"]["state"]["video_infos"][0]["cdn_url"].startswith(
        "http://class-room.local/media/"
    )
    assert files[0]["cdn_url"].startswith(e.url)


def test_web_pages_cannot_call_the_engine(engine: RunningEngine, api: Api) -> None:
    sid = api.new_session()
    for origin in ("https://evil.example", "http://localhost:8888", "null", "http://127.0.0.1:1"):
        r = api.http.post(
            "/run_sse",
            json={"session_id": sid, "new_message": {"parts": [{"text": "make it jiggle"}]}},
            headers={"Origin": origin},
        )
        assert r.status_code == 403 and r.json()["message"] == (
            "This engine does not answer requests from web pages."
        ), origin
        r = httpx.post(f"{engine.url}/api/auth/anonymous-token",
                       headers={"Origin": origin, "X-Client-Id": "x" * 36})  # fmt: skip
        assert r.status_code == 403
    assert api.state(sid)["draft"] is None  # nothing of it happened
    # its own origin (what a same-origin request would carry) is fine
    assert api.http.get("/healthz", headers={"Origin": engine.url}).status_code == 200


# --- the cloud's 402 on export without attribution ---------------------------------------------


def test_export_without_attribution_headers_is_402_over_raw_http(api: Api) -> None:
    sid = api.new_session()
    files = api.upload(sid, ("p.png", png_bytes())).json()["data"]["files"]
    ref = type("Ref", (), {"url": files[0]["cdn_url"], "name": "p.png"})
    body = json.dumps({"id": "render_raw", "sessionId": sid, "draft": _standins.draft_for([ref]),
                       "output": {"format": "mp4", "quality": "high"}}).encode()  # fmt: skip
    host = api.url.removeprefix("http://")

    def request(extra: dict[str, str]) -> bytes:
        lines = [
            "POST /api/render/proxy/lambda HTTP/1.1",
            f"Host: {host}",
            f"Authorization: Bearer {api.token}",
            "Content-Type: application/json",
            f"Content-Length: {len(body)}",
            "Connection: close",
            *[f"{k}: {v}" for k, v in extra.items()],
        ]
        return ("\r\n".join(lines) + "\r\n\r\n").encode() + body

    status, answer = _raw(api.url, request({}))
    assert status == 402 and answer["success"] is False
    assert answer["error"] == (
        "Export was refused: the request lacks the attribution headers X-Skill-Source, "
        "X-Skill-Version, X-Skill-Platform, which NemoVideo requires on export (HTTP 402, as on "
        "the free plan)."
    )
    partial = {k: v for k, v in ATTRIBUTION.items() if k != "X-Skill-Platform"}
    status, answer = _raw(api.url, request({**partial, "X-Skill-Platform": " "}))
    assert status == 402 and "header X-Skill-Platform," in answer["error"]
    r = api.http.get("/api/render/proxy/lambda/render_raw")
    assert r.status_code == 404  # nothing was queued
    status, answer = _raw(api.url, request(ATTRIBUTION))
    assert status == 200 and answer["data"]["status"] == "pending"
    assert api.wait_job("render_raw")["status"] == "completed"


async def test_our_client_sends_the_attribution_headers(engine: RunningEngine, tmp_path) -> None:
    from nemo_nb.api import NemoClient

    photo = tmp_path / "p.png"
    photo.write_bytes(png_bytes(64, 64))
    async with NemoClient(engine.url) as client:
        s = await client.create_session()
        files = await client.upload(s.session_id, photo)
        ref = type("Ref", (), {"url": files[0].cdn_url, "name": "p.png"})
        job = await client.start_render(s.session_id, _standins.draft_for([ref]))
        job = await client.wait_render(job.id)
    assert job.status == "completed"


# --- render ids belong to their user -----------------------------------------------------------


def test_render_ids_are_scoped_to_their_owner(engine: RunningEngine, api: Api) -> None:
    other = Api(engine.url)
    sid = api.new_session()
    files = api.upload(sid, ("p.png", png_bytes())).json()["data"]["files"]
    ref = type("Ref", (), {"url": files[0]["cdn_url"], "name": "p.png"})
    assert api.render(_standins.draft_for([ref]), sid, job_id="render_1").status_code == 200
    assert api.wait_job("render_1")["status"] == "completed"
    # the other user learns nothing: the same answer as for an id nobody has
    for path in ("/api/render/proxy/lambda/render_1", "/api/render/proxy/render_1/download"):
        r, nobody = other.http.get(path), other.http.get(path.replace("render_1", "render_none"))
        assert r.status_code == nobody.status_code == 404
        assert r.json()["error"].replace("render_1", "X") == nobody.json()["error"].replace(
            "render_none", "X"
        )
    r = other.http.post("/api/render/proxy/lambda/render_1/cancel")
    assert r.status_code == 404
    # ... and can use the same id for a render of their own, without touching hers
    osid = other.new_session()
    ofiles = other.upload(osid, ("q.png", png_bytes(32, 32))).json()["data"]["files"]
    oref = type("Ref", (), {"url": ofiles[0]["cdn_url"], "name": "q.png"})
    draft = _standins.draft_for([oref], seconds=0.5, size=32)
    assert other.render(draft, osid, job_id="render_1").status_code == 200
    assert other.wait_job("render_1")["status"] == "completed"
    mine, theirs = (
        api.http.get("/api/render/proxy/render_1/download"),
        other.http.get("/api/render/proxy/render_1/download"),
    )
    assert mine.status_code == theirs.status_code == 200 and mine.content != theirs.content
    assert api.render(_standins.draft_for([ref]), sid, job_id="render_1").status_code == 409


def test_old_database_with_global_render_ids_is_migrated(tmp_path: Path) -> None:
    root = tmp_path / "data"
    root.mkdir()
    db = sqlite3.connect(root / "engine.sqlite3")
    db.executescript(
        "CREATE TABLE jobs (id TEXT PRIMARY KEY, user_id TEXT NOT NULL, session_id TEXT, "
        "draft TEXT NOT NULL, status TEXT NOT NULL, progress INTEGER NOT NULL DEFAULT 0, "
        "error TEXT, output_path TEXT, created_at REAL NOT NULL, completed_at REAL);"
        "INSERT INTO jobs VALUES ('render_a', 'anon_1', NULL, '{}', 'completed', 100, NULL, "
        "'/x.mp4', 1.0, 2.0);"
    )
    db.commit()
    db.close()
    store = Store(root)
    job = store.job("render_a", "anon_1")
    assert job is not None and job.status == "completed" and job.output_path == Path("/x.mp4")
    assert store.job("render_a", "anon_2") is None
    assert store.add_job("render_a", "anon_2", None, {"t": []}) is not None
    assert store.add_job("render_a", "anon_1", None, {"t": []}) is None
    store.close()
    Store(root).close()  # opening again is a no-op


# --- files only the user can read --------------------------------------------------------------


def _modes(root: Path) -> dict[str, int]:
    return {
        str(p.relative_to(root)) or ".": stat.S_IMODE(p.stat().st_mode)
        for p in (root, *root.rglob("*"))
    }


@pytest.mark.slow
def test_data_dir_is_700_and_every_file_600(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    (data / "history").mkdir(mode=0o755)
    (data / "history" / "old.jsonl").write_text("{}")
    os.chmod(data / "history" / "old.jsonl", 0o644)  # written before the engine tightened modes
    (data / "notes.sh").write_text("#!/bin/sh\n")  # not nemo-nb's: its mode is left alone
    os.chmod(data / "notes.sh", 0o755)
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")]),
    }
    p = subprocess.Popen(
        [sys.executable, "-m", "nemo_nb.engine", "--data-dir", str(data), "--agent",
         "_standins:interpret", "--renderer", "_standins:render"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, text=True,
    )  # fmt: skip
    try:
        line = ""
        while "listening on" not in line:
            line = p.stdout.readline()  # type: ignore[union-attr]
            assert line, "engine did not start"
        url = line.split("listening on ")[1].split()[0]
        api = Api(url)
        sid = api.new_session()
        files = api.upload(sid, ("p.png", png_bytes())).json()["data"]["files"]
        api.chat(sid, "make it jiggle")
        ref = type("Ref", (), {"url": files[0]["cdn_url"], "name": "p.png"})
        api.render(_standins.draft_for([ref]), sid, job_id="render_p")
        assert api.wait_job("render_p")["status"] == "completed"
        modes = _modes(data)
    finally:
        p.terminate()
        p.wait(10)
    names = set(modes)
    assert {"engine.sqlite3", "engine.sqlite3-wal", "engine.sqlite3-shm", "engine.json"} <= names
    assert any(n.startswith("media/") and n.endswith("p.png") for n in names)
    assert any(n.startswith("renders/") and n.endswith(".mp4") for n in names)
    assert modes.pop("notes.sh") == 0o755
    wrong = {n: oct(m) for n, m in modes.items() if m != (0o700 if (data / n).is_dir() else 0o600)}
    assert not wrong, wrong
    print(f"checked {len(modes)} paths in the data dir: all 700 (dirs) / 600 (files)")


def test_client_id_file_is_600(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from nemo_nb.api._identity import load_client_id

    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("NEMO_CLIENT_ID", raising=False)
    cid, source = load_client_id()
    path = tmp_path / ".config" / "nemovideo" / "client_id"
    assert source == "new" and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    path.chmod(0o644)  # as older versions wrote it
    assert load_client_id() == (cid, "file")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


@pytest.mark.slow
def test_serving_beyond_loopback_warns(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")]),
    }
    p = subprocess.Popen(
        [sys.executable, "-m", "nemo_nb.engine", "--data-dir", str(tmp_path / "d"), "--host",
         "0.0.0.0", "--allow-host", "studio.example"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True,
    )  # fmt: skip
    try:
        line = ""
        while "listening on" not in line:
            line = p.stdout.readline()  # type: ignore[union-attr]
            assert line, "engine did not start"
        url = line.split("listening on ")[1].split()[0]
        assert httpx.get(f"{url}/healthz", headers={"Host": "studio.example"}).status_code == 200
        assert httpx.get(f"{url}/healthz", headers={"Host": "evil.example"}).status_code == 403
    finally:
        p.terminate()
        _, err = p.communicate(timeout=10)
    assert "WARNING: this engine is reachable from other machines." in err
    assert "plain HTTP" in err
    assert "It answers to 0.0.0.0" not in err and "studio.example" in err
    quiet = subprocess.run(
        [sys.executable, "-m", "nemo_nb.engine", "--data-dir", str(tmp_path / "d2"), "--version"],
        capture_output=True, text=True, env=env,
    )  # fmt: skip
    assert "WARNING" not in quiet.stderr
