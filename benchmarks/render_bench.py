"""Renderer benchmark: pipeline overhead over pure encoding, and memory of a long slideshow.

    python benchmarks/render_bench.py

1. Renders a 3 s 1080x1920 jiggle loop of matplotlib's sample portrait, then encodes the same 90
   frames (made beforehand) with the same encoder settings, and prints render / encode-only
   (target <= 1.3: the warp should hide behind the encoder).
2. Renders a 15 s slideshow of 5 phone-sized photos (crossfades, title, music) in a child process
   and prints its peak RSS (target <= 400 MB) and the output size.

Timings on a shared machine are noisy; run it twice.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import matplotlib.cbook
import numpy as np
from PIL import Image

from nemo_nb.render import render_draft
from nemo_nb.render._draft import plan_draft
from nemo_nb.render._encode import Encoder
from nemo_nb.render._pipeline import Compositor

PORTRAIT = Path(matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))
PRESET, CRF = "veryfast", 21


def jiggle_draft(seconds: int = 3) -> dict:
    ms = seconds * 1000
    seg = {
        "id": "s1",
        "st": 0,
        "d": ms,
        "src": "portrait",
        "m": {"kind": "image", "fx": {"type": "jiggle", "strength": 0.6, "speed": 1.0, "loops": 1}},
    }
    return {"d": ms, "m": {"aspect": "9:16", "fps": 30}, "t": [{"id": "v1", "tt": 0, "sg": [seg]}]}


def bench_overhead(workdir: Path) -> None:
    draft = jiggle_draft()
    resolve = lambda src: PORTRAIT  # noqa: E731
    render_draft(draft, workdir / "warmup.mp4", resolve=resolve)  # imports, caches, thread pools

    started = time.perf_counter()
    result = render_draft(draft, workdir / "jiggle.mp4", resolve=resolve, preset=PRESET, crf=CRF)
    render_s = time.perf_counter() - started

    plan = plan_draft(draft, resolve)
    compositor = Compositor(plan, {})
    frames = [compositor.frame(i / plan.fps) for i in range(plan.frames)]  # I420, ready to encode
    compositor.close()
    started = time.perf_counter()
    encoder = Encoder(
        workdir / "encode-only.mp4",
        plan.width,
        plan.height,
        plan.fps,
        preset=PRESET,
        crf=CRF,
        audio=False,
    )
    for index, frame in enumerate(frames):
        encoder.add_video(frame, index)
    encoder.finish()
    encode_s = time.perf_counter() - started

    print(f"jiggle 3 s 1080x1920 ({result.frames} frames, {PRESET}, crf {CRF})")
    print(f"  render (warp + encode, pipelined): {render_s:6.2f} s")
    print(f"  encode only, same frames:          {encode_s:6.2f} s")
    print(f"  render / encode-only:              {render_s / encode_s:6.2f}   (target <= 1.3)")
    print(f"  output size: {result.size_bytes / 1e6:.2f} MB")


def phone_photos(workdir: Path, count: int) -> list[Path]:
    """``count`` 12 MP JPEGs (4032x3024), photo-like, the first one the portrait."""
    paths = [PORTRAIT]
    rng = np.random.default_rng(1)
    for i in range(1, count):
        small = rng.integers(0, 255, (48, 64, 3), dtype=np.uint8)
        big = cv2.resize(small, (4032, 3024), interpolation=cv2.INTER_CUBIC)
        path = workdir / f"photo{i}.jpg"
        Image.fromarray(big).save(path, quality=90)
        paths.append(path)
    return paths


def slideshow_draft(count: int, seconds: int = 15) -> dict:
    each = seconds * 1000 // count
    effects = ["jiggle", "kenburns", "alive", "bounce", "sway"]
    segs = [
        {
            "id": f"s{i}",
            "st": i * each,
            "d": each,
            "src": f"photo{i}",
            "m": {
                "kind": "image",
                "fx": {"type": effects[i % 5], "strength": 0.5},
                "tr": {"type": ["crossfade", "slide", "wipe", "zoom"][i % 4], "d": 500},
            },
        }
        for i in range(count)
    ]
    return {
        "d": seconds * 1000,
        "m": {"aspect": "9:16", "fps": 30},
        "t": [
            {"id": "v1", "tt": 0, "sg": segs},
            {
                "id": "a1",
                "tt": 1,
                "sg": [
                    {
                        "id": "m",
                        "st": 0,
                        "d": seconds * 1000,
                        "src": "builtin:upbeat",
                        "m": {"vol": 0.4, "fade_out": 1500},
                    }
                ],
            },
            {
                "id": "x1",
                "tt": 7,
                "sg": [
                    {
                        "id": "t",
                        "st": 0,
                        "d": 3000,
                        "txt": "Summer 2026",
                        "m": {"pos": "top", "anim": "fade"},
                    }
                ],
            },
        ],
    }


def child_slideshow(workdir: Path, count: int) -> None:
    photos = {p.stem: p for p in workdir.glob("photo*.jpg")}
    photos["photo0"] = PORTRAIT
    started = time.perf_counter()
    result = render_draft(
        slideshow_draft(count), workdir / "slideshow.mp4", resolve=photos.__getitem__
    )
    print(
        f"  slideshow: {result.frames} frames in {time.perf_counter() - started:.1f} s, {result.size_bytes / 1e6:.2f} MB"
    )


def bench_memory(workdir: Path, count: int = 5) -> None:
    phone_photos(workdir, count)
    print(
        f"slideshow 15 s 1080x1920 of {count} photos (4032x3024 JPEGs), crossfades, title, music",
        flush=True,
    )
    subprocess.run(
        [sys.executable, __file__, "--child-slideshow", str(workdir), str(count)], check=True
    )
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # KiB on Linux
    print(f"  peak RSS of the rendering process: {peak_mb:.0f} MB   (target <= 400 MB)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--child-slideshow", nargs=2, metavar=("DIR", "COUNT"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.child_slideshow:
        child_slideshow(Path(args.child_slideshow[0]), int(args.child_slideshow[1]))
        return
    with tempfile.TemporaryDirectory(prefix="nemo-render-bench-") as tmp:
        workdir = Path(tmp)
        bench_memory(workdir)  # first: the child's RSS is not inflated by anything of ours
        bench_overhead(workdir)


if __name__ == "__main__":
    main()
