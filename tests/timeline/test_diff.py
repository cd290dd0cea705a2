"""diff(): one readable sentence per change between two drafts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from nemo_nb.timeline import Draft, diff

from .drafts import engine_draft, slideshow

Mutation = Callable[[dict[str, Any]], None]


def _video(d: dict[str, Any]) -> dict[str, Any]:
    return d["t"][0]["sg"][0]


def _set_fx(d: dict[str, Any], **fx: Any) -> None:
    _video(d)["m"]["fx"].update(fx)


def _no_fx(d: dict[str, Any]) -> None:
    _video(d)["m"].pop("fx")


def _everything_longer(d: dict[str, Any]) -> None:
    d["d"] = 15000
    _video(d)["d"] = 15000
    d["t"][1]["sg"][0]["d"] = 15000


def _add_second_photo(d: dict[str, Any]) -> None:
    d["t"][0]["sg"].append(
        {"id": "s9", "st": 6000, "d": 3000, "src": "https://cdn/beach.jpg", "n": "beach.jpg",
         "m": {"kind": "image", "fx": {"type": "sway", "strength": 0.5},
               "tr": {"type": "crossfade", "d": 500}}}
    )  # fmt: skip
    d["d"] = 9000


CASES: list[tuple[str, Mutation, list[str]]] = [
    ("strength", lambda d: _set_fx(d, strength=0.4), ["Effect strength on portrait.jpg 60% → 40%"]),
    ("speed", lambda d: _set_fx(d, speed=1.5), ["Effect speed on portrait.jpg 1× → 1.5×"]),
    ("loops", lambda d: _set_fx(d, loops=3), ["Motion loops on portrait.jpg 2 → 3"]),
    (
        "effect type",
        lambda d: _set_fx(d, type="bounce"),
        ["Effect on portrait.jpg jiggle → bounce"],
    ),
    ("effect removed", _no_fx, ["Removed the jiggle effect from portrait.jpg"]),
    ("music volume", lambda d: d["t"][1]["sg"][0]["m"].update(vol=0.2), ["Music volume 35% → 20%"]),
    (
        "music swapped",
        lambda d: d["t"][1]["sg"][0].update(src="builtin:calm", n="Calm"),
        ["Changed the music from Lo-fi to Calm"],
    ),
    (
        "music fade",
        lambda d: d["t"][1]["sg"][0]["m"].update(fade_out=2000),
        ["The music Lo-fi fade-out 1s → 2s"],
    ),
    ("music removed", lambda d: d["t"].pop(1), ["Removed the music Lo-fi"]),
    ("title text", lambda d: d["t"][2]["sg"][0].update(txt="Sale"), ["Title changed to 'Sale'"]),
    (
        "title position",
        lambda d: d["t"][2]["sg"][0]["m"].update(pos="bottom"),
        ["The title 'Urban Dreams' position top → bottom"],
    ),
    ("title removed", lambda d: d["t"].pop(2), ["Removed the title 'Urban Dreams'"]),
    (
        "aspect",
        lambda d: d["m"].update(aspect="1:1", width=1080, height=1080),
        ["Aspect 9:16 → 1:1"],
    ),
    ("project title", lambda d: d["m"].update(title="Hello"), ["Project title 'Jiggle' → 'Hello'"]),
    # A segment that spans the whole timeline before and after only repeats "Duration".
    ("duration", _everything_longer, ["Duration 6s → 15s"]),
    (
        "timing",
        lambda d: d["t"][2]["sg"][0].update(st=1000),
        ["Timing of the title 'Urban Dreams' 0-3s → 1-4s"],
    ),
    (
        "fit",
        lambda d: _video(d)["m"].update(fit="contain"),
        ["Fit of portrait.jpg cover → contain"],
    ),
    (
        "second photo",
        _add_second_photo,
        [
            "Duration 6s → 9s",
            "Added beach.jpg (6-9s) with a sway effect",
            "Added a crossfade transition before beach.jpg",
        ],
    ),
    (
        "unknown key",
        lambda d: _video(d).update(lut="warm"),
        ["Set lut on portrait.jpg to warm"],
    ),
    (
        "known key without its own sentence",
        lambda d: _video(d)["m"].update(anchor=[0.5, 0.5]),
        ["Changed anchor on portrait.jpg: [0.5, 0.92] → [0.5, 0.5]"],
    ),
]


@pytest.mark.parametrize(("name", "mutate", "expected"), CASES, ids=[c[0] for c in CASES])
def test_each_kind_of_change_is_one_sentence(
    name: str, mutate: Mutation, expected: list[str]
) -> None:
    before = engine_draft()
    after = engine_draft()
    mutate(after)
    assert diff(before, after) == expected


def test_an_added_effect_names_the_segment_and_its_span() -> None:
    before = engine_draft()
    _no_fx(before)
    assert diff(before, engine_draft()) == ["Added a jiggle effect to portrait.jpg (0-6s)"]


def test_an_added_title() -> None:
    before = engine_draft()
    after = engine_draft()
    after["t"][2]["sg"][0]["txt"] = "Sale"
    before["t"].pop(2)
    assert diff(before, after) == ["Added the title 'Sale' (0-3s)"]


def test_transitions_added_changed_and_removed() -> None:
    before = slideshow(3)
    after = slideshow(3)
    after["t"][0]["sg"][1]["m"]["tr"] = {"type": "slide", "d": 300}
    after["t"][0]["sg"][2]["m"].pop("tr")
    assert diff(before, after) == [
        "Transition before photo_01.jpg crossfade → slide",
        "Removed the crossfade transition before photo_02.jpg",
    ]
    assert diff(after, before)[1] == "Added a crossfade transition before photo_02.jpg"


def test_segments_are_matched_by_id_so_a_removed_middle_photo_is_reported_once() -> None:
    before = slideshow(3)
    after = slideshow(3)
    after["t"][0]["sg"].pop(1)
    after["t"][0]["sg"][1]["st"] = 1000
    assert diff(before, after) == [
        "Removed photo_01.jpg (1-2s)",
        "Timing of photo_02.jpg 2-3s → 1-2s",
    ]


def test_segments_without_ids_are_matched_by_source() -> None:
    before = slideshow(3)
    after = slideshow(3)
    for d in (before, after):
        for track in d["t"]:
            for seg in track["sg"]:
                seg.pop("id")
    photos = after["t"][0]["sg"]
    photos[0]["st"], photos[2]["st"] = photos[2]["st"], photos[0]["st"]
    photos.reverse()
    changes = diff(before, after)
    # The same three photos in another order: moved, not removed and re-added.
    assert not [c for c in changes if c.startswith(("Removed photo", "Added photo"))]
    assert "Timing of photo_00.jpg 0-1s → 2-3s" in changes


def test_before_none_reports_everything_added() -> None:
    assert diff(None, engine_draft()) == [
        "Added portrait.jpg (0-6s) with a jiggle effect",
        "Added music Lo-fi (0-6s, 35%)",
        "Added the title 'Urban Dreams' (0-3s)",
    ]


def test_after_none_reports_everything_removed() -> None:
    assert diff(engine_draft(), None) == [
        "Removed portrait.jpg (0-6s)",
        "Removed the music Lo-fi",
        "Removed the title 'Urban Dreams'",
    ]


def test_no_change_gives_no_sentence_and_accepts_every_draft_form() -> None:
    draft = Draft.from_json(engine_draft())
    assert diff(engine_draft(), engine_draft()) == []
    assert diff(draft, engine_draft()) == []
    assert diff(None, None) == []
    assert diff(None, {}) == []


def test_unknown_track_types_are_diffed_generically() -> None:
    before = engine_draft()
    before["t"].append(
        {
            "id": "fx",
            "tt": 9,
            "n": "Stickers",
            "sg": [{"id": "k", "st": 0, "d": 500, "sticker": "star"}],
        }
    )
    after = engine_draft()
    after["t"].append(
        {
            "id": "fx",
            "tt": 9,
            "n": "Stickers",
            "sg": [{"id": "k", "st": 0, "d": 500, "sticker": "heart"}],
        }
    )
    assert diff(before, after) == ["Changed sticker on k on Stickers: star → heart"]


def test_reordered_tracks() -> None:
    after = engine_draft()
    after["t"].reverse()
    assert diff(engine_draft(), after) == ["Reordered the tracks"]
