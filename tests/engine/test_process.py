"""The engine as a real process: `python -m nemo_nb.engine`, SIGKILL and restart on the same data
dir, one engine per data dir, and no token in its output or anywhere in the data dir."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import _standins
import httpx
import pytest
from engine_harness import HERE, Api, png_bytes

from nemo_nb.engine.store import INTERRUPTED

ENV = {**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")])}
STANDINS = ["--agent", "_standins:interpret", "--renderer", "_standins:render"]


class Proc:
    """An engine child process whose stdout/stderr go to files we can grep afterwards."""

    def __init__(self, data: Path, *args: str, env: dict[str, str] | None = None) -> None:
        self.out, self.err = (
            data.parent / f"out-{time.time_ns()}",
            data.parent / f"err-{time.time_ns()}",
        )
        t0 = time.perf_counter()
        self.p = subprocess.Popen(
            [sys.executable, "-m", "nemo_nb.engine", "--data-dir", str(data), *STANDINS, *args],
            stdout=self.out.open("wb"), stderr=self.err.open("wb"), env={**ENV, **(env or {})},
        )  # fmt: skip
        deadline = time.monotonic() + 30
        while not (m := re.search(r"listening on (http://\S+)", self.out.read_text())):
            assert self.p.poll() is None, self.err.read_text()
            assert time.monotonic() < deadline, "engine did not start"
            time.sleep(0.02)
        self.url = m.group(1)
        self.start_s = time.perf_counter() - t0

    def output(self) -> str:
        return self.out.read_text() + self.err.read_text()

    def kill(self) -> None:
        self.p.send_signal(signal.SIGKILL)
        self.p.wait(10)


def _assert_no_token_anywhere(tokens: list[str], *roots: Path, text: str = "") -> None:
    assert tokens
    for t in tokens:
        assert t not in text
        for root in roots:
            for f in root.rglob("*"):
                if f.is_file():
                    assert t.encode() not in f.read_bytes(), f"token found in {f}"


@pytest.mark.slow
def test_serve_prints_address_not_token_and_cleans_up(tmp_path: Path) -> None:
    data = tmp_path / "data"
    eng = Proc(data)
    assert eng.url.startswith("http://127.0.0.1:")
    state = json.loads((data / "engine.json").read_text())
    assert state["url"] == eng.url and state["pid"] == eng.p.pid
    api = Api(eng.url)
    sid = api.new_session()
    api.upload(sid, ("p.png", png_bytes()))
    api.chat(sid, "jiggle")
    job = api.render(None, sid).json()["data"]["id"]
    assert api.wait_job(job)["status"] == "completed"
    eng.p.send_signal(signal.SIGTERM)
    assert eng.p.wait(10) == 0
    assert not (data / "engine.json").exists()
    _assert_no_token_anywhere([api.token], data, text=eng.output())
    print(f"engine start (spawn to listening): {eng.start_s:.2f} s")


@pytest.mark.slow
def test_print_token_when_asked_and_credit_cost_from_env(tmp_path: Path) -> None:
    eng = Proc(tmp_path / "data", "--print-token", env={"NEMO_NB_CREDIT_COST": "60"})
    token = re.search(r"(nmv_usr_\S+)", eng.output()).group(1)
    http = httpx.Client(base_url=eng.url, headers={"Authorization": f"Bearer {token}"})
    assert http.get("/api/credits/balance/simple").json()["data"]["available"] == 100
    sid = http.post("/api/tasks/me/with-session/nemo_agent", json={}).json()["data"]["session_id"]
    body = {"session_id": sid, "new_message": {"parts": [{"text": "jiggle"}]}}
    assert http.post("/run_sse", json=body).status_code == 200
    assert http.get("/api/credits/balance/simple").json()["data"]["available"] == 40
    r = http.post("/run_sse", json=body)
    assert r.status_code == 403 and r.json()["code"] == 2001
    eng.p.terminate()
    eng.p.wait(10)


@pytest.mark.slow
def test_one_engine_per_data_dir(tmp_path: Path) -> None:
    data = tmp_path / "data"
    first = Proc(data)
    second = subprocess.run(
        [sys.executable, "-m", "nemo_nb.engine", "--data-dir", str(data)],
        capture_output=True, text=True, env=ENV, timeout=30,
    )  # fmt: skip
    assert second.returncode == 1
    assert f"already running for {data.resolve()} at {first.url}" in second.stderr
    assert httpx.get(f"{first.url}/healthz").status_code == 200
    first.p.terminate()
    first.p.wait(10)


@pytest.mark.slow
def test_sigkill_mid_session_and_mid_render_then_restart(tmp_path: Path) -> None:
    data = tmp_path / "data"
    eng = Proc(data)
    api = Api(eng.url, client_id="kill-test")
    sid = api.new_session()
    cdn = api.upload(sid, ("p.png", png_bytes())).json()["data"]["files"][0]["cdn_url"]
    api.chat(sid, "bounce")
    draft = api.state(sid)["draft"]
    done = api.render(None, sid, job_id="render_done").json()["data"]["id"]
    assert api.wait_job(done)["status"] == "completed"
    slow = _standins.draft_for([type("R", (), {"url": cdn, "name": "p.png"})], seconds=20)
    slow["m"]["slow_ms_per_frame"] = 30
    api.render(slow, sid, job_id="render_slow")
    api.render(draft, sid, job_id="render_queued")  # waits behind the slow one
    while (j := api.job("render_slow"))["status"] != "processing" or j["progress"] == 0:
        time.sleep(0.02)
    assert api.job("render_queued")["status"] == "pending"

    eng.kill()  # mid-render, mid-session
    assert json.loads((data / "engine.json").read_text())["pid"] == eng.p.pid  # stale, left behind

    again = Proc(data)
    api2 = Api(again.url, client_id="kill-test")  # same client id: same user, new token
    assert api2.user_id == api.user_id
    state = api2.state(sid)
    moved = json.loads(json.dumps(draft).replace(eng.url, again.url))  # srcs follow the engine
    assert state["draft"] == moved
    assert [v["filename"] for v in state["video_infos"]] == ["p.png"]
    assert state["video_infos"][0]["cdn_url"].startswith(again.url + "/media/")
    assert api2.job("render_done")["status"] == "completed"
    assert api2.http.get("/api/render/proxy/render_done/download").status_code == 200
    interrupted = api2.job("render_slow")
    assert interrupted["status"] == "failed" and interrupted["error"] == INTERRUPTED
    # the job that had not started yet is rendered after the restart (its src names the old port)
    assert api2.wait_job("render_queued")["status"] == "completed"
    # and the conversation carries on where it was
    frames = api2.chat(sid, "undo")
    assert frames[1]["actions"]["stateDelta"]["draft"] is None
    again.p.terminate()
    again.p.wait(10)
    _assert_no_token_anywhere([api.token, api2.token], data, text=eng.output() + again.output())


@pytest.mark.slow
def test_new_engine_waits_for_one_that_is_still_shutting_down(tmp_path: Path) -> None:
    from nemo_nb.engine import launcher

    data = tmp_path / "data"
    data.mkdir()
    dying = launcher.run_lock(data)  # an engine that has removed its state file but not exited
    assert dying is not None
    t0 = time.monotonic()
    threading.Timer(1.0, dying.close).start()
    eng = Proc(data)
    assert time.monotonic() - t0 >= 1.0
    assert httpx.get(f"{eng.url}/healthz").json()["status"] == "ok"
    eng.p.terminate()
    eng.p.wait(10)


@pytest.mark.slow
def test_graceful_stop_mid_render_fails_the_running_job_and_keeps_the_queue(tmp_path: Path) -> None:
    data = tmp_path / "data"
    eng = Proc(data)
    api = Api(eng.url, client_id="stop-test")
    sid = api.new_session()
    cdn = api.upload(sid, ("p.png", png_bytes())).json()["data"]["files"][0]["cdn_url"]
    ref = type("R", (), {"url": cdn, "name": "p.png"})
    slow = _standins.draft_for([ref], seconds=20)
    slow["m"]["slow_ms_per_frame"] = 30
    api.render(slow, sid, job_id="render_running")
    api.render(_standins.draft_for([ref]), sid, job_id="render_waiting")
    while api.job("render_running")["progress"] == 0:
        time.sleep(0.02)
    eng.p.send_signal(signal.SIGTERM)
    assert eng.p.wait(15) == 0
    again = Proc(data)
    api2 = Api(again.url, client_id="stop-test")
    running = api2.job("render_running")
    assert running["status"] == "failed" and running["error"] == INTERRUPTED
    assert api2.wait_job("render_waiting")["status"] == "completed"
    again.p.terminate()
    again.p.wait(10)
