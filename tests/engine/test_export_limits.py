"""What one export may cost: a draft clamped to what the product makes (and the job says so),
five exports waiting per user (then HTTP 429 with a sentence), and a render stopped once it
outlives the ceiling its clip's length allows, however steadily it progresses."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import _standins
from engine_harness import Api, png_bytes

from nemo_nb.engine.jobs import OVERTIME
from nemo_nb.engine.limits import (
    MAX_EXPORT_SECONDS,
    MAX_WAITING_EXPORTS,
    QUEUE_FULL_RETRY_AFTER_S,
    render_time_ceiling,
)


def _ref(api: Api, sid: str) -> Any:
    files = api.upload(sid, ("p.png", png_bytes(32, 32))).json()["data"]["files"]
    return type("Ref", (), {"url": files[0]["cdn_url"], "name": "p.png"})


def test_a_4k_120_fps_draft_is_rendered_at_1080p_30_fps_and_the_job_says_so(
    engine_factory,
) -> None:
    got: list[dict] = []

    def render(draft: dict, out: Path, **kw: Any) -> Any:
        got.append(draft)
        small = {**draft, "d": 200, "m": {**draft["m"], "width": 32, "height": 32}}
        return _standins.render(small, out, **kw)

    e = engine_factory(renderer=render)
    api = Api(e.url)
    sid = api.new_session()
    draft = _standins.draft_for([_ref(api, sid)], seconds=MAX_EXPORT_SECONDS)
    draft["m"].update(width=4096, height=4096, fps=120, notes=["The photo moves whole."])
    r = api.render(draft, sid, job_id="render_4k")
    clamped = (
        "The draft asked for 4096x4096 at 120 fps; it is exported at 1080x1080 at 30 fps, "
        "the most an export has."
    )
    assert r.status_code == 200 and r.json()["data"]["notes"] == [clamped]
    done = api.wait_job("render_4k")
    assert done["status"] == "completed"
    assert done["notes"] == [clamped, "The photo moves whole."]  # the engine's, then the renderer's
    assert (got[0]["m"]["width"], got[0]["m"]["height"], got[0]["m"]["fps"]) == (1080, 1080, 30)
    assert got[0]["d"] == MAX_EXPORT_SECONDS * 1000  # the length was within the product: kept

    landscape = _standins.draft_for([_ref(api, sid)], seconds=1)
    landscape["m"].update(width=3840, height=2160, fps=25)
    assert api.render(landscape, sid, job_id="render_uhd").status_code == 200
    assert api.wait_job("render_uhd")["status"] == "completed"
    assert (got[1]["m"]["width"], got[1]["m"]["height"], got[1]["m"]["fps"]) == (1920, 1080, 25)


def test_one_user_may_have_five_exports_waiting(engine_factory) -> None:
    gate = threading.Event()

    def render(draft: dict, out: Path, **kw: Any) -> Any:
        gate.wait(20)  # the first job holds the one worker: the rest wait
        return _standins.render(draft, out, **kw)

    e = engine_factory(renderer=render, workers=1)
    try:
        ann, bob = Api(e.url), Api(e.url)
        sid = ann.new_session()
        draft = _standins.draft_for([_ref(ann, sid)], seconds=0.2, size=32)
        assert ann.render(draft, sid, job_id="running").status_code == 200
        deadline = time.monotonic() + 10
        while ann.job("running")["status"] != "processing":
            assert time.monotonic() < deadline
            time.sleep(0.02)
        for i in range(MAX_WAITING_EXPORTS):
            assert ann.render(draft, sid, job_id=f"waiting-{i}").status_code == 200
        r = ann.render(draft, sid, job_id="one-too-many")
        assert r.status_code == 429
        assert r.headers["retry-after"] == str(QUEUE_FULL_RETRY_AFTER_S)
        assert r.json() == {
            "success": False,
            "data": None,
            "error": f"You already have {MAX_WAITING_EXPORTS} exports waiting to render, the "
            "most one person may have; export again once one of them has started (or cancel "
            "one).",
        }
        assert ann.http.get("/api/render/proxy/lambda/one-too-many").status_code == 404
        # another student is not held up by ann's queue
        bsid = bob.new_session()
        assert (
            bob.render(_standins.draft_for([_ref(bob, bsid)], 0.2, size=32), bsid).status_code
            == 200
        )
        # a cancelled one frees a place
        ann.http.post("/api/render/proxy/lambda/waiting-0/cancel")
        assert ann.render(draft, sid, job_id="in-its-place").status_code == 200
    finally:
        gate.set()
    for job in ("running", "waiting-4", "in-its-place"):
        assert ann.wait_job(job)["status"] == "completed"


def test_a_render_that_keeps_progressing_is_stopped_at_its_ceiling(engine_factory) -> None:
    asked: list[float] = []

    def ceiling(clip_seconds: float) -> float:
        asked.append(clip_seconds)
        return 0.5

    def endless(draft: dict, out: Path, *, on_progress, cancel, **kw: Any) -> Any:
        if draft["m"]["title"] != "endless":
            return _standins.render(draft, out, on_progress=on_progress, cancel=cancel, **kw)
        fraction = 0.0
        while not cancel.is_set():  # progress never stops, so the stall timeout never fires
            fraction = min(0.99, fraction + 0.001)
            on_progress(fraction)
            time.sleep(0.02)
        raise RuntimeError("cancelled")

    e = engine_factory(renderer=endless, workers=1, render_time_ceiling=ceiling)
    api = Api(e.url)
    sid = api.new_session()
    ref = _ref(api, sid)
    draft = _standins.draft_for([ref], seconds=4)
    draft["m"]["title"] = "endless"
    t0 = time.monotonic()
    api.render(draft, sid, job_id="endless")
    failed = api.wait_job("endless", timeout=20)
    took = time.monotonic() - t0
    assert failed["status"] == "failed" and 0 < failed["progress"] < 100
    assert failed["error"].startswith("The render was stopped after ")
    assert failed["error"].endswith(
        " seconds, far longer than a 4-second clip needs; export again, and if it stops "
        "again, try fewer or smaller pictures."
    )
    assert OVERTIME.split("{")[0] in failed["error"]
    assert asked == [4.0]  # the ceiling comes from the clip's length
    assert took < 5, f"the watchdog took {took:.1f} s"
    # the queue goes on with a fresh worker
    assert api.render(_standins.draft_for([ref], 0.2), sid, job_id="next").status_code == 200
    assert api.wait_job("next")["status"] == "completed"


def test_the_ceiling_grows_with_the_clip_and_stops_at_the_longest_export() -> None:
    short, longest = render_time_ceiling(3), render_time_ceiling(MAX_EXPORT_SECONDS)
    assert short < render_time_ceiling(30) < longest
    assert render_time_ceiling(10 * MAX_EXPORT_SECONDS) == longest  # an old, longer job
    # 1080x1920 renders at ~3.4 frames/s on two busy cores: a 6 s clip (180 frames, ~53 s)
    # finishes well within its ceiling, and a runaway one is stopped within the hour
    assert render_time_ceiling(6) > 2 * 180 / 3.4
    assert longest < 3600


def test_a_slideshow_of_many_photos_fits_an_export_and_every_photo_stays(engine_factory) -> None:
    from nemo_nb.engine.agent import interpret

    e = engine_factory(interpret=interpret)
    api = Api(e.url)
    sid = api.new_session()
    for batch in range(2):  # 25 photos: more than one upload takes
        photos = [
            (f"p{batch}-{i}.png", png_bytes(40 + i, 30)) for i in range(20 if batch == 0 else 5)
        ]
        assert api.upload(sid, *photos).status_code == 200
    api.chat(sid, "make a slideshow of these photos")
    draft = api.state(sid)["draft"]
    # at the agent's 3 s a photo this would be 75 s: each photo gets a shorter turn instead
    assert draft["d"] <= MAX_EXPORT_SECONDS * 1000 and len(draft["t"][0]["sg"]) == 25
    assert api.render(None, sid).status_code == 200


def test_a_draft_longer_than_an_export_is_refused_with_what_to_say(engine_factory) -> None:
    e = engine_factory()
    api = Api(e.url)
    sid = api.new_session()
    seconds = MAX_EXPORT_SECONDS + 15
    long = {
        "d": seconds * 1000,
        "m": {"aspect": "9:16", "fps": 30},
        "t": [{"id": "v1", "tt": 0, "sg": [
            {"id": "s1", "st": 0, "d": seconds * 1000, "src": "builtin:black", "m": {}}
        ]}],
    }  # fmt: skip
    r = api.render(long, sid)
    assert r.status_code == 400
    assert r.json()["error"] == (
        f"The draft is {seconds:g} seconds long; an export may be at most {MAX_EXPORT_SECONDS} "
        f"seconds: shorten it (say “make it {MAX_EXPORT_SECONDS} seconds”), then export again."
    )
