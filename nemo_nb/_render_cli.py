"""nemo-nb render: photos and prompts in, one MP4 out, in a single command.

Runs a whole editing session through the conversation layer (the same one the notebook uses):
new session, upload, the prompt and each follow-up, an aspect change if asked, export, download;
with ``--preview``, the local engine's preview instead of the export (small and fast).
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from nemo_nb._mediatype import is_url
from nemo_nb.skills import SKILLS

if TYPE_CHECKING:
    from nemo_nb.api import NemoClient
    from nemo_nb.conversation import Conversation

DESCRIPTION = (
    "Animate photos with one command: start a session, upload IMAGE(s), send --prompt and every "
    "--then follow-up, export and download the MP4. Uses the local engine (offline) unless "
    "NEMO_TOKEN is set or --backend says otherwise."
)
EPILOG = (
    "Example: nemo-nb render portrait.jpg --prompt 'make this photo jiggle and bounce like a "
    "looping animated video' --then 'make it subtler' -o jiggle.mp4"
)
ASPECTS = ("9:16", "16:9", "1:1")
NO_PREVIEWS = "Previews are made by the local engine only; leave out --preview to export."


class RenderFailed(Exception):
    """A step failed; the message is the one sentence shown to the user."""


class Progress:
    """A redrawn bar on a terminal; one plain line per 10% step when output is piped."""

    def __init__(self, stream: TextIO, label: str = "Rendering") -> None:
        self.stream = stream
        self.label = label
        self.tty = stream.isatty()
        self._last_step = -1

    def __call__(self, fraction: float) -> None:
        fraction = min(max(fraction, 0.0), 1.0)
        if self.tty:
            filled = round(fraction * 30)
            bar = "#" * filled + "." * (30 - filled)
            self.stream.write(f"\r{self.label} [{bar}] {fraction * 100:3.0f}%")
            self.stream.flush()
            return
        step = int(fraction * 10)
        if step > self._last_step:
            self._last_step = step
            print(f"{self.label}: {step * 10}%", file=self.stream, flush=True)

    def done(self) -> None:
        if self.tty:
            self(1.0)
            self.stream.write("\n")
        elif self._last_step < 10:
            self(1.0)


async def render(
    images: Sequence[str],
    prompts: Sequence[str],
    out: Path | None = None,
    *,
    skill: str | None = None,
    aspect: str | None = None,
    backend: str = "auto",
    stream: TextIO = sys.stdout,
    preview: bool = False,
) -> Path:
    """Run the whole session and return the MP4's path (``out``, by default a readable name in
    the working directory such as ``grace_hopper-jiggle-bounce.mp4``); raises
    :class:`RenderFailed`. With ``preview``, the MP4 is the local engine's preview (360 px on
    the short side), not the export, and its default name ends in ``-preview``."""
    from nemo_nb._connect import connect
    from nemo_nb.api import NemoError
    from nemo_nb.conversation import Conversation

    for image in images:
        if not is_url(image) and not Path(image).is_file():
            raise RenderFailed(f"There is no file {image}: check the path.")
    client = await connect(backend, skill=skill)
    async with client:
        print(f"Connected to {_where(client)}.", file=stream, flush=True)
        conv = Conversation(client, front_end="cli")  # it exports by itself
        uploaded = await conv.upload(*images)
        if uploaded.kind == "error":
            raise RenderFailed(uploaded.text)
        print(uploaded.text, file=stream, flush=True)
        for prompt in prompts:
            await _ask(conv, prompt, stream)
        if aspect and conv.draft is not None and conv.draft.aspect != aspect:
            await _ask(conv, f"make it {aspect}", stream)
            if conv.draft is None or conv.draft.aspect != aspect:
                raise RenderFailed(f"The agent did not change the video to {aspect}.")
        if preview:
            return await _preview(conv, out, stream)
        progress = Progress(stream)
        try:
            path = await conv.export(on_progress=progress, dest=out or Path.cwd())
        except NemoError as exc:
            raise RenderFailed(str(exc)) from None
        progress.done()
        return Path(path)


async def _preview(conv: Conversation, out: Path | None, stream: TextIO) -> Path:
    """The timeline's preview, copied to ``out`` (it stays in the conversation's previews too,
    so the same timeline is not rendered again)."""
    from nemo_nb.api import NemoError
    from nemo_nb.conversation import export_stem, unique_path

    if not conv.previews_available:
        raise RenderFailed(NO_PREVIEWS)
    progress = Progress(stream, "Previewing")
    try:
        made = await conv.preview(on_progress=progress)
    except NemoError as exc:
        raise RenderFailed(str(exc)) from None
    if made is None:  # replaced by a newer preview of the session: not in a single run
        raise RenderFailed("The preview was replaced before it was done; run the command again.")
    progress.done()
    if out is None or out.is_dir():
        target = unique_path(out or Path(), f"{export_stem(conv.draft)}-preview")
    else:
        target = out
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(made, target)
    return target


async def _ask(conv: Conversation, prompt: str, stream: TextIO) -> None:
    reply = await conv.ask(prompt)
    print(str(reply), file=stream, flush=True)
    if reply.errors:
        raise RenderFailed(reply.errors[0].text)


def _where(client: NemoClient) -> str:
    base = str(client.base_url)
    if base.startswith(("http://127.0.0.1", "http://localhost")):
        return f"the local engine at {base}"
    return base


def build_parser(prog: str = "nemo-nb render") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description=DESCRIPTION, epilog=EPILOG)
    parser.add_argument("images", nargs="+", metavar="IMAGE", help="photos (or video clips, URLs)")
    parser.add_argument("--prompt", required=True, metavar="TEXT", help="what to make of them")
    parser.add_argument(
        "--then",
        action="append",
        default=[],
        metavar="TEXT",
        help="a follow-up prompt, sent after the first (repeat for more)",
    )
    parser.add_argument(
        "--skill",
        choices=sorted(SKILLS),
        default=None,
        metavar="NAME",
        help=f"skill preset, one of: {', '.join(sorted(SKILLS))} (default: image-to-video-jiggle)",
    )
    parser.add_argument("--aspect", choices=ASPECTS, default=None, help="final aspect ratio")
    parser.add_argument(
        "-o",
        "--out",
        type=Path,
        default=None,
        help="MP4 to write (default: named after the photo and effects, e.g. "
        "portrait-jiggle-bounce.mp4, in this folder)",
    )
    parser.add_argument(
        "--preview",
        action="store_true",
        help="write only the local engine's preview (360 px on the short side, in about a "
        "second) instead of the full-quality export",
    )
    parser.add_argument(
        "--backend",
        default="auto",
        help="auto (default: cloud if NEMO_TOKEN is set, else local), local, cloud, or a server "
        "URL such as http://teacher:8800",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``nemo-nb render``: 0 on success, 1 with one sentence on failure."""
    args = build_parser().parse_args(argv)
    out: Path | None = args.out
    started = time.perf_counter()
    try:
        path = asyncio.run(
            render(
                args.images,
                [args.prompt, *args.then],
                out,
                skill=args.skill,
                aspect=args.aspect,
                backend=args.backend,
                preview=args.preview,
            )
        )
    except KeyboardInterrupt:
        print("\nStopped.", file=sys.stderr)
        return 130
    except RenderFailed as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # one sentence, never a traceback
        from nemo_nb.api import NemoError

        sentence = str(exc) if isinstance(exc, NemoError) else f"{type(exc).__name__}: {exc}"
        print(f"error: {sentence}", file=sys.stderr)
        return 1
    size_mb = path.stat().st_size / 1e6
    print(f"Wrote {path} ({size_mb:.1f} MB) in {time.perf_counter() - started:.1f} s.")
    return 0
