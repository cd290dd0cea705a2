"""MP4 writer: H.264 High (libx264) yuv420p + optional AAC, ``movflags=faststart``; and the
output qualities (frame size and encoder settings) a draft can be rendered at."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from . import _yuv as yuv
from ._music import SAMPLE_RATE

AAC_FRAME = 1024  # samples per AAC frame
# x264 holds its lookahead frames at full size (~3 MB each at 1080x1920, several planes each):
# half of veryfast's default 10 saves ~35 MB of a render's ~350 MB for a barely visible cost.
_X264_MEMORY = {"rc-lookahead": "5"}


@dataclass(frozen=True)
class RenderQuality:
    """How big a draft is rendered and how hard the encoder works.

    Every quality shows the same picture: the same composition (subject mask, crop, motion) made
    at a smaller frame, so a preview is the export scaled down. Only the frame's size, the frame
    rate and the encoder's settings differ.

    Attributes:
        name: ``"high"`` (the contract's export) or ``"preview"`` (the engine's extension).
        short_side: the frame is scaled down (never up) until its short side is this many
            pixels, keeping the draft's aspect; ``None`` keeps the draft's size.
        max_fps: frames a second at most (``None``: the draft's ``m.fps``).
        preset, crf: libx264's speed preset and constant-rate factor (1..51).
        audio_bitrate: AAC bits a second, when the draft has audio.
        aac_coder: the AAC encoder's search (FFmpeg's ``aac_coder``): ``"twoloop"`` is its
            best, ``"fast"`` about three times quicker (6 s of stereo: ~0.2 s instead of ~0.6 s
            on a busy 2-core machine, as much as the preview's whole video encode).
    """

    name: str
    short_side: int | None = None
    max_fps: int | None = None
    preset: str = "veryfast"
    crf: int = 21
    audio_bitrate: int = 160_000
    aac_coder: str = "twoloop"

    def frame_size(self, width: int, height: int) -> tuple[int, int]:
        """The frame for a draft of ``width`` x ``height`` (even sides, the same aspect)."""
        short = min(width, height)
        if self.short_side is None or short <= self.short_side:
            return width, height
        scale = self.short_side / short
        return 2 * round(width * scale / 2), 2 * round(height * scale / 2)  # 4:2:0: even sides

    def frame_rate(self, fps: int) -> int:
        """The frame rate for a draft of ``fps`` frames a second."""
        return fps if self.max_fps is None else min(fps, self.max_fps)


#: The export: the draft's own size and frame rate (1080x1920 at 30 fps for 9:16).
HIGH = RenderQuality("high")
#: A quick look at the same draft: 360 px on the short side (360x640 for 9:16, a ninth of the
#: pixels), 30 fps. superfast keeps CABAC and the deblocking filter (ultrafast drops both: blocky
#: at this size) and crf 23 keeps the preview within a few grey levels of the export scaled down.
PREVIEW = RenderQuality(
    "preview",
    short_side=360,
    max_fps=30,
    preset="superfast",
    crf=23,
    audio_bitrate=96_000,
    aac_coder="fast",
)
#: The qualities by name (``output.quality`` of an export request).
QUALITIES = {quality.name: quality for quality in (HIGH, PREVIEW)}


class Encoder:
    """Streams I420 frames (and audio) into an MP4; nothing is held beyond the encoder's lookahead."""

    def __init__(
        self,
        path: Path,
        width: int,
        height: int,
        fps: int,
        *,
        preset: str,
        crf: int,
        audio: bool,
        audio_bitrate: int = HIGH.audio_bitrate,
        aac_coder: str = HIGH.aac_coder,
    ) -> None:
        # faststart is a muxer option (on the stream it would be silently ignored)
        self._container = av.open(
            str(path), mode="w", format="mp4", options={"movflags": "faststart"}
        )
        try:
            self._video = self._container.add_stream(
                "libx264",
                rate=fps,
                options={"crf": str(crf), "preset": preset, "profile": "high", **_X264_MEMORY},
            )
            self._video.width, self._video.height = width, height
            self._video.pix_fmt = "yuv420p"
            self._video.codec_context.time_base = Fraction(1, fps)
            self._audio = None
            if audio:
                self._audio = self._container.add_stream(
                    "aac", rate=SAMPLE_RATE, layout="stereo", options={"aac_coder": aac_coder}
                )
                self._audio.codec_context.bit_rate = audio_bitrate
        except BaseException:
            self._container.close()
            raise
        self._pending = np.zeros((2, 0), np.float32)  # audio not yet a whole AAC frame
        self._audio_pts = 0
        # One frame whose planes every picture is copied into: from_ndarray would allocate a
        # frame and copy twice per picture (1.7 ms at 1080x1920 vs 0.25 ms). libx264 copies the
        # picture into its own buffers during encode(), so the planes are free again after it.
        self._frame = av.VideoFrame(width, height, "yuv420p")
        self._planes = [
            np.frombuffer(memoryview(p), np.uint8).reshape(p.height, p.line_size)[:, : p.width]
            for p in self._frame.planes
        ]

    def add_video(self, i420: np.ndarray, index: int) -> None:
        for plane, picture in zip(self._planes, yuv.planes(i420), strict=True):
            plane[:] = picture
        self._frame.pts = index
        for packet in self._video.encode(self._frame):
            self._container.mux(packet)

    def add_audio(self, samples: np.ndarray) -> None:
        """Queue (n, 2) float32 samples; whole AAC frames are encoded right away."""
        if self._audio is None or not len(samples):
            return
        self._pending = np.concatenate([self._pending, samples.T.astype(np.float32)], axis=1)
        whole = self._pending.shape[1] // AAC_FRAME * AAC_FRAME
        for start in range(0, whole, AAC_FRAME):
            self._encode_audio(self._pending[:, start : start + AAC_FRAME])
        self._pending = self._pending[:, whole:]

    def _encode_audio(self, block: np.ndarray) -> None:
        assert self._audio is not None  # add_audio returns early without an audio stream
        frame = av.AudioFrame.from_ndarray(
            np.ascontiguousarray(block), format="fltp", layout="stereo"
        )
        frame.sample_rate = SAMPLE_RATE
        frame.pts = self._audio_pts
        self._audio_pts += block.shape[1]
        assert self._audio is not None  # only called when the clip has audio
        for packet in self._audio.encode(frame):
            self._container.mux(packet)

    def finish(self) -> None:
        """Flush both encoders and write the file (moov moved to the front)."""
        for packet in self._video.encode():
            self._container.mux(packet)
        if self._audio is not None:
            if self._pending.shape[1]:
                self._encode_audio(self._pending)  # a short last frame is allowed
            for packet in self._audio.encode():
                self._container.mux(packet)
        self._container.close()

    def abort(self) -> None:
        with contextlib.suppress(Exception):  # the partial file is deleted anyway
            self._container.close()
