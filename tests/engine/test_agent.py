"""The engine's deterministic agent: seed prompts, follow-ups, Chinese, negatives, undo.

Conversations live in ``agent_cases.py`` (a table); this file runs them turn by turn, checks each
expectation and validates every draft the agent produces against ``docs/draft-schema.md``.
"""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from agent_cases import ALL_CASES, JIGGLE, MEDIA, SLIDES  # noqa: E402

from nemo_nb.engine.agent import AgentReply, MediaRef, ToolCall, interpret  # noqa: E402
from nemo_nb.skills import SKILLS  # noqa: E402

SIZES = {"9:16": (1080, 1920), "16:9": (1920, 1080), "1:1": (1080, 1080)}
FX_TYPES = {"none", "jiggle", "bounce", "sway", "pulse", "alive", "kenburns"}
TR_TYPES = {"none", "crossfade", "slide", "zoom", "wipe"}
KB_DIRS = {"in", "out", "left", "right", "up", "down"}


# --- schema check -------------------------------------------------------------------------------


def validate(draft: dict[str, Any]) -> None:
    """A small check of docs/draft-schema.md, as the renderer and the timeline views need it."""
    json.dumps(draft)  # plain JSON
    total = draft["d"]
    assert isinstance(total, int) and 1000 <= total <= 60000, total
    m = draft["m"]
    assert m["aspect"] in SIZES and (m["width"], m["height"]) == SIZES[m["aspect"]]
    assert m["fps"] == 30 and isinstance(m["title"], str)
    track_ids, seg_ids, kinds = set(), set(), []
    for tr in draft["t"]:
        assert tr["id"] not in track_ids, f"duplicate track id {tr['id']}"
        track_ids.add(tr["id"])
        assert tr["tt"] in (0, 1, 7) and isinstance(tr["n"], str)
        kinds.append(tr["tt"])
        end = 0
        for s in tr["sg"]:
            assert {"id", "st", "d"} <= s.keys(), s
            assert s["id"] not in seg_ids, f"duplicate segment id {s['id']}"
            seg_ids.add(s["id"])
            assert isinstance(s["st"], int) and isinstance(s["d"], int) and s["d"] > 0
            assert s["st"] >= end, "segments of a track overlap"
            assert s["st"] + s["d"] <= total, (s, total)
            end = s["st"] + s["d"]
            sm = s["m"]
            if tr["tt"] == 0:
                assert s["src"] and s["n"] and sm["kind"] in ("image", "video")
                # one effect object, or a list of them composed (each type once)
                items = sm["fx"] if isinstance(sm["fx"], list) else [sm["fx"]]
                assert items and len({fx["type"] for fx in items}) == len(items), items
                assert len(items) == 1 or "none" not in {fx["type"] for fx in items}
                for fx in items:
                    assert fx["type"] in FX_TYPES
                    assert 0.0 <= fx["strength"] <= 1.0 and 0.25 <= fx["speed"] <= 4.0
                    assert isinstance(fx["loops"], int) and fx["loops"] >= 1
                    if fx["type"] == "kenburns":
                        assert fx["dir"] in KB_DIRS
                if sm["kind"] == "image":
                    assert sm["fit"] in ("cover", "contain") and len(sm["anchor"]) == 2
                if "tr" in sm:
                    assert sm["tr"]["type"] in TR_TYPES and 0 <= sm["tr"]["d"] <= s["d"]
            elif tr["tt"] == 1:
                assert s["src"].startswith(("builtin:", "http"))
                if s["src"].startswith("builtin:"):
                    assert s["src"][8:] in ("lofi", "upbeat", "calm", "cinematic")
                assert 0.0 <= sm["vol"] <= 1.0
            else:
                assert s["txt"] and sm["pos"] in ("top", "center", "bottom")
                assert sm["color"].startswith("#") and len(sm["color"]) == 7
                assert 0.03 <= sm["size"] <= 0.2 and sm["anim"] in ("none", "fade")
    video = [i for i, k in enumerate(kinds) if k == 0]
    assert video, "no video track"
    ends = [s["st"] + s["d"] for tr in draft["t"] if tr["tt"] == 0 for s in tr["sg"]]
    assert max(ends) == total, "d must be the end of the last video segment"
    text = [i for i, k in enumerate(kinds) if k == 7]
    assert not text or min(text) > max(video), "text tracks draw on top of the video"


# --- expectations -------------------------------------------------------------------------------


def _video(draft: dict[str, Any]) -> list[dict[str, Any]]:
    return next(tr for tr in draft["t"] if tr["tt"] == 0)["sg"]


def _fx(draft: dict[str, Any], key: str) -> list[Any]:
    """Per video segment: ``type`` as "jiggle+bounce" when composed; other keys of the first
    effect (``strength@bounce`` names the composed effect to read)."""
    key, _, kind = key.partition("@")
    out = []
    for s in _video(draft):
        items = s["m"]["fx"] if isinstance(s["m"]["fx"], list) else [s["m"]["fx"]]
        if key == "type":
            out.append("+".join(fx["type"] for fx in items))
            continue
        fx = next((fx for fx in items if fx["type"] == kind), None) if kind else items[0]
        out.append(fx.get(key) if fx else None)
    return out


def _title(draft: dict[str, Any]) -> dict[str, Any] | None:
    tr = next((t for t in draft["t"] if t["tt"] == 7 and t["n"] == "Title"), None)
    return tr["sg"][0] if tr else None


def _audio(draft: dict[str, Any]) -> dict[str, Any] | None:
    tr = next((t for t in draft["t"] if t["tt"] == 1), None)
    return tr["sg"][0] if tr else None


def _cmp(label: str, want: Any, now: Any, before: Any) -> None:
    if want == "up":
        assert now > before, f"{label}: {before} -> {now}, expected up"
    elif want == "down":
        assert now < before, f"{label}: {before} -> {now}, expected down"
    elif want == "same":
        assert now == before, f"{label}: {before} -> {now}, expected same"
    elif isinstance(want, float):
        assert now == pytest.approx(want, abs=0.011), f"{label}: {now} != {want}"
    else:
        assert now == want, f"{label}: {now!r} != {want!r}"


def check(reply: AgentReply, before: dict[str, Any] | None, now: dict[str, Any] | None,
          exp: dict[str, Any]) -> None:  # fmt: skip
    """Assert one turn's expectations (see agent_cases.py for the keys)."""
    if "understood" in exp:
        assert reply.understood is exp["understood"], reply.text
    if "silent" in exp:
        assert (reply.text is None) is exp["silent"], reply.text
    if "changed" in exp:
        assert (reply.draft is not None) is exp["changed"], reply.text
    if "undo" in exp:
        assert reply.undo is exp["undo"]
    if not reply.understood or reply.draft is None:
        assert reply.text, "a turn that changes nothing always says why"
    if not reply.understood:
        assert reply.draft is None and not [c for c in reply.calls if c.name != "undo"]
    for s in exp.get("says", []):
        assert s.lower() in (reply.text or "").lower(), f"{s!r} not in {reply.text!r}"
    names = [c.name for c in reply.calls]
    if "create_timeline" in names:  # a new timeline always points at the GUI, like the cloud
        assert any(w in reply.text for w in ("Timeline", "时间线")), reply.text
        assert any(w in reply.text for w in ("Export", "导出")), reply.text
    for c in exp.get("calls", []):
        assert c in names, f"{c} not in {names}"
    if reply.draft is not None:
        assert reply.calls, "an edit is reported as tool calls"
        assert all(isinstance(c, ToolCall) and isinstance(c.args, dict) for c in reply.calls)
        json.dumps([c.args for c in reply.calls])
    if now is None:
        return
    validate(now)
    segs = _video(now)
    if "fx" in exp:
        want = exp["fx"] if isinstance(exp["fx"], list) else [exp["fx"]] * len(segs)
        assert _fx(now, "type") == want
    if "dirs" in exp:
        assert _fx(now, "dir") == exp["dirs"]
    for key in ("strength", "speed", "strength@bounce", "strength@jiggle", "speed@bounce"):
        if key in exp:
            prev = _fx(before, key)[0] if before else None
            _cmp(key, exp[key], _fx(now, key)[0], prev)
    for key in ("loops", "loops@bounce"):
        if key in exp:
            want = exp[key] if isinstance(exp[key], list) else [exp[key]] * len(segs)
            assert _fx(now, key) == want
    if "d" in exp:
        assert now["d"] == exp["d"]
    if "seg_d" in exp:
        assert [s["d"] for s in segs] == exp["seg_d"]
    if "aspect" in exp:
        m = now["m"]
        assert (m["aspect"], m["width"], m["height"]) == (exp["aspect"], *SIZES[exp["aspect"]])
    if "tracks" in exp:
        assert [t["tt"] for t in now["t"]] == exp["tracks"]
    if "tr" in exp:
        assert [s["m"]["tr"]["type"] for s in segs[1:]] == exp["tr"]
    if "tr_d" in exp:
        assert [s["m"]["tr"]["d"] for s in segs[1:]] == exp["tr_d"]
    if "fit" in exp:
        assert {s["m"]["fit"] for s in segs} == {exp["fit"]}
    if "srcs" in exp:
        assert [s["n"] for s in segs] == exp["srcs"]
    title = _title(now)
    if "title" in exp:
        assert title is not None and title["txt"] == exp["title"]
    for key, field in (("title_color", "color"), ("title_pos", "pos"), ("title_size", "size")):
        if key in exp:
            prev = _title(before)["m"][field] if before and _title(before) else None
            _cmp(key, exp[key], title["m"][field], prev)
    if "title_d" in exp:
        assert (title["st"], title["d"]) == (0, exp["title_d"])
    if "title_anim" in exp:
        assert title["m"]["anim"] == exp["title_anim"]
    texts = [t["sg"][0] for t in now["t"] if t["tt"] == 7]
    if "texts" in exp:
        assert [s["txt"] for s in texts] == exp["texts"]
    if "text_pos" in exp:
        assert texts[-1]["m"]["pos"] == exp["text_pos"]
    audio = _audio(now)
    if "music" in exp:
        assert (audio["src"] if audio else None) == exp["music"]
    if "vol" in exp:
        prev = _audio(before)["m"]["vol"] if before and _audio(before) else None
        _cmp("vol", exp["vol"], audio["m"]["vol"], prev)
    if "fade_out" in exp:
        assert audio["m"]["fade_out"] == exp["fade_out"]
    if audio:
        assert audio["st"] == 0 and audio["d"] == now["d"], "music spans the whole video"


# --- the table ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name, media, turns", ALL_CASES, ids=[c[0] for c in ALL_CASES])
def test_conversation(name: str, media: str, turns: list[tuple[str, dict[str, Any]]]) -> None:
    """Run one conversation; undo restores the previous draft as the engine server does."""
    refs = MEDIA[media]
    history: list[dict[str, Any] | None] = []
    draft: dict[str, Any] | None = None
    for prompt, exp in turns:
        refs = MEDIA[exp.get("media", media)] if "media" in exp else refs
        frozen = copy.deepcopy(draft)
        reply = interpret(prompt, draft, refs)
        assert draft == frozen, "interpret() must not modify the draft it was given"
        before = draft
        if reply.undo:
            if history:
                draft = history.pop()
        elif reply.draft is not None:
            history.append(draft)
            draft = reply.draft
        try:
            check(reply, before, draft, exp)
        except AssertionError as e:
            raise AssertionError(f"turn {prompt!r}: {e}\nreply text: {reply.text!r}") from e


def test_every_seed_prompt_is_covered() -> None:
    """Each "Try saying…" prompt of every skill is a first turn somewhere in the table."""
    first_turns = {turns[0][0] for _, _, turns in ALL_CASES}
    for skill in SKILLS.values():
        for prompt in skill.suggested_prompts:
            assert prompt in first_turns, prompt


@pytest.mark.parametrize("skill", list(SKILLS))
def test_seed_prompts_work_with_one_and_three_photos(skill: str) -> None:
    for prompt in SKILLS[skill].suggested_prompts:
        for media in ("one", "three"):
            reply = interpret(prompt, None, MEDIA[media])
            if prompt.startswith("export"):
                assert reply.draft is None and "Export" in (reply.text or "")
                continue
            assert reply.understood and reply.draft is not None, (prompt, reply.text)
            validate(reply.draft)
            assert reply.text and "Export" in reply.text


def test_deterministic_and_pure() -> None:
    first = interpret(SLIDES, None, MEDIA["three"])
    again = interpret(SLIDES, None, MEDIA["three"])
    assert first == again
    follow = [interpret('add a title "A" and some music', first.draft, MEDIA["three"])
              for _ in range(2)]  # fmt: skip
    assert follow[0] == follow[1]


def test_ids_are_stable_and_counted() -> None:
    one = interpret(JIGGLE, None, MEDIA["one"]).draft
    assert [t["id"] for t in one["t"]] == ["v1"] and _video(one)[0]["id"] == "s1"
    two = interpret('add a title "Hi" and some lofi music', one, MEDIA["one"]).draft
    assert [t["id"] for t in two["t"]] == ["v1", "a1", "x1"]
    assert _video(two)[0]["id"] == "s1", "existing ids never change"
    three = interpret("add text 'more'", two, MEDIA["one"]).draft
    assert [t["id"] for t in three["t"]] == ["v1", "a1", "x1", "x2"]
    seg_ids = [s["id"] for t in three["t"] for s in t["sg"]]
    assert len(seg_ids) == len(set(seg_ids)) == 4


def test_unknown_keys_and_tracks_survive() -> None:
    """Cloud drafts carry keys and track types we do not know: keep them, never crash."""
    draft = interpret(JIGGLE, None, MEDIA["one"]).draft
    draft["x_cloud"] = {"keep": True}
    draft["t"].append(
        {"id": "fx9", "tt": 3, "n": "Sticker", "sg": [{"id": "k1", "st": 0, "d": 6000}]}
    )
    _video(draft)[0]["m"]["cloud_only"] = 1
    reply = interpret("make it stronger and 12 seconds", draft, MEDIA["one"])
    new = reply.draft
    assert new["x_cloud"] == {"keep": True} and _video(new)[0]["m"]["cloud_only"] == 1
    assert new["t"][-1]["sg"][0]["d"] == 12000, "a track spanning the draft follows its length"
    assert new["d"] == 12000


@pytest.mark.parametrize("draft", [{}, {"t": []}, {"t": "junk", "d": "x"}, {"t": [{"tt": 0}]}])
def test_odd_drafts_are_rebuilt_not_crashed(draft: dict[str, Any]) -> None:
    reply = interpret("make it jiggle", draft, MEDIA["one"])
    assert reply.draft is not None
    validate(reply.draft)


def test_media_ref_defaults_and_positional() -> None:
    """The server builds MediaRef positionally with all seven fields."""
    ref = MediaRef("m1", "http://h/media/m1/a.png", "a.png", "image", 10, 20, None)
    assert ref.width == 10 and MediaRef("m", "u", "n", "image").duration_s is None


def test_not_understood_suggests_prompts_that_work() -> None:
    reply = interpret("what's the weather", None, MEDIA["one"])
    assert not reply.understood and reply.draft is None and reply.calls == []
    suggested = [p for p in (reply.text or "").split("“")[1:]]
    assert len(suggested) >= 2
    for chunk in suggested:
        prompt = chunk.split("”")[0]
        works = interpret(prompt, None, MEDIA["one"])
        assert works.understood and works.draft is not None, prompt


# --- fuzz: odd messages never crash and never produce an invalid draft ----------------------------

_VOCAB = (
    "make it this photo these images jiggle bounce sway pulse alive zoom in out pan left right "
    "ken burns stronger subtler a bit much faster slower 2x 15-second ten seconds shorter longer "
    "loop 3 times 9:16 16:9 square vertical tiktok youtube portrait landscape crossfade slide wipe "
    "zoom transitions no remove delete the title text caption music song volume 20% mute louder "
    "lower upbeat lofi calm cinematic add use my uploaded second first last image undo export "
    "1080p mp4 red yellow top bottom center bigger smaller each 2 seconds per photo 0 -5 999 "
    "抖动 弹跳 摇摆 动起来 缩放 转场 标题 音乐 音量 更强 轻微 更快 更慢 15秒 竖屏 横屏 方形 删除 撤销 循环 "
    "\"Hi\" 「夏日」 “Sale” 'x' , . ! ?"
)
_WORDS = _VOCAB.split()


def _fuzz_drafts() -> list[dict[str, Any] | None]:
    one = interpret(JIGGLE, None, MEDIA["one"]).draft
    slides = interpret(SLIDES, None, MEDIA["three"]).draft
    full = interpret('add a title "T", text "U" and upbeat music', slides, MEDIA["three"]).draft
    return [None, one, slides, full]


try:
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st
except ImportError:  # pragma: no cover - hypothesis is a test extra
    given = None

if given is not None:

    @pytest.mark.slow
    @settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
    @given(
        words=st.lists(st.sampled_from(_WORDS), max_size=12) | st.text(max_size=40).map(str.split),
        which=st.integers(0, 3),
        media=st.sampled_from(sorted(MEDIA)),
    )
    def test_fuzz_never_crashes(words: list[str], which: int, media: str) -> None:
        draft = _fuzz_drafts()[which]
        frozen = copy.deepcopy(draft)
        reply = interpret(" ".join(words), draft, MEDIA[media])
        assert draft == frozen
        if reply.draft is not None:
            validate(reply.draft)
            assert reply.understood and reply.calls
        else:
            assert reply.text, "no edit and no text would leave the user guessing"
        if not reply.understood:
            assert reply.draft is None
