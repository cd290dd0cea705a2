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
            img = np.full((height, width, 3), i * 40, np.uint8)
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


def test_over_the_cap_links_instead_of_embedding(tmp_path):
    clip = tmp_path / "big.mp4"
    _write_clip(clip, 320, 240, frames=3)
    html = show_video(clip, max_embed_bytes=10)._repr_html_()
    assert "base64" not in html
    assert "big.mp4" in html


def test_missing_file_is_one_clear_sentence(tmp_path):
    with pytest.raises(FileNotFoundError, match="There is no video at"):
        show_video(tmp_path / "nope.mp4")
