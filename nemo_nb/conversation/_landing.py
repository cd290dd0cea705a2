"""After a reply stream drops: never resend; check whether the edit landed, a few times within the
turn (~3 s), then in the background (~5 minutes), and say what came of it (contract §4)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any

from nemo_nb.api import SessionNotFoundError, StreamInterruptedError
from nemo_nb.conversation._update import Update, error_update
from nemo_nb.timeline import Draft, diff

__all__ = ["LandingCheck"]

log = logging.getLogger("nemo_nb.conversation")

#: The timeline if it now differs from the one given (the edit landed), else ``None``; raises
#: :class:`~nemo_nb.api.SessionNotFoundError` when the session is gone.
Landed = Callable[[Draft | None], Awaitable[Draft | None]]
#: The updates that replace a lost session and say so.
SessionLost = Callable[[SessionNotFoundError], AsyncIterator[Update]]


class LandingCheck:
    """The check after one dropped stream. Its owner hands it what it may do: look at the
    timeline (``landed``), replace a lost session (``session_lost``), read the session id, and
    ``deliver`` the outcome of the background part, which arrives after the turn ended."""

    def __init__(
        self,
        drop: StreamInterruptedError,
        before: Draft | None,
        *,
        landed: Landed,
        session_lost: SessionLost,
        session_id: Callable[[], str | None],
        deliver: Callable[[Update], None],
        sleep: Callable[[float], Awaitable[Any]],
        drop_checks: Sequence[float],
        poll_intervals: Sequence[float],
    ) -> None:
        self.drop, self.before = drop, before
        self._landed, self._session_lost, self._session_id = landed, session_lost, session_id
        self._deliver, self._sleep = deliver, sleep
        self.drop_checks, self.poll_intervals = tuple(drop_checks), tuple(poll_intervals)
        self._task: asyncio.Task[None] | None = None

    async def within_turn(self) -> AsyncIterator[Update]:
        """Check :attr:`drop_checks` times; if the edit has not shown up by then, say so and
        go on checking in the background (:attr:`poll_intervals`). A landed draft is left with
        the owner (``landed`` read it); an unchanged one means it has not landed (yet)."""
        yield Update(
            "notice",
            "The connection dropped while the agent was working. Your message was received, so "
            "it is not sent again; checking whether the edit landed…",
            {"error": type(self.drop).__name__},
        )
        sid, waited = self._session_id(), 0.0
        for interval in self.drop_checks:
            await self._sleep(interval)
            waited += interval
            try:
                landed = await self._landed(self.before)
            except SessionNotFoundError as lost:
                async for update in self._session_lost(lost):
                    yield update
                return
            if landed is not None:
                yield Update(
                    "notice",
                    f"The edit landed (checked after {waited:.0f} s).",
                    {"waited_s": waited},
                )
                return
        minutes = max(1, round(sum(self.poll_intervals) / 60))
        yield Update(
            "notice",
            "The edit has not shown up yet. I'll keep checking for about "
            f"{minutes} minute{'s' if minutes > 1 else ''} and tell you here when I know "
            '(say "status" to look yourself).',
            {"waited_s": waited, "checking": True},
        )
        self._task = asyncio.ensure_future(self._in_background(sid, waited))
        self._task.add_done_callback(_log_failure)

    async def _in_background(self, sid: str | None, waited: float) -> None:
        """The rest of the check, after the turn ended: its outcome goes to ``deliver``."""
        for interval in self.poll_intervals:
            await self._sleep(interval)
            waited += interval
            if self._session_id() != sid:
                return  # a new session replaced this one meanwhile: the edit is moot
            try:
                after = await self._landed(self.before)
            except SessionNotFoundError as lost:
                async for update in self._session_lost(lost):
                    self._deliver(update)
                return
            if after is not None:
                changes = diff(self.before, after)
                said = ": " + "; ".join(changes) if changes else ""
                self._deliver(
                    Update(
                        "notice",
                        f"Your earlier edit landed after all (checked after {waited:.0f} s){said}.",
                        {"waited_s": waited, "changes": changes, "late": True},
                    )
                )
                self._deliver(
                    Update("draft", after.summary(), {"draft": after, "changes": changes})
                )
                return
        minutes = max(1, round(waited / 60))
        self._deliver(
            error_update(
                self.drop,
                f"The timeline has not changed after {minutes} minute"
                f"{'s' if minutes > 1 else ''}, so the edit probably did not land. Say "
                '"status" to check again, or send the request again.',
                waited_s=waited,
                late=True,
            )
        )

    def stop(self) -> bool:
        """End the background check if it is still running; ``True`` if it was."""
        if self._task is None or self._task.done():
            return False
        self._task.cancel()
        return True

    async def wait(self) -> None:
        """Wait until the background check (if any) has delivered its outcome or was stopped."""
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


def _log_failure(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.warning("checking whether the edit landed failed", exc_info=task.exception())
