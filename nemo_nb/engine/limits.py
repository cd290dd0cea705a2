"""What one request, one user and one export may cost the engine: every limit stated once, here.

Each limit is enforced where its bytes or work arrive (the route, the queue, the watchdog) and
refused or clamped there with one sentence that says which.
"""

from __future__ import annotations

__all__ = [
    "MAX_EXPORT_SECONDS",
    "EXPORT_FPS",
    "EXPORT_LONG_SIDE",
    "EXPORT_SHORT_SIDE",
    "MAX_DRAFT_SEGMENTS",
    "MAX_DRAFT_DEPTH",
    "MAX_WAITING_EXPORTS",
    "QUEUE_FULL_RETRY_AFTER_S",
    "render_time_ceiling",
]

# --- exports: drafts, the render queue and render time --------------------------------------

#: The longest clip an export may be: the agent caps a length it is asked for, a video's, and the
#: loops of every photo at 60 s, and fits any draft to it when told "make it 60 seconds". A
#: longer draft is refused with a sentence saying so.
MAX_EXPORT_SECONDS = 60
#: The frame rate every export has (docs/contract.md §5); a draft asking for more is clamped.
EXPORT_FPS = 30
#: 1080p in the three aspects (9:16, 16:9, 1:1): no side longer than 1920, the short side at most
#: 1080. A larger ``m.width`` x ``m.height`` is scaled down to fit, keeping its shape.
EXPORT_LONG_SIDE = 1920
EXPORT_SHORT_SIDE = 1080
#: Segments in one draft, all tracks together: ten a second of the longest clip. Each costs a
#: decode and a layer per frame; the agent writes a few dozen at most.
MAX_DRAFT_SEGMENTS = 600
#: Nesting of objects and lists in a draft; the schema needs 8 (draft, t, track, sg, segment, m,
#: fx list, fx), so anything far deeper is not a draft.
MAX_DRAFT_DEPTH = 32
#: Exports one user may have waiting (not yet rendering); one more is refused with HTTP 429. The
#: queue is round-robin across users, so this bounds how much of it one user can fill.
MAX_WAITING_EXPORTS = 5
#: The ``Retry-After`` of that 429: about what a short export takes to render.
QUEUE_FULL_RETRY_AFTER_S = 30
#: A running render is stopped after ``base + per clip-second x length`` seconds however steadily
#: it progresses. 1080x1920 renders at about 3.4 frames/s on two busy cores, i.e. ~9 s for each
#: second of clip at 30 fps; the ceiling allows three times that, plus time to decode pictures.
RENDER_CEILING_BASE_S = 120.0
RENDER_CEILING_PER_CLIP_SECOND_S = 30.0


def render_time_ceiling(clip_seconds: float) -> float:
    """Seconds a render of a ``clip_seconds`` long draft may run before the watchdog stops it."""
    clip = min(max(0.0, clip_seconds), float(MAX_EXPORT_SECONDS))
    return RENDER_CEILING_BASE_S + RENDER_CEILING_PER_CLIP_SECOND_S * clip
