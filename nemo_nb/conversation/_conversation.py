"""One editing session with the agent: routing, the agent turn (streaming, silent-edit
summaries, recovery from dropped streams and lost sessions) and history.

Its collaborators know nothing of it: :class:`~._reply_stream.ReplyReader` reads one reply stream,
:class:`~._export.Exporter` renders and downloads, :class:`~._preview.Previewer` keeps previews,
``_local`` answers "status", "credits" and "upload", and each :class:`~._history.HistoryTurn`
records itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as _dt
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from nemo_nb import _paths
from nemo_nb._language import prompt_language
from nemo_nb._unicode import valid_text
from nemo_nb.api import (
    CreditsError,
    NemoError,
    SessionNotFoundError,
    StreamInterruptedError,
)
from nemo_nb.conversation._client import AgentClient
from nemo_nb.conversation._export import (
    NOTHING_TO_EXPORT,
    Exporter,
    NothingToExportError,
    PendingRenders,
)
from nemo_nb.conversation._gui import ACTION_LABELS, PHRASES, FrontEnd, translate_gui
from nemo_nb.conversation._history import HistoryStore, HistoryTurn, history_frame
from nemo_nb.conversation._landing import LandingCheck
from nemo_nb.conversation._local import (
    credits_update,
    describe_uploads,
    files_named,
    state_update,
    upload_help,
)
from nemo_nb.conversation._names import default_export_dir, export_stem, unique_path
from nemo_nb.conversation._preview import Previewer, renders_previews
from nemo_nb.conversation._reply import Reply
from nemo_nb.conversation._reply_stream import (
    STILL_WORKING,
    EditCallback,
    ReplyReader,
    parse_draft,
)
from nemo_nb.conversation._routing import Action, route
from nemo_nb.conversation._update import Update, credits_error_update, error_update
from nemo_nb.skills import Skill, get_skill
from nemo_nb.timeline import Draft, diff

__all__ = ["Conversation", "STILL_WORKING", "NOTHING_CHANGED"]

log = logging.getLogger("nemo_nb.conversation")

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
UpdateCallback = Callable[[Update], Any]
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
    >>> path = await conv.preview()     # small and fast, on the local engine (else None)

    :meth:`send` routes the message (:func:`route`): commands such as "export", "credits",
    "status" or "upload" run locally; everything else goes to the agent and comes back as
    :class:`Update` s. ``skill`` defaults to the client's; ``session_id`` resumes an existing
    session (and reloads its history). ``heartbeat_notice_after``, ``drop_checks``,
    ``poll_intervals``, ``clock`` and ``sleep`` exist so tests need not wait for real minutes;
    ``data_dir`` overrides the data dir (history and pending renders live there);
    ``renders_dir`` and ``previews_dir`` where exports and previews are written.

    ``front_end`` says who shows the replies, so the agent's "click Export" becomes what works
    there: ``"code"`` (the default: 'say "export" or `await conv.export()`'), ``"studio"`` (its
    Export button), ``"cli"`` (which exports by itself: nothing) or ``"magic"`` (``%nemo export``).
    Exports go to ``renders_dir``, by default ``nemo-exports/`` beside the notebook, under
    readable names (``astronaut-jiggle-bounce.mp4``, then ``-2``, …).

    When a reply stream drops, the turn ends within seconds; whether the edit landed is then
    checked in the background, and that outcome goes to :attr:`on_late_update` when set, else it
    is yielded at the start of the next :meth:`send`.
    """

    #: Called with each late :class:`Update` (the outcome of a check after a dropped stream).
    on_late_update: LateUpdateCallback | None = None
    #: Called with the new timeline as soon as the reply stream says the agent changed it,
    #: before the reply's text has streamed (the ``draft`` update still ends the turn).
    on_edit: EditCallback | None = None

    def __init__(
        self,
        client: AgentClient,
        *,
        skill: str | Skill | None = None,
        session_id: str | None = None,
        language: str = "en",
        front_end: FrontEnd = "code",
        renders_dir: str | Path | None = None,
        data_dir: str | Path | None = None,
        previews_dir: str | Path | None = None,
        heartbeat_notice_after: float = HEARTBEAT_NOTICE_AFTER_S,
        poll_intervals: Sequence[float] = POLL_INTERVALS_S,
        drop_checks: Sequence[float] = DROP_CHECKS_S,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.client = client
        self.skill: Skill = get_skill(skill if skill is not None else client.skill)
        self.language = language
        if front_end not in PHRASES:
            raise ValueError(f"front_end must be one of {', '.join(PHRASES)}, not {front_end!r}.")
        #: Who shows the replies (see the class docstring).
        self.front_end: FrontEnd = front_end
        self._session_id = session_id
        #: Where history (``history/<session>.jsonl``) and pending renders are kept.
        self.data_dir: Path = Path(data_dir) if data_dir is not None else _paths.data_dir()
        #: Where exports are downloaded (``nemo-exports/`` in the working directory by default).
        self.renders_dir: Path = (
            Path(renders_dir).expanduser() if renders_dir is not None else default_export_dir()
        )
        self.heartbeat_notice_after = heartbeat_notice_after
        self.poll_intervals = tuple(poll_intervals)
        self.drop_checks = tuple(drop_checks)
        self._clock = clock
        self._sleep = sleep
        self._draft: Draft | None = None
        self._history = HistoryStore(self.data_dir / "history")
        pending = PendingRenders.in_dir(self.data_dir)
        self._exporter = Exporter(client, pending)
        self._previewer = Previewer(
            client,
            pending,
            Path(previews_dir) if previews_dir is not None else self.data_dir / "previews",
        )
        self.turns: list[HistoryTurn] = self._history.load(session_id) if session_id else []
        self._landing: LandingCheck | None = None  # the check after the last dropped stream
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
    def previews_dir(self) -> Path:
        """Where previews are written (``<previews_dir>/<session>/<fingerprint>.mp4``)."""
        return self._previewer.folder

    @previews_dir.setter
    def previews_dir(self, folder: str | Path) -> None:
        self._previewer.folder = Path(folder)

    @property
    def previews_available(self) -> bool:
        """Whether :meth:`preview` renders anything: the local engine makes previews; the cloud
        is never asked for one (nothing says it accepts the quality)."""
        return renders_previews(self.client)

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
        self._draft = parse_draft(state.draft)
        return self._draft

    async def _refresh_or_explain(self) -> tuple[Draft | None, list[Update]]:
        """:meth:`refresh`, or else the updates telling the user why it failed and what now."""
        try:
            return await self.refresh(), []
        except NemoError as exc:
            return None, [update async for update in self._explain(exc)]

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

    @contextlib.contextmanager
    def _recording(self, prompt: str, action: str) -> Iterator[HistoryTurn]:
        """A new turn, closed and saved to the history when the block ends (however it ends)."""
        turn = HistoryTurn(
            session_id=self._session_id,
            prompt=prompt,
            action=action,
            started_at=_now_iso(),
            skill=self.skill.name,
        )
        started = time.perf_counter()
        try:
            yield turn
        finally:
            turn.close(time.perf_counter() - started, self._session_id, self._draft)
            self.turns.append(turn)
            self._history.append(turn)

    # ---- sending -------------------------------------------------------------------------------
    async def ask(self, text: str, *, echo: bool = False) -> Reply:
        """Send one message and return the whole turn as a :class:`Reply` (no streaming).

        ``echo=True`` also prints the turn as it happens — the reply as it streams (GUI phrases
        already translated), then activity, changes and notices — which suits scripts and plain
        cells.
        """
        reply = Reply(valid_text(text))
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
        text = valid_text(text)  # what is sent is what the turn records (nemo_nb._unicode)
        action: Action = route(text)
        with self._recording(text, action) as turn:
            for update in self._take_late_updates(stop_checking=action == "agent"):
                turn.record(update)
                yield update
            async for update in self._dispatch(action, text, turn):
                turn.record(update)
                yield update

    def _dispatch(self, action: Action, text: str, turn: HistoryTurn) -> AsyncIterator[Update]:
        """The updates of one routed message: a local command's, the export's or the agent's."""
        if action == "export":
            return self._export(turn)
        if action == "credits":
            return _one(credits_update(self.client))
        if action == "state":
            return self._status()
        if action == "upload":
            return self._upload_command(text)
        return self._agent_turn(text, turn)

    async def _agent_turn(self, text: str, turn: HistoryTurn) -> AsyncIterator[Update]:
        """One message to the agent: note the timeline, stream the reply, then say what changed
        (after a dropped stream, once the edit has landed)."""
        started = time.perf_counter()
        try:
            sid = turn.session_id = await self.start()
            before, _ = await self._read_draft()
        except NemoError as exc:
            async for update in self._explain(exc):
                yield update
            return
        turn.draft_before = before.to_json() if before else None
        reader = ReplyReader(
            self.client,
            turn,
            clock=self._clock,
            notice_after=self.heartbeat_notice_after,
            started=started,
            front_end=self.front_end,
            on_edit=self.on_edit,
        )
        try:
            async for update in reader.read(self.client.chat(sid, text)):
                yield update
        except NemoError as exc:
            async for update in self._explain(exc):
                yield update
            return
        if reader.interrupted is not None:
            async for update in self._check_after_drop(reader.interrupted, before):
                yield update
            if self._session_id != sid or self._draft == before:  # replaced, or not landed yet
                return
            after: Draft | None = self._draft
        else:
            after = await self._draft_after_reply(reader.draft)
        lang = prompt_language(text)
        async for update in self._wrap_up(reader.text, before, after, reader.failed, lang):
            yield update

    def _check_after_drop(
        self, drop: StreamInterruptedError, before: Draft | None
    ) -> AsyncIterator[Update]:
        """Never resend: see whether the edit landed, within the turn and then in the background
        (a landed draft is left in :attr:`draft`; its outcome, if late, goes to
        :attr:`on_late_update`)."""
        self._landing = LandingCheck(
            drop,
            before,
            landed=self._landed,
            session_lost=self._session_lost,
            session_id=lambda: self._session_id,
            deliver=self._deliver_late,
            sleep=self._sleep,
            drop_checks=self.drop_checks,
            poll_intervals=self.poll_intervals,
        )
        return self._landing.within_turn()

    async def _draft_after_reply(self, streamed: Draft | None) -> Draft | None:
        """The timeline after a reply: read from the server, else the one the stream carried."""
        after, read_ok = await self._read_draft()
        if not read_ok and streamed is not None:
            after = self._draft = streamed
        return after

    async def _wrap_up(
        self,
        raw_text: str,
        before: Draft | None,
        after: Draft | None,
        stream_error: bool,
        lang: str = "en",
    ) -> AsyncIterator[Update]:
        """The end of an agent turn: the actions the reply offered, or the silent-edit summary
        (in the prompt's language); then the new draft if it changed. (The reply itself was
        streamed, already translated.)"""
        changes = diff(before, after, lang=lang) if after is not None else []
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
                yield state_update(after)
        elif not stream_error or changes:
            summary = "\n".join(changes) if changes else NOTHING_CHANGED
            yield Update("summary", summary, {"changes": changes})
        if after is not None and changes:
            yield Update("draft", after.summary(), {"draft": after, "changes": changes})

    async def _explain(self, exc: NemoError) -> AsyncIterator[Update]:
        """What a failed call means for the user: a lost session is replaced, running out of
        credits says where to get more, anything else is its own sentence."""
        if isinstance(exc, SessionNotFoundError):
            async for update in self._session_lost(exc):
                yield update
        elif isinstance(exc, CreditsError):
            yield credits_error_update(exc)
        else:
            yield error_update(exc)

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

    async def _landed(self, before: Draft | None) -> Draft | None:
        """The timeline if it now differs from ``before`` (the edit landed), else ``None``."""
        after, ok = await self._read_draft()
        return after if ok and after is not None and after != before else None

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
        if stop_checking and self._landing is not None and self._landing.stop():
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
        if self._landing is not None:
            await self._landing.wait()

    # ---- local commands ------------------------------------------------------------------------
    async def upload(self, *paths_or_urls: str | Path) -> Update:
        """Upload files (paths or URLs) to the session; returns an ``upload`` update listing them,
        or an ``error`` update saying what is wrong (type, size, missing file). A lost session is
        replaced once."""
        with self._recording(f"upload {' '.join(str(p) for p in paths_or_urls)}", "upload") as turn:
            try:
                sid = await self.start()
                try:
                    files = await self.client.upload(sid, *paths_or_urls)
                except SessionNotFoundError:
                    sid = await self._new_session()
                    files = await self.client.upload(sid, *paths_or_urls)
                update = Update("upload", describe_uploads(files), {"files": list(files)})
            except NemoError as exc:
                update = error_update(exc)
            turn.session_id = self._session_id
            turn.record(update)
        return update

    async def _upload_command(self, text: str) -> AsyncIterator[Update]:
        """ "upload" (or a message that is a file path or URL): upload what it names, else say how."""
        found, named = files_named(text)
        if found:
            yield await self.upload(*found)
        else:
            yield upload_help(named, self.client.accepted_types, self.skill.max_file_mb)

    async def _status(self) -> AsyncIterator[Update]:
        """ "status": read the timeline and summarise it."""
        draft, failure = await self._refresh_or_explain()
        for update in failure or [state_update(draft)]:
            yield update

    # ---- export --------------------------------------------------------------------------------
    async def export(
        self,
        on_progress: ProgressCallback | None = None,
        *,
        dest: str | Path | None = None,
        on_update: UpdateCallback | None = None,
    ) -> Path:
        """Render the current timeline to MP4 and download it; returns the file's path.

        ``on_progress(fraction)`` is called as the render advances (0..1); ``on_update(update)``
        with every :class:`Update` of the export (notices, progress, errors, the result), as
        :meth:`send` would yield them for "export". ``dest`` is a directory or file (default
        :attr:`renders_dir`); in a directory the file is named after the photo and its effects
        (``astronaut-jiggle-bounce.mp4``, then ``-2``, …). Raises :class:`NothingToExportError` when the timeline is empty,
        or the client's error (e.g. ``RenderError``) otherwise.
        """
        path: Path | None = None
        failure: BaseException | None = None
        with self._recording("export()", "export") as turn:
            async for update in self._export(turn, dest=dest, on_progress=on_progress):
                turn.record(update)
                if on_update is not None:
                    on_update(update)
                if update.kind == "export":
                    path = update.data["path"]
                elif update.kind == "error":
                    failure = update.data.get("exception") or NothingToExportError(update.text)
        if path is None:
            raise failure or NothingToExportError()
        return path

    async def _export(
        self,
        turn: HistoryTurn,
        *,
        dest: str | Path | None = None,
        quality: str = "high",
        on_progress: ProgressCallback | None = None,
    ) -> AsyncIterator[Update]:
        """Check there is something to render, then let the exporter render ``quality`` (a
        preview is the same walk at another quality) and download it to ``dest``."""
        draft, failure = await self._refresh_or_explain()
        if failure:
            for update in failure:
                yield update
            return
        if draft is None or not draft.exportable:
            yield error_update(NothingToExportError(), NOTHING_TO_EXPORT)
            return
        assert self._session_id is not None  # refresh() returned a draft
        turn.draft_before = turn.draft_after = draft.to_json()
        target = Path(dest).expanduser() if dest is not None else self.renders_dir
        if not target.suffix:  # a folder: the file gets a readable name no export has taken
            target = unique_path(target, export_stem(draft))
        async for update in self._exporter.render(
            self._session_id,
            draft,
            target,
            export_time=self.skill.export_time,
            quality=quality,
            on_progress=on_progress,
        ):
            yield update

    @property
    def exporting(self) -> bool:
        """Whether an export is following its render job now (it can be cancelled)."""
        return self._exporter.rendering

    async def cancel_export(self) -> bool:
        """Cancel the running export's render job on the server; the export then ends with
        "Export cancelled: …" (:class:`RenderError` from :meth:`export`). ``False`` when no
        export is rendering."""
        return await self._exporter.cancel()

    # ---- preview -------------------------------------------------------------------------------
    async def preview(self, on_progress: ProgressCallback | None = None) -> Path | None:
        """Render the current timeline small and fast (the local engine's preview: 360 px on the
        short side, 30 fps, music included) and return the MP4's path in :attr:`previews_dir`.

        The preview is the export scaled down, in about a second. One file per timeline: an
        unchanged timeline is never rendered twice, and a preview asked for while the same one
        renders waits for it. A newer preview of the session replaces an older one still
        rendering, whose call then returns ``None``. Returns ``None`` at once on the cloud
        (:attr:`previews_available`). Raises :class:`NothingToExportError` when the timeline is
        empty, or the client's error. Previews are not exports: they stay out of the history and
        of :meth:`resume_pending`.
        """
        if not self.previews_available:
            return None
        draft = await self.refresh()
        if draft is None or not draft.exportable:
            raise NothingToExportError()
        assert self._session_id is not None  # refresh() returned a draft
        return await self._previewer.preview(self._session_id, draft, on_progress)

    async def resume_pending(self, on_progress: ProgressCallback | None = None) -> list[Path]:
        """Finish exports left running by an earlier kernel (this session's, or all on this
        server when no session is set): wait for each, download it, return the paths."""
        return await self._exporter.resume(self._session_id, on_progress)


async def _one(update: Awaitable[Update]) -> AsyncIterator[Update]:
    yield await update
