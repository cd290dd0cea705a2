"""Uploads: good media is probed into state.video_infos; hostile uploads get one clear 4001/4002
sentence, leave nothing behind and nothing outside the data dir, and the engine stays up."""

from __future__ import annotations

import io
import resource
import threading
import wave
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import _standins
import httpx
import pytest
from engine_harness import Api, RunningEngine, png_bytes

from nemo_nb._mediatype import MAX_UPLOAD_BYTES


def _mp4(tmp_path: Path, seconds: float = 0.5, size: int = 48) -> bytes:
    out = tmp_path / "clip.mp4"
    draft = {"d": int(seconds * 1000), "m": {"width": size, "height": size}, "t": []}
    _standins.render(draft, out, resolve=lambda s: Path(s))
    return out.read_bytes()


def _wav(seconds: float = 0.25) -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"\x00\x00" * int(8000 * seconds))
    return buf.getvalue()


def _heif(fmt: str) -> bytes:
    from PIL import Image
    from pillow_heif import register_heif_opener

    register_heif_opener()
    buf = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 200, 10)).save(buf, fmt)
    return buf.getvalue()


def _files_under(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file()}


def test_images_video_audio_are_probed(api: Api, engine: RunningEngine, tmp_path: Path) -> None:
    sid = api.new_session()
    jpg = png_bytes(40, 30, exif_orientation=6, fmt="JPEG")  # shot rotated: shown 30 x 40
    r = api.upload(
        sid,
        ("portrait.jpg", jpg),
        ("shot.HEIC", _heif("HEIF")),
        ("pic.avif", _heif("AVIF")),
        ("clip.mp4", _mp4(tmp_path)),
        ("beat.wav", _wav()),
        ("no-extension", png_bytes(24, 18)),
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["code"] == 0 and body["data"]["session_state_applied"] is True
    files = body["data"]["files"]
    got = [(f["filename"], f["file_type"], f["width"], f["height"]) for f in files]
    assert got == [
        ("portrait.jpg", "image", 30, 40),
        ("shot.HEIC", "image", 40, 30),
        ("pic.avif", "image", 40, 30),
        ("clip.mp4", "video", 48, 48),
        ("beat.wav", "audio", 0, 0),
        ("no-extension.png", "image", 24, 18),
    ]
    clip, beat = files[3], files[4]
    assert clip["fps"] == 30 and clip["duration"] == pytest.approx(0.5, abs=0.05)
    assert beat["duration"] == pytest.approx(0.25, abs=0.01)
    assert all(
        len(f["hash"]) == 32 and f["cdn_url"].startswith(engine.url + "/media/") for f in files
    )
    # the same list is the session's video_infos, and the files are served with the token
    assert [v["cdn_url"] for v in api.state(sid)["video_infos"]] == [f["cdn_url"] for f in files]
    r = api.http.get(files[0]["cdn_url"])
    assert r.status_code == 200 and r.content == jpg and r.headers["content-type"] == "image/jpeg"
    assert httpx.get(files[0]["cdn_url"]).status_code == 401


@pytest.mark.parametrize(
    ("name", "content", "code", "says"),
    [
        ("photo.jpg", b"I am just text pretending to be a photo\n" * 10, 4001, "not a supported"),
        ("empty.png", b"", 4001, "is empty"),
        ("cut.png", png_bytes(300, 300)[:200], 4001, "could not be decoded"),
        ("cut.mp4", b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 200, 4001, "could not be decoded"),
    ],
)
def test_bad_content_is_4001(api: Api, engine: RunningEngine, name, content, code, says) -> None:
    sid = api.new_session()
    r = api.upload(sid, (name, content))
    body = r.json()
    assert r.status_code == 415 and body["code"] == code
    assert says in body["message"] and name in body["message"]
    assert body["message"].count(".") <= 2 + body["message"].count(", ")  # one sentence
    assert api.state(sid)["video_infos"] == []
    assert not [p for p in (engine.engine.store.media_dir).rglob("*")]  # nothing left behind
    assert api.http.get("/healthz").json()["status"] == "ok"


def test_one_bad_file_rejects_the_whole_upload(api: Api, engine: RunningEngine) -> None:
    sid = api.new_session()
    r = api.upload(sid, ("good.png", png_bytes()), ("bad.gif", b"GIF89a" + b"\x00" * 10))
    assert r.json()["code"] == 4001 and "bad.gif" in r.json()["message"]
    assert api.state(sid)["video_infos"] == []
    assert not list(engine.engine.store.media_dir.iterdir())


def test_path_escape_in_name_stays_in_data_dir(
    api: Api, engine: RunningEngine, tmp_path: Path
) -> None:
    sid = api.new_session()
    before = _files_under(tmp_path)
    names = ["../../x.png", "..\\..\\y.png", "/etc/passwd.png", "..", "a:b.png"]
    r = api.upload(sid, *[(n, png_bytes()) for n in names])
    assert r.status_code == 200, r.text
    got = [f["filename"] for f in r.json()["data"]["files"]]
    assert got == ["x.png", "y.png", "passwd.png", "upload.png", "a_b.png"]
    new = _files_under(tmp_path) - before
    media_dir = engine.engine.store.media_dir
    assert len(new - {p for p in new if p.name.startswith("engine.sqlite3")}) == 5
    for p in new:
        assert p.resolve().is_relative_to(tmp_path / "data")
    assert all(p.parent.parent == media_dir for p in new if not p.name.startswith("engine.sqlite3"))
    assert not (tmp_path.parent / "x.png").exists() and not (tmp_path / "x.png").exists()


def test_201_mb_upload_is_4002_without_buffering(api: Api, engine: RunningEngine) -> None:
    sid = api.new_session()
    size = 201 * 1024 * 1024
    chunk = b"\x00" * (1024 * 1024)

    def body() -> Iterator[bytes]:
        head = b'--B\r\nContent-Disposition: form-data; name="files"; filename="big.png"\r\n'
        yield head + b"Content-Type: image/png\r\n\r\n" + png_bytes()[:16]
        for _ in range(size // len(chunk)):
            yield chunk
        yield b"\r\n--B--\r\n"

    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    r = api.http.post(f"/api/upload-video/nemo_agent/me/{sid}", content=body(),
                      headers={"Content-Type": "multipart/form-data; boundary=B"})  # fmt: skip
    grew_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before) / 1024
    assert r.status_code == 413
    assert r.json()["code"] == 4002 and "larger than 200 MB" in r.json()["message"]
    assert "big.png" in r.json()["message"]
    assert grew_mb < 64, f"the engine held the upload in memory (+{grew_mb:.0f} MB)"
    assert not list(engine.engine.store.media_dir.iterdir())
    assert api.http.get("/healthz").status_code == 200
    assert api.upload(sid, ("ok.png", png_bytes())).status_code == 200  # still works


def test_size_limit_is_inclusive_and_stops_writing(tmp_path: Path) -> None:
    from nemo_nb.engine.media import Incoming, MediaError

    assert Incoming.__init__.__defaults__ == (MAX_UPLOAD_BYTES,)
    at = Incoming(tmp_path / "a", "a.png", limit=10)
    at.write(b"x" * 6)
    at.write(b"x" * 4)
    at.check()  # exactly the limit is fine
    over = Incoming(tmp_path / "b", "b.png", limit=10)
    over.write(b"x" * 6)
    over.write(b"x" * 5)
    over.write(b"x" * 1000)
    with pytest.raises(MediaError) as err:
        over.check()
    assert err.value.code == 4002 and not over.part.exists()


# --- by URL ----------------------------------------------------------------------------------


@pytest.fixture
def web() -> Iterator[tuple[str, dict[str, tuple[int, bytes, dict]]]]:
    routes: dict[str, tuple[int, bytes, dict]] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            status, data, headers = routes.get(self.path, (404, b"not found", {}))
            self.send_response(status)
            for k, v in {"Content-Length": str(len(data)), **headers}.items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *a) -> None:
            pass

    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{srv.server_port}", routes
    srv.shutdown()


@pytest.fixture
def lan_api(engine_factory) -> Api:
    """An engine started to allow private URLs (the test web server is on 127.0.0.1)."""
    return Api(engine_factory(allow_private_urls=True).url)


def test_upload_by_url(lan_api: Api, web, tmp_path: Path) -> None:
    api = lan_api
    base, routes = web
    routes["/pics/cat%20photo.png"] = (200, png_bytes(32, 20), {})
    routes["/v.mp4"] = (200, _mp4(tmp_path), {})
    sid = api.new_session()
    r = api.http.post(f"/api/upload-video/nemo_agent/me/{sid}",
                      json={"urls": [f"{base}/pics/cat%20photo.png", f"{base}/v.mp4"],
                            "source_type": "url"})  # fmt: skip
    assert r.status_code == 200, r.text
    files = r.json()["data"]["files"]
    assert [(f["filename"], f["file_type"], f["width"]) for f in files] == [
        ("cat photo.png", "image", 32), ("v.mp4", "video", 48)]  # fmt: skip
    assert len(api.state(sid)["video_infos"]) == 2


def test_bad_urls_are_clear_errors(lan_api: Api, web) -> None:
    api = lan_api
    base, routes = web
    routes["/text.jpg"] = (200, b"hello, not an image", {})
    routes["/huge.png"] = (200, b"\x89PNG", {"Content-Length": str(MAX_UPLOAD_BYTES + 1)})
    sid = api.new_session()
    cases = [
        (f"{base}/text.jpg", 4001, "not a supported"),
        (f"{base}/missing.png", 400, "answered 404"),
        ("http://127.0.0.1:1/x.png", 400, "Could not download"),
        (f"{base}/huge.png", 4002, "larger than 200 MB"),
        ("file:///etc/passwd", 400, "only public http(s) addresses"),
    ]
    for url, code, says in cases:
        r = api.http.post(f"/api/upload-video/nemo_agent/me/{sid}", json={"urls": [url]})
        assert r.json()["code"] == code and says in r.json()["message"], (url, r.text)
    assert api.state(sid)["video_infos"] == []


def _refusal(api: Api, sid: str, url: str) -> str:
    r = api.http.post(f"/api/upload-video/nemo_agent/me/{sid}", json={"urls": [url]})
    assert r.status_code == 400, (url, r.text)
    return r.json()["message"].replace(url, "<url>")


@pytest.mark.slow
def test_private_and_odd_url_targets_get_one_identical_refusal(
    api: Api, engine: RunningEngine, web
) -> None:
    base, routes = web
    routes["/p.png"] = (200, png_bytes(32, 32), {})
    port = base.rsplit(":", 1)[1]
    sid = api.new_session()
    targets = [
        f"{base}/p.png",  # loopback, port open, the file is there
        "http://127.0.0.1:1/p.png",  # loopback, port closed
        f"http://localhost:{port}/p.png",
        f"http://[::1]:{port}/p.png",
        f"http://0.0.0.0:{port}/p.png",
        f"http://2130706433:{port}/p.png",  # 127.0.0.1 as one number
        f"http://[::ffff:127.0.0.1]:{port}/p.png",
        "http://10.0.0.1/p.png",
        "http://192.168.1.1/p.png",
        "http://172.16.0.1/p.png",
        "http://169.254.169.254/latest/meta-data/",  # cloud metadata, link-local
        "http://[fe80::1]/p.png",
        "http://100.64.0.1/p.png",  # carrier-grade NAT
        "http://no-such-host.invalid/p.png",
        "file:///etc/passwd",
        "ftp://example.com/p.png",
        "gopher://127.0.0.1:25/",
    ]
    refusals = {url: _refusal(api, sid, url) for url in targets}
    assert set(refusals.values()) == {
        "Could not download “<url>”: only public http(s) addresses that answer can be used."
    }, refusals
    assert api.state(sid)["video_infos"] == []
    assert not list(engine.engine.store.media_dir.iterdir())


def test_redirects_and_mixed_answers_are_checked_at_every_hop(
    api: Api, web, monkeypatch: pytest.MonkeyPatch
) -> None:
    from nemo_nb.engine import media

    # Pretend 127.0.0.1 is the public internet; everything else stays private.
    monkeypatch.setattr(media, "_public", lambda address: address == "127.0.0.1")
    base, routes = web
    port = base.rsplit(":", 1)[1]
    routes["/p.png"] = (200, png_bytes(32, 32), {})
    routes["/to-private"] = (302, b"", {"Location": f"http://127.0.0.2:{port}/p.png"})
    routes["/to-file"] = (302, b"", {"Location": "file:///etc/passwd"})
    routes["/to-public"] = (302, b"", {"Location": f"{base}/p.png"})
    sid = api.new_session()
    ok = api.http.post(f"/api/upload-video/nemo_agent/me/{sid}",
                       json={"urls": [f"{base}/to-public"]})  # fmt: skip
    assert ok.status_code == 200, ok.text  # the guard lets public targets through
    generic = _refusal(api, sid, "http://10.0.0.1/p.png")
    for url in (f"{base}/to-private", f"{base}/to-file"):
        assert _refusal(api, sid, url) == generic, url
    assert len(api.state(sid)["video_infos"]) == 1


def test_too_many_files_at_once(api: Api, engine: RunningEngine) -> None:
    sid = api.new_session()
    r = api.upload(sid, *[(f"{i}.png", png_bytes(16, 16)) for i in range(21)])
    assert (
        r.status_code == 400 and r.json()["message"] == "At most 20 files can be uploaded at once."
    )
    assert not list(engine.engine.store.media_dir.iterdir())
    assert (
        len(
            api.upload(sid, *[(f"{i}.png", png_bytes(16, 16)) for i in range(20)]).json()["data"][
                "files"
            ]
        )
        == 20
    )


def test_malformed_upload_requests_are_400(api: Api, engine: RunningEngine) -> None:
    sid = api.new_session()
    path = f"/api/upload-video/nemo_agent/me/{sid}"
    cases = [
        (api.http.post(path, content=b"hello", headers={"Content-Type": "text/plain"}),
         "must be multipart/form-data"),
        (api.http.post(path, files={"note": (None, b"no file here")}), "had no file"),
        (api.http.post(path, json={"urls": "not-a-list"}), "upload by URL"),
    ]  # fmt: skip
    for r, says in cases:
        assert r.status_code == 400 and says in r.json()["message"], r.text
    assert not list(engine.engine.store.media_dir.iterdir())


async def test_a_name_with_any_private_address_is_refused_without_connecting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import asyncio
    import socket

    from nemo_nb.engine import media

    answers = {
        "mixed.example": ["93.184.216.34", "10.0.0.7"],  # one public, one private: refused
        "mapped.example": ["::ffff:169.254.169.254"],  # link-local behind an IPv6 mapping
    }
    connects: list[str] = []

    async def fake_getaddrinfo(self, host, port, *a, **kw):  # noqa: ANN001
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, port)) for ip in answers[host]]

    async def no_connect(*a, **kw):  # noqa: ANN002, ANN003
        connects.append(a[1] if len(a) > 1 else kw.get("host"))
        raise AssertionError("must not connect")

    monkeypatch.setattr(asyncio.BaseEventLoop, "getaddrinfo", fake_getaddrinfo)
    monkeypatch.setattr("httpcore.AnyIOBackend.connect_tcp", no_connect)
    for host in answers:
        inc = media.Incoming(tmp_path / host, "x.png")
        with pytest.raises(media.MediaError) as err:
            await media.fetch_url(f"http://{host}/x.png", inc)
        assert err.value.message == media.refused_url(f"http://{host}/x.png").message
        inc.discard()
    assert connects == []
    assert media._public("93.184.216.34") and not media._public("100.64.1.1")
    assert not media._public("fd00::1") and not media._public("224.0.0.1")


@pytest.mark.parametrize(
    ("sent_as", "content", "stored_as"),
    [
        ("x.exe", lambda: png_bytes(40, 30, fmt="JPEG"), "x.jpg"),
        ("holiday.png", lambda: png_bytes(40, 30, fmt="JPEG"), "holiday.jpg"),
        ("scan.jpeg", lambda: png_bytes(40, 30, fmt="JPEG"), "scan.jpeg"),  # a name of its type
        ("notes.final", lambda: png_bytes(40, 30), "notes.final.png"),
        ("no extension", lambda: png_bytes(40, 30, fmt="WEBP"), "no extension.webp"),
    ],
)
def test_a_stored_name_takes_the_extension_of_the_type_its_bytes_show(
    api: Api, engine: RunningEngine, sent_as, content, stored_as
) -> None:
    sid = api.new_session()
    r = api.upload(sid, (sent_as, content()))
    assert r.status_code == 200, r.text
    info = r.json()["data"]["files"][0]
    assert info["filename"] == stored_as
    assert info["cdn_url"].endswith("/" + stored_as.replace(" ", "%20"))
    assert [p.name for p in engine.engine.store.media_dir.rglob("*") if p.is_file()] == [stored_as]
    served = api.http.get(info["cdn_url"])
    assert served.status_code == 200 and served.content == content()


def _png_with_text(mb: float, *, compressed: bool) -> bytes:
    """A small PNG carrying ``mb`` MB of text metadata (XMP-like), compressed (zTXt) or not."""
    from PIL import Image, PngImagePlugin

    info = PngImagePlugin.PngInfo()
    text = ("<rdf:li>edit step</rdf:li>" * 40_000)[: int(mb * 1024 * 1024)]
    info.add_text("XML:com.adobe.xmp", text, zip=compressed)
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (30, 120, 200)).save(buf, "PNG", pnginfo=info)
    return buf.getvalue()


@pytest.mark.parametrize("compressed", [True, False])
def test_a_png_with_megabytes_of_metadata_is_accepted(api: Api, compressed: bool) -> None:
    sid = api.new_session()
    r = api.upload(sid, ("edited.png", _png_with_text(1.5, compressed=compressed)))
    assert r.status_code == 200, r.text  # it was "damaged or truncated?" past 1 MB
    info = r.json()["data"]["files"][0]
    assert (info["width"], info["height"]) == (64, 48)


def test_a_png_with_more_metadata_than_can_be_read_safely_is_refused(
    api: Api, engine: RunningEngine
) -> None:
    from PIL import Image, PngImagePlugin

    info = PngImagePlugin.PngInfo()
    for i in range(18):  # 18 MB in plain text chunks, each under Pillow's own 1 MB
        info.add_text(f"comment{i}", "x" * (1024 * 1024 - 64))
    buf = io.BytesIO()
    Image.new("RGB", (64, 48)).save(buf, "PNG", pnginfo=info)
    sid = api.new_session()
    r = api.upload(sid, ("notes.png", buf.getvalue()))
    assert r.status_code == 415
    assert r.json()["message"] == (
        "“notes.png” carries more than 16 MB of text metadata, more than can be read safely."
    )
    assert not list(engine.engine.store.media_dir.iterdir())


def _webp_animation() -> bytes:
    from PIL import Image

    frames = [Image.new("RGB", (90, 60), c) for c in ((200, 30, 30), (30, 30, 200))]
    buf = io.BytesIO()
    frames[0].save(buf, "WEBP", save_all=True, append_images=frames[1:], duration=100)
    return buf.getvalue()


def test_webp_stills_and_animations_upload_and_a_cut_one_is_refused(
    api: Api, engine: RunningEngine
) -> None:
    sid = api.new_session()
    still = png_bytes(120, 80, exif_orientation=6, fmt="WEBP")
    r = api.upload(sid, ("still.webp", still), ("anim.webp", _webp_animation()))
    assert r.status_code == 200, r.text
    sizes = [(f["width"], f["height"]) for f in r.json()["data"]["files"]]
    assert sizes == [(80, 120), (90, 60)]  # EXIF orientation 6: upright it is portrait
    whole = _webp_animation()
    for cut in (whole[:-40], whole[:60]):
        r = api.upload(sid, ("cut.webp", cut))
        assert r.status_code == 415
        assert r.json()["message"] == (
            "“cut.webp” looks like an image but could not be decoded (damaged or truncated?)."
        )
    assert len(list(engine.engine.store.media_dir.iterdir())) == 2
