"""The timeline (draft) views: parse, table, one-line summary, Gantt chart, and diff.

>>> draft = Draft.from_json(state.draft)
>>> draft.summary()
'Timeline (2 tracks): 1. Video: portrait.jpg (0-6s, jiggle) 2. BGM: Lo-fi (0-6s, 35%)'
>>> diff(before, draft)
['Effect strength on portrait.jpg 60% → 40%']

This package imports nothing above it (no api, no conversation).
"""

from __future__ import annotations

from nemo_nb.timeline._diff import diff
from nemo_nb.timeline._format import KIND_COLOURS
from nemo_nb.timeline._frame import COLUMNS, to_dataframe
from nemo_nb.timeline._gantt import TimelineFigure, gantt
from nemo_nb.timeline._model import TRACK_KINDS, Draft, DraftError, Segment, Track
from nemo_nb.timeline._summary import summarize

__all__ = [
    "COLUMNS",
    "KIND_COLOURS",
    "TRACK_KINDS",
    "Draft",
    "DraftError",
    "Segment",
    "TimelineFigure",
    "Track",
    "diff",
    "gantt",
    "summarize",
    "to_dataframe",
]
