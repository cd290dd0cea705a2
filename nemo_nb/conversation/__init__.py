"""The conversation layer: intent routing, GUI translation, the :class:`Conversation` session,
export with restart-safe pending jobs, and the turn history.

>>> route("export 1080p MP4")
'export'
>>> conv = Conversation(client)
>>> async for update in conv.send("make this photo jiggle"):
...     print(update.kind, update.text)

Imports api, timeline and skills; never widgets, never HTTP directly.
"""

from __future__ import annotations

from nemo_nb.conversation._activity import activity_label
from nemo_nb.conversation._client import AgentClient
from nemo_nb.conversation._conversation import NOTHING_CHANGED, STILL_WORKING, Conversation
from nemo_nb.conversation._export import NothingToExportError, PendingRender, PendingRenders
from nemo_nb.conversation._gui import (
    ACTION_LABELS,
    FrontEnd,
    GuiAction,
    Translation,
    translate_gui,
)
from nemo_nb.conversation._history import HistoryTurn, history_frame
from nemo_nb.conversation._names import (
    DEFAULT_EXPORT_DIR,
    default_export_dir,
    export_stem,
    unique_path,
)
from nemo_nb.conversation._preview import renders_previews
from nemo_nb.conversation._reply import Reply
from nemo_nb.conversation._routing import Action, media_references, route
from nemo_nb.conversation._update import Update, UpdateKind

#: The earlier name of :class:`HistoryTurn`, kept so existing imports work.
Turn = HistoryTurn

__all__ = [
    "ACTION_LABELS",
    "DEFAULT_EXPORT_DIR",
    "FrontEnd",
    "NOTHING_CHANGED",
    "STILL_WORKING",
    "Action",
    "AgentClient",
    "Conversation",
    "GuiAction",
    "NothingToExportError",
    "PendingRender",
    "PendingRenders",
    "Reply",
    "Translation",
    "HistoryTurn",
    "Update",
    "UpdateKind",
    "activity_label",
    "default_export_dir",
    "export_stem",
    "history_frame",
    "media_references",
    "renders_previews",
    "route",
    "translate_gui",
    "unique_path",
]
