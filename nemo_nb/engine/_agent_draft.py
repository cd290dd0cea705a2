"""The draft as the engine's agent edits it: defaults, tolerant accessors, effect objects, and
the editor's state (the copy being edited, what was said, what could not be done).

Drafts come from anywhere (older versions, the cloud, a hand edit): every accessor tolerates a
missing or malformed part and creates it as needed. See ``docs/draft-schema.md``.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Sequence
from typing import Any

from nemo_nb.engine._agent_parse import Plan
from nemo_nb.engine._agent_types import MediaRef, ToolCall
from nemo_nb.engine._agent_words import say
from nemo_nb.engine.limits import MAX_EXPORT_SECONDS

# --- defaults (docs/draft-schema.md) ----------------------------------------------------------

SIZES: dict[str, tuple[int, int]] = {
    "9:16": (1080, 1920),
    "16:9": (1920, 1080),
    "1:1": (1080, 1080),
}
SINGLE_MS = 6000  # one photo
MIN_MS, MAX_MS = 1000, MAX_EXPORT_SECONDS * 1000  # the length of a video (engine/limits.py)
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


def tracks_of(draft: dict[str, Any] | None) -> list[dict[str, Any]]:
    t = draft.get("t") if isinstance(draft, dict) else None
    return [x for x in t if isinstance(x, dict)] if isinstance(t, list) else []


def segments_of(track: dict[str, Any]) -> list[dict[str, Any]]:
    sg = track.get("sg")
    return sg if isinstance(sg, list) else []


def meta_of(item: dict[str, Any]) -> dict[str, Any]:
    """The ``m`` dict of a segment or draft, created (or replaced, if malformed) as needed."""
    m = item.get("m")
    if not isinstance(m, dict):
        m = item["m"] = {}
    return m


def has_video(draft: dict[str, Any] | None) -> bool:
    return any(tr.get("tt") == 0 and segments_of(tr) for tr in tracks_of(draft))


def as_int(x: Any, default: int = 0) -> int:
    try:
        return int(round(float(x)))
    except (TypeError, ValueError):
        return default


def clamp(x: float, lo: float, hi: float) -> float:
    return max(lo, min(hi, x))


def loops_for(kind: str, d: int) -> int:
    period = PERIOD_MS.get(kind)
    return max(1, round(d / period)) if period else 1


Combo = list[tuple[str, str | None]]  # the effects one photo gets, composed: (type, Ken Burns dir)


def combos_for(effects: Combo, n: int) -> list[Combo]:
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


def still_fxs(combo: Combo, strength: float, d: int) -> dict[str, Any] | list[dict[str, Any]]:
    """``m.fx`` for a photo with the effects of ``combo`` composed (an object when just one)."""
    return fx_value([still_fx(kind, strength, d, direction) for kind, direction in combo])


def still_fx(kind: str, strength: float, d: int, direction: str | None = None) -> dict[str, Any]:
    """The ``m.fx`` of a still image: ``loops`` keeps the effect's natural period seamless."""
    fx: dict[str, Any] = {
        "type": kind,
        "strength": strength,
        "speed": 1.0,
        "loops": loops_for(kind, d),
    }
    if kind == "kenburns":
        fx["dir"] = direction or "in"
    return fx


def fx_value(items: list[dict[str, Any]]) -> dict[str, Any] | list[dict[str, Any]]:
    """``m.fx`` as the schema writes it: one effect as an object, several as a list."""
    return items[0] if len(items) == 1 else items


def fx_items(seg: dict[str, Any]) -> list[dict[str, Any]]:
    """A segment's effect objects (the draft's own dicts, edited in place); may be empty."""
    fx = meta_of(seg).get("fx")
    items = fx if isinstance(fx, list) else [fx]
    return [item for item in items if isinstance(item, dict)]


def video_segment(seg_id: str, media: MediaRef, d: int, fx: Any) -> dict[str, Any]:
    """A segment of the video track showing one upload (clips play as they are)."""
    m: dict[str, Any] = {"kind": media.kind, "fx": fx, "fit": "cover", "anchor": [0.5, 0.92]}
    if media.kind == "video":
        m.update(fx={"type": "none", "strength": 0.0, "speed": 1.0, "loops": 1}, trim_in=0)
    return {"id": seg_id, "st": 0, "d": d, "src": media.url, "n": media.name, "m": m}


class EditorState:
    """The draft being edited and what the turn has done so far; the edits build on it."""

    def __init__(
        self, plan: Plan, draft: dict[str, Any] | None, media: Sequence[MediaRef], lang: int
    ) -> None:
        self.p = plan
        self.lang = lang
        self.before = draft
        self.d: dict[str, Any] = copy.deepcopy(draft) if isinstance(draft, dict) else {}
        for tr in tracks_of(self.d):  # malformed segments cannot be edited or rendered: drop them
            if isinstance(tr.get("sg"), list):
                tr["sg"] = [s for s in tr["sg"] if isinstance(s, dict)]
        self.visual = [m for m in media if m.kind in ("image", "video")]
        self.audio = [m for m in media if m.kind == "audio"]
        self.calls: list[ToolCall] = []
        self.said: list[str] = []  # sentences about what was done (makes the turn non-silent)
        self.quiet: list[str] = []  # what was done, said only if the turn says something anyway
        self.problems: list[str] = []  # what could not be done (or not quite: capped)
        self.notes: list[str] = []  # advice after the edit (a photo too small for the frame)
        self.ending = "end_edit"
        self.created = False
        self.old_total = as_int(self.d.get("d"))

    def say(self, key: str, **kw: Any) -> None:
        self.said.append(say(key, self.lang, **kw))

    def quietly(self, key: str, **kw: Any) -> None:
        msg = say(key, self.lang, **kw)
        if msg not in self.quiet:
            self.quiet.append(msg)

    def problem(self, key: str, **kw: Any) -> None:
        msg = say(key, self.lang, **kw)
        if msg not in self.problems:
            self.problems.append(msg)

    def video(self) -> dict[str, Any] | None:
        return next((tr for tr in tracks_of(self.d) if tr.get("tt") == 0), None)

    def segs(self) -> list[dict[str, Any]]:
        v = self.video()
        return segments_of(v) if v else []

    def total(self) -> int:
        return as_int(self.d.get("d"))

    def next_id(self, prefix: str, *, segment: bool = False) -> str:
        """The next free id ``<prefix><n>``, counting over the whole draft (deterministic)."""
        ids = (
            [str(s.get("id", "")) for tr in tracks_of(self.d) for s in segments_of(tr)]
            if segment
            else [str(tr.get("id", "")) for tr in tracks_of(self.d)]
        )
        nums = [int(m.group(1)) for i in ids if (m := re.fullmatch(rf"{prefix}(\d+)", i))]
        return f"{prefix}{max(nums, default=0) + 1}"

    def in_timeline(self, media: MediaRef) -> bool:
        """Whether an upload is already a video segment (by url, or by its id in the url path:
        the engine's urls carry the request's origin, which may differ between turns)."""
        part = f"/media/{media.media_id}/"
        return any(s.get("src") == media.url or part in str(s.get("src", "")) for s in self.segs())

    def targets(self, wanted: list[int] | None = None) -> list[int]:
        """Indices of the video segments ``wanted`` (default: those the message names; if it
        names none, all of them)."""
        n = len(self.segs())
        wanted = self.p.targets if wanted is None else wanted
        if not wanted:
            return list(range(n))
        out = []
        for i in wanted:
            j = n + i if i < 0 else i
            if 0 <= j < n:
                out.append(j)
            else:
                self.problem("bad_target", n=n)
        return sorted(set(out))

    def fx(self, seg: dict[str, Any]) -> list[dict[str, Any]] | None:
        """The segment's effect dicts (one, or several composed), or ``None`` for a video clip
        (effects are for stills)."""
        m = meta_of(seg)
        if m.get("kind") == "video":
            return None
        items = fx_items(seg)
        if not items:
            items = [{"type": "none", "strength": DEFAULT_STRENGTH, "speed": 1.0, "loops": 1}]
            m["fx"] = items[0]
        return items

    def tuned(self, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The effects a tweak is about: those it names ("less bounce"), else all of them."""
        named = [fx for fx in items if fx.get("type") in self.p.tweak_effects]
        return named or items

    def relayout(self) -> None:
        """Place the video segments end to end; ``d`` is the end of the last one."""
        st = 0
        for s in self.segs():
            s["st"] = st
            st += max(0, as_int(s.get("d")))
            tr = meta_of(s).get("tr")
            if isinstance(tr, dict) and as_int(tr.get("d")) > as_int(s.get("d")) // 2:
                tr["d"] = as_int(s.get("d")) // 2
        ends = [
            as_int(s.get("st")) + as_int(s.get("d"))
            for tr in tracks_of(self.d)
            if tr.get("tt") == 0
            for s in segments_of(tr)
        ]
        if ends:
            self.d["d"] = max(ends)

    def sync(self) -> None:
        """Audio and text that spanned the whole draft follow its new length; others fit in it."""
        self.relayout()
        old, new = self.old_total, self.total()
        for tr in tracks_of(self.d):
            if tr.get("tt") == 0:
                continue
            for s in segments_of(tr):
                st, d = as_int(s.get("st")), as_int(s.get("d"))
                if st == 0 and d == old and old:
                    s["d"] = new
                elif st + d > new:
                    st = min(st, max(0, new - d))
                    s["st"], s["d"] = st, min(d, new - st)
