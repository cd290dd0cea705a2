"""Conversation turns against a scripted stand-in client: streaming, notices, summaries, errors."""

from __future__ import annotations

import asyncio
import copy
from pathlib import Path
from typing import Any

import pytest

from nemo_nb.api import (
    CreditsError,
    NemoConnectionError,
    SessionNotFoundError,
    StreamInterruptedError,
)
from nemo_nb.conversation import NOTHING_CHANGED, STILL_WORKING, Conversation, Update
from nemo_nb.timeline import Draft

from .fakes import (
    ENGINE_DRAFT,
    HEARTBEAT,
    Advance,
    FakeClient,
    SetDraft,
    result,
    text,
    tool,
)


def subtler() -> dict[str, Any]:
    draft = copy.deepcopy(ENGINE_DRAFT)
    draft["t"][0]["sg"][0]["m"]["fx"]["strength"] = 0.4
    return draft


def make(client: FakeClient, tmp_path: Path, **kw: Any) -> Conversation:
    sleeps: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        sleeps.append(seconds)

    conv = Conversation(client, data_dir=tmp_path, clock=client.clock, sleep=fake_sleep, **kw)
    conv.sleeps = sleeps  # type: ignore[attr-defined]
    return conv


async def collect(conv: Conversation, message: str) -> list[Update]:
    return [u async for u in conv.send(message)]


def kinds(updates: list[Update]) -> list[str]:
    return [u.kind for u in updates]


async def test_reply_streams_chunk_by_chunk_then_is_translated(tmp_path: Path) -> None:
    client = FakeClient()
    client.scripts.append(
        [
            tool("apply_motion", effect="jiggle"),
            SetDraft(ENGINE_DRAFT),
            result("apply_motion", ENGINE_DRAFT),
            text("Done! Preview it in the Timeline, "),
            text("then click Export."),
        ]
    )
    conv = make(client, tmp_path)
    updates: list[Update] = []
    async for update in conv.send(
        "make this photo jiggle and bounce like a looping animated video"
    ):
        if update.kind == "text" and update.data.get("delta") and updates[-1].kind != "text":
            # The first chunk arrives while the agent is still talking: the second is not sent yet.
            assert client.emitted == 3
        updates.append(update)
    # Each piece arrives translated, once: nothing is shown raw and replaced afterwards.
    assert kinds(updates) == ["activity", "text", "text", "actions", "state", "draft"]
    assert updates[0].text == "Applying motion…"
    assert [u.text for u in updates[1:3]] == [
        "Done! See the timeline summary, ",
        'then say "export" or `await conv.export()`.',
    ]
    assert "".join(u.data["raw"] for u in updates[1:3]) == (
        "Done! Preview it in the Timeline, then click Export."
    )
    assert updates[3].data["actions"] == ["show_timeline", "export"]
    assert updates[3].text == "Show timeline · Export"
    assert updates[4].text == Draft.from_json(ENGINE_DRAFT).summary()
    assert updates[5].data["draft"] == Draft.from_json(ENGINE_DRAFT)
    assert "Added portrait.jpg (0-6s) with a jiggle effect" in updates[5].data["changes"]
    assert conv.draft == Draft.from_json(ENGINE_DRAFT)
    assert client.sent == [
        ("sess-1", "make this photo jiggle and bounce like a looping animated video")
    ]


async def test_still_working_after_every_two_minutes_of_heartbeats_only(tmp_path: Path) -> None:
    client = FakeClient(ENGINE_DRAFT)
    client.scripts.append(
        [*[step for _ in range(9) for step in (Advance(30), HEARTBEAT)],  # 270 s of heartbeats
         text("Halfway there."),
         *[step for _ in range(3) for step in (Advance(30), HEARTBEAT)],  # 90 s: no notice
         text(" Done.")]
    )  # fmt: skip
    conv = make(client, tmp_path)
    updates = await collect(conv, "make it jiggle")
    notices = [u for u in updates if u.kind == "notice"]
    assert [n.text for n in notices] == [STILL_WORKING, STILL_WORKING]
    assert [n.data["waited_s"] for n in notices] == [120, 240]
    # Notices come before the text that ended the quiet stretch.
    assert kinds(updates)[:3] == ["notice", "notice", "text"]


async def test_heartbeat_threshold_is_injectable(tmp_path: Path) -> None:
    client = FakeClient(ENGINE_DRAFT)
    client.scripts.append([Advance(5), HEARTBEAT, Advance(5), HEARTBEAT, text("ok")])
    conv = make(client, tmp_path, heartbeat_notice_after=10)
    updates = await collect(conv, "make it jiggle")
    assert [u.text for u in updates if u.kind == "notice"] == [STILL_WORKING]


async def test_silent_turn_summarises_what_changed(tmp_path: Path) -> None:
    client = FakeClient(ENGINE_DRAFT)
    client.scripts.append(
        [tool("edit_draft"), SetDraft(subtler()), result("edit_draft", subtler())]
    )
    conv = make(client, tmp_path)
    updates = await collect(conv, "make it subtler")
    assert kinds(updates) == ["activity", "summary", "draft"]
    assert updates[0].text == "Editing the timeline…"
    assert updates[1].text == "Effect strength on portrait.jpg 60% → 40%"
    assert updates[1].data["changes"] == ["Effect strength on portrait.jpg 60% → 40%"]
    assert updates[2].data["draft"] == Draft.from_json(subtler())


async def test_silent_turn_summary_is_in_the_prompts_language(tmp_path: Path) -> None:
    client = FakeClient(ENGINE_DRAFT)
    client.scripts.append(
        [tool("edit_draft"), SetDraft(subtler()), result("edit_draft", subtler())]
    )
    conv = make(client, tmp_path)
    updates = await collect(conv, "动作轻一点")
    summary = next(u for u in updates if u.kind == "summary")
    assert "portrait.jpg" in summary.text and "60% → 40%" in summary.text
    assert any("\u4e00" <= ch <= "\u9fff" for ch in summary.text), summary.text
    assert "Effect strength" not in summary.text


async def test_silent_turn_without_change_says_so(tmp_path: Path) -> None:
    client = FakeClient(ENGINE_DRAFT)
    client.scripts.append([tool("edit_draft"), result("edit_draft")])
    updates = await collect(make(client, tmp_path), "make it pop")
    assert kinds(updates) == ["activity", "summary"]
    assert updates[1].text == NOTHING_CHANGED and updates[1].data["changes"] == []


async def test_credits_error_gives_the_bind_link(tmp_path: Path) -> None:
    client = FakeClient(ENGINE_DRAFT)
    client.scripts.append([CreditsError(anonymous=True, anonymous_user_id="anon_test", code=2001)])
    updates = await collect(make(client, tmp_path), "make it jiggle")
    assert kinds(updates) == ["error"]
    assert "https://nemovideo.com/register?bind=anon_test" in updates[0].text
    assert updates[0].data["bind_url"] == "https://nemovideo.com/register?bind=anon_test"


async def test_credits_error_event_in_the_stream_keeps_the_text_and_gives_the_link(
    tmp_path: Path,
) -> None:
    from nemo_nb.api import ChatEvent

    client = FakeClient(ENGINE_DRAFT)
    client.scripts.append(
        [text("Working on it"), ChatEvent("error", text="insufficient credits", code=2001)]
    )
    updates = await collect(make(client, tmp_path), "make it jiggle")
    assert kinds(updates) == ["text", "text", "error"]  # the words so far, then the error
    assert "".join(u.text for u in updates[:2]) == "Working on it"
    assert "register?bind=anon_test" in updates[2].text


async def test_agent_error_event_is_one_sentence_with_a_next_step(tmp_path: Path) -> None:
    from nemo_nb.api import ChatEvent

    client = FakeClient(ENGINE_DRAFT)
    client.scripts.append([ChatEvent("error", text="model overloaded", code="E503")])
    updates = await collect(make(client, tmp_path), "make it jiggle")
    assert kinds(updates) == ["error"]
    assert updates[0].text == (
        "The agent stopped with an error: model overloaded. Anything already shown stays; "
        "try again, or rephrase the request."
    )


async def test_connection_error_before_streaming_says_what_to_do(tmp_path: Path) -> None:
    client = FakeClient(ENGINE_DRAFT)
    client.scripts.append([NemoConnectionError()])
    updates = await collect(make(client, tmp_path), "make it jiggle")
    assert kinds(updates) == ["error"]
    assert "check the connection and try again" in updates[0].text


async def test_dropped_stream_that_landed_is_confirmed_within_the_turn(tmp_path: Path) -> None:
    client = FakeClient(ENGINE_DRAFT)
    client.scripts.append([tool("edit_draft"), StreamInterruptedError()])
    # read 1 is the state before the message; the edit shows up at the first check (read 2)
    client.state_hook = lambda call: setattr(client, "draft", subtler()) if call == 2 else None
    conv = make(client, tmp_path)
    updates = await collect(conv, "make it subtler")
    assert len(client.sent) == 1  # never resent
    assert conv.sleeps == [1.0]  # type: ignore[attr-defined]
    assert kinds(updates) == ["activity", "notice", "notice", "summary", "draft"]
    assert "not sent again" in updates[1].text
    assert updates[2].text == "The edit landed (checked after 1 s)."
    assert updates[3].text == "Effect strength on portrait.jpg 60% → 40%"


async def test_dropped_stream_ends_the_turn_in_seconds_and_reports_the_edit_later(
    tmp_path: Path,
) -> None:
    client = FakeClient(ENGINE_DRAFT)
    client.scripts.append([tool("edit_draft"), StreamInterruptedError()])
    # The server applies the edit late: reads 2 and 3 (1 s and 2 s in the turn) see nothing,
    # read 4 (30 s later, in the background) sees it.
    client.state_hook = lambda call: setattr(client, "draft", subtler()) if call == 4 else None
    conv = make(client, tmp_path)
    late: list[Update] = []
    conv.on_late_update = late.append
    updates = await collect(conv, "make it subtler")
    assert kinds(updates) == ["activity", "notice", "notice"]
    assert "keep checking for about 5 minutes" in updates[2].text
    assert sum(conv.sleeps) == 3  # type: ignore[attr-defined]  # the turn took ~3 s
    await conv.wait_late_updates()
    assert conv.sleeps == [1.0, 2.0, 30.0]  # type: ignore[attr-defined]
    assert kinds(late) == ["notice", "draft"]
    assert late[0].text == (
        "Your earlier edit landed after all (checked after 33 s): "
        "Effect strength on portrait.jpg 60% → 40%."
    )
    assert late[1].data["draft"] == Draft.from_json(subtler()) == conv.draft
    assert len(client.sent) == 1
    # delivered through the callback, so the next message does not repeat it
    client.scripts.append([text("Done.")])
    assert kinds(await collect(conv, "thanks")) == ["text"]


async def test_without_a_callback_the_late_outcome_opens_the_next_send(tmp_path: Path) -> None:
    client = FakeClient(ENGINE_DRAFT)
    client.scripts.append([StreamInterruptedError()])
    conv = make(client, tmp_path)
    updates = await collect(conv, "make it subtler")
    assert kinds(updates) == ["notice", "notice"]
    await conv.wait_late_updates()
    assert sum(conv.sleeps) == 3 + 300  # type: ignore[attr-defined]
    following = await collect(conv, "credits")
    assert kinds(following) == ["error", "credits"]
    assert following[0].text.startswith("The timeline has not changed after 5 minutes")
    assert 'say "status"' in following[0].text.lower()
    assert kinds(await collect(conv, "credits")) == ["credits"]  # said once


async def test_a_new_message_stops_a_check_still_running(tmp_path: Path) -> None:
    client = FakeClient(ENGINE_DRAFT)
    client.scripts.append([StreamInterruptedError()])
    gate = asyncio.Event()

    async def slow_sleep(seconds: float) -> None:
        if seconds >= 30:
            await gate.wait()  # the background check waits "30 s"

    conv = Conversation(client, data_dir=tmp_path, clock=client.clock, sleep=slow_sleep)
    await collect(conv, "make it subtler")
    client.scripts.append([SetDraft(subtler()), result("edit_draft", subtler())])
    updates = await collect(conv, "make it subtler")
    assert kinds(updates) == ["notice", "summary", "draft"]
    assert "stopped waiting" in updates[0].text
    await conv.wait_late_updates()  # cancelled: returns at once, delivers nothing
    assert kinds(await collect(conv, "status")) == ["state"]  # nothing late comes after


async def test_poll_intervals_are_injectable(tmp_path: Path) -> None:
    client = FakeClient(ENGINE_DRAFT)
    client.scripts.append([StreamInterruptedError()])
    conv = make(client, tmp_path, drop_checks=(0.5,), poll_intervals=(1, 2))
    await collect(conv, "make it subtler")
    await conv.wait_late_updates()
    assert conv.sleeps == [0.5, 1, 2]  # type: ignore[attr-defined]


async def test_an_agent_turn_reads_no_credits(tmp_path: Path) -> None:
    # Reads that would only feed the history record cost two extra requests per turn.
    client = FakeClient(ENGINE_DRAFT)
    client.scripts.append([SetDraft(subtler()), text("Done.")])
    await collect(make(client, tmp_path), "make it subtler")
    assert client.credits_calls == 0 and client.state_calls == 2  # before and after


async def test_reply_text_is_what_the_user_saw(tmp_path: Path) -> None:
    client = FakeClient(ENGINE_DRAFT, credits=42)
    conv = make(client, tmp_path)
    assert (await conv.ask("credits")).text == "You have 42 credits available."
    await conv.start()
    assert (await conv.ask("status")).text == Draft.from_json(ENGINE_DRAFT).summary()
    client.scripts.append([SetDraft(subtler()), result("edit_draft", subtler())])
    assert (await conv.ask("make it subtler")).text == "Effect strength on portrait.jpg 60% → 40%"
    client.scripts.append([text("Done! "), text("Say export.")])
    assert (await conv.ask("thanks")).text == "Done! Say export."


async def test_lost_session_starts_a_new_one_and_does_not_resend(tmp_path: Path) -> None:
    client = FakeClient(ENGINE_DRAFT)
    conv = make(client, tmp_path)
    await conv.start()
    client.lost_sessions.add("sess-1")
    updates = await collect(conv, "make it subtler")
    assert kinds(updates) == ["error"]
    assert conv.session_id == "sess-2" and client.sessions == ["sess-1", "sess-2"]
    assert "timeline starts fresh" in updates[0].text and "not sent again" in updates[0].text
    assert updates[0].data["session_id"] == "sess-2"
    assert client.sent == []  # the message was never sent to either session


async def test_lost_session_during_chat_is_not_resent(tmp_path: Path) -> None:
    client = FakeClient(ENGINE_DRAFT)
    client.scripts.append([SessionNotFoundError(code=1002)])
    conv = make(client, tmp_path)
    updates = await collect(conv, "make it subtler")
    assert kinds(updates) == ["error"] and conv.session_id == "sess-2"
    assert len(client.sent) == 1


async def test_local_commands_do_not_talk_to_the_agent(tmp_path: Path) -> None:
    client = FakeClient(ENGINE_DRAFT, credits=42)
    conv = make(client, tmp_path)
    credits = await collect(conv, "how many credits do I have?")
    assert kinds(credits) == ["credits"] and credits[0].text == "You have 42 credits available."
    await conv.start()
    state = await collect(conv, "状态")
    assert kinds(state) == ["state"] and state[0].text == Draft.from_json(ENGINE_DRAFT).summary()
    upload = await collect(conv, "upload")
    assert kinds(upload) == ["upload"] and "await conv.upload" in upload[0].text
    assert client.sent == []


async def test_state_before_anything_was_made(tmp_path: Path) -> None:
    conv = make(FakeClient(), tmp_path)
    await conv.start()
    updates = await collect(conv, "show tracks")
    assert updates[0].text.startswith("Nothing on the timeline yet")


async def test_a_file_path_message_uploads_it(tmp_path: Path) -> None:
    photo = tmp_path / "cat.jpg"
    photo.write_bytes(b"\xff\xd8\xff\xe0")
    client = FakeClient()
    conv = make(client, tmp_path)
    updates = await collect(conv, str(photo))
    assert kinds(updates) == ["upload"]
    assert updates[0].text.startswith("Uploaded 1 file: cat.jpg (image, 512x600)")
    assert client.uploads == [("sess-1", (str(photo),))]


async def test_upload_method_returns_a_summary(tmp_path: Path) -> None:
    client = FakeClient()
    conv = make(client, tmp_path)
    update = await conv.upload("a.jpg", "b.png")
    assert update.kind == "upload" and len(update.data["files"]) == 2
    assert update.text.startswith("Uploaded 2 files: a.jpg (image, 512x600); b.png")
    assert update.text.endswith("what to make of them.")


def test_skill_and_suggested_prompts(tmp_path: Path) -> None:
    conv = make(FakeClient(), tmp_path)
    assert conv.skill.name == "image-to-video-jiggle"  # the client's skill by default
    assert (
        conv.suggested_prompts[0]
        == "make this photo jiggle and bounce like a looping animated video"
    )
    other = make(FakeClient(), tmp_path, skill="create-image-to-video-ai")
    assert (
        "turn these images into a smooth 15-second video with transitions"
        in other.suggested_prompts
    )
    with pytest.raises(ValueError, match="Unknown skill"):
        make(FakeClient(), tmp_path, skill="nope")


async def test_a_missing_file_is_named_and_not_uploaded(tmp_path: Path) -> None:
    client = FakeClient()
    updates = await collect(make(client, tmp_path), str(tmp_path / "nope.jpg"))
    assert kinds(updates) == ["upload"]
    assert updates[0].text.startswith(f"I can't find {tmp_path / 'nope.jpg'} — check the path.")
    assert client.uploads == []


async def test_a_garbled_piece_of_the_reply_is_said_not_hidden(tmp_path: Path) -> None:
    from nemo_nb.api import ChatEvent

    client = FakeClient(ENGINE_DRAFT)
    garbled = ChatEvent("error", text="A piece arrived garbled.", code="malformed")
    client.scripts.append([text("Done! "), garbled, text("Say export.")])
    updates = await collect(make(client, tmp_path), "make it jiggle")
    assert kinds(updates) == ["text", "notice", "text", "actions"]  # actions: the export button
    assert "arrived garbled and could not be shown" in updates[1].text
    assert "".join(u.text for u in updates if u.kind == "text") == "Done! Say export."
