"""Plain-language request -> :class:`Plan` (what the user asked for), for the engine's agent.

Private helper of :mod:`nemo_nb.engine.agent`. Parsing knows nothing about the draft: it only
reads the message. Each ``_parse_*`` step looks for one family of requests and *consumes* the
words it used (blanks them out), so later steps do not see them again: "zoom transition" must
not also mean a Ken Burns zoom, "softer music" must not make the motion subtler, and the words
inside a quoted title never trigger anything. The order of the steps in :func:`parse` matters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

__all__ = ["Plan", "TextOp", "parse"]

# --- small vocabulary -------------------------------------------------------------------------

#: Effect names as the draft spells them.
EFFECTS = ("none", "jiggle", "bounce", "sway", "pulse", "alive", "kenburns")
TRANSITIONS = ("none", "crossfade", "slide", "zoom", "wipe")
MOODS = ("lofi", "upbeat", "calm", "cinematic")

_NUM_WORDS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60,
}  # fmt: skip
_CN_DIGITS = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
              "八": 8, "九": 9}  # fmt: skip
_UNITS = r"(?:seconds?|secs?|minutes?|mins?|times|loops?|percent|%|ms|milliseconds?)"

_COLORS = {
    "white": "#ffffff", "black": "#000000", "red": "#ff3b30", "green": "#34c759",
    "blue": "#0a84ff", "yellow": "#ffd60a", "orange": "#ff9f0a", "pink": "#ff6ec7",
    "purple": "#af52de", "violet": "#af52de", "gold": "#ffc300", "golden": "#ffc300",
    "cyan": "#00e5ff", "teal": "#30b0c7", "magenta": "#ff00ff", "grey": "#8e8e93",
    "gray": "#8e8e93", "silver": "#c0c0c0", "brown": "#a2845e", "navy": "#001f5b",
    "白色": "#ffffff", "黑色": "#000000", "红色": "#ff3b30", "绿色": "#34c759", "蓝色": "#0a84ff",
    "黄色": "#ffd60a", "橙色": "#ff9f0a", "粉色": "#ff6ec7", "紫色": "#af52de", "金色": "#ffc300",
    "灰色": "#8e8e93",
}  # fmt: skip
_COLOR_RE = "|".join(sorted((re.escape(c) for c in _COLORS), key=len, reverse=True))

_TITLE_W = r"(?:\btitles?\b|\bheadings?\b|\bheadlines?\b|标题|题目)"
_TEXT_W = (
    r"(?:\btexts?\b|\bcaptions?\b|\bsubtitles?\b|\boverlays?\b|\bwords\b|\blabels?\b|\bfont\b"
    r"|\blettering\b|文字|字幕|文本|字体)"
)
_MUSIC_W = (
    r"(?:\bmusic\b|\bbgm\b|\bsongs?\b|\bsoundtracks?\b|\btunes?\b|\bbackground (?:audio|track)\b"
    r"|\baudio\b|背景音乐|音乐|配乐|歌曲|歌)"
)
_MOOD_WORDS: dict[str, str] = {
    r"lo-?fi": "lofi", r"chill(?:hop|ed|y)?": "lofi", r"jazzy": "lofi",
    r"upbeat": "upbeat", r"happy": "upbeat", r"energetic": "upbeat", r"fun": "upbeat",
    r"cheerful": "upbeat", r"party": "upbeat", r"dance": "upbeat", r"pop": "upbeat",
    r"calm(?:ing)?": "calm", r"relax(?:ing|ed)?": "calm", r"peaceful": "calm",
    r"ambient": "calm", r"soothing": "calm", r"piano": "calm",
    r"cinematic": "cinematic", r"epic": "cinematic", r"dramatic": "cinematic",
    r"orchestral": "cinematic", r"movie": "cinematic", r"trailer": "cinematic",
}  # fmt: skip
_MOOD_ZH = {"欢快": "upbeat", "动感": "upbeat", "活泼": "upbeat", "舒缓": "calm", "安静": "calm",
            "平静": "calm", "轻松": "lofi", "电影感": "cinematic", "史诗": "cinematic",
            "大气": "cinematic"}  # fmt: skip

_ORDINALS = {
    "first": 0, "1st": 0, "second": 1, "2nd": 1, "third": 2, "3rd": 2, "fourth": 3, "4th": 3,
    "fifth": 4, "5th": 4, "sixth": 5, "6th": 5, "last": -1, "final": -1,
}  # fmt: skip
_ORD_RE = r"(?:first|1st|second|2nd|third|3rd|fourth|4th|fifth|5th|sixth|6th|last|final)"
_CLIP_W = r"(?:images?|photos?|pictures?|pics?|clips?|slides?|segments?|ones?|videos?|shots?)"

# Effect words (English with word boundaries; Chinese without).
_EFFECT_PATTERNS: list[tuple[str, str, str | None]] = [
    # (regex, effect type, Ken Burns direction)
    (r"\bken ?burns\b", "kenburns", None),
    (r"\bzoom(?:ing|s)? ?in\b|\bpush(?:ing)? ?in\b|推近|放大", "kenburns", "in"),
    (r"\bzoom(?:ing|s)? ?out\b|\bpull(?:ing)? (?:back|out)\b|拉远|缩小", "kenburns", "out"),
    (r"\b(?:pan(?:ning|s)?|tilt(?:ing|s)?) (?:to (?:the )?)?(left|right|up|down)\b", "kenburns", "*"),
    (r"\bpan(?:ning|s)?\b|平移", "kenburns", "right"),
    (r"\bzoom(?:ing|s|ed)?\b|缩放|推拉", "kenburns", None),
    (r"\bjiggl\w*|\bwiggl\w*|\bwobbl\w*|\bjell(?:y|o)\b|\bsquish\w*|\bshak(?:e|y|ing)\b"
     r"|抖动|果冻|抖一抖|晃动", "jiggle", None),
    (r"\bbounc\w*|弹跳|跳动|弹一弹|蹦", "bounce", None),
    (r"\bsway\w*|\bswinging\b|摇摆|摇晃|摆动", "sway", None),
    (r"\bpuls\w*|\bthrob\w*|\bheartbeat\b|脉动|脉冲|心跳", "pulse", None),
    (r"\balive\b|\bbreath(?:e|es|ing)\b|\blifelike\b|\bcomes? to life\b|\bto life\b"
     r"|\blooks? like (?:it's|it is|they're|they are|its) moving\b|\bliving photos?\b"
     r"|\blive photos?\b|动起来|活起来|生动|呼吸|栩栩如生", "alive", None),
]  # fmt: skip
_ANY_EFFECT = "|".join(p for p, _, _ in _EFFECT_PATTERNS)

_SMALL = r"\b(?:a (?:little )?bit|a little|slightly|a touch|a tad|somewhat|little)\b|一点|一些|稍微|有点|稍"
_LARGE = r"\b(?:much|a lot|way|lots|far|really|very|significantly|super|hugely)\b|大幅|很多|非常|超级|特别"


@dataclass
class TextOp:
    """One title or text overlay to add or change."""

    kind: str  # "title" | "text"
    txt: str
    change: bool = False  # "change the title to …" (vs "add a title …")


@dataclass
class Plan:
    """Everything one message asks for. ``None``/empty means "not asked"."""

    zh: bool = False
    undo: bool = False
    help: bool = False
    thanks: bool = False  # "thanks!", "great": nothing to do, but not a misunderstanding
    export: bool = False
    create: bool = False  # asks to animate/convert/turn photos into a video
    plural: bool | None = None  # the request speaks of several photos (True) or one (False)
    smooth: bool = False
    hd: bool = False  # "1080p" (our outputs always are)
    add_media: bool = False
    #: Effects named, in order; several compose on one photo ("jiggle and bounce").
    effects: list[tuple[str, str | None]] = field(default_factory=list)
    add_effect: bool = False  # "also bounce", "add a bounce": keep the effects there are
    tweak_effects: list[str] = field(default_factory=list)  # "less bounce": which effect to tune
    remove_effects: list[str] = field(default_factory=list)  # "remove the bounce": only that one
    fit: str | None = None  # "cover" | "contain" ("show the whole photo")
    strength_abs: float | None = None  # "subtle" / "strong" as adjectives
    strength_step: int = 0  # +1 stronger, -1 subtler
    strength_set: float | None = None  # "strength 70%"
    speed_factor: float | None = None
    speed_set: float | None = None
    loops: int | None = None
    loop_mention: bool = False
    duration_ms: int | None = None
    duration_delta_ms: int | None = None
    duration_scale: float | None = None
    seg_ms: int | None = None  # "each photo 2 seconds"
    aspect: str | None = None
    transition: str | None = None  # a type, "none", or "default" (keep the current type)
    transition_ms: int | None = None
    transition_scale: float | None = None
    texts: list[TextOp] = field(default_factory=list)
    text_target: str | None = None  # "title" | "text": which text a style change is about
    text_color: str | None = None
    text_pos: str | None = None
    text_size: float | None = None  # factor
    title_without_text: bool = False
    music: str | None = None  # a mood, "default" or "upload"
    music_fade: str | None = None  # "in" | "out"
    volume_set: float | None = None
    volume_scale: float | None = None
    removes: list[str] = field(default_factory=list)  # title text alltext music effect
    remove_segments: list[int] = field(default_factory=list)
    targets: list[int] = field(default_factory=list)  # ordinal indices (-1 = last)
    magnitude: float = 1.0  # 0.5 "a bit", 2.0 "much"

    def understood(self) -> bool:
        """Whether anything at all was recognised."""
        return any(
            (
                self.undo, self.help, self.thanks, self.export, self.create, self.add_media, self.effects,
                self.strength_abs is not None, self.strength_step, self.strength_set is not None,
                self.speed_factor is not None, self.speed_set is not None, self.loops,
                self.loop_mention, self.duration_ms, self.duration_delta_ms,
                self.duration_scale, self.seg_ms, self.aspect, self.transition,
                self.transition_ms, self.transition_scale, self.texts, self.music_fade, self.text_color,
                self.text_pos, self.text_size, self.title_without_text, self.music,
                self.volume_set is not None, self.volume_scale, self.removes,
                self.remove_segments, self.hd, self.fit,
            )
        )  # fmt: skip

    def builds(self) -> bool:
        """Whether the message makes sense as the first edit (builds a timeline from uploads).

        Removing, restyling or changing the volume of something that does not exist does not.
        """
        return any(
            (
                self.create, self.add_media, self.effects, self.strength_abs is not None,
                self.strength_step, self.strength_set is not None, self.speed_factor is not None,
                self.speed_set is not None, self.loops, self.duration_ms, self.duration_delta_ms,
                self.duration_scale, self.seg_ms, self.aspect,
                self.transition not in (None, "none"), self.transition_ms, self.texts, self.music,
                self.fit,
            )
        )  # fmt: skip

    def edits(self) -> bool:
        """Whether the message asks for a change to the timeline (not just undo/help/export)."""
        return replace(
            self, undo=False, help=False, thanks=False, export=False, hd=False
        ).understood()


class _Text:
    """The message being parsed; matched spans are blanked so later steps skip them."""

    def __init__(self, s: str) -> None:
        self.s = s
        self.orig = s  # before anything was consumed

    def find(self, pattern: str) -> re.Match[str] | None:
        return re.search(pattern, self.s)

    def take(self, pattern: str) -> re.Match[str] | None:
        """Find ``pattern`` and blank out the match."""
        m = re.search(pattern, self.s)
        if m:
            self.s = self.s[: m.start()] + " " * (m.end() - m.start()) + self.s[m.end() :]
        return m

    def take_all(self, pattern: str) -> list[re.Match[str]]:
        found = []
        while (m := self.take(pattern)) is not None and m.end() > m.start():
            found.append(m)
        return found


# --- normalisation ----------------------------------------------------------------------------

_QUOTE_RE = re.compile(
    r"\"([^\"]+)\"|“([^”]+)”|「([^」]+)」|『([^』]+)』|‘([^’]+)’|«([^»]+)»"
    r"|(?<![\w])'([^']+)'(?![\w])"
)
_Q = "qtok"  # placeholder word for a quoted string: qtok0, qtok1, …


def _extract_quotes(raw: str) -> tuple[str, list[str]]:
    """Replace quoted strings by placeholders (so their words trigger nothing)."""
    quotes: list[str] = []

    def repl(m: re.Match[str]) -> str:
        quotes.append(next(g for g in m.groups() if g is not None).strip())
        return f" {_Q}{len(quotes) - 1} "

    return _QUOTE_RE.sub(repl, raw), quotes


def _unquoted_text(s: str, quotes: list[str]) -> str:
    """Turn unquoted text requests ("a title saying Hello", "X as text overlay") into quotes."""

    def repl(m: re.Match[str]) -> str:
        quotes.append(m.group("txt").strip())
        return f"{m.group('pre')} {_Q}{len(quotes) - 1} "

    saying = re.compile(
        r"(?P<pre>\b(?:title|text|caption|subtitle|heading)(?:\s+(?:saying|that says|which says"
        r"|reading|that reads|with the words)|\s*:))\s*(?P<txt>[^,.!?;]+?)"
        r"(?=\s+(?:at|on|in|to)\s+the\s+(?:top|bottom|center|centre|middle)\b|\s+in\s+[a-z]+\s*$"
        r"|[,.!?;]|\s+and\s+|\s*$)",
        re.IGNORECASE,
    )
    s = saying.sub(repl, s, count=1)
    if not quotes:
        as_text = re.compile(
            r"(?P<pre>\badd)\s+(?:a\s+|an\s+|the\s+)?(?P<txt>[\w][\w' -]*?)"
            r"(?=\s+as\s+(?:a\s+|an\s+)?(?:text overlay|text|caption|title|overlay)\b)",
            re.IGNORECASE,
        )
        s = as_text.sub(repl, s, count=1)
    return s


def _cn_number(s: str) -> int:
    """Chinese numeral up to 99 ("十五" -> 15, "二十" -> 20, "两" -> 2)."""
    if "十" in s:
        tens, _, ones = s.partition("十")
        return (_CN_DIGITS.get(tens, 1) if tens else 1) * 10 + (
            _CN_DIGITS.get(ones, 0) if ones else 0
        )
    return _CN_DIGITS.get(s, 0)


def _normalize(s: str) -> str:
    s = s.replace("’", "'").replace("‘", "'").replace("：", ":").replace("，", ",")
    s = s.replace("。", ".").replace("！", "!").replace("？", "?").replace("％", "%")
    s = re.sub(r"\s+", " ", s.lower()).strip()
    s = re.sub(r"\btwice\b", "2 times", s)
    s = re.sub(r"\bthrice\b", "3 times", s)
    s = re.sub(r"\bhalf a minute\b", "30 seconds", s)
    s = re.sub(r"\ba minute\b", "60 seconds", s)
    words = "|".join(sorted(_NUM_WORDS, key=len, reverse=True))
    # Number words only before a unit ("ten seconds"), so "the last one" stays a phrase.
    s = re.sub(
        rf"\b(twenty|thirty|forty|fifty)[\s-](one|two|three|four|five|six|seven|eight|nine)\b"
        rf"(?=[\s-]*{_UNITS})",
        lambda m: str(_NUM_WORDS[m.group(1)] + _NUM_WORDS[m.group(2)]),
        s,
    )
    s = re.sub(rf"\b({words})\b(?=[\s-]*{_UNITS}\b)", lambda m: str(_NUM_WORDS[m.group(1)]), s)
    s = re.sub(
        r"([零一二两三四五六七八九十]+)(?=\s*(?:秒|次|遍|分钟|%|张|个))",
        lambda m: str(_cn_number(m.group(1))),
        s,
    )
    return s


def _num(x: str) -> float:
    return float(x)


# --- the steps --------------------------------------------------------------------------------


def parse(message: str) -> Plan:
    """Read one user message into a :class:`Plan`. Pure; never raises on odd input."""
    s, quotes = _extract_quotes(message or "")
    p = Plan(zh=bool(re.search(r"[\u4e00-\u9fff]", s)))  # quoted CJK text alone is not Chinese
    s = _unquoted_text(s, quotes)
    t = _Text(_normalize(s))
    if t.find(
        r"\bundo\b|\bgo back\b|\brevert\b|\btake (?:that|it) back\b|\bprevious version\b"
        r"|撤销|撤回|返回上一步|上一步"
    ):
        p.undo = True
        return p
    if re.fullmatch(r"\W*(?:help|what can you do|how does (?:this|it) work|帮助)\W*", t.s):
        p.help = True
        return p
    if re.fullmatch(
        r"\W*(?:thanks?(?: you)?|thx|great|cool|nice|awesome|perfect|ok(?:ay)?|love it|谢谢|好的|不错|太棒了)"
        r"(?:\W+(?:thanks?(?: you)?|great|cool|nice|awesome|perfect|ok(?:ay)?|love it))*\W*",
        t.s,
    ):
        p.thanks = True
        return p
    if t.find(_SMALL):
        p.magnitude = 0.5
    elif t.find(_LARGE):
        p.magnitude = 2.0
    _parse_export(t, p)
    _parse_transitions(t, p)
    _parse_volume(t, p)
    _parse_removes(t, p)
    _parse_text(t, p, quotes)
    _parse_music(t, p)
    _parse_aspect(t, p)
    _parse_fit(t, p)
    _parse_speed(t, p)
    _parse_loops(t, p)
    _parse_duration(t, p)
    _parse_targets(t, p)
    _parse_effects(t, p)
    _parse_create(t, p)
    return p


def _parse_export(t: _Text, p: Plan) -> None:
    if t.take(r"\b1080p?\b|\bfull hd\b|\bhd\b|高清"):
        p.hd = True
    if t.take(r"\bexport\w*\b|\bdownload\w*\b|导出|下载|\bsend me the video\b"):
        p.export = True


_TR_TYPES: list[tuple[str, str]] = [
    (r"cross[- ]?fades?|dissolves?|fades?|淡入淡出|溶解|渐变", "crossfade"),
    (r"slides?|sliding|push|滑动|推移", "slide"),
    (r"wipes?|擦除", "wipe"),
    (r"zoom(?:s|ing)?|缩放", "zoom"),
]
_TR_W = r"(?:\btransitions?\b|转场|过渡|切换)"


def _tr_type(word: str) -> str:
    return next(ty for pat, ty in _TR_TYPES if re.fullmatch(pat, word))


def _parse_transitions(t: _Text, p: Plan) -> None:
    types = "|".join(pat for pat, _ in _TR_TYPES)
    if t.take(
        r"\b(?:remove|delete|drop|no|without|get rid of|turn off|disable|clear|skip)\s+"
        r"(?:the |all |any |those |these )?(?:\w+ )?transitions?\b|\bhard cuts?\b"
        r"|(?:去掉|删除|删掉|不要|取消|移除|关闭)\s*(?:所有)?(?:转场|过渡)|无转场|没有转场"
    ):
        p.transition = "none"
    m = t.take(
        rf"(\d+(?:\.\d+)?)\s*-?\s*(ms|milliseconds?|seconds?|secs?|s)\b\s+(?:long\s+)?"
        rf"(?:(?:{types})\s+)?{_TR_W}"
        rf"|{_TR_W}\s+(?:of|to|at|lasting|last|for)?\s*(\d+(?:\.\d+)?)\s*(ms|milliseconds?|seconds?|secs?|s|秒)"
    )
    if m:
        val, unit = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
        p.transition_ms = round(_num(val) * (1 if unit.startswith("m") else 1000))
    m = t.take(
        rf"{_TR_W}\s+(?:\w+\s+){{0,2}}?(longer|shorter|slower|faster|quicker)\b"
        rf"|\b(longer|shorter|slower|faster|quicker)\s+{_TR_W}"
        rf"|(?:转场|过渡)\S{{0,3}}?(长|短|慢|快)"
    )
    if m:
        word = m.group(1) or m.group(2) or m.group(3)
        grow = word in ("longer", "slower", "长", "慢")
        step = 1.25 if p.magnitude < 1 else (2.0 if p.magnitude > 1 else 1.5)
        p.transition_scale = step if grow else 1 / step
    m = t.take(
        rf"\b({types})\s+{_TR_W}|{_TR_W}\s+(?:to |with |into |as |type |style )?(?:a |an )?"
        rf"({types})\b|({types})\s*(?:转场|过渡)|\b(cross[- ]?fade[sd]?|dissolves?)\b"
        rf"|\b(wipes?)\b|(淡入淡出)"
    )
    if m:
        word = next(g for g in m.groups() if g)
        p.transition = _tr_type(re.sub(r"(?<=fade)[sd]$", "", word))
    if not p.transition and t.take(_TR_W):  # "with transitions", "加转场"
        p.transition = "default"


def _parse_volume(t: _Text, p: Plan) -> None:
    vol_w = r"(?:music|volume|bgm|audio|sound|song|track)"
    m = t.take(
        rf"\b{vol_w}\b[^\d]{{0,25}}?(\d+(?:\.\d+)?)\s*(?:%|percent)"
        rf"|(\d+(?:\.\d+)?)\s*(?:%|percent)\s*(?:\w+\s+)?{vol_w}"
        rf"|\bvolume\s+(?:to\s+|at\s+|of\s+)?(0?\.\d+|1\.0|0|1)\b"
        # Chinese names the music before the volume ("音乐音量 20%", "背景音乐 30%"): take the
        # music word too, or the music step would read it as "add (default) music".
        r"|(?:(?:背景音乐|音乐|配乐)\s*的?\s*)?音量\D{0,6}?(\d+(?:\.\d+)?)\s*%?"
        r"|(?:背景音乐|音乐|配乐)\D{0,4}?(\d+(?:\.\d+)?)\s*%"
    )
    if m:
        v = _num(next(g for g in m.groups() if g))
        # "volume 0.3" is a fraction; "music 20%", "音量20" are percentages.
        percent = m.group(3) is None and (v > 1 or "%" in m.group(0) or "percent" in m.group(0))
        p.volume_set = v / 100 if percent else v
        return
    if t.take(r"\bunmute\b|取消静音"):
        p.volume_set = 0.35
        return
    if t.take(rf"\bmute\b(?:\s+(?:the\s+)?{vol_w})?|\bsilence the\s+{vol_w}|静音"):
        p.volume_set = 0.0
        return
    down = 0.85 if p.magnitude < 1 else (0.5 if p.magnitude > 1 else 0.7)
    if t.take(
        rf"\b(?:lower|turn down|reduce|decrease|quieter|softer)\s+(?:the\s+)?(?:\w+\s+)?{vol_w}\b"
        rf"|\b{vol_w}\s+(?:\w+\s+){{0,3}}?(?:lower|down|quieter|softer)\b|\bquieter\b"
        r"|(?:背景音乐|音乐|音量|配乐)\S{0,3}?(?:调低|调小|小一点|小声|低一点|降低|小些)|小声一点|小声点"
        r"|调低音量|降低音量|音量小|音量低"
    ):
        p.volume_scale = down
        return
    if t.take(
        rf"\b(?:raise|turn up|increase|louder|boost)\s+(?:the\s+)?(?:\w+\s+)?{vol_w}\b"
        rf"|\b{vol_w}\s+(?:\w+\s+){{0,3}}?(?:louder|up|higher)\b|\blouder\b"
        r"|(?:背景音乐|音乐|音量|配乐)\S{0,3}?(?:调高|调大|大一点|大声|高一点|提高|大些)|调高音量"
        r"|大声|音量大|提高音量|音量高"
    ):
        p.volume_scale = 1 / down


_RM_VERB = (
    r"(?:\b(?:remove|delete|drop|get rid of|take (?:out|off|away)|clear|erase|cut|ditch|lose"
    r"|turn off|switch off|disable|no|without|stop|kill|(?:don't|do not) (?:want|need|like))\b)"
)
_RM_ZH = r"(?:删除|删掉|去掉|去除|移除|不要|取消|关掉|关闭|拿掉)"
_DET = r"(?:\s+(?:the|that|this|my|all|any|those|these|background|of the|its))*"


def _parse_removes(t: _Text, p: Plan) -> None:
    if t.take(rf"{_RM_VERB}{_DET}\s+(?:titles?|headings?|headlines?)\b|{_RM_ZH}\s*(?:标题|题目)"):
        p.removes.append("title")
    m = t.take(
        rf"{_RM_VERB}{_DET}\s+(?:texts?|captions?|subtitles?|overlays?|text overlays?|words)\b"
        rf"|{_RM_ZH}\s*(?:所有)?(?:文字|字幕|文本)"
    )
    if m:
        p.removes.append("alltext" if re.search(r"\ball\b|所有", m.group(0)) else "text")
    if t.take(
        rf"{_RM_VERB}{_DET}\s+(?:music|bgm|songs?|soundtracks?|audio|sound|tunes?)\b"
        rf"|{_RM_ZH}\s*(?:背景音乐|音乐|配乐|歌曲)"
    ):
        p.removes.append("music")
    m = t.take(
        rf"{_RM_VERB}{_DET}\s+(?:the\s+)?({_ORD_RE})\s+{_CLIP_W}\b"
        rf"|{_RM_VERB}{_DET}\s+(?:image|photo|picture|slide|clip|segment)\s*(?:#|no\.?|number)?\s*(\d+)\b"
        rf"|{_RM_ZH}\s*第\s*(\d+)\s*(?:张|个|段|幅)|{_RM_ZH}\s*(最后一)(?:张|个|段|幅)"
    )
    if m:
        if m.group(1):
            p.remove_segments.append(_ORDINALS[m.group(1)])
        elif m.group(2) or m.group(3):
            p.remove_segments.append(int(m.group(2) or m.group(3)) - 1)
        else:
            p.remove_segments.append(-1)
    m = t.take(
        rf"{_RM_VERB}{_DET}\s+(?:effects?|motion|animation|movement|moving|jiggl\w*|bounc\w*"
        r"|sway\w*|puls\w*|zoom\w*|ken burns)\b|\b(?:make|keep|leave)\s+(?:it|this|them)\s+"
        rf"(?:static|still)\b|{_RM_ZH}\s*(?:效果|特效|动效|动画|抖动|弹跳)|静止"
    )
    if m:
        p.removes.append("effect")
        p.remove_effects = _effect_kinds(m.group(0))  # "remove the bounce": that one only


def _parse_text(t: _Text, p: Plan, quotes: list[str]) -> None:
    has_title = bool(t.find(_TITLE_W))
    has_text = bool(t.find(_TEXT_W))
    change = bool(
        t.find(
            r"\b(?:change|rename|replace|edit|update|set|make|fix|should say|to say|instead)\b"
            r"|修改|改成|改为|换成|改一下"
        )
    )
    for i, q in enumerate(quotes):
        m = t.find(rf"\b{_Q}{i}\b")
        if m is None or not q:
            continue
        before, after = t.s[max(0, m.start() - 60) : m.start()], t.s[m.end() : m.end() + 30]
        kinds = [
            (x.start(), "title" if re.fullmatch(_TITLE_W, x.group(0)) else "text")
            for x in re.finditer(f"{_TITLE_W}|{_TEXT_W}", before)
        ]
        if kinds:
            kind = kinds[-1][1]
        elif (x := re.search(f"{_TITLE_W}|{_TEXT_W}", after)) is not None:
            kind = "title" if re.fullmatch(_TITLE_W, x.group(0)) else "text"
        else:
            kind = "text"
        p.texts.append(TextOp(kind, q, change))
        t.take(rf"\b{_Q}{i}\b")
    if has_title or has_text:
        p.text_target = "title" if has_title and not has_text else "text"
        if has_title and has_text:
            title_at, text_at = t.find(_TITLE_W), t.find(_TEXT_W)
            first = title_at and text_at and title_at.start() < text_at.start()
            p.text_target = "title" if first else "text"
    text_ctx = bool(p.texts) or has_title or has_text
    if not text_ctx:
        return
    m = t.take(rf"#([0-9a-f]{{6}})\b|(?<![a-z])({_COLOR_RE})(?![a-z])")
    if m:
        p.text_color = "#" + m.group(1) if m.group(1) else _COLORS[m.group(2)]
    m = t.take(
        r"\b(?:at|to|on|in|near|along)\s+(?:the\s+)?(top|bottom|center|centre|middle)\b"
        r"|\b(top|bottom|center|centre|middle)\s+of\b|\b(top|bottom|centered|centred)\b"
        r"|(顶部|上方|上面|顶端|底部|下方|下面|底端|中间|居中|中央|正中)"
    )
    if m:
        word = next(g for g in m.groups() if g)
        p.text_pos = {
            "顶部": "top", "上方": "top", "上面": "top", "顶端": "top", "底部": "bottom",
            "下方": "bottom", "下面": "bottom", "底端": "bottom", "centre": "center",
            "middle": "center", "centered": "center", "centred": "center",
        }.get(word, word)  # fmt: skip
        if word in ("中间", "居中", "中央", "正中"):
            p.text_pos = "center"
    grow_w, shrink_w = r"bigger|larger|big|large|huge", r"smaller|small|tiny"
    m = t.take(
        rf"(?:{_TITLE_W}|{_TEXT_W})\s+(?:\w+\s+){{0,3}}?({grow_w}|{shrink_w})\b"
        rf"|\b({grow_w}|{shrink_w})\s+(?:{_TITLE_W}|{_TEXT_W}|\bletters\b)"
        r"|(?:字|标题|字幕|文字)\S{0,3}?(大一点|大些|放大|变大|小一点|小些|缩小|变小)"
    )
    if m:
        word = next(g for g in m.groups() if g)
        step = 1.15 if p.magnitude < 1 else (1.6 if p.magnitude > 1 else 1.3)
        p.text_size = step if re.match(r"big|larg|huge|大|放", word) else 1 / step
    if not any(op.kind == "title" for op in p.texts) and t.find(
        r"\badd\s+(?:a\s+|an\s+)?title\b|加(?:一个|个)?标题|添加标题"
    ):
        p.title_without_text = True
    if p.texts or p.title_without_text or p.text_color or p.text_pos or p.text_size:
        t.take_all(f"{_TITLE_W}|{_TEXT_W}")


def _parse_music(t: _Text, p: Plan) -> None:
    m = t.take(
        rf"\bfade (in|out)\s+(?:the\s+)?{_MUSIC_W}|{_MUSIC_W}\s+(?:to\s+)?fade (in|out)\b"
        r"|(?:音乐|背景音乐)\S{0,2}(淡入|淡出)"
    )
    if m:
        p.music_fade = "in" if (m.group(1) or m.group(2) or m.group(3)) in ("in", "淡入") else "out"
        return
    if t.take(
        r"\b(?:my|uploaded|the uploaded|i uploaded|i sent|i added)\b[^.]{0,25}?"
        rf"(?:{_MUSIC_W}|\bmp3\b|\btrack\b)|(?:{_MUSIC_W}|\btrack\b)[^.]{{0,10}}?\b(?:i|we)\s+"
        r"(?:uploaded|sent|added|gave)\b|我上传的(?:音乐|歌|歌曲|音频)|我的(?:音乐|歌|歌曲)"
    ):
        p.music = "upload"
        return
    moods = "|".join(_MOOD_WORDS)
    if not t.find(_MUSIC_W):
        # "with calm music at 50%": the volume step took the music word, the mood still asks.
        m = re.search(rf"\b({moods})\s+(?:background\s+)?{_MUSIC_W}", t.orig)
        if m:
            p.music = next(v for k, v in _MOOD_WORDS.items() if re.fullmatch(k, m.group(1)))
            t.take(rf"\b{m.group(1)}\b")
        return
    m = t.take(rf"\b({moods})\b") or t.take("|".join(_MOOD_ZH))
    if m:
        word = m.group(0)
        p.music = _MOOD_ZH.get(word) or next(
            v for k, v in _MOOD_WORDS.items() if re.fullmatch(k, word)
        )
    else:
        p.music = "default"
    t.take_all(_MUSIC_W)


def _parse_aspect(t: _Text, p: Plan) -> None:
    # Order matters: "YouTube Shorts" is vertical, plain "YouTube" is landscape.
    rules = [
        (r"\b9\s*[:x/]\s*16\b|\bvertical\b|\bportrait (?:mode|format|orientation|video)\b"
         r"|(?<!or )\bportrait\b(?! or )(?!\s+(?:photo|image|picture|pic|shot|selfie|still)s?\b)|\b(?:tik ?tok|reels?|shorts|stories|story|douyin|snapchat)\b"
         r"|抖音|竖屏|竖版|竖向", "9:16"),
        (r"\b16\s*[:x/]\s*9\b|\bwide ?screen\b|\bhorizontal\b|\blandscape (?:mode|format|orientation|video)\b"
         r"|(?<!or )\blandscape\b(?! or )(?!\s+(?:photo|image|picture|pic|shot|still)s?\b)|\byou ?tube\b|横屏|横版|横向|宽屏", "16:9"),
        (r"\b1\s*[:x/]\s*1\b|\bsquare\b|\binstagram (?:feed|post)s?\b|方形|正方形|方屏", "1:1"),
    ]  # fmt: skip
    for pat, aspect in rules:
        if t.take(pat):
            p.aspect = aspect
            return


def _parse_speed(t: _Text, p: Plan) -> None:
    big = 1.1 if p.magnitude < 1 else (1.6 if p.magnitude > 1 else 1.25)
    m = t.take(r"(\d+(?:\.\d+)?)\s*(?:x|times)\s+(faster|slower|as fast|quicker)\b")
    if m:
        f = _num(m.group(1))
        p.speed_factor = 1 / f if m.group(2) == "slower" else f
        return
    m = t.take(
        r"\bspeed\s*(?:to|at|of)?\s*(\d+(?:\.\d+)?)\s*x\b|\b(\d+(?:\.\d+)?)\s*x\s+speed\b|速度\D{0,3}(\d+(?:\.\d+)?)"
    )
    if m:
        p.speed_set = _num(next(g for g in m.groups() if g))
        return
    if t.take(r"\bdouble (?:the )?speed\b|\btwice as fast\b"):
        p.speed_factor = 2.0
    elif t.take(r"\bhalf (?:the )?speed\b|\bhalf as fast\b|\btwice as slow\b"):
        p.speed_factor = 0.5
    elif t.take(
        r"\b(?:faster|quicker|speed (?:it |this |them )?up|more quickly|speedier|snappier|quick|quickly)\b"
        r"|更快|快一点|快点|加快|加速|快些"
    ):
        p.speed_factor = big
    elif t.take(
        r"\b(?:slower|slow (?:it |this |them )?down|more slowly|less fast|slow[- ]motion|slow|slowly)\b"
        r"|更慢|慢一点|慢点|放慢|减速|慢些"
    ):
        p.speed_factor = 1 / big


def _parse_loops(t: _Text, p: Plan) -> None:
    m = t.take(
        r"\b(?:loop|repeat|play)(?:s|ed|ing)?\b(?:\s+(?:it|this|that|them|the video|the animation"
        r"|the motion|the clip))?\s+(\d+)\s*(?:times|x)\b|\b(\d+)\s*loops?\b|\b(\d+)\s*times\b"
        r"|循环\s*(\d+)\s*(?:次|遍)|(\d+)\s*(?:次|遍)\s*循环?"
    )
    if m:
        p.loops = int(next(g for g in m.groups() if g))
        return
    if t.take(r"\bloop(?:s|ed|ing|able)?\b|\bseamless\w*|循环"):
        p.loop_mention = True


def _parse_duration(t: _Text, p: Plan) -> None:
    sec = r"(?:seconds?|secs?|s|秒)"
    m = t.take(
        rf"\b(?:each|every|per)\s+{_CLIP_W}\b\D{{0,20}}?(\d+(?:\.\d+)?)\s*-?\s*{sec}"
        rf"|(\d+(?:\.\d+)?)\s*-?\s*{sec}\s+(?:each|per\s+{_CLIP_W}|for each\s+{_CLIP_W}|apiece)\b"
        r"|每张\D{0,4}?(\d+(?:\.\d+)?)\s*秒"
    )
    if m:
        p.seg_ms = round(_num(next(g for g in m.groups() if g)) * 1000)
    m = t.take(
        rf"(\d+(?:\.\d+)?)\s*-?\s*{sec}\s+(longer|shorter)\b"
        rf"|\b(add|remove|cut|trim|take off)\s+(?:another\s+)?(\d+(?:\.\d+)?)\s*(?:more\s+)?{sec}"
    )
    if m:
        delta = round(_num(m.group(1) or m.group(4)) * 1000)
        grow = (m.group(2) or m.group(3)) in ("longer", "add")
        p.duration_delta_ms = delta if grow else -delta
    m = t.take(
        r"\bhalf (?:as long|the (?:length|duration))\b|\b(?:double|2 times) (?:the )?(?:length|duration)"
        r"\b|\b2 times (?:as long|longer)\b"
    )
    if m:
        p.duration_scale = 0.5 if m.group(0).startswith("half") else 2.0
    m = t.take(
        r"(\d+(?:\.\d+)?)\s*-?\s*(milliseconds?|ms|seconds?|secs?|s|minutes?|mins?)\b"
        r"|(\d+(?:\.\d+)?)\s*(秒|分钟)"
    )
    if m:
        val, unit = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
        scale = (
            1 if unit.startswith("m") and unit not in ("minute", "minutes", "min", "mins") else 1000
        )
        if unit in ("minute", "minutes", "min", "mins", "分钟"):
            scale = 60000
        p.duration_ms = round(_num(val) * scale)
        return
    step = {0.5: 0.1, 1.0: 0.25, 2.0: 0.5}[p.magnitude]
    if t.take(r"\b(?:shorter|shorten|trim it|cut it down|less long)\b|短一点|缩短|更短|短些"):
        p.duration_scale = 1 - step
    elif t.take(r"\b(?:longer|lengthen|extend|stretch it)\b|长一点|延长|更长|长些"):
        p.duration_scale = 1 + step


def _parse_targets(t: _Text, p: Plan) -> None:
    if t.find(rf"\b{_CLIP_W}\b|张|个|段|幅"):
        for m in re.finditer(rf"\b({_ORD_RE})\b", t.s):
            p.targets.append(_ORDINALS[m.group(1)])
    for m in re.finditer(
        r"\b(?:image|photo|picture|pic|slide|clip|segment)\s*(?:#|no\.?|number)?\s*(\d+)\b", t.s
    ):
        p.targets.append(int(m.group(1)) - 1)
    for m in re.finditer(r"第\s*(\d+)\s*(?:张|个|段|幅)|(最后一)(?:张|个|段|幅)", t.s):
        p.targets.append(int(m.group(1)) - 1 if m.group(1) else -1)
    if p.targets:
        t.take_all(rf"\b{_ORD_RE}\s+(?:and\s+{_ORD_RE}\s+)?{_CLIP_W}\b|第\s*\d+\s*(?:张|个|段|幅)")
    p.targets = list(dict.fromkeys(p.targets))


def _parse_effects(t: _Text, p: Plan) -> None:
    # Strength first: in "less bounce" the effect word says what to tone down, not a new effect.
    eff_w = (
        r"(?:jiggl\w*|bounc\w*|motion|movement|sway\w*|puls\w*|zoom|effects?|wobbl\w*|action"
        r"|animation|shak\w*)"
    )
    m = t.take(
        r"\b(?:strength|intensity|amount|amplitude)\s*(?:to|at|of)?\s*(\d+(?:\.\d+)?)\s*(%|percent)?"
        r"|强度\D{0,3}?(\d+(?:\.\d+)?)\s*(%)?"
    )
    if m:
        v = _num(m.group(1) or m.group(3))
        p.strength_set = v / 100 if (m.group(2) or m.group(4) or v > 1) else v
    if m := t.take(
        r"\b(?:stronger|more intense|intenser|more dramatic|more extreme|more exaggerated|bigger"
        r"|larger|wilder|crazier|more pronounced|more noticeable|more obvious|more visible"
        r"|intensify|amplify|exaggerate|boost|increase (?:the )?(?:strength|intensity|effect|motion"
        rf"|amount)|more {eff_w}|{eff_w} more|more(?=\s*(?:please)?\W*$))\b|更强|加强|增强|大一点|更明显|夸张|幅度大|更大"
    ):
        p.strength_step = 1
    elif m := t.take(
        r"\b(?:subtler|more subtle|less intense|less dramatic|gentler|more gentle|softer|weaker"
        r"|smaller|calmer|tone(?:d)? (?:it |this )?down|dial (?:it )?back|reduce (?:the )?"
        rf"(?:strength|intensity|effect|motion|amount)|less {eff_w}|{eff_w} less|less(?=\s*(?:please)?\W*$)"
        r"|not so (?:much|strong|intense)|too (?:much|strong|intense|shaky|fast|big)|smoother)\b"
        r"|减弱|弱一点|小一点|轻一点|幅度小|更轻|更柔和"
    ):
        p.strength_step = -1
    if m:  # "less bounce", "more jiggle": the effect named is the one to tune
        p.tweak_effects += _effect_kinds(m.group(0))
    # "also bounce", "add a bounce": another effect on top of the ones there are
    if t.find(
        rf"\b(?:also|add(?:ing)?|plus|with)\s+(?:a\s+|an\s+|some\s+)?(?:little\s+)?(?:{_ANY_EFFECT})"
        rf"|(?:{_ANY_EFFECT})\w*\s+(?:too|as well)\b|再加|加上|也要"
    ):
        p.add_effect = True
    # "instead of bounce", "change bounce to jiggle": the effect being replaced is not wanted.
    t.take_all(
        rf"\b(?:instead of|rather than|not|no more|from|than)\s+(?:a\s+|the\s+)?(?:{_ANY_EFFECT})"
        rf"|\b(?:change|switch|swap|replace|turn)\s+(?:the\s+)?(?:{_ANY_EFFECT})(?=(?:\s+effect)?\s+(?:to|with|into|for)\b)"
    )
    found: list[tuple[int, str, str | None]] = []
    for pat, kind, direction in _EFFECT_PATTERNS:
        for m in re.finditer(pat, t.s):
            d = m.group(1) if direction == "*" else direction
            found.append((m.start(), kind, d))
        t.take_all(pat)
    tweak = p.strength_step or p.speed_factor or p.speed_set or p.strength_set is not None
    for start, kind, d in sorted(found):
        if tweak and re.search(r"\b(?:the|this|that)\s+$", t.s[:start]):
            p.tweak_effects.append(kind)
            continue  # "make the bounce softer": the effect names what to tweak, not a new one
        if (kind, d) not in p.effects:
            p.effects.append((kind, d))
    if t.take(
        r"\b(?:subtle|subtly|gentle|gently|soft|softly|slight|light|mild|delicate|calm|tiny|small)\b"
        r"|轻微|柔和|轻柔|微微"
    ):
        p.strength_abs = 0.25
    elif t.take(
        r"\b(?:strong|strongly|intense|big|extreme|extremely|dramatic|exaggerated|wild|wildly|crazy"
        r"|heavy|bold|huge)\b|强烈|剧烈|夸张"
    ):
        p.strength_abs = 0.8
    if t.take(r"\bsmooth(?:ly)?\b|平滑|流畅|顺滑"):
        p.smooth = True


def _effect_kinds(words: str) -> list[str]:
    """The effect types named in ``words`` ("less bounce" -> ["bounce"])."""
    return [kind for pat, kind, _ in _EFFECT_PATTERNS if re.search(pat, words)]


def _parse_fit(t: _Text, p: Plan) -> None:
    if t.take(
        r"\b(?:show|keep|fit|see)\s+(?:the\s+)?(?:whole|entire|full)\s+(?:\w+\s+)?(?:photo|image|picture)"
        r"\b|\b(?:don't|do not|no)\s+crop(?:ping)?\b|\bcontain\b|\bletterbox\w*|完整显示|不要裁剪"
    ):
        p.fit = "contain"
    elif t.take(r"\b(?:fill the (?:frame|screen)|crop (?:it )?to fill|cover)\b|填满|铺满"):
        p.fit = "cover"


def _parse_create(t: _Text, p: Plan) -> None:
    src = (
        r"(?:images?|photos?|pictures?|pics?|stills?|portraits?|selfies?|shots?|products?|logos?"
        r"|画面|图片|照片|图像|相片)"
    )
    out = (
        r"(?:videos?|clips?|mp4|movies?|slide ?shows?|animations?|animated|reels?|gifs?|loops?"
        r"|视频|动画|短片)"
    )
    full = t.s
    if re.search(
        rf"\b(?:animat\w*)\b|\b(?:convert\w*|turn\w*|transform\w*|make|making|create\w*|generat\w*"
        rf"|build\w*|produce|put)\b.*\b{out}\b|\b(?:convert\w*|turn\w*|generat\w*|animat\w*|transform\w*"
        rf"|use)\b.*\b{src}\b|\bslide ?shows?\b|\b(?:add|give it|with)\s+(?:some\s+)?(?:motion|movement)"
        rf"(?: effects?)?\b|\bmotion effects?\b|\bmake (?:it|them|this|these) move\b"
        r"|生成|制作|做成|转成|转换|变成|做一个|视频|动画|让.{0,6}动",
        full,
    ):
        p.create = True
    if re.search(
        r"\b(?:images|photos|pictures|pics|stills|portraits|them|these|those|all|each|every"
        r"|slide ?shows?|products|selfies|shots)\b|这些|所有|多张|几张|每张",
        full,
    ):
        p.plural = True
    elif re.search(
        r"\b(?:this|the|a|single|one|my|that)\s+(?:\w+\s+)?(?:photo|image|picture|pic|portrait"
        r"|still|selfie|shot)\b|\bit\b|这张|一张",
        full,
    ):
        p.plural = False
    # "add the new photo" (the verb right before the noun: "add crossfade between the photos" is not)
    det = r"(?:the|this|these|my|more|another|other|new|a|an|second|one more)\s+"
    add_zh = r"(?:加上|添加|加入)(?:这张|这些|新的|新)?(?:照片|图片)"
    if re.search(
        rf"\b(?:add|include|insert|append|put in)\s+(?:{det})*{_CLIP_W}\b|{add_zh}", t.orig
    ):
        p.add_media = True
