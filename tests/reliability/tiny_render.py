"""The renderer the reliability suite gives its engines: the engine tests' tiny real-MP4 renderer
on a draft shrunk to 64x64 and at most ``NEMO_NB_TINY_MS`` ms, so a suite can export hundreds of
times. What is under test there is the path to and from the renderer, not the pictures."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import _standins


def render(draft: dict, out_path: Path, **kw: Any) -> Path:
    small = {**draft, "m": {**(draft.get("m") or {}), "width": 64, "height": 64}}
    small["d"] = min(int(draft.get("d") or 1000), int(os.environ.get("NEMO_NB_TINY_MS", "300")))
    if os.environ.get("NEMO_NB_TINY_SLOW_MS"):  # to be caught mid-render
        small["m"]["slow_ms_per_frame"] = float(os.environ["NEMO_NB_TINY_SLOW_MS"])
    return _standins.render(small, out_path, **kw)
