"""The blocking facade, from plain code and from inside a running event loop (as in Jupyter)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import textwrap

import matplotlib.cbook
import pytest

import nemo_nb.sync
from nemo_nb.api import SessionNotFoundError

PHOTO = matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)


def full_flow(base: str, sleeps, tmp_path):
    with nemo_nb.sync.Client(base, sleep=sleeps) as client:
        session = client.create_session()
        assert client.upload(session.session_id, PHOTO)[0].file_type == "image"
        events = list(client.chat(session.session_id, "make it jiggle"))
        state = client.state(session.session_id)
        job = client.start_render(session.session_id, state.draft)
        done = client.wait_render(job.id)
        path = client.download(done, tmp_path)
        assert client.credits().available == 100
        assert client.user_id.startswith("anon_")
        return events, state, path


def test_sync_client_passes_the_quality(fake, sleeps):
    with nemo_nb.sync.Client(fake.api_base, sleep=sleeps) as client:
        session = client.create_session()
        draft = {"d": 1000, "t": [{"tt": 0, "sg": [{"id": "s", "st": 0, "d": 1000, "src": "x"}]}]}
        client.start_render(session.session_id, draft, quality="preview")
    assert fake.render_submits[-1]["output"]["quality"] == "preview"


def test_sync_client_from_plain_code(fake, sleeps, tmp_path):
    events, state, path = full_flow(fake.api_base, sleeps, tmp_path)
    assert [e.kind for e in events] == ["tool_call", "tool_result", "text"]
    assert state.exportable
    assert path.read_bytes() == fake.mp4


async def test_sync_client_inside_a_running_loop(fake, sleeps, tmp_path):
    loop = asyncio.get_running_loop()
    assert loop.is_running()  # as in a Jupyter cell
    events, state, path = full_flow(fake.api_base, sleeps, tmp_path)
    assert [e.kind for e in events] == ["tool_call", "tool_result", "text"]
    assert path.read_bytes() == fake.mp4
    # the caller's loop still works afterwards
    assert await asyncio.sleep(0, result="alive") == "alive"


def test_sync_chat_streams_incrementally_and_errors_surface(fake, sleeps):
    with nemo_nb.sync.Client(fake.api_base, sleep=sleeps) as client:
        session = client.create_session()
        stream = client.chat(session.session_id, "make it jiggle")
        first = next(stream)
        assert first.kind == "tool_call"  # one event at a time, before the turn is read whole
        rest = list(stream)
        assert stream.text == "Done! Preview it in the Timeline, then click Export."
        assert len(rest) == 2
        with pytest.raises(SessionNotFoundError):
            list(client.chat("gone", "hello"))


def test_run_refuses_its_own_loop_thread():
    from nemo_nb.sync import _LoopThread, _run

    async def inner():
        return _run(asyncio.sleep(0))

    with pytest.raises(RuntimeError, match="own event-loop thread"):
        _LoopThread.get().run(inner())


def test_nest_asyncio_strategy_is_opt_in(fake, tmp_path):
    # In a child process: nest-asyncio patches asyncio globally, which must not leak into the
    # other tests of this process.
    script = textwrap.dedent(
        f"""
        import asyncio, os
        import nemo_nb.sync

        async def cell():
            client = nemo_nb.sync.Client({fake.api_base!r})
            session = client.create_session()
            kinds = [e.kind for e in client.chat(session.session_id, "jiggle")]
            client.close()
            assert nemo_nb.sync._strategy() == "nest"
            assert nemo_nb.sync._LoopThread._instance is None  # no background thread was used
            return kinds

        print(asyncio.run(cell()))
        """
    )
    env = {**os.environ, "NEMO_NB_SYNC": "nest", "HOME": str(tmp_path)}
    out = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "['tool_call', 'tool_result', 'text']"
