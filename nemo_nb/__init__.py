"""nemo-nb: turn still photos into short motion videos by talking to an agent, in Jupyter.

The public surface is small and re-exported here; everything else lives in private modules.
Names are imported lazily so that ``import nemo_nb`` stays fast and the engine's child process
does not pull in pandas or widgets.

>>> import nemo_nb
>>> client = await nemo_nb.connect()            # the embedded engine, offline, no account
>>> conv = nemo_nb.Conversation(client)
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from nemo_nb import _errors
from nemo_nb._version import __version__

# public name -> module that defines it
_EXPORTS: dict[str, str] = {
    # api
    "NemoClient": "nemo_nb.api",
    "ChatEvent": "nemo_nb.api",
    "RenderJob": "nemo_nb.api",
    "UploadedFile": "nemo_nb.api",
    "Session": "nemo_nb.api",
    "SessionState": "nemo_nb.api",
    "Credits": "nemo_nb.api",
    # the error tree (a light leaf module, listed once there)
    **dict.fromkeys(_errors.__all__, "nemo_nb._errors"),
    # backend selection
    "connect": "nemo_nb._connect",
    # timeline and conversation
    "Draft": "nemo_nb.timeline",
    "diff": "nemo_nb.timeline",
    "Conversation": "nemo_nb.conversation",
    "Reply": "nemo_nb.conversation",
    "Update": "nemo_nb.conversation",
    "route": "nemo_nb.conversation",
    # notebook helpers
    "show_video": "nemo_nb.display",
    "sample_photo": "nemo_nb._samples",
    "filmstrip": "nemo_nb.display",
    "Studio": "nemo_nb.widgets",
    "PromptLab": "nemo_nb.lab",
    "load_ipython_extension": "nemo_nb.magics",
    # skills
    "Skill": "nemo_nb.skills",
    "SKILLS": "nemo_nb.skills",
    "get_skill": "nemo_nb.skills",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'nemo_nb' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # cache: later lookups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from nemo_nb._connect import connect
    from nemo_nb._errors import *  # noqa: F403
    from nemo_nb._samples import sample_photo
    from nemo_nb.api import (
        ChatEvent,
        Credits,
        NemoClient,
        RenderJob,
        Session,
        SessionState,
        UploadedFile,
    )
    from nemo_nb.conversation import Conversation, Reply, Update, route
    from nemo_nb.display import filmstrip, show_video
    from nemo_nb.lab import PromptLab
    from nemo_nb.magics import load_ipython_extension
    from nemo_nb.skills import SKILLS, Skill, get_skill
    from nemo_nb.timeline import Draft, diff
    from nemo_nb.widgets import Studio
