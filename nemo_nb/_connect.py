"""``connect()``: a ready :class:`~nemo_nb.api.NemoClient` for the cloud or the embedded engine.

Sits above both the API layer and the engine's launcher; nothing below imports it.
"""

from __future__ import annotations

import asyncio
import os
from typing import TYPE_CHECKING, Any

import httpx

if TYPE_CHECKING:
    from nemo_nb.api import NemoClient
    from nemo_nb.skills import Skill

__all__ = ["connect"]

_BACKENDS = ("auto", "local", "cloud")


async def connect(
    backend: str = "auto", *, skill: str | Skill | None = None, **client_kwargs: Any
) -> NemoClient:
    """Return a client ready to use.

    ``"cloud"`` talks to NemoVideo (``NEMO_API_URL`` or the default host; ``NEMO_TOKEN`` or a free
    anonymous token). ``"local"`` attaches to the embedded engine serving this data dir, or starts
    it as a child process on 127.0.0.1 (a free port), and keeps it alive while this process runs;
    it stops by itself once the last process using it has exited. ``"auto"`` is the cloud when
    ``NEMO_TOKEN`` is set, else local. A URL (``"http://host:8800"``) talks to a server of the same
    API there, such as one ``nemo-nb serve --host 0.0.0.0`` for a workshop room. ``client_kwargs``
    go to :class:`NemoClient`.

    >>> client = await nemo_nb.connect()          # offline, no account
    """
    from nemo_nb.api import NemoClient

    if backend.startswith(("http://", "https://")):
        # A server of the same API at that address, e.g. one `nemo-nb serve` for a whole room.
        return NemoClient(backend, skill=skill, **client_kwargs)
    if backend not in _BACKENDS:
        raise ValueError(
            f"backend must be one of {', '.join(_BACKENDS)} or a server URL, not {backend!r}."
        )
    if backend == "auto":
        backend = "cloud" if os.environ.get("NEMO_TOKEN") else "local"
    if backend == "cloud":
        return NemoClient(skill=skill, **client_kwargs)

    from nemo_nb._mediatype import ENGINE_TYPES
    from nemo_nb.engine.launcher import ensure_engine

    async def restart_engine() -> str:
        # The engine stopped (killed, crashed): start or attach again on the same data dir,
        # where sessions, drafts and tokens live on.
        return (await asyncio.to_thread(ensure_engine)).url

    handle = await asyncio.to_thread(ensure_engine)
    # The engine decodes HEIC/AVIF itself: no conversion, and the client may send them.
    client_kwargs.setdefault("convert_heic", False)
    client_kwargs.setdefault("accepted_types", ENGINE_TYPES)
    client_kwargs.setdefault("reconnect", restart_engine)
    # A fresh connection per call (cheap on loopback): a stopped engine then always shows up as a
    # refused connection, which is safe to retry once restarted, never as a reused socket that
    # breaks mid-request and leaves it unknown whether a chat message arrived.
    client_kwargs.setdefault(
        "transport", httpx.AsyncHTTPTransport(limits=httpx.Limits(max_keepalive_connections=0))
    )
    return NemoClient(handle.url, skill=skill, **client_kwargs)
