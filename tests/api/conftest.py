"""Fixtures for the client tests: the fake cloud and CDN over loopback, a fake sleep, a client,
and a token-leak check over everything each test logged or printed."""

from __future__ import annotations

import asyncio
import io
import logging
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(
    0, str(Path(__file__).parent)
)  # fake_cloud lives beside the tests, not in the package

from fake_cloud import OWN_TOKENS, Cdn, FakeCloud, ServerThread  # noqa: E402

from nemo_nb import _secrets  # noqa: E402
from nemo_nb.api import NemoClient  # noqa: E402
from nemo_nb.api._renders import CLOUD_POLL  # noqa: E402


def tiny_mp4() -> bytes:
    """A real 64x64, 3-frame H.264 MP4 made with PyAV."""
    import av

    buf = io.BytesIO()
    with av.open(buf, "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=10)
        stream.width, stream.height, stream.pix_fmt = 64, 64, "yuv420p"
        for i in range(3):
            frame = av.VideoFrame.from_ndarray(
                np.full((64, 64, 3), i * 80, np.uint8), format="rgb24"
            )
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return buf.getvalue()


_RUNNING: list[FakeCloud] = []


@pytest.fixture(scope="session")
def servers():
    cloud, cdn = FakeCloud(), Cdn()
    _RUNNING.append(cloud)
    api_thread, cdn_thread = ServerThread(cloud.app).start(), ServerThread(cdn.app).start()
    cloud.api_base, cdn.base, cloud.cdn = api_thread.base, cdn_thread.base, cdn
    cloud.mp4 = tiny_mp4()
    yield cloud, cdn
    api_thread.stop()
    cdn_thread.stop()


@pytest.fixture
def fake(servers) -> FakeCloud:
    cloud, cdn = servers
    cloud.reset()
    cdn.files.clear()
    cdn.seen.clear()
    cdn.media_type = "video/mp4"
    return cloud


@pytest.fixture
def cdn(servers, fake) -> Cdn:
    return servers[1]


class FakeSleep:
    """Injected instead of asyncio.sleep: records the waits, returns at once."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)
        await asyncio.sleep(0)


@pytest.fixture
def sleeps() -> FakeSleep:
    return FakeSleep()


@pytest.fixture
async def client(fake, sleeps):
    # The fake cloud listens on loopback but plays the cloud: poll renders as the cloud is polled.
    async with NemoClient(fake.api_base, sleep=sleeps, render_poll=CLOUD_POLL) as c:
        yield c


@pytest.fixture
async def own_client(fake, sleeps):
    """A client with its own token (as if NEMO_TOKEN were set); the fake server knows it."""
    fake.tokens[OWN_TOKENS[0]] = "user_registered_1"
    async with NemoClient(fake.api_base, OWN_TOKENS[0], sleep=sleeps, render_poll=CLOUD_POLL) as c:
        yield c


@pytest.fixture(autouse=True)
def no_token_leaks(caplog, capfd):
    """Every test runs with httpx/httpcore/nemo_nb at DEBUG; afterwards no token may appear in
    what was logged or printed."""
    for name in ("httpx", "httpcore", "nemo_nb"):
        caplog.set_level(logging.DEBUG, logger=name)
    yield
    # every token the fake issued, and every token any client held (the engine's too)
    tokens = (
        set(OWN_TOKENS) | {t for cloud in _RUNNING for t in cloud.issued} | set(_secrets._secrets)
    )
    out, err = capfd.readouterr()
    sys.stdout.write(out)
    sys.stderr.write(err)
    seen = caplog.text + "\n".join(r.getMessage() for r in caplog.records) + out + err
    leaked = [t for t in tokens if t in seen]
    assert not leaked, "a bearer token appeared in logs or output"
