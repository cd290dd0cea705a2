"""Uploads: every check happens before a single byte is sent; then one request per run of files
or URLs, in the order given."""

from __future__ import annotations

import asyncio
import itertools
import os
import tempfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nemo_nb._errors import (
    AuthError,
    CreditsError,
    FileTooLargeError,
    MediaFileNotFoundError,
    NemoError,
    UnsupportedMediaError,
    UrlImportError,
)
from nemo_nb._mediatype import (
    MAX_UPLOAD_BYTES,
    MAX_UPLOAD_MB,
    MediaType,
    enable_image_formats,
    file_extensions,
    is_url,
    sniff_file,
)
from nemo_nb._unicode import valid_text
from nemo_nb.api._models import UploadedFile
from nemo_nb.api._transport import APP_NAME, _Connection

__all__ = [
    "PreparedFile", "URL_IMPORT_TIMEOUT_S", "prepare_file", "is_url", "convert_heic_to_jpeg",
]  # fmt: skip

#: The longest a URL import may take to answer, the server's download and our check included
#: (the engine's own download stops sooner: ``nemo_nb.engine.media.URL_FETCH_TIMEOUT_S``).
URL_IMPORT_TIMEOUT_S = 20.0
#: Of that, what checking the address from this machine may take (name lookup, then connect).
_REACH_CHECK_S = 4.0


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
    if ext in file_extensions([media.ext]):
        return path.name
    return f"{path.stem or 'upload'}.{media.ext}"


def prepare_file(
    item: str | os.PathLike[str], accepted: Iterable[str]
) -> tuple[PreparedFile, MediaType]:
    """Check one local file: it exists, is at most :data:`MAX_UPLOAD_MB` (by ``stat``), and its
    *content* is an accepted type. Raises a :class:`NemoError` subclass with one sentence otherwise."""
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
            f"'{path.name}' is {_mb(st.st_size)}, over the {MAX_UPLOAD_MB} MB upload limit; "
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


class _Uploads(_Connection):
    async def upload(
        self, session_id: str, *paths_or_urls: str | os.PathLike[str]
    ) -> list[UploadedFile]:
        """Upload local files (one multipart request, streamed from disk) and/or import URLs.

        Every file is checked first (exists, within the upload limit, content an accepted type);
        nothing is sent if one fails. HEIC photos are converted to JPEG when ``convert_heic``.
        Results come back in the order given.
        """
        checked: list[tuple[str | PreparedFile, MediaType | None]] = [
            (str(item), None) if is_url(item) else prepare_file(item, self.accepted_types)
            for item in paths_or_urls
        ]
        path = f"/api/upload-video/{APP_NAME}/me/{session_id}"
        results: list[UploadedFile] = []
        with tempfile.TemporaryDirectory(prefix="nemo-nb-upload-") as tmpdir:
            ready: list[str | PreparedFile] = []
            for value, media in checked:
                heic = isinstance(value, PreparedFile) and media is not None and media.ext == "heic"
                if heic and self.convert_heic and isinstance(value, PreparedFile):
                    value = await asyncio.to_thread(convert_heic_to_jpeg, value, tmpdir)
                ready.append(value)
            # Consecutive runs of the same kind share one request, which keeps the order.
            for is_link, group in itertools.groupby(ready, key=lambda v: isinstance(v, str)):
                run = list(group)
                if is_link:
                    data = await self._import_urls(path, [str(u) for u in run])
                else:
                    files = [p for p in run if isinstance(p, PreparedFile)]
                    data = await self._call("POST", path, files=_multipart(files))
                results.extend(_uploaded(data))
        return results

    async def _import_urls(self, path: str, urls: list[str]) -> Any:
        """The URL import request, answered within :data:`URL_IMPORT_TIMEOUT_S`. When it fails
        or runs out of time, an address this machine cannot reach at all (no internet, a name
        that does not resolve) is said in so many words: the engine downloads from this machine,
        and its own refusal names no reason on purpose (it must not map the network)."""
        body = {"urls": urls, "source_type": "url"}
        try:
            return await asyncio.wait_for(
                self._call("POST", path, json_body=body), URL_IMPORT_TIMEOUT_S - _REACH_CHECK_S
            )
        except (AuthError, CreditsError):
            raise
        except (NemoError, asyncio.TimeoutError) as exc:
            timed_out = isinstance(exc, asyncio.TimeoutError)
            if timed_out or self.is_local:
                for url in urls:
                    reason = await _unreachable(url, _REACH_CHECK_S / len(urls))
                    if reason:
                        raise UrlImportError(f"Could not add “{url}”: {reason}.") from None
            if timed_out:
                raise UrlImportError(
                    f"Could not add “{urls[0]}”: the server did not finish downloading it within "
                    f"{URL_IMPORT_TIMEOUT_S:.0f} s; download the file and upload it instead."
                ) from None
            raise


async def _unreachable(url: str, budget: float) -> str | None:
    """Why ``url``'s host cannot be reached from this machine at all, or ``None`` if it can
    (or the check ran out of time, which proves nothing)."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return None
    loop = asyncio.get_running_loop()
    try:
        infos = await asyncio.wait_for(loop.getaddrinfo(host, port), budget / 2)
    except asyncio.TimeoutError:
        return f"looking up {host} timed out, so this machine seems to have no internet connection"
    except OSError:
        return (
            f"{host} could not be found from this machine (no internet connection, "
            "or a mistyped address)"
        )
    try:
        _, writer = await asyncio.wait_for(
            asyncio.open_connection(str(infos[0][4][0]), port), budget / 2
        )
    except (OSError, asyncio.TimeoutError):
        return (
            f"{host} could not be reached from this machine (no internet connection, "
            "or the site is down)"
        )
    writer.close()
    return None


def _multipart(run: list[PreparedFile]) -> Callable[[], list[Any]]:
    def build() -> list[Any]:
        return [  # a file name with undecodable bytes holds surrogates: see nemo_nb._unicode
            ("files", (valid_text(p.filename), open(p.path, "rb"), p.mime))  # noqa: SIM115
            for p in run
        ]

    return build


def _uploaded(data: Any) -> list[UploadedFile]:
    if isinstance(data, Mapping):
        items = data.get("files") or data.get("uploaded_files") or data.get("uploadedFiles")
    else:
        items = data
    return [UploadedFile.from_json(f) for f in items or [] if isinstance(f, Mapping)]
