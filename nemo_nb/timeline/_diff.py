"""What changed between two drafts, as sentences a person reads after a silent edit.

``diff(before, after)`` → ``["Effect strength on portrait.jpg 60% → 40%", "Music volume 35% → 20%"]``.
Tracks are matched by id, then by kind and order; segments by id, then by source or text, then by
order. Whatever our schema does not know is still compared and reported generically, so a change is
never silently missed. ``lang="zh"`` says the same in Chinese (for a prompt written in Chinese:
``nemo_nb._language.prompt_language(prompt)``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

from nemo_nb.timeline._format import percent, seconds, short_value, span
from nemo_nb.timeline._model import Draft, Segment, Track, _fraction, _number

__all__ = ["diff"]

LANGS = ("en", "zh")
#: Every sentence, in each of ``LANGS``.
_SAY: dict[str, tuple[str, str]] = {
    "duration": ("Duration {a}s → {b}s", "时长 {a} 秒 → {b} 秒"),
    "aspect": ("Aspect {a} → {b}", "画面比例 {a} → {b}"),
    "size": ("Size {a} → {b}", "尺寸 {a} → {b}"),
    "title": ("Project title '{a}' → '{b}'", "项目标题「{a}」→「{b}」"),
    "fps": ("Frame rate {a} → {b}", "帧率 {a} → {b}"),
    "renamed_track": ("Track {i} renamed {a} → {b}", "轨道 {i} 改名 {a} → {b}"),
    "reordered": ("Reordered the tracks", "轨道顺序已调整"),
    "added_video": ("Added {label} ({where})", "已添加 {label}（{where}）"),
    "added_video_fx": ("Added {label} ({where}) with {a_effect} effect",
                       "已添加 {label}（{where}），{effect}效果"),
    "added_tr": ("Added a {tr} transition before {label}", "已在 {label} 前添加 {tr} 转场"),
    "added_music": ("Added music {label} ({where}{volume})", "已添加音乐 {label}（{where}{volume}）"),
    "added_text": ("Added the {noun} '{label}' ({where})", "已添加{noun}「{label}」（{where}）"),
    "added_other": ("Added {label} ({where}) on {track}", "已在 {track} 上添加 {label}（{where}）"),
    "removed_video": ("Removed {label} ({where})", "已删除 {label}（{where}）"),
    "removed": ("Removed {name}", "已删除{name}"),
    "name_text": ("the {noun} '{label}'", "{noun}「{label}」"),
    "name_music": ("the music {label}", "音乐 {label}"),
    "name_other": ("{label} on {track}", "{track} 上的 {label}"),
    "text_changed": ("{Noun} changed to '{label}'", "{noun}改为「{label}」"),
    "music_changed": ("Changed the music from {a} to {b}", "音乐从 {a} 换成 {b}"),
    "replaced": ("Replaced {a} with {b}", "已将 {a} 换成 {b}"),
    "renamed": ("Renamed {a} to {b}", "{a} 改名为 {b}"),
    "timing": ("Timing of {name} {a} → {b}", "{name} 的时间 {a} → {b}"),
    "fit": ("Fit of {name} {a} → {b}", "{name} 的适配 {a} → {b}"),
    "music_volume": ("Music volume {a} → {b}", "音乐音量 {a} → {b}"),
    "volume_of": ("Volume of {name} {a} → {b}", "{name} 的音量 {a} → {b}"),
    "meta": ("{Name} {label} {a} → {b}", "{name} 的{label} {a} → {b}"),
    "added_fx": ("Added {a_effect} effect to {name} ({where})", "已为 {name} 添加 {effect} 效果（{where}）"),
    "removed_fx": ("Removed the {effect} effect from {name}", "已去掉 {name} 的 {effect} 效果"),
    "fx_changed": ("Effect on {name} {a} → {b}", "{name} 的效果 {a} → {b}"),
    "param": ("{label} on {of} {a} → {b}", "{of} 的{label} {a} → {b}"),
    "tr_timing": ("Transition before {label} {a} → {b}", "{label} 前的转场 {a} → {b}"),
    "removed_tr": ("Removed the {tr} transition before {label}", "已去掉 {label} 前的 {tr} 转场"),
    "tr_changed": ("Transition before {label} {a} → {b}", "{label} 前的转场 {a} → {b}"),
    "set_key": ("Set {key} on {subject} to {b}", "已将{subject}的 {key} 设为 {b}"),
    "removed_key": ("Removed {key} from {subject}", "已去掉{subject}的 {key}"),
    "changed_key": ("Changed {key} on {subject}: {a} → {b}", "{subject}的 {key}：{a} → {b}"),
    "project": ("the project", "项目"),
    "track": ("track {name}", "轨道 {name}"),
    "fx_of": ("the {kind} effect on {name}", "{name} 的 {kind} 效果"),
    "music": ("music", "音乐"),
    "title_noun": ("title", "标题"),
    "text_noun": ("text", "文字"),
    "default": ("default", "默认"),
    "unset": ("unset", "未设置"),
    "fade-in": ("fade-in", "淡入"),
    "fade-out": ("fade-out", "淡出"),
    "position": ("position", "位置"),
    "colour": ("colour", "颜色"),
    "size_label": ("size", "大小"),
    "animation": ("animation", "动画"),
    "Effect strength": ("Effect strength", "动效强度"),
    "Effect speed": ("Effect speed", "动效速度"),
    "Motion loops": ("Motion loops", "循环次数"),
    "Looping": ("Looping", "循环"),
    "Motion direction": ("Motion direction", "运动方向"),
}  # fmt: skip


def _s(lang: str, sentence: str, /, **kw: Any) -> str:
    return _SAY[sentence][LANGS.index(lang) if lang in LANGS else 0].format(**kw)


DraftLike = Draft | Mapping[str, Any] | str | None
T = TypeVar("T")

# Segment meta keys with a dedicated sentence; the rest are reported generically.
_HANDLED_META = {"fx", "tr", "fit", "vol", "fade_in", "fade_out", "pos", "color", "size", "anim"}
_HANDLED_DRAFT_META = {"aspect", "width", "height", "title", "fps"}


def diff(before: DraftLike, after: DraftLike, lang: str = "en") -> list[str]:
    """One human sentence per change from ``before`` to ``after`` (either may be ``None``).

    ``before=None`` reports everything in ``after`` as added. Returns ``[]`` when nothing changed.
    ``lang`` is the language of the sentences: ``"en"`` or ``"zh"``.
    """
    old = None if before is None else Draft.from_json(before)
    new = None if after is None else Draft.from_json(after)
    if old is not None and new is not None and old == new:
        return []
    sentences: list[str] = []
    if old is not None and new is not None:
        sentences += _draft_changes(old, new, lang)
    old_tracks = old.tracks if old is not None else ()
    new_tracks = new.tracks if new is not None else ()
    pairs, removed, added = _match(old_tracks, new_tracks, _track_keys)
    for track in removed:
        sentences += [_removed(track, s, lang) for s in track.segments]
    for a, b in pairs:
        if a.name != b.name:
            sentences.append(_s(lang, "renamed_track", i=b.index, a=a.name, b=b.name))
        sentences += _track_changes(a, b, old, new, lang)
    for track in added:
        for seg in track.segments:
            sentences += _added(track, seg, lang)
    matched_order = [b.index for _, b in sorted(pairs, key=lambda p: p[0].index)]
    if matched_order != sorted(matched_order):
        sentences.append(_s(lang, "reordered"))
    return sentences


# ---- matching ---------------------------------------------------------------------------------
def _match(
    old: Sequence[T], new: Sequence[T], keys: Callable[[T], Iterable[Any]]
) -> tuple[list[tuple[T, T]], list[T], list[T]]:
    """Pair items of ``old`` and ``new``: each key function result is tried in turn, in order.

    ``keys(item)`` yields one key per matching pass (``None`` = no key in that pass). Returns the
    pairs, the unmatched old items (removed) and the unmatched new items (added).
    """
    old_left, new_left = list(old), list(new)
    pairs: list[tuple[T, T]] = []
    passes = max((len(list(keys(x))) for x in [*old, *new]), default=0)
    for n in range(passes):
        for a in list(old_left):
            key = list(keys(a))[n]
            if key is None:
                continue
            for b in new_left:
                if list(keys(b))[n] == key:
                    pairs.append((a, b))
                    old_left.remove(a)
                    new_left.remove(b)
                    break
    return pairs, old_left, new_left


def _track_keys(track: Track) -> list[Any]:
    return [("id", track.id) if track.id else None, ("kind", track.kind, str(track.type))]


def _segment_keys(seg: Segment) -> list[Any]:
    content = seg.src or seg.text
    return [("id", seg.id) if seg.id else None, ("content", content) if content else None, "any"]


# ---- draft level ------------------------------------------------------------------------------
def _draft_changes(old: Draft, new: Draft, lang: str) -> list[str]:
    out = []
    unset = _s(lang, "unset")
    if old.duration_ms != new.duration_ms:
        out.append(_s(lang, "duration", a=seconds(old.duration_ms), b=seconds(new.duration_ms)))
    if old.aspect != new.aspect:
        out.append(_s(lang, "aspect", a=old.aspect or unset, b=new.aspect or unset))
    elif old.size != new.size:
        out.append(_s(lang, "size", a=_size(old.size, lang), b=_size(new.size, lang)))
    if old.title != new.title:
        out.append(_s(lang, "title", a=old.title or "", b=new.title or ""))
    if old.meta.get("fps") != new.meta.get("fps"):
        out.append(_s(lang, "fps", a=old.meta.get("fps"), b=new.meta.get("fps")))
    project = _s(lang, "project")
    out += _generic(
        project,
        _without(old.meta, _HANDLED_DRAFT_META),
        _without(new.meta, _HANDLED_DRAFT_META),
        lang,
    )
    out += _generic(project, old.extra, new.extra, lang)
    return out


def _size(size: tuple[int, int] | None, lang: str) -> str:
    return _s(lang, "unset") if size is None else f"{size[0]}x{size[1]}"


# ---- track and segment level -----------------------------------------------------------------
def _track_changes(
    a: Track, b: Track, old: Draft | None, new: Draft | None, lang: str
) -> list[str]:
    out = _generic(_s(lang, "track", name=b.name), a.extra, b.extra, lang)
    pairs, removed, added = _match(a.segments, b.segments, _segment_keys)
    out += [_removed(a, s, lang) for s in removed]
    for sa, sb in pairs:
        out += _segment_changes(b, sa, sb, old, new, lang)
    for seg in added:
        out += _added(b, seg, lang)
    return out


def _noun(track: Track, lang: str = "en") -> str:
    """How a sentence names a segment of this track: "music", "title", "text" or the track."""
    if track.kind == "audio":
        return _s(lang, "music")
    if track.kind == "text":
        return _s(lang, "title_noun" if "title" in track.name.lower() else "text_noun")
    return ""


def _name(track: Track, seg: Segment, lang: str) -> str:
    if track.kind == "text":
        return _s(lang, "name_text", noun=_noun(track, lang), label=seg.label)
    if track.kind == "audio":
        return _s(lang, "name_music", label=seg.label)
    if track.kind == "other":
        return _s(lang, "name_other", label=seg.label, track=track.name)
    return seg.label


def _added(track: Track, seg: Segment, lang: str) -> list[str]:
    where = span(seg.start_ms, seg.duration_ms)
    if track.kind == "video":
        if seg.effect:
            key, kw = "added_video_fx", {"a_effect": _a(seg.effect), "effect": seg.effect}
        else:
            key, kw = "added_video", {}
        out = [_s(lang, key, label=seg.label, where=where, **kw)]
        if seg.index > 1 and seg.transition:
            out.append(_s(lang, "added_tr", tr=seg.transition, label=seg.label))
        return out
    if track.kind == "audio":
        volume = f", {percent(seg.volume)}" if seg.volume is not None else ""
        return [_s(lang, "added_music", label=seg.label, where=where, volume=volume)]
    if track.kind == "text":
        return [_s(lang, "added_text", noun=_noun(track, lang), label=seg.label, where=where)]
    return [_s(lang, "added_other", label=seg.label, where=where, track=track.name)]


def _removed(track: Track, seg: Segment, lang: str) -> str:
    if track.kind == "video":
        where = span(seg.start_ms, seg.duration_ms)
        return _s(lang, "removed_video", label=seg.label, where=where)
    return _s(lang, "removed", name=_name(track, seg, lang))


def _spans_whole(seg: Segment, draft: Draft | None) -> bool:
    return draft is not None and seg.start_ms == 0 and seg.duration_ms == draft.duration_ms


def _segment_changes(
    track: Track, a: Segment, b: Segment, old: Draft | None, new: Draft | None, lang: str
) -> list[str]:
    out: list[str] = []
    name = _name(track, b, lang)
    if track.kind == "text" and a.text != b.text:
        noun = _noun(track, lang)
        out.append(_s(lang, "text_changed", Noun=noun.capitalize(), noun=noun, label=b.label))
    elif a.src != b.src:
        key = "music_changed" if track.kind == "audio" else "replaced"
        out.append(_s(lang, key, a=a.label, b=b.label))
    elif a.name != b.name:
        out.append(_s(lang, "renamed", a=a.label, b=b.label))
    # A segment that filled the whole timeline before and after just follows "Duration x → y".
    timing_changed = (a.start_ms, a.duration_ms) != (b.start_ms, b.duration_ms)
    if timing_changed and not (_spans_whole(a, old) and _spans_whole(b, new)):
        was, now = span(a.start_ms, a.duration_ms), span(b.start_ms, b.duration_ms)
        out.append(_s(lang, "timing", name=name, a=was, b=now))
    if track.kind == "video" or a.effect or b.effect:
        out += _effect_changes(a, b, name, lang)
    out += _transition_changes(a, b, b.label, lang)
    ma, mb = a.meta, b.meta
    default = _s(lang, "default")
    if ma.get("fit") != mb.get("fit"):
        fits = (ma.get("fit") or default, mb.get("fit") or default)
        out.append(_s(lang, "fit", name=name, a=fits[0], b=fits[1]))
    if a.volume != b.volume:
        key = "music_volume" if track.kind == "audio" else "volume_of"
        vols = (_pct_or_default(a.volume, lang), _pct_or_default(b.volume, lang))
        out.append(_s(lang, key, name=name, a=vols[0], b=vols[1]))
    for key, label in (("fade_in", "fade-in"), ("fade_out", "fade-out")):
        if ma.get(key) != mb.get(key):
            was, now = _secs(ma.get(key), lang), _secs(mb.get(key), lang)
            out.append(_meta_sentence(name, label, was, now, lang))
    for key, label in (
        ("pos", "position"),
        ("color", "colour"),
        ("size", "size_label"),
        ("anim", "animation"),
    ):
        if ma.get(key) != mb.get(key):
            was, now = _plain(ma.get(key), lang), _plain(mb.get(key), lang)
            out.append(_meta_sentence(name, label, was, now, lang))
    # Everything else, known to us or not: reported by key so no change goes unmentioned.
    out += _generic(
        name,
        _without(ma, _HANDLED_META, prefix=""),
        _without(mb, _HANDLED_META, prefix=""),
        lang,
    )
    out += _generic(name, _top_level_extra(a), _top_level_extra(b), lang)
    return out


def _meta_sentence(name: str, label: str, was: str, now: str, lang: str) -> str:
    return _s(lang, "meta", Name=_capital(name), name=name, label=_s(lang, label), a=was, b=now)


def _effect_changes(a: Segment, b: Segment, name: str, lang: str) -> list[str]:
    out = []
    if a.effect != b.effect:
        if a.effect is None:
            where = span(b.start_ms, b.duration_ms)
            effect = str(b.effect)
            out.append(_s(lang, "added_fx", a_effect=_a(effect), effect=effect, name=name,
                          where=where))  # fmt: skip
        elif b.effect is None:
            out.append(_s(lang, "removed_fx", effect=a.effect, name=name))
        else:
            out.append(_s(lang, "fx_changed", name=name, a=a.effect, b=b.effect))
    # Composed effects that changed alike ("make it subtler" on jiggle + bounce) read as one
    # sentence; an effect that changed on its own is named.
    kinds = [k for k in b.effects if k in a.effects]
    changes: dict[tuple[str, str, str], list[str]] = {}
    for kind in kinds:
        pa, pb = a.params_of(kind), b.params_of(kind)
        for label, old, new in _param_changes(pa, pb, lang):
            changes.setdefault((label, old, new), []).append(kind)
        handled = {"type", "strength", "speed", "loops", "loop", "dir"}
        subject = _s(lang, "fx_of", kind=kind, name=name)
        out += _generic(subject, _without(pa, handled), _without(pb, handled), lang)
    for (label, old, new), which in changes.items():
        of = name if len(which) == len(b.effects) else f"{name} ({', '.join(which)})"
        out.append(_s(lang, "param", label=_s(lang, label), of=of, a=old, b=new))
    return out


def _param_changes(
    pa: Mapping[str, Any], pb: Mapping[str, Any], lang: str = "en"
) -> list[tuple[str, str, str]]:
    """(label, before, after) for each effect parameter a person tunes by name."""
    out = []
    sa, sb = _fraction(pa.get("strength")), _fraction(pb.get("strength"))
    if sa != sb:
        out.append(("Effect strength", _pct_or_default(sa, lang), _pct_or_default(sb, lang)))
    if pa.get("speed") != pb.get("speed"):
        out.append(("Effect speed", _times(pa.get("speed"), lang), _times(pb.get("speed"), lang)))
    for key, label in (("loops", "Motion loops"), ("loop", "Looping"), ("dir", "Motion direction")):
        if pa.get(key) != pb.get(key):
            out.append((label, _plain(pa.get(key), lang), _plain(pb.get(key), lang)))
    return out


def _transition_changes(a: Segment, b: Segment, label: str, lang: str) -> list[str]:
    # The transition *into* the first segment is ignored by the renderer, so it is not reported.
    ta, tb = (a.transition if a.index > 1 else None), (b.transition if b.index > 1 else None)
    if ta == tb:
        if ta and a.transition_ms != b.transition_ms:
            was, now = _secs(a.transition_ms, lang), _secs(b.transition_ms, lang)
            return [_s(lang, "tr_timing", label=label, a=was, b=now)]
        return []
    if ta is None:
        return [_s(lang, "added_tr", tr=tb, label=label)]
    if tb is None:
        return [_s(lang, "removed_tr", tr=ta, label=label)]
    return [_s(lang, "tr_changed", label=label, a=ta, b=tb)]


# ---- generic and formatting ---------------------------------------------------------------------
def _top_level_extra(seg: Segment) -> dict[str, Any]:
    return {k: v for k, v in seg.extra.items() if not k.startswith("m.")}


def _without(mapping: Mapping[str, Any], keys: set[str], prefix: str = "") -> dict[str, Any]:
    return {f"{prefix}{k}": v for k, v in mapping.items() if k not in keys}


def _generic(
    subject: str, old: Mapping[str, Any], new: Mapping[str, Any], lang: str = "en"
) -> list[str]:
    out = []
    for key in list(dict.fromkeys([*old, *new])):
        a, b = old.get(key), new.get(key)
        if _same(a, b):
            continue
        if key not in old:
            out.append(_s(lang, "set_key", key=key, subject=subject, b=_plain(b, lang)))
        elif key not in new:
            out.append(_s(lang, "removed_key", key=key, subject=subject))
        else:
            was, now = _plain(a, lang), _plain(b, lang)
            out.append(_s(lang, "changed_key", key=key, subject=subject, a=was, b=now))
    return out


def _same(a: Any, b: Any) -> bool:
    return json.dumps(a, sort_keys=True, default=str) == json.dumps(b, sort_keys=True, default=str)


def _a(word: str) -> str:
    """``"jiggle"`` → ``"a jiggle"``, ``"alive"`` → ``"an alive"``."""
    return f"{'an' if word[:1].lower() in 'aeiou' else 'a'} {word}"


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _plain(value: Any, lang: str = "en") -> str:
    if value is None:
        return _s(lang, "unset")
    if isinstance(value, str):
        return value
    return short_value(json.dumps(value, ensure_ascii=False, default=str), 30)


def _pct_or_default(fraction: float | None, lang: str = "en") -> str:
    return _s(lang, "default") if fraction is None else percent(fraction)


def _secs(ms: Any, lang: str = "en") -> str:
    number = _number(ms)
    return _s(lang, "unset") if number is None else f"{seconds(number)}s"


def _times(value: Any, lang: str = "en") -> str:
    number = _number(value)
    return _plain(value, lang) if number is None else f"{number:g}×"
