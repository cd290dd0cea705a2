"""Make docs/preview.webp, the animated preview at the top of the README, with nemo-nb itself.

The sample portrait goes through the same steps as the README's first example (jiggle, then
subtler with a title) on the embedded engine; the exported MP4 is decoded and written as a small
looping animated WebP (GitHub shows those inline). Run from the repository root:

    python scripts/make_readme_preview.py            # writes docs/preview.webp
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from pathlib import Path

import av
from PIL import Image

import nemo_nb

PROMPTS = (
    "make this photo jiggle and bounce like a looping animated video for 3 seconds",
    'make it subtler and add a title "Hello!"',
)


async def render(dest: Path) -> Path:
    client = await nemo_nb.connect("local")
    async with client:
        conv = nemo_nb.Conversation(client)
        uploaded = await conv.upload(nemo_nb.sample_photo())
        if uploaded.kind == "error":
            raise SystemExit(uploaded.text)
        for prompt in PROMPTS:
            reply = await conv.ask(prompt)
            print(reply)
            if reply.errors:
                raise SystemExit(reply.errors[0].text)
        return await conv.export(dest=dest)


def to_webp(mp4: Path, out: Path, *, width: int, fps: int, quality: int) -> None:
    frames: list[Image.Image] = []
    with av.open(str(mp4)) as container:
        stream = container.streams.video[0]
        source_fps = float(stream.average_rate or 30)
        step = max(1, round(source_fps / fps))
        for index, frame in enumerate(container.decode(stream)):
            if index % step == 0:
                image = frame.to_image()
                height = round(image.height * width / image.width)
                frames.append(image.resize((width, height), Image.LANCZOS))
    out.parent.mkdir(parents=True, exist_ok=True)
    frames[0].save(
        out,
        save_all=True,
        append_images=frames[1:],
        duration=round(1000 * step / source_fps),
        loop=0,
        quality=quality,
        method=6,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description="Write the README's animated preview.")
    parser.add_argument("--out", type=Path, default=Path("docs/preview.webp"))
    parser.add_argument("--width", type=int, default=216)
    parser.add_argument("--fps", type=int, default=15)
    parser.add_argument("--quality", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="nemo-nb-preview-") as tmp:
        mp4 = asyncio.run(render(Path(tmp) / "preview.mp4"))
        to_webp(mp4, args.out, width=args.width, fps=args.fps, quality=args.quality)
    print(f"wrote {args.out} ({args.out.stat().st_size / 1024:.0f} KB)")


if __name__ == "__main__":
    main()
