"""The commands a conversation answers without the agent: "status", "credits" and "upload".

Plain functions of what they need (a draft, a client, the skill's limits); the conversation
calls them and records the turn.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from pathlib import Path

from nemo_nb._mediatype import is_url
from nemo_nb.api import CreditsError, NemoError, UploadedFile
from nemo_nb.conversation._client import AgentClient
from nemo_nb.conversation._routing import media_references
from nemo_nb.conversation._update import Update, credits_error_update, error_update
from nemo_nb.timeline import Draft

__all__ = ["state_update", "credits_update", "files_named", "upload_help", "describe_uploads"]


def state_update(draft: Draft | None) -> Update:
    """The ``state`` update: the timeline's summary, or what to do when there is none."""
    if draft is None:
        return Update(
            "state",
            "Nothing on the timeline yet — upload a photo and describe the motion you want.",
            {"draft": None},
        )
    return Update("state", draft.summary(), {"draft": draft})


async def credits_update(client: AgentClient) -> Update:
    """ "credits": the balance, with what running jobs hold back."""
    try:
        credits = await client.credits()
    except CreditsError as exc:
        return credits_error_update(exc)
    except NemoError as exc:
        return error_update(exc)
    text = f"You have {credits.available} credits available"
    if credits.frozen:
        text += f" ({credits.frozen} reserved by running jobs, {credits.total} in total)"
    return Update("credits", text + ".", {"credits": credits})


def files_named(text: str) -> tuple[list[str], list[str]]:
    """The files and URLs an "upload" message names: (those that exist or are URLs, all named)."""
    refs = media_references(text)
    return [r for r in refs if is_url(r) or Path(r).expanduser().is_file()], refs


def upload_help(
    missing: Sequence[str], accepted_types: Collection[str], max_file_mb: int
) -> Update:
    """ "upload" with nothing to upload: what was not found, and how to upload."""
    types = ", ".join(sorted(e.upper() for e in accepted_types))
    said = f"I can't find {', '.join(missing)} — check the path. " if missing else ""
    return Update(
        "upload",
        f"{said}To upload, use the upload button, or in code: "
        f'await conv.upload("photo.jpg") (a path or a URL). Accepted: {types}; '
        f"up to {max_file_mb} MB.",
        {"files": []},
    )


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
