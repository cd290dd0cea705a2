"""show_video gives a small, muted, looping preview and keeps the full file on disk."""

from __future__ import annotations

import base64
import io
import re

import av
import numpy as np
import pytest

from nemo_nb.display import show_video


def _write_clip(path, width=1080, height=1920, frames=6):
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=30)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        for i in range(frames):
            img = np.full((height, width, 3), (i * 40) % 256, np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)


def test_preview_is_embedded_small_muted_and_looping(tmp_path):
    clip = tmp_path / "export.mp4"
    _write_clip(clip)
    html = show_video(clip, width=360)._repr_html_()
    for attr in ("controls", "loop", "autoplay", "muted", "playsinline"):
        assert attr in html
    data = re.search(r'src="data:video/mp4;base64,([^"]+)"', html).group(1)
    with av.open(io.BytesIO(base64.b64decode(data))) as preview:
        stream = preview.streams.video[0]
        assert stream.codec_context.width == 360
        assert len(preview.streams.audio) == 0
        assert sum(1 for _ in preview.decode(stream)) == 6
    assert "export.mp4" in html and "full quality" in html


def test_over_the_cap_links_instead_of_embedding(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the notebook's folder, which Jupyter serves
    clip = tmp_path / "out" / "big clip.mp4"
    clip.parent.mkdir()
    _write_clip(clip, 320, 240, frames=3)
    html = show_video(clip, max_embed_bytes=10)._repr_html_()
    assert "data:video/mp4" not in html  # the video is linked, not embedded
    assert re.search(r'<video [^>]*src="out/big%20clip.mp4"', html)
    assert '<a href="out/big%20clip.mp4" download style="color:' in html
    assert "nemo-filmstrip" in html  # the small still strip is embedded all the same


def test_a_file_outside_the_notebooks_folder_is_named_not_linked(tmp_path, monkeypatch):
    # A browser does not open file: links from a notebook page, so none is written.
    monkeypatch.chdir(tmp_path)
    outside = tmp_path.parent / f"{tmp_path.name}-elsewhere"
    outside.mkdir()
    clip = outside / "big.mp4"
    _write_clip(clip, 320, 240, frames=3)
    html = show_video(clip, max_embed_bytes=10)._repr_html_()
    assert "<video" not in html and "href=" not in html and "file:" not in html
    assert f"<code>{clip}</code>" in html
    embedded = show_video(clip)._repr_html_()  # small enough: it plays, and says where it is
    assert '<video width="360" controls loop autoplay muted playsinline src="data:video/mp4' in (
        embedded
    )
    assert f"<code>{clip}</code>" in embedded


def test_missing_file_is_one_clear_sentence(tmp_path):
    with pytest.raises(FileNotFoundError, match="There is no video at"):
        show_video(tmp_path / "nope.mp4")


# ---- filmstrip posters: what GitHub and nbviewer show, since they do not play video -----------


def _tiles(strip, count):
    """Split a filmstrip back into its frames (they are equally wide, 2 px apart)."""
    arr = np.asarray(strip.convert("RGB"))
    width = (arr.shape[1] - 2 * (count - 1)) // count
    return [arr[:, i * (width + 2) : i * (width + 2) + width] for i in range(count)]


def test_filmstrip_shows_six_moments_spread_over_the_clip(tmp_path):
    from nemo_nb import filmstrip

    clip = tmp_path / "ramp.mp4"
    _write_clip(clip, 320, 240, frames=60)  # frame i is grey level i*40 (wrapping at 256)
    strip = filmstrip(clip)
    assert strip.height == 120
    tiles = _tiles(strip, 6)
    assert strip.width == 6 * tiles[0].shape[1] + 5 * 2
    assert tiles[0].shape[1] == 160  # 4:3 kept
    # The middle of each sixth of 60 frames: 5, 15, 25, 35, 45, 55.
    expected = [(i * 40) % 256 for i in (5, 15, 25, 35, 45, 55)]
    seen = [float(t.mean()) for t in tiles]
    assert [abs(s - e) < 12 for s, e in zip(seen, expected, strict=True)] == [True] * 6, (
        seen,
        expected,
    )
    strip.save(tmp_path / "strip.png")  # a PIL image: saving it is the obvious next step


def test_filmstrip_of_a_clip_shorter_than_six_frames_shows_each_frame_once(tmp_path):
    from nemo_nb import filmstrip

    clip = tmp_path / "short.mp4"
    _write_clip(clip, 64, 64, frames=3)
    strip = filmstrip(clip, frames=6, height=32)
    assert strip.size == (3 * 32 + 2 * 2, 32)
    assert [round(float(t.mean()) / 40) for t in _tiles(strip, 3)] == [0, 1, 2]


def test_every_preview_carries_its_filmstrip_as_img_and_png(tmp_path):
    from PIL import Image

    clip = tmp_path / "export.mp4"
    _write_clip(clip, 320, 240, frames=12)
    preview = show_video(clip, width=200)
    html = preview._repr_html_()
    found = re.findall(r'<img class="nemo-filmstrip"[^>]*src="data:image/png;base64,([^"]+)"', html)
    assert len(found) == 1
    png = base64.b64decode(found[0])
    assert png == preview._repr_png_()  # viewers that skip HTML get the same strip
    with Image.open(io.BytesIO(png)) as strip:
        assert strip.format == "PNG" and strip.height == 120
    assert len(png) < 60_000  # small enough for a notebook kept in git


def test_poster_can_be_left_out(tmp_path):
    clip = tmp_path / "export.mp4"
    _write_clip(clip, 320, 240, frames=3)
    preview = show_video(clip, poster=False)
    assert "nemo-filmstrip" not in preview._repr_html_()
    assert preview._repr_png_() is None
