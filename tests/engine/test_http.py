"""The contract's envelopes, auth and sessions, over real HTTP against a real engine."""

from __future__ import annotations

import re

import httpx
from engine_harness import Api, RunningEngine

from nemo_nb.engine.app import OPEN_PATHS, ROUTES


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "x", path)


def test_every_path_but_healthz_needs_the_token(engine: RunningEngine) -> None:
    http = httpx.Client(base_url=engine.url)
    assert http.get("/healthz").json()["status"] == "ok"
    checked = 0
    for route in ROUTES:
        if route.path in OPEN_PATHS:
            continue
        for method in route.methods - {"HEAD"}:
            for auth in (None, "Bearer nmv_usr_not-a-real-token", "Basic abc"):
                headers = {"Authorization": auth} if auth else {}
                r = http.request(method, _concrete(route.path), headers=headers)
                assert r.status_code == 401, (method, route.path, r.status_code)
                body = r.json()
                assert body["code"] == 1001 and "token" in body["message"]
                checked += 1
    # also paths that do not exist: no probing without a token
    assert http.get("/nope").status_code == 401
    assert checked == (len(ROUTES) - len(OPEN_PATHS)) * 3


def test_anonymous_token_needs_client_id_and_gives_100_credits(engine: RunningEngine) -> None:
    http = httpx.Client(base_url=engine.url)
    r = http.post("/api/auth/anonymous-token")
    assert r.status_code == 400 and "X-Client-Id" in r.json()["message"]
    r = http.post("/api/auth/anonymous-token", headers={"X-Client-Id": "abc"})
    data = r.json()["data"]
    assert r.json()["code"] == 0
    assert data["token"].startswith("nmv_usr_") and data["user_id"].startswith("anon_")
    assert data["credits"] == 100 and data["expires_at"].endswith("Z")
    # the same client id gets a fresh token for the same user (what the client does on 1001)
    again = http.post("/api/auth/anonymous-token", headers={"X-Client-Id": "abc"}).json()["data"]
    assert again["user_id"] == data["user_id"] and again["token"] != data["token"]
    credits = http.get("/api/credits/balance/simple",
                       headers={"Authorization": f"Bearer {again['token']}"}).json()  # fmt: skip
    assert credits == {"code": 0, "message": "success",
                       "data": {"available": 100, "frozen": 0, "total": 100}}  # fmt: skip


def test_session_and_state_accept_me_and_own_user_id(api: Api) -> None:
    r = api.http.post(f"/api/tasks/{api.user_id}/with-session/nemo_agent", json={"task_name": "p"})
    data = r.json()["data"]
    assert data["session_id"].isdigit() and data["task_id"].startswith("task_")
    assert data["user_id"] == api.user_id
    for who in ("me", api.user_id):
        body = api.http.get(f"/api/state/nemo_agent/{who}/{data['session_id']}/latest").json()
        assert body["code"] == 0
        st = body["data"]["state"]
        assert st["draft"] is None and st["video_infos"] == []
        assert set(st) == {
            "draft",
            "video_infos",
            "canvas_config",
            "generated_media",
            "video_analyses",
        }


def test_unknown_or_foreign_session_is_1002(engine: RunningEngine) -> None:
    alice, bob = Api(engine.url), Api(engine.url)
    sid = alice.new_session()
    for who, s in ((bob, sid), (alice, "123")):
        r = who.http.get(f"/api/state/nemo_agent/me/{s}/latest")
        assert r.status_code == 404 and r.json()["code"] == 1002
        r = who.upload(s, ("a.png", b"x"))
        assert r.status_code == 404 and r.json()["code"] == 1002
        r = who.chat_raw(s, "make it jiggle")
        assert r.status_code == 404 and r.json()["code"] == 1002
        assert r.headers["content-type"].startswith("application/json")  # before any streaming
    # someone else's user id in the path does not reach alice's session either
    r = bob.http.get(f"/api/state/nemo_agent/{alice.user_id}/{sid}/latest")
    assert r.status_code == 404 and r.json()["code"] == 1002


def test_bad_json_is_a_clear_400(api: Api) -> None:
    r = api.http.post(
        "/run_sse", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 400 and r.json()["message"] == "The request body must be a JSON object."


def test_expired_token_is_1001_and_the_same_client_id_gets_back_in(engine: RunningEngine) -> None:
    api = Api(engine.url, client_id="expiring")
    sid = api.new_session()
    store = engine.engine.store
    with store._tx() as db:  # a week later
        db.execute("UPDATE tokens SET expires_at = 0")
    r = api.http.get(f"/api/state/nemo_agent/me/{sid}/latest")
    assert r.status_code == 401 and r.json()["code"] == 1001
    again = Api(engine.url, client_id="expiring")
    assert again.user_id == api.user_id and again.state(sid)["draft"] is None
