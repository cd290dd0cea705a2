"""Rendered MP4s, decoded back with PyAV: format, frame count, motion, loops, transitions."""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path

import cv2
import matplotlib.cbook
import numpy as np
import pytest
from render_helpers import (
    ARTIFACTS,
    contact_sheet,
    decode_frames,
    draft,
    image_segment,
    mean_abs_diff,
    probe,
    save,
    textured,
)

from nemo_nb.render import RenderCancelled, render_draft

PORTRAIT = Path(matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))


@pytest.mark.slow
def test_full_size_portrait_clip_is_h264_high_yuv420p_with_aac_and_faststart(media, tmp_path):
    src = media.add("portrait.jpg", PORTRAIT)
    d = draft(
        1000,
        [image_segment(src, 1000, fx="jiggle")],
        audio=[{"id": "a", "st": 0, "d": 1000, "src": "builtin:lofi", "m": {"vol": 0.5}}],
        text=[{"id": "t", "st": 0, "d": 1000, "txt": "Urban Dreams", "m": {"pos": "top"}}],
        width=1080,
        height=1920,
    )
    del d["m"]["width"], d["m"]["height"]  # the size comes from the aspect (9:16 default)
    progress: list[float] = []
    out = tmp_path / "clip.mp4"
    result = render_draft(d, out, resolve=media.resolve, on_progress=progress.append)

    info = probe(out)
    assert (info.codec, info.profile, info.pix_fmt) == ("h264", "High", "yuv420p")
    assert (info.width, info.height, info.frames) == (1080, 1920, 30)
    assert info.duration == pytest.approx(1.0, abs=1e-6)
    assert info.audio_codec == "aac" and info.audio_duration == pytest.approx(1.0, abs=0.05)
    head = out.read_bytes()[:200_000]
    assert 0 < head.find(b"moov") < head.find(b"mdat")  # faststart: the index comes first
    assert result.frames == 30 and result.has_audio and result.size_bytes == out.stat().st_size
    assert (result.width, result.height, result.fps, result.duration_s) == (1080, 1920, 30, 1.0)
    assert progress[0] == 0.0 and progress[-1] == 1.0 and progress == sorted(progress)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clip.mp4"]  # no temp file left behind
    frames = [
        cv2.resize(f, (270, 480), interpolation=cv2.INTER_AREA) for f in decode_frames(out)[::3]
    ]
    contact_sheet(
        frames,
        ARTIFACTS / "full-size-jiggle-title.png",
        columns=10,
        label="1080x1920 jiggle, 0.1 s steps",
    )


@pytest.mark.parametrize("aspect,size", [("16:9", (1920, 1080)), ("1:1", (1080, 1080))])
def test_aspect_picks_the_output_size(media, tmp_path, aspect, size, monkeypatch):
    # Only the size negotiation is under test: keep the encode tiny by checking the plan.
    from nemo_nb.render._draft import plan_draft

    src = media.picture("a.png", textured(64, 48))
    d = draft(1000, [image_segment(src, 1000)])
    del d["m"]["width"], d["m"]["height"]
    d["m"]["aspect"] = aspect
    plan = plan_draft(d, media.resolve)
    assert (plan.width, plan.height, plan.frames) == (*size, 30)


#: The fast loop renders one deforming and one rigid effect; the rest run in the full suite.
EFFECT_CASES = [
    "jiggle",
    "pulse",
    *(
        pytest.param(fx, marks=pytest.mark.slow)
        for fx in ("none", "bounce", "sway", "alive", "kenburns")
    ),
]


@pytest.mark.parametrize("effect", EFFECT_CASES)
def test_effect_moves_and_loops_without_a_seam(media, tmp_path, effect):
    src = media.add("portrait.jpg", PORTRAIT)
    seg = image_segment(src, 2000, fx=effect, fx_args={"loops": 2, "strength": 0.7})
    out = tmp_path / f"{effect}.mp4"
    # near-lossless so the seam check measures the content (what remains is 4:2:0 chroma loss)
    render_draft(draft(2000, [seg], width=216, height=384), out, resolve=media.resolve, crf=8)

    info = probe(out)
    assert (info.frames, info.width, info.height, info.audio_codec) == (60, 216, 384, None)
    frames = decode_frames(out)
    period = 30  # 2 s / 2 loops at 30 fps
    motion = max(mean_abs_diff(frames[0], f) for f in frames[:period])
    seam = mean_abs_diff(frames[0], frames[period])
    contact_sheet(
        frames[: period + 1 : 3],
        ARTIFACTS / f"{effect}.png",
        columns=6,
        label=f"{effect} t=0..1s step 0.1s",
    )
    if effect == "none":
        assert motion < 1.0
        return
    assert motion > 4.0, "the picture visibly moves"
    assert seam < 0.1 * motion and seam < 2.0, "one period later it is back where it started"


@pytest.mark.slow
def test_composed_jiggle_and_bounce_render_both_and_loop(media, tmp_path):
    """``m.fx`` as a list: the hop of bounce and the stretch of jiggle in one seamless clip."""
    src = media.add("portrait.jpg", PORTRAIT)
    outs = {}
    for name, fx in {
        "jiggle": {"type": "jiggle", "strength": 0.7, "loops": 1},
        "jiggle+bounce": [
            {"type": "jiggle", "strength": 0.7, "loops": 1},
            {"type": "bounce", "strength": 0.7, "loops": 2},
        ],
    }.items():
        seg = image_segment(src, 2000)
        seg["m"]["fx"] = fx
        out = tmp_path / f"{name}.mp4"
        render_draft(draft(2000, [seg], width=216, height=384), out, resolve=media.resolve, crf=8)
        outs[name] = decode_frames(out)
    both = outs["jiggle+bounce"]
    contact_sheet(
        both[:61:5], ARTIFACTS / "jiggle+bounce.png", columns=7, label="jiggle+bounce 0..2s"
    )
    assert len(both) == 60
    # a different picture from jiggle alone (the hop), and back at the start after the loop
    assert max(mean_abs_diff(a, b) for a, b in zip(both, outs["jiggle"], strict=True)) > 4.0
    steps = [mean_abs_diff(a, b) for a, b in zip(both, both[1:], strict=False)]
    seam = mean_abs_diff(both[-1], both[0])
    assert seam <= 1.5 * max(steps) and max(steps) > 1.0


def test_a_one_item_effect_list_renders_like_the_object(media, tmp_path):
    """Drafts written before composed effects (one ``m.fx`` object) render as they did."""
    src = media.add("portrait.jpg", PORTRAIT)
    frames = []
    for fx in (
        {"type": "sway", "strength": 0.6, "loops": 1},
        [{"type": "sway", "strength": 0.6, "loops": 1}],
    ):
        seg = image_segment(src, 500)
        seg["m"]["fx"] = fx
        out = tmp_path / f"{type(fx).__name__}.mp4"
        render_draft(draft(500, [seg], width=108, height=192), out, resolve=media.resolve)
        frames.append(decode_frames(out))
    # (equal up to the picture cache: a decode reused from an earlier test may differ by a level)
    assert max(mean_abs_diff(a, b) for a, b in zip(*frames, strict=True)) < 1.0


def test_title_text_is_drawn_where_asked_and_fades_in(media, tmp_path):
    src = media.picture("grey.png", np.full((320, 180, 3), 60, np.uint8))
    text = [
        {
            "id": "t",
            "st": 0,
            "d": 1000,
            "txt": "Hello",
            "m": {"pos": "top", "color": "#ffffff", "anim": "fade"},
        }
    ]
    out = tmp_path / "title.mp4"
    render_draft(draft(1000, [image_segment(src, 1000)], text=text), out, resolve=media.resolve)
    first, middle = decode_frames(out, [0, 15])
    h = middle.shape[0]

    def bright(frame: np.ndarray, top: float, bottom: float) -> int:
        band = frame[round(top * h) : round(bottom * h)]
        return int((band.min(axis=2) > 200).sum())

    assert bright(middle, 0.0, 0.25) > 100  # white letters in the top band
    assert bright(middle, 0.4, 1.0) == 0  # and nowhere else
    assert bright(first, 0.0, 1.0) == 0  # fade: invisible at the first frame


def test_contain_shows_the_whole_picture_over_a_blurred_fill(media, tmp_path):
    landscape = textured(400, 200, seed=3)
    landscape[:, :, 0] = 230  # strongly red, so the fill's colour is recognisable
    src = media.picture("wide.png", landscape)
    out = tmp_path / "contain.mp4"
    render_draft(draft(200, [image_segment(src, 200, fit="contain")]), out, resolve=media.resolve)
    (frame,) = decode_frames(out, [0])
    h, w = frame.shape[:2]
    picture_h = round(w * 200 / 400)  # the picture fills the width, centred vertically
    top, bottom = (h - picture_h) // 2, (h + picture_h) // 2
    fill, inside = frame[: top - 4], frame[top + 4 : bottom - 4]
    assert fill[..., 0].mean() > 100, (
        "the band above the picture is filled with its colours, not black"
    )

    def sharpness(region: np.ndarray) -> float:
        return float(cv2.Laplacian(cv2.cvtColor(region, cv2.COLOR_RGB2GRAY), cv2.CV_64F).var())

    assert sharpness(fill) < 0.1 * sharpness(inside), "the fill is blurred, the picture sharp"
    # the whole picture is there: its left and right edge columns match the source's
    assert abs(float(inside[:, 1, 1].mean()) - float(landscape[:, 0, 1].mean())) < 25


def test_ken_burns_pan_moves_smoothly_by_sub_pixel_steps(media, tmp_path):
    # a soft bright dot on a dark picture: its centroid gives the view's position to ~0.02 px
    y, x = np.mgrid[0:640, 0:480]
    dot = 30 + 200 * np.exp(-((x - 240) ** 2 + (y - 320) ** 2) / (2 * 8.0**2))
    src = media.picture("dot.png", np.repeat(dot[..., None], 3, axis=2).astype(np.uint8))
    seg = image_segment(src, 3000, fx="kenburns", fx_args={"dir": "left", "strength": 0.5})
    out = tmp_path / "kb.mp4"
    render_draft(draft(3000, [seg]), out, resolve=media.resolve)

    def centroid_x(frame: np.ndarray) -> float:
        weight = np.clip(frame[..., 1].astype(np.float64) - 60, 0, None)
        return float((weight * np.arange(frame.shape[1])[None, :]).sum() / weight.sum())

    xs = np.array([centroid_x(f) for f in decode_frames(out)])
    steps = np.diff(xs)
    assert xs.max() - xs.min() > 10, "the view pans across the picture"
    assert np.abs(steps[:2]).max() < 0.2 and np.abs(steps).max() < 1.2, "eased in, never a jump"
    # Slower than a pixel a frame yet never standing still: only sub-pixel sampling can do that
    # (integer crops would alternate 0 and 1 px steps).
    moving = np.abs(steps[3:40])
    assert np.all(moving > 0.1) and np.all(moving < 1.0)
    assert np.all(np.sign(steps[3:40]) == np.sign(steps[3])), "one way during the first half"
    # Speed changes smoothly. (x264 codes this flat dot with quarter-pixel motion vectors, which
    # adds +-0.2 px of wobble; integer-crop jitter would show up as ~1 px.)
    assert np.abs(np.diff(steps)).max() < 0.45


def test_slideshow_of_three_pictures_with_crossfades(media, tmp_path):
    colours = [(220, 30, 30), (30, 200, 30), (30, 30, 220)]
    srcs = [
        media.picture(f"c{i}.png", np.full((64, 48, 3), c, np.uint8)) for i, c in enumerate(colours)
    ]
    segs = [
        image_segment(s, 5000, st=5000 * i, tr={"type": "crossfade", "d": 1000})
        for i, s in enumerate(srcs)
    ]
    out = tmp_path / "slides.mp4"
    render_draft(draft(15000, segs, width=96, height=160), out, resolve=media.resolve)
    assert probe(out).frames == 450
    before, middle, after, last = (
        f.reshape(-1, 3).mean(axis=0) for f in decode_frames(out, [140, 165, 195, 449])
    )
    assert np.allclose(before, colours[0], atol=6)
    assert np.allclose(after, colours[1], atol=6)
    assert np.allclose(middle, np.mean(colours[:2], axis=0), atol=10), (
        "mid-transition is a 50/50 blend"
    )
    assert np.allclose(last, colours[2], atol=6)


@pytest.mark.parametrize("kind", ["slide", "wipe", "zoom"])
def test_other_transitions_show_both_pictures_halfway(media, tmp_path, kind):
    red = media.picture("r.png", np.full((64, 48, 3), (220, 30, 30), np.uint8))
    blue = media.picture("b.png", np.full((64, 48, 3), (30, 30, 220), np.uint8))
    segs = [
        image_segment(red, 1000),
        image_segment(blue, 1000, st=1000, tr={"type": kind, "d": 600}),
    ]
    out = tmp_path / f"{kind}.mp4"
    render_draft(draft(2000, segs, width=96, height=160), out, resolve=media.resolve)
    window = decode_frames(out, list(range(28, 50, 2)))  # around the window [1.0, 1.6)
    contact_sheet(window, ARTIFACTS / f"transition-{kind}.png", columns=11, label=kind)
    mid = decode_frames(out, [39])[0].astype(int)  # 1.3 s: half-way through [1.0, 1.6)
    if kind == "zoom":
        assert 60 < mid[..., 0].mean() < 190 and 60 < mid[..., 2].mean() < 190  # blended
        return
    left, right = mid[:, :30].reshape(-1, 3).mean(axis=0), mid[:, -30:].reshape(-1, 3).mean(axis=0)
    if kind == "slide":  # the new picture comes in from the right, pushing the old one left
        assert left[0] > 180 and right[2] > 180
    else:  # the wipe reveals the new picture from the left
        assert left[2] > 180 and right[0] > 180


def test_exif_rotated_photo_comes_out_upright(media, tmp_path):
    from PIL import Image

    upright = np.zeros((160, 90, 3), np.uint8)
    upright[:80] = (230, 20, 20)  # red on top
    upright[80:] = (20, 20, 230)  # blue below
    # store it the way a phone does: pixels rotated, Orientation=6 saying "rotate 90 CW to view"
    stored = Image.fromarray(np.rot90(upright, k=1))
    exif = Image.Exif()
    exif[0x0112] = 6
    path = tmp_path / "phone.jpg"
    stored.save(path, exif=exif, quality=95)
    src = media.add("phone.jpg", path)
    out = tmp_path / "upright.mp4"
    render_draft(
        draft(200, [image_segment(src, 200)], width=90, height=160), out, resolve=media.resolve
    )
    (frame,) = decode_frames(out, [0])
    assert frame[:60, :, 0].mean() > 180 and frame[-60:, :, 2].mean() > 180


@pytest.mark.slow
def test_huge_photo_is_reduced_before_warping(media, tmp_path):
    from nemo_nb.render._media import load_picture

    big = np.zeros((8000, 12000, 3), np.uint8)
    big[:, :, 1] = np.linspace(0, 255, 12000, dtype=np.uint8)[None, :]
    path = tmp_path / "huge.jpg"
    save(big, path, quality=80)
    del big
    src = media.add("huge.jpg", path)
    started = time.perf_counter()
    loaded = load_picture(path, (216, 384), "cover", "test")
    assert loaded.shape[0] >= 384 and loaded.shape[0] < 4 * 384  # decoded small, not 8000 rows
    out = tmp_path / "huge.mp4"
    render_draft(
        draft(500, [image_segment(src, 500, fx="jiggle")], width=216, height=384),
        out,
        resolve=media.resolve,
    )
    assert time.perf_counter() - started < 6.0
    assert probe(out).frames == 15


def test_cancel_stops_and_removes_the_partial_file(media, tmp_path):
    src = media.add("portrait.jpg", PORTRAIT)
    cancel = threading.Event()
    seen: list[float] = []

    def on_progress(fraction: float) -> None:
        seen.append(fraction)
        if fraction > 0:
            cancel.set()

    out = tmp_path / "cancelled.mp4"
    with pytest.raises(RenderCancelled):
        render_draft(
            draft(20000, [image_segment(src, 20000, fx="jiggle")]),
            out,
            resolve=media.resolve,
            on_progress=on_progress,
            cancel=cancel,
        )
    assert list(tmp_path.glob("*.mp4")) == [] and not any(
        p.name.startswith(".") for p in tmp_path.iterdir()
    )
    assert seen[-1] < 0.5  # it stopped early instead of finishing 600 frames
    assert not any(t.name.startswith("nemo-render") for t in threading.enumerate())


def test_progress_is_throttled_and_reaches_one(media, tmp_path):
    src = media.picture("a.png", textured(90, 160))
    progress: list[float] = []
    started = time.perf_counter()
    render_draft(
        draft(3000, [image_segment(src, 3000, fx="pulse")], width=90, height=160),
        tmp_path / "p.mp4",
        resolve=media.resolve,
        on_progress=progress.append,
    )
    elapsed = time.perf_counter() - started
    assert progress[-1] == 1.0 and progress == sorted(progress)
    assert len(progress) <= elapsed * 10 + 3  # at most ~10 calls a second


def _small_jiggle(media, out: Path, ms: int) -> None:
    """Render a ``ms`` long 90x160 jiggle of a textured picture to ``out``."""
    src = media.picture("a.png", textured(90, 160))
    render_draft(
        draft(ms, [image_segment(src, ms, fx="jiggle")], width=90, height=160),
        out,
        resolve=media.resolve,
    )


def test_frames_stream_through_a_small_queue_never_the_whole_clip(media, tmp_path, monkeypatch):
    """Memory does not grow with length: the composer runs at most a few frames ahead of the
    encoder, even when the encoder is the slow side."""
    from nemo_nb.render import _pipeline

    composed: list[int] = []
    leads: list[int] = []
    real_frame = _pipeline.Compositor.frame
    real_add = _pipeline.Encoder.add_video

    def counting_frame(self, t):
        composed.append(1)
        return real_frame(self, t)

    def slow_add(self, i420, index):
        time.sleep(0.005)
        leads.append(len(composed) - index)
        return real_add(self, i420, index)

    monkeypatch.setattr(_pipeline.Compositor, "frame", counting_frame)
    monkeypatch.setattr(_pipeline.Encoder, "add_video", slow_add)
    _small_jiggle(media, tmp_path / "q.mp4", 4000)
    assert len(leads) == 120 and max(leads) <= _pipeline._QUEUE_FRAMES + 2


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread nice is Linux's")
def test_frames_are_made_at_a_lower_priority_than_the_encoder_and_the_caller(
    media, tmp_path, monkeypatch
):
    """The encoder is the render's critical path: the frame thread yields the CPU to it."""
    from nemo_nb.render import _pipeline

    caller = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    seen: list[int] = []
    real_add = _pipeline.Encoder.add_video

    def watching_add(self, i420, index):
        if index == 0:  # the frame thread has 59 frames to go: it is alive
            for thread in threading.enumerate():
                if thread.name == "nemo-render-frames" and thread.native_id is not None:
                    seen.append(os.getpriority(os.PRIO_PROCESS, thread.native_id))
        return real_add(self, i420, index)

    monkeypatch.setattr(_pipeline.Encoder, "add_video", watching_add)
    _small_jiggle(media, tmp_path / "n.mp4", 2000)
    assert seen == [min(19, caller + _pipeline._PRODUCER_NICENESS)] and (
        caller == 19 or seen[0] > caller
    )
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == caller  # untouched
