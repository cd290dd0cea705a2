"""Small stand-ins the engine tests inject: a predictable agent and a tiny renderer.

Used where the test is about the engine (wire format, storage, processes), not about what the real
agent or renderer decide. Loaded in the engine child process through ``--agent``/``--renderer``.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np

from nemo_nb.engine.agent import AgentReply, ToolCall


def draft_for(
    media: list[Any], seconds: float = 1.0, *, fx: str = "jiggle", size: int = 64
) -> dict:
    src = media[0].url if media else "builtin:none"
    name = media[0].name if media else "x"
    return {
        "d": int(seconds * 1000),
        "m": {"title": fx, "width": size, "height": size, "fps": 30, "aspect": "1:1"},
        "t": [{"id": "v1", "tt": 0, "n": "Video", "sg": [
            {"id": "s1", "st": 0, "d": int(seconds * 1000), "src": src, "n": name,
             "m": {"kind": "image", "fx": {"type": fx, "strength": 0.5, "speed": 1.0, "loops": 1}}}]}],
    }  # fmt: skip


def interpret(text: str, draft: dict | None, media: Any) -> AgentReply:
    """ "jiggle"/"bounce" make a draft; "undo" undoes; "slow" takes 0.6 s; "boom" raises;
    "quiet" edits without text; anything else is not understood."""
    words = text.lower().split()
    if "boom" in words:
        raise RuntimeError("stand-in agent exploded")
    if "slow" in words:
        time.sleep(0.6)
    if "undo" in words:
        return AgentReply([ToolCall("undo")], None, "Undone.", undo=True)
    for fx in ("jiggle", "bounce"):
        if fx in words:
            new = draft_for(list(media), fx=fx)
            return AgentReply([ToolCall("add_media", {"n": 1}), ToolCall("apply_motion", {"effect": fx})],
                              new, "Done! Preview it in the Timeline, then click Export.")  # fmt: skip
    if "quiet" in words:
        return AgentReply(
            [ToolCall("apply_motion", {"effect": "pulse"})],
            draft_for(list(media), fx="pulse"),
            None,
        )
    return AgentReply(
        [], None, "Sorry, I did not understand. Try “make it jiggle”.", understood=False
    )


def render(
    draft: dict,
    out_path: Path,
    *,
    resolve,
    on_progress=None,
    cancel: threading.Event | None = None,
    **_: Any,
) -> SimpleNamespace:
    """A tiny real MP4 (PyAV): ``draft["d"]`` ms at ``m.width`` x ``m.height``, 30 fps. Resolves every
    non-builtin src first (so a missing media fails like the real renderer). Sleeps
    ``m.slow_ms_per_frame`` per frame if set, to be caught mid-render. Returns ``path`` and
    ``notes`` (``m.notes``), like the real renderer's result."""
    import av

    for track in draft.get("t", []):
        for seg in track.get("sg", []):
            src = seg.get("src")
            if src and not src.startswith("builtin:"):
                resolve(src)
    m = draft.get("m", {})
    w, h = int(m.get("width", 64)), int(m.get("height", 64))
    n = round(draft.get("d", 1000) / 1000 * 30)
    slow = float(m.get("slow_ms_per_frame", 0)) / 1000
    out_path = Path(out_path)
    with av.open(str(out_path), "w") as c:
        s = c.add_stream("libx264", rate=30)
        s.width, s.height, s.pix_fmt = w, h, "yuv420p"
        for i in range(n):
            if cancel is not None and cancel.is_set():
                c.close()
                out_path.unlink(missing_ok=True)
                raise RuntimeError("cancelled")
            img = np.full((h, w, 3), (i * 7) % 255, np.uint8)
            for p in s.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                c.mux(p)
            if on_progress:
                on_progress((i + 1) / n)
            if slow:
                time.sleep(slow)
        for p in s.encode():
            c.mux(p)
    return SimpleNamespace(path=out_path, notes=tuple(m.get("notes", ())))
