"""The motion effects as pure functions of time: periodic, moving, anchored."""

from __future__ import annotations

import numpy as np
import pytest

from nemo_nb.render._effects import compose, kicked_spring, make_motion, margin_for

SIZE = (1080, 1920)
ANCHOR = (540.0, 1766.0)
GRID = np.meshgrid(np.linspace(0, SIZE[0] - 1, 28), np.linspace(0, SIZE[1] - 1, 48))
EFFECTS = ["jiggle", "bounce", "sway", "pulse", "alive", "kenburns"]


def warp(motion, t: float) -> np.ndarray:
    """Where every grid point samples from at time t (frame pixels), for any effect kind."""
    if motion.is_field:
        return np.stack(motion.field(t, *GRID))
    m = motion.affine(t)
    gx, gy = GRID
    return np.stack([m[0, 0] * gx + m[0, 1] * gy + m[0, 2], m[1, 0] * gx + m[1, 1] * gy + m[1, 2]])


@pytest.mark.parametrize("freq", [1.0, 2.37, 3.14159])
def test_kicked_spring_repeats_for_any_frequency_and_has_no_jump_at_the_kick(freq):
    period = 1.9  # deliberately not a multiple of 1/freq
    t = np.linspace(0, period, 500, endpoint=False)
    assert np.allclose(
        kicked_spring(t, period, freq, 0.12),
        kicked_spring(t + period, period, freq, 0.12),
        atol=1e-9,
    )
    just_before = kicked_spring(period - 1e-7, period, freq, 0.12)
    assert just_before == pytest.approx(kicked_spring(0.0, period, freq, 0.12), abs=1e-5)
    assert np.ptp(kicked_spring(t, period, freq, 0.12)) > 0.1  # and it does oscillate


@pytest.mark.parametrize("speed", [1.0, 1.37, 0.6])
@pytest.mark.parametrize("effect", EFFECTS)
def test_every_effect_repeats_exactly_after_one_period(effect, speed):
    motion = make_motion(effect, 0.7, speed, 2, 6.0, SIZE, ANCHOR, "left")
    assert motion.period == 3.0
    for t in (0.0, 0.37, 1.234, 2.9):
        assert np.allclose(warp(motion, t), warp(motion, t + motion.period), atol=1e-6), t
    # across the loop point the picture moves no more than between any two frames inside it
    frames = [warp(motion, t) for t in np.arange(0, 3 + 1e-9, 1 / 30)]
    steps = [np.abs(b - a).max() for a, b in zip(frames, frames[1:], strict=False)]
    seam = np.abs(warp(motion, motion.period - 1 / 30) - warp(motion, 0.0)).max()
    assert seam <= 1.05 * max(steps[:-1]) and max(steps) > 0.1


@pytest.mark.parametrize("effect", EFFECTS)
def test_every_effect_moves_and_strength_scales_it(effect):
    def reach(strength: float) -> float:
        motion = make_motion(effect, strength, 1.0, 1, 3.0, SIZE, ANCHOR)
        return max(
            np.abs(warp(motion, t) - warp(motion, 0.0)).max() for t in np.arange(0, 3, 1 / 30)
        )

    assert reach(0.5) > 5  # pixels at 1080x1920: visible
    assert reach(0.25) < reach(0.5) < reach(0.8)
    assert reach(0.0) < 1e-6 or effect == "kenburns"  # Ken Burns always moves a little


def test_no_effect_is_the_identity():
    motion = make_motion("none", 0.8, 1.0, 1, 3.0, SIZE, ANCHOR)
    assert np.allclose(motion.affine(1.3), np.eye(3))


def test_jiggle_is_squash_and_stretch_pinned_at_the_base_with_a_lagging_top():
    motion = make_motion("jiggle", 0.8, 1.0, 1, 3.0, SIZE, ANCHOR)
    xs = np.linspace(100, 980, 9)
    times = np.arange(0, 3, 1 / 120)
    base_row = [motion.field(t, xs, np.full_like(xs, ANCHOR[1]))[1] - ANCHOR[1] for t in times]
    assert np.abs(base_row).max() < 1e-6  # the base line never moves

    def vertical(y: float) -> np.ndarray:
        return np.array(
            [motion.field(t, np.array([ANCHOR[0]]), np.array([y]))[1][0] - y for t in times]
        )

    mid, top = vertical(1000.0), vertical(150.0)
    assert np.abs(top).max() > np.abs(mid).max() > 5  # stretch grows with height above the base
    # squash first (a tap from above: the top samples from higher up = content moves down)
    assert top[np.argmax(np.abs(top))] < 0 or mid[np.argmax(np.abs(mid))] < 0
    # the top lags: its displacement peaks later than the middle's
    assert np.argmax(np.abs(top)) > np.argmax(np.abs(mid))
    # a squash/stretch, not a shake: at the peak, displacement grows steadily with height
    peak = times[np.argmax(np.abs(mid))]
    ys = np.array([ANCHOR[1], 1600.0, 1400.0, 1200.0, 1000.0])
    column = motion.field(peak, np.full_like(ys, ANCHOR[0]), ys)[1] - ys
    assert np.all(np.diff(np.abs(column)) > 0) and len(set(np.sign(column[1:]))) == 1


def test_bounce_lands_with_a_squash_and_hops():
    motion = make_motion("bounce", 0.8, 1.0, 1, 3.0, SIZE, ANCHOR)
    lifts, squashes = [], []
    for t in np.arange(0, 3, 1 / 60):
        m = motion.affine(t)
        # backward y of the anchor row: > anchor means the picture is lifted
        lifts.append(m[1, 1] * ANCHOR[1] + m[1, 2] - ANCHOR[1])
        squashes.append(1 / m[1, 1])
    assert max(lifts) > 0.03 * SIZE[1]
    assert min(squashes) < 0.95  # squashed on landing
    assert (
        squashes[int(np.argmin(squashes))] < 1 and abs(lifts[int(np.argmin(squashes))]) < 1e-6
    )  # on the ground


def test_ken_burns_is_eased_and_sub_pixel():
    motion = make_motion("kenburns", 0.5, 1.0, 1, 6.0, SIZE, ANCHOR, "left")
    x_offsets = np.array([motion.affine(t)[0, 2] for t in np.arange(0, 6, 1 / 30)])
    steps = np.diff(x_offsets)
    assert np.abs(steps).max() < 3.5  # no jumps
    assert np.abs(steps[:3]).max() < 0.1 * np.abs(steps).max()  # eased: starts slowly
    fractional = np.abs(x_offsets - np.round(x_offsets))
    assert (fractional > 0.1).mean() > 0.5  # positions are not whole pixels


@pytest.mark.parametrize("size", [(1080, 1920), (1920, 1080), (1080, 1080)])
@pytest.mark.parametrize("effect", EFFECTS)
def test_motion_never_reaches_past_the_over_scaled_picture(effect, size):
    """Cover over-scales the picture by margin_for(): no edge or reflection ever comes into view."""
    width, height = size
    anchor = (width / 2, 0.92 * height)
    margin = margin_for(effect, 1.0, size)
    motion = make_motion(effect, 1.0, 1.0, 1, 3.0, size, anchor, "left")
    xs, ys = np.meshgrid(np.linspace(0, width - 1, 40), np.linspace(0, height - 1, 60))
    for t in np.arange(0, 3, 1 / 30):
        if motion.is_field:
            sx, sy = motion.field(t, xs, ys)
        else:
            m = motion.affine(t)
            sx, sy = m[0, 0] * xs + m[0, 2], m[1, 1] * ys + m[1, 2]
        assert sx.min() >= -margin * width - 0.5 and sx.max() <= width - 1 + margin * width + 0.5, t
        assert (
            sy.min() >= -margin * height - 0.5 and sy.max() <= height - 1 + margin * height + 0.5
        ), t


def test_warping_the_encoder_planes_matches_warping_rgb():
    """Frames are warped as I420 planes (half the work); the result must equal warp-then-convert,
    chroma included (a half-pixel chroma misalignment would show as colour fringes)."""
    import cv2
    from render_helpers import textured

    from nemo_nb.render import _yuv as yuv
    from nemo_nb.render._warp import PlateWarp

    rgb = textured(400, 700, seed=4)
    plate = yuv.to_i420(rgb)
    backward = np.array([[0.93, 0.02, 17.3], [-0.01, 0.95, 21.7], [0, 0, 1]])
    flags = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
    expected = yuv.to_i420(
        cv2.warpAffine(rgb, backward[:2], (360, 640), flags=flags, borderMode=cv2.BORDER_REFLECT101)
    )
    got = yuv.warp_affine(plate, backward, 360, 640)

    def field(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return x + 20 + 6 * np.sin(y / 90), y + 25 + 9 * np.cos(x / 70)

    fine = np.meshgrid(np.arange(360, dtype=np.float32), np.arange(640, dtype=np.float32))
    maps = np.dstack(field(*fine)).astype(np.float32)
    expected_field = yuv.to_i420(
        cv2.remap(rgb, maps, None, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT101)
    )
    warp = PlateWarp(plate, 360, 640)
    got_field = warp.warp(*field(*warp.grid))[0]

    for want, have in ((expected, got), (expected_field, got_field)):
        for a, b in zip(yuv.planes(want), yuv.planes(have), strict=True):
            assert np.abs(a.astype(int) - b).mean() < 1.0
        # and a one-pixel chroma shift would be far worse: the check can tell
        u_want, u_have = yuv.planes(want)[1], yuv.planes(have)[1]
        assert np.abs(u_want[:, 1:].astype(int) - u_have[:, :-1]).mean() > 1.5


# --- composed effects (m.fx a list) ---------------------------------------------------------------

COMBOS = [("jiggle", "bounce"), ("alive", "kenburns"), ("sway", "pulse"), ("jiggle", "sway")]


@pytest.mark.parametrize("kinds", COMBOS, ids="+".join)
def test_composed_effects_loop_seamlessly_and_differ_from_each_part(kinds):
    parts = [
        make_motion(k, 0.7, 1.0, loops, 6.0, SIZE, ANCHOR, "in")
        for k, loops in zip(kinds, (2, 4), strict=True)
    ]
    both = compose(parts)
    assert both.is_field == any(p.is_field for p in parts)
    for t in (0.0, 0.41, 2.2, 5.9):
        assert np.allclose(warp(both, t), warp(both, t + 6.0), atol=1e-6), t
    times = np.arange(0, 6, 1 / 30)
    for part in parts:  # the composition is neither effect alone: both show
        assert max(np.abs(warp(both, t) - warp(part, t)).max() for t in times) > 3
    frames = [warp(both, t) for t in np.append(times, 6.0)]
    steps = [np.abs(b - a).max() for a, b in zip(frames, frames[1:], strict=False)]
    assert steps[-1] <= 1.05 * max(steps[:-1])  # the loop point: no larger than any frame step


def test_one_effect_composed_is_that_effect():
    motion = make_motion("bounce", 0.7, 1.0, 2, 6.0, SIZE, ANCHOR)
    assert compose([motion]) is motion
