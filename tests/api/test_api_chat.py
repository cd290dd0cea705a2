"""The chat stream over real loopback SSE: every frame form, heartbeats, de-duplication of partial
chunks, errors, a dropped stream (never resent), and the wire-level details (CRLF, multi-line)."""

from __future__ import annotations

import json

import pytest
from fake_cloud import Cut, Pause, Raw, adk

from nemo_nb.api import (
    NemoClient,
    NemoConnectionError,
    SessionNotFoundError,
    StreamInterruptedError,
)


async def run_turn(client, fake, script, text="make it jiggle"):
    fake.chat_script = script
    session = await client.create_session()
    events = [e async for e in client.chat(session.session_id, text)]
    return session, events


def kinds(events):
    return [e.kind for e in events]


def text_of(events):
    return "".join(e.text for e in events if e.kind == "text")


async def test_adk_turn_gives_typed_events(client, fake):
    draft = {"t": [{"tt": 0, "sg": [{"id": "s1"}]}]}
    script = [
        adk([{"functionCall": {"id": "c1", "name": "apply_motion", "args": {"effect": "jiggle"}}}]),
        adk(
            [
                {
                    "functionResponse": {
                        "id": "c1",
                        "name": "apply_motion",
                        "response": {"status": "ok"},
                    }
                }
            ],
            role="user",
            state_delta={"draft": draft},
        ),
        adk([{"text": "Done! Preview it in the Timeline, then click Export."}]),
    ]
    session, events = await run_turn(client, fake, script)
    assert kinds(events) == ["tool_call", "tool_result", "text"]
    call, result, text = events
    assert (call.name, call.args) == ("apply_motion", {"effect": "jiggle"})
    assert result.name == "apply_motion" and result.response == {"status": "ok"}
    assert result.state_delta == {"draft": draft}
    assert text.text == "Done! Preview it in the Timeline, then click Export."
    # the request is ADK's RunAgentRequest, sent once
    assert fake.chat_bodies == [
        {
            "app_name": "nemo_agent",
            "user_id": "me",
            "session_id": session.session_id,
            "new_message": {"parts": [{"text": "make it jiggle"}]},
        }
    ]
    accept = fake.calls("POST", "/run_sse")[0].headers["accept"]
    assert "text/event-stream" in accept


async def test_empty_state_delta_is_none(client, fake):
    script = [
        adk(
            [{"functionResponse": {"id": "c1", "name": "look", "response": {"ok": True}}}],
            role="user",
        )
    ]
    _, events = await run_turn(client, fake, script)
    assert kinds(events) == ["tool_result"]
    assert events[0].state_delta is None


async def test_simplified_type_frames(client, fake):
    script = [
        {"type": "tool_call", "name": "generate_video_with_seedance", "args": {"prompt": "sunset"}},
        {"type": "heartbeat"},
        {"type": "tool_result", "name": "generate_video_with_seedance", "result": {"ok": 1},
         "state_delta": {"draft": {"t": []}}},
        {"type": "text", "content": "Your video is ready!"},
    ]  # fmt: skip
    _, events = await run_turn(client, fake, script)
    assert kinds(events) == ["tool_call", "heartbeat", "tool_result", "text"]
    assert events[0].args == {"prompt": "sunset"}
    assert events[2].response == {"ok": 1} and events[2].state_delta == {"draft": {"t": []}}
    assert events[3].text == "Your video is ready!"


async def test_three_heartbeat_forms(client, fake):
    script = [
        Raw(": ping\n\n"),
        Pause(),
        Raw("data:\n\n"),
        Pause(),
        {"type": "heartbeat"},
        adk([{"text": "ok"}]),
    ]
    _, events = await run_turn(client, fake, script)
    assert kinds(events) == ["heartbeat", "heartbeat", "heartbeat", "text"]


async def test_partial_chunks_then_aggregate_show_each_character_once(client, fake):
    script = [
        adk([{"text": "Hel"}], partial=True),
        Pause(),
        adk([{"text": "lo, wor"}], partial=True),
        adk([{"text": "ld"}], partial=True),
        adk([{"text": "Hello, world!"}]),  # the aggregate repeats everything, adds "!"
        adk([{"functionCall": {"id": "c", "name": "edit", "args": {}}}], partial=True),
        adk([{"functionCall": {"id": "c", "name": "edit", "args": {}}}]),
        adk([{"text": "Second "}], partial=True),
        adk([{"text": "Second reply."}]),
    ]
    _, events = await run_turn(client, fake, script)
    assert text_of(events) == "Hello, world!Second reply."
    assert [e.text for e in events if e.kind == "text"] == [
        "Hel",
        "lo, wor",
        "ld",
        "!",
        "Second ",
        "reply.",
    ]
    assert kinds(events).count("tool_call") == 1  # the partial call chunk is not doubled


async def test_thoughts_and_user_echo_are_skipped(client, fake):
    script = [
        adk([{"text": "make it jiggle"}], role="user", author="user"),
        adk([{"text": "planning the edit...", "thought": True}, {"text": "On it."}]),
    ]
    _, events = await run_turn(client, fake, script)
    assert [(e.kind, e.text) for e in events] == [("text", "On it.")]


async def test_error_frame_after_text_keeps_the_text(client, fake):
    script = [adk([{"text": "Working on it. "}]), {"error": "model overloaded"}]
    _, events = await run_turn(client, fake, script)
    assert kinds(events) == ["text", "error"]
    assert events[0].text == "Working on it. "
    assert events[1].text == "model overloaded"


async def test_error_code_event(client, fake):
    script = [{"turnComplete": True, "errorCode": "MALFORMED_FUNCTION_CALL",
               "errorMessage": "The model produced a malformed call.", "author": "nemo_agent"}]  # fmt: skip
    _, events = await run_turn(client, fake, script)
    assert kinds(events) == ["error"]
    assert events[0].code == "MALFORMED_FUNCTION_CALL"
    assert events[0].text == "The model produced a malformed call."


async def test_stream_that_ends_without_text(client, fake):
    script = [
        adk([{"functionCall": {"id": "c1", "name": "edit_multitrack", "args": {"title": "Hi"}}}]),
        adk(
            [{"functionResponse": {"id": "c1", "name": "edit_multitrack", "response": {}}}],
            role="user",
            state_delta={"draft": {"t": [{"tt": 7, "sg": [{"txt": "Hi"}]}]}},
        ),
    ]
    session, events = await run_turn(client, fake, script)
    assert kinds(events) == ["tool_call", "tool_result"]
    assert text_of(events) == ""
    # the edit landed: the state shows it, which is how the caller summarises a silent edit
    state = await client.state(session.session_id)
    assert state.draft["t"][0]["sg"][0]["txt"] == "Hi"


async def test_dropped_stream_yields_what_arrived_then_raises_and_never_resends(client, fake):
    fake.chat_script = [adk([{"text": "Starting the jiggle"}]), Pause(), Cut()]
    session = await client.create_session()
    got = []
    with pytest.raises(StreamInterruptedError) as info:
        async for event in client.chat(session.session_id, "make it jiggle"):
            got.append(event)
    assert [e.text for e in got] == ["Starting the jiggle"]
    assert isinstance(info.value, NemoConnectionError)
    assert "not resent" in str(info.value) or "was not resent" in str(info.value)
    assert fake.count("POST", "/run_sse") == 1


async def test_server_error_before_streaming_is_not_retried(client, fake):
    fake.fault("POST", "/run_sse", status=502, message="bad gateway")
    session = await client.create_session()
    with pytest.raises(Exception) as info:
        await client.chat(session.session_id, "hi").collect()
    assert type(info.value).__name__ == "ServerError"
    assert "HTTP 502" in str(info.value)
    assert fake.count("POST", "/run_sse") == 1


async def test_crlf_line_endings_split_across_chunks(client, fake):
    frame = json.dumps(adk([{"text": "crlf ok"}]))
    script = [Raw(f"data: {frame}\r"), Pause(), Raw("\n\r\n"), Raw(": ping\r\n\r\n")]
    _, events = await run_turn(client, fake, script)
    assert [(e.kind, e.text) for e in events] == [("text", "crlf ok"), ("heartbeat", None)]


async def test_multi_line_data_is_joined(client, fake):
    script = [Raw('data: {"type": "text",\ndata:  "content": "two lines"}\n\n')]
    _, events = await run_turn(client, fake, script)
    assert [(e.kind, e.text) for e in events] == [("text", "two lines")]


async def test_last_frame_without_blank_line_is_not_lost(client, fake):
    script = [Raw('data: {"type": "text", "content": "tail"}')]
    _, events = await run_turn(client, fake, script)
    assert text_of(events) == "tail"


async def test_stream_split_mid_json(client, fake):
    frame = json.dumps(adk([{"text": "split in two"}]))
    script = [Raw("data: " + frame[:20]), Pause(), Raw(frame[20:] + "\n\n")]
    _, events = await run_turn(client, fake, script)
    assert text_of(events) == "split in two"


async def test_unknown_session_404_is_session_not_found(client, fake):
    with pytest.raises(SessionNotFoundError) as info:
        await client.chat("nope", "hello").collect()
    assert "new session" in str(info.value)
    assert info.value.code == 404


async def test_session_not_found_envelope_1002(client, fake):
    fake.fault("POST", "/run_sse", status=200, code=1002, message="Session not found")
    session = await client.create_session()
    with pytest.raises(SessionNotFoundError) as info:
        await client.chat(session.session_id, "hello").collect()
    assert info.value.code == 1002
    assert fake.count("POST", "/run_sse") == 1


async def test_turn_timeout_even_with_heartbeats(client, fake):
    fake.chat_script = [x for _ in range(200) for x in (Raw(": ping\n\n"), Pause(0.01))]
    session = await client.create_session()
    beats = 0
    with pytest.raises(StreamInterruptedError) as info:
        async for event in client.chat(session.session_id, "long job", turn_timeout=0.3):
            beats += event.kind == "heartbeat"
    assert beats >= 3
    assert "did not finish" in str(info.value)
    assert fake.count("POST", "/run_sse") == 1


async def test_closing_a_stream_early_frees_the_connection(client, fake):
    fake.chat_script = [adk([{"text": "one"}]), Pause(0.05), adk([{"text": "two"}])]
    session = await client.create_session()
    async with client.chat(session.session_id, "hi") as stream:
        async for event in stream:
            assert event.text == "one"
            break
    assert stream.text == "one"
    # the client stays usable
    assert (await client.credits()).available == 100


async def test_connection_refused_is_a_connection_error(sleeps):
    async with NemoClient("http://127.0.0.1:9", "tok-for-refused-test", sleep=sleeps) as c:
        with pytest.raises(NemoConnectionError) as info:
            await c.chat("1", "hi").collect()
    assert "127.0.0.1:9" in str(info.value)


async def test_html_answer_is_a_connection_error(client, fake):
    page = "<html><body>Please log in to the Wi-Fi</body></html>"
    fake.fault("POST", "/run_sse", body=page, headers={"content-type": "text/html"})
    session = await client.create_session()
    with pytest.raises(NemoConnectionError) as info:
        await client.chat(session.session_id, "hi").collect()
    assert "web page" in str(info.value)


async def test_a_garbled_frame_is_reported_and_the_stream_goes_on(client, fake):
    script = [
        adk([{"text": "Done! "}]),
        Raw('data: {"content": {"parts": [{"text": "broken\n\n'),
        adk([{"text": "Say export."}]),
    ]
    _, events = await run_turn(client, fake, script)
    assert kinds(events) == ["text", "error", "text"]
    assert events[1].code == "malformed" and "garbled" in events[1].text
    assert events[2].text == "Say export."
