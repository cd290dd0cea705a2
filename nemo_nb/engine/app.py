"""The engine's Starlette app: every endpoint of the API contract, in one route table at the end.

Envelopes are exactly the contract's: business endpoints answer ``{code, message, data}``, render
endpoints ``{success, data, error?}``. Every path but ``GET /healthz`` (and the anonymous-token
call that hands out tokens) needs a bearer token issued by this engine.

In front of everything, :class:`~nemo_nb.engine._guards.BodyGuard` holds every request body to
its size and time (:mod:`nemo_nb.engine.limits`), and :class:`HostGuard` answers only requests
addressed to one of the engine's own names and none from web pages (DNS rebinding, cross-site
calls). Like the cloud, an export without the ``X-Skill-*`` attribution headers is refused with
HTTP 402.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import json
import logging
import os
import re
import sqlite3
import time
import uuid
from collections.abc import AsyncIterator, Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote, urlsplit

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from nemo_nb._contract import PREVIEW, RENDER_QUALITIES
from nemo_nb._mediatype import MAX_UPLOAD_MB, sniff_file
from nemo_nb._version import __version__
from nemo_nb.engine import _sse, limits
from nemo_nb.engine._guards import BodyGuard, BodyLimit, RateWindow, TimeBudget
from nemo_nb.engine.agent import AgentReply, MediaRef
from nemo_nb.engine.export import DraftRefused, check_export
from nemo_nb.engine.jobs import JobQueue, Renderer
from nemo_nb.engine.limits import (
    MAX_WAITING_EXPORTS,
    PREVIEW_RETRY_AFTER_S,
    PREVIEWS_PER_USER,
    QUEUE_FULL_RETRY_AFTER_S,
    render_time_ceiling,
)
from nemo_nb.engine.media import (
    Incoming,
    MediaError,
    fetch_url,
    name_from_url,
    new_media_id,
    probe,
    save_multipart,
    stored_name,
)
from nemo_nb.engine.store import (
    DISK_FULL,
    Job,
    Media,
    OutOfCredits,
    Session,
    Store,
    User,
    is_disk_full,
)

__all__ = ["EngineConfig", "Engine", "Interpreter", "create_app", "LOOPBACK_HOSTS"]

log = logging.getLogger("nemo_nb.engine")

_JOB_ID = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")


class Interpreter(Protocol):
    """The agent: ``nemo_nb.engine.agent.interpret`` (docs/interfaces.md) or a stand-in."""

    def __call__(
        self, text: str, draft: dict[str, Any] | None, media: Sequence[MediaRef]
    ) -> AgentReply: ...


#: Host names every engine answers to; ``EngineConfig.allowed_hosts`` adds more.
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


@dataclass
class EngineConfig:
    """How one engine runs. ``interpret``/``renderer`` default to the real agent and renderer.

    ``allowed_hosts``: names (besides loopback) the engine answers to in the Host header; with
    ``serve_beyond_loopback`` it also answers to any IP address. ``allow_private_urls``: let URL
    uploads fetch loopback, private and link-local addresses (off: a web page or a student could
    otherwise make the engine probe the machine and its network). ``render_stall_timeout``:
    seconds without render progress before the watchdog fails the job; ``render_time_ceiling``:
    seconds a render of a clip that many seconds long may take in all (``limits``).
    ``read_timeout``: the longest pause inside a request body (``nemo-nb serve`` uses it for
    headers too). ``anonymous_tokens_per_minute``: per client address;
    ``agent_seconds_per_minute``: CPU time of agent work per user; 0 for no limit (both).
    """

    data_dir: Path
    credit_cost: int = 0
    heartbeat_interval: float = 15.0
    #: Seconds between streamed reply chunks (`nemo-nb serve` defaults to _sse.REPLY_PACE_S).
    reply_pace: float = 0.0
    workers: int = 1
    interpret: Interpreter | None = None
    renderer: Renderer | None = None
    instance: str = field(default_factory=lambda: uuid.uuid4().hex)
    allowed_hosts: Collection[str] = ()
    serve_beyond_loopback: bool = False
    allow_private_urls: bool = False
    render_stall_timeout: float = 90.0
    render_time_ceiling: Callable[[float], float] = render_time_ceiling
    read_timeout: float = limits.READ_TIMEOUT_S
    anonymous_tokens_per_minute: int = limits.ANON_TOKENS_PER_MINUTE
    agent_seconds_per_minute: float = limits.AGENT_SECONDS_PER_MINUTE


class Engine:
    """The app's state: the store, the render queue and the agent."""

    def __init__(self, config: EngineConfig) -> None:
        self.config = config
        self.store = Store(config.data_dir)
        self.jobs = JobQueue(
            self.store,
            renderer=config.renderer,
            workers=config.workers,
            stall_timeout=config.render_stall_timeout,
            time_ceiling=config.render_time_ceiling,
        )
        self._turn_locks: dict[str, asyncio.Lock] = {}
        self.agent_slots = asyncio.Semaphore(limits.AGENT_TURNS_AT_ONCE)
        self.new_tokens = RateWindow(config.anonymous_tokens_per_minute, 60.0)
        self.agent_time = TimeBudget(config.agent_seconds_per_minute, 60.0)
        self._tasks: set[asyncio.Task[Any]] = set()

    @property
    def interpret(self) -> Interpreter:
        if self.config.interpret is None:
            from nemo_nb.engine.agent import interpret

            self.config.interpret = interpret
        return self.config.interpret

    def disk_full(self) -> str:
        """The one sentence every route answers when the data dir's disk is full."""
        return DISK_FULL.format(where=self.store.root)

    @contextlib.asynccontextmanager
    async def agent_turn(self, user_id: str, begun: asyncio.Event) -> AsyncIterator[None]:
        """Hold the agent for one of ``user_id``'s turns; ``begun`` is set once it is held.

        Waits for the user's previous turn (one at a time: their turns apply in order, and one
        user never holds more than one of the :attr:`agent_slots`), for room in their agent time
        (:attr:`agent_time`: paced, not refused), then for a free slot.
        """
        async with self._turn_locks.setdefault(user_id, asyncio.Lock()):
            while (wait := self.agent_time.wait(user_id)) > 0:
                await asyncio.sleep(wait)
            async with self.agent_slots:
                begun.set()
                yield

    def spawn(self, coro: Any) -> asyncio.Task[Any]:
        """Run ``coro`` to completion even if the request that started it goes away."""
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task


# --- envelopes -------------------------------------------------------------------------------


def ok(data: Any) -> JSONResponse:
    return JSONResponse({"code": 0, "message": "success", "data": data})


def fail(status: int, code: int, message: str) -> JSONResponse:
    return JSONResponse({"code": code, "message": message, "data": None}, status_code=status)


def render_ok(data: Any) -> JSONResponse:
    return JSONResponse({"success": True, "data": data})


def render_fail(status: int, message: str) -> JSONResponse:
    return JSONResponse({"success": False, "data": None, "error": message}, status_code=status)


def session_missing(session_id: str, **extra: Any) -> JSONResponse:
    body = {
        "code": 1002,
        "message": f"Session {session_id} was not found; create a new session.",
        "data": None,
        **extra,
    }
    return JSONResponse(body, status_code=404)


def _engine(request: Request) -> Engine:
    return request.app.state.engine


def _user(request: Request) -> User:
    return request.scope["nemo.user"]


def _origin(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _is_me(request: Request, user_in_path: str) -> bool:
    return user_in_path in ("me", _user(request).user_id)


def _session(request: Request, session_id: str) -> Session | None:
    if not _is_me(request, request.path_params.get("user", "me")):
        return None
    return _engine(request).store.session(session_id, _user(request).user_id)


async def _json(request: Request) -> dict[str, Any] | None:
    """The JSON object body, ``{}`` if empty, ``None`` if it is not a JSON object."""
    body = await request.body()
    if not body.strip():
        return {}
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):  # nested deeper than the parser goes: not our JSON
        return None
    return data if isinstance(data, dict) else None


def _bad_json() -> JSONResponse:
    return fail(400, 400, "The request body must be a JSON object.")


def _pick(d: dict[str, Any], *names: str) -> Any:
    """The first of ``names`` present in ``d`` (snake_case or camelCase spellings)."""
    for n in names:
        if n in d:
            return d[n]
    return None


def _media_url(origin: str, m: Media) -> str:
    return f"{origin}/media/{m.media_id}/{quote(m.path.name)}"


def _file_info(origin: str, m: Media) -> dict[str, Any]:
    return {
        "filename": m.filename,
        "file_type": m.kind,
        "cdn_url": _media_url(origin, m),
        "duration": m.duration or 0,
        "width": m.width or 0,
        "height": m.height or 0,
        "fps": m.fps or 0,
        "hash": m.hash,
        "media_id": m.media_id,
    }


# --- auth ------------------------------------------------------------------------------------


class BearerAuth:
    """Pure ASGI middleware: every HTTP path except ``open_paths`` needs a valid bearer token.
    The user goes into ``scope["nemo.user"]``."""

    def __init__(self, app: ASGIApp, open_paths: Sequence[str]) -> None:
        self.app = app
        self.open_paths = frozenset(open_paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self.open_paths:
            await self.app(scope, receive, send)
            return
        auth = ""
        for k, v in scope["headers"]:
            if k == b"authorization":
                auth = v.decode("latin-1")
        scheme, _, token = auth.partition(" ")
        user = None
        if scheme.lower() == "bearer" and token.strip():
            user = scope["app"].state.engine.store.user_for_token(token.strip())
        if user is None:
            resp = fail(
                401, 1001, "The token is missing, invalid or expired; get a new anonymous token."
            )
            await resp(scope, receive, send)
            return
        scope["nemo.user"] = user
        await self.app(scope, receive, send)


def _host_part(hostport: str) -> str:
    """``"[::1]:8000"`` -> ``"::1"``, ``"Example.org.:80"`` -> ``"example.org"``; ``""`` for what
    is not a host and port (``"[::1]evil.example"``, ``"[evil]"``), which no check accepts."""
    hostport = hostport.strip().lower()
    if hostport.startswith("["):
        # RFC 3986: "[" IPv6 "]", then nothing or ":" and digits.
        address, bracket, rest = hostport[1:].partition("]")
        if not bracket or (rest and not (rest[0] == ":" and rest[1:].isdigit())):
            return ""
        try:
            return address if ipaddress.ip_address(address).version == 6 else ""
        except ValueError:
            return ""
    host, colon, port = hostport.rpartition(":")
    if not colon or not port.isdigit() or ":" in host:
        host = hostport
    return host.rstrip(".")


class HostGuard:
    """Pure ASGI middleware against DNS rebinding and cross-site requests.

    A web page whose own name resolves to 127.0.0.1 reaches the engine with that name in the Host
    header: only loopback names, the configured ``allowed_hosts`` and (when serving beyond
    loopback) IP addresses are answered. A browser request that names another origin in its
    ``Origin`` header is refused too: the engine serves no pages, so no web page may call it.
    """

    def __init__(self, app: ASGIApp, allowed_hosts: Collection[str], any_ip: bool) -> None:
        self.app = app
        self.allowed = LOOPBACK_HOSTS | {_host_part(h) for h in allowed_hosts}
        self.any_ip = any_ip

    def host_allowed(self, host: str) -> bool:
        if host in self.allowed:
            return True
        try:
            ip = ipaddress.ip_address(host)
        except ValueError:
            return False
        return self.any_ip or ip.is_loopback

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {
            k.decode(): v.decode("latin-1")
            for k, v in scope["headers"]
            if k in (b"host", b"origin")
        }
        host = headers.get("host", "")
        if not self.host_allowed(_host_part(host)):
            refusal = (
                "This engine answers only requests addressed to it by one of its own names "
                "(whoever runs it can add one with nemo-nb serve --allow-host NAME)."
            )
        elif "origin" in headers and not self._same_origin(headers["origin"], host):
            refusal = "This engine does not answer requests from web pages."
        else:
            await self.app(scope, receive, send)
            return
        await fail(403, 403, refusal)(scope, receive, send)

    def _same_origin(self, origin: str, host: str) -> bool:
        parts = urlsplit(origin.strip().lower())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return False  # "null" (sandboxed pages, file://) included
        default = 443 if parts.scheme == "https" else 80
        try:
            port = parts.port or default
        except ValueError:
            return False
        host_only = _host_part(host)
        host_port = host.strip().lower().rsplit("]", 1)[-1].rpartition(":")[2]
        want = int(host_port) if host_port.isdigit() else 80
        return parts.hostname.strip("[]").rstrip(".") == host_only and port == want


# --- endpoints -------------------------------------------------------------------------------


async def healthz(request: Request) -> JSONResponse:
    e = _engine(request)
    return JSONResponse(
        {
            "status": "ok",
            "engine": "nemo-nb",
            "version": __version__,
            "instance": e.config.instance,
            "pid": os.getpid(),
        }  # fmt: skip
    )


async def anonymous_token(request: Request) -> JSONResponse:
    e = _engine(request)
    client_id = request.headers.get("x-client-id", "").strip()
    if not client_id or len(client_id) > 200:
        return fail(400, 400, "The X-Client-Id header is required to get an anonymous token.")
    wait = e.new_tokens.admit(request.client.host if request.client else "")
    if wait is not None:
        seconds = max(1, int(wait + 0.999))
        response = fail(
            429,
            429,
            f"This address has been given {e.new_tokens.count} anonymous tokens in the last "
            f"minute, the most it may get; try again in {seconds} seconds.",
        )
        response.headers["Retry-After"] = str(seconds)
        return response
    token, user, expires = e.store.issue_token(client_id)
    expires_at = datetime.fromtimestamp(expires, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return ok(
        {"token": token, "user_id": user.user_id, "expires_at": expires_at, "credits": user.credits}
    )


async def create_session(request: Request) -> JSONResponse:
    if not _is_me(request, request.path_params["user"]):
        return fail(403, 1001, "This token belongs to another user; use “me” in the path.")
    body = await _json(request)
    if body is None:
        return _bad_json()
    s = _engine(request).store.create_session(
        _user(request).user_id,
        task_name=str(_pick(body, "task_name", "taskName") or "project"),
        language=str(body.get("language") or "en"),
    )
    return ok({"task_id": s.task_id, "session_id": s.session_id, "user_id": s.user_id})


async def credits(request: Request) -> JSONResponse:
    available = _engine(request).store.credits(_user(request).user_id)
    return ok({"available": available, "frozen": 0, "total": available})


_MEDIA_URL = re.compile(r"^https?://[^/]+(/media/[A-Za-z0-9_-]+/)")


def _with_origin(draft: dict[str, Any] | None, origin: str) -> dict[str, Any] | None:
    """The draft with its media srcs on ``origin``: the engine may have come back on another port
    (or be reached by another host name) since the draft was written."""
    if not draft:
        return draft
    tracks = []
    for track in draft.get("t") or []:
        if isinstance(track, dict) and isinstance(track.get("sg"), list):
            sg = [
                {**seg, "src": _MEDIA_URL.sub(origin + r"\1", seg["src"])}
                if isinstance(seg, dict) and isinstance(seg.get("src"), str)
                else seg
                for seg in track["sg"]
            ]
            track = {**track, "sg": sg}
        tracks.append(track)
    return {**draft, "t": tracks} if "t" in draft else draft


def _canvas(draft: dict[str, Any] | None) -> dict[str, Any]:
    m = (draft or {}).get("m") or {}
    return {
        "width": m.get("width", 1080),
        "height": m.get("height", 1920),
        "aspect": m.get("aspect", "9:16"),
    }


async def state(request: Request) -> JSONResponse:
    sid = request.path_params["sid"]
    s = _session(request, sid)
    if s is None:
        return session_missing(sid)
    store, origin = _engine(request).store, _origin(request)
    draft = _with_origin(store.draft(sid), origin)
    return ok(
        {
            "session_id": s.session_id,
            "task_id": s.task_id,
            "task_name": s.task_name,
            "state": {
                "draft": draft,
                "video_infos": [_file_info(origin, m) for m in store.session_media(sid)],
                "canvas_config": _canvas(draft),
                "generated_media": [],
                "video_analyses": {},
            },
        }
    )


# --- chat ------------------------------------------------------------------------------------


def _timed(
    interpret: Interpreter, text: str, draft: dict[str, Any] | None, media: Sequence[MediaRef]
) -> tuple[AgentReply, float]:
    """``interpret``'s reply and the CPU seconds it took (in the thread it runs in)."""
    start = time.thread_time()
    reply = interpret(text, draft, media)
    return reply, time.thread_time() - start


async def _run_turn(
    e: Engine, s: Session, origin: str, text: str, turn: _sse.Turn, begun: asyncio.Event
) -> list[dict[str, Any]]:
    """One agent turn: hold the agent (:meth:`Engine.agent_turn`), interpret, store (message,
    draft history, state), return its events.

    Runs as its own task: once ``begun`` is set it runs to its end even if the client hangs up, so
    the edit is not lost (a client whose connection dropped polls the state, never resends). A
    turn still waiting when its client leaves is cancelled by :func:`run_sse` and leaves no trace.
    """
    store = e.store
    async with e.agent_turn(s.user_id, begun):
        draft = store.draft(s.session_id)
        media = [
            MediaRef(
                media_id=m.media_id,
                url=_media_url(origin, m),
                name=m.filename,
                kind=m.kind,
                width=m.width,
                height=m.height,
                duration_s=m.duration,
            )
            for m in store.session_media(s.session_id)
        ]
        reply, cpu = await asyncio.to_thread(_timed, e.interpret, text, draft, media)
        e.agent_time.spend(s.user_id, cpu)
        # The server keeps the history; an undo needs only the current draft and the one before.
        recent = store.recent_drafts(s.session_id, 2) if reply.undo else []
        undo = bool(recent)
        new_draft = None if undo else reply.draft
        changed = undo or new_draft is not None
        if undo:
            current = recent[0] if len(recent) == 2 else None
        else:
            current = new_draft if new_draft is not None else draft
        calls = [(c.name, dict(c.args or {})) for c in reply.calls]
        if changed and not calls:
            calls = [("undo" if undo else "edit_draft", {})]
        reply_text = reply.text
        events: list[dict[str, Any]] = []
        for i, (name, args) in enumerate(calls):
            cid = f"call_{uuid.uuid4().hex[:12]}"
            events.append(turn.function_call(cid, name, args))
            last = i == len(calls) - 1
            delta = {"draft": _with_origin(current, origin)} if (last and changed) else None
            events.append(turn.function_response(cid, name, {"status": "ok"}, delta))
        if reply_text:
            events.append(turn.text(reply_text))
        store.record_turn(
            s.session_id,
            text,
            reply_text=reply_text,
            events=events,
            new_draft=new_draft,
            undo=undo,
            cost=e.config.credit_cost if new_draft is not None else 0,
        )
        return events


async def run_sse(request: Request) -> Response:
    e = _engine(request)
    body = await _json(request)
    if body is None:
        return _bad_json()
    sid = str(_pick(body, "session_id", "sessionId") or "")
    if not sid:
        return fail(400, 400, "The request needs a session_id.")
    user_in_body = str(_pick(body, "user_id", "userId") or "me")
    s = e.store.session(sid, _user(request).user_id) if _is_me(request, user_in_body) else None
    if s is None:
        # ADK answers 404 {"detail": ...} before streaming; the envelope code says the same.
        return session_missing(sid, detail="Session not found")
    message = _pick(body, "new_message", "newMessage") or {}
    parts = message.get("parts") if isinstance(message, dict) else None
    text = "\n".join(
        str(p["text"]) for p in (parts or []) if isinstance(p, dict) and p.get("text") is not None
    )
    if len(text) > limits.PROMPT_CHARS:
        return fail(
            413,
            413,
            f"A chat message may be at most {limits.PROMPT_CHARS} characters; this one has "
            f"{len(text)}.",
        )
    cost = e.config.credit_cost
    if cost > 0 and e.store.credits(s.user_id) < cost:
        return fail(403, 2001, "You are out of credits; register to get more, then try again.")
    turn = _sse.Turn()
    begun = asyncio.Event()
    task = e.spawn(_run_turn(e, s, _origin(request), text, turn, begun))
    answered = False

    def after_stream() -> None:
        # The client left before the whole answer: a turn still waiting for the agent is dropped
        # (nothing of it was stored), so abandoned turns do not hold up other users' turns.
        if not answered and not begun.is_set():
            task.cancel()

    async def stream() -> AsyncIterator[bytes]:
        nonlocal answered
        while True:
            done, _ = await asyncio.wait({task}, timeout=e.config.heartbeat_interval)
            if done:
                break
            yield _sse.PING
        exc = task.exception()
        if isinstance(exc, OutOfCredits):
            yield _sse.error_frame("You are out of credits; register to get more, then try again.")
        elif is_disk_full(exc):  # nothing of the turn was stored
            yield _sse.error_frame(e.disk_full())
        elif exc is not None:
            log.warning("agent turn failed: %s: %s", type(exc).__name__, exc)
            yield _sse.error_frame(f"The agent could not handle that message: {exc}")
        else:
            for event in task.result():
                for partial in turn.partials(event):  # text streams as ADK's partial events
                    yield _sse.frame(partial)
                    if e.config.reply_pace > 0:
                        await asyncio.sleep(e.config.reply_pace)
                yield _sse.frame(event)
        answered = True

    return _sse.EventStream(stream(), on_end=after_stream)


# --- upload ----------------------------------------------------------------------------------


async def _store_uploads(
    e: Engine, s: Session, incoming: list[Incoming]
) -> list[Media] | MediaError:
    """Check, probe and record the received files: all or none."""
    if not incoming:
        return MediaError(400, "The upload had no file (send the field “files”).")
    records: list[Media] = []
    try:
        for inc in incoming:
            inc.check()
            p = await asyncio.to_thread(probe, inc.part, inc.filename)
            name = stored_name(inc.filename, p.ext)
            path = inc.dir / name
            inc.part.rename(path)
            records.append(
                Media(
                    media_id=inc.dir.name,
                    session_id=s.session_id,
                    user_id=s.user_id,
                    filename=name,
                    kind=p.kind,
                    ext=p.ext,
                    path=path,
                    width=p.width,
                    height=p.height,
                    duration=p.duration,
                    fps=p.fps,
                    hash=inc.hash,
                    size=inc.size,
                    created_at=time.time(),
                )
            )
        e.store.add_media(*records)
    except BaseException as err:
        for inc in incoming:
            inc.discard()
        if isinstance(err, MediaError):
            return err
        raise
    return records


_UPLOAD_STATUS = {4001: 415, 4002: 413}


async def upload(request: Request) -> Response:
    e = _engine(request)
    sid = request.path_params["sid"]
    s = _session(request, sid)
    if s is None:
        return session_missing(sid)

    received: list[Incoming] = []

    def new_incoming(filename: str) -> Incoming:
        if len(received) >= limits.UPLOAD_FILES:
            raise MediaError(400, f"At most {limits.UPLOAD_FILES} files can be uploaded at once.")
        received.append(Incoming(e.store.media_dir / new_media_id(), filename))
        return received[-1]

    async def until_too_large() -> AsyncIterator[bytes]:
        """The body, up to the first file over the size limit: the rest is not worth reading."""
        async for chunk in request.stream():
            yield chunk
            if received:
                received[-1].check()

    ctype = request.headers.get("content-type", "")
    incoming: list[Incoming] = []
    try:
        if ctype.startswith("application/json"):
            body = await _json(request)
            urls = (body or {}).get("urls")
            if not isinstance(urls, list) or not all(isinstance(u, str) for u in urls):
                return fail(
                    400, 400, "Send {“urls”: [...], “source_type”: “url”} to upload by URL."
                )
            for url in urls:
                inc = new_incoming(name_from_url(url))
                incoming.append(inc)
                await fetch_url(url, inc, allow_private=e.config.allow_private_urls)
        else:
            incoming = await save_multipart(ctype, until_too_large(), new_incoming)
        result = await _store_uploads(e, s, incoming)
    except (MediaError, OSError) as err:
        for inc in incoming:
            inc.discard()
        if isinstance(err, MediaError):
            return fail(_UPLOAD_STATUS.get(err.code, 400), err.code, err.message)
        if not is_disk_full(err):
            raise
        return fail(507, 507, e.disk_full())
    if isinstance(result, MediaError):
        return fail(_UPLOAD_STATUS.get(result.code, 400), result.code, result.message)
    origin = _origin(request)
    return ok({"files": [_file_info(origin, m) for m in result], "session_state_applied": True})


async def media_file(request: Request) -> Response:
    m = _engine(request).store.media(request.path_params["media_id"], _user(request).user_id)
    if m is None or not m.path.exists():
        return fail(404, 404, "No such media in this engine.")
    mt = sniff_file(m.path)
    return FileResponse(m.path, media_type=mt.mime if mt else "application/octet-stream")


# --- render ----------------------------------------------------------------------------------


def _ms(t: float | None) -> int | None:
    return int(t * 1000) if t is not None else None


def _job_data(request: Request, job: Job) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": job.id,
        "status": job.status,
        "progress": job.progress,
        "createdAt": _ms(job.created_at),
    }
    if job.started_at is not None:  # render time apart from time in the queue
        data["startedAt"] = _ms(job.started_at)
    if job.notes:
        data["notes"] = list(job.notes)
    if job.completed_at is not None:
        data["completedAt"] = _ms(job.completed_at)
    if job.status == "completed":
        data["outputUrl"] = f"{_origin(request)}/api/render/proxy/{job.id}/download"
    if job.error:
        data["error"] = job.error
    return data


#: The attribution headers (docs/contract.md §2) the cloud requires on export.
ATTRIBUTION_HEADERS = ("X-Skill-Source", "X-Skill-Version", "X-Skill-Platform")


def _missing_attribution(request: Request) -> JSONResponse | None:
    """The cloud answers an export without the attribution headers with HTTP 402 (its free-plan
    refusal); so does the engine, so that code working offline does not fail on the cloud."""
    missing = [h for h in ATTRIBUTION_HEADERS if not request.headers.get(h, "").strip()]
    if not missing:
        return None
    return render_fail(
        402,
        "Export was refused: the request lacks the attribution header"
        f"{'s' if len(missing) > 1 else ''} {', '.join(missing)}, which NemoVideo requires "
        "on export (HTTP 402, as on the free plan).",
    )


def _output_quality(body: dict[str, Any]) -> str | JSONResponse:
    """``output.quality`` of an export request ("high" when absent), or the refusal to send."""
    output = body.get("output")
    if output is None:
        return "high"
    if not isinstance(output, dict):
        return render_fail(
            400, "The render's “output” must be an object, e.g. {“quality”: “high”}."
        )
    quality = output.get("quality", "high")
    if quality not in RENDER_QUALITIES:
        named = json.dumps(quality)[:40]
        return render_fail(
            400,
            f"The output quality {named} is not one this engine renders; "
            f"use {' or '.join(f'“{q}”' for q in RENDER_QUALITIES)}.",
        )
    return str(quality)


def _previews_full() -> JSONResponse:
    response = render_fail(
        429,
        f"You have {PREVIEWS_PER_USER} previews waiting already; ask again once one is ready.",
    )
    response.headers["Retry-After"] = str(PREVIEW_RETRY_AFTER_S)
    return response


async def render_submit(request: Request) -> JSONResponse:
    """Queue an export (``output.quality`` "high") or, an engine extension, a preview ("preview":
    the same draft small and fast, in a lane of its own; docs/contract.md §3)."""
    e = _engine(request)
    refused = _missing_attribution(request)
    if refused is not None:
        return refused
    body = await _json(request)
    if body is None:
        return render_fail(400, "The request body must be a JSON object.")
    user = _user(request)
    job_id = str(body.get("id") or f"render_{uuid.uuid4().hex}")
    if not _JOB_ID.match(job_id):
        return render_fail(400, "A render id may use only letters, digits, “_”, “-” and “.”.")
    quality = _output_quality(body)
    if isinstance(quality, JSONResponse):
        return quality
    sid = _pick(body, "sessionId", "session_id")
    if sid is not None and e.store.session(str(sid), user.user_id) is None:
        return render_fail(404, f"Session {sid} was not found; create a new session.")
    draft = body.get("draft")
    if draft is None and sid is not None:
        draft = e.store.draft(str(sid))
    if draft is None:
        return render_fail(
            400, "The draft has nothing to render yet: it needs a track with at least one segment."
        )
    try:  # in a thread: a draft of hundreds of segments takes a moment to read
        checked = await asyncio.to_thread(check_export, draft)
    except DraftRefused as refused:
        return render_fail(400, str(refused))
    session_id = str(sid) if sid is not None else None
    # From here to submit nothing awaits, so concurrent requests cannot pass a cap together.
    if quality == PREVIEW:
        if e.jobs.previews_in_the_way(user.user_id, session_id) >= PREVIEWS_PER_USER:
            return _previews_full()
    elif (waiting := e.jobs.waiting(user.user_id)) >= MAX_WAITING_EXPORTS:
        full = render_fail(
            429,
            f"You already have {waiting} exports waiting to render, the most one person may "
            "have; export again once one of them has started (or cancel one).",
        )
        full.headers["Retry-After"] = str(QUEUE_FULL_RETRY_AFTER_S)
        return full
    job = e.store.add_job(
        job_id, user.user_id, session_id, checked.draft, checked.notes, quality=quality
    )
    if job is None:
        return render_fail(409, f"A render with id {job_id} already exists; pick a new id.")
    e.jobs.submit(job)
    data: dict[str, Any] = {"id": job.id, "status": job.status, "progress": job.progress}
    if job.notes:
        data["notes"] = list(job.notes)
    return render_ok(data)


def _job_or_404(request: Request) -> Job | None:
    job_id = request.path_params["job_id"]
    return _engine(request).store.job(job_id, _user(request).user_id)


def _no_job(request: Request) -> JSONResponse:
    return render_fail(404, f"There is no render with id {request.path_params['job_id']}.")


async def render_status(request: Request) -> JSONResponse:
    job = _job_or_404(request)
    return render_ok(_job_data(request, job)) if job else _no_job(request)


async def render_cancel(request: Request) -> JSONResponse:
    job = _job_or_404(request)
    if job is None:
        return _no_job(request)
    _engine(request).jobs.cancel(job.key)
    return render_ok(_job_data(request, _job_or_404(request) or job))


async def render_download(request: Request) -> Response:
    job = _job_or_404(request)
    if job is None:
        return _no_job(request)
    if job.status != "completed" or job.output_path is None or not job.output_path.exists():
        return render_fail(409, f"The render {job.id} has no output (status: {job.status}).")
    return FileResponse(job.output_path, media_type="video/mp4", filename=f"{job.id}.mp4")


# --- the app ---------------------------------------------------------------------------------

ROUTES = [
    Route("/healthz", healthz, methods=["GET"]),
    Route("/api/auth/anonymous-token", anonymous_token, methods=["POST"]),
    Route("/api/tasks/{user}/with-session/nemo_agent", create_session, methods=["POST"]),
    Route("/run_sse", run_sse, methods=["POST"]),
    Route("/api/upload-video/nemo_agent/{user}/{sid}", upload, methods=["POST"]),
    Route("/api/credits/balance/simple", credits, methods=["GET"]),
    Route("/api/state/nemo_agent/{user}/{sid}/latest", state, methods=["GET"]),
    Route("/api/render/proxy/lambda", render_submit, methods=["POST"]),
    Route("/api/render/proxy/lambda/{job_id}", render_status, methods=["GET"]),
    Route("/api/render/proxy/lambda/{job_id}/cancel", render_cancel, methods=["POST"]),
    Route("/api/render/proxy/{job_id}/download", render_download, methods=["GET"]),
    Route("/media/{media_id}/{name}", media_file, methods=["GET"]),
]
OPEN_PATHS = ("/healthz", "/api/auth/anonymous-token")

#: Each route's body limit (limits.py); the first whose prefix and content type match applies.
BODY_LIMITS = (
    BodyLimit(
        "/run_sse",
        limits.CHAT_BODY_BYTES,
        limits.JSON_BODY_TIMEOUT_S,
        f"A chat message may be at most {limits.PROMPT_CHARS} characters; this request is over "
        f"{limits.CHAT_BODY_BYTES // 1024} KB.",
    ),
    BodyLimit(
        "/api/upload-video/",
        limits.UPLOAD_BODY_BYTES,
        limits.UPLOAD_BODY_TIMEOUT_S,
        f"One upload may carry at most {limits.UPLOAD_FILES} files of up to {MAX_UPLOAD_MB} MB "
        "each; send fewer or smaller files.",
        code=4002,
        content_type="multipart/form-data",
    ),
)
OTHER_BODIES = BodyLimit(
    "/",
    limits.JSON_BODY_BYTES,
    limits.JSON_BODY_TIMEOUT_S,
    f"The request body is over the {limits.JSON_BODY_BYTES // (1024 * 1024)} MB this engine "
    "accepts.",
)


async def _disk_full(request: Request, exc: Exception) -> JSONResponse:
    """A write of any route that failed for want of space: one sentence, never the errno and
    the path. Answered here rather than as an internal error, which would also close the
    client's connection."""
    if not is_disk_full(exc):
        raise exc
    log.error("the disk is full (%s)", request.url.path)
    message = _engine(request).disk_full()
    if request.url.path.startswith("/api/render/"):
        return render_fail(507, message)
    return fail(507, 507, message)


async def _internal_error(request: Request, exc: Exception) -> JSONResponse:
    log.error("internal error on %s: %s: %s", request.url.path, type(exc).__name__, exc)
    return fail(500, 500, "The engine hit an internal error; try again.")


def create_app(config: EngineConfig) -> Starlette:
    """The engine as an ASGI app. Opens the store, recovers interrupted jobs and starts the
    render workers on startup; stops them on shutdown."""
    engine = Engine(config)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        removed = engine.store.remove_partial_files()
        if removed:
            log.warning("removed %d partial files a stopped engine left", removed)
        engine.jobs.start(engine.store.recover_jobs())
        try:
            yield
        finally:
            await asyncio.to_thread(engine.jobs.stop)
            engine.store.close()

    app = Starlette(
        routes=ROUTES,
        lifespan=lifespan,
        exception_handlers={
            OSError: _disk_full,
            sqlite3.Error: _disk_full,
            Exception: _internal_error,
        },
    )
    app.state.engine = engine
    app.add_middleware(BearerAuth, open_paths=OPEN_PATHS)
    # Added last: runs first, so a rebinding page cannot even get a token.
    app.add_middleware(
        HostGuard, allowed_hosts=config.allowed_hosts, any_ip=config.serve_beyond_loopback
    )
    # Outermost: a body is held to its limits whoever answers it, a refusal included.
    app.add_middleware(
        BodyGuard,
        limits=BODY_LIMITS,
        default=OTHER_BODIES,
        read_timeout=config.read_timeout,
        render_prefix="/api/render/",
    )
    return app
