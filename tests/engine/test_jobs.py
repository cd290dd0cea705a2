"""Render jobs: pending -> processing -> completed/failed with real progress, cancel, download,
errors that say what happened, and an event loop that keeps answering while rendering."""

from __future__ import annotations

import statistics
import time
from pathlib import Path

import _standins
import av
import httpx
from engine_harness import Api, RunningEngine, png_bytes, wait_until

from nemo_nb.render import render_draft


def _uploaded(api: Api) -> tuple[str, list]:
    sid = api.new_session()
    files = api.upload(sid, ("p.png", png_bytes(80, 60))).json()["data"]["files"]
    refs = [type("Ref", (), {"url": f["cdn_url"], "name": f["filename"]}) for f in files]
    return sid, refs


def _frames(data: bytes, tmp_path: Path) -> tuple[int, int, int]:
    p = tmp_path / "out.mp4"
    p.write_bytes(data)
    with av.open(str(p)) as c:
        s = c.streams.video[0]
        n = sum(1 for _ in c.decode(video=0))
        return n, s.width, s.height


def test_render_completes_with_progress_and_downloads(api: Api, tmp_path: Path) -> None:
    sid, refs = _uploaded(api)
    draft = _standins.draft_for(refs, seconds=1.0)
    draft["m"]["slow_ms_per_frame"] = 10
    r = api.render(draft, sid, job_id="render_one")
    assert r.json() == {
        "success": True,
        "data": {"id": "render_one", "status": "pending", "progress": 0},
    }
    seen = []
    while True:
        d = api.job("render_one")
        seen.append((d["status"], d["progress"]))
        if d["status"] in ("completed", "failed"):
            break
        time.sleep(0.02)
    assert d["status"] == "completed", d
    assert any(s == "processing" and 0 < p < 100 for s, p in seen)
    progress = [p for _, p in seen]
    assert progress == sorted(progress) and progress[-1] == 100
    assert d["outputUrl"] == f"{api.url}/api/render/proxy/render_one/download"
    assert d["completedAt"] >= d["startedAt"] >= d["createdAt"] > 1e12  # epoch ms
    assert "notes" not in d  # the renderer had nothing to say
    assert "error" not in d
    assert httpx.get(d["outputUrl"]).status_code == 401  # bearer required
    video = api.http.get(d["outputUrl"])
    assert video.headers["content-type"] == "video/mp4"
    assert _frames(video.content, tmp_path) == (30, 64, 64)


def test_duplicate_id_and_empty_draft_are_errors(api: Api) -> None:
    sid, refs = _uploaded(api)
    draft = _standins.draft_for(refs)
    assert api.render(draft, sid, job_id="render_dup").status_code == 200
    r = api.render(draft, sid, job_id="render_dup")
    assert r.status_code == 409
    assert r.json()["success"] is False and "already exists" in r.json()["error"]
    r = api.render({"d": 1000, "t": [{"tt": 0, "sg": []}]}, sid)
    assert r.status_code == 400 and "nothing to render" in r.json()["error"]
    r = api.render(None, sid)  # no draft given and none in the session yet
    assert r.status_code == 400
    r = api.render(draft, "999", job_id="render_x")
    assert r.status_code == 404 and r.json()["success"] is False
    r = api.render(draft, sid, job_id="../../etc")
    assert r.status_code == 400 and "letters, digits" in r.json()["error"]
    r = api.http.get("/api/render/proxy/lambda/render_nope")
    assert r.status_code == 404 and "no render with id render_nope" in r.json()["error"]


def test_session_draft_is_used_when_body_has_none(api: Api, tmp_path: Path) -> None:
    sid, _ = _uploaded(api)
    api.chat(sid, "make it bounce")
    r = api.render(None, sid)
    d = api.wait_job(r.json()["data"]["id"])
    assert d["status"] == "completed"
    assert _frames(api.http.get(d["outputUrl"]).content, tmp_path)[0] == 30


def test_cancel_mid_render(api: Api, engine: RunningEngine) -> None:
    sid, refs = _uploaded(api)
    draft = _standins.draft_for(refs, seconds=10)
    draft["m"]["slow_ms_per_frame"] = 20
    api.render(draft, sid, job_id="render_c")
    while api.job("render_c")["progress"] == 0:
        time.sleep(0.02)
    r = api.http.post("/api/render/proxy/lambda/render_c/cancel")
    assert r.json()["success"] is True and r.json()["data"]["status"] == "cancelled"
    d = api.wait_job("render_c")
    assert d["status"] == "cancelled" and d["error"] == "The render was cancelled."
    assert "outputUrl" not in d
    store = engine.engine.store
    wait_until(
        lambda: (
            not store.render_path((api.user_id, "render_c")).exists()
            and not list(store.renders_dir.iterdir())
        ),
        "cleaned up",
    )
    r = api.http.get("/api/render/proxy/render_c/download")
    assert r.status_code == 409 and "no output" in r.json()["error"]
    # a queue that carries on: the next job renders
    api.render(_standins.draft_for(refs), sid, job_id="render_after")
    assert api.wait_job("render_after")["status"] == "completed"


def test_missing_media_fails_with_a_sentence(api: Api) -> None:
    sid, refs = _uploaded(api)
    draft = _standins.draft_for(refs)
    draft["t"][0]["sg"][0]["src"] = f"{api.url}/media/mdoesnotexist/x.png"
    api.render(draft, sid, job_id="render_m")
    d = api.wait_job("render_m")
    assert d["status"] == "failed" and "is not in this engine; upload it again" in d["error"]


def test_src_from_another_port_still_resolves(api: Api) -> None:
    sid, refs = _uploaded(api)
    draft = _standins.draft_for(refs)
    src = draft["t"][0]["sg"][0]["src"]
    draft["t"][0]["sg"][0]["src"] = "http://127.0.0.1:1" + src[src.index("/media/") :]
    api.render(draft, sid, job_id="render_p")
    assert api.wait_job("render_p")["status"] == "completed"


def test_other_users_cannot_see_jobs_or_media(engine: RunningEngine, api: Api) -> None:
    sid, refs = _uploaded(api)
    api.render(_standins.draft_for(refs), sid, job_id="render_mine")
    api.wait_job("render_mine")
    other = Api(engine.url)
    assert other.http.get("/api/render/proxy/lambda/render_mine").status_code == 404
    assert other.http.get("/api/render/proxy/render_mine/download").status_code == 404
    assert other.http.get(refs[0].url).status_code == 404
    # and their renders cannot read her media
    other.render(_standins.draft_for(refs), job_id="render_theirs")
    assert other.wait_job("render_theirs")["status"] == "failed"


def test_real_renderer_and_healthz_latency_during_render(engine_factory, tmp_path: Path) -> None:
    e = engine_factory(renderer=render_draft)
    api = Api(e.url)
    sid, refs = _uploaded(api)
    draft = _standins.draft_for(refs, seconds=2.0, size=360)
    api.render(draft, sid, job_id="render_real")
    latencies = []
    while api.job("render_real")["status"] in ("pending", "processing"):
        t0 = time.perf_counter()
        assert httpx.get(f"{e.url}/healthz").status_code == 200
        latencies.append((time.perf_counter() - t0) * 1000)
        time.sleep(0.05)
    d = api.job("render_real")
    assert d["status"] == "completed", d
    assert _frames(api.http.get(d["outputUrl"]).content, tmp_path) == (60, 360, 360)
    print(f"healthz during render: n={len(latencies)} median={statistics.median(latencies):.1f} ms "
          f"max={max(latencies):.1f} ms")  # fmt: skip
    assert max(latencies) < 1000


def test_status_carries_the_renderers_notes_and_start_time(api: Api) -> None:
    sid, refs = _uploaded(api)
    draft = _standins.draft_for(refs, seconds=0.2)
    draft["m"]["notes"] = ["p.png: the whole frame moves because it looks like a scene."]
    api.render(draft, sid, job_id="render_noted")
    d = api.wait_job("render_noted")
    assert d["status"] == "completed", d
    assert d["notes"] == ["p.png: the whole frame moves because it looks like a scene."]
    assert d["createdAt"] <= d["startedAt"] <= d["completedAt"]


def test_a_data_dir_from_before_start_times_keeps_its_jobs(tmp_path: Path) -> None:
    import sqlite3

    from nemo_nb.engine.store import Store

    db_path = tmp_path / "engine.sqlite3"
    db = sqlite3.connect(db_path)
    db.executescript(
        """CREATE TABLE jobs (id TEXT NOT NULL, user_id TEXT NOT NULL, session_id TEXT,
        draft TEXT NOT NULL, status TEXT NOT NULL, progress INTEGER NOT NULL DEFAULT 0,
        error TEXT, output_path TEXT, created_at REAL NOT NULL, completed_at REAL,
        PRIMARY KEY (user_id, id));
        INSERT INTO jobs VALUES ('r1', 'u1', 's1', '{}', 'completed', 100, NULL, NULL, 1, 2);
        PRAGMA user_version = 1;"""
    )
    db.close()
    store = Store(tmp_path)
    try:
        job = store.job("r1", "u1")
        assert job is not None and job.status == "completed"
        assert job.started_at is None and job.notes == ()
    finally:
        store.close()
