"""Test-wide isolation: nothing a test does touches the real home, data dir or cloud."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

# Set at import time so that child processes (the engine) inherit the same isolation.
_ROOT = Path(tempfile.mkdtemp(prefix="nemo-nb-tests-"))
os.environ["NEMO_NB_HOME"] = str(_ROOT / "data")
os.environ["HOME"] = str(_ROOT / "home")
(_ROOT / "home").mkdir(parents=True, exist_ok=True)
for _var in ("NEMO_TOKEN", "NEMO_API_URL", "NEMO_CLIENT_ID", "NEMO_WEB_URL", "SKILL_SOURCE"):
    os.environ.pop(_var, None)
os.environ.setdefault("MPLBACKEND", "Agg")

#: Where tests leave things a person may want to look at (contact sheets, charts, MP4s).
ARTIFACTS = Path(
    os.environ.get("NEMO_NB_TEST_ARTIFACTS", Path(__file__).parent.parent / "test-artifacts")
)


@pytest.fixture(autouse=True)
def _working_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test runs in its own empty working directory: exports go to ``nemo-exports/`` beside
    the notebook (the working directory) by default, and must not land in the checkout."""
    cwd = tmp_path_factory.mktemp("cwd")
    monkeypatch.chdir(cwd)
    return cwd
