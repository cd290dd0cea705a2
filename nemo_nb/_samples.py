"""Sample media that ships with the dependencies, so a demo, a test or a notebook has a photo to
animate without a download. A leaf module: the CLI, the demo and the tests all import it."""

from __future__ import annotations

from pathlib import Path


def sample_photo() -> Path:
    """The portrait that ships with matplotlib (Grace Hopper, 512x600)."""
    from matplotlib import cbook

    return Path(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))
