"""The engine's limits: how big, how long and how many a request may be.

Each limit is a fact stated once, here, and enforced where the bytes arrive (the comment names the
place). Error sentences quote these numbers and tests read them from here, so a change here changes
what the engine does, says and is tested for. To add one: a constant in the section it belongs to,
with a ``#:`` comment saying what it bounds, why this number, and where it is enforced.
"""

from __future__ import annotations

from nemo_nb._mediatype import MAX_UPLOAD_BYTES

__all__ = [
    "PROMPT_CHARS",
    "CHAT_BODY_BYTES",
    "JSON_BODY_BYTES",
    "UPLOAD_FILES",
    "UPLOAD_BODY_BYTES",
    "HEADER_BYTES",
    "READ_TIMEOUT_S",
    "JSON_BODY_TIMEOUT_S",
    "UPLOAD_BODY_TIMEOUT_S",
    "LINGER_S",
    "ANON_TOKENS_PER_MINUTE",
    "AGENT_TURNS_AT_ONCE",
    "AGENT_SECONDS_PER_MINUTE",
    "MAX_EXPORT_SECONDS",
    "EXPORT_FPS",
    "EXPORT_LONG_SIDE",
    "EXPORT_SHORT_SIDE",
    "MAX_DRAFT_SEGMENTS",
    "MAX_DRAFT_DEPTH",
    "MAX_WAITING_EXPORTS",
    "QUEUE_FULL_RETRY_AFTER_S",
    "PREVIEWS_PER_USER",
    "PREVIEW_RETRY_AFTER_S",
    "render_time_ceiling",
]

_KiB = 1024
_MiB = 1024 * _KiB

# --- sizes: counted as the body arrives (engine/_guards.py), refused with 413 at the limit ------

#: A chat message (``/run_sse``), in characters. Far more than anyone types into a chat, and it
#: keeps one turn's parsing short; enforced in ``app.run_sse``.
PROMPT_CHARS = 4000
#: A ``/run_sse`` body: a :data:`PROMPT_CHARS` message with every character ``\\u``-escaped (6
#: bytes, 12 for a surrogate pair) still fits, with the envelope.
CHAT_BODY_BYTES = 64 * _KiB
#: Any other JSON body (sessions, URL uploads, an export carrying its draft).
JSON_BODY_BYTES = 1 * _MiB
#: Files in one upload request; enforced in ``app.upload``.
UPLOAD_FILES = 20
#: An upload body: :data:`UPLOAD_FILES` files at the per-file limit (``MAX_UPLOAD_BYTES``, checked
#: per file as it streams) with their multipart headers.
UPLOAD_BODY_BYTES = UPLOAD_FILES * (MAX_UPLOAD_BYTES + 64 * _KiB)
#: The request line and headers (h11's limit on an incomplete event; engine/_server.py): more is
#: refused with 400 before any of it reaches the app.
HEADER_BYTES = 16 * _KiB

# --- time ----------------------------------------------------------------------------------------

#: Seconds a client may take to send its request headers (from connecting, or from the end of the
#: previous answer on a kept-alive connection; engine/_server.py), and the longest pause between
#: two pieces of a body (engine/_guards.py). Then 408 and the connection is closed, so half-open
#: connections cannot pile up. ``nemo-nb serve --read-timeout``.
READ_TIMEOUT_S = 15.0
#: Seconds a whole JSON body may take, however it trickles in (engine/_guards.py).
JSON_BODY_TIMEOUT_S = 30.0
#: Seconds a whole upload body may take: 200 MB at about 2 Mbit/s (engine/_guards.py).
UPLOAD_BODY_TIMEOUT_S = 15 * 60.0
#: Seconds the engine goes on discarding a refused body before it closes the connection, so that
#: a client that reads only after sending (httpx) still gets the answer (engine/_server.py).
LINGER_S = 2.0

# --- counts --------------------------------------------------------------------------------------

#: New anonymous tokens one client address may get in a minute (``app.anonymous_token``; then 429
#: with ``Retry-After``): a classroom behind one address can all join at once, a script minting
#: accounts cannot. ``nemo-nb serve --token-rate``.
ANON_TOKENS_PER_MINUTE = 60
#: Agent turns interpreted at once (``app._run_turn``); the rest wait in order, and one user has
#: at most one turn in the agent's hands, so one client cannot crowd out the others.
AGENT_TURNS_AT_ONCE = 2
#: CPU seconds of agent work one user's turns may take in any minute (``app._run_turn``); a turn
#: beyond it waits (paced, not refused) until the minute has room, and is dropped if its client
#: leaves meanwhile. A person's turn takes hundredths of a second, so only a script ever waits,
#: and it cannot take the render's CPU. ``nemo-nb serve --agent-budget``.
AGENT_SECONDS_PER_MINUTE = 3.0

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

#: Previews one user may have waiting or rendering at once, over all their sessions: a Studio and
#: a Prompt Lab with its two variants in flight fit; a script that floods the lane is told to wait
#: (429; ``app.render_submit``). A newer preview of a session replaces its older one instead.
PREVIEWS_PER_USER = 4
#: Seconds a preview refused by that cap is told to wait before asking again (``Retry-After``).
PREVIEW_RETRY_AFTER_S = 1


def render_time_ceiling(clip_seconds: float) -> float:
    """Seconds a render of a ``clip_seconds`` long draft may run before the watchdog stops it."""
    clip = min(max(0.0, clip_seconds), float(MAX_EXPORT_SECONDS))
    return RENDER_CEILING_BASE_S + RENDER_CEILING_PER_CLIP_SECOND_S * clip
