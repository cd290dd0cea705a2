"""GUI translation: the agent talks as if there were buttons; map that onto what we can do.

The seeds' rules: "click"/"点击" → run the action; "open"/"打开" → read the state; "drag/drop"/
"拖拽" → send the edit to the agent (in words); "preview in timeline" → show the timeline summary;
"Export"/"导出" → run the export workflow. :func:`translate_gui` rewrites those phrases into
instructions that work here and lists the actions the UI can offer as buttons.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

__all__ = ["ACTION_LABELS", "GuiAction", "GuiStream", "Translation", "translate_gui"]

#: Actions a UI can offer next to a reply.
GuiAction = Literal["export", "show_timeline", "credits", "upload"]
#: A button caption for each action.
ACTION_LABELS: dict[str, str] = {
    "export": "Export",
    "show_timeline": "Show timeline",
    "credits": "Credits",
    "upload": "Upload",
}


@dataclass(frozen=True)
class Translation:
    """The agent's text rewritten for us, and the actions it pointed at (in order of mention)."""

    text: str
    actions: tuple[GuiAction, ...]
    original: str

    @property
    def changed(self) -> bool:
        """Whether any GUI phrase was rewritten."""
        return self.original != self.text


_CLICK = r"(?i:click(?:ing)?|tap|press|hit|select|choose)(?i:\s+on)?"
_THE = r"(?i:\s+the)?"
_Q = r"[\"'“”‘’]?"
_DRAG = r"drag(?:\s*(?:and|&|-n-|/)\s*drop)?"
_BUTTON = r"(?i:\s+(?:button|tab|icon|menu|option))?"

# Which word in a GUI label means which of our actions.
_TARGETS: dict[GuiAction, str] = {
    "export": r"export|download|render|save(?: video)?",
    "upload": r"upload|add media|import",
    "credits": r"credits?|balance",
    "show_timeline": r"timeline|preview|tracks?",
}
_TARGETS_CJK: dict[GuiAction, str] = {
    "export": r"导出|下载",
    "upload": r"上传",
    "credits": r"积分|余额",
    "show_timeline": r"时间线|预览|轨道",
}
_SAY_EN: dict[GuiAction, str] = {
    "export": 'say "export"',
    "upload": 'say "upload"',
    "credits": 'say "credits"',
    "show_timeline": "see the timeline summary",
}
_SAY_ZH: dict[GuiAction, str] = {
    "export": "发送“导出”",
    "upload": "发送“上传”",
    "credits": "发送“积分”",
    "show_timeline": "查看时间线摘要",
}

Rule = tuple[re.Pattern[str], Callable[[re.Match[str]], str], GuiAction | None]


def _fixed(replacement: str) -> Callable[[re.Match[str]], str]:
    return lambda _m: replacement


def _rules() -> list[Rule]:
    rules: list[Rule] = []
    for action, words in _TARGETS.items():
        # "click (on) (the) "Export" (button)" → 'say "export"'
        pattern = rf"\b{_CLICK}{_THE}\s+{_Q}(?:{words})(?!\w){_Q}{_BUTTON}(?!\w)"
        rules.append((re.compile(pattern, re.IGNORECASE), _fixed(_SAY_EN[action]), action))
    for action, words in _TARGETS_CJK.items():
        pattern = rf"(?:点击|单击|点按|点一下|点)\s*[“「\"']?(?:{words})[”」\"']?(?:按钮)?"
        rules.append((re.compile(pattern), _fixed(_SAY_ZH[action]), action))
    rules += [
        # "preview (it) in the timeline" → the summary we show
        (
            re.compile(
                r"\bpreview(?:\s+(?:it|this|that|them|the\s+\w+|your\s+\w+))?\s+in\s+(?:the\s+)?timeline\b",
                re.IGNORECASE,
            ),
            _fixed("see the timeline summary"),
            "show_timeline",
        ),
        (
            re.compile(r"在?时间线(?:中|里|上)?预览|预览时间线"),
            _fixed("查看时间线摘要"),
            "show_timeline",
        ),
        # "open the timeline / editor / project / panel" → read the state
        (
            re.compile(
                r"\bopen(?:\s+up)?(?:\s+(?:the|your))?\s+(?:\w+\s+)?(?:timeline|editor|project|draft|panel|tracks?)\b"
                # "… to see the tracks": the summary shows them, say it once
                r"(?:\s+to\s+(?:see|view|check|review)\s+(?:the\s+|your\s+|all\s+)?"
                r"(?:tracks?|changes?|result|layers?|it|them|everything)\b)?",
                re.IGNORECASE,
            ),
            _fixed("see the timeline summary"),
            "show_timeline",
        ),
        (
            re.compile(
                r"打开(?:\w{0,4}?)(?:时间线|编辑器|项目|面板|轨道)(?:(?:查看|看看)(?:轨道|详情|效果)?)?"
            ),
            _fixed("查看时间线摘要"),
            "show_timeline",
        ),
        # "drag/drop your photos here" is the GUI's upload area
        (
            re.compile(
                r"\b(?:drag(?:\s*(?:and|&|/)\s*drop)?|drop)\s+(?:your|a|the|some)\s+"
                r"(?:photos?|images?|pictures?|files?|videos?|media)\s+"
                r"(?:here|(?:in|into|onto)\s+(?:the\s+)?\w+(?:\s+(?:area|box|zone|panel))?)\b",
                re.IGNORECASE,
            ),
            _fixed('upload them (say "upload")'),
            "upload",
        ),
        (
            re.compile(
                r"(?:拖拽|拖动|拖放)(?:图片|照片|文件|视频|素材)(?:到|至)(?:这里|此处|上传区域?|上传框)"
            ),
            _fixed("发送“上传”上传它们"),
            "upload",
        ),
        # "drag the title to move it" → ask where to move it, in words
        (
            re.compile(
                rf"\b{_DRAG}\s+(?P<obj>(?:the|your|this)\s+\w+)\s+to\s+"
                r"(?:move|reposition|adjust|place|position)\s+(?:it|them)\b",
                re.IGNORECASE,
            ),
            lambda m: f"tell me where to move {m.group('obj')}",
            None,
        ),
        # "drag the clip to 3s" → "ask me to move the clip to 3s"
        (re.compile(rf"\b{_DRAG}\b", re.IGNORECASE), _fixed("ask me to move"), None),
        (
            re.compile(r"(?:拖拽|拖动|拖放)(?P<obj>\w{1,6}?)可?(?:调整|改变)位置"),
            lambda m: f"告诉我{m.group('obj')}要放在哪里",
            None,
        ),
        (
            re.compile(r"(?:拖拽|拖动|拖放)(?P<obj>\w{1,6}?)到"),
            lambda m: f"告诉我把{m.group('obj')}移到",
            None,
        ),
        (re.compile(r"拖拽|拖动|拖放"), _fixed("告诉我要怎么移动"), None),
        # A remaining bare "click X" / "点击X": tell the user to say X.
        (
            re.compile(
                rf"\b{_CLICK}{_THE}\s+{_Q}([A-Z][\w-]*(?: [A-Z][\w-]*)?){_Q}{_BUTTON}(?!\w)"
            ),
            lambda m: f'say "{m.group(1).lower()}"',
            None,
        ),
    ]
    return rules


_RULES = _rules()

# Mentions that offer an action without a GUI verb ("Export when you're happy", "导出").
_MENTIONS: list[tuple[re.Pattern[str], GuiAction]] = [
    (re.compile(r"\b(?:export|download)(?:ed|ing|s)?\b|导出|下载", re.IGNORECASE), "export"),
    (re.compile(r"\btimeline\b|时间线", re.IGNORECASE), "show_timeline"),
    (re.compile(r"\bupload\b|上传", re.IGNORECASE), "upload"),
    (re.compile(r"\bcredits?\b|积分|余额", re.IGNORECASE), "credits"),
]


def translate_gui(text: str) -> Translation:
    """Rewrite GUI instructions in an agent reply and list the actions it points at.

    >>> t = translate_gui("Done! Preview it in the Timeline, then click Export.")
    >>> t.text
    'Done! See the timeline summary, then say "export".'
    >>> t.actions
    ('show_timeline', 'export')
    """
    found: list[tuple[int, GuiAction]] = []
    out = text
    for pattern, replace, action in _RULES:

        def substitute(m: re.Match[str], replace=replace, action=action) -> str:
            if action:
                found.append((m.start(), action))
            new = replace(m)
            # Keep a capital at the start of a sentence.
            if m.group(0)[:1].isupper() and new[:1].islower():
                new = new[0].upper() + new[1:]
            return new

        out = pattern.sub(substitute, out)
    for pattern, action in _MENTIONS:
        for m in pattern.finditer(text):
            found.append((m.start(), action))
    ordered = tuple(dict.fromkeys(a for _, a in sorted(found, key=lambda f: f[0])))
    return Translation(text=out, actions=ordered, original=text)


# No rule above matches across one of these characters, so a reply cut just after one translates
# piece by piece exactly as it does whole (tests/conversation/test_gui_stream.py checks every cut).
_SAFE_CUTS = frozenset(".,;:!?)\n。！？，；：、）")
# Every English rule's match starts with one of these words: text before the first of them can be
# cut at any space. (CJK text is cut at punctuation only.)
_RULE_STARTS = re.compile(r"\b(?:click|tap|press|hit|select|choose|preview|open|drag|drop)", re.I)
_CJK = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]")


def _safe_cut(text: str) -> int:
    """How much of ``text`` can be translated now without changing what the whole would say."""
    cut = max((i for i, c in enumerate(text) if c in _SAFE_CUTS), default=-1) + 1
    tail = text[cut:]
    if _CJK.search(tail):
        return cut
    start = _RULE_STARTS.search(tail)
    before = tail[: start.start()] if start else tail
    space = max(before.rfind(" "), before.rfind("\t"))
    return cut + space + 1 if space >= 0 else cut


class GuiStream:
    """Translates an agent reply while it streams, so each character is shown once, translated.

    :meth:`feed` takes raw chunks and returns the translation of all it can translate already:
    complete words, except from a word a GUI phrase may start with ("click", "preview", …) up to
    the end of its clause. The rest waits for more text or for :meth:`flush` at the end.

    >>> gui = GuiStream()
    >>> gui.feed("Done! Preview it in the Tim")
    ('Done! ', 'Done! ')
    >>> gui.feed("eline, then click Export.")
    ('See the timeline summary, then say "export".', 'Preview it in the Timeline, then click Export.')
    """

    def __init__(self) -> None:
        self._pending = ""

    def feed(self, chunk: str) -> tuple[str, str]:
        """Add ``chunk``; return ``(translated, raw)`` for the clauses it completed (may be empty)."""
        self._pending += chunk
        cut = _safe_cut(self._pending)
        raw, self._pending = self._pending[:cut], self._pending[cut:]
        return (translate_gui(raw).text if raw else ""), raw

    def flush(self) -> tuple[str, str]:
        """The end of the reply: translate whatever is left."""
        raw, self._pending = self._pending, ""
        return (translate_gui(raw).text if raw else ""), raw
