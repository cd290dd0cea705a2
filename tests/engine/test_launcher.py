"""Starting and sharing the engine: the state file, owner leases, and stopping after the last
owner process is gone; `nemo_nb.connect("local")` hands back a working NemoClient."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import httpx
import pytest
from engine_harness import png_bytes, wait_until

from nemo_nb._paths import data_dir
from nemo_nb.engine import launcher

OWNER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from nemo_nb.engine.launcher import ensure_engine
    h = ensure_engine(Path(sys.argv[1]), args=["--lease-interval", "0.2"])
    print(h.url, h.pid, h.started, flush=True)
    if sys.argv[2] == "wait":
        time.sleep(600)
    """
)


def _owner(data: Path, mode: str = "wait") -> tuple[subprocess.Popen[str], str, int, bool]:
    p = subprocess.Popen([sys.executable, "-c", OWNER, str(data), mode],
                         stdout=subprocess.PIPE, text=True)  # fmt: skip
    url, pid, started = p.stdout.readline().split()
    return p, url, int(pid), started == "True"


def _gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not launcher.pid_alive(pid):
            return True
        time.sleep(0.05)
    return False


def _port_closed(port: int, timeout: float) -> bool:
    import socket

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) != 0:
                return True
        time.sleep(0.05)
    return False


@pytest.mark.slow
def test_owners_share_one_engine_which_stops_after_the_last(tmp_path: Path) -> None:
    data = tmp_path / "data"
    a, url, pid, started = _owner(data)
    assert started
    b, url_b, pid_b, started_b = _owner(data)
    assert (url_b, pid_b, started_b) == (url, pid, False)  # attached through the state file
    state = json.loads((data / "engine.json").read_text())
    assert state["url"] == url and state["owned"] is True and "token" not in json.dumps(state)
    assert sorted(launcher.live_owners(data)) == sorted([a.pid, b.pid])

    a.send_signal(signal.SIGKILL)  # a crashed kernel: no atexit
    a.wait()
    # The engine's next owner check finds a dead and removes its lease; b still owns the engine.
    lease_a = data / launcher.OWNERS_DIR / f"{a.pid}.json"
    wait_until(lambda: not lease_a.exists(), "rid of the dead owner's lease")
    assert httpx.get(f"{url}/healthz").status_code == 200
    b.send_signal(signal.SIGKILL)
    b.wait()
    assert _gone(pid, 10), "the engine outlived its last owner"
    assert not (data / "engine.json").exists()
    # the next owner starts a fresh engine
    c, url_c, pid_c, started_c = _owner(data, "exit")  # exits normally: atexit drops its lease
    assert started_c and pid_c != pid
    c.wait(10)
    assert _gone(pid_c, 10)


@pytest.mark.slow
def test_engine_stops_when_its_data_dir_is_deleted(tmp_path: Path) -> None:
    import shutil

    data = tmp_path / "data"
    owner, url, pid, started = _owner(data)
    try:
        assert started and httpx.get(f"{url}/healthz").status_code == 200
        shutil.rmtree(data)  # e.g. pytest cleaning old tmp dirs while an owner still sleeps
        assert _gone(pid, 10), "the engine outlived its deleted data dir"
    finally:
        owner.kill()
        owner.wait()


@pytest.mark.slow
def test_stale_state_file_is_ignored(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    launcher.write_state(data, {"pid": 999999, "url": "http://127.0.0.1:9", "instance": "x"})
    p, url, pid, started = _owner(data, "exit")
    assert started and url != "http://127.0.0.1:9"
    p.wait(10)
    assert _gone(pid, 10)


def test_lease_of_reused_pid_does_not_count(tmp_path: Path) -> None:
    launcher.add_lease(tmp_path)
    assert launcher.live_owners(tmp_path) == [os.getpid()]
    lease = tmp_path / launcher.OWNERS_DIR / f"{os.getpid()}.json"
    lease.write_text(json.dumps({"pid": os.getpid(), "start": "1"}))  # same pid, other process
    assert launcher.live_owners(tmp_path) == [] and not lease.exists()


async def test_connect_local_returns_a_working_client(tmp_path: Path) -> None:
    from nemo_nb import connect

    client = await connect("local")
    again = await connect("local")
    try:
        assert client.base_url == again.base_url
        assert client.base_url.startswith("http://127.0.0.1:") and client.convert_heic is False
        session = await client.create_session()
        photo = tmp_path / "portrait.png"
        photo.write_bytes(png_bytes(90, 160))
        files = await client.upload(session.session_id, photo)
        assert files[0].width == 90 and files[0].height == 160
        events = [e async for e in client.chat(session.session_id, "make this photo jiggle")]
        assert any(e.kind == "tool_result" and e.state_delta for e in events)
        state = await client.state(session.session_id)
        assert state.draft and state.draft["t"]
        assert (await client.credits()).available == 100
        small = {**state.draft, "m": {**state.draft["m"], "width": 180, "height": 320}}  # quick
        job = await client.wait_render(await client.start_render(session.session_id, small))
        out = await client.download(job, tmp_path)
        assert out.stat().st_size > 1000
    finally:
        await client.aclose()
        await again.aclose()
    # tokens are stored hashed; none is in any file of the data dir, the engine's log included
    for f in data_dir().rglob("*"):
        if f.is_file():
            assert b"nmv_usr_" not in f.read_bytes(), f


@pytest.mark.slow
async def test_a_killed_engine_is_restarted_and_the_session_goes_on(tmp_path, monkeypatch) -> None:
    """The engine dies (SIGKILL) between two messages: the next call brings it back on its data
    dir, and the session, its draft and the user's token are all still there."""
    from nemo_nb import connect

    monkeypatch.setenv("NEMO_NB_HOME", str(tmp_path / "data"))
    client = await connect("local")
    try:
        session = await client.create_session()
        photo = tmp_path / "portrait.png"
        photo.write_bytes(png_bytes(90, 160))
        await client.upload(session.session_id, photo)
        [e async for e in client.chat(session.session_id, "make this photo jiggle")]
        first = json.loads((tmp_path / "data" / "engine.json").read_text())["pid"]
        os.kill(first, signal.SIGKILL)
        assert _gone(first, 5)
        # Its leader thread is a zombie before the other threads have closed the listening
        # socket; a user's next message comes later than that, so wait for the port to close.
        port = int(client.base_url.rsplit(":", 1)[1])
        assert _port_closed(port, 5)

        events = [e async for e in client.chat(session.session_id, "make it stronger")]
        assert not [e for e in events if e.kind == "error"]
        state = await client.state(session.session_id)
        assert state.draft["t"][0]["sg"][0]["m"]["fx"]["strength"] > 0.5  # jiggle, then stronger
        second = json.loads((tmp_path / "data" / "engine.json").read_text())["pid"]
        assert second != first and launcher.pid_alive(second)
        assert client.base_url == json.loads((tmp_path / "data" / "engine.json").read_text())["url"]
    finally:
        await client.aclose()
        launcher.release(tmp_path / "data")


async def test_a_dead_local_server_without_restart_says_so_plainly(tmp_path) -> None:
    import socket

    from nemo_nb.api import NemoClient, NemoConnectionError

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    async with NemoClient(f"http://127.0.0.1:{port}") as client:
        try:
            await client.credits()
        except NemoConnectionError as exc:
            message = str(exc)
        else:
            raise AssertionError("expected NemoConnectionError")
    assert "local engine" in message and "nemo_nb.connect()" in message
    assert "network" not in message


@pytest.mark.slow
async def test_connect_to_a_served_engine_by_url(tmp_path) -> None:
    """A workshop: `nemo-nb serve` on one machine, every laptop connects to its URL."""
    from nemo_nb import connect

    proc = subprocess.Popen(
        [sys.executable, "-m", "nemo_nb.cli", "serve", "--port", "0", "--data-dir", str(tmp_path)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        line = ""
        while "listening on" not in line:
            line = proc.stdout.readline()
            assert line, "the engine exited before listening"
        url = line.split("listening on ")[1].split()[0]
        assert "nmv_usr_" not in line  # the token is never printed unless asked
        async with await connect(url) as student:
            session = await student.create_session()
            assert student.is_anonymous and student.base_url == url
            assert not (await student.state(session.session_id)).draft  # a new, empty timeline
        with pytest.raises(ValueError, match="or a server URL"):
            await connect("somewhere")
    finally:
        proc.terminate()
        proc.wait(15)
