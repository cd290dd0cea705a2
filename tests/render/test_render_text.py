"""Titles: placement, fallback fonts for CJK, and the clear error when no font has the glyphs."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest
from matplotlib import font_manager
from render_helpers import decode_frames, draft, image_segment

from nemo_nb.render import RenderInputError, render_draft
from nemo_nb.render._draft import TextSegment
from nemo_nb.render._text import choose_font, installed_fonts, rasterise

HELLO = "你好"


def _build_cjk_font(path: Path) -> Path:
    """A real TrueType font whose only glyphs are 你 and 好 (filled squares)."""
    from fontTools.fontBuilder import FontBuilder
    from fontTools.pens.ttGlyphPen import TTGlyphPen

    def square():
        pen = TTGlyphPen(None)
        pen.moveTo((100, 0))
        pen.lineTo((100, 700))
        pen.lineTo((900, 700))
        pen.lineTo((900, 0))
        pen.closePath()
        return pen.glyph()

    names = [".notdef", "space", "uni4F60", "uni597D"]
    builder = FontBuilder(1000, isTTF=True)
    builder.setupGlyphOrder(names)
    builder.setupCharacterMap({32: "space", 0x4F60: "uni4F60", 0x597D: "uni597D"})
    builder.setupGlyf(
        {
            ".notdef": TTGlyphPen(None).glyph(),
            "space": TTGlyphPen(None).glyph(),
            "uni4F60": square(),
            "uni597D": square(),
        }
    )
    builder.setupHorizontalMetrics({n: (1000, 0) for n in names})
    builder.setupHorizontalHeader(ascent=800, descent=-200)
    builder.setupNameTable({"familyName": "Nemo Test CJK", "styleName": "Regular"})
    builder.setupOS2()
    builder.setupPost()
    builder.save(path)
    return path


def _matplotlib_bundled_fonts() -> list[str]:
    """What a fresh machine with no system CJK font has: matplotlib's own fonts (DejaVu, ...)."""
    bundled = Path(font_manager.__file__).parent / "mpl-data" / "fonts" / "ttf"
    return sorted(str(p) for p in bundled.glob("*.ttf"))


@pytest.fixture
def no_cjk_fonts(monkeypatch):
    """Pretend only matplotlib's bundled fonts are installed (whatever this machine has)."""
    monkeypatch.setattr("nemo_nb.render._text.installed_fonts", _matplotlib_bundled_fonts)


@pytest.fixture
def cjk_font(tmp_path, monkeypatch):
    """A fresh machine plus one CJK-capable font."""
    path = str(_build_cjk_font(tmp_path / "nemo-test-cjk.ttf"))
    monkeypatch.setattr(
        "nemo_nb.render._text.installed_fonts", lambda: [*_matplotlib_bundled_fonts(), path]
    )
    return path


def _title(text: str, pos: str = "top") -> dict:
    return {
        "id": "title1",
        "st": 0,
        "d": 500,
        "txt": text,
        "m": {"pos": pos, "color": "#ffffff", "size": 0.1},
    }


def test_cjk_without_any_font_is_a_clear_error_not_boxes(media, tmp_path, no_cjk_fonts):
    src = media.picture("grey.png", np.full((64, 36, 3), 60, np.uint8))
    out = tmp_path / "cjk.mp4"
    with pytest.raises(RenderInputError) as info:
        render_draft(
            draft(500, [image_segment(src, 500)], text=[_title(HELLO)]), out, resolve=media.resolve
        )
    message = str(info.value)
    assert (
        "title1" in message
        and HELLO[0] in message
        and "fonts-noto-cjk" in message
        and "addfont" in message
    )
    assert not out.exists()


def test_cjk_falls_back_to_an_installed_font_that_has_the_glyphs(media, tmp_path, cjk_font):
    path, text = choose_font(HELLO, bold=True, where="t")
    assert path == cjk_font and text == HELLO
    src = media.picture("grey.png", np.full((320, 180, 3), 60, np.uint8))
    out = tmp_path / "cjk.mp4"
    render_draft(
        draft(500, [image_segment(src, 500)], text=[_title(HELLO)]), out, resolve=media.resolve
    )
    (frame,) = decode_frames(out, [5])
    top = frame[: frame.shape[0] // 4]
    # the test font draws each character as a filled square: two big white blocks
    assert (top.min(axis=2) > 200).sum() > 0.3 * 2 * (0.1 * 320 * 0.7) ** 2


def test_a_font_added_to_matplotlib_is_found(tmp_path):
    path = str(_build_cjk_font(tmp_path / "added.ttf"))
    font_manager.fontManager.addfont(path)
    try:
        assert path in installed_fonts()
    finally:
        font_manager.fontManager.ttflist[:] = [
            f for f in font_manager.fontManager.ttflist if f.fname != path
        ]


@pytest.mark.slow
def test_cjk_with_this_machines_fonts_renders_or_says_how_to_fix_it():
    seg = TextSegment("segment 'x'", 0, 1, "こんにちは 你好 안녕")
    try:
        sprite = rasterise(seg, 360, 640)
    except RenderInputError as exc:
        assert "fonts-noto-cjk" in str(exc)
    else:
        assert (sprite.alpha > 0.9).sum() > 500


def test_latin_title_uses_dejavu_bold_and_captions_the_regular_face():
    assert choose_font("Urban Dreams", bold=True, where="t")[0].endswith("DejaVuSans-Bold.ttf")
    assert choose_font("caption", bold=False, where="t")[0].endswith("DejaVuSans.ttf")


def test_emoji_without_a_font_are_dropped_with_a_warning(caplog, no_cjk_fonts):
    emoji = "Party \U0001f389"
    with caplog.at_level(logging.WARNING, logger="nemo_nb.render"):
        _, text = choose_font(emoji, bold=True, where="t")
    assert text.strip() == "Party" and "leaving them out" in caplog.text


@pytest.mark.parametrize(
    "pos,band", [("top", (0.0, 0.3)), ("center", (0.35, 0.65)), ("bottom", (0.7, 1.0))]
)
def test_long_text_wraps_inside_the_frame_at_its_position(pos, band):
    seg = TextSegment(
        "seg", 0, 1, "The quick brown fox jumps over the lazy dog", pos=pos, size=0.07
    )
    sprite = rasterise(seg, 360, 640)
    h, w = sprite.alpha.shape[:2]
    assert sprite.x >= 0 and sprite.x + w <= 360 and w <= 360
    assert h > 2 * 0.07 * 640  # wrapped onto several lines rather than shrunk to nothing
    centre = (sprite.y + h / 2) / 640
    assert band[0] <= centre <= band[1]
    assert sprite.alpha.max() > 0.99 and sprite.luma[sprite.alpha > 0.99].max() > 230  # white
