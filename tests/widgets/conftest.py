"""A real engine (real agent, real renderer, real SQLite) on a loopback port, in a thread of the
test process, and a Studio talking to it over real HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from nemo_nb.api import NemoClient
from nemo_nb.conversation import Conversation
from nemo_nb.widgets import Studio
from tests.engine.engine_harness import RunningEngine, start_engine


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningEngine]:
    running = start_engine(tmp_path_factory.mktemp("engine"), interpret=None, renderer=None,
                           reply_pace=0.02)  # fmt: skip
    yield running
    running.stop()


@pytest.fixture
async def studio(
    engine: RunningEngine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Studio]:
    monkeypatch.chdir(tmp_path)  # the notebook's folder: the log's previews are written there
    async with NemoClient(engine.url) as client:
        panel = Studio(conversation=Conversation(client, data_dir=tmp_path))
        yield panel
        await settle(panel)


async def settle(studio: Studio, timeout: float = 120.0) -> None:
    """Wait until every task the panel started (and the tasks those started) is done."""
    import asyncio

    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while studio._tasks:
        assert loop.time() < deadline, f"tasks still running: {studio._tasks}"
        await asyncio.wait(set(studio._tasks), timeout=max(0.01, deadline - loop.time()))
