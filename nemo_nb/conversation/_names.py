"""What an export is called and where it goes when nobody says: one policy for the Studio,
``Conversation.export``, ``nemo-nb render`` and ``PromptLab.save``.

A name a person recognises in a file browser, made of the (first) photo's name and the effects
(``astronaut-jiggle-bounce.mp4``), never overwriting an earlier export (``-2``, ``-3``, …). The
default folder, ``nemo-exports/``, sits beside the notebook (the kernel's working directory),
where the notebook server serves it: the file browser lists it and a link can download it.
"""

from __future__ import annotations

import re
from pathlib import Path, PurePath
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from nemo_nb.timeline import Draft

__all__ = ["DEFAULT_EXPORT_DIR", "default_export_dir", "export_stem", "unique_path"]

#: The folder exports go to, relative to the notebook (the kernel's working directory).
DEFAULT_EXPORT_DIR = "nemo-exports"
#: Longest stem made from a draft, characters.
_STEM_CHARS = 60
#: At most this many effects are named (a fourth would only make the name harder to read).
_NAMED_EFFECTS = 3


def default_export_dir() -> Path:
    """``nemo-exports/`` in the current working directory (beside the notebook)."""
    return Path.cwd() / DEFAULT_EXPORT_DIR


def _slug(text: str) -> str:
    # letters and digits of any script stay; anything else becomes one dash
    return re.sub(r"\W+", "-", text.lower()).strip("-_")


def export_stem(draft: Draft | None) -> str:
    """A readable file stem for ``draft``: its first picture's name, then its effects
    (``astronaut-jiggle-bounce``); several pictures without effects make a ``…-slideshow``."""
    pictures = [seg for track, seg in draft.segments if track.kind == "video"] if draft else []
    if not pictures:
        return "nemo-video"
    first = _slug(PurePath(pictures[0].label).stem) or "video"
    effects: list[str] = []
    for seg in pictures:
        effects += [_slug(e) for e in seg.effects if _slug(e) and _slug(e) not in effects]
    words = [first, *effects[:_NAMED_EFFECTS]]
    if not effects and len(pictures) > 1:
        words.append("slideshow")
    stem = "-".join(words)
    return stem[:_STEM_CHARS].rstrip("-_") or "nemo-video"


def unique_path(folder: Path, stem: str, suffix: str = ".mp4") -> Path:
    """``folder/stem.mp4``, or the first of ``stem-2.mp4``, ``stem-3.mp4``, … not taken yet."""
    candidate = folder / f"{stem}{suffix}"
    n = 2
    while candidate.exists():
        candidate = folder / f"{stem}-{n}{suffix}"
        n += 1
    return candidate
