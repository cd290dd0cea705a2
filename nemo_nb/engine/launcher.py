"""Start the engine as a child process, or attach to the one already serving this data dir.

Files in the data dir (none of them holds a token):

- ``engine.json``: the state file, written by the running engine once it listens:
  ``{pid, url, host, port, instance, version, owned, started_at}``. Others attach through it
  after checking that the pid is alive and ``/healthz`` answers with the same ``instance``.
- ``engine.lock``: held (``flock``) by the running engine for its whole life: one engine per data
  dir, so job recovery on start never fails another engine's running jobs.
- ``engine.start.lock``: held while a process attaches or starts an engine, and by an engine
  while it decides to exit, so an attach never races a shutdown.
- ``engine-owners/<pid>.json``: one lease per owner process. An engine started here (``--owned``)
  checks every few seconds that some owner is still alive and exits when none is; owners drop
  their lease at exit (``atexit``), and a crashed kernel's lease is recognised as dead by its pid
  (and process start time, so a reused pid does not count).
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nemo_nb._errors import NemoError
from nemo_nb._paths import data_dir, make_private_dir

__all__ = [
    "EngineHandle",
    "EngineStartError",
    "ensure_engine",
    "release",
    "read_state",
    "write_state",
    "clear_state",
    "start_lock",
    "run_lock",
    "add_lease",
    "remove_lease",
    "live_owners",
    "pid_alive",
]

STATE_FILE = "engine.json"
RUN_LOCK = "engine.lock"
START_LOCK = "engine.start.lock"
OWNERS_DIR = "engine-owners"
LOG_FILE = "engine.log"


class EngineStartError(NemoError, RuntimeError):
    """The engine child process did not come up (``connect()`` raises it; the message says why
    and where the engine's log is)."""


@dataclass(frozen=True)
class EngineHandle:
    """A running engine this process owns a lease on."""

    url: str
    pid: int
    started: bool  # True if this call started it, False if it attached


# --- locks -----------------------------------------------------------------------------------


@contextlib.contextmanager
def start_lock(root: Path) -> Iterator[None]:
    """Blocking exclusive lock around attach/start/shutdown decisions."""
    with os.fdopen(_open_private(root / START_LOCK, os.O_RDWR), "a+") as fh:
        _flock(fh, blocking=True)
        try:
            yield
        finally:
            _unflock(fh)


def run_lock(root: Path) -> Any | None:
    """Take the engine's lifetime lock; ``None`` if another engine holds it. Keep the returned
    file open for as long as the engine runs (the OS releases it even on SIGKILL)."""
    fh = os.fdopen(_open_private(root / RUN_LOCK, os.O_RDWR), "a+")
    if not _flock(fh, blocking=False):
        fh.close()
        return None
    return fh


def _flock(fh: Any, *, blocking: bool) -> bool:
    try:
        import fcntl
    except ImportError:  # Windows: best effort, no lock
        return True
    try:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
    except BlockingIOError:
        return False
    return True


def _unflock(fh: Any) -> None:
    with contextlib.suppress(ImportError):
        import fcntl

        fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


# --- state file ------------------------------------------------------------------------------


def read_state(root: Path) -> dict[str, Any] | None:
    try:
        data = json.loads((root / STATE_FILE).read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def write_state(root: Path, state: dict[str, Any]) -> None:
    """Atomically replace the state file."""
    tmp = root / f".{STATE_FILE}.{os.getpid()}.tmp"
    _write_private(tmp, json.dumps(state, indent=1))
    os.replace(tmp, root / STATE_FILE)


def _open_private(path: Path, flags: int) -> int:
    """``os.open`` a file in the data dir with the user-only mode (600), tightening an old one."""
    fd = os.open(path, flags | os.O_CREAT, 0o600)
    with contextlib.suppress(OSError, AttributeError):  # AttributeError: no fchmod on Windows
        os.fchmod(fd, 0o600)
    return fd


def _write_private(path: Path, text: str) -> None:
    with os.fdopen(_open_private(path, os.O_WRONLY | os.O_TRUNC), "w") as fh:
        fh.write(text)


def clear_state(root: Path, pid: int) -> None:
    """Remove the state file if it still describes the engine ``pid``."""
    st = read_state(root)
    if st is not None and st.get("pid") == pid:
        (root / STATE_FILE).unlink(missing_ok=True)


# --- processes and leases --------------------------------------------------------------------


def _proc_start(pid: int) -> str | None:
    """The process start time from /proc (Linux), to tell a reused pid from the original."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[-1].split()
    return fields[19] if len(fields) > 19 else None


def pid_alive(pid: int, start: str | None = None) -> bool:
    """Is ``pid`` a running (not zombie) process, started at ``start`` if given?"""
    if pid <= 0:
        return False
    if os.name == "nt":  # os.kill(pid, 0) would terminate the process on Windows
        return _win_pid_alive(pid)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True  # no /proc: trust kill(0)
    fields = stat.rsplit(")", 1)[-1].split()
    if fields and fields[0] in ("Z", "X"):
        return False
    return start is None or (len(fields) > 19 and fields[19] == start)


def _win_pid_alive(pid: int) -> bool:
    import ctypes

    kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
    handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
    if not handle:
        return False
    code = ctypes.c_ulong()
    try:
        ok = kernel32.GetExitCodeProcess(handle, ctypes.byref(code))
    finally:
        kernel32.CloseHandle(handle)
    return bool(ok) and code.value == 259  # STILL_ACTIVE


def add_lease(root: Path, pid: int | None = None) -> Path:
    """Record ``pid`` (default: this process) as an owner of the engine for ``root``."""
    pid = os.getpid() if pid is None else pid
    owners = root / OWNERS_DIR
    owners.mkdir(mode=0o700, exist_ok=True)
    path = owners / f"{pid}.json"
    _write_private(path, json.dumps({"pid": pid, "start": _proc_start(pid)}))
    return path


def remove_lease(root: Path, pid: int | None = None) -> None:
    pid = os.getpid() if pid is None else pid
    (root / OWNERS_DIR / f"{pid}.json").unlink(missing_ok=True)


def live_owners(root: Path) -> list[int]:
    """Pids holding a lease whose process is alive; dead leases are removed on the way."""
    alive: list[int] = []
    owners = root / OWNERS_DIR
    if not owners.is_dir():
        return alive
    for path in owners.glob("*.json"):
        try:
            lease = json.loads(path.read_text())
            pid, start = int(lease["pid"]), lease.get("start")
        except (OSError, ValueError, KeyError, TypeError):
            path.unlink(missing_ok=True)
            continue
        if pid_alive(pid, start):
            alive.append(pid)
        else:
            path.unlink(missing_ok=True)
    return alive


# --- attach or start -------------------------------------------------------------------------


def _healthy(url: str, instance: str | None, timeout: float = 2.0) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/healthz", timeout=timeout) as resp:
            body = json.loads(resp.read())
    except (OSError, ValueError):
        return False
    return body.get("status") == "ok" and (instance is None or body.get("instance") == instance)


def _attachable(st: dict[str, Any] | None) -> bool:
    return bool(
        st
        and isinstance(st.get("pid"), int)
        and isinstance(st.get("url"), str)
        and pid_alive(st["pid"])
        and _healthy(st["url"], st.get("instance"))
    )


_released: set[Path] = set()
_children: list[subprocess.Popen[bytes]] = []  # kept so that an exited engine gets reaped


def _release_at_exit(root: Path, pid: int) -> None:
    if os.getpid() == pid:  # not in a forked child, whose exit must not end the parent's lease
        remove_lease(root, pid)


def _lease_for_this_process(root: Path) -> None:
    add_lease(root)
    if root not in _released:
        _released.add(root)
        atexit.register(_release_at_exit, root, os.getpid())


def ensure_engine(
    root: Path | None = None,
    *,
    args: Sequence[str] = (),
    timeout: float = 60.0,
) -> EngineHandle:
    """Attach to the engine serving ``root`` (default: the data dir) or start one as a child
    process on 127.0.0.1 and a free port, and hold an owner lease on it until this process
    exits. ``args`` are extra ``python -m nemo_nb.engine`` options for a new engine.
    """
    root = Path(root) if root is not None else data_dir()
    make_private_dir(root)
    for child in list(_children):
        if child.poll() is not None:
            _children.remove(child)
    with start_lock(root):
        st = read_state(root)
        if _attachable(st):
            assert st is not None
            _lease_for_this_process(root)
            return EngineHandle(st["url"], st["pid"], started=False)
        _lease_for_this_process(root)  # before the child looks for owners
        cmd = [sys.executable, "-m", "nemo_nb.engine", "--owned", "--port", "0"]
        cmd += ["--data-dir", str(root), *args]
        log_path = root / LOG_FILE
        if log_path.exists() and log_path.stat().st_size > 1_000_000:
            log_path.replace(root / (LOG_FILE + ".1"))  # keep one old log, not an ever-growing one
        log = os.fdopen(_open_private(log_path, os.O_WRONLY | os.O_APPEND), "ab")
        kwargs: dict[str, Any] = {}
        if os.name == "posix":
            # Own session: a Ctrl-C (interrupt) in the kernel must not kill the engine.
            kwargs["start_new_session"] = True
        try:
            child = subprocess.Popen(
                cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=log, close_fds=True, **kwargs
            )
        finally:
            log.close()
        _children.append(child)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if child.poll() is not None:
                raise EngineStartError(
                    f"The engine exited at start (code {child.returncode}); see {root / LOG_FILE}:"
                    f"\n{_tail(root / LOG_FILE)}"
                )
            st = read_state(root)
            if st and st.get("pid") == child.pid and _healthy(st["url"], st.get("instance")):
                return EngineHandle(st["url"], child.pid, started=True)
            time.sleep(0.05)
        child.kill()
        raise EngineStartError(
            f"The engine did not answer within {timeout:.0f} s; see {root / LOG_FILE}."
        )


def release(root: Path | None = None) -> None:
    """Drop this process's lease now (an owned engine exits once no owner is left)."""
    remove_lease(Path(root) if root is not None else data_dir())


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""
