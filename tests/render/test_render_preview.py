"""Previews: the same draft through the same renderer at a small frame. What a person sees in the
preview must be what Export makes, scaled down; only the size, the frame rate and the encoder's
effort differ."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import cv2
import matplotlib.cbook
import numpy as np
import pytest
from render_helpers import (
    ARTIFACTS,
    contact_sheet,
    decode_audio,
    decode_frames,
    draft,
    image_segment,
    mean_abs_diff,
    probe,
    textured,
)

from nemo_nb._contract import RENDER_QUALITIES
from nemo_nb.render import QUALITIES, RenderQuality, _encode, _pipeline, _subject, render_draft

PORTRAIT = Path(matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))  # 512x600


def portrait_draft(seconds: float, *, aspect: str = "9:16", fps: int = 30) -> dict:
    """The portrait jiggling (subject-aware), a title and built-in music, at the aspect's size."""
    ms = round(seconds * 1000)
    jiggle = {"type": "jiggle", "strength": 0.6, "speed": 1.0, "loops": 1}
    return {
        "d": ms,
        "m": {"title": "preview", "aspect": aspect, "fps": fps},
        "t": [
            {"id": "v1", "tt": 0, "sg": [{"id": "s1", "st": 0, "d": ms, "src": "portrait",
                                         "m": {"kind": "image", "fx": jiggle}}]},
            {"id": "a1", "tt": 1, "sg": [{"id": "m1", "st": 0, "d": ms, "src": "builtin:lofi"}]},
            {"id": "x1", "tt": 7, "sg": [{"id": "t1", "st": 0, "d": ms, "txt": "Grace, jiggling",
                                         "m": {"pos": "bottom"}}]},
        ],
    }  # fmt: skip


@pytest.mark.slow
def test_the_preview_is_the_export_scaled_down(media, tmp_path: Path) -> None:
    media.add("portrait", PORTRAIT)
    d = portrait_draft(3.0)
    full = render_draft(d, tmp_path / "full.mp4", resolve=media.resolve)
    small = render_draft(d, tmp_path / "preview.mp4", resolve=media.resolve, quality="preview")
    assert (full.width, full.height, small.width, small.height) == (1080, 1920, 360, 640)
    assert small.frames == full.frames == 90 and small.fps == 30
    assert small.has_audio and small.notes == full.notes == ()  # the subject was found in both

    picks = [0, 11, 29, 52, 89]  # rest, squash, stretch, rebound, the loop's last frame
    exported = decode_frames(tmp_path / "full.mp4", picks)
    previewed = decode_frames(tmp_path / "preview.mp4", picks)
    diffs = []
    for big, preview in zip(exported, previewed, strict=True):
        scaled = cv2.resize(big, (360, 640), interpolation=cv2.INTER_AREA)
        diffs.append(mean_abs_diff(scaled, preview))
    print("preview vs export scaled down, mean |diff| per frame:", [f"{x:.2f}" for x in diffs])
    # measured 3.3-4.0 grey levels: ~2.8 over the picture (the two encodes, mostly) and more along
    # the title's edges (its outline and shadow widths round to whole pixels at each size)
    assert max(diffs) < 4.5

    # the motion is the same too: the change from one sampled time to the next agrees
    def steps(frames: list[np.ndarray]) -> np.ndarray:
        small_frames = [cv2.resize(f, (360, 640), interpolation=cv2.INTER_AREA) for f in frames]
        return np.array([mean_abs_diff(a, b) for a, b in pairwise(small_frames)])

    assert np.allclose(steps(exported), steps(previewed), rtol=0.25, atol=0.5)
    side_by_side = [
        np.hstack([cv2.resize(big, (360, 640), interpolation=cv2.INTER_AREA), preview])
        for big, preview in zip(exported, previewed, strict=True)
    ]
    contact_sheet(
        side_by_side, ARTIFACTS / "preview_vs_export.png", columns=5,
        label="export scaled down | preview, at 5 times",
    )  # fmt: skip


def test_a_preview_keeps_the_aspect_at_360_on_the_short_side(media, tmp_path: Path) -> None:
    media.add("portrait", PORTRAIT)
    sizes = {}
    for aspect in ("9:16", "16:9", "1:1"):
        out = tmp_path / f"{aspect.replace(':', 'x')}.mp4"
        result = render_draft(
            portrait_draft(0.5, aspect=aspect), out, resolve=media.resolve, quality="preview"
        )
        got = probe(out)
        assert (got.width, got.height) == (result.width, result.height)
        assert got.frames == 15 and got.codec == "h264" and got.audio_codec == "aac"
        sizes[aspect] = (got.width, got.height)
    assert sizes == {"9:16": (360, 640), "16:9": (640, 360), "1:1": (360, 360)}


def test_a_preview_of_a_60_fps_draft_runs_at_30_for_as_long(media, tmp_path: Path) -> None:
    media.add("portrait", PORTRAIT)
    out = tmp_path / "sixty.mp4"
    result = render_draft(
        portrait_draft(1.0, fps=60), out, resolve=media.resolve, quality="preview"
    )
    got = probe(out)
    assert (result.fps, got.frames) == (30, 30)
    assert got.duration == pytest.approx(1.0, abs=0.05)


def test_a_draft_smaller_than_a_preview_is_not_scaled_up(media, tmp_path: Path) -> None:
    src = media.picture("p.png", textured(240, 320))
    d = draft(500, [image_segment(src, 500, fx="kenburns")], width=180, height=320)
    out = tmp_path / "small.mp4"
    render_draft(d, out, resolve=media.resolve, quality="preview")
    got = probe(out)
    assert (got.width, got.height) == (180, 320)


def test_a_preview_has_the_music(media, tmp_path: Path) -> None:
    media.add("portrait", PORTRAIT)
    out = tmp_path / "music.mp4"
    render_draft(portrait_draft(2.0), out, resolve=media.resolve, quality="preview")
    got = probe(out)
    assert got.audio_codec == "aac" and got.audio_duration == pytest.approx(2.0, abs=0.1)
    samples = decode_audio(out)
    assert float(np.sqrt((samples**2).mean())) > 0.02  # audible, not silence


def test_the_second_preview_of_a_photo_skips_the_subject_analysis(
    media, tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setenv("NEMO_NB_SUBJECT_CACHE", str(tmp_path / "subjects"))
    analysed: list[tuple[int, int]] = []
    real = _subject.analyse_pixels

    def counting(rgb: np.ndarray) -> _subject.Subject:
        analysed.append(rgb.shape[:2])
        return real(rgb)

    monkeypatch.setattr(_subject, "analyse_pixels", counting)
    media.add("portrait", PORTRAIT)
    first = render_draft(
        portrait_draft(0.5), tmp_path / "a.mp4", resolve=media.resolve, quality="preview"
    )
    assert len(analysed) == 1
    d = portrait_draft(0.5)
    d["t"][0]["sg"][0]["m"]["fx"]["strength"] = 0.9  # the next turn: another draft, same photo
    second = render_draft(d, tmp_path / "b.mp4", resolve=media.resolve, quality="preview")
    assert len(analysed) == 1  # read back from the cache by the photo's content
    assert first.notes == second.notes == ()  # and used: the subject moves alone both times


def test_quality_names_and_settings() -> None:
    assert tuple(QUALITIES) == RENDER_QUALITIES  # the engine accepts exactly what render knows
    assert QUALITIES["preview"].frame_size(1080, 1920) == (360, 640)
    assert QUALITIES["preview"].frame_size(1920, 1080) == (640, 360)
    assert QUALITIES["preview"].frame_size(1080, 1350) == (360, 450)
    assert QUALITIES["high"].frame_size(1080, 1920) == (1080, 1920)
    own = RenderQuality("tiny", short_side=90, max_fps=12, preset="ultrafast", crf=30)
    assert own.frame_size(1080, 1920) == (90, 160) and own.frame_rate(30) == 12


def test_an_unknown_quality_is_refused_before_anything_is_written(media, tmp_path: Path) -> None:
    media.add("portrait", PORTRAIT)
    with pytest.raises(ValueError, match="quality must be 'high' or 'preview', not 'best'"):
        render_draft(portrait_draft(0.5), tmp_path / "x.mp4", resolve=media.resolve, quality="best")
    assert list(tmp_path.glob("*.mp4")) == []


def test_a_quality_of_ones_own(media, tmp_path: Path) -> None:
    media.add("portrait", PORTRAIT)
    own = RenderQuality("tiny", short_side=90, max_fps=10, preset="ultrafast", crf=30)
    out = tmp_path / "tiny.mp4"
    render_draft(portrait_draft(1.0), out, resolve=media.resolve, quality=own)
    got = probe(out)
    assert (got.width, got.height, got.frames) == (90, 160, 10)


def test_the_next_turns_preview_reuses_the_encoded_music(
    media, tmp_path: Path, monkeypatch
) -> None:
    encoded: list[int] = []
    real = _encode.Encoder._encode_audio

    def counting(self: _encode.Encoder, block: np.ndarray | None) -> None:
        encoded.append(0 if block is None else block.shape[1])
        real(self, block)

    monkeypatch.setattr(_encode.Encoder, "_encode_audio", counting)
    monkeypatch.setattr(_encode, "_ENCODED_AUDIO", type(_encode._ENCODED_AUDIO)())
    media.add("portrait", PORTRAIT)
    d = portrait_draft(1.0)
    render_draft(d, tmp_path / "a.mp4", resolve=media.resolve, quality="preview")
    assert sum(encoded) == 48_000  # the second's samples, encoded once
    d["t"][0]["sg"][0]["m"]["fx"]["strength"] = 0.9  # the next turn moves the photo differently
    render_draft(d, tmp_path / "b.mp4", resolve=media.resolve, quality="preview")
    assert sum(encoded) == 48_000  # the same music: its packets were reused
    first, second = decode_audio(tmp_path / "a.mp4"), decode_audio(tmp_path / "b.mp4")
    assert first.shape == second.shape and np.array_equal(first, second)
    assert probe(tmp_path / "b.mp4").frames == 30

    d["t"][1]["sg"][0]["src"] = "builtin:upbeat"  # other music: encoded afresh
    render_draft(d, tmp_path / "c.mp4", resolve=media.resolve, quality="preview")
    assert sum(encoded) == 2 * 48_000
    assert not np.array_equal(decode_audio(tmp_path / "c.mp4"), first)


@pytest.mark.slow
def test_the_next_turns_preview_does_not_decode_the_photo_again(
    media, tmp_path: Path, monkeypatch
) -> None:
    decoded: list[str] = []
    real = _pipeline.load_picture_region

    def counting(path: Path, *args: object, **kwargs: object) -> object:
        decoded.append(path.name)
        return real(path, *args, **kwargs)

    monkeypatch.setattr(_pipeline, "load_picture_region", counting)
    src = media.picture("photo.jpg", textured(1200, 1600), quality=90)
    d = draft(
        500, [image_segment(src, 500, fx="kenburns")], width=720, height=1280
    )  # a 360x640 preview
    render_draft(d, tmp_path / "a.mp4", resolve=media.resolve, quality="preview")
    d["t"][0]["sg"][0]["m"]["fx"]["speed"] = 2.0  # the next turn
    render_draft(d, tmp_path / "b.mp4", resolve=media.resolve, quality="preview")
    assert decoded == ["photo.jpg"]  # once: the next preview reuses it
    before = decode_frames(tmp_path / "b.mp4", [0])[0]

    media.picture("photo.jpg", textured(1200, 1600, seed=7)[::-1].copy(), quality=90)  # replaced
    render_draft(d, tmp_path / "c.mp4", resolve=media.resolve, quality="preview")
    assert decoded == ["photo.jpg", "photo.jpg"]
    assert mean_abs_diff(decode_frames(tmp_path / "c.mp4", [0])[0], before) > 10
