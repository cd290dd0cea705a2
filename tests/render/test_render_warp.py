"""The plate warp: two 4-channel passes that must look like one exact remap, its fallbacks,
the premultiplied subject layer's edge, and frames recycled from the encoder."""

from __future__ import annotations

import av
import cv2
import numpy as np
import pytest
from render_helpers import draft, image_segment, textured

from nemo_nb.render import _yuv as yuv
from nemo_nb.render import render_draft
from nemo_nb.render._draft import plan_draft
from nemo_nb.render._pipeline import Compositor
from nemo_nb.render._warp import PlateWarp

W, H = 360, 640


def jiggly(x: np.ndarray, y: np.ndarray, turn: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """A smooth backward map in the jiggle's range: a stretch that grows with height, a sideways
    whip, a bulge about a column, and an optional rotation (radians) about the centre."""
    height = np.clip((600 - y) / 600, 0, 1)
    bulge = np.exp(-0.5 * ((x - 180) / 120) ** 2)
    mx = x + 14 * height**2 + 3 * bulge * np.sin(y / 120) + 12
    my = y + 40 * height**2 * (0.7 + 0.3 * bulge) + 16
    if turn:
        cx, cy, c, s = 180, 320, np.cos(turn), np.sin(turn)
        mx, my = cx + c * (mx - cx) - s * (my - cy), cy + s * (mx - cx) + c * (my - cy)
    return mx, my


def exact(plate: np.ndarray, turn: float = 0.0, width: int = W) -> np.ndarray:
    """The luma plane through one full-resolution remap of the exact map."""
    gx, gy = np.meshgrid(np.arange(width, dtype=np.float32), np.arange(H, dtype=np.float32))
    mx, my = jiggly(gx, gy, turn)
    maps = np.dstack([mx, my]).astype(np.float32)
    y = yuv.planes(plate)[0]
    return cv2.remap(y, maps, None, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT101)


@pytest.fixture
def plate() -> np.ndarray:
    return yuv.to_i420(textured(W + 48, H + 64, seed=7))


def test_two_passes_look_like_one_exact_remap(plate):
    scratch: dict[str, np.ndarray] = {}
    warp = PlateWarp(plate, W, H, scratch=scratch)
    got = yuv.planes(warp.warp(*jiggly(*warp.grid))[0])[0]
    assert "packed" in scratch  # it did take the two passes
    diff = np.abs(got.astype(int) - exact(plate))
    assert diff.mean() < 0.2  # the rounding of the pass between: about 1 in 8 pixels is 1 off
    assert np.percentile(diff, 99.9) <= 1 and diff.max() <= 2
    # the check can tell: the same picture one pixel off is far worse
    assert np.abs(got[:, 1:].astype(int) - exact(plate)[:, :-1]).mean() > 3 * diff.mean()
    # and the frame's edges are extrapolated, not held: no stretched first rows or columns
    assert np.abs(got[:3].astype(int) - exact(plate)[:3]).mean() < 1.5
    assert np.abs(got[:, -3:].astype(int) - exact(plate)[:, -3:]).mean() < 1.5


@pytest.mark.parametrize(("turn", "width"), [(0.25, W), (0.0, W - 2)], ids=["turning", "odd-width"])
def test_maps_the_two_passes_cannot_take_fall_back_to_one_exact_remap(plate, turn, width):
    scratch: dict[str, np.ndarray] = {}
    warp = PlateWarp(plate, width, H, scratch=scratch)
    got = yuv.planes(warp.warp(*jiggly(*warp.grid, turn))[0])[0]
    assert "packed" not in scratch
    assert np.abs(got.astype(int) - exact(plate, turn, width)).mean() < 0.3


def test_a_rigid_move_without_a_turn_takes_the_two_passes_and_matches_warp_affine(plate):
    scratch: dict[str, np.ndarray] = {}
    warp = PlateWarp(plate, W, H, scratch=scratch)
    backward = np.array([[0.97, 0, 14.3], [0, 1.04, 9.8], [0, 0, 1]])
    got = warp.warp_affine(backward)[0]
    assert "packed" in scratch
    want = yuv.warp_affine(plate, backward, W, H)
    for a, b in zip(yuv.planes(got), yuv.planes(want), strict=True):
        assert np.abs(a.astype(int) - b).mean() < 0.6


def test_a_premultiplied_layer_is_absent_beyond_its_plate():
    """Where the motion pulls in what lies beyond the subject's plate, nothing of the subject
    shows: alpha and all three planes are 0 there, and over a background the background shows."""
    rgb = np.full((H, W, 3), 200, np.uint8)
    layer = yuv.to_i420(rgb)
    ay = np.full((H, W), 255, np.uint8)
    ac = yuv.half_alpha(ay)
    yuv.premultiply(layer, ay, ac)
    warp = PlateWarp(layer, W, H, ac)
    shift = np.array([[1, 0, 0], [0, 1, -60.0], [0, 0, 1]])  # shows 60 rows above the plate
    front, alpha = warp.warp_affine(shift)
    assert alpha is not None
    assert alpha[:25].max() == 0 and alpha[35:].min() == 255
    assert all(p[: 25 * (2 if i == 0 else 1)].max() == 0 for i, p in enumerate(yuv.planes(front)))
    back = yuv.to_i420(np.full((H, W, 3), 40, np.uint8))
    out = yuv.over_premultiplied(back, front, alpha, yuv.new_frame(W, H), {})
    assert yuv.to_rgb(out)[:50].mean() == pytest.approx(40, abs=2)
    assert yuv.to_rgb(out)[80:].mean() == pytest.approx(200, abs=2)


@pytest.mark.slow
def test_frames_recycled_from_the_encoder_reach_the_file_in_order(media, tmp_path):
    """The encoder hands each frame back to the compositor for reuse: a frame reused too early
    would reach the file as another frame's picture."""
    media.picture("photo.png", textured(W, H, seed=3))
    d = draft(2000, [image_segment("photo.png", 2000, fx="jiggle")], width=W, height=H)
    out = tmp_path / "jiggle.mp4"
    render_draft(d, out, resolve=media.resolve, crf=12)
    compositor = Compositor(plan_draft(d, media.resolve), {})
    want = [yuv.to_rgb(compositor.frame(i / 30)).astype(int) for i in range(60)]
    with av.open(str(out)) as container:
        got = [f.to_ndarray(format="rgb24").astype(int) for f in container.decode(video=0)]
    assert len(got) == 60
    for i in range(1, 59):
        own = np.abs(got[i] - want[i]).mean()
        assert own < 2.0, i
        # the frame beside it would be further off (the picture moves every frame)
        assert own < min(np.abs(got[i] - want[j]).mean() for j in (i - 1, i + 1)), i
