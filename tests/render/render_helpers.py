"""Helpers for the renderer's tests: media files, a resolver, drafts, and a decoder for what we wrote."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import av
import cv2
import numpy as np
from PIL import Image

ARTIFACTS = (
    Path(os.environ.get("NEMO_NB_TEST_ARTIFACTS", Path(__file__).parents[2] / "test-artifacts"))
    / "render"
)


def textured(width: int, height: int, seed: int = 0) -> np.ndarray:
    """A photo-like RGB picture: smooth colour gradients plus mid-frequency detail."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    base = np.dstack([x / width, y / height, 0.5 + 0.5 * np.sin(x / 23 + y / 31)]) * 200
    noise = cv2.GaussianBlur(rng.normal(0, 40, (height, width, 3)).astype(np.float32), (0, 0), 2.0)
    return np.clip(base + noise + 25, 0, 255).astype(np.uint8)


def save(array: np.ndarray, path: Path, **kwargs) -> Path:
    Image.fromarray(array).save(path, **kwargs)
    return path


def image_segment(src: str, d: int, st: int = 0, fx: str = "none", **extra) -> dict:
    m = {"kind": "image", "fx": {"type": fx, "strength": 0.6, "speed": 1.0, "loops": 1}}
    m["fx"].update(extra.pop("fx_args", {}))
    m.update(extra)
    return {"id": f"s-{src}-{st}", "st": st, "d": d, "src": src, "n": src, "m": m}


def draft(
    d: int,
    video: list[dict] | None = None,
    *,
    audio: list[dict] | None = None,
    text: list[dict] | None = None,
    width: int = 180,
    height: int = 320,
) -> dict:
    tracks = [{"id": "v1", "tt": 0, "n": "Video", "sg": video or []}]
    if audio:
        tracks.append({"id": "a1", "tt": 1, "n": "BGM", "sg": audio})
    if text:
        tracks.append({"id": "x1", "tt": 7, "n": "Title", "sg": text})
    return {"d": d, "m": {"title": "t", "width": width, "height": height, "fps": 30}, "t": tracks}


@dataclass
class Media:
    """Files under a temp dir, addressed by name like the engine's media urls."""

    root: Path
    files: dict[str, Path] = field(default_factory=dict)

    def add(self, name: str, path: Path) -> str:
        self.files[name] = path
        return name

    def picture(self, name: str, array: np.ndarray, **save_kwargs) -> str:
        return self.add(name, save(array, self.root / name, **save_kwargs))

    def resolve(self, src: str) -> Path:
        return self.files[src]


@dataclass
class Probe:
    codec: str
    profile: str
    pix_fmt: str
    width: int
    height: int
    frames: int
    duration: float
    audio_codec: str | None
    audio_duration: float | None


def probe(path: Path) -> Probe:
    """Decode the whole file (counting real frames, not trusting the header)."""
    with av.open(str(path)) as container:
        video = container.streams.video[0]
        ctx = video.codec_context
        frames = sum(1 for _ in container.decode(video))
        audio = container.streams.audio[0] if container.streams.audio else None
        return Probe(
            ctx.name,
            ctx.profile,
            ctx.pix_fmt,
            ctx.width,
            ctx.height,
            frames,
            float(video.duration * video.time_base),
            audio.codec_context.name if audio else None,
            float(audio.duration * audio.time_base) if audio and audio.duration else None,
        )


def decode_frames(path: Path, indices: list[int] | None = None) -> list[np.ndarray]:
    """RGB frames of the file (all, or just ``indices``)."""
    wanted = None if indices is None else set(indices)
    out: dict[int, np.ndarray] = {}
    with av.open(str(path)) as container:
        for i, frame in enumerate(container.decode(video=0)):
            if wanted is None or i in wanted:
                out[i] = frame.to_ndarray(format="rgb24")
    return [out[i] for i in sorted(out)] if indices is None else [out[i] for i in indices]


def decode_audio(path: Path) -> np.ndarray:
    """(samples, 2) float32 of the file's audio."""
    with av.open(str(path)) as container:
        chunks = [f.to_ndarray() for f in container.decode(audio=0)]
    return np.concatenate(chunks, axis=1).T


def mean_abs_diff(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a.astype(np.int16) - b.astype(np.int16)).mean())


def contact_sheet(frames: list[np.ndarray], path: Path, columns: int = 6, label: str = "") -> Path:
    """Tile frames (with faint guide lines every 10 % of the height) into a PNG for a person to look at."""
    tiles = []
    for frame in frames:
        tile = frame.copy()
        h, w = tile.shape[:2]
        for k in range(1, 10):
            tile[round(k * h / 10), :] = (
                tile[round(k * h / 10), :] * 0.5 + np.array([0, 255, 0]) * 0.5
            ).astype(np.uint8)
        tiles.append(tile)
    while len(tiles) % columns:
        tiles.append(np.zeros_like(tiles[0]))
    sheet = np.vstack([np.hstack(tiles[i : i + columns]) for i in range(0, len(tiles), columns)])
    if label:
        cv2.putText(
            sheet, label, (4, 14), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (255, 255, 0), 1, cv2.LINE_AA
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(sheet).save(path)
    return path
