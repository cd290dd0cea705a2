"""What changed between two drafts, as sentences a person reads after a silent edit.

``diff(before, after)`` → ``["Effect strength on portrait.jpg 60% → 40%", "Music volume 35% → 20%"]``.
Tracks are matched by id, then by kind and order; segments by id, then by source or text, then by
order. Whatever our schema does not know is still compared and reported generically, so a change is
never silently missed.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

from nemo_nb.timeline._format import percent, seconds, short_value, span
from nemo_nb.timeline._model import Draft, Segment, Track, _fraction, _number

__all__ = ["diff"]

DraftLike = Draft | Mapping[str, Any] | str | None
T = TypeVar("T")

# Segment meta keys with a dedicated sentence; the rest are reported generically.
_HANDLED_META = {"fx", "tr", "fit", "vol", "fade_in", "fade_out", "pos", "color", "size", "anim"}
_HANDLED_DRAFT_META = {"aspect", "width", "height", "title", "fps"}


def diff(before: DraftLike, after: DraftLike) -> list[str]:
    """One human sentence per change from ``before`` to ``after`` (either may be ``None``).

    ``before=None`` reports everything in ``after`` as added. Returns ``[]`` when nothing changed.
    """
    old = None if before is None else Draft.from_json(before)
    new = None if after is None else Draft.from_json(after)
    if old is not None and new is not None and old == new:
        return []
    sentences: list[str] = []
    if old is not None and new is not None:
        sentences += _draft_changes(old, new)
    old_tracks = old.tracks if old is not None else ()
    new_tracks = new.tracks if new is not None else ()
    pairs, removed, added = _match(old_tracks, new_tracks, _track_keys)
    for track in removed:
        sentences += [_removed(track, s) for s in track.segments]
    for a, b in pairs:
        if a.name != b.name:
            sentences.append(f"Track {b.index} renamed {a.name} → {b.name}")
        sentences += _track_changes(a, b, old, new)
    for track in added:
        for seg in track.segments:
            sentences += _added(track, seg)
    matched_order = [b.index for _, b in sorted(pairs, key=lambda p: p[0].index)]
    if matched_order != sorted(matched_order):
        sentences.append("Reordered the tracks")
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
def _draft_changes(old: Draft, new: Draft) -> list[str]:
    out = []
    if old.duration_ms != new.duration_ms:
        out.append(f"Duration {seconds(old.duration_ms)}s → {seconds(new.duration_ms)}s")
    if old.aspect != new.aspect:
        out.append(f"Aspect {old.aspect or 'unset'} → {new.aspect or 'unset'}")
    elif old.size != new.size:
        out.append(f"Size {_size(old.size)} → {_size(new.size)}")
    if old.title != new.title:
        out.append(f"Project title '{old.title or ''}' → '{new.title or ''}'")
    if old.meta.get("fps") != new.meta.get("fps"):
        out.append(f"Frame rate {old.meta.get('fps')} → {new.meta.get('fps')}")
    out += _generic(
        "the project",
        _without(old.meta, _HANDLED_DRAFT_META),
        _without(new.meta, _HANDLED_DRAFT_META),
    )
    out += _generic("the project", old.extra, new.extra)
    return out


def _size(size: tuple[int, int] | None) -> str:
    return "unset" if size is None else f"{size[0]}x{size[1]}"


# ---- track and segment level -----------------------------------------------------------------
def _track_changes(a: Track, b: Track, old: Draft | None, new: Draft | None) -> list[str]:
    out = _generic(f"track {b.name}", a.extra, b.extra)
    pairs, removed, added = _match(a.segments, b.segments, _segment_keys)
    out += [_removed(a, s) for s in removed]
    for sa, sb in pairs:
        out += _segment_changes(b, sa, sb, old, new)
    for seg in added:
        out += _added(b, seg)
    return out


def _noun(track: Track) -> str:
    """How a sentence names a segment of this track: "music", "title", "text" or the track."""
    if track.kind == "audio":
        return "music"
    if track.kind == "text":
        return "title" if "title" in track.name.lower() else "text"
    return ""


def _name(track: Track, seg: Segment) -> str:
    if track.kind == "text":
        return f"the {_noun(track)} '{seg.label}'"
    if track.kind == "audio":
        return f"the music {seg.label}"
    if track.kind == "other":
        return f"{seg.label} on {track.name}"
    return seg.label


def _added(track: Track, seg: Segment) -> list[str]:
    where = span(seg.start_ms, seg.duration_ms)
    if track.kind == "video":
        text = f"Added {seg.label} ({where})"
        if seg.effect:
            text += f" with {_a(seg.effect)} effect"
        out = [text]
        if seg.index > 1 and seg.transition:
            out.append(f"Added a {seg.transition} transition before {seg.label}")
        return out
    if track.kind == "audio":
        volume = f", {percent(seg.volume)}" if seg.volume is not None else ""
        return [f"Added music {seg.label} ({where}{volume})"]
    if track.kind == "text":
        return [f"Added the {_noun(track)} '{seg.label}' ({where})"]
    return [f"Added {seg.label} ({where}) on {track.name}"]


def _removed(track: Track, seg: Segment) -> str:
    if track.kind == "video":
        return f"Removed {seg.label} ({span(seg.start_ms, seg.duration_ms)})"
    return f"Removed {_name(track, seg)}"


def _spans_whole(seg: Segment, draft: Draft | None) -> bool:
    return draft is not None and seg.start_ms == 0 and seg.duration_ms == draft.duration_ms


def _segment_changes(
    track: Track, a: Segment, b: Segment, old: Draft | None, new: Draft | None
) -> list[str]:
    out: list[str] = []
    name = _name(track, b)
    if track.kind == "text" and a.text != b.text:
        out.append(f"{_noun(track).capitalize()} changed to '{b.label}'")
    elif a.src != b.src:
        if track.kind == "audio":
            out.append(f"Changed the music from {a.label} to {b.label}")
        else:
            out.append(f"Replaced {a.label} with {b.label}")
    elif a.name != b.name:
        out.append(f"Renamed {a.label} to {b.label}")
    # A segment that filled the whole timeline before and after just follows "Duration x → y".
    timing_changed = (a.start_ms, a.duration_ms) != (b.start_ms, b.duration_ms)
    if timing_changed and not (_spans_whole(a, old) and _spans_whole(b, new)):
        out.append(
            f"Timing of {name} {span(a.start_ms, a.duration_ms)} → {span(b.start_ms, b.duration_ms)}"
        )
    if track.kind == "video" or a.effect or b.effect:
        out += _effect_changes(a, b, name)
    out += _transition_changes(a, b, b.label)
    ma, mb = a.meta, b.meta
    if ma.get("fit") != mb.get("fit"):
        out.append(f"Fit of {name} {ma.get('fit') or 'default'} → {mb.get('fit') or 'default'}")
    if a.volume != b.volume:
        subject = "Music volume" if track.kind == "audio" else f"Volume of {name}"
        out.append(f"{subject} {_pct_or_default(a.volume)} → {_pct_or_default(b.volume)}")
    for key, label in (("fade_in", "fade-in"), ("fade_out", "fade-out")):
        if ma.get(key) != mb.get(key):
            out.append(f"{_capital(name)} {label} {_secs(ma.get(key))} → {_secs(mb.get(key))}")
    for key, label in (
        ("pos", "position"),
        ("color", "colour"),
        ("size", "size"),
        ("anim", "animation"),
    ):
        if ma.get(key) != mb.get(key):
            out.append(f"{_capital(name)} {label} {_plain(ma.get(key))} → {_plain(mb.get(key))}")
    # Everything else, known to us or not: reported by key so no change goes unmentioned.
    out += _generic(
        name, _without(ma, _HANDLED_META, prefix=""), _without(mb, _HANDLED_META, prefix="")
    )
    out += _generic(name, _top_level_extra(a), _top_level_extra(b))
    return out


def _effect_changes(a: Segment, b: Segment, name: str) -> list[str]:
    out = []
    if a.effect != b.effect:
        if a.effect is None:
            where = span(b.start_ms, b.duration_ms)
            out.append(f"Added {_a(str(b.effect))} effect to {name} ({where})")
        elif b.effect is None:
            out.append(f"Removed the {a.effect} effect from {name}")
        else:
            out.append(f"Effect on {name} {a.effect} → {b.effect}")
    # Composed effects that changed alike ("make it subtler" on jiggle + bounce) read as one
    # sentence; an effect that changed on its own is named.
    kinds = [k for k in b.effects if k in a.effects]
    changes: dict[tuple[str, str, str], list[str]] = {}
    for kind in kinds:
        pa, pb = a.params_of(kind), b.params_of(kind)
        for label, old, new in _param_changes(pa, pb):
            changes.setdefault((label, old, new), []).append(kind)
        handled = {"type", "strength", "speed", "loops", "loop", "dir"}
        out += _generic(
            f"the {kind} effect on {name}", _without(pa, handled), _without(pb, handled)
        )
    for (label, old, new), which in changes.items():
        of = name if len(which) == len(b.effects) else f"{name} ({', '.join(which)})"
        out.append(f"{label} on {of} {old} → {new}")
    return out


def _param_changes(pa: Mapping[str, Any], pb: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """(label, before, after) for each effect parameter a person tunes by name."""
    out = []
    sa, sb = _fraction(pa.get("strength")), _fraction(pb.get("strength"))
    if sa != sb:
        out.append(("Effect strength", _pct_or_default(sa), _pct_or_default(sb)))
    if pa.get("speed") != pb.get("speed"):
        out.append(("Effect speed", _times(pa.get("speed")), _times(pb.get("speed"))))
    for key, label in (("loops", "Motion loops"), ("loop", "Looping"), ("dir", "Motion direction")):
        if pa.get(key) != pb.get(key):
            out.append((label, _plain(pa.get(key)), _plain(pb.get(key))))
    return out


def _transition_changes(a: Segment, b: Segment, label: str) -> list[str]:
    # The transition *into* the first segment is ignored by the renderer, so it is not reported.
    ta, tb = (a.transition if a.index > 1 else None), (b.transition if b.index > 1 else None)
    if ta == tb:
        if ta and a.transition_ms != b.transition_ms:
            return [
                f"Transition before {label} {_secs(a.transition_ms)} → {_secs(b.transition_ms)}"
            ]
        return []
    if ta is None:
        return [f"Added a {tb} transition before {label}"]
    if tb is None:
        return [f"Removed the {ta} transition before {label}"]
    return [f"Transition before {label} {ta} → {tb}"]


# ---- generic and formatting ---------------------------------------------------------------------
def _top_level_extra(seg: Segment) -> dict[str, Any]:
    return {k: v for k, v in seg.extra.items() if not k.startswith("m.")}


def _without(mapping: Mapping[str, Any], keys: set[str], prefix: str = "") -> dict[str, Any]:
    return {f"{prefix}{k}": v for k, v in mapping.items() if k not in keys}


def _generic(subject: str, old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    out = []
    for key in list(dict.fromkeys([*old, *new])):
        a, b = old.get(key), new.get(key)
        if _same(a, b):
            continue
        if key not in old:
            out.append(f"Set {key} on {subject} to {_plain(b)}")
        elif key not in new:
            out.append(f"Removed {key} from {subject}")
        else:
            out.append(f"Changed {key} on {subject}: {_plain(a)} → {_plain(b)}")
    return out


def _same(a: Any, b: Any) -> bool:
    return json.dumps(a, sort_keys=True, default=str) == json.dumps(b, sort_keys=True, default=str)


def _a(word: str) -> str:
    """``"jiggle"`` → ``"a jiggle"``, ``"alive"`` → ``"an alive"``."""
    return f"{'an' if word[:1].lower() in 'aeiou' else 'a'} {word}"


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _plain(value: Any) -> str:
    if value is None:
        return "unset"
    if isinstance(value, str):
        return value
    return short_value(json.dumps(value, ensure_ascii=False, default=str), 30)


def _pct_or_default(fraction: float | None) -> str:
    return "default" if fraction is None else percent(fraction)


def _secs(ms: Any) -> str:
    number = _number(ms)
    return "unset" if number is None else f"{seconds(number)}s"


def _times(value: Any) -> str:
    number = _number(value)
    return _plain(value) if number is None else f"{number:g}×"
