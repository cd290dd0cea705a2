"""The reliability suite imports its helpers by module name (``harness``, ``faultproxy``)."""

import harness  # noqa: F401  (puts this folder and tests/engine on sys.path)
import pytest


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The whole reliability suite is slow (real engines killed, disks filled, hostile corpora):
    the fast loop (`pytest -m "not slow"`) leaves it out, every file it will ever have included."""
    here = __file__.rsplit("/", 1)[0]
    for item in items:
        if str(item.path).startswith(here):
            item.add_marker(pytest.mark.slow)
