"""The one request path of :class:`~nemo_nb.api.NemoClient`: identity and token, the send primitive
:meth:`_Connection._send`, and the contract's recovery table (docs/contract.md §1) as one policy,
:class:`Recovery`.

Every call, chat message and download goes through ``_send`` with a ``Recovery``; the endpoint
mixins (sessions and chat, uploads, renders) only build requests and read answers.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import re
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any, Literal

import httpx

from nemo_nb._contract import is_loopback, lenient_number
from nemo_nb._errors import (
    AuthError,
    CreditsError,
    FileTooLargeError,
    MalformedResponseError,
    NemoConnectionError,
    NemoError,
    PlanError,
    RateLimitError,
    ServerError,
    SessionNotFoundError,
    UnsupportedMediaError,
)
from nemo_nb._mediatype import CLOUD_TYPES
from nemo_nb._secrets import install_log_filter, register_secret
from nemo_nb._unicode import valid_json
from nemo_nb.api._identity import attribution_headers, detect_platform, load_client_id
from nemo_nb.api._identity import new_client_id as _new_client_id
from nemo_nb.skills import Skill, get_skill

log = logging.getLogger("nemo_nb.api")

DEFAULT_BASE_URL = "https://mega-api-prod.nemovideo.ai"
APP_NAME = "nemo_agent"
RATE_LIMIT_WAIT = 30.0  # docs/contract.md §1, when the server sends no Retry-After
MAX_RATE_LIMIT_WAIT = 300.0  # a longer Retry-After is reported rather than slept through
GET_RETRIES = 3  # backed-off retries of an idempotent request after a 5xx or a broken connection

Auth = Literal["bearer", "client_id", "none"]
SleepFn = Callable[[float], Awaitable[Any]]

_AUTH_CODES = {1001, 1010, 1011}
_SESSION_PATHS = ("/run_sse", "/api/state/", "/api/upload-video/")
_GENERIC_4001 = re.compile(r"unsupported|not supported|file type|invalid (?:file|format)", re.I)


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


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?", "。")) else text + "."


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    default = {"http": 80, "https": 443}.get(url.scheme)
    return url.scheme.lower(), url.host.lower(), url.port or default


def _int_code(code: Any) -> int | None:
    number = lenient_number(code)
    return int(number) if number is not None and number == int(number) else None


def _retry_after(resp: httpx.Response) -> float | None:
    value = resp.headers.get("retry-after")
    if not value:
        return None
    seconds = lenient_number(value)
    if seconds is not None:
        return max(0.0, seconds)
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError, IndexError):
        return None


def _server_message(body: Any) -> str | None:
    if isinstance(body, Mapping):
        for key in ("message", "error", "detail", "msg", "errorMessage"):
            value = body.get(key)
            if isinstance(value, str) and value:
                return value[:300]
            if isinstance(value, Mapping) and isinstance(value.get("message"), str):
                return value["message"][:300]
    return None


@dataclass
class Answer:
    """What :meth:`_Connection._send` got back: the response, and its unwrapped JSON ``data``
    unless ``streaming`` (then the body is still unread and the caller reads and closes it)."""

    response: httpx.Response
    data: Any = None
    streaming: bool = False


class Recovery:
    """The contract's recovery table (docs/contract.md §1) for one logical request.

    Each at most once: renew a rejected anonymous token (same client id), wait out a 429
    (``Retry-After`` or 30 s), let ``reconnect`` bring a refused server back, replace a client id
    the server rejected. An idempotent request also gets :data:`GET_RETRIES` backed-off retries
    after a 5xx, a garbled answer or a broken connection; anything else is sent only once, because
    the server may have acted on it.
    """

    def __init__(self, conn: _Connection, *, idempotent: bool, auth: Auth = "bearer") -> None:
        self._conn = conn
        self.idempotent = idempotent
        self.auth = auth
        self.renewed = self.rate_waited = self.reconnected = self.new_client_id = False
        self.restart_failed = False
        self.retries = 0

    async def after_transport_error(self, exc: Exception) -> bool:
        """True when the request should be sent again after ``exc`` (no answer came)."""
        own_server = self.auth != "none"  # a CDN refusing is not our server stopping
        if own_server and isinstance(exc, httpx.ConnectError) and not self.reconnected:
            # Refused: nothing was sent, so even a chat message may go again once it is back.
            self.reconnected = True
            back = await self._conn._bring_back()
            if back:
                return True
            self.restart_failed = back is False  # None: there is no hook to restart with
        return await self._backoff(None)

    async def after_refusal(
        self, err: NemoError, resp: httpx.Response, sent_token: str | None
    ) -> bool:
        """True when the request should be sent again after the server answered ``err``."""
        if isinstance(err, AuthError):
            if self.auth != "bearer" or self.renewed:
                return False
            self.renewed = True
            return await self._conn._renew_token(sent_token)
        if isinstance(err, RateLimitError):
            wait = RATE_LIMIT_WAIT if err.retry_after is None else err.retry_after
            if self.rate_waited or wait > MAX_RATE_LIMIT_WAIT:
                return False
            self.rate_waited = True
            log.info("rate limited; waiting %.0f s before one retry", wait)
            await self._conn._sleep(wait)
            return True
        if isinstance(err, ServerError):
            return await self._backoff(resp)
        if self.auth == "client_id" and resp.status_code == 400 and not self.new_client_id:
            # docs/contract.md §1: HTTP 400 here means a missing or invalid X-Client-Id
            self.new_client_id = True
            self._conn._replace_client_id()
            return True
        return False

    async def _backoff(self, resp: httpx.Response | None) -> bool:
        if not self.idempotent or self.retries >= GET_RETRIES:
            return False
        hinted = _retry_after(resp) if resp is not None else None
        wait = hinted if hinted is not None and hinted <= 60 else None
        if wait is None:
            wait = min(8.0, 0.5 * 2**self.retries) * random.uniform(0.75, 1.0)
        self.retries += 1
        await self._conn._sleep(wait)
        return True


class _Connection:
    """Identity, token and the one request path; the endpoint mixins build on it."""

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
        render_poll: tuple[float, float, float] | None = None,
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
        self._render_poll = render_poll
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
    def is_local(self) -> bool:
        """True when the server runs on this machine (a loopback address, e.g. the engine)."""
        return is_loopback(self.base_url)

    @property
    def client_id(self) -> str:
        """The ``X-Client-Id`` (from the argument, ``NEMO_CLIENT_ID`` or the persisted file)."""
        if self._client_id is None:
            self._client_id, self._client_id_source = load_client_id()
        return self._client_id

    def _replace_client_id(self) -> None:
        persist = self._client_id_source in (None, "file", "new")
        self._client_id = _new_client_id(persist=persist)

    def __repr__(self) -> str:
        who = self.user_id or ("anonymous" if self.is_anonymous else "token")
        return f"NemoClient(base_url={self.base_url!r}, skill={self.skill.name!r}, user={who!r})"

    __str__ = __repr__

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

    async def _auth_headers(self, auth: Auth) -> tuple[dict[str, str], str | None]:
        """The headers for one attempt, and the token they carry (to renew exactly that one)."""
        if auth == "client_id":
            return {**self._attribution(), "X-Client-Id": self.client_id}, None
        if auth == "none":  # another origin (a CDN): no token, and no attribution either
            return {"User-Agent": self._attribution()["User-Agent"]}, None
        if self._token.get() is None:
            async with self._lock():
                if self._token.get() is None:
                    await self._fetch_anonymous_token()
        token = self._token.get()
        return {**self._attribution(), "Authorization": f"Bearer {token}"}, token

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

    async def _bring_back(self) -> bool | None:
        """After a refused connection, let the ``reconnect`` hook bring the server back (the
        embedded engine is restarted on its data dir): True when it is answering again, False
        when that failed, None without a hook."""
        if self._reconnect is None:
            return None
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

    # -- errors ---------------------------------------------------------------------------------
    def _error(
        self, status: int, code: Any, message: str | None, path: str, resp: httpx.Response
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
            reason = _sentence(message) if message and not _GENERIC_4001.search(message) else None
            return UnsupportedMediaError(reason, accepted=self.accepted_types, **kw)
        if c == 4002:
            return FileTooLargeError(**kw)
        if status == 402:
            return PlanError(**kw)
        if status == 429:
            # In the contract's envelope the server's sentence says what is limited and for how
            # long (tokens, queued exports); a bare 429 gets the generic advice.
            said = _sentence(message) if message and c == 429 else None
            err = RateLimitError(said, **kw)
            err.retry_after = _retry_after(resp)
            return err
        if status == 413:
            said = _sentence(message) if message else None
            return NemoError(said or "The request was larger than the server accepts.", **kw)
        if status == 507 and message:  # the engine: its disk is full, and it says where
            return ServerError(_sentence(message), **kw)
        if status >= 500:
            return ServerError(
                f"The NemoVideo server had a problem (HTTP {status}); try again in a moment.", **kw
            )
        what = f": {message.rstrip('.')}" if message else f" (HTTP {status})"
        return NemoError(f"The server refused the request{what}.", **kw)

    def _unwrap(self, resp: httpx.Response, body: Any, path: str) -> Any:
        """docs/contract.md §1: ``code`` envelope, ``success`` envelope, or the raw body."""
        status = resp.status_code
        if isinstance(body, Mapping):
            if "code" in body and _int_code(body["code"]) is not None:
                if _int_code(body["code"]) != 0 or status >= 400:
                    raise self._error(status, body["code"], _server_message(body), path, resp)
                return body.get("data", {})
            if "success" in body and isinstance(body["success"], bool):
                if not body["success"] or status >= 400:
                    code = body.get("code") if body.get("code") is not None else status
                    raise self._error(status, code, _server_message(body), path, resp)
                return body["data"] if body.get("data") is not None else body
        if status >= 400:
            raise self._error(status, None, _server_message(body), path, resp)
        return body

    def _connection_error(self, exc: Exception, recovery: Recovery) -> NemoConnectionError:
        if self.is_local and self._reconnect is not None and not recovery.restart_failed:
            # Broke mid-request (not refused): connect()'s hook restarts the engine on the next
            # call by itself, so there is nothing for the user to restart.
            return NemoConnectionError(
                f"The local engine at {self.base_url} stopped while answering; it starts again "
                "by itself on the next request, so try again (check the timeline first)."
            )
        if self.is_local and self._reconnect is not None:
            return NemoConnectionError(
                f"The local engine at {self.base_url} stopped and could not be started again; "
                "see the log above, then call nemo_nb.connect() again."
            )
        if self.is_local:
            return NemoConnectionError(
                f"The local engine at {self.base_url} is not answering (it may have stopped); "
                "call nemo_nb.connect() again to restart it."
            )
        kind = "timed out" if isinstance(exc, httpx.TimeoutException) else "failed"
        return NemoConnectionError(
            f"The connection to {self.base_url} {kind}; check the network and try again."
        )

    # -- the send primitive ---------------------------------------------------------------------
    async def _send(
        self,
        method: str,
        url: str | httpx.URL,
        recovery: Recovery,
        *,
        json_body: Any = None,
        files: Callable[[], list[Any]] | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: httpx.Timeout | None = None,
        stream: bool = False,
        follow_redirects: bool = False,
        accept: Callable[[Any], bool] | None = None,
    ) -> Answer:
        """Send one logical request, recovering as ``recovery`` allows; return its :class:`Answer`.

        A JSON or error answer is read, unwrapped (docs/contract.md §1) and, if refused, raised as a
        typed error. With ``stream``, any other successful answer is handed back unread
        (``streaming``).
        ``files`` builds the multipart list anew for each attempt (streamed from disk, closed
        after). ``accept(body)`` true returns a successful body as it is, before unwrapping.
        """
        path = url.path if isinstance(url, httpx.URL) else url
        while True:
            auth_headers, sent_token = await self._auth_headers(recovery.auth)
            handles: list[Any] = []
            kwargs: dict[str, Any] = {}
            if json_body is not None:
                kwargs["json"] = valid_json(json_body)  # UTF-8 cannot encode a lone surrogate
            if files is not None:
                parts = files()
                handles = [p[1][1] for p in parts]
                kwargs["files"] = parts
            if timeout is not None:
                kwargs["timeout"] = timeout
            request = self._http.build_request(
                method, url, headers={**auth_headers, **(headers or {})}, **kwargs
            )
            try:
                resp = await self._http.send(
                    request, stream=True, follow_redirects=follow_redirects
                )
            except httpx.TransportError as exc:
                if await recovery.after_transport_error(exc):
                    continue
                raise self._connection_error(exc, recovery) from exc
            finally:
                for fh in handles:
                    fh.close()
            log.debug("%s %s -> HTTP %s", method, path, resp.status_code)
            is_json = "json" in resp.headers.get("content-type", "")
            if stream and resp.status_code < 400 and not is_json:
                return Answer(resp, streaming=True)
            try:
                await resp.aread()
            except httpx.TransportError as exc:
                if await recovery.after_transport_error(exc):
                    continue
                raise self._connection_error(exc, recovery) from exc
            finally:
                await resp.aclose()
            try:
                body = self._json(resp, is_json)
                if accept is not None and resp.status_code < 400 and accept(body):
                    return Answer(resp, body)
                return Answer(resp, self._unwrap(resp, body, path))
            except NemoError as err:
                if await recovery.after_refusal(err, resp, sent_token):
                    continue
                raise

    @staticmethod
    def _json(resp: httpx.Response, is_json: bool) -> Any:
        """The answer's JSON; a successful answer that is not readable JSON is a typed error
        (an error status keeps its HTTP meaning whatever its body)."""
        if not resp.content:
            return None
        try:
            return resp.json()
        except ValueError:
            if resp.status_code >= 400:
                return None
            kind = "cut off or garbled JSON" if is_json else "something other than JSON"
            raise MalformedResponseError(
                f"The server's answer was {kind}, so it could not be read; try again in a moment.",
                status_code=resp.status_code,
            ) from None

    async def _call(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        files: Callable[[], list[Any]] | None = None,
        auth: Auth = "bearer",
        idempotent: bool = False,
        accept: Callable[[Any], bool] | None = None,
    ) -> Any:
        """One JSON request with the contract's recovery; returns the unwrapped ``data``."""
        recovery = Recovery(self, idempotent=idempotent, auth=auth)
        answer = await self._send(
            method, path, recovery, json_body=json_body, files=files, accept=accept
        )
        return answer.data
