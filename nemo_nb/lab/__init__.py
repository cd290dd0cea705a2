"""The Prompt Lab: compare prompts, skills and photos side by side.

>>> lab = nemo_nb.PromptLab(photo, ["make it jiggle", "make it bounce"])
>>> await lab.run()
>>> lab.frame

Sits beside the Studio on top of the conversation layer; never speaks HTTP itself.
"""

from __future__ import annotations

from nemo_nb.lab._lab import DEFAULT_CONCURRENCY, PromptLab
from nemo_nb.lab._variant import COLUMNS, Variant

__all__ = ["COLUMNS", "DEFAULT_CONCURRENCY", "PromptLab", "Variant"]
