"""The render queue: jobs are rows in the store, rendered one at a time per worker thread.

The renderer (``nemo_nb.render.render_draft`` unless one is injected) runs in a worker thread so
the event loop keeps answering; numpy, OpenCV and PyAV release the GIL for the heavy parts.
Progress comes from the renderer's ``on_progress`` and is written to the store (throttled), so a
status poll and a restarted engine see the same thing.

Two policies keep one user's trouble from becoming everyone's:

- Fairness: waiting jobs are taken round-robin, across users and, within a user, across sessions
  (:class:`FairQueue`), so five queued exports of one student do not delay another's first.
- A watchdog: a job whose renderer reports no progress for ``stall_timeout`` seconds, or that
  runs longer than its ceiling (``limits.render_time_ceiling`` of the clip's length, however
  steadily it progresses), is failed with a sentence, and a new worker thread takes the stuck
  one's place. A thread stuck in native code cannot be stopped from Python; it is abandoned (a
  daemon, told to cancel) and whatever it returns with later is thrown away.

Previews (``quality="preview"``, the engine's extension: the same draft rendered small and fast)
have a lane of their own, so they never wait behind exports: their own queue and worker thread,
while the export workers run a few nice levels lower (their x264 threads inherit it), so a room
of exports slows a preview little. A session has at most one preview waiting or rendering: a
newer one cancels it (it ends "cancelled"). A user has at most :data:`PREVIEWS_PER_USER`.
"""

from __future__ import annotations

import itertools
import logging
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nemo_nb._contract import PREVIEW
from nemo_nb._threads import lower_thread_priority
from nemo_nb.engine.export import clip_seconds
from nemo_nb.engine.limits import render_time_ceiling
from nemo_nb.engine.store import DISK_FULL, INTERRUPTED, Job, JobKey, Store, is_disk_full

__all__ = [
    "JobQueue",
    "FairQueue",
    "media_id_from_src",
    "Renderer",
    "STALLED",
    "OVERTIME",
    "REPLACED",
]

log = logging.getLogger("nemo_nb.engine")

#: ``render_draft(draft, out_path, *, resolve, on_progress, cancel)`` (docs/interfaces.md).
Renderer = Callable[..., Any]

CANCELLED = "The render was cancelled."

# --- the preview lane (its caps are in engine/limits.py) ------------------------------------------
#: Nice levels the export workers run below the preview worker (Linux; their x264 threads and
#: frame threads inherit it). At +10 a preview running beside an export gets ~90 % of the CPU the
#: scheduler shares between them; alone, an export runs as fast as before.
EXPORT_NICENESS = 10
#: What a preview a newer one of its session replaced says.
REPLACED = "A newer preview of this session replaced this one."
#: What a job the watchdog stopped says (``{seconds}`` is filled in).
STALLED = (
    "The render made no progress for {seconds:g} seconds and was stopped; export again, "
    "and if it stops again, try another picture or a shorter clip."
)
#: What a job the watchdog stopped at its ceiling says (``{took}``, ``{clip}`` are filled in).
OVERTIME = (
    "The render was stopped after {took}, far longer than a {clip:g}-second clip needs; export "
    "again, and if it stops again, try fewer or smaller pictures."
)
_MEDIA_SRC = re.compile(r"/media/([A-Za-z0-9_-]+)/")


def media_id_from_src(src: str) -> str | None:
    """The media id in a draft ``src`` (``http://<any host:port>/media/<id>/<name>``), so drafts
    keep working when the engine comes back on another port."""
    m = _MEDIA_SRC.search(src)
    return m.group(1) if m else None


def _default_renderer() -> Renderer:
    from nemo_nb.render import render_draft

    return render_draft


def _warm_up(*, music: bool) -> None:
    """Ready the real renderer, so that a first preview does not wait for it (see
    :func:`nemo_nb.render.warm_up`); with ``music``, at the lowest priority (a thread of its own)."""
    if music:
        lower_thread_priority(19)
    try:
        from nemo_nb.render import warm_up

        warm_up(music=music)
    except Exception as exc:  # only the first render is slower
        log.info("could not warm the renderer up: %s: %s", type(exc).__name__, exc)


def _says_why(exc: Exception) -> bool:
    """Does the exception already say, in one sentence, what the user should fix?"""
    if isinstance(exc, FileNotFoundError):
        return True  # our resolver's "upload it again"
    from nemo_nb.render import RenderInputError

    return isinstance(exc, RenderInputError)


class FairQueue:
    """Waiting jobs, taken round-robin: the user who has started the fewest jobs goes first (ties:
    whoever waits longest), and within that user, the session that has started the fewest.

    Counts reset whenever the queue runs empty, so a user is not paid back for an old busy hour.
    Thread-safe; :meth:`get` blocks.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        # user -> session -> FIFO of (arrival, job id)
        self._waiting: dict[str, dict[str | None, deque[tuple[int, str]]]] = {}
        self._started_by_user: dict[str, int] = {}
        self._started_by_session: dict[tuple[str, str | None], int] = {}
        self._arrivals = itertools.count()
        self._closed = False

    def put(self, user_id: str, session_id: str | None, job_id: str) -> None:
        with self._cond:
            sessions = self._waiting.setdefault(user_id, {})
            sessions.setdefault(session_id, deque()).append((next(self._arrivals), job_id))
            self._cond.notify()

    def discard(self, key: JobKey) -> None:
        """Forget a waiting job (cancelled before it started)."""
        user_id, job_id = key
        with self._cond:
            sessions = self._waiting.get(user_id, {})
            for sid, fifo in list(sessions.items()):
                kept = deque(item for item in fifo if item[1] != job_id)
                if kept:
                    sessions[sid] = kept
                else:
                    del sessions[sid]
            if not sessions:
                self._waiting.pop(user_id, None)

    def __len__(self) -> int:
        with self._cond:
            return sum(len(f) for s in self._waiting.values() for f in s.values())

    def waiting(self, user_id: str) -> int:
        """How many of ``user_id``'s jobs wait (not yet taken by a worker)."""
        with self._cond:
            return sum(len(f) for f in self._waiting.get(user_id, {}).values())

    def get(self, timeout: float | None = None) -> JobKey | None:
        """The next job by the policy above; ``None`` once closed (or after ``timeout``)."""
        with self._cond:
            if not self._cond.wait_for(lambda: self._closed or self._waiting, timeout):
                return None
            if self._closed:
                return None
            user_id = min(
                self._waiting,
                key=lambda u: (
                    self._started_by_user.get(u, 0),
                    min(f[0][0] for f in self._waiting[u].values()),
                ),
            )
            sessions = self._waiting[user_id]
            sid = min(
                sessions,
                key=lambda s: (self._started_by_session.get((user_id, s), 0), sessions[s][0][0]),
            )
            _, job_id = sessions[sid].popleft()
            if not sessions[sid]:
                del sessions[sid]
            if not sessions:
                del self._waiting[user_id]
            self._started_by_user[user_id] = self._started_by_user.get(user_id, 0) + 1
            self._started_by_session[(user_id, sid)] = (
                self._started_by_session.get((user_id, sid), 0) + 1
            )
            return (user_id, job_id)

    def idle(self) -> None:
        """Nothing waits and nothing runs: start counting afresh."""
        with self._cond:
            if not self._waiting:
                self._started_by_user.clear()
                self._started_by_session.clear()

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()


@dataclass
class _Running:
    """A job a worker is rendering, as the watchdog sees it."""

    key: JobKey
    cancel: threading.Event
    lane: str  # "export" or "preview": the kind of worker that replaces a stuck one
    #: ``time.monotonic()`` past which it is stopped however it progresses, and the clip's length
    deadline: float = float("inf")
    clip: float = 0.0
    beat: float = field(default_factory=time.monotonic)
    started: float = field(default_factory=time.monotonic)
    abandoned: bool = False


class JobQueue:
    """Render jobs under a watchdog: exports served by ``workers`` threads from a
    :class:`FairQueue`, previews by a thread of their own from another."""

    def __init__(
        self,
        store: Store,
        *,
        renderer: Renderer | None = None,
        workers: int = 1,
        progress_interval: float = 0.25,
        stall_timeout: float = 90.0,
        time_ceiling: Callable[[float], float] = render_time_ceiling,
    ) -> None:
        self.store = store
        self.time_ceiling = time_ceiling
        self._renderer = renderer
        self._n_workers = max(1, workers)
        self._progress_interval = progress_interval
        self.stall_timeout = stall_timeout
        self._queue = FairQueue()  # exports
        self._preview_queue = FairQueue()
        #: Previews waiting or rendering -> their session (at most one a session).
        self._previews: dict[JobKey, str | None] = {}
        self._cancels: dict[JobKey, threading.Event] = {}
        self._running: dict[int, _Running] = {}  # worker number -> its job
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._worker_numbers = itertools.count()
        self._stopping = threading.Event()
        self._watchdog: threading.Thread | None = None

    @property
    def renderer(self) -> Renderer:
        if self._renderer is None:
            self._renderer = _default_renderer()
        return self._renderer

    def start(self, requeue: Sequence[Job] = ()) -> None:
        """Start the workers and the watchdog; ``requeue``: pending jobs from before a restart.
        With the real renderer, its imports and face detector are loaded first (the engine
        serves once this returns) and its music is made in a low-priority thread."""
        if self._renderer is None:
            _warm_up(music=False)
            threading.Thread(
                target=_warm_up, kwargs={"music": True}, name="nemo-render-warm-up", daemon=True
            ).start()
        for job in requeue:
            self.submit(job)
        for _ in range(self._n_workers):
            self._start_worker("export")
        self._start_worker("preview")
        self._watchdog = threading.Thread(target=self._watch, name="nemo-render-watchdog",
                                          daemon=True)  # fmt: skip
        self._watchdog.start()

    def _start_worker(self, lane: str) -> None:
        n = next(self._worker_numbers)
        name = f"nemo-render-{n}" if lane == "export" else f"nemo-preview-{n}"
        t = threading.Thread(target=self._work, args=(n, lane), name=name, daemon=True)
        with self._lock:
            self._threads.append(t)
        t.start()

    def submit(self, job: Job) -> None:
        """Queue a pending job: a preview in the preview lane, where it replaces the one its
        session has waiting or rendering; anything else as an export."""
        with self._lock:
            self._cancels[job.key] = threading.Event()
        if job.quality != PREVIEW:
            self._queue.put(job.user_id, job.session_id, job.id)
            return
        if job.session_id is not None:
            with self._lock:
                older = [
                    key
                    for key, sid in self._previews.items()
                    if key[0] == job.user_id and sid == job.session_id
                ]
            for key in older:
                self._end(key, REPLACED)
        with self._lock:
            self._previews[job.key] = job.session_id
        self._preview_queue.put(job.user_id, job.session_id, job.id)

    def previews_in_the_way(self, user_id: str, session_id: str | None) -> int:
        """How many of the user's previews a new one for ``session_id`` would sit beside (its
        session's own would be replaced): at :data:`PREVIEWS_PER_USER`, it is refused."""
        with self._lock:
            return sum(
                1
                for (user, _), sid in self._previews.items()
                if user == user_id and (session_id is None or sid != session_id)
            )

    def waiting(self, user_id: str) -> int:
        """How many of ``user_id``'s exports wait for a worker."""
        return self._queue.waiting(user_id)

    def cancel(self, key: JobKey) -> bool:
        """Cancel a pending or running job; ``False`` if it had already finished."""
        return self._end(key, CANCELLED)

    def _end(self, key: JobKey, reason: str) -> bool:
        """Stop a pending or running job: it ends "cancelled" with ``reason`` (asked for, or a
        newer preview replaced it), which the client tells apart from a render that failed.
        ``False`` if it had finished."""
        with self._lock:
            event = self._cancels.get(key)
            preview = key in self._previews
            self._previews.pop(key, None)
        if event is not None:
            event.set()
        (self._preview_queue if preview else self._queue).discard(key)
        return self.store.finish_job_if_active(key, reason, status="cancelled")

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the workers. A job being rendered ends failed (the user can export again); jobs
        still waiting stay pending and are rendered by the next engine on this data dir."""
        self._stopping.set()
        with self._lock:
            for event in self._cancels.values():
                event.set()
            threads = list(self._threads)
        self._queue.close()
        self._preview_queue.close()
        deadline = time.monotonic() + timeout
        for t in threads:
            t.join(max(0.0, deadline - time.monotonic()))
        # A worker that did not come back (stuck in native code) leaves its job to recovery.
        with self._lock:
            stuck = [r.key for r in self._running.values()]
        for key in stuck:
            self.store.finish_job_if_active(key, INTERRUPTED)

    # --- watchdog ------------------------------------------------------------------------------

    def _watch(self) -> None:
        period = max(0.05, min(1.0, self.stall_timeout / 4))
        while not self._stopping.wait(period):
            now = time.monotonic()
            with self._lock:
                stopped = [
                    (n, r, self._why_stopped(r, now))
                    for n, r in self._running.items()
                    if not r.abandoned and (now - r.beat > self.stall_timeout or now > r.deadline)
                ]
                for n, r, _ in stopped:
                    r.abandoned = True
                    r.cancel.set()
                    del self._running[n]
                    self._previews.pop(r.key, None)  # no longer holds a place in the lane
            for _, r, why in stopped:
                log.warning("render %s stopped by the watchdog: %s", r.key[1], why)
                self.store.finish_job_if_active(r.key, why)
                self._start_worker(r.lane)  # the stuck thread's replacement

    def _why_stopped(self, r: _Running, now: float) -> str:
        if now - r.beat > self.stall_timeout:
            return STALLED.format(seconds=self.stall_timeout)
        took = now - r.started
        minutes = f"{took / 60:.0f} minutes" if took >= 120 else f"{took:.1f} seconds"
        return OVERTIME.format(took=minutes, clip=round(r.clip, 1))

    # --- worker side ---------------------------------------------------------------------------

    def _work(self, n: int, lane: str) -> None:
        me = threading.current_thread()
        queue = self._preview_queue if lane == "preview" else self._queue
        if lane == "export":
            lower_thread_priority(EXPORT_NICENESS)  # previews and the event loop go first
        while not self._stopping.is_set():
            key = queue.get()
            if key is None:
                break
            running = None
            try:
                running = self._run(n, key, lane)
            except Exception:  # never let one job kill the worker
                log.exception("render worker error")
            finally:
                with self._lock:
                    self._cancels.pop(key, None)
                    self._previews.pop(key, None)
                    if self._running.get(n) is running:
                        self._running.pop(n, None)
                    busy = any(r.lane == lane for r in self._running.values())
                if not busy:
                    queue.idle()
            if running is not None and running.abandoned:
                break  # a replacement took this worker's place
        with self._lock:
            if me in self._threads:
                self._threads.remove(me)

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

    def _run(self, n: int, key: JobKey, lane: str) -> _Running | None:
        job = self.store.job(key[1], key[0])
        with self._lock:
            cancel = self._cancels.get(key) or threading.Event()
        if job is None or cancel.is_set() or self._stopping.is_set():
            return None
        if not self.store.start_job(key):
            return None
        clip = clip_seconds(job.draft)
        running = _Running(key, cancel, lane, clip=clip)
        running.deadline = running.started + self.time_ceiling(clip)
        with self._lock:
            self._running[n] = running
        out = self.store.render_path(key)
        last = [0.0, -1]

        def on_progress(fraction: float) -> None:
            running.beat = time.monotonic()
            pct = max(0, min(99, int(fraction * 100)))
            now = running.beat
            if pct != last[1] and (now - last[0] >= self._progress_interval or pct - last[1] >= 10):
                last[0], last[1] = now, pct
                if not cancel.is_set():
                    self.store.set_progress(key, pct)

        try:
            result = self.renderer(
                job.draft,
                out,
                resolve=self._resolver(job.user_id),
                on_progress=on_progress,
                cancel=cancel,
                quality=job.quality,
            )
        except Exception as exc:
            out.unlink(missing_ok=True)
            if cancel.is_set():
                self._stopped_or_cancelled(key)
                return running
            msg = str(exc).strip() or type(exc).__name__
            if is_disk_full(exc):  # not the errno and the internal path of the file
                msg = DISK_FULL.format(where=self.store.root)
                log.warning("render %s failed: the disk is full", key[1])
            elif not _says_why(exc):
                msg = f"The render failed: {msg}"
                log.warning("render %s failed: %s", key[1], type(exc).__name__)
            self.store.finish_job_if_active(key, msg)
            return running
        if cancel.is_set() or not out.exists():
            out.unlink(missing_ok=True)
            self._stopped_or_cancelled(key)
            return running
        out.chmod(0o600)
        # the engine's own notes (a clamped size) first, then the renderer's
        notes = job.notes + tuple(getattr(result, "notes", ()) or ())  # may return None
        if not self.store.complete_job(key, out, notes):  # failed meanwhile (watchdog): discard
            out.unlink(missing_ok=True)
        return running

    def _stopped_or_cancelled(self, key: JobKey) -> None:
        if self._stopping.is_set():
            self.store.finish_job_if_active(key, INTERRUPTED)
        else:
            self.store.finish_job_if_active(key, CANCELLED, status="cancelled")
