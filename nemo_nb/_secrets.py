"""Keep bearer tokens out of reprs, messages and logs.

A leaf module: the client registers its tokens here, and every error message passes through
:func:`redact` (:mod:`nemo_nb._errors`).

Every token a client holds is registered here; :func:`redact` replaces any registered token (and any
``Bearer …`` value) with ``[redacted]``. A logging filter applies it to the httpx/httpcore/nemo_nb
loggers, whose debug output could otherwise show request headers.
"""

from __future__ import annotations

import logging
import re
import threading

__all__ = ["register_secret", "redact", "install_log_filter", "RedactingFilter"]

_lock = threading.Lock()
_secrets: set[str] = set()
_BEARER = re.compile(r"(?i)(bearer\s+)[^\s'\",;)\]}]+")
REDACTED = "[redacted]"


def register_secret(secret: str | None) -> None:
    """Remember a secret so that :func:`redact` scrubs it everywhere from now on."""
    if secret and len(secret) >= 6:
        with _lock:
            _secrets.add(secret)


def redact(text: str) -> str:
    """Return ``text`` with every registered secret and bearer value replaced."""
    if not text:
        return text
    for secret in tuple(_secrets):
        if secret in text:
            text = text.replace(secret, REDACTED)
    if "bearer" in text.lower():
        text = _BEARER.sub(lambda m: m.group(1) + REDACTED, text)
    return text


class RedactingFilter(logging.Filter):
    """A logging filter that renders the record's message once and redacts it."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string is not ours to fix
            return True
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        return True


_FILTER = RedactingFilter()
# Logger filters are not inherited by child loggers, so name every logger that may see headers.
_LOGGERS = (
    "httpx",
    "httpcore",
    "httpcore.connection",
    "httpcore.http11",
    "httpcore.http2",
    "httpcore.proxy",
    "httpcore.socks",
    "nemo_nb",
    "nemo_nb.api",
    "nemo_nb.sync",
)


def install_log_filter() -> None:
    """Attach the redacting filter to the loggers that could see an Authorization header."""
    for name in _LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
