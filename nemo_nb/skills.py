"""The five seed skills as presets.

Each preset is plain data taken from its seed file (``tests/data/seeds/*.txt``): the name sent as
``X-Skill-Source``, the version sent as ``X-Skill-Version``, the prompts the seed suggests
("Try saying…"), its tips, the inputs it accepts and how long its operations are expected to take.
It imports only the leaf module ``_mediatype`` (for the upload limit), so every layer may use it;
the upload types themselves are ``_mediatype``'s facts (``CLOUD_TYPES``, ``ENGINE_TYPES``).
"""

from __future__ import annotations

from dataclasses import dataclass

from nemo_nb._mediatype import MAX_UPLOAD_MB

__all__ = ["Skill", "SKILLS", "DEFAULT_SKILL", "get_skill"]


@dataclass(frozen=True)
class Skill:
    """One seed skill: what the agent is presented as, and what it suggests to the user."""

    name: str
    version: str
    title: str
    description: str
    suggested_prompts: tuple[str, ...]
    tips: tuple[str, ...]
    accepted_inputs: tuple[str, ...]
    processing_time: str
    export_time: str = "30-90 seconds"
    max_file_mb: int = MAX_UPLOAD_MB

    def __str__(self) -> str:
        return f"{self.title} ({self.name} {self.version})"


_SHARED_TIP = "Export as MP4 for widest compatibility across TikTok, Instagram, and YouTube Shorts."

SKILLS: dict[str, Skill] = {
    s.name: s
    for s in (
        Skill(
            name="image-to-video-jiggle",
            version="1.0.0",
            title="Image to Video Jiggle",
            description="Animate photos into jiggling, bouncing motion clips.",
            suggested_prompts=(
                "make this photo jiggle and bounce like a looping animated video",
                "animate a single portrait photo or product image into a 1080p MP4",
                "turning static photos into jiggling motion videos for social media for TikTok creators",
            ),
            tips=(
                "Images with clear subjects and simple backgrounds produce the cleanest jiggle effect.",
                'Be specific: instead of "make it look better", try "make this photo jiggle and '
                'bounce like a looping animated video".',
                "Max file size is 200MB. Stick to JPG, PNG, WEBP, HEIC for the smoothest experience.",
                _SHARED_TIP,
            ),
            accepted_inputs=("jpg", "png", "webp", "heic"),
            processing_time="20-40 seconds",
        ),
        Skill(
            name="ai-animations",
            version="1.0.0",
            title="AI Animations",
            description="Turn images or text into smooth animated videos.",
            suggested_prompts=(
                "turn my static images into a smooth animated video with motion effects",
                "generate my images or text",
                "export 1080p MP4",
            ),
            tips=(
                "Simpler images with clear subjects animate more cleanly than busy backgrounds.",
                'Be specific: instead of "make it look better", try "turn my static images into '
                'a smooth animated video with motion effects".',
                "Max file size is 200MB. Stick to PNG, JPG, MP4, GIF for the smoothest experience.",
                _SHARED_TIP,
            ),
            accepted_inputs=("png", "jpg", "mp4", "gif"),
            processing_time="1-2 minutes",
        ),
        Skill(
            name="image-to-video-ai-jiggle",
            version="1.0.0",
            title="Image to Video AI Jiggle",
            description="Make still photos feel alive with a subtle looping jiggle.",
            suggested_prompts=(
                "make this image jiggle and bounce with a subtle looping motion",
                "make this image jiggle and bounce",
                "convert my still images",
                "export 1080p MP4",
            ),
            tips=(
                "Images with a clear subject on a simple background produce the most "
                "natural-looking jiggle effect.",
                'Be specific: instead of "make it look better", try "make this image jiggle and '
                'bounce with a subtle looping motion".',
                "Max file size is 200MB. Stick to JPG, PNG, WEBP, HEIC for the smoothest experience.",
                _SHARED_TIP,
            ),
            accepted_inputs=("jpg", "png", "webp", "heic"),
            processing_time="20-40 seconds",
        ),
        Skill(
            name="ai-animation-photo",
            version="1.0.0",
            title="AI Animation Photo",
            description="Animate a portrait or landscape photo so it looks like it's moving.",
            suggested_prompts=(
                "animate this photo to make it look like it's moving",
                "convert a single portrait or landscape photo into a 1080p MP4",
                "turning static photos into animated video clips for social media creators",
            ),
            tips=(
                "High-contrast photos with clear subjects animate more convincingly.",
                'Be specific: instead of "make it look better", try "animate this photo to make '
                "it look like it's moving\".",
                "Max file size is 200MB. Stick to JPG, PNG, WEBP, HEIC for the smoothest experience.",
                _SHARED_TIP,
            ),
            accepted_inputs=("jpg", "png", "webp", "heic"),
            processing_time="20-40 seconds",
        ),
        Skill(
            name="create-image-to-video-ai",
            version="1.0.0",
            title="Create Image to Video AI",
            description="Turn several images into a smooth video with transitions.",
            suggested_prompts=(
                "turn these images into a smooth 15-second video with transitions",
                "convert my still images",
                "export 1080p MP4",
            ),
            tips=(
                "Using fewer images with higher resolution produces smoother motion output.",
                'Be specific: instead of "make it look better", try "turn these images into a '
                'smooth 15-second video with transitions".',
                "Max file size is 200MB. Stick to JPG, PNG, WEBP, HEIC for the smoothest experience.",
                _SHARED_TIP,
            ),
            accepted_inputs=("jpg", "png", "webp", "heic"),
            processing_time="30-60 seconds",
        ),
    )
}

DEFAULT_SKILL: Skill = SKILLS["image-to-video-jiggle"]


def get_skill(skill: str | Skill | None = None) -> Skill:
    """Return a preset by name (or pass a :class:`Skill` through); ``None`` gives the default."""
    if skill is None:
        return DEFAULT_SKILL
    if isinstance(skill, Skill):
        return skill
    try:
        return SKILLS[skill]
    except KeyError:
        names = ", ".join(SKILLS)
        raise ValueError(f"Unknown skill {skill!r}; choose one of: {names}.") from None
