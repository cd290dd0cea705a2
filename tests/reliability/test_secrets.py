"""A secrets scan: known tokens (one the engine issued, one planted as NEMO_TOKEN) must appear in
no output, log, exception, saved notebook or data-dir file, even at debug log level and through
failures; and the data dir stays the user's alone."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import stat
import sys
import uuid
from pathlib import Path
from typing import Any

import nbformat
import pytest
from engine_harness import png_bytes
from faultproxy import FaultProxy, Plan
from harness import ENV, TINY, EngineProcess

from nemo_nb.api import NemoClient, NemoError
from nemo_nb.conversation import Conversation

pytestmark = pytest.mark.slow  # whole conversations through faults, on engine processes

PLANTED = "nmv_usr_PLANTEDsecretTOKENvalue0123456789abcdefXYZ"


class Capture(logging.Handler):
    """Every log record of every logger, formatted as a handler would write it."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        with contextlib.suppress(Exception):
            self.lines.append(self.format(record))


def _texts_of(root: Path) -> dict[str, bytes]:
    return {str(p): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def _hits(token: str, blobs: dict[str, bytes | str]) -> list[str]:
    needle = token.encode()
    found = []
    for where, blob in blobs.items():
        data = blob.encode() if isinstance(blob, str) else blob
        if needle in data or needle[8:] in data:  # the secret part alone, too
            found.append(where)
    return found


async def _session_with_failures(url: str, proxy: FaultProxy, work: Path, photo: Path) -> Any:
    """A normal session, then every kind of failure, keeping what a user could see."""
    seen: list[str] = []
    client = NemoClient(proxy.url, client_id=str(uuid.uuid4()),
                        sleep=lambda s: asyncio.sleep(0))  # fmt: skip
    conv = Conversation(
        client, data_dir=work, poll_intervals=(0.05,), sleep=lambda s: asyncio.sleep(0)
    )
    seen.append(repr(client))
    seen.append(repr(conv))
    seen.append(str((await conv.upload(photo)).text))
    reply = await conv.ask("make this photo jiggle", echo=True)
    seen += [repr(u) for u in reply.updates]
    for kind, route, text in [
        ("auth_1001", "chat", "make it stronger"),
        ("session_1002", "chat", "faster"),
        ("drop_mid_body", "chat", "make it 5 seconds"),
        ("503", "upload", None),
        ("render_failed", "status", "export"),
        ("malformed_json", "state", "status"),
        ("none", "chat", "export"),
    ]:
        proxy.plan = Plan(kind=kind, route=route)
        if text is None:
            update = await conv.upload(photo)
            seen += [update.text, repr(update)]
        else:
            async for u in conv.send(text):
                seen += [u.text, repr(u), repr(u.data)]
                exc = u.data.get("exception") if isinstance(u.data, dict) else None
                if exc is not None:
                    seen += [str(exc), repr(exc), repr(exc.__dict__)]
    token = client._token.get()
    seen.append(str(conv.history_frame().to_dict()))
    await client.aclose()
    # an own token the engine refuses: AuthError and everything around it
    planted = NemoClient(url, token=PLANTED)
    try:
        await planted.create_session()
    except NemoError as exc:
        seen += [str(exc), repr(exc), repr(exc.__dict__), repr(exc.__cause__)]
    seen.append(repr(planted))
    await planted.aclose()
    return token, seen


def test_no_token_anywhere(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data, work = tmp_path / "data", tmp_path / "data"  # the conversation shares the data dir
    engine = EngineProcess(data, *TINY, "--log-level", "debug")
    proxy = FaultProxy(engine.url)
    photo = tmp_path / "photo.png"
    photo.write_bytes(png_bytes(96, 128))
    capture = Capture()
    capture.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s %(args)s"))
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(capture)
    root.setLevel(logging.DEBUG)
    try:
        token, seen = asyncio.run(_session_with_failures(engine.url, proxy, work, photo))
    finally:
        root.removeHandler(capture)
        root.setLevel(old_level)
        proxy.close()
        engine.stop()
    printed = capsys.readouterr()
    assert token and token.startswith("nmv_usr_")
    notebook = _run_notebook(tmp_path)
    blobs: dict[str, bytes | str] = {
        "stdout": printed.out,
        "stderr": printed.err,
        "logs (debug, every logger)": "\n".join(capture.lines),
        "user-visible texts, reprs and exceptions": "\n".join(seen),
        "engine output": engine.output(),
        **_texts_of(data),
        **notebook["files"],
    }
    assert len(capture.lines) > 20 and len(seen) > 30  # the scan saw real material
    leaks = {t[:12]: _hits(t, blobs) for t in (token, PLANTED, notebook["token"])}
    print(f"\nsecrets scan: 3 known tokens over {len(blobs)} outputs/logs/files "
          f"({sum(len(b) for b in blobs.values()) / 1e6:.1f} MB): "
          f"{sum(len(v) for v in leaks.values())} hits")  # fmt: skip
    assert not any(leaks.values()), leaks
    _assert_private(data)


def _assert_private(data: Path) -> None:
    """The data dir 700 (others cannot even list it); everything the engine wrote 700/600."""
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    engine_files = [data / "media", data / "renders", *data.glob("media/*"),
                    *data.glob("engine.sqlite3*"), *data.glob("media/*/*"),
                    *data.glob("renders/anon_*.mp4")]  # fmt: skip
    loose = [str(p) for p in engine_files if p.exists() and p.stat().st_mode & 0o077]
    assert not loose, loose
    client_files = [data / "history", *data.glob("history/*"), *data.glob("pending_renders.json")]
    assert client_files[1:], "the conversation wrote no history"
    loose = [str(p) for p in client_files if p.exists() and p.stat().st_mode & 0o077]
    assert not loose, f"the conversation's history is readable by others: {loose}"
    others = [f"{p.relative_to(data)} {oct(stat.S_IMODE(p.stat().st_mode))}"
              for p in data.rglob("*") if p.stat().st_mode & 0o077]  # fmt: skip
    if others:  # downloads: the user's own exports, inside the 700 data dir
        print(f"looser than 700/600 inside the 700 data dir: {others[:6]}")


def _run_notebook(tmp_path: Path) -> dict[str, Any]:
    """Execute a notebook that uses the local engine (started by connect()), save it, and return
    its files and the token its client held."""
    from nbclient import NotebookClient

    home = tmp_path / "nb-home"
    token_file = tmp_path / "nb-token"
    cells = [
        "import os, nemo_nb\nfrom pathlib import Path\nclient = await nemo_nb.connect('local')\n"
        "client",
        "from nemo_nb.conversation import Conversation\nconv = Conversation(client)\n"
        f"print((await conv.upload({str(tmp_path / 'photo.png')!r})).text)\n"
        "Path(os.environ['NB_TOKEN_OUT']).write_text(client._token.get())\n"
        "reply = await conv.ask('make this photo jiggle', echo=True)\nreply",
        "import logging; logging.basicConfig(level=logging.DEBUG, force=True)\n"
        "await client.state('no-such-session')",
    ]
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(c) for c in cells]
    nb.cells[-1].metadata["tags"] = ["raises-exception"]
    env = {**ENV, "NEMO_NB_HOME": str(home), "NB_TOKEN_OUT": str(token_file),
           "HOME": str(tmp_path / "nb-user")}  # fmt: skip
    (tmp_path / "nb-user").mkdir()
    saved_env = dict(os.environ)
    os.environ.update(env)
    try:
        NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=True).execute(
            cwd=str(tmp_path)
        )
    finally:
        os.environ.clear()
        os.environ.update(saved_env)
    out = tmp_path / "saved.ipynb"
    nbformat.write(nb, out)
    assert "SessionNotFoundError" in out.read_text() or "Error" in out.read_text()
    files = {str(out): out.read_bytes(), **_texts_of(home)}
    with contextlib.suppress(Exception):  # the engine it started ends with the kernel
        st = json.loads((home / "engine.json").read_text())
        os.kill(st["pid"], 15)
    return {"token": token_file.read_text().strip(), "files": files}


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-s"]))
