"""End to end in a real browser: the Studio panel in Notebook 7 (Debian's Chromium), the same
steps as in JupyterLab (tests/e2e/studio_flow.py)."""

from __future__ import annotations

import pytest
from studio_flow import studio_in_chromium

pytestmark = pytest.mark.slow


def test_studio_in_notebook7(jupyter):
    measured = studio_in_chromium(jupyter, "notebook")
    print("studio in Notebook 7:", measured)
