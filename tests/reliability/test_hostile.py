"""A hostile corpus of ≥40 generated files against a real engine process with the real agent and
renderer: each is rendered or refused with a sentence, the engine stays up, its memory stays under
600 MB, and nothing is written outside its data dir."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import av
import httpx
import pytest
from engine_harness import Api
from harness import EngineProcess
from hostile_corpus import corpus

pytestmark = pytest.mark.slow  # a real engine process decodes and renders 40+ files

MEMORY_LIMIT_MB = 600
SIZE = (144, 256)  # exports are small: what is under test is decoding the input


def _files(root: Path) -> set[Path]:
    return {p for p in root.rglob("*")}


def _one_sentence(text: str, name_hint: str) -> bool:
    t = text.strip()
    return bool(t) and t[-1] in ".!?" and "Traceback" not in t and len(t) < 600


def test_hostile_corpus(tmp_path: Path) -> None:
    gen = tmp_path / "gen"
    gen.mkdir()
    files = corpus(gen)
    assert len(files) >= 40
    outside = {d: tmp_path / d for d in ("tmp", "home", "cwd")}
    for d in outside.values():
        d.mkdir()
    engine = EngineProcess(
        tmp_path / "data",
        env={"TMPDIR": str(outside["tmp"]), "HOME": str(outside["home"])},
        cwd=outside["cwd"],
    )
    peak = [0.0]
    stop = threading.Event()

    def sample() -> None:  # VmHWM is the true peak; sampling VmRSS too shows when it happened
        while not stop.wait(0.05) and engine.alive():
            try:
                peak[0] = max(peak[0], engine.rss_mb())
            except (OSError, KeyError):
                return

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    rows: list[tuple[str, str, str, str]] = []
    frames: dict[str, Any] = {}
    api = Api(engine.url)
    try:
        for name, data, expect in files:
            sid = api.new_session()
            r = api.upload(sid, (name, data))
            if r.status_code != 200:
                msg = r.json()["message"]
                assert _one_sentence(msg, name), (name, msg)
                rows.append((name, expect, "refused at upload", msg))
            else:
                rows.append((name, expect, *_render(api, sid, tmp_path, frames, name)))
            assert engine.alive(), f"the engine died on {name}"
            assert httpx.get(f"{engine.url}/healthz", timeout=5).status_code == 200
        hwm = engine.peak_rss_mb()
    finally:
        stop.set()
        engine.stop()
    width = max(len(repr(n)[:40]) for n, *_ in rows)
    print(f"\n{len(rows)} hostile files; engine peak memory {hwm:.0f} MB (VmHWM; sampled RSS "
          f"max {peak[0]:.0f} MB), limit {MEMORY_LIMIT_MB} MB, timings under load")  # fmt: skip
    for name, expect, outcome, detail in rows:
        print(f"  {repr(name)[:40]:{width}}  {expect:7} {outcome:18} {detail[:110]}")
    _contact_sheet(frames)
    upright = frames["exif-1.jpg"].astype(int)
    for o in range(2, 9):  # the same picture stored eight ways renders the same
        diff = abs(frames[f"exif-{o}.jpg"].astype(int) - upright).mean()
        assert diff < 6, f"EXIF orientation {o} renders differently (mean diff {diff:.1f})"
    wrong = [(n, e, o) for n, e, o, _ in rows if (e == "render" and o != "rendered")
             or (e == "refuse" and o != "refused at upload")]  # fmt: skip
    assert not wrong, wrong
    assert all(o in ("rendered", "refused at upload", "render refused") for _, _, o, _ in rows)
    assert hwm < MEMORY_LIMIT_MB, f"engine peak {hwm:.0f} MB"
    for where, d in outside.items():
        assert not _files(d), f"the engine wrote into {where}: {sorted(_files(d))[:5]}"
    data_files = _files(tmp_path / "data")
    assert all(p.resolve().is_relative_to((tmp_path / "data").resolve()) for p in data_files)


def _render(
    api: Api, sid: str, tmp_path: Path, frames: dict[str, Any], name: str
) -> tuple[str, str]:
    events = api.chat(sid, "make this photo jiggle")
    draft = api.state(sid)["draft"]
    text = " ".join(p.get("text", "") for e in events for p in e["content"]["parts"])
    if not draft:
        assert _one_sentence(text, ""), text
        return "render refused", f"agent: {text}"
    draft["m"] = {**draft.get("m", {}), "width": SIZE[0], "height": SIZE[1]}
    draft["d"] = min(int(draft.get("d", 1000)), 1000)
    job = api.render(draft, sid).json()["data"]["id"]
    done = api.wait_job(job, timeout=180)
    if done["status"] == "failed":
        assert _one_sentence(done["error"], ""), done["error"]
        return "render refused", done["error"]
    out = tmp_path / "out.mp4"
    out.write_bytes(api.http.get(done["outputUrl"]).content)
    with av.open(str(out)) as c:
        decoded = [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]
        n = len(decoded)
        frames[name] = decoded[n // 4]
        w, h = c.streams.video[0].width, c.streams.video[0].height
    assert (w, h) == SIZE and n > 0
    return "rendered", f"{n} frames {w}x{h}"


def _contact_sheet(frames: dict[str, Any]) -> None:
    """One frame (a quarter in) of every rendered file, labelled, for a person to look at."""
    from PIL import Image, ImageDraw

    from tests.conftest import ARTIFACTS

    cols, (w, h) = 8, SIZE
    rows = (len(frames) + cols - 1) // cols
    sheet = Image.new("RGB", (cols * w, rows * (h + 14)), "white")
    draw = ImageDraw.Draw(sheet)
    for i, (name, frame) in enumerate(frames.items()):
        x, y = (i % cols) * w, (i // cols) * (h + 14)
        sheet.paste(Image.fromarray(frame), (x, y + 14))
        draw.text((x + 2, y + 1), repr(name)[1:24], fill="black")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    sheet.save(ARTIFACTS / "hostile-corpus.png")
