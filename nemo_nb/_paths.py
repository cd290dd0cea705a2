"""Where nemo-nb keeps things on disk. Imports nothing from the rest of the package."""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO

#: Who may read nemo-nb's files: the user alone (the engine's database maps client ids, which work
#: like passwords, to users; media, renders and history are people's photos and words).
DIR_MODE = 0o700
FILE_MODE = 0o600


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
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    try:
        st = path.stat()
        if st.st_mode & 0o077 and st.st_uid == os.getuid():
            path.chmod(DIR_MODE)
    except (OSError, AttributeError):  # AttributeError: no getuid on Windows
        pass


def open_private(path: Path, mode: str = "w") -> IO[str]:
    """Open a text file (``"w"`` or ``"a"``) in a private dir, creating the file 600."""
    make_private_dir(path.parent)
    flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if mode == "a" else os.O_TRUNC)
    return os.fdopen(os.open(path, flags, FILE_MODE), mode, encoding="utf-8")


def nemovideo_config_dir() -> Path:
    """NemoVideo's own config dir (``~/.config/nemovideo``), where the client id lives.

    Resolved on each call from ``Path.home()`` so tests can point ``HOME`` elsewhere.
    """
    return Path.home() / ".config" / "nemovideo"
