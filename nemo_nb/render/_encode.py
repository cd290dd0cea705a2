"""MP4 writer: H.264 High (libx264) yuv420p + optional AAC, ``movflags=faststart``; and the
output qualities (frame size and encoder settings) a draft can be rendered at."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import threading
from collections import OrderedDict
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


#: An encoded packet as kept: its bytes, pts, dts and duration (in 1 / SAMPLE_RATE).
_Packet = tuple[bytes, int | None, int | None, int | None]
#: Encoded soundtracks, by content and settings: the next turn's preview (or export) of a draft
#: whose music did not change reuses the AAC packets instead of encoding them again (15 s of
#: music cost ~0.45 s of CPU at the preview's settings, a fifth of a slideshow's preview).
_ENCODED_AUDIO: OrderedDict[tuple, list[_Packet]] = OrderedDict()
_ENCODED_AUDIO_LOCK = threading.Lock()
_ENCODED_AUDIO_KEEP = 8  # soundtracks
_ENCODED_AUDIO_MAX_BYTES = 4 << 20  # a longer one (> ~3 min at 160 kbit/s) is not kept


def _soundtrack_key(samples: np.ndarray, bitrate: int, coder: str) -> tuple:
    digest = hashlib.blake2b(np.ascontiguousarray(samples, np.float32).data, digest_size=16)
    return (digest.hexdigest(), samples.shape, bitrate, coder)


class Encoder:
    """Streams I420 frames (and the clip's soundtrack, interleaved with them) into an MP4;
    nothing is held beyond the encoder's lookahead and the soundtrack's packets."""

    def __init__(
        self,
        path: Path,
        width: int,
        height: int,
        fps: int,
        *,
        preset: str,
        crf: int,
        soundtrack: np.ndarray | None = None,
        audio_bitrate: int = HIGH.audio_bitrate,
        aac_coder: str = HIGH.aac_coder,
    ) -> None:
        """``soundtrack``: the whole clip's (n, 2) float32 samples at :data:`SAMPLE_RATE`, or
        ``None`` for a clip without audio."""
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
            if soundtrack is not None:
                self._audio = self._container.add_stream(
                    "aac", rate=SAMPLE_RATE, layout="stereo", options={"aac_coder": aac_coder}
                )
                self._audio.codec_context.bit_rate = audio_bitrate
        except BaseException:
            self._container.close()
            raise
        self._fps = fps
        self._soundtrack = soundtrack
        self._audio_key = None
        #: Packets of the same soundtrack encoded before (replayed), else ``None`` (encoded now).
        self._replay: list[_Packet] | None = None
        self._encoded: list[_Packet] = []  # this render's, to keep
        if soundtrack is not None:
            self._audio_key = _soundtrack_key(soundtrack, audio_bitrate, aac_coder)
            with _ENCODED_AUDIO_LOCK:
                self._replay = _ENCODED_AUDIO.get(self._audio_key)
        self._audio_done = 0  # samples encoded, or packets replayed
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
        """Encode frame ``index``, then the soundtrack up to that frame's end (the muxer keeps
        audio interleaved with the video it belongs to)."""
        for plane, picture in zip(self._planes, yuv.planes(i420), strict=True):
            plane[:] = picture
        self._frame.pts = index
        for packet in self._video.encode(self._frame):
            self._container.mux(packet)
        if self._audio is not None:
            self._audio_until(round((index + 1) * SAMPLE_RATE / self._fps))

    def _audio_until(self, upto: int | None) -> None:
        """Encode (or replay) the soundtrack up to sample ``upto`` (``None``: all of it)."""
        if self._replay is not None:
            while self._audio_done < len(self._replay) and (
                upto is None or (self._replay[self._audio_done][1] or 0) < upto
            ):
                self._mux_audio(*self._replay[self._audio_done])
                self._audio_done += 1
            return
        assert self._soundtrack is not None  # there is an audio stream only with one
        end = len(self._soundtrack) if upto is None else upto
        samples = self._soundtrack[self._audio_done : end]
        self._audio_done = max(self._audio_done, end)
        if not len(samples):
            return
        self._pending = np.concatenate([self._pending, samples.T.astype(np.float32)], axis=1)
        whole = self._pending.shape[1] // AAC_FRAME * AAC_FRAME
        for start in range(0, whole, AAC_FRAME):
            self._encode_audio(self._pending[:, start : start + AAC_FRAME])
        self._pending = self._pending[:, whole:]

    def _encode_audio(self, block: np.ndarray | None) -> None:
        """Encode one AAC frame of samples (``None``: flush the encoder)."""
        assert self._audio is not None  # only called when the clip has audio
        frame = None
        if block is not None:
            frame = av.AudioFrame.from_ndarray(
                np.ascontiguousarray(block), format="fltp", layout="stereo"
            )
            frame.sample_rate = SAMPLE_RATE
            frame.pts = self._audio_pts
            self._audio_pts += block.shape[1]
        for packet in self._audio.encode(frame):
            # kept before muxing, which takes the packet over
            self._encoded.append((bytes(packet), packet.pts, packet.dts, packet.duration))
            self._container.mux(packet)

    def _mux_audio(
        self, data: bytes, pts: int | None, dts: int | None, duration: int | None
    ) -> None:
        assert self._audio is not None  # replayed only into a clip with audio
        packet = av.Packet(data)
        packet.pts, packet.dts, packet.duration = pts, dts, duration
        packet.time_base = Fraction(1, SAMPLE_RATE)
        packet.stream = self._audio
        self._container.mux(packet)

    def finish(self) -> None:
        """Flush both encoders and write the file (moov moved to the front)."""
        for packet in self._video.encode():
            self._container.mux(packet)
        if self._audio is not None:
            self._audio_until(None)
            if self._replay is None:
                if self._pending.shape[1]:
                    self._encode_audio(self._pending)  # a short last frame is allowed
                self._encode_audio(None)
        self._container.close()
        self._keep_encoded_audio()

    def _keep_encoded_audio(self) -> None:
        if self._replay is not None or self._audio_key is None or not _packets_replayable():
            return
        if sum(len(data) for data, *_ in self._encoded) > _ENCODED_AUDIO_MAX_BYTES:
            return
        with _ENCODED_AUDIO_LOCK:
            _ENCODED_AUDIO[self._audio_key] = self._encoded
            _ENCODED_AUDIO.move_to_end(self._audio_key)
            while len(_ENCODED_AUDIO) > _ENCODED_AUDIO_KEEP:
                _ENCODED_AUDIO.popitem(last=False)

    def abort(self) -> None:
        with contextlib.suppress(Exception):  # the partial file is deleted anyway
            self._container.close()


@functools.cache
def _packets_replayable() -> bool:
    """Whether a packet made from kept bytes can be given its duration (PyAV 13 and later; on
    older PyAV an unchanged soundtrack is simply encoded again)."""
    try:
        av.Packet(b"").duration = 1
    except AttributeError:
        return False
    return True
