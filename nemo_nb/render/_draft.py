"""Read a draft (docs/draft-schema.md) into a validated render plan.

Unknown keys and unknown track types are ignored; anything the renderer cannot honour raises
:class:`RenderInputError` with one sentence naming the segment and the field.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nemo_nb._mediatype import sniff_file

from ._errors import RenderInputError

log = logging.getLogger("nemo_nb.render")

EFFECTS = ("none", "jiggle", "bounce", "sway", "pulse", "alive", "kenburns")
TRANSITIONS = ("none", "crossfade", "slide", "zoom", "wipe")
KENBURNS_DIRECTIONS = ("in", "out", "left", "right", "up", "down")
MOODS = ("lofi", "upbeat", "calm", "cinematic")
ASPECT_SIZES = {"9:16": (1080, 1920), "16:9": (1920, 1080), "1:1": (1080, 1080)}
TRACK_VIDEO, TRACK_AUDIO, TRACK_TEXT = 0, 1, 7


@dataclass(frozen=True)
class Effect:
    """A motion effect on a still image (``m.fx``)."""

    type: str = "none"
    strength: float = 0.5
    speed: float = 1.0
    loops: int = 1
    direction: str = "in"


@dataclass(frozen=True)
class Transition:
    """The transition into a segment from the previous one on its track (``m.tr``)."""

    type: str = "none"
    duration: float = 0.0  # seconds


@dataclass(frozen=True)
class VisualSegment:
    label: str
    start: float  # seconds
    duration: float
    kind: str  # "image" or "video"
    path: Path
    #: One or several effects, composed (``m.fx`` an object or a list of objects).
    effects: tuple[Effect, ...] = (Effect(),)
    fit: str = "cover"
    anchor: tuple[float, float] = (0.5, 0.92)
    transition: Transition = Transition()
    trim_in: float = 0.0

    @property
    def end(self) -> float:
        return self.start + self.duration

    @property
    def effect(self) -> Effect:
        """The first (main) effect."""
        return self.effects[0]


@dataclass(frozen=True)
class AudioSegment:
    label: str
    start: float
    duration: float
    source: str | Path  # "builtin:<mood>" or a local file
    volume: float = 0.8
    fade_in: float = 0.0
    fade_out: float = 0.0


@dataclass(frozen=True)
class TextSegment:
    label: str
    start: float
    duration: float
    text: str
    pos: str = "top"
    color: tuple[int, int, int] = (255, 255, 255)
    size: float = 0.07
    anim: str = "none"


@dataclass
class Plan:
    width: int
    height: int
    fps: int
    frames: int
    #: ("video", [VisualSegment...]) or ("text", [TextSegment...]) in z-order (later on top).
    layers: list[tuple[str, list[Any]]] = field(default_factory=list)
    audio: list[AudioSegment] = field(default_factory=list)

    @property
    def duration(self) -> float:
        return self.frames / self.fps


#: The longest text one segment may carry: a title or a caption, not a page. Longer text would
#: wrap into more lines than the frame holds.
MAX_TEXT_CHARS = 500


def _shown(value: Any, limit: int = 40) -> str:
    """``repr(value)`` short enough to quote in a sentence."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _label(track: dict, seg: dict, index: int) -> str:
    sid = str(seg.get("id", f"#{index + 1}"))[:40]
    name = seg.get("n") or seg.get("txt") or ""
    name = f" ({str(name)[:40]})" if name else ""
    return f"segment '{sid}'{name} on track '{str(track.get('id', '?'))[:40]}'"


def _number(
    obj: dict,
    key: str,
    where: str,
    default: float | None = None,
    *,
    lo: float | None = None,
    hi: float | None = None,
) -> float:
    value = obj.get(key, default)
    if value is None:
        raise RenderInputError(f"The {where} has no '{key}'.")
    number = None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            number = float(value)  # an int past 1e308 does not convert
        except OverflowError:
            number = math.inf
    if number is None or not math.isfinite(number):
        raise RenderInputError(f"The {where} has a non-numeric '{key}': {_shown(value)}.")
    if (lo is not None and number < lo) or (hi is not None and number > hi):
        rng = f"{lo if lo is not None else '-inf'}..{hi if hi is not None else 'inf'}"
        raise RenderInputError(f"The {where} has '{key}' = {_shown(value)}, outside {rng}.")
    return number


def _meta(seg: dict, where: str) -> dict:
    m = seg.get("m") or {}
    if not isinstance(m, dict):
        raise RenderInputError(f"The {where} has an 'm' that is not an object.")
    return m


def _output_size(m: dict) -> tuple[int, int]:
    aspect = m.get("aspect", "9:16")
    known = isinstance(aspect, str) and aspect in ASPECT_SIZES
    width, height = ASPECT_SIZES[aspect if known else "9:16"]
    if not known and aspect is not None:
        log.warning("unknown aspect %s, rendering 9:16", _shown(aspect))
    w, h = m.get("width"), m.get("height")
    # Explicit width/height win over the aspect (the schema's "output size"); tests use this to
    # render small. H.264 4:2:0 needs even sides.
    if (
        isinstance(w, int)
        and isinstance(h, int)
        and not isinstance(w, bool)
        and not isinstance(h, bool)
    ):
        if not (16 <= w <= 4096 and 16 <= h <= 4096):
            raise RenderInputError(
                f"The draft's m.width x m.height {_shown(w, 12)}x{_shown(h, 12)} is outside "
                "16..4096."
            )
        width, height = w - w % 2, h - h % 2
    return width, height


class _Media:
    """How segments' ``src`` become files: resolved and sniffed when planning a render; only
    checked to be a name when a draft is merely checked (:func:`check_draft`)."""

    def __init__(self, resolve: Callable[[str], Path] | None) -> None:
        self.resolve = resolve

    def path(self, src: Any, where: str) -> Path:
        if not isinstance(src, str) or not src:
            raise RenderInputError(f"The {where} has no media 'src'.")
        if self.resolve is None:
            return Path()
        try:
            path = Path(self.resolve(src))
        except Exception as exc:  # the resolver is the engine's; any failure means "no such media"
            raise RenderInputError(
                f"The {where} refers to media {_shown(src, 200)} that could not be found ({exc})."
            ) from exc
        if not path.is_file():
            raise RenderInputError(
                f"The {where} refers to media {_shown(src, 200)}, but {path} is not a file."
            )
        return path

    def kind(self, path: Path, declared: Any, where: str) -> str:
        if self.resolve is None:
            return declared if declared in ("image", "video") else "image"
        try:
            sniffed = sniff_file(path)
        except OSError as exc:
            raise RenderInputError(
                f"The {where} media {path.name} cannot be read ({exc})."
            ) from exc
        if sniffed is not None and sniffed.kind in ("image", "video"):
            return sniffed.kind  # the bytes win over the declared kind
        if declared in ("image", "video"):
            return declared
        raise RenderInputError(
            f"The {where} media {path.name} is neither a picture nor a video we can read."
        )


#: At most this many composed effects on one segment (more would only blur into noise).
MAX_EFFECTS = 4


def _one_effect(fx: Any, where: str) -> Effect:
    if not isinstance(fx, dict):
        fx = {"type": fx} if isinstance(fx, str) else {}
    kind = fx.get("type", "none")
    if kind not in EFFECTS:
        log.warning("%s: unknown effect type %s, rendering it without motion", where, _shown(kind))
        kind = "none"
    direction = fx.get("dir", "in")
    if direction not in KENBURNS_DIRECTIONS:
        log.warning("%s: unknown Ken Burns direction %s, using 'in'", where, _shown(direction))
        direction = "in"
    loops = _number(fx, "loops", f"{where} m.fx", 1, lo=1, hi=1000)
    return Effect(
        type=kind,
        strength=_number(fx, "strength", f"{where} m.fx", 0.5, lo=0, hi=1),
        speed=_number(fx, "speed", f"{where} m.fx", 1.0, lo=0.05, hi=20),
        loops=max(1, int(round(loops))),
        direction=direction,
    )


def _effects(m: dict, where: str) -> tuple[Effect, ...]:
    """``m.fx``: one effect object, or a list of them composed (each type once, first wins)."""
    fx = m.get("fx") or {}
    items = fx if isinstance(fx, list) else [fx]
    found: dict[str, Effect] = {}
    for item in items:
        effect = _one_effect(item, where)
        if effect.type != "none":
            found.setdefault(effect.type, effect)
    if len(found) > MAX_EFFECTS:
        log.warning("%s: %d effects, keeping the first %d", where, len(found), MAX_EFFECTS)
    return tuple(list(found.values())[:MAX_EFFECTS]) or (Effect(),)


def _transition(m: dict, where: str) -> Transition:
    tr = m.get("tr") or {}
    if not isinstance(tr, dict):
        return Transition()
    kind = tr.get("type", "none")
    if kind not in TRANSITIONS:
        log.warning("%s: unknown transition %s, cutting instead", where, _shown(kind))
        kind = "none"
    duration = _number(tr, "d", f"{where} m.tr", 0, lo=0) / 1000
    return Transition(kind, duration if kind != "none" else 0.0)


def _color(value: Any, where: str) -> tuple[int, int, int]:
    if value is None:
        return (255, 255, 255)
    text = str(value).lstrip("#")
    if len(text) == 3:
        text = "".join(c * 2 for c in text)
    try:
        if len(text) != 6:
            raise ValueError
        return (int(text[0:2], 16), int(text[2:4], 16), int(text[4:6], 16))
    except ValueError:
        raise RenderInputError(
            f"The {where} has m.color {_shown(value)}, not a '#rrggbb' colour."
        ) from None


# --- the steps of reading a draft -------------------------------------------------------------


def _frame(draft: Any) -> Plan:
    """The output: length, frame rate and size (``d``, ``m.fps``, ``m.aspect``/``m.width``...)."""
    if not isinstance(draft, dict):
        raise RenderInputError("The draft is not a JSON object.")
    m = draft.get("m") or {}
    if not isinstance(m, dict):
        raise RenderInputError("The draft's 'm' is not an object.")
    total_ms = _number(draft, "d", "draft", lo=1, hi=3_600_000)
    fps = int(_number(m, "fps", "draft's m", 30, lo=1, hi=120))
    width, height = _output_size(m)
    return Plan(width, height, fps, max(1, round(total_ms / 1000 * fps)))


def _rendered_tracks(draft: dict) -> list[dict]:
    """The tracks the renderer draws (video, audio, text); others are kept and shown, not drawn."""
    tracks = draft.get("t") or []
    if not isinstance(tracks, list):
        raise RenderInputError("The draft's 't' (tracks) is not a list.")
    return [
        t
        for t in tracks
        if isinstance(t, dict) and t.get("tt") in (TRACK_VIDEO, TRACK_AUDIO, TRACK_TEXT)
    ]


def _visual(seg: dict, where: str, start: float, duration: float, sm: dict, media: _Media,
            first: bool) -> VisualSegment:  # fmt: skip
    src = seg.get("src")
    if isinstance(src, str) and src.startswith("builtin:"):
        raise RenderInputError(f"The {where} uses {_shown(src)}, which is audio, on a video track.")
    path = media.path(src, where)
    anchor = sm.get("anchor", (0.5, 0.92))
    try:
        ax, ay = (min(1.0, max(0.0, float(v))) for v in anchor)
    except (TypeError, ValueError, OverflowError):
        raise RenderInputError(
            f"The {where} has m.anchor {_shown(anchor)}, not [x, y] in 0..1."
        ) from None
    fit = sm.get("fit", "cover")
    if fit not in ("cover", "contain"):
        log.warning("%s: unknown fit %s, using cover", where, _shown(fit))
        fit = "cover"
    return VisualSegment(
        label=where,
        start=start,
        duration=duration,
        kind=media.kind(path, sm.get("kind"), where),
        path=path,
        effects=_effects(sm, where),
        fit=fit,
        anchor=(ax, ay),
        transition=Transition() if first else _transition(sm, where),
        trim_in=_number(sm, "trim_in", f"{where} m", 0, lo=0) / 1000,
    )


def _audio(seg: dict, where: str, start: float, duration: float, sm: dict,
           media: _Media) -> AudioSegment:  # fmt: skip
    src = seg.get("src")
    if isinstance(src, str) and src.startswith("builtin:"):
        mood = src.split(":", 1)[1]
        if mood not in MOODS:
            raise RenderInputError(
                f"The {where} asks for built-in music {_shown(mood)}; moods are {', '.join(MOODS)}."
            )
        source: str | Path = src
    else:
        source = media.path(src, where)
    return AudioSegment(
        label=where,
        start=start,
        duration=duration,
        source=source,
        volume=_number(sm, "vol", f"{where} m", 0.8, lo=0, hi=1),
        fade_in=_number(sm, "fade_in", f"{where} m", 0, lo=0) / 1000,
        fade_out=_number(sm, "fade_out", f"{where} m", 0, lo=0) / 1000,
    )


def _text(seg: dict, where: str, start: float, duration: float, sm: dict) -> TextSegment | None:
    text = seg.get("txt")
    if text is None or str(text).strip() == "":
        return None
    text = str(text)
    if len(text) > MAX_TEXT_CHARS:
        raise RenderInputError(
            f"The {where} has {len(text)} characters of text; a text segment may have at most "
            f"{MAX_TEXT_CHARS}."
        )
    pos = sm.get("pos", "top")
    if pos not in ("top", "center", "bottom"):
        log.warning("%s: unknown text position %s, using top", where, _shown(pos))
        pos = "top"
    anim = sm.get("anim", "none")
    return TextSegment(
        label=where,
        start=start,
        duration=duration,
        text=text,
        pos=pos,
        color=_color(sm.get("color"), where),
        size=_number(sm, "size", f"{where} m", 0.07, lo=0.005, hi=0.5),
        anim=anim if anim in ("none", "fade") else "none",
    )


def _track(track: dict, media: _Media) -> list[Any]:
    """One track's segments as plan segments, in time order (empty and zero-length ones left out)."""
    track_id = str(track.get("id", "?"))[:40]
    segments = track.get("sg") or []
    if not isinstance(segments, list):
        raise RenderInputError(f"Track '{track_id}' has an 'sg' that is not a list.")
    parsed: list[Any] = []
    for index, seg in enumerate(segments):
        if not isinstance(seg, dict):
            raise RenderInputError(f"Track '{track_id}' segment #{index + 1} is not an object.")
        where = _label(track, seg, index)
        start = _number(seg, "st", where, 0, lo=0) / 1000
        duration = _number(seg, "d", where, lo=0) / 1000
        if duration <= 0:
            continue
        sm = _meta(seg, where)
        item: Any
        if track["tt"] == TRACK_VIDEO:
            item = _visual(seg, where, start, duration, sm, media, first=not parsed)
        elif track["tt"] == TRACK_AUDIO:
            item = _audio(seg, where, start, duration, sm, media)
        else:
            item = _text(seg, where, start, duration, sm)
        if item is not None:
            parsed.append(item)
    parsed.sort(key=lambda s: s.start)
    return parsed


def _read(draft: Any, media: _Media) -> Plan:
    plan = _frame(draft)
    for track in _rendered_tracks(draft):
        parsed = _track(track, media)
        if track["tt"] == TRACK_AUDIO:
            plan.audio.extend(parsed)
        elif parsed:
            plan.layers.append(("video" if track["tt"] == TRACK_VIDEO else "text", parsed))
    return plan


def plan_draft(draft: Any, resolve: Callable[[str], Path]) -> Plan:
    """Validate ``draft`` and resolve its media into a :class:`Plan` (no pixels decoded yet)."""
    return _read(draft, _Media(resolve))


def check_draft(draft: Any) -> None:
    """Raise :class:`RenderInputError` for whatever :func:`plan_draft` would refuse that is in
    the draft itself (types, numbers, ranges, text), without opening any media file."""
    _read(draft, _Media(None))
