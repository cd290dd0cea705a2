"""A fault-injecting HTTP front for the engine: a small HTTP/1.1 proxy on 127.0.0.1 that forwards
every request to the real engine and, when told to, breaks the answer the way networks and
servers break: a status instead of the answer, a connection closed before or in the middle of the
body, a truncated or malformed body, a stream of heartbeats only, a slow server.

Raw sockets (asyncio streams), not an ASGI app: only a socket can drop a connection mid-body,
which is what a client must survive. Each response is sent chunked (streams) or with its length
(JSON), and ``Connection: close``; a cut is then visible to the client as a cut.
"""

from __future__ import annotations

import asyncio
import json
import random
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx

#: Fault kinds and what they do to the one request they hit.
FAULTS = {
    "none": "forwarded untouched",
    "429_retry_after": "answered 429 with Retry-After: 1 (not forwarded)",
    "429_no_retry_after": "answered 429 without Retry-After (not forwarded)",
    "429_twice": "answered 429 twice in a row (not forwarded)",
    "503": "answered 503 (not forwarded)",
    "auth_1001": "answered 401 with code 1001: the token expired (not forwarded)",
    "session_1002": "answered 404 with code 1002: the session is gone (not forwarded)",
    "drop_before": "connection closed before any answer, request not forwarded",
    "drop_after_forward": "forwarded (the engine did it), then closed without an answer",
    "drop_mid_body": "forwarded, half the body sent, then the connection closed",
    "truncated_json": "a 2xx whose JSON body is cut in half (a complete HTTP message)",
    "malformed_json": "a 2xx whose body is not JSON at all",
    "malformed_sse": "a chat stream with one frame replaced by broken JSON",
    "heartbeat_then_answer": "a chat stream of heartbeats only for a while, then the answer",
    "heartbeat_then_drop": "a chat stream of heartbeats only, then the connection closed",
    "slow": "the answer delayed by 0.3-0.8 s and sent in small pieces",
    "render_failed": "a render status poll rewritten to status failed",
}

#: Which requests a fault can hit (a label per route the client uses).
ROUTES = ("token", "session", "upload", "chat", "state", "credits", "render", "status", "download")


def route_of(method: str, path: str) -> str:
    if path.startswith("/api/auth/anonymous-token"):
        return "token"
    if "/with-session/" in path:
        return "session"
    if path.startswith("/api/upload-video/"):
        return "upload"
    if path.startswith("/run_sse"):
        return "chat"
    if path.startswith("/api/state/"):
        return "state"
    if path.startswith("/api/credits/"):
        return "credits"
    if path == "/api/render/proxy/lambda" and method == "POST":
        return "render"
    if path.startswith("/api/render/proxy/lambda/"):
        return "status"
    if path.endswith("/download"):
        return "download"
    return "other"


@dataclass
class Plan:
    """One fault: ``kind`` on the ``nth`` (1-based) request to ``route``."""

    kind: str = "none"
    route: str = "chat"
    nth: int = 1
    seen: Counter = field(default_factory=Counter)
    fired: int = 0

    def hit(self, route: str) -> bool:
        self.seen[route] += 1
        if self.kind == "none" or route != self.route:
            return False
        if self.kind == "429_twice":
            due = self.seen[route] in (self.nth, self.nth + 1)
        else:
            due = self.seen[route] == self.nth
        if due:
            self.fired += 1
        return due


_STATUS = {
    "429_retry_after": (429, {"Retry-After": "1"}, {"code": 429, "message": "Too many requests."}),
    "429_no_retry_after": (429, {}, {"code": 429, "message": "Too many requests."}),
    "429_twice": (429, {}, {"code": 429, "message": "Too many requests."}),
    "503": (503, {}, {"code": 503, "message": "Service unavailable."}),
    "auth_1001": (401, {}, {"code": 1001, "message": "Token expired.", "data": None}),
    "session_1002": (404, {}, {"code": 1002, "message": "Session not found.", "data": None}),
}
# Hop-by-hop headers; Host is kept, as reverse proxies do, so the engine's URLs name the proxy.
_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "te"}


class FaultProxy:
    """The proxy, serving on its own thread and event loop. Set :attr:`plan` between
    conversations; :attr:`rng` (seeded) decides cut points."""

    def __init__(self, upstream: str, seed: int = 0) -> None:
        self.upstream = upstream.rstrip("/")
        self.plan = Plan()
        self.rng = random.Random(seed)
        self.requests = 0
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="fault-proxy")
        self._thread.start()
        self._ready.wait(10)

    # --- lifecycle ---------------------------------------------------------------------------

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self._start())
        self._ready.set()
        self._loop.run_forever()

    async def _start(self) -> None:
        self._http = httpx.AsyncClient(timeout=60, trust_env=False)
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"

    def close(self) -> None:
        async def stop() -> None:
            self._server.close()
            await self._http.aclose()

        asyncio.run_coroutine_threadsafe(stop(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    # --- one connection ----------------------------------------------------------------------

    async def _read_request(self, reader: asyncio.StreamReader) -> tuple[str, str, list, bytes]:
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        method, target, _ = lines[0].split(" ", 2)
        headers = [tuple(x.split(":", 1)) for x in lines[1:] if ":" in x]
        headers = [(k.strip(), v.strip()) for k, v in headers]
        lower = {k.lower(): v for k, v in headers}
        if lower.get("transfer-encoding", "").lower() == "chunked":
            body = b""
            while True:
                size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
                if size == 0:
                    await reader.readuntil(b"\r\n")
                    break
                body += await reader.readexactly(size)
                await reader.readexactly(2)
        else:
            body = await reader.readexactly(int(lower.get("content-length", "0")))
        return method, target, headers, body

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            method, target, headers, body = await self._read_request(reader)
        except (asyncio.IncompleteReadError, ValueError, ConnectionError):
            writer.close()
            return
        self.requests += 1
        route = route_of(method, target.split("?", 1)[0])
        kind = self.plan.kind if self.plan.hit(route) else "none"
        try:
            await self._answer(kind, method, target, headers, body, writer)
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    async def _answer(
        self, kind: str, method: str, target: str, headers: list, body: bytes, writer: Any
    ) -> None:
        if kind in _STATUS:
            status, extra, payload = _STATUS[kind]
            await self._send_whole(writer, status, extra, json.dumps(payload).encode())
            return
        if kind == "drop_before":
            return
        fwd = [(k, v) for k, v in headers if k.lower() not in _HOP]
        request = self._http.build_request(method, self.upstream + target, headers=fwd,
                                           content=body)  # fmt: skip
        resp = await self._http.send(request, stream=True)
        try:
            ctype = resp.headers.get("content-type", "")
            keep = {k: v for k, v in resp.headers.items() if k.lower() not in _HOP}
            if "text/event-stream" in ctype:
                await self._stream(kind, resp, keep, writer)
                return
            data = await resp.aread()
            if kind == "drop_after_forward":
                return
            if kind == "render_failed" and resp.status_code == 200:
                obj = json.loads(data)
                obj["data"].update(status="failed", error="Injected: the render farm fell over.")
                obj["data"].pop("outputUrl", None)
                data = json.dumps(obj).encode()
            if kind == "truncated_json" and "json" in ctype:
                data = data[: max(1, len(data) // 2)]
            if kind == "malformed_json" and "json" in ctype:
                data = b"<html><body>502 Bad Gateway</body></html>"
            if kind == "drop_mid_body":
                cut = self.rng.randint(1, max(1, len(data) - 1))
                await self._send_head(
                    writer, resp.status_code, {**keep, "Content-Length": str(len(data))}
                )
                writer.write(data[:cut])
                await writer.drain()
                return
            if kind == "slow":
                await asyncio.sleep(self.rng.uniform(0.3, 0.8))
            await self._send_whole(writer, resp.status_code, keep, data, slow=kind == "slow")
        finally:
            await resp.aclose()

    async def _stream(self, kind: str, resp: httpx.Response, keep: dict, writer: Any) -> None:
        if kind == "drop_after_forward":
            async for _ in resp.aiter_raw():
                pass  # the turn runs to its end in the engine; the client hears nothing
            return
        await self._send_head(writer, resp.status_code, {**keep, "Transfer-Encoding": "chunked"})

        async def chunk(data: bytes) -> None:
            writer.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
            await writer.drain()

        if kind in ("heartbeat_then_answer", "heartbeat_then_drop"):
            for _ in range(self.rng.randint(3, 8)):
                await chunk(b": ping\n\n")
                await asyncio.sleep(0.05)
            if kind == "heartbeat_then_drop":
                return
        frames = (await resp.aread()).split(b"\n\n")
        frames = [f + b"\n\n" for f in frames if f.strip()]
        if kind == "drop_mid_body" and frames:
            cut = self.rng.randint(0, len(frames))
            for f in frames[:cut]:
                await chunk(f)
            if cut < len(frames):
                await chunk(frames[cut][: len(frames[cut]) // 2])  # half a frame, then nothing
            return
        if kind == "malformed_sse" and frames:
            i = self.rng.randrange(len(frames))
            frames[i] = b'data: {"content": {"parts": [{"text": "broken\n\n'
        if kind == "truncated_json" and frames:
            frames = frames[: self.rng.randint(0, len(frames) - 1)]  # a cut the client can see
            for f in frames:
                await chunk(f)
            if frames:
                await chunk(b'data: {"content": {"par')
            return
        for f in frames:
            if kind == "slow":
                await asyncio.sleep(self.rng.uniform(0.05, 0.2))
            await chunk(f)
        writer.write(b"0\r\n\r\n")
        await writer.drain()

    async def _send_head(self, writer: Any, status: int, headers: dict) -> None:
        reason = {200: "OK", 401: "Unauthorized", 404: "Not Found", 429: "Too Many Requests",
                  503: "Service Unavailable"}.get(status, "Status")  # fmt: skip
        lines = [f"HTTP/1.1 {status} {reason}", *[f"{k}: {v}" for k, v in headers.items()]]
        lines.append("Connection: close")
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        await writer.drain()

    async def _send_whole(
        self, writer: Any, status: int, headers: dict, data: bytes, *, slow: bool = False
    ) -> None:
        if "Content-Type" not in headers and "content-type" not in headers:
            headers = {**headers, "Content-Type": "application/json"}
        await self._send_head(writer, status, {**headers, "Content-Length": str(len(data))})
        step = max(1, len(data) // 4) if slow else len(data) or 1
        for i in range(0, len(data), step):
            writer.write(data[i : i + step])
            await writer.drain()
            if slow:
                await asyncio.sleep(0.02)
