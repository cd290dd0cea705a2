"""Plain-language request -> :class:`Plan`: what to apply, and what to report as not done.

Private helper of :mod:`nemo_nb.engine.agent`. :func:`~nemo_nb.engine._agent_grammar.read` finds
the phrases and clauses; this module decides, clause by clause, what each phrase means there and
records it in the plan. It is the one place that decides what is applied and what is reported:
every clause either asks for something (an edit, or a thing that is not available here, which
becomes a :class:`Refusal`) or, when it holds words nothing understood, is reported by name.

A phrase with several meanings is read by the clause's subject: "softer" is the music's volume in
"make the music softer" and the motion's strength otherwise; "zoom" is a transition next to
"transition"; "bigger" is a title's size next to "title". A clause made only of such modifiers
("make the title red and bigger") keeps the subject of the clause before it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from nemo_nb.engine._agent_grammar import Clause, Sym, read

__all__ = ["EffectOp", "Plan", "Refusal", "TextOp", "parse", "MAX_TEXTS"]

#: Texts one message may add (a request for more says so rather than flooding the draft).
MAX_TEXTS = 6
#: Clauses not understood that a reply names one by one (the rest are counted).
MAX_UNKNOWN_NAMED = 2
#: Sentences about other parts not done (a message of many is answered in a few lines).
MAX_REFUSALS = 8
#: Parts (clauses) of one message that are read, and phrases of one part: beyond these a
#: message is not a request but a document, and the reply says the rest was not read.
MAX_CLAUSES, MAX_PHRASES = 50, 60

Combo = list[tuple[str, str | None]]


@dataclass
class TextOp:
    """One title or text overlay to add or change."""

    kind: str  # "title" | "text"
    txt: str
    change: bool = False  # "change the title to …" (vs "add a title …")
    pos: str | None = None  # this text's own position ("Day 1" at the top, "Day 2" at the bottom)
    color: str | None = None


@dataclass
class EffectOp:
    """Effects one clause asks for, on which photos ([] = all), composed on what is there or not."""

    effects: Combo
    targets: list[int] = field(default_factory=list)
    add: bool = False


@dataclass
class Refusal:
    """A part of the request that is not done: a sentence key of ``_agent_words.MSG`` and its
    arguments (the words the user typed, the nearest thing that is available)."""

    key: str
    kw: dict[str, Any] = field(default_factory=dict)


@dataclass
class Plan:
    """Everything one message asks for. ``None``/empty means "not asked"."""

    lang: str = "en"
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
    effects: Combo = field(default_factory=list)
    effect_ops: list[EffectOp] = field(default_factory=list)
    tweak_effects: list[str] = field(default_factory=list)  # "less bounce": which effect to tune
    remove_effects: list[str] = field(default_factory=list)  # "remove the bounce": only that one
    fit: str | None = None  # "cover" | "contain" ("show the whole photo")
    strength_abs: float | None = None  # "subtle" / "strong" as adjectives (a new timeline)
    strength_abs_step: float = 0.0  # the same on an existing timeline: a step down or up
    strength_step: float = 0.0  # steps up (+) or down (-), 1 = "stronger", 0.5 "a bit"
    strength_set: float | None = None  # "strength 70%", "barely noticeable"
    strength_scale: float | None = None  # "half as strong"
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
    music_nearest: str | None = None  # the style asked for when only the nearest mood exists
    music_fade: str | None = None  # "in" | "out"
    volume_set: float | None = None
    volume_scale: float | None = None
    removes: list[str] = field(default_factory=list)  # title text alltext music effect
    remove_segments: list[int] = field(default_factory=list)
    targets: list[int] = field(default_factory=list)  # ordinal indices (-1 = last)
    refusals: list[Refusal] = field(default_factory=list)  # what is not done, and why
    unknown: list[str] = field(default_factory=list)  # parts nothing understood, as typed

    @property
    def zh(self) -> bool:
        return self.lang == "zh"

    def understood(self) -> bool:
        """Whether anything at all was recognised as a request (refusals aside)."""
        return any(
            (
                self.undo, self.help, self.thanks, self.export, self.create, self.add_media,
                self.effects, self.effect_ops, self.strength_abs is not None,
                self.strength_step, self.strength_set is not None, self.strength_scale,
                self.speed_factor is not None, self.speed_set is not None, self.loops,
                self.loop_mention, self.duration_ms, self.duration_delta_ms,
                self.duration_scale, self.seg_ms, self.aspect, self.transition,
                self.transition_ms, self.transition_scale, self.texts, self.music_fade,
                self.text_color, self.text_pos, self.text_size, self.title_without_text,
                self.music, self.volume_set is not None, self.volume_scale, self.removes,
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
                self.strength_step, self.strength_set is not None, self.strength_scale,
                self.speed_factor is not None, self.speed_set is not None, self.loops,
                self.duration_ms, self.duration_delta_ms, self.duration_scale, self.seg_ms,
                self.aspect, self.transition not in (None, "none"), self.transition_ms,
                self.texts, self.music, self.fit,
            )
        )  # fmt: skip

    def edits(self) -> bool:
        """Whether the message asks for a change to the timeline (not just undo/help/export)."""
        return replace(
            self, undo=False, help=False, thanks=False, export=False, hd=False
        ).understood()

    def refuse(self, key: str, **kw: Any) -> None:
        if any((r.key, r.kw) == (key, kw) for r in self.refusals):
            return
        if len(self.refusals) < MAX_REFUSALS:
            self.refusals.append(Refusal(key, kw))
        elif self.refusals[-1].key == "more_not_done":
            self.refusals[-1].kw["n"] += 1
        else:
            self.refusals.append(Refusal("more_not_done", {"n": 1}))


#: Categories whose phrases belong to a subject, for phrases with several meanings.
_FAMILY = {
    "music": {"music", "mood", "volume", "fade", "upload_music", "song"},
    "text": {"size", "color", "pos", "title", "text", "intro", "quote"},
    "transition": {"transition", "tr_type", "tr_word"},
}
#: A clause made only of these keeps the subject of the clause before it ("… and bigger").
_MODIFIERS = {"size", "soft", "color", "pos", "mag", "strength", "speed", "volume", "count",
              "moreless", "duration", "change", "stop", "new", "add", "create"}  # fmt: skip
#: What a removal can be about, alone in a clause after "and".
_OBJECTS = {"title", "text", "music", "effect", "effect_noun", "transition", "clip", "ordinal",
            "src", "count", "mood", "upload_music"}  # fmt: skip
_SPEED_STEP = {0.5: 1.1, 1.0: 1.25, 2.0: 1.6}
_DUR_STEP = {0.5: 0.1, 1.0: 0.25, 2.0: 0.5}
_TR_STEP = {0.5: 1.25, 1.0: 1.5, 2.0: 2.0}
_TEXT_STEP = {0.5: 1.15, 1.0: 1.3, 2.0: 1.6}
_VOL_STEP = {0.5: 0.85, 1.0: 0.7, 2.0: 0.5}
_DETERMINERS = {"the", "this", "that", "its", "my"}


def parse(message: str) -> Plan:
    """Read one user message into a :class:`Plan`. Pure; never raises on odd input."""
    reading = read(message or "")
    planner = _Planner(Plan(lang=reading.lang))
    syms = [s for c in reading.clauses for s in c.syms]
    content = [s for s in syms if not _only(s, {"undo", "help", "thanks", "count", "stop", "mag"})]
    if any(s.has("undo") for s in syms):
        planner.p.undo = True
        rest = [c.text for c in reading.clauses if not any(s.has("undo") for s in c.syms)]
        rest = [t for t in rest if t.strip(" ,.!?")]
        if rest:
            planner.p.refuse("undo_alone", what=_short(" ".join(rest)))
        return planner.p
    unknown = [c for c in reading.clauses if c.unknown]
    if any(s.has("help") for s in syms) and not content and not unknown:
        planner.p.help = True
        return planner.p
    if any(s.has("thanks") for s in syms) and not content and not unknown:
        planner.p.thanks = True
        return planner.p
    read_part = reading.clauses[:MAX_CLAUSES]
    for clause in read_part:
        planner.clause(clause)
    unread = [c.syms[MAX_PHRASES].text for c in read_part if len(c.syms) > MAX_PHRASES]
    unread += [c.text for c in reading.clauses[MAX_CLAUSES : MAX_CLAUSES + 1]]
    if unread:
        planner.p.refuse("too_long", n=MAX_CLAUSES, what=_short(unread[0]))
    planner.finish([s for c in read_part for s in c.syms])
    return planner.p


def _only(s: Sym, cats: set[str]) -> bool:
    return all(c in cats for c, _ in s.meanings)


def _short(text: str, limit: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


class _Planner:
    """Reads clause after clause into one plan."""

    def __init__(self, plan: Plan) -> None:
        self.p = plan
        self.subject: str | None = None  # of the clause before
        self.targets: list[int] = []  # the photos the clause before was about
        self.ordinals = False  # an earlier clause named photos: "the second photo …, the third …"
        self.removing = (
            False  # the clause before removed something: "remove the title and the music"
        )
        self.text_kind: str | None = None  # the kind of the last text asked for
        self.unknown_count = 0

    # --- one clause ------------------------------------------------------------------------

    def clause(self, c: Clause) -> None:
        p = self.p
        before = (len(p.refusals), _snapshot(p))
        cats = {cat for s in c.syms for cat, _ in s.meanings}
        subject = self._subject(c, cats)
        meanings = []
        for si, s in enumerate(c.syms[:MAX_PHRASES]):
            chosen = self._meanings(s, subject)
            meanings += [(s, cat, val, si) for cat, val in chosen]
            if not chosen:
                c.unknown.append(s.text)  # "make it happy": a mood, but of no music
        has = {m[1] for m in meanings}
        mag = next((m[2] for m in meanings if m[1] == "mag"), 1.0)
        targets = self._targets(c, has, meanings)
        everyone = any(t.key in ("all", "every", "them", "others", "所有") for t in c.tokens)
        if not targets and c.joined == "soft" and has & {"effect", "strength", "speed"}:
            targets = [] if everyone else list(self.targets)  # "the second photo … and bounce"
        remove = "remove" in has
        if not remove and self.removing and c.joined == "soft" and has and has <= _OBJECTS:
            has.add("remove")  # "… and the music": the same verb
            remove = True
        effects: Combo = []
        for s, cat, val, si in meanings:
            handler = getattr(self, "_" + cat, None)
            if handler is not None:
                handler(s, val, c=c, si=si, meanings=meanings, has=has, subject=subject,
                        mag=mag, targets=targets, effects=effects, remove=remove)  # fmt: skip
        if "song" in has:
            self._songs(c)
        if remove:
            self._removal(c, has, meanings, targets)
        if effects:
            add = "add" in has
            p.effect_ops.append(EffectOp(effects, targets, add))
            for e in effects:
                if e not in p.effects:
                    p.effects.append(e)
        if targets and (has & {"strength", "speed", "moreless", "size", "soft", "loops", "fit"}):
            p.targets += [t for t in targets if t not in p.targets]
        if "add" in has and (has & {"src", "clip"}) and self._adds_photos(c):
            p.add_media = True
        acted = (len(p.refusals), _snapshot(p)) != before
        if c.unknown and not acted:
            self._unknown(c)
        self.subject = (
            subject if subject else (self.subject if self._modifiers_only(cats) else None)
        )
        self.targets = targets
        self.ordinals = self.ordinals or bool(targets)
        self.removing = remove

    def _subject(self, c: Clause, cats: set[str]) -> str | None:
        if cats & {"transition", "tr_type"}:
            return "transition"
        if cats & {"title", "text", "quote", "intro", "as_text", "intro_long"}:
            music_only = cats & {"music", "song"} and not cats & {"title", "text", "intro"}
            return "music" if music_only else "text"
        if cats & {"music", "upload_music", "fade", "song"} or any(
            s.has("volume") and s.value("volume") != "kw" for s in c.syms
        ):
            return "music"
        if any(s.has("mood") and s.value("mood")[2] for s in c.syms):
            return "music"  # "some jazz"
        if any(s.has("volume") for s in c.syms):
            return "music"
        if self._modifiers_only(cats):
            return self.subject
        return None

    @staticmethod
    def _modifiers_only(cats: set[str]) -> bool:
        return bool(cats) and cats <= _MODIFIERS

    def _meanings(self, s: Sym, subject: str | None) -> list[tuple[str, Any]]:
        """The meanings of ``s`` in a clause about ``subject``: a phrase of that subject's
        family if it has one ("softer music"), else those of no family ("zoom" the effect)."""
        meanings = s.meanings
        if len(meanings) > 1:
            mine = [(c, v) for c, v in meanings if c in _FAMILY.get(subject or "", ())]
            if mine:
                return mine
            free = [(c, v) for c, v in meanings if all(c not in f for f in _FAMILY.values())]
            meanings = free or meanings
        # "happy", "calm": a mood only when the clause speaks of music
        return [
            (c, v) for c, v in meanings if not (c == "mood" and not v[2] and subject != "music")
        ]

    def _targets(self, c: Clause, has: set[str], meanings: list[Any]) -> list[int]:
        out: list[int] = []
        clip = bool(has & {"clip", "src"})
        for s, cat, val, _ in meanings:
            if cat != "ordinal":
                continue
            photo_phrase = len(s.nums) > 0 or " " in s.text.strip() or not s.text.isascii()
            if clip or photo_phrase or self.ordinals:
                index = int(s.nums[-1]) - 1 if val == "#" and s.nums else int(val)
                if index not in out:
                    out.append(index)
        return out

    def _adds_photos(self, c: Clause) -> bool:
        """ "add the new photo", "add this photo": the verb right before the noun."""
        for k, s in enumerate(c.syms):
            if not s.has("add"):
                continue
            for nxt in c.syms[k + 1 : k + 4]:
                if nxt.has("src") or nxt.has("clip"):
                    return True
                if not (nxt.has("new") or nxt.has("count") or nxt.has("ordinal")):
                    break
        return False

    def _unknown(self, c: Clause) -> None:
        self.unknown_count += 1
        if self.unknown_count <= MAX_UNKNOWN_NAMED:
            self.p.unknown.append(_short(c.text))

    # --- the meanings (one method per category; unknown categories mean nothing) ----------

    def _effect(self, s: Sym, val: Any, *, c: Clause, si: int, has: set[str], remove: bool,
                effects: Combo, **_: Any) -> None:  # fmt: skip
        p = self.p
        kind, direction = val
        if remove:
            return  # the removal reads it
        if self._negated(c, s, si):
            return  # "instead of sway", "change bounce to jiggle"
        near = _neighbours(c, si, "moreless")
        tweak = has & {"strength", "speed", "moreless", "soft", "size"}
        follows = _neighbours(c, si, "strength") + _neighbours(c, si, "speed")
        chinese = not s.text.isascii() and any(x.i == s.j for x in follows)  # "抖动强度减半"
        if near or chinese or (tweak and self._after_determiner(c, s)):
            if kind not in p.tweak_effects:
                p.tweak_effects.append(kind)  # "less bounce", "make the bounce softer"
            return
        if direction is None and any(d is not None and e == kind for e, d in effects):
            return  # "ken burns zoom out": the direction says it
        if direction is not None:
            effects[:] = [(e, d) for e, d in effects if not (e == kind and d is None)]
        if (kind, direction) not in effects:
            effects.append((kind, direction))

    @staticmethod
    def _after_determiner(c: Clause, s: Sym) -> bool:
        k = c.at(s)
        return k > 0 and c.tokens[k - 1].key in _DETERMINERS

    @staticmethod
    def _negated(c: Clause, s: Sym, si: int) -> bool:
        prev = c.syms[si - 1] if si else None
        if prev is not None and prev.has("neg"):
            return True
        # "change bounce to jiggle", "switch the sway for a pulse"
        if prev is not None and prev.has("change"):
            end = c.at(s) + (s.j - s.i)
            rest = [t.key for t in c.tokens[end : end + 2]]
            return bool(rest) and (rest[0] in ("to", "with", "into", "for") or rest[-1] == "to")
        return False

    def _comparative(self, s: Sym, val: Any, *, mag: float, **_: Any) -> None:
        """ "bouncier": more of the bounce (the editor adds a bounce if there is none)."""
        kind, sign = val
        if kind not in self.p.tweak_effects:
            self.p.tweak_effects.append(kind)
        self.p.strength_step = sign * mag

    def _effect_noun(self, s: Sym, val: Any, **_: Any) -> None:
        return None  # "effect", "motion": read by the removal and by "add motion"

    def _strength(self, s: Sym, val: Any, *, mag: float, **_: Any) -> None:
        p = self.p
        kind, amount = val
        if kind == "step":
            p.strength_step = amount * mag
        elif kind == "scale":
            p.strength_scale = amount
        elif kind == "set":
            v = s.nums[0] if amount == "#" and s.nums else float(amount)
            p.strength_set = v / 100 if (v > 1 or "%" in s.text or "percent" in s.text) else v
        else:  # an adjective: the level of a new timeline, a step on an existing one
            p.strength_abs = amount
            p.strength_abs_step = (-1 if amount < 0.5 else 1) * mag

    def _moreless(self, s: Sym, val: Any, *, c: Clause, si: int, mag: float, **_: Any) -> None:
        """A bare "more"/"less": only next to an effect ("more jiggle") or ending the clause."""
        near = _neighbours(c, si, "effect")
        n = len(c.syms)
        last = si == n - 1 or (si == n - 2 and c.syms[-1].has("stop"))  # "more please"
        if near or last:
            self.p.strength_step = val * mag

    def _size(self, s: Sym, val: Any, *, subject: str | None, mag: float, **_: Any) -> None:
        p = self.p
        if subject == "text":
            step = _TEXT_STEP[mag]
            p.text_size = step if val > 0 else 1 / step
        elif subject == "music":
            p.volume_scale = _VOL_STEP[mag] ** -val
        else:
            p.strength_step = val * mag

    def _soft(self, s: Sym, val: Any, *, subject: str | None, mag: float, **_: Any) -> None:
        if subject == "music":
            self.p.volume_scale = _VOL_STEP[mag]
        else:
            self.p.strength_step = val * mag

    def _speed(self, s: Sym, val: Any, *, subject: str | None, mag: float, **_: Any) -> None:
        p = self.p
        kind, amount = val
        if subject == "transition":  # "faster transitions": shorter ones
            if kind == "step":
                p.transition_scale = _TR_STEP[mag] ** -amount
            return
        num = s.nums[0] if s.nums else None
        if kind == "step":
            p.speed_factor = _SPEED_STEP[mag] ** amount
        elif kind == "scale":
            if amount == "#" and num:
                p.speed_factor = num
            elif amount == "1/#" and num:
                p.speed_factor = 1 / num
            elif isinstance(amount, float):
                p.speed_factor = amount
        elif kind == "set" and num:
            p.speed_set = num

    def _smooth(self, s: Sym, val: Any, **_: Any) -> None:
        self.p.smooth = True

    def _duration(self, s: Sym, val: Any, *, subject: str | None, has: set[str], mag: float,
                  **_: Any) -> None:  # fmt: skip
        p = self.p
        kind, amount = val
        num = s.nums[0] if s.nums else None
        if kind == "ms" and num is not None:
            ms = round(num * amount)
            if subject == "transition":
                p.transition_ms = ms
            elif "each" in has:
                p.seg_ms = ms
            else:
                p.duration_ms = ms
        elif kind == "fixed":
            p.duration_ms = amount
        elif kind == "step":
            if subject == "transition":
                p.transition_scale = _TR_STEP[mag] ** amount
            else:
                p.duration_scale = 1 + amount * _DUR_STEP[mag]
        elif kind == "scale":
            p.duration_scale = amount
        elif kind == "delta" and num is not None:
            p.duration_delta_ms = round(num * 1000) * amount

    def _loops(self, s: Sym, val: Any, **_: Any) -> None:
        n = s.nums[0] if val == "#" and s.nums else val
        if isinstance(n, (int, float)) and n >= 1:
            self.p.loops = int(n)

    def _loop(self, s: Sym, val: Any, **_: Any) -> None:
        self.p.loop_mention = True

    def _percent(self, s: Sym, val: Any, *, subject: str | None, has: set[str], **_: Any) -> None:
        p = self.p
        v = s.nums[0] / 100 if s.nums else 0.0
        if subject == "music":
            p.volume_set = v
        elif has & {"effect", "effect_noun", "strength"}:
            p.strength_set = v
        else:
            p.refuse("what_percent", n=f"{s.nums[0]:g}" if s.nums else "?")

    def _aspect(self, s: Sym, val: Any, **_: Any) -> None:
        self.p.aspect = val

    def _platform(self, s: Sym, val: Any, *, has: set[str], **_: Any) -> None:
        name, aspect = val
        if "post" in has:
            self.p.refuse("post", where=name)
        elif aspect:
            self.p.aspect = aspect  # "for TikTok": its shape

    def _post(self, s: Sym, val: Any, *, has: set[str], **_: Any) -> None:
        if "platform" not in has:
            self.p.refuse("post", where="")

    def _fit(self, s: Sym, val: Any, **_: Any) -> None:
        self.p.fit = val

    def _transition(self, s: Sym, val: Any, *, remove: bool, **_: Any) -> None:
        p = self.p
        if remove:
            p.transition = "none"
        elif not p.transition:
            p.transition = "default"  # "with transitions", "加转场"

    def _tr_type(self, s: Sym, val: Any, **_: Any) -> None:
        self.p.transition = val

    def _tr_word(self, s: Sym, val: Any, *, remove: bool, **_: Any) -> None:
        self.p.transition = "none" if remove else val

    def _quote(self, s: Sym, val: Any, *, c: Clause, has: set[str], subject: str | None,
               meanings: list, remove: bool, **_: Any) -> None:  # fmt: skip
        p = self.p
        if remove:
            return
        if subject == "music":
            p.refuse("song", what=_short(s.text))  # "play 'Happy' by Pharrell"
            return
        if len(p.texts) >= MAX_TEXTS:
            p.refuse("capped_texts", n=MAX_TEXTS)
            return
        kind = self._text_kind(s, c, meanings)
        change = "change" in has or any(m[1] == "intro" and m[2][1] for m in meanings)
        pos = next((m[2] for m in meanings if m[1] == "pos"), None)
        color = next((m[2] for m in meanings if m[1] == "color"), None)
        p.texts.append(TextOp(kind, s.text, change, pos, color))
        self.text_kind = kind

    def _text_kind(self, s: Sym, c: Clause, meanings: list) -> str:
        """title or text: the intro's noun, else the nearest noun, else the text before's."""
        for _, cat, v, _ in meanings:
            if cat == "intro" and v[0]:
                return str(v[0])
            if cat == "as_text":
                return str(v)
        nouns = [(x.i, "title" if x.has("title") else "text") for x in c.syms
                 if x.has("title") or x.has("text")]  # fmt: skip
        before = [kind for i, kind in nouns if i < s.i]
        if before:
            return before[-1]
        if nouns:
            return nouns[0][1]
        return self.text_kind or "text"

    def _intro_long(self, s: Sym, val: Any, **_: Any) -> None:
        self.p.title_without_text = True  # where the text ends is a guess: ask for quotes

    def _intro(self, s: Sym, val: Any, *, has: set[str], remove: bool, **_: Any) -> None:
        kind, _change = val
        placing = "pos" in has and s.text.split()[0].lower() in ("put", "place", "move", "show")
        if kind is not None and "quote" not in has and not remove and not placing:
            self.p.title_without_text = True  # "add a title": what should it say?

    def _title(self, s: Sym, val: Any, *, has: set[str], **_: Any) -> None:
        self._style_target("title", has)

    def _text(self, s: Sym, val: Any, *, has: set[str], **_: Any) -> None:
        self._style_target("text", has)

    def _style_target(self, kind: str, has: set[str]) -> None:
        if self.p.text_target is None and "quote" not in has:
            self.p.text_target = kind

    def _color(self, s: Sym, val: Any, *, subject: str | None, has: set[str], **_: Any) -> None:
        if subject == "text":
            if "quote" not in has:
                self.p.text_color = val
        else:
            self.p.refuse("unsupported_filter", what=s.text)  # "make it red": a colour filter

    def _pos(self, s: Sym, val: Any, *, has: set[str], **_: Any) -> None:
        if "quote" not in has:
            self.p.text_pos = val  # "move the title to the bottom", "at the top"

    def _music(self, s: Sym, val: Any, *, has: set[str], remove: bool, **_: Any) -> None:
        p = self.p
        if remove or has & {"upload_music", "song", "fade"} or p.music == "upload":
            return
        if "volume" in has and not (has & {"add", "mood"}) and val is None:
            return  # "make the music quieter": the music that is there
        if not p.music or p.music == "default":
            p.music = val or "default"

    def _mood(self, s: Sym, val: Any, *, remove: bool, has: set[str], **_: Any) -> None:
        p = self.p
        if remove or "upload_music" in has:
            return
        mood, nearest, _strong = val
        p.music = mood
        p.music_nearest = nearest if nearest != "that style" else s.text

    def _volume(self, s: Sym, val: Any, *, mag: float, **_: Any) -> None:
        p = self.p
        if val == "kw":
            return
        if val == "mute":
            p.volume_set = 0.0
        elif val == "unmute":
            p.volume_set = 0.35
        elif val[0] == "step":
            p.volume_scale = _VOL_STEP[mag] ** -val[1]
        elif val[0] == "set" and s.nums:
            v = s.nums[0]
            percent = v > 1 or "%" in s.text or "percent" in s.text
            p.volume_set = v / 100 if percent else v

    def _fade(self, s: Sym, val: Any, **_: Any) -> None:
        self.p.music_fade = val

    def _upload_music(self, s: Sym, val: Any, *, remove: bool, **_: Any) -> None:
        if not remove:
            self.p.music = "upload"

    def _export(self, s: Sym, val: Any, **_: Any) -> None:
        self.p.export = True

    def _hd(self, s: Sym, val: Any, **_: Any) -> None:
        self.p.hd = True

    def _unsupported(self, s: Sym, val: Any, **_: Any) -> None:
        kind, _ = val
        if kind == "fps" and s.nums and s.nums[0] == 30:
            return  # what it already is
        self.p.refuse("unsupported_" + kind, what=_short(s.text))

    def _songs(self, c: Clause) -> None:
        """ "add Shape of You by Ed Sheeran": the words from the first name to the last."""
        songs = [x for x in c.syms if x.has("song")]
        first, last = (
            c.tokens[c.at(songs[0])],
            c.tokens[c.at(songs[-1]) + songs[-1].j - songs[-1].i - 1],
        )
        whole = c.text[first.start - c.tokens[0].start : last.end - c.tokens[0].start]
        self.p.refuse("song", what=_short(whole.removeprefix("a song by ").strip()))

    def _filler(self, s: Sym, val: Any, **_: Any) -> None:
        return None  # understood, nothing to do

    # --- removals -----------------------------------------------------------------------------

    def _removal(self, c: Clause, has: set[str], meanings: list, targets: list[int]) -> None:
        p = self.p
        before = (list(p.removes), list(p.remove_segments))
        vals = [m[2] for m in meanings if m[1] == "remove"]
        if has & {"title", "intro"} and any(
            cat == "title" or (cat == "intro" and v[0] == "title") for _, cat, v, _ in meanings
        ):
            p.removes.append("title")
        if "text" in has:
            everything = any(t.key in ("all", "所有") for t in c.tokens)
            p.removes.append("alltext" if everything else "text")
        if has & {"music", "mood", "upload_music"} and "music" not in p.removes:
            p.removes.append("music")
        kinds = [m[2][0] for m in meanings if m[1] == "effect"]
        if kinds or "effect_noun" in has or "effect" in vals:
            p.removes.append("effect")  # "remove the bounce", "stop the motion"
            p.remove_effects = kinds
            p.targets += [t for t in targets if t not in p.targets]
        elif targets:
            p.remove_segments += targets  # "delete the second photo"
        if has & {"transition", "tr_type", "tr_word"}:
            p.transition = "none"
        bare = all(m[0].text.lower() in ("no", "not", "stop", "without") for m in meanings
                   if m[1] == "remove")  # fmt: skip
        unchanged = before == (p.removes, p.remove_segments)
        other = {"unsupported", "fit", "duration", "speed", "transition", "tr_type", "tr_word",
                 "volume", "loop", "loops", "strength", "effect_noun"}  # fmt: skip
        if unchanged and not bare and not has & other:
            p.refuse("remove_what")  # "remove it"

    # --- the whole message ----------------------------------------------------------------------

    def finish(self, syms: list[Sym]) -> None:
        p = self.p
        cats = {c for s in syms for c, _ in s.meanings}
        verbs = [v for s in syms for c, v in s.meanings if c == "create"]
        if "strong" in verbs or (
            "verb" in verbs and cats & {"src", "out"} or "make" in verbs and "out" in cats
        ):
            p.create = True
        counts = [v for s in syms for c, v in s.meanings if c in ("count", "src") and v]
        if "many" in counts or any(op.targets for op in p.effect_ops):  # "the second photo"
            p.plural = True
        elif "one" in counts:
            p.plural = False
        if p.music == "default" and p.music_nearest:
            p.music_nearest = None
        if self.unknown_count > MAX_UNKNOWN_NAMED:
            p.refuse("unknown_more", n=self.unknown_count - MAX_UNKNOWN_NAMED)
        if any(t.kind == "title" for t in p.texts):
            p.title_without_text = False
        # effects for the same photos compose, from whichever clause: "jiggle, and bounce"
        merged: dict[tuple[int, ...], EffectOp] = {}
        for op in p.effect_ops:
            into = merged.setdefault(tuple(op.targets), EffectOp([], list(op.targets)))
            into.effects += [e for e in op.effects if e not in into.effects]
            into.add = into.add or op.add
        p.effect_ops = list(merged.values())
        if p.texts and p.text_target is None:
            p.text_target = p.texts[0].kind


def _neighbours(c: Clause, si: int, cat: str) -> list[Sym]:
    """The phrases right before and after ``c.syms[si]`` that have meaning ``cat``."""
    return [x for k, x in enumerate(c.syms[max(0, si - 1) : si + 2], max(0, si - 1))
            if k != si and x.has(cat)]  # fmt: skip


def _snapshot(p: Plan) -> tuple[Any, ...]:
    """What a clause may change in the plan (to tell whether it asked for anything)."""
    return (
        p.undo, p.export, p.hd, p.add_media, len(p.effect_ops), len(p.tweak_effects), p.fit,
        p.strength_abs, p.strength_step, p.strength_set, p.strength_scale, p.speed_factor,
        p.speed_set, p.loops, p.loop_mention, p.duration_ms, p.duration_delta_ms,
        p.duration_scale, p.seg_ms, p.aspect, p.transition, p.transition_ms,
        p.transition_scale, len(p.texts), p.text_color, p.text_pos, p.text_size,
        p.title_without_text, p.music, p.music_fade, p.volume_set, p.volume_scale,
        len(p.removes), len(p.remove_segments), p.smooth,
    )  # fmt: skip
