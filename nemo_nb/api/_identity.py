"""Who is calling: the persisted client id and the attribution headers (docs/contract.md §2)."""

from __future__ import annotations

import os
import re
import sys
import uuid
from pathlib import Path

from nemo_nb._paths import nemovideo_config_dir
from nemo_nb._version import __version__
from nemo_nb.skills import Skill

__all__ = ["load_client_id", "new_client_id", "detect_platform", "attribution_headers"]

_VALID_ID = re.compile(r"^[A-Za-z0-9._:-]{8,128}$")


def _client_id_file() -> Path:
    return nemovideo_config_dir() / "client_id"


def new_client_id(*, persist: bool = True) -> str:
    """Make a new uuid4 client id; with ``persist`` write it to ``~/.config/nemovideo/client_id``."""
    cid = str(uuid.uuid4())
    if persist:
        path = _client_id_file()
        try:
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            tmp = path.with_name(f".client_id.{os.getpid()}.tmp")
            # 600: the id works like a password (it gets the same user's token again)
            with os.fdopen(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as fh:
                fh.write(cid + "\n")
            os.replace(tmp, path)
        except OSError:
            pass  # a read-only home must not stop the user: the id just won't persist
    return cid


def load_client_id() -> tuple[str, str]:
    """Return ``(client_id, source)``; source is ``"env"``, ``"file"`` or ``"new"``.

    Order (docs/contract.md §2): ``NEMO_CLIENT_ID``, else the file
    ``~/.config/nemovideo/client_id`` (which holds only the id), else a new uuid4 written there.
    """
    env = os.environ.get("NEMO_CLIENT_ID", "").strip()
    if env:
        return env, "env"
    try:
        stored = _client_id_file().read_text(encoding="utf-8").strip()
        if _client_id_file().stat().st_mode & 0o077:
            _client_id_file().chmod(0o600)  # written readable by all before nemo-nb tightened it
    except (OSError, UnicodeDecodeError):
        stored = ""
    if _VALID_ID.match(stored):
        return stored, "file"
    return new_client_id(persist=True), "new"


def _install_path_platform(path: str) -> str | None:
    p = path.replace("\\", "/")
    if "/.clawhub/" in p:
        return "clawhub"
    if "/.cursor/skills/" in p:
        return "cursor"
    return None


def _notebook_platform() -> str | None:
    env = os.environ
    if "google.colab" in sys.modules or "COLAB_RELEASE_TAG" in env or "COLAB_GPU" in env:
        return "colab"
    if "BINDER_SERVICE_HOST" in env or "BINDER_REQUEST" in env or "BINDER_REPO_URL" in env:
        return "binder"
    in_vscode = "VSCODE_PID" in env or "VSCODE_CWD" in env or env.get("TERM_PROGRAM") == "vscode"
    if in_vscode and "ipykernel" in sys.modules:
        return "vscode"
    if "ipykernel" in sys.modules or "JPY_PARENT_PID" in env or "JUPYTERHUB_USER" in env:
        return "jupyter"
    return None


def detect_platform(*, notebook: bool = True, install_path: str | None = None) -> str:
    """Guess the ``X-Skill-Platform`` value.

    ``SKILL_SOURCE`` wins; then ``clawhub``/``cursor`` from the install path; then (with
    ``notebook=True``) ``colab``, ``binder``, ``vscode`` or ``jupyter`` from the running kernel's
    environment; else ``"unknown"``. The client's default header uses ``notebook=False`` (the
    contract's rule); the notebook panel passes its own detection as ``platform=``.
    """
    source = os.environ.get("SKILL_SOURCE", "").strip()
    if source:
        return source
    found = _install_path_platform(install_path or str(Path(__file__).resolve()))
    if found:
        return found
    if notebook:
        found = _notebook_platform()
        if found:
            return found
    return "unknown"


def attribution_headers(skill: Skill, platform: str) -> dict[str, str]:
    """The three ``X-Skill-*`` headers every call carries, plus our User-Agent."""
    return {
        "X-Skill-Source": skill.name,
        "X-Skill-Version": skill.version or "1.0.0",
        "X-Skill-Platform": platform,
        "User-Agent": f"nemo-nb/{__version__}",
    }
