"""Receiving uploads: safe names, streaming to disk under the size limit, checking content by magic
bytes and decoding it once to learn width, height, duration and fps.

Everything a user can get wrong ends in :class:`MediaError` with the contract code (4001 wrong or
undecodable content, 4002 too large) and one sentence naming the file.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import ipaddress
import os
import re
import shutil
import socket
import unicodedata
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from nemo_nb._mediatype import (
    ENGINE_TYPES,
    HEAD_BYTES,
    MAX_UPLOAD_BYTES,
    allow_png_metadata,
    enable_image_formats,
    exif_orientation,
    file_extensions,
    image_size_problem,
    png_text_problem,
    sniff,
)
from nemo_nb.engine.store import is_disk_full

__all__ = [
    "MediaError",
    "Probe",
    "Incoming",
    "safe_name",
    "stored_name",
    "probe",
    "new_media_id",
    "save_multipart",
    "fetch_url",
    "refused_url",
    "ACCEPTED",
]

ACCEPTED = ", ".join(sorted(ENGINE_TYPES | {"jpeg"}))
_LIMIT_MB = MAX_UPLOAD_BYTES // (1024 * 1024)
_CHUNK = 256 * 1024


class MediaError(Exception):
    """An upload the engine refuses: ``code`` is 4001 (type/content), 4002 (size) or 400 (the
    request itself is malformed)."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def new_media_id() -> str:
    return "m" + uuid.uuid4().hex[:20]


def safe_name(name: str, ext: str | None = None) -> str:
    """A file name that is safe to store and put in a URL path: the last path component only,
    no control or shell-hostile characters, no leading dots, at most 100 characters; ``ext`` is
    appended when the name lacks an extension. ``"../../x.png"`` -> ``"x.png"``."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = unicodedata.normalize("NFC", base)
    base = "".join(c if (c.isalnum() or c in "._- ") else "_" for c in base)
    base = base.strip(" .") or "upload"
    stem, dot, suffix = base.rpartition(".")
    if not dot:
        stem, suffix = base, ""
    stem = stem[:80] or "upload"
    suffix = suffix[:10]
    if not suffix and ext:
        suffix = ext
    return f"{stem}.{suffix}" if suffix else stem


def stored_name(name: str, ext: str) -> str:
    """The name an upload is stored (and shown) under: the client's, made safe, with the
    extension of the type its bytes show. ``"x.exe"`` holding a JPEG -> ``"x.jpg"``,
    ``"x.jpeg"`` stays, ``"notes.final"`` -> ``"notes.final.jpg"``."""
    base = safe_name(name)
    stem, dot, suffix = base.rpartition(".")
    if dot and suffix.lower() in file_extensions({ext}):
        return base
    if dot and suffix.isalnum() and len(suffix) <= 4:  # another type's extension: replaced
        base = stem
    return f"{base}.{ext}"


@dataclass(frozen=True)
class Probe:
    """What decoding a file once told us."""

    kind: str  # image | video | audio
    ext: str
    width: int | None = None
    height: int | None = None
    duration: float | None = None  # seconds
    fps: float | None = None


class Incoming:
    """One upload being written to ``dir/.part``: hashes as it goes and stops writing (and deletes
    what it wrote) once past ``limit``, so a huge upload is never held on disk or in memory."""

    def __init__(self, directory: Path, filename: str, limit: int = MAX_UPLOAD_BYTES) -> None:
        self.dir = directory
        self.filename = filename
        self.limit = limit
        self.size = 0
        self.too_big = False
        self._sha = hashlib.sha256()
        directory.mkdir(mode=0o700, parents=True, exist_ok=False)
        self.part = directory / ".part"
        # Only the user may read what people upload (the data dir's modes: store.FILE_MODE).
        self._fh = os.fdopen(os.open(self.part, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb")

    def write(self, data: bytes) -> None:
        if self.too_big:
            return
        self.size += len(data)
        if self.size > self.limit:
            self.too_big = True
            self._fh.close()
            self.part.unlink(missing_ok=True)
            return
        self._sha.update(data)
        self._fh.write(data)

    def close(self) -> None:
        if not self._fh.closed:
            self._fh.close()

    @property
    def hash(self) -> str:
        return self._sha.hexdigest()[:32]

    def discard(self) -> None:
        with contextlib.suppress(OSError):  # flushing may fail again on a full disk
            self.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def check(self) -> None:
        """Raise the size error if the limit was passed."""
        if self.too_big:
            raise MediaError(
                4002,
                f"“{self.filename}” is larger than {_LIMIT_MB} MB; compress or trim it and "
                "upload again.",
            )


def _not_supported(name: str) -> MediaError:
    return MediaError(
        4001, f"“{name}” is not a supported image, video or audio file (accepted: {ACCEPTED})."
    )


def _undecodable(name: str, kind: str) -> MediaError:
    return MediaError(
        4001, f"“{name}” looks like {kind} but could not be decoded (damaged or truncated?)."
    )


def probe(path: Path, name: str) -> Probe:
    """Check ``path`` by content and decode it once. Raises :class:`MediaError` (4001)."""
    with path.open("rb") as fh:
        head = fh.read(HEAD_BYTES)
    if not head:
        raise MediaError(4001, f"“{name}” is empty (0 bytes).")
    mt = sniff(head)
    if mt is None or mt.ext not in ENGINE_TYPES:
        raise _not_supported(name)
    if mt.kind == "image":
        return _probe_image(path, name, mt.ext)
    return _probe_av(path, name, mt.kind, mt.ext)


def _size_refused(name: str, problem: str) -> MediaError:
    return MediaError(4001, f"“{name}” {problem}.")


#: Above this many pixels a PNG is checked without decoding its pixels (every chunk's checksum);
#: below it, decoding it whole costs at most ~32 MB.
_FULL_DECODE_PIXELS = 8_000_000
#: A WebP is proven to decode at this long side (libavcodec still decodes it whole, as YUV).
_WEBP_PROOF_SIDE = 256


def _probe_image(path: Path, name: str, ext: str) -> Probe:
    """Read the size from the header, refuse what breaks the pixel budget before decoding, then
    prove the picture decodes: JPEG at reduced scale, big PNGs by checksum, WebP through
    libavcodec (``nemo_nb._webp``), the rest whole."""
    if ext == "webp":
        return _probe_webp(path, name)
    import warnings

    from PIL import Image

    if ext in ("heic", "avif"):
        enable_image_formats()
    allow_png_metadata()
    problem = png_text_problem(path) if ext == "png" else None
    if problem:
        raise _size_refused(name, problem)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as im:
                width, height = im.size
                problem = image_size_problem(width, height, im.format)
                if problem:
                    raise _size_refused(name, problem)
                # EXIF orientations 5-8 rotate by 90 degrees: people see it the other way round.
                if exif_orientation(im) in (5, 6, 7, 8):
                    width, height = height, width
                if im.format == "JPEG":
                    im.draft("RGB", (max(1, im.size[0] // 8), max(1, im.size[1] // 8)))
                    im.load()  # a truncated file fails here, not at open()
                elif im.format == "PNG" and im.size[0] * im.size[1] > _FULL_DECODE_PIXELS:
                    im.verify()
                else:
                    im.load()  # GIF: the first frame, in its palette (1 byte a pixel)
    except MediaError:
        raise
    except Image.DecompressionBombError:
        raise MediaError(4001, f"“{name}” has too many pixels to process safely.") from None
    except Exception as exc:
        problem = png_text_problem(error=exc)
        if problem:
            raise _size_refused(name, problem) from None
        raise _undecodable(name, "an image") from None
    return Probe("image", ext, width, height, None, None)


def _probe_webp(path: Path, name: str) -> Probe:
    from nemo_nb._webp import WebPError, decode_webp, read_header

    try:
        header = read_header(path)
        width, height = header.size
        problem = image_size_problem(width, height, "WEBP")
        if problem:
            raise _size_refused(name, problem)
        decode_webp(path, _WEBP_PROOF_SIDE / max(width, height), header).close()
    except WebPError:
        raise _undecodable(name, "an image") from None
    if exif_orientation(header.exif) in (5, 6, 7, 8):
        width, height = height, width
    return Probe("image", "webp", width, height, None, None)


def _check_frame(name: str, width: int, height: int) -> None:
    problem = image_size_problem(width, height)
    if problem:
        raise _size_refused(name, problem.replace("pixels", "pixels a frame", 1))


def _probe_av(path: Path, name: str, kind: str, ext: str) -> Probe:
    import av

    what = "a video" if kind == "video" else "an audio file"
    try:
        with av.open(str(path)) as container:
            if container.streams.video:
                stream = container.streams.video[0]
                kind = "video"
                rate = stream.average_rate or stream.guessed_rate
                fps = round(float(rate), 3) if rate else None
                # The header's size is checked before a frame is decoded (0: not said)
                if stream.width and stream.height:
                    _check_frame(name, stream.width, stream.height)
                frame = next(container.decode(video=0))  # prove at least one frame decodes
                width, height = frame.width, frame.height
                _check_frame(name, width, height)
            elif container.streams.audio:
                stream = container.streams.audio[0]
                kind, fps, width, height = "audio", None, None, None
                next(container.decode(audio=0))
            else:
                raise ValueError("no audio or video stream")
            if container.duration is not None:
                duration = container.duration / 1_000_000
            elif stream.duration is not None and stream.time_base is not None:
                duration = float(stream.duration * stream.time_base)
            else:
                duration = None
    except MediaError:
        raise
    except Exception:
        raise _undecodable(name, what) from None
    if kind == "audio" and ext == "mp4":
        ext = "m4a"
    return Probe(
        kind, ext, width, height, round(duration, 3) if duration is not None else None, fps
    )


# --- multipart, streamed ---------------------------------------------------------------------


class _FileParts:
    """python-multipart callbacks that send every file part to a new :class:`Incoming`."""

    def __init__(self, new_incoming: Callable[[str], Incoming]) -> None:
        self.new_incoming = new_incoming
        self.parts: list[Incoming] = []
        self._sink: Incoming | None = None
        self._headers: dict[bytes, bytes] = {}
        self._field = self._value = b""

    def callbacks(self) -> dict[str, Callable[..., None]]:
        return {
            "on_part_begin": self.on_part_begin,
            "on_header_field": self.on_header_field,
            "on_header_value": self.on_header_value,
            "on_header_end": self.on_header_end,
            "on_headers_finished": self.on_headers_finished,
            "on_part_data": self.on_part_data,
            "on_part_end": self.on_part_end,
        }

    def on_part_begin(self) -> None:
        self._sink, self._headers = None, {}

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._field += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._value += data[start:end]

    def on_header_end(self) -> None:
        self._headers[self._field.lower()] = self._value
        self._field = self._value = b""

    def on_headers_finished(self) -> None:
        from python_multipart.multipart import parse_options_header

        _, opts = parse_options_header(self._headers.get(b"content-disposition", b""))
        if b"filename" in opts or opts.get(b"name") == b"files":
            filename = opts.get(b"filename", b"").decode("utf-8", "replace") or "upload"
            self._sink = self.new_incoming(filename)
            self.parts.append(self._sink)

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self._sink is not None:
            self._sink.write(data[start:end])

    def on_part_end(self) -> None:
        if self._sink is not None:
            self._sink.close()


async def save_multipart(
    content_type: str,
    stream: AsyncIterator[bytes],
    new_incoming: Callable[[str], Incoming],
) -> list[Incoming]:
    """Parse a ``multipart/form-data`` body chunk by chunk, writing every file part (field
    ``files``, or any part with a file name) through ``new_incoming(filename)``.

    The whole body is always read (so the client gets our answer rather than a broken pipe),
    but nothing past the size limit is stored. The caller checks and cleans up the parts.
    """
    from python_multipart.multipart import MultipartParser, parse_options_header

    ctype, params = parse_options_header(content_type)
    boundary = params.get(b"boundary")
    if ctype != b"multipart/form-data" or not boundary:
        raise MediaError(400, "The upload must be multipart/form-data with a field “files”.")
    collector = _FileParts(new_incoming)
    parser = MultipartParser(boundary, collector.callbacks())  # type: ignore[arg-type]
    try:
        async for chunk in stream:
            parser.write(chunk)
        parser.finalize()
        for p in collector.parts:
            p.close()  # flushes: a full disk may only show here
    except Exception as exc:
        for p in collector.parts:
            p.discard()
        if is_disk_full(exc):
            async for _ in stream:  # read the rest, unstored, so that the answer is heard
                pass
            raise
        if isinstance(exc, MediaError):
            raise
        raise MediaError(400, "The upload body is not valid multipart/form-data.") from None
    return collector.parts


# --- by URL ----------------------------------------------------------------------------------


def name_from_url(url: str) -> str:
    path = urlsplit(url).path
    return unquote(path.rsplit("/", 1)[-1]) or "download"


def refused_url(url: str) -> MediaError:
    """The one error for every URL the engine will not or cannot fetch (a private address, another
    scheme, a host that does not answer): the same sentence, so its answers cannot map which
    addresses and ports exist behind the engine."""
    return MediaError(
        400, f"Could not download “{url}”: only public http(s) addresses that answer can be used."
    )


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def _guarded_transport(allow_private: bool) -> Any:
    """An httpx transport whose every connection (redirects included) goes to an address checked
    to be public: the host is resolved once, all its addresses are checked, and the connection
    is made to a checked address, so a DNS answer that changes in between cannot slip through."""
    import httpcore
    import httpx

    class PublicOnly(httpcore.AsyncNetworkBackend):
        def __init__(self) -> None:
            self._real = httpcore.AnyIOBackend()

        async def connect_tcp(
            self,
            host: str,
            port: int,
            timeout: float | None = None,
            local_address: str | None = None,
            socket_options: Any = None,
        ) -> httpcore.AsyncNetworkStream:
            loop = asyncio.get_running_loop()
            try:
                infos = await asyncio.wait_for(
                    loop.getaddrinfo(host, port, type=socket.SOCK_STREAM), timeout
                )
            except (OSError, asyncio.TimeoutError):
                raise httpcore.ConnectError("cannot resolve") from None
            addresses = [str(info[4][0]) for info in infos]
            if not addresses or not all(_public(a) for a in addresses):
                raise httpcore.ConnectError("not a public address")
            return await self._real.connect_tcp(
                addresses[0], port, timeout, local_address, socket_options
            )

        async def sleep(self, seconds: float) -> None:
            await self._real.sleep(seconds)

    transport = httpx.AsyncHTTPTransport(trust_env=allow_private)
    if not allow_private:
        # httpx takes no network backend; its pool does. Fail loudly if that ever changes
        # rather than fetch unguarded.
        pool = transport._pool
        if not isinstance(pool, httpcore.AsyncConnectionPool):
            raise RuntimeError("httpx internals changed: cannot guard URL uploads")
        transport._pool = httpcore.AsyncConnectionPool(
            ssl_context=pool._ssl_context, network_backend=PublicOnly()
        )
    return transport


#: The longest a download by URL may take, all of it (the client waits a little longer for the
#: answer: ``nemo_nb.api._upload.URL_IMPORT_TIMEOUT_S``).
URL_FETCH_TIMEOUT_S = 15.0


async def fetch_url(
    url: str, sink: Incoming, *, timeout: float = URL_FETCH_TIMEOUT_S, allow_private: bool = False
) -> None:
    """Download ``url`` (http or https) into ``sink`` within ``timeout`` seconds in all, stopping
    as soon as it is too large.

    Unless ``allow_private``, only public addresses are fetched, redirects included
    (:func:`refused_url` otherwise)."""
    import httpx

    if urlsplit(url).scheme not in ("http", "https"):
        sink.close()
        raise refused_url(url)
    try:
        await asyncio.wait_for(_download(url, sink, timeout, allow_private), timeout)
    except (httpx.HTTPError, asyncio.TimeoutError):
        raise refused_url(url) from None
    finally:
        sink.close()
    sink.check()


async def _download(url: str, sink: Incoming, timeout: float, allow_private: bool) -> None:
    import httpx

    async with (
        httpx.AsyncClient(
            transport=_guarded_transport(allow_private),
            follow_redirects=True,
            max_redirects=5,
            timeout=timeout,
            trust_env=allow_private,
        ) as http,
        http.stream("GET", url) as resp,
    ):
        if resp.status_code != 200:
            raise MediaError(
                400, f"Could not download “{url}”: the server answered {resp.status_code}."
            )
        declared = resp.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > sink.limit:
            sink.too_big = True
            return
        async for chunk in resp.aiter_bytes(_CHUNK):
            sink.write(chunk)
            if sink.too_big:
                return
