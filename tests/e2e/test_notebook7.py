"""End to end in a real browser: the Studio panel in Notebook 7 (Debian's Chromium), the same
steps as in JupyterLab (tests/e2e/studio_flow.py)."""

from __future__ import annotations

import pytest
from jupyter_harness import CHROMIUM, CHROMIUM_ARGS
from studio_flow import run_studio

from tests.conftest import ARTIFACTS

pytestmark = pytest.mark.slow


def test_studio_in_notebook7(jupyter):
    from playwright.sync_api import sync_playwright

    shots = ARTIFACTS / "e2e"
    shots.mkdir(parents=True, exist_ok=True)
    url, root = jupyter
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        try:
            measured = run_studio(page, url, root, shots, "notebook")
        finally:
            browser.close()
    print("studio in Notebook 7:", measured)
