"""The largest picture the pixel budget accepts (40 MP) in every format that used to cost more
than its budget to decode, uploaded to a real engine process and exported at 1080x1920: the
engine's peak memory (VmHWM) stays under 600 MB. A 36 MP WebP used to peak at 658 MB (Pillow's
WebP decoder holds four copies), a 16-bit PNG or an RGBA one needed a second full-size copy."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from engine_harness import Api, png_bytes
from harness import EngineProcess
from PIL import Image, ImageDraw

from nemo_nb._mediatype import MAX_IMAGE_PIXELS

MEMORY_LIMIT_MB = 600
W, H = 8000, 5000
assert W * H == MAX_IMAGE_PIXELS


def _photo() -> Image.Image:
    y, x = np.mgrid[0:H:8, 0:W:8]
    small = np.stack([x * 255 // W, y * 255 // H, (x + y) * 255 // (W + H)], -1).astype(np.uint8)
    im = Image.fromarray(small).resize((W, H), Image.Resampling.BILINEAR)
    draw = ImageDraw.Draw(im)
    for i in range(40):
        draw.ellipse(
            (i * 190, i * 110, i * 190 + 900, i * 110 + 900), fill=(250 - i * 5, 80, i * 6)
        )
    return im


def _with_alpha(im: Image.Image) -> Image.Image:
    rgba = np.asarray(im.convert("RGBA")).copy()
    rgba[: H // 3, :, 3] = 0
    return Image.fromarray(rgba, "RGBA")


def _palette(im: Image.Image) -> Image.Image:
    p = Image.fromarray((np.asarray(im)[:, :, 0] // 4).astype(np.uint8), "P")
    p.putpalette([v for i in range(64) for v in (i * 4, 255 - i * 4, 128)])
    p.info["transparency"] = 0
    return p


CASES = {
    "webp": lambda im, path: im.save(path, "WEBP", quality=80, method=0),
    "webp-alpha": lambda im, path: _with_alpha(im).save(path, "WEBP", quality=80, method=0),
    "webp-animated": lambda im, path: im.save(
        path,
        "WEBP",
        save_all=True,
        append_images=[im.transpose(Image.Transpose.FLIP_LEFT_RIGHT)],
        duration=100,
        quality=80,
        method=0,
    ),  # fmt: skip
    "gif": lambda im, path: _palette(im).save(path, "GIF"),
    "png-rgba": lambda im, path: _with_alpha(im).save(path, "PNG", compress_level=1),
    "png-16-bit": lambda im, path: Image.fromarray(
        np.asarray(im)[:, :, 1].astype(np.uint16) * 257
    ).save(path, "PNG", compress_level=1),
}
_EXT = {"webp": "webp", "gif": "gif", "png": "png"}
_peaks: dict[str, float] = {}


@pytest.fixture(scope="module")
def pictures(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("budget")
    photo = _photo()
    made = {}
    for name, save in CASES.items():
        path = root / f"{name}.{_EXT[name.split('-')[0]]}"
        save(photo, path)
        made[name] = path
    small = root / "small.jpg"
    small.write_bytes(png_bytes(1200, 1600, fmt="JPEG"))
    made["baseline: a 2 MP JPEG"] = small
    return made


def _export_peak(tmp_path: Path, picture: Path) -> float:
    """Upload ``picture`` to a fresh engine, export one second at 1080x1920, return VmHWM."""
    engine = EngineProcess(tmp_path / "data")  # the real renderer
    try:
        api = Api(engine.url)
        sid = api.new_session()
        r = api.upload(sid, (picture.name, picture.read_bytes()))
        assert r.status_code == 200, r.text
        info = r.json()["data"]["files"][0]
        assert (info["width"], info["height"]) in ((W, H), (1200, 1600))
        draft = {"d": 1000, "m": {"width": 1080, "height": 1920, "fps": 30, "aspect": "9:16"},
                 "t": [{"id": "v", "tt": 0, "sg": [{"id": "s", "st": 0, "d": 1000,
                        "src": info["cdn_url"], "m": {"fx": {"type": "jiggle"}}}]}]}  # fmt: skip
        assert api.render(draft, sid, job_id="big").status_code == 200
        job = api.wait_job("big", timeout=300)
        assert job["status"] == "completed", job
        return engine.peak_rss_mb()
    finally:
        engine.stop()


@pytest.mark.slow
@pytest.mark.parametrize("name", [*CASES, "baseline: a 2 MP JPEG"])
def test_the_largest_picture_decodes_within_the_budget(
    tmp_path: Path, pictures: dict[str, Path], name: str
) -> None:
    peak = _export_peak(tmp_path, pictures[name])
    _peaks[name] = peak
    print(f"\n{name}: engine peak {peak:.0f} MB for upload and a 1080x1920 export "
          f"(limit {MEMORY_LIMIT_MB} MB)")  # fmt: skip
    assert peak < MEMORY_LIMIT_MB
