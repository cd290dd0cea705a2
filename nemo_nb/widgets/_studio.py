"""``Studio``: one notebook panel for upload, prompt, streamed reply, previews, timeline, export
and history.

Stock ipywidgets 8 only. Every action (button or method) runs as a task on the kernel's running
event loop, so other cells run meanwhile; widgets change only by trait assignment (never by
capturing output into an ``Output`` widget from a task, which JupyterLab shows late: ipywidgets
issue 4012). Buttons and public methods run the same code.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import time
from collections.abc import Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

import ipywidgets as widgets  # type: ignore[import-untyped]

from nemo_nb._html import escape, file_href
from nemo_nb._mediatype import is_url
from nemo_nb._theme import MUTED, TEXT
from nemo_nb.api import NemoError
from nemo_nb.conversation import (
    DEFAULT_EXPORT_DIR,
    Conversation,
    NothingToExportError,
    Reply,
    Update,
    default_export_dir,
    route,
)
from nemo_nb.skills import SKILLS, Skill, get_skill
from nemo_nb.widgets._export_tab import ExportTab
from nemo_nb.widgets._history_tab import history_table_html
from nemo_nb.widgets._log import ChatLog
from nemo_nb.widgets._media import MediaBar, save_picked
from nemo_nb.widgets._preview import PreviewCard, probe_clip
from nemo_nb.widgets._snapshot import snapshot_html
from nemo_nb.widgets._style import PANEL_CSS
from nemo_nb.widgets._timeline_tab import TimelineTab

if TYPE_CHECKING:
    from nemo_nb.api import NemoClient
    from nemo_nb.conversation import AgentClient

__all__ = ["Studio"]

log = logging.getLogger("nemo_nb.widgets")

STOPPED = (
    "Stopped. The agent may still finish this edit on the server; the timeline shows what the "
    "server has now."
)
_TAB_TIMELINE, _TAB_EXPORT, _TAB_HISTORY = 0, 1, 2
#: What the header says about credits on this machine's engine (it charges none).
NO_CREDITS = "Offline engine: no credits needed"
#: How long an Enter waits for the text it commits before sending the text already known.
_SUBMIT_GRACE_S = 0.3
#: Height of the inline preview in the Export tab (its width follows the video's aspect).
_PREVIEW_HEIGHT = 320
#: Where the log's previews are written, beside the notebook: Jupyter serves files from there.
#: (Not a hidden folder: Jupyter does not serve those.)
PREVIEWS_FOLDER = Path(DEFAULT_EXPORT_DIR) / "previews"
NO_PREVIEWS = (
    "Previews are made by the local engine only; on the cloud, press Export to see the video."
)


def _sentence(exc: BaseException, doing: str) -> str:
    """One sentence for an exception: a NemoError's own, else what failed and what to do."""
    if isinstance(exc, NemoError):
        return str(exc)
    detail = str(exc).strip().rstrip(".") or type(exc).__name__
    return f"Something went wrong while {doing}: {detail}. Try again; if it keeps happening, restart the kernel."


def backend_label(client: Any) -> str:
    """Which backend the panel talks to, in words."""
    base = str(getattr(client, "base_url", "") or "")
    host = urlparse(base).hostname or ""
    if host in ("127.0.0.1", "localhost", "::1"):
        return "Local engine (offline)"
    if "nemovideo" in host:
        who = "anonymous" if getattr(client, "is_anonymous", False) else "with your token"
        return f"NemoVideo cloud ({who})"
    return f"Server {urlparse(base).netloc}"


class Studio:
    """The nemo-nb panel: evaluate ``nemo_nb.Studio()`` as the last line of a cell.

    It connects on first use through :func:`nemo_nb.connect` (the embedded engine by default, the
    cloud when ``NEMO_TOKEN`` is set), unless given a ``client`` or a ``conversation``. The same
    actions as the buttons are methods:

    >>> studio = nemo_nb.Studio()
    >>> studio                                   # shows the panel
    >>> await studio.upload("portrait.jpg")
    >>> reply = await studio.send("make this photo jiggle")   # its preview plays in the log
    >>> path = await studio.export()
    >>> studio.auto_preview = False              # no preview after each change (the checkbox)
    >>> studio.stop()                            # the Stop button: ends the turn or the render
    >>> print(studio.log_text())

    Exports go to ``export_dir``, by default ``nemo-exports/`` beside the notebook, where the
    notebook server serves them: the Export tab plays the file and links it for download.
    """

    def __init__(
        self,
        client: NemoClient | AgentClient | None = None,
        *,
        skill: str | Skill | None = None,
        conversation: Conversation | None = None,
        export_dir: str | Path | None = None,
    ) -> None:
        #: Where exports are saved (``nemo-exports/`` in the working directory by default).
        self.export_dir: Path = (
            Path(export_dir).expanduser() if export_dir is not None else default_export_dir()
        )
        self._client: NemoClient | AgentClient | None = (
            conversation.client if conversation is not None else client
        )
        if conversation is not None:
            skill = conversation.skill
        self._skill: Skill = get_skill(
            skill if skill is not None else getattr(self._client, "skill", None)
        )
        self._conv: Conversation | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._turn_task: asyncio.Task[Any] | None = None
        self._export_task: asyncio.Task[Any] | None = None
        self._locks: dict[str, asyncio.Lock] = {}
        self._filmstrip: bytes | None = None  # the last export's frames (PNG), for the snapshot
        self._display: Any = None
        self._submitted = False  # Enter pressed, its text not sent yet
        self._chip_buttons: list[widgets.Button] = []
        self._previews: list[PreviewCard] = []  # this session's, oldest first
        self._previewing: Any = None  # the timeline this turn's preview was started for
        self._told_no_previews = False

        #: The panel itself (a VBox); the Studio displays as this widget.
        self.panel = widgets.VBox(
            [
                self._build_header(),
                self._build_chips(),
                self._build_media(),
                widgets.HBox(
                    [self._build_chat(), self._build_tabs()],
                    layout=widgets.Layout(flex_flow="row wrap", grid_gap="10px"),
                ),
                # While the panel runs, its static snapshot (the next output) stays out of sight.
                widgets.HTML(PANEL_CSS),
            ],
            layout=widgets.Layout(width="100%", grid_gap="6px"),
        )
        self.panel.add_class("nemo-nb-studio")
        self._show_chips()
        self._wire()

        if conversation is not None:
            self._attach(conversation)
        elif client is not None:
            self._attach(self._new_conversation(client))

    # ---- building the panel --------------------------------------------------------------------
    def _build_header(self) -> widgets.HBox:
        """Title, where the panel talks, the balance, the skill picker, the automatic previews'
        switch and "New session"."""
        self._backend = widgets.HTML(self._backend_text("connects on first use"))
        self._credits = widgets.HTML("")
        self._skills = widgets.Dropdown(
            options=[(s.title, s.name) for s in SKILLS.values()],
            value=self._skill.name,
            description="Skill",
            layout=widgets.Layout(width="260px"),
            style={"description_width": "40px"},
        )
        self._new = widgets.Button(description="New session", icon="plus",
                                   layout=widgets.Layout(width="auto"))  # fmt: skip
        self._auto = widgets.Checkbox(
            value=True, description="Auto preview", indent=False,
            tooltip="After each change, a small looping preview plays in the log (local engine)",
            layout=widgets.Layout(width="auto"),
        )  # fmt: skip
        self._auto.add_class("nemo-nb-auto-preview")
        title = widgets.HTML(f"<b style='font-size:15px;color:{TEXT}'>nemo-nb Studio</b>")
        return widgets.HBox(
            [title, self._backend, self._credits, self._skills, self._auto, self._new],
            layout=widgets.Layout(flex_flow="row wrap", align_items="center", grid_gap="10px",
                                  justify_content="space-between"),
        )  # fmt: skip

    def _build_chips(self) -> widgets.HBox:
        """The row of the skill's suggested prompts (filled by :meth:`_show_chips`)."""
        self._chips = widgets.HBox(layout=widgets.Layout(flex_flow="row wrap"))
        self._chips.add_class("nemo-nb-chips")
        return self._chips

    def _build_media(self) -> widgets.Box:
        """The upload button, the URL box and the thumbnails of what was uploaded."""
        self._media = MediaBar()
        return self._media.box

    def _build_chat(self) -> widgets.VBox:
        """The log, the prompt with Send and Stop, and the status line."""
        self._log = ChatLog()
        self._prompt = widgets.Text(
            placeholder="Describe the motion you want, then press Enter",
            continuous_update=False,  # the text arrives when committed (Enter, Send, blur)
            layout=widgets.Layout(flex="1 1 auto", width="auto"),
        )
        self._prompt.add_class("nemo-nb-prompt")
        self._send = widgets.Button(description="Send", button_style="primary",
                                    layout=widgets.Layout(width="80px"))  # fmt: skip
        self._stop = widgets.Button(description="Stop", button_style="danger", disabled=True,
                                    layout=widgets.Layout(width="70px"))  # fmt: skip
        self._status = widgets.HTML(self._status_text("Ready."))
        self._status.add_class("nemo-nb-status")
        return widgets.VBox(
            [self._log.box, widgets.HBox([self._prompt, self._send, self._stop]), self._status],
            layout=widgets.Layout(flex="1 1 440px", min_width="320px"),
        )

    def _build_tabs(self) -> widgets.Tab:
        """Timeline, Export and History."""
        self._timeline = TimelineTab()
        self._export_tab = ExportTab()
        self._history = widgets.HTML(history_table_html(None))
        self._history.add_class("nemo-nb-history-tab")
        self._tabs = widgets.Tab(
            [self._timeline.box, self._export_tab.box,
             widgets.VBox([self._history], layout=widgets.Layout(overflow="auto"))],
            layout=widgets.Layout(flex="1 1 420px", min_width="320px"),
        )  # fmt: skip
        self._tabs.titles = ("Timeline", "Export", "History")
        return self._tabs

    def _wire(self) -> None:
        """Every control starts the same coroutine its method runs."""
        self._send.on_click(lambda _b: self._on_send_click())
        self._prompt.on_msg(self._on_prompt_msg)
        self._prompt.observe(self._on_prompt_value, "value")
        self._stop.on_click(lambda _b: self.stop())
        self._new.on_click(lambda _b: self._spawn(self.new_session(), "starting a new session"))
        self._skills.observe(self._on_skill, "value")
        self._media.upload.observe(self._on_pick, "value")
        self._media.add_url.on_click(lambda _b: self._add_url())
        self._media.url.on_msg(lambda _w, content, _b: self._add_url() if content.get("event") == "submit" else None)  # fmt: skip
        self._export_tab.button.on_click(lambda _b: self._start_export())
        self._export_tab.cancel.on_click(lambda _b: self.stop())

    # ---- public surface ------------------------------------------------------------------------
    def __repr__(self) -> str:
        where = backend_label(self._client) if self._client is not None else "not connected"
        turns = len(self._conv.turns) if self._conv is not None else 0
        return f"Studio({where}, skill={self._skill.name!r}, turns={turns})"

    @property
    def conversation(self) -> Conversation | None:
        """The conversation behind the panel (``None`` until the first action connects)."""
        return self._conv

    def log_text(self) -> str:
        """The log as plain text, one entry per line ("You: …", "Agent: …", "▸ …", "✗ …")."""
        return self._log.text()

    async def send(self, text: str) -> Reply:
        """Send ``text`` as if typed and sent; returns the whole turn once it is over."""
        return await self._start_turn(text)

    async def upload(self, *paths_or_urls: str | Path) -> Update:
        """Upload files (paths or URLs) to the session, as the Upload button does."""
        async with self._lock("turn"):
            conv = await self._ready()
            self._set_status("Uploading…")
            try:
                update = await conv.upload(*paths_or_urls)
            finally:
                self._set_status("Ready.")
            await self._apply(
                update, local=[Path(p) if not is_url(p) else None for p in paths_or_urls]
            )
            self._after_turn()
            return update

    @property
    def auto_preview(self) -> bool:
        """Whether a preview follows every turn that changed the timeline (the header's "Auto
        preview" checkbox; on by default, on the local engine only)."""
        return bool(self._auto.value)

    @auto_preview.setter
    def auto_preview(self, on: bool) -> None:
        self._auto.value = bool(on)

    async def preview(self) -> Path | None:
        """Show a preview of the timeline in the log, as after a turn that changed it; returns its
        path, or ``None`` (on the cloud, with nothing on the timeline, or replaced by a newer
        preview before it was done: the log says which)."""
        return await self._preview()

    async def export(self) -> Path | None:
        """Render the timeline to MP4 (progress in the Export tab); the file's path, or ``None``
        when it could not be made (the log says why)."""
        return (await self._export(Reply("export"))).path

    def stop(self) -> bool:
        """The Stop button (and the Export tab's Cancel): cancel the render of a running export
        on its server (the job ends as cancelled), else end the running turn. ``True`` if there
        was something to stop."""
        if self._export_tab.rendering and self._conv is not None:
            self._export_tab.cancelling()
            self._log.add("notice", "Cancelling the export…")
            self._spawn(self.cancel_export(), "cancelling the export")
            return True
        task = self._turn_task
        if task is None or task.done():
            return False
        task.cancel()
        return True

    async def cancel_export(self) -> bool:
        """Cancel the running export's render on its server; ``False`` if none is rendering.
        The export then ends saying so, and the job ends as cancelled, not failed."""
        conv = self._conv
        if conv is None:
            return False
        if await conv.cancel_export():
            return True
        task = self._export_task  # submitted but not rendering yet: stop waiting for it
        if task is not None and not task.done():
            task.cancel()
            return True
        return False

    async def new_session(self) -> None:
        """Start a new session (project): empty timeline, no media, a fresh history."""
        async with self._lock("turn"):
            conv = await self._ready()
            self._attach(self._new_conversation(conv.client))
            self._log.retire_actions()  # the old session's Export, Credits… would act on the new
            self._media.clear()
            self._export_tab.clear()
            self._previews = []
            self._show_timeline(None)
            self._filmstrip = None
            self._log.add("info", "— New session: upload a photo to start. —")
            self._after_turn()

    # ---- connecting ----------------------------------------------------------------------------
    def _lock(self, name: str) -> asyncio.Lock:
        return self._locks.setdefault(name, asyncio.Lock())

    async def _ready(self) -> Conversation:
        async with self._lock("connect"):
            if self._conv is None:
                shown = self._status.value
                self._set_status("Connecting…")
                try:
                    if self._client is None:
                        from nemo_nb._connect import connect

                        self._client = await connect(skill=self._skill)
                    self._attach(self._new_conversation(self._client))
                finally:
                    self._status.value = shown
            assert self._conv is not None
            return self._conv

    def _new_conversation(self, client: Any) -> Conversation:
        return Conversation(
            client, skill=self._skill, front_end="studio", renders_dir=self.export_dir
        )

    def _attach(self, conv: Conversation) -> None:
        conv.front_end = "studio"  # the agent's "click Export" points at this panel's button
        self._conv = conv
        self._auto.disabled = not conv.previews_available  # (the log says why, once)
        if conv.previews_available and file_href(conv.previews_dir) is None:
            # where the notebook's server can serve them to the log's <video>
            conv.previews_dir = Path.cwd() / PREVIEWS_FOLDER
        # A background check (after a dropped stream) reports here when it is done.
        conv.on_late_update = self._late_update
        # The edit is in while the reply still streams: its preview can start now.
        conv.on_edit = self._auto_preview
        self._backend.value = self._backend_text(backend_label(conv.client))
        self._refresh_history()
        self._spawn(self._refresh_credits(), "reading your credits")

    async def _refresh_credits(self) -> None:
        if self._conv is None:
            return
        if backend_label(self._conv.client) == "Local engine (offline)":
            self._credits.value = f"<span style='color:{MUTED}'>{escape(NO_CREDITS)}</span>"
            return
        try:
            credits = await self._conv.client.credits()
        except Exception as exc:  # a balance is nice to show, never worth an error line
            log.debug("credits: %s", exc)
            return
        self._credits.value = self._credits_text(credits.available)

    @staticmethod
    def _credits_text(available: object) -> str:
        return f"<span style='color:{MUTED}'>Credits: <b>{escape(available)}</b></span>"

    # ---- turns ---------------------------------------------------------------------------------
    def _start_turn(self, text: str) -> asyncio.Task[Reply]:
        self._busy(True)  # at once: a second click cannot queue a second message
        task = self._spawn(self._run(text), "sending your message")
        self._turn_task = task
        return task

    async def _run(self, text: str) -> Reply:
        """One message through the conversation, its updates applied to the panel as they come
        (typed "export" runs the export, as the button does)."""
        reply = Reply(text)
        async with self._lock("turn"):
            self._busy(True)
            self._log.add("user", text)
            try:
                if route(text) == "export":
                    return await self._export(reply)
                await self._converse(reply)
            finally:
                self._busy(False)
        return reply

    async def _converse(self, reply: Reply) -> None:
        """Send the reply's prompt; on Stop, say so and show what the server has now."""
        self._set_status("Thinking…")
        started = time.monotonic()
        conv: Conversation | None = None
        self._previewing = None
        try:
            conv = await self._ready()
            async for update in conv.send(reply.prompt):
                reply.updates.append(update)
                await self._apply(update, started=started)
        except asyncio.CancelledError:
            self._log.end_turn()
            self._log.add("notice", STOPPED)
            if conv is not None:
                with contextlib.suppress(Exception):
                    self._show_timeline(await conv.refresh())
        except Exception as exc:
            self._log.add("error", _sentence(exc, "sending your message"))
        finally:
            self._log.end_turn()
            self._set_status("Ready.")
            self._after_turn()

    async def _export(self, reply: Reply) -> Reply:
        """The export, however asked for (the Export button, an offered action, typed "export",
        :meth:`export`): :meth:`Conversation.export`, its steps shown in the Export tab."""

        cancelled = False

        def show(update: Update) -> None:
            nonlocal cancelled
            reply.updates.append(update)
            if update.kind == "error" and update.data.get("cancelled"):
                cancelled = True  # asked for: not an error
                self._log.add("notice", update.text)
            elif update.kind != "export":  # the video is shown below, once it is on disk
                self._show(update)

        async with self._lock("export"):
            self._export_task = asyncio.current_task()
            self._export_tab.started()
            self._stop.disabled = False  # Stop cancels the render
            self._tabs.selected_index = _TAB_EXPORT
            self._set_status("Rendering…")
            started = time.monotonic()
            try:
                conv = await self._ready()
                path = await conv.export(on_update=show, dest=self.export_dir)
                await self._show_export(path, started, conv.draft)
            except asyncio.CancelledError:
                self._log.end_turn()
                self._log.add("notice", "Stopped: the export and its render job were cancelled.")
                self._export_tab.finished(None, "Cancelled.", cancelled=True)
            except Exception as exc:
                if not (isinstance(exc, NemoError) and reply.errors):  # else the log has it
                    self._log.add("error", _sentence(exc, "exporting"))
            finally:
                self._export_task = None
                self._log.end_turn()
                if reply.path is None and self._export_tab.rendering:
                    errors = reply.errors
                    text = errors[-1].text if errors else "Stopped."
                    self._export_tab.finished(None, text, cancelled=cancelled)
                self._stop.disabled = not self._send.disabled  # back to what the turn needs
                self._set_status("Ready.")
                self._after_turn()
        return reply

    async def _apply(
        self,
        update: Update,
        *,
        started: float | None = None,
        local: list[Path | None] | None = None,
    ) -> None:
        """Show one update where it belongs, the video and thumbnails included."""
        if update.kind == "export":
            await self._show_export(Path(update.data["path"]), started)
        elif update.kind == "upload":
            self._log.add("info", update.text)
            files = update.data.get("files") or []
            paths = local if local is not None else [None] * len(files)
            names = [getattr(f, "filename", "?") for f in files]
            await asyncio.to_thread(self._media.add_thumbnails, names, paths)
        else:
            self._show(update)

    def _show(self, update: Update) -> None:
        """Show one update that needs no file work: text, activity, notices, errors, progress,
        the timeline, the balance."""
        kind, text, data = update.kind, update.text, update.data
        if kind == "text":
            self._log.stream(text)
        elif kind == "activity":
            self._log.activity(text)
            self._set_status(text)
        elif kind == "notice":
            self._log.add("notice", text)
            if self._export_tab.rendering:
                self._export_tab.say(text)
        elif kind == "actions":
            self._log.actions(data.get("labels", []), data.get("actions", []), self._run_action)
        elif kind == "summary":
            self._log.add("summary", text)
        elif kind in ("draft", "state"):
            if kind == "state":
                self._log.add("info", text)
            self._show_timeline(data.get("draft"))
            if kind == "draft":  # a turn that changed the timeline
                self._auto_preview(data.get("draft"))
        elif kind == "error":
            self._log.add("error", text)
        elif kind == "progress":
            self._export_tab.step(float(data.get("fraction", 0.0)), text)
            self._set_status(text)
        elif kind == "credits":
            self._log.add("info", text)
            credits = data.get("credits")
            if credits is not None and backend_label(self._client) != "Local engine (offline)":
                self._credits.value = self._credits_text(credits.available)

    async def _show_export(self, path: Path, started: float | None, draft: Any = None) -> None:
        from nemo_nb.display import show_video

        self._export_tab.say("Making the filmstrip…")
        width = _preview_width(self._timeline.draft)
        shown = await asyncio.to_thread(show_video, path, width=width)
        # The tab plays the file itself; the small preview stands in only where the notebook
        # server does not serve it, and the filmstrip is for the static snapshot.
        preview = dataclasses.replace(shown, poster=None)._repr_html_()
        self._filmstrip = shown.poster
        took = f" in {time.monotonic() - started:.0f} s" if started is not None else ""
        size = path.stat().st_size / 1e6
        self._export_tab.finished(
            path,
            f"Ready{took}: {path.name} ({size:.1f} MB, full quality).",
            draft=draft if draft is not None else self._timeline.draft,
            fallback=preview,
        )
        self._log.add("info", f"Your video is ready: {_shown_path(path)} (in the Export tab).")
        self._tabs.selected_index = _TAB_EXPORT

    def _auto_preview(self, draft: Any) -> None:
        """Preview a timeline the turn changed (when on, once per timeline a turn)."""
        exportable = getattr(draft, "exportable", False)
        if self.auto_preview and exportable and draft != self._previewing:
            self._previewing = draft
            self._spawn(self._preview(), "making the preview")

    async def _preview(self) -> Path | None:
        """A preview card in the log, filled once the engine has made the preview; the ones
        before it then fold to a line. On the cloud, says once that there are none."""
        conv = await self._ready()
        if not conv.previews_available:
            if not self._told_no_previews:
                self._told_no_previews = True
                self._auto.disabled = True
                self._log.add("info", NO_PREVIEWS)
            return None
        card = PreviewCard(self._start_export)
        self._log.under_reply("preview", card.box, lambda: card.text)
        self._previews.append(card)
        try:
            path = await conv.preview()
        except NothingToExportError:
            card.failed("the timeline is empty; upload a photo and describe the motion first.")
            return None
        except NemoError as exc:
            card.failed(str(exc))
            return None
        if path is None:  # a newer preview replaced it before it was done
            card.replaced()
            return None
        clip = await asyncio.to_thread(probe_clip, path)
        if card in self._previews:  # (not a session started meanwhile)
            at = self._previews.index(card)
            for older in self._previews[:at]:
                older.replaced()
            self._previews = self._previews[at:]
            card.show(clip)
        return path

    def _start_export(self) -> None:
        if self._export_tab.button.disabled:
            return  # one export at a time
        self._export_tab.started()
        self._stop.disabled = False  # at once: Stop cancels the render
        self._spawn(self.export(), "exporting")

    def _run_action(self, action: str) -> None:
        """A button the agent's reply offered."""
        if action == "export":
            self._start_export()
        elif action == "show_timeline":
            self._tabs.selected_index = _TAB_TIMELINE
            if self._conv is not None:
                self._spawn(self._show_server_timeline(), "reading the timeline")
        elif action == "credits":
            self._start_turn("credits")
        elif action == "upload":
            self._log.add(
                "info", "Use the Upload button above, or paste a photo or video URL next to it."
            )

    async def _show_server_timeline(self) -> None:
        assert self._conv is not None
        self._show_timeline(await self._conv.refresh())

    def _show_timeline(self, draft: Any) -> None:
        """The Timeline tab shows ``draft``; an export that no longer matches it is marked."""
        self._timeline.show(draft)
        self._export_tab.timeline_changed(self._timeline.draft)

    def _late_update(self, update: Update) -> None:
        """The outcome of a background check that finished after its turn ended."""
        self._spawn(self._apply_late(update), "showing a late update")

    async def _apply_late(self, update: Update) -> None:
        await self._apply(update)
        self._after_turn()

    # ---- controls ------------------------------------------------------------------------------
    def _send_prompt(self) -> None:
        text = self._prompt.value.strip()
        if not text or self._send.disabled:
            return
        self._submitted = False
        self._prompt.value = ""
        self._start_turn(text)

    # The prompt syncs its text when it is committed (continuous_update=False): the browser's
    # change event follows the Enter keypress, so the "submit" message arrives just before the
    # text it commits. The text's arrival sends it; if it was already here (no change), the
    # grace period does.
    def _on_prompt_msg(self, _widget: Any, content: dict[str, Any], _buffers: Any) -> None:
        if content.get("event") == "submit":  # Enter in the prompt box
            self._submitted = True
            self._spawn(self._send_unchanged_prompt(), "sending your message")

    def _on_send_click(self) -> None:
        if self._prompt.value.strip():
            self._send_prompt()
        else:  # the text is still on its way (the click blurred the box, which commits it)
            self._submitted = True

    def _on_prompt_value(self, change: dict[str, Any]) -> None:
        if self._submitted and str(change["new"]).strip():
            self._send_prompt()

    async def _send_unchanged_prompt(self) -> None:
        await asyncio.sleep(_SUBMIT_GRACE_S)
        if self._submitted and self._prompt.value.strip():
            self._send_prompt()

    def _add_url(self) -> None:
        url = self._media.url.value.strip()
        if not url:
            return
        self._media.url.value = ""
        self._spawn(self.upload(url), "adding the URL")

    def _on_pick(self, change: dict[str, Any]) -> None:
        picked = list(change["new"] or ())
        if picked:
            self._spawn(self._upload_picked(picked), "uploading your files")

    async def _upload_picked(self, picked: list[dict[str, Any]]) -> None:
        conv = await self._ready()
        paths = await asyncio.to_thread(save_picked, picked, conv.data_dir / "uploads")
        self._media.upload.value = ()  # cleared: the same file can be picked again
        await self.upload(*paths)

    def _on_skill(self, change: dict[str, Any]) -> None:
        self._skill = get_skill(change["new"])
        if self._conv is not None:
            self._conv.skill = self._skill
            self._conv.client.skill = self._skill
        self._show_chips()

    def _show_chips(self) -> None:
        buttons = []
        for prompt in self._skill.suggested_prompts:
            b = widgets.Button(description=prompt, tooltip=prompt,
                               layout=widgets.Layout(width="auto", max_width="100%"))  # fmt: skip
            b.add_class("nemo-nb-chip")
            b.on_click(
                lambda _b, p=prompt: self._start_turn(p) if not self._send.disabled else None
            )
            buttons.append(b)
        self._chip_buttons = buttons
        self._chips.children = (widgets.HTML(f"<span style='color:{MUTED}'>Try:</span>"), *buttons)

    def _busy(self, busy: bool) -> None:
        self._send.disabled = busy
        self._stop.disabled = not busy and not self._export_tab.rendering
        for b in self._chip_buttons:
            b.disabled = busy

    def _set_status(self, text: str) -> None:
        self._status.value = self._status_text(text)

    @staticmethod
    def _status_text(text: str) -> str:
        return f"<span style='color:{MUTED};font-size:12px'>{escape(text)}</span>"

    @staticmethod
    def _backend_text(text: str) -> str:
        return f"<span style='color:{MUTED}'>{escape(text)}</span>"

    # ---- tasks ---------------------------------------------------------------------------------
    def _spawn(self, coro: Coroutine[Any, Any, Any], doing: str) -> asyncio.Task[Any]:
        """Run ``coro`` as a task on the running loop; its exception, if any, lands in the log."""
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(lambda t: self._task_done(t, doing))
        return task

    def _task_done(self, task: asyncio.Task[Any], doing: str) -> None:
        self._tasks.discard(task)
        if task.cancelled():
            return
        exc = task.exception()
        if exc is not None:
            log.debug("task failed while %s", doing, exc_info=exc)
            self._log.add("error", _sentence(exc, doing))
            self._set_status("Ready.")

    def _after_turn(self) -> None:
        self._refresh_history()
        self._update_snapshot()
        if self._conv is not None and self._tasks is not None:
            self._spawn(self._refresh_credits(), "reading your credits")

    def _refresh_history(self) -> None:
        conv = self._conv
        frame = conv.history_frame() if conv is not None and conv.turns else None
        self._history.value = history_table_html(frame)

    # ---- static snapshot -----------------------------------------------------------------------
    def _snapshot(self) -> str:
        exports = self._export_tab.exports
        return snapshot_html(
            backend=backend_label(self._client) if self._client is not None else "not connected",
            last_reply=self._log.last("agent"),
            draft=self._timeline.draft,
            filmstrip=self._filmstrip,
            export_name=exports[-1].name if exports else None,
        )

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any] | None:
        bundle = self.panel._repr_mimebundle_(**kwargs)
        if bundle is not None:
            bundle["text/plain"] = "nemo-nb Studio (run the cell to use the panel)"
        return bundle

    def _ipython_display_(self) -> None:
        """Two outputs: the live panel, then the static snapshot (hidden while the panel runs,
        kept up to date after every turn so a saved notebook shows it where widgets don't run).
        Updating a separate output never re-renders the panel, which would lose the typing focus."""
        from IPython.display import display

        display(self._repr_mimebundle_(), raw=True)
        self._display = display({"text/html": self._snapshot()}, raw=True, display_id=True)
        if self._conv is None:  # connect now, so the header says where it talks before any click
            with contextlib.suppress(RuntimeError):  # no running loop: connect on first use
                asyncio.get_running_loop()
                self._spawn(self._ready(), "connecting")

    def _update_snapshot(self) -> None:
        if self._display is not None:
            with contextlib.suppress(Exception):
                self._display.update({"text/html": self._snapshot()}, raw=True)


def _preview_width(draft: Any) -> int:
    """A preview about :data:`_PREVIEW_HEIGHT` pixels tall, at most 360 wide."""
    size = getattr(draft, "size", None)
    if not size or not size[1]:
        return 240
    return max(120, min(360, round(_PREVIEW_HEIGHT * size[0] / size[1] / 2) * 2))


def _shown_path(path: Path) -> str:
    """``path`` relative to the working directory (the notebook's folder) when inside it."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except (ValueError, OSError):
        return str(path)
