"""Where nemo-nb keeps things on disk. Imports nothing from the rest of the package."""

from __future__ import annotations

import os
from pathlib import Path


def data_dir() -> Path:
    """The data dir: ``NEMO_NB_HOME`` if set, else the platform's user-data dir. Created on demand."""
    env = os.environ.get("NEMO_NB_HOME")
    if env:
        path = Path(env).expanduser()
    else:
        import platformdirs

        path = Path(platformdirs.user_data_dir("nemo-nb", appauthor=False))
    make_private_dir(path)
    return path


def make_private_dir(path: Path) -> None:
    """Create ``path`` readable by its user alone (700), or tighten it if we own it: it holds
    people's photos and the engine's database."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        st = path.stat()
        if st.st_mode & 0o077 and st.st_uid == os.getuid():
            path.chmod(0o700)
    except (OSError, AttributeError):  # AttributeError: no getuid on Windows
        pass


def nemovideo_config_dir() -> Path:
    """NemoVideo's own config dir (``~/.config/nemovideo``), where the client id lives.

    Resolved on each call from ``Path.home()`` so tests can point ``HOME`` elsewhere.
    """
    return Path.home() / ".config" / "nemovideo"
