"""The render queue: jobs are rows in the store, rendered one at a time per worker thread.

The renderer (``nemo_nb.render.render_draft`` unless one is injected) runs in a worker thread so
the event loop keeps answering; numpy, OpenCV and PyAV release the GIL for the heavy parts.
Progress comes from the renderer's ``on_progress`` and is written to the store (throttled), so a
status poll and a restarted engine see the same thing.
"""

from __future__ import annotations

import logging
import queue
import re
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from nemo_nb.engine.store import INTERRUPTED, Store

__all__ = ["JobQueue", "media_id_from_src", "Renderer"]

log = logging.getLogger("nemo_nb.engine")

#: ``render_draft(draft, out_path, *, resolve, on_progress, cancel)`` (docs/interfaces.md).
Renderer = Callable[..., Any]

CANCELLED = "The render was cancelled."
_MEDIA_SRC = re.compile(r"/media/([A-Za-z0-9_-]+)/")


def media_id_from_src(src: str) -> str | None:
    """The media id in a draft ``src`` (``http://<any host:port>/media/<id>/<name>``), so drafts
    keep working when the engine comes back on another port."""
    m = _MEDIA_SRC.search(src)
    return m.group(1) if m else None


def _default_renderer() -> Renderer:
    from nemo_nb.render import render_draft

    return render_draft


class JobQueue:
    """A FIFO of render job ids served by ``workers`` threads."""

    def __init__(
        self,
        store: Store,
        *,
        renderer: Renderer | None = None,
        workers: int = 1,
        progress_interval: float = 0.25,
    ) -> None:
        self.store = store
        self._renderer = renderer
        self._n_workers = max(1, workers)
        self._progress_interval = progress_interval
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._cancels: dict[str, threading.Event] = {}
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._stopping = False

    @property
    def renderer(self) -> Renderer:
        if self._renderer is None:
            self._renderer = _default_renderer()
        return self._renderer

    def start(self, requeue: Sequence[str] = ()) -> None:
        """Start the workers; ``requeue``: ids of pending jobs from before a restart."""
        for job_id in requeue:
            self.submit(job_id)
        for i in range(self._n_workers):
            t = threading.Thread(target=self._work, name=f"nemo-render-{i}", daemon=True)
            t.start()
            self._threads.append(t)

    def submit(self, job_id: str) -> None:
        with self._lock:
            self._cancels[job_id] = threading.Event()
        self._queue.put(job_id)

    def cancel(self, job_id: str) -> bool:
        """Cancel a pending or running job; ``False`` if it had already finished."""
        with self._lock:
            event = self._cancels.get(job_id)
        if event is not None:
            event.set()
        return self.store.finish_job_if_active(job_id, CANCELLED)

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the workers. A job being rendered ends failed (the user can export again); jobs
        still waiting stay pending and are rendered by the next engine on this data dir."""
        self._stopping = True
        with self._lock:
            for event in self._cancels.values():
                event.set()
        for _ in self._threads:
            self._queue.put(None)
        deadline = time.monotonic() + timeout
        for t in self._threads:
            t.join(max(0.0, deadline - time.monotonic()))

    def _stopped_or_cancelled(self, job_id: str) -> None:
        self.store.finish_job_if_active(job_id, INTERRUPTED if self._stopping else CANCELLED)

    # --- worker side -------------------------------------------------------------------------

    def _work(self) -> None:
        while True:
            job_id = self._queue.get()
            if job_id is None:
                return
            try:
                self._run(job_id)
            except Exception:  # never let one job kill the worker
                log.exception("render worker error")
            finally:
                with self._lock:
                    self._cancels.pop(job_id, None)

    def _resolver(self, user_id: str) -> Callable[[str], Path]:
        def resolve(src: str) -> Path:
            media_id = media_id_from_src(src)
            media = self.store.media(media_id, user_id) if media_id else None
            if media is None or not media.path.exists():
                raise FileNotFoundError(
                    f"The media “{src}” is not in this engine; upload it again."
                )
            return media.path

        return resolve

    def _run(self, job_id: str) -> None:
        job = self.store.job(job_id)
        with self._lock:
            cancel = self._cancels.get(job_id) or threading.Event()
        if job is None or job.status != "pending" or cancel.is_set() or self._stopping:
            return
        self.store.update_job(job_id, status="processing", progress=0)
        out = self.store.renders_dir / f"{job_id}.mp4"
        last = [0.0, -1]

        def on_progress(fraction: float) -> None:
            pct = max(0, min(99, int(fraction * 100)))
            now = time.monotonic()
            if pct != last[1] and (now - last[0] >= self._progress_interval or pct - last[1] >= 10):
                last[0], last[1] = now, pct
                if not cancel.is_set():
                    self.store.update_job(job_id, progress=pct)

        try:
            self.renderer(
                job.draft,
                out,
                resolve=self._resolver(job.user_id),
                on_progress=on_progress,
                cancel=cancel,
            )
        except Exception as exc:
            out.unlink(missing_ok=True)
            if cancel.is_set():
                self._stopped_or_cancelled(job_id)
                return
            msg = str(exc).strip() or type(exc).__name__
            if type(exc).__name__ != "RenderInputError" and not isinstance(exc, FileNotFoundError):
                msg = f"The render failed: {msg}"
                log.warning("render %s failed: %s", job_id, type(exc).__name__)
            self.store.finish_job_if_active(job_id, msg)
            return
        if cancel.is_set() or not out.exists():
            out.unlink(missing_ok=True)
            self._stopped_or_cancelled(job_id)
            return
        self.store.update_job(
            job_id, status="completed", progress=100, output_path=out, completed_at=time.time()
        )
