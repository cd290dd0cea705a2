"""A full disk, for real: the engine's data dir on a small tmpfs, filled up. Every route (token,
session, upload, chat, export) answers one sentence, "The engine's disk is full: free space in
<data dir>, then try again.", the partial file is removed, nothing acknowledged is lost, and once
there is space again everything works. A render that fills the disk fails with the same sentence
(not an errno and the path of its partial file).

Mounting needs root; elsewhere these tests are skipped."""

from __future__ import annotations

import contextlib
import io
import json
import os
import sqlite3
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest
from engine_harness import Api, png_bytes, sse_frames
from harness import TINY, EngineProcess
from PIL import Image

from nemo_nb.engine.store import DISK_FULL


@contextlib.contextmanager
def _tmpfs(where: Path, size: str) -> Iterator[Path]:
    where.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(where)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield where
    finally:
        if subprocess.run(["umount", str(where)], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", str(where)], check=False)


def _fill(disk: Path) -> Path:
    """Write a file until the disk refuses more."""
    filler = disk / "filler"
    with filler.open("wb", buffering=0) as fh, contextlib.suppress(OSError):
        while True:  # unbuffered: nothing is left to flush when the disk says no
            fh.write(b"\0" * 65536)
    return filler


def _db_rows(data: Path, sql: str) -> list[tuple]:
    db = sqlite3.connect(f"file:{data / 'engine.sqlite3'}?mode=ro", uri=True)
    try:
        return db.execute(sql).fetchall()
    finally:
        db.close()


def test_a_full_disk_is_one_sentence_on_every_route_and_loses_nothing(tmp_path: Path) -> None:
    with _tmpfs(tmp_path / "disk", "24m") as disk:
        data = disk / "data"
        full = DISK_FULL.format(where=data)
        client_id = str(uuid.uuid4())
        engine = EngineProcess(data, *TINY)
        try:
            api = Api(engine.url, client_id=client_id)
            sid = api.new_session()
            assert api.upload(sid, ("p.png", png_bytes(64, 48))).status_code == 200
            api.chat(sid, "make this photo jiggle")
            assert api.render(None, sid, job_id="before").status_code == 200
            video = api.http.get(api.wait_job("before")["outputUrl"]).content
            state_before = api.state(sid)
            messages_before = _db_rows(data, "SELECT role, text FROM messages")
            media_before = sorted(p.name for p in (data / "media").iterdir())

            filler = _fill(disk)
            r = httpx.post(
                f"{engine.url}/api/auth/anonymous-token", headers={"X-Client-Id": "someone-new"}
            )
            assert (r.status_code, r.json()["message"]) == (507, full)
            r = api.http.post("/api/tasks/me/with-session/nemo_agent", json={})
            assert (r.status_code, r.json()["message"]) == (507, full)
            r = api.upload(sid, ("big.png", png_bytes(64, 48) + bytes(2_000_000)))
            assert (r.status_code, r.json()["message"]) == (507, full)
            assert sorted(p.name for p in (data / "media").iterdir()) == media_before  # no part
            r = api.chat_raw(sid, "make it bounce")
            assert sse_frames(r.text) == [{"error": full}]
            r = api.render(None, sid, job_id="during")
            assert (r.status_code, r.json()["error"]) == (507, full)

            filler.unlink()
            assert _db_rows(data, "PRAGMA integrity_check") == [("ok",)]
            assert _db_rows(data, "SELECT role, text FROM messages") == messages_before
            assert api.state(sid) == state_before
            assert api.http.get(api.job("before")["outputUrl"]).content == video
            assert api.http.get("/api/render/proxy/lambda/during").status_code == 404
            # with space again, every route works
            Api(engine.url, client_id="someone-new")
            assert api.upload(sid, ("q.png", png_bytes(64, 48))).status_code == 200
            assert any(f.get("content") for f in api.chat(sid, "make it bounce"))
            assert api.render(None, sid, job_id="after").status_code == 200
            assert api.wait_job("after")["status"] == "completed"
        finally:
            engine.stop()


def test_a_render_that_fills_the_disk_fails_with_the_sentence(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with _tmpfs(data / "renders", "64k"):  # room for the database, none for the video
        engine = EngineProcess(data)  # the real renderer
        try:
            api = Api(engine.url)
            sid = api.new_session()
            noise = np.random.default_rng(0).integers(0, 256, (480, 270, 3), dtype=np.uint8)
            buf = io.BytesIO()
            Image.fromarray(noise).save(buf, "PNG")
            src = api.upload(sid, ("noise.png", buf.getvalue())).json()["data"]["files"][0]
            draft = {"d": 2000, "m": {"width": 270, "height": 480, "fps": 30},
                     "t": [{"id": "v", "tt": 0, "sg": [{"id": "s", "st": 0, "d": 2000,
                            "src": src["cdn_url"], "m": {"fx": {"type": "jiggle"}}}]}]}  # fmt: skip
            assert api.render(draft, sid, job_id="too-big").status_code == 200
            job = api.wait_job("too-big", timeout=120)
            assert job["status"] == "failed"
            assert job["error"] == DISK_FULL.format(where=data), json.dumps(job)
            assert not list((data / "renders").iterdir())  # the partial file is gone
        finally:
            engine.stop()
