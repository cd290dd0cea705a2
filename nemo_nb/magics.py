"""IPython magics, loaded with ``%load_ext nemo_nb`` (in the spirit of Jupyter AI's ``%%ai``).

``%%nemo`` sends the cell's body as a prompt in the notebook's current conversation (made on first
use), streams the agent's reply into the cell's output, then shows the timeline summary and, when
the prompt changed the timeline on the local engine, its preview (small and looping; ``%nemo
export`` renders it at full quality). Line commands::

    %nemo upload PATH...     upload photos (or music, video) to the conversation
    %nemo export             render the timeline and show the video
    %nemo status             the timeline summary
    %nemo credits            the credit balance
    %nemo new                start a new conversation (a new session)
    %nemo skill [NAME]       show the skill in use, or switch to NAME

Magics are synchronous while the kernel's event loop is running, so every coroutine goes through
:func:`nemo_nb.sync._run`, the one place that runs coroutines from sync code (on a private loop
thread). The client and conversation live on that loop; the output is written from the cell's own
thread, so it lands in the cell.
"""

from __future__ import annotations

import shlex
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_cell_magic, magics_class
from IPython.display import display

from nemo_nb._mediatype import is_url
from nemo_nb.sync import _run

__all__ = ["NemoMagics", "load_ipython_extension"]

#: At most ~20 redraws a second of the streaming reply.
_REDRAW_INTERVAL_S = 0.05
_PREFIX = {"activity": "▸ ", "error": "✗ ", "summary": "Changed: "}
_COMMANDS = ("upload", "export", "status", "credits", "new", "skill")
#: Width of the preview shown after a prompt, px.
PREVIEW_WIDTH = 240
NO_PREVIEWS = "Previews are made by the local engine only; %nemo export renders the video."
USAGE = (
    "Usage: %%nemo (cell body = your prompt), or %nemo upload PATH... | export | status | "
    "credits | new | skill [NAME]"
)


class _Live:
    """A display that can be rewritten in place (the streamed reply, the render progress)."""

    def __init__(self) -> None:
        self._handle: Any = None
        self._shown = ""
        self._last = 0.0

    def show(self, text: str, *, force: bool = False) -> None:
        now = time.monotonic()
        if text == self._shown or (not force and now - self._last < _REDRAW_INTERVAL_S):
            return
        self._shown, self._last = text, now
        if self._handle is None:
            self._handle = display({"text/plain": text}, raw=True, display_id=True)
        else:
            self._handle.update({"text/plain": text}, raw=True)


@magics_class
class NemoMagics(Magics):
    """``%nemo`` / ``%%nemo``: one conversation per notebook, made on first use."""

    def __init__(self, shell: Any = None, *, backend: str = "auto") -> None:
        super().__init__(shell)
        self.backend = backend
        self._client: Any = None
        self._conv: Any = None
        self._skill: str | None = None
        self._told_no_previews = False

    # ---- the conversation ------------------------------------------------------------------------
    @property
    def conversation(self) -> Any:
        """The notebook's current :class:`~nemo_nb.Conversation` (connects on first use)."""
        if self._conv is None:
            from nemo_nb._connect import connect
            from nemo_nb.conversation import Conversation

            if self._client is None:
                self._client = _run(connect(self.backend, skill=self._skill))
            self._conv = Conversation(self._client, skill=self._skill, front_end="magic")
        return self._conv

    # ---- the magic -------------------------------------------------------------------------------
    @line_cell_magic
    def nemo(self, line: str, cell: str | None = None) -> None:
        """``%%nemo``: the cell is a prompt. ``%nemo COMMAND``: see the module's docstring."""
        if cell is not None:
            if line.strip():
                raise UsageError(
                    "%%nemo takes no arguments: write the prompt in the cell. " + USAGE
                )
            prompt = cell.strip()
            if not prompt:
                raise UsageError("The cell is empty: write what you want the agent to do.")
            self._turn(prompt, timeline=True)
            return
        try:
            words = shlex.split(line)
        except ValueError as exc:
            raise UsageError(f"Could not read the arguments ({exc}). {USAGE}") from None
        if not words or words[0] not in _COMMANDS:
            raise UsageError(USAGE)
        command, args = words[0], words[1:]
        if command == "upload":
            self._upload(args)
        elif command == "export":
            self._turn("export", timeline=False)
        elif command == "status":
            self._turn("status", timeline=False)
        elif command == "credits":
            self._turn("credits", timeline=False)
        elif command == "new":
            self._new()
        else:
            self._switch_skill(args)

    # ---- commands --------------------------------------------------------------------------------
    def _upload(self, paths: list[str]) -> None:
        if not paths:
            raise UsageError("Say what to upload: %nemo upload photo.jpg [more.png ...]")
        sources = [p if is_url(p) else str(Path(p).expanduser()) for p in paths]
        missing = [p for p in sources if not is_url(p) and not Path(p).is_file()]
        if missing:
            raise UsageError(f"There is no file at {', '.join(missing)}; check the path.")
        update = _run(self.conversation.upload(*sources))
        print(f"{_PREFIX.get(update.kind, '')}{update.text}")

    def _new(self) -> None:
        self._conv = None
        conv = self.conversation
        _run(conv.start())
        print(f"Started a new conversation (session {conv.session_id}); upload a photo to begin.")

    def _switch_skill(self, args: list[str]) -> None:
        from nemo_nb.skills import SKILLS, get_skill

        if not args:
            current = get_skill(self._skill)
            print(
                f"Skill: {current.name} ({current.title}). Others: {', '.join(s for s in SKILLS if s != current.name)}."
            )
            return
        try:
            skill = get_skill(args[0])
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        self._skill = skill.name
        if self._client is not None:  # the skill travels as a header on every call
            self._client.skill = skill
        if self._conv is not None:
            self._conv.skill = skill
        tries = "; ".join(f'"{p}"' for p in skill.suggested_prompts[:2])
        print(f"Skill: {skill.name} ({skill.title}). Try saying: {tries}.")

    # ---- one turn, streamed ----------------------------------------------------------------------
    def _turn(self, text: str, *, timeline: bool) -> None:
        conv = self.conversation
        reply, progress = _Live(), _Live()
        streamed, summarised, changed = "", False, False
        for update in _iterate(conv.send(text)):
            kind = update.kind
            summarised = summarised or kind == "state"
            changed = changed or kind == "draft"
            if kind == "text":
                streamed = update.text if update.data.get("final") else streamed + update.text
                reply.show(streamed)
            elif kind == "progress":
                progress.show(update.text)
            elif kind == "export":
                progress.show("Rendering… 100%", force=True)
                from nemo_nb.display import show_video

                print(update.text)
                display(show_video(update.data["path"]))
            elif kind in ("actions", "draft"):
                continue  # buttons belong to the Studio; the summary comes at the end
            elif kind == "summary":
                for change in update.data.get("changes") or [update.text]:
                    print(f"{_PREFIX['summary']}{change}")
            elif update.text:
                print(f"{_PREFIX.get(kind, '')}{update.text}")
        reply.show(streamed, force=True)
        if timeline and conv.draft is not None and not summarised:
            print(conv.draft.summary())
        if timeline and changed:
            self._preview(conv)

    def _preview(self, conv: Any) -> None:
        """The preview of the timeline a prompt changed, after its reply (once, on the cloud,
        why there is none)."""
        from nemo_nb.api import NemoError
        from nemo_nb.display import show_video

        if not conv.previews_available:
            if not self._told_no_previews:
                self._told_no_previews = True
                print(NO_PREVIEWS)
            return
        try:
            path = _run(conv.preview())
        except NemoError as exc:
            print(f"{_PREFIX['error']}No preview: {exc}")
            return
        if path is not None:
            display(show_video(path, width=PREVIEW_WIDTH, label="preview"))


def _iterate(updates: AsyncIterator[Any]) -> Any:
    """Drive an async iterator from sync code, one step at a time on the sync loop thread."""

    async def step() -> Any:
        return await updates.__anext__()

    try:
        while True:
            try:
                yield _run(step())
            except StopAsyncIteration:
                return
    finally:
        aclose = getattr(updates, "aclose", None)
        if aclose is not None:
            _run(aclose())


def load_ipython_extension(ipython: Any) -> None:
    """Called by ``%load_ext nemo_nb``: registers ``%nemo`` and ``%%nemo``."""
    ipython.register_magics(NemoMagics(ipython))
