"""Draft -> MP4 renderer (docs/draft-schema.md, docs/interfaces.md).

>>> result = render_draft(draft, "out.mp4", resolve=lambda src: media_dir / src.rsplit("/", 1)[-1])

Imports nothing of nemo_nb but ``_mediatype``; safe to run in a worker thread.
"""

from ._errors import RenderCancelled, RenderInputError, RenderResult
from ._pipeline import render_draft

__all__ = ["render_draft", "RenderResult", "RenderCancelled", "RenderInputError"]
