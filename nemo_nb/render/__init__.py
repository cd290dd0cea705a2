"""Draft -> MP4 renderer (docs/draft-schema.md, docs/interfaces.md).

>>> result = render_draft(draft, "out.mp4", resolve=lambda src: media_dir / src.rsplit("/", 1)[-1])

Output: H.264 High (libx264) yuv420p, ``movflags=faststart``, the draft's fps (30), exactly
``round(d / 1000 * fps)`` frames, AAC 48 kHz stereo when the draft has audio segments.

For callers (the engine's render jobs):

- ``render_draft`` blocks; call it in a worker thread. It starts one producer thread of its own
  (composes frames while the calling thread encodes) and joins it before returning or raising.
  OpenCV and x264 use both cores; on Linux the producer runs a few nice levels below the caller,
  as the encoder is the critical path.
- ``on_progress`` is called from the calling thread: 0.0 first, then at most ~10 times a second,
  and exactly 1.0 once the file is in place.
- ``cancel`` is checked every frame; a set event raises :class:`RenderCancelled` within about a
  frame's time, with the partial file removed. Output is written to a hidden temporary name
  next to ``out_path`` and renamed only when complete.
- ``check_draft(draft)`` raises the same :class:`RenderInputError` for a bad draft without
  opening any media (the engine checks an export with it before queueing).
- Bad drafts and unreadable media raise :class:`RenderInputError` (one sentence naming the segment)
  before encoding starts; pixels are decoded lazily, so a file whose header is fine but whose data
  is corrupt fails mid-render with the same error (and no file left behind).
- Memory does not grow with the clip's length (frames stream through a 3-frame queue); a 1080x1920
  render peaks around 350-400 MB, most of it x264's own buffers. The mixed soundtrack (0.4 MB
  per second) is the only thing held for the whole clip.
- ``warm_up()`` loads the face detector and makes the built-in music now, so the first render
  does not wait for them (the engine loads the detector before it serves and makes the music in
  a low-priority thread).
- ``m.width``/``m.height`` in the draft, when both are present, win over ``m.aspect``: tests use
  that to render small.
- ``quality="preview"`` (:data:`QUALITIES`) renders the same draft at 360 px on the short side
  (360x640 for 9:16), 30 fps, x264 superfast, music included: the export's picture scaled down
  (the same subject, crop and motion), several times faster. A :class:`RenderQuality` of one's own
  sets the frame size and encoder settings directly.

- Pictures with a subject (a face, or a clear object) get subject-aware motion: the analysis runs
  once per picture (well under a second at reduced size) and is cached by content hash under
  ``<data dir>/cache/subjects`` (``NEMO_NB_SUBJECT_CACHE`` overrides it). A picture without one
  moves whole, and ``RenderResult.notes`` says why in one sentence per picture.
  :func:`subject_in_frame` gives that subject's alpha placed in the frame at rest (for measuring
  how much of a clip's motion is on the subject).

Imports nothing of nemo_nb but ``_mediatype``, ``_paths`` (the data dir, for that cache) and
``_threads``.
"""

from typing import TYPE_CHECKING, Any

from ._draft import check_draft
from ._errors import RenderCancelled, RenderInputError, RenderResult

__all__ = [
    "render_draft",
    "warm_up",
    "check_draft",
    "RenderResult",
    "RenderCancelled",
    "RenderInputError",
    "RenderQuality",
    "QUALITIES",
    "subject_in_frame",
]

# The pipeline (numpy, OpenCV, PyAV: about a second) loads on first use, so that checking a draft
# (the engine, before it queues an export) does not wait for it.
_LAZY = {
    "render_draft": "._pipeline",
    "warm_up": "._pipeline",
    "RenderQuality": "._encode",
    "QUALITIES": "._encode",
    "subject_in_frame": "._at_rest",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module 'nemo_nb.render' has no attribute {name!r}")


if TYPE_CHECKING:  # pragma: no cover
    from ._at_rest import subject_in_frame
    from ._encode import QUALITIES, RenderQuality
    from ._pipeline import render_draft, warm_up
