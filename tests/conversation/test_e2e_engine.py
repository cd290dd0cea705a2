"""End to end on the real embedded engine over real loopback HTTP: upload, animate, a silent
tweak, export, and decode the MP4."""

from __future__ import annotations

from pathlib import Path

import pytest

from nemo_nb.conversation import Conversation, Update

pytestmark = pytest.mark.slow  # a real export render on the engine

PROMPT = "make this photo jiggle and bounce like a looping animated video"


async def _send(conv: Conversation, text: str) -> list[Update]:
    return [u async for u in conv.send(text)]


def _one(updates: list[Update], kind: str) -> Update:
    found = [u for u in updates if u.kind == kind]
    assert len(found) == 1, f"expected one {kind!r} update, got {[u.kind for u in updates]}"
    return found[0]


async def test_jiggle_subtler_export_on_the_engine(tmp_path: Path) -> None:
    import av
    from matplotlib import cbook

    from nemo_nb._connect import connect

    photo = Path(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))
    client = await connect("local")
    async with client:
        conv = Conversation(client, data_dir=tmp_path)
        uploaded = await conv.upload(photo)
        assert uploaded.kind == "upload", uploaded.text
        assert uploaded.text.startswith("Uploaded 1 file: grace_hopper.jpg (image, 512x600)")

        # 1. Ask for motion: a reply, tool activity, the timeline summary, the new draft.
        first = await _send(conv, PROMPT)
        assert not [u for u in first if u.kind == "error"], [u.text for u in first]
        assert any(u.kind == "activity" for u in first)
        assert "".join(u.text for u in first if u.kind == "text" and u.data.get("delta"))
        draft = _one(first, "draft").data["draft"]
        summary = draft.summary()
        assert summary.startswith("Timeline (")
        assert "1. Video: grace_hopper.jpg (0-" in summary and "jiggle" in summary
        video = draft.tracks[0].segments[0]
        strength_before = video.strength
        assert strength_before is not None

        # 2. A pure tweak: the engine answers silently, so we read the state and diff it.
        second = await _send(conv, "make it subtler")
        changes = _one(second, "draft").data["changes"]
        strength = [c for c in changes if c.startswith("Effect strength on grace_hopper.jpg")]
        assert strength, changes  # one per effect ("jiggle and bounce" composes two)
        for change in strength:
            before_pct, after_pct = (int(p.rstrip("%")) for p in change.rsplit(" ", 3)[1::2])
            assert after_pct < before_pct == round(strength_before * 100), change
        if not any(u.kind == "text" for u in second):  # silent turn: the summary is the reply
            assert _one(second, "summary").text.splitlines() == changes

        # 3. Export: progress, then an MP4 on disk.
        third = await _send(conv, "export")
        assert not [u for u in third if u.kind == "error"], [u.text for u in third]
        fractions = [u.data["fraction"] for u in third if u.kind == "progress"]
        assert fractions and fractions == sorted(fractions) and fractions[-1] == 1.0
        path = _one(third, "export").data["path"]
        assert path.exists() and path.suffix == ".mp4"
        assert path.parent == Path.cwd() / "nemo-exports"
        assert path.name.startswith("grace_hopper-jiggle")

    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264"
        frames = sum(1 for _ in container.decode(stream))
    # The draft schema promises exactly round(d / 1000 * fps) frames.
    assert frames == round(draft.duration_ms / 1000 * draft.meta.get("fps", 30))
    history = conv.history_frame()
    assert history["action"].tolist() == ["upload", "agent", "agent", "export"]
    assert history["render_path"].tolist()[-1] == str(path)


async def test_an_engine_killed_mid_reply_ends_the_turn_in_seconds(tmp_path, monkeypatch) -> None:
    """SIGKILL while the reply streams: the turn ends with an honest notice within seconds (not
    minutes), nothing asks the user to reconnect, the message is not resent, and the next message
    reaches the engine that the client restarted by itself."""
    import json
    import os
    import signal
    import time

    from matplotlib import cbook

    from nemo_nb._connect import connect
    from nemo_nb.engine import launcher

    monkeypatch.setenv("NEMO_NB_HOME", str(tmp_path / "data"))
    photo = Path(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))
    client = await connect("local")
    try:
        conv = Conversation(client, data_dir=tmp_path)
        assert (await conv.upload(photo)).kind == "upload"
        pid = json.loads((tmp_path / "data" / "engine.json").read_text())["pid"]
        updates: list[Update] = []
        killed_at = None
        async for update in conv.send(PROMPT):
            updates.append(update)
            if update.kind in ("text", "activity") and killed_at is None:
                os.kill(pid, signal.SIGKILL)
                killed_at = time.monotonic()
        took = time.monotonic() - killed_at
        texts = [u.text for u in updates]
        assert "The connection dropped while the agent was working" in " ".join(texts), texts
        assert took < 20, f"the turn took {took:.1f} s after the kill"
        assert not any("connect()" in t for t in texts), texts
        assert not [u for u in updates if u.kind == "error"], texts
        landed = any(t.startswith("The edit landed") for t in texts)
        assert landed or "keep checking" in texts[-1], texts
        assert len(conv.turns) == 2  # upload, this message: recorded once, never resent

        second = [u async for u in conv.send("make it subtler")]
        assert not [u for u in second if u.kind == "error"], [u.text for u in second]
        new_pid = json.loads((tmp_path / "data" / "engine.json").read_text())["pid"]
        assert new_pid != pid and launcher.pid_alive(new_pid)
    finally:
        await client.aclose()
        launcher.release(tmp_path / "data")
