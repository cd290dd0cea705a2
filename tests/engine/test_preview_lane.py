"""The preview lane: a preview never waits behind exports, a newer preview of a session replaces
the older one (which ends "cancelled"), one user cannot flood the lane, an unknown quality is
refused, and the real renderer makes the small MP4 with the subject analysis read from its cache
the second time. All over real HTTP against an engine with a real store."""

from __future__ import annotations

import os
import sqlite3
import sys
import threading
import time
from pathlib import Path
from typing import Any

import _standins
import av
import matplotlib.cbook
import pytest
from engine_harness import Api, png_bytes

from nemo_nb.engine.jobs import EXPORT_NICENESS, REPLACED, JobQueue
from nemo_nb.engine.limits import PREVIEWS_PER_USER
from nemo_nb.engine.store import Store

PORTRAIT = Path(matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))


def _photo(api: Api, sid: str, name: str = "p.png", data: bytes | None = None) -> list[Any]:
    files = api.upload(sid, (name, data or png_bytes(32, 32))).json()["data"]["files"]
    return [type("Ref", (), {"url": f["cdn_url"], "name": f["filename"]}) for f in files]


def _draft(refs: list[Any], title: str, seconds: float = 0.2, slow_ms: float = 0) -> dict:
    """The stand-in renderer's draft: ``slow_ms`` a frame makes it take a while (30 frames/s)."""
    draft = _standins.draft_for(refs, seconds=seconds, size=32)
    draft["m"]["title"] = title
    if slow_ms:
        draft["m"]["slow_ms_per_frame"] = slow_ms
    return draft


def _wait_for(api: Api, job_id: str, status: str, timeout: float = 20) -> dict:
    deadline = time.monotonic() + timeout
    while (data := api.job(job_id))["status"] != status:
        assert time.monotonic() < deadline, f"{job_id} never became {status}: {data}"
        time.sleep(0.02)
    return data


def _own_niceness() -> int:
    return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


@pytest.mark.slow
def test_a_preview_does_not_wait_behind_a_room_of_exports(engine_factory) -> None:
    calls: list[tuple[str, str, int]] = []  # title, quality, the rendering thread's nice value

    def render(draft: dict, out: Path, **kw: Any) -> Any:
        calls.append((draft["m"]["title"], kw["quality"], _own_niceness()))
        return _standins.render(draft, out, **kw)

    e = engine_factory(renderer=render, workers=1)
    room = [Api(e.url) for _ in range(3)]
    for i, api in enumerate(room):  # three students export at once: ~2 s each, one at a time
        sid = api.new_session()
        r = api.render(_draft(_photo(api, sid), f"export-{i}", 1.0, slow_ms=60), sid, f"export_{i}")
        assert r.status_code == 200, r.text
    _wait_for(room[0], "export_0", "processing")

    student = Api(e.url)
    sid = student.new_session()
    r = student.render(_draft(_photo(student, sid), "preview"), sid, "preview_1", "preview")
    assert r.status_code == 200 and r.json()["data"]["status"] == "pending", r.text
    preview = student.wait_job("preview_1", timeout=10)
    first_export = room[0].job("export_0")
    assert preview["status"] == "completed", preview
    assert first_export["status"] == "processing"  # the preview started and ended meanwhile
    assert [room[i].job(f"export_{i}")["status"] for i in (1, 2)] == ["pending", "pending"]
    assert student.http.get(preview["outputUrl"]).headers["content-type"] == "video/mp4"

    for i, api in enumerate(room):  # and the exports all finish as before
        done = api.wait_job(f"export_{i}", timeout=30)
        assert done["status"] == "completed", done
        assert done["completedAt"] > preview["completedAt"]
    assert {(title, quality) for title, quality, _ in calls} == {
        ("export-0", "high"), ("export-1", "high"), ("export-2", "high"), ("preview", "preview"),
    }  # fmt: skip
    if sys.platform.startswith("linux"):  # exports run below previews (and below the API)
        base = os.getpriority(os.PRIO_PROCESS, 0)
        nice = {title: n for title, _, n in calls}
        assert nice["preview"] == base
        assert nice["export-0"] == nice["export-2"] == min(19, base + EXPORT_NICENESS)


def test_a_newer_preview_of_a_session_cancels_the_older_one(engine_factory) -> None:
    rendered: list[str] = []

    def render(draft: dict, out: Path, **kw: Any) -> Any:
        rendered.append(draft["m"]["title"])
        return _standins.render(draft, out, **kw)

    e = engine_factory(renderer=render)
    api = Api(e.url)
    studio, lab = api.new_session(), api.new_session()
    studio_photo, lab_photo = _photo(api, studio), _photo(api, lab)

    def preview(sid: str, refs: list[Any], title: str, slow_ms: float = 0) -> None:
        r = api.render(_draft(refs, title, 2.0, slow_ms), sid, title, "preview")
        assert r.status_code == 200, r.text

    preview(studio, studio_photo, "turn_1", slow_ms=50)  # ~3 s: still rendering when replaced
    _wait_for(api, "turn_1", "processing")
    preview(lab, lab_photo, "lab_1")  # waits behind turn_1 in the preview lane
    preview(lab, lab_photo, "lab_2")  # replaces lab_1 before it starts
    preview(studio, studio_photo, "turn_2")  # replaces turn_1 mid-render

    for old in ("turn_1", "lab_1"):
        ended = api.wait_job(old, timeout=10)
        assert ended["status"] == "cancelled" and ended["error"] == REPLACED, ended
        assert "outputUrl" not in ended
        assert api.http.get(f"/api/render/proxy/{old}/download").status_code == 409
    for new in ("turn_2", "lab_2"):
        assert api.wait_job(new, timeout=20)["status"] == "completed"
    assert "lab_1" not in rendered  # replaced while waiting: never rendered
    assert sorted(rendered) == ["lab_2", "turn_1", "turn_2"]

    # an export of the same session is not a preview: a preview never cancels it
    r = api.render(_draft(studio_photo, "export", 0.5, slow_ms=20), studio, "export_1")
    assert r.status_code == 200
    preview(studio, studio_photo, "turn_3")
    assert api.wait_job("export_1")["status"] == "completed"
    assert api.wait_job("turn_3")["status"] == "completed"


def test_one_user_cannot_flood_the_preview_lane(engine_factory) -> None:
    gate = threading.Event()

    def render(draft: dict, out: Path, **kw: Any) -> Any:
        gate.wait(20)  # hold the lane so the previews pile up
        return _standins.render(draft, out, **kw)

    e = engine_factory(renderer=render)
    ann, bob = Api(e.url), Api(e.url)
    sessions = [ann.new_session() for _ in range(PREVIEWS_PER_USER + 1)]
    photo = _photo(ann, sessions[0])
    for i, sid in enumerate(sessions[:-1]):
        r = ann.render(_draft(photo, f"p{i}"), sid, f"ann_{i}", "preview")
        assert r.status_code == 200, r.text

    refused = ann.render(_draft(photo, "one too many"), sessions[-1], "ann_extra", "preview")
    assert refused.status_code == 429 and refused.headers["retry-after"] == "1"
    assert refused.json() == {
        "success": False,
        "data": None,
        "error": f"You have {PREVIEWS_PER_USER} previews waiting already; "
        "ask again once one is ready.",
    }
    assert ann.http.get("/api/render/proxy/lambda/ann_extra").status_code == 404  # nothing kept

    # a newer preview of a session that has one replaces it, so it still fits
    again = ann.render(_draft(photo, "p0 again"), sessions[0], "ann_0b", "preview")
    assert again.status_code == 200, again.text
    # the cap is per user, and exports are not previews
    bsid = bob.new_session()
    assert bob.render(_draft(_photo(bob, bsid), "b"), bsid, "bob_0", "preview").status_code == 200
    assert ann.render(_draft(photo, "export"), sessions[-1], "ann_export").status_code == 200

    gate.set()
    assert ann.wait_job("ann_0")["status"] == "cancelled"
    for job_id in ["ann_0b", "ann_1", "ann_2", "ann_3", "ann_export"]:
        assert ann.wait_job(job_id)["status"] == "completed", job_id
    assert bob.wait_job("bob_0")["status"] == "completed"
    # and once they are done, the lane takes previews again
    r = ann.render(_draft(photo, "later"), sessions[-1], "ann_later", "preview")
    assert r.status_code == 200 and ann.wait_job("ann_later")["status"] == "completed"


def test_an_unknown_quality_is_refused_with_a_sentence(api: Api) -> None:
    sid = api.new_session()
    draft = _draft(_photo(api, sid), "x")
    body = {"id": "render_best", "sessionId": sid, "draft": draft}
    r = api.http.post("/api/render/proxy/lambda", json={**body, "output": {"quality": "ultra"}})
    assert r.status_code == 400
    assert r.json()["error"] == (
        'The output quality "ultra" is not one this engine renders; use “high” or “preview”.'
    )
    r = api.http.post("/api/render/proxy/lambda", json={**body, "output": "preview"})
    assert r.status_code == 400 and "must be an object" in r.json()["error"]
    assert api.http.get("/api/render/proxy/lambda/render_best").status_code == 404
    # without an output (or its quality) it is an export, as on the cloud
    assert api.http.post("/api/render/proxy/lambda", json=body).status_code == 200
    assert api.wait_job("render_best")["status"] == "completed"


@pytest.mark.slow
def test_a_real_preview_the_cached_subject_analysis_and_the_warm_up(
    engine_factory, monkeypatch, tmp_path: Path
) -> None:
    from nemo_nb.render import _subject
    from nemo_nb.render._music import music_loop

    monkeypatch.setenv("NEMO_NB_SUBJECT_CACHE", str(tmp_path / "subjects"))
    analysed: list[tuple[int, int]] = []
    real = _subject.analyse_pixels

    def counting(rgb: Any) -> Any:
        analysed.append(rgb.shape[:2])
        return real(rgb)

    monkeypatch.setattr(_subject, "analyse_pixels", counting)
    monkeypatch.setattr(_subject, "_DETECTOR", None)
    music_loop.cache_clear()
    e = engine_factory(renderer=None)  # the real renderer: it is readied as the engine starts
    for thread in threading.enumerate():
        if thread.name == "nemo-render-warm-up":
            thread.join(60)
    assert _subject._DETECTOR is not None and music_loop.cache_info().currsize == 4
    made = music_loop.cache_info().misses
    api = Api(e.url)
    sid = api.new_session()
    refs = _photo(api, sid, "portrait.jpg", PORTRAIT.read_bytes())
    draft = _standins.draft_for(refs, seconds=1.0)
    draft["m"] = {"aspect": "9:16", "fps": 30}  # the export would be 1080x1920
    music = {"id": "m1", "st": 0, "d": 1000, "src": "builtin:calm"}
    draft["t"].append({"id": "a1", "tt": 1, "sg": [music]})

    api.render(draft, sid, "first", "preview")
    first = api.wait_job("first", timeout=60)
    assert first["status"] == "completed", first
    assert "notes" not in first  # the subject was found: it moves alone
    out = tmp_path / "first.mp4"
    out.write_bytes(api.http.get(first["outputUrl"]).content)
    with av.open(str(out)) as container:
        video = container.streams.video[0]
        assert (video.codec_context.width, video.codec_context.height) == (360, 640)
        assert container.streams.audio[0].codec_context.name == "aac"
        assert sum(1 for _ in container.decode(video=0)) == 30
    assert len(analysed) == 1
    assert music_loop.cache_info().misses == made  # the music was made before anyone asked

    draft["t"][0]["sg"][0]["m"]["fx"]["strength"] = 0.9  # the next turn's draft, same photo
    api.render(draft, sid, "second", "preview")
    assert api.wait_job("second", timeout=60)["status"] == "completed"
    assert len(analysed) == 1  # read back from the cache


def test_a_waiting_preview_stays_a_preview_across_a_restart(tmp_path: Path) -> None:
    store = Store(tmp_path)
    store.add_job("p1", "u1", "s1", {"d": 200}, quality="preview")
    store.add_job("e1", "u1", "s1", {"d": 200})
    store.close()

    store = Store(tmp_path)  # the next engine on this data dir
    got: dict[str, str] = {}
    done = threading.Event()

    def render(draft: dict, out: Path, **kw: Any) -> None:
        got[out.name] = kw["quality"]
        out.write_bytes(b"mp4")
        if len(got) == 2:
            done.set()

    jobs = JobQueue(store, renderer=render)
    try:
        jobs.start(store.recover_jobs())
        assert done.wait(10)
        assert got == {"u1.p1.mp4": "preview", "u1.e1.mp4": "high"}
    finally:
        jobs.stop()
        store.close()


def test_a_data_dir_from_before_previews_keeps_its_jobs_as_exports(tmp_path: Path) -> None:
    db = sqlite3.connect(tmp_path / "engine.sqlite3")
    db.executescript(
        """CREATE TABLE jobs (id TEXT NOT NULL, user_id TEXT NOT NULL, session_id TEXT,
        draft TEXT NOT NULL, status TEXT NOT NULL, progress INTEGER NOT NULL DEFAULT 0,
        error TEXT, output_path TEXT, created_at REAL NOT NULL, completed_at REAL,
        started_at REAL, notes TEXT, PRIMARY KEY (user_id, id));
        INSERT INTO jobs VALUES ('r1', 'u1', 's1', '{}', 'completed', 100, NULL, NULL, 1, 2, 1.5,
        NULL);
        PRAGMA user_version = 2;"""
    )
    db.close()
    store = Store(tmp_path)
    try:
        job = store.job("r1", "u1")
        assert job is not None and job.status == "completed" and job.quality == "high"
        assert store.add_job("r2", "u1", "s1", {}, quality="preview").quality == "preview"
    finally:
        store.close()
