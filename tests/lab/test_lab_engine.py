"""The Prompt Lab on the real embedded engine over loopback HTTP: real sessions, real renders,
MP4s decoded with PyAV."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import sqlite3
from pathlib import Path

import pytest

import nemo_nb
from nemo_nb.lab import COLUMNS, PromptLab

from .helpers import QUICK, decode, disguised_jpg

pytestmark = pytest.mark.slow

PHOTO = nemo_nb.sample_photo()
ARTIFACTS = Path(
    os.environ.get("NEMO_NB_TEST_ARTIFACTS", Path(__file__).parents[2] / "test-artifacts")
)


def _without_data_uris(html: str) -> str:
    return re.sub(r"base64,[A-Za-z0-9+/=]+", "base64,…", html)


async def test_two_prompts_by_two_skills_make_four_videos_and_a_four_row_table(tmp_path):
    skills = ["image-to-video-jiggle", "ai-animation-photo"]
    lab = PromptLab(
        PHOTO,
        ["make this photo jiggle", "make this photo bounce"],
        skills=skills,
        follow_ups=QUICK,
        quality="high",  # every variant exported at full quality (previews: test_lab_preview.py)
    )
    await lab.run()

    frame = lab.frame
    assert list(frame.columns) == list(COLUMNS) and len(frame) == 4
    assert frame["status"].tolist() == ["done"] * 4, frame["error"].tolist()
    assert frame["quality"].tolist() == ["high"] * 4 and frame["motion"].gt(0.5).all()
    assert frame["skill"].tolist() == skills * 2
    assert frame["effects"].tolist() == ["jiggle", "jiggle", "bounce", "bounce"]
    assert frame["duration_s"].tolist() == [3.0] * 4 and frame["aspect"].tolist() == ["1:1"] * 4
    assert (frame["render_s"] > 0).all() and frame["error"].isna().all()
    assert len(set(v.session_id for v in lab.variants)) == 4  # each variant in its own session
    for row in frame.itertuples():
        video = decode(row.path)
        assert (video.codec, video.width, video.height, video.frames) == ("h264", 1080, 1080, 90)
        assert video.motion > 1.0, f"{row.prompt}: the picture does not move"
        assert row.size_bytes == Path(row.path).stat().st_size
        assert "animated grace_hopper.jpg" in row.reply

    html = lab.html()
    assert html.count('class="nemo-card"') == 4
    assert html.count("<video") == 4 and html.count('class="nemo-filmstrip"') == 4
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "prompt_lab_grid.html").write_text(f"<html><body>{html}</body></html>")

    # Saved and loaded: the same table and grid, nothing rendered again.
    folder = lab.save(tmp_path / "lab")
    assert sorted(p.suffix for p in folder.iterdir()) == [".json"] + [".mp4"] * 4 + [".png"] * 4
    assert lab.frame["export_path"].tolist() == lab.frame["path"].tolist()
    loaded = PromptLab.load(folder)
    assert loaded.frame.equals(lab.frame)
    assert loaded.frame["path"].map(lambda p: Path(p).parent).tolist() == [folder] * 4
    assert _without_data_uris(loaded.html()) == _without_data_uris(lab.html())


async def test_a_disguised_photo_fails_its_variant_while_the_others_render(tmp_path):
    png_copy = tmp_path / "hopper.png"
    from PIL import Image

    Image.open(PHOTO).save(png_copy)
    fake = disguised_jpg(tmp_path)
    lab = PromptLab([PHOTO, fake, png_copy], "make this photo jiggle", follow_ups=QUICK)
    await lab.run()

    status = dict(zip(lab.frame["image"], lab.frame["status"], strict=True))
    assert status == {"grace_hopper.jpg": "done", "holiday.jpg": "failed", "hopper.png": "done"}
    failed = lab.variants[1]
    assert failed.error and "holiday.jpg" in failed.error and failed.path is None
    assert failed.render_ids == []  # it never reached the render queue
    html = lab.html()
    assert html.count("<video") == 2
    assert f"✗ {failed.error}".replace("'", "&#x27;") in html
    for v in (lab.variants[0], lab.variants[2]):
        assert decode(v.path).frames == 90


def _open_jobs(session_ids: list[str]) -> list[tuple[str, str]]:
    """Jobs of these sessions the engine still has queued or rendering (read from its SQLite)."""
    db = Path(os.environ["NEMO_NB_HOME"]) / "engine.sqlite3"
    marks = ",".join("?" * len(session_ids))
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        return conn.execute(
            f"SELECT id, status FROM jobs WHERE session_id IN ({marks}) "
            "AND status IN ('pending', 'processing')",
            session_ids,
        ).fetchall()


@pytest.mark.parametrize("how", ["cancel", "interrupt"])
async def test_cancelling_leaves_no_render_running_on_the_engine(how):
    # Long clips, so the cancel lands while the first one renders and the second waits.
    lab = PromptLab(
        PHOTO,
        ["make this photo jiggle", "make this photo bounce", "make this photo sway"],
        follow_ups="make it 20 seconds",
        concurrency=2,
        quality="high",  # exports: the queue a cancel must leave empty
    )
    run = asyncio.ensure_future(lab.run())

    def rendering_on_the_engine() -> bool:
        sessions = [v.session_id for v in lab.variants if v.session_id]
        return bool(sessions) and "processing" in {status for _, status in _open_jobs(sessions)}

    for _ in range(600):  # until the engine renders one of them: the cancel lands mid-render
        await asyncio.sleep(0.05)
        if any(v.render_ids for v in lab.variants) and rendering_on_the_engine():
            break
    else:
        pytest.fail(f"no variant started rendering: {[v.stage for v in lab.variants]}")
    if how == "cancel":  # lab.cancel(), the Cancel button
        await lab.cancel()
        await asyncio.wait_for(run, 10)  # run() returns quietly after a cancel
    else:  # what interrupting the kernel does to a cell awaiting lab.run()
        run.cancel()
        with pytest.raises(asyncio.CancelledError):
            await asyncio.wait_for(run, 10)

    assert [v.status for v in lab.variants] == ["cancelled"] * 3
    submitted = [r for v in lab.variants for r in v.render_ids]
    assert submitted, "the test meant to cancel a render in flight"
    sessions = [v.session_id for v in lab.variants if v.session_id]
    assert _open_jobs(sessions) == []
    client = await nemo_nb.connect("local")
    async with client:
        for render_id in submitted:
            job = await client.render_status(render_id)
            assert job.status == "cancelled" and job.error == "The render was cancelled."
    assert not list((lab.work_dir / "renders").glob("*.mp4"))
    assert "cancelled" in lab.headline()


@pytest.fixture(autouse=True)
def _tidy_lab_work_dirs():
    yield
    shutil.rmtree(Path(os.environ["NEMO_NB_HOME"]) / "labs", ignore_errors=True)


async def test_a_studio_export_made_during_a_lab_waits_for_at_most_its_in_flight_renders():
    lab = PromptLab(
        PHOTO,
        ["make this photo jiggle", "make this photo bounce", "make this photo sway"],
        follow_ups=QUICK,
        concurrency=2,
        quality="high",  # exports share the Studio's lane (previews have their own)
    )
    run = asyncio.ensure_future(lab.run())
    client = await nemo_nb.connect("local")
    async with client:
        studio = nemo_nb.Conversation(client)
        await studio.upload(PHOTO)
        await studio.ask(f"make this photo pulse, {QUICK}")
        while not any(v.render_ids for v in lab.variants):  # the lab is rendering: now export
            await asyncio.sleep(0.05)
        exported = [u async for u in studio.send("export")]
        await run
        mine = next(u for u in exported if u.kind == "export").data["job"]
        theirs = [await client.render_status(r) for v in lab.variants for r in v.render_ids]
    assert [v.status for v in lab.variants] == ["done"] * 3
    # Rendered while the Studio export waited: only what the lab had in flight when it came.
    overtaking = [j for j in theirs if mine.created_at < j.completed_at < mine.completed_at]
    assert len(overtaking) <= lab.concurrency, [j.id for j in overtaking]
    assert mine.completed_at < max(j.completed_at for j in theirs)  # not starved till the end


async def test_each_variant_counts_the_credits_its_own_turns_cost(tmp_path):
    from tests.engine.engine_harness import start_engine

    # An engine that charges 1 credit per turn that changes the timeline, like the cloud would.
    engine = start_engine(tmp_path / "engine", interpret=None, renderer=None, credit_cost=1)
    try:
        lab = PromptLab(
            PHOTO,
            ["make this photo jiggle", "make this photo bounce"],
            follow_ups=[QUICK, "make it 3 seconds"],  # the last one changes nothing: free
            concurrency=2,
            backend=engine.url,
        )
        await lab.run()
    finally:
        engine.stop()
    assert lab.frame["status"].tolist() == ["done"] * 2, lab.frame["error"].tolist()
    assert lab.frame["credits_used"].tolist() == [2, 2]
