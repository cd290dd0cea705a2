"""WebP pictures read inside the pixel budget (``_mediatype.MAX_IMAGE_PIXELS``).

Pillow decodes every WebP through libwebp's animation decoder, which keeps two full RGBA canvases
and hands the picture over as a third copy before Pillow makes its own (16 bytes a pixel: 560 MB
for 36 MP), and it holds the whole file twice just to open it. Here only the picture's own chunks
are read, straight into one packet for libavcodec (PyAV), which decodes a lossy WebP into YUV
4:2:0 (1.5 bytes a pixel) or a lossless one into one ARGB frame (4 bytes) and scales straight out
of that: the full-size picture never exists in RGB. libavcodec reads no animations, so of an
animation the first frame is cut out as a still WebP of its own and drawn on its canvas.

Imports nothing from the rest of the package, so every layer may use it.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass
from io import BufferedReader
from pathlib import Path
from typing import IO, Any

__all__ = ["WebPError", "WebPHeader", "read_header", "decode_webp"]

_ANIMATION_FLAG = 0x02
_ALPHA_FLAG = 0x10
#: An EXIF chunk larger than this is not read (it only tells the orientation).
_MAX_EXIF_BYTES = 1024 * 1024

_FRAME_CHUNKS = (b"ALPH", b"VP8 ", b"VP8L")
_Region = tuple[int, int]  # (offset in the file, length)


class WebPError(ValueError):
    """The file is not a WebP picture we can read (damaged, truncated, or no picture in it)."""


@dataclass(frozen=True)
class WebPHeader:
    """What a WebP's chunk headers say, read without decoding (or reading) the picture."""

    size: tuple[int, int]  # the canvas
    animated: bool
    exif: bytes | None
    #: The first frame: its chunks (ALPH, then VP8 or VP8L) and where it sits on the canvas.
    frame: tuple[_Region, ...]
    frame_size: tuple[int, int]
    offset: tuple[int, int]


def read_header(path: str | Path) -> WebPHeader:
    """Read a WebP's chunk headers (seeking past the pictures). Raises :class:`WebPError`."""
    with Path(path).open("rb") as fh:
        return _header(fh)


def decode_webp(path: str | Path, scale: float = 1.0, header: WebPHeader | None = None) -> Any:
    """The first frame of the WebP at ``path`` as a Pillow image ``scale`` (at most 1) times the
    canvas size: ``RGBA`` when it can be transparent, else ``RGB``. Raises :class:`WebPError`."""
    import av
    from PIL import Image

    scale = min(1.0, max(scale, 1e-6))
    with Path(path).open("rb") as fh:
        head = header or _header(fh)
        packet = _packet(fh, head)
    codec = av.CodecContext.create("webp", "r")
    try:
        frames = codec.decode(packet) or codec.decode(None)
        del packet  # the compressed picture: gone before the pixels are scaled
        frame = frames[0]
        alpha = frame.format.name in ("yuva420p", "argb", "rgba", "bgra", "abgr")
        moved = head.offset != (0, 0) or (frame.width, frame.height) != head.size
        rgb = frame.reformat(
            width=max(1, round(frame.width * scale)),
            height=max(1, round(frame.height * scale)),
            format="rgba" if alpha or moved else "rgb24",
            interpolation="AREA",
        ).to_ndarray()
        del frame, frames
    except (av.FFmpegError, IndexError, ValueError) as exc:
        raise WebPError(f"the WebP picture does not decode ({exc})") from None
    picture = Image.fromarray(rgb, "RGBA" if rgb.shape[2] == 4 else "RGB")
    if not moved:
        return picture
    # An animation's first frame is drawn on a transparent canvas (as libwebp's AnimDecoder does).
    canvas = Image.new(
        "RGBA", (max(1, round(head.size[0] * scale)), max(1, round(head.size[1] * scale)))
    )
    canvas.paste(picture, (round(head.offset[0] * scale), round(head.offset[1] * scale)))
    picture.close()
    return canvas


def _chunks(fh: IO[bytes], start: int, end: int) -> Iterator[tuple[bytes, int, int]]:
    """``(fourcc, payload offset, payload size)`` of each RIFF chunk in ``start..end``."""
    pos = start
    while pos + 8 <= end:
        fh.seek(pos)
        header = fh.read(8)
        if len(header) < 8:
            return
        fourcc, size = header[:4], struct.unpack("<I", header[4:])[0]
        if pos + 8 + size > end:
            raise WebPError("the WebP file is cut short (truncated?)")
        yield fourcc, pos + 8, size
        pos += 8 + size + (size & 1)


def _read(fh: IO[bytes], at: int, size: int) -> bytes:
    fh.seek(at)
    data = fh.read(size)
    if len(data) < size:
        raise WebPError("the WebP file is cut short (truncated?)")
    return data


def _header(fh: IO[bytes]) -> WebPHeader:
    fh.seek(0, 2)
    file_end = fh.tell()
    riff = _read(fh, 0, 12) if file_end >= 12 else b""
    if riff[:4] != b"RIFF" or riff[8:12] != b"WEBP":
        raise WebPError("the file is not a WebP picture")
    end = 8 + struct.unpack("<I", riff[4:8])[0]
    if end > file_end:
        raise WebPError("the WebP file is cut short (truncated?)")
    canvas: tuple[int, int] | None = None
    animated = False
    exif = None
    frame: list[tuple[bytes, int, int]] = []
    offset = (0, 0)
    try:
        for fourcc, at, size in _chunks(fh, 12, end):
            if fourcc == b"VP8X" and size >= 10:
                vp8x = _read(fh, at, 10)
                animated = bool(vp8x[0] & _ANIMATION_FLAG)
                canvas = (_u24(vp8x, 4) + 1, _u24(vp8x, 7) + 1)
            elif fourcc == b"EXIF" and size <= _MAX_EXIF_BYTES:
                exif = _read(fh, at, size)
            elif fourcc in _FRAME_CHUNKS and not animated and not _frame_done(frame):
                frame.append((fourcc, at, size))
            elif fourcc == b"ANMF" and animated and not frame and size >= 16:
                anmf = _read(fh, at, 16)
                offset = (2 * _u24(anmf, 0), 2 * _u24(anmf, 3))
                for sub in _chunks(fh, at + 16, at + size):
                    if sub[0] in _FRAME_CHUNKS and not _frame_done(frame):
                        frame.append(sub)
    except WebPError:
        if not _frame_done(frame):
            raise
        # metadata after the picture is cut short: the picture itself is whole
    if not _frame_done(frame):
        raise WebPError("the WebP file has no picture in it")
    bitstream = frame[-1]
    frame_size = _bitstream_size(_read(fh, bitstream[1], min(bitstream[2], 10)), bitstream[0])
    if not animated and frame[0][0] == b"ALPH" and bitstream[0] == b"VP8L":
        frame = frame[1:]  # VP8L carries its own alpha
    regions = tuple((at - 8, 8 + size) for _, at, size in frame)
    return WebPHeader(canvas or frame_size, animated, exif, regions, frame_size, offset)


def _frame_done(frame: list[tuple[bytes, int, int]]) -> bool:
    """Has the frame's bitstream (VP8 or VP8L, the last of its chunks) been found?"""
    return bool(frame) and frame[-1][0] in (b"VP8 ", b"VP8L")


def _bitstream_size(head: bytes, fourcc: bytes) -> tuple[int, int]:
    if fourcc == b"VP8 " and len(head) >= 10 and head[3:6] == b"\x9d\x01\x2a":
        return (
            struct.unpack("<H", head[6:8])[0] & 0x3FFF,
            struct.unpack("<H", head[8:10])[0] & 0x3FFF,
        )
    if fourcc == b"VP8L" and len(head) >= 5 and head[0] == 0x2F:
        bits = struct.unpack("<I", head[1:5])[0]
        return ((bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1)
    raise WebPError("the WebP picture's header is damaged")


def _packet(fh: BufferedReader, head: WebPHeader) -> Any:
    """A packet holding the first frame as a still WebP file, read from ``fh`` straight into it."""
    import av

    parts: list[bytes | _Region] = []
    chunks_length = sum(length + (length & 1) for _, length in head.frame)  # chunks pad to even
    has_alpha_chunk = len(head.frame) == 2
    if has_alpha_chunk:  # ALPH needs a VP8X header in front of it
        w, h = head.frame_size
        vp8x = bytes([_ALPHA_FLAG, 0, 0, 0]) + _p24(w - 1) + _p24(h - 1)
        parts.append(b"VP8X" + struct.pack("<I", 10) + vp8x)
        chunks_length += 18
    parts.insert(0, b"RIFF" + struct.pack("<I", 4 + chunks_length) + b"WEBP")
    parts.extend(head.frame)
    packet = av.Packet(12 + chunks_length)
    view = memoryview(packet)
    pos = 0
    for part in parts:
        if isinstance(part, bytes):
            view[pos : pos + len(part)] = part
            pos += len(part)
            continue
        at, length = part
        fh.seek(at)
        got = fh.readinto(view[pos : pos + length])
        if got != length:
            raise WebPError("the WebP file is cut short (truncated?)")
        pos += length
        if length & 1:
            view[pos] = 0
            pos += 1
    return packet


def _u24(data: bytes, at: int) -> int:
    return int.from_bytes(data[at : at + 3], "little")


def _p24(value: int) -> bytes:
    return value.to_bytes(3, "little")
