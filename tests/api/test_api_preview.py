"""On the cloud there are no previews: ``Conversation.preview`` is ``None`` and sends nothing, and
the export works as before. The fake cloud is reached under a cloud address (not loopback, which
would make it the engine) through httpx's in-process transport."""

from __future__ import annotations

import httpx
import pytest

from nemo_nb.api import NemoClient
from nemo_nb.api._renders import CLOUD_POLL
from nemo_nb.conversation import Conversation

CLOUD = "https://api.nemovideo.example"


@pytest.fixture
async def cloud_client(fake, sleeps):
    own_base = fake.api_base
    fake.api_base, fake.output_on_cdn = CLOUD, False  # every URL it hands out is the cloud's
    try:
        async with NemoClient(
            CLOUD, transport=httpx.ASGITransport(app=fake.app), sleep=sleeps,
            render_poll=CLOUD_POLL,
        ) as client:  # fmt: skip
            yield client
    finally:
        fake.api_base = own_base


async def test_the_cloud_gets_no_preview_request_and_exports_as_before(
    cloud_client, fake, tmp_path
):
    conv = Conversation(cloud_client, data_dir=tmp_path)
    reply = await conv.ask("make this photo jiggle")
    assert not reply.errors and conv.draft is not None and conv.draft.exportable

    assert not conv.previews_available
    calls = len(fake.requests)
    assert await conv.preview() is None
    assert len(fake.requests) == calls  # not even the timeline was read

    path = await conv.export()
    assert path.read_bytes() == fake.mp4
    assert [s["output"] for s in fake.render_submits] == [{"format": "mp4", "quality": "high"}]
    assert not (tmp_path / "previews").exists()
