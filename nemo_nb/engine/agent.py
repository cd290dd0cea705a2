"""The embedded engine's agent: a deterministic interpreter of plain-language timeline requests.

The cloud agent is an LLM; this one reads a message (English, or the seeds' Chinese keywords),
works out what was asked (:mod:`nemo_nb.engine._agent_parse`) and applies it to the current draft
(``docs/draft-schema.md``), answering like the cloud: tool calls, the new draft, and usually a short
text that speaks of a GUI ("Preview it in the Timeline, then click Export."). Pure tweaks of an
existing timeline end silently, as the cloud's edits often do. It never invents an edit: when it
does not understand, it says so and suggests prompts that work.

>>> reply = interpret("make this photo jiggle", None, [MediaRef("m1", "http://e/media/m1/a.jpg",
...                                                              "a.jpg", "image")])
>>> reply.draft["t"][0]["sg"][0]["m"]["fx"]["type"]
'jiggle'

A turn: :func:`~nemo_nb.engine._agent_parse.parse` reads the message into a ``Plan``; if there is
no timeline yet (or the user asks to turn uploads the timeline lacks into a video) ``build`` makes
one (``create_timeline``); then one small ``_Editor`` method per kind of edit applies the plan, in a
fixed order (removals, added photos, effect, strength, speed, duration, loops, aspect,
transitions, titles/text, text style, music, volume, fades); finally ``sync`` keeps ``d`` at the
end of the last video segment and stretches audio and text that spanned the whole draft.

Pure, deterministic, no I/O: ids come from counters over the draft, never from a clock or RNG.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from nemo_nb.engine._agent_parse import Plan, TextOp, parse

__all__ = ["MediaRef", "ToolCall", "AgentReply", "interpret"]


@dataclass(frozen=True)
class MediaRef:
    """One uploaded file of the session, in upload order."""

    media_id: str
    url: str  # what goes into a segment's ``src``
    name: str  # the upload's file name (a segment's ``n``)
    kind: str  # "image" | "video" | "audio"
    width: int | None = None
    height: int | None = None
    duration_s: float | None = None


@dataclass
class ToolCall:
    """One tool the agent "called", as the cloud's would appear in the stream."""

    name: str
    args: dict[str, Any] = field(default_factory=dict)


@dataclass
class AgentReply:
    """What one turn produced.

    ``draft`` is the new draft, or ``None`` when the draft did not change; ``text`` is ``None`` for
    a silent turn; ``undo`` asks the server to restore the previous draft from its history;
    ``understood`` is ``False`` when nothing could be done (the text then says why and suggests
    prompts that work).
    """

    calls: list[ToolCall]
    draft: dict[str, Any] | None
    text: str | None
    undo: bool = False
    understood: bool = True


# --- defaults (docs/draft-schema.md) ----------------------------------------------------------

SIZES: dict[str, tuple[int, int]] = {
    "9:16": (1080, 1920),
    "16:9": (1920, 1080),
    "1:1": (1080, 1080),
}
SINGLE_MS = 6000  # one photo
#: A photo enlarged more than this to fill the frame looks soft: the reply says so.
SOFT_UPSCALE = 2.0
SLIDE_MS = 3000  # each photo of a slideshow
TRANSITION_MS = 500
TITLE_MS = 3000
DEFAULT_STRENGTH = 0.5
STRENGTH_STEP = 0.15
#: One motion cycle, ms: a segment of ``d`` ms gets ``round(d / period)`` seamless loops.
PERIOD_MS: dict[str, int] = {
    "jiggle": 3000,
    "bounce": 1500,
    "sway": 3000,
    "pulse": 1500,
    "alive": 3000,
}
MOOD_NAMES = {"lofi": "Lo-fi", "upbeat": "Upbeat", "calm": "Calm", "cinematic": "Cinematic"}
BUILTIN_VOL = 0.35
UPLOAD_VOL = 0.8
EFFECT_NAMES = {
    "jiggle": ("jiggle", "抖动"), "bounce": ("bounce", "弹跳"), "sway": ("sway", "摇摆"),
    "pulse": ("pulse", "脉动"), "alive": ("make-it-alive", "生动呼吸"),
    "kenburns": ("Ken Burns zoom", "缩放推拉"), "none": ("no motion", "无动效"),
}  # fmt: skip
TRANSITION_NAMES = {"crossfade": ("crossfade", "交叉淡化"), "slide": ("slide", "滑动"),
                    "wipe": ("wipe", "擦除"), "zoom": ("zoom", "缩放")}  # fmt: skip

#: Prompts offered when a message was not understood (they all work here).
START_PROMPTS = (
    "make this photo jiggle and bounce like a looping animated video",
    "animate this photo to make it look like it's moving",
    "turn these images into a smooth 15-second video with transitions",
)
FOLLOW_UP_PROMPTS = ("make it subtler", 'add a title "Summer Sale"', "add some upbeat music")
START_PROMPTS_ZH = ("让这张照片抖动起来", "让照片动起来", "把这些图片做成15秒的视频，加转场")
FOLLOW_UP_PROMPTS_ZH = ("轻微一点", "加标题「夏日特卖」", "加背景音乐")

_MSG: dict[str, tuple[str, str]] = {
    "created_one": ("Done! I animated {name} with a {effect} effect ({secs} s, {aspect}).",
                    "完成！已为 {name} 添加{effect}效果（{secs} 秒，{aspect}）。"),
    "created_many": ("Done! I made a {secs}-second {aspect} video from {n} photos with {effect} "
                     "and {transition} transitions.",
                     "完成！已用 {n} 张照片生成 {secs} 秒的 {aspect} 视频（{effect}，{transition}转场）。"),
    "title": ('Added the title "{txt}" at the {pos}.', "已添加标题「{txt}」。"),
    "text": ('Added the text "{txt}" at the {pos}.', "已添加文字「{txt}」。"),
    "text_literal": ('Added the text "{txt}" at the {pos} — put the exact words in quotes to '
                     "change it.", "已添加文字「{txt}」。"),
    "music": ("Added {mood} background music at {vol}%.", "已添加{mood}背景音乐（音量 {vol}%）。"),
    "music_switch": ("Switched the music to {mood}.", "已将背景音乐换成{mood}。"),
    "music_upload": ("Added your song {name} as background music at {vol}%.",
                     "已将你上传的 {name} 设为背景音乐（音量 {vol}%）。"),
    "removed": ("Removed the {what}.", "已删除{what_zh}。"),
    "removed_seg": ("Removed photo {n} ({name}).", "已删除第 {n} 张照片（{name}）。"),
    "added_media": ("Added {n} photo(s) to the end of the timeline.", "已在时间线末尾添加 {n} 张照片。"),
    "no_change": ("That's already how the timeline is — nothing to change.", "时间线已经是这样了，无需修改。"),
    "ready": ("Your timeline is ready.", "时间线已准备好。"),
    "undo": ("Undone — the previous version is back. Preview it in the Timeline.",
             "已撤销，恢复到上一个版本。可在时间线中预览。"),
    "thanks": ("Glad you like it! Preview it in the Timeline, then click Export when you're ready.",
               "不客气！可在时间线中预览，准备好后点击导出。"),
    "nothing_to_undo": ("There's nothing to undo yet.", "还没有可以撤销的操作。"),
    "export": ("To get the MP4, click Export — it renders a 1080p MP4 of the current timeline.",
               "点击导出即可生成当前时间线的 1080p MP4。"),
    "export_empty": ("There's nothing to export yet — first try {prompts}, then click Export.",
                     "还没有可导出的内容。先试试：{prompts}，然后点击导出。"),
    "no_timeline": ("There's no timeline yet — first try {prompts}.",
                    "还没有时间线。先试试：{prompts}。"),
    "no_media": ("Upload a photo first, then try: {prompts}.", "请先上传一张照片，然后试试：{prompts}。"),
    "not_understood": ("Sorry, I didn't understand that. I can animate photos (jiggle, bounce, sway, "
                       "pulse, make it alive, Ken Burns zoom), make slideshows with transitions, "
                       "and add titles and music. Try: {prompts}.",
                       "抱歉，我没听懂。我可以让照片动起来（抖动、弹跳、摇摆、缩放），制作带转场的"
                       "视频，添加标题和音乐。试试：{prompts}。"),
    "help": ("I turn photos into short motion videos: jiggle, bounce, sway, pulse, make it alive, "
             "Ken Burns zoom, slideshows with transitions, titles and music. Try: {prompts}.",
             "我可以把照片做成短视频：抖动、弹跳、摇摆、缩放、带转场的幻灯片、标题和音乐。试试：{prompts}。"),
    "no_audio": ("I don't see an uploaded song. Upload an MP3, WAV, M4A or AAC file, or try: "
                 '"add some lofi music".', "没有找到你上传的音乐。请上传 MP3/WAV/M4A/AAC，或试试：加背景音乐。"),
    "no_music": ('There is no music yet — try "add some lofi music".', "还没有背景音乐，试试：加背景音乐。"),
    "no_title_text": ('What should the title say? Put it in quotes, e.g. add a title "Summer Sale".',
                      "标题写什么？请用引号，例如：加标题「夏日特卖」。"),
    "no_text": ('There is no title or text yet — try add a title "Summer Sale".',
                "还没有标题或文字，试试：加标题「夏日特卖」。"),
    "nothing_to_remove": ("There is no {what} to remove.", "没有可删除的{what_zh}。"),
    "last_segment": ("That is the only photo in the timeline, so I kept it.", "这是时间线里唯一的照片，已保留。"),
    "bad_target": ("There are only {n} photo(s) in the timeline.", "时间线里只有 {n} 张照片。"),
    "one_clip": ("Transitions go between photos — upload more photos to see them.",
                 "转场需要至少两张照片，请再上传几张。"),
    "video_fx": ("Motion effects apply to photos; video clips play as they are.", "动效只适用于照片，视频片段保持原样。"),
    "in_timeline": ("That photo is already in the timeline.", "这张照片已经在时间线里了。"),
    "end_create": ("Preview it in the Timeline, then click Export.", "可在时间线中预览，然后点击导出。"),
    "end_title": ("Drag the title to move it, then click Export.", "拖拽标题可调整位置，然后点击导出。"),
    "end_text": ("Drag the text to move it, then click Export.", "拖拽文字可调整位置，然后点击导出。"),
    "end_create_title": ("Preview it in the Timeline, drag the title to move it, then click Export.",
                         "可在时间线中预览，拖拽标题可调整位置，然后点击导出。"),
    "end_music": ("Open the timeline to see the tracks.", "打开时间线查看轨道。"),
    "end_edit": ("Preview it in the Timeline.", "可在时间线中预览。"),
    "small_photo": ("{name} is only {w}x{h}, so it is enlarged {x}x to fill {size} and will look "
                    "soft; {better} would look sharper.",
                    "{name} 只有 {w}x{h}，需放大 {x} 倍才能填满 {size}，画面会偏模糊；{better}会更清晰。"),
    "sharper_square": ("a square (1:1) video", "改成 1:1 方形视频"),
    "sharper_contain": ('"show the whole photo" (the photo over a blurred fill of itself)',
                        "“完整显示”（照片置于模糊背景上）"),
    "fit": ("The photo now {how}.", "照片现在{how}。"),
    "fit_contain": ("shows whole, over a blurred fill of itself", "完整显示，背景为模糊填充"),
    "fit_cover": ("fills the frame", "填满画面"),
}  # fmt: skip

_REMOVE_WHAT = {
    "title": "标题",
    "text": "文字",
    "alltext": "文字",
    "music": "背景音乐",
    "effect": "动效",
}


def interpret(text: str, draft: dict[str, Any] | None, media: Sequence[MediaRef]) -> AgentReply:
    """Interpret one user message against the current draft and the session's uploads.

    ``draft`` is never modified: an edit returns a new draft (``None`` when nothing changed).
    ``media`` is in upload order; "this photo" means the most recent image.
    """
    plan = parse(text or "")
    lang = 1 if plan.zh else 0
    if plan.undo:
        if draft is None:
            return AgentReply([], None, _MSG["nothing_to_undo"][lang])
        return AgentReply([ToolCall("undo", {})], None, _MSG["undo"][lang], undo=True)
    if plan.help:
        return AgentReply([], None, _say("help", lang, prompts=_prompts(draft, lang)))
    if plan.thanks:
        return AgentReply([], None, _MSG["thanks"][lang])
    if not plan.understood():
        return _not_understood(draft, lang)
    if not plan.edits() and (plan.export or plan.hd):  # "export 1080p MP4": the Export button
        if _has_video(draft):
            return AgentReply([], None, _MSG["export"][lang])
        return AgentReply(
            [], None, _say("export_empty", lang, prompts=_prompts(None, lang)), understood=False
        )
    return _Editor(plan, draft, media, lang).run()


# --- helpers ----------------------------------------------------------------------------------


def _say(key: str, lang: int, **kw: Any) -> str:
    return _MSG[key][lang].format(**kw)


def _prompts(draft: dict[str, Any] | None, lang: int) -> str:
    if lang:
        options = FOLLOW_UP_PROMPTS_ZH if _has_video(draft) else START_PROMPTS_ZH
        return "、".join(f"“{p}”" for p in options)
    options = FOLLOW_UP_PROMPTS if _has_video(draft) else START_PROMPTS
    return ", ".join(f"“{p}”" for p in options)


def _not_understood(draft: dict[str, Any] | None, lang: int) -> AgentReply:
    return AgentReply(
        [], None, _say("not_understood", lang, prompts=_prompts(draft, lang)), understood=False
    )


def _tracks(draft: dict[str, Any] | None) -> list[dict[str, Any]]:
    t = draft.get("t") if isinstance(draft, dict) else None
    return [x for x in t if isinstance(x, dict)] if isinstance(t, list) else []


def _segs(track: dict[str, Any]) -> list[dict[str, Any]]:
    sg = track.get("sg")
    return sg if isinstance(sg, list) else []


def _m(item: dict[str, Any]) -> dict[str, Any]:
    """The ``m`` dict of a segment or draft, created (or replaced, if malformed) as needed."""
    m = item.get("m")
    if not isinstance(m, dict):
        m = item["m"] = {}
    return m


def _has_video(draft: dict[str, Any] | None) -> bool:
    return any(tr.get("tt") == 0 and _segs(tr) for tr in _tracks(draft))


def _int(x: Any, default: int = 0) -> int:
    try:
        return int(round(float(x)))
    except (TypeError, ValueError):
        return default


def _clamp(x: float, lo: float, hi: float) -> float:
    return max(lo, min(hi, x))


def _loops_for(kind: str, d: int) -> int:
    period = PERIOD_MS.get(kind)
    return max(1, round(d / period)) if period else 1


def _still_fxs(combo: Combo, strength: float, d: int) -> dict[str, Any] | list[dict[str, Any]]:
    """``m.fx`` for a photo with the effects of ``combo`` composed (an object when just one)."""
    return _fx_value([_still_fx(kind, strength, d, direction) for kind, direction in combo])


def _still_fx(kind: str, strength: float, d: int, direction: str | None = None) -> dict[str, Any]:
    """The ``m.fx`` of a still image: ``loops`` keeps the effect's natural period seamless."""
    fx: dict[str, Any] = {
        "type": kind,
        "strength": strength,
        "speed": 1.0,
        "loops": _loops_for(kind, d),
    }
    if kind == "kenburns":
        fx["dir"] = direction or "in"
    return fx


Combo = list[tuple[str, str | None]]  # the effects one photo gets, composed: (type, Ken Burns dir)


def _combos(effects: Combo, n: int) -> list[Combo]:
    """The effects of each of ``n`` photos: distinct types compose on every photo ("jiggle and
    bounce"); several Ken Burns moves ("zoom in and zoom out") take turns across the photos."""
    moves = [e for e in effects if e[0] == "kenburns"]
    out = []
    for i in range(n):
        combo: Combo = []
        for kind, direction in effects:
            if any(kind == k for k, _ in combo):
                continue
            combo.append(moves[i % len(moves)] if kind == "kenburns" else (kind, direction))
        out.append(combo or [("none", None)])
    return out


def _fx_value(items: list[dict[str, Any]]) -> dict[str, Any] | list[dict[str, Any]]:
    """``m.fx`` as the schema writes it: one effect as an object, several as a list."""
    return items[0] if len(items) == 1 else items


def _fx_items(seg: dict[str, Any]) -> list[dict[str, Any]]:
    """A segment's effect objects (the draft's own dicts, edited in place); may be empty."""
    fx = _m(seg).get("fx")
    items = fx if isinstance(fx, list) else [fx]
    return [item for item in items if isinstance(item, dict)]


def _fx_names(combo: Combo, lang: int) -> str:
    names = [EFFECT_NAMES.get(kind, ("motion", "动效"))[lang] for kind, _ in combo]
    return ("与" if lang else " and ").join(names)


def _video_segment(seg_id: str, media: MediaRef, d: int, fx: Any) -> dict[str, Any]:
    """A segment of the video track showing one upload (clips play as they are)."""
    m: dict[str, Any] = {"kind": media.kind, "fx": fx, "fit": "cover", "anchor": [0.5, 0.92]}
    if media.kind == "video":
        m.update(fx={"type": "none", "strength": 0.0, "speed": 1.0, "loops": 1}, trim_in=0)
    return {"id": seg_id, "st": 0, "d": d, "src": media.url, "n": media.name, "m": m}


def _secs(ms: int) -> str:
    s = ms / 1000
    return str(int(s)) if s == int(s) else f"{s:.1f}"


class _Editor:
    """Applies one :class:`Plan` to a copy of the draft, collecting tool calls and sentences."""

    def __init__(
        self, plan: Plan, draft: dict[str, Any] | None, media: Sequence[MediaRef], lang: int
    ) -> None:
        self.p = plan
        self.lang = lang
        self.before = draft
        self.d: dict[str, Any] = copy.deepcopy(draft) if isinstance(draft, dict) else {}
        for tr in _tracks(self.d):  # malformed segments cannot be edited or rendered: drop them
            if isinstance(tr.get("sg"), list):
                tr["sg"] = [s for s in tr["sg"] if isinstance(s, dict)]
        self.visual = [m for m in media if m.kind in ("image", "video")]
        self.audio = [m for m in media if m.kind == "audio"]
        self.calls: list[ToolCall] = []
        self.said: list[str] = []  # sentences about what was done (makes the turn non-silent)
        self.problems: list[str] = []  # what could not be done
        self.notes: list[str] = []  # advice after the edit (a photo too small for the frame)
        self.ending = "end_edit"
        self.created = False
        self.old_total = _int(self.d.get("d"))

    # -- small accessors --

    def say(self, key: str, **kw: Any) -> None:
        self.said.append(_say(key, self.lang, **kw))

    def problem(self, key: str, **kw: Any) -> None:
        msg = _say(key, self.lang, **kw)
        if msg not in self.problems:
            self.problems.append(msg)

    def video(self) -> dict[str, Any] | None:
        return next((tr for tr in _tracks(self.d) if tr.get("tt") == 0), None)

    def segs(self) -> list[dict[str, Any]]:
        v = self.video()
        return _segs(v) if v else []

    def total(self) -> int:
        return _int(self.d.get("d"))

    def next_id(self, prefix: str, *, segment: bool = False) -> str:
        """The next free id ``<prefix><n>``, counting over the whole draft (deterministic)."""
        ids = (
            [str(s.get("id", "")) for tr in _tracks(self.d) for s in _segs(tr)]
            if segment
            else [str(tr.get("id", "")) for tr in _tracks(self.d)]
        )
        nums = [int(m.group(1)) for i in ids if (m := re.fullmatch(rf"{prefix}(\d+)", i))]
        return f"{prefix}{max(nums, default=0) + 1}"

    def in_timeline(self, media: MediaRef) -> bool:
        """Whether an upload is already a video segment (by url, or by its id in the url path:
        the engine's urls carry the request's origin, which may differ between turns)."""
        part = f"/media/{media.media_id}/"
        return any(s.get("src") == media.url or part in str(s.get("src", "")) for s in self.segs())

    def targets(self) -> list[int]:
        """Indices of the video segments this message is about (default: all of them)."""
        n = len(self.segs())
        if not self.p.targets:
            return list(range(n))
        out = []
        for i in self.p.targets:
            j = n + i if i < 0 else i
            if 0 <= j < n:
                out.append(j)
            else:
                self.problem("bad_target", n=n)
        return sorted(set(out))

    def fx(self, seg: dict[str, Any]) -> list[dict[str, Any]] | None:
        """The segment's effect dicts (one, or several composed), or ``None`` for a video clip
        (effects are for stills)."""
        m = _m(seg)
        if m.get("kind") == "video":
            return None
        items = _fx_items(seg)
        if not items:
            items = [{"type": "none", "strength": DEFAULT_STRENGTH, "speed": 1.0, "loops": 1}]
            m["fx"] = items[0]
        return items

    def tuned(self, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The effects a tweak is about: those it names ("less bounce"), else all of them."""
        named = [fx for fx in items if fx.get("type") in self.p.tweak_effects]
        return named or items

    # -- the turn --

    def run(self) -> AgentReply:
        p = self.p
        if not _has_video(self.d):
            if not self.visual:
                return self._fail("no_media")
            if not p.builds():  # "remove the title" with no timeline: nothing to do
                return self._fail("no_timeline")
            self.build(self._choose_media())
        elif self._wants_rebuild():
            self.build(self._choose_media())
        for step in (
            self.remove, self.add_media, self.set_effects, self.set_strength, self.set_speed,
            self.set_duration, self.set_loops, self.set_aspect, self.set_fit, self.set_transitions,
            self.set_texts, self.style_texts, self.set_music, self.set_volume, self.set_fade,
        ):  # fmt: skip
            step()
        self.sync()
        return self.reply()

    def _fail(self, key: str) -> AgentReply:
        prompts = _prompts(None, self.lang)
        return AgentReply([], None, _say(key, self.lang, prompts=prompts), understood=False)

    def _wants_rebuild(self) -> bool:
        """ "Turn these images into…" / "animate this photo" with uploads the timeline lacks."""
        if not self.p.create or not self.visual:
            return False
        if self.p.plural:
            return any(not self.in_timeline(m) for m in self.visual)
        return self.p.plural is False and not self.in_timeline(self.visual[-1])

    def _choose_media(self) -> list[MediaRef]:
        if not self.visual:
            return []
        if self.p.plural is False or (self.p.plural is None and not self.p.create):
            return [self.visual[-1]] if self.p.plural is False else list(self.visual)
        return list(self.visual)

    # -- building --

    def build(self, chosen: list[MediaRef]) -> None:
        """First timeline (or a rebuild of the video track) from the chosen uploads."""
        p = self.p
        many = len(chosen) > 1
        effects: Combo = [e for e in p.effects if e[0] != "none"]
        if not effects:
            if "effect" in p.removes:
                effects = [("none", None)]
            elif many or p.smooth:
                effects = [("kenburns", None)]
            else:
                effects = [("alive", None)]
        strength = p.strength_abs if p.strength_abs is not None else DEFAULT_STRENGTH
        if p.strength_set is not None:
            strength = p.strength_set
        strength = round(
            _clamp(strength + p.strength_step * STRENGTH_STEP * p.magnitude, 0.05, 1.0), 2
        )
        seg_ms = p.seg_ms or (SLIDE_MS if many else SINGLE_MS)
        aspect = p.aspect or str(_m(self.d).get("aspect") or "9:16")
        if aspect not in SIZES:
            aspect = "9:16"
        video = self.video()
        if video is None:
            video = {"id": self.next_id("v"), "tt": 0, "n": "Video", "sg": []}
            self.d.setdefault("t", [])
            if not isinstance(self.d["t"], list):
                self.d["t"] = []
            self.d["t"].insert(0, video)
        if not video.get("id"):
            video["id"] = self.next_id("v")
        video.setdefault("n", "Video")
        video["sg"] = []
        combos = _combos(effects, len(chosen))
        for i, media in enumerate(chosen):
            combo = [
                # a slideshow alternates its zooms
                (kind, ("in" if i % 2 == 0 else "out") if kind == "kenburns" and not d else d)
                for kind, d in combos[i]
            ]
            d = seg_ms
            if media.kind == "video" and media.duration_s and not many:
                d = _int(_clamp(media.duration_s * 1000, 1000, 60000))
            seg_id = self.next_id("s", segment=True)
            seg = _video_segment(seg_id, media, d, _still_fxs(combo, strength, d))
            if p.fit and media.kind == "image":
                seg["m"]["fit"] = p.fit
            if i > 0:
                seg["m"]["tr"] = {"type": "crossfade", "d": TRANSITION_MS}
            video["sg"].append(seg)
        w, h = SIZES[aspect]
        meta: dict[str, Any] = self.d["m"] if isinstance(self.d.get("m"), dict) else {}
        default_title = "Slideshow" if many else _fx_names(combos[0], 0).capitalize()
        title = meta.get("title") or default_title
        self.d["m"] = {**meta, "title": title, "width": w, "height": h, "fps": 30, "aspect": aspect}
        self.relayout()
        self.created = True
        args: dict[str, Any] = {"media": [m.media_id for m in chosen], "effect": effects[0][0]}
        if len(combos[0]) > 1:
            args["effects"] = [kind for kind, _ in combos[0]]
        args["aspect"] = aspect
        self.calls.append(ToolCall("create_timeline", args))  # duration_ms added in reply()
        self.note_small_photos(chosen, (w, h))

    def note_small_photos(self, chosen: list[MediaRef], size: tuple[int, int]) -> None:
        """One sentence when a photo must be enlarged a lot to fill the frame (it looks soft)."""
        w, h = size
        sizes = [
            (m.name, m.width, m.height)
            for m in chosen
            if m.kind == "image" and m.width and m.height
        ]
        if not sizes:
            return
        name, pw, ph = max(sizes, key=lambda s: max(w / s[1], h / s[2]))
        enlarged = max(w / pw, h / ph)
        if enlarged < SOFT_UPSCALE:
            return
        # which is sharper: a square frame, or the whole photo inside this one (contain)
        square, contain = max(1080 / pw, 1080 / ph), min(w / pw, h / ph)
        better = (
            "sharper_contain" if contain <= square or (w, h) == SIZES["1:1"] else "sharper_square"
        )
        self.notes.append(
            _say("small_photo", self.lang, name=name, w=pw, h=ph, x=f"{enlarged:.1f}",
                 size=f"{w}x{h}", better=_MSG[better][self.lang])
        )  # fmt: skip

    # -- edits, one small method each --

    def remove(self) -> None:
        p = self.p
        for what in p.removes:
            if what == "effect":
                continue  # handled with the effects
            noun = "text" if what == "alltext" else what
            tracks = _tracks(self.d)
            before = len(tracks)
            texts = [tr for tr in tracks if tr.get("tt") == 7]
            if what == "title":
                drop = [tr for tr in texts if tr.get("n") == "Title"] or texts[:1]
            elif what == "text":
                drop = [tr for tr in texts if tr.get("n") != "Title"][-1:] or texts[-1:]
            elif what == "alltext":
                drop = texts
            else:  # music
                drop = [tr for tr in tracks if tr.get("tt") == 1]
            if drop:
                self.d["t"] = [tr for tr in tracks if all(tr is not x for x in drop)]
            if len(_tracks(self.d)) < before:
                self.calls.append(ToolCall("remove", {"target": what}))
                self.say("removed", what=noun, what_zh=_REMOVE_WHAT[what])
            else:
                self.problem("nothing_to_remove", what=noun, what_zh=_REMOVE_WHAT[what])
        if p.remove_segments:
            segs = self.segs()
            n = len(segs)
            idx = sorted({n + i if i < 0 else i for i in p.remove_segments}, reverse=True)
            for j in idx:
                if not 0 <= j < len(segs):
                    self.problem("bad_target", n=n)
                elif len(segs) == 1:
                    self.problem("last_segment")
                else:
                    gone = segs.pop(j)
                    self.calls.append(
                        ToolCall("remove", {"target": "segment", "id": gone.get("id")})
                    )
                    self.say("removed_seg", n=j + 1, name=gone.get("n", ""))
            if segs:
                _m(segs[0]).pop("tr", None)  # the first segment has nothing to blend from
        if "effect" in p.removes and not p.effects and not self.created:
            self._apply_fx([("none", None)], remove=True)
            self.say("removed", what="effect", what_zh=_REMOVE_WHAT["effect"])

    def add_media(self) -> None:
        if not self.p.add_media or self.created:
            return
        new = [m for m in self.visual if not self.in_timeline(m)]
        if not new:
            self.problem("in_timeline")
            return
        segs = self.segs()
        last = segs[-1] if segs else None
        for media in new:  # continue the timeline in the style of its last photo
            d = _int(last.get("d"), SLIDE_MS) if last else SLIDE_MS
            fx = copy.deepcopy(_m(last).get("fx") if last else None)
            seg = _video_segment(
                self.next_id("s", segment=True), media, d, fx or _still_fx("alive", 0.5, d)
            )
            tr = copy.deepcopy(_m(last).get("tr") if last else None)
            seg["m"]["tr"] = tr or {"type": "crossfade", "d": TRANSITION_MS}
            segs.append(seg)
        self.relayout()
        self.calls.append(
            ToolCall("edit_multitrack", {"op": "add_media", "media": [m.media_id for m in new]})
        )
        self.say("added_media", n=len(new))

    def _apply_fx(self, effects: Combo, *, remove: bool = False) -> None:
        segs = self.segs()
        touched = []
        targets = self.targets()
        combos = _combos(effects, len(targets))
        for k, j in enumerate(targets):
            items = self.fx(segs[j])
            if items is None:
                self.problem("video_fx")
                continue
            if remove and self.p.remove_effects and len(items) > 1:
                # "remove the bounce" from jiggle + bounce: that one goes, the rest stay
                keep = [fx for fx in items if fx.get("type") not in self.p.remove_effects]
                if keep and len(keep) < len(items):
                    _m(segs[j])["fx"] = _fx_value(keep)
                    touched.append(segs[j].get("id"))
                    continue
            base = items[0]
            d = _int(segs[j].get("d"), SINGLE_MS)
            adding = self.p.add_effect and not remove
            new = [fx for fx in items if fx.get("type") != "none"] if adding else []
            for kind, direction in combos[k]:
                old = next((fx for fx in items if fx.get("type") == kind), None)
                if kind == "kenburns" and direction is None:
                    # One photo keeps its zoom direction; several alternate in/out like a slideshow.
                    single = len(targets) == 1 and old is not None
                    direction = (
                        old.get("dir") if single and old else ("in" if k % 2 == 0 else "out")
                    )
                fx = old if old is not None else {}
                fx["type"] = kind
                fx.setdefault("strength", base.get("strength", DEFAULT_STRENGTH))
                fx.setdefault("speed", base.get("speed", 1.0))
                fx["loops"] = _loops_for(kind, d)
                if kind == "kenburns":
                    fx["dir"] = direction or "in"
                else:
                    fx.pop("dir", None)
                if all(fx is not x for x in new):
                    new.append(fx)
            _m(segs[j])["fx"] = _fx_value(new)
            touched.append(segs[j].get("id"))
        if touched and remove:
            self.calls.append(ToolCall("remove", {"target": "effect", "segments": touched}))
        elif touched:
            args: dict[str, Any] = {"effect": effects[0][0], "segments": touched}
            if len(combos[0]) > 1 or self.p.add_effect:
                args["effects"] = [kind for kind, _ in combos[0]]
            self.calls.append(ToolCall("apply_motion", args))

    def set_effects(self) -> None:
        effects = [e for e in self.p.effects if e[0] != "none"]
        if not effects or self.created:
            return
        self._apply_fx(effects)

    def set_strength(self) -> None:
        p = self.p
        if self.created:
            return
        if p.strength_set is None and not p.strength_step and p.strength_abs is None:
            return
        segs = self.segs()
        tuned: list[dict[str, Any]] = []
        for j in self.targets():
            items = self.fx(segs[j])
            if items is None:
                continue
            for fx in self.tuned(items):
                cur = float(fx.get("strength", DEFAULT_STRENGTH))
                if p.strength_set is not None:
                    new = p.strength_set
                else:
                    # On an existing timeline "subtle"/"strong" are steps, like "subtler"/"stronger".
                    sign = p.strength_step or (-1 if (p.strength_abs or 0.5) < 0.5 else 1)
                    new = cur + sign * STRENGTH_STEP * p.magnitude
                fx["strength"] = round(_clamp(new, 0.05, 1.0), 2)
                tuned.append(fx)
        self.calls.append(ToolCall("apply_motion", self._tuned_args(tuned, "strength")))

    def _tuned_args(self, tuned: list[dict[str, Any]], key: str) -> dict[str, Any]:
        args: dict[str, Any] = {key: tuned[0].get(key) if tuned else self._first_fx(key)}
        if self.p.tweak_effects and tuned:
            args["effect"] = tuned[0].get("type")
        return args

    def set_speed(self) -> None:
        p = self.p
        if p.speed_factor is None and p.speed_set is None:
            return
        segs = self.segs()
        tuned: list[dict[str, Any]] = []
        for j in self.targets():
            items = self.fx(segs[j])
            if items is None:
                continue
            for fx in self.tuned(items):
                cur = float(fx.get("speed", 1.0))
                new = p.speed_set if p.speed_set is not None else cur * (p.speed_factor or 1.0)
                fx["speed"] = round(_clamp(new, 0.25, 4.0), 3)
                tuned.append(fx)
        self.calls.append(ToolCall("apply_motion", self._tuned_args(tuned, "speed")))

    def _first_fx(self, key: str) -> Any:
        for s in self.segs():
            for fx in _fx_items(s):
                if key in fx:
                    return fx[key]
        return None

    def _resize(self, seg: dict[str, Any], d: int) -> None:
        """Set a segment's duration, keeping its motion period (so the loop count follows)."""
        old = max(1, _int(seg.get("d"), d))
        seg["d"] = max(100, d)
        for fx in _fx_items(seg):
            if fx.get("type") in PERIOD_MS:
                period = old / max(1, _int(fx.get("loops"), 1))
                fx["loops"] = max(1, round(seg["d"] / period))

    def set_duration(self) -> None:
        p = self.p
        segs = self.segs()
        if not segs:
            return
        if p.seg_ms is not None and not self.created:
            for s in segs:
                self._resize(s, _int(_clamp(p.seg_ms, 500, 60000)))
        total = sum(_int(s.get("d")) for s in segs)
        target = None
        if p.duration_ms is not None:
            target = p.duration_ms
        elif p.duration_delta_ms is not None:
            target = total + p.duration_delta_ms
        elif p.duration_scale is not None:
            target = round(total * p.duration_scale / 100) * 100
        if target is None:
            if p.seg_ms is not None and not self.created:
                self.relayout()
                args = {"op": "duration", "segment_ms": p.seg_ms}
                self.calls.append(ToolCall("edit_multitrack", args))
            return
        target = _int(_clamp(target, 1000, 60000))
        # Split the new length in proportion to the old one (equal segments stay equal); the
        # cumulative rounding makes the parts add up to exactly ``target``.
        weights = [max(1, _int(s.get("d"))) for s in segs]
        acc, done = 0, 0
        for s, w in zip(segs, weights, strict=True):
            acc += w
            d = round(target * acc / sum(weights)) - done
            done += d
            self._resize(s, d)
        self.relayout()
        if not self.created:  # a new timeline reports its length in create_timeline
            self.calls.append(
                ToolCall("edit_multitrack", {"op": "duration", "duration_ms": target})
            )

    def set_loops(self) -> None:
        p = self.p
        if not p.loops:
            return
        n = max(1, min(p.loops, 60))
        segs = self.segs()
        keep_length = p.duration_ms is not None
        for j in self.targets():
            s = segs[j]
            items = self.fx(s)
            if items is None:
                continue
            # the first effect sets the loop; composed ones keep their own period within it
            d = _int(s.get("d"), SINGLE_MS)
            periods = [d / max(1, _int(fx.get("loops"), 1)) for fx in items]
            if not keep_length:
                s["d"] = _int(_clamp(n * periods[0], 500, 60000))
            items[0]["loops"] = n
            for fx, period in zip(items[1:], periods[1:], strict=True):
                fx["loops"] = max(1, round(_int(s["d"]) / period))
        self.relayout()
        if self.total() > 60000:  # loops of every photo may not exceed the 60 s limit
            scale = 60000 / self.total()
            for s in segs:
                s["d"] = max(100, int(_int(s.get("d")) * scale))
            self.relayout()
        self.calls.append(ToolCall("apply_motion", {"loops": n}))

    def set_aspect(self) -> None:
        aspect = self.p.aspect
        if not aspect:
            return
        w, h = SIZES[aspect]
        meta = _m(self.d)
        meta.update({"aspect": aspect, "width": w, "height": h})
        meta.setdefault("fps", 30)
        if not self.created:
            self.calls.append(ToolCall("edit_multitrack", {"op": "aspect", "aspect": aspect}))

    def set_fit(self) -> None:
        """ "Show the whole photo" (contain, over a blurred fill) or "fill the frame" (cover)."""
        fit = self.p.fit
        if not fit or self.created:
            return
        segs = self.segs()
        for j in self.targets():
            if _m(segs[j]).get("kind") != "video":
                _m(segs[j])["fit"] = fit
        self.calls.append(ToolCall("edit_multitrack", {"op": "fit", "fit": fit}))
        self.say("fit", how=_MSG["fit_" + fit][self.lang])

    def set_transitions(self) -> None:
        p = self.p
        if not (p.transition or p.transition_ms or p.transition_scale):
            return
        segs = self.segs()
        if len(segs) < 2:
            if p.transition != "none":
                self.problem("one_clip")
            return
        kind = p.transition
        for s in segs[1:]:
            m = _m(s)
            tr: dict[str, Any] = m["tr"] if isinstance(m.get("tr"), dict) else {}
            cur = tr.get("type") if tr.get("type") not in (None, "none") else None
            new_kind = kind if kind not in (None, "default") else (cur or "crossfade")
            if new_kind == "none":
                m["tr"] = {"type": "none", "d": 0}
                continue
            d = _int(tr.get("d"), TRANSITION_MS) or TRANSITION_MS
            if p.transition_ms is not None:
                d = p.transition_ms
            if p.transition_scale is not None:
                d = round(d * p.transition_scale)
            m["tr"] = {
                "type": new_kind,
                "d": _int(_clamp(d, 100, min(2000, _int(s.get("d")) // 2))),
            }
        if not self.created or p.transition not in (None, "default", "crossfade"):
            args = {"op": "transition", **segs[-1]["m"]["tr"]}
            self.calls.append(ToolCall("edit_multitrack", args))

    def _text_tracks(self) -> list[dict[str, Any]]:
        return [tr for tr in _tracks(self.d) if tr.get("tt") == 7]

    def _new_text_track(self, kind: str, op: TextOp) -> None:
        p = self.p
        title = kind == "title"
        total = self.total()
        # A loop (one photo) has no first seconds: its title stays for the whole clip, without a
        # fade, so the loop point shows no pop. A slideshow's title sits over its first photo.
        looping = self.is_loop()
        d = min(TITLE_MS, total) if title and not looping else total
        pos = p.text_pos or ("top" if title else "bottom")
        size = round(_clamp(0.07 * (p.text_size or 1.0), 0.03, 0.2), 3)
        anim = "none" if looping else "fade"
        m = {"pos": pos, "color": p.text_color or "#ffffff", "size": size, "anim": anim}
        seg = {"id": self.next_id("s", segment=True), "st": 0, "d": d, "txt": op.txt, "m": m}
        track = {"id": self.next_id("x"), "tt": 7, "n": "Title" if title else "Text", "sg": [seg]}
        self.d["t"].append(track)  # last: text draws on top
        self.calls.append(
            ToolCall("edit_multitrack", {"op": "add_" + kind, "txt": op.txt, "pos": pos})
        )
        literal = not op.change and kind == "text" and bool(re.search(r"button|overlay", op.txt))
        self.say("title" if title else ("text_literal" if literal else "text"), txt=op.txt, pos=pos)
        if self.ending != "end_title":
            self.ending = "end_title" if title else "end_text"

    def is_loop(self) -> bool:
        """A single photo: the clip is one seamless loop, played over and over."""
        segs = self.segs()
        return len(segs) == 1 and _m(segs[0]).get("kind") == "image"

    def _restyle(self, seg: dict[str, Any]) -> None:
        p = self.p
        m = _m(seg)
        if p.text_color:
            m["color"] = p.text_color
        if p.text_pos:
            m["pos"] = p.text_pos
        if p.text_size:
            m["size"] = round(_clamp(float(m.get("size", 0.07)) * p.text_size, 0.03, 0.2), 3)

    def set_texts(self) -> None:
        p = self.p
        for op in p.texts:
            texts = self._text_tracks()
            titles = [tr for tr in texts if tr.get("n") == "Title"]
            others = [tr for tr in texts if tr.get("n") != "Title"]
            if op.kind == "title":
                target = titles[:1] or (others[:1] if op.change else [])
            else:
                target = (others[-1:] or titles[:1]) if op.change else []
            if target and _segs(target[0]):
                seg = _segs(target[0])[0]
                seg["txt"] = op.txt
                self._restyle(seg)
                self.calls.append(ToolCall("edit_multitrack", {"op": "set_text", "txt": op.txt}))
            else:
                self._new_text_track(op.kind, op)
        if p.title_without_text and not p.texts:
            self.problem("no_title_text")

    def style_texts(self) -> None:
        p = self.p
        if p.texts or not (p.text_color or p.text_pos or p.text_size):
            return
        texts = self._text_tracks()
        if not texts:
            self.problem("no_text")
            return
        titles = [tr for tr in texts if tr.get("n") == "Title"]
        others = [tr for tr in texts if tr.get("n") != "Title"]
        chosen = (titles or others) if p.text_target == "title" else (others or titles)
        for tr in chosen:
            for seg in _segs(tr):
                self._restyle(seg)
        args = {"op": "text_style", "color": p.text_color, "pos": p.text_pos, "size": p.text_size}
        self.calls.append(ToolCall("edit_multitrack", args))

    def set_music(self) -> None:
        p = self.p
        if not p.music:
            return
        if p.music == "upload" or (p.music == "default" and self.audio):
            if not self.audio:
                self.problem("no_audio")
                return
            song = self.audio[-1]
            src, name, vol = song.url, song.name, UPLOAD_VOL
        else:
            mood = "lofi" if p.music == "default" else p.music
            src, name, vol = f"builtin:{mood}", MOOD_NAMES[mood], BUILTIN_VOL
        if p.volume_set is not None:
            vol = p.volume_set
        audio = next((tr for tr in _tracks(self.d) if tr.get("tt") == 1 and _segs(tr)), None)
        if audio is not None:
            seg = _segs(audio)[0]
            if seg.get("src") == src:
                return
            seg.update({"src": src, "n": name})
            m = _m(seg)
            if p.volume_set is None and not m.get("vol"):
                m["vol"] = vol  # a new song after "mute" should be heard
            self.say("music_switch", mood=name)
        else:
            m = {"vol": vol, "fade_in": 0, "fade_out": 1000}
            seg = {"id": self.next_id("s", segment=True), "st": 0, "d": self.total(), "src": src,
                   "n": name, "m": m}  # fmt: skip
            track = {"id": self.next_id("a"), "tt": 1, "n": "BGM", "sg": [seg]}
            tracks = self.d["t"]  # audio goes below the text tracks, after video and audio
            at = max((i + 1 for i, tr in enumerate(tracks) if tr.get("tt") in (0, 1)), default=0)
            tracks.insert(at, track)
            if src.startswith("builtin:"):
                self.say("music", mood=name, vol=round(vol * 100))
            else:
                self.say("music_upload", name=name, vol=round(vol * 100))
        self.calls.append(ToolCall("add_music", {"src": src, "vol": vol}))
        if self.ending == "end_edit":
            self.ending = "end_music"

    def set_volume(self) -> None:
        p = self.p
        if p.volume_set is None and p.volume_scale is None:
            return
        audio = [s for tr in _tracks(self.d) if tr.get("tt") == 1 for s in _segs(tr)]
        if not audio:
            self.problem("no_music")
            return
        for s in audio:
            m = _m(s)
            cur = float(m.get("vol", 0.8))
            if p.volume_set is not None:
                new = p.volume_set
            elif cur == 0 and (p.volume_scale or 1) > 1:
                new = BUILTIN_VOL  # "louder" after mute brings it back
            else:
                new = cur * (p.volume_scale or 1.0)
            m["vol"] = round(_clamp(new, 0.0, 1.0), 2)
        self.calls.append(
            ToolCall("edit_multitrack", {"op": "volume", "vol": audio[0]["m"]["vol"]})
        )

    def set_fade(self) -> None:
        """ "Fade out the music": a longer fade at that end of every audio segment."""
        if not self.p.music_fade:
            return
        audio = [s for tr in _tracks(self.d) if tr.get("tt") == 1 for s in _segs(tr)]
        if not audio:
            self.problem("no_music")
            return
        key, ms = ("fade_in", 1000) if self.p.music_fade == "in" else ("fade_out", 2000)
        for s in audio:
            _m(s)[key] = min(ms, _int(s.get("d")) // 2)
        self.calls.append(ToolCall("edit_multitrack", {"op": "music_fade", key: ms}))

    # -- keeping the draft consistent --

    def relayout(self) -> None:
        """Place the video segments end to end; ``d`` is the end of the last one."""
        st = 0
        for s in self.segs():
            s["st"] = st
            st += max(0, _int(s.get("d")))
            tr = _m(s).get("tr")
            if isinstance(tr, dict) and _int(tr.get("d")) > _int(s.get("d")) // 2:
                tr["d"] = _int(s.get("d")) // 2
        ends = [
            _int(s.get("st")) + _int(s.get("d"))
            for tr in _tracks(self.d)
            if tr.get("tt") == 0
            for s in _segs(tr)
        ]
        if ends:
            self.d["d"] = max(ends)

    def sync(self) -> None:
        """Audio and text that spanned the whole draft follow its new length; others fit in it."""
        self.relayout()
        old, new = self.old_total, self.total()
        for tr in _tracks(self.d):
            if tr.get("tt") == 0:
                continue
            for s in _segs(tr):
                st, d = _int(s.get("st")), _int(s.get("d"))
                if st == 0 and d == old and old:
                    s["d"] = new
                elif st + d > new:
                    st = min(st, max(0, new - d))
                    s["st"], s["d"] = st, min(d, new - st)

    # -- the answer --

    def reply(self) -> AgentReply:
        changed = self.d != (self.before or {})
        lang = self.lang
        if self.created:
            segs = self.segs()
            items = _fx_items(segs[0]) if segs else []
            effect = _fx_names([(str(fx.get("type")), None) for fx in items], lang)
            aspect, secs = self.d["m"]["aspect"], _secs(self.total())
            if len(segs) > 1:
                tr = (_m(segs[1]).get("tr") or {}).get("type", "crossfade")
                trn = TRANSITION_NAMES.get(tr, ("no", "无"))[lang]
                kw = {"n": len(segs), "transition": trn}
                head = _say("created_many", lang, secs=secs, aspect=aspect, effect=effect, **kw)
            else:
                name = segs[0].get("n", "your photo")
                head = _say("created_one", lang, secs=secs, aspect=aspect, effect=effect, name=name)
            self.said.insert(0, head)
            # A new timeline always points at the Timeline and Export.
            self.ending = "end_create_title" if self.ending == "end_title" else "end_create"
            first = self.calls[0]  # create_timeline: report the final length and shape
            first.args.update(duration_ms=self.total(), aspect=aspect)
        if not changed:
            if self.problems:
                suggestions = _prompts(self.before, lang)
                tail = f" Try: {suggestions}." if not lang else f"试试：{suggestions}。"
                return AgentReply([], None, " ".join(self.problems) + tail, understood=False)
            if self.p.export or self.p.hd:
                return AgentReply([], None, _MSG["export"][lang])
            sep = "" if lang else " "
            if self.p.create:  # the seed prompt again: the timeline already is that video
                return AgentReply([], None, f"{_MSG['ready'][lang]}{sep}{_MSG['end_create'][lang]}")
            return AgentReply([], None, f"{_MSG['no_change'][lang]}{sep}{_MSG['end_edit'][lang]}")
        parts = self.said + self.problems + self.notes
        if self.p.export and not self.created:
            parts.append(_MSG["export"][lang])
        text = None
        if parts:
            text = ("" if lang else " ").join([*parts, _MSG[self.ending][lang]])
        return AgentReply(self.calls, self.d, text)
