"""Composed effects (``m.fx`` a list) in the summary, table, Gantt and diff."""

from __future__ import annotations

import copy
from typing import Any

from nemo_nb.timeline import Draft, diff

from .drafts import ENGINE_DRAFT
from .test_gantt import _save


def _composed() -> dict[str, Any]:
    d = copy.deepcopy(ENGINE_DRAFT)
    d["t"][0]["sg"][0]["m"]["fx"] = [
        {"type": "jiggle", "strength": 0.5, "speed": 1.0, "loops": 2},
        {"type": "bounce", "strength": 0.5, "speed": 1.0, "loops": 4},
    ]
    return d


def test_summary_table_and_gantt_name_every_composed_effect() -> None:
    draft = Draft.from_json(_composed())
    assert "portrait.jpg (0-6s, jiggle+bounce)" in draft.summary()
    video = draft.to_dataframe().iloc[0]
    assert video["effect"] == "jiggle+bounce" and video["strength %"] == 50.0
    fig = draft.gantt()
    assert "portrait.jpg · jiggle+bounce" in [t.get_text() for t in fig.axes[0].texts]
    _save(fig, "composed-effects.png")


def test_diff_speaks_of_the_one_composed_effect_that_changed() -> None:
    before = _composed()
    after = copy.deepcopy(before)
    after["t"][0]["sg"][0]["m"]["fx"][1]["strength"] = 0.35  # "less bounce"
    assert diff(before, after) == ["Effect strength on portrait.jpg (bounce) 50% → 35%"]
    single = copy.deepcopy(ENGINE_DRAFT)
    assert diff(single, before) == ["Effect on portrait.jpg jiggle → jiggle+bounce"] + [
        "Effect strength on portrait.jpg (jiggle) 60% → 50%"
    ]


def test_diff_says_once_what_changed_alike_on_every_composed_effect() -> None:
    before = _composed()
    after = copy.deepcopy(before)
    for fx in after["t"][0]["sg"][0]["m"]["fx"]:  # "make it subtler" lowers both
        fx["strength"] = 0.35
    assert diff(before, after) == ["Effect strength on portrait.jpg 50% → 35%"]
