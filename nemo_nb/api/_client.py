"""NemoClient: the async client of NemoVideo's agent API (cloud or the embedded engine).

One long-lived ``httpx.AsyncClient``. The class is assembled from parts, each in its own module:
the request path and recovery policy (``_transport``), sessions and chat (``_sessions``), uploads
(``_upload``) and renders (``_renders``).
"""

from __future__ import annotations

from nemo_nb.api._renders import _Renders
from nemo_nb.api._sessions import ChatStream, _Sessions
from nemo_nb.api._transport import DEFAULT_BASE_URL
from nemo_nb.api._upload import _Uploads

__all__ = ["NemoClient", "ChatStream", "DEFAULT_BASE_URL"]


class NemoClient(_Sessions, _Uploads, _Renders):
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
    again then. ``render_poll`` is ``(first wait, growth factor, cap)`` in seconds between render
    status polls: by default gentle for the cloud (1 s, ×1.5, 30 s) and quick for a server on this
    machine (0.05 s up to 0.15 s), so a local export returns as soon as its render is done.

    Every request recovers the same way (docs/contract.md §1): an expired anonymous token is
    renewed once, a 429 waited out once, a refused server brought back once; reads and downloads
    are retried with back-off after a 5xx or a broken connection; a message is never sent twice.
    """

    async def __aenter__(self) -> NemoClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
