"""Draft -> MP4: a producer thread composes frames while the calling thread encodes them.

Per segment, the expensive work is done once (the fitted, pre-scaled plate; rasterised text);
per frame only the warp, blends and text blits run. Frames flow through a small bounded queue,
so memory does not grow with the clip's length; numpy, OpenCV and PyAV release the GIL, so the
warp of frame n+1 overlaps the encode of frame n.
"""

from __future__ import annotations

import dataclasses
import math
import os
import queue
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from . import _yuv as yuv
from ._audio import mix_soundtrack
from ._draft import Plan, TextSegment, VisualSegment, plan_draft
from ._effects import PLATE_SCALE, compose, composed_margin, make_motion
from ._encode import Encoder
from ._errors import RenderCancelled, RenderInputError, RenderResult
from ._fit import build_plate
from ._media import VideoClip, check_picture, check_stream, load_picture_region
from ._music import SAMPLE_RATE
from ._text import TextSprite, rasterise
from ._transitions import blend

_EPS = 1e-6
_GRID_STEP = 8  # output pixels per coarse-grid cell of the deforming effects' maps
_QUEUE_FRAMES = 3
_PROGRESS_INTERVAL = 0.1  # seconds: at most ~10 progress calls a second


class StillSegment:
    """A picture with its motion effect: fitted once, warped per frame."""

    def __init__(self, seg: VisualSegment, width: int, height: int) -> None:
        effects = seg.effects
        margin = composed_margin([(fx.type, fx.strength) for fx in effects], (width, height))
        scale = max(PLATE_SCALE.get(fx.type, 1.0) for fx in effects)
        need = (
            math.ceil(width * (1 + 2 * margin) * scale),
            math.ceil(height * (1 + 2 * margin) * scale),
        )
        source, (u0, v0, u1, v1) = load_picture_region(seg.path, need, seg.fit, seg.label)
        # the anchor is given on the whole picture; the source may be the shown part only
        anchor = ((seg.anchor[0] - u0) / (u1 - u0), (seg.anchor[1] - v0) / (v1 - v0))
        plate = build_plate(source, width, height, seg.fit, anchor, margin_frac=margin, scale=scale)
        del source
        # converted once: every per-frame warp then runs on the encoder's own planes
        self.plate = dataclasses.replace(plate, image=yuv.to_i420(plate.image))
        self.motion = compose(
            [
                make_motion(
                    fx.type,
                    fx.strength,
                    fx.speed,
                    fx.loops,
                    seg.duration,
                    (width, height),
                    self.plate.anchor,
                    fx.direction,
                )
                for fx in effects
            ]
        )
        self.size = (width, height)
        self._static = all(fx.type == "none" for fx in effects) and margin == 0 and scale == 1.0
        self._to_plate = self.plate.frame_to_plate()
        if self.motion.is_field:
            cw, ch = math.ceil(width / _GRID_STEP) + 1, math.ceil(height / _GRID_STEP) + 1
            # coarse samples placed where cv2.resize puts them, so the resized map is exact there
            xs = (np.arange(cw) + 0.5) * width / cw - 0.5
            ys = (np.arange(ch) + 0.5) * height / ch - 0.5
            self._grid = np.meshgrid(xs, ys)

    def frame(self, t: float) -> np.ndarray:
        """The I420 frame at ``t`` seconds into the segment (a new buffer)."""
        width, height = self.size
        if self._static:
            return self.plate.image.copy()
        if self.motion.is_field:
            fx, fy = self.motion.field(t, *self._grid)
            m = self._to_plate
            coarse = np.dstack([m[0, 0] * fx + m[0, 2], m[1, 1] * fy + m[1, 2]]).astype(np.float32)
            return yuv.remap(self.plate.image, coarse, width, height)
        return yuv.warp_affine(
            self.plate.image, self._to_plate @ self.motion.affine(t), width, height
        )

    def close(self) -> None:
        pass


class MovingSegment:
    """An uploaded video, fitted to the frame, trimmed to the segment, holding its last frame."""

    def __init__(self, seg: VisualSegment, width: int, height: int) -> None:
        self._clip = VideoClip(seg.path, seg.trim_in, (width, height), seg.fit, seg.label)

    def frame(self, t: float) -> np.ndarray:
        return self._clip.frame_at(t)

    def close(self) -> None:
        self._clip.close()


class VideoTrack:
    """One video track: the segment showing at ``t``, blended with its predecessor in a transition."""

    def __init__(self, segments: list[VisualSegment], width: int, height: int) -> None:
        self.segments, self.size = segments, (width, height)
        self._live: dict[int, StillSegment | MovingSegment] = {}
        # a segment keeps animating through the next one's transition window
        self._until = []
        for i, seg in enumerate(segments):
            following = segments[i + 1] if i + 1 < len(segments) else None
            extra = (
                following.transition.duration
                if following and self._adjacent(seg, following)
                else 0.0
            )
            self._until.append(seg.end + extra)

    @staticmethod
    def _adjacent(before: VisualSegment, after: VisualSegment) -> bool:
        return abs(before.end - after.start) < 1e-3

    def _renderer(self, i: int) -> StillSegment | MovingSegment:
        # Built when first shown (a prefetch thread was tried: no faster on 2 cores, +40 MB).
        if i not in self._live:
            seg = self.segments[i]
            self._live[i] = (StillSegment if seg.kind == "image" else MovingSegment)(
                seg, *self.size
            )
        return self._live[i]

    def frame(self, t: float) -> np.ndarray | None:
        for i in [i for i in self._live if t >= self._until[i] - _EPS]:
            self._live.pop(i).close()  # done: free its plate / decoder
        i = next(
            (i for i, s in enumerate(self.segments) if s.start - _EPS <= t < s.end - _EPS), None
        )
        if i is None:
            return None
        seg = self.segments[i]
        local, tr = t - seg.start, seg.transition
        current = self._renderer(i).frame(local)
        if i == 0 or tr.type == "none" or local >= tr.duration:
            return current
        before_seg = self.segments[i - 1]
        if self._adjacent(before_seg, seg):
            before = self._renderer(i - 1).frame(t - before_seg.start)
        else:
            before = yuv.blank(*self.size)  # nothing right before it: come in from black
        return blend(tr.type, before, current, local / tr.duration)

    def close(self) -> None:
        for renderer in self._live.values():
            renderer.close()
        self._live.clear()


class Compositor:
    """All visual tracks in z-order (later on top) -> one I420 frame per time."""

    def __init__(self, plan: Plan, sprites: dict[int, list[TextSprite]]) -> None:
        self.size = (plan.width, plan.height)
        self.layers: list[Any] = [
            VideoTrack(segs, plan.width, plan.height) if kind == "video" else sprites[index]
            for index, (kind, segs) in enumerate(plan.layers)
        ]

    def frame(self, t: float) -> np.ndarray:
        canvas: np.ndarray | None = None
        for layer in self.layers:
            if isinstance(layer, VideoTrack):
                shown = layer.frame(t)
                if shown is not None:
                    canvas = shown
            else:
                if canvas is None:
                    canvas = yuv.blank(*self.size)
                for sprite in layer:
                    sprite.draw(canvas, t)
        return canvas if canvas is not None else yuv.blank(*self.size)

    def close(self) -> None:
        for layer in self.layers:
            if isinstance(layer, VideoTrack):
                layer.close()


def _check_media(plan: Plan) -> None:
    """Open every file's header before encoding starts, so a bad upload fails fast."""
    for kind, segments in plan.layers:
        if kind == "video":
            for seg in segments:
                if seg.kind == "image":
                    check_picture(seg.path, seg.label)
                else:
                    check_stream(seg.path, "video", seg.label)
    for seg in plan.audio:
        if isinstance(seg.source, Path):
            check_stream(seg.source, "audio", seg.label)


def _produce(compositor: Compositor, plan: Plan, out: queue.Queue, stop: threading.Event) -> None:
    """Producer thread: compose and queue every frame (I420); errors go to the queue."""

    def put(item: Any) -> bool:
        while not stop.is_set():
            try:
                out.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    try:
        for index in range(plan.frames):
            if stop.is_set():
                return
            i420 = compositor.frame(index / plan.fps)
            if not put(("frame", index, i420)):
                return
        put(("done", None, None))
    except BaseException as exc:  # handed to the encoding thread, which re-raises it
        put(("error", exc, None))
    finally:
        compositor.close()


def render_draft(
    draft: dict,
    out_path: str | os.PathLike[str],
    *,
    resolve: Callable[[str], Path],
    on_progress: Callable[[float], None] | None = None,
    cancel: threading.Event | None = None,
    preset: str = "veryfast",
    crf: int = 21,
) -> RenderResult:
    """Render ``draft`` (docs/draft-schema.md) to an MP4 at ``out_path``.

    H.264 High yuv420p with faststart, the draft's size (``m.width`` x ``m.height``, else from
    ``m.aspect``) at ``m.fps`` (30), exactly ``round(d / 1000 * fps)`` frames, plus AAC audio when
    the draft has audio segments.

    Args:
        draft: the draft dict; unknown keys and track types are ignored.
        out_path: where the MP4 goes; written under a temporary name and renamed when complete.
        resolve: maps a segment's ``src`` to a local file (not called for ``builtin:`` music).
        on_progress: called with the fraction done (0..1), at most ~10 times a second, from the
            calling thread; it reaches exactly 1.0 once the file is in place.
        cancel: when set, rendering stops, the partial file is removed and
            :class:`RenderCancelled` is raised (checked every frame).
        preset, crf: libx264 speed preset and quality.

    Raises:
        RenderInputError: a bad draft or unreadable media (one sentence naming the segment).
        RenderCancelled: ``cancel`` was set.
    """
    if not 1 <= crf <= 51:  # crf 0 is lossless, which H.264 High cannot carry
        raise ValueError(f"crf must be 1..51, not {crf!r}")
    cancel = cancel or threading.Event()
    if cancel.is_set():
        raise RenderCancelled("The render was cancelled before it started.")
    plan = plan_draft(draft, resolve)
    _check_media(plan)
    sprites = {
        index: [
            rasterise(seg, plan.width, plan.height) for seg in segs if isinstance(seg, TextSegment)
        ]
        for index, (kind, segs) in enumerate(plan.layers)
        if kind == "text"
    }
    total_samples = round(plan.frames * SAMPLE_RATE / plan.fps)
    soundtrack = mix_soundtrack(plan.audio, total_samples)

    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    partial = out_path.with_name(f".{out_path.stem}.{uuid.uuid4().hex[:8]}.part.mp4")
    try:
        encoder = Encoder(
            partial,
            plan.width,
            plan.height,
            plan.fps,
            preset=preset,
            crf=crf,
            audio=soundtrack is not None,
        )
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    frames: queue.Queue = queue.Queue(maxsize=_QUEUE_FRAMES)
    stop = threading.Event()
    producer = threading.Thread(
        target=_produce,
        args=(Compositor(plan, sprites), plan, frames, stop),
        name="nemo-render-frames",
        daemon=True,
    )
    last_report = 0.0

    def report(fraction: float, force: bool = False) -> None:
        nonlocal last_report
        now = time.monotonic()
        if on_progress is not None and (force or now - last_report >= _PROGRESS_INTERVAL):
            last_report = now
            on_progress(fraction)

    try:
        report(0.0, force=True)
        producer.start()
        audio_sent = 0
        while True:
            if cancel.is_set():
                raise RenderCancelled("The render was cancelled.")
            try:
                kind, index, payload = frames.get(timeout=0.1)
            except queue.Empty:
                continue
            if kind == "error":
                raise index
            if kind == "done":
                break
            encoder.add_video(payload, index)
            if soundtrack is not None:  # keep audio interleaved with the video it belongs to
                upto = round((index + 1) * SAMPLE_RATE / plan.fps)
                encoder.add_audio(soundtrack[audio_sent:upto])
                audio_sent = upto
            report(0.99 * (index + 1) / plan.frames)
        if cancel.is_set():
            raise RenderCancelled("The render was cancelled.")
        encoder.finish()
        os.replace(partial, out_path)
    except BaseException:
        stop.set()
        encoder.abort()
        partial.unlink(missing_ok=True)
        raise
    finally:
        stop.set()
        if producer.ident is not None:
            producer.join(timeout=10)
    report(1.0, force=True)
    return RenderResult(
        path=out_path,
        frames=plan.frames,
        fps=plan.fps,
        width=plan.width,
        height=plan.height,
        duration_s=plan.duration,
        has_audio=soundtrack is not None,
        size_bytes=out_path.stat().st_size,
    )


__all__ = ["render_draft", "RenderInputError", "RenderCancelled", "RenderResult"]
