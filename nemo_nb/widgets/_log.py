"""The Studio's log: the user's messages, the agent's reply growing in place, one activity line
per turn, notices, change summaries, errors, buttons for the actions a reply offers, and the
preview of what a turn made (``_preview.PreviewCard``).

Every entry is its own small widget, updated by trait assignment; the box scrolls itself to the
newest entry (a ``column-reverse`` flex box keeps its scroll position pinned to the bottom).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import ipywidgets as widgets  # type: ignore[import-untyped]

from nemo_nb._html import escape
from nemo_nb._theme import BORDER, BRAND, ERROR, MUTED, RAISED, SUCCESS, TEXT, WARN
from nemo_nb.widgets._coalesce import Coalescer

__all__ = ["ChatLog"]

# kind -> (plain-text prefix, inline style of the entry); colours follow the notebook's theme
_EDGE = "border-left:3px solid {};border-radius:4px;padding:2px 8px"
_STYLES: dict[str, tuple[str, str]] = {
    "user": ("You: ", f"margin:8px 0 2px;background:{RAISED};color:{TEXT};{_EDGE.format(BRAND)}"),
    "agent": ("Agent: ", f"padding:2px 8px;white-space:pre-wrap;color:{TEXT}"),
    "activity": ("▸ ", f"padding:0 8px;color:{MUTED};font-size:90%"),
    "notice": ("", f"margin:2px 0;background:{RAISED};color:{TEXT};{_EDGE.format(WARN)}"),
    "summary": ("Changed: ", f"margin:2px 0;white-space:pre-wrap;color:{TEXT};"
                             f"{_EDGE.format(SUCCESS)}"),
    "info": ("", f"padding:2px 8px;color:{TEXT}"),
    "error": ("✗ ", f"margin:2px 0;background:{RAISED};color:{TEXT};{_EDGE.format(ERROR)}"),
}  # fmt: skip
_LABELS = {"user": "You", "agent": "Agent", "summary": "Changed"}
HINT = (
    "Upload a photo, then describe the motion you want (or click a suggestion above). "
    "The agent's reply, what it did and what changed appear here."
)


@dataclass
class _Entry:
    kind: str
    text: str
    widget: widgets.Widget
    parts: list[str] = field(default_factory=list)  # activity: the distinct steps so far
    live: Callable[[], str] | None = None  # an entry whose text changes (a preview's)

    @property
    def line(self) -> str:
        """The entry as plain text, as it is now."""
        return self.live() if self.live is not None else self.text


def _html(kind: str, text: str) -> str:
    style = "line-height:1.45;" + _STYLES[kind][1]
    body: str = escape(text)
    label = _LABELS.get(kind)
    if label:
        body = f"<b>{label}</b>&nbsp; {body}"
    elif kind == "error":
        body = f"✗ {body}"
    elif kind == "activity":
        body = f"▸ {body}"
    return f'<div class="nemo-nb-{kind}" style="{style}">{body}</div>'


class ChatLog:
    """The log widget (:attr:`box`) and its plain-text twin (:meth:`text`)."""

    def __init__(self, height: str = "340px") -> None:
        self._hint = widgets.HTML(
            f"<div style='color:{MUTED};padding:8px;line-height:1.45'>{escape(HINT)}</div>"
        )
        self._inner = widgets.VBox(
            # An auto bottom margin keeps a short log at the top; a long one scrolls as usual.
            [self._hint],
            layout=widgets.Layout(width="100%", flex="0 0 auto", margin="0 0 auto 0"),
        )
        self.box = widgets.Box(
            [self._inner],
            layout=widgets.Layout(
                display="flex",
                flex_flow="column-reverse",  # keeps the newest entry in view
                overflow="auto",
                height=height,
                width="100%",
                border=f"1px solid {BORDER}",
                padding="4px",
            ),
        )
        self.box.add_class("nemo-nb-log")
        self._entries: list[_Entry] = []
        self._children: list[widgets.Widget] = []
        self._reply: _Entry | None = None
        self._last_reply: _Entry | None = None  # the latest turn's reply (a preview goes under it)
        self._waiting: list[_Entry] = []  # entries under a reply that has not started yet
        self._activity: _Entry | None = None
        self.redraw = Coalescer(self._draw_reply)
        self._action_buttons: list[widgets.Button] = []

    # ---- entries -------------------------------------------------------------------------------
    def add(self, kind: str, text: str) -> None:
        """A finished entry (``user``, ``notice``, ``summary``, ``info``, ``error``)."""
        if kind != "agent":
            self.end_reply()
        if kind == "user":
            self._last_reply, self._waiting = None, []
        entry = _Entry(kind, text, widgets.HTML(_html(kind, text)))
        if kind == "summary" and self._waiting:  # what changed, when the agent said nothing
            self._insert(self._entries.index(self._waiting[0]), entry)
            self._waiting = []
            return
        self._append(entry)

    def stream(self, chunk: str) -> None:
        """Append ``chunk`` to the agent's reply being streamed (drawn at most ~20 times a second)."""
        if self._reply is None:
            self._reply = self._last_reply = _Entry("agent", "", widgets.HTML(_html("agent", "")))
            if self._waiting:  # a preview came before the reply's first words: go above it
                self._insert(self._entries.index(self._waiting[0]), self._reply)
                self._waiting = []
            else:
                self._append(self._reply)
        self._reply.text += chunk
        self.redraw.request()

    def end_reply(self) -> None:
        """The reply is complete: draw what is pending; the next chunk starts a new reply."""
        self.redraw.flush()
        self._reply = None

    def activity(self, label: str) -> None:
        """Tool activity: one compact line per turn, growing ("Building… · Applying motion…")."""
        if self._activity is None:
            self._activity = _Entry("activity", label, widgets.HTML(), [label])
            self._append(self._activity)
        elif label not in self._activity.parts:
            self._activity.parts.append(label)
        self._activity.text = " · ".join(self._activity.parts)
        self._activity.widget.value = _html("activity", self._activity.text)

    def end_turn(self) -> None:
        """The turn is over: flush the reply; the next activity starts a new line."""
        self.end_reply()
        self._activity = None

    def actions(
        self, labels: Sequence[str], actions: Sequence[str], run: Callable[[str], None]
    ) -> list[widgets.Button]:
        """Buttons for the actions a reply offered; clicking one calls ``run(action)``."""
        buttons = []
        for label, action in zip(labels, actions, strict=False):
            button = widgets.Button(description=label, layout=widgets.Layout(width="auto"))
            button.add_class(f"nemo-nb-action-{action}")
            # a retired button does nothing, however it is clicked (the browser or .click())
            button.on_click(lambda b, a=action: None if b.disabled else run(a))
            buttons.append(button)
        self._action_buttons += buttons
        row = widgets.HBox(buttons, layout=widgets.Layout(padding="2px 8px", flex_flow="row wrap"))
        self.end_reply()
        self._entries.append(_Entry("actions", "[" + "] [".join(labels) + "]", widgets.HTML()))
        self._children.append(row)
        self._inner.children = tuple(self._children)
        return buttons

    def retire_actions(self) -> None:
        """Disable every action button offered so far (they belong to a session that is over)."""
        for button in self._action_buttons:
            button.disabled = True
            button.tooltip = "From an earlier session"
        self._action_buttons = []

    def under_reply(self, kind: str, widget: widgets.Widget, text: Callable[[], str]) -> None:
        """An entry that is a widget of its own (a preview), its plain text read from ``text``:
        right under the latest turn's reply (or, when the turn has said nothing yet, where its
        reply or change summary will go above it)."""
        entry = _Entry(kind, "", widget, live=text)
        if self._last_reply is None or self._last_reply not in self._entries:
            self._waiting.append(entry)
            self._append(entry)
            return
        at = self._entries.index(self._last_reply) + 1
        while at < len(self._entries) and self._entries[at].live is not None:
            at += 1  # after the previews already under it
        self._insert(at, entry)

    def _insert(self, at: int, entry: _Entry) -> None:
        self._entries.insert(at, entry)
        self._children.insert(at, entry.widget)
        self._inner.children = tuple(self._children)

    def _append(self, entry: _Entry) -> None:
        self._entries.append(entry)
        self._children.append(entry.widget)
        self._inner.children = tuple(self._children)

    def _draw_reply(self) -> None:
        if self._reply is not None:
            self._reply.widget.value = _html("agent", self._reply.text)

    # ---- reading -------------------------------------------------------------------------------
    def text(self) -> str:
        """The log as plain text, one entry per line."""
        lines = []
        for e in self._entries:
            prefix = _STYLES[e.kind][0] if e.kind in _STYLES else ""
            lines.append(f"{prefix}{e.line}")
        return "\n".join(lines)

    def last(self, kind: str) -> str | None:
        """The text of the newest entry of ``kind`` (e.g. the last reply)."""
        return next((e.line for e in reversed(self._entries) if e.kind == kind), None)

    def clear(self) -> None:
        """Empty the log."""
        self.end_turn()
        self._entries, self._children = [], []
        self._last_reply, self._waiting = None, []
        self._inner.children = (self._hint,)
