"""nemo-nb demo: check the install, then turn the sample portrait into a jiggle loop.

Runs entirely offline on the embedded engine: upload the sample photo, ask for a jiggle, export,
and print where the MP4 is.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from nemo_nb._samples import sample_photo

DEFAULT_PROMPT = "make this photo jiggle and bounce like a looping animated video"

DESCRIPTION = (
    "Check the install, then animate the sample portrait into a jiggle loop on the embedded "
    "engine, offline, and write the MP4."
)


def check_install() -> list[str]:
    """Return one sentence per problem with the install (empty when all is well): the packages
    and the H.264 encoder, as `nemo-nb doctor` checks them."""
    from nemo_nb._doctor import check_encoder, check_packages

    return [c.detail for c in (check_packages(), check_encoder()) if not c.ok]


async def run_demo(prompt: str, out: Path, photo: Path) -> Path:
    """Upload ``photo``, send ``prompt``, export the MP4 to ``out`` and return its path."""
    from nemo_nb._connect import connect
    from nemo_nb._render_cli import Progress
    from nemo_nb.conversation import Conversation

    print("Starting the embedded engine…", flush=True)
    client = await connect("local")
    async with client:
        conv = Conversation(client)
        print(f"Uploading {photo.name}…", flush=True)
        uploaded = await conv.upload(photo)
        if uploaded.kind == "error":
            raise RuntimeError(uploaded.text)
        print(f"You: {prompt}", flush=True)
        reply = await conv.ask(prompt, echo=True)
        if reply.errors:
            raise RuntimeError(reply.errors[0].text)
        progress = Progress(sys.stdout, "Exporting")  # a bar on a terminal, lines when piped
        out.parent.mkdir(parents=True, exist_ok=True)
        path = await conv.export(on_progress=progress, dest=out)
        progress.done()
    return Path(path)


def build_parser(prog: str = "nemo-nb demo") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description=DESCRIPTION)
    parser.add_argument("--prompt", default=DEFAULT_PROMPT, help="what to ask the agent")
    parser.add_argument(
        "--photo", type=Path, default=None, help="photo to animate (default: sample)"
    )
    parser.add_argument(
        "--out", type=Path, default=Path("nemo-nb-demo.mp4"), help="where to write the MP4"
    )
    parser.add_argument("--check", action="store_true", help="only check the install")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``nemo-nb demo``."""
    args = build_parser().parse_args(argv)

    print("Checking the install…", flush=True)
    problems = check_install()
    if problems:
        for problem in problems:
            print(f"  ✗ {problem}")
        return 1
    print("  ✓ all dependencies present, H.264 encoder available")
    if args.check:
        return 0

    started = time.perf_counter()
    try:
        out = asyncio.run(run_demo(args.prompt, args.out, args.photo or sample_photo()))
    except KeyboardInterrupt:
        print("\nStopped.")
        return 130
    except Exception as exc:  # one sentence, never a stack trace
        print(f"\nThe demo failed: {exc}", file=sys.stderr)
        return 1
    size_mb = out.stat().st_size / 1e6
    print(f"Done in {time.perf_counter() - started:.1f} s: {out} ({size_mb:.1f} MB)")
    return 0
