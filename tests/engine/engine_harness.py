"""Engine test helpers: a real engine (uvicorn on a loopback port, real SQLite in a temp data dir)
in a thread of the test process, and a thin httpx wrapper that speaks the contract.

A module of its own (not conftest) so test files import it by a name no other folder uses."""

from __future__ import annotations

import json
import socket
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from nemo_nb.engine._server import server_config
from nemo_nb.engine.app import Engine, EngineConfig, create_app

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))  # so that `_standins` imports here and in engine child processes

import _standins  # noqa: E402


@dataclass
class RunningEngine:
    url: str
    engine: Engine
    server: uvicorn.Server
    thread: threading.Thread

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)


def start_engine(data_dir: Path, **overrides: Any) -> RunningEngine:
    kwargs: dict[str, Any] = {"interpret": _standins.interpret, "renderer": _standins.render}
    kwargs.update(overrides)
    app = create_app(EngineConfig(data_dir=data_dir, **kwargs))
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(server_config(app, read_timeout=app.state.engine.config.read_timeout))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "engine did not start"
        time.sleep(0.01)
    return RunningEngine(f"http://127.0.0.1:{port}", app.state.engine, server, thread)


def wait_until(condition: Callable[[], object], what: str, timeout: float = 10.0) -> None:
    """Poll ``condition`` until it is true: tests wait for what they assert, never a fixed time."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"still not {what} after {timeout:g} s"
        time.sleep(0.02)


#: The attribution headers every call of our client carries (the engine refuses export without).
ATTRIBUTION = {
    "X-Skill-Source": "image-to-video-jiggle",
    "X-Skill-Version": "1.0.0",
    "X-Skill-Platform": "unknown",
}


class Api:
    """The contract's calls over real HTTP, returning raw responses (tests check envelopes)."""

    def __init__(self, url: str, client_id: str | None = None) -> None:
        self.url = url
        self.http = httpx.Client(base_url=url, timeout=30)
        r = self.http.post("/api/auth/anonymous-token",
                           headers={"X-Client-Id": client_id or str(uuid.uuid4())})  # fmt: skip
        r.raise_for_status()
        data = r.json()["data"]
        self.token, self.user_id = data["token"], data["user_id"]
        self.http.headers["Authorization"] = f"Bearer {self.token}"
        self.http.headers.update(ATTRIBUTION)

    def new_session(self) -> str:
        r = self.http.post("/api/tasks/me/with-session/nemo_agent",
                           json={"task_name": "project", "language": "en"})  # fmt: skip
        assert r.status_code == 200, r.text
        return r.json()["data"]["session_id"]

    def chat_raw(self, sid: str, text: str) -> httpx.Response:
        body = {"app_name": "nemo_agent", "user_id": "me", "session_id": sid,
                "new_message": {"parts": [{"text": text}]}}  # fmt: skip
        return self.http.post("/run_sse", json=body, headers={"Accept": "text/event-stream"})

    def chat(self, sid: str, text: str) -> list[dict[str, Any]]:
        r = self.chat_raw(sid, text)
        assert r.status_code == 200, r.text
        return sse_frames(r.text)

    def state(self, sid: str) -> dict[str, Any]:
        r = self.http.get(f"/api/state/nemo_agent/me/{sid}/latest")
        assert r.status_code == 200, r.text
        return r.json()["data"]["state"]

    def upload(self, sid: str, *files: tuple[str, bytes]) -> httpx.Response:
        return self.http.post(f"/api/upload-video/nemo_agent/me/{sid}",
                              files=[("files", (n, b)) for n, b in files])  # fmt: skip

    def render(
        self,
        draft: dict | None,
        sid: str | None = None,
        job_id: str | None = None,
        quality: str = "high",
    ):
        body: dict[str, Any] = {"id": job_id or f"render_{uuid.uuid4().hex}",
                                "output": {"format": "mp4", "quality": quality}}  # fmt: skip
        if draft is not None:
            body["draft"] = draft
        if sid is not None:
            body["sessionId"] = sid
        return self.http.post("/api/render/proxy/lambda", json=body)

    def job(self, job_id: str) -> dict[str, Any]:
        r = self.http.get(f"/api/render/proxy/lambda/{job_id}")
        assert r.status_code == 200, r.text
        return r.json()["data"]

    def wait_job(self, job_id: str, timeout: float = 60) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            data = self.job(job_id)
            if data["status"] in ("completed", "failed", "cancelled"):
                return data
            assert time.monotonic() < deadline, f"job stuck: {data}"
            time.sleep(0.05)


def sse_frames(body: str, *, partial: bool = False) -> list[dict[str, Any]]:
    """The JSON of every ``data:`` frame in an SSE body (comments and blank data skipped);
    ADK's ``partial`` text chunks only with ``partial=True`` (the final event repeats them)."""
    frames = []
    for block in body.split("\n\n"):
        data = [ln[5:].lstrip() for ln in block.split("\n") if ln.startswith("data:")]
        if data and "".join(data).strip():
            frames.append(json.loads("\n".join(data)))
    return frames if partial else [f for f in frames if not f.get("partial")]


def png_bytes(
    w: int = 40, h: int = 30, exif_orientation: int | None = None, fmt: str = "PNG"
) -> bytes:
    import io

    from PIL import Image

    im = Image.new("RGB", (w, h), (200, 50, 50))
    buf = io.BytesIO()
    if exif_orientation is not None:
        exif = Image.Exif()
        exif[0x0112] = exif_orientation
        im.save(buf, fmt, exif=exif)
    else:
        im.save(buf, fmt)
    return buf.getvalue()


def png_declaring(w: int, h: int, *, color_type: int = 2, bit_depth: int = 8) -> bytes:
    """A valid PNG of ``w`` x ``h`` black pixels built row by row (never held decoded here): a
    12000x12000 one is a few hundred KB that decodes to 432 MB."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[color_type]
    row = b"\x00" * (1 + (w * channels * bit_depth + 7) // 8)
    z = zlib.compressobj(9)
    idat = b"".join(z.compress(row) for _ in range(h)) + z.flush()
    ihdr = struct.pack(">IIBBBBB", w, h, bit_depth, color_type, 0, 0, 0)
    extra = chunk(b"PLTE", b"\x00\x00\x00") if color_type == 3 else b""
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + extra
        + chunk(b"IDAT", idat)
        + chunk(b"IEND", b"")
    )


def jpeg_declaring(w: int, h: int) -> bytes:
    """A small real JPEG whose frame header (SOF0) claims ``w`` x ``h``: what a header-only check
    sees, without the test building a huge picture."""
    data = bytearray(png_bytes(64, 48, fmt="JPEG"))
    i = data.index(b"\xff\xc0")
    data[i + 5 : i + 9] = h.to_bytes(2, "big") + w.to_bytes(2, "big")
    return bytes(data)
