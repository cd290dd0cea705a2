"""The draft model: parse a timeline JSON into tracks and segments, tolerantly.

Cloud drafts carry keys and track types we do not know; those are kept (``extra``) and shown, never
an error. Only a draft whose *shape* is wrong (tracks that are not a list, a duration that is not a
number…) is rejected, with a :class:`DraftError` naming the bad field.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import unquote, urlparse

from nemo_nb._contract import draft_is_exportable, lenient_number
from nemo_nb._errors import NemoError

__all__ = ["Draft", "DraftError", "Segment", "Track", "TRACK_KINDS"]

#: Known track types (``tt``) and the kind each stands for; anything else is "other".
TRACK_KINDS: dict[int, str] = {0: "video", 1: "audio", 7: "text"}
_DEFAULT_TRACK_NAMES = {"video": "Video", "audio": "Audio", "text": "Text"}

# Keys our schema gives a meaning to; everything else on a segment or track is "extra".
_SEGMENT_KEYS = {"id", "st", "d", "src", "n", "txt", "m"}
_TRACK_KEYS = {"id", "tt", "n", "sg"}
_DRAFT_KEYS = {"d", "m", "t"}
_SEGMENT_META_KEYS = {
    "kind", "fx", "fit", "anchor", "tr", "trim_in",  # video
    "vol", "fade_in", "fade_out",  # audio
    "pos", "color", "size", "anim",  # text
}  # fmt: skip


class DraftError(NemoError, ValueError):
    """A draft whose shape is wrong; the message names the bad field."""


_number = lenient_number  # a finite float, or None (bools are not numbers)


def _shown(value: Any) -> str:
    """A short JSON-ish rendering of a bad value for an error message."""
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _ms(where: str, key: str, value: Any) -> float:
    number = _number(value)
    if number is None:
        raise DraftError(f'{where}: "{key}" must be a number of milliseconds, got {_shown(value)}')
    if number < 0:
        raise DraftError(f'{where}: "{key}" must not be negative, got {_shown(value)}')
    return number


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _name_from_src(src: str) -> str:
    """A display name for a media reference: the file name of a URL, the mood of a builtin."""
    if src.startswith("builtin:"):
        return src.split(":", 1)[1] or src
    path = urlparse(src).path or src
    return unquote(PurePosixPath(path).name) or src


@dataclass(frozen=True)
class Segment:
    """One segment of a track: where it sits (ms) and what it shows or plays."""

    index: int  # 1-based position within its track
    id: str | None
    start_ms: float
    duration_ms: float | None  # None when the draft does not say
    name: str | None
    text: str | None
    src: str | None
    meta: Mapping[str, Any]
    extra: Mapping[str, Any]
    raw: Mapping[str, Any] = field(repr=False)

    @property
    def end_ms(self) -> float:
        """Where the segment ends on the timeline (its start when the duration is unknown)."""
        return self.start_ms + (self.duration_ms or 0.0)

    @property
    def label(self) -> str:
        """What a person calls this segment: its text, its name, or its source's file name."""
        if self.text:
            return self.text
        if self.name:
            return self.name
        if self.src:
            return _name_from_src(self.src)
        return self.id or f"segment {self.index}"

    @property
    def effects(self) -> tuple[str, ...]:
        """The motion effects' types, in draft order (``m.fx`` is one effect or a list composed)."""
        fx = self.meta.get("fx")
        kinds = []
        for item in fx if isinstance(fx, list) else [fx]:
            kind = item.get("type") if isinstance(item, Mapping) else item
            if isinstance(kind, str) and kind and kind != "none" and kind not in kinds:
                kinds.append(kind)
        return tuple(kinds)

    @property
    def effect(self) -> str | None:
        """The motion effect as shown: its type, ``"jiggle+bounce"`` when composed, else ``None``."""
        return "+".join(self.effects) or None

    @property
    def effect_params(self) -> Mapping[str, Any]:
        """The (first) motion effect's parameters (strength, speed, loops, dir…), empty if none."""
        fx = self.meta.get("fx")
        if isinstance(fx, list):
            fx = next((item for item in fx if isinstance(item, Mapping)), None)
        return _mapping(fx)

    def params_of(self, kind: str) -> Mapping[str, Any]:
        """The parameters of this segment's effect of type ``kind`` (empty if it has none)."""
        fx = self.meta.get("fx")
        for item in fx if isinstance(fx, list) else [fx]:
            if isinstance(item, Mapping) and item.get("type") == kind:
                return item
        return {}

    @property
    def strength(self) -> float | None:
        """Effect strength 0–1, if given."""
        return _fraction(self.effect_params.get("strength")) if self.effect else None

    @property
    def transition(self) -> str | None:
        """The transition into this segment (``None`` when there is none)."""
        tr = self.meta.get("tr")
        kind = tr.get("type") if isinstance(tr, Mapping) else tr if isinstance(tr, str) else None
        return str(kind) if kind and kind != "none" else None

    @property
    def transition_ms(self) -> float | None:
        """The transition's length, ms, if given."""
        tr = self.meta.get("tr")
        return _number(tr.get("d")) if isinstance(tr, Mapping) else None

    @property
    def volume(self) -> float | None:
        """Volume 0–1, if given (``m.vol``; a value above 1 is read as a percentage)."""
        return _fraction(self.meta.get("vol"))


def _fraction(value: Any) -> float | None:
    number = _number(value)
    if number is None:
        return None
    return number / 100.0 if number > 1.0 else number


@dataclass(frozen=True)
class Track:
    """One track: its type, display name and segments, in timeline order."""

    index: int  # 1-based, z-order
    id: str | None
    type: Any  # the raw ``tt``: 0, 1, 7 or anything a cloud draft carries
    name: str
    segments: tuple[Segment, ...]
    extra: Mapping[str, Any]
    raw: Mapping[str, Any] = field(repr=False)

    @property
    def kind(self) -> str:
        """``"video"``, ``"audio"``, ``"text"`` or ``"other"`` (an unknown ``tt``)."""
        return _kind_of(self.type)

    @property
    def type_label(self) -> str:
        """The track type as shown in tables: the kind, or ``type 5`` for an unknown one."""
        return self.kind if self.kind != "other" else f"type {self.type}"

    @property
    def end_ms(self) -> float:
        """Where the track's last segment ends."""
        return max((s.end_ms for s in self.segments), default=0.0)


@dataclass(frozen=True, eq=False)
class Draft:
    """A parsed timeline. Build one with :meth:`from_json`; it never changes.

    Views: :meth:`summary` (one line of text), :meth:`to_dataframe` / :meth:`styled` (a table,
    one row per segment), :meth:`gantt` (a matplotlib Figure) and the notebook's HTML repr.
    """

    duration_ms: float
    meta: Mapping[str, Any]
    tracks: tuple[Track, ...]
    extra: Mapping[str, Any]
    raw: Mapping[str, Any] = field(repr=False)

    # ---- parsing -------------------------------------------------------------------------------
    @classmethod
    def from_json(cls, data: Draft | Mapping[str, Any] | str | bytes) -> Draft:
        """Parse a draft from a dict or a JSON string.

        Unknown keys and track types are kept (``extra``, ``Track.type``) and shown by the views.
        Raises :class:`DraftError` naming the field when the shape is wrong, e.g.
        ``track 2 segment 1: "d" must be a number of milliseconds, got "abc"``.
        """
        if isinstance(data, Draft):
            return data
        if isinstance(data, (str, bytes)):
            try:
                data = json.loads(data)
            except ValueError as exc:
                raise DraftError(f"draft is not valid JSON: {exc}") from None
        if not isinstance(data, Mapping):
            raise DraftError(f"draft must be a JSON object, got {_shown(data)}")
        raw_tracks = data.get("t", [])
        if raw_tracks is None:
            raw_tracks = []
        if not isinstance(raw_tracks, list):
            raise DraftError(f'draft: "t" must be a list of tracks, got {_shown(raw_tracks)}')
        tracks = tuple(_parse_track(i, t) for i, t in enumerate(raw_tracks, start=1))
        end = max((t.end_ms for t in tracks), default=0.0)
        duration = _ms("draft", "d", data["d"]) if data.get("d") is not None else end
        return cls(
            duration_ms=duration,
            meta=_mapping(data.get("m")),
            tracks=tracks,
            extra={k: v for k, v in data.items() if k not in _DRAFT_KEYS},
            raw=data,
        )

    def to_json(self) -> dict[str, Any]:
        """The draft as the JSON object it came from (a deep copy; send this to render)."""
        return json.loads(json.dumps(self.raw, default=str))

    # ---- properties ----------------------------------------------------------------------------
    @property
    def title(self) -> str | None:
        """The project title (``m.title``), if any."""
        title = self.meta.get("title")
        return str(title) if title not in (None, "") else None

    @property
    def aspect(self) -> str | None:
        """``m.aspect`` (e.g. ``"9:16"``), else derived from ``m.width``/``m.height``."""
        aspect = self.meta.get("aspect")
        if aspect:
            return str(aspect)
        width, height = _number(self.meta.get("width")), _number(self.meta.get("height"))
        if width and height:
            divisor = math.gcd(int(width), int(height)) or 1
            return f"{int(width) // divisor}:{int(height) // divisor}"
        return None

    @property
    def size(self) -> tuple[int, int] | None:
        """Output ``(width, height)`` in pixels, if given."""
        width, height = _number(self.meta.get("width")), _number(self.meta.get("height"))
        return (int(width), int(height)) if width and height else None

    @property
    def segments(self) -> list[tuple[Track, Segment]]:
        """Every segment with its track, track by track."""
        return [(t, s) for t in self.tracks for s in t.segments]

    @property
    def exportable(self) -> bool:
        """True when some track has at least one segment (the contract's export condition)."""
        return draft_is_exportable(self.raw)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Draft):
            return NotImplemented
        return _canonical(self.raw) == _canonical(other.raw)

    def __hash__(self) -> int:
        return hash(_canonical(self.raw))

    # ---- views (implemented in their own modules) ------------------------------------------------
    def summary(self) -> str:
        """One line in the seeds' form, e.g.
        ``Timeline (2 tracks): 1. Video: portrait.jpg (0-6s, jiggle) 2. BGM: Lo-fi (0-6s, 35%)``."""
        from nemo_nb.timeline._summary import summarize

        return summarize(self)

    def to_dataframe(self) -> Any:
        """A pandas DataFrame, one row per segment (see :func:`nemo_nb.timeline.to_dataframe`)."""
        from nemo_nb.timeline._frame import to_dataframe

        return to_dataframe(self)

    def styled(self) -> Any:
        """The table as a pandas Styler for notebooks: coloured by track type, seconds formatted."""
        from nemo_nb.timeline._frame import styled

        return styled(self)

    def gantt(self, *, width: float = 10.0) -> Any:
        """A matplotlib Figure: one lane per track, a bar per segment, time in seconds."""
        from nemo_nb.timeline._gantt import gantt

        return gantt(self, width=width)

    def _repr_html_(self) -> str:
        from nemo_nb.timeline._frame import draft_html

        return draft_html(self)

    def __str__(self) -> str:
        return self.summary()


def _canonical(raw: Any) -> str:
    return json.dumps(raw, sort_keys=True, default=str)


def _parse_track(index: int, data: Any) -> Track:
    where = f"track {index}"
    if not isinstance(data, Mapping):
        raise DraftError(f"{where} must be an object, got {_shown(data)}")
    raw_segments = data.get("sg", [])
    if raw_segments is None:
        raw_segments = []
    if not isinstance(raw_segments, list):
        raise DraftError(f'{where}: "sg" must be a list of segments, got {_shown(raw_segments)}')
    segments: list[Segment] = []
    cursor = 0.0  # a segment without "st" follows the previous one
    for i, seg in enumerate(raw_segments, start=1):
        segment = _parse_segment(f"{where} segment {i}", i, seg, cursor)
        segments.append(segment)
        cursor = segment.end_ms
    kind = _kind_of(data.get("tt"))
    name = _str_or_none(data.get("n")) or _DEFAULT_TRACK_NAMES.get(
        kind, f"Track (type {data.get('tt')})"
    )
    return Track(
        index=index,
        id=_str_or_none(data.get("id")),
        type=data.get("tt"),
        name=name,
        segments=tuple(segments),
        extra={k: v for k, v in data.items() if k not in _TRACK_KEYS},
        raw=data,
    )


def _kind_of(track_type: Any) -> str:
    number = _number(track_type)
    if number is not None and number.is_integer():
        return TRACK_KINDS.get(int(number), "other")
    return "other"


def _parse_segment(where: str, index: int, data: Any, cursor: float) -> Segment:
    if not isinstance(data, Mapping):
        raise DraftError(f"{where} must be an object, got {_shown(data)}")
    start = _ms(where, "st", data["st"]) if data.get("st") is not None else cursor
    duration = _ms(where, "d", data["d"]) if data.get("d") is not None else None
    meta = _mapping(data.get("m"))
    extra = {k: v for k, v in data.items() if k not in _SEGMENT_KEYS}
    extra.update({f"m.{k}": v for k, v in meta.items() if k not in _SEGMENT_META_KEYS})
    return Segment(
        index=index,
        id=_str_or_none(data.get("id")),
        start_ms=start,
        duration_ms=duration,
        name=_str_or_none(data.get("n")),
        text=_str_or_none(data.get("txt")),
        src=_str_or_none(data.get("src")),
        meta=meta,
        extra=extra,
        raw=data,
    )


def _str_or_none(value: Any) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else str(value)
