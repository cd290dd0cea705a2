"""The blocking facade on the real engine: from a plain script and from inside a running loop
(as in a Jupyter cell, where asyncio.run() would refuse)."""

from __future__ import annotations

import asyncio

import nemo_nb.sync
from nemo_nb._samples import sample_photo


def _jiggle_round_trip() -> tuple[list[str], dict]:
    with nemo_nb.sync.connect("local") as client:
        sid = client.create_session().session_id
        files = client.upload(sid, sample_photo())
        assert files[0].file_type == "image" and files[0].width == 512
        kinds = [event.kind for event in client.chat(sid, "make this photo jiggle")]
        return kinds, client.state(sid).draft


def test_sync_connect_from_plain_code():
    kinds, draft = _jiggle_round_trip()
    assert "tool_result" in kinds and "text" in kinds
    assert draft["t"][0]["sg"][0]["m"]["fx"]["type"] == "jiggle"


def test_sync_connect_inside_a_running_event_loop():
    async def cell() -> tuple[list[str], dict]:
        return _jiggle_round_trip()  # blocking calls made while this loop is running

    kinds, draft = asyncio.run(cell())
    assert "tool_result" in kinds and draft["t"][0]["sg"][0]["m"]["fx"]["type"] == "jiggle"
