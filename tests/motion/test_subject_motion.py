"""Subject-aware motion, measured in the MP4s we render (issue 12's "Show").

For each photo (the sample portrait, another person, an object, a made landscape) and effect:
dense optical flow between consecutive decoded frames, averaged over the clip, inside the subject
vs in the background (textured pixels only). Contact sheets and flow heat maps go to
test-artifacts/motion/. Renders are small (the measures are relative, or scaled where absolute).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.slow  # optical flow over many rendered clips

pytest.importorskip("skimage")  # the test photos come from scikit-image's data

from nemo_nb.render import render_draft  # noqa: E402
from nemo_nb.render._subject import analyse, find_face  # noqa: E402

sys.path.insert(0, str(Path(__file__).parents[1] / "render"))
from render_helpers import contact_sheet, decode_frames  # noqa: E402

from .measure import (  # noqa: E402
    ARTIFACTS,
    displacement_rms,
    draft,
    heat_map,
    measure,
    photos,
    subject_at_rest,
)

W, H = 216, 384  # a 9:16 frame small enough to decode and measure quickly
#: Each photo in the frame shape that shows its background: a 9:16 crop of the square astronaut
#: or the landscape-shaped coffee cup is nearly all subject, leaving no background to measure.
SIZES = {"portrait": (W, H), "astronaut": (320, 320), "coffee": (384, 216), "landscape": (W, H)}


@pytest.fixture(scope="module")
def photo(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return photos(tmp_path_factory.mktemp("photos"))


def _render(tmp: Path, path: Path, fx: object, seconds: float = 2.0, size=(W, H)):
    d = draft(fx, seconds, *size)
    out = tmp / "clip.mp4"
    result = render_draft(d, out, resolve=lambda _src: path, crf=12)
    return d, result, decode_frames(out)


def test_analysis_finds_faces_and_subjects_and_rejects_a_landscape(photo) -> None:
    found = {name: analyse(path) for name, path in photo.items()}
    assert found["portrait"].face is not None and found["portrait"].ok
    assert found["astronaut"].face is not None and found["astronaut"].ok
    assert found["coffee"].face is None and found["coffee"].ok  # centre prior: the cup
    assert not found["landscape"].ok and "scene" in found["landscape"].reason
    # the portrait's face box sits where her face is (upper middle of the picture)
    x0, y0, x1, y1 = found["portrait"].face
    assert 0.25 < (x0 + x1) / 2 < 0.75 and 0.2 < (y0 + y1) / 2 < 0.55
    for subject in found.values():  # a feathered mask and a filled background of the same size
        assert subject.mask.shape == subject.background.shape[:2]
        assert subject.mask.min() >= 0.0 and subject.mask.max() <= 1.0


def test_analysis_is_cached_by_content(photo, tmp_path) -> None:
    copy = tmp_path / "same-picture-other-name.png"
    copy.write_bytes(photo["coffee"].read_bytes())
    first = analyse(photo["coffee"])
    started = time.perf_counter()
    again = analyse(copy)  # same bytes: read back, not analysed again
    assert time.perf_counter() - started < 0.2
    assert np.abs(first.mask - again.mask).max() < 1 / 255 + 1e-6 and first.face == again.face


@pytest.mark.parametrize("name", ["portrait", "astronaut", "coffee"])
@pytest.mark.parametrize(
    "fx",
    [
        {"type": "jiggle", "strength": 0.6, "loops": 1},
        {"type": "bounce", "strength": 0.6, "loops": 2},
        {"type": "sway", "strength": 0.6, "loops": 1},
        [
            {"type": "jiggle", "strength": 0.6, "loops": 1},
            {"type": "bounce", "strength": 0.6, "loops": 2},
        ],
    ],
    ids=["jiggle", "bounce", "sway", "jiggle+bounce"],
)
def test_the_subject_moves_and_the_background_holds_still(photo, tmp_path, name, fx) -> None:
    label = "+".join(f["type"] for f in fx) if isinstance(fx, list) else fx["type"]
    d, result, frames = _render(tmp_path, photo[name], fx, size=SIZES[name])
    alpha = subject_at_rest(d, photo[name])
    assert alpha is not None and not result.notes
    flow = measure(frames, alpha)
    contact_sheet(
        frames[:61:5], ARTIFACTS / f"{name}-{label}.png", columns=7, label=f"{name} {label}"
    )
    heat_map(
        flow, alpha, frames[0], ARTIFACTS / f"{name}-{label}-flow.png",
        f"{name} {label}: subject {flow.subject:.2f} / background {flow.background:.2f} px/frame",
    )  # fmt: skip
    assert flow.subject > 0.08, "the subject moves (sway, the slowest, ~0.4 px a frame at 1080p)"
    assert flow.ratio >= 5, f"subject {flow.subject:.2f} vs background {flow.background:.2f}"
    _assert_no_seam(frames)


def test_a_landscape_falls_back_to_whole_frame_motion_and_says_why(photo, tmp_path) -> None:
    fx = {"type": "jiggle", "strength": 0.6, "loops": 1}
    d, result, frames = _render(tmp_path, photo["landscape"], fx)
    assert subject_at_rest(d, photo["landscape"]) is None
    assert len(result.notes) == 1 and "whole frame moves" in result.notes[0]
    assert "scene" in result.notes[0]
    flow = measure(frames, None)
    contact_sheet(
        frames[:61:5], ARTIFACTS / "landscape-jiggle.png", columns=7, label="landscape jiggle"
    )
    heat_map(flow, None, frames[0], ARTIFACTS / "landscape-jiggle-flow.png",
             f"landscape jiggle (whole frame): {flow.whole:.2f} px/frame")  # fmt: skip
    assert flow.whole > 0.3, "the whole frame moves, as before subject analysis"
    _assert_no_seam(frames)


def test_alive_moves_the_face_visibly_and_breathes_in_a_loop(photo, tmp_path) -> None:
    """At 1080x1920 the face must move >= 6 px RMS from rest; measured at 540x960 (every
    displacement is proportional to the frame size) against 3 px, to keep the test fast."""
    fx = {"type": "alive", "strength": 0.5, "loops": 1}
    d, result, frames = _render(tmp_path, photo["portrait"], fx, seconds=3.0, size=(540, 960))
    alpha = subject_at_rest(d, photo["portrait"])
    assert alpha is not None
    face = find_face(frames[0])
    assert face is not None
    region = np.zeros(frames[0].shape[:2], bool)
    h, w = region.shape
    region[round(face[1] * h) : round(face[3] * h), round(face[0] * w) : round(face[2] * w)] = True
    rms = displacement_rms(frames[::3], region)
    flow = measure(frames[::2], alpha)
    contact_sheet(
        frames[:91:6], ARTIFACTS / "portrait-alive.png", columns=8, label="portrait alive 0..3s"
    )
    heat_map(flow, alpha, frames[0], ARTIFACTS / "portrait-alive-flow.png",
             f"alive: face {rms * 2:.1f} px RMS at 1080x1920")  # fmt: skip
    assert rms * 2 >= 6.0, f"the face moves {rms * 2:.1f} px RMS at 1080x1920"
    assert flow.subject > flow.background  # the background only drifts
    _assert_no_seam(frames)


def _assert_no_seam(frames: list[np.ndarray]) -> None:
    """The loop point (last frame -> first) is no larger a step than the frames beside it."""
    from .measure import flow_between

    def step(a: np.ndarray, b: np.ndarray) -> float:
        return float(np.percentile(np.hypot(*np.moveaxis(flow_between(a, b), -1, 0)), 95))

    seam = step(frames[-1], frames[0])
    beside = max(step(frames[-2], frames[-1]), step(frames[0], frames[1]))
    assert seam <= 1.5 * beside + 0.3, f"seam {seam:.2f} px vs {beside:.2f} px beside it"


def test_a_cover_crop_centres_on_the_subject(tmp_path) -> None:
    """A 9:16 crop of a wide photo whose person stands at the right keeps the person in view
    (a centred crop would show only the wall in the middle)."""
    from skimage import data

    person = data.astronaut()[:, 60:400]  # 512 x 340, face near the top
    rng = np.random.default_rng(3)
    wall = (rng.normal(150, 25, (512, 1600, 3)).clip(0, 255)).astype(np.uint8)
    wall[:, 1180:1520] = person
    path = tmp_path / "wide.png"
    from PIL import Image

    Image.fromarray(wall).save(path)
    _, result, frames = _render(tmp_path, path, {"type": "none"}, seconds=0.2)
    contact_sheet(frames[:1], ARTIFACTS / "cover-crop-focus.png", columns=1, label="focus")
    assert find_face(frames[0]) is not None, "the crop shows the person's face"
