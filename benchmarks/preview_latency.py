"""How long after the agent's reply does its preview exist? "Reply finished → preview file ready".

Starts the embedded engine (its own throw-away data dir, the real agent and renderer) and talks to
it with ``NemoClient`` over loopback, as the Studio does: one chat turn, then
``start_render(..., quality="preview")``, wait, download. The clock starts when the reply stream
ends and stops when the MP4 is on disk. Prints p50/p95 over ``--turns`` turns (at least 20) for:

1. a 6 s jiggle loop of the sample portrait, with music (target p95 <= 1.0 s);
2. the same with a 12 MP photo, a new photo each time, so its first preview runs the subject
   analysis (target p95 <= 1.5 s), then the next turn's reads it from the cache (<= 1.0 s);
3. a 15 s slideshow of three 12 MP photos, Ken Burns and crossfades, with music (<= 2.5 s);
4. the portrait again while another session's full export (the slideshow at 1080x1920) renders
   the whole time (<= 2.0 s);

and the preview ÷ export render time of the portrait's 6 s loop (the engine's own clock, from
start to completion; expect <= 0.2). Each case also prints the engine's render time and the engine
process's CPU seconds a turn (reply and preview), which hardly depend on what else the machine
runs. A contact sheet of one preview of each kind goes to ``--sheets`` (look at it). A script,
not a test; on a shared machine the times are noisy::

    python benchmarks/preview_latency.py [--turns 20] [--sheets artifacts/preview_latency]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import os
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import httpx
import numpy as np

TARGETS = {"portrait": 1.0, "12mp_first": 1.5, "12mp_cached": 1.0, "slideshow": 2.5}
TARGET_BESIDE_EXPORT = 2.0
PORTRAIT_TURNS = ["make it stronger", "make it subtler", "faster", "slower",
                  "make it bounce instead", "now jiggle"]  # fmt: skip
SLIDESHOW_TURNS = ["make it stronger", "make it subtler", "faster", "slower",
                   "use slide transitions", "use crossfades"]  # fmt: skip


def _sample_photos(work: Path, count_12mp: int) -> tuple[Path, list[Path], list[Path]]:
    """The portrait; ``count_12mp`` different 12 MP copies of it (each its own content, so each
    is analysed afresh); three 12 MP photos for the slideshow."""
    import cv2
    import matplotlib.cbook
    from PIL import Image
    from skimage import data

    portrait = Path(matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))
    big = cv2.resize(np.asarray(Image.open(portrait)), (3024, 4032), interpolation=cv2.INTER_CUBIC)
    copies = []
    for i in range(count_12mp):
        copy = big.copy()
        copy[:4, :4] = i  # a corner's pixels: another file, the same picture
        path = work / f"portrait-12mp-{i}.jpg"
        Image.fromarray(copy).save(path, quality=92)
        copies.append(path)
    slides = []
    for name, picture in (("astronaut", data.astronaut()), ("coffee", data.coffee()),
                          ("cat", data.chelsea())):  # fmt: skip
        h, w = picture.shape[:2]
        size = (3024, 4032) if h > w else (4032, 3024)
        path = work / f"{name}-12mp.jpg"
        Image.fromarray(cv2.resize(picture, size, interpolation=cv2.INTER_CUBIC)).save(
            path, quality=92
        )
        slides.append(path)
    return portrait, copies, slides


async def _turn(client: Any, sid: str, text: str) -> tuple[dict | None, float]:
    """One chat turn: the new draft (``None`` if unchanged) and when the reply finished."""
    draft = None
    async for event in client.chat(sid, text):
        if event.kind == "error":
            raise SystemExit(f"the agent failed on {text!r}: {event.text}")
        if event.kind == "tool_result" and event.state_delta and "draft" in event.state_delta:
            draft = event.state_delta["draft"]
    return draft, time.perf_counter()


async def _preview(client: Any, sid: str, draft: dict, dest: Path) -> tuple[float, Any, Path]:
    """Preview ``draft``: when its file was ready, the finished job and the file."""
    job = await client.start_render(sid, draft, quality="preview")
    done = await client.wait_render(job)
    path = await client.download(done, dest)
    return time.perf_counter(), done, path


#: The engine's render time of every preview timed, by case (its start to its completion).
RENDERS: dict[str, list[float]] = {}
#: The engine process's CPU seconds for every turn timed (reply and preview), by case: unlike
#: the times, this hardly changes with what else the machine runs.
CPU: dict[str, list[float]] = {}
ENGINE_PID: list[int] = []


def _engine_cpu() -> float:
    """CPU seconds the engine process has used (all its threads; Linux), else 0."""
    try:
        fields = Path(f"/proc/{ENGINE_PID[0]}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _previewed_turns(
    client: Any, sid: str, prompts: Iterable[str], turns: int, dest: Path, case: str
) -> tuple[list[float], Path | None]:
    """``turns`` turns that changed the draft, each previewed: the latencies, the last file."""
    latencies: list[float] = []
    last = None
    for text in itertools.islice(itertools.cycle(prompts), 4 * turns):
        cpu = _engine_cpu()
        draft, replied = await _turn(client, sid, text)
        if draft is None:
            continue  # nothing changed: the Studio shows no new preview
        ready, job, last = await _preview(client, sid, draft, dest)
        latencies.append(ready - replied)
        RENDERS.setdefault(case, []).append(_render_s(job))
        CPU.setdefault(case, []).append(_engine_cpu() - cpu)
        if len(latencies) == turns:
            break
    return latencies, last


async def _session(client: Any, *photos: Path) -> str:
    session = await client.create_session()
    await client.upload(session.session_id, *photos)
    return session.session_id


async def _opening(
    client: Any, sid: str, prompts: list[str], dest: Path, case: str = ""
) -> list[float]:
    """The turns that make a session's first draft (previewed, timed apart from the rest)."""
    times = []
    for text in prompts:
        cpu = _engine_cpu()
        draft, replied = await _turn(client, sid, text)
        assert draft is not None, f"{text!r} left the draft unchanged"
        ready, job, _ = await _preview(client, sid, draft, dest)
        times.append(ready - replied)
        if case:
            RENDERS.setdefault(case, []).append(_render_s(job))
            CPU.setdefault(case, []).append(_engine_cpu() - cpu)
    return times


def _render_s(job: Any) -> float:
    return (job.completed_at - job.started_at).total_seconds()


def _line(label: str, times: list[float], target: float, case: str) -> str:
    p50, p95 = np.percentile(times, [50, 95])
    aim = f"target p95 <= {target:.1f} s{'' if p95 <= target else ': MISSED'}"
    render, cpu = np.percentile(RENDERS[case], 50), np.percentile(CPU[case], 50)
    return (
        f"  {label:<40} n={len(times):<3} p50 {p50:5.2f} s  p95 {p95:5.2f} s  {aim}\n"
        f"  {'':<40} render on the engine p50 {render:4.2f} s; engine CPU a turn p50 {cpu:4.2f} s"
        + (" (the export's included)" if case == "beside" else "")
    )


def _sheet(video: Path, path: Path, label: str) -> None:
    """Six frames of ``video`` side by side, for a person to look at."""
    import av
    import cv2

    with av.open(str(video)) as container:
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
    picks = np.linspace(0, len(frames) - 1, 6).round().astype(int)
    sheet = np.hstack([frames[i] for i in picks])
    cv2.putText(sheet, label, (6, 18), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (255, 255, 0), 1)
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), cv2.cvtColor(sheet, cv2.COLOR_RGB2BGR))


async def _main(turns: int, sheets: Path) -> None:
    import nemo_nb

    work = Path(os.environ["NEMO_NB_HOME"]) / "bench"
    work.mkdir(parents=True)
    portrait, copies, slides = _sample_photos(work, turns)
    print(f"{turns} previewed turns a case; load average {os.getloadavg()[0]:.1f} at the start")
    async with await nemo_nb.connect("local") as client:
        ENGINE_PID.append(int(httpx.get(f"{client.base_url}/healthz").json()["pid"]))
        out = work / "previews"
        rows = []

        # 1. the portrait
        sid = await _session(client, portrait)
        opening = await _opening(
            client, sid, ["make this photo jiggle like a looping video, 6 seconds",
                          "add lofi music"], out)  # fmt: skip
        times, last = await _previewed_turns(client, sid, PORTRAIT_TURNS, turns, out, "portrait")
        rows.append(_line("portrait, 6 s loop, music", times, TARGETS["portrait"], "portrait"))
        rows.append(f"    (the session's first two turns: {', '.join(f'{t:.2f}' for t in opening)} s;"
                    " the first analyses the photo and makes the music)")  # fmt: skip
        assert last is not None
        _sheet(last, sheets / "portrait.png", "portrait preview, 6 s jiggle")
        portrait_sid = sid

        # 2. 12 MP photos: a new one each time, then the next turn on it
        first, cached = [], []
        for copy in copies:
            sid = await _session(client, copy)
            first += await _opening(
                client, sid, ["make this photo jiggle like a looping video, 6 seconds"], out, "12a"
            )
            times, last = await _previewed_turns(client, sid, PORTRAIT_TURNS, 1, out, "12b")
            cached += times
        rows.append(_line("12 MP photo, first preview (analysis)", first, TARGETS["12mp_first"],
                          "12a"))  # fmt: skip
        rows.append(_line("12 MP photo, next turn (cached)", cached, TARGETS["12mp_cached"],
                          "12b"))  # fmt: skip
        assert last is not None
        _sheet(last, sheets / "photo-12mp.png", "12 MP photo preview")

        # 3. a slideshow of three 12 MP photos
        sid = await _session(client, *slides)
        opening = await _opening(
            client, sid, ["make a 15 second slideshow of these photos", "add calm music"], out
        )
        times, last = await _previewed_turns(client, sid, SLIDESHOW_TURNS, turns, out, "slides")
        rows.append(_line("slideshow, 3 photos, 15 s, music", times, TARGETS["slideshow"],
                          "slides"))  # fmt: skip
        rows.append(f"    (its first two turns: {', '.join(f'{t:.2f}' for t in opening)} s)")
        assert last is not None
        _sheet(last, sheets / "slideshow.png", "slideshow preview, 15 s")
        slideshow_sid, slideshow = sid, (await client.state(sid)).draft

        # 4. the portrait while another session exports the slideshow at full size, throughout
        exports: list[float] = []
        running: list[Any] = []

        async def export_all_along() -> None:
            while True:
                running[:] = [await client.start_render(slideshow_sid, slideshow)]
                exports.append(_render_s(await client.wait_render(running[0])))

        exporting = asyncio.create_task(export_all_along())
        await asyncio.sleep(1.0)  # the export is under way
        times, _ = await _previewed_turns(
            client, portrait_sid, PORTRAIT_TURNS, turns, out, "beside"
        )
        exporting.cancel()
        await client.cancel_render(running[0])  # the one still rendering
        with contextlib.suppress(asyncio.CancelledError):
            await exporting
        rows.append(_line("portrait while another session exports", times, TARGET_BESIDE_EXPORT,
                          "beside"))  # fmt: skip
        finished = ", ".join(f"{s:.1f} s" for s in exports) or "none"
        rows.append(f"    (the slideshow's full exports that finished meanwhile: {finished}; "
                    "the one still rendering was cancelled)")  # fmt: skip

        # 5. preview ÷ export render time, the portrait's 6 s loop, in turn
        draft = (await client.state(portrait_sid)).draft
        ratios = []
        for _ in range(3):
            export = await client.wait_render(await client.start_render(portrait_sid, draft))
            preview = await client.wait_render(
                await client.start_render(portrait_sid, draft, quality="preview")
            )
            ratios.append((_render_s(preview) / _render_s(export), _render_s(preview),
                           _render_s(export)))  # fmt: skip
        ratios.sort()
        ratio, preview_s, export_s = ratios[1]
        print("\n".join(rows))
        print(f"  preview / export render time, portrait 6 s: {ratio:.2f} "
              f"({preview_s:.2f} s / {export_s:.2f} s, the median of 3 pairs; expect <= 0.2)")  # fmt: skip
        print(f"  contact sheets in {sheets}/; load now {os.getloadavg()[0]:.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=20)
    parser.add_argument("--sheets", type=Path, default=Path("artifacts/preview_latency"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="nemo-nb-bench-") as home:
        os.environ["NEMO_NB_HOME"] = home  # a private engine, not the user's
        os.environ.pop("NEMO_TOKEN", None)
        asyncio.run(_main(max(20, args.turns), args.sheets.resolve()))


if __name__ == "__main__":
    main()
