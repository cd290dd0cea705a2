"""The engine's SQLite store: tokens (hashed), users and credits, sessions, messages, drafts with
their history (for undo), media records and render jobs.

One database file (WAL) in the data dir; uploaded media and renders are files beside it. One
connection shared by the event loop and the render workers, serialised by a lock: every statement
is small, so the lock is held for microseconds.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import secrets
import shutil
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nemo_nb._paths import DIR_MODE, FILE_MODE

__all__ = [
    "Store",
    "OutOfCredits",
    "User",
    "Session",
    "Media",
    "Job",
    "JobKey",
    "hash_token",
    "make_private",
    "INTERRUPTED",
    "DISK_FULL",
    "is_disk_full",
    "DIR_MODE",
    "FILE_MODE",
]

#: What a job left pending/processing by a killed engine says once the engine is back.
INTERRUPTED = "The render was interrupted because the engine stopped; export again."

#: What every route answers when a write failed for want of space (``{where}``: the data dir).
DISK_FULL = "The engine's disk is full: free space in {where}, then try again."

TOKEN_TTL_S = 7 * 24 * 3600
FREE_CREDITS = 100

_SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    user_id TEXT PRIMARY KEY,
    client_id TEXT UNIQUE,
    credits INTEGER NOT NULL,
    created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS tokens (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(user_id),
    created_at REAL NOT NULL,
    expires_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
    session_id TEXT PRIMARY KEY,
    task_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    task_name TEXT NOT NULL,
    language TEXT NOT NULL,
    created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id TEXT NOT NULL,
    role TEXT NOT NULL,
    text TEXT NOT NULL,
    events TEXT,
    created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS drafts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id TEXT NOT NULL,
    draft TEXT,
    undone INTEGER NOT NULL DEFAULT 0,
    created_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS drafts_by_session ON drafts(session_id, id);
CREATE TABLE IF NOT EXISTS media (
    media_id TEXT PRIMARY KEY,
    session_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    filename TEXT NOT NULL,
    kind TEXT NOT NULL,
    ext TEXT NOT NULL,
    path TEXT NOT NULL,
    width INTEGER,
    height INTEGER,
    duration REAL,
    fps REAL,
    hash TEXT NOT NULL,
    size INTEGER NOT NULL,
    created_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS media_by_session ON media(session_id, created_at);
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    session_id TEXT,
    draft TEXT NOT NULL,
    status TEXT NOT NULL,
    progress INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    output_path TEXT,
    created_at REAL NOT NULL,
    completed_at REAL,
    started_at REAL,
    notes TEXT,
    quality TEXT NOT NULL DEFAULT 'high',
    PRIMARY KEY (user_id, id)
);
"""
#: ``PRAGMA user_version`` of the schema above. 1: render ids are scoped to their user (they were
#: global, so one user could learn or claim another's id). 2: jobs keep when they started and the
#: renderer's notes (why a photo moves whole), so a status shows render time apart from queueing.
#: 3: jobs keep their output quality ("high", or "preview": the engine's small, fast render).
_VERSION = 3
#: Columns added since version 1, added to an older data dir's jobs table when missing.
_ADDED_SINCE_1 = {
    "started_at": "REAL",
    "notes": "TEXT",
    "quality": "TEXT NOT NULL DEFAULT 'high'",
}
_MIGRATE_TO_1 = """
ALTER TABLE jobs RENAME TO jobs_v0;
CREATE TABLE jobs (
    id TEXT NOT NULL, user_id TEXT NOT NULL, session_id TEXT, draft TEXT NOT NULL,
    status TEXT NOT NULL, progress INTEGER NOT NULL DEFAULT 0, error TEXT, output_path TEXT,
    created_at REAL NOT NULL, completed_at REAL, PRIMARY KEY (user_id, id)
);
INSERT INTO jobs SELECT id, user_id, session_id, draft, status, progress, error, output_path,
    created_at, completed_at FROM jobs_v0;
DROP TABLE jobs_v0;
"""


#: What nemo-nb keeps in a data dir (engine and client); :func:`make_private` touches only these,
#: so a data dir pointed at a folder with other things in it keeps their modes.
OWN_ENTRIES = (
    "engine.sqlite3*", "engine.json", "engine.log*", "engine*.lock", "engine-owners", "media",
    "renders", "history", "pending_renders.json", ".engine.json.*.tmp",
)  # fmt: skip


def make_private(root: Path) -> None:
    """Give ``root`` and nemo-nb's own files in it (:data:`OWN_ENTRIES`, recursively, not
    following links) the user-only modes: for data dirs written before the engine set them, and
    files other processes put there."""
    paths = [root]
    for pattern in OWN_ENTRIES:
        for entry in root.glob(pattern):
            paths.append(entry)
            if entry.is_dir() and not entry.is_symlink():
                paths += entry.rglob("*")
    for path in paths:
        with contextlib.suppress(OSError):
            if path.is_symlink():
                continue
            mode = DIR_MODE if path.is_dir() else FILE_MODE
            if path.stat().st_mode & 0o777 != mode:
                path.chmod(mode)


def is_disk_full(exc: BaseException | None) -> bool:
    """Did ``exc`` (or what caused it) fail for want of disk space? A file write says ENOSPC or
    EDQUOT; SQLite says SQLITE_FULL ("database or disk is full")."""
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        if isinstance(exc, sqlite3.Error) and (
            (getattr(exc, "sqlite_errorcode", 0) & 0xFF) == 13  # SQLITE_FULL
            or "database or disk is full" in str(exc)
        ):
            return True
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return False


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


class OutOfCredits(Exception):
    """The user cannot pay for this turn; nothing of it was stored."""


def hash_token(token: str) -> str:
    """The form a token is stored in: its SHA-256, never the token itself."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class User:
    user_id: str
    credits: int


@dataclass(frozen=True)
class Session:
    session_id: str
    task_id: str
    user_id: str
    task_name: str
    language: str
    created_at: float


@dataclass(frozen=True)
class Media:
    media_id: str
    session_id: str
    user_id: str
    filename: str
    kind: str
    ext: str
    path: Path
    width: int | None
    height: int | None
    duration: float | None
    fps: float | None
    hash: str
    size: int
    created_at: float


#: A render job's identity: ``(user_id, job_id)``; the id alone is the user's choice.
JobKey = tuple[str, str]


@dataclass(frozen=True)
class Job:
    id: str
    user_id: str
    session_id: str | None
    draft: dict[str, Any]
    status: str
    progress: int
    error: str | None
    output_path: Path | None
    created_at: float
    completed_at: float | None
    started_at: float | None = None
    #: The renderer's remarks, e.g. why a photo moves as a whole (``RenderResult.notes``).
    notes: tuple[str, ...] = ()
    #: ``"high"`` (an export) or ``"preview"`` (the engine's quick, small render).
    quality: str = "high"

    @property
    def key(self) -> JobKey:
        return (self.user_id, self.id)


class Store:
    """All persistent engine state. Safe to use from the event loop and worker threads."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.root.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
        self.media_dir = self.root / "media"
        self.renders_dir = self.root / "renders"
        self.media_dir.mkdir(mode=DIR_MODE, exist_ok=True)
        self.renders_dir.mkdir(mode=DIR_MODE, exist_ok=True)
        make_private(self.root)
        db_path = self.root / "engine.sqlite3"
        # Created 600 before SQLite opens it: SQLite gives the WAL and SHM files the same mode.
        os.close(os.open(db_path, os.O_RDWR | os.O_CREAT, FILE_MODE))
        self._lock = threading.RLock()
        self._db = sqlite3.connect(db_path, check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA busy_timeout=5000")
        self._migrate()

    def _migrate(self) -> None:
        with self._tx() as db:
            version = db.execute("PRAGMA user_version").fetchone()[0]
            old = db.execute("SELECT sql FROM sqlite_master WHERE name = 'jobs'").fetchone()
            if version < 1 and old is not None and "PRIMARY KEY (user_id, id)" not in old[0]:
                for statement in _MIGRATE_TO_1.split(";")[:-1]:
                    db.execute(statement)
            if version < _VERSION and old is not None:
                have = {r[1] for r in db.execute("PRAGMA table_info(jobs)")}
                for column, kind in _ADDED_SINCE_1.items():
                    if column not in have:
                        db.execute(f"ALTER TABLE jobs ADD COLUMN {column} {kind}")
        self._db.executescript(_SCHEMA)
        self._db.execute(f"PRAGMA user_version = {_VERSION}")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _one(self, sql: str, *args: Any) -> sqlite3.Row | None:
        with self._lock:
            return self._db.execute(sql, args).fetchone()

    def _all(self, sql: str, *args: Any) -> list[sqlite3.Row]:
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    # --- identity -------------------------------------------------------------------------

    def issue_token(self, client_id: str) -> tuple[str, User, float]:
        """A new token for the user behind ``client_id`` (created with free credits the first
        time). Returns the token (the only time it exists in clear), the user and its expiry."""
        token = "nmv_usr_" + secrets.token_urlsafe(30)
        now = time.time()
        with self._tx() as db:
            row = db.execute("SELECT * FROM users WHERE client_id = ?", (client_id,)).fetchone()
            if row is None:
                user_id = "anon_" + uuid.uuid4().hex[:16]
                db.execute(
                    "INSERT INTO users VALUES (?, ?, ?, ?)", (user_id, client_id, FREE_CREDITS, now)
                )
                user = User(user_id, FREE_CREDITS)
            else:
                user = User(row["user_id"], row["credits"])
            db.execute(
                "INSERT INTO tokens VALUES (?, ?, ?, ?)",
                (hash_token(token), user.user_id, now, now + TOKEN_TTL_S),
            )
        return token, user, now + TOKEN_TTL_S

    def user_for_token(self, token: str) -> User | None:
        """The user a valid, unexpired token belongs to, else ``None``."""
        row = self._one(
            "SELECT u.user_id, u.credits FROM tokens t JOIN users u USING (user_id) "
            "WHERE t.token_hash = ? AND t.expires_at > ?",
            hash_token(token),
            time.time(),
        )
        return User(row["user_id"], row["credits"]) if row else None

    def credits(self, user_id: str) -> int:
        row = self._one("SELECT credits FROM users WHERE user_id = ?", user_id)
        return int(row["credits"]) if row else 0

    # --- sessions, messages, drafts --------------------------------------------------------

    def create_session(self, user_id: str, *, task_name: str, language: str) -> Session:
        # Snowflake-like numeric id, as the cloud's: milliseconds then random digits.
        sid = f"{int(time.time() * 1000)}{secrets.randbelow(10**6):06d}"
        s = Session(sid, "task_" + uuid.uuid4().hex[:16], user_id, task_name, language, time.time())
        with self._tx() as db:
            db.execute(
                "INSERT INTO sessions VALUES (?, ?, ?, ?, ?, ?)",
                (s.session_id, s.task_id, s.user_id, s.task_name, s.language, s.created_at),
            )
        return s

    def session(self, session_id: str, user_id: str) -> Session | None:
        """The session if it exists and belongs to ``user_id``."""
        row = self._one(
            "SELECT * FROM sessions WHERE session_id = ? AND user_id = ?", session_id, user_id
        )
        return Session(**dict(row)) if row else None

    def draft(self, session_id: str) -> dict[str, Any] | None:
        """The session's current draft (the latest one not undone), ``None`` before any edit."""
        row = self._one(
            "SELECT draft FROM drafts WHERE session_id = ? AND undone = 0 ORDER BY id DESC LIMIT 1",
            session_id,
        )
        return json.loads(row["draft"]) if row and row["draft"] else None

    def recent_drafts(self, session_id: str, count: int) -> list[dict[str, Any] | None]:
        """The last ``count`` drafts not undone, oldest first (the current one is last)."""
        rows = self._all(
            "SELECT draft FROM drafts WHERE session_id = ? AND undone = 0 ORDER BY id DESC LIMIT ?",
            session_id,
            count,
        )
        return [json.loads(r["draft"]) if r["draft"] else None for r in reversed(rows)]

    def record_turn(
        self,
        session_id: str,
        user_text: str,
        *,
        reply_text: str | None,
        events: list[dict[str, Any]],
        new_draft: dict[str, Any] | None,
        undo: bool,
        cost: int = 0,
    ) -> None:
        """Store one chat turn atomically: the message, the reply, the draft change and its cost.

        ``undo`` marks the current draft undone (history is kept, nothing is deleted), so the one
        before becomes current again; otherwise a non-``None`` ``new_draft`` becomes current.
        Raises :class:`OutOfCredits` (storing nothing) if the user cannot pay ``cost``.
        """
        now = time.time()
        with self._tx() as db:
            if cost > 0:
                cur = db.execute(
                    "UPDATE users SET credits = credits - ? WHERE credits >= ? AND user_id = "
                    "(SELECT user_id FROM sessions WHERE session_id = ?)",
                    (cost, cost, session_id),
                )
                if cur.rowcount != 1:
                    raise OutOfCredits
            db.execute(
                "INSERT INTO messages (session_id, role, text, events, created_at) "
                "VALUES (?, 'user', ?, NULL, ?)",
                (session_id, user_text, now),
            )
            db.execute(
                "INSERT INTO messages (session_id, role, text, events, created_at) "
                "VALUES (?, 'model', ?, ?, ?)",
                (session_id, reply_text or "", json.dumps(events), now),
            )
            if undo:
                db.execute(
                    "UPDATE drafts SET undone = 1 WHERE id = (SELECT id FROM drafts "
                    "WHERE session_id = ? AND undone = 0 ORDER BY id DESC LIMIT 1)",
                    (session_id,),
                )
            elif new_draft is not None:
                db.execute(
                    "INSERT INTO drafts (session_id, draft, created_at) VALUES (?, ?, ?)",
                    (session_id, json.dumps(new_draft), now),
                )

    def messages(self, session_id: str) -> list[dict[str, Any]]:
        rows = self._all(
            "SELECT role, text, created_at FROM messages WHERE session_id = ? ORDER BY id",
            session_id,
        )
        return [dict(r) for r in rows]

    # --- media ---------------------------------------------------------------------------

    def add_media(self, *media: Media) -> None:
        """Record uploaded files, all in one transaction: an upload is recorded whole or not."""
        with self._tx() as db:
            for m in media:
                db.execute(
                    "INSERT INTO media VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (m.media_id, m.session_id, m.user_id, m.filename, m.kind, m.ext, str(m.path),
                     m.width, m.height, m.duration, m.fps, m.hash, m.size, m.created_at),
                )  # fmt: skip

    @staticmethod
    def _media(row: sqlite3.Row) -> Media:
        d = dict(row)
        d["path"] = Path(d["path"])
        return Media(**d)

    def media(self, media_id: str, user_id: str | None = None) -> Media | None:
        """One media record; with ``user_id``, only if that user uploaded it."""
        row = self._one("SELECT * FROM media WHERE media_id = ?", media_id)
        if row is None or (user_id is not None and row["user_id"] != user_id):
            return None
        return self._media(row)

    def session_media(self, session_id: str) -> list[Media]:
        rows = self._all(
            "SELECT * FROM media WHERE session_id = ? ORDER BY created_at, rowid", session_id
        )
        return [self._media(r) for r in rows]

    # --- render jobs ---------------------------------------------------------------------

    @staticmethod
    def _job(row: sqlite3.Row) -> Job:
        d = dict(row)
        d["draft"] = json.loads(d["draft"])
        d["output_path"] = Path(d["output_path"]) if d["output_path"] else None
        d["notes"] = tuple(json.loads(d["notes"])) if d.get("notes") else ()
        return Job(**d)

    def add_job(
        self,
        job_id: str,
        user_id: str,
        session_id: str | None,
        draft: dict,
        notes: Sequence[str] = (),
        *,
        quality: str = "high",
    ) -> Job | None:
        """A new pending job, or ``None`` if this user already has one with that id. ``notes``:
        what the engine changed in the draft before queueing it (a clamped size)."""
        try:
            with self._tx() as db:
                db.execute(
                    "INSERT INTO jobs (id, user_id, session_id, draft, status, created_at, notes, "
                    "quality) VALUES (?, ?, ?, ?, 'pending', ?, ?, ?)",
                    (job_id, user_id, session_id, json.dumps(draft), time.time(),
                     json.dumps(list(notes)) if notes else None, quality),
                )  # fmt: skip
        except sqlite3.IntegrityError:
            return None
        return self.job(job_id, user_id)

    def job(self, job_id: str, user_id: str) -> Job | None:
        """The user's job with that id: render ids are scoped to their user."""
        row = self._one("SELECT * FROM jobs WHERE id = ? AND user_id = ?", job_id, user_id)
        return self._job(row) if row else None

    def render_path(self, key: JobKey) -> Path:
        """Where the job's output goes: one file per user and id."""
        user_id, job_id = key
        return self.renders_dir / f"{user_id}.{job_id}.mp4"

    def update_job(self, key: JobKey, **fields: Any) -> None:
        """Set job columns (``status``, ``progress``, ``error``, ``output_path``, ``completed_at``)."""
        if "output_path" in fields and fields["output_path"] is not None:
            fields["output_path"] = str(fields["output_path"])
        cols = ", ".join(f"{k} = ?" for k in fields)
        with self._tx() as db:
            db.execute(
                f"UPDATE jobs SET {cols} WHERE user_id = ? AND id = ?", (*fields.values(), *key)
            )

    def start_job(self, key: JobKey) -> bool:
        """pending -> processing; ``False`` if the job is no longer pending (cancelled)."""
        with self._tx() as db:
            cur = db.execute(
                "UPDATE jobs SET status = 'processing', progress = 0, started_at = ? "
                "WHERE user_id = ? AND id = ? AND status = 'pending'",
                (time.time(), *key),
            )
            return cur.rowcount == 1

    def set_progress(self, key: JobKey, progress: int) -> None:
        """Record progress of a job still processing (a failed or cancelled one keeps its state)."""
        with self._tx() as db:
            db.execute(
                "UPDATE jobs SET progress = ? WHERE user_id = ? AND id = ? AND status = 'processing'",
                (progress, *key),
            )

    def complete_job(self, key: JobKey, output: Path, notes: Sequence[str] = ()) -> bool:
        """processing -> completed; ``False`` if it was failed meanwhile (cancel, watchdog)."""
        with self._tx() as db:
            cur = db.execute(
                "UPDATE jobs SET status = 'completed', progress = 100, output_path = ?, "
                "completed_at = ?, notes = ? "
                "WHERE user_id = ? AND id = ? AND status = 'processing'",
                (str(output), time.time(), json.dumps(list(notes)) if notes else None, *key),
            )
            return cur.rowcount == 1

    def finish_job_if_active(self, key: JobKey, error: str, status: str = "failed") -> bool:
        """End a pending/processing job with ``error`` (``status``: ``"failed"``, or
        ``"cancelled"`` when it was asked for or a newer preview replaced it); ``False`` if it had
        finished."""
        with self._tx() as db:
            cur = db.execute(
                "UPDATE jobs SET status = ?, error = ?, completed_at = ? "
                "WHERE user_id = ? AND id = ? AND status IN ('pending', 'processing')",
                (status, error, time.time(), *key),
            )
            return cur.rowcount == 1

    def remove_partial_files(self) -> int:
        """At start-up, before anything is served: delete what a killed engine left half-written
        (uploads never recorded, ``media/<id>/.part``, the renderer's ``renders/.*.part.mp4``,
        a render finished but never recorded). Returns how many entries went."""
        known = {r["media_id"] for r in self._all("SELECT media_id FROM media")}
        # by name: the data dir may have been reached by another path when they were recorded
        kept = {
            Path(r["output_path"]).name
            for r in self._all("SELECT output_path FROM jobs WHERE status = 'completed'")
            if r["output_path"]
        }
        removed = 0
        for entry in list(self.media_dir.iterdir()):
            if entry.name in known and entry.is_dir() and not entry.is_symlink():
                entry = entry / ".part"  # a recorded upload: only a stray part of it
                if not entry.exists():
                    continue
            _remove(entry)
            removed += 1
        for entry in list(self.renders_dir.iterdir()):
            if entry.name not in kept:
                _remove(entry)
                removed += 1
        return removed

    def recover_jobs(self) -> list[Job]:
        """After a restart: fail jobs a previous engine was rendering (their partial output is
        gone) and return the jobs that never started, oldest first, to queue again."""
        with self._tx() as db:
            db.execute(
                "UPDATE jobs SET status = 'failed', error = ?, completed_at = ? "
                "WHERE status = 'processing'",
                (INTERRUPTED, time.time()),
            )
            rows = db.execute(
                "SELECT * FROM jobs WHERE status = 'pending' ORDER BY created_at"
            ).fetchall()
        return [self._job(r) for r in rows]
