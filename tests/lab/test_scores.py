"""The Prompt Lab's motion scores, measured on clips the renderer really made (and on two made
here frame by frame, for the loop seam): ``motion`` follows the strength, "subtle" scores below
the default, a Ken Burns zoom moves the whole frame while the portrait's jiggle moves her alone,
and a seamless loop's seam is about 1 while a clip that jumps scores far higher."""

from __future__ import annotations

import math
import sys
from collections.abc import Iterator
from pathlib import Path

import av
import numpy as np
import pytest

import nemo_nb
from nemo_nb.api import NemoClient
from nemo_nb.conversation import Conversation
from nemo_nb.lab._scores import MotionScores, score_clip, score_render
from nemo_nb.render import render_draft, subject_in_frame
from tests.engine.engine_harness import RunningEngine, start_engine

sys.path.insert(0, str(Path(__file__).parents[1]))
from motion.measure import PORTRAIT, draft, landscape  # noqa: E402

pytestmark = pytest.mark.slow


def preview_of(tmp: Path, fx: object, name: str, seconds: float = 3.0) -> tuple[Path, dict]:
    """The sample portrait with ``fx`` as the engine previews it (9:16, 360x640)."""
    d = draft(fx, seconds, 1080, 1920)
    out = tmp / f"{name}.mp4"
    render_draft(d, out, resolve=lambda _src: PORTRAIT, quality="preview")
    return out, d


def scored(tmp: Path, fx: object, name: str) -> MotionScores:
    path, d = preview_of(tmp, fx, name)
    scores = score_render(path, d, [PORTRAIT])
    print(f"{name}: {scores}")
    return scores


def test_motion_grows_with_the_strength_of_a_jiggle(tmp_path) -> None:
    motion = [
        scored(tmp_path, {"type": "jiggle", "strength": s, "loops": 1}, f"jiggle-{s:.0%}").motion
        for s in (0.25, 0.5, 0.75)
    ]
    assert motion[0] > 0.3, "a quarter-strength jiggle still moves"
    assert motion[0] * 1.3 < motion[1] and motion[1] * 1.3 < motion[2], motion


def test_a_ken_burns_zoom_moves_the_whole_frame_and_the_jiggle_moves_the_subject(tmp_path) -> None:
    zoom = scored(tmp_path, {"type": "kenburns", "strength": 0.5}, "kenburns")
    jiggle = scored(tmp_path, {"type": "jiggle", "strength": 0.6, "loops": 1}, "jiggle")
    assert zoom.motion > 0.5 and 0.5 <= zoom.subject_focus <= 2.0, zoom
    assert jiggle.subject_focus > 3.0, jiggle
    # One draft, two sizes: the preview and the export score alike (flow at 1080p scale).
    full = tmp_path / "jiggle-full.mp4"
    d = draft({"type": "jiggle", "strength": 0.6, "loops": 1}, 3.0, 540, 960)
    render_draft(d, full, resolve=lambda _src: PORTRAIT)
    larger = score_render(full, d, [PORTRAIT])
    assert math.isclose(larger.motion, jiggle.motion, rel_tol=0.25), (larger, jiggle)


def test_a_picture_without_a_subject_has_no_subject_focus(tmp_path) -> None:
    from PIL import Image

    photo = tmp_path / "landscape.png"
    Image.fromarray(landscape()).save(photo)
    d = draft({"type": "jiggle", "strength": 0.6}, 2.0, 1080, 1920)
    assert subject_in_frame(d, lambda _src: photo) is None
    out = tmp_path / "landscape.mp4"
    render_draft(d, out, resolve=lambda _src: photo, quality="preview")
    scores = score_render(out, d, [photo])
    assert scores.motion > 0.3 and math.isnan(scores.subject_focus)


def _write(path: Path, frames: Iterator[np.ndarray], fps: int = 30) -> Path:
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.pix_fmt, stream.options = "yuv420p", {"crf": "23", "preset": "superfast"}
        for i, rgb in enumerate(frames):
            if i == 0:
                stream.height, stream.width = rgb.shape[:2]
            for packet in stream.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def _panned(shifts: list[float]) -> Iterator[np.ndarray]:
    """The made landscape, shifted sideways by each of ``shifts`` (px) in turn, 360x640."""
    import cv2

    picture = landscape(960, 720)
    for dx in shifts:
        moved = cv2.warpAffine(picture, np.float32([[1, 0, dx], [0, 1, 0]]), (960, 720))
        yield np.ascontiguousarray(moved[40:680, 300:660])


def test_a_seamless_loop_has_a_seam_of_about_one_and_a_jump_far_more(tmp_path) -> None:
    n = 60
    loop = [12 * math.sin(2 * math.pi * i / n) for i in range(n)]  # back where it began
    drift = [1.5 * i for i in range(n)]  # 88 px away at the end: it jumps back when it loops
    seamless = score_clip(_write(tmp_path / "loop.mp4", _panned(loop)))
    jumps = score_clip(_write(tmp_path / "drift.mp4", _panned(drift)))
    still = score_clip(_write(tmp_path / "still.mp4", _panned([0.0] * n)))
    print(f"seamless {seamless}, jumps {jumps}, still {still}")
    assert seamless.seam <= 1.5 and jumps.seam >= 3.0, (seamless, jumps)
    assert still.motion < 0.1 and still.seam == 1.0
    assert math.isnan(seamless.subject_focus)  # no subject given: nothing to compare
    # A clip the renderer made as a loop closes seamlessly too.
    path, _ = preview_of(tmp_path, {"type": "jiggle", "strength": 0.6, "loops": 2}, "loop")
    assert score_clip(path).seam <= 1.5


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningEngine]:
    running = start_engine(tmp_path_factory.mktemp("engine"), interpret=None, renderer=None)
    yield running
    running.stop()


async def _preview_scores(engine: RunningEngine, tmp: Path, prompt: str) -> MotionScores:
    async with NemoClient(engine.url) as client:
        conv = Conversation(client, data_dir=tmp / prompt.replace(" ", "-"))
        await conv.upload(nemo_nb.sample_photo())
        for text in (prompt, "make it 3 seconds long"):
            reply = await conv.ask(text)
            assert not reply.errors, reply.errors
        path = await conv.preview()
        assert path is not None and conv.draft is not None
        return score_render(path, conv.draft.to_json(), [nemo_nb.sample_photo()])


async def test_subtle_through_the_agent_scores_below_the_default(engine, tmp_path) -> None:
    default = await _preview_scores(engine, tmp_path, "make this photo jiggle")
    subtle = await _preview_scores(engine, tmp_path, "make this photo jiggle subtly")
    print(f"default {default}, subtle {subtle}")
    assert subtle.motion < 0.8 * default.motion, (subtle, default)
    assert subtle.subject_focus > 3 and default.subject_focus > 3  # both move her, not the room
