"""The commands a conversation answers without the agent: "status", "credits" and "upload"."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from nemo_nb.api import CreditsError, NemoError, SessionNotFoundError, UploadedFile
from nemo_nb.conversation._routing import media_references
from nemo_nb.conversation._update import Update, error_update
from nemo_nb.timeline import Draft

if TYPE_CHECKING:
    from nemo_nb.conversation._conversation import Conversation

__all__ = ["state_update", "state_updates", "credits_updates", "upload_updates", "upload"]


def state_update(draft: Draft | None) -> Update:
    """The ``state`` update: the timeline's summary, or what to do when there is none."""
    if draft is None:
        return Update(
            "state",
            "Nothing on the timeline yet — upload a photo and describe the motion you want.",
            {"draft": None},
        )
    return Update("state", draft.summary(), {"draft": draft})


async def state_updates(conv: Conversation) -> AsyncIterator[Update]:
    """ "status": read the timeline and summarise it."""
    draft, failure = await conv._refresh_or_explain()
    if failure:
        for update in failure:
            yield update
        return
    yield state_update(draft)


async def credits_updates(conv: Conversation) -> AsyncIterator[Update]:
    """ "credits": the balance, with what running jobs hold back."""
    try:
        credits = await conv.client.credits()
    except CreditsError as exc:
        yield conv._credits_error(exc)
        return
    except NemoError as exc:
        yield error_update(exc)
        return
    text = f"You have {credits.available} credits available"
    if credits.frozen:
        text += f" ({credits.frozen} reserved by running jobs, {credits.total} in total)"
    yield Update("credits", text + ".", {"credits": credits})


async def upload_updates(conv: Conversation, text: str) -> AsyncIterator[Update]:
    """ "upload" (or a message that is a file path or URL): upload what it names, else say how."""
    refs = media_references(text)
    found = [
        r
        for r in refs
        if r.lower().startswith(("http://", "https://")) or Path(r).expanduser().is_file()
    ]
    if found:
        yield await conv.upload(*found)
        return
    types = ", ".join(sorted(e.upper() for e in conv.client.accepted_types))
    missing = f"I can't find {', '.join(refs)} — check the path. " if refs else ""
    yield Update(
        "upload",
        f"{missing}To upload, use the upload button, or in code: "
        f'await conv.upload("photo.jpg") (a path or a URL). Accepted: {types}; '
        f"up to {conv.skill.max_file_mb} MB.",
        {"files": []},
    )


async def upload(conv: Conversation, *paths_or_urls: str | Path) -> Update:
    """:meth:`Conversation.upload`: one recorded turn; a lost session is replaced once."""
    turn = conv._begin(f"upload {' '.join(str(p) for p in paths_or_urls)}", "upload")
    started = time.perf_counter()
    try:
        sid = await conv.start()
        try:
            files = await conv.client.upload(sid, *paths_or_urls)
        except SessionNotFoundError:
            sid = await conv._new_session()
            files = await conv.client.upload(sid, *paths_or_urls)
        update = Update("upload", describe_uploads(files), {"files": list(files)})
    except NemoError as exc:
        update = error_update(exc)
    turn.session_id = conv.session_id
    conv._record(turn, update)
    conv._finish(turn, started)
    return update


def describe_uploads(files: Sequence[UploadedFile]) -> str:
    """One sentence naming what was uploaded, and what to do next."""
    if not files:
        return "Nothing was uploaded."
    parts = []
    for f in files:
        details = [f.file_type or "file"]
        if f.width and f.height:
            details.append(f"{f.width}x{f.height}")
        if f.duration and f.file_type in ("video", "audio"):
            details.append(f"{f.duration:g} s")
        parts.append(f"{f.filename} ({', '.join(details)})")
    if len(files) == 1:
        return f"Uploaded 1 file: {parts[0]}. Now tell me how to animate it."
    return f"Uploaded {len(files)} files: {'; '.join(parts)}. Now tell me what to make of them."
