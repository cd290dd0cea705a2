"""Stored XSS: every HTML view shows hostile text as text.

Draft text, file names, the agent's replies, error sentences, render status and URLs come from
servers (the cloud, a shared room engine), so each view is rendered with hostile strings and its
HTML parsed as a browser would: no element or attribute may come from the text, no URL may run
script, and the text must still be there to read. The Studio is driven through the code paths a
turn uses, once on the real engine and once against a hostile fake cloud over loopback; then
every ``widgets.HTML`` in its tree is checked.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator, Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import ipywidgets as widgets
import pytest

import nemo_nb
from nemo_nb.api import NemoClient
from nemo_nb.conversation import Conversation
from nemo_nb.display import show_video
from nemo_nb.lab._cards import card_html, grid_html
from nemo_nb.lab._variant import Variant
from nemo_nb.timeline import Draft, to_dataframe
from nemo_nb.widgets import Studio
from nemo_nb.widgets._export_tab import ExportTab
from nemo_nb.widgets._log import ChatLog
from nemo_nb.widgets._media import MediaBar
from nemo_nb.widgets._snapshot import snapshot_html
from nemo_nb.widgets._timeline_tab import timeline_table_html
from tests.api.fake_cloud import Cdn, FakeCloud, ServerThread, adk
from tests.widgets.conftest import settle

#: Each one is live markup or a script URL if it reaches the page unescaped.
HOSTILE = [
    '<img src=x onerror="window.__xss=1">',
    '"><script>window.__xss=1</script>',
    "'><svg onload=window.__xss=1>",
    "</style><script>window.__xss=1</script>",
    "</textarea><iframe srcdoc='<script>window.__xss=1</script>'>",
    '<a href="javascript:window.__xss=1">click me</a>',
    "javascript:window.__xss=1",
]
#: The ones that can be a file name (no "/").
HOSTILE_NAMES = [h for h in HOSTILE if "/" not in h]
#: What a person types: ``add a title "<img src=x onerror=…>"`` (the issue's own example).
TITLE = "<img src=x onerror=window.__xss=1>"

# What our own views emit; an element outside this list can only have come from the text.
_OUR_TAGS = {
    "div", "span", "p", "b", "i", "code", "table", "thead", "tbody", "tr", "th", "td", "caption",
    "style", "video", "img", "a", "figure", "figcaption", "ol", "li", "br",
}  # fmt: skip
_URL_ATTRS = {"href", "src", "poster", "action", "formaction", "xlink:href", "background"}


class _Audit(HTMLParser):
    """Parses HTML as a browser would and lists what could run script."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _OUR_TAGS:
            self.problems.append(f"<{tag}> element")
        for name, value in attrs:
            if name.startswith("on") or name == "srcdoc":
                self.problems.append(f"<{tag} {name}=…> attribute")
            if name in _URL_ATTRS and not _harmless_url(tag, value or ""):
                self.problems.append(f"<{tag} {name}={value!r}>")
            if value:
                self.text.append(value)

    handle_startendtag = handle_starttag

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _harmless_url(tag: str, url: str) -> bool:
    url = "".join(url.split()).lower()
    if tag == "img":  # our pictures are embedded PNG/JPEG
        return url.startswith(("data:image/png", "data:image/jpeg"))
    if url.startswith("data:"):
        return url.startswith("data:video/")
    scheme = url.split(":", 1)[0] if ":" in url.split("/", 1)[0] else ""
    return scheme in ("", "http", "https")


def audit(html: str) -> tuple[list[str], str]:
    """(what in ``html`` could run script, all its text and attribute values as a browser reads
    them)."""
    parser = _Audit()
    parser.feed(html)
    parser.close()
    return parser.problems, "\n".join(parser.text)


def assert_inert(html: str, *shown: str) -> None:
    """No live markup in ``html``, and each of ``shown`` readable in it as the text it is."""
    problems, text = audit(html)
    assert not problems, f"live markup: {problems}\n{html[:3000]}"
    for expected in shown:
        assert expected in text, f"{expected!r} is not shown as text"


def test_the_audit_catches_what_it_is_for() -> None:
    # The check itself: each hostile string, pasted in raw, is caught; escaped, it is text.
    import html as std

    for hostile in HOSTILE:
        page = f"<div title='x'><p>{hostile}</p></div>"
        if hostile.startswith("javascript:"):
            page = f'<a href="{hostile}">x</a>'
        assert audit(page)[0], hostile
        assert_inert(f"<div><p>{std.escape(hostile)}</p></div>", hostile)


def test_the_helper_refuses_urls_that_run_script(tmp_path: Path, monkeypatch) -> None:
    from nemo_nb._html import Markup, escape, file_href, safe_url, tag

    for bad in ("javascript:alert(1)", " JavaScript:alert(1)", "java\tscript:alert(1)",
                "\x01javascript:alert(1)", "vbscript:x", "data:text/html,<script>", "file:///etc",
                "data:image/svg+xml,<svg onload=alert(1)>"):  # fmt: skip
        assert safe_url(bad) is None, bad
        assert "href" not in tag("a", "x", href=bad) and "src" not in tag("img", src=bad)
    for good in ("https://cdn.example/a b.mp4", "http://x", "renders/a.mp4", "/files/a.mp4",
                 "data:video/mp4;base64,AAAA", "data:image/png;base64,AAAA"):  # fmt: skip
        assert safe_url(good) == good
    assert tag("a", TITLE, title=TITLE) == (
        '<a title="&lt;img src=x onerror=window.__xss=1&gt;">'
        "&lt;img src=x onerror=window.__xss=1&gt;</a>"
    )
    assert escape(Markup("<b>ours</b>")) == "<b>ours</b>" and escape(None) == ""
    with pytest.raises(ValueError):
        tag("a", onclick="x")
    monkeypatch.chdir(tmp_path)
    assert file_href(tmp_path / "out" / "javascript:x y.mp4") == "out/javascript%3Ax%20y.mp4"
    assert file_href(tmp_path.parent / "elsewhere.mp4") is None


# ---- the draft's own views ----------------------------------------------------------------------


def hostile_draft(text: str) -> dict[str, Any]:
    """A draft whose every string a server controls is ``text``: title, track names, segment
    names and text, effect and transition types, a ``src`` URL, unknown keys and their values."""
    return {
        "d": 6000,
        "m": {"title": text, "width": 1080, "height": 1920, "aspect": text},
        "t": [
            {"id": text, "tt": 0, "n": text, "sg": [
                {"id": "s1", "st": 0, "d": 3000, "src": f"https://cdn.example/{text}.jpg",
                 "n": text, "m": {"kind": "image", "fx": {"type": text, "strength": 0.5}}},
                {"id": "s2", "st": 3000, "d": 3000, "src": text, "n": f"{text}.png",
                 "m": {"kind": "image", "tr": {"type": text, "d": 300}, text: text}}]},
            {"id": "a1", "tt": 1, "n": text, "sg": [
                {"id": "m", "st": 0, "d": 6000, "src": f"builtin:{text}", "n": text,
                 "m": {"vol": 0.5}}]},
            {"id": "x1", "tt": 7, "n": text, "sg": [
                {"id": "t", "st": 0, "d": 3000, "txt": text, "m": {"pos": "top"}}]},
            {"id": "o1", "tt": 99, "n": text, "sg": [{"id": "o", "st": 0, "d": 1000, text: text}]},
        ],
    }  # fmt: skip


@pytest.mark.parametrize("hostile", HOSTILE)
def test_draft_views_show_hostile_text_as_text(
    hostile: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    draft = Draft.from_json(hostile_draft(hostile))
    assert_inert(draft._repr_html_(), hostile)  # the summary line, the Styler table
    assert_inert(draft.styled().to_html(), hostile)
    assert_inert(timeline_table_html(draft), hostile)  # the Studio's Timeline tab
    assert_inert(to_dataframe(draft)._repr_html_())  # as users display it (long text cut)
    snapshot = snapshot_html(backend=hostile, last_reply=hostile, draft=draft,
                             filmstrip=_png(), export_name=hostile)  # fmt: skip
    assert_inert(snapshot, hostile)

    import nemo_nb.timeline._frame as frame_module

    def no_jinja(_draft: Draft) -> None:
        raise ImportError("Missing optional dependency 'Jinja2'")

    monkeypatch.setattr(frame_module, "styled", no_jinja)  # the plain-table fallback
    assert_inert(draft._repr_html_(), hostile)


def _png() -> bytes:
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (8, 4), (200, 30, 30)).save(buf, "PNG")
    return buf.getvalue()


# ---- widgets, cards and previews -------------------------------------------------------------


def html_values(root: widgets.Widget) -> Iterator[tuple[widgets.Widget, str]]:
    """Every widget under ``root`` (itself included) whose value the browser sets as HTML."""
    stack = [root]
    while stack:
        w = stack.pop()
        if isinstance(w, (widgets.HTML, widgets.HTMLMath)):
            yield w, w.value
        if isinstance(w, widgets.Output):  # HTML output the notebook renders (the export's)
            for output in w.outputs:
                yield w, output.get("data", {}).get("text/html", "")
        # Descriptions, labels and button captions are text unless a widget opts into HTML.
        assert not getattr(getattr(w, "style", None), "description_allow_html", False)
        assert not getattr(w, "description_allow_html", False), w
        stack.extend(getattr(w, "children", ()))


def assert_tree_inert(root: widgets.Widget, *shown: str) -> str:
    """No widget under ``root`` holds live markup; each of ``shown`` is readable somewhere.
    Returns all the text, for more specific checks."""
    texts = []
    for w, value in html_values(root):
        problems, text = audit(value)
        assert not problems, f"{type(w).__name__} {w._dom_classes}: {problems}\n{value[:2000]}"
        texts.append(text)
    everything = "\n".join(texts)
    for expected in shown:
        assert expected in everything, f"{expected!r} is not shown as text"
    return everything


def write_mp4(path: Path, frames: int = 4) -> Path:
    import av
    import numpy as np

    with av.open(str(path), "w", format="mp4") as out:
        stream = out.add_stream("libx264", rate=10)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for i in range(frames):
            img = np.full((48, 64, 3), i * 50, np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


@pytest.mark.parametrize("hostile", HOSTILE)
def test_log_export_tab_and_thumbnails(
    hostile: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = ChatLog()
    for kind in ("user", "notice", "summary", "info", "error"):
        log.add(kind, hostile)
    log.stream(hostile[:5])
    log.stream(hostile[5:])
    log.redraw.flush()
    log.activity(hostile)
    log.actions([hostile], ["export"], lambda _a: None)
    assert_tree_inert(log.box, hostile)

    tab = ExportTab()
    tab.started()
    tab.step(0.5, hostile)
    tab.say(hostile)
    name = hostile if "/" not in hostile else "plain"
    monkeypatch.chdir(tmp_path)  # beside the notebook: played and linked by a relative URL
    for n in ("first", name):
        mp4 = write_mp4(tmp_path / f"{n}.mp4")
        tab.finished(mp4, f"Ready: {mp4.name} (0.1 MB).", fallback=show_video(mp4)._repr_html_())
    assert "download=" in tab.result.outputs[0]["data"]["text/html"]
    tab.finished(None, hostile)
    assert_tree_inert(tab.box, hostile)
    outside = write_mp4(tmp_path.parent / f"{tmp_path.name}-{name}.mp4")  # not served: no link
    tab.finished(outside, "Ready.", fallback=show_video(outside)._repr_html_())
    assert_tree_inert(tab.box)

    bar = MediaBar()
    bar.add_thumbnails([hostile, f"{hostile}.mp3"], [None, None])
    assert_tree_inert(bar.box, hostile)


@pytest.mark.parametrize("hostile", HOSTILE_NAMES)
def test_show_video_with_a_hostile_file_name(
    hostile: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # in the notebook's folder: linked by a relative URL
    mp4 = write_mp4(tmp_path / f"{hostile}.mp4")
    for cap in (10, 4 * 1024 * 1024):  # linked, then embedded
        page = show_video(mp4, max_embed_bytes=cap)._repr_html_()
        assert_inert(page, mp4.name)
        assert "href=" in page
    elsewhere = tmp_path.parent / f"{tmp_path.name}-not-served"
    elsewhere.mkdir()
    moved = Path(shutil.move(mp4, elsewhere / mp4.name))
    assert_inert(show_video(moved, max_embed_bytes=10)._repr_html_(), str(moved))


@pytest.mark.parametrize("hostile", HOSTILE)
def test_prompt_lab_cards(hostile: str, tmp_path: Path) -> None:
    name = hostile if "/" not in hostile else "plain"
    preview = show_video(write_mp4(tmp_path / f"{name}.mp4"), width=200)
    draft = hostile_draft(hostile)
    variants = [
        Variant(0, (f"/photos/{name}.jpg",), hostile, hostile, (hostile,), status="done",
                reply=hostile, draft=draft, path=str(preview.path), render_s=2.0),
        Variant(1, (f"{name}.jpg",), hostile, hostile, status="running", stage=hostile),
        Variant(2, ("a.jpg",), hostile, "image-to-video-jiggle", status="failed", error=hostile),
        Variant(3, ("a.jpg",), hostile, hostile, status="cancelled", stage=hostile, draft=draft),
    ]  # fmt: skip
    for v in variants:
        assert_inert(card_html(v, preview if v.status == "done" else None), hostile)
    assert_inert(grid_html(variants, {0: preview}, hostile), hostile)


# ---- the Studio, end to end ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from engine_harness import start_engine  # tests/engine, on the path via the suite's conftest

    running = start_engine(tmp_path_factory.mktemp("engine"), interpret=None, renderer=None)
    yield running
    running.stop()


async def test_studio_on_the_engine_shows_a_hostile_title_and_file_name_as_text(
    engine: Any, tmp_path: Path
) -> None:
    photo = tmp_path / '"><img src=x onerror="window.__xss=1">.jpg'
    shutil.copy(nemo_nb.sample_photo(), photo)
    async with NemoClient(engine.url) as client:
        studio = Studio(conversation=Conversation(client, data_dir=tmp_path / "data"))
        await studio.upload(photo)
        await studio.send("make this photo jiggle")
        await studio.send(f'add a title "{TITLE}"')
        await settle(studio)
        draft = studio._timeline.draft
        assert draft is not None and TITLE in draft.summary()  # the agent kept it as typed
        text = assert_tree_inert(studio.panel, TITLE)
        assert_tree_inert(studio._timeline.box, TITLE)  # in the table, as its text
        assert_inert(studio._snapshot(), TITLE)
        assert_inert(draft._repr_html_(), TITLE)
        assert "Uploaded 1 file" in text and "✗" not in studio.log_text(), studio.log_text()


@pytest.fixture(scope="module")
def hostile_cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FakeCloud]:
    cloud, cdn = FakeCloud(), Cdn()
    api, files = ServerThread(cloud.app).start(), ServerThread(cdn.app).start()
    cloud.api_base, cdn.base, cloud.cdn = api.base, files.base, cdn
    cloud.mp4 = write_mp4(tmp_path_factory.mktemp("cloud") / "out.mp4").read_bytes()
    yield cloud
    api.stop()
    files.stop()


@pytest.fixture
async def cloud_studio(hostile_cloud: FakeCloud, tmp_path: Path) -> AsyncIterator[Studio]:
    from nemo_nb.api._renders import CLOUD_POLL

    hostile_cloud.reset()

    async def no_wait(_s: float) -> None:
        await asyncio.sleep(0)

    async with NemoClient(hostile_cloud.api_base, sleep=no_wait, render_poll=CLOUD_POLL) as c:
        studio = Studio(conversation=Conversation(c, data_dir=tmp_path / "data"))
        yield studio
        await settle(studio)


def hostile_turn(text: str, draft: dict[str, Any]) -> list[Any]:
    """A turn as a hostile agent writes it: its words, tool names and arguments, and the draft."""
    call = {"functionCall": {"id": "c1", "name": text, "args": {"text": text, "effect": text}}}
    answer = {"functionResponse": {"id": "c1", "name": text, "response": {"status": text}}}
    return [
        adk([{"text": f"{text} "}]),
        adk([call]),
        adk([answer], role="user", state_delta={"draft": draft}),
        adk([{"text": f"Done: {text}. Click Export."}]),
    ]


@pytest.mark.parametrize("hostile", HOSTILE)
async def test_studio_against_a_hostile_cloud(
    cloud_studio: Studio, hostile_cloud: FakeCloud, hostile: str
) -> None:
    studio, cloud = cloud_studio, hostile_cloud
    # A file name the server chose (a URL import is named after the URL's last part).
    await studio.upload(f"https://cdn.example/{hostile.replace('/', '')}.jpg")
    draft = hostile_draft(hostile)
    cloud.chat_script = hostile_turn(hostile, draft)
    await studio.send("make this photo jiggle")
    # An error sentence from the server, on the next message.
    cloud.fault("POST", "/run_sse", status=400, code=4000, message=hostile)
    await studio.send("again")
    # A render that fails with the server's words, then one that works.
    cloud.render_fails_with = hostile
    assert await studio.export() is None
    cloud.render_fails_with = None
    path = await studio.export()
    assert path is not None and path.exists()
    await settle(studio)

    assert_tree_inert(studio.panel, hostile)
    assert_tree_inert(studio._timeline.box, hostile)
    assert_tree_inert(studio._export_tab.box)
    assert_inert(studio._snapshot(), hostile)
    log = studio.log_text()
    assert log.count(hostile) >= 3, log  # the reply, the error and the render failure, as text
