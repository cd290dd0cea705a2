"""50 SIGKILL trials at random points of upload, chat and render, on one data dir: after each
restart every acknowledged upload, message and draft change is there, the database is intact,
no half-written file is left and no render job stays stuck."""

from __future__ import annotations

import json
import random
import re
import sqlite3
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest
from engine_harness import Api, png_bytes
from harness import TINY, EngineProcess

pytestmark = pytest.mark.slow  # 50 kill-and-restart trials

TRIALS = 50
SEED = 5050
_ORIGIN = re.compile(r"http://127\.0\.0\.1:\d+")
PROMPTS = ["make this photo jiggle", "make it {n} seconds", "faster", "square", "make it stronger",
           'add a title "Take {n}"', "make it bounce"]  # fmt: skip


def _norm(draft: Any) -> str:
    return _ORIGIN.sub("ORIGIN", json.dumps(draft, sort_keys=True))


class Acked:
    """What the engine acknowledged before it was killed."""

    def __init__(self) -> None:
        self.media: dict[str, str] = {}  # media id -> session
        self.messages: list[tuple[str, str]] = []  # (session, text)
        self.drafts: list[tuple[str, str]] = []  # (session, normalised draft)
        self.jobs: set[str] = set()


def _op(kind: str, api: Api, sid: str, n: int, acked: Acked, lock: threading.Lock) -> None:
    try:
        if kind == "upload":
            r = api.upload(sid, (f"p{n}.png", png_bytes(64 + n % 7, 48)))
            if r.status_code == 200:
                with lock:
                    for f in r.json()["data"]["files"]:
                        acked.media[f["media_id"]] = sid
        elif kind == "chat":
            text = PROMPTS[n % len(PROMPTS)].format(n=3 + n % 9) + f" ({n})"
            r = api.chat_raw(sid, text)
            if r.status_code == 200 and r.text.endswith("\n\n"):
                frames = [json.loads(b[5:]) for b in r.text.split("\n\n") if b.startswith("data:")]
                with lock:
                    acked.messages.append((sid, text))
                    for fr in frames:
                        draft = (fr.get("actions") or {}).get("stateDelta", {}).get("draft")
                        if draft:
                            acked.drafts.append((sid, _norm(draft)))
        else:
            r = api.render(None, sid, job_id=f"render_k{n}")
            if r.status_code == 200:
                with lock:
                    acked.jobs.add(f"render_k{n}")
    except (httpx.HTTPError, ValueError):
        pass  # killed mid-call: nothing acknowledged


def test_sigkill_trials(tmp_path: Path) -> None:
    rng = random.Random(SEED)
    data = tmp_path / "data"
    env = {"NEMO_NB_TINY_MS": "1000", "NEMO_NB_TINY_SLOW_MS": "10"}
    client_id = "kill-trials-0000-0000"
    acked, lock = Acked(), threading.Lock()
    kinds: Counter = Counter()
    starts: list[float] = []
    sid = None
    for trial in range(TRIALS):
        t0 = time.perf_counter()
        engine = EngineProcess(data, *TINY, env=env)
        starts.append(time.perf_counter() - t0)
        api = Api(engine.url, client_id=client_id)
        _check(api, data, acked)
        if sid is None:
            sid = api.new_session()
            _op("upload", api, sid, 0, acked, lock)
            _op("chat", api, sid, 0, acked, lock)
        kind = rng.choice(["upload", "chat", "chat", "render"])
        kinds[kind] += 1
        threads = [threading.Thread(target=_op, args=(kind, api, sid, trial + 1, acked, lock))]
        if rng.random() < 0.4:  # sometimes two things at once
            other = rng.choice(["upload", "chat", "render"])
            threads.append(threading.Thread(target=_op,
                                            args=(other, api, sid, 1000 + trial, acked, lock)))  # fmt: skip
        for t in threads:
            t.start()
        time.sleep(rng.uniform(0.0, 0.3))
        engine.kill()
        for t in threads:
            t.join(10)
    engine = EngineProcess(data, *TINY, env=env)
    try:
        api = Api(engine.url, client_id=client_id)
        stats = _check(api, data, acked, settle=True)
    finally:
        engine.stop()
    print(f"\n{TRIALS} SIGKILL trials ({dict(kinds)}); engine start median "
          f"{sorted(starts)[len(starts) // 2] * 1000:.0f} ms under load; survived: "
          f"{len(acked.media)} uploads, {len(acked.messages)} messages, {len(acked.drafts)} draft "
          f"changes, {len(acked.jobs)} render jobs ({stats})")  # fmt: skip


def _check(api: Api, data: Path, acked: Acked, settle: bool = False) -> dict[str, int]:
    db = sqlite3.connect(f"file:{data / 'engine.sqlite3'}?mode=ro", uri=True)
    try:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        media = {r[0] for r in db.execute("SELECT media_id FROM media")}
        missing = set(acked.media) - media
        assert not missing, f"acknowledged uploads lost: {missing}"
        for media_id, sid in acked.media.items():
            infos = api.state(sid)["video_infos"]
            info = next(i for i in infos if i["media_id"] == media_id)
            assert api.http.get(info["cdn_url"]).status_code == 200
        stored = Counter(
            (r[0], r[1])
            for r in db.execute("SELECT session_id, text FROM messages WHERE role='user'")
        )
        for m in acked.messages:
            assert stored[m] == 1, f"acknowledged message stored {stored[m]} times: {m}"
        drafts = {(r[0], _ORIGIN.sub("ORIGIN", json.dumps(json.loads(r[1]), sort_keys=True)))
                  for r in db.execute("SELECT session_id, draft FROM drafts") if r[1]}  # fmt: skip
        lost = [d for d in acked.drafts if d not in drafts]
        assert not lost, f"{len(lost)} acknowledged draft changes lost"
        jobs = {r[0]: r[1] for r in db.execute("SELECT id, status FROM jobs")}
        assert acked.jobs <= set(jobs), f"acknowledged jobs lost: {acked.jobs - set(jobs)}"
        # start-up removed what the kill left half-written: no part files, no unrecorded upload
        partial = [*data.glob("media/*/.part"), *data.glob("renders/.*.part.mp4")]
        assert not partial, f"partial files left after a restart: {partial}"
        unrecorded = {p.name for p in (data / "media").iterdir()} - media
        assert not unrecorded, f"uploads never recorded left on disk: {unrecorded}"
    finally:
        db.close()
    if not settle:
        return {}
    # No job stays stuck: whatever was pending or processing ends.
    deadline = time.monotonic() + 60
    while True:
        active = [j for j in jobs if api.job(j)["status"] in ("pending", "processing")]
        if not active:
            break
        assert time.monotonic() < deadline, f"jobs stuck: {active}"
        time.sleep(0.05)
    statuses = Counter(api.job(j)["status"] for j in jobs)
    return dict(statuses)
