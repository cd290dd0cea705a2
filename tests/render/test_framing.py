"""Portrait framing: a cover crop keeps the whole head with room above it (issue 22).

The photos are the installed sample portraits cropped and padded so the face sits near the top
and off-centre, where a crop centred on the body (the mask's centroid) cuts through the forehead.
Each is rendered in 16:9, 9:16 and 1:1; the face the detector finds in frame 0 must lie inside
the frame with headroom above it, and the eyes near the upper third. Contact sheets go to
test-artifacts/render/framing-*.png.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import matplotlib.cbook
import numpy as np
import pytest
from PIL import Image
from render_helpers import ARTIFACTS, contact_sheet, decode_frames, draft, image_segment

from nemo_nb.render import render_draft
from nemo_nb.render._fit import EYE_LINE, HEADROOM, cover_window, portrait_focus
from nemo_nb.render._subject import Subject, analyse_pixels, find_face

PORTRAIT = Path(matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))
ASPECTS = {"16x9": (640, 360), "9x16": (360, 640), "1x1": (480, 480)}


# --- the geometry alone ----------------------------------------------------------------------


def test_a_small_face_gets_the_eyes_on_the_upper_third() -> None:
    # a 3:4 portrait in 16:9 shows 42% of its height; the head is small and well inside it
    face, head = (0.4, 0.30, 0.5, 0.40), 0.25
    u, v = cover_window((300, 400), (1600, 900))
    assert u == pytest.approx(1.0) and v == pytest.approx(0.421875)
    fx, fy = portrait_focus((300, 400), (1600, 900), face, head)
    top = fy - v / 2
    assert fx == pytest.approx(0.45)
    assert (0.33 - top) / v == pytest.approx(EYE_LINE)  # the eyes (30% down the box)
    assert (head - top) / v >= HEADROOM


def test_a_tall_head_moves_the_frame_up_for_headroom_but_keeps_the_chin() -> None:
    # a big hat: the eyes on the third would cut it, so the frame moves up as far as the chin allows
    face, head = (0.3, 0.30, 0.7, 0.55), 0.05
    v = cover_window((300, 400), (1600, 900))[1]
    top = portrait_focus((300, 400), (1600, 900), face, head)[1] - v / 2
    assert top + v >= 0.55 + 0.03 * v, "the chin stays in frame with room below it"
    assert top < 0.33 - EYE_LINE * v, "higher than the eye line alone would put it"


def test_a_close_up_larger_than_the_window_is_centred_on_the_face() -> None:
    face = (0.2, 0.2, 0.8, 0.7)  # half the picture's height, more than a 16:9 window of 42%
    v = cover_window((300, 400), (1600, 900))[1]
    top = portrait_focus((300, 400), (1600, 900), face, 0.1)[1] - v / 2
    assert top == pytest.approx((0.2 + 0.7 - v) / 2)


def test_without_a_face_the_crop_centres_on_the_mask() -> None:
    mask = np.zeros((100, 100), np.float32)
    mask[60:90, 10:40] = 1.0  # the subject low on the left
    subject = Subject(mask, np.zeros((100, 100, 3), np.uint8), None, "")
    assert subject.crop_focus(1600, 900) == pytest.approx((0.25, 0.75))
    rejected = Subject(mask, np.zeros((100, 100, 3), np.uint8), None, "no clear subject")
    assert rejected.crop_focus(1600, 900) == (0.5, 0.5)


# --- rendered --------------------------------------------------------------------------------


def _wall(height: int, width: int, seed: int) -> np.ndarray:
    """A plain textured wall to pad with (mirroring the photo would duplicate the face)."""
    rng = np.random.default_rng(seed)
    noise = cv2.GaussianBlur(rng.normal(0, 30, (height, width, 3)).astype(np.float32), (0, 0), 3)
    return np.clip(noise + np.array([168, 160, 150], np.float32), 0, 255).astype(np.uint8)


def _photos(tmp: Path) -> dict[str, Path]:
    """Bust portraits whose face sits near the top of the picture, two of them off-centre."""
    from skimage import data

    astronaut = data.astronaut()  # 512x512, face at about (0.45, 0.2)
    # a wide photo: the astronaut at the right, her hair 40 px below the top, the body cut below
    big = cv2.resize(astronaut, (760, 760), interpolation=cv2.INTER_AREA)[:680]
    wide = _wall(720, 1500, 1)
    wide[40:720, 700:1460] = big
    # a tall one: the astronaut's left two thirds above a long body (her suit, stretched down)
    tall = np.vstack(
        [
            _wall(40, 360, 2),
            astronaut[:, 20:380],
            cv2.resize(astronaut[440:, 20:380], (360, 380), interpolation=cv2.INTER_LINEAR),
        ]
    )
    paths = {"hopper": PORTRAIT}
    for name, array in (("astronaut-wide", wide), ("astronaut-tall", tall)):
        paths[name] = tmp / f"{name}.png"
        Image.fromarray(array).save(paths[name])
    return paths


@pytest.fixture(scope="module")
def photos(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return _photos(tmp_path_factory.mktemp("framing"))


def _first_frame(tmp: Path, photo: Path, size: tuple[int, int], fx: str = "none") -> np.ndarray:
    seg = image_segment("photo", 200, fx=fx, fit="cover", anchor=[0.5, 0.92])
    out = tmp / f"{photo.stem}-{size[0]}x{size[1]}-{fx}.mp4"
    render_draft(draft(200, [seg], width=size[0], height=size[1]), out, resolve=lambda _s: photo)
    return decode_frames(out, [0])[0]


def _outline(frame: np.ndarray, face: tuple[float, float, float, float]) -> np.ndarray:
    h, w = frame.shape[:2]
    marked = frame.copy()
    p0, p1 = (round(face[0] * w), round(face[1] * h)), (round(face[2] * w), round(face[3] * h))
    cv2.rectangle(marked, p0, p1, (255, 0, 255), 2)
    return marked


@pytest.mark.slow
@pytest.mark.parametrize("name", ["hopper", "astronaut-wide", "astronaut-tall"])
def test_the_face_stays_in_frame_with_headroom_in_every_aspect(photos, tmp_path, name) -> None:
    frames, report = [], []
    for aspect, size in ASPECTS.items():
        frame = _first_frame(tmp_path, photos[name], size)
        face = find_face(frame)
        assert face is not None, f"{name} {aspect}: the face is in frame 0"
        frames.append(_outline(frame, face))
        x0, y0, x1, y1 = face
        eyes = y0 + 0.3 * (y1 - y0)
        hair = analyse_pixels(frame).head_top
        report.append(f"{aspect}: face {y0:.2f}-{y1:.2f}, eyes {eyes:.2f}, hair {hair:.2f}")
        # the detector clips its box at the frame's edges: a box touching one was cut off there
        assert x0 > 0.01 and x1 < 0.99 and y1 < 0.99, f"{name} {aspect}: the face is whole"
        assert y0 >= 0.05, f"{name} {aspect}: room above the face ({y0:.2f} of the height)"
        assert 0.2 <= eyes <= 0.5, f"{name} {aspect}: eyes at {eyes:.2f}, near the upper third"
        if name != "hopper" or aspect == "9x16":  # her hat does not fit a 16:9 or 1:1 crop
            assert hair is not None and hair >= 0.04, f"{name} {aspect}: hair at {hair:.2f}"
    tiles = [cv2.resize(f, (f.shape[1] * 320 // f.shape[0], 320)) for f in frames]
    sheet = np.hstack([np.pad(t, ((0, 0), (0, 8), (0, 0)), constant_values=255) for t in tiles])
    contact_sheet([sheet], ARTIFACTS / f"framing-{name}.png", columns=1, label=name)
    print(name, "; ".join(report))


@pytest.mark.slow
def test_a_moving_subject_is_framed_the_same_way(photos, tmp_path) -> None:
    """Jiggle cuts the subject out: the same framing holds for the layered render."""
    frame = _first_frame(tmp_path, photos["hopper"], ASPECTS["16x9"], fx="jiggle")
    face = find_face(frame)
    assert face is not None and face[1] >= 0.05 and face[3] < 0.99
