"""Prompt Lab benchmark: how much a lab adds beyond its renders.

    python benchmarks/prompt_lab_bench.py [--concurrency 2]

On a fresh embedded engine (its own temporary data dir):
1. one warm-up render, so neither side pays the engine's first-render imports;
2. a 6-variant lab (3 prompts x 2 skills) of 3 s clips, timed from ``await lab.run()`` to its end:
   sessions, uploads, agent turns, renders, downloads and the cards' previews;
3. the same six timelines rendered again one after another (submit, poll every 50 ms, next),
   summing their render times.
Prints lab wall / sum of renders: near 1.0 means the lab adds little beyond the renders themselves
(the engine renders one job at a time, so the renders are the floor).

Timings on a shared machine are noisy; run it twice.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time

PROMPTS = [
    "make this photo jiggle and bounce like a looping animated video",
    "make this photo bounce",
    "animate this photo to make it look like it's moving",
]
SKILLS = ["image-to-video-jiggle", "ai-animation-photo"]
QUICK = "make it 3 seconds"


async def render_alone(client, session_id: str, draft: dict) -> float:
    """Submit one render, poll it closely, return seconds from submit to completion."""
    started = time.perf_counter()
    job = await client.start_render(session_id, draft)
    while not job.done:
        await asyncio.sleep(0.05)
        job = await client.render_status(job.id)
    if job.status != "completed":
        raise SystemExit(f"render {job.id} ended {job.status}: {job.error}")
    return time.perf_counter() - started


async def main(concurrency: int) -> None:
    import nemo_nb

    photo = nemo_nb.sample_photo()
    client = await nemo_nb.connect("local")
    async with client:
        warm = nemo_nb.Conversation(client)
        await warm.upload(photo)
        await warm.ask(f"make this photo jiggle, {QUICK}")
        assert warm.draft is not None and warm.session_id is not None
        await render_alone(client, warm.session_id, warm.draft.to_json())

        lab = nemo_nb.PromptLab(
            photo, PROMPTS, skills=SKILLS, follow_ups=QUICK, concurrency=concurrency
        )
        started = time.perf_counter()
        await lab.run()
        lab_wall = time.perf_counter() - started
        failed = [v for v in lab.variants if v.status != "done"]
        if failed:
            raise SystemExit(f"{len(failed)} variant(s) failed: {failed[0].error}")

        alone = []
        for v in lab.variants:
            assert v.session_id is not None and v.draft is not None
            alone.append(await render_alone(client, v.session_id, v.draft))

    frame = lab.frame
    print(f"variants: {len(lab.variants)} (3 prompts x 2 skills), 3 s 1080x1920 clips")
    print(f"concurrency: {concurrency}")
    print(f"lab wall time: {lab_wall:.2f} s")
    print(
        f"renders one after another: {' + '.join(f'{s:.2f}' for s in alone)} = {sum(alone):.2f} s"
    )
    print(f"lab's render_s column (incl. queue wait): {frame['render_s'].round(2).tolist()}")
    print(f"ratio lab wall / sum of renders: {lab_wall / sum(alone):.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=int, default=2)
    args = parser.parse_args()
    os.environ["NEMO_NB_HOME"] = tempfile.mkdtemp(prefix="nemo-nb-bench-")
    asyncio.run(main(args.concurrency))
