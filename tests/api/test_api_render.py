"""Render and download: status shapes A/B/C, adaptive polling, duplicate ids, failures, cancel,
and where the bearer token may (and may not) go."""

from __future__ import annotations

import httpx
import pytest

from nemo_nb.api import NemoClient, NemoError, RenderError, RenderJob

DRAFT = {
    "d": 3000,
    "t": [{"id": "v1", "tt": 0, "sg": [{"id": "s1", "st": 0, "d": 3000, "src": "x"}]}],
}


async def started(client, **kw):
    session = await client.create_session()
    job = await client.start_render(session.session_id, DRAFT, **kw)
    return session, job


@pytest.mark.parametrize("shape", ["A", "B", "C"])
async def test_render_round_trip_in_each_status_shape(client, fake, sleeps, cdn, tmp_path, shape):
    fake.render_shape = shape
    session, job = await started(client)
    assert job.status == "pending" and job.id.startswith("render_")
    body = fake.render_submits[0]
    assert body["sessionId"] == session.session_id and body["draft"] == DRAFT
    assert body["output"] == {"format": "mp4", "quality": "high"}
    seen = []
    done = await client.wait_render(job.id, on_progress=seen.append)
    assert [j.status for j in seen] == ["pending", "processing", "completed"]
    assert done.status == "completed" and done.progress == 100
    assert done.id == job.id
    assert done.output_url == f"{cdn.base}/files/{job.id}.mp4"
    assert sleeps.calls == [1.0, 1.5]  # the first poll comes after ~1 s
    path = await client.download(done, tmp_path)
    assert path == tmp_path / f"{job.id}.mp4"
    assert path.read_bytes() == fake.mp4


async def test_polling_backs_off_to_30_seconds(client, fake, sleeps):
    fake.render_polls_to_finish = 12
    _, job = await started(client)
    await client.wait_render(job)
    assert sleeps.calls[:4] == pytest.approx([1.0, 1.5, 2.25, 3.375])
    assert max(sleeps.calls) == 30.0 and sleeps.calls[-2:] == [30.0, 30.0]
    assert all(b >= a for a, b in zip(sleeps.calls, sleeps.calls[1:], strict=False))


async def test_async_progress_callback(client, fake):
    _, job = await started(client)
    seen = []

    async def report(j):
        seen.append(j.progress)

    await client.wait_render(job.id, report)
    assert seen[-1] == 100 and len(seen) == 3


async def test_failed_render_raises_with_the_reason(client, fake):
    fake.render_fails_with = "invalid draft"
    _, job = await started(client)
    with pytest.raises(RenderError) as info:
        await client.wait_render(job.id)
    assert str(info.value) == "The render failed: invalid draft."
    assert info.value.job.status == "failed"


@pytest.mark.parametrize("style", ["409", "success_false"])
async def test_duplicate_id_gets_a_new_id_once(client, fake, style):
    fake.duplicate_style = style
    session = await client.create_session()
    first = await client.start_render(session.session_id, DRAFT, render_id="render_fixed")
    again = await client.start_render(session.session_id, DRAFT, render_id="render_fixed")
    ids = [b["id"] for b in fake.render_submits]
    assert ids[:2] == ["render_fixed", "render_fixed"] and len(ids) == 3
    assert first.id == "render_fixed"
    assert again.id == ids[2] != "render_fixed"
    assert (await client.render_status(again.id)).status == "pending"


async def test_empty_timeline_is_refused_before_sending(client, fake):
    session = await client.create_session()
    with pytest.raises(RenderError) as info:
        await client.start_render(session.session_id, {"t": [{"tt": 0, "sg": []}]})
    assert "nothing to export" in str(info.value)
    assert fake.count("POST", "/api/render") == 0


async def test_the_cloud_is_never_asked_for_a_preview():
    sent: list[httpx.Request] = []

    def cloud(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(500)

    async with NemoClient(
        "https://api.nemovideo.example", transport=httpx.MockTransport(cloud)
    ) as client:
        assert not client.is_local
        with pytest.raises(RenderError) as info:
            await client.start_render("s1", DRAFT, quality="preview")
    assert str(info.value) == (
        "Previews are rendered by the local engine only; on the cloud, export instead."
    )
    assert isinstance(info.value, NemoError) and sent == []  # not even a token was fetched


async def test_a_server_on_this_machine_gets_the_preview_quality(client, fake):
    # the fake listens on loopback, as the engine does: a preview goes out as output.quality
    _, job = await started(client, quality="preview")
    assert fake.render_submits[0]["output"] == {"format": "mp4", "quality": "preview"}
    assert job.status == "pending"


async def test_an_unknown_quality_is_refused_before_sending(client, fake):
    session = await client.create_session()
    with pytest.raises(RenderError) as info:
        await client.start_render(session.session_id, DRAFT, quality="ultra")
    assert str(info.value) == "The render quality must be 'high' or 'preview', not 'ultra'."
    assert fake.count("POST", "/api/render") == 0


async def test_server_refusal_is_a_render_error(client, fake):
    fake.fault(
        "POST",
        "/api/render/proxy/lambda",
        status=400,
        body={"success": False, "error": "invalid draft"},
    )
    session = await client.create_session()
    with pytest.raises(RenderError) as info:
        await client.start_render(session.session_id, DRAFT)
    assert str(info.value) == "The export could not start: invalid draft. (code 400)"


async def test_cancel(client, fake):
    _, job = await started(client)
    await client.cancel_render(job.id)
    assert fake.renders[job.id]["cancelled"]
    with pytest.raises(RenderError) as info:
        await client.wait_render(job.id)
    assert "cancelled" in str(info.value)


async def test_unknown_render_id(client, fake):
    with pytest.raises(RenderError) as info:
        await client.render_status("render_nope")
    assert "render_nope" in str(info.value)


async def test_render_wait_gives_up_but_the_job_lives_on(client, fake, sleeps):
    fake.render_polls_to_finish = 1000
    _, job = await started(client)
    with pytest.raises(RenderError) as info:
        await client.wait_render(job.id, timeout=60)
    assert job.id in str(info.value) and "checked later" in str(info.value)
    assert sum(sleeps.calls) >= 60


# -- download ------------------------------------------------------------------------------------


async def test_cdn_download_gets_no_authorization(client, fake, cdn, tmp_path):
    _, job = await started(client)
    done = await client.wait_render(job.id)
    await client.download(done, tmp_path / "out.mp4")
    assert cdn.seen == [(f"/files/{job.id}.mp4", None)]
    assert (tmp_path / "out.mp4").read_bytes() == fake.mp4


async def test_api_origin_download_carries_the_bearer(client, fake, tmp_path):
    fake.output_on_cdn = False
    _, job = await started(client)
    done = await client.wait_render(job.id)
    assert done.output_url.startswith(fake.api_base)
    path = await client.download(done, tmp_path / "nested" / "dir" / "final.mp4")
    assert path.read_bytes() == fake.mp4
    call = fake.calls("GET", f"/api/render/proxy/{job.id}/download")[0]
    assert call.authorization == f"Bearer {fake.issued[-1]}"


async def test_fallback_download_path_and_cross_origin_redirect(client, fake, cdn, tmp_path):
    fake.download_redirects_to_cdn = True
    _, job = await started(client)
    pending = RenderJob(id=job.id, status="completed")  # no output_url: use the proxy path
    path = await client.download(pending, tmp_path)
    assert path.read_bytes() == fake.mp4
    assert fake.calls("GET", f"/api/render/proxy/{job.id}/download")[0].authorization
    assert cdn.seen == [(f"/files/{job.id}.mp4", None)]  # httpx dropped it on the redirect


async def test_failed_download_leaves_nothing_behind(client, fake, cdn, tmp_path):
    dest = tmp_path / "keep.mp4"
    dest.write_bytes(b"previous export")
    with pytest.raises(NemoError):
        await client.download(f"{cdn.base}/files/missing.mp4", dest)
    assert dest.read_bytes() == b"previous export"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.mp4"]


async def test_download_by_url_into_a_directory(client, fake, cdn, tmp_path):
    cdn.files["clip.mp4"] = fake.mp4
    path = await client.download(f"{cdn.base}/files/clip.mp4", tmp_path)
    assert path == tmp_path / "clip.mp4" and path.read_bytes() == fake.mp4


def test_render_job_parses_all_three_shapes():
    a = RenderJob.from_json({"success": True, "data": {"id": "r1", "status": "completed", "progress": 100,
                             "outputUrl": "https://cdn/r1.mp4", "createdAt": 1773423613616,
                             "completedAt": 1773423641222}})  # fmt: skip
    b = RenderJob.from_json({"status": "processing", "output": {"url": None}}, fallback_id="r2")
    c = RenderJob.from_json({"taskId": "r3", "status": "completed", "progress": 100,
                             "output": {"url": "https://cdn/r3.mp4", "duration": 30.5, "size": 15728640}})  # fmt: skip
    assert (a.id, a.status, a.output_url) == ("r1", "completed", "https://cdn/r1.mp4")
    assert round((a.completed_at - a.created_at).total_seconds(), 1) == 27.6
    assert (b.id, b.status, b.output_url, b.done) == ("r2", "processing", None, False)
    assert (c.id, c.output_url, c.duration, c.size, c.done) == (
        "r3",
        "https://cdn/r3.mp4",
        30.5,
        15728640,
        True,
    )


async def test_a_server_reason_that_already_says_render_failed_is_not_prefixed_twice(client, fake):
    fake.render_fails_with = "The render failed: the photo could not be decoded."
    _, job = await started(client)
    with pytest.raises(RenderError) as info:
        await client.wait_render(job.id)
    assert str(info.value) == "The render failed: the photo could not be decoded."


async def test_a_server_on_this_machine_is_polled_quickly(fake, sleeps):
    # Without a schedule of its own, a loopback server (the engine) is polled every ≤ 0.15 s, so
    # an export returns right after its render; the cloud keeps its gentle back-off (above).
    from nemo_nb.api import NemoClient

    fake.render_polls_to_finish = 6
    async with NemoClient(fake.api_base, sleep=sleeps) as local:
        assert local.is_local
        _, job = await started(local)
        await local.wait_render(job.id)
    assert sleeps.calls[0] == 0.05 and max(sleeps.calls) == 0.15 and len(sleeps.calls) == 5


async def test_a_web_page_instead_of_the_video_is_not_saved_as_one(client, fake, cdn, tmp_path):
    from nemo_nb.api import NemoConnectionError

    cdn.files["clip.mp4"] = b"<html><body>Please log in to the hotel wifi</body></html>"
    cdn.media_type = "text/html; charset=utf-8"  # a captive portal answers for the CDN
    with pytest.raises(NemoConnectionError) as info:
        await client.download(f"{cdn.base}/files/clip.mp4", tmp_path)
    assert "web page" in str(info.value)
    assert list(tmp_path.iterdir()) == []


def test_render_job_reads_when_rendering_started():
    job = RenderJob.from_json({"id": "r", "status": "completed", "createdAt": 1773423600000,
                               "startedAt": 1773423610000, "completedAt": 1773423641222})  # fmt: skip
    assert (job.completed_at - job.started_at).total_seconds() == pytest.approx(31.222)
    assert (job.started_at - job.created_at).total_seconds() == 10  # queued behind others


async def test_a_render_id_from_the_server_never_names_a_path_outside_the_folder(
    client, fake, cdn, tmp_path
):
    _, job = await started(client)
    done = await client.wait_render(job.id)
    folder = tmp_path / "downloads"
    folder.mkdir()
    for hostile in ("../../escaped", "..\\..\\escaped", "a/../../escaped", ".."):
        forged = RenderJob(id=hostile, status="completed", output_url=done.output_url)
        path = await client.download(forged, folder)
        assert path.parent == folder, hostile
        assert path.read_bytes() == fake.mp4
    assert not list(tmp_path.glob("escaped*"))
