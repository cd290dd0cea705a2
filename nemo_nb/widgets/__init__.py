"""Notebook widgets: :class:`Studio`, the panel for upload, prompt, streamed reply, timeline,
export and history.

Imports the conversation layer (never HTTP directly) and stock ipywidgets 8.
"""

from __future__ import annotations

from nemo_nb.widgets._studio import Studio

__all__ = ["Studio"]
