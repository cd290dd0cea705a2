"""A corpus of hostile and awkward media files, generated (nothing is checked in).

Each entry is ``(name, bytes, expect)``: ``expect`` is ``"render"`` (a person would expect a
video), ``"refuse"`` (one sentence at upload) or ``"either"`` (rendered or refused with a
sentence are both right, e.g. audio alone).
"""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Callable
from pathlib import Path

import numpy as np
from engine_harness import jpeg_declaring, png_bytes, png_declaring
from PIL import Image

Entry = tuple[str, bytes, str]


def _image(mode: str, size: tuple[int, int], fmt: str, **save: object) -> bytes:
    rng = np.random.default_rng(7)
    w, h = size
    if mode in ("RGB", "RGBA", "CMYK", "LA", "L"):
        bands = len(mode) if mode != "LA" else 2
        arr = rng.integers(0, 255, (h, w, bands), dtype=np.uint8)
        im = Image.fromarray(arr[:, :, 0] if bands == 1 else arr, mode=mode)
    elif mode == "P":
        im = Image.fromarray(rng.integers(0, 255, (h, w, 3), dtype=np.uint8)).convert("P")
    elif mode == "I;16":
        im = Image.fromarray(rng.integers(0, 65535, (h, w), dtype=np.uint16))
    else:
        raise ValueError(mode)
    buf = io.BytesIO()
    im.save(buf, fmt, **save)
    return buf.getvalue()


def _png16_rgb() -> bytes:
    import cv2

    arr = np.random.default_rng(1).integers(0, 65535, (90, 120, 3), dtype=np.uint16)
    ok, data = cv2.imencode(".png", arr)
    assert ok
    return data.tobytes()


def _animated(fmt: str) -> bytes:
    frames = [Image.new("RGB", (80, 60), c) for c in ((200, 0, 0), (0, 200, 0), (0, 0, 200))]
    buf = io.BytesIO()
    frames[0].save(buf, fmt, save_all=True, append_images=frames[1:], duration=100, loop=0)
    return buf.getvalue()


_STORED = {  # how a camera stores an upright picture under each EXIF orientation
    1: None,
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_90,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_270,
}


def _exif_jpeg(orientation: int) -> bytes:
    """The same upright picture (a yellow mark top left) stored as orientation ``orientation``
    says: every one of them must render alike."""
    im = Image.new("RGB", (90, 160), (30, 120, 200))
    im.paste((250, 250, 0), (0, 0, 45, 50))
    op = _STORED[orientation]
    stored = im.transpose(op) if op is not None else im
    exif = Image.Exif()
    exif[0x0112] = orientation
    buf = io.BytesIO()
    stored.save(buf, "JPEG", exif=exif, quality=95)
    return buf.getvalue()


def _heif(fmt: str) -> bytes:
    from pillow_heif import register_heif_opener

    register_heif_opener()
    buf = io.BytesIO()
    Image.new("RGB", (96, 64), (10, 200, 10)).save(buf, fmt)
    return buf.getvalue()


def _video(tmp: Path, w: int, h: int, *, codec: str = "libx264", pix: str = "yuv420p",
           fmt: str = "mp4", frames: int = 10, audio_only: bool = False) -> bytes:  # fmt: skip
    import av

    out = tmp / f"v-{w}x{h}-{codec}-{audio_only}.{fmt}"
    with av.open(str(out), "w") as c:
        if audio_only:
            a = c.add_stream("aac", rate=48000)
            samples = np.zeros((1, 1024), dtype=np.float32)
            for i in range(20):
                f = av.AudioFrame.from_ndarray(samples, format="fltp", layout="mono")
                f.sample_rate, f.pts = 48000, i * 1024
                for p in a.encode(f):
                    c.mux(p)
            for p in a.encode():
                c.mux(p)
        else:
            s = c.add_stream(codec, rate=30)
            s.width, s.height, s.pix_fmt = w, h, pix
            for i in range(frames):
                img = np.full((h, w, 3), (i * 20) % 255, np.uint8)
                for p in s.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                    c.mux(p)
            for p in s.encode():
                c.mux(p)
    return out.read_bytes()


def _png_bad_crc() -> bytes:
    data = bytearray(png_bytes(64, 64))
    data[-20] ^= 0xFF  # inside the IDAT
    return bytes(data)


def _gif_declaring(w: int, h: int) -> bytes:
    data = bytearray(png_bytes(32, 32, fmt="GIF"))
    data[6:10] = struct.pack("<HH", w, h)  # the logical screen
    i = data.index(b",")  # the image descriptor
    data[i + 5 : i + 9] = struct.pack("<HH", w, h)
    return bytes(data)


def _png_text_bomb() -> bytes:
    """A normal picture carrying a compressed text chunk that inflates to 200 MB."""
    z = zlib.compressobj(9)
    body = b"".join(z.compress(b"\0" * 1_000_000) for _ in range(200)) + z.flush()
    chunk = b"zTXt" + b"Comment\0\0" + body
    png = png_bytes(64, 64)
    i = png.index(b"IDAT") - 4
    blob = struct.pack(">I", len(chunk) - 4) + chunk + struct.pack(">I", zlib.crc32(chunk))
    return png[:i] + blob + png[i:]


def corpus(tmp: Path) -> list[Entry]:
    mp4 = _video(tmp, 96, 64)
    jpg = _image("RGB", (120, 90), "JPEG")
    png = png_bytes(120, 90)
    entries: list[tuple[str, Callable[[], bytes] | bytes, str]] = [
        # disguised and broken
        ("text-pretending.jpg", b"just some words, not a photo\n" * 20, "refuse"),
        ("really-a-png.mp4", png, "render"),
        ("really-an-mp4.png", mp4, "render"),
        ("archive.png", b"PK\x03\x04" + b"\0" * 300, "refuse"),
        ("page.gif", b"<!doctype html><script>alert(1)</script>" * 5, "refuse"),
        ("program.jpg", b"\x7fELF\x02\x01\x01" + b"\0" * 400, "refuse"),
        ("empty.png", b"", "refuse"),
        ("empty.mp4", b"", "refuse"),
        ("half.jpg", jpg[: len(jpg) // 2], "either"),
        ("header-only.jpg", jpg[:300], "refuse"),
        ("half.png", png[: len(png) // 2], "refuse"),
        ("bad-crc.png", _png_bad_crc(), "refuse"),
        ("half.mp4", mp4[: len(mp4) // 2], "either"),
        ("ftyp-only.mp4", b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 200, "refuse"),
        # bombs: small files, huge pictures
        ("bomb-12000.png", lambda: png_declaring(12000, 12000), "refuse"),
        ("bomb-9400-rgba.png", lambda: png_declaring(9400, 9400, color_type=6), "refuse"),
        ("bomb-65000.jpg", jpeg_declaring(65000, 65000), "refuse"),
        ("bomb-65535.gif", _gif_declaring(65535, 65535), "refuse"),
        ("text-chunk-bomb.png", _png_text_bomb, "either"),
        ("big-allowed-6000x4000.png", lambda: png_declaring(6000, 4000), "render"),
        # too small
        ("dot-1x1.png", png_bytes(1, 1), "refuse"),
        ("line-1x500.png", png_bytes(1, 500), "refuse"),
        ("line-500x1.png", png_bytes(500, 1), "refuse"),
        ("tiny-8x8.jpg", png_bytes(8, 8, fmt="JPEG"), "refuse"),
        ("icon-16x16.png", png_bytes(16, 16), "render"),
        # modes and formats
        ("gray16.png", _image("I;16", (100, 80), "PNG"), "render"),
        ("rgb16.png", _png16_rgb(), "render"),
        ("cmyk.jpg", _image("CMYK", (100, 80), "JPEG"), "render"),
        ("palette.png", _image("P", (100, 80), "PNG", transparency=0), "render"),
        ("gray-alpha.png", _image("LA", (100, 80), "PNG"), "render"),
        ("alpha.png", _image("RGBA", (100, 80), "PNG"), "render"),
        ("gray.webp", _image("L", (100, 80), "WEBP"), "render"),
        ("animated.gif", _animated("GIF"), "render"),
        ("animated.webp", _animated("WEBP"), "render"),
        ("photo.heic", lambda: _heif("HEIF"), "render"),
        ("photo.avif", lambda: _heif("AVIF"), "render"),
        # video and audio
        ("odd-35x19.mp4", lambda: _video(tmp, 35, 19, pix="yuv444p"), "render"),
        (
            "tiny-8x8.mkv",
            lambda: _video(tmp, 8, 8, codec="ffv1", pix="yuv420p", fmt="mkv"),
            "refuse",
        ),  # fmt: skip
        ("audio-only.mp4", lambda: _video(tmp, 0, 0, audio_only=True), "either"),
        ("clip.webm", lambda: _video(tmp, 64, 48, codec="libvpx", fmt="webm"), "render"),
        # hostile names (the content is a good picture)
        ("../../../etc/cron.d/evil.png", png, "render"),
        ("<script>alert(1)</script>.png", png, "render"),
        ("photo\u202egnp.exe", png, "render"),  # right-to-left override
        ("line\nbreak\r.png", png, "render"),
        ("x" * 300 + ".png", png, "render"),
        ("COM1.png", png, "render"),
        ("😀 smile.png", png, "render"),
        ("; rm -rf ~ #.png", png, "render"),
    ]
    entries += [(f"exif-{o}.jpg", _exif_jpeg(o), "render") for o in range(1, 9)]
    return [(n, d() if callable(d) else d, e) for n, d, e in entries]
