"""Run one variant through the conversation layer: its own session, upload, prompt, follow-ups,
then its preview or its export; and export a previewed variant at full quality later. Never
speaks HTTP itself; every call goes through :class:`~nemo_nb.conversation.Conversation` (and, to
cancel a render, the client)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from contextlib import aclosing
from pathlib import Path
from typing import Any, cast

from nemo_nb._contract import PREVIEW
from nemo_nb.api import NemoClient, NemoError, RenderJob
from nemo_nb.conversation import Conversation, Reply, Update
from nemo_nb.lab._variant import Variant

__all__ = ["run_variant", "export_variant", "render_seconds", "NO_PREVIEWS"]

# How far along the run's progress bar each stage of a variant takes it.
_UPLOADED, _ASKED, _RENDERED = 0.05, 0.2, 0.95

NO_PREVIEWS = (
    'Previews are made by the local engine only; on the cloud, run the lab with quality="high".'
)


def render_seconds(job: RenderJob | None) -> float | None:
    """Seconds the server took for ``job``: from its start (``startedAt`` when the server says,
    else its submission, so time queued behind other renders counts) to its completion."""
    if job is None or job.completed_at is None:
        return None
    began = job.started_at or job.created_at
    if began is None:
        return None
    return round((job.completed_at - began).total_seconds(), 3)


async def run_variant(
    variant: Variant,
    client: NemoClient,
    work_dir: Path,
    changed: Callable[[Variant], Any],
    ledger: asyncio.Lock,
    quality: str = "high",
) -> Path | None:
    """Make ``variant``'s clip in a new session: its preview (``quality="preview"``) or its
    export; returns the MP4's path, or ``None`` when the variant failed (its ``error`` says why).
    ``changed(variant)`` is called after every change worth redrawing. Cancelling the task stops
    at the next await (the lab cancels the render).

    ``ledger`` is held across each agent turn and the balance reads around it: the balance is
    the user's, so the lab's turns take turns to know what each variant cost. Agent turns are
    short next to renders, which still overlap."""
    conv = _conversation(variant, client, work_dir, None)  # each run in a session of its own
    variant.status, variant.stage = "running", "Uploading…"
    changed(variant)
    uploaded = await conv.upload(*variant.images)
    variant.session_id = conv.session_id
    if uploaded.kind == "error":
        variant.fail(uploaded.text)
        return None
    variant.progress = _UPLOADED

    prompts = (variant.prompt, *variant.follow_ups)
    replies: list[str] = []
    spent: int | None = None
    for n, prompt in enumerate(prompts, start=1):
        variant.stage = f"Asking the agent ({n}/{len(prompts)})…"
        changed(variant)
        reply = Reply(prompt)
        async with ledger:
            before = await _balance(client)
            async with aclosing(cast(Any, conv.send(prompt))) as updates:
                async for update in updates:
                    reply.updates.append(update)
            after = await _balance(client)
        if before is not None and after is not None:
            spent = (spent or 0) + max(0, before - after)
        variant.credits_used = spent
        if reply.errors:
            variant.fail(reply.errors[0].text)
            return None
        replies.append(reply.text or "; ".join(reply.changes))
        variant.reply = "\n".join(r for r in replies if r)
        variant.progress = _UPLOADED + (_ASKED - _UPLOADED) * n / len(prompts)

    draft = conv.draft
    if draft is None or not draft.exportable:
        said = f' The agent said: "{variant.reply}"' if variant.reply else ""
        variant.fail(f"The prompt left the timeline empty, so there was nothing to render.{said}")
        return None
    variant.draft = draft.to_json()

    if quality == PREVIEW:
        return await _preview(variant, conv, changed)
    return await _export(variant, conv, changed)


def _conversation(
    variant: Variant, client: NemoClient, work_dir: Path, session_id: str | None
) -> Conversation:
    """A conversation in ``session_id`` (a new session when ``None``), keeping its data, exports
    and previews in the lab's folder."""
    return Conversation(
        client,
        skill=variant.skill,
        session_id=session_id,
        data_dir=work_dir,
        renders_dir=work_dir / "renders",
        front_end="cli",  # the lab exports by itself, as the command line does: nothing to say
    )


async def _preview(
    variant: Variant, conv: Conversation, changed: Callable[[Variant], Any]
) -> Path | None:
    """The variant's preview, small and fast (the local engine's)."""
    variant.stage = "Making the preview…"
    changed(variant)

    def progress(fraction: float) -> None:
        variant.stage = f"Making the preview… {fraction:.0%}"
        variant.progress = _ASKED + (_RENDERED - _ASKED) * fraction
        changed(variant)

    started = time.perf_counter()
    try:
        path = await conv.preview(on_progress=progress)
    except NemoError as exc:
        variant.fail(str(exc))
        return None
    if path is None:
        variant.fail(NO_PREVIEWS if not conv.previews_available else "The preview was replaced.")
        return None
    variant.quality, variant.path = PREVIEW, str(path)
    variant.size_bytes = path.stat().st_size
    variant.render_s = round(time.perf_counter() - started, 3)
    return path


async def _export(
    variant: Variant, conv: Conversation, changed: Callable[[Variant], Any]
) -> Path | None:
    """The variant's export at full quality, followed to the downloaded MP4."""
    variant.stage = "Rendering…"
    changed(variant)
    started = time.perf_counter()
    finished: list[RenderJob] = []

    def follow(update: Update) -> None:
        render_id = update.data.get("render_id")
        if render_id and render_id not in variant.render_ids:
            variant.render_ids.append(render_id)  # so the lab can cancel it
        if update.kind == "progress":
            fraction = float(update.data.get("fraction", 0.0))
            variant.stage = f"Rendering… {fraction:.0%}"
            variant.progress = _ASKED + (_RENDERED - _ASKED) * fraction
            changed(variant)
        elif update.kind == "error":
            variant.fail(update.text)
        elif update.kind == "export" and update.data.get("job") is not None:
            finished.append(update.data["job"])

    try:
        path = await conv.export(on_update=follow)
    except NemoError as exc:
        if variant.status != "failed":  # else follow() marked it, with the error's sentence
            variant.fail(str(exc))
        return None
    variant.quality, variant.path, variant.export_path = "high", str(path), str(path)
    variant.size_bytes = path.stat().st_size
    job = finished[-1] if finished else None
    variant.render_s = render_seconds(job) or round(time.perf_counter() - started, 3)
    return path


async def export_variant(
    variant: Variant, client: NemoClient, work_dir: Path, changed: Callable[[Variant], Any]
) -> Path:
    """Render a previewed variant's timeline at full quality in its own session (kept on the
    server since its run) and download it; sets ``variant.export_path``. Raises the client's
    error (e.g. ``RenderError``), or ``ValueError`` for a variant that has no timeline yet."""
    if variant.session_id is None or not variant.draft:
        raise ValueError(
            f"Variant #{variant.index + 1} has no timeline to export yet; run the lab first."
        )
    conv = _conversation(variant, client, work_dir, variant.session_id)
    stage = variant.stage

    def follow(update: Update) -> None:
        if update.kind == "progress":
            variant.stage = f"Exporting at full quality… {update.data.get('fraction', 0.0):.0%}"
            changed(variant)

    variant.stage = "Exporting at full quality…"
    changed(variant)
    try:
        path = await conv.export(on_update=follow)
    finally:
        variant.stage = stage
        changed(variant)
    variant.export_path = str(path)
    return path


async def _balance(client: NemoClient) -> int | None:
    """Credits available now (``None`` when the balance cannot be read: never worth failing)."""
    try:
        return (await client.credits()).available
    except NemoError:
        return None
