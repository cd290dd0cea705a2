"""Stored XSS in a real browser: a draft whose text is markup, shown as a cell's output and in the
Studio's Timeline tab (a ``widgets.HTML``, set through innerHTML), runs nothing in JupyterLab and
reads as the text it is. The widget-tree check of every view is tests/reliability/test_xss.py."""

from __future__ import annotations

import pytest
from jupyter_harness import CHROMIUM, CHROMIUM_ARGS, KERNEL_READY, write_notebook

from tests.conftest import ARTIFACTS

pytestmark = pytest.mark.slow

HOSTILE = '<img src=x onerror="window.__xss=1">'
CELLS = [
    "from nemo_nb.timeline import Draft\n"
    "from nemo_nb.widgets._timeline_tab import TimelineTab\n"
    f"X = {HOSTILE!r}\n"
    'draft = Draft.from_json({"d": 3000, "m": {"title": X}, "t": [{"id": "x", "tt": 7, "n": X,\n'
    '    "sg": [{"id": "s", "st": 0, "d": 3000, "txt": X, "m": {X: X}}]}]})\n'
    "draft",
    "tab = TimelineTab()\ntab.show(draft)\ntab.box",
]


def test_a_hostile_title_runs_nothing_in_jupyterlab(jupyter) -> None:
    from playwright.sync_api import sync_playwright

    url, root = jupyter
    write_notebook(root / "xss.ipynb", CELLS)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        page.goto(f"{url}/lab/tree/xss.ipynb?reset")
        page.wait_for_function("window.jupyterapp !== undefined", timeout=60_000)
        page.wait_for_selector(".jp-NotebookPanel", timeout=60_000)
        page.wait_for_function(KERNEL_READY, timeout=90_000)
        page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
        table = page.wait_for_selector(".nemo-nb-table table", timeout=120_000)
        page.wait_for_selector(".jp-OutputArea-output table", timeout=60_000)
        # An injected <img src=x> fails to load at once; give any handler time to run all the same.
        page.wait_for_timeout(1500)
        shots = ARTIFACTS / "e2e"
        shots.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(shots / "xss-lab.png"))
        fired = page.evaluate("() => window.__xss")
        images = page.evaluate(
            "() => [...document.querySelectorAll('.jp-OutputArea-output img')]"
            ".filter(i => i.getAttribute('src') === 'x').length"
        )
        shown = table.inner_text()
        repr_text = page.locator(".jp-OutputArea-output").first.inner_text()
        browser.close()
    assert fired is None, "script from the draft's text ran in the page"
    assert images == 0
    assert HOSTILE in shown and HOSTILE in repr_text  # the title reads as typed
