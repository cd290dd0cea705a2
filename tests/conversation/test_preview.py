"""``Conversation.preview`` on the real engine over loopback HTTP: the timeline rendered small and
fast, once per timeline, a newer one replacing an older one still rendering. (On the cloud it is
``None``: tests/api/test_api_preview.py.)"""

from __future__ import annotations

import asyncio
import copy
import sqlite3
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import av
import pytest

import nemo_nb
from nemo_nb.api import NemoClient
from nemo_nb.conversation import Conversation, NothingToExportError
from nemo_nb.timeline import Draft
from tests.engine.engine_harness import RunningEngine, start_engine

pytestmark = pytest.mark.slow

PROMPT = "make this photo jiggle and bounce like a looping animated video"


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningEngine]:
    running = start_engine(tmp_path_factory.mktemp("engine"), interpret=None, renderer=None)
    yield running
    running.stop()


@pytest.fixture
async def conv(engine: RunningEngine, tmp_path: Path) -> AsyncIterator[Conversation]:
    async with NemoClient(engine.url) as client:
        conversation = Conversation(client, data_dir=tmp_path)
        uploaded = await conversation.upload(nemo_nb.sample_photo())
        assert uploaded.kind == "upload", uploaded.text
        yield conversation


def database(engine: RunningEngine) -> sqlite3.Connection:
    """The engine's own database, read-only."""
    path = engine.engine.config.data_dir / "engine.sqlite3"
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True)


def jobs(engine: RunningEngine, quality: str) -> int:
    """Render jobs of ``quality`` the engine has been given, as its database records them."""
    with database(engine) as db:
        return db.execute("SELECT count(*) FROM jobs WHERE quality = ?", (quality,)).fetchone()[0]


def decoded(path: Path) -> tuple[int, int, int, bool]:
    """(width, height, frames, has audio) of the MP4, decoded with PyAV."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        frames = sum(1 for _ in container.decode(stream))
        return stream.width, stream.height, frames, bool(container.streams.audio)


async def test_a_preview_is_rendered_once_per_timeline(engine, conv) -> None:
    reply = await conv.ask(PROMPT)
    assert not reply.errors, reply.errors
    assert conv.previews_available
    before = jobs(engine, "preview")

    started = time.perf_counter()
    path = await conv.preview()
    took = time.perf_counter() - started
    assert path is not None and path.is_file()
    assert path.parent.parent == conv.previews_dir and path.suffix == ".mp4"
    width, height, frames, _ = decoded(path)
    assert (width, height) == (360, 640)  # the draft's 9:16, 360 px on the short side
    assert conv.draft is not None and frames == round(conv.draft.duration_ms / 1000 * 30)
    assert jobs(engine, "preview") == before + 1
    print(f"first preview of a {conv.draft.duration_ms / 1000:.0f} s draft: {took:.2f} s")

    # Asked again, unchanged: the same file, and the engine is given no new job.
    started = time.perf_counter()
    assert await conv.preview() == path
    print(f"the same timeline again: {time.perf_counter() - started:.3f} s")
    assert jobs(engine, "preview") == before + 1
    # Previews are not exports: no history turn, nothing left to resume, no export job.
    assert [t.action for t in conv.turns] == ["upload", "agent"]
    assert await conv.resume_pending() == []
    assert jobs(engine, "high") == 0

    # Asked twice at once for a new timeline: one job, one file.
    reply = await conv.ask("make it subtler")
    assert not reply.errors and reply.changes, reply
    first, second = await asyncio.gather(conv.preview(), conv.preview())
    assert first == second and first != path and first is not None and first.is_file()
    assert jobs(engine, "preview") == before + 2


async def test_a_newer_timeline_replaces_a_preview_still_rendering(engine, conv) -> None:
    reply = await conv.ask(PROMPT)
    assert not reply.errors, reply.errors
    assert conv.draft is not None and conv.session_id is not None
    older = conv.draft
    raw = copy.deepcopy(older.to_json())
    effects = raw["t"][0]["sg"][0]["m"]["fx"]
    for effect in effects if isinstance(effects, list) else [effects]:
        effect["strength"] = 0.2
    newer = Draft.from_json(raw)
    previewer = conv._previewer  # two timelines of one session, as two quick turns leave them
    first = asyncio.ensure_future(previewer.preview(conv.session_id, older))
    await asyncio.sleep(0)  # the older one goes out first
    second = asyncio.ensure_future(previewer.preview(conv.session_id, newer))
    replaced, made = await asyncio.gather(first, second)

    assert replaced is None, "the older preview should have been replaced, not finished"
    assert made is not None and made == previewer.path_for(conv.session_id, newer)
    assert not previewer.path_for(conv.session_id, older).exists()
    with database(engine) as db:
        statuses = [
            s
            for (s,) in db.execute(
                "SELECT status FROM jobs WHERE quality = 'preview' AND session_id = ? "
                "ORDER BY created_at",
                (conv.session_id,),
            )
        ]
    assert statuses == ["cancelled", "completed"]


async def test_an_empty_timeline_has_no_preview(conv) -> None:
    with pytest.raises(NothingToExportError):
        await conv.preview()


async def test_on_edit_hears_of_the_new_timeline_before_the_reply_text(tmp_path: Path) -> None:
    from .fakes import ENGINE_DRAFT, FakeClient, SetDraft, result, text, tool

    client = FakeClient(ENGINE_DRAFT)
    changed = copy.deepcopy(ENGINE_DRAFT)
    changed["t"][0]["sg"][0]["m"]["fx"]["strength"] = 0.3
    client.scripts += [
        [tool("apply_motion"), SetDraft(changed), result("apply_motion", changed),
         text("Done, it is subtler now.")],
        [tool("apply_motion"), result("apply_motion", changed), text("It already is.")],
    ]  # fmt: skip
    conv = Conversation(client, data_dir=tmp_path)
    heard: list[tuple[Draft, int]] = []
    texts: list[str] = []
    conv.on_edit = lambda draft: heard.append((draft, len(texts)))
    async for update in conv.send("make it subtler"):
        if update.kind == "text":
            texts.append(update.text)
    assert heard == [(Draft.from_json(changed), 0)]  # before any of the reply's text
    async for _ in conv.send("make it subtler"):  # the same timeline again: nothing to hear
        pass
    assert len(heard) == 1


async def test_a_preview_does_not_set_the_next_exports_estimate(engine, conv) -> None:
    from nemo_nb.conversation import _export

    _export._LAST_RENDER_S.pop("engine", None)
    reply = await conv.ask(PROMPT)
    assert not reply.errors
    assert await conv.preview() is not None
    assert "engine" not in _export._LAST_RENDER_S  # "the last export here took 1 s" would be false
