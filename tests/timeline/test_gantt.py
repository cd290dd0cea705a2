"""gantt(): one lane per track, bars where the segments are, readable from 1 to 40 segments."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from nemo_nb.timeline import Draft

from .drafts import ENGINE_DRAFT, slideshow

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "timeline"


def _bars(fig: Figure, prefix: str = "segment:") -> dict[str, Rectangle]:
    ax = fig.axes[0]
    return {
        p.get_gid(): p
        for p in ax.patches
        if isinstance(p, Rectangle) and (p.get_gid() or "").startswith(prefix)
    }


def _save(fig: Figure, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / name
    fig.savefig(path, dpi=100)
    return path


def test_one_lane_per_track_and_bars_match_segment_times() -> None:
    draft = Draft.from_json(ENGINE_DRAFT)
    fig = draft.gantt()
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["1. Video", "2. BGM", "3. Title"]
    bars = _bars(fig)
    assert set(bars) == {"segment:1:1", "segment:2:1", "segment:3:1"}
    for track, seg in draft.segments:
        bar = bars[f"segment:{track.index}:{seg.index}"]
        assert bar.get_x() == pytest.approx(seg.start_ms / 1000)
        assert bar.get_width() == pytest.approx(seg.duration_ms / 1000)
        assert bar.get_y() + bar.get_height() / 2 == pytest.approx(track.index - 1)  # its lane
    # Coloured by type: three types, three colours.
    assert len({tuple(b.get_facecolor()) for b in bars.values()}) == 3
    assert ax.get_xlabel() == "time (s)"
    assert ax.get_xlim()[1] >= 6.0
    labels = [t.get_text() for t in ax.texts]
    assert "portrait.jpg · jiggle" in labels and '"Urban Dreams"' in labels
    _save(fig, "engine-example.png")


def test_forty_segments_stay_readable() -> None:
    draft = Draft.from_json(slideshow(38, seconds_each=0.5))  # 38 photos + music + title = 40
    assert len(draft.segments) == 40
    fig = draft.gantt()
    bars = _bars(fig)
    assert len(bars) == 40
    transitions = _bars(fig, "transition:")
    assert len(transitions) == 37  # every photo after the first fades in
    ax = fig.axes[0]
    # Labels never overflow their bar: each shown label fits within its bar's width on screen.
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    overflowing = []
    for text in ax.texts:
        if not text.get_text():
            continue
        box = text.get_window_extent(renderer)
        x = text.get_position()[0]
        bar = min(bars.values(), key=lambda b: abs(b.get_x() + b.get_width() / 2 - x))
        bar_box = bar.get_window_extent(renderer)
        if box.width > bar_box.width + 1:
            overflowing.append(text.get_text())
    assert not overflowing
    # Figure stays a sensible size (lanes, not segments, set its height).
    width, height = fig.get_size_inches()
    assert width == 10 and height < 4
    _save(fig, "forty-segments.png")


def test_single_segment_and_empty_drafts() -> None:
    one = Draft.from_json({"d": 3000, "t": [{"tt": 0, "sg": [{"st": 0, "d": 3000, "n": "a.jpg"}]}]})
    fig = one.gantt()
    assert len(_bars(fig)) == 1
    assert [t.get_text() for t in fig.axes[0].texts] == ["a.jpg"]
    _save(fig, "one-segment.png")
    empty = Draft.from_json({}).gantt()
    assert _bars(empty) == {}
    assert "empty timeline" in [t.get_text() for t in empty.axes[0].texts]


def test_no_pyplot_state_and_png_repr() -> None:
    before = set(sys.modules)
    draft = Draft.from_json(ENGINE_DRAFT)
    first, second = draft.gantt(), draft.gantt()
    assert first is not second and first.axes[0] is not second.axes[0]
    assert len(first.axes) == len(second.axes) == 1
    if "matplotlib.pyplot" not in before:
        assert "matplotlib.pyplot" not in sys.modules
    png = first._repr_png_()
    assert png.startswith(b"\x89PNG")
