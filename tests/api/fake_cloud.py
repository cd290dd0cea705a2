"""A fault-injecting fake of the NemoVideo cloud, served over real loopback HTTP.

``FakeCloud`` is a Starlette app implementing docs/contract.md; ``ServerThread`` serves any ASGI
app with uvicorn on 127.0.0.1 (port 0, then the bound port is read back) in a daemon thread.
A second ``ServerThread`` plays the CDN: another origin, which records whether a request carried
an Authorization header. Tests script the chat stream and inject faults per request.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import Route

from nemo_nb._mediatype import CLOUD_TYPES, MAX_UPLOAD_BYTES, sniff

#: Tokens tests hand to clients themselves ("own token" cases); checked for leaks too.
OWN_TOKENS = ["nmv_usr_OwnTokenForTests-do-not-leak-0123456789", "engine-token-never-printed-42"]

# -- chat script items ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Raw:
    """Bytes written to the stream exactly as given (comments, CRLF, half lines...)."""

    text: str


@dataclass(frozen=True)
class Pause:
    """Sleep between writes, so the next item arrives in its own TCP chunk."""

    seconds: float = 0.02


@dataclass(frozen=True)
class Cut:
    """Abort the connection mid-body (no terminating chunk)."""


class _CutConnection(Exception):
    pass


def adk(
    parts: list[dict[str, Any]], *, role: str = "model", author: str = "nemo_agent", **extra: Any
):
    """An ADK Event frame in camelCase, as ADK's /run_sse writes it."""
    frame: dict[str, Any] = {
        "content": {"parts": parts, "role": role},
        "invocationId": "e-test",
        "author": author,
        "actions": {"stateDelta": extra.pop("state_delta", {}), "artifactDelta": {}},
        "id": uuid.uuid4().hex[:8],
        "timestamp": time.time(),
    }
    frame.update(extra)
    return frame


def sample_draft(src: str, name: str = "photo.jpg") -> dict[str, Any]:
    """The engine's draft schema (docs/contract.md §5) with one jiggling photo."""
    return {
        "d": 3000,
        "m": {"title": "Jiggle", "width": 1080, "height": 1920, "fps": 30, "aspect": "9:16"},
        "t": [
            {
                "id": "v1",
                "tt": 0,
                "n": "Video",
                "sg": [
                    {
                        "id": "s1",
                        "st": 0,
                        "d": 3000,
                        "src": src,
                        "n": name,
                        "m": {
                            "fx": {"type": "jiggle", "strength": 0.6, "speed": 1.0, "loop": True}
                        },
                    }
                ],
            }
        ],
    }


# -- recording and faults ------------------------------------------------------------------------


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]

    @property
    def authorization(self) -> str | None:
        return self.headers.get("authorization")


@dataclass
class Fault:
    method: str
    path: str  # prefix
    status: int = 200
    code: int | None = None
    message: str = "injected fault"
    times: int = 1
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None  # replaces the JSON body when given (dict) or raw text (str)
    media_type: str = "text/plain"  # of a raw text body (e.g. a truncated application/json)


class _Recorder:
    """Pure ASGI middleware: records every request's method, path and headers."""

    def __init__(self, app: Any, log: list[Recorded]) -> None:
        self.app, self.log = app, log

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
            self.log.append(Recorded(scope["method"], scope["path"], headers))
        await self.app(scope, receive, send)


# -- the fake cloud ------------------------------------------------------------------------------


class FakeCloud:
    """The contract's endpoints with per-test scripting. Call :meth:`reset` between tests."""

    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self.api_base = ""  # set once served
        self.cdn: Cdn | None = None
        self.mp4 = b""
        self.reset()
        routes = [
            Route("/api/auth/anonymous-token", self.anonymous_token, methods=["POST"]),
            Route("/api/tasks/me/with-session/nemo_agent", self.create_session, methods=["POST"]),
            Route("/run_sse", self.run_sse, methods=["POST"]),
            Route("/api/upload-video/nemo_agent/{user}/{sid}", self.upload, methods=["POST"]),
            Route("/api/credits/balance/simple", self.credits, methods=["GET"]),
            Route("/api/state/nemo_agent/{user}/{sid}/latest", self.state, methods=["GET"]),
            Route("/api/render/proxy/lambda", self.render_submit, methods=["POST"]),
            Route("/api/render/proxy/lambda/{rid}", self.render_poll, methods=["GET"]),
            Route("/api/render/proxy/lambda/{rid}/cancel", self.render_cancel, methods=["POST"]),
            Route("/api/render/proxy/{rid}/download", self.render_download, methods=["GET"]),
        ]
        self.app = _Recorder(Starlette(routes=routes), self.requests)

    def reset(self) -> None:
        self.requests.clear()
        self.tokens: dict[str, str] = {}  # token -> user id
        self.issued: list[str] = []  # every token handed out this test (for the leak check)
        self.sessions: dict[str, dict[str, Any]] = {}
        self.faults: list[Fault] = []
        self.chat_script: list[Any] | None = None
        self.chat_bodies: list[dict[str, Any]] = []
        self.anon_client_ids: list[str | None] = []
        self.uploads: list[dict[str, Any]] = []
        self.upload_variant = "files"  # or "uploaded_files" (the clone variant with `url`)
        self.credit_balance = {"available": 100, "frozen": 0, "total": 100}
        self.renders: dict[str, dict[str, Any]] = {}
        self.render_submits: list[dict[str, Any]] = []
        self.render_shape = "A"
        self.render_polls_to_finish = 3
        self.render_fails_with: str | None = None
        self.duplicate_style = "409"  # or "success_false"
        self.output_on_cdn = True
        self.download_redirects_to_cdn = False

    # helpers for tests
    def fault(self, method: str, path: str, **kw: Any) -> Fault:
        f = Fault(method, path, **kw)
        self.faults.append(f)
        return f

    def count(self, method: str, path_prefix: str) -> int:
        return sum(
            1 for r in self.requests if r.method == method and r.path.startswith(path_prefix)
        )

    def calls(self, method: str, path_prefix: str) -> list[Recorded]:
        return [r for r in self.requests if r.method == method and r.path.startswith(path_prefix)]

    def expire_tokens(self) -> None:
        self.tokens.clear()

    def _take_fault(self, request: Request) -> Response | None:
        for f in self.faults:
            if f.times > 0 and f.method == request.method and request.url.path.startswith(f.path):
                f.times -= 1
                if isinstance(f.body, str):
                    return Response(f.body, f.status, headers=f.headers, media_type=f.media_type)
                body = f.body if f.body is not None else {"code": f.code, "message": f.message}
                if f.code is None and f.body is None:
                    body = {"message": f.message}
                return JSONResponse(body, f.status, headers=f.headers)
        return None

    def _user(self, request: Request) -> str | None:
        auth = request.headers.get("authorization", "")
        if not auth.startswith("Bearer "):
            return None
        return self.tokens.get(auth[7:])

    def _guard(self, request: Request) -> tuple[Response | None, str | None]:
        fault = self._take_fault(request)
        if fault is not None:
            return fault, None
        user = self._user(request)
        if user is None:
            return JSONResponse({"code": 1001, "message": "Token invalid or expired"}, 401), None
        return None, user

    @staticmethod
    def ok(data: Any) -> JSONResponse:
        return JSONResponse({"code": 0, "message": "success", "data": data})

    # endpoints
    async def anonymous_token(self, request: Request) -> Response:
        fault = self._take_fault(request)
        if fault is not None:
            return fault
        client_id = request.headers.get("x-client-id")
        self.anon_client_ids.append(client_id)
        if not client_id:
            return JSONResponse({"code": 400, "message": "X-Client-Id header required"}, 400)
        token = "nmv_usr_" + secrets.token_urlsafe(30)
        user = "anon_" + hashlib.sha256(client_id.encode()).hexdigest()[:16]
        self.tokens[token] = user
        self.issued.append(token)
        return self.ok(
            {"token": token, "user_id": user, "expires_at": "2099-01-01T00:00:00Z", "credits": 100}
        )

    async def create_session(self, request: Request) -> Response:
        denied, user = self._guard(request)
        if denied:
            return denied
        body = await request.json()
        sid = str(5529798706024415232 + len(self.sessions))
        self.sessions[sid] = {
            "task_id": f"task_{uuid.uuid4().hex[:8]}",
            "user": user,
            "language": body.get("language"),
            "task_name": body.get("task_name"),
            "state": {
                "draft": {},
                "video_infos": [],
                "canvas_config": {"width": 1080, "height": 1920, "aspect": "9:16"},
                "generated_media": [],
                "video_analyses": {},
            },
        }
        return self.ok(
            {"task_id": self.sessions[sid]["task_id"], "session_id": sid, "user_id": user}
        )

    async def run_sse(self, request: Request) -> Response:
        denied, _user = self._guard(request)
        if denied:
            return denied
        body = await request.json()
        self.chat_bodies.append(body)
        session = self.sessions.get(str(body.get("session_id")))
        if session is None:
            return JSONResponse({"detail": "Session not found"}, 404)
        script = self.chat_script if self.chat_script is not None else self._default_turn(session)

        async def stream():
            for item in script:
                if isinstance(item, Pause):
                    await asyncio.sleep(item.seconds)
                elif isinstance(item, Cut):
                    raise _CutConnection("cut by the test")
                elif isinstance(item, Raw):
                    yield item.text.encode()
                else:
                    delta = (
                        (item.get("actions") or {}).get("stateDelta")
                        if isinstance(item, dict)
                        else None
                    )
                    if delta:
                        session["state"].update(delta)
                    yield f"data: {json.dumps(item)}\n\n".encode()

        return StreamingResponse(stream(), media_type="text/event-stream")

    def _default_turn(self, session: dict[str, Any]) -> list[Any]:
        """What the engine does for "make this photo jiggle": a call, its result, a reply."""
        infos = session["state"]["video_infos"]
        src = infos[-1]["cdn_url"] if infos else f"{self.api_base}/media/none.jpg"
        draft = sample_draft(src, infos[-1]["filename"] if infos else "photo.jpg")
        return [
            adk(
                [
                    {
                        "functionCall": {
                            "id": "c1",
                            "name": "apply_motion",
                            "args": {"effect": "jiggle"},
                        }
                    }
                ]
            ),
            adk(
                [
                    {
                        "functionResponse": {
                            "id": "c1",
                            "name": "apply_motion",
                            "response": {"status": "ok"},
                        }
                    }
                ],
                role="user",
                state_delta={"draft": draft},
            ),
            adk([{"text": "Done! Preview it in the Timeline, then click Export."}]),
        ]

    async def upload(self, request: Request) -> Response:
        denied, _user = self._guard(request)
        if denied:
            return denied
        session = self.sessions.get(request.path_params["sid"])
        if session is None:
            return JSONResponse({"code": 1002, "message": "Session not found"})
        files: list[dict[str, Any]] = []
        if request.headers.get("content-type", "").startswith("application/json"):
            body = await request.json()
            assert body.get("source_type") == "url", body
            for url in body["urls"]:
                files.append(
                    {
                        "filename": url.rsplit("/", 1)[-1],
                        "file_type": "video",
                        "cdn_url": url,
                        "duration": 4.0,
                        "width": 1920,
                        "height": 1080,
                        "fps": 30,
                        "hash": "h",
                    }
                )
                self.uploads.append({"url": url})
        else:
            form = await request.form()
            for item in form.getlist("files"):
                data = await item.read()
                media = sniff(data[:64])
                if media is None or media.ext not in CLOUD_TYPES:
                    return JSONResponse({"code": 4001, "message": "Unsupported file type"})
                if len(data) > MAX_UPLOAD_BYTES:
                    return JSONResponse({"code": 4002, "message": "File too large"})
                self.uploads.append(
                    {
                        "filename": item.filename,
                        "content_type": item.content_type,
                        "size": len(data),
                        "kind": media.ext,
                        "data": data,
                    }
                )
                files.append(
                    {
                        "filename": item.filename,
                        "file_type": media.kind,
                        "cdn_url": f"{self.cdn.base if self.cdn else ''}/media/{item.filename}",
                        "duration": 0,
                        "width": 64,
                        "height": 64,
                        "fps": 0,
                        "hash": hashlib.md5(data).hexdigest(),
                    }
                )
        session["state"]["video_infos"].extend(files)
        if self.upload_variant == "uploaded_files":
            return self.ok(
                {
                    "uploaded_files": [
                        {"url": f["cdn_url"], "filename": f["filename"]} for f in files
                    ]
                }
            )
        return self.ok({"files": files, "session_state_applied": True})

    async def credits(self, request: Request) -> Response:
        denied, _user = self._guard(request)
        if denied:
            return denied
        return self.ok(self.credit_balance)

    async def state(self, request: Request) -> Response:
        denied, _user = self._guard(request)
        if denied:
            return denied
        sid = request.path_params["sid"]
        session = self.sessions.get(sid)
        if session is None:
            return JSONResponse({"code": 1002, "message": "Session not found"})
        return self.ok(
            {"session_id": sid, "task_id": session["task_id"], "state": session["state"]}
        )

    async def render_submit(self, request: Request) -> Response:
        denied, _user = self._guard(request)
        if denied:
            return denied
        body = await request.json()
        self.render_submits.append(body)
        rid = body.get("id")
        if rid in self.renders:
            if self.duplicate_style == "409":
                return JSONResponse({"success": False, "error": "Render id already exists"}, 409)
            return JSONResponse({"success": False, "error": "duplicate render id"})
        if not body.get("draft", {}).get("t"):
            return JSONResponse({"success": False, "error": "invalid draft"}, 400)
        self.renders[rid] = {
            "polls": 0,
            "session": body.get("sessionId"),
            "cancelled": False,
            "created": int(time.time() * 1000),
        }
        return JSONResponse(
            {"success": True, "data": {"id": rid, "status": "pending", "progress": 0}}
        )

    async def render_poll(self, request: Request) -> Response:
        denied, _user = self._guard(request)
        if denied:
            return denied
        rid = request.path_params["rid"]
        job = self.renders.get(rid)
        if job is None:
            return JSONResponse({"success": False, "error": "Render job not found"}, 404)
        job["polls"] += 1
        n = self.render_polls_to_finish
        error = None
        if job["cancelled"]:
            status, progress = "cancelled", 0
        elif job["polls"] >= n:
            status, progress = ("failed", 40) if self.render_fails_with else ("completed", 100)
            error = self.render_fails_with
        else:
            status, progress = (
                ("pending", 0) if job["polls"] == 1 else ("processing", int(100 * job["polls"] / n))
            )
        url = None
        if status == "completed":
            url = (
                f"{self.cdn.base}/files/{rid}.mp4"
                if self.output_on_cdn and self.cdn
                else f"{self.api_base}/api/render/proxy/{rid}/download"
            )
            if self.cdn:
                self.cdn.files[f"{rid}.mp4"] = self.mp4
        if self.render_shape == "A":
            data = {
                "id": rid,
                "status": status,
                "progress": progress,
                "outputUrl": url,
                "createdAt": job["created"],
                "completedAt": int(time.time() * 1000) if url else None,
            }
            if error:
                data["error"] = error
            return JSONResponse({"success": True, "data": data})
        if self.render_shape == "B":
            body = {"status": status, "progress": progress, "output": {"url": url} if url else None}
            if error:
                body["error"] = error
            return JSONResponse(body)
        body = {
            "taskId": rid,
            "status": status,
            "progress": progress,
            "output": {"url": url, "duration": 3.0, "size": len(self.mp4)} if url else None,
        }
        if error:
            body["error"] = error
        return JSONResponse(body)

    async def render_cancel(self, request: Request) -> Response:
        denied, _user = self._guard(request)
        if denied:
            return denied
        job = self.renders.get(request.path_params["rid"])
        if job is None:
            return JSONResponse({"success": False, "error": "Render job not found"}, 404)
        job["cancelled"] = True
        return JSONResponse({"success": True})

    async def render_download(self, request: Request) -> Response:
        denied, _user = self._guard(request)
        if denied:
            return denied
        rid = request.path_params["rid"]
        if rid not in self.renders:
            return JSONResponse({"success": False, "error": "Render job not found"}, 404)
        if self.download_redirects_to_cdn and self.cdn:
            self.cdn.files[f"{rid}.mp4"] = self.mp4
            return RedirectResponse(f"{self.cdn.base}/files/{rid}.mp4", 302)
        return Response(self.mp4, media_type="video/mp4")


class Cdn:
    """A second origin serving files; records whether each request carried Authorization."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.seen: list[tuple[str, str | None]] = []  # (path, authorization header)
        self.base = ""
        self.media_type = "video/mp4"  # what every file is served as (a portal: text/html)
        self.app = Starlette(
            routes=[Route("/files/{name}", self.get), Route("/media/{name}", self.get)]
        )

    async def get(self, request: Request) -> Response:
        self.seen.append((request.url.path, request.headers.get("authorization")))
        data = self.files.get(request.path_params["name"])
        if data is None:
            return Response("not found", 404)
        return Response(data, media_type=self.media_type)


class ServerThread:
    """Serve an ASGI app with uvicorn on 127.0.0.1, a free port, in a daemon thread."""

    def __init__(self, app: Any) -> None:
        config = uvicorn.Config(
            app,
            host="127.0.0.1",
            port=0,
            log_level="critical",
            lifespan="off",
            timeout_graceful_shutdown=1,
            access_log=False,
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="fake-cloud", daemon=True)
        self.port = 0

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> ServerThread:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the test server did not start")
            time.sleep(0.01)
        self.port = self.server.servers[0].sockets[0].getsockname()[1]
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=5)
