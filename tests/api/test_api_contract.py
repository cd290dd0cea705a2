"""Pure contract tests, run against two servers that must behave alike: the fake cloud and our
embedded engine (``nemo_nb._connect.connect("local")``). Only contract-level facts are asserted."""

from __future__ import annotations

import av
import matplotlib.cbook
import pytest

from nemo_nb._connect import connect
from nemo_nb.api import NemoClient, SessionNotFoundError

PHOTO = matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)
PROMPT = "make this photo jiggle and bounce like a looping animated video"


@pytest.fixture(params=["fake", "engine"])
async def contract_client(request, sleeps):
    if request.param == "fake":
        fake = request.getfixturevalue("fake")
        async with NemoClient(fake.api_base, sleep=sleeps) as client:
            yield client
        return
    client = await connect("local")
    try:
        yield client
    finally:
        await client.aclose()


async def _edited_session(client: NemoClient):
    session = await client.create_session()
    await client.upload(session.session_id, PHOTO)
    events = [e async for e in client.chat(session.session_id, PROMPT)]
    return session, events


async def test_session_and_credits(contract_client):
    session = await contract_client.create_session(language="en")
    assert isinstance(session.session_id, str) and session.session_id
    credits = await contract_client.credits()
    assert credits.available >= 0
    assert credits.total >= credits.available


async def test_new_session_has_an_empty_timeline(contract_client):
    session = await contract_client.create_session()
    state = await contract_client.state(session.session_id)
    assert not state.exportable


async def test_upload_an_image(contract_client):
    session = await contract_client.create_session()
    files = await contract_client.upload(session.session_id, PHOTO)
    assert len(files) == 1
    assert files[0].file_type == "image"
    assert files[0].cdn_url
    state = await contract_client.state(session.session_id)
    assert len(state.video_infos) >= 1


async def test_chat_edits_the_draft(contract_client):
    session, events = await _edited_session(contract_client)
    assert events, "the agent answered nothing"
    assert not [e for e in events if e.kind == "error"], [e.text for e in events]
    results = [e for e in events if e.kind == "tool_result" and e.state_delta]
    assert any("draft" in e.state_delta for e in results)
    state = await contract_client.state(session.session_id)
    assert state.draft
    assert state.exportable


@pytest.mark.parametrize(  # the engine's real render: seconds, so out of the fast loop
    "contract_client", ["fake", pytest.param("engine", marks=pytest.mark.slow)], indirect=True
)
async def test_render_round_trip_to_an_mp4(contract_client, tmp_path):
    session, _events = await _edited_session(contract_client)
    # Only to keep the engine's real render short; the assertions hold either way.
    await contract_client.chat(session.session_id, "make it 1 second long").collect()
    state = await contract_client.state(session.session_id)
    job = await contract_client.start_render(session.session_id, state.draft)
    assert job.id
    seen = []
    done = await contract_client.wait_render(job.id, on_progress=seen.append)
    assert done.status == "completed"
    assert seen and seen[-1].status == "completed"
    path = await contract_client.download(done, tmp_path)
    assert path.parent == tmp_path and path.stat().st_size > 0
    with av.open(str(path)) as container:
        assert container.streams.video
        assert sum(1 for _ in container.decode(video=0)) >= 1


async def test_chat_on_an_unknown_session(contract_client):
    with pytest.raises(SessionNotFoundError):
        async for _ in contract_client.chat("no-such-session-123", "hello"):
            pass
