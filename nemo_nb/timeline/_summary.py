"""The one-line timeline summary in the seeds' form.

``Timeline (3 tracks): 1. Video: city timelapse (0-10s) 2. BGM: Lo-fi (0-10s, 35%)
3. Title: "Urban Dreams" (0-3s)``; ours adds the effect of a video segment (``0-6s, jiggle``), and a
track with several segments lists them separated by commas.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nemo_nb.timeline._format import percent, span

if TYPE_CHECKING:
    from nemo_nb.timeline._model import Draft, Segment, Track


def describe_segment(track: Track, segment: Segment) -> str:
    """One segment as the summary shows it, e.g. ``portrait.jpg (0-6s, jiggle)``."""
    details = [span(segment.start_ms, segment.duration_ms)]
    if track.kind == "video" and segment.effect:
        details.append(segment.effect)
    if track.kind == "audio" and segment.volume is not None:
        details.append(percent(segment.volume))
    label = f'"{segment.label}"' if track.kind == "text" else segment.label
    return f"{label} ({', '.join(details)})"


def summarize(draft: Draft) -> str:
    """``Timeline (N tracks): 1. Name: segment (span[, detail]) 2. …``."""
    count = len(draft.tracks)
    head = f"Timeline ({count} track{'' if count == 1 else 's'})"
    if not count:
        return f"{head}: empty"
    parts = []
    for track in draft.tracks:
        body = ", ".join(describe_segment(track, s) for s in track.segments) or "empty"
        parts.append(f"{track.index}. {track.name}: {body}")
    return f"{head}: {' '.join(parts)}"
