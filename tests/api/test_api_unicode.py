"""Text the client sends is valid Unicode (nemo_nb._unicode): a surrogate pair becomes its
character, a lone surrogate U+FFFD, and the message is sent. Checked on the wire (the fake cloud
records what arrived) and on the real engine over loopback, where a lone surrogate in a prompt
used to end ``Conversation.ask`` with a raw ``UnicodeEncodeError``."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import matplotlib.cbook

from nemo_nb._unicode import valid_json, valid_text
from nemo_nb.api import NemoClient
from nemo_nb.conversation import Conversation

PHOTO = Path(matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))
LONE, PAIR = "\ud800", "\ud83d\ude00"  # half a character; an emoji as two UTF-16 halves
GRIN = "😀"


def odd_name(folder: Path) -> Path:
    """A JPEG whose name has bytes that are not UTF-8 (Python reads them as surrogates)."""
    path = Path(os.fsdecode(os.fsencode(folder) + b"/caf\xe9 \xff.jpg"))
    shutil.copy(PHOTO, path)
    assert path.name == "caf\udce9 \udcff.jpg"
    return path


def test_the_policy() -> None:
    assert valid_text(f"a{LONE}b") == "a\ufffdb"
    assert valid_text(PAIR) == GRIN
    assert valid_text(f"x{PAIR[1]}{PAIR[0]}") == "x\ufffd\ufffd"  # halves in the wrong order
    for fine in ("plain", "café 中文 😀", ""):
        assert valid_text(fine) is fine  # valid text is left alone
    body = {"k" + LONE: [LONE, {"n": 1.5, "t": (PAIR,)}], "none": None}
    assert valid_json(body) == {"k\ufffd": ["\ufffd", {"n": 1.5, "t": [GRIN]}], "none": None}
    assert body["k" + LONE][0] == LONE  # the caller's data is not changed


async def test_prompt_file_name_and_url_arrive_as_valid_utf8(client, fake, tmp_path) -> None:
    session = await client.create_session()
    events = [e async for e in client.chat(session.session_id, f"jiggle {LONE} {PAIR}")]
    assert events, "the turn ran"
    assert fake.chat_bodies[-1]["new_message"]["parts"][0]["text"] == f"jiggle \ufffd {GRIN}"

    files = await client.upload(session.session_id, odd_name(tmp_path))
    assert fake.uploads[-1]["filename"] == files[0].filename == "caf\ufffd \ufffd.jpg"
    assert fake.uploads[-1]["data"] == PHOTO.read_bytes()

    await client.upload(session.session_id, f"https://example.test/{LONE}.mp4")
    assert fake.uploads[-1] == {"url": "https://example.test/\ufffd.mp4"}


async def test_on_the_engine_a_lone_surrogate_is_sent_recorded_and_saved(tmp_path) -> None:
    from tests.engine.engine_harness import start_engine

    engine = start_engine(tmp_path / "engine", interpret=None, renderer=None)
    try:
        async with NemoClient(engine.url) as client:
            conv = Conversation(client, data_dir=tmp_path / "data")
            uploaded = await conv.upload(odd_name(tmp_path))
            assert uploaded.kind == "upload", uploaded.text
            await conv.ask("make this photo jiggle")
            reply = await conv.ask(f'add a title "caf{LONE} {PAIR}"')
            assert not reply.errors, [e.text for e in reply.errors]
            assert reply.prompt == f'add a title "caf\ufffd {GRIN}"'
            draft = await conv.refresh()
            assert draft is not None and f'Title: "caf\ufffd {GRIN}"' in draft.summary()
            # The history file is UTF-8 a person (and json) can read back, every turn in it.
            (history,) = (tmp_path / "data" / "history").glob("*.jsonl")
            turns = [json.loads(line) for line in history.read_text(encoding="utf-8").splitlines()]
            assert [t["prompt"] for t in turns][-1] == reply.prompt
            assert len(turns) == 3
    finally:
        engine.stop()
