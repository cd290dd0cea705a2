"""A workshop on one engine: 30 simulated students, each uploading a photo, sending three prompts
and exporting one 3-second clip, all at once, against `python -m nemo_nb.engine` (real agent, real
renderer, one render worker) on 127.0.0.1.

Prints completions, p50/p95 chat-turn latency, each student's wait for their first export (submit
to download link), /healthz latency sampled throughout, and the fairness check: one eager student
queues extra exports first, and no student's first export may start after another student's
second while it waits. Targets (issue 13): all complete, healthz <= 200 ms, fairness holds.

Then the same workshop again on a fresh engine with an attacker among the students (issue 23):
one client that, without pause, sends chat bodies far over the limits (10 MB streamed, 400 MB
declared), hangs up on turns of the largest allowed message, and keeps queueing exports, counting
what the engine refuses. Target: the students' p95 chat latency and p95 wait for their first
export stay within 20% of the run without the attacker (the ratios are printed).

A script, not a test::

    python benchmarks/workshop_load.py [--students 30] [--size 1080x1920] [--eager-extra 4]
                                       [--attacker both|off|on] [--repeat 1]

``--size`` renders smaller than the agent's 1080x1920 for a quick look (e.g. 270x480).
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import multiprocessing
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from nemo_nb.engine import limits

PROMPTS = ["make this photo jiggle and bounce", "make it 3 seconds", "make it a bit stronger"]
ATTRIBUTION = {"X-Skill-Source": "workshop-load", "X-Skill-Version": "1", "X-Skill-Platform": "x"}


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


@dataclass
class Attacker:
    """What the attacker sent and what became of it."""

    outcomes: Counter[str] = field(default_factory=Counter)
    slowest_refusal: float = 0.0
    jobs: list[str] = field(default_factory=list)
    #: When each of its exports began rendering (wall clock), as the engine reports it.
    render_starts: list[float] = field(default_factory=list)
    cpu_s: float = 0.0

    def count(self, what: str, status: int | str) -> None:
        self.outcomes[f"{what} -> {status}"] += 1


async def _oversized_chat(url: str, token: str, sid: str, size: int, chunked: bool) -> int:
    """POST /run_sse with a ``size``-byte message generated as it is sent, stopping once the
    engine answers (as curl or a browser does). Returns the status."""
    host, port = url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    envelope = json.dumps({"session_id": sid, "new_message": {"parts": [{"text": ""}]}}).encode()
    opening, closing = envelope.split(b'""')
    length = len(opening) + 1 + size + 1 + len(closing)
    framing = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {length}"
    writer.write(
        f"POST /run_sse HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: Bearer {token}\r\n"
        f"Content-Type: application/json\r\nConnection: close\r\n{framing}\r\n\r\n".encode()
    )
    answer = asyncio.ensure_future(reader.read(65536))
    piece = b"a" * (1024 * 1024)
    try:
        sent = 0
        while sent < size and not answer.done():
            chunk = piece[: size - sent]
            if chunked:
                writer.writelines([b"%x\r\n" % len(chunk), chunk, b"\r\n"])
            else:
                writer.write(chunk)
            await writer.drain()
            sent += len(chunk)
    except ConnectionError:
        pass
    head = await asyncio.wait_for(answer, 30)
    writer.close()
    return int(head.split()[1]) if head.startswith(b"HTTP/") else 0


async def _attack(url: str, size: tuple[int, int] | None, a: Attacker, stop: Any) -> None:
    """Until ``stop`` is set: oversized chats, abandoned turns at the largest allowed message, and
    exports (a student's own clip) queued one after another."""
    async with httpx.AsyncClient(base_url=url, timeout=60) as http:
        r = await http.post("/api/auth/anonymous-token", headers={"X-Client-Id": "attacker"})
        token = r.json()["data"]["token"]
        http.headers.update({"Authorization": f"Bearer {token}", **ATTRIBUTION})
        r = await http.post("/api/tasks/me/with-session/nemo_agent", json={"task_name": "x"})
        sid = r.json()["data"]["session_id"]
        files = {"files": ("a.jpg", _photo(99), "image/jpeg")}
        await http.post(f"/api/upload-video/nemo_agent/me/{sid}", files=files)
        for prompt in PROMPTS:
            await http.post(
                "/run_sse", json={"session_id": sid, "new_message": {"parts": [{"text": prompt}]}}
            )
        draft = (await http.get(f"/api/state/nemo_agent/me/{sid}/latest")).json()["data"]
        draft = draft["state"]["draft"]
        if size:
            draft["m"] = {**draft["m"], "width": size[0], "height": size[1]}
        largest = (PROMPTS[0] + ", ") * (limits.PROMPT_CHARS // (len(PROMPTS[0]) + 2))
        while not stop.is_set():
            for n, chunked in ((10_000_000, True), (400_000_000, False)):
                t0 = time.monotonic()
                status = await _oversized_chat(url, token, sid, n, chunked)
                a.slowest_refusal = max(a.slowest_refusal, time.monotonic() - t0)
                a.count(f"{n // 1_000_000} MB chat", status)
            turn = {"session_id": sid, "new_message": {"parts": [{"text": largest}]}}
            async with http.stream("POST", "/run_sse", json=turn) as r:
                a.count(f"{len(largest)}-character chat, abandoned", r.status_code)
            body = {"id": f"render_{uuid.uuid4().hex}", "sessionId": sid, "draft": draft}
            r = await http.post("/api/render/proxy/lambda", json=body)
            a.count("export", r.status_code)
            if r.status_code == 200:
                a.jobs.append(body["id"])
            await asyncio.sleep(0.05)
        for job_id in a.jobs:
            data = (await http.get(f"/api/render/proxy/lambda/{job_id}")).json()["data"]
            if data.get("startedAt"):
                a.render_starts.append(data["startedAt"] / 1000)


def _attacker_process(url: str, size: tuple[int, int] | None, stop: Any, results: Any) -> None:
    """The attacker in a process of its own, so its sending does not slow the students' client."""
    a = Attacker()
    try:
        asyncio.run(_attack(url, size, a, stop))
    finally:
        results.put((dict(a.outcomes), a.slowest_refusal, a.render_starts, time.process_time()))


@dataclass
class Run:
    students: list[Student]
    health: list[float]
    took: float
    attacker: Attacker | None
    engine_cpu_s: float
    #: time.time() - time.monotonic() during the run, to put the engine's times on our clock.
    wall_offset: float

    @property
    def done(self) -> list[Student]:
        return [s for s in self.students if not s.error and len(s.finished) == len(s.exports) > 0]

    @property
    def turns(self) -> list[float]:
        return [t for s in self.students for t in s.turns]

    @property
    def first_wait(self) -> list[float]:
        return [s.finished[s.exports[0]] - s.submitted[s.exports[0]] for s in self.done]


def _workshop(args: argparse.Namespace, size: tuple[int, int] | None, attack: bool) -> Run:
    """One workshop on a fresh engine, with or without the attacker."""
    with tempfile.TemporaryDirectory() as tmp:
        proc = subprocess.Popen(
            [sys.executable, "-m", "nemo_nb.engine", "--data-dir", str(Path(tmp) / "data")],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        line = ""
        while "listening on" not in line:
            line = proc.stdout.readline()  # type: ignore[union-attr]
            if not line:
                raise SystemExit("the engine did not start")
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
        attacker = Attacker() if attack else None
        spawn = multiprocessing.get_context("spawn")
        stop_attack, results = spawn.Event(), spawn.Queue()
        attacking = spawn.Process(
            target=_attacker_process, args=(url, size, stop_attack, results), daemon=True
        )

        async def run() -> None:
            if attacker is not None:
                attacking.start()
                await asyncio.sleep(3.0)  # already at it when the students arrive
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
            if attacker is not None:
                stop_attack.set()
                outcomes, attacker.slowest_refusal, attacker.render_starts, attacker.cpu_s = (
                    results.get(timeout=300)
                )
                attacker.outcomes.update(outcomes)
                attacking.join(10)
            stop.set()
            prober.join(2)
            fields = Path(f"/proc/{proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
            engine_cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
            proc.terminate()
            proc.wait(10)
        took = time.monotonic() - t0
        return Run(students, health, took, attacker, engine_cpu, time.time() - time.monotonic())


def _report(args: argparse.Namespace, size: tuple[int, int] | None, run: Run) -> bool:
    """Print one run; whether its own targets (issue 13) were met."""
    students, health = run.students, run.health
    turns, first_wait = run.turns, run.first_wait
    # Fairness: while a student's first export waits, no one's second (or later) may start.
    firsts = [(s.submitted[s.exports[0]], s.started.get(s.exports[0], 1e18)) for s in students
              if s.exports]  # fmt: skip
    later_starts = [s.started[j] for s in students for j in s.exports[1:] if j in s.started]
    unfair = sum(1 for sub, start in firsts for t in later_starts if sub < t < start - 0.25)
    print(f"workshop_load: {args.students} students on one engine"
          f"{' and an attacker' if run.attacker else ''}, render size "
          f"{'x'.join(map(str, size)) if size else 'the agent default (1080x1920)'}, "
          f"{run.took:.0f} s wall")  # fmt: skip
    print(f"  completed: {len(run.done)}/{args.students}"
          + "".join(f"\n  student {s.n}: {s.error}" for s in students if s.error))  # fmt: skip
    print(f"  chat turn latency: p50 {statistics.median(turns):.2f} s, p95 {_pct(turns, 0.95):.2f} s"
          f" ({len(turns)} turns)")  # fmt: skip
    print(f"  wait for first export (submit -> done): p50 {statistics.median(first_wait):.1f} s, "
          f"p95 {_pct(first_wait, 0.95):.1f} s, max {max(first_wait):.1f} s")  # fmt: skip
    print("  each student's wait (s): " + " ".join(f"{w:.0f}" for w in sorted(first_wait)))
    rendering = [s.finished[s.exports[0]] - s.started[s.exports[0]] for s in run.done
                 if s.exports[0] in s.started]  # fmt: skip
    print(f"  first export's render alone (start -> done): p50 {statistics.median(rendering):.1f} s,"
          f" p95 {_pct(rendering, 0.95):.1f} s")  # fmt: skip
    print(f"  healthz latency: p50 {statistics.median(health):.1f} ms, p95 "
          f"{_pct(health, 0.95):.1f} ms, max {max(health):.1f} ms ({len(health)} probes; "
          f"target: p95 <= 200 ms; {sum(h > 200 for h in health)} probes over 200 ms)")  # fmt: skip
    print(f"  fairness: {unfair} later exports started while a first export waited "
          f"(eager student queued {1 + args.eager_extra}; target 0)")  # fmt: skip
    if run.attacker is not None:
        print("  the attacker sent, and got back (HTTP status):")
        for what, n in sorted(run.attacker.outcomes.items()):
            print(f"    {n:5d} x {what}")
        print(f"    slowest refusal of an oversized chat: {run.attacker.slowest_refusal:.2f} s")
        waiting = [
            (s.submitted[s.exports[0]] + run.wall_offset, s.started[s.exports[0]] + run.wall_offset)
            for s in students
            if s.exports and s.exports[0] in s.started
        ]
        cut_in = sum(any(a < t < b - 0.25 for a, b in waiting) for t in run.attacker.render_starts)
        print(f"    its exports rendered: {len(run.attacker.render_starts)}, of which {cut_in} "
              "started while a student's first export waited (target 0)")  # fmt: skip
        print(f"  CPU: engine {run.engine_cpu_s:.0f} s, attacker's client {run.attacker.cpu_s:.0f} s "
              f"(this machine: {os.cpu_count()} cores)")  # fmt: skip
    else:
        print(f"  CPU: engine {run.engine_cpu_s:.0f} s (this machine: {os.cpu_count()} cores)")
    ok = len(run.done) == args.students and unfair == 0 and _pct(health, 0.95) <= 200
    print("  targets met" if ok else "  targets NOT met")
    return ok


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--students", type=int, default=30)
    ap.add_argument("--size", default=None, help="render size WxH (default: the agent's)")
    ap.add_argument("--eager-extra", type=int, default=4,
                    help="extra exports the first student queues (fairness check)")  # fmt: skip
    ap.add_argument("--attacker", choices=["both", "off", "on"], default="both",
                    help="run without the attacker, with it, or both and compare (default)")  # fmt: skip
    ap.add_argument("--repeat", type=int, default=1,
                    help="runs of each, alternating; the ratios compare their medians")  # fmt: skip
    args = ap.parse_args()
    size: tuple[int, int] | None = None
    if args.size:
        width, height = args.size.split("x")
        size = (int(width), int(height))
    modes = {"both": (False, True), "off": (False,), "on": (True,)}[args.attacker]
    runs: dict[bool, list[Run]] = {False: [], True: []}
    ok = True
    for _ in range(args.repeat):  # alternating, so a busy spell of the machine hits both
        for attack in modes:
            run = _workshop(args, size, attack)
            runs[attack].append(run)
            ok = _report(args, size, run) and ok
    if runs[False] and runs[True]:
        rounds = f" (medians of {args.repeat} runs each)" if args.repeat > 1 else ""
        print(f"the students, with the attacker / without it{rounds} (target: within 1.20):")
        ratios = []
        for what, of in (("p95 chat turn", "turns"), ("p95 first-export wait", "first_wait")):
            calm = statistics.median(_pct(getattr(r, of), 0.95) for r in runs[False])
            attacked = statistics.median(_pct(getattr(r, of), 0.95) for r in runs[True])
            ratios.append(attacked / calm)
            print(f"  {what + ':':24}{attacked:7.2f} s / {calm:7.2f} s = {attacked / calm:.2f}")
        within = max(ratios) <= 1.2
        print("  within 20%" if within else "  NOT within 20%")
        ok = ok and within
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
