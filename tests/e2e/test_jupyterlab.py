"""End to end in a real browser: JupyterLab in Debian's Chromium runs the quickstart notebook.

What a first-time user does: open the notebook, Run All, and see the exported MP4 playing inline.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import ARTIFACTS

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "quickstart.ipynb"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def jupyterlab(tmp_path_factory):
    pytest.importorskip("jupyterlab", reason="JupyterLab is installed by scripts/test.sh")
    if not Path(CHROMIUM).exists():
        pytest.fail(
            "Chromium is missing: scripts/test.sh installs it with apt-get (package chromium)."
        )
    root = tmp_path_factory.mktemp("lab")
    shutil.copy(NOTEBOOK, root / NOTEBOOK.name)
    config = root / ".jupyter-config"
    (config / "labconfig").mkdir(parents=True)
    # The news toast covers the notebook; switch it off for this server only.
    (config / "labconfig" / "page_config.json").write_text(
        json.dumps({"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": True}})
    )
    port = _free_port()
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(config)}
    log = (root / "lab.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip", "127.0.0.1",
         f"--port={port}", "--ServerApp.token=", "--ServerApp.password=",
         "--ServerApp.disable_check_xsrf=True", "--allow-root",
         "--LabApp.expose_app_in_browser=True", f"--ServerApp.root_dir={root}"],
        stdout=log, stderr=subprocess.STDOUT, env=env,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"{url}/api/status", timeout=2)
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"JupyterLab did not start: {(root / 'lab.log').read_text()[-2000:]}")
            time.sleep(0.3)
    yield url
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()


def test_quickstart_runs_in_jupyterlab_and_the_video_plays(jupyterlab):
    from playwright.sync_api import sync_playwright

    shots = ARTIFACTS / "e2e"
    shots.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{jupyterlab}/lab/tree/{NOTEBOOK.name}")
        page.wait_for_function("window.jupyterapp !== undefined", timeout=60_000)
        page.wait_for_selector(".jp-NotebookPanel", timeout=60_000)
        # A cold kernel reads "idle" before it is connected, and a run then is dropped silently:
        # wait for the kernel itself to be connected and idle.
        page.wait_for_function(
            """() => {
                const w = window.jupyterapp.shell.currentWidget;
                const k = w && w.sessionContext && w.sessionContext.session
                    && w.sessionContext.session.kernel;
                return k && k.connectionStatus === 'connected' && k.status === 'idle';
            }""",
            timeout=90_000,
        )
        page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
        video = page.wait_for_selector(".jp-OutputArea-output video", timeout=240_000)
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
