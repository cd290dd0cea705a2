"""The embedded engine's agent: a deterministic interpreter of plain-language timeline requests.

The cloud agent is an LLM; this one reads a message (English or Chinese) with a vocabulary that
is data, works out every part of what was asked (:mod:`nemo_nb.engine._agent_parse`) and applies
it to the current draft (``docs/draft-schema.md``), answering like the cloud: tool calls, the new
draft, and usually a short text that speaks of a GUI ("Preview it in the Timeline, then click
Export."). A prompt is a contract: each part is done, or the reply names it as not done and why
(not available here, capped, not understood), with the nearest thing that is available; "Done!"
only when nothing is missing. A turn that only tweaked the timeline and did everything asked ends
silently, as the cloud's edits often do (the client then summarises the change). It never
invents an edit: when it understands nothing, it says so and suggests prompts that work.

>>> reply = interpret("make this photo jiggle", None, [MediaRef("m1", "http://e/media/m1/a.jpg",
...                                                              "a.jpg", "image")])
>>> reply.draft["t"][0]["sg"][0]["m"]["fx"]["type"]
'jiggle'

A turn: :func:`~nemo_nb.engine._agent_parse.parse` reads the message into a ``Plan`` (what to
apply, and the refusals to report); if there is no timeline yet (or the user asks to turn uploads
the timeline lacks into a video) ``build`` makes one (``create_timeline``); then one small
``_Editor`` method per kind of edit applies the plan, in a fixed order (removals, added photos,
effects, strength, speed, duration, loops, aspect, fit, transitions, titles/text, text style,
music, volume, fades); ``sync`` keeps ``d`` at the end of the last video segment and stretches
audio and text that spanned the whole draft; ``reply`` says what was done and what was not.

Where things live: ``_agent_lexicon`` (the vocabulary per language, as data), ``_agent_grammar``
(tokens, the phrase matcher, unquoted texts, clauses; linear in the message), ``_agent_parse``
(clauses -> plan and refusals), ``_agent_types`` (the public dataclasses, re-exported here),
``_agent_words`` (every sentence, in English and Chinese), ``_agent_draft`` (defaults, tolerant
draft accessors, effect objects, the editor's state), ``_agent_motion`` and ``_agent_tracks`` (the
edits); this module runs a turn and composes the reply.

Pure, deterministic, no I/O: ids come from counters over the draft, never from a clock or RNG.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from nemo_nb.engine._agent_draft import (
    DEFAULT_STRENGTH,
    MAX_MS,
    MIN_MS,
    SINGLE_MS,
    SIZES,
    SLIDE_MS,
    STRENGTH_STEP,
    TRANSITION_MS,
    Combo,
    as_int,
    clamp,
    combos_for,
    fx_items,
    has_video,
    meta_of,
    still_fxs,
    video_segment,
)
from nemo_nb.engine._agent_motion import MotionEdits
from nemo_nb.engine._agent_parse import Plan, parse
from nemo_nb.engine._agent_tracks import TrackEdits
from nemo_nb.engine._agent_types import AgentReply, MediaRef, ToolCall
from nemo_nb.engine._agent_words import (
    LANGS,
    MSG,
    TRANSITION_NAMES,
    fx_names,
    help_text,
    prompts,
    say,
    secs,
)

__all__ = ["MediaRef", "ToolCall", "AgentReply", "interpret"]


def interpret(text: str, draft: dict[str, Any] | None, media: Sequence[MediaRef]) -> AgentReply:
    """Interpret one user message against the current draft and the session's uploads.

    ``draft`` is never modified: an edit returns a new draft (``None`` when nothing changed).
    ``media`` is in upload order; "this photo" means the most recent image.
    """
    plan = parse(text or "")
    lang = LANGS.index(plan.lang)
    not_done = refusals(plan, lang)
    if plan.undo:
        if draft is None:
            return AgentReply([], None, MSG["nothing_to_undo"][lang])
        said = _join([MSG["undo"][lang], *not_done], lang)
        return AgentReply([ToolCall("undo", {})], None, said, undo=True)
    if plan.help:
        return AgentReply([], None, help_text(lang))
    if plan.thanks:
        return AgentReply([], None, MSG["thanks"][lang])
    if not plan.edits():
        if plan.export or plan.hd:  # "export 1080p MP4": the Export button
            if has_video(draft):
                return AgentReply([], None, _join([*not_done, MSG["export"][lang]], lang))
            said = say("export_empty", lang, prompts=prompts(False, lang))
            return AgentReply([], None, _join([*not_done, said], lang), understood=False)
        if plan.refusals:  # only things that are not available here: each names the nearest
            return AgentReply([], None, _join(not_done, lang), understood=False)
        return _not_understood(draft, lang)
    return _Editor(plan, draft, media, lang).run()


def refusals(plan: Plan, lang: int) -> list[str]:
    """One sentence for each part of the request that is not done, in the order asked."""
    out = []
    for what in plan.unknown:
        out.append(say("unknown", lang, what=what))
    for r in plan.refusals:
        kw = dict(r.kw)
        if r.key == "post" and not kw.get("where"):
            kw["where"] = MSG["post_anywhere"][lang]
        out.append(say(r.key, lang, **kw))
    return out


def _join(parts: list[str], lang: int) -> str:
    return ("" if lang else " ").join(p for p in parts if p)


def _try(follow_ups: bool, lang: int) -> str:
    suggestions = prompts(follow_ups, lang)
    return f"Try: {suggestions}." if not lang else f"试试：{suggestions}。"


def _not_understood(draft: dict[str, Any] | None, lang: int) -> AgentReply:
    return AgentReply(
        [],
        None,
        say("not_understood", lang, prompts=prompts(has_video(draft), lang)),
        understood=False,
    )


class _Editor(MotionEdits, TrackEdits):
    """Applies one :class:`Plan` to a copy of the draft, collecting tool calls and sentences."""

    def run(self) -> AgentReply:
        p = self.p
        if not has_video(self.d):
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
        said = say(key, self.lang, prompts=prompts(False, self.lang))
        not_done = refusals(self.p, self.lang)
        return AgentReply([], None, _join([*not_done, said], self.lang), understood=False)

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

    def build(self, chosen: list[MediaRef]) -> None:
        """First timeline (or a rebuild of the video track) from the chosen uploads."""
        p = self.p
        many = len(chosen) > 1
        # the effects asked for every photo; those for some photos come after (set_effects)
        effects: Combo = []
        for op in p.effect_ops:
            if not op.targets:
                effects += [e for e in op.effects if e[0] != "none" and e not in effects]
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
        if p.strength_scale:
            strength *= p.strength_scale
        strength = round(clamp(strength + p.strength_step * STRENGTH_STEP, 0.05, 1.0), 2)
        seg_ms = p.seg_ms or (SLIDE_MS if many else SINGLE_MS)
        if many:  # every photo is kept: a long slideshow gives each a shorter turn
            seg_ms = min(seg_ms, MAX_MS // len(chosen))
        aspect = p.aspect or str(meta_of(self.d).get("aspect") or "9:16")
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
        combos = combos_for(effects, len(chosen))
        for i, media in enumerate(chosen):
            combo = [
                # a slideshow alternates its zooms
                (kind, ("in" if i % 2 == 0 else "out") if kind == "kenburns" and not d else d)
                for kind, d in combos[i]
            ]
            d = seg_ms
            if media.kind == "video" and media.duration_s and not many:
                d = as_int(clamp(media.duration_s * 1000, MIN_MS, MAX_MS))
            seg_id = self.next_id("s", segment=True)
            seg = video_segment(seg_id, media, d, still_fxs(combo, strength, d))
            if p.fit and media.kind == "image":
                seg["m"]["fit"] = p.fit
            if i > 0:
                seg["m"]["tr"] = {"type": "crossfade", "d": TRANSITION_MS}
            video["sg"].append(seg)
        w, h = SIZES[aspect]
        meta: dict[str, Any] = self.d["m"] if isinstance(self.d.get("m"), dict) else {}
        default_title = "Slideshow" if many else fx_names(combos[0], 0).capitalize()
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

    def reply(self) -> AgentReply:
        """What was done, then each part not done with why, then where to look next.

        "Done!" only when every part of the request was done. A turn that only tweaked the
        timeline and did everything asked for is silent (the client summarises the change);
        otherwise the reply names every edit, the quiet ones too.
        """
        changed = self.d != (self.before or {})
        lang = self.lang
        not_done = [*refusals(self.p, lang), *self.problems]
        if self.created:
            segs = self.segs()
            items = fx_items(segs[0]) if segs else []
            effect = fx_names([(str(fx.get("type")), None) for fx in items], lang)
            aspect, length = self.d["m"]["aspect"], secs(self.total())
            if len(segs) > 1:
                tr = (meta_of(segs[1]).get("tr") or {}).get("type", "crossfade")
                trn = TRANSITION_NAMES.get(tr, ("no", "无"))[lang]
                kw = {"n": len(segs), "transition": trn}
                head = say("created_many", lang, secs=length, aspect=aspect, effect=effect, **kw)
            else:
                name = segs[0].get("n", "your photo")
                head = say(
                    "created_one", lang, secs=length, aspect=aspect, effect=effect, name=name
                )
            if not not_done:
                head = _join([MSG["done"][lang], head], lang)
            self.said.insert(0, head)
            # A new timeline always points at the Timeline and Export.
            self.ending = "end_create_title" if self.ending == "end_title" else "end_create"
            first = self.calls[0]  # create_timeline: report the final length and shape
            first.args.update(duration_ms=self.total(), aspect=aspect)
        if not changed:
            if not_done:  # a refusal names the nearest thing; a problem alone gets prompts too
                tail = [] if self.p.refusals else [_try(has_video(self.before), lang)]
                return AgentReply([], None, _join([*not_done, *tail], lang), understood=False)
            if self.p.export or self.p.hd:
                return AgentReply([], None, MSG["export"][lang])
            if self.p.create:  # the seed prompt again: the timeline already is that video
                return AgentReply(
                    [], None, _join([MSG["ready"][lang], MSG["end_create"][lang]], lang)
                )
            return AgentReply(
                [], None, _join([MSG["no_change"][lang], MSG["end_edit"][lang]], lang)
            )
        parts = [*self.said]
        if self.said or not_done or self.notes:
            parts += [q for q in self.quiet if q not in parts]
        parts += [*not_done, *self.notes]
        if self.p.export and not self.created:
            parts.append(MSG["export"][lang])
        text = None
        if parts:
            text = _join([*parts, MSG[self.ending][lang]], lang)
        return AgentReply(self.calls, self.d, text)
