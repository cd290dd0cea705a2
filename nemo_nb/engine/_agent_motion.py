"""The agent's edits of the motion: effects (several compose), strength, speed, duration, loops,
aspect, fit, added photos, and the note when a photo is too small for the frame."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from nemo_nb.engine._agent_draft import (
    DEFAULT_STRENGTH,
    MAX_MS,
    MIN_MS,
    PERIOD_MS,
    SINGLE_MS,
    SIZES,
    SLIDE_MS,
    SOFT_UPSCALE,
    STRENGTH_STEP,
    TRANSITION_MS,
    Combo,
    EditorState,
    as_int,
    clamp,
    combos_for,
    fx_items,
    fx_value,
    loops_for,
    meta_of,
    still_fx,
    video_segment,
)
from nemo_nb.engine._agent_types import MediaRef, ToolCall
from nemo_nb.engine._agent_words import MSG, REMOVE_WHAT, fx_names, say, secs


class MotionEdits(EditorState):
    """One small method per kind of motion edit."""

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
            d = as_int(last.get("d"), SLIDE_MS) if last else SLIDE_MS
            fx = copy.deepcopy(meta_of(last).get("fx") if last else None)
            seg = video_segment(
                self.next_id("s", segment=True), media, d, fx or still_fx("alive", 0.5, d)
            )
            tr = copy.deepcopy(meta_of(last).get("tr") if last else None)
            seg["m"]["tr"] = tr or {"type": "crossfade", "d": TRANSITION_MS}
            segs.append(seg)
        self.relayout()
        self.calls.append(
            ToolCall("edit_multitrack", {"op": "add_media", "media": [m.media_id for m in new]})
        )
        self.say("added_media", n=len(new))

    def _apply_fx(
        self,
        effects: Combo,
        wanted: list[int] | None = None,
        *,
        add: bool = False,
        remove: bool = False,
    ) -> None:
        segs = self.segs()
        touched = []
        targets = self.targets(wanted)
        combos = combos_for(effects, len(targets))
        for k, j in enumerate(targets):
            items = self.fx(segs[j])
            if items is None:
                self.problem("video_fx")
                continue
            if remove and self.p.remove_effects and len(items) > 1:
                # "remove the bounce" from jiggle + bounce: that one goes, the rest stay
                keep = [fx for fx in items if fx.get("type") not in self.p.remove_effects]
                if keep and len(keep) < len(items):
                    meta_of(segs[j])["fx"] = fx_value(keep)
                    touched.append(segs[j].get("id"))
                    continue
            base = items[0]
            d = as_int(segs[j].get("d"), SINGLE_MS)
            adding = add and not remove
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
                fx["loops"] = loops_for(kind, d)
                if kind == "kenburns":
                    fx["dir"] = direction or "in"
                else:
                    fx.pop("dir", None)
                if all(fx is not x for x in new):
                    new.append(fx)
            meta_of(segs[j])["fx"] = fx_value(new)
            touched.append(segs[j].get("id"))
        if touched and remove:
            self.calls.append(ToolCall("remove", {"target": "effect", "segments": touched}))
        elif touched:
            args: dict[str, Any] = {"effect": effects[0][0], "segments": touched}
            if len(combos[0]) > 1 or add:
                args["effects"] = [kind for kind, _ in combos[0]]
            self.calls.append(ToolCall("apply_motion", args))
            now: Combo = [(str(fx.get("type")), None) for fx in fx_items(segs[targets[0]])]
            if len(targets) < len(segs):  # "the second photo bounces"
                which = ", ".join(str(j + 1) for j in targets)
                self.quietly("did_effects_on", n=which, effect=fx_names(now, self.lang))
            else:
                self.quietly("did_effects", effect=fx_names(now, self.lang))

    def set_effects(self) -> None:
        p = self.p
        if "effect" in p.removes and not p.effect_ops and not self.created:
            self._apply_fx([("none", None)], remove=True)  # "remove the (bounce) effect"
            self.say("removed", what="effect", what_zh=REMOVE_WHAT["effect"])
            return
        segs = self.segs()
        there = {str(fx.get("type")) for j in self.targets() for fx in fx_items(segs[j])}
        missing: Combo = [(k, None) for k in p.tweak_effects if k not in there]
        if missing and not self.created:  # "make the bounce faster" when nothing bounces yet
            self._apply_fx(missing, p.targets)
        for op in p.effect_ops:  # one per clause: "the second photo bounces, the third sways"
            effects = [e for e in op.effects if e[0] != "none"]
            if effects and not (self.created and not op.targets):  # a build applied those
                self._apply_fx(effects, op.targets, add=op.add)

    def set_strength(self) -> None:
        p = self.p
        if p.strength_set is not None and p.strength_set > 1.0:
            self.problem("capped_strength")
        if self.created:
            return
        if (
            p.strength_set is None
            and not p.strength_step
            and not p.strength_scale
            and p.strength_abs is None
        ):
            return

        def strength(fx: dict[str, Any]) -> float:
            cur = float(fx.get("strength", DEFAULT_STRENGTH))
            if p.strength_set is not None:
                new = p.strength_set
            elif p.strength_scale:
                new = cur * p.strength_scale  # "half as strong"
            else:
                # On an existing timeline "subtle"/"strong" are steps, like "subtler"/"stronger".
                new = cur + (p.strength_step or p.strength_abs_step) * STRENGTH_STEP
            return round(clamp(new, 0.05, 1.0), 2)

        self._tune("strength", strength)
        now = self._first_fx("strength")
        if now is not None and not (p.strength_set or 0) > 1.0:
            self.quietly("did_strength", v=round(float(now) * 100))

    def set_speed(self) -> None:
        p = self.p
        if p.speed_factor is None and p.speed_set is None:
            return

        capped: list[float] = []

        def speed(fx: dict[str, Any]) -> float:
            cur = float(fx.get("speed", 1.0))
            new = p.speed_set if p.speed_set is not None else cur * (p.speed_factor or 1.0)
            if not 0.25 <= new <= 4.0:
                capped.append(clamp(new, 0.25, 4.0))
            return round(clamp(new, 0.25, 4.0), 3)

        self._tune("speed", speed)
        if capped:
            self.problem("capped_speed", v=f"{capped[0]:g}")
        now = self._first_fx("speed")
        if now is not None and not capped:
            self.quietly("did_speed", v=f"{float(now):g}")

    def _tune(self, key: str, value: Callable[[dict[str, Any]], float]) -> None:
        """Set ``key`` to ``value(fx)`` on each effect the request names, on the targeted
        segments, and record the one ``apply_motion`` call."""
        segs = self.segs()
        tuned: list[dict[str, Any]] = []
        for j in self.targets():
            items = self.fx(segs[j])
            if items is None:
                continue
            for fx in self.tuned(items):
                fx[key] = value(fx)
                tuned.append(fx)
        args: dict[str, Any] = {key: tuned[0].get(key) if tuned else self._first_fx(key)}
        if self.p.tweak_effects and tuned:
            args["effect"] = tuned[0].get("type")
        self.calls.append(ToolCall("apply_motion", args))

    def _first_fx(self, key: str) -> Any:
        for s in self.segs():
            for fx in fx_items(s):
                if key in fx:
                    return fx[key]
        return None

    def _resize(self, seg: dict[str, Any], d: int) -> None:
        """Set a segment's duration, keeping its motion period (so the loop count follows)."""
        old = max(1, as_int(seg.get("d"), d))
        seg["d"] = max(100, d)
        for fx in fx_items(seg):
            if fx.get("type") in PERIOD_MS:
                period = old / max(1, as_int(fx.get("loops"), 1))
                fx["loops"] = max(1, round(seg["d"] / period))

    def set_duration(self) -> None:
        p = self.p
        segs = self.segs()
        if not segs:
            return
        if p.seg_ms is not None and not self.created:
            longest = MAX_MS // len(segs)
            if p.seg_ms > longest:
                self.problem("capped_seg", max=secs(longest), total=MAX_MS // 1000)
            for s in segs:
                self._resize(s, as_int(clamp(p.seg_ms, 500, longest)))
        total = sum(as_int(s.get("d")) for s in segs)
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
                self.quietly("did_seg", secs=secs(as_int(segs[0].get("d"))))
            return
        capped = not MIN_MS <= target <= MAX_MS
        if target > MAX_MS:
            self.problem("capped_duration", max=MAX_MS // 1000)  # "2 minutes long"
        elif target < MIN_MS:
            self.problem("min_duration", min=MIN_MS // 1000)
        target = as_int(clamp(target, MIN_MS, MAX_MS))
        # Split the new length in proportion to the old one (equal segments stay equal); the
        # cumulative rounding makes the parts add up to exactly ``target``.
        weights = [max(1, as_int(s.get("d"))) for s in segs]
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
            if not capped:
                self.quietly("did_duration", secs=secs(target))

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
            d = as_int(s.get("d"), SINGLE_MS)
            periods = [d / max(1, as_int(fx.get("loops"), 1)) for fx in items]
            if not keep_length:
                s["d"] = as_int(clamp(n * periods[0], 500, 60000))
            items[0]["loops"] = n
            for fx, period in zip(items[1:], periods[1:], strict=True):
                fx["loops"] = max(1, round(as_int(s["d"]) / period))
        self.relayout()
        if self.total() > MAX_MS:  # loops of every photo may not exceed the 60 s limit
            scale = MAX_MS / self.total()
            for s in segs:
                s["d"] = max(100, int(as_int(s.get("d")) * scale))
            self.relayout()
            self.problem("capped_loops", max=MAX_MS // 1000)
        self.calls.append(ToolCall("apply_motion", {"loops": n}))
        self.quietly("did_loops", n=n)

    def set_aspect(self) -> None:
        aspect = self.p.aspect
        if not aspect:
            return
        w, h = SIZES[aspect]
        meta = meta_of(self.d)
        meta.update({"aspect": aspect, "width": w, "height": h})
        meta.setdefault("fps", 30)
        if not self.created:
            self.calls.append(ToolCall("edit_multitrack", {"op": "aspect", "aspect": aspect}))
            self.quietly("did_aspect", aspect=aspect)

    def set_fit(self) -> None:
        """ "Show the whole photo" (contain, over a blurred fill) or "fill the frame" (cover)."""
        fit = self.p.fit
        if not fit or self.created:
            return
        segs = self.segs()
        for j in self.targets():
            if meta_of(segs[j]).get("kind") != "video":
                meta_of(segs[j])["fit"] = fit
        self.calls.append(ToolCall("edit_multitrack", {"op": "fit", "fit": fit}))
        self.say("fit", how=MSG["fit_" + fit][self.lang])

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
            say("small_photo", self.lang, name=name, w=pw, h=ph, x=f"{enlarged:.1f}",
                 size=f"{w}x{h}", better=MSG[better][self.lang])
        )  # fmt: skip
