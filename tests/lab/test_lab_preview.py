"""The Prompt Lab in preview mode (its default on the engine) on the real embedded engine: the grid
fills with previews in seconds, every variant is measured, the grid sorts by the scores, and the
chosen variants are exported at full quality (by ``lab.export`` or a card's button)."""

from __future__ import annotations

import asyncio
import math
import os
import re
import shutil
import sqlite3
import time
from pathlib import Path

import pytest

import nemo_nb
from nemo_nb.lab import COLUMNS, PromptLab

from .helpers import QUICK, decode

pytestmark = pytest.mark.slow

PHOTO = nemo_nb.sample_photo()
PROMPTS = [
    "make this photo jiggle",
    "make this photo jiggle subtly",
    "make this photo bounce",
    "make this photo sway",
    "make this photo pulse",
    "add a slow ken burns zoom",
]


def _jobs(sessions: list[str]) -> dict[str, int]:
    """The engine's jobs of these sessions by quality (read from its SQLite)."""
    db = Path(os.environ["NEMO_NB_HOME"]) / "engine.sqlite3"
    marks = ",".join("?" * len(sessions))
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        rows = conn.execute(
            f"SELECT quality, count(*) FROM jobs WHERE session_id IN ({marks}) GROUP BY quality",
            sessions,
        ).fetchall()
    return dict(rows)


@pytest.fixture(autouse=True)
def _tidy_lab_work_dirs():
    yield
    shutil.rmtree(Path(os.environ["NEMO_NB_HOME"]) / "labs", ignore_errors=True)


async def test_six_previews_fill_the_grid_with_scores_then_two_are_exported(tmp_path):
    lab = PromptLab(PHOTO, PROMPTS, follow_ups=QUICK)
    assert lab.quality is None  # previews on the engine, exports on the cloud
    view = lab.widget()
    started = time.perf_counter()
    await lab.run()
    took = time.perf_counter() - started
    frame = lab.frame
    print(f"6 previews with scores in {took:.1f} s")
    print(frame[["prompt", "strength", "render_s", "motion", "subject_focus", "seam"]].to_string())

    assert list(frame.columns) == list(COLUMNS)
    assert frame["status"].tolist() == ["done"] * 6, frame["error"].tolist()
    assert frame["quality"].tolist() == ["preview"] * 6 and frame["export_path"].isna().all()
    for row in frame.itertuples():
        video = decode(row.path)
        assert (video.codec, video.width, video.height, video.frames) == ("h264", 360, 360, 90)
    sessions = [v.session_id for v in lab.variants if v.session_id]
    assert _jobs(sessions) == {"preview": 6}  # nothing exported yet

    # Every variant measured; the scores tell the prompts apart as the eye does.
    assert frame["motion"].gt(0.1).all() and frame["seam"].le(1.5).all(), frame
    by = frame.set_index("prompt")
    assert (
        by.loc["make this photo jiggle subtly", "motion"]
        < by.loc["make this photo jiggle", "motion"]
    )
    assert by.loc["make this photo jiggle", "subject_focus"] > 3
    assert 0.5 <= by.loc["add a slow ken burns zoom", "subject_focus"] <= 2.0
    cards = view.children[2].children
    assert len(cards) == 6 and all("subject focus" in c.children[0].value for c in cards)

    # Sorting: the grid follows, the menu says so, the frame comes back in that order.
    ranked = lab.sort_by("motion")
    assert ranked["motion"].tolist() == sorted(frame["motion"], reverse=True)
    grid = view.children[2]
    assert [lab._widgets["boxes"].index(b) for b in grid.children] == list(ranked.index)
    assert lab._widgets["sort"].value == "motion"
    shown = [int(n) - 1 for n in re.findall(r'font-weight:600">#(\d+) “', lab.html())]
    assert shown == list(ranked.index)  # the static grid too
    lab._widgets["sort"].value = "seam"  # the Sort menu
    assert [lab._widgets["boxes"].index(b) for b in grid.children] == list(
        frame.sort_values("seam", kind="stable").index
    )
    lab.sort_by(None)
    assert (
        list(grid.children) == lab._widgets["boxes"] and lab._widgets["sort"].label == "lab order"
    )

    # Full quality for two of them: lab.export, then a card's button.
    [first] = await lab.export(0)
    video = decode(first)
    assert (video.width, video.height, video.frames) == (1080, 1080, 90)
    assert lab.frame.loc[0, "export_path"] == str(first)
    assert await lab.export(0) == [first]  # not rendered again
    await asyncio.sleep(0.2)  # the grid redraws at most ~20 times a second
    button = lab._widgets["exports"][2]
    assert button.layout.display != "none" and lab._widgets["exports"][0].layout.display == "none"
    button.click()
    for _ in range(1200):
        await asyncio.sleep(0.05)
        if lab.variants[2].export_path:
            break
    assert decode(lab.variants[2].export_path).width == 1080
    assert _jobs(sessions) == {"preview": 6, "high": 2}
    await asyncio.sleep(0.2)
    assert lab._widgets["exports"][2].layout.display == "none"

    # Saved and loaded: previews, the full-quality MP4s and the scores come back.
    folder = lab.save(tmp_path / "lab")
    names = sorted(p.name for p in folder.glob("*.mp4"))
    assert len(names) == 8 and sum("-preview" in n for n in names) == 6
    loaded = PromptLab.load(folder)
    assert loaded.frame.equals(lab.frame)
    assert not any(math.isnan(m) for m in loaded.frame["motion"])
