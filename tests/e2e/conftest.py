"""One Jupyter server for every browser test (it serves JupyterLab 4 and Notebook 7 alike)."""

from __future__ import annotations

import pytest
from jupyter_harness import jupyter_server


@pytest.fixture(scope="session")
def jupyter(tmp_path_factory):
    """(url, root dir) of the running server."""
    root = tmp_path_factory.mktemp("jupyter")
    with jupyter_server(root) as url:
        yield url, root
