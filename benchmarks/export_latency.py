"""How long after the engine finishes a render does ``Conversation`` hand back the MP4?

Starts the embedded engine on a throw-away data dir, uploads a generated photo, asks for a jiggle
clip (the first seed prompt), then exports it several times (each export is a new render job). For
each it prints the render time on the engine (job created → completed, the engine's own clock) and
the *overhead*: from the job's completion on the engine to ``export`` returning the downloaded file.
Target: overhead ≤ 0.3 s. A script, not a test::

    python benchmarks/export_latency.py [--runs 3] [--seconds 6]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from pathlib import Path


def _photo(path: Path) -> Path:
    import numpy as np
    from PIL import Image

    yy, xx = np.mgrid[0:640, 0:480]
    rgb = np.stack([(xx * 255 // 480), (yy * 255 // 640), ((xx + yy) % 256)], -1).astype(np.uint8)
    Image.fromarray(rgb).save(path, quality=90)
    return path


async def _main(runs: int, seconds: int) -> None:
    import nemo_nb
    from nemo_nb.conversation import Conversation

    client = await nemo_nb.connect("local")
    work = Path(os.environ["NEMO_NB_HOME"])
    conv = Conversation(client, data_dir=work)
    update = await conv.upload(_photo(work / "portrait.jpg"))
    assert update.kind == "upload", update.text
    prompt = f"make this photo jiggle and bounce like a looping animated video, {seconds} seconds"
    reply = await conv.ask(prompt)
    assert conv.draft is not None and conv.draft.exportable, reply
    renders, overheads = [], []
    for i in range(runs):
        job = None
        async for u in conv.send("export"):
            if u.kind == "export":
                returned = time.time()
                job = u.data["job"]
            elif u.kind == "error":
                raise SystemExit(u.text)
        assert job is not None and job.completed_at and job.created_at
        render_s = (job.completed_at - job.created_at).total_seconds()
        overhead = returned - job.completed_at.timestamp()
        renders.append(render_s)
        overheads.append(overhead)
        print(f"export {i + 1}: render {render_s:.2f} s on the engine, overhead {overhead:.3f} s")
    await client.aclose()
    print(
        f"median render {statistics.median(renders):.2f} s; "
        f"median overhead {statistics.median(overheads):.3f} s, max {max(overheads):.3f} s "
        f"(target ≤ 0.3 s)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=6)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="nemo-nb-bench-") as home:
        os.environ["NEMO_NB_HOME"] = home  # a private engine, not the user's
        os.environ.pop("NEMO_TOKEN", None)
        asyncio.run(_main(args.runs, args.seconds))


if __name__ == "__main__":
    main()
