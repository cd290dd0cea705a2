"""The skill presets carry what their seed files say."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from nemo_nb.skills import DEFAULT_SKILL, SKILLS, get_skill

#: The five seed skill files, verbatim (tests/data/seeds/README.md).
SEEDS = Path(__file__).parent / "data" / "seeds"


def _seed_text(name: str) -> str:
    return (SEEDS / f"{name}.txt").read_text(encoding="utf-8")


def test_every_seed_file_has_its_preset():
    assert {p.stem for p in SEEDS.glob("*.txt")} == set(SKILLS)


def test_there_are_exactly_the_five_seed_skills():
    assert set(SKILLS) == {
        "image-to-video-jiggle",
        "ai-animations",
        "image-to-video-ai-jiggle",
        "ai-animation-photo",
        "create-image-to-video-ai",
    }


@pytest.mark.parametrize("name", sorted(SKILLS))
def test_suggested_prompts_and_timings_come_from_the_seed(name):
    seed = _seed_text(name)
    skill = SKILLS[name]
    # Every quoted example prompt in the seed that is a whole request must be offered.
    quick_edit = re.search(r'Upload → "([^"]+)"', seed).group(1)
    assert quick_edit in skill.suggested_prompts
    for prompt in skill.suggested_prompts:
        assert prompt in seed, f"{prompt!r} is not in the {name} seed"
    assert skill.processing_time in seed
    assert skill.tips[0].split(" ")[1] in seed  # the seed's own tip comes first


def test_get_skill_by_name_default_and_unknown():
    assert get_skill() is DEFAULT_SKILL
    assert get_skill("ai-animations").name == "ai-animations"
    with pytest.raises(ValueError, match="Unknown skill 'nope'; choose one of"):
        get_skill("nope")
