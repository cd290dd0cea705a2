"""The Studio on the real engine without a browser: controls are pressed as a person would
(FileUpload value in ipywidgets 8's format, ``.click()``), then the panel is read back."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import json
from pathlib import Path

import pytest
from PIL import Image

import nemo_nb
from nemo_nb.conversation import Update
from nemo_nb.widgets import Studio
from nemo_nb.widgets._coalesce import REDRAW_INTERVAL_S
from tests.conftest import ARTIFACTS

from .conftest import settle

PROMPT = "make this photo jiggle and bounce like a looping animated video"


def agent_reply(prompt: str = PROMPT) -> tuple[str, str]:
    """(the engine agent's own words for ``prompt`` on the sample photo, what the user reads)."""
    from nemo_nb.conversation import translate_gui
    from nemo_nb.engine.agent import MediaRef, interpret

    photo = MediaRef("m1", "http://127.0.0.1/media/m1/grace_hopper.jpg", "grace_hopper.jpg",
                     "image", 512, 600, None)  # fmt: skip
    raw = interpret(prompt, None, [photo]).text
    return raw, translate_gui(raw, "studio").text  # the Studio points at its own button


RAW, REPLY = agent_reply()


def picked(path: Path, name: str | None = None, content: bytes | None = None) -> dict:
    """One file as ipywidgets 8's FileUpload holds it after the browser sent it."""
    data = path.read_bytes() if content is None else content
    return {
        "name": name or path.name,
        "type": "image/jpeg",
        "size": len(data),
        "content": memoryview(data),
        "last_modified": dt.datetime.now(dt.timezone.utc),
    }


def agent_entries(studio: Studio) -> list[str]:
    return [line for line in studio.log_text().splitlines() if line.startswith("Agent: ")]


async def upload_sample(studio: Studio) -> None:
    studio._media.upload.value = [picked(nemo_nb.sample_photo())]
    await settle(studio)


@pytest.mark.slow
async def test_upload_send_stream_table_gantt_history(studio: Studio) -> None:
    await upload_sample(studio)
    assert studio._media.upload.value == ()  # cleared after the upload
    assert "Uploaded 1 file: grace_hopper.jpg (image, 512x600)" in studio.log_text()
    assert len(studio._media.thumbs.children) == 1

    # Watch every value the reply's widget takes while it streams.
    seen: list[str] = []
    inner = studio._log._inner

    def watch(change: dict) -> None:
        for child in change["new"]:
            if "nemo-nb-agent" in getattr(child, "value", "") and not seen:
                seen.append(child.value)
                child.observe(lambda c: seen.append(c["new"]), "value")

    inner.observe(watch, "children")
    studio._prompt.value = PROMPT
    loop = asyncio.get_running_loop()
    started = loop.time()
    studio._send.click()
    assert studio._prompt.value == "" and studio._send.disabled and not studio._stop.disabled
    await settle(studio)
    took = loop.time() - started

    # The reply is in the log once, translated; nothing raw was ever shown.
    assert "click Export" in RAW and RAW != REPLY
    assert agent_entries(studio) == [f"Agent: {REPLY}"]
    assert "click Export" not in studio.log_text()
    assert not any("click Export" in v or "Preview it" in v for v in seen)
    texts = [v for v in seen if v]
    assert len(texts) >= 2, "the reply should grow in place, not appear at once"
    plain = [len(v) for v in texts]
    assert plain == sorted(plain)  # it only grows
    assert len(texts) <= took / REDRAW_INTERVAL_S + 2  # coalesced: at most ~20 redraws a second
    log = studio.log_text()
    assert (
        log.index(f"You: {PROMPT}") < log.index("▸ Building the timeline…") < log.index("Agent: ")
    )
    assert not studio._send.disabled and studio._stop.disabled

    # Buttons for what the reply offered; they run.
    buttons = _action_buttons(studio)
    assert [b.description for b in buttons] == ["Show timeline", "Export"]
    studio._tabs.selected_index = 2
    buttons[0].click()
    await settle(studio)
    assert studio._tabs.selected_index == 0

    # Timeline tab: the file's own name, seconds, no media URL; the Gantt chart as an image.
    table = studio._timeline.table.value
    assert "grace_hopper.jpg" in table and "0.0–6.0 s" in table and "jiggle" in table
    assert "http://" not in table and "/media/" not in table
    assert table.count("<tr>") == 2  # header + one segment
    gantt = Image.open(io.BytesIO(studio._timeline.gantt.value))
    assert gantt.format == "PNG" and gantt.width >= 400
    first_gantt = studio._timeline.gantt.value

    # A tweak redraws the timeline; the history tab lists both turns.
    await studio.send("make it subtler")
    assert studio._timeline.gantt.value != first_gantt or "Changed:" in studio.log_text()
    assert PROMPT in studio._history.value and "make it subtler" in studio._history.value
    assert len(studio.conversation.history_frame()) == 3  # upload, jiggle, subtler


def _action_buttons(studio: Studio) -> list:
    rows = [c for c in studio._log._inner.children if c.__class__.__name__ == "HBox"]
    return [b for row in rows for b in row.children]


def _result_html(studio: Studio) -> str:
    """The Export tab's output (the video and its links) as the notebook renders it."""
    outputs = studio._export_tab.result.outputs
    return "".join(o["data"]["text/html"] for o in outputs)


@pytest.mark.slow  # a real export render
async def test_export_shows_progress_then_the_video(studio: Studio) -> None:
    await upload_sample(studio)
    await studio.send(PROMPT)
    fractions: list[float] = []
    stages: list[str] = []
    studio._export_tab.progress.observe(lambda c: fractions.append(c["new"]), "value")
    studio._export_tab.stage.observe(lambda c: stages.append(c["new"]), "value")
    studio._export_tab.button.click()
    assert studio._export_tab.button.disabled  # one export at a time
    assert not studio._stop.disabled  # ... which Stop (or Cancel) can cancel
    await settle(studio, timeout=240)

    assert fractions[-1] == 1.0
    moving = [f for f in fractions if 0.0 < f < 1.0]
    assert moving and moving == sorted(moving), fractions
    assert ">Ready in " in studio._export_tab.stage.value
    # this engine's own pace, not the cloud's "usually takes 30-90 seconds"
    assert "Export started on this machine&#x27;s engine" in " ".join(stages)
    assert "usually takes" not in studio.log_text()
    assert any("so far, about" in v and " left" in v for v in stages), stages

    # Beside the notebook, under a readable name; played from the server's files route.
    path = studio._export_tab.exports[-1]
    assert path == Path.cwd() / "nemo-exports" / "grace_hopper-jiggle-bounce.mp4"
    html = _result_html(studio)
    href = "nemo-exports/grace_hopper-jiggle-bounce.mp4"
    assert f'<video src="{href}"' in html and "controls" in html and "muted" in html
    assert f'href="{href}" download="grace_hopper-jiggle-bounce.mp4"' in html
    assert "file:" not in html and "base64" not in html  # the file itself, not a copy in the page
    import av

    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        assert (stream.width, stream.height) == (1080, 1920)
        assert sum(1 for _ in container.decode(stream)) >= 150  # 6 s at 30 fps
    assert f"Your video is ready: {href} (in the Export tab)." in studio.log_text()
    assert studio._tabs.selected_index == 1
    assert studio._export_tab.stale.value == ""

    # The static view for places without widgets: reply, table, poster; small; no token.
    bundle = studio._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    snapshot = studio._snapshot()
    bundle["text/html"] = snapshot
    out = ARTIFACTS / "widgets"
    out.mkdir(parents=True, exist_ok=True)
    (out / "studio-snapshot.html").write_text(snapshot, encoding="utf-8")  # to look at
    assert "grace_hopper.jpg" in snapshot and "See the Timeline tab" in snapshot
    assert "class='nemo-filmstrip'" in snapshot and path.name in snapshot
    assert "<video" not in snapshot  # no MP4 in a saved notebook: the filmstrip shows the motion
    assert len(json.dumps(bundle)) < 100_000
    token = studio.conversation.client._token.get()
    assert token and token not in json.dumps(bundle) and token not in studio.log_text()

    # A later edit: the export no longer matches the timeline, and says so.
    await studio.send("make it subtler")
    assert "The timeline changed since this export." in studio._export_tab.stale.value
    assert studio._export_tab.button.description == "Export again"
    assert path.name in _result_html(studio)  # the old video stays, marked


async def test_stop_in_the_middle_of_a_reply(engine, tmp_path: Path) -> None:
    from nemo_nb.api import NemoClient
    from nemo_nb.conversation import Conversation

    engine.engine.config.reply_pace = 0.3  # slow enough to stop after the first chunk
    try:
        async with NemoClient(engine.url) as client:
            studio = Studio(conversation=Conversation(client, data_dir=tmp_path))
            await upload_sample(studio)
            studio._prompt.value = PROMPT
            studio._send.click()
            for _ in range(400):
                await asyncio.sleep(0.01)
                if agent_entries(studio):
                    break
            assert agent_entries(studio), "no text arrived"
            studio._stop.click()
            await settle(studio)
    finally:
        engine.engine.config.reply_pace = 0.02
    shown = agent_entries(studio)[0][len("Agent: ") :]
    assert shown and REPLY.startswith(shown) and shown != REPLY
    assert studio.log_text().endswith("Stopped. The agent may still finish this edit on the server; "
                                      "the timeline shows what the server has now.")  # fmt: skip
    assert not studio._send.disabled and studio._stop.disabled
    # The edit landed on the server before the reply streamed: the timeline shows it.
    assert "grace_hopper.jpg" in studio._timeline.table.value


async def test_disguised_file_and_empty_export_end_as_sentences(studio: Studio) -> None:
    studio._media.upload.value = [
        picked(nemo_nb.sample_photo(), name="holiday.jpg", content=b"not a photo at all\n" * 50)
    ]
    await settle(studio)
    studio._export_tab.button.click()
    await settle(studio)
    errors = [line for line in studio.log_text().splitlines() if line.startswith("✗ ")]
    assert errors[0].startswith("✗ 'holiday.jpg' is not a photo, video or audio file")
    assert errors[1].startswith("✗ Nothing to export yet — upload a photo")
    assert len(errors) == 2 and "Traceback" not in studio.log_text()
    assert studio._export_tab.progress.bar_style == "danger"
    assert ">Nothing to export yet" in studio._export_tab.stage.value
    assert not studio._export_tab.button.disabled
    assert studio._media.thumbs.children == ()


async def test_typed_export_runs_the_export_as_the_button_does(studio: Studio) -> None:
    """Typing "export" goes the button's way: the Export tab shows it and says why it failed."""
    reply = await studio.send("export")
    assert reply.path is None and reply.errors
    assert studio.log_text().splitlines()[:2] == [
        "You: export",
        "✗ " + reply.errors[-1].text,
    ]
    assert reply.errors[-1].text.startswith("Nothing to export yet")
    assert studio._tabs.selected_index == 1
    assert ">Nothing to export yet" in studio._export_tab.stage.value
    assert not studio._export_tab.button.disabled and not studio._send.disabled
    assert studio.conversation.turns[-1].action == "export"


async def test_a_failing_task_lands_in_the_log(studio: Studio) -> None:
    async def broken(text: str):
        raise RuntimeError("the disk is full")
        yield  # pragma: no cover

    studio.conversation.send = broken  # type: ignore[method-assign]
    await studio.send("make it jiggle")
    assert studio.log_text().splitlines()[-1] == (
        "✗ Something went wrong while sending your message: the disk is full. Try again; if it "
        "keeps happening, restart the kernel."
    )
    studio._spawn(asyncio.sleep(0, result=None), "nothing")  # a task that ends well adds nothing

    async def fails() -> None:
        raise ValueError("bad value")

    studio._spawn(fails(), "reading the timeline")
    await settle(studio)
    assert "✗ Something went wrong while reading the timeline: bad value." in studio.log_text()


@pytest.mark.slow
async def test_new_session_starts_empty(studio: Studio) -> None:
    await upload_sample(studio)
    await studio.send(PROMPT)
    first = studio.conversation.session_id
    studio._new.click()
    await settle(studio)
    assert studio._media.thumbs.children == ()
    assert "grace_hopper.jpg" not in studio._timeline.table.value
    assert studio._timeline.gantt.value == b""
    assert studio.log_text().splitlines()[-1] == "— New session: upload a photo to start. —"
    reply = await studio.send(PROMPT)  # nothing uploaded in this session yet
    assert studio.conversation.session_id not in (None, first)
    assert "grace_hopper.jpg" not in reply.text


async def test_late_update_and_skill_chips(studio: Studio) -> None:
    studio.conversation.on_late_update(Update("notice", "The edit landed (checked after 30 s)."))
    await settle(studio)
    assert studio.log_text().splitlines()[-1] == "The edit landed (checked after 30 s)."
    chips = [b.description for b in studio._chip_buttons]
    assert chips[0] == PROMPT
    studio._skills.value = "ai-animations"
    assert [b.description for b in studio._chip_buttons][0].startswith("turn my static images")
    assert studio.conversation.skill.name == "ai-animations"


@pytest.mark.parametrize("n", [100])
async def test_redraws_are_coalesced(n: int) -> None:
    from nemo_nb.widgets._coalesce import Coalescer

    draws = []
    c = Coalescer(lambda: draws.append(asyncio.get_running_loop().time()))
    for _ in range(n):
        c.request()
        await asyncio.sleep(0.002)
    timed = list(draws)
    c.request()
    c.flush()  # the end of a reply draws at once
    assert len(draws) == len(timed) + 1
    gaps = [b - a for a, b in zip(timed, timed[1:], strict=False)]
    assert 2 <= len(timed) < n / 5
    assert all(g >= REDRAW_INTERVAL_S * 0.9 for g in gaps)


async def test_enter_sends_the_text_it_commits(studio: Studio) -> None:
    # As the browser does it: the Enter keypress ("submit") comes just before the text it commits.
    studio._prompt._handle_custom_msg({"event": "submit"}, [])
    assert not studio._send.disabled  # nothing to send yet
    studio._prompt.value = "credits"
    assert studio._send.disabled and studio._prompt.value == ""
    await settle(studio)
    assert "You: credits" in studio.log_text()
    assert studio.log_text().splitlines()[-1].startswith("You have ")

    # Enter on text that was already committed (say, by a click elsewhere) sends it too.
    studio._prompt.value = "status"
    studio._prompt._handle_custom_msg({"event": "submit"}, [])
    await settle(studio)
    assert "You: status" in studio.log_text() and studio._prompt.value == ""


@pytest.mark.slow
async def test_cancel_mid_render_cancels_the_engine_job(engine, studio: Studio) -> None:
    """Cancel while the engine renders: the job ends cancelled (not failed), none is left
    processing, the log and the Export tab say so, and the next export works."""
    client = studio.conversation.client
    started: list[str] = []
    start_render = client.start_render

    async def recording(*args, **kwargs):
        job = await start_render(*args, **kwargs)
        if kwargs.get("quality", "high") == "high":  # the export's, not a reply's preview
            started.append(job.id)
        return job

    client.start_render = recording  # type: ignore[method-assign]
    await upload_sample(studio)
    await studio.send(PROMPT)
    studio._export_tab.button.click()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 120
    while studio._export_tab.progress.value <= 0.0:  # the engine is rendering
        assert loop.time() < deadline, "the render never started"
        await asyncio.sleep(0.02)
    assert studio._export_tab.cancel.layout.display is None  # the Cancel button shows
    studio._export_tab.cancel.click()
    await settle(studio)

    store = engine.engine.store
    job = store.job(started[0], client.user_id)
    assert job is not None and job.status == "cancelled", job
    assert job.error == "The render was cancelled."
    statuses = [r["status"] for r in store._db.execute("SELECT status FROM jobs").fetchall()]
    assert "processing" not in statuses and "pending" not in statuses, statuses
    log = studio.log_text().splitlines()
    assert "Cancelling the export…" in log
    assert log[-1] == (
        "Export cancelled: the engine stopped the render, and its job ends as cancelled."
    )
    assert not any(line.startswith("✗ ") for line in log), "a cancel is not an error"
    tab = studio._export_tab
    assert "Export cancelled" in tab.stage.value and tab.progress.bar_style == "warning"
    assert not tab.button.disabled and tab.cancel.layout.display == "none"
    assert studio._stop.disabled  # idle again
    assert studio._export_tab.exports == [] and not list(Path.cwd().glob("nemo-exports/*.mp4"))


async def test_buttons_of_an_earlier_session_are_inert(studio: Studio) -> None:
    await upload_sample(studio)
    await studio.send(PROMPT)
    old = {b.description: b for b in _action_buttons(studio)}
    assert set(old) == {"Show timeline", "Export"} and not old["Export"].disabled
    await studio.new_session()
    lines = studio.log_text()
    assert all(b.disabled for b in old.values())  # drawn disabled in the browser
    old["Export"].click()  # and a click (the browser's or this one) does nothing
    old["Show timeline"].click()
    await settle(studio)
    assert studio.log_text() == lines  # no "Nothing to export yet", nothing at all
    assert not studio._export_tab.button.disabled and studio._export_tab.stage.value == ""
    assert studio.conversation.turns == []


async def test_the_header_is_honest_about_credits_on_the_engine(studio: Studio) -> None:
    await settle(studio)
    assert "Offline engine: no credits needed" in studio._credits.value
    assert "Credits:" not in studio._credits.value
    assert "Local engine (offline)" in studio._backend.value
