"""How long one chat turn takes on the engine, with the default reply pace, over loopback.

Starts `python -m nemo_nb.engine` (the real agent; streamed replies paced as `nemo-nb serve` does
by default) on 127.0.0.1, then plays short conversations: a seed prompt, follow-ups, compound
requests, asks that are not available here, and the same in Chinese. Prints the p50/p95 of a
whole turn (request sent -> last byte of the stream) per kind and overall, and the p95 of the
agent alone (``interpret()`` in this process) for the same prompts. Target (issue 21): the chat
p95 stays under 1 s.

A script, not a test::

    python benchmarks/agent_turns.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

CONVERSATIONS = {
    "seed": ["make this photo jiggle and bounce like a looping animated video",
             "make it subtler", "add some lofi music", "make it 9 seconds"],
    "compound": ["make this photo jiggle and bounce",
                 "jiggle it, add the title Summer Vibes and make it square",
                 "make it bounce and add some jazz, then make it 20 seconds",
                 'add "Day 1" at the top and "Day 2" at the bottom'],
    "not available": ["make this photo bounce in 8K", "make her wink",
                      "make it black and white and 2 minutes long", "post it to my TikTok"],
    "chinese": ["让这张照片抖动起来", "更强一点", "加上标题 你好，然后变成方形", "加下雪效果"],
    "help": ["what can you do?", "你能做什么"],
}  # fmt: skip


def _pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))] if values else 0.0


def _photo() -> bytes:
    from nemo_nb import sample_photo

    return Path(sample_photo()).read_bytes()


def _turns(url: str, rounds: int) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {kind: [] for kind in CONVERSATIONS}
    photo = _photo()
    with httpx.Client(base_url=url, timeout=60) as http:
        r = http.post("/api/auth/anonymous-token", headers={"X-Client-Id": str(uuid.uuid4())})
        http.headers["Authorization"] = "Bearer " + r.json()["data"]["token"]
        for _ in range(rounds):
            for kind, prompts in CONVERSATIONS.items():
                sid = http.post("/api/tasks/me/with-session/nemo_agent",
                                json={"task_name": "project", "language": "en"}
                                ).json()["data"]["session_id"]  # fmt: skip
                http.post(f"/api/upload-video/nemo_agent/me/{sid}",
                          files=[("files", ("grace_hopper.jpg", photo))])  # fmt: skip
                for text in prompts:
                    body = {"app_name": "nemo_agent", "user_id": "me", "session_id": sid,
                            "new_message": {"parts": [{"text": text}]}}  # fmt: skip
                    t0 = time.perf_counter()
                    with http.stream("POST", "/run_sse", json=body) as resp:
                        for _ in resp.iter_bytes():
                            pass
                    times[kind].append(time.perf_counter() - t0)
    return times


def _agent_alone() -> list[float]:
    from nemo_nb.engine.agent import MediaRef, interpret

    media = [MediaRef("m1", "http://127.0.0.1/media/m1/p.jpg", "p.jpg", "image", 512, 600)]
    out = []
    for prompts in CONVERSATIONS.values():
        draft = None
        for text in prompts:
            t0 = time.perf_counter()
            reply = interpret(text, draft, media)
            out.append(time.perf_counter() - t0)
            draft = reply.draft or draft
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        proc = subprocess.Popen(
            [sys.executable, "-m", "nemo_nb.engine", "--data-dir", str(Path(tmp) / "data")],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        try:
            line = ""
            while "listening on" not in line:
                line = proc.stdout.readline()  # type: ignore[union-attr]
                if not line:
                    print("the engine did not start", file=sys.stderr)
                    return 1
            url = re.search(r"listening on (\S+)", line).group(1)  # type: ignore[union-attr]
            times = _turns(url, args.rounds)
        finally:
            proc.terminate()
            proc.wait(10)
    every = [t for ts in times.values() for t in ts]
    print(f"chat turns on the engine (default reply pace), {len(every)} turns:")
    for kind, ts in times.items():
        print(f"  {kind:<14} p50 {statistics.median(ts) * 1000:5.0f} ms   "
              f"p95 {_pct(ts, 0.95) * 1000:5.0f} ms")  # fmt: skip
    print(f"  {'all':<14} p50 {statistics.median(every) * 1000:5.0f} ms   "
          f"p95 {_pct(every, 0.95) * 1000:5.0f} ms (target < 1000 ms)")  # fmt: skip
    alone = _agent_alone()
    print(f"the agent alone (interpret): p95 {_pct(alone, 0.95) * 1000:.1f} ms, "
          f"max {max(alone) * 1000:.1f} ms")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
