"""What a person does with the Studio in a real browser, step by step, with a screenshot of each
step; shared by the JupyterLab 4 and Notebook 7 tests."""

from __future__ import annotations

import json
import time
from pathlib import Path

from jupyter_harness import CHROMIUM, CHROMIUM_ARGS, KERNEL_READY, write_notebook

import nemo_nb
from tests.conftest import ARTIFACTS

STUDIO_CELL = "import nemo_nb\n\nstudio = nemo_nb.Studio()\nstudio"
OTHER_CELL = "print('other cell ran', 6 * 7)"
# Run after saving: whether the saved file holds the client's token (it must not).
TOKEN_CELL = (
    "_t = studio.conversation.client._token.get()\n"
    "print('token saved:', bool(_t) and _t in open('studio.ipynb').read())"
)
FOLLOW_UP = "make it square and 3 seconds long"  # a short square render keeps the test fast
REPLY_END = "See the Timeline tab, then use the Export button below."

# Every 50 ms: the text of the newest agent entry and the progress bar's width, with the time.
SAMPLER = """() => {
    window.__samples = [];
    window.__sampler = setInterval(() => {
        const agents = document.querySelectorAll('.nemo-nb-studio .nemo-nb-agent');
        const last = agents[agents.length - 1];
        const bar = document.querySelector('.nemo-nb-studio .widget-hprogress .progress-bar');
        window.__samples.push({
            t: Date.now(),
            reply: last ? last.textContent : null,
            progress: bar ? parseFloat(bar.style.width) || 0 : null,
            video: !!document.querySelector('.nemo-nb-video video'),
        });
    }, 50);
}"""


def _cells(page):
    return page.locator(".jp-Notebook .jp-Cell")


def _run_cell(page, index: int) -> None:
    page.evaluate(
        """i => { const nb = window.jupyterapp.shell.currentWidget.content;
                  nb.activeCellIndex = i; nb.deselectAll();
                  return window.jupyterapp.commands.execute('notebook:run-cell'); }""",
        index,
    )


def studio_in_chromium(jupyter: tuple[str, Path], app: str) -> dict:
    """:func:`run_studio` in a fresh headless Chromium against the ``jupyter`` server (url,
    root); screenshots go under test-artifacts/e2e."""
    from playwright.sync_api import sync_playwright

    url, root = jupyter
    shots = ARTIFACTS / "e2e"
    shots.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        try:
            return run_studio(page, url, root, shots, app)
        finally:
            browser.close()


def run_studio(page, url: str, root: Path, shots: Path, app: str) -> dict:
    """Drive the Studio through upload, a suggested prompt, a typed follow-up and an export;
    returns what was measured. Asserts every step a person would notice."""
    try:
        return _run_studio(page, url, root, shots, app)
    except Exception:
        page.screenshot(path=str(shots / f"studio-{app}-failed.png"))
        raise


def _run_studio(page, url: str, root: Path, shots: Path, app: str) -> dict:
    name = f"studio-{app}.ipynb"
    write_notebook(root / name, [STUDIO_CELL, OTHER_CELL, TOKEN_CELL.replace("studio.ipynb", name)])
    # ?reset: JupyterLab must not restore tabs an earlier test left open in this server.
    path = f"lab/tree/{name}?reset" if app == "jupyterlab" else f"notebooks/{name}"
    shot = lambda step: page.screenshot(path=str(shots / f"studio-{app}-{step}.png"))  # noqa: E731
    page.goto(f"{url}/{path}")
    page.wait_for_function("window.jupyterapp !== undefined", timeout=60_000)
    page.wait_for_function(KERNEL_READY, timeout=90_000)
    started = time.monotonic()

    # 1. The panel appears; its static snapshot stays out of sight.
    _run_cell(page, 0)
    studio = page.wait_for_selector(".nemo-nb-studio", timeout=60_000)
    assert page.locator(".nemo-nb-snapshot").count() == 1
    assert not page.locator(".nemo-nb-snapshot").is_visible()
    assert page.locator(".nemo-nb-chip").count() == 3
    shot("1-panel")

    # 2. Upload the sample photo through the browser's file picker.
    with page.expect_file_chooser() as chooser:
        page.click(".nemo-nb-studio .widget-upload")
    chooser.value.set_files(str(nemo_nb.sample_photo()))
    page.wait_for_selector(".nemo-nb-thumbs img", timeout=60_000)
    page.wait_for_function(
        "() => document.querySelector('.nemo-nb-log').textContent.includes('Uploaded 1 file')"
    )
    assert "Local engine" in studio.inner_text()
    shot("2-uploaded")

    # 3. A suggested prompt: the reply streams in place, translated, each character once.
    page.evaluate(SAMPLER)
    page.click(".nemo-nb-chip >> nth=0")
    page.wait_for_selector(".nemo-nb-action-export", timeout=60_000)
    page.wait_for_function(
        "() => document.querySelector('.nemo-nb-status').textContent.includes('Ready')"
    )
    samples = page.evaluate("window.__samples")
    final = page.locator(".nemo-nb-agent").last.text_content()
    assert final.endswith(REPLY_END) and "click Export" not in final
    replies = [s["reply"] for s in samples if s["reply"]]
    partial = sorted({len(r) for r in replies if r != final})
    assert len(partial) >= 2, f"the reply should be seen growing, saw lengths {partial}"
    assert all(final.startswith(r) for r in replies), "text shown was later replaced"
    assert page.locator(".nemo-nb-action-show_timeline").count() == 1
    shot("3-reply")

    # 4. A typed follow-up sent with Enter; the timeline table and Gantt chart follow.
    page.click(".nemo-nb-prompt input")
    page.keyboard.type(FOLLOW_UP)
    page.keyboard.press("Enter")
    page.wait_for_selector(".nemo-nb-summary", timeout=60_000)
    page.wait_for_function(
        "() => document.querySelector('.nemo-nb-status').textContent.includes('Ready')"
    )
    log = page.locator(".nemo-nb-log").inner_text()
    assert f"You  {FOLLOW_UP}" in log.replace("\xa0", " "), log
    assert page.input_value(".nemo-nb-prompt input") == ""
    rows = page.locator(".nemo-nb-table table.nemo-nb-timeline tbody tr")
    assert rows.count() == 1
    row = rows.first.inner_text()
    assert "grace_hopper.jpg" in row and "0.0–3.0 s" in row and "jiggle" in row
    gantt = page.locator(".nemo-nb-gantt")
    assert gantt.evaluate("img => img.complete && img.naturalWidth") > 300
    shot("4-timeline")

    # 5. Export: the bar moves; meanwhile another cell runs and shows its output.
    page.click(".nemo-nb-studio .lm-TabBar-tab:has-text('Export')")
    page.click(".nemo-nb-studio button:has-text('Export MP4')")
    page.wait_for_function(
        "() => window.__samples.some(s => s.progress > 0 && s.progress < 100)", timeout=120_000
    )
    _run_cell(page, 1)
    other = _cells(page).nth(1).locator(".jp-OutputArea-output")
    other.wait_for(timeout=30_000)
    assert "other cell ran 42" in other.inner_text()
    exporting = page.evaluate("window.__samples[window.__samples.length - 1]")
    assert not exporting["video"], "the export should still be running"
    shot("5-exporting")

    # 6. The MP4 plays inline.
    video = page.wait_for_selector(".nemo-nb-video video", timeout=180_000)
    page.wait_for_function("v => v.readyState >= 2 && v.videoWidth > 0", arg=video)
    t0 = video.evaluate("v => v.currentTime")
    page.wait_for_timeout(700)
    assert video.evaluate("v => !v.paused && v.currentTime") != t0, "the preview should play"
    page.evaluate("clearInterval(window.__sampler)")
    samples = page.evaluate("window.__samples")
    progress = sorted({s["progress"] for s in samples if s["progress"]})
    assert len([p for p in progress if 0 < p < 100]) >= 1 and progress[-1] == 100, progress
    stage = page.locator(".nemo-nb-studio").inner_text()
    assert "Ready in" in stage and "Your video is ready" in stage
    video.scroll_into_view_if_needed()
    shot("6-video")
    took = time.monotonic() - started

    # 7. Saved: small, with the static snapshot, and no token.
    page.evaluate("window.jupyterapp.commands.execute('docmanager:save')")
    page.wait_for_function(
        "() => !window.jupyterapp.shell.currentWidget.context.model.dirty", timeout=30_000
    )
    saved = root / name
    size = saved.stat().st_size
    outputs = json.loads(saved.read_text())["cells"][0]["outputs"]
    html = [o.get("data", {}).get("text/html", "") for o in outputs]
    snapshot = "".join("".join(h) if isinstance(h, list) else h for h in html)
    _run_cell(page, 2)
    token_out = _cells(page).nth(2).locator(".jp-OutputArea-output")
    token_out.wait_for(timeout=30_000)
    assert "token saved: False" in token_out.inner_text()
    assert size <= 300_000, f"saved notebook is {size} bytes"
    assert REPLY_END.replace('"', "&quot;") in snapshot and "0.0–3.0 s" in snapshot
    assert "class='nemo-filmstrip'" in snapshot  # frames of the export
    return {"seconds": took, "saved_bytes": size, "reply_lengths": partial, "progress": progress}
