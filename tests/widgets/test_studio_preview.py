"""The Studio's automatic previews, on the real engine without a browser (the browser checks are in
tests/e2e): after each turn that changed the timeline its preview plays in the log under the
reply, with "Export full quality" beside it; a newer one replaces it; a turn that changes nothing
adds none; the checkbox turns them off; on the cloud the log says once that there are none; and a
saved notebook with three previewed turns stays small."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import av
import httpx
import nbformat
import pytest
from ipywidgets.embed import dependency_state

from nemo_nb.api import NemoClient
from nemo_nb.conversation import Conversation
from nemo_nb.widgets import Studio
from nemo_nb.widgets._preview import PreviewCard
from nemo_nb.widgets._studio import NO_PREVIEWS, PREVIEWS_FOLDER
from tests.conftest import ARTIFACTS

from .conftest import settle
from .test_studio import PROMPT, upload_sample

pytestmark = pytest.mark.slow

#: A saved notebook with a Studio session of three previewed turns stays under this (issue 20).
MAX_SAVED_BYTES = 300_000


def cards(studio: Studio) -> list[PreviewCard]:
    return list(studio._previews)


def video_html(card: PreviewCard) -> str:
    """The HTML the card's output shows ("" when it shows no video)."""
    return "".join(o["data"]["text/html"] for o in card.video.outputs)


def log_children(studio: Studio) -> list:
    return list(studio._log._inner.children)


def decoded_size(path: Path) -> tuple[int, int, int, bool]:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        frames = sum(1 for _ in container.decode(stream))
        return stream.width, stream.height, frames, bool(container.streams.audio)


async def test_each_change_plays_its_preview_under_the_reply(studio: Studio, tmp_path) -> None:
    await upload_sample(studio)
    await studio.send(PROMPT)
    await settle(studio)

    # The preview sits in the log right under the reply (above the buttons the reply offered).
    [card] = cards(studio)
    children = log_children(studio)
    reply_at = max(i for i, c in enumerate(children) if "nemo-nb-agent" in getattr(c, "value", ""))
    assert children.index(card.box) == reply_at + 1
    assert card.clip is not None
    path = card.clip.path
    assert path.is_relative_to(tmp_path)  # in the notebook's folder: Jupyter serves it
    width, height, frames, audio = decoded_size(path)
    assert (width, height) == (360, 640) and frames == 180  # 6 s at 30 fps, 9:16
    html = video_html(card)
    src = re.search(r'src="([^"]+)"', html)
    assert src and src.group(1) == path.relative_to(tmp_path).as_posix()  # a link, not bytes
    for attribute in (" autoplay", " loop", " muted", " playsinline", " controls"):
        assert attribute in html
    assert "data:" not in html and len(html) < 1000
    assert card.export in card.buttons.children
    assert (card.sound in card.buttons.children) == audio
    assert f"Preview: {path.name}" in studio.log_text()

    # A turn that changes nothing adds no preview.
    await studio.send("status")
    await settle(studio)
    assert cards(studio) == [card]

    # With music: the Sound button plays it unmuted.
    await studio.send("add some upbeat music")
    await settle(studio)
    [with_music] = cards(studio)
    assert with_music is not card and "replaced by a newer one" in card.caption.value
    assert card.box in log_children(studio)  # folded to a line, where it was
    assert card.video.outputs == () and card.buttons.children == ()
    assert with_music.clip is not None and with_music.clip.has_audio
    assert decoded_size(with_music.clip.path)[3], "the preview has the music"
    assert with_music.sound in with_music.buttons.children
    assert "press Sound to hear it" in with_music.caption.value
    assert " muted" in video_html(with_music)
    with_music.sound.value = True
    assert " muted" not in video_html(with_music) and " autoplay" in video_html(with_music)

    # "Export full quality" runs the Export button's code: a full-size MP4 in the Export tab.
    with_music.export.click()
    await settle(studio, timeout=240)
    [export] = studio._export_tab.exports
    assert decoded_size(export)[:2] == (1080, 1920)
    assert studio._tabs.selected_index == 1
    assert export.parent != with_music.clip.path.parent  # previews are not in the exports list

    # Off: a change adds no preview; on again, the next change has one.
    studio._auto.value = False
    assert studio.auto_preview is False
    await studio.send("make it subtler")
    await settle(studio)
    assert cards(studio) == [with_music] and with_music.clip is not None
    studio.auto_preview = True
    assert studio._auto.value is True
    path = await studio.preview()  # the method: the same card as after a turn
    [latest] = cards(studio)
    assert latest is not with_music and latest.clip is not None and latest.clip.path == path
    assert with_music.clip is None  # folded


async def test_a_saved_notebook_with_three_previewed_turns_stays_small(
    engine, tmp_path, monkeypatch
) -> None:
    notebook_dir = tmp_path / "notebooks"
    notebook_dir.mkdir()
    monkeypatch.chdir(notebook_dir)
    async with NemoClient(engine.url) as client:
        # the data dir is elsewhere, as in real use: previews go beside the notebook instead
        studio = Studio(conversation=Conversation(client, data_dir=tmp_path / "data"))
        assert studio.conversation.previews_dir == notebook_dir / PREVIEWS_FOLDER
        await upload_sample(studio)
        for prompt in (PROMPT, "make it subtler", "add some upbeat music"):
            await studio.send(prompt)
            await settle(studio)
    shown = [c for c in log_children(studio) if "nemo-nb-preview" in c._dom_classes]
    assert len(shown) == 3 and len(cards(studio)) == 1 and cards(studio)[0].clip is not None
    assert cards(studio)[0].clip.path.is_relative_to(notebook_dir / PREVIEWS_FOLDER)

    # What JupyterLab saves: the cell's outputs (the panel's view and its snapshot) and the
    # state of every widget model in the panel (ipywidgets' own embedding of it).
    bundle = studio._repr_mimebundle_()
    snapshot = {"text/html": studio._snapshot()}
    state = dependency_state([studio.panel], drop_defaults=True)
    notebook = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("import nemo_nb\nstudio = nemo_nb.Studio()\nstudio")
    cell.outputs = [
        nbformat.v4.new_output("display_data", data=bundle),
        nbformat.v4.new_output("display_data", data=snapshot),
    ]
    notebook.cells = [cell]
    notebook.metadata["widgets"] = {
        "application/vnd.jupyter.widget-state+json": {
            "version_major": 2,
            "version_minor": 0,
            "state": state,
        }
    }
    saved = notebook_dir / "studio-three-previews.ipynb"
    nbformat.write(notebook, saved)
    size = saved.stat().st_size
    print(f"saved notebook, three previewed turns: {size} bytes, {len(state)} widget models")
    text = saved.read_text()
    assert size < MAX_SAVED_BYTES, f"{size} bytes"
    assert "data:video" not in text  # the previews are links to files beside the notebook
    assert text.count("nemo-nb-preview-video") == 1  # older previews fold to a line
    ARTIFACTS.joinpath("widgets").mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "widgets" / "saved-notebook-size.json").write_text(json.dumps({"bytes": size}))


@pytest.fixture
async def cloud_studio(tmp_path, monkeypatch):
    """A Studio on the fake cloud, reached under a cloud address (loopback would make it the
    engine) through httpx's in-process transport."""
    sys.path.insert(0, str(Path(__file__).parents[1] / "api"))
    from fake_cloud import FakeCloud

    monkeypatch.chdir(tmp_path)
    fake = FakeCloud()
    fake.api_base = "https://api.nemovideo.example"
    async with NemoClient(
        fake.api_base, transport=httpx.ASGITransport(app=fake.app)
    ) as client:  # fmt: skip
        studio = Studio(conversation=Conversation(client, data_dir=tmp_path))
        yield studio, fake
        await settle(studio)


async def test_on_the_cloud_the_log_says_once_that_previews_are_local_only(cloud_studio) -> None:
    studio, fake = cloud_studio
    await studio.send("make this photo jiggle")
    await settle(studio)
    await studio.send("make this photo jiggle")
    await settle(studio)
    assert studio.log_text().count(NO_PREVIEWS) == 1
    assert studio._auto.disabled and cards(studio) == []
    assert fake.render_submits == []  # the cloud is never asked for a preview
    assert await studio.preview() is None
