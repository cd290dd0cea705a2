"""Draft dicts shared by the timeline tests."""

from __future__ import annotations

import copy
from typing import Any

#: The seeds' example, built so its summary must read exactly as the seed prints it.
SEED_SUMMARY = (
    "Timeline (3 tracks): 1. Video: city timelapse (0-10s) 2. BGM: Lo-fi (0-10s, 35%) "
    '3. Title: "Urban Dreams" (0-3s)'
)
SEED_DRAFT: dict[str, Any] = {
    "d": 10000,
    "m": {"title": "City", "width": 1080, "height": 1920},
    "t": [
        {"id": "v1", "tt": 0, "n": "Video", "sg": [
            {"id": "s1", "st": 0, "d": 10000, "src": "https://cdn/x/city.mp4",
             "n": "city timelapse", "m": {"kind": "video"}}]},
        {"id": "a1", "tt": 1, "n": "BGM", "sg": [
            {"id": "s2", "st": 0, "d": 10000, "src": "builtin:lofi", "n": "Lo-fi",
             "m": {"vol": 0.35}}]},
        {"id": "x1", "tt": 7, "n": "Title", "sg": [
            {"id": "s3", "st": 0, "d": 3000, "txt": "Urban Dreams", "m": {"pos": "top"}}]},
    ],
}  # fmt: skip

#: The engine's schema example (docs/draft-schema.md).
ENGINE_DRAFT: dict[str, Any] = {
    "d": 6000,
    "m": {"title": "Jiggle", "width": 1080, "height": 1920, "fps": 30, "aspect": "9:16"},
    "t": [
        {"id": "v1", "tt": 0, "n": "Video", "sg": [
            {"id": "s1", "st": 0, "d": 6000, "src": "http://127.0.0.1:1/media/m1/portrait.jpg",
             "n": "portrait.jpg",
             "m": {"kind": "image", "fx": {"type": "jiggle", "strength": 0.6, "speed": 1.0,
                                           "loops": 2},
                   "fit": "cover", "anchor": [0.5, 0.92]}}]},
        {"id": "a1", "tt": 1, "n": "BGM", "sg": [
            {"id": "s2", "st": 0, "d": 6000, "src": "builtin:lofi", "n": "Lo-fi",
             "m": {"vol": 0.35, "fade_in": 0, "fade_out": 1000}}]},
        {"id": "x1", "tt": 7, "n": "Title", "sg": [
            {"id": "s3", "st": 0, "d": 3000, "txt": "Urban Dreams",
             "m": {"pos": "top", "color": "#ffffff", "size": 0.07, "anim": "fade"}}]},
    ],
}  # fmt: skip


def engine_draft() -> dict[str, Any]:
    """A fresh deep copy of :data:`ENGINE_DRAFT` to mutate."""
    return copy.deepcopy(ENGINE_DRAFT)


def slideshow(count: int, *, seconds_each: float = 1.0) -> dict[str, Any]:
    """``count`` photos back to back with crossfades, plus music and a title."""
    step = int(seconds_each * 1000)
    photos = [
        {"id": f"p{i}", "st": i * step, "d": step, "src": f"https://cdn/photo_{i:02d}.jpg",
         "n": f"photo_{i:02d}.jpg",
         "m": {"kind": "image", "fx": {"type": "kenburns", "strength": 0.5},
               **({"tr": {"type": "crossfade", "d": 300}} if i else {})}}
        for i in range(count)
    ]  # fmt: skip
    total = count * step
    return {
        "d": total,
        "m": {"title": "Slideshow", "aspect": "16:9", "width": 1920, "height": 1080},
        "t": [
            {"id": "v1", "tt": 0, "n": "Video", "sg": photos},
            {"id": "a1", "tt": 1, "n": "BGM", "sg": [
                {"id": "m", "st": 0, "d": total, "src": "builtin:upbeat", "n": "Upbeat",
                 "m": {"vol": 0.5}}]},
            {"id": "x1", "tt": 7, "n": "Title", "sg": [
                {"id": "t", "st": 0, "d": min(total, 3000), "txt": "Summer 2026"}]},
        ],
    }  # fmt: skip
