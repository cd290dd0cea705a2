"""The decoded-pixel budget (nemo_nb._mediatype): pictures too small to animate or too big to
decode safely are refused at upload, from their header, with one sentence; the renderer refuses
the same files if a draft names them anyway."""

from __future__ import annotations

import time
from pathlib import Path

import _standins
import pytest
from engine_harness import Api, RunningEngine, jpeg_declaring, png_bytes, png_declaring

from nemo_nb._mediatype import MAX_IMAGE_PIXELS, MAX_JPEG_PIXELS, MIN_IMAGE_SIDE


@pytest.mark.parametrize(("w", "h"), [(1, 1), (1, 5), (5, 1), (1, 400), (400, 1), (15, 300)])
def test_too_small_to_animate_is_refused_at_upload(api: Api, engine: RunningEngine, w, h) -> None:
    sid = api.new_session()
    r = api.upload(sid, ("dot.png", png_bytes(w, h)))
    body = r.json()
    assert r.status_code == 415 and body["code"] == 4001
    assert body["message"] == (
        f"“dot.png” is {w}x{h} pixels, too small to animate: it needs at least "
        f"{MIN_IMAGE_SIDE} pixels on each side."
    )
    assert api.state(sid)["video_infos"] == []
    assert not list(engine.engine.store.media_dir.iterdir())


def test_smallest_allowed_picture_uploads_and_renders(api: Api) -> None:
    sid = api.new_session()
    r = api.upload(sid, ("icon.png", png_bytes(MIN_IMAGE_SIDE, MIN_IMAGE_SIDE)))
    assert r.status_code == 200, r.text


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "content", "pixels"),
    [
        ("bomb.png", lambda: png_declaring(12000, 12000), MAX_IMAGE_PIXELS),
        ("bomb-rgba.png", lambda: png_declaring(9400, 9400, color_type=6), MAX_IMAGE_PIXELS),
        ("huge.jpg", lambda: jpeg_declaring(12000, 11000), MAX_JPEG_PIXELS),
    ],
)
def test_small_file_huge_image_is_refused_before_decoding(
    api: Api, engine: RunningEngine, name, content, pixels
) -> None:
    data = content()
    assert len(data) < 1_000_000
    sid = api.new_session()
    t0 = time.perf_counter()
    r = api.upload(sid, (name, data))
    took = time.perf_counter() - t0
    body = r.json()
    assert r.status_code == 415 and body["code"] == 4001
    assert f"more than the {pixels // 1_000_000} megapixels" in body["message"]
    assert body["message"].startswith(f"“{name}” is ") and body["message"].endswith("safely.")
    assert took < 2.0, f"the engine decoded the picture ({took:.1f} s)"  # decoding takes seconds
    assert not list(engine.engine.store.media_dir.iterdir())


@pytest.mark.slow
def test_big_but_allowed_png_is_checked_without_decoding(api: Api) -> None:
    sid = api.new_session()
    ok = api.upload(sid, ("wide.png", png_declaring(6000, 4000)))  # 24 MP, under the budget
    assert ok.status_code == 200, ok.text
    assert ok.json()["data"]["files"][0]["width"] == 6000
    cut = png_declaring(6000, 4000)[:-200]  # the IDAT's tail and IEND gone
    r = api.upload(sid, ("cut.png", cut))
    assert r.json()["code"] == 4001 and "could not be decoded" in r.json()["message"]


@pytest.mark.slow
def test_renderer_refuses_what_upload_refuses(tmp_path: Path) -> None:
    from nemo_nb.render import RenderInputError, render_draft

    for name, data in [("thin.png", png_bytes(1, 40)), ("bomb.png", png_declaring(12000, 12000))]:
        path = tmp_path / name
        path.write_bytes(data)
        draft = _standins.draft_for([type("M", (), {"url": str(path), "name": name})], 0.5)
        draft["t"][0]["sg"][0]["m"] = {"fx": {"type": "jiggle"}}
        t0 = time.perf_counter()
        with pytest.raises(RenderInputError) as err:
            render_draft(draft, tmp_path / "out.mp4", resolve=Path)
        assert name in str(err.value) and "pixels" in str(err.value)
        assert time.perf_counter() - t0 < 2.0
        assert not (tmp_path / "out.mp4").exists()
