"""Input handling: picture formats, video segments, unknown keys, and errors that name the segment."""

from __future__ import annotations

import logging

import av
import cv2
import numpy as np
import pytest
from PIL import Image
from render_helpers import decode_frames, draft, image_segment, probe, textured

from nemo_nb.render import RenderInputError, render_draft
from nemo_nb.render._media import load_picture

RED, BLUE = (230, 20, 20), (20, 20, 230)


def _video_file(path, frames: int = 30, fps: int = 30, size=(64, 48)):
    """A short H.264 video whose frame k is uniformly grey level 8 k."""
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=fps, options={"crf": "10"})
        stream.width, stream.height, stream.pix_fmt = size[0], size[1], "yuv420p"
        for k in range(frames):
            frame = av.VideoFrame.from_ndarray(
                np.full((size[1], size[0], 3), 8 * k, np.uint8), format="rgb24"
            )
            frame.pts = k
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def test_video_segment_is_trimmed_scaled_and_holds_its_last_frame(media, tmp_path):
    src = media.add("clip.mp4", _video_file(tmp_path / "clip.mp4"))
    seg = {"id": "vid", "st": 0, "d": 1500, "src": src, "m": {"kind": "video", "trim_in": 500}}
    out = tmp_path / "out.mp4"
    render_draft(draft(1500, [seg], width=96, height=160), out, resolve=media.resolve)
    assert probe(out).frames == 45
    levels = [float(f.mean()) for f in decode_frames(out)]
    assert levels[0] == pytest.approx(8 * 15, abs=4), "starts at 0.5 s into the source"
    assert levels[10] == pytest.approx(8 * 25, abs=4), "plays at the source's pace"
    assert max(levels[16:]) - min(levels[16:]) < 1.5 and levels[-1] == pytest.approx(
        8 * 29, abs=4
    ), "holds the last frame"


def test_pictures_in_heic_avif_gif_and_transparent_png(tmp_path):
    import pillow_heif

    pillow_heif.register_heif_opener()
    picture = textured(96, 64)
    for ext in ("heic", "avif"):
        Image.fromarray(picture).save(tmp_path / f"p.{ext}")
        loaded = load_picture(tmp_path / f"p.{ext}", (96, 64), "cover", "t")
        assert loaded.shape == (64, 96, 3) and np.abs(loaded.astype(int) - picture).mean() < 12

    frames = [Image.new("RGB", (40, 30), RED), Image.new("RGB", (40, 30), BLUE)]
    frames[0].save(tmp_path / "anim.gif", save_all=True, append_images=frames[1:], duration=100)
    gif = load_picture(tmp_path / "anim.gif", (40, 30), "cover", "t")
    assert np.allclose(gif.reshape(-1, 3).mean(axis=0), RED, atol=10), "a GIF shows its first frame"

    rgba = np.zeros((30, 40, 4), np.uint8)
    rgba[:, :20] = (*BLUE, 255)  # left half opaque blue, right half fully transparent
    Image.fromarray(rgba).save(tmp_path / "alpha.png")
    flat = load_picture(tmp_path / "alpha.png", (40, 30), "cover", "t")
    assert tuple(flat[15, 5]) == BLUE and tuple(flat[15, 35]) == (255, 255, 255), (
        "alpha flattened onto white"
    )


def test_sixteen_bit_greyscale_keeps_its_tones(tmp_path):
    ramp = np.tile(np.linspace(0, 65535, 64, dtype=np.uint16), (48, 1))  # black → white
    Image.fromarray(ramp).save(tmp_path / "grey16.png")
    with Image.open(tmp_path / "grey16.png") as im:
        assert im.mode.startswith("I"), im.mode  # really stored as 16-bit
    loaded = load_picture(tmp_path / "grey16.png", (64, 48), "cover", "t").astype(int)
    expected = np.tile(np.linspace(0, 255, 64), (48, 1))
    assert np.abs(loaded[..., 0] - expected).mean() < 3, "a 16-bit ramp stays a ramp, not white"
    assert loaded[:, :8].mean() < 30 and loaded[:, -8:].mean() > 225


def test_heic_upload_renders(media, tmp_path):
    import pillow_heif

    pillow_heif.register_heif_opener()
    Image.new("RGB", (90, 160), RED).save(tmp_path / "photo.heic")
    src = media.add("photo.heic", tmp_path / "photo.heic")
    out = tmp_path / "heic.mp4"
    render_draft(
        draft(200, [image_segment(src, 200, fx="alive")], width=90, height=160),
        out,
        resolve=media.resolve,
    )
    assert np.allclose(decode_frames(out, [0])[0].reshape(-1, 3).mean(axis=0), RED, atol=12)


def test_unknown_effect_renders_still_and_unknown_keys_and_tracks_are_ignored(
    media, tmp_path, caplog
):
    src = media.picture("a.png", textured(90, 160))
    seg = image_segment(src, 500, fx="teleport")
    seg["m"]["future_key"] = {"x": 1}
    seg["cloud_only"] = True
    d = draft(500, [seg], width=90, height=160)
    d["t"].append({"id": "sticker", "tt": 4, "sg": [{"id": "z", "st": 0, "d": 500, "whatever": 1}]})
    d["extra"] = "ignored"
    out = tmp_path / "unknown.mp4"
    with caplog.at_level(logging.WARNING, logger="nemo_nb.render"):
        render_draft(d, out, resolve=media.resolve)
    assert "teleport" in caplog.text
    first, last = decode_frames(out, [0, 14])
    assert np.abs(first.astype(int) - last).mean() < 1.0, "rendered without motion"


def test_gaps_and_an_empty_timeline_render_black(media, tmp_path):
    src = media.picture("white.png", np.full((32, 18, 3), 255, np.uint8))
    out = tmp_path / "gap.mp4"
    render_draft(
        draft(1000, [image_segment(src, 300, st=500)], width=64, height=64),
        out,
        resolve=media.resolve,
    )
    gap, shown = decode_frames(out, [5, 20])
    assert gap.max() < 20 and shown.min() > 235
    render_draft(draft(300, [], width=64, height=64), tmp_path / "empty.mp4", resolve=media.resolve)
    assert probe(tmp_path / "empty.mp4").frames == 9


def _bad(media, tmp_path):
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff\xe0 this is not really a jpeg" + bytes(200))
    media.add("broken.jpg", broken)
    media.picture("ok.png", textured(32, 32))


@pytest.mark.parametrize(
    "mutate,expected",
    [
        (lambda d: d["t"][0]["sg"][0].update(src="missing.jpg"), ["s-ok.png-0", "missing.jpg"]),
        (lambda d: d["t"][0]["sg"][0].update(src="broken.jpg"), ["s-ok.png-0", "broken.jpg"]),
        (lambda d: d.update(d="soon"), ["'d'"]),
        (lambda d: d.pop("d"), ["'d'"]),
        (lambda d: d["t"][0]["sg"][0]["m"]["fx"].update(strength=7), ["s-ok.png-0", "strength"]),
        (
            lambda d: d["t"].append(
                {
                    "id": "a1",
                    "tt": 1,
                    "sg": [{"id": "bgm", "st": 0, "d": 500, "src": "builtin:polka"}],
                }
            ),
            ["bgm", "polka"],
        ),
        (
            lambda d: d["t"].append(
                {"id": "a1", "tt": 1, "sg": [{"id": "bgm", "st": 0, "d": 500, "src": "ok.png"}]}
            ),
            ["bgm", "audio"],
        ),
        (
            lambda d: d["t"].append(
                {
                    "id": "x1",
                    "tt": 7,
                    "sg": [{"id": "tx", "st": 0, "d": 500, "txt": "Hi", "m": {"color": "red"}}],
                }
            ),
            ["tx", "color"],
        ),
    ],
    ids=[
        "missing-file",
        "undecodable",
        "bad-duration",
        "no-duration",
        "strength-range",
        "unknown-mood",
        "audio-not-audio",
        "bad-colour",
    ],
)
def test_bad_input_is_one_sentence_naming_the_segment_and_writes_nothing(
    media, tmp_path, mutate, expected
):
    _bad(media, tmp_path)
    d = draft(500, [image_segment("ok.png", 500)], width=64, height=64)
    mutate(d)
    out = tmp_path / "out.mp4"
    with pytest.raises(RenderInputError) as info:
        render_draft(d, out, resolve=media.resolve)
    message = str(info.value)
    for word in expected:
        assert word in message, message
    assert message.count(". ") == 0 and message.endswith(".")  # one sentence
    assert not out.exists() and not list(tmp_path.glob(".*part*"))


@pytest.mark.parametrize("orientation", range(1, 9))
def test_cover_keeps_only_the_shown_part_of_a_photo_in_any_exif_orientation(tmp_path, orientation):
    from PIL import ImageOps

    from nemo_nb.render._media import _EXIF_TRANSPOSE, load_picture_region

    upright = Image.fromarray(textured(300, 200, seed=orientation))
    inverse = {
        Image.Transpose.ROTATE_90: Image.Transpose.ROTATE_270,
        Image.Transpose.ROTATE_270: Image.Transpose.ROTATE_90,
    }
    method = _EXIF_TRANSPOSE.get(orientation)
    stored = upright.transpose(inverse.get(method, method)) if method is not None else upright
    exif = Image.Exif()
    exif[0x0112] = orientation
    path = tmp_path / f"o{orientation}.png"
    stored.save(path, exif=exif)
    with Image.open(path) as check:  # the file really is "stored sideways + orientation tag"
        assert np.array_equal(np.asarray(ImageOps.exif_transpose(check)), np.asarray(upright))

    picture, box = load_picture_region(
        path, (100, 200), "cover", "t"
    )  # a tall frame: keep the middle
    assert picture.shape[0] == 200 and picture.shape[1] < 120, "only the shown strip is kept"
    x0, x1 = round(box[0] * 300), round(box[2] * 300)
    assert (box[1], box[3]) == (0.0, 1.0) and x1 - x0 == picture.shape[1]
    assert np.array_equal(picture, np.asarray(upright)[:, x0:x1])


def test_phone_video_display_rotation_is_applied():
    from nemo_nb.render._media import upright_video_frame

    stored = np.zeros((32, 64, 3), np.uint8)
    stored[:, :32] = RED  # a phone held upright stores its top on the left
    upright = upright_video_frame(stored, -90)  # PyAV: the display matrix turns it 90 clockwise
    assert (
        upright.shape == (64, 32, 3)
        and tuple(upright[5, 16]) == RED
        and tuple(upright[60, 16]) == (0, 0, 0)
    )
    assert upright_video_frame(stored, 0) is stored
    assert tuple(upright_video_frame(stored, 180)[5, 60]) == RED


def _fine_detail(width: int, height: int) -> np.ndarray:
    """Detail down to single pixels: noise at several scales and thin diagonal lines."""
    rng = np.random.default_rng(5)
    picture = np.full((height, width, 3), 128.0, np.float32)
    for cells, amplitude in ((width // 4, 50), (width // 32, 35), (8, 30)):
        noise = rng.normal(0, 1, (max(2, cells * height // width), cells, 3)).astype(np.float32)
        picture += amplitude * cv2.resize(noise, (width, height), interpolation=cv2.INTER_CUBIC)
    for x in range(-height, width, 7):
        cv2.line(picture, (x, 0), (x + height // 5, height), (255, 255, 255), 1)
    return np.clip(picture, 0, 255).astype(np.uint8)


@pytest.mark.slow
def test_jpeg_a_little_larger_than_needed_decodes_at_half_scale_and_keeps_its_detail(tmp_path):
    """The DCT's half scale is used when it is at most 10% short of the fit: decoding is ~4x
    cheaper, and the fitted picture is no further from a proper (area-filtered) reduction of
    the full image than a fit of the full decode, whose cubic reduction aliases."""
    from nemo_nb.render._fit import fit_picture

    path = tmp_path / "detail.jpg"
    Image.fromarray(_fine_detail(1600, 2000)).save(path, quality=92)
    full = np.asarray(Image.open(path).convert("RGB"))
    need = (840, 1050)  # 0.525 of it: half scale is 5% short

    loaded = load_picture(path, need, "cover", "t")
    assert loaded.shape[:2] == (1000, 800)  # decoded at half scale

    truth = cv2.resize(full, need, interpolation=cv2.INTER_AREA).astype(int)
    error = {
        name: float(np.abs(fit_picture(src, *need, "cover").astype(int) - truth).mean())
        for name, src in (("half", loaded), ("full", full))
    }
    assert error["half"] <= error["full"], error

    # 15% short at half scale: decoded whole
    assert load_picture(path, (920, 1150), "cover", "t").shape[:2] == (2000, 1600)
