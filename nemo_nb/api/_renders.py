"""Renders: submit a draft for export, follow the job, cancel it, download the MP4."""

from __future__ import annotations

import inspect
import json
import logging
import os
import re
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import httpx

from nemo_nb._contract import PREVIEW, RENDER_QUALITIES, draft_is_exportable
from nemo_nb._errors import NemoConnectionError, NemoError, RenderError, ServerError
from nemo_nb.api._models import RenderJob, _mapping
from nemo_nb.api._transport import Recovery, _Connection, _int_code

log = logging.getLogger("nemo_nb.api")

#: Render status polls (first wait, growth factor, cap) in seconds. The cloud is polled gently; a
#: server on this machine (the engine) is cheap to ask, and an export should end with its render.
CLOUD_POLL = (1.0, 1.5, 30.0)
LOCAL_POLL = (0.05, 1.5, 0.15)
RENDER_WAIT_TIMEOUT = 30 * 60.0

_DUPLICATE = re.compile(r"duplicate|already (exists|used|in use|taken)", re.I)
_FAILED_PREFIX = re.compile(r"^\s*the render failed\s*[:.]?\s*", re.I)


def _has_status(body: Any) -> bool:
    """A render status body (shape A, B or C), successful or not."""
    if not isinstance(body, Mapping):
        return False
    if "code" in body and _int_code(body["code"]) not in (None, 0):
        return False  # a business error (e.g. 1001) goes through the recovery table
    inner = body.get("data") if isinstance(body.get("data"), Mapping) else body
    return isinstance(inner, Mapping) and ("status" in inner or "status" in body)


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


def _file_stem(render_id: str) -> str:
    """A file name made from a server's render id, which may hold ``/``, ``\\`` or ``..``."""
    stem = re.sub(r"[^\w.-]+", "_", render_id.replace("\\", "/").rsplit("/", 1)[-1]).strip(".")
    return stem or "render"


def _job_id(job: str | RenderJob) -> str:
    return job.id if isinstance(job, RenderJob) else str(job)


def _ended(job: RenderJob) -> RenderError:
    """The error for a job that failed or was cancelled (the server's reason said once)."""
    if job.status == "cancelled":
        err = RenderError("The render was cancelled.", detail=job.error)
    else:
        reason = _FAILED_PREFIX.sub("", job.error or "").strip().rstrip(".") or "no reason given"
        err = RenderError(f"The render failed: {reason}.", detail=job.error)
    err.job = job
    return err


class _Renders(_Connection):
    def _poll_waits(self) -> Iterator[float]:
        start, factor, cap = self._render_poll or (LOCAL_POLL if self.is_local else CLOUD_POLL)
        wait = start
        while True:
            yield wait
            wait = min(wait * factor, cap)

    async def start_render(
        self,
        session_id: str,
        draft: Any,
        render_id: str | None = None,
        *,
        quality: str = "high",
    ) -> RenderJob:
        """Submit the draft for export (free). A duplicate id is replaced by a new one once.

        ``quality="preview"`` asks the local engine for a preview instead: the same draft at
        360 px on the short side, rendered in a lane of its own in about a second, followed and
        downloaded like an export; a newer preview of the session cancels an older one (which
        then ends "cancelled"). It is an engine extension: a client of the cloud raises
        :class:`RenderError` rather than send it there.
        """
        if quality not in RENDER_QUALITIES:
            raise RenderError(
                f"The render quality must be {' or '.join(map(repr, RENDER_QUALITIES))}, "
                f"not {quality!r}."
            )
        if quality == PREVIEW and not self.is_local:
            raise RenderError(
                "Previews are rendered by the local engine only; on the cloud, export instead."
            )
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
                "output": {"format": "mp4", "quality": quality},
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
        """Poll a render job (shapes A, B and C of docs/contract.md §3 are all understood)."""
        rid = _job_id(render_id)
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

        The cloud is polled after ~1 s, then backing off ×1.5 up to 30 s; a server on this machine
        every 0.05–0.15 s, so an export ends with its render. ``on_progress(job)`` (sync or async)
        is called after every poll.
        """
        rid = _job_id(render_id)
        waited = 0.0
        for wait in self._poll_waits():
            job = await self.render_status(rid)
            if on_progress is not None:
                result = on_progress(job)
                if inspect.isawaitable(result):
                    await result
            if job.status == "completed":
                return job
            if job.status in ("failed", "cancelled"):
                raise _ended(job)
            if waited >= timeout:
                err = RenderError(
                    f"The render is still running after {waited / 60:.0f} minutes; "
                    f"it keeps going on the server and '{rid}' can be checked later."
                )
                err.job = job
                raise err
            await self._sleep(wait)
            waited += wait
        raise AssertionError("unreachable")  # pragma: no cover

    async def cancel_render(self, render_id: str | RenderJob) -> None:
        """Ask the server to cancel a pending or running render."""
        await self._call("POST", f"/api/render/proxy/lambda/{_job_id(render_id)}/cancel")

    async def download(
        self, job_or_url: RenderJob | str | httpx.URL, dest: str | os.PathLike[str]
    ) -> Path:
        """Download a render (or any URL) to ``dest`` (a directory or a file path).

        Streams to a temporary file beside the target and renames it into place, so ``dest`` is
        never half-written. The bearer token is sent only to the API's own origin; a CDN URL gets
        no Authorization header. Recovers like any other call (a GET: retried after a 5xx, a 429
        or a broken connection).
        """
        if isinstance(job_or_url, RenderJob):
            url = job_or_url.output_url or f"/api/render/proxy/{job_or_url.id}/download"
            # the id is the server's: only its last path part may name a file here
            default_name = f"{_file_stem(job_or_url.id)}.mp4"
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
        # The token goes only to the API's own origin; httpx drops it when a redirect leaves it.
        recovery = Recovery(
            self, idempotent=True, auth="bearer" if self._is_api_origin(url) else "none"
        )
        while True:
            answer = await self._send("GET", url, recovery, stream=True, follow_redirects=True)
            if not answer.streaming:
                data, link = answer.data, None
                if isinstance(data, Mapping):
                    output = _mapping(data.get("output"))
                    link = data.get("outputUrl") or data.get("url") or output.get("url")
                if follow_json and link:  # a gateway that answers with the file's URL
                    await self._download_to(httpx.URL(str(link)), tmp, follow_json=False)
                    return
                raise ServerError("The download answered with data instead of a video file.")
            try:
                if "text/html" in answer.response.headers.get("content-type", ""):
                    raise NemoConnectionError(  # a login page or proxy, not the video
                        f"{url.host} answered with a web page instead of the video; check the "
                        "network (a login page or proxy?) and try again."
                    )
                with open(tmp, "wb") as fh:
                    async for chunk in answer.response.aiter_bytes(1 << 16):
                        fh.write(chunk)
                return
            except httpx.TransportError as exc:  # broke mid-body: a GET is safe to start over
                if not await recovery.after_transport_error(exc):
                    raise self._connection_error(exc, recovery) from exc
            finally:
                await answer.response.aclose()
