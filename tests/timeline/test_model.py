"""Parsing drafts, the one-line summary and the table."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from nemo_nb.timeline import COLUMNS, Draft, DraftError

from .drafts import ENGINE_DRAFT, SEED_DRAFT, SEED_SUMMARY, engine_draft, slideshow


def test_seed_example_summary_reads_exactly_like_the_seed() -> None:
    assert Draft.from_json(SEED_DRAFT).summary() == SEED_SUMMARY


def test_engine_summary_adds_the_effect_of_video_segments() -> None:
    assert Draft.from_json(ENGINE_DRAFT).summary() == (
        "Timeline (3 tracks): 1. Video: portrait.jpg (0-6s, jiggle) 2. BGM: Lo-fi (0-6s, 35%) "
        '3. Title: "Urban Dreams" (0-3s)'
    )


def test_summary_lists_every_segment_of_a_track() -> None:
    summary = Draft.from_json(slideshow(3, seconds_each=2.5)).summary()
    assert summary.startswith(
        "Timeline (3 tracks): 1. Video: photo_00.jpg (0-2.5s, kenburns), "
        "photo_01.jpg (2.5-5s, kenburns), photo_02.jpg (5-7.5s, kenburns) 2. BGM:"
    )


def test_summary_of_empty_and_one_track_drafts() -> None:
    assert Draft.from_json({}).summary() == "Timeline (0 tracks): empty"
    one = {"t": [{"tt": 0, "sg": []}]}
    assert Draft.from_json(one).summary() == "Timeline (1 track): 1. Video: empty"


def test_from_json_accepts_a_json_string_and_round_trips() -> None:
    text = json.dumps(ENGINE_DRAFT)
    draft = Draft.from_json(text)
    assert draft == Draft.from_json(ENGINE_DRAFT)
    assert draft.to_json() == ENGINE_DRAFT
    assert draft.to_json() is not ENGINE_DRAFT


def test_properties_read_the_metadata() -> None:
    draft = Draft.from_json(ENGINE_DRAFT)
    assert (draft.title, draft.aspect, draft.size, draft.duration_ms) == (
        "Jiggle", "9:16", (1080, 1920), 6000
    )  # fmt: skip
    assert draft.exportable
    # Aspect derived from the size when the draft does not say it.
    assert Draft.from_json({"m": {"width": 1080, "height": 1080}}).aspect == "1:1"
    assert not Draft.from_json({"t": [{"tt": 0, "sg": []}]}).exportable


def test_duration_defaults_to_the_last_segment_end() -> None:
    draft = Draft.from_json({"t": [{"tt": 0, "sg": [{"st": 1000, "d": 2500}]}]})
    assert draft.duration_ms == 3500


def test_segment_without_start_follows_the_previous_one() -> None:
    draft = Draft.from_json({"t": [{"tt": 0, "sg": [{"d": 2000}, {"d": 1000}]}]})
    assert [s.start_ms for s in draft.tracks[0].segments] == [0, 2000]


@pytest.mark.parametrize(
    ("draft", "message"),
    [
        (
            {"t": [{"tt": 0, "sg": []}, {"tt": 0, "sg": [{"st": 0, "d": "abc"}]}]},
            'track 2 segment 1: "d" must be a number of milliseconds, got "abc"',
        ),
        (
            {"t": [{"tt": 0, "sg": [{"st": 0, "d": 10}, {"st": [1], "d": 10}]}]},
            'track 1 segment 2: "st" must be a number of milliseconds, got [1]',
        ),
        (
            {"t": [{"tt": 1, "sg": [{"st": -5, "d": 10}]}]},
            'track 1 segment 1: "st" must not be negative',
        ),
        ({"t": {"tt": 0}}, 'draft: "t" must be a list of tracks, got {"tt": 0}'),
        ({"t": [{"tt": 0, "sg": 5}]}, 'track 1: "sg" must be a list of segments, got 5'),
        ({"t": ["video"]}, 'track 1 must be an object, got "video"'),
        ({"t": [{"sg": [7]}]}, "track 1 segment 1 must be an object, got 7"),
        ({"d": True}, '"d" must be a number of milliseconds, got true'),
        ("[1, 2", "draft is not valid JSON"),
        ([1, 2], "draft must be a JSON object"),
    ],
)
def test_malformed_drafts_name_the_bad_field(draft: object, message: str) -> None:
    with pytest.raises(DraftError) as info:
        Draft.from_json(draft)  # type: ignore[arg-type]
    assert message in str(info.value)


def test_numeric_strings_are_read_as_numbers() -> None:
    draft = Draft.from_json({"t": [{"tt": 0, "sg": [{"st": "500", "d": "1500"}]}]})
    assert draft.tracks[0].segments[0].end_ms == 2000


def test_unknown_keys_and_track_types_are_kept_and_shown() -> None:
    data = engine_draft()
    data["t"][0]["sg"][0]["cloudThing"] = {"a": 1}
    data["t"][0]["sg"][0]["m"]["lut"] = "warm"
    data["t"].append({"tt": 12, "n": "Stickers", "sg": [{"st": 0, "d": 1000, "sticker": "star"}]})
    data["canvas"] = {"bg": "#000"}
    draft = Draft.from_json(data)
    assert draft.extra == {"canvas": {"bg": "#000"}}
    assert draft.tracks[3].kind == "other" and draft.tracks[3].type_label == "type 12"
    assert draft.summary().endswith("4. Stickers: segment 1 (0-1s)")
    frame = draft.to_dataframe()
    assert frame.loc[0, "other"] == "cloudThing={'a': 1}; m.lut=warm"
    assert frame.loc[3, "track type"] == "type 12"
    assert frame.loc[3, "other"] == "sticker=star"


def test_dataframe_has_one_row_per_segment_with_seconds_and_percentages() -> None:
    frame = Draft.from_json(slideshow(4)).to_dataframe()
    assert list(frame.columns) == COLUMNS
    assert len(frame) == 4 + 1 + 1
    photos = frame[frame["track type"] == "video"]
    assert photos["start s"].tolist() == [0.0, 1.0, 2.0, 3.0]
    assert photos["end s"].tolist() == [1.0, 2.0, 3.0, 4.0]
    assert photos["duration s"].tolist() == [1.0] * 4
    assert photos["effect"].tolist() == ["kenburns"] * 4
    assert photos["strength %"].tolist() == [50.0] * 4
    # The first segment's transition is ignored (there is nothing to blend from).
    assert photos["transition"].fillna("").tolist() == ["", "crossfade", "crossfade", "crossfade"]
    music = frame[frame["track type"] == "audio"].iloc[0]
    assert (music["name / text"], music["volume %"], music["source"]) == (
        "Upbeat",
        50.0,
        "builtin:upbeat",
    )
    assert frame[frame["track type"] == "text"].iloc[0]["name / text"] == "Summer 2026"
    assert pd.api.types.is_float_dtype(frame["volume %"])


def test_styled_view_and_html_repr() -> None:
    draft = Draft.from_json(ENGINE_DRAFT)
    html = draft.styled().to_html()
    assert "portrait.jpg" in html and "Urban Dreams" in html
    assert "#4C72B0" in html  # the video colour marks the video row
    assert "Jiggle · 6 s · 9:16 · 1080x1920" in html  # caption
    # seconds and percentages as people read them (not 6.000000 and 0.600000)
    assert re.findall(r">([^<>]*)</td>", html)[4:9] == ["0", "6", "6", "jiggle", "60%"]
    page = draft._repr_html_()
    assert page.startswith("<p><code>Timeline (3 tracks)")
    assert "&quot;Urban Dreams&quot;" in page
    assert Draft.from_json({})._repr_html_() == "<p><code>Timeline (0 tracks): empty</code></p>"


def test_html_repr_without_jinja2_falls_back_to_a_plain_table(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import nemo_nb.timeline._frame as frame_module

    def no_jinja(_draft: Draft) -> None:
        raise ImportError("Missing optional dependency 'Jinja2'")

    monkeypatch.setattr(frame_module, "styled", no_jinja)
    page = Draft.from_json(ENGINE_DRAFT)._repr_html_()
    assert "<table" in page and "portrait.jpg" in page
