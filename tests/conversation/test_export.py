"""Export: pre-check, progress, download, and jobs that survive a kernel restart."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nemo_nb.api import RenderError
from nemo_nb.conversation import Conversation, NothingToExportError, Update

from .fakes import ENGINE_DRAFT, FakeClient


async def collect(conv: Conversation, message: str) -> list[Update]:
    return [u async for u in conv.send(message)]


def pending(tmp_path: Path) -> list[dict]:
    path = tmp_path / "pending_renders.json"
    return json.loads(path.read_text()) if path.exists() else []


async def test_export_reports_progress_and_returns_the_file(tmp_path: Path) -> None:
    client = FakeClient(ENGINE_DRAFT)
    conv = Conversation(client, data_dir=tmp_path)
    await conv.start()
    updates = await collect(conv, "export 1080p MP4")
    progress = [u.data["fraction"] for u in updates if u.kind == "progress"]
    assert progress == [0.0, 0.25, 0.75, 1.0]
    assert updates[-1].kind == "export"
    path = updates[-1].data["path"]
    # beside the notebook (the working directory), named after the photo and its effect
    assert path.exists() and path == Path.cwd() / "nemo-exports" / "portrait-jiggle.mp4"
    assert updates[-1].text == f"Your video is ready: {path}"
    assert client.render_drafts["render_1"] == ENGINE_DRAFT  # the draft the state had
    assert pending(tmp_path) == []  # downloaded: nothing left to resume


async def test_export_method_with_progress_callback_and_destination(tmp_path: Path) -> None:
    client = FakeClient(ENGINE_DRAFT)
    conv = Conversation(client, data_dir=tmp_path, session_id="sess-1")
    seen: list[float] = []
    target = tmp_path / "out"
    path = await conv.export(on_progress=seen.append, dest=target)
    assert path == target / "portrait-jiggle.mp4" and path.exists()
    assert seen == [0.0, 0.25, 0.75, 1.0]
    assert conv.turns[-1].render_path == str(path)


async def test_nothing_to_export_is_a_clear_sentence(tmp_path: Path) -> None:
    client = FakeClient({"t": [{"tt": 0, "sg": []}]})
    conv = Conversation(client, data_dir=tmp_path, session_id="sess-1")
    updates = await collect(conv, "导出")
    assert [u.kind for u in updates] == ["error"]
    assert updates[0].text.startswith("Nothing to export yet — upload a photo")
    with pytest.raises(NothingToExportError, match="Nothing to export yet"):
        await conv.export()
    assert client.renders == {}


async def test_failed_render_is_an_error_and_is_not_resumed(tmp_path: Path) -> None:
    client = FakeClient(ENGINE_DRAFT, render_fails=True)
    conv = Conversation(client, data_dir=tmp_path, session_id="sess-1")
    updates = await collect(conv, "export")
    assert updates[-1].kind == "error"
    assert updates[-1].text == "The render failed: the photo could not be decoded."
    assert pending(tmp_path) == []
    with pytest.raises(RenderError):
        await conv.export()


async def test_a_render_left_running_by_a_dead_kernel_is_resumed(tmp_path: Path) -> None:
    client = FakeClient(ENGINE_DRAFT)
    first = Conversation(client, data_dir=tmp_path, session_id="sess-1")
    stream = first.send("export")
    async for update in stream:
        if update.kind == "progress" and update.data["fraction"] > 0:
            break  # the kernel dies mid-render
    await stream.aclose()
    left = pending(tmp_path)
    assert [p["render_id"] for p in left] == ["render_1"]
    assert left[0]["session_id"] == "sess-1" and left[0]["backend"] == "engine"

    # A new kernel: a new Conversation on the same session picks the job up.
    second = Conversation(client, data_dir=tmp_path, session_id="sess-1")
    paths = await second.resume_pending()
    assert [p.name for p in paths] == ["portrait-jiggle.mp4"] and paths[0].exists()
    assert pending(tmp_path) == []
    assert len(client.renders) == 1  # nothing was rendered twice


async def test_export_of_the_same_timeline_picks_up_the_running_job(tmp_path: Path) -> None:
    client = FakeClient(ENGINE_DRAFT)
    first = Conversation(client, data_dir=tmp_path, session_id="sess-1")
    stream = first.send("export")
    async for update in stream:
        if update.kind == "progress":
            break
    await stream.aclose()
    second = Conversation(client, data_dir=tmp_path, session_id="sess-1")
    updates = await collect(second, "send me the video")
    assert updates[0].text == "Picking up the export that was already running…"
    assert updates[-1].kind == "export" and updates[-1].data["render_id"] == "render_1"
    assert len(client.renders) == 1


async def test_jobs_of_other_sessions_are_left_alone(tmp_path: Path) -> None:
    client = FakeClient(ENGINE_DRAFT)
    first = Conversation(client, data_dir=tmp_path, session_id="sess-1")
    stream = first.send("export")
    async for update in stream:
        if update.kind == "progress":
            break
    await stream.aclose()
    other = Conversation(client, data_dir=tmp_path, session_id="sess-9")
    assert await other.resume_pending() == []
    assert len(pending(tmp_path)) == 1


async def test_a_render_that_outlasts_the_wait_stays_pending(tmp_path: Path) -> None:
    from nemo_nb.api import RenderJob

    client = FakeClient(ENGINE_DRAFT)

    async def give_up(render_id: str, on_progress: object = None) -> RenderJob:
        err = RenderError("The render is still running after 30 minutes; it keeps going.")
        err.job = RenderJob(render_id, "processing", 40.0)  # type: ignore[attr-defined]
        raise err

    client.wait_render = give_up  # type: ignore[method-assign]
    conv = Conversation(client, data_dir=tmp_path, session_id="sess-1")
    updates = await collect(conv, "export")
    assert updates[-1].kind == "error" and "still running" in updates[-1].text
    assert [p["render_id"] for p in pending(tmp_path)] == ["render_1"]  # resumable later
