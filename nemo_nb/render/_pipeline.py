"""Draft -> MP4: a producer thread composes frames while the calling thread encodes them.

Per segment, the expensive work is done once (the fitted, pre-scaled plate; rasterised text);
per frame only the warp, blends and text blits run. Frames flow through a small bounded queue,
so memory does not grow with the clip's length; numpy, OpenCV and PyAV release the GIL, so the
warp of frame n+1 overlaps the encode of frame n.
"""

from __future__ import annotations

import ctypes
import dataclasses
import logging
import math
import os
import queue
import sys
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from nemo_nb._threads import lower_thread_priority

from . import _yuv as yuv
from ._audio import mix_soundtrack
from ._draft import Plan, TextSegment, VisualSegment, plan_draft
from ._effects import (
    PLATE_SCALE,
    SUBJECT_EFFECTS,
    Body,
    Composed,
    Motion,
    compose,
    composed_margin,
    make_motion,
)
from ._encode import QUALITIES, Encoder, RenderQuality
from ._errors import RenderCancelled, RenderInputError, RenderResult
from ._fit import Plate, build_plate
from ._media import (
    VideoClip,
    check_picture,
    check_stream,
    load_picture_region,
    picture_size,
)
from ._music import SAMPLE_RATE
from ._subject import Subject, analyse
from ._text import TextSprite, rasterise
from ._transitions import blend
from ._warp import PlateWarp

log = logging.getLogger("nemo_nb.render")

_EPS = 1e-6
_QUEUE_FRAMES = 3
_PROGRESS_INTERVAL = 0.1  # seconds: at most ~10 progress calls a second
#: The frame thread runs this many nice levels below the encoder. A render is encoder-bound (the
#: frames are made well ahead) and x264's threads are its critical path: when one of them wakes,
#: it should get a core before the frame thread does. On 2 cores the 3 s jiggle of a 12 MP photo
#: measured 1.34 x the pure encode at +5 (16 interleaved pairs; +10: 1.31, +19: 1.35) against
#: 1.42 at the same priority. A mild step: on a machine busy with other work the frames still
#: get a fair share.
_PRODUCER_NICENESS = 5


#: A moving picture shown at least this many times its own size holds no more detail than half
#: the frame: it is composed at half size and scaled up (cubic). The warp and blends then cost a
#: quarter: the sample portrait's jiggle at 1080x1920 (shown 3.2x) takes 4.4 ms a frame with the
#: scaling instead of 8.5. Encoded, it differs from the full-size clip by 1.6-1.7 grey levels on
#: average with 10-14% less Laplacian variance; side by side at 1:1 they look the same (at 3x
#: zoom the skin grain is a touch smoother).
_HALF_SIZE_UPSCALE = 2.0
#: ... in frames at least this large on their short side (a small frame costs little anyway).
_HALF_SIZE_MIN_SIDE = 720

#: Plates fitted for a small frame (a preview's) are kept for the next render of the same photo
#: at the same size, fit and motion margin (the next turn's preview, mostly): decoding a 12 MP
#: JPEG, even reduced, and fitting it take ~50-80 ms, three times over for a slideshow of three,
#: of a preview's ~0.5 s. At most this many, each at most this large (an export's are not kept).
_PLATES_KEEP = 8
_PLATE_MAX_BYTES = 3 << 20
#: A fitted plate: the RGB plate, the loaded part of the picture (u0, v0, u1, v1), its size (h, w).
_Fitted = tuple[Plate, tuple[float, float, float, float], tuple[int, int]]
_plates: OrderedDict[tuple, _Fitted] = OrderedDict()
_plates_lock = threading.Lock()

#: The anchor the agent writes by default: with a subject, its base is used instead.
_DEFAULT_ANCHOR = (0.5, 0.92)
#: A cover crop is framed on the subject when it keeps less than this much of a side (a
#: centred 1:1 crop of a 5:6 portrait already cuts the top of the head).
_CROP_FOCUS_BELOW = 0.95


class StillSegment:
    """A picture with its motion effects: fitted once, warped per frame.

    With a subject (``_subject``) and an effect that moves it, the frame is two layers: the
    background plate (the picture with the subject filled in) held still or drifting slowly, and
    the picture warped by the effect, cut out by the warped, feathered subject mask.
    """

    def __init__(
        self,
        seg: VisualSegment,
        width: int,
        height: int,
        notes: list[str] | None = None,
        scratch: dict[str, np.ndarray] | None = None,
        pool: yuv.FramePool | None = None,
    ) -> None:
        """``notes`` collects what could not be done as asked; ``scratch`` holds working
        buffers shared with the track's other segments (made one frame at a time); frames
        come from ``pool`` when given."""
        self._pool = pool or yuv.FramePool(width, height, keep=0)
        self.size = (width, height)
        fit = _fit_still(seg, width, height, notes)
        margin, scale, subject, plate = fit.margin, fit.scale, fit.subject, fit.plate
        analysis_to_frame = fit.analysis_to_frame
        self._to_plate = plate.frame_to_plate()
        body = None
        self._layers: tuple[np.ndarray, np.ndarray] | None = None
        self._alpha: np.ndarray | None = None  # the subject's uint8 alpha on the plate (tests)
        if subject is not None and any(fx.type in SUBJECT_EFFECTS for fx in seg.effects):
            small_to_frame = analysis_to_frame(subject)
            body = _body(subject, small_to_frame)
            background, self._alpha = _layers(
                plate.image, subject, self._to_plate @ small_to_frame, seg.fit
            )
            self._layers = (yuv.to_i420(background), yuv.half_alpha(self._alpha))
        # converted once: every per-frame warp then runs on the encoder's own planes
        self.plate = dataclasses.replace(plate, image=yuv.to_i420(plate.image))
        self.motion = _segment_motion(seg, width, height, self.plate.anchor, body)
        self._static = all(fx.type == "none" for fx in seg.effects) and margin == 0 and scale == 1.0
        self._prepare_warps(scratch)

    def _prepare_warps(self, scratch: dict[str, np.ndarray] | None) -> None:
        """Set up what :meth:`frame` runs: the plate's warp and, with a subject, the
        background's (or the background made once, when it holds still)."""
        width, height = self.size
        alpha_c = self._layers[1] if self._layers is not None else None
        self._still_background: np.ndarray | None = None
        if self._layers is not None and np.allclose(self.motion.background_affine(0.37), np.eye(3)):
            # subject effects only: the background is the same every frame
            self._still_background = yuv.warp_affine(self._layers[0], self._to_plate, width, height)
        front = self.plate.image
        if self._layers is not None and self._alpha is not None:
            # with a subject the plate is its layer, premultiplied by its alpha: it then goes
            # over the background with one add a plane, without a dark fringe
            yuv.premultiply(front, self._alpha, self._layers[1])
        # a rigid move of the whole picture stays one warpAffine: the plate warp's packed
        # copies and buffers would cost ~15 MB a segment for ~1 ms a frame
        self._warp: PlateWarp | None = None
        if self.motion.is_field or self._layers is not None:
            self._warp = PlateWarp(front, width, height, alpha_c, scratch)
        self._back_warp: PlateWarp | None = None
        if self._layers is not None and self._still_background is None:
            self._back_warp = PlateWarp(self._layers[0], width, height, scratch=scratch)
        self._blend_scratch: dict[str, np.ndarray] = {}

    @staticmethod
    def _subject(
        seg: VisualSegment, width: int, height: int, notes: list[str] | None
    ) -> Subject | None:
        """The picture's subject analysis, when an effect moves the subject or a cover crop
        loses much of the picture (so it should centre on the subject); else ``None``."""
        moves = any(fx.type in SUBJECT_EFFECTS for fx in seg.effects)
        if not moves:
            if seg.fit != "cover":
                return None
            pw, ph = picture_size(seg.path)
            kept = min(pw / ph * height / width, ph / pw * width / height)
            if kept >= _CROP_FOCUS_BELOW:
                return None
        subject: Subject | None = None
        try:
            subject = analyse(seg.path)
            reason = subject.reason
        except Exception as exc:  # the analysis is an improvement, never a reason to fail
            log.warning("%s: subject analysis failed (%s); moving the whole frame", seg.label, exc)
            reason = f"the subject analysis failed ({exc})"
        if moves and reason and notes is not None:
            notes.append(f"{seg.path.name}: the whole frame moves because {reason}.")
        return subject

    def frame(self, t: float) -> np.ndarray:
        """The I420 frame at ``t`` seconds into the segment (a new buffer)."""
        width, height = self.size
        if self._static:
            return self.plate.image.copy()
        if self._warp is None:
            backward = self._to_plate @ self.motion.affine(t)
            return yuv.warp_affine(self.plate.image, backward, width, height)
        if self.motion.is_field:
            fx, fy = self.motion.field(t, *self._warp.grid)
            m = self._to_plate  # a scale and a shift: frame px -> plate px
            front, alpha = self._warp.warp(m[0, 0] * fx + m[0, 2], m[1, 1] * fy + m[1, 2])
        else:
            front, alpha = self._warp.warp_affine(self._to_plate @ self.motion.affine(t))
        if self._layers is None:
            out = self._pool.take()
            np.copyto(out, front)  # the warp's buffers are reused by the next frame
            return out
        assert alpha is not None
        back = self._still_background
        if back is None:
            assert self._back_warp is not None  # made when the background moves
            backward = self._to_plate @ self.motion.background_affine(t)
            back = self._back_warp.warp_affine(backward)[0]
        return yuv.over_premultiplied(back, front, alpha, self._pool.take(), self._blend_scratch)

    def close(self) -> None:
        pass


class HalfSizeStill:
    """A :class:`StillSegment` made at half the frame's size, its frames scaled up to it: for a
    picture shown at :data:`_HALF_SIZE_UPSCALE` times its size or more (see :func:`_at_half_size`).

    ``small_pool`` is the one ``inner`` takes its frames from; they go back to it once scaled.
    """

    def __init__(
        self, inner: StillSegment, small_pool: yuv.FramePool, pool: yuv.FramePool | None = None
    ) -> None:
        width, height = inner.size
        self.inner, self._small_pool = inner, small_pool
        self._pool = pool or yuv.FramePool(2 * width, 2 * height, keep=0)

    def frame(self, t: float) -> np.ndarray:
        small = self.inner.frame(t)
        out = self._pool.take()
        for part, whole in zip(yuv.planes(small), yuv.planes(out), strict=True):
            size = (whole.shape[1], whole.shape[0])
            cv2.resize(part, size, dst=whole, interpolation=cv2.INTER_CUBIC)
        self._small_pool.give(small)
        return out

    def close(self) -> None:
        self.inner.close()


def _at_half_size(seg: VisualSegment, width: int, height: int) -> bool:
    """Whether ``seg`` (a picture) is composed at half size: it moves, the frame is large and
    splits into whole 4:2:0 halves, and the fit shows the picture at least
    :data:`_HALF_SIZE_UPSCALE` times its own size."""
    if width % 4 or height % 4 or min(width, height) < _HALF_SIZE_MIN_SIDE:
        return False
    if all(fx.type == "none" for fx in seg.effects):
        return False  # a still picture is a copy a frame: scaling up would cost more
    pw, ph = picture_size(seg.path)
    ratios = (width / pw, height / ph)
    shown = max(ratios) if seg.fit == "cover" else min(ratios)
    return shown >= _HALF_SIZE_UPSCALE


@dataclasses.dataclass(frozen=True)
class _StillFit:
    """A picture fitted as the renderer shows it (:func:`_fit_still`)."""

    margin: float
    scale: float
    found: Subject | None  # the subject analysis, when the segment needed one
    subject: Subject | None  # ``found`` when it is a subject that can move alone
    plate: Plate
    analysis_to_frame: Callable[[Subject], np.ndarray]


def _fit_still(
    seg: VisualSegment, width: int, height: int, notes: list[str] | None = None
) -> _StillFit:
    """The picture's plate, fitted around its subject as every render of the segment fits it:
    its room for the motion, the subject analysis (when an effect moves the subject or the crop
    loses much), the crop's focus and the plate."""
    margin, scale = _plate_room(seg, width, height)
    found = StillSegment._subject(seg, width, height, notes)
    subject = found if found is not None and found.ok else None  # one that can move alone
    # a face frames the crop even when the mask around it is not a subject to move
    focus = found.crop_focus(width, height, margin) if found is not None else (0.5, 0.5)
    plate, analysis_to_frame = _fit_plate(seg, width, height, margin, scale, subject, focus)
    return _StillFit(margin, scale, found, subject, plate, analysis_to_frame)


def _plate_room(seg: VisualSegment, width: int, height: int) -> tuple[float, float]:
    """(margin, scale) of the segment's plate: the picture kept beyond each side of the frame
    (a fraction of it) for the motion to pull into view, and plate pixels per frame pixel."""
    margin = composed_margin([(fx.type, fx.strength) for fx in seg.effects], (width, height))
    return margin, max(PLATE_SCALE.get(fx.type, 1.0) for fx in seg.effects)


def _anchor(seg: VisualSegment, subject: Subject | None) -> tuple[float, float]:
    """The point the motion pins (fractions of the picture): the draft's, unless it is the
    agent's default and there is a subject, whose base (under the face) is used instead."""
    if subject is None or seg.anchor != _DEFAULT_ANCHOR:
        return seg.anchor
    face, (_, _, _, bottom) = subject.face, subject.box
    return ((face[0] + face[2]) / 2 if face else subject.centroid[0], bottom)


def _fit_plate(
    seg: VisualSegment,
    width: int,
    height: int,
    margin: float,
    scale: float,
    subject: Subject | None,
    focus: tuple[float, float] = (0.5, 0.5),
) -> tuple[Plate, Callable[[Subject], np.ndarray]]:
    """The segment's plate (RGB), fitted around the subject (``focus``, the picture's point
    the crop centres on: see ``Subject.crop_focus``; one kept from an earlier render is shared,
    read only), and the map from a subject analysis' pixels to frame pixels (3x3), for placing
    its mask on the plate."""
    anchor = _anchor(seg, subject)
    stat = seg.path.stat()
    key = (
        *(str(seg.path), stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns),
        *(width, height, seg.fit, margin, scale, focus, anchor),
    )
    with _plates_lock:
        fitted = _plates.get(key)
        if fitted is not None:
            _plates.move_to_end(key)
    if fitted is None:
        fitted = _load_and_fit(seg, width, height, margin, scale, focus, anchor)
        if fitted[0].image.nbytes <= _PLATE_MAX_BYTES:
            fitted[0].image.flags.writeable = False  # shared with the next render: read only
            with _plates_lock:
                _plates[key] = fitted
                while len(_plates) > _PLATES_KEEP:
                    _plates.popitem(last=False)
    plate, (u0, v0, u1, v1), (ih, iw) = fitted

    def analysis_to_frame(analysed: Subject) -> np.ndarray:
        # analysis pixel -> whole picture fraction -> source pixel -> frame pixel
        assert plate.source_to_frame is not None
        sh, sw = analysed.mask.shape
        small_to_source = np.array(
            [
                [iw / ((u1 - u0) * sw), 0, (0.5 / sw - u0) * iw / (u1 - u0) - 0.5],
                [0, ih / ((v1 - v0) * sh), (0.5 / sh - v0) * ih / (v1 - v0) - 0.5],
                [0, 0, 1],
            ]
        )
        return np.vstack([plate.source_to_frame, [0, 0, 1]]) @ small_to_source

    return plate, analysis_to_frame


def _load_and_fit(
    seg: VisualSegment,
    width: int,
    height: int,
    margin: float,
    scale: float,
    focus: tuple[float, float],
    anchor: tuple[float, float],
) -> _Fitted:
    """Load the picture (only the part the fit shows, centred on ``focus``) and fit it into a
    plate; with the loaded part (u0, v0, u1, v1 of the whole picture) and its size (h, w)."""
    need = (
        math.ceil(width * (1 + 2 * margin) * scale),
        math.ceil(height * (1 + 2 * margin) * scale),
    )
    source, box = load_picture_region(seg.path, need, seg.fit, seg.label, focus=focus)
    (u0, v0, u1, v1) = box

    def in_source(u: float, v: float) -> tuple[float, float]:
        # whole picture -> the loaded part (the source may be the shown region only)
        return (u - u0) / (u1 - u0), (v - v0) / (v1 - v0)

    plate = build_plate(
        source,
        width,
        height,
        seg.fit,
        in_source(*anchor),
        margin_frac=margin,
        scale=scale,
        focus=in_source(*focus),
    )
    return plate, box, source.shape[:2]


def _segment_motion(
    seg: VisualSegment,
    width: int,
    height: int,
    anchor: tuple[float, float],
    body: Body | None,
) -> Motion | Composed:
    """The segment's effects as one motion, pinned at ``anchor`` (frame pixels); with a
    ``body`` the subject effects move the subject alone."""
    return compose(
        [
            make_motion(
                fx.type,
                fx.strength,
                fx.speed,
                fx.loops,
                seg.duration,
                (width, height),
                anchor,
                fx.direction,
                body,
            )
            for fx in seg.effects
        ]
    )


def _body(subject: Subject, small_to_frame: np.ndarray) -> Body:
    """The subject's geometry in frame pixels."""
    sh, sw = subject.mask.shape

    def point(u: float, v: float) -> tuple[float, float]:
        x, y, _ = small_to_frame @ np.array([u * sw - 0.5, v * sh - 0.5, 1.0])
        return float(x), float(y)

    face = None
    if subject.face is not None:
        face = (*point(*subject.face[:2]), *point(*subject.face[2:]))
    return Body(point(0.5, subject.box[1])[1], point(*subject.centroid), face)


def _layers(
    plate: np.ndarray, subject: Subject, small_to_plate: np.ndarray, fit: str
) -> tuple[np.ndarray, np.ndarray]:
    """(background plate RGB, the subject's uint8 alpha) at the plate's size and placement.

    Both come from the analysis' small mask and fill, scaled up ~10x: they are warped as uint8
    (fixed-point, several times faster than float at 2.5 MP; the mask is feathered, so a
    level of 1/255 is far below what shows)."""
    ph, pw = plate.shape[:2]
    to_plate, linear = small_to_plate[:2], cv2.INTER_LINEAR
    # cover: the subject continues past the picture's edge (a bust runs off the bottom)
    border = cv2.BORDER_REPLICATE if fit == "cover" else cv2.BORDER_CONSTANT
    mask = yuv.alpha_u8(subject.mask)
    alpha = cv2.warpAffine(mask, to_plate, (pw, ph), flags=linear, borderMode=border)
    edge = cv2.BORDER_REPLICATE
    fill = cv2.warpAffine(subject.background, to_plate, (pw, ph), flags=linear, borderMode=edge)
    # the fill covers a little more than the subject, so no outline of it stays behind:
    # min(3 alpha, 255), blended in uint8
    cover = cv2.merge([cv2.convertScaleAbs(alpha, alpha=3)] * 3)
    lit = cv2.multiply(fill, cover, scale=1 / 255)
    background = cv2.add(lit, cv2.multiply(plate, cv2.bitwise_not(cover), scale=1 / 255))
    return background, alpha


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

    def __init__(
        self,
        segments: list[VisualSegment],
        width: int,
        height: int,
        notes: list[str] | None = None,
        pool: yuv.FramePool | None = None,
    ) -> None:
        self.segments, self.size = segments, (width, height)
        self._notes = notes
        self._pool = pool
        # the still segments' working buffers, one set per size (made one frame at a time;
        # two sizes in one set would be made again every frame of a transition)
        self._scratch: dict[str, np.ndarray] = {}
        self._half_scratch: dict[str, np.ndarray] = {}
        self._live: dict[int, StillSegment | HalfSizeStill | MovingSegment] = {}
        # a segment keeps animating through the next one's transition window
        self._until: list[float] = []
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

    def _renderer(self, i: int) -> StillSegment | HalfSizeStill | MovingSegment:
        # Built when first shown (a prefetch thread was tried: no faster on 2 cores, +40 MB).
        if i not in self._live:
            seg = self.segments[i]
            # building a segment is a render's memory peak (a photo decoded at full size): the
            # working buffers go first, and the next frame makes again what it needs
            self._scratch.clear()
            self._half_scratch.clear()
            release_freed_memory()
            if seg.kind == "image" and _at_half_size(seg, *self.size):
                half = (self.size[0] // 2, self.size[1] // 2)
                small_pool = yuv.FramePool(*half)
                inner = StillSegment(seg, *half, self._notes, self._half_scratch, small_pool)
                self._live[i] = HalfSizeStill(inner, small_pool, self._pool)
            elif seg.kind == "image":
                self._live[i] = StillSegment(
                    seg, *self.size, self._notes, self._scratch, self._pool
                )
            else:
                self._live[i] = MovingSegment(seg, *self.size)
        return self._live[i]

    def frame(self, t: float) -> np.ndarray | None:
        for i in [i for i in self._live if t >= self._until[i] - _EPS]:
            self._live.pop(i).close()  # done: free its plate / decoder
        showing = next(
            (i for i, s in enumerate(self.segments) if s.start - _EPS <= t < s.end - _EPS), None
        )
        if showing is None:
            return None
        i = showing
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

    def __init__(
        self,
        plan: Plan,
        sprites: dict[int, list[TextSprite]],
        pool: yuv.FramePool | None = None,
    ) -> None:
        """``pool``: where frames come from (and the encoder hands them back to)."""
        self.size = (plan.width, plan.height)
        #: What the render could not do as asked (a photo without a subject moves whole).
        self.notes: list[str] = []
        self.layers: list[Any] = [
            VideoTrack(segs, plan.width, plan.height, self.notes, pool)
            if kind == "video"
            else sprites[index]
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


def _load_malloc_trim() -> Callable[[int], int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL("libc.so.6").malloc_trim  # glibc only
    except (OSError, AttributeError):
        return None


_malloc_trim = _load_malloc_trim()


def release_freed_memory() -> None:
    """Hand memory the render has freed back to the system (glibc keeps freed blocks of a
    thread's heap for reuse; after the few MB buffers of a segment they add ~20 MB to the peak
    of the next). Nothing happens where that C library is not there."""
    if _malloc_trim is not None:
        _malloc_trim(0)


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
    lower_thread_priority(_PRODUCER_NICENESS)

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
            # no name keeps the frame here: once encoded it goes back to the frame pool
            if not put(("frame", index, compositor.frame(index / plan.fps))):
                return
        put(("done", None, None))
    except BaseException as exc:  # handed to the encoding thread, which re-raises it
        put(("error", exc, None))
    finally:
        compositor.close()


def warm_up(*, music: bool = True, may_go_on: Callable[[], bool] = lambda: True) -> None:
    """Do now what the first renders would otherwise wait for: load the face detector (its
    import included) and, with ``music``, make the built-in music (each mood's loop is made
    once a process: ~0.4 s each on a quiet 2-core machine, ~6 s for the four on a busy one).

    A server loads the detector before it serves (an import in another thread holds the GIL
    long enough to stall its event loop: 1.4 s once on a busy machine) and makes the music in a
    low-priority thread (its numpy work stalls the loop at most ~0.2 s). Making one loop takes
    ~200 MB for a moment, so ``may_go_on()`` is asked before each: a server says no while it
    renders, so that the two never add up (a render waits for the mood being made).
    """
    from . import _subject
    from ._draft import MOODS
    from ._music import music_loop

    _subject._detector()
    for mood in MOODS if music else ():
        if not may_go_on():
            return
        music_loop(mood)


def render_draft(
    draft: dict,
    out_path: str | os.PathLike[str],
    *,
    resolve: Callable[[str], Path],
    on_progress: Callable[[float], None] | None = None,
    cancel: threading.Event | None = None,
    quality: str | RenderQuality = "high",
    preset: str | None = None,
    crf: int | None = None,
) -> RenderResult:
    """Render ``draft`` (docs/draft-schema.md) to an MP4 at ``out_path``.

    H.264 High yuv420p with faststart, the draft's size (``m.width`` x ``m.height``, else from
    ``m.aspect``) at ``m.fps`` (30), exactly ``round(d / 1000 * fps)`` frames, plus AAC audio when
    the draft has audio segments. At ``quality="preview"`` the frame is scaled down to 360 px on
    its short side (360x640 for 9:16) at 30 fps and encoded fast: the same picture, made smaller
    (the subject, crop and motion are worked out the same way), in a fraction of the time.

    Args:
        draft: the draft dict; unknown keys and track types are ignored.
        out_path: where the MP4 goes; written under a temporary name and renamed when complete.
        resolve: maps a segment's ``src`` to a local file (not called for ``builtin:`` music).
        on_progress: called with the fraction done (0..1), at most ~10 times a second, from the
            calling thread; it reaches exactly 1.0 once the file is in place.
        cancel: when set, rendering stops, the partial file is removed and
            :class:`RenderCancelled` is raised (checked every frame).
        quality: ``"high"`` (the export), ``"preview"``, or a :class:`RenderQuality` of one's
            own (frame size, frame rate, encoder settings).
        preset, crf: override the quality's libx264 speed preset and constant-rate factor.

    Raises:
        RenderInputError: a bad draft or unreadable media (one sentence naming the segment).
        RenderCancelled: ``cancel`` was set.
        ValueError: an unknown quality name or a crf outside 1..51.
    """
    settings = _settings(quality, preset, crf)
    cancel = cancel or threading.Event()
    if cancel.is_set():
        raise RenderCancelled("The render was cancelled before it started.")
    plan = _at_quality(plan_draft(draft, resolve), settings)
    _check_media(plan)
    sprites = _text_sprites(plan)
    soundtrack = mix_soundtrack(plan.audio, round(plan.frames * SAMPLE_RATE / plan.fps))
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    partial = out_path.with_name(f".{out_path.stem}.{uuid.uuid4().hex[:8]}.part.mp4")
    encoder = _open_encoder(partial, plan, settings, soundtrack)
    report = _Progress(on_progress)
    pool = yuv.FramePool(plan.width, plan.height)
    compositor = Compositor(plan, sprites, pool)
    try:
        report(0.0, force=True)
        _encode_frames(plan, compositor, pool, encoder, cancel, report)
        if cancel.is_set():
            raise RenderCancelled("The render was cancelled.")
        encoder.finish()
        os.replace(partial, out_path)
    except BaseException:
        encoder.abort()
        partial.unlink(missing_ok=True)
        raise
    finally:
        notes = tuple(dict.fromkeys(compositor.notes))
        del compositor, pool  # the plates, buffers and spare frames
        release_freed_memory()  # a server renders again and again: give the buffers back now
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
        notes=notes,
    )


def _settings(quality: str | RenderQuality, preset: str | None, crf: int | None) -> RenderQuality:
    """The quality asked for (by name or as settings), with the overrides applied."""
    if isinstance(quality, str):
        if quality not in QUALITIES:
            names = " or ".join(repr(name) for name in QUALITIES)
            raise ValueError(f"quality must be {names}, not {quality!r}")
        quality = QUALITIES[quality]
    if preset is not None:
        quality = dataclasses.replace(quality, preset=preset)
    if crf is not None:
        quality = dataclasses.replace(quality, crf=crf)
    if not 1 <= quality.crf <= 51:  # crf 0 is lossless, which H.264 High cannot carry
        raise ValueError(f"crf must be 1..51, not {quality.crf!r}")
    return quality


def _at_quality(plan: Plan, quality: RenderQuality) -> Plan:
    """The plan at the quality's frame size and rate (the same clip: its length is kept)."""
    width, height = quality.frame_size(plan.width, plan.height)
    fps = quality.frame_rate(plan.fps)
    if (width, height, fps) == (plan.width, plan.height, plan.fps):
        return plan
    frames = max(1, round(plan.frames * fps / plan.fps))
    return dataclasses.replace(plan, width=width, height=height, fps=fps, frames=frames)


def _text_sprites(plan: Plan) -> dict[int, list[TextSprite]]:
    """Every text track's segments laid out and drawn once, by layer index."""
    return {
        index: [
            rasterise(seg, plan.width, plan.height) for seg in segs if isinstance(seg, TextSegment)
        ]
        for index, (kind, segs) in enumerate(plan.layers)
        if kind == "text"
    }


def _open_encoder(
    path: Path, plan: Plan, quality: RenderQuality, soundtrack: np.ndarray | None
) -> Encoder:
    try:
        return Encoder(
            path,
            plan.width,
            plan.height,
            plan.fps,
            preset=quality.preset,
            crf=quality.crf,
            soundtrack=soundtrack,
            audio_bitrate=quality.audio_bitrate,
            aac_coder=quality.aac_coder,
        )
    except BaseException:
        path.unlink(missing_ok=True)
        raise


class _Progress:
    """Hands the fraction done to ``on_progress``, at most every :data:`_PROGRESS_INTERVAL`
    seconds (always when forced)."""

    def __init__(self, on_progress: Callable[[float], None] | None) -> None:
        self._on_progress = on_progress
        self._last = 0.0

    def __call__(self, fraction: float, force: bool = False) -> None:
        now = time.monotonic()
        if self._on_progress is not None and (force or now - self._last >= _PROGRESS_INTERVAL):
            self._last = now
            self._on_progress(fraction)


def _encode_frames(
    plan: Plan,
    compositor: Compositor,
    pool: yuv.FramePool,
    encoder: Encoder,
    cancel: threading.Event,
    report: _Progress,
) -> None:
    """Encode every frame as the producer thread makes it (the encoder adds the audio that
    goes with it).

    The producer is started here and joined before returning or raising; ``cancel`` is checked
    every frame."""
    frames: queue.Queue = queue.Queue(maxsize=_QUEUE_FRAMES)
    stop = threading.Event()
    producer = threading.Thread(
        target=_produce,
        args=(compositor, plan, frames, stop),
        name="nemo-render-frames",
        daemon=True,
    )
    try:
        producer.start()
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
                return
            encoder.add_video(payload, index)
            pool.give(payload)  # the encoder has copied it
            report(0.99 * (index + 1) / plan.frames)
    finally:
        stop.set()
        if producer.ident is not None:
            producer.join(timeout=10)


__all__ = [
    "render_draft",
    "warm_up",
    "RenderInputError",
    "RenderCancelled",
    "RenderResult",
    "RenderQuality",
]
