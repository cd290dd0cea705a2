"""Decide a media file's type from its first bytes (magic numbers), never from its name alone.

Shared by the client (checked before upload) and the engine (checked on receipt); it imports nothing
from the rest of the package. Also the one test of whether a media source is a URL or a path.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "MediaType",
    "sniff",
    "sniff_file",
    "CLOUD_TYPES",
    "ENGINE_TYPES",
    "MAX_UPLOAD_BYTES",
    "MAX_UPLOAD_MB",
    "HEAD_BYTES",
    "enable_image_formats",
    "MIN_IMAGE_SIDE",
    "MAX_IMAGE_PIXELS",
    "MAX_JPEG_PIXELS",
    "image_size_problem",
    "is_url",
    "MAX_PNG_TEXT_BYTES",
    "allow_png_metadata",
    "png_text_problem",
    "exif_orientation",
]

#: The contract's upload limit, in MB (error messages and skills say it in these units).
MAX_UPLOAD_MB = 200
MAX_UPLOAD_BYTES = MAX_UPLOAD_MB * 1024 * 1024
#: How many leading bytes :func:`sniff` needs.
HEAD_BYTES = 64

# The decoded-pixel budget, checked from a file's header before anything is decoded. The engine
# refuses at upload what breaks it; the renderer checks again (a draft may name any file).
#: The shortest side a picture or video frame may have: warps and fits of a 1-pixel-wide image
#: degenerate (OpenCV hung on them), and nothing smaller than an icon is worth animating.
MIN_IMAGE_SIDE = 16
#: The most pixels a picture or video frame may have: decoded whole it takes 4 bytes a pixel
#: (RGBA), so 40 MP (e.g. 8000x5000) is 160 MB, which keeps the engine well under 600 MB.
MAX_IMAGE_PIXELS = 40_000_000
#: JPEG decodes reduced (1/2 to 1/8 scale, Pillow ``draft``), so a JPEG may have more: 120 MP
#: covers 108 MP phone photos and stays under Pillow's own bomb limit (179 MP).
MAX_JPEG_PIXELS = 120_000_000


def is_url(source: object) -> bool:
    """True for an ``http(s)://`` string: media given by URL (imported by the server), not a path."""
    return isinstance(source, str) and source.lower().startswith(("http://", "https://"))


def image_size_problem(width: int, height: int, fmt: str | None = None) -> str | None:
    """Why a ``width`` x ``height`` picture (Pillow format name ``fmt``, e.g. ``"JPEG"``) or video
    frame cannot be animated, as a clause that completes "The file ...", or ``None`` if it can."""
    if min(width, height) < MIN_IMAGE_SIDE:
        return (
            f"is {width}x{height} pixels, too small to animate: it needs at least "
            f"{MIN_IMAGE_SIDE} pixels on each side"
        )
    limit = MAX_JPEG_PIXELS if fmt == "JPEG" else MAX_IMAGE_PIXELS
    if width * height > limit:
        return (
            f"is {width}x{height} pixels, more than the {limit // 1_000_000} megapixels "
            "that can be processed safely"
        )
    return None


#: The text metadata (XMP, comments, editing history) a PNG may carry. Pillow stops at 1 MB in one
#: compressed chunk, which some editors pass; this much is read, more is refused with a sentence.
MAX_PNG_TEXT_BYTES = 16 * 1024 * 1024
_PNG_TEXT_CHUNKS = (b"tEXt", b"zTXt", b"iTXt")


def allow_png_metadata() -> None:
    """Let Pillow read up to :data:`MAX_PNG_TEXT_BYTES` of PNG text, per chunk and in all (its
    own limits: 1 MB a compressed chunk, 64 MB in all). Idempotent."""
    from PIL import PngImagePlugin

    PngImagePlugin.MAX_TEXT_CHUNK = MAX_PNG_TEXT_BYTES
    PngImagePlugin.MAX_TEXT_MEMORY = MAX_PNG_TEXT_BYTES


def png_text_problem(path: str | os.PathLike[str] | None = None, error: Any = None) -> str | None:
    """Why a PNG's text metadata cannot be read, as a clause that completes "The file ...", or
    ``None``: from the sizes of its text chunks (``path``: read before Pillow, which would hold
    all of one in memory before checking it) or from Pillow's ``error`` about them."""
    too_much = (
        f"carries more than {MAX_PNG_TEXT_BYTES // (1024 * 1024)} MB of text metadata, more "
        "than can be read safely"
    )
    if error is not None:
        return too_much if "MAX_TEXT" in str(error) else None
    if path is None:
        return None
    total = 0
    with Path(path).open("rb") as fh:
        if fh.read(8) != b"\x89PNG\r\n\x1a\n":
            return None
        while (header := fh.read(8)) and len(header) == 8:
            length, kind = int.from_bytes(header[:4], "big"), header[4:]
            if kind in _PNG_TEXT_CHUNKS:
                total += length
                if total > MAX_PNG_TEXT_BYTES:
                    return too_much
            if kind == b"IEND":
                break
            fh.seek(length + 4, os.SEEK_CUR)  # the data and its CRC
    return None


def exif_orientation(source: Any) -> int:
    """The EXIF orientation (1-8; 1 when none) of a Pillow image or of raw EXIF bytes, read
    without decoding pixels (a PNG's ``getexif()`` decodes the whole picture to look for an
    eXIf chunk after it)."""
    from PIL import Image

    try:
        if source is None or isinstance(source, (bytes, bytearray)):
            exif = Image.Exif()
            if source:
                exif.load(bytes(source))
        elif source.format == "PNG":
            exif = Image.Exif()
            if source.info.get("exif"):
                exif.load(source.info["exif"])
        else:
            exif = source.getexif()
        value = exif.get(0x0112, 1)
    except Exception:  # unreadable EXIF: the picture as stored
        return 1
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


@dataclass(frozen=True)
class MediaType:
    """A recognised media type: canonical extension, kind and MIME type."""

    ext: str  # canonical extension, e.g. "jpg"
    kind: str  # "image", "video" or "audio"
    mime: str


_T = {
    t.ext: t
    for t in (
        MediaType("jpg", "image", "image/jpeg"),
        MediaType("png", "image", "image/png"),
        MediaType("gif", "image", "image/gif"),
        MediaType("webp", "image", "image/webp"),
        MediaType("heic", "image", "image/heic"),
        MediaType("avif", "image", "image/avif"),
        MediaType("mp4", "video", "video/mp4"),
        MediaType("mov", "video", "video/quicktime"),
        MediaType("avi", "video", "video/x-msvideo"),
        MediaType("webm", "video", "video/webm"),
        MediaType("mkv", "video", "video/x-matroska"),
        MediaType("mp3", "audio", "audio/mpeg"),
        MediaType("wav", "audio", "audio/wav"),
        MediaType("m4a", "audio", "audio/mp4"),
        MediaType("aac", "audio", "audio/aac"),
    )
}

#: Types the NemoVideo cloud accepts (docs/contract.md §3; HEIC is converted to JPEG before upload).
CLOUD_TYPES: frozenset[str] = frozenset(
    ["mp4", "mov", "avi", "webm", "mkv", "jpg", "png", "gif", "webp", "mp3", "wav", "m4a", "aac"]
)
#: Types the embedded engine accepts: the cloud's plus HEIC/HEIF and AVIF [ours].
ENGINE_TYPES: frozenset[str] = CLOUD_TYPES | {"heic", "avif"}

#: File-name extensions a canonical type may carry besides its own.
NAME_ALIASES: dict[str, frozenset[str]] = {
    "jpg": frozenset({"jpg", "jpeg", "jpe"}),
    "mov": frozenset({"mov", "qt"}),
    "heic": frozenset({"heic", "heif"}),
}


def file_extensions(types: Iterable[str]) -> frozenset[str]:
    """Every file-name extension the canonical ``types`` may carry: ``{"jpg"}`` → jpg, jpeg, jpe."""
    return frozenset(e for t in types for e in NAME_ALIASES.get(t, {t}))


_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1", b"heif"}
_AVIF_BRANDS = {b"avif", b"avis"}
_M4A_BRANDS = {b"M4A ", b"M4B ", b"M4P "}
_QT_ATOMS = {b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot"}


def _iso_bmff(head: bytes) -> MediaType | None:
    if head[4:8] != b"ftyp":
        return _T["mov"] if head[4:8] in _QT_ATOMS else None
    size = int.from_bytes(head[0:4], "big")
    major = head[8:12]
    # Compatible brands follow the minor version; read what the head holds.
    brands = {major} | {head[i : i + 4] for i in range(16, min(size, len(head)) - 3, 4)}
    if major in _AVIF_BRANDS:
        return _T["avif"]
    if major in _HEIF_BRANDS or (
        brands & _HEIF_BRANDS and not brands & {b"isom", b"mp41", b"mp42"}
    ):
        return _T["heic"]
    if major in _M4A_BRANDS:
        return _T["m4a"]
    if major == b"qt  ":
        return _T["mov"]
    return _T["mp4"]


def sniff(head: bytes) -> MediaType | None:
    """Return the media type the leading bytes ``head`` show, or ``None`` if none we know.

    Pass at least :data:`HEAD_BYTES` bytes when the file is that long.
    """
    if head.startswith(b"\xff\xd8\xff"):
        return _T["jpg"]
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return _T["png"]
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return _T["gif"]
    if head.startswith(b"RIFF") and len(head) >= 12:
        return {b"WEBP": _T["webp"], b"WAVE": _T["wav"], b"AVI ": _T["avi"]}.get(head[8:12])
    if len(head) >= 12 and (head[4:8] == b"ftyp" or head[4:8] in _QT_ATOMS):
        return _iso_bmff(head)
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return _T["webm"] if b"webm" in head[:64] else _T["mkv"]
    if head.startswith(b"ID3"):
        return _T["mp3"]
    if head.startswith(b"ADIF"):
        return _T["aac"]
    if len(head) >= 2 and head[0] == 0xFF:
        if head[1] & 0xF6 == 0xF0:  # ADTS sync word with layer bits 00: AAC
            return _T["aac"]
        if head[1] & 0xE0 == 0xE0 and head[1] & 0x06:  # MPEG audio frame sync, layer set
            return _T["mp3"]
    return None


def sniff_file(path: str | os.PathLike[str]) -> MediaType | None:
    """Read a file's first bytes and :func:`sniff` them."""
    with Path(path).open("rb") as fh:
        return sniff(fh.read(HEAD_BYTES))


_formats_enabled = False


def enable_image_formats() -> None:
    """Teach Pillow to open HEIC/HEIF (pillow-heif) and, on Pillow < 11, AVIF. Idempotent."""
    global _formats_enabled
    if _formats_enabled:
        return
    import pillow_heif
    from PIL import features

    pillow_heif.register_heif_opener()
    if not features.check("avif"):  # Pillow < 11 reads AVIF only through older pillow-heif
        getattr(pillow_heif, "register_avif_opener", lambda: None)()
    _formats_enabled = True
