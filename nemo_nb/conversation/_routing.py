"""Intent routing: which messages are local commands and which go to the agent.

The seed table: "export"/"导出"/"download"/"send me the video" → export; "credits"/"积分"/
"balance"/"余额" → credits; "status"/"状态"/"show tracks" → state; "upload"/"上传" (or a file) →
upload; everything else → the agent. Only *short, command-like* messages are local: after the
trigger phrase is taken out, every remaining word must be a filler ("please", "the", "now"…) or a
word that only qualifies the command ("1080p", "mp4", "how many", "my"…). So "export 1080p MP4" is
an export, while "add a download button as text overlay" and "make the export look better" are
edits for the agent.
"""

from __future__ import annotations

import re
from typing import Literal

from nemo_nb._mediatype import ENGINE_TYPES, file_extensions

__all__ = ["Action", "route", "media_references"]

Action = Literal["export", "credits", "state", "upload", "agent"]


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# More than this many words is a request, not a command.
_MAX_WORDS = 12

# Words that may surround any command without changing what it asks for.
_FILLER = _words(
    """
    please pls plz ok okay alright now then just go ahead and yes yeah sure thanks thank you thx
    can could would will you i me my i'd i'll i'm let's lets want wanna like to the a an it this that
    do does for us our we hey hi so right away again quickly also
    """
)  # fmt: skip
_FILLER_CJK = [
    "请", "帮我", "给我", "麻烦", "我要", "我想", "想", "要", "现在", "一下", "吧", "呢", "吗", "啊",
    "的", "把", "我", "你", "可以", "能", "好", "好的", "谢谢", "了", "再",
]  # fmt: skip

# Per action: the trigger (regex, matched as whole words on the normalised text) and the words
# allowed besides fillers.
_TRIGGERS: dict[str, re.Pattern[str]] = {
    "export": re.compile(
        r"\b(?:re-?)?export\b|\bdownload\b|\brender\b|"
        r"\bsend (?:me|us|over)? ?(?:the |my |that |this )?(?:final )?(?:video|mp4|clip|file|result|movie)\b|"
        r"\bsend it(?: over| to me)?\b|\bgive me (?:the |my )?(?:video|mp4|file)\b|"
        r"导出|下载"
    ),
    "credits": re.compile(r"\bcredits?\b|\bbalance\b|积分|余额|点数"),
    "state": re.compile(
        r"\bstatus\b|\bstate\b|"
        r"\b(?:show|list|view|see|display|check|what'?s on|what is on)\b"
        r"(?: me)?(?: the| my)?(?: current)? (?:tracks|timeline|draft|project)\b|"
        r"状态|(?:显示|查看|看看|列出)(?:一下)?(?:当前)?(?:的)?(?:轨道|时间线|草稿)"
    ),
    "upload": re.compile(r"\bupload(?:s|ing)?\b|上传"),
}
_ALLOWED: dict[str, frozenset[str]] = {
    "export": _words(
        """
        video clip file movie result final mp4 mov h264 h.264 1080p 720p 4k hd full high quality
        as in format version finished done how where did when is my of status progress ready
        """
    ),
    "credits": _words(
        """
        how many much left remaining have got still available what's whats what is are my account
        check show see current get do i does amount credit credits balance
        """
    ),
    "state": _words(
        "what's whats what is the current show me my check see project timeline tracks draft of"
    ),
    "upload": _words(
        """
        photo photos image images picture pictures pic pics file files video videos media some
        another more new one two three how where do can i a
        """
    ),
}
_ALLOWED_CJK: dict[str, list[str]] = {
    "export": ["视频", "成片", "文件", "高清", "格式", "导出", "下载", "怎么", "如何"],
    "credits": [
        "还有",
        "多少",
        "剩余",
        "剩下",
        "查看",
        "查询",
        "看看",
        "显示",
        "账户",
        "当前",
        "个",
    ],
    "state": ["当前", "查看", "看看", "显示", "项目", "时间线", "轨道", "草稿", "进度"],
    "upload": ["图片", "照片", "文件", "视频", "素材", "一张", "一个", "几张", "怎么", "如何"],
}
# Order decides ties ("export status" is a question about the export, not the state).
_ORDER: tuple[Action, ...] = ("export", "credits", "upload", "state")

_MEDIA_EXT = "|".join(sorted(file_extensions(ENGINE_TYPES), key=len, reverse=True))
_MEDIA_REF = re.compile(
    rf"""(?:https?://\S+?|[~./\\\w:-][^\s"']*?)\.(?:{_MEDIA_EXT})(?:\?\S*)?(?=$|[\s"',])""",
    re.IGNORECASE,
)
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")
_WORD = re.compile(r"[a-z0-9][a-z0-9.'+-]*")


def _normalise(text: str) -> str:
    text = text.strip().lower()
    text = text.replace("’", "'").replace("‘", "'")
    # Full-width punctuation and the usual sentence marks become spaces.
    text = re.sub(r"[!?,;:。！？，、；：…\"“”()（）\[\]]+", " ", text)
    text = re.sub(r"(?<!\d)\.(?!\d)", " ", text)  # a full stop, not "h.264"'s dot
    return re.sub(r"\s+", " ", text).strip()


def media_references(text: str) -> list[str]:
    """Paths or URLs of media files in ``text`` (by extension), in order."""
    return [m.group(0) for m in _MEDIA_REF.finditer(text.strip())]


def _is_only_media(text: str) -> bool:
    refs = media_references(text)
    if not refs:
        return False
    rest = text
    for ref in refs:
        rest = rest.replace(ref, " ")
    rest_words = _WORD.findall(_normalise(rest))
    return all(
        w in _FILLER or w in _ALLOWED["upload"] or w == "upload" for w in rest_words
    ) and not (_CJK.search(rest) and _strip_cjk(rest, _ALLOWED_CJK["upload"] + ["上传"]))


def _strip_cjk(text: str, allowed: list[str]) -> str:
    """The CJK characters left after removing allowed fragments (longest first)."""
    left = "".join(_CJK.findall(text))
    for fragment in sorted({*allowed, *_FILLER_CJK}, key=len, reverse=True):
        left = left.replace(fragment, "")
    return left


def _command_like(action: str, rest: str) -> bool:
    """True when nothing but fillers and qualifiers of ``action`` remain in ``rest``."""
    if _strip_cjk(rest, _ALLOWED_CJK[action]):
        return False
    latin = _CJK.sub(" ", rest)
    return all(w in _FILLER or w in _ALLOWED[action] for w in _WORD.findall(latin))


def route(text: str) -> Action:
    """Decide what to do with a user message.

    Returns ``"export"``, ``"credits"``, ``"state"`` or ``"upload"`` for short command-like
    messages (English or the seeds' Chinese), ``"upload"`` for a message that is only file paths
    or URLs of media, and ``"agent"`` for everything else.
    """
    if not text or not text.strip():
        return "agent"
    if _is_only_media(text):
        return "upload"
    norm = _normalise(text)
    if (
        len(_WORD.findall(_CJK.sub(" ", norm))) > _MAX_WORDS
        or len("".join(_CJK.findall(norm))) > 24
    ):
        return "agent"
    for action in _ORDER:
        match = _TRIGGERS[action].search(norm)
        if match and _command_like(action, norm[: match.start()] + " " + norm[match.end() :]):
            return action
    return "agent"
