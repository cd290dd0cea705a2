"""NemoClient: the async client of NemoVideo's agent API (cloud or the embedded engine).

One long-lived ``httpx.AsyncClient``; every call goes through :meth:`NemoClient._call`, which
unwraps the three envelope forms and applies the contract's recovery table (§1) in one place.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import os
import random
import re
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import httpx

from nemo_nb._mediatype import CLOUD_TYPES
from nemo_nb.api._errors import (
    AuthError,
    CreditsError,
    FileTooLargeError,
    NemoConnectionError,
    NemoError,
    PlanError,
    RateLimitError,
    RenderError,
    ServerError,
    SessionNotFoundError,
    StreamInterruptedError,
    UnsupportedMediaError,
)
from nemo_nb.api._events import FrameParser, iter_sse_data
from nemo_nb.api._identity import (
    attribution_headers,
    detect_platform,
    load_client_id,
    new_client_id,
)
from nemo_nb.api._models import (
    ChatEvent,
    Credits,
    RenderJob,
    Session,
    SessionState,
    UploadedFile,
    draft_is_exportable,
)
from nemo_nb.api._secrets import install_log_filter, register_secret
from nemo_nb.api._upload import PreparedFile, convert_heic_to_jpeg, is_url, prepare_file
from nemo_nb.skills import Skill, get_skill

__all__ = ["NemoClient", "ChatStream", "DEFAULT_BASE_URL"]

log = logging.getLogger("nemo_nb.api")

DEFAULT_BASE_URL = "https://mega-api-prod.nemovideo.ai"


@dataclass
class _RetryBudget:
    """What one logical request has already spent on recovery (each at most once)."""

    renewed: bool = False
    rate_waited: bool = False
    reconnected: bool = False


APP_NAME = "nemo_agent"
TURN_TIMEOUT = 15 * 60.0  # contract §4: a turn may take up to 15 minutes
# Heartbeats (every few seconds to a minute) reset httpx's read timeout, so a long tool call is
# fine; five silent minutes means the stream is dead.
CHAT_READ_TIMEOUT = 5 * 60.0
RATE_LIMIT_WAIT = 30.0  # contract §1, when the server sends no Retry-After
MAX_RATE_LIMIT_WAIT = 300.0  # a longer Retry-After is reported rather than slept through
GET_RETRIES = 3
POLL_START, POLL_FACTOR, POLL_CAP = 1.0, 1.5, 30.0
RENDER_WAIT_TIMEOUT = 30 * 60.0

_AUTH_CODES = {1001, 1010, 1011}
_SESSION_PATHS = ("/run_sse", "/api/state/", "/api/upload-video/")
_DUPLICATE = re.compile(r"duplicate|already (exists|used|in use|taken)", re.I)

SleepFn = Callable[[float], Awaitable[Any]]


class _Secret:
    """Holds the token so that ``vars(client)`` or a debugger's repr never shows it."""

    __slots__ = ("_value",)

    def __init__(self, value: str | None) -> None:
        self._value = value
        register_secret(value)

    def get(self) -> str | None:
        return self._value

    def __repr__(self) -> str:
        return "<token redacted>" if self._value else "<no token>"

    __str__ = __repr__


_GENERIC_4001 = re.compile(r"unsupported|not supported|file type|invalid (?:file|format)", re.I)


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?", "。")) else text + "."


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    default = {"http": 80, "https": 443}.get(url.scheme)
    return url.scheme.lower(), url.host.lower(), url.port or default


def _int_code(code: Any) -> int | None:
    try:
        return int(code)
    except (TypeError, ValueError):
        return None


def _retry_after(resp: httpx.Response) -> float | None:
    value = resp.headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError, IndexError):
        return None


def _server_message(body: Any, resp: httpx.Response) -> str | None:
    if isinstance(body, Mapping):
        for key in ("message", "error", "detail", "msg", "errorMessage"):
            value = body.get(key)
            if isinstance(value, str) and value:
                return value[:300]
            if isinstance(value, Mapping) and isinstance(value.get("message"), str):
                return value["message"][:300]
    return None


def _has_status(body: Any) -> bool:
    """A render status body (shape A, B or C), successful or not."""
    if not isinstance(body, Mapping):
        return False
    if "code" in body and _int_code(body["code"]) not in (None, 0):
        return False  # a business error (e.g. 1001) goes through the recovery table
    inner = body.get("data") if isinstance(body.get("data"), Mapping) else body
    return "status" in inner or "status" in body


def _new_render_id() -> str:
    return f"render_{int(time.time() * 1000)}_{uuid.uuid4().hex[:8]}"


def _draft_dict(draft: Any) -> dict[str, Any]:
    if isinstance(draft, Mapping):
        return dict(draft)
    for attr in ("to_json", "to_dict"):
        fn = getattr(draft, attr, None)
        if callable(fn):
            value = fn()
            if isinstance(value, str):
                value = json.loads(value)
            if isinstance(value, Mapping):
                return dict(value)
    raise RenderError("The draft to export must be a timeline dict (the state's draft).")


class ChatStream:
    """The events of one chat turn: an async iterator of :class:`ChatEvent`.

    Also an async context manager; ``aclose()`` stops reading (e.g. a Stop button) and frees the
    connection. ``text`` is the text received so far.
    """

    def __init__(self, make: Callable[[ChatStream], AsyncIterator[ChatEvent]]) -> None:
        self._texts: list[str] = []
        self._agen = make(self)

    @property
    def text(self) -> str:
        """All text received so far, each character once."""
        return "".join(self._texts)

    def __aiter__(self) -> AsyncIterator[ChatEvent]:
        # The generator itself: `async for` then costs no extra hop per event.
        return self._agen

    def __anext__(self) -> Awaitable[ChatEvent]:
        return self._agen.__anext__()

    async def collect(self) -> list[ChatEvent]:
        """Read the whole turn and return its events."""
        return [event async for event in self._agen]

    async def aclose(self) -> None:
        """Stop reading and close the connection."""
        await self._agen.aclose()  # type: ignore[attr-defined]

    async def __aenter__(self) -> ChatStream:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


class NemoClient:
    """Async client of NemoVideo's agent API; works the same against the cloud and the engine.

    >>> async with NemoClient() as client:
    ...     session = await client.create_session()
    ...     await client.upload(session.session_id, "photo.jpg")
    ...     async for event in client.chat(session.session_id, "make it jiggle"):
    ...         print(event.kind, event.text)

    ``base_url`` defaults to ``NEMO_API_URL``, else the cloud. ``token`` defaults to ``NEMO_TOKEN``
    when ``base_url`` is that same origin (the env token never goes to another server); without
    one a free anonymous token is fetched on first use (and renewed when it expires).
    ``skill`` picks the preset sent as ``X-Skill-Source``/``X-Skill-Version``; ``platform`` sets
    ``X-Skill-Platform`` (default: :func:`detect_platform` without notebook detection).
    ``transport`` is handed to httpx; ``sleep`` replaces ``asyncio.sleep`` for rate-limit waits,
    retries and render polling (tests inject a fake). ``accepted_types`` are the upload types the
    server takes (default: the cloud's); HEIC photos are converted to JPEG when ``convert_heic``,
    else sent as they are (the engine takes them). ``timeout`` (seconds) bounds ordinary calls; a
    chat turn has its own limits (15 minutes in all, 5 silent minutes between bytes).
    ``reconnect`` (async, returns the server's base URL) is called once when a connection is
    refused, before giving up: :func:`nemo_nb.connect` passes one that restarts the embedded
    engine. A refused connection carried no request, so the call, even a chat message, is sent
    again then.
    """

    def __init__(
        self,
        base_url: str | None = None,
        token: str | None = None,
        *,
        client_id: str | None = None,
        skill: str | Skill | None = None,
        platform: str | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        convert_heic: bool = True,
        sleep: SleepFn | None = None,
        accepted_types: Iterable[str] | None = None,
        timeout: float = 60.0,
        reconnect: Callable[[], Awaitable[str]] | None = None,
    ) -> None:
        install_log_filter()
        env_url = (os.environ.get("NEMO_API_URL") or DEFAULT_BASE_URL).rstrip("/")
        self.base_url: str = (base_url or env_url).rstrip("/")
        # NEMO_TOKEN belongs to the env's API origin: a client pointed elsewhere (the local
        # engine, a test server) must not carry it there; it gets its own anonymous token.
        env_token = os.environ.get("NEMO_TOKEN") if self.base_url == env_url else None
        given = token or env_token or None
        self._token = _Secret(given)
        self._own_token = given is not None
        self._client_id = client_id.strip() if client_id else None
        self._client_id_source = "arg" if self._client_id else None
        self.skill: Skill = get_skill(skill)
        self.platform: str = platform or detect_platform(notebook=False)
        self.convert_heic = convert_heic
        self.accepted_types: frozenset[str] = frozenset(accepted_types or CLOUD_TYPES)
        self.user_id: str | None = None
        self._sleep: SleepFn = sleep or asyncio.sleep
        self._reconnect = reconnect
        self._api_origin = _origin(httpx.URL(self.base_url))
        self._token_lock: asyncio.Lock | None = None
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            transport=transport,
            timeout=httpx.Timeout(timeout, connect=10.0),
            follow_redirects=False,
        )

    # -- identity -------------------------------------------------------------------------------
    @property
    def is_anonymous(self) -> bool:
        """True when the client uses (or will fetch) a free anonymous token."""
        return not self._own_token

    @property
    def client_id(self) -> str:
        """The ``X-Client-Id`` (from the argument, ``NEMO_CLIENT_ID`` or the persisted file)."""
        if self._client_id is None:
            self._client_id, self._client_id_source = load_client_id()
        return self._client_id

    def __repr__(self) -> str:
        who = self.user_id or ("anonymous" if self.is_anonymous else "token")
        return f"NemoClient(base_url={self.base_url!r}, skill={self.skill.name!r}, user={who!r})"

    __str__ = __repr__

    async def __aenter__(self) -> NemoClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    def _lock(self) -> asyncio.Lock:
        if self._token_lock is None:
            self._token_lock = asyncio.Lock()
        return self._token_lock

    def _is_api_origin(self, url: httpx.URL) -> bool:
        return _origin(url) == self._api_origin

    def _attribution(self) -> dict[str, str]:
        return attribution_headers(self.skill, self.platform)

    async def _bearer_headers(self) -> dict[str, str]:
        if self._token.get() is None:
            async with self._lock():
                if self._token.get() is None:
                    await self._fetch_anonymous_token()
        return {**self._attribution(), "Authorization": f"Bearer {self._token.get()}"}

    async def _fetch_anonymous_token(self) -> None:
        data = await self._call("POST", "/api/auth/anonymous-token", auth="client_id")
        token = data.get("token") if isinstance(data, Mapping) else None
        if not token:
            raise AuthError("The server did not hand out an anonymous token; try again later.")
        self._token = _Secret(str(token))
        if data.get("user_id"):
            self.user_id = str(data["user_id"])
        log.debug("got an anonymous token for user %s", self.user_id)

    async def _renew_token(self, stale: str | None) -> bool:
        """Anonymous tokens are renewed with the same client id; own tokens never are."""
        if self._own_token:
            return False
        async with self._lock():
            if self._token.get() == stale:  # nobody renewed it meanwhile
                await self._fetch_anonymous_token()
        return True

    # -- the one request path -------------------------------------------------------------------
    def _error(
        self, status: int, code: Any, message: str | None, path: str, resp: httpx.Response | None
    ) -> NemoError:
        c = _int_code(code)
        shown = c if c else (code if code and c is None else status)  # contract code, else HTTP
        kw: dict[str, Any] = {"code": shown, "detail": message, "status_code": status}
        if c in _AUTH_CODES or status == 401:
            if self.is_anonymous:
                return AuthError(
                    "The server refused the free anonymous token even after renewing it; "
                    "try again later or set NEMO_TOKEN.",
                    **kw,
                )
            return AuthError(**kw)
        if c == 1002 or (status == 404 and path.startswith(_SESSION_PATHS)):
            return SessionNotFoundError(**kw)
        if c == 2001:
            return CreditsError(anonymous=self.is_anonymous, anonymous_user_id=self.user_id, **kw)
        if c == 4001:
            # The type passed our own check, so a specific reason from the server ("could not be
            # decoded", "too many pixels") says more than the list of accepted types.
            specific = message and not _GENERIC_4001.search(message)
            reason = _sentence(message) if specific else None
            return UnsupportedMediaError(reason, accepted=self.accepted_types, **kw)
        if c == 4002:
            return FileTooLargeError(**kw)
        if status == 402:
            return PlanError(**kw)
        if status == 429:
            err = RateLimitError(**kw)
            err.retry_after = _retry_after(resp) if resp is not None else None
            return err
        if status >= 500:
            return ServerError(
                f"The NemoVideo server had a problem (HTTP {status}); try again in a moment.", **kw
            )
        what = f": {message.rstrip('.')}" if message else f" (HTTP {status})"
        return NemoError(f"The server refused the request{what}.", **kw)

    def _unwrap(self, resp: httpx.Response, body: Any, path: str) -> Any:
        """Contract §1: ``code`` envelope, ``success`` envelope, or the raw body."""
        status = resp.status_code
        if isinstance(body, Mapping):
            if "code" in body and _int_code(body["code"]) is not None:
                if _int_code(body["code"]) != 0 or status >= 400:
                    raise self._error(status, body["code"], _server_message(body, resp), path, resp)
                return body.get("data", {})
            if "success" in body and isinstance(body["success"], bool):
                if not body["success"] or status >= 400:
                    code = body.get("code") if body.get("code") is not None else status
                    raise self._error(status, code, _server_message(body, resp), path, resp)
                return body["data"] if body.get("data") is not None else body
        if status >= 400:
            raise self._error(status, None, _server_message(body, resp), path, resp)
        return body

    async def _call(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        files: Callable[[], list[Any]] | None = None,
        auth: str = "bearer",
        idempotent: bool = False,
        accept: Callable[[Any], bool] | None = None,
    ) -> Any:
        """Send one logical request with the contract's automatic recovery.

        ``auth``: ``"bearer"`` or ``"client_id"`` (the anonymous-token call). ``files`` builds the
        multipart list anew for each attempt (files are streamed from disk and closed after).
        ``accept(body)`` true returns the body as it is, before unwrapping (render status reads
        failed jobs out of ``success: false`` bodies).
        """
        budget = _RetryBudget()
        new_client = False
        attempt = 0
        while True:
            if auth == "client_id":
                headers = {**self._attribution(), "X-Client-Id": self.client_id}
                sent_token = None
            else:
                headers = await self._bearer_headers()
                sent_token = self._token.get()
            handles: list[Any] = []
            kwargs: dict[str, Any] = {}
            if json_body is not None:
                kwargs["json"] = json_body
            if files is not None:
                parts = files()
                handles = [p[1][1] for p in parts]
                kwargs["files"] = parts
            try:
                resp = await self._http.request(method, path, headers=headers, **kwargs)
            except httpx.TransportError as exc:
                if await self._may_reconnect(exc, budget):
                    continue
                if idempotent and attempt < GET_RETRIES:
                    await self._sleep(self._backoff(attempt))
                    attempt += 1
                    continue
                raise self._connection_error(exc) from exc
            finally:
                for fh in handles:
                    fh.close()
            try:
                body: Any = resp.json() if resp.content else None
            except ValueError:
                body = None
            log.debug("%s %s -> HTTP %s", method, path, resp.status_code)
            if accept is not None and resp.status_code < 400 and accept(body):
                return body
            try:
                return self._unwrap(resp, body, path)
            except (AuthError, RateLimitError) as err:
                if await self._may_retry(err, budget, sent_token, renew=auth == "bearer"):
                    continue
                raise
            except ServerError:
                if idempotent and attempt < GET_RETRIES:
                    await self._sleep(self._backoff(attempt, resp))
                    attempt += 1
                    continue
                raise
            except NemoError:
                if auth == "client_id" and resp.status_code == 400 and not new_client:
                    # contract §1: HTTP 400 here means a missing/invalid X-Client-Id
                    new_client = True
                    persist = self._client_id_source in (None, "file", "new")
                    self._client_id = new_client_id(persist=persist)
                    continue
                raise

    async def _may_retry(
        self,
        err: AuthError | RateLimitError,
        budget: _RetryBudget,
        sent_token: str | None,
        *,
        renew: bool = True,
    ) -> bool:
        """The contract's recovery for a refused call: True when it should be sent once more.

        An expired anonymous token is renewed (same client id) once; a rate limit is waited out
        (``Retry-After`` or 30 s) once. Each at most once per logical request (``budget``).
        """
        if isinstance(err, AuthError):
            if renew and not budget.renewed and await self._renew_token(sent_token):
                budget.renewed = True
                return True
            return False
        wait = RATE_LIMIT_WAIT if err.retry_after is None else err.retry_after
        if budget.rate_waited or wait > MAX_RATE_LIMIT_WAIT:
            return False
        budget.rate_waited = True
        log.info("rate limited; waiting %.0f s before one retry", wait)
        await self._sleep(wait)
        return True

    def _backoff(self, attempt: int, resp: httpx.Response | None = None) -> float:
        hinted = _retry_after(resp) if resp is not None else None
        if hinted is not None and hinted <= 60:
            return hinted
        return min(8.0, 0.5 * 2**attempt) * random.uniform(0.75, 1.0)

    async def _may_reconnect(self, exc: Exception, budget: _RetryBudget) -> bool:
        """After a refused connection, let the ``reconnect`` hook bring the server back (the
        embedded engine is restarted on its data dir); True when the call should be sent again."""
        if self._reconnect is None or budget.reconnected or not isinstance(exc, httpx.ConnectError):
            return False
        budget.reconnected = True
        try:
            url = (await self._reconnect()).rstrip("/")
        except Exception as err:  # the hook failing is reported as the original failure
            log.warning("could not bring the server back: %s", err)
            return False
        if url != self.base_url:
            log.info("the server is back at %s", url)
            self.base_url = url
            self._api_origin = _origin(httpx.URL(url))
            self._http.base_url = httpx.URL(url)
        return True

    def _connection_error(self, exc: Exception) -> NemoConnectionError:
        kind = "timed out" if isinstance(exc, httpx.TimeoutException) else "failed"
        if httpx.URL(self.base_url).host in ("127.0.0.1", "localhost", "::1"):
            return NemoConnectionError(
                f"The local engine at {self.base_url} is not answering (it may have stopped); "
                "call nemo_nb.connect() again to restart it."
            )
        return NemoConnectionError(
            f"The connection to {self.base_url} {kind}; check the network and try again."
        )

    # -- endpoints ------------------------------------------------------------------------------
    async def create_session(self, language: str = "en") -> Session:
        """Create a project session (``POST /api/tasks/me/with-session/nemo_agent``)."""
        data = await self._call(
            "POST",
            f"/api/tasks/me/with-session/{APP_NAME}",
            json_body={"task_name": "project", "language": language},
        )
        data = data if isinstance(data, Mapping) else {}
        sid = data.get("session_id") or data.get("sessionId")
        if not sid:
            raise ServerError("The server did not return a session id; try again.")
        user = data.get("user_id") or data.get("userId")
        if user and not self.user_id:
            self.user_id = str(user)
        task = data.get("task_id") or data.get("taskId")
        return Session(str(sid), str(task) if task else None, str(user) if user else self.user_id)

    def chat(self, session_id: str, text: str, *, turn_timeout: float = TURN_TIMEOUT) -> ChatStream:
        """Send one message and stream the agent's reply as :class:`ChatEvent` s.

        The message is POSTed once. If the stream breaks after the server may have accepted it,
        the events that arrived are yielded and then :class:`StreamInterruptedError` is raised:
        the message is never re-sent (read the state to learn whether the edit landed).
        """
        return ChatStream(lambda stream: self._chat(stream, str(session_id), text, turn_timeout))

    async def _chat(
        self, stream: ChatStream, session_id: str, text: str, turn_timeout: float
    ) -> AsyncIterator[ChatEvent]:
        body = {
            "app_name": APP_NAME,
            "user_id": "me",
            "session_id": session_id,
            "new_message": {"parts": [{"text": text}]},
        }
        read = min(CHAT_READ_TIMEOUT, turn_timeout)
        timeout = httpx.Timeout(connect=10.0, read=read, write=60.0, pool=10.0)
        budget = _RetryBudget()
        while True:
            headers = await self._bearer_headers()
            sent_token = self._token.get()
            headers["Accept"] = "text/event-stream"
            headers["Cache-Control"] = "no-store"
            request = self._http.build_request(
                "POST", "/run_sse", json=body, headers=headers, timeout=timeout
            )
            try:
                resp = await self._http.send(request, stream=True)
            except httpx.TransportError as exc:
                if await self._may_reconnect(exc, budget):
                    continue  # refused: the message never left, so sending it now is no resend
                raise self._connection_error(exc) from exc  # may have been received: no resend
            try:
                ctype = resp.headers.get("content-type", "")
                if resp.status_code >= 400 or "json" in ctype:
                    # Refused before streaming: nothing was accepted, so the recovery table applies.
                    await resp.aread()
                    try:
                        payload: Any = resp.json()
                    except ValueError:
                        payload = None
                    try:
                        self._unwrap(resp, payload, "/run_sse")
                    except (AuthError, RateLimitError) as err:
                        if await self._may_retry(err, budget, sent_token):
                            continue
                        raise
                    for event in FrameParser().feed(resp.text):
                        if event.kind == "text":
                            stream._texts.append(event.text or "")
                        yield event
                    return
                if "text/html" in ctype:  # a proxy or captive portal, not the agent
                    raise NemoConnectionError(
                        f"{self.base_url} answered with a web page instead of the agent's "
                        "stream; check the network (a login page or proxy?) and try again."
                    )
                feed = FrameParser().feed
                texts = stream._texts
                deadline = time.monotonic() + turn_timeout
                try:
                    async for batch in iter_sse_data(resp.aiter_text()):
                        for data in batch:
                            for event in feed(data):
                                if event.kind == "text":
                                    texts.append(event.text)  # type: ignore[arg-type]
                                yield event
                        if time.monotonic() > deadline:
                            raise StreamInterruptedError(
                                f"The agent did not finish within {turn_timeout / 60:g} minutes; "
                                "the message was sent and is not resent: check the timeline "
                                "before trying again."
                            )
                except httpx.TransportError as exc:
                    log.debug("chat stream broke: %s", type(exc).__name__)
                    raise StreamInterruptedError() from exc
                return
            finally:
                await resp.aclose()

    async def upload(
        self, session_id: str, *paths_or_urls: str | os.PathLike[str]
    ) -> list[UploadedFile]:
        """Upload local files (one multipart request, streamed from disk) and/or import URLs.

        Every file is checked first (exists, at most 200 MB, content an accepted type); nothing is
        sent if one fails. HEIC photos are converted to JPEG when ``convert_heic``. Results come
        back in the order given.
        """
        session_id = str(session_id)
        checked: list[tuple[bool, Any]] = []
        for item in paths_or_urls:
            if is_url(item):
                checked.append((True, str(item)))
            else:
                checked.append((False, prepare_file(item, self.accepted_types)))
        path = f"/api/upload-video/{APP_NAME}/me/{session_id}"
        results: list[UploadedFile] = []
        with tempfile.TemporaryDirectory(prefix="nemo-nb-upload-") as tmpdir:
            ready: list[tuple[bool, Any]] = []
            for is_link, value in checked:
                if not is_link:
                    prepared, media = value
                    if media.ext == "heic" and self.convert_heic:
                        prepared = await asyncio.to_thread(convert_heic_to_jpeg, prepared, tmpdir)
                    value = prepared
                ready.append((is_link, value))
            # Consecutive runs of the same kind share one request, which keeps the order.
            i = 0
            while i < len(ready):
                j = i
                while j < len(ready) and ready[j][0] == ready[i][0]:
                    j += 1
                run = [v for _, v in ready[i:j]]
                if ready[i][0]:
                    data = await self._call(
                        "POST", path, json_body={"urls": run, "source_type": "url"}
                    )
                else:
                    data = await self._call("POST", path, files=self._multipart(run))
                results.extend(self._uploaded(data))
                i = j
        return results

    @staticmethod
    def _multipart(run: list[PreparedFile]) -> Callable[[], list[Any]]:
        def build() -> list[Any]:
            return [("files", (p.filename, open(p.path, "rb"), p.mime)) for p in run]  # noqa: SIM115

        return build

    @staticmethod
    def _uploaded(data: Any) -> list[UploadedFile]:
        if isinstance(data, Mapping):
            items = data.get("files") or data.get("uploaded_files") or data.get("uploadedFiles")
        else:
            items = data
        return [UploadedFile.from_json(f) for f in items or [] if isinstance(f, Mapping)]

    async def credits(self) -> Credits:
        """The credit balance (``GET /api/credits/balance/simple``)."""
        data = await self._call("GET", "/api/credits/balance/simple", idempotent=True)
        return Credits.from_json(data if isinstance(data, Mapping) else {})

    async def state(self, session_id: str) -> SessionState:
        """The session's latest state: draft (timeline), media, canvas (``GET …/latest``)."""
        data = await self._call(
            "GET", f"/api/state/{APP_NAME}/me/{session_id}/latest", idempotent=True
        )
        return SessionState.from_json(data if isinstance(data, Mapping) else {})

    # -- render ---------------------------------------------------------------------------------
    async def start_render(
        self, session_id: str, draft: Any, render_id: str | None = None
    ) -> RenderJob:
        """Submit the draft for export (free). A duplicate id is replaced by a new one once."""
        draft_json = _draft_dict(draft)
        if not draft_is_exportable(draft_json):
            raise RenderError(
                "The timeline is empty, so there is nothing to export yet; "
                "ask the agent to animate a photo first."
            )
        rid = render_id or _new_render_id()
        for attempt in range(2):
            payload = {
                "id": rid,
                "sessionId": str(session_id),
                "draft": draft_json,
                "output": {"format": "mp4", "quality": "high"},
            }
            try:
                data = await self._call("POST", "/api/render/proxy/lambda", json_body=payload)
            except NemoError as err:
                if type(err) is not NemoError:
                    raise
                said = f"{err.detail or ''} {err.message}"
                if attempt == 0 and (err.status_code == 409 or _DUPLICATE.search(said)):
                    log.info("render id %s already used; retrying with a new id", rid)
                    rid = _new_render_id()
                    continue
                reason = f": {err.detail.rstrip('.')}" if err.detail else ""
                raise RenderError(
                    f"The export could not start{reason}.",
                    code=err.code,
                    detail=err.detail,
                    status_code=err.status_code,
                ) from None
            return RenderJob.from_json(data if isinstance(data, Mapping) else {}, fallback_id=rid)
        raise AssertionError("unreachable")  # pragma: no cover

    async def render_status(self, render_id: str | RenderJob) -> RenderJob:
        """Poll a render job (shapes A, B and C of contract §3 are all understood)."""
        rid = render_id.id if isinstance(render_id, RenderJob) else str(render_id)
        try:
            body = await self._call(
                "GET", f"/api/render/proxy/lambda/{rid}", idempotent=True, accept=_has_status
            )
        except NemoError as err:
            if type(err) is NemoError and err.status_code == 404:
                raise RenderError(
                    f"There is no render job '{rid}' on the server.", code=404, status_code=404
                ) from None
            raise
        if isinstance(body, Mapping) and _has_status(body):
            return RenderJob.from_json(body, fallback_id=rid)
        raise ServerError("The render status answer was not understood; try again.")

    async def wait_render(
        self,
        render_id: str | RenderJob,
        on_progress: Callable[[RenderJob], Any] | None = None,
        *,
        timeout: float = RENDER_WAIT_TIMEOUT,
    ) -> RenderJob:
        """Poll until the job completes (returned) or fails (:class:`RenderError`).

        Polls after ~1 s, then backs off ×1.5 up to 30 s, so a quick job is noticed quickly.
        ``on_progress(job)`` (sync or async) is called after every poll.
        """
        rid = render_id.id if isinstance(render_id, RenderJob) else str(render_id)
        interval, waited = POLL_START, 0.0
        while True:
            job = await self.render_status(rid)
            if on_progress is not None:
                result = on_progress(job)
                if inspect.isawaitable(result):
                    await result
            if job.status == "completed":
                return job
            if job.status in ("failed", "cancelled"):
                reason = (job.error or "no reason given").rstrip(".")
                msg = (
                    "The render was cancelled."
                    if job.status == "cancelled"
                    else f"The render failed: {reason}."
                )
                err = RenderError(msg, detail=job.error)
                err.job = job
                raise err
            if waited >= timeout:
                err = RenderError(
                    f"The render is still running after {waited / 60:.0f} minutes; "
                    f"it keeps going on the server and '{rid}' can be checked later."
                )
                err.job = job
                raise err
            await self._sleep(interval)
            waited += interval
            interval = min(interval * POLL_FACTOR, POLL_CAP)

    async def cancel_render(self, render_id: str | RenderJob) -> None:
        """Ask the server to cancel a pending or running render."""
        rid = render_id.id if isinstance(render_id, RenderJob) else str(render_id)
        await self._call("POST", f"/api/render/proxy/lambda/{rid}/cancel")

    async def download(
        self, job_or_url: RenderJob | str | httpx.URL, dest: str | os.PathLike[str]
    ) -> Path:
        """Download a render (or any URL) to ``dest`` (a directory or a file path).

        Streams to a temporary file beside the target and renames it into place, so ``dest`` is
        never half-written. The bearer token is sent only to the API's own origin; a CDN URL gets
        no Authorization header.
        """
        if isinstance(job_or_url, RenderJob):
            url = job_or_url.output_url or f"/api/render/proxy/{job_or_url.id}/download"
            default_name = f"{job_or_url.id}.mp4"
        else:
            url = str(job_or_url)
            default_name = ""
        full = httpx.URL(self.base_url + url if url.startswith("/") else url)
        name = default_name or Path(full.path).name or "download.mp4"
        target = Path(dest).expanduser()
        if target.is_dir() or str(dest).endswith((os.sep, "/")):
            target = target / name
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.part")
        try:
            await self._download_to(full, tmp, follow_json=True)
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)
        return target

    async def _download_to(self, url: httpx.URL, tmp: Path, *, follow_json: bool) -> None:
        own = self._is_api_origin(url)
        budget = _RetryBudget()
        attempt = 0
        while True:
            if own:
                headers = await self._bearer_headers()
                sent_token = self._token.get()
            else:
                headers, sent_token = {"User-Agent": self._attribution()["User-Agent"]}, None
            try:
                # httpx drops Authorization when a redirect leaves the origin.
                async with self._http.stream(
                    "GET", url, headers=headers, follow_redirects=True
                ) as resp:
                    if resp.status_code >= 400 or "json" in resp.headers.get("content-type", ""):
                        await resp.aread()
                        try:
                            body: Any = resp.json()
                        except ValueError:
                            body = None
                        data = self._unwrap(resp, body, url.path)
                        link = None
                        if isinstance(data, Mapping):
                            output = (
                                data.get("output")
                                if isinstance(data.get("output"), Mapping)
                                else {}
                            )
                            link = data.get("outputUrl") or data.get("url") or output.get("url")
                        if follow_json and link:  # a gateway that answers with the file's URL
                            await self._download_to(httpx.URL(str(link)), tmp, follow_json=False)
                            return
                        raise ServerError(
                            "The download answered with data instead of a video file."
                        )
                    with open(tmp, "wb") as fh:
                        async for chunk in resp.aiter_bytes(1 << 16):
                            fh.write(chunk)
                    return
            except httpx.TransportError as exc:
                if attempt < GET_RETRIES:
                    await self._sleep(self._backoff(attempt))
                    attempt += 1
                    continue
                raise self._connection_error(exc) from exc
            except AuthError as err:
                if await self._may_retry(err, budget, sent_token, renew=own):
                    continue
                raise
            except ServerError:
                if attempt < GET_RETRIES:
                    await self._sleep(self._backoff(attempt))
                    attempt += 1
                    continue
                raise
