"""Tool activity: a short line for what a tool call is doing, from its name (like NemoVideo's CLI)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["activity_label"]

# First match wins: (substrings of the tool name, what the user reads).
_LABELS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("generate_video", "seedance", "text_to_video", "image_to_video", "i2v", "t2v"), "Generating video…"),
    (("create_timeline", "create_draft", "build_timeline"), "Building the timeline…"),
    (("remove", "delete"), "Removing…"),
    (("volume",), "Adjusting the volume…"),
    (("motion", "animate", "jiggle", "bounce", "effect", "kenburns", "ken_burns"), "Applying motion…"),
    (("music", "audio", "bgm", "sound"), "Adding music…"),
    (("title", "caption", "subtitle", "text"), "Adding text…"),
    (("transition",), "Adding transitions…"),
    (("aspect", "duration", "canvas", "resize"), "Adjusting the format…"),
    (("undo", "revert"), "Undoing the last edit…"),
    (("edit", "draft", "multitrack", "timeline", "track", "segment"), "Editing the timeline…"),
    (("analy", "probe", "understand", "caption_image", "describe"), "Looking at your media…"),
    (("render", "export"), "Rendering…"),
    (("upload", "import"), "Importing media…"),
)  # fmt: skip


def activity_label(tool_name: str | None, args: Mapping[str, Any] | None = None) -> str:
    """``"apply_motion"`` → ``"Applying motion…"``; an unknown tool → ``"Working…"``.

    A generic tool's ``op`` argument refines the label (``edit_multitrack`` with
    ``op="transition"`` → ``"Adding transitions…"``).
    """
    op = (args or {}).get("op")
    name = f"{op if isinstance(op, str) else ''} {tool_name or ''}".lower()
    for needles, label in _LABELS:
        if any(needle in name for needle in needles):
            return label
    return "Working…"
