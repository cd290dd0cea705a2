"""kill -9 mid-upload and mid-render, then restart: the half-written files are gone, what was
acknowledged is kept, and the interrupted render says so. Start-up removes exactly what no
record owns."""

from __future__ import annotations

import contextlib
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import httpx
from engine_harness import Api, png_bytes
from harness import TINY, EngineProcess

from nemo_nb.engine.store import INTERRUPTED


def _wait_for(what: str, find: Callable[[], Iterable[Path]], timeout: float = 60) -> Path:
    deadline = time.monotonic() + timeout
    while True:
        found = [p for p in find() if p.exists() and p.stat().st_size > 0]
        if found:
            return found[0]
        assert time.monotonic() < deadline, f"never saw {what}"
        time.sleep(0.01)


def _slow_multipart(boundary: str, size: int, stop: threading.Event) -> Iterator[bytes]:
    """A multipart upload body sent 64 KB every 20 ms, so the engine is caught mid-write."""
    yield (
        f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="big.png"\r\n'
        "Content-Type: image/png\r\n\r\n"
    ).encode() + png_bytes(64, 48)
    sent = 0
    while sent < size and not stop.is_set():
        yield b"\0" * 65536
        sent += 65536
        time.sleep(0.02)
    yield f"\r\n--{boundary}--\r\n".encode()


def test_kill_mid_upload_leaves_no_partial_file(tmp_path: Path) -> None:
    data = tmp_path / "data"
    client_id = str(uuid.uuid4())
    engine = EngineProcess(data, *TINY)
    api = Api(engine.url, client_id=client_id)
    sid = api.new_session()
    kept = api.upload(sid, ("kept.png", png_bytes(64, 48))).json()["data"]["files"][0]
    stop, boundary = threading.Event(), uuid.uuid4().hex

    def send() -> None:
        with contextlib.suppress(httpx.HTTPError):  # killed mid-body: nothing acknowledged
            api.http.post(
                f"/api/upload-video/nemo_agent/me/{sid}",
                content=_slow_multipart(boundary, 50 * 1024 * 1024, stop),
                headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
            )

    sender = threading.Thread(target=send)
    sender.start()
    part = _wait_for("the upload's .part file", lambda: data.glob("media/*/.part"))
    engine.kill()
    stop.set()
    sender.join(10)
    assert part.exists()  # the crash left it behind ...
    engine = EngineProcess(data, *TINY)
    try:
        assert not part.parent.exists()  # ... and start-up removed it with its folder
        assert [p.name for p in (data / "media").iterdir()] == [kept["media_id"]]
        api = Api(engine.url, client_id=client_id)
        infos = api.state(sid)["video_infos"]
        assert [v["media_id"] for v in infos] == [kept["media_id"]]
        assert api.http.get(infos[0]["cdn_url"]).content == png_bytes(64, 48)
        assert api.upload(sid, ("after.png", png_bytes(64, 48))).status_code == 200
    finally:
        engine.stop()


def test_kill_mid_render_leaves_no_partial_file(tmp_path: Path) -> None:
    data = tmp_path / "data"
    client_id = str(uuid.uuid4())
    engine = EngineProcess(data)  # the real renderer, which writes to a hidden .part.mp4
    api = Api(engine.url, client_id=client_id)
    sid = api.new_session()
    src = api.upload(sid, ("p.png", png_bytes(270, 480))).json()["data"]["files"][0]["cdn_url"]
    short = {"d": 300, "m": {"width": 64, "height": 112, "fps": 30},
             "t": [{"id": "v", "tt": 0, "sg": [{"id": "s", "st": 0, "d": 300, "src": src}]}]}  # fmt: skip
    assert api.render(short, sid, job_id="done").status_code == 200
    assert api.wait_job("done", 120)["status"] == "completed"
    long = {**short, "d": 60_000, "m": {"width": 270, "height": 480, "fps": 30},
            "t": [{**short["t"][0], "sg": [{**short["t"][0]["sg"][0], "d": 60_000}]}]}  # fmt: skip
    assert api.render(long, sid, job_id="long").status_code == 200
    part = _wait_for("the render's .part.mp4", lambda: data.glob("renders/.*.part.mp4"), 120)
    engine.kill()
    assert part.exists()
    engine = EngineProcess(data)
    try:
        names = [p.name for p in (data / "renders").iterdir()]
        assert names == [f"{api.user_id}.done.mp4"]  # the finished one stays, the partial went
        api = Api(engine.url, client_id=client_id)
        job = api.job("long")
        assert job["status"] == "failed" and job["error"] == INTERRUPTED
        done = api.job("done")
        assert api.http.get(done["outputUrl"]).status_code == 200
    finally:
        engine.stop()


def test_start_up_removes_what_no_record_owns_and_keeps_the_rest(tmp_path: Path) -> None:
    data = tmp_path / "data"
    client_id = str(uuid.uuid4())
    engine = EngineProcess(data, *TINY)
    api = Api(engine.url, client_id=client_id)
    sid = api.new_session()
    kept = api.upload(sid, ("kept.png", png_bytes(64, 48))).json()["data"]["files"][0]
    api.chat(sid, "make this photo jiggle")
    assert api.render(None, sid, job_id="kept").status_code == 200
    assert api.wait_job("kept")["status"] == "completed"
    engine.kill()
    media, renders = data / "media", data / "renders"
    strays = [
        media / "mnever0recorded0000" / ".part",  # an upload being received
        media / "mnever1recorded0000" / "photo.png",  # received, probed, never recorded
        media / kept["media_id"] / ".part",  # a stray part beside a recorded file
        renders / f".{api.user_id}.kept2.0a1b2c3d.part.mp4",  # the renderer's partial
        renders / f"{api.user_id}.never.mp4",  # finished but never recorded
    ]
    for stray in strays:
        stray.parent.mkdir(parents=True, exist_ok=True)
        stray.write_bytes(b"x" * 1000)
    engine = EngineProcess(data, *TINY)
    try:
        assert not [s for s in strays if s.exists()]
        assert not (media / "mnever0recorded0000").exists()
        assert sorted(p.name for p in media.iterdir()) == [kept["media_id"]]
        assert [p.name for p in (media / kept["media_id"]).iterdir()] == ["kept.png"]
        assert [p.name for p in renders.iterdir()] == [f"{api.user_id}.kept.mp4"]
        assert "removed 5 partial files" in engine.output()
    finally:
        engine.stop()
