"""One editing session with the agent: routing, the agent turn (streaming, GUI translation,
silent-edit summaries, recovery from dropped streams and lost sessions) and history. The local
commands live in ``_local``, the export workflow in ``_export``."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as _dt
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

from nemo_nb import _paths
from nemo_nb.api import (
    CreditsError,
    NemoError,
    SessionNotFoundError,
    StreamInterruptedError,
)
from nemo_nb.api._events import GARBLED_CODE
from nemo_nb.conversation._activity import activity_label
from nemo_nb.conversation._client import AgentClient
from nemo_nb.conversation._export import (
    NothingToExportError,
    PendingRenders,
    export_updates,
    follow_render,
    pending_for,
)
from nemo_nb.conversation._gui import ACTION_LABELS, GuiStream, translate_gui
from nemo_nb.conversation._history import HistoryStore, Turn, history_frame
from nemo_nb.conversation._local import (
    credits_updates,
    state_update,
    state_updates,
    upload_updates,
)
from nemo_nb.conversation._local import upload as upload_files
from nemo_nb.conversation._reply import Reply
from nemo_nb.conversation._routing import Action, route
from nemo_nb.conversation._update import Update, error_update
from nemo_nb.skills import Skill, get_skill
from nemo_nb.timeline import Draft, DraftError, diff

__all__ = ["Conversation", "STILL_WORKING", "NOTHING_CHANGED"]

log = logging.getLogger("nemo_nb.conversation")

STILL_WORKING = "⏳ Still working..."
NOTHING_CHANGED = "The agent finished without a reply, and nothing changed on the timeline."
#: Heartbeats-only time before each "still working" notice (docs/contract.md §4: every 2 minutes).
HEARTBEAT_NOTICE_AFTER_S = 120.0
#: After a dropped stream, checks within the turn (~3 s): an edit that landed shows up at once.
DROP_CHECKS_S: tuple[float, ...] = (1.0, 2.0)
#: Then, in the background: 30 s, 60 s, … — about 5 minutes in all (docs/contract.md §4).
POLL_INTERVALS_S: tuple[float, ...] = (30.0, 60.0, 60.0, 60.0, 90.0)

Sleep = Callable[[float], Awaitable[Any]]
Clock = Callable[[], float]
ProgressCallback = Callable[[float], Any]
LateUpdateCallback = Callable[[Update], None]


def _now_iso() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


class Conversation:
    """One editing session (one project) with the agent, UI-neutral.

    >>> conv = Conversation(client)
    >>> await conv.upload("portrait.jpg")
    >>> async for update in conv.send("make this photo jiggle"):
    ...     print(update.kind, update.text)
    >>> path = await conv.export()

    :meth:`send` routes the message (:func:`route`): commands such as "export", "credits",
    "status" or "upload" run locally; everything else goes to the agent and comes back as
    :class:`Update` s. ``skill`` defaults to the client's; ``session_id`` resumes an existing
    session (and reloads its history). ``heartbeat_notice_after``, ``drop_checks``,
    ``poll_intervals``, ``clock`` and ``sleep`` exist so tests need not wait for real minutes;
    ``data_dir`` overrides the data dir (history and pending renders live there).

    When a reply stream drops, the turn ends within seconds; whether the edit landed is then
    checked in the background, and that outcome goes to :attr:`on_late_update` when set, else it
    is yielded at the start of the next :meth:`send`.
    """

    #: Called with each late :class:`Update` (the outcome of a check after a dropped stream).
    on_late_update: LateUpdateCallback | None = None

    def __init__(
        self,
        client: AgentClient,
        *,
        skill: str | Skill | None = None,
        session_id: str | None = None,
        language: str = "en",
        renders_dir: str | Path | None = None,
        data_dir: str | Path | None = None,
        heartbeat_notice_after: float = HEARTBEAT_NOTICE_AFTER_S,
        poll_intervals: Sequence[float] = POLL_INTERVALS_S,
        drop_checks: Sequence[float] = DROP_CHECKS_S,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.client = client
        self.skill: Skill = get_skill(skill if skill is not None else client.skill)
        self.language = language
        self._session_id = session_id
        #: Where history (``history/<session>.jsonl``) and pending renders are kept.
        self.data_dir: Path = Path(data_dir) if data_dir is not None else _paths.data_dir()
        #: Where exports are downloaded.
        self.renders_dir: Path = (
            Path(renders_dir) if renders_dir is not None else self.data_dir / "renders"
        )
        self.heartbeat_notice_after = heartbeat_notice_after
        self.poll_intervals = tuple(poll_intervals)
        self.drop_checks = tuple(drop_checks)
        self._clock = clock
        self._sleep = sleep
        self._draft: Draft | None = None
        self._history = HistoryStore(self.data_dir / "history")
        self._pending = PendingRenders.in_dir(self.data_dir)
        self.turns: list[Turn] = self._history.load(session_id) if session_id else []
        self._late_task: asyncio.Task[None] | None = None
        self._late_updates: list[Update] = []

    # ---- properties ----------------------------------------------------------------------------
    @property
    def session_id(self) -> str | None:
        """The session's id (``None`` until the first call that needs one)."""
        return self._session_id

    @property
    def suggested_prompts(self) -> list[str]:
        """The skill's "Try saying…" prompts."""
        return list(self.skill.suggested_prompts)

    @property
    def draft(self) -> Draft | None:
        """The timeline as last read from the server (``None`` before anything was made)."""
        return self._draft

    def __repr__(self) -> str:
        return (
            f"Conversation(session_id={self._session_id!r}, skill={self.skill.name!r}, "
            f"turns={len(self.turns)})"
        )

    # ---- session and state ---------------------------------------------------------------------
    async def start(self) -> str:
        """Create the session if there is none yet; returns its id."""
        if self._session_id is None:
            session = await self.client.create_session(language=self.language)
            self._session_id = session.session_id
        return self._session_id

    async def _new_session(self) -> str:
        self._session_id = None
        self._draft = None
        return await self.start()

    async def refresh(self) -> Draft | None:
        """Read the timeline from the server and return it (also kept as :attr:`draft`)."""
        if self._session_id is None:
            return None
        state = await self.client.state(self._session_id)
        self._draft = self._parse(state.draft)
        return self._draft

    @staticmethod
    def _parse(raw: Any) -> Draft | None:
        if not raw:
            return None
        try:
            return Draft.from_json(raw)
        except DraftError as exc:
            log.warning("the server's timeline could not be read: %s", exc)
            return None

    async def _refresh_or_explain(self) -> tuple[Draft | None, list[Update]]:
        """:meth:`refresh`, or else the updates telling the user why it failed and what now."""
        try:
            return await self.refresh(), []
        except SessionNotFoundError as exc:
            return None, [update async for update in self._session_lost(exc)]
        except NemoError as exc:
            return None, [error_update(exc)]

    async def _read_draft(self) -> tuple[Draft | None, bool]:
        """(draft, read ok) — a failed read is not an error for the turn, just unknown."""
        try:
            return await self.refresh(), True
        except SessionNotFoundError:
            raise
        except NemoError as exc:
            log.info("could not read the state: %s", exc)
            return self._draft, False

    # ---- history -------------------------------------------------------------------------------
    def history_frame(self) -> Any:
        """Every turn of this session as a pandas DataFrame (one row per turn)."""
        return history_frame(self.turns)

    def _begin(self, prompt: str, action: str) -> Turn:
        return Turn(
            session_id=self._session_id,
            prompt=prompt,
            action=action,
            started_at=_now_iso(),
            skill=self.skill.name,
        )

    def _record(self, turn: Turn, update: Update) -> None:
        if update.kind == "text":
            turn.reply += update.text
            turn.raw_reply += update.data.get("raw", update.text)
        elif update.kind == "activity":
            turn.tool_calls.append(str(update.data.get("tool")))
        elif update.kind == "notice":
            turn.notices.append(update.text)
        elif update.kind == "error":
            turn.errors.append(update.text)
        elif update.kind in ("summary", "draft"):
            turn.changes = list(update.data.get("changes", turn.changes))
        elif update.kind == "actions":
            turn.actions = list(update.data.get("actions", []))
        elif update.kind == "export":
            turn.render_path = str(update.data.get("path"))
        elif update.kind in ("upload", "credits", "state") and not turn.reply:
            turn.reply = update.text

    def _finish(self, turn: Turn, started: float) -> None:
        turn.duration_s = round(time.perf_counter() - started, 3)
        turn.session_id = turn.session_id or self._session_id
        if self._draft is not None and turn.draft_after is None:
            turn.draft_after = self._draft.to_json()
            turn.summary_after = self._draft.summary()
        self.turns.append(turn)
        self._history.append(turn)

    # ---- sending -------------------------------------------------------------------------------
    async def ask(self, text: str, *, echo: bool = False) -> Reply:
        """Send one message and return the whole turn as a :class:`Reply` (no streaming).

        ``echo=True`` also prints the turn as it happens — the reply as it streams (GUI phrases
        already translated), then activity, changes and notices — which suits scripts and plain
        cells.
        """
        reply = Reply(text)
        mid_line = False  # streamed text printed without its line end yet
        async for update in self.send(text):
            reply.updates.append(update)
            if not echo:
                continue
            if update.kind == "text":
                print(update.text, end="", flush=True)
                mid_line = True
                continue
            if mid_line:
                print(flush=True)
                mid_line = False
            if update.kind not in ("progress", "draft", "actions") and update.text:
                print(update.text, flush=True)
        if mid_line:
            print(flush=True)
        return reply

    async def send(self, text: str) -> AsyncIterator[Update]:
        """Handle one user message and yield :class:`Update` s as they happen.

        Commands run locally (see :func:`route`); anything else is sent to the agent once: its
        text streams in as ``text`` updates to append, GUI phrases already translated ("click
        Export" arrives as 'say "export"', never raw first), tool calls show as ``activity``,
        heartbeats-only stretches produce ``"⏳ Still working..."``, and the turn ends with
        ``actions``, a ``summary`` of what changed when the agent said nothing, and the new
        ``draft``. Errors are ``error`` updates saying what to do next.
        """
        action: Action = route(text)
        turn = self._begin(text, action)
        started = time.perf_counter()
        try:
            async for update in self._dispatch(action, text, turn, started):
                self._record(turn, update)
                yield update
        finally:
            self._finish(turn, started)

    async def _dispatch(
        self, action: Action, text: str, turn: Turn, started: float
    ) -> AsyncIterator[Update]:
        for update in self._take_late_updates(stop_checking=action == "agent"):
            yield update
        if action == "export":
            updates = export_updates(self, turn=turn)
        elif action == "credits":
            updates = credits_updates(self)
        elif action == "state":
            updates = state_updates(self)
        elif action == "upload":
            updates = upload_updates(self, text)
        else:
            updates = self._agent_turn(text, turn, started)
        async for update in updates:
            yield update

    async def _agent_turn(self, text: str, turn: Turn, started: float) -> AsyncIterator[Update]:
        try:
            sid = await self.start()
            turn.session_id = sid
            before, _ = await self._read_draft()
        except SessionNotFoundError as exc:
            async for update in self._session_lost(exc):
                yield update
            return
        except NemoError as exc:
            yield error_update(exc)
            return
        turn.draft_before = before.to_json() if before else None

        raw_text = ""
        gui = GuiStream()  # translates whole clauses as they complete
        delta_draft: Draft | None = None
        interrupted: StreamInterruptedError | None = None
        stream_error = False
        quiet_since, notices, last_activity = self._clock(), 0, None
        stream = self.client.chat(sid, text)
        try:
            async for event in stream:
                if event.kind == "heartbeat":
                    waited = self._clock() - quiet_since
                    if waited >= self.heartbeat_notice_after * (notices + 1):
                        notices += 1
                        yield Update("notice", STILL_WORKING, {"waited_s": waited})
                    continue
                quiet_since, notices = self._clock(), 0
                if event.kind == "text" and event.text:
                    if not raw_text:
                        turn.first_text_s = round(time.perf_counter() - started, 3)
                    raw_text += event.text
                    shown, raw = gui.feed(event.text)
                    if raw:
                        yield Update("text", shown, {"delta": True, "raw": raw})
                elif event.kind == "tool_call":
                    label = activity_label(event.name, event.args)
                    if label != last_activity:
                        last_activity = label
                        yield Update("activity", label, {"tool": event.name, "args": event.args})
                    else:
                        turn.tool_calls.append(str(event.name))
                elif event.kind == "tool_result":
                    delta = (event.state_delta or {}).get("draft")
                    if delta:
                        delta_draft = self._parse(delta) or delta_draft
                elif event.kind == "error":
                    stream_error = True
                    for update in _flushed(gui):
                        yield update
                    yield self._stream_error(event)
        except StreamInterruptedError as exc:
            interrupted = exc
        except SessionNotFoundError as exc:
            for update in _flushed(gui):
                yield update
            async for update in self._session_lost(exc):
                yield update
            return
        except CreditsError as exc:
            for update in _flushed(gui):
                yield update
            yield self._credits_error(exc)
            return
        except NemoError as exc:
            for update in _flushed(gui):
                yield update
            yield error_update(exc)
            return
        finally:
            with contextlib.suppress(Exception):
                await stream.aclose()
        for update in _flushed(gui):  # the reply's last clause
            yield update

        if interrupted is not None:
            async for update in self._poll_after_drop(interrupted, before):
                yield update
            if self._session_id != sid or self._draft == before:  # replaced, or not landed yet
                return
            after: Draft | None = self._draft
        else:
            after, read_ok = await self._read_draft()
            if not read_ok and delta_draft is not None:
                after = self._draft = delta_draft
        async for update in self._wrap_up(raw_text, before, after, stream_error):
            yield update

    async def _wrap_up(
        self, raw_text: str, before: Draft | None, after: Draft | None, stream_error: bool
    ) -> AsyncIterator[Update]:
        """The end of an agent turn: the actions the reply offered, or the silent-edit summary;
        then the new draft if it changed. (The reply itself was streamed, already translated.)"""
        changes = diff(before, after) if after is not None else []
        if raw_text:
            translation = translate_gui(raw_text)
            if translation.actions:
                labels = [ACTION_LABELS[a] for a in translation.actions]
                yield Update(
                    "actions",
                    " · ".join(labels),
                    {"actions": list(translation.actions), "labels": labels},
                )
            if "show_timeline" in translation.actions:
                yield self._state_update(after)
        elif not stream_error or changes:
            summary = "\n".join(changes) if changes else NOTHING_CHANGED
            yield Update("summary", summary, {"changes": changes})
        if after is not None and changes:
            yield Update("draft", after.summary(), {"draft": after, "changes": changes})

    def _stream_error(self, event: Any) -> Update:
        code = str(event.code) if event.code is not None else None
        if code == GARBLED_CODE:  # the client's own finding; the agent went on
            return Update(
                "notice",
                "A piece of the agent's reply arrived garbled and could not be shown; the rest "
                'follows, and "status" shows what the timeline holds.',
                {"error": "garbled", "code": code},
            )
        if code == "2001":
            return self._credits_error(
                CreditsError(
                    anonymous=self.client.is_anonymous,
                    anonymous_user_id=self.client.user_id,
                    code=2001,
                )
            )
        message = (event.text or "").strip().rstrip(".") or "an unknown error"
        return Update(
            "error",
            f"The agent stopped with an error: {message}. Anything already shown stays; "
            "try again, or rephrase the request.",
            {"error": "agent", "code": event.code},
        )

    def _credits_error(self, exc: CreditsError) -> Update:
        bind_url = exc.bind_url
        text = str(exc)
        if bind_url and bind_url not in text:
            text = f"{text} Register at {bind_url} to get more credits."
        return error_update(exc, text, bind_url=bind_url)

    async def _session_lost(self, exc: SessionNotFoundError) -> AsyncIterator[Update]:
        old = self._session_id
        try:
            new = await self._new_session()
        except NemoError as again:
            yield error_update(again)
            return
        yield error_update(
            exc,
            "Your editing session had expired, so I started a new one: the timeline starts "
            "fresh (upload your photo again). Your message was not sent again — send it once "
            "more if you still want it.",
            session_id=new,
            old_session_id=old,
        )

    async def _poll_after_drop(
        self, exc: StreamInterruptedError, before: Draft | None
    ) -> AsyncIterator[Update]:
        """Never resend: check the state a few times within the turn (:attr:`drop_checks`, ~3 s);
        if the edit has not shown up by then, say so, end the turn and keep checking in the
        background (:attr:`poll_intervals`, ~5 minutes) — see :attr:`on_late_update`.

        Leaves a landed draft in :attr:`draft`; an unchanged draft means it has not landed (yet).
        """
        yield Update(
            "notice",
            "The connection dropped while the agent was working. Your message was received, so "
            "it is not sent again; checking whether the edit landed…",
            {"error": type(exc).__name__},
        )
        sid, waited = self._session_id, 0.0
        for interval in self.drop_checks:
            await self._sleep(interval)
            waited += interval
            try:
                landed = await self._landed(before)
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
        self._late_task = asyncio.ensure_future(self._check_late(exc, before, sid, waited))
        self._late_task.add_done_callback(_log_failure)

    async def _landed(self, before: Draft | None) -> Draft | None:
        """The timeline if it now differs from ``before`` (the edit landed), else ``None``."""
        after, ok = await self._read_draft()
        return after if ok and after is not None and after != before else None

    async def _check_late(
        self, exc: StreamInterruptedError, before: Draft | None, sid: str | None, waited: float
    ) -> None:
        """The rest of :meth:`_poll_after_drop`, after the turn ended: its outcome is delivered
        as late updates."""
        for interval in self.poll_intervals:
            await self._sleep(interval)
            waited += interval
            if self._session_id != sid:
                return  # a new session replaced this one meanwhile: the edit is moot
            try:
                after = await self._landed(before)
            except SessionNotFoundError as lost:
                async for update in self._session_lost(lost):
                    self._deliver_late(update)
                return
            if after is not None:
                changes = diff(before, after)
                said = ": " + "; ".join(changes) if changes else ""
                self._deliver_late(
                    Update(
                        "notice",
                        f"Your earlier edit landed after all (checked after {waited:.0f} s){said}.",
                        {"waited_s": waited, "changes": changes, "late": True},
                    )
                )
                self._deliver_late(
                    Update("draft", after.summary(), {"draft": after, "changes": changes})
                )
                return
        minutes = max(1, round(waited / 60))
        self._deliver_late(
            error_update(
                exc,
                f"The timeline has not changed after {minutes} minute"
                f"{'s' if minutes > 1 else ''}, so the edit probably did not land. Say "
                '"status" to check again, or send the request again.',
                waited_s=waited,
                late=True,
            )
        )

    def _deliver_late(self, update: Update) -> None:
        if self.on_late_update is None:
            self._late_updates.append(update)
            return
        try:
            self.on_late_update(update)
        except Exception:  # a UI callback failing must not end the check silently
            log.exception("on_late_update failed")

    def _take_late_updates(self, *, stop_checking: bool) -> list[Update]:
        """Late updates not delivered yet; a new message to the agent also ends a check still
        running (its edit would be mistaken for the old one)."""
        updates, self._late_updates = self._late_updates, []
        if stop_checking and self._late_task is not None and not self._late_task.done():
            self._late_task.cancel()
            updates.append(
                Update(
                    "notice",
                    "Your earlier edit had not shown up when this message was sent, so I "
                    'stopped waiting for it; say "status" to see the timeline.',
                    {"late": True},
                )
            )
        return updates

    async def wait_late_updates(self) -> None:
        """Wait until a background check (after a dropped stream) has delivered its outcome."""
        if self._late_task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._late_task

    # ---- local actions (in _local) ---------------------------------------------------------
    _state_update = staticmethod(state_update)

    async def upload(self, *paths_or_urls: str | Path) -> Update:
        """Upload files (paths or URLs) to the session; returns an ``upload`` update listing them,
        or an ``error`` update saying what is wrong (type, size, missing file)."""
        return await upload_files(self, *paths_or_urls)

    # ---- export (the workflow is in _export) --------------------------------------------------------------------------------
    async def export(
        self, on_progress: ProgressCallback | None = None, *, dest: str | Path | None = None
    ) -> Path:
        """Render the current timeline to MP4 and download it; returns the file's path.

        ``on_progress(fraction)`` is called as the render advances (0..1). ``dest`` is a
        directory or file (default :attr:`renders_dir`). Raises :class:`NothingToExportError`
        when the timeline is empty, or the client's error (e.g. ``RenderError``) otherwise.
        """
        turn = self._begin("export()", "export")
        started = time.perf_counter()
        path: Path | None = None
        failure: BaseException | None = None
        try:
            async for update in export_updates(self, on_progress=on_progress, dest=dest):
                self._record(turn, update)
                if update.kind == "export":
                    path = update.data["path"]
                elif update.kind == "error":
                    failure = update.data.get("exception") or NothingToExportError(update.text)
        finally:
            self._finish(turn, started)
        if path is None:
            raise failure or NothingToExportError()
        return path

    async def resume_pending(self, on_progress: ProgressCallback | None = None) -> list[Path]:
        """Finish exports left running by an earlier kernel (this session's, or all on this
        server when no session is set): wait for each, download it, return the paths."""
        paths: list[Path] = []
        for job in pending_for(self):
            async for update in follow_render(
                self.client, self._pending, job, on_progress=on_progress
            ):
                if update.kind == "export":
                    paths.append(update.data["path"])
                elif update.kind == "error":
                    log.warning("pending export %s: %s", job.render_id, update.text)
        return paths


def _log_failure(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.warning("checking whether the edit landed failed", exc_info=task.exception())


def _flushed(gui: GuiStream) -> list[Update]:
    """The reply's held-back tail as a ``text`` update (none if nothing is left)."""
    shown, raw = gui.flush()
    return [Update("text", shown, {"delta": True, "raw": raw})] if raw else []
