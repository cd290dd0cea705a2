"""A throwaway Jupyter server (JupyterLab 4 or Notebook 7) on a free loopback port, and Debian's
Chromium driven by Playwright. Imported by name from the e2e tests (not a conftest)."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--autoplay-policy=no-user-gesture-required",
]
#: JavaScript: the current notebook's kernel is connected and idle (a cold kernel reads "idle"
#: before it is connected, and a run then is dropped silently).
KERNEL_READY = """() => {
    const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
    const k = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
    return k && k.connectionStatus === 'connected' && k.status === 'idle';
}"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def require_browser() -> None:
    pytest.importorskip("jupyterlab", reason="JupyterLab is installed by scripts/test.sh")
    pytest.importorskip("playwright", reason="Playwright is installed by scripts/test.sh")
    if not Path(CHROMIUM).exists():
        pytest.fail(
            "Chromium is missing: scripts/test.sh installs it with apt-get (package chromium)."
        )


@contextlib.contextmanager
def jupyter_server(root: Path, base_url: str = "/") -> Iterator[str]:
    """Run one Jupyter server serving ``root``, no token; yield its URL (with ``base_url``, as
    Binder serves each user under ``/user/<name>/``). It serves both JupyterLab 4 (``/lab``) and
    Notebook 7 (``/notebooks``), each exposing ``window.jupyterapp``."""
    require_browser()
    pytest.importorskip("notebook", minversion="7", reason="Notebook 7 is in the test extra")
    config = root / ".jupyter-config"
    (config / "labconfig").mkdir(parents=True, exist_ok=True)
    # The news toast covers the notebook; switch it off for this server only.
    (config / "labconfig" / "page_config.json").write_text(
        json.dumps({"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": True}})
    )
    port = _free_port()
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(config)}
    log_path = root / "jupyter.log"
    log = log_path.open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip", "127.0.0.1",
         f"--port={port}", "--ServerApp.token=", "--ServerApp.password=",
         "--ServerApp.disable_check_xsrf=True", "--allow-root",
         "--LabApp.expose_app_in_browser=True",
         "--JupyterNotebookApp.expose_app_in_browser=True", f"--ServerApp.root_dir={root}",
         f"--ServerApp.base_url={base_url}"],
        stdout=log, stderr=subprocess.STDOUT, env=env,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}{base_url.rstrip('/')}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"{url}/api/status", timeout=2)
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"Jupyter did not start: {log_path.read_text()[-2000:]}")
            time.sleep(0.3)
    try:
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def write_notebook(path: Path, cells: list[str]) -> None:
    """A notebook of code cells, no outputs, Python 3 kernel."""
    nb = {
        "cells": [
            {
                "cell_type": "code",
                "execution_count": None,
                "id": f"c{i}",
                "metadata": {},
                "outputs": [],
                "source": src,
            }
            for i, src in enumerate(cells)
        ],  # fmt: skip
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path.write_text(json.dumps(nb, indent=1))
