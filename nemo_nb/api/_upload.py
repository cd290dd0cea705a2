"""Upload preparation: every check happens here, before a single byte is sent."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from nemo_nb._mediatype import MAX_UPLOAD_BYTES, MediaType, enable_image_formats, sniff_file
from nemo_nb.api._errors import FileTooLargeError, MediaFileNotFoundError, UnsupportedMediaError

__all__ = ["PreparedFile", "prepare_file", "is_url", "convert_heic_to_jpeg"]

# Extensions a sniffed type may legitimately carry in a file name.
_ALIASES = {"jpg": {"jpg", "jpeg", "jpe"}, "mov": {"mov", "qt"}, "heic": {"heic", "heif"}}


def is_url(item: object) -> bool:
    """True for ``http(s)://`` strings: those are imported by URL, not read from disk."""
    return isinstance(item, str) and item.lower().startswith(("http://", "https://"))


@dataclass
class PreparedFile:
    """A checked local file: ``path`` is what is sent (a converted JPEG for HEIC input)."""

    source: Path
    path: Path
    filename: str
    mime: str
    size: int
    temporary: bool = False


def _mb(n: int) -> str:
    return f"{n / (1024 * 1024):.0f} MB"


def _upload_name(path: Path, media: MediaType) -> str:
    # Name the file after what it is, so a server that goes by extension agrees with the content.
    ext = path.suffix.lower().lstrip(".")
    if ext in _ALIASES.get(media.ext, {media.ext}):
        return path.name
    return f"{path.stem or 'upload'}.{media.ext}"


def prepare_file(
    item: str | os.PathLike[str], accepted: Iterable[str]
) -> tuple[PreparedFile, MediaType]:
    """Check one local file: it exists, is at most 200 MB (by ``stat``), and its *content* is an
    accepted type. Raises a :class:`NemoError` subclass with one sentence otherwise."""
    accepted = frozenset(accepted)
    path = Path(item).expanduser()
    try:
        st = path.stat()
    except OSError:
        raise MediaFileNotFoundError(f"There is no file at '{path}'.") from None
    if not path.is_file():
        raise MediaFileNotFoundError(f"'{path}' is not a file.")
    if st.st_size > MAX_UPLOAD_BYTES:
        raise FileTooLargeError(
            f"'{path.name}' is {_mb(st.st_size)}, over the 200 MB upload limit; "
            "compress or trim it and try again.",
            code=4002,
        )
    shown = sorted(accepted | {"heic"})
    try:
        media = sniff_file(path)
    except OSError as exc:
        raise MediaFileNotFoundError(f"'{path}' could not be read ({exc.strerror}).") from None
    if media is None:
        raise UnsupportedMediaError(
            f"'{path.name}' is not a photo, video or audio file nemo-nb recognises "
            f"(its content matches none of: {', '.join(shown)}).",
            accepted=shown,
            code=4001,
        )
    # HEIC always passes here: converted to JPEG, or (convert_heic=False) left to the server.
    if media.ext not in accepted and media.ext != "heic":
        raise UnsupportedMediaError(
            f"'{path.name}' is a {media.ext.upper()} file, which is not accepted here; "
            f"accepted types: {', '.join(shown)}.",
            accepted=shown,
            code=4001,
        )
    return (
        PreparedFile(path, path, _upload_name(path, media), media.mime, st.st_size),
        media,
    )


def convert_heic_to_jpeg(prepared: PreparedFile, tmpdir: str) -> PreparedFile:
    """Convert a HEIC/HEIF photo to a JPEG in ``tmpdir`` (keeping EXIF and orientation)."""
    from PIL import Image, ImageOps

    enable_image_formats()
    with Image.open(prepared.source) as im:
        upright = ImageOps.exif_transpose(im)  # drops the orientation tag it applied
        exif = upright.info.get("exif")
        out = upright.convert("RGB")
    target = Path(tempfile.mkdtemp(dir=tmpdir)) / f"{prepared.source.stem or 'photo'}.jpg"
    out.save(target, "JPEG", quality=92, **({"exif": exif} if exif else {}))
    return PreparedFile(
        source=prepared.source,
        path=target,
        filename=target.name,
        mime="image/jpeg",
        size=target.stat().st_size,
        temporary=True,
    )
