"""Titles and text overlays: rasterised once with Pillow, alpha-blended per frame.

The font is DejaVu Sans (shipped with matplotlib; bold for titles at the top or centre). Text
DejaVu cannot draw falls back to any installed font whose character map covers it (matplotlib's
font list, including fonts added with ``matplotlib.font_manager.fontManager.addfont``, plus
``fc-list``). CJK with no such font is an error, never a row of boxes; other missing symbols
(emoji) are dropped with a warning.
"""

from __future__ import annotations

import functools
import logging
import math
import shutil
import subprocess
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from . import _yuv as yuv
from ._draft import TextSegment
from ._errors import RenderInputError

log = logging.getLogger("nemo_nb.render")
FADE_SECONDS = 0.3
_CJK_PREFIXES = (
    "CJK",
    "HIRAGANA",
    "KATAKANA",
    "HANGUL",
    "BOPOMOFO",
    "IDEOGRAPHIC",
    "FULLWIDTH",
    "HALFWIDTH",
)


def is_cjk(char: str) -> bool:
    """True for Chinese, Japanese and Korean characters (and their full-width forms)."""
    return unicodedata.name(char, "").startswith(_CJK_PREFIXES)


@functools.lru_cache(maxsize=256)
def _font_chars(path: str) -> frozenset[int]:
    """Code points a font file maps to glyphs (first face of a collection); empty if unreadable."""
    try:
        from fontTools.ttLib import TTFont

        with TTFont(path, fontNumber=0, lazy=True) as font:
            return frozenset((font.getBestCmap() or {}).keys())
    except Exception:
        return frozenset()


@functools.lru_cache(maxsize=1)
def _fc_list_fonts() -> tuple[str, ...]:
    if not shutil.which("fc-list"):
        return ()
    try:
        out = subprocess.run(
            ["fc-list", "--format", "%{file}\n"], capture_output=True, text=True, timeout=10
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return ()
    return tuple(sorted({line.strip() for line in out.splitlines() if line.strip()}))


def _is_placeholder_font(path: str) -> bool:
    """Fonts that map every character to a "missing glyph" box (matplotlib ships LastResort)."""
    return "lastresort" in Path(path).name.lower().replace("-", "").replace("_", "")


def _default_font(bold: bool) -> str:
    from matplotlib import font_manager

    return font_manager.findfont(
        font_manager.FontProperties(family="DejaVu Sans", weight="bold" if bold else "normal")
    )


def installed_fonts() -> list[str]:
    """Font files worth trying, matplotlib's list first (it sees ``addfont``), then fontconfig's."""
    from matplotlib import font_manager

    seen: dict[str, None] = {}
    for entry in font_manager.fontManager.ttflist:
        seen.setdefault(entry.fname, None)
    for path in _fc_list_fonts():
        if path.lower().endswith((".ttf", ".otf", ".ttc", ".otc")):
            seen.setdefault(path, None)
    return list(seen)


def choose_font(text: str, bold: bool, where: str) -> tuple[str, str]:
    """(font file, text to draw) for ``text``; raises if CJK characters have no font."""
    primary = _default_font(bold)
    needed = {ord(c) for c in text if not c.isspace() and unicodedata.category(c)[0] != "C"}
    missing = needed - _font_chars(primary)
    if not missing:
        return primary, text
    candidates = [
        p for p in installed_fonts() if not _is_placeholder_font(p) and missing <= _font_chars(p)
    ]
    if candidates:
        # the bold face when asked and one exists, else the first (regular) one
        weighted = sorted(candidates, key=lambda p: ("bold" in p.lower()) != bold)
        return weighted[0], text
    cjk = sorted({chr(c) for c in missing if is_cjk(chr(c))})
    if cjk:
        raise RenderInputError(
            f"The {where} text needs a font with the characters {''.join(cjk[:12])!r}, and no installed "
            "font has them; install one (for example `apt-get install fonts-noto-cjk`, or call "
            "matplotlib.font_manager.fontManager.addfont('/path/to/NotoSansCJK-Regular.ttc'))."
        )
    # Symbols such as emoji: draw what we can rather than boxes.
    log.warning(
        "%s: no installed font has %r; leaving them out",
        where,
        "".join(sorted(chr(c) for c in missing)),
    )
    kept = "".join(c for c in text if ord(c) not in missing)
    return primary, kept


def _wrap(
    draw: ImageDraw.ImageDraw, text: str, font: ImageFont.FreeTypeFont, max_width: float
) -> list[str]:
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        # words where there are spaces, single characters for CJK runs
        tokens: list[str] = []
        for word in paragraph.split(" "):
            if any(is_cjk(c) for c in word):
                tokens.extend(word)
            else:
                tokens.append(word)
        line = ""
        for token in tokens:
            joiner = "" if not line or (is_cjk(token[:1] or " ") or is_cjk(line[-1])) else " "
            trial = line + joiner + token
            if line and draw.textlength(trial, font=font) > max_width:
                lines.append(line)
                line = token
            else:
                line = trial
        lines.append(line)
    return lines


@dataclass(frozen=True)
class TextSprite:
    """A rasterised text segment as I420 planes plus coverage, placed at even (x, y) in the frame."""

    luma: np.ndarray  # (h, w) float32
    chroma: tuple[np.ndarray, np.ndarray]  # U, V: (h/2, w/2) float32
    alpha: np.ndarray  # (h, w) float32 in 0..1
    alpha_chroma: np.ndarray  # (h/2, w/2): the coverage of each 2x2 block
    x: int
    y: int
    start: float
    end: float
    fade: float  # seconds of fade in and out (0: none)

    def opacity(self, t: float) -> float:
        if not self.start <= t < self.end:
            return 0.0
        if self.fade <= 0:
            return 1.0
        return float(min(1.0, (t - self.start) / self.fade, (self.end - t) / self.fade))

    def draw(self, frame: np.ndarray, t: float) -> None:
        """Blend the text into an I420 ``frame`` (in place) at time ``t``."""
        opacity = self.opacity(t)
        if opacity <= 0:
            return
        y_plane, u_plane, v_plane = yuv.planes(frame)
        h, w = self.alpha.shape
        x, y = self.x, self.y
        layers = (
            (y_plane[y : y + h, x : x + w], self.luma, self.alpha),
            (
                u_plane[y // 2 : (y + h) // 2, x // 2 : (x + w) // 2],
                self.chroma[0],
                self.alpha_chroma,
            ),
            (
                v_plane[y // 2 : (y + h) // 2, x // 2 : (x + w) // 2],
                self.chroma[1],
                self.alpha_chroma,
            ),
        )
        for region, colour, alpha in layers:
            a = alpha if opacity >= 1 else alpha * opacity
            region[:] = (region + a * (colour - region) + 0.5).astype(np.uint8)


def rasterise(seg: TextSegment, width: int, height: int) -> TextSprite:
    """Lay out and draw ``seg`` once: wrapped to 90 % of the width, outlined and shadowed."""
    bold = seg.pos in ("top", "center")
    font_path, text = choose_font(seg.text, bold, seg.label)
    # m.size is the height of a line of text (ascent + descent), as a fraction of the frame
    ascent, descent = ImageFont.truetype(font_path, 100).getmetrics()
    font_px = max(8, round(seg.size * height * 100 / (ascent + descent)))
    probe = ImageDraw.Draw(Image.new("L", (1, 1)))
    max_width = 0.9 * width
    while True:
        font = ImageFont.truetype(font_path, font_px)
        lines = _wrap(probe, text, font, max_width)
        widest = max(probe.textlength(line, font=font) for line in lines)
        if widest <= max_width or font_px <= 8:
            break
        font_px = max(8, int(font_px * max_width / widest))  # one word wider than the frame
    block = "\n".join(lines)
    stroke = max(1, round(font_px * 0.06))
    spacing = round(font_px * 0.2)
    left, top, right, bottom = probe.multiline_textbbox(
        (0, 0), block, font=font, spacing=spacing, align="center", stroke_width=stroke
    )
    shadow_offset = max(1, round(font_px * 0.05))
    pad = stroke + 3 * shadow_offset
    left, top, right, bottom = (
        math.floor(left),
        math.floor(top),
        math.ceil(right),
        math.ceil(bottom),
    )
    box_w, box_h = right - left + 2 * pad, bottom - top + 2 * pad
    origin = (pad - left, pad - top)

    shadow = Image.new("L", (box_w, box_h), 0)
    ImageDraw.Draw(shadow).multiline_text(
        (origin[0] + shadow_offset, origin[1] + shadow_offset),
        block,
        font=font,
        fill=150,
        spacing=spacing,
        align="center",
        stroke_width=stroke,
    )
    shadow = shadow.filter(ImageFilter.GaussianBlur(shadow_offset))
    luminance = 0.299 * seg.color[0] + 0.587 * seg.color[1] + 0.114 * seg.color[2]
    outline = (0, 0, 0) if luminance > 100 else (255, 255, 255)
    body = Image.new("RGBA", (box_w, box_h), (*outline, 0))
    ImageDraw.Draw(body).multiline_text(
        origin,
        block,
        font=font,
        fill=(*seg.color, 255),
        spacing=spacing,
        align="center",
        stroke_width=stroke,
        stroke_fill=(*outline, 255),
    )
    # shadow under the body: alpha "over" composite
    body_rgba = np.asarray(body, dtype=np.float32) / 255
    shadow_a = np.asarray(shadow, dtype=np.float32)[..., None] / 255
    body_a = body_rgba[..., 3:4]
    alpha = body_a + shadow_a * (1 - body_a)
    color = body_rgba[..., :3] * body_a / np.maximum(alpha, 1e-6) * 255  # shadow colour is black

    x = round((width - box_w) / 2)
    y = {
        "top": round(0.07 * height) - pad,
        "center": round((height - box_h) / 2),
        "bottom": round(0.9 * height) - box_h + pad,
    }[seg.pos]
    # even position and size, as the chroma planes are half size: an odd side gets a clear row or
    # column first, so the text lands where it was laid out (a preview is the export scaled down)
    grow = ((y % 2, 0), (x % 2, 0), (0, 0))
    color, alpha = np.pad(color, grow), np.pad(alpha, grow)
    x, y = x - x % 2, y - y % 2
    box_h, box_w = alpha.shape[:2]
    x0, y0 = max(0, x), max(0, y)
    x1, y1 = min(width, x + box_w), min(height, y + box_h)
    x1, y1 = x1 - (x1 - x0) % 2, y1 - (y1 - y0) % 2
    color = color[y0 - y : y1 - y, x0 - x : x1 - x]
    alpha = np.ascontiguousarray(alpha[y0 - y : y1 - y, x0 - x : x1 - x, 0], dtype=np.float32)
    i420 = yuv.to_i420(np.clip(color + 0.5, 0, 255).astype(np.uint8))
    luma, u, v = (plane.astype(np.float32) for plane in yuv.planes(i420))
    h, w = alpha.shape
    alpha_chroma = alpha.reshape(h // 2, 2, w // 2, 2).mean(axis=(1, 3))
    fade = min(FADE_SECONDS, seg.duration / 2) if seg.anim == "fade" else 0.0
    return TextSprite(
        luma, (u, v), alpha, alpha_chroma, x0, y0, seg.start, seg.start + seg.duration, fade
    )
