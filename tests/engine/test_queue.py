"""Render queue policies: round-robin across users and sessions with one worker, and a watchdog
that fails a render stuck without progress and puts a fresh worker in its place."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import _standins
import pytest
from engine_harness import Api, png_bytes

from nemo_nb.engine.jobs import STALLED, FairQueue


def test_fair_queue_round_robin_across_users_then_sessions() -> None:
    q = FairQueue()
    for i in range(5):
        q.put("ann", "lab", f"ann-lab-{i}")  # a Prompt Lab's five exports
    q.put("ann", "studio", "ann-studio-0")
    q.put("bob", "s", "bob-0")
    q.put("bob", "s", "bob-1")
    first = q.get(0)
    q.put("cat", "s", "cat-0")  # arrives after ann's first has started
    order = [first] + [q.get(0) for _ in range(8)]
    assert [job for _, job in order] == [
        "ann-lab-0",
        "bob-0",  # bob's first before ann's second
        "cat-0",  # and cat's, though she came last
        "ann-studio-0",  # ann's studio session before her lab's second
        "bob-1",
        "ann-lab-1",
        "ann-lab-2",
        "ann-lab-3",
        "ann-lab-4",
    ]
    assert q.get(0.01) is None


def test_fair_queue_discard_and_close() -> None:
    q = FairQueue()
    q.put("u", None, "a")
    q.put("u", None, "b")
    q.discard(("u", "a"))
    assert len(q) == 1 and q.get(0) == ("u", "b")
    got: list[Any] = []
    t = threading.Thread(target=lambda: got.append(q.get()))
    t.start()
    q.close()
    t.join(2)
    assert got == [None]


def _ref(api: Api, sid: str) -> Any:
    files = api.upload(sid, ("p.png", png_bytes(32, 32))).json()["data"]["files"]
    return type("Ref", (), {"url": files[0]["cdn_url"], "name": "p.png"})


@pytest.mark.slow
def test_one_worker_serves_students_round_robin(engine_factory) -> None:
    gate = threading.Event()
    started: list[str] = []

    def render(draft: dict, out: Path, **kw: Any) -> Any:
        started.append(draft["m"]["title"])
        gate.wait(10)  # hold the first job so the queue fills up behind it
        return _standins.render(draft, out, **kw)

    e = engine_factory(renderer=render, workers=1)
    ann, bob, cat = Api(e.url), Api(e.url), Api(e.url)
    jobs = []

    def submit(api: Api, sid: str, ref: Any, title: str) -> None:
        draft = _standins.draft_for([ref], seconds=0.2, size=32)
        draft["m"]["title"] = title
        r = api.render(draft, sid, job_id=title)
        assert r.status_code == 200, r.text
        jobs.append((api, title))

    lab, studio = ann.new_session(), ann.new_session()
    lab_ref, studio_ref = _ref(ann, lab), _ref(ann, studio)
    for i in range(4):
        submit(ann, lab, lab_ref, f"ann-lab-{i}")
    while not started:
        time.sleep(0.01)
    submit(ann, studio, studio_ref, "ann-studio-0")
    bsid = bob.new_session()
    bref = _ref(bob, bsid)
    submit(bob, bsid, bref, "bob-0")
    submit(bob, bsid, bref, "bob-1")
    csid = cat.new_session()
    submit(cat, csid, _ref(cat, csid), "cat-0")
    gate.set()
    for api, title in jobs:
        assert api.wait_job(title)["status"] == "completed"
    assert started == [
        "ann-lab-0",
        "bob-0",
        "cat-0",
        "ann-studio-0",
        "bob-1",
        "ann-lab-1",
        "ann-lab-2",
        "ann-lab-3",
    ]


def test_watchdog_fails_a_stuck_render_and_the_queue_goes_on(engine_factory) -> None:
    release = threading.Event()
    stuck_threads: list[threading.Thread] = []

    def render(draft: dict, out: Path, **kw: Any) -> Any:
        if draft["m"]["title"] == "stuck":
            stuck_threads.append(threading.current_thread())
            kw["on_progress"](0.0)
            release.wait(30)  # like a native call that ignores cancel
            return _standins.render(draft, out, **kw)  # comes back late: must be thrown away
        return _standins.render(draft, out, **kw)

    e = engine_factory(renderer=render, workers=1, render_stall_timeout=0.5)
    api, other = Api(e.url), Api(e.url)
    sid, osid = api.new_session(), other.new_session()
    ref, oref = _ref(api, sid), _ref(other, osid)
    stuck = _standins.draft_for([ref], seconds=0.2, size=32)
    stuck["m"]["title"] = "stuck"
    api.render(stuck, sid, job_id="render_stuck")
    fine = _standins.draft_for([oref], seconds=0.2, size=32)
    other.render(fine, osid, job_id="render_next")
    t0 = time.monotonic()
    failed = api.wait_job("render_stuck", timeout=10)
    took = time.monotonic() - t0
    assert failed["status"] == "failed" and failed["error"] == STALLED.format(seconds=0.5)
    assert "for 0.5 seconds" in failed["error"] and failed["error"].count(".") == 2
    assert other.wait_job("render_next", timeout=10)["status"] == "completed"
    assert took < 5, f"the watchdog took {took:.1f} s"
    assert stuck_threads[0].is_alive() and stuck_threads[0].daemon  # abandoned, not joined
    release.set()
    stuck_threads[0].join(10)
    assert not stuck_threads[0].is_alive()
    # what the stuck thread came back with was thrown away; the queue still has one worker
    assert api.job("render_stuck")["status"] == "failed"
    assert not list(e.engine.store.renders_dir.glob(f"{api.user_id}.*"))
    names = [t.name for t in threading.enumerate() if t.name.startswith("nemo-render-")]
    assert len([n for n in names if n != "nemo-render-watchdog"]) == 1, names
    again = _standins.draft_for([ref], seconds=0.2, size=32)
    api.render(again, sid, job_id="render_again")
    assert api.wait_job("render_again")["status"] == "completed"
