"""A corpus of hostile export drafts against a real engine process: each is refused with one
sentence or clamped to what the product makes (and the job says so), within a second, and the
engine goes on answering. What comes back is printed as a table."""

from __future__ import annotations

import copy
import json
import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from engine_harness import ATTRIBUTION, Api, png_bytes
from harness import TINY, EngineProcess

Draft = dict[str, Any]
LIMIT_S = 1.0


def _base(src: str) -> Draft:
    return {
        "d": 3000,
        "m": {"title": "t", "width": 1080, "height": 1920, "fps": 30, "aspect": "9:16"},
        "t": [
            {"id": "v1", "tt": 0, "sg": [
                {"id": "s1", "st": 0, "d": 3000, "src": src, "m": {"fx": {"type": "jiggle"}}}]},
            {"id": "x1", "tt": 7, "sg": [{"id": "s2", "st": 0, "d": 3000, "txt": "Hi"}]},
        ],
    }  # fmt: skip


def _with(path: str, value: Any) -> Callable[[Draft], Draft]:
    """The base draft with the value at ``path`` (dotted; digits index lists) replaced."""

    def make(draft: Draft) -> Draft:
        out = copy.deepcopy(draft)
        *parents, last = path.split(".")
        node: Any = out
        for key in parents:
            node = node[int(key)] if key.isdigit() else node[key]
        if value is _MISSING:
            del node[last]
        else:
            node[int(last) if last.isdigit() else last] = value
        return out

    return make


_MISSING = object()


class Raw(str):
    """A draft as raw JSON text: what ``json.dumps`` would not write (a 400-digit number, a
    nesting deeper than Python's recursion goes)."""


_SEGMENT = "t.0.sg.0"


def _segments(n: int) -> Callable[[Draft], Draft]:
    """``n`` video segments, besides the title's one."""

    def make(draft: Draft) -> Draft:
        out = copy.deepcopy(draft)
        seg = out["t"][0]["sg"][0]
        out["t"][0]["sg"] = [{**seg, "id": f"s{i}", "st": i, "d": 1} for i in range(n)]
        return out

    return make


def _second_with_transition(draft: Draft, ms: float) -> dict[str, Any]:
    """A second segment on the video track (the first one has no transition into it)."""
    first = draft["t"][0]["sg"][0]
    return {**first, "id": "s9", "m": {"tr": {"type": "zoom", "d": ms}}}


def _nested(depth: int) -> Callable[[Draft], Draft]:
    def make(draft: Draft) -> Draft:
        deep: Any = []
        for _ in range(depth):
            deep = [deep]
        return _with("m.extra", deep)(draft)

    return make


#: (name, draft maker or raw JSON body maker, "refuse" | "clamp", a phrase the answer has)
CORPUS: list[tuple[str, Any, str, str]] = [
    (
        "1 h at 4096x4096, 120 fps",
        lambda d: {**d, "d": 3_600_000, "m": {**d["m"], "width": 4096, "height": 4096, "fps": 120}},
        "refuse",
        "3,600 seconds long; an export may be at most 60",
    ),  # fmt: skip
    (
        "60 s at 4096x4096, 120 fps",
        lambda d: {**d, "d": 60_000, "m": {**d["m"], "width": 4096, "height": 4096, "fps": 120}},
        "clamp",
        "it is exported at 1080x1080 at 30 fps",
    ),  # fmt: skip
    (
        "3840x2160",
        lambda d: {**d, "m": {**d["m"], "width": 3840, "height": 2160}},
        "clamp",
        "it is exported at 1920x1080",
    ),  # fmt: skip
    (
        "10^12 x 10^12",
        lambda d: {**d, "m": {**d["m"], "width": 10**12, "height": 10**12}},
        "clamp",
        "exported at 1080x1080",
    ),  # fmt: skip
    ("fps 10^9", _with("m.fps", 10**9), "clamp", "exported at 30 fps"),
    ("61 s", _with("d", 61_000), "refuse", "61 seconds long"),
    ("d 1e308", _with("d", 1e308), "refuse", "more than a billion seconds long"),
    ("d NaN", _with("d", float("nan")), "refuse", "'d' must be a number"),
    ("d Infinity", _with("d", float("inf")), "refuse", "'d' must be a number"),
    ("d -Infinity", _with("d", float("-inf")), "refuse", "'d' must be a number"),
    (
        "d 10^400",
        lambda d: Raw(json.dumps(d).replace('"d": 3000,', '"d": 1' + "0" * 400 + ",", 1)),
        "refuse",
        "'d' must be a number",
    ),  # fmt: skip
    ("d -5", _with("d", -5), "refuse", "'d' must be a number"),
    ("d 0", _with("d", 0), "refuse", "'d' must be a number"),
    ("d '3000'", _with("d", "3000"), "refuse", "'d' must be a number"),
    ("d true", _with("d", True), "refuse", "'d' must be a number"),
    ("d missing", _with("d", _MISSING), "refuse", "has no length 'd'"),
    ("fps NaN", _with("m.fps", float("nan")), "refuse", "non-numeric 'fps'"),
    ("fps Infinity", _with("m.fps", float("inf")), "refuse", "non-numeric 'fps'"),
    ("fps 0", _with("m.fps", 0), "refuse", "'fps' = 0, outside 1..120"),
    ("fps '30'", _with("m.fps", "30"), "refuse", "non-numeric 'fps'"),
    ("width 0", _with("m.width", 0), "refuse", "outside 16..4096"),
    (
        "2 x 10^6",
        lambda d: {**d, "m": {**d["m"], "width": 2, "height": 10**6}},
        "refuse",
        "outside 16..4096",
    ),  # fmt: skip
    ("segment d NaN", _with(f"{_SEGMENT}.d", float("nan")), "refuse", "non-numeric 'd'"),
    ("segment st Infinity", _with(f"{_SEGMENT}.st", float("inf")), "refuse", "non-numeric 'st'"),
    ("segment st '0'", _with(f"{_SEGMENT}.st", "0"), "refuse", "non-numeric 'st'"),
    (
        "strength 10^400",
        lambda d: Raw(
            json.dumps(d).replace(
                '"type": "jiggle"', '"type": "jiggle", "strength": 1' + "0" * 400, 1
            )
        ),
        "refuse",
        "non-numeric 'strength'",
    ),  # fmt: skip
    (
        "transition Infinity",
        lambda d: _with("t.0.sg", [d["t"][0]["sg"][0], _second_with_transition(d, math.inf)])(d),
        "refuse",
        "segment 's9' on track 'v1' m.tr has a non-numeric 'd'",
    ),  # fmt: skip
    ("2000 segments", _segments(2000), "refuse", "2001 segments; an export may have at most 600"),
    # over the body limit (engine/limits.py): refused as it arrives, before it is parsed
    ("10k segments", _segments(10_000), "refuse", "The request body is over the 1 MB"),
    ("601 segments", _segments(600), "refuse", "601 segments"),
    ("nested 40 deep", _nested(40), "refuse", "nested more than 32 levels deep"),
    (
        "nested 100k deep",
        lambda d: Raw(json.dumps(d)[:-1] + ', "x": ' + "[" * 100_000 + "]" * 100_000 + "}"),
        "refuse",
        "JSON object",
    ),  # fmt: skip
    ("draft a list", lambda d: [d], "refuse", "not a JSON object"),
    ("draft a string", lambda d: "make it jiggle", "refuse", "not a JSON object"),
    ("t a string", _with("t", "video"), "refuse", "nothing to render"),
    ("t of numbers", _with("t", [1, 2, 3]), "refuse", "nothing to render"),
    ("sg an object", _with("t.0.sg", {"0": {}}), "refuse", "'sg' that is not a list"),
    ("segment a string", _with("t.0.sg", ["s1"]), "refuse", "segment #1 is not an object"),
    ("m a list", _with("m", [1080, 1920]), "refuse", "'m' is not an object"),
    ("segment m a string", _with(f"{_SEGMENT}.m", "jiggle"), "refuse", "'m' that is not an object"),
    ("src a number", _with(f"{_SEGMENT}.src", 5), "refuse", "has no media 'src'"),
    ("src missing", _with(f"{_SEGMENT}.src", _MISSING), "refuse", "has no media 'src'"),
    ("anchor a word", _with(f"{_SEGMENT}.m.anchor", "ab"), "refuse", "not [x, y] in 0..1"),
    ("colour a list", _with("t.1.sg.0.m", {"color": [1, 2]}), "refuse", "not a '#rrggbb' colour"),
    (
        "100k characters of text",
        _with("t.1.sg.0.txt", "blah " * 20_000),
        "refuse",
        "100000 characters of text; a text segment may have at most 500",
    ),  # fmt: skip
    (
        "volume NaN",
        lambda d: {
            **d,
            "t": [
                *d["t"],
                {
                    "id": "a",
                    "tt": 1,
                    "sg": [{"st": 0, "d": 1000, "src": "builtin:lofi", "m": {"vol": float("nan")}}],
                },
            ],
        },
        "refuse",
        "non-numeric 'vol'",
    ),  # fmt: skip
]


def _one_sentence(text: str) -> bool:
    t = text.strip()
    return (
        bool(t)
        and t.endswith(".")
        and "\n" not in t
        and len(t) < 400
        and not any(bad in t for bad in ("Traceback", "Errno", "/tmp", "/root"))
    )


def test_hostile_export_drafts_are_refused_or_clamped_within_a_second(tmp_path: Path) -> None:
    engine = EngineProcess(tmp_path / "data", *TINY)
    rows: list[tuple[str, str, float, str]] = []
    try:
        api = Api(engine.url)
        sid = api.new_session()
        src = api.upload(sid, ("p.png", png_bytes(64, 48))).json()["data"]["files"][0]["cdn_url"]
        base = _base(src)
        warm = api.render(base, sid, job_id="warm-up")  # the first export loads the renderer
        assert warm.status_code == 200, warm.text
        api.wait_job("warm-up")
        for n, (name, make, expect, says) in enumerate(CORPUS):
            made = make(copy.deepcopy(base))
            if isinstance(made, Raw):
                content = f'{{"id": "hostile-{n}", "draft": {made}}}'
            else:
                content = json.dumps({"id": f"hostile-{n}", "draft": made})
            t0 = time.perf_counter()
            r = api.http.post(
                "/api/render/proxy/lambda",
                content=content,
                headers={**ATTRIBUTION, "Content-Type": "application/json"},
            )
            took = time.perf_counter() - t0
            answer = r.json()
            if expect == "refuse":
                message = answer.get("error") or answer.get("message") or ""
                assert r.status_code in (400, 413), (name, r.status_code, r.text[:300])
                assert _one_sentence(message), (name, message)
                assert says in message, (name, message)
                assert api.http.get(f"/api/render/proxy/lambda/hostile-{n}").status_code == 404
                rows.append((name, "refused", took, message))
            else:
                assert r.status_code == 200, (name, r.text[:300])
                notes = answer["data"].get("notes") or []
                assert len(notes) == 1 and _one_sentence(notes[0]) and says in notes[0], notes
                done = api.wait_job(f"hostile-{n}")
                assert done["status"] == "completed" and done["notes"][0] == notes[0], done
                rows.append((name, "clamped", took, notes[0]))
            assert took <= LIMIT_S, f"{name}: answered in {took:.2f} s"
            assert httpx.get(f"{engine.url}/healthz", timeout=5).status_code == 200
        hwm = engine.peak_rss_mb()
    finally:
        engine.stop()
    width = max(len(name) for name, *_ in rows)
    print(f"\n{len(rows)} hostile drafts ({sum(r[1] == 'refused' for r in rows)} refused, "
          f"{sum(r[1] == 'clamped' for r in rows)} clamped); slowest answer "
          f"{max(r[2] for r in rows) * 1000:.0f} ms; engine peak {hwm:.0f} MB")  # fmt: skip
    for name, outcome, took, message in rows:
        print(f"  {name:{width}}  {outcome:7} {took * 1000:5.0f} ms  {message[:100]}")
