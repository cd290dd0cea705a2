"""Thread helpers every layer may use. Imports nothing from the rest of the package."""

from __future__ import annotations

import os
import sys
import threading

__all__ = ["lower_thread_priority"]


def lower_thread_priority(by: int) -> None:
    """Lower the calling thread's CPU priority by ``by`` nice levels (at most to 19), on Linux,
    where the nice value belongs to the thread and threads it starts later inherit it (x264's
    among them). Elsewhere it is the whole process's: left alone. It cannot be raised again."""
    if not sys.platform.startswith("linux"):
        return
    try:
        tid = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, tid, min(19, os.getpriority(os.PRIO_PROCESS, tid) + by))
    except OSError:  # a sandbox may forbid it: the work is only slower
        pass
