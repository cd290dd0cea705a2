"""Tool names (and a generic tool's op) become a short activity line."""

from __future__ import annotations

import pytest

from nemo_nb.conversation import activity_label


@pytest.mark.parametrize(
    ("name", "args", "label"),
    [
        ("generate_video", None, "Generating video…"),
        ("seedance_i2v", None, "Generating video…"),
        ("apply_motion", {"strength": 0.3}, "Applying motion…"),
        ("add_music", {"src": "builtin:lofi"}, "Adding music…"),
        ("audio_mix", None, "Adding music…"),
        ("edit_draft", None, "Editing the timeline…"),
        ("edit_multitrack", {"op": "duration"}, "Adjusting the format…"),
        ("edit_multitrack", {"op": "transition"}, "Adding transitions…"),
        ("edit_multitrack", {"op": "add_title", "txt": "Sale"}, "Adding text…"),
        ("edit_multitrack", {"op": "volume"}, "Adjusting the volume…"),
        ("edit_multitrack", {"op": "add_media"}, "Editing the timeline…"),
        ("create_timeline", {"effect": "jiggle"}, "Building the timeline…"),
        ("remove", {"target": "title"}, "Removing…"),
        ("undo", {}, "Undoing the last edit…"),
        ("mystery_tool", None, "Working…"),
        (None, None, "Working…"),
    ],
)
def test_activity_label(name: str | None, args: dict | None, label: str) -> None:
    assert activity_label(name, args) == label
