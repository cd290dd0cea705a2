"""One variant of a Prompt Lab: what was asked (image(s), prompt, skill, follow-ups) and what came
of it (reply, timeline, clip, motion scores, timings, error), with its table row and its manifest
entry."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, cast

from nemo_nb.lab._scores import SCORE_COLUMNS, MotionScores
from nemo_nb.timeline import Draft, DraftError

__all__ = ["Variant", "COLUMNS", "Status"]

Status = Literal["queued", "running", "done", "failed", "cancelled"]

#: The comparison table's columns, in order (``PromptLab.frame``).
COLUMNS: tuple[str, ...] = (
    "image",
    "prompt",
    "skill",
    "effects",
    "strength",
    "duration_s",
    "aspect",
    "title",
    "music",
    "render_s",
    "size_bytes",
    "credits_used",
    *SCORE_COLUMNS,
    "quality",
    "path",
    "export_path",
    "error",
    "status",
    "reply",
)


@dataclass
class Variant:
    """One image(s) × prompt × skill combination of a lab and its outcome."""

    index: int
    images: tuple[str, ...]
    prompt: str
    skill: str
    follow_ups: tuple[str, ...] = ()
    status: Status = "queued"
    stage: str = "Waiting for its turn…"  # what it is doing now, for its card
    progress: float = 0.0  # 0..1, its share of the run's progress bar
    reply: str = ""  # the agent's replies to the prompt and the follow-ups
    draft: dict[str, Any] | None = None  # the timeline that was rendered
    quality: str = "high"  # what ``path`` is: "preview" (small, fast) or "high" (the export)
    path: str | None = None  # the clip the card plays: the preview, or the export
    export_path: str | None = None  # the full-quality MP4 (``path`` itself when quality is high)
    scores: MotionScores | None = None  # measured on ``path``
    render_s: float | None = None
    size_bytes: int | None = None
    credits_used: int | None = None
    error: str | None = None
    session_id: str | None = None  # the variant's own session on the server
    render_ids: list[str] = field(default_factory=list)

    @property
    def image_label(self) -> str:
        """The image file name(s), as the table and the card show them."""
        return ", ".join(Path(p).name for p in self.images)

    @property
    def finished(self) -> bool:
        """True once the variant can no longer change (done, failed or cancelled)."""
        return self.status in ("done", "failed", "cancelled")

    def fail(self, error: str) -> None:
        """Mark the variant failed with one sentence saying why."""
        self.status, self.error, self.stage, self.progress = "failed", error, "Failed", 1.0

    def parsed_draft(self) -> Draft | None:
        """The exported timeline, parsed (``None`` when there is none or it is unreadable)."""
        if not self.draft:
            return None
        try:
            return Draft.from_json(self.draft)
        except DraftError:
            return None

    def facts(self) -> dict[str, Any]:
        """What the timeline says: effects, strength, duration, aspect, title text and music."""
        draft = self.parsed_draft()
        if draft is None:
            return dict.fromkeys(("effects", "strength", "duration_s", "aspect", "title", "music"))
        segments = draft.segments
        moving = [s for t, s in segments if t.kind == "video" and s.effect]
        effects = list(dict.fromkeys(s.effect for s in moving if s.effect))
        texts = [s.text for t, s in segments if t.kind == "text" and s.text]
        music = [s.label for t, s in segments if t.kind == "audio"]
        return {
            "effects": ", ".join(effects) or None,
            # The first moving segment's: variants of one prompt differ in strength as a whole.
            "strength": moving[0].strength if moving else None,
            "duration_s": round(draft.duration_ms / 1000.0, 3),
            "aspect": draft.aspect,
            "title": " / ".join(texts) or None,
            "music": ", ".join(music) or None,
        }

    def row(self) -> dict[str, Any]:
        """This variant's row of the comparison table (keys: :data:`COLUMNS`)."""
        return {
            "image": self.image_label,
            "prompt": self.prompt,
            "skill": self.skill,
            **self.facts(),
            "render_s": self.render_s,
            "size_bytes": self.size_bytes,
            "credits_used": self.credits_used,
            **self.score_row(),
            "quality": self.quality if self.path else None,
            "path": self.path,
            "export_path": self.export_path,
            "error": self.error,
            "status": self.status,
            "reply": self.reply,
        }

    def score_row(self) -> dict[str, float | None]:
        """The motion scores keyed by column (``None`` before the clip is measured)."""
        if self.scores is None:
            return dict.fromkeys(SCORE_COLUMNS)
        return dict(self.scores.as_row())

    # ---- manifest ------------------------------------------------------------------------------
    def to_manifest(
        self, mp4: str | None, poster: str | None, export: str | None = None
    ) -> dict[str, Any]:
        """The manifest entry, with ``mp4``/``poster``/``export`` as paths relative to the saved
        folder (``export``: the full-quality MP4 of a preview)."""
        return {
            "index": self.index,
            "images": list(self.images),
            "prompt": self.prompt,
            "skill": self.skill,
            "follow_ups": list(self.follow_ups),
            "status": self.status,
            "reply": self.reply,
            "draft": self.draft,
            "quality": self.quality,
            "mp4": mp4,
            "export": export,
            "poster": poster,
            # NaN ("could not say") is no JSON: null
            "scores": (
                {k: None if v != v else v for k, v in self.scores.as_row().items()}
                if self.scores is not None
                else None
            ),
            "render_s": self.render_s,
            "size_bytes": self.size_bytes,
            "credits_used": self.credits_used,
            "error": self.error,
            "session_id": self.session_id,
            "render_ids": list(self.render_ids),
        }

    @classmethod
    def from_manifest(cls, entry: dict[str, Any], folder: Path) -> Variant:
        """Rebuild a variant from its manifest entry; its MP4 path points into ``folder``."""
        status = entry.get("status") or "failed"
        scores = entry.get("scores")
        mp4 = str(folder / entry["mp4"]) if entry.get("mp4") else None
        quality = str(entry.get("quality") or "high")
        return cls(
            index=int(entry["index"]),
            images=tuple(entry.get("images") or ()),
            prompt=str(entry.get("prompt", "")),
            skill=str(entry.get("skill", "")),
            follow_ups=tuple(entry.get("follow_ups") or ()),
            status=cast(Status, status),
            stage={"done": "Done", "failed": "Failed", "cancelled": "Cancelled"}.get(status, ""),
            progress=1.0,
            reply=str(entry.get("reply") or ""),
            draft=entry.get("draft"),
            quality=quality,
            path=mp4,
            export_path=(
                str(folder / entry["export"])
                if entry.get("export")
                else (mp4 if quality == "high" else None)
            ),
            scores=_scores(scores),
            render_s=entry.get("render_s"),
            size_bytes=entry.get("size_bytes"),
            credits_used=entry.get("credits_used"),
            error=entry.get("error"),
            session_id=entry.get("session_id"),
            render_ids=list(entry.get("render_ids") or []),
        )


def _scores(saved: Any) -> MotionScores | None:
    """Scores as a manifest keeps them (``null`` for NaN); ``None`` when there are none."""
    if not isinstance(saved, dict):
        return None
    try:
        return MotionScores(**{k: math.nan if saved.get(k) is None else float(saved[k])
                               for k in SCORE_COLUMNS})  # fmt: skip
    except (TypeError, ValueError):
        return None
