"""Coalesced redraws: many requests a second, at most ~20 redraws."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

__all__ = ["Coalescer", "REDRAW_INTERVAL_S"]

#: At most one redraw per 50 ms: smooth to the eye, and few enough comm messages for any frontend.
REDRAW_INTERVAL_S = 0.05


class Coalescer:
    """Calls ``draw`` at most once per ``interval`` on the running loop; requests in between merge
    into the next draw. Without a running loop it draws at once."""

    def __init__(self, draw: Callable[[], None], interval: float = REDRAW_INTERVAL_S) -> None:
        self._draw = draw
        self.interval = interval
        self._handle: asyncio.TimerHandle | None = None
        self._last = float("-inf")
        self.draws = 0

    def request(self) -> None:
        """Ask for a redraw soon."""
        if self._handle is not None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self._fire()
            return
        delay = max(0.0, self._last + self.interval - loop.time())
        self._handle = loop.call_later(delay, self._fire)

    def flush(self) -> None:
        """Draw now if a redraw is pending."""
        if self._handle is not None:
            self._handle.cancel()
            self._fire()

    def _fire(self) -> None:
        self._handle = None
        with contextlib.suppress(RuntimeError):  # no loop: drawn at once, nothing to time
            self._last = asyncio.get_running_loop().time()
        self.draws += 1
        self._draw()
