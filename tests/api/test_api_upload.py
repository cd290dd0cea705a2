"""Uploads: checked by content and size before a byte is sent; multipart `files`, URL imports,
HEIC conversion, and the response variants."""

from __future__ import annotations

import io
import os
from pathlib import Path

import matplotlib.cbook
import pytest
from PIL import Image

from nemo_nb.api import (
    FileTooLargeError,
    MediaFileNotFoundError,
    NemoClient,
    NemoError,
    UnsupportedMediaError,
)

PHOTO = Path(matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))


def png(path: Path, size=(32, 24), color=(0, 128, 255)) -> Path:
    Image.new("RGB", size, color).save(path, "PNG")
    return path


async def test_several_files_in_one_multipart_request(client, fake, tmp_path):
    session = await client.create_session()
    second = png(tmp_path / "b.png")
    files = await client.upload(session.session_id, str(PHOTO), second)
    assert [f.filename for f in files] == ["grace_hopper.jpg", "b.png"]
    assert [f.file_type for f in files] == ["image", "image"]
    assert all(f.cdn_url and f.url == f.cdn_url for f in files)
    assert fake.count("POST", "/api/upload-video/nemo_agent/me/") == 1
    received = fake.uploads
    assert [u["content_type"] for u in received] == ["image/jpeg", "image/png"]
    assert received[0]["data"] == PHOTO.read_bytes()  # byte-exact through the stream
    assert received[1]["data"] == second.read_bytes()
    state = await client.state(session.session_id)
    assert len(state.video_infos) == 2


async def test_url_import_is_json(client, fake):
    session = await client.create_session()
    url = "https://example.test/clips/beach.mp4"
    files = await client.upload(session.session_id, url)
    assert files[0].cdn_url == url and files[0].duration == 4.0 and files[0].file_type == "video"
    assert fake.uploads == [{"url": url}]
    call = fake.calls("POST", "/api/upload-video")[0]
    assert call.headers["content-type"].startswith("application/json")


async def test_mixed_files_and_urls_keep_their_order(client, fake, tmp_path):
    session = await client.create_session()
    url = "https://example.test/a.mp4"
    files = await client.upload(session.session_id, PHOTO, url, png(tmp_path / "c.png"))
    assert [f.filename for f in files] == ["grace_hopper.jpg", "a.mp4", "c.png"]


async def test_uploaded_files_url_variant(client, fake):
    fake.upload_variant = "uploaded_files"
    session = await client.create_session()
    files = await client.upload(session.session_id, PHOTO)
    assert files[0].filename == "grace_hopper.jpg"
    assert files[0].cdn_url.endswith("/media/grace_hopper.jpg")


async def test_text_disguised_as_jpg_is_refused_before_any_request(client, fake, tmp_path):
    fake_photo = tmp_path / "holiday.jpg"
    fake_photo.write_text("this is not a photo, just text\n" * 10)
    with pytest.raises(UnsupportedMediaError) as info:
        await client.upload("123", PHOTO, fake_photo)
    msg = str(info.value)
    assert "holiday.jpg" in msg and "jpg" in info.value.accepted and "\n" not in msg
    assert info.value.code == 4001
    assert fake.requests == []  # not even a token was fetched: nothing was sent


async def test_201_mb_sparse_file_is_refused_before_any_request(client, fake, tmp_path):
    big = tmp_path / "huge.mp4"
    with open(big, "wb") as fh:
        fh.truncate(201 * 1024 * 1024)  # sparse: no 201 MB written
    with pytest.raises(FileTooLargeError) as info:
        await client.upload("123", big)
    assert "201 MB" in str(info.value) and "200 MB" in str(info.value)
    assert fake.requests == []


async def test_missing_file(client, fake, tmp_path):
    with pytest.raises(MediaFileNotFoundError) as info:
        await client.upload("123", tmp_path / "nope.png")
    assert isinstance(info.value, NemoError) and isinstance(info.value, FileNotFoundError)
    assert "nope.png" in str(info.value)
    assert fake.requests == []


async def test_misnamed_png_is_sent_with_its_real_extension(client, fake, tmp_path):
    session = await client.create_session()
    misnamed = png(tmp_path / "scan.jpg")
    files = await client.upload(session.session_id, misnamed)
    assert files[0].filename == "scan.png"
    assert fake.uploads[0]["content_type"] == "image/png"


async def test_heic_is_converted_to_jpeg(client, fake, tmp_path):
    import pillow_heif

    pillow_heif.register_heif_opener()
    heic = tmp_path / "IMG_0001.HEIC"
    Image.new("RGB", (64, 48), (200, 30, 30)).save(heic, format="HEIF", quality=90)
    session = await client.create_session()
    files = await client.upload(session.session_id, heic)
    assert files[0].filename == "IMG_0001.jpg"
    sent = fake.uploads[0]
    assert sent["kind"] == "jpg" and sent["content_type"] == "image/jpeg"
    with Image.open(io.BytesIO(sent["data"])) as im:
        assert im.size == (64, 48)
        r, g, b = im.getpixel((32, 24))
        assert r > 150 and g < 80 and b < 80  # still the red photo
    assert heic.exists()  # the user's file is untouched


async def test_heic_without_conversion_is_sent_as_is(fake, sleeps, tmp_path):
    import pillow_heif

    pillow_heif.register_heif_opener()
    heic = tmp_path / "p.heic"
    Image.new("RGB", (16, 16)).save(heic, format="HEIF")
    async with NemoClient(fake.api_base, sleep=sleeps, convert_heic=False) as c:
        session = await c.create_session()
        # the engine takes HEIC; the cloud (this fake) answers 4001, which the user sees as:
        with pytest.raises(UnsupportedMediaError) as info:
            await c.upload(session.session_id, heic)
    assert info.value.code == 4001 and "accepted types" in str(info.value)
    assert fake.count("POST", "/api/upload-video") == 1


async def test_avif_is_refused_unless_the_server_takes_it(fake, sleeps, tmp_path):
    avif = tmp_path / "p.avif"
    avif.write_bytes(b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf" + b"\0" * 64)
    async with NemoClient(fake.api_base, sleep=sleeps) as c:
        with pytest.raises(UnsupportedMediaError) as info:
            await c.upload("1", avif)
    assert "AVIF" in str(info.value) and "avif" not in info.value.accepted
    assert fake.requests == []


async def test_multipart_is_streamed_not_read_whole(client, fake, tmp_path, monkeypatch):
    """The file object httpx gets is read in chunks, never with a bare read()."""
    big = tmp_path / "clip.mp4"
    big.write_bytes(b"\x00\x00\x00\x18ftypmp42" + os.urandom(3 * 1024 * 1024))
    sizes: list[int] = []
    real_open = open

    class Spy(io.BufferedReader):
        def read(self, n=-1):
            sizes.append(n)
            return super().read(n)

    def spy_open(path, mode="r", *a, **k):
        if "b" in mode and str(path) == str(big):
            return Spy(io.FileIO(path, "rb"))
        return real_open(path, mode, *a, **k)

    monkeypatch.setattr("builtins.open", spy_open)
    session = await client.create_session()
    await client.upload(session.session_id, big)
    assert fake.uploads[0]["size"] == big.stat().st_size
    assert sizes and all(0 < n <= 1024 * 1024 for n in sizes)
