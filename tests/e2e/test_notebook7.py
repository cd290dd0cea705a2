"""End to end in a real browser: the Studio panel in Notebook 7 (Debian's Chromium), the same
steps as in JupyterLab (tests/e2e/studio_flow.py)."""

from __future__ import annotations

import pytest
from preview_flow import in_chromium, lab_previews, studio_previews
from studio_flow import studio_in_chromium

pytestmark = pytest.mark.slow


def test_studio_in_notebook7(jupyter):
    measured = studio_in_chromium(jupyter, "notebook")
    print("studio in Notebook 7:", measured)


def test_previews_in_notebook7(jupyter):
    in_chromium(jupyter, "notebook", studio_previews)


def test_a_lab_of_previews_in_notebook7(jupyter):
    in_chromium(jupyter, "notebook", lab_previews)
