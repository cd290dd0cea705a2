"""The memory-lean decoding paths show the same picture as a plain Pillow decode: WebP through
libavcodec (stills, alpha, lossless, an animation's first frame, offset on its canvas), and
pictures reduced a band of rows at a time (palette, RGBA, 16-bit) exactly as if reduced whole.
Their memory is measured in tests/reliability/test_decode_budget.py."""

from __future__ import annotations

import io
import struct
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from nemo_nb._webp import WebPError, decode_webp, read_header
from nemo_nb.render._media import _reduce, load_picture


def _flat(im: Image.Image) -> np.ndarray:
    """RGB on white, as the renderer flattens transparency."""
    rgba = im.convert("RGBA")
    white = Image.new("RGB", rgba.size, (255, 255, 255))
    white.paste(rgba, mask=rgba.getchannel("A"))
    return np.asarray(white).astype(int)


def _picture(w: int = 160, h: int = 120) -> Image.Image:
    y, x = np.mgrid[0:h, 0:w]
    rgba = np.stack([x * 255 // w, y * 255 // h, (x + y) % 256, np.full_like(x, 255)], -1)
    rgba[h // 4 : h // 2, w // 4 : w // 2, 3] = 0  # a transparent hole
    rgba[h // 2 :, : w // 3, 3] = 128
    return Image.fromarray(rgba.astype(np.uint8), "RGBA")


def _save(path: Path, im: Image.Image, **kw) -> Path:
    im.save(path, "WEBP", **kw)
    return path


@pytest.mark.parametrize(
    ("name", "mode", "kw", "tolerance"),
    [
        ("lossy", "RGB", {"quality": 92}, 3.0),
        ("lossy-alpha", "RGBA", {"quality": 92}, 3.0),
        ("lossless", "RGBA", {"lossless": True}, 0.0),
    ],
)
def test_a_webp_decodes_as_pillow_decodes_it(tmp_path, name, mode, kw, tolerance) -> None:
    path = _save(tmp_path / f"{name}.webp", _picture().convert(mode), **kw)
    with Image.open(path) as reference:
        expected = _flat(reference)
    got = decode_webp(path)
    assert got.size == (160, 120) and got.mode == ("RGB" if mode == "RGB" else "RGBA")
    assert np.abs(_flat(got) - expected).mean() <= tolerance
    half = decode_webp(path, 0.5)
    assert half.size == (80, 60)
    shrunk = _flat(Image.fromarray(expected.astype(np.uint8)).reduce(2))
    assert np.abs(_flat(half) - shrunk).mean() < 4  # scaled on the way out, area-filtered


def test_an_animation_gives_its_first_frame(tmp_path) -> None:
    first, second = _picture(), Image.new("RGBA", (160, 120), (0, 0, 255, 255))
    path = tmp_path / "anim.webp"
    first.save(path, "WEBP", save_all=True, append_images=[second], duration=100, lossless=True)
    header = read_header(path)
    assert header.animated and header.size == (160, 120)
    with Image.open(path) as reference:
        assert reference.n_frames == 2
        expected = _flat(reference)  # frame 0
    assert np.array_equal(_flat(decode_webp(path, header=header)), expected)


def _u24(v: int) -> bytes:
    return v.to_bytes(3, "little")


def test_a_first_frame_smaller_than_its_canvas_is_drawn_where_it_sits(tmp_path) -> None:
    """Built by hand: a 100x50 frame at (20, 10) on a 400x300 canvas."""
    buf = io.BytesIO()
    Image.new("RGB", (100, 50), (10, 200, 30)).save(buf, "WEBP", lossless=True)
    frame = buf.getvalue()[12:]  # its VP8L chunk
    anmf = _u24(10) + _u24(5) + _u24(99) + _u24(49) + _u24(100) + b"\x00" + frame
    vp8x = bytes([0x12, 0, 0, 0]) + _u24(399) + _u24(299)
    body = (
        b"VP8X" + struct.pack("<I", 10) + vp8x
        + b"ANIM" + struct.pack("<I", 6) + bytes(6)
        + b"ANMF" + struct.pack("<I", len(anmf)) + anmf + bytes(len(anmf) & 1)
    )  # fmt: skip
    path = tmp_path / "offset.webp"
    path.write_bytes(b"RIFF" + struct.pack("<I", 4 + len(body)) + b"WEBP" + body)
    with Image.open(path) as reference:
        expected = _flat(reference)
    got = _flat(decode_webp(path))
    assert got.shape == (300, 400, 3) and np.array_equal(got, expected)
    assert tuple(got[30, 60]) == (10, 200, 30) and tuple(got[5, 5]) == (255, 255, 255)


def test_damaged_webp_files_raise_one_error(tmp_path) -> None:
    good = _save(tmp_path / "good.webp", _picture().convert("RGB")).read_bytes()
    cases = {
        "cut": good[: len(good) // 2],
        "not-riff": b"RIFX" + good[4:],
        "no-picture": b"RIFF" + struct.pack("<I", 12) + b"WEBPJUNK" + bytes(4),
        "bad-start-code": good[:23] + bytes(3) + good[26:],  # VP8's 9d 01 2a
    }
    for name, data in cases.items():
        path = tmp_path / f"{name}.webp"
        path.write_bytes(data)
        with pytest.raises(WebPError):
            decode_webp(path)


def test_load_picture_of_a_webp_is_upright_and_fitted(tmp_path) -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # stored turned a quarter: shown upright, it is portrait
    path = tmp_path / "turned.webp"
    _picture(160, 90).convert("RGB").save(path, "WEBP", exif=exif)
    loaded = load_picture(path, (45, 80), "cover", "t")
    assert loaded.shape == (80, 45, 3)  # stored 160x90 landscape, shown upright 90x160, fitted


def _modes() -> dict[str, Image.Image]:
    rng = np.random.default_rng(5)
    rgba = Image.fromarray(rng.integers(0, 256, (1037, 611, 4), dtype=np.uint8), "RGBA")
    palette = rgba.convert("RGB").quantize(64)
    palette.info["transparency"] = 3
    grey16 = Image.fromarray(rng.integers(0, 65536, (1037, 611), dtype=np.uint16))
    return {"RGBA": rgba, "P": palette, "I;16": grey16, "CMYK": rgba.convert("CMYK")}


@pytest.mark.parametrize("mode", ["RGBA", "P", "I;16", "CMYK"])
@pytest.mark.parametrize("factor", [1, 3, 7])
def test_reducing_in_bands_is_the_same_as_reducing_whole(mode, factor) -> None:
    im = _modes()[mode]
    assert im.mode == mode
    box = (13, 101, 600, 1030)
    whole = {
        "RGBA": lambda: im,
        "P": lambda: im.convert("RGBA"),
        "I;16": lambda: Image.fromarray((np.asarray(im) / np.float32(257.0)).astype(np.uint8)),
        "CMYK": lambda: im.convert("RGB"),
    }[mode]()
    expected = whole.reduce(factor, box) if factor > 1 else whole.crop(box)
    got = _reduce(im, box, factor)
    assert got.mode == expected.mode and got.size == expected.size
    diff = np.abs(np.asarray(got).astype(int) - np.asarray(expected).astype(int))
    assert diff.max() <= (1 if mode == "I;16" else 0)  # float rounding of the 16-bit scaling
