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

__all__ = [
    "ACTION_LABELS", "FrontEnd", "GuiAction", "GuiStream", "PHRASES", "Translation", "translate_gui",
]  # fmt: skip

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
#: Who shows the reply: each says "click Export" its own way (:data:`PHRASES`).
FrontEnd = Literal["code", "studio", "cli", "magic"]

#: What each front end says instead of a GUI instruction, per action, in English and Chinese.
#: The command line exports by itself, so there it says nothing (with its "then"). No phrase may
#: contain a GUI instruction itself ("click Export"): the rules run one after another.
PHRASES: dict[FrontEnd, tuple[dict[GuiAction, str], dict[GuiAction, str]]] = {
    "code": (
        {
            "export": 'say "export" or `await conv.export()`',
            "upload": 'say "upload"',
            "credits": 'say "credits"',
            "show_timeline": "see the timeline summary",
        },
        {
            "export": "发送“导出”或运行 `await conv.export()`",
            "upload": "发送“上传”",
            "credits": "发送“积分”",
            "show_timeline": "查看时间线摘要",
        },
    ),
    "studio": (
        {
            "export": "use the Export button below",
            "upload": "use the Upload button",
            "credits": "use the Credits button below",
            "show_timeline": "see the Timeline tab",
        },
        {
            "export": "点击下方的“Export”",
            "upload": "使用“Upload”按钮",
            "credits": "点击下方的“Credits”",
            "show_timeline": "查看“Timeline”标签页",
        },
    ),
    "cli": (
        {
            "export": "",
            "upload": "add it to the command",
            "credits": "run the command again",
            "show_timeline": "see the timeline summary",
        },
        {
            "export": "",
            "upload": "把它加到命令里",
            "credits": "再运行一次命令",
            "show_timeline": "查看时间线摘要",
        },
    ),
    "magic": (
        {
            "export": "run `%nemo export`",
            "upload": "run `%nemo upload PATH`",
            "credits": "run `%nemo credits`",
            "show_timeline": "see the timeline summary",
        },
        {
            "export": "运行 `%nemo export`",
            "upload": "运行 `%nemo upload PATH`",
            "credits": "运行 `%nemo credits`",
            "show_timeline": "查看时间线摘要",
        },
    ),
}
# Where a phrase says nothing, the words that joined it to the sentence go too (", then").
_JOIN_EN = r"(?:,?\s*(?:and\s+)?then\s+|,?\s+and\s+)?"
_JOIN_ZH = r"(?:[，,]?\s*(?:然后|再)\s*)?"

Rule = tuple[re.Pattern[str], Callable[[re.Match[str]], str], GuiAction | None]


def _fixed(replacement: str) -> Callable[[re.Match[str]], str]:
    return lambda _m: replacement


def _rules(front_end: FrontEnd) -> list[Rule]:
    say_en, say_zh = PHRASES[front_end]
    rules: list[Rule] = []
    for action, words in _TARGETS.items():
        # "click (on) (the) "Export" (button)" → 'say "export"'
        join = _JOIN_EN if not say_en[action] else ""
        pattern = rf"{join}\b{_CLICK}{_THE}\s+{_Q}(?:{words})(?!\w){_Q}{_BUTTON}(?!\w)"
        rules.append((re.compile(pattern, re.IGNORECASE), _fixed(say_en[action]), action))
    for action, words in _TARGETS_CJK.items():
        join = _JOIN_ZH if not say_zh[action] else ""
        pattern = rf"{join}(?:点击|单击|点按|点一下|点)\s*[“「\"']?(?:{words})[”」\"']?(?:按钮)?"
        rules.append((re.compile(pattern), _fixed(say_zh[action]), action))
    rules += [
        # "preview (it) in the timeline" → the summary we show
        (
            re.compile(
                r"\bpreview(?:\s+(?:it|this|that|them|the\s+\w+|your\s+\w+))?\s+in\s+(?:the\s+)?timeline\b",
                re.IGNORECASE,
            ),
            _fixed(say_en["show_timeline"]),
            "show_timeline",
        ),
        (
            re.compile(r"在?时间线(?:中|里|上)?预览|预览时间线"),
            _fixed(say_zh["show_timeline"]),
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
            _fixed(say_en["show_timeline"]),
            "show_timeline",
        ),
        (
            re.compile(
                r"打开(?:\w{0,4}?)(?:时间线|编辑器|项目|面板|轨道)(?:(?:查看|看看)(?:轨道|详情|效果)?)?"
            ),
            _fixed(say_zh["show_timeline"]),
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
            _fixed(f"upload them ({say_en['upload']})"),
            "upload",
        ),
        (
            re.compile(
                r"(?:拖拽|拖动|拖放)(?:图片|照片|文件|视频|素材)(?:到|至)(?:这里|此处|上传区域?|上传框)"
            ),
            _fixed(f"{say_zh['upload']}上传它们"),
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


_RULES: dict[FrontEnd, list[Rule]] = {}

# Mentions that offer an action without a GUI verb ("Export when you're happy", "导出").
_MENTIONS: list[tuple[re.Pattern[str], GuiAction]] = [
    (re.compile(r"\b(?:export|download)(?:ed|ing|s)?\b|导出|下载", re.IGNORECASE), "export"),
    (re.compile(r"\btimeline\b|时间线", re.IGNORECASE), "show_timeline"),
    (re.compile(r"\bupload\b|上传", re.IGNORECASE), "upload"),
    (re.compile(r"\bcredits?\b|积分|余额", re.IGNORECASE), "credits"),
]


def translate_gui(text: str, front_end: FrontEnd = "code") -> Translation:
    """Rewrite GUI instructions in an agent reply for ``front_end`` and list the actions it
    points at.

    >>> t = translate_gui("Done! Preview it in the Timeline, then click Export.")
    >>> t.text
    'Done! See the timeline summary, then say "export" or `await conv.export()`.'
    >>> t.actions
    ('show_timeline', 'export')
    >>> translate_gui("Done! Preview it in the Timeline, then click Export.", "studio").text
    'Done! See the Timeline tab, then use the Export button below.'
    >>> translate_gui("Done! Preview it in the Timeline, then click Export.", "cli").text
    'Done! See the timeline summary.'
    """
    if front_end not in PHRASES:
        raise ValueError(f"front_end must be one of {', '.join(PHRASES)}, not {front_end!r}.")
    found: list[tuple[int, GuiAction]] = []
    out = text
    rules = _RULES.get(front_end) or _RULES.setdefault(front_end, _rules(front_end))
    for pattern, replace, action in rules:

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
# ... and where a phrase takes its joining words with it, a match may start at those.
_JOINED_RULE_STARTS = re.compile(
    r"(?:,\s*)?\b(?:then|and|click|tap|press|hit|select|choose|preview|open|drag|drop)", re.I
)
_CJK = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]")


def _safe_cut(text: str, front_end: FrontEnd = "code") -> int:
    """How much of ``text`` can be translated now without changing what the whole would say."""
    joined = not all(PHRASES[front_end][0].values()) or not all(PHRASES[front_end][1].values())
    safe = _SAFE_CUTS - {",", "，"} if joined else _SAFE_CUTS
    cut = max((i for i, c in enumerate(text) if c in safe), default=-1) + 1
    tail = text[cut:]
    if _CJK.search(tail):
        return cut
    start = (_JOINED_RULE_STARTS if joined else _RULE_STARTS).search(tail)
    before = tail[: start.start()] if start else tail
    space = max(before.rfind(" "), before.rfind("\t"))
    return cut + space + 1 if space >= 0 else cut


class GuiStream:
    """Translates an agent reply while it streams, so each character is shown once, translated.

    :meth:`feed` takes raw chunks and returns the translation of all it can translate already:
    complete words, except from a word a GUI phrase may start with ("click", "preview", …) up to
    the end of its clause. The rest waits for more text or for :meth:`flush` at the end.

    >>> gui = GuiStream("studio")
    >>> gui.feed("Done! Preview it in the Tim")
    ('Done! ', 'Done! ')
    >>> gui.feed("eline, then click Export.")
    ('See the Timeline tab, then use the Export button below.', 'Preview it in the Timeline, then click Export.')
    """

    def __init__(self, front_end: FrontEnd = "code") -> None:
        self.front_end: FrontEnd = front_end
        self._pending = ""

    def feed(self, chunk: str) -> tuple[str, str]:
        """Add ``chunk``; return ``(translated, raw)`` for the clauses it completed (may be empty)."""
        self._pending += chunk
        cut = _safe_cut(self._pending, self.front_end)
        raw, self._pending = self._pending[:cut], self._pending[cut:]
        return (translate_gui(raw, self.front_end).text if raw else ""), raw

    def flush(self) -> tuple[str, str]:
        """The end of the reply: translate whatever is left."""
        raw, self._pending = self._pending, ""
        return (translate_gui(raw, self.front_end).text if raw else ""), raw
