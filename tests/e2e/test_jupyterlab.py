"""End to end in a real browser: JupyterLab in Debian's Chromium runs the quickstart notebook, and
a person uses the Studio panel (tests/e2e/studio_flow.py).

What a first-time user does: open the notebook, Run All, and see the exported MP4 playing inline.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from jupyter_harness import CHROMIUM, CHROMIUM_ARGS, KERNEL_READY
from preview_flow import in_chromium, lab_previews, studio_previews
from studio_flow import studio_in_chromium

from tests.conftest import ARTIFACTS

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "quickstart.ipynb"

pytestmark = pytest.mark.slow


def test_quickstart_runs_in_jupyterlab_and_the_video_plays(jupyter):
    from playwright.sync_api import sync_playwright

    shots = ARTIFACTS / "e2e"
    shots.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        url, root = jupyter
        shutil.copy(NOTEBOOK, root / NOTEBOOK.name)
        page.goto(f"{url}/lab/tree/{NOTEBOOK.name}?reset")
        page.wait_for_function("window.jupyterapp !== undefined", timeout=60_000)
        page.wait_for_selector(".jp-NotebookPanel", timeout=60_000)
        page.wait_for_function(KERNEL_READY, timeout=90_000)
        page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
        page.wait_for_selector(".nemo-nb-studio", timeout=120_000)  # the notebook opens with it
        video = page.wait_for_selector(".jp-OutputArea-output > div > video", timeout=240_000)
        page.wait_for_function(
            "v => v.readyState >= 2 && v.videoWidth > 0", arg=video, timeout=60_000
        )
        # The last cell (history table) has run once the kernel is idle again.
        page.wait_for_function(
            "() => window.jupyterapp.shell.currentWidget.sessionContext.session.kernel.status"
            " === 'idle'",
            timeout=120_000,
        )
        video.scroll_into_view_if_needed()
        page.screenshot(path=str(shots / "quickstart-lab.png"))
        errors = page.locator(
            ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']"
        )
        error_texts = [t for t in errors.all_inner_texts() if "Traceback" in t or "Error" in t]
        width = video.evaluate("v => v.videoWidth")
        paused = video.evaluate("v => v.paused")
        browser.close()
    assert not error_texts, error_texts
    assert 0 < width <= 960
    assert not paused, "the preview should autoplay (muted)"


def test_studio_in_jupyterlab(jupyter):
    measured = studio_in_chromium(jupyter, "jupyterlab")
    print("studio in JupyterLab:", measured)


def test_previews_in_jupyterlab(jupyter):
    in_chromium(jupyter, "jupyterlab", studio_previews)


def test_a_lab_of_previews_in_jupyterlab(jupyter):
    in_chromium(jupyter, "jupyterlab", lab_previews)
