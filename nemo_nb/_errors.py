"""The error tree. Every error's ``str()`` is one sentence a person understands, plus the code.

A leaf module, so that every layer can raise a :class:`NemoError`: the client's errors are here,
and the renderer's, the engine's and the timeline's subclass :class:`NemoError` where they are
defined. ``__all__`` is the one list of these names; ``nemo_nb.api`` and the package root
re-export it.

Messages never contain the bearer token: every message and detail is passed through
:func:`nemo_nb._secrets.redact` before it is stored.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any

from nemo_nb._mediatype import MAX_UPLOAD_MB
from nemo_nb._secrets import redact

__all__ = [
    "NemoError",
    "AuthError",
    "SessionNotFoundError",
    "CreditsError",
    "UnsupportedMediaError",
    "FileTooLargeError",
    "MediaFileNotFoundError",
    "PlanError",
    "RateLimitError",
    "ServerError",
    "MalformedResponseError",
    "NemoConnectionError",
    "StreamInterruptedError",
    "RenderError",
    "UrlImportError",
]


class NemoError(Exception):
    """Base class of every error nemo-nb raises for a person to read (and of no other).

    ``str(err)`` is one sentence for a person (with the code in parentheses when there is one);
    ``err.code`` is the contract code (e.g. ``2001``) or the HTTP status; ``err.detail`` is what
    the server said, if anything (token-free).
    """

    default_message = "The NemoVideo request failed."

    def __init__(
        self,
        message: str | None = None,
        *,
        code: int | str | None = None,
        detail: str | None = None,
        status_code: int | None = None,
    ) -> None:
        self.message = redact(message or self.default_message)
        self.code = code
        self.detail = redact(detail) if detail else None
        self.status_code = status_code
        super().__init__(self.message)

    def __str__(self) -> str:
        if self.code is None or self.code == "":
            return self.message
        return f"{self.message} (code {self.code})"

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, code={self.code!r})"


class AuthError(NemoError):
    """The token was rejected (1001/1010/1011, HTTP 401) and could not be renewed."""

    default_message = (
        "Your NemoVideo token was rejected or has expired; set a valid NEMO_TOKEN, "
        "or unset it to use a free anonymous one."
    )


class SessionNotFoundError(NemoError):
    """The session no longer exists (1002, HTTP 404 on ``/run_sse``): start a new one."""

    default_message = (
        "This editing session no longer exists on the server, so a new session is needed "
        "and the timeline starts fresh."
    )


def _web_url() -> str:
    return (os.environ.get("NEMO_WEB_URL") or "https://nemovideo.com").rstrip("/")


class CreditsError(NemoError):
    """Out of credits (2001). ``bind_url`` is the registration link for anonymous users."""

    default_message = "You are out of NemoVideo credits; top up at nemovideo.com to continue."

    def __init__(
        self,
        message: str | None = None,
        *,
        anonymous_user_id: str | None = None,
        anonymous: bool = False,
        **kw: object,
    ) -> None:
        self.bind_url: str | None = None
        if anonymous:
            web = _web_url()
            self.bind_url = (
                f"{web}/register?bind={anonymous_user_id}"
                if anonymous_user_id
                else f"{web}/register"
            )
            message = message or (
                "You are out of free credits; register at "
                f"{self.bind_url} to keep this project and get more."
            )
        else:
            message = message or f"You are out of NemoVideo credits; top up at {_web_url()}."
        super().__init__(message, **kw)  # type: ignore[arg-type]


class UnsupportedMediaError(NemoError):
    """The file's content is not an accepted media type (4001). ``accepted`` lists what is."""

    default_message = "That file type is not supported."

    def __init__(
        self, message: str | None = None, *, accepted: Iterable[str] = (), **kw: object
    ) -> None:
        self.accepted: tuple[str, ...] = tuple(sorted(accepted))
        if message is None:
            message = "That file type is not supported"
            message += f"; accepted types: {', '.join(self.accepted)}." if self.accepted else "."
        super().__init__(message, **kw)  # type: ignore[arg-type]


class FileTooLargeError(NemoError):
    """The file is over the upload limit, :data:`~nemo_nb._mediatype.MAX_UPLOAD_MB` (4002)."""

    default_message = (
        f"That file is over the {MAX_UPLOAD_MB} MB limit; compress or trim it and try again."
    )


class MediaFileNotFoundError(NemoError, FileNotFoundError):
    """A path given to ``upload`` does not exist (or is not a file)."""

    default_message = "That file does not exist."


class UrlImportError(NemoError):
    """A URL given to ``upload`` could not be imported: this machine cannot reach its address
    (no internet connection, a name that does not resolve), or the download took too long."""

    default_message = "The address could not be imported; download the file and upload it."


class PlanError(NemoError):
    """HTTP 402: the free plan cannot do this (a tier limit, not credits)."""

    default_message = (
        "Your free NemoVideo plan does not allow this (export is blocked on the free tier); "
        "register at nemovideo.com to unlock it."
    )


class RateLimitError(NemoError):
    """HTTP 429 that persisted after one wait-and-retry."""

    default_message = "The server is rate-limiting requests; wait a minute and try again."
    #: Seconds the server asked us to wait (``Retry-After``), when it said.
    retry_after: float | None = None


class ServerError(NemoError):
    """HTTP 5xx (after retries, for idempotent calls)."""

    default_message = "The NemoVideo server had a problem; try again in a moment."


class MalformedResponseError(ServerError):
    """A successful HTTP status whose body could not be read (truncated or garbled JSON), or a
    reply stream that ended without a single event."""

    default_message = "The server's answer was cut off or garbled; try again in a moment."


class NemoConnectionError(NemoError):
    """The server could not be reached, or the connection broke."""

    default_message = "Could not reach the NemoVideo server; check the connection and try again."


class StreamInterruptedError(NemoConnectionError):
    """The chat stream broke mid-body. The message *was* sent; it is never resent automatically."""

    default_message = (
        "The connection dropped while the agent was replying; your message was already sent, "
        "so it was not resent: check the timeline before trying again."
    )


class RenderError(NemoError):
    """A render job failed, could not be started, or took too long."""

    default_message = "The render failed."
    #: The job as last seen, when there was one (``job.done`` False: still running on the server).
    job: Any = None
