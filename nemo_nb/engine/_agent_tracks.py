"""The agent's edits of everything but the motion: removals, transitions, titles and text (a
loop's title spans the whole clip), their style, music, volume and fades."""

from __future__ import annotations

import re
from typing import Any

from nemo_nb.engine._agent_draft import (
    BUILTIN_VOL,
    MOOD_NAMES,
    TITLE_MS,
    TRANSITION_MS,
    UPLOAD_VOL,
    EditorState,
    as_int,
    clamp,
    meta_of,
    segments_of,
    tracks_of,
)
from nemo_nb.engine._agent_parse import TextOp
from nemo_nb.engine._agent_types import ToolCall
from nemo_nb.engine._agent_words import (
    FADE_HOW,
    MOOD_SAY,
    REMOVE_WHAT,
    TEXT_WHAT,
    TRANSITION_NAMES,
    secs,
)


class TrackEdits(EditorState):
    """One small method per kind of track edit."""

    def remove(self) -> None:
        p = self.p
        for what in p.removes:
            if what == "effect":
                continue  # handled with the effects
            noun = "text" if what == "alltext" else what
            tracks = tracks_of(self.d)
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
            if len(tracks_of(self.d)) < before:
                self.calls.append(ToolCall("remove", {"target": what}))
                self.say("removed", what=noun, what_zh=REMOVE_WHAT[what])
            else:
                self.problem("nothing_to_remove", what=noun, what_zh=REMOVE_WHAT[what])
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
                meta_of(segs[0]).pop("tr", None)  # the first segment has nothing to blend from

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
            m = meta_of(s)
            tr: dict[str, Any] = m["tr"] if isinstance(m.get("tr"), dict) else {}
            cur = tr.get("type") if tr.get("type") not in (None, "none") else None
            new_kind = kind if kind not in (None, "default") else (cur or "crossfade")
            if new_kind == "none":
                m["tr"] = {"type": "none", "d": 0}
                continue
            d = as_int(tr.get("d"), TRANSITION_MS) or TRANSITION_MS
            if p.transition_ms is not None:
                d = p.transition_ms
            if p.transition_scale is not None:
                d = round(d * p.transition_scale)
            m["tr"] = {
                "type": new_kind,
                "d": as_int(clamp(d, 100, min(2000, as_int(s.get("d")) // 2))),
            }
        if not self.created or p.transition not in (None, "default", "crossfade"):
            args = {"op": "transition", **segs[-1]["m"]["tr"]}
            self.calls.append(ToolCall("edit_multitrack", args))
            tr = segs[-1]["m"]["tr"]
            if tr["type"] == "none":
                self.quietly("did_no_transition")
            else:
                name = TRANSITION_NAMES.get(tr["type"], (tr["type"], tr["type"]))[self.lang]
                self.quietly("did_transition", tr=name, secs=secs(as_int(tr["d"])))

    def _text_tracks(self) -> list[dict[str, Any]]:
        return [tr for tr in tracks_of(self.d) if tr.get("tt") == 7]

    def _new_text_track(self, kind: str, op: TextOp) -> None:
        p = self.p
        title = kind == "title"
        total = self.total()
        # A loop (one photo) has no first seconds: its title stays for the whole clip, without a
        # fade, so the loop point shows no pop. A slideshow's title sits over its first photo.
        looping = self.is_loop()
        d = min(TITLE_MS, total) if title and not looping else total
        pos = op.pos or p.text_pos or ("top" if title else "bottom")
        size = round(clamp(0.07 * (p.text_size or 1.0), 0.03, 0.2), 3)
        anim = "none" if looping else "fade"
        color = op.color or p.text_color or "#ffffff"
        m = {"pos": pos, "color": color, "size": size, "anim": anim}
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
        return len(segs) == 1 and meta_of(segs[0]).get("kind") == "image"

    def _restyle(self, seg: dict[str, Any], op: TextOp | None = None) -> None:
        p = self.p
        m = meta_of(seg)
        color = (op.color if op else None) or p.text_color
        pos = (op.pos if op else None) or p.text_pos
        if color:
            m["color"] = color
        if pos:
            m["pos"] = pos
        if p.text_size:
            m["size"] = round(clamp(float(m.get("size", 0.07)) * p.text_size, 0.03, 0.2), 3)

    def set_texts(self) -> None:
        p = self.p
        titled = False  # a second title in one message is a caption of its own
        for op in p.texts:
            texts = self._text_tracks()
            titles = [tr for tr in texts if tr.get("n") == "Title"]
            others = [tr for tr in texts if tr.get("n") != "Title"]
            kind = "text" if op.kind == "title" and titled else op.kind
            if kind == "title":
                target = titles[:1] or (others[:1] if op.change else [])
            else:
                target = (others[-1:] or titles[:1]) if op.change else []
            if target and segments_of(target[0]):
                seg = segments_of(target[0])[0]
                seg["txt"] = op.txt
                self._restyle(seg, op)
                self.calls.append(ToolCall("edit_multitrack", {"op": "set_text", "txt": op.txt}))
                what = TEXT_WHAT["title" if target[0].get("n") == "Title" else "text"]
                self.quietly("did_set_text", what=what[0], what_zh=what[1], txt=op.txt)
            else:
                self._new_text_track(kind, op)
            titled = titled or kind == "title"
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
            for seg in segments_of(tr):
                self._restyle(seg)
        args = {"op": "text_style", "color": p.text_color, "pos": p.text_pos, "size": p.text_size}
        self.calls.append(ToolCall("edit_multitrack", args))
        what = TEXT_WHAT["title" if chosen[0].get("n") == "Title" else "text"]
        self.quietly("did_text_style", what=what[0], what_zh=what[1])

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
            said = name
        else:
            mood = "lofi" if p.music == "default" else p.music
            src, name, vol = f"builtin:{mood}", MOOD_NAMES[mood], BUILTIN_VOL
            said = MOOD_SAY[mood][self.lang]
        if p.volume_set is not None:
            vol = min(1.0, p.volume_set)
        audio = next(
            (tr for tr in tracks_of(self.d) if tr.get("tt") == 1 and segments_of(tr)), None
        )
        if audio is not None:
            seg = segments_of(audio)[0]
            if seg.get("src") == src:
                return
            seg.update({"src": src, "n": name})
            m = meta_of(seg)
            if p.volume_set is None and not m.get("vol"):
                m["vol"] = vol  # a new song after "mute" should be heard
            self.say("music_switch", mood=said)
        else:
            m = {"vol": vol, "fade_in": 0, "fade_out": 1000}
            seg = {"id": self.next_id("s", segment=True), "st": 0, "d": self.total(), "src": src,
                   "n": name, "m": m}  # fmt: skip
            track = {"id": self.next_id("a"), "tt": 1, "n": "BGM", "sg": [seg]}
            tracks = self.d["t"]  # audio goes below the text tracks, after video and audio
            at = max((i + 1 for i, tr in enumerate(tracks) if tr.get("tt") in (0, 1)), default=0)
            tracks.insert(at, track)
            if src.startswith("builtin:"):
                self.say("music", mood=said, vol=round(vol * 100))
            else:
                self.say("music_upload", name=name, vol=round(vol * 100))
        if p.music_nearest and src.startswith("builtin:"):  # "some jazz": Lo-fi is the closest
            self.say("music_nearest", asked=p.music_nearest, mood=said)
        self.calls.append(ToolCall("add_music", {"src": src, "vol": vol}))
        if self.ending == "end_edit":
            self.ending = "end_music"

    def set_volume(self) -> None:
        p = self.p
        if p.volume_set is None and p.volume_scale is None:
            return
        audio = [s for tr in tracks_of(self.d) if tr.get("tt") == 1 for s in segments_of(tr)]
        if not audio:
            self.problem("no_music")
            return
        for s in audio:
            m = meta_of(s)
            cur = float(m.get("vol", 0.8))
            if p.volume_set is not None:
                new = p.volume_set
                if new > 1.0:
                    self.problem("capped_volume")
            elif cur == 0 and (p.volume_scale or 1) > 1:
                new = BUILTIN_VOL  # "louder" after mute brings it back
            else:
                new = cur * (p.volume_scale or 1.0)
            m["vol"] = round(clamp(new, 0.0, 1.0), 2)
        self.calls.append(
            ToolCall("edit_multitrack", {"op": "volume", "vol": audio[0]["m"]["vol"]})
        )
        if (p.volume_set or 0) <= 1.0:
            self.quietly("did_volume", v=round(audio[0]["m"]["vol"] * 100))

    def set_fade(self) -> None:
        """ "Fade out the music": a longer fade at that end of every audio segment."""
        if not self.p.music_fade:
            return
        audio = [s for tr in tracks_of(self.d) if tr.get("tt") == 1 for s in segments_of(tr)]
        if not audio:
            self.problem("no_music")
            return
        key, ms = ("fade_in", 1000) if self.p.music_fade == "in" else ("fade_out", 2000)
        for s in audio:
            meta_of(s)[key] = min(ms, as_int(s.get("d")) // 2)
        self.calls.append(ToolCall("edit_multitrack", {"op": "music_fade", key: ms}))
        how = FADE_HOW[self.p.music_fade]
        self.quietly("did_fade", how=how[0], how_zh=how[1])
