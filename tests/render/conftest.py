"""Fixtures for the renderer's tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from render_helpers import Media


@pytest.fixture
def media(tmp_path: Path) -> Media:
    """Media files under the test's temp dir, with a ``resolve`` for render_draft."""
    return Media(tmp_path)
