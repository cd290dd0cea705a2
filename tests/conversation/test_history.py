"""History: every turn recorded, persisted per session, reloaded after a restart."""

from __future__ import annotations

import copy
import json
from pathlib import Path

from nemo_nb.conversation import Conversation

from .fakes import ENGINE_DRAFT, FakeClient, SetDraft, result, text, tool


async def test_turns_are_recorded_persisted_and_reloaded(tmp_path: Path) -> None:
    subtler = copy.deepcopy(ENGINE_DRAFT)
    subtler["t"][0]["sg"][0]["m"]["fx"]["strength"] = 0.4
    client = FakeClient(credits=100, turn_cost=3)
    client.scripts += [
        [
            tool("apply_motion"),
            SetDraft(ENGINE_DRAFT),
            result("apply_motion"),
            text("Done! Click Export."),
        ],
        [tool("edit_draft"), SetDraft(subtler), result("edit_draft")],
    ]
    conv = Conversation(client, data_dir=tmp_path)
    async for _ in conv.send("make this photo jiggle"):
        pass
    async for _ in conv.send("make it subtler"):
        pass
    async for _ in conv.send("credits"):
        pass

    frame = conv.history_frame()
    assert len(frame) == 3
    assert frame["prompt"].tolist() == ["make this photo jiggle", "make it subtler", "credits"]
    assert frame["action"].tolist() == ["agent", "agent", "credits"]
    assert frame.loc[0, "reply"] == 'Done! Say "export" or `await conv.export()`.'
    assert frame.loc[0, "tool_calls"] == "apply_motion"
    assert frame.loc[1, "changes"] == "Effect strength on portrait.jpg 60% → 40%"
    assert frame.loc[1, "draft_before"] == ENGINE_DRAFT and frame.loc[1, "draft_after"] == subtler
    # An agent turn reads no balance (two requests a turn only for this record): unknown here.
    assert frame["credits_used"].isna().all() and client.credits_calls == 1
    assert frame.loc[2, "reply"] == "You have 94 credits available."
    assert (frame["duration_s"] >= 0).all()
    assert frame.loc[1, "summary_after"].startswith("Timeline (2 tracks): 1. Video: portrait.jpg")

    # Persisted as JSON lines; a new kernel reloads the session's history.
    lines = (tmp_path / "history" / "sess-1.jsonl").read_text().splitlines()
    assert [json.loads(line)["prompt"] for line in lines] == [
        "make this photo jiggle", "make it subtler", "credits"
    ]  # fmt: skip
    again = Conversation(client, data_dir=tmp_path, session_id="sess-1")
    assert again.history_frame()["prompt"].tolist() == frame["prompt"].tolist()
    assert again.history_frame().loc[1, "changes"] == frame.loc[1, "changes"]


async def test_a_damaged_history_line_is_skipped(tmp_path: Path) -> None:
    folder = tmp_path / "history"
    folder.mkdir()
    good = {
        "session_id": "s",
        "prompt": "hi",
        "action": "agent",
        "started_at": "2026-01-01T00:00:00+00:00",
    }
    (folder / "s.jsonl").write_text(json.dumps(good) + "\n{not json\n")
    conv = Conversation(FakeClient(), data_dir=tmp_path, session_id="s")
    assert conv.history_frame()["prompt"].tolist() == ["hi"]
