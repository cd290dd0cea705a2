"""Magic-byte sniffing: the type comes from content, not the file name."""

from __future__ import annotations

import io
import wave

import av
import numpy as np
import pytest
from PIL import Image

from nemo_nb._mediatype import CLOUD_TYPES, ENGINE_TYPES, sniff, sniff_file


def _image_bytes(fmt: str) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buf, format=fmt)
    return buf.getvalue()


def _video_bytes(container: str, codec: str) -> bytes:
    buf = io.BytesIO()
    with av.open(buf, "w", format=container) as out:
        stream = out.add_stream(codec, rate=10)
        stream.width = stream.height = 16
        stream.pix_fmt = "yuv420p"
        for _ in range(2):
            frame = av.VideoFrame.from_ndarray(np.zeros((16, 16, 3), np.uint8), format="rgb24")
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return buf.getvalue()


def _wav_bytes() -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"\0\0" * 80)
    return buf.getvalue()


@pytest.mark.parametrize(
    ("make", "ext", "kind"),
    [
        (lambda: _image_bytes("JPEG"), "jpg", "image"),
        (lambda: _image_bytes("PNG"), "png", "image"),
        (lambda: _image_bytes("GIF"), "gif", "image"),
        (lambda: _image_bytes("WEBP"), "webp", "image"),
        (lambda: _image_bytes("AVIF"), "avif", "image"),
        (lambda: _video_bytes("mp4", "libx264"), "mp4", "video"),
        (lambda: _video_bytes("mov", "libx264"), "mov", "video"),
        (lambda: _video_bytes("webm", "libvpx-vp9"), "webm", "video"),
        (lambda: _video_bytes("matroska", "libx264"), "mkv", "video"),
        (lambda: _video_bytes("avi", "mpeg4"), "avi", "video"),
        (_wav_bytes, "wav", "audio"),
    ],
)
def test_real_files_are_recognised_by_content(make, ext, kind):
    media = sniff(make()[:64])
    assert media is not None and (media.ext, media.kind) == (ext, kind)


def test_heic_is_recognised_and_only_the_engine_takes_it():
    import pillow_heif

    pillow_heif.register_heif_opener()
    buf = io.BytesIO()
    Image.new("RGB", (16, 16), "blue").save(buf, format="HEIF")
    media = sniff(buf.getvalue()[:64])
    assert media is not None and media.ext == "heic"
    assert "heic" in ENGINE_TYPES and "heic" not in CLOUD_TYPES


@pytest.mark.parametrize(
    "head",
    [b"", b"hello, I am a text file pretending to be a jpg", b"%PDF-1.7\n", b"PK\x03\x04zip"],
)
def test_disguised_or_unknown_content_is_rejected(tmp_path, head):
    fake = tmp_path / "photo.jpg"
    fake.write_bytes(head)
    assert sniff_file(fake) is None


def test_mp3_and_aac_frame_headers_are_told_apart():
    assert sniff(b"ID3\x04\x00" + bytes(59)).ext == "mp3"
    assert sniff(b"\xff\xfb\x90\x00" + bytes(60)).ext == "mp3"  # MPEG-1 layer III
    assert sniff(b"\xff\xf1\x50\x80" + bytes(60)).ext == "aac"  # ADTS
