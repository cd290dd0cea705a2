"""URL imports through the client against the real engine: an answer within
``URL_IMPORT_TIMEOUT_S``, and an address this machine cannot reach is said in so many words."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest

from nemo_nb.api import NemoClient, NemoError, UrlImportError, _upload


async def _import(engine_url: str, url: str) -> tuple[BaseException, float, NemoClient]:
    client = NemoClient(base_url=engine_url)
    async with client:
        session = await client.create_session()
        started = time.monotonic()
        with pytest.raises(NemoError) as caught:
            await client.upload(session.session_id, url)
        took = time.monotonic() - started
        state = await client.state(session.session_id)
        assert state.video_infos == [], "nothing was added"
    return caught.value, took, client


async def test_a_name_that_does_not_resolve_says_this_machine_cannot_find_it(engine) -> None:
    err, took, _ = await _import(engine.url, "https://no-such-host.invalid/photos/cat.jpg")
    assert isinstance(err, UrlImportError)
    assert str(err) == (
        "Could not add “https://no-such-host.invalid/photos/cat.jpg”: no-such-host.invalid could "
        "not be found from this machine (no internet connection, or a mistyped address)."
    )
    assert took < _upload.URL_IMPORT_TIMEOUT_S


async def test_a_host_that_refuses_the_connection_could_not_be_reached(engine) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    err, took, _ = await _import(engine.url, f"http://127.0.0.1:{port}/x.png")
    assert isinstance(err, UrlImportError)
    assert "127.0.0.1 could not be reached from this machine (no internet connection" in str(err)
    assert took < _upload.URL_IMPORT_TIMEOUT_S


@pytest.fixture
def silent_server() -> Iterator[str]:
    """Accepts connections and never answers (a stalled download)."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(8)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        srv.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(srv.accept()[0])
            except OSError:
                continue

    t = threading.Thread(target=accept, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{srv.getsockname()[1]}/slow.jpg"
    stop.set()
    t.join()
    for c in held:
        c.close()
    srv.close()


async def test_a_reachable_address_the_engine_will_not_fetch_keeps_its_refusal(
    engine, silent_server
) -> None:
    # a private address: the engine refuses it (one sentence for every such address)
    err, _, _ = await _import(engine.url, silent_server)
    assert not isinstance(err, UrlImportError)
    assert "only public http(s) addresses that answer can be used" in str(err)


@pytest.mark.slow
async def test_a_download_that_stalls_is_answered_in_time(
    engine_factory, silent_server, monkeypatch
) -> None:
    monkeypatch.setattr(_upload, "URL_IMPORT_TIMEOUT_S", 7.0)  # the rule, made quicker to watch
    engine = engine_factory(allow_private_urls=True)  # so the engine really tries the address
    err, took, _ = await _import(engine.url, silent_server)
    assert isinstance(err, UrlImportError)
    assert "the server did not finish downloading it within 7 s" in str(err)
    assert 2.5 < took < 7.0
