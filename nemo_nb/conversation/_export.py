"""The export workflow: pre-check, submit, follow progress, download; and jobs that survive a restart.

A render keeps running on the server when the kernel restarts, so every submitted job is written to
``<data dir>/pending_renders.json`` (render id, session, destination, which backend) until it is
downloaded; :func:`follow_render` picks such a job up again.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import os
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from nemo_nb._contract import is_loopback
from nemo_nb._paths import open_private
from nemo_nb.api import NemoConnectionError, NemoError, RenderError, RenderJob
from nemo_nb.conversation._client import AgentClient
from nemo_nb.conversation._update import Update, error_update
from nemo_nb.timeline import Draft

__all__ = [
    "Exporter",
    "PendingRender",
    "PendingRenders",
    "NothingToExportError",
    "NOTHING_TO_EXPORT",
    "follow_render",
]

log = logging.getLogger("nemo_nb.conversation")

ProgressCallback = Callable[[float], Any]

#: What the log says when an export was cancelled on request (``{where}``: the engine or server).
EXPORT_CANCELLED = "Export cancelled: {where} stopped the render, and its job ends as cancelled."
#: Progress is shown with a time left once this much is done (before, the estimate is noise).
_ESTIMATE_FROM = 0.05
#: How long the last render took on each backend (:func:`backend_key`), seconds: this kernel's
#: own measure of the backend's speed, said when the next export starts.
_LAST_RENDER_S: dict[str, float] = {}

NOTHING_TO_EXPORT = (
    "Nothing to export yet — upload a photo and tell me how to animate it "
    '(e.g. "make this photo jiggle and bounce like a looping animated video"), then export.'
)


class NothingToExportError(RenderError):
    """The timeline has no segment, so there is nothing to render."""

    default_message = NOTHING_TO_EXPORT


@dataclass(frozen=True)
class PendingRender:
    """A submitted render not downloaded yet."""

    render_id: str
    session_id: str
    dest: str  # directory (or file) the MP4 goes to
    backend: str  # "engine" for a loopback server, else the API's base URL
    draft_fingerprint: str
    created_at: float
    quality: str = "high"  # a job of another quality never stands in for the export


def backend_key(client: AgentClient) -> str:
    """Which server a job lives on: every loopback engine is one backend (its port changes)."""
    return "engine" if is_loopback(client.base_url) else client.base_url


def fingerprint(draft: Draft) -> str:
    """A short hash of the draft, to tell whether a pending job rendered the current timeline."""
    blob = json.dumps(draft.to_json(), sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:16]


class PendingRenders:
    """The pending-renders file. Writes are atomic (temp file + rename)."""

    #: Its name inside a data dir.
    FILE_NAME = "pending_renders.json"

    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def in_dir(cls, data_dir: Path) -> PendingRenders:
        """The pending-renders file of the conversations that keep their data in ``data_dir``."""
        return cls(data_dir / cls.FILE_NAME)

    def all(self) -> list[PendingRender]:
        """Every pending job (an unreadable file counts as empty)."""
        try:
            items = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return []
        names = PendingRender.__dataclass_fields__
        out = []
        for item in items if isinstance(items, list) else []:
            with contextlib.suppress(TypeError):
                out.append(PendingRender(**{k: v for k, v in item.items() if k in names}))
        return out

    def add(self, job: PendingRender) -> None:
        """Record a submitted job."""
        self._write([*(p for p in self.all() if p.render_id != job.render_id), job])

    def remove(self, render_id: str) -> None:
        """Forget a job (downloaded, failed or gone)."""
        self._write([p for p in self.all() if p.render_id != render_id])

    def _write(self, items: list[PendingRender]) -> None:
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        with open_private(tmp) as fh:
            fh.write(json.dumps([asdict(p) for p in items], indent=1))
        os.replace(tmp, self.path)


def _fraction(job: RenderJob) -> float:
    """The job's progress (0-100 on the wire) as a fraction 0..1."""
    return min(max(job.progress / 100.0, 0.0), 1.0)


def _seconds(value: float) -> str:
    return f"{value:.0f} s" if value < 90 else f"{value / 60:.1f} min"


def progress_text(fraction: float, elapsed: float) -> str:
    """ "Rendering… 40% · 6 s so far, about 9 s left": the time left from this render's own
    pace (elapsed time over the part done), once enough is done to measure it."""
    text = f"Rendering… {fraction:.0%}"
    if elapsed >= 1.0:
        text += f" · {_seconds(elapsed)} so far"
        if _ESTIMATE_FROM <= fraction < 1.0:
            text += f", about {_seconds(elapsed * (1 - fraction) / fraction)} left"
    return text


async def follow_render(
    client: AgentClient,
    pending: PendingRenders,
    job: PendingRender,
    *,
    on_progress: ProgressCallback | None = None,
) -> AsyncIterator[Update]:
    """Wait for ``job`` (``progress`` updates), download it, yield an ``export`` update.

    The pending entry is removed once the file is on disk or the job failed for good; a dropped
    connection leaves it for the next attempt. Errors come out as ``error`` updates carrying
    ``data["exception"]``.
    """
    started = time.monotonic()
    queue: asyncio.Queue[float] = asyncio.Queue()
    task = asyncio.ensure_future(
        client.wait_render(job.render_id, on_progress=lambda j: queue.put_nowait(_fraction(j)))
    )
    last = -1.0
    try:
        while True:
            getter = asyncio.ensure_future(queue.get())
            done, _ = await asyncio.wait({task, getter}, return_when=asyncio.FIRST_COMPLETED)
            fractions = [getter.result()] if getter in done else []
            if getter not in done:
                getter.cancel()
            while not queue.empty():
                fractions.append(queue.get_nowait())
            for fraction in fractions:
                if fraction != last:
                    last = fraction
                    if on_progress is not None:
                        on_progress(fraction)
                    elapsed = time.monotonic() - started
                    yield Update(
                        "progress",
                        progress_text(fraction, elapsed),
                        {"fraction": fraction, "render_id": job.render_id, "elapsed_s": elapsed},
                    )
            if task in done:
                break
        finished: RenderJob = task.result()
        dest = Path(job.dest).expanduser()
        (dest if not dest.suffix else dest.parent).mkdir(parents=True, exist_ok=True)
        path = await client.download(finished, dest)
    except NemoConnectionError as exc:
        yield error_update(
            exc,
            f'{exc} The export keeps running on the server; say "export" '
            "again later to pick it up.",
        )
        return
    except NemoError as exc:
        # wait_render gave up while the server did not: the job stays pending for later
        still_running = exc.job if isinstance(exc, RenderError) else None
        if not isinstance(still_running, RenderJob) or still_running.done:
            pending.remove(job.render_id)
        yield error_update(exc, str(exc))
        return
    finally:
        if not task.done():  # the caller stopped listening: the job stays pending on disk
            task.cancel()
    pending.remove(job.render_id)
    if on_progress is not None and last < 1.0:
        on_progress(1.0)
    if job.quality == "high":  # a preview's second says nothing of the next export's
        _LAST_RENDER_S[job.backend] = time.monotonic() - started
    yield Update(
        "export",
        f"Your video is ready: {path}",
        {"path": Path(path), "render_id": job.render_id, "job": finished},
    )


async def submit_render(
    client: AgentClient,
    pending: PendingRenders,
    session_id: str,
    draft: Draft,
    dest: Path,
    quality: str = "high",
) -> PendingRender:
    """Start rendering ``draft`` and record the job as pending before anything else can fail."""
    # A preview is the engine's extension of the export request (docs/contract.md §3); the
    # export itself goes out exactly as before, so any client of the contract can send it.
    options = {} if quality == "high" else {"quality": quality}
    job = await client.start_render(session_id, draft.to_json(), **options)
    entry = PendingRender(
        render_id=job.id,
        session_id=session_id,
        dest=str(dest),
        backend=backend_key(client),
        draft_fingerprint=fingerprint(draft),
        created_at=time.time(),
        quality=quality,
    )
    pending.add(entry)
    return entry


class Exporter:
    """Renders a conversation's timeline on its server and downloads the MP4, picking up a job
    already running for the same timeline (e.g. from before a kernel restart).

    Knows the client and the pending-renders file, nothing of the conversation: the conversation
    reads the timeline, records the turn and hands over the session, the draft and where to save.
    """

    def __init__(self, client: AgentClient, pending: PendingRenders) -> None:
        self.client = client
        self.pending = pending
        self._following: PendingRender | None = None  # the job :meth:`render` waits for
        self._cancelled: set[str] = set()  # render ids cancelled on request

    @property
    def rendering(self) -> bool:
        """Whether :meth:`render` is following a job now."""
        return self._following is not None

    async def cancel(self) -> bool:
        """Cancel the job :meth:`render` is following, on the server: it ends as cancelled and
        :meth:`render` ends with :data:`EXPORT_CANCELLED`. ``False`` when none is running."""
        job = self._following
        if job is None:
            return False
        self._cancelled.add(job.render_id)
        await self.client.cancel_render(job.render_id)
        return True

    def _started_notice(self, render_id: str, export_time: str) -> Update:
        """The cloud's usual time from the skill; a server on this machine, its own last time."""
        backend = backend_key(self.client)
        if backend != "engine":
            text = f"Export started — this usually takes {export_time}."
        elif backend in _LAST_RENDER_S:
            text = (
                "Export started on this machine's engine (the last export here took "
                f"{_seconds(_LAST_RENDER_S[backend])})."
            )
        else:
            text = "Export started on this machine's engine."
        return Update("notice", text, {"render_id": render_id})

    def pending_jobs(self, session_id: str | None) -> list[PendingRender]:
        """The pending jobs on this server: ``session_id``'s, or all when it is ``None``."""
        backend = backend_key(self.client)
        return [
            p
            for p in self.pending.all()
            if p.backend == backend and (session_id is None or p.session_id == session_id)
        ]

    async def render(
        self,
        session_id: str,
        draft: Draft,
        dest: Path,
        *,
        export_time: str,
        quality: str = "high",
        on_progress: ProgressCallback | None = None,
    ) -> AsyncIterator[Update]:
        """Pick up the job rendering this very timeline, or submit one (``export_time`` is the
        skill's "this usually takes" wording); then follow it to the downloaded MP4."""
        mine = fingerprint(draft)
        job = next(
            (
                p
                for p in self.pending_jobs(session_id)
                if p.draft_fingerprint == mine and p.quality == quality
            ),
            None,
        )
        if job is not None:
            yield Update("notice", "Picking up the export that was already running…", {})
        else:
            try:
                job = await submit_render(
                    self.client, self.pending, session_id, draft, dest, quality
                )
            except NemoError as exc:
                yield error_update(exc)
                return
            yield self._started_notice(job.render_id, export_time)
        self._following = job
        try:
            async for update in follow_render(
                self.client, self.pending, job, on_progress=on_progress
            ):
                if update.kind == "error" and job.render_id in self._cancelled:
                    where = "the engine" if job.backend == "engine" else "the server"
                    update = error_update(
                        update.data.get("exception") or RenderError(update.text),
                        EXPORT_CANCELLED.format(where=where),
                        cancelled=True,
                    )
                yield update
        except asyncio.CancelledError:
            # Whoever stopped waiting (Stop, a timeout) stopped the export: the server's job too.
            with contextlib.suppress(NemoError):
                await asyncio.shield(self.client.cancel_render(job.render_id))
                self.pending.remove(job.render_id)
            raise
        finally:
            self._following = None
            self._cancelled.discard(job.render_id)

    async def resume(
        self, session_id: str | None, on_progress: ProgressCallback | None = None
    ) -> list[Path]:
        """Finish the exports :meth:`pending_jobs` lists: wait for each, download it, return the
        paths (a job that fails is logged and skipped; a preview is forgotten)."""
        paths: list[Path] = []
        for job in self.pending_jobs(session_id):
            if job.quality != "high":  # an old kernel's preview: not worth a download now
                self.pending.remove(job.render_id)
                continue
            async for update in follow_render(
                self.client, self.pending, job, on_progress=on_progress
            ):
                if update.kind == "export":
                    paths.append(update.data["path"])
                elif update.kind == "error":
                    log.warning("pending export %s: %s", job.render_id, update.text)
        return paths
