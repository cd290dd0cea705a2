"""A workshop on one engine: 30 simulated students, each uploading a photo, sending three prompts
and exporting one 3-second clip, all at once, against `python -m nemo_nb.engine` (real agent, real
renderer, one render worker) on 127.0.0.1.

Prints completions, p50/p95 chat-turn latency, each student's wait for their first export (submit
to download link), /healthz latency sampled throughout, and the fairness check: one eager student
queues extra exports first, and no student's first export may start after another student's
second while it waits. Targets (issue 13): all complete, healthz <= 200 ms, fairness holds.

A script, not a test::

    python benchmarks/workshop_load.py [--students 30] [--size 1080x1920] [--eager-extra 4]

``--size`` renders smaller than the agent's 1080x1920 for a quick look (e.g. 270x480).
"""

from __future__ import annotations

import argparse
import asyncio
import io
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx

PROMPTS = ["make this photo jiggle and bounce", "make it 3 seconds", "make it a bit stronger"]


@dataclass
class Student:
    n: int
    turns: list[float] = field(default_factory=list)
    exports: list[str] = field(default_factory=list)
    submitted: dict[str, float] = field(default_factory=dict)
    started: dict[str, float] = field(default_factory=dict)
    finished: dict[str, float] = field(default_factory=dict)
    error: str | None = None


def _photo(n: int) -> bytes:
    from PIL import Image, ImageDraw

    im = Image.new("RGB", (900, 1200), (40 + n * 6 % 200, 90, 160))
    ImageDraw.Draw(im).ellipse((250, 300, 650, 900), fill=(230, 200, 150))
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=88)
    return buf.getvalue()


def _pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))] if values else 0.0


async def _watch_job(client, rid: str, s: Student) -> None:
    """Poll often (every 0.2 s) so the moment a job starts rendering is seen."""
    while True:
        job = await client.render_status(rid)
        now = time.monotonic()
        if job.status != "pending" and rid not in s.started:
            s.started[rid] = now
        if job.status in ("completed", "failed"):
            s.finished[rid] = now
            if job.status == "failed":
                s.error = f"export failed: {job.error}"
            return
        await asyncio.sleep(0.2)


async def _student(url: str, s: Student, size: tuple[int, int] | None, extra: int) -> None:
    from nemo_nb.api import NemoClient

    try:
        async with NemoClient(url, client_id=str(uuid.uuid4()), timeout=600) as client:
            session = await client.create_session()
            sid = session.session_id
            photo = Path(tempfile.gettempdir()) / f"workshop-{uuid.uuid4().hex}.jpg"
            photo.write_bytes(_photo(s.n))
            await client.upload(sid, photo)
            photo.unlink()
            for prompt in PROMPTS:
                t0 = time.monotonic()
                async for _ in client.chat(sid, prompt):
                    pass
                s.turns.append(time.monotonic() - t0)
            draft = (await client.state(sid)).draft
            if size:
                draft["m"] = {**draft["m"], "width": size[0], "height": size[1]}
            watchers = []
            for _ in range(1 + extra):
                job = await client.start_render(sid, draft)
                s.submitted[job.id] = time.monotonic()
                s.exports.append(job.id)
                watchers.append(asyncio.ensure_future(_watch_job(client, job.id, s)))
            await asyncio.gather(*watchers)
    except Exception as exc:  # a student who fails is counted, not fatal to the run
        s.error = f"{type(exc).__name__}: {exc}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--students", type=int, default=30)
    ap.add_argument("--size", default=None, help="render size WxH (default: the agent's)")
    ap.add_argument("--eager-extra", type=int, default=4,
                    help="extra exports the first student queues (fairness check)")  # fmt: skip
    args = ap.parse_args()
    size = tuple(int(v) for v in args.size.split("x")) if args.size else None

    with tempfile.TemporaryDirectory() as tmp:
        proc = subprocess.Popen(
            [sys.executable, "-m", "nemo_nb.engine", "--data-dir", str(Path(tmp) / "data")],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        line = ""
        while "listening on" not in line:
            line = proc.stdout.readline()  # type: ignore[union-attr]
            if not line:
                print("the engine did not start", file=sys.stderr)
                return 1
        url = re.search(r"listening on (\S+)", line).group(1)  # type: ignore[union-attr]
        health: list[float] = []
        stop = threading.Event()

        def probe() -> None:
            with httpx.Client(timeout=10) as http:
                while not stop.wait(0.1):
                    t0 = time.perf_counter()
                    http.get(f"{url}/healthz")
                    health.append((time.perf_counter() - t0) * 1000)

        prober = threading.Thread(target=probe, daemon=True)
        prober.start()
        students = [Student(i) for i in range(args.students)]

        async def run() -> None:
            # the eager student starts first; the others join over the next few seconds
            tasks = [asyncio.ensure_future(_student(url, students[0], size, args.eager_extra))]
            for s in students[1:]:
                await asyncio.sleep(0.1)
                tasks.append(asyncio.ensure_future(_student(url, s, size, 0)))
            await asyncio.gather(*tasks)

        t0 = time.monotonic()
        try:
            asyncio.run(run())
        finally:
            stop.set()
            prober.join(2)
            proc.terminate()
            proc.wait(10)
        took = time.monotonic() - t0

    done = [s for s in students if not s.error and len(s.finished) == len(s.exports) > 0]
    turns = [t for s in students for t in s.turns]
    first_wait = [s.finished[s.exports[0]] - s.submitted[s.exports[0]] for s in done]
    # Fairness: while a student's first export waits, no one's second (or later) may start.
    firsts = [(s.submitted[s.exports[0]], s.started.get(s.exports[0], 1e18)) for s in students
              if s.exports]  # fmt: skip
    later_starts = [s.started[j] for s in students for j in s.exports[1:] if j in s.started]
    unfair = sum(1 for sub, start in firsts for t in later_starts if sub < t < start - 0.25)
    print(f"workshop_load: {args.students} students on one engine, render size "
          f"{'x'.join(map(str, size)) if size else 'the agent default (1080x1920)'}, "
          f"{took:.0f} s wall")  # fmt: skip
    print(f"  completed: {len(done)}/{args.students}"
          + "".join(f"\n  student {s.n}: {s.error}" for s in students if s.error))  # fmt: skip
    print(f"  chat turn latency: p50 {statistics.median(turns):.2f} s, p95 {_pct(turns, 0.95):.2f} s"
          f" ({len(turns)} turns)")  # fmt: skip
    print(f"  wait for first export (submit -> done): p50 {statistics.median(first_wait):.1f} s, "
          f"p95 {_pct(first_wait, 0.95):.1f} s, max {max(first_wait):.1f} s")  # fmt: skip
    print("  each student's wait (s): " + " ".join(f"{w:.0f}" for w in sorted(first_wait)))
    print(f"  healthz latency: p50 {statistics.median(health):.1f} ms, p95 "
          f"{_pct(health, 0.95):.1f} ms, max {max(health):.1f} ms ({len(health)} probes; "
          f"target: p95 <= 200 ms; {sum(h > 200 for h in health)} probes over 200 ms)")  # fmt: skip
    print(f"  fairness: {unfair} later exports started while a first export waited "
          f"(eager student queued {1 + args.eager_extra}; target 0)")  # fmt: skip
    ok = len(done) == args.students and unfair == 0 and _pct(health, 0.95) <= 200
    print("  targets met" if ok else "  targets NOT met")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
