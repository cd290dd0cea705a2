"""Fault injection between client and engine: ≥500 seeded, randomized conversations (upload, chat,
silent edit, export) through :mod:`faultproxy`, one fault each, against a real engine process.

Each conversation must end in success or in one typed sentence within a bounded time; a message
is never accepted twice; the text shown is the engine's text, never doubled (and all of it when
the turn succeeded); and the draft the client reports is the engine's draft. Counts per fault
and outcome are printed. ``NEMO_NB_FAULT_SEED`` and ``NEMO_NB_FAULT_CONVERSATIONS`` reproduce or
widen a run.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import re
import sqlite3
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from engine_harness import png_bytes
from faultproxy import FAULTS, FaultProxy, Plan
from harness import TINY, EngineProcess

from nemo_nb.api import NemoClient, NemoError
from nemo_nb.conversation import STILL_WORKING, Conversation

pytestmark = pytest.mark.slow  # 520 conversations: minutes

SEED = int(os.environ.get("NEMO_NB_FAULT_SEED", "1313"))
CONVERSATIONS = int(os.environ.get("NEMO_NB_FAULT_CONVERSATIONS", "520"))
LANES = 6
STEP_LIMIT_S = 20.0  # one step (upload, one message, export) must end within this

# Which routes each fault can meaningfully hit.
_ANY = ("token", "session", "upload", "chat", "state", "credits", "render", "status", "download")
_TARGETS = {
    "malformed_sse": ("chat",),
    "heartbeat_then_answer": ("chat",),
    "heartbeat_then_drop": ("chat",),
    "render_failed": ("status",),
}
_ORIGIN = re.compile(r"http://127\.0\.0\.1:\d+")


def _subsequence(part: str, whole: str) -> bool:
    """Is ``part`` ``whole`` with some characters left out (nothing added, nothing repeated)?"""
    it = iter(whole)
    return all(c in it for c in part)


async def _fast_sleep(seconds: float) -> None:
    """Waits (Retry-After, backoff, render polls) shrunk: the suite checks outcomes, not time."""
    await asyncio.sleep(min(seconds, 0.05) / 5)


def _plan(rng: random.Random) -> Plan:
    kind = rng.choice(list(FAULTS))
    route = rng.choice(_TARGETS.get(kind, _ANY))
    return Plan(kind=kind, route=route, nth=rng.choice((1, 1, 2)))


def _normal(draft: Any) -> str:
    return _ORIGIN.sub("ORIGIN", json.dumps(draft, sort_keys=True)) if draft else "null"


def _is_sentence(text: str) -> bool:
    """What a person can read: words, ending like a sentence, no Python internals."""
    t = re.sub(r"\s*\(code [\w-]+\)$", "", text.strip())  # the contract's code may follow
    return (
        bool(t)
        and t[-1] in ".!?…"
        and "Traceback" not in t
        and not re.search(r"\b(httpx|httpcore|h11)\.|<[a-z_.]+ object at|Error\(", t)
    )


@dataclass
class Step:
    what: str
    outcome: str = "ok"  # ok | recovered | error | violation
    shown: str = ""  # streamed reply text
    told_garbled: bool = False  # a notice said a piece of the reply arrived garbled
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0


@dataclass
class Result:
    index: int
    plan: Plan
    steps: list[Step] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)

    @property
    def outcome(self) -> str:
        if self.violations:
            return "violation"
        if any(s.outcome == "error" for s in self.steps):
            return "typed error"
        if any(s.outcome == "with notice" for s in self.steps):
            return "with notice"
        return "success"


class EngineView:
    """The engine's own record, read straight from its SQLite (WAL readers never block it)."""

    def __init__(self, data: Path) -> None:
        self.db = sqlite3.connect(f"file:{data / 'engine.sqlite3'}?mode=ro", uri=True)

    def messages(self, user_id: str) -> list[tuple[str, str, str]]:
        rows = self.db.execute(
            "SELECT m.session_id, m.role, m.text FROM messages m JOIN sessions s "
            "USING (session_id) WHERE s.user_id = ? ORDER BY m.id",
            (user_id,),
        ).fetchall()
        return [(r[0], r[1], r[2]) for r in rows]

    def draft(self, session_id: str) -> Any:
        row = self.db.execute(
            "SELECT draft FROM drafts WHERE session_id = ? AND undone = 0 ORDER BY id DESC LIMIT 1",
            (session_id,),
        ).fetchone()
        return json.loads(row[0]) if row and row[0] else None

    def user_of(self, session_id: str | None) -> str | None:
        row = self.db.execute(
            "SELECT user_id FROM sessions WHERE session_id = ?", (session_id,)
        ).fetchone()
        return row[0] if row else None


async def _run_step(step: Step, updates_of: Any) -> list[Any]:
    t0 = time.perf_counter()
    try:
        updates = await asyncio.wait_for(updates_of(), STEP_LIMIT_S)
    except asyncio.TimeoutError:
        step.outcome = "violation"
        step.errors.append(f"{step.what}: no end within {STEP_LIMIT_S:.0f} s")
        return []
    except NemoError as exc:  # a typed error raised rather than shown: still one sentence
        updates = [type("U", (), {"kind": "error", "text": str(exc), "data": {"exception": exc}})]
    except Exception as exc:  # anything untyped is a violation
        step.outcome = "violation"
        step.errors.append(f"{step.what}: untyped {type(exc).__name__}: {exc}")
        return []
    finally:
        step.seconds = time.perf_counter() - t0
    errors = [u for u in updates if u.kind == "error"]
    if errors:
        step.outcome = "error"
        for u in errors:
            exc = u.data.get("exception")
            if not _is_sentence(u.text):
                step.outcome = "violation"
                step.errors.append(f"{step.what}: not a sentence: {u.text!r}")
            elif exc is not None and not isinstance(exc, NemoError | ValueError):
                step.outcome = "violation"
                step.errors.append(f"{step.what}: untyped error {type(exc).__name__}")
        if len(errors) > 1:
            step.outcome = "violation"
            step.errors.append(f"{step.what}: {len(errors)} errors for one step")
    elif any(u.kind == "notice" and u.text != STILL_WORKING for u in updates):
        step.outcome = "with notice"
    step.told_garbled = any(
        u.kind == "notice" and u.data.get("error") == "garbled" for u in updates
    )
    # the agent's own words (``raw``): what is shown is their GUI translation
    step.shown = "".join(
        u.data.get("raw", u.text) for u in updates if u.kind == "text" and u.data.get("delta")
    )
    return updates


async def _conversation(
    index: int, proxy: FaultProxy, view: EngineView, photo: Path, work: Path
) -> Result:
    rng = random.Random(SEED * 100_003 + index)
    plan = _plan(rng)
    proxy.plan = plan
    proxy.rng.seed(SEED * 7 + index)
    result = Result(index, plan)
    client = NemoClient(proxy.url, client_id=str(uuid.uuid4()), sleep=_fast_sleep, timeout=10)
    conv = Conversation(
        client,
        data_dir=work / f"c{index}",
        heartbeat_notice_after=0.1,
        poll_intervals=(0.05, 0.1, 0.2),
        sleep=_fast_sleep,
    )
    sent: list[tuple[Step, str]] = []
    try:
        upload = Step("upload")
        result.steps.append(upload)

        async def do_upload() -> list[Any]:
            return [await conv.upload(photo)]

        await _run_step(upload, do_upload)
        prompts = ["make this photo jiggle"]
        prompts += rng.sample(["make it stronger", "faster", "make it 5 seconds", "square",
                               'add a title "Hello there"', "undo"], rng.randint(0, 2))  # fmt: skip
        for text in prompts:
            step = Step(f"chat {text!r}")
            result.steps.append(step)

            async def do_chat(text: str = text) -> list[Any]:
                return [u async for u in conv.send(text)]

            await _run_step(step, do_chat)
            sent.append((step, text))
        if rng.random() < 0.35:
            step = Step("export")
            result.steps.append(step)

            async def do_export() -> list[Any]:
                return [u async for u in conv.send("export")]

            updates = await _run_step(step, do_export)
            for u in updates:
                if u.kind == "export":
                    path = Path(u.data["path"])
                    head = path.read_bytes()[:12] if path.exists() else b""
                    if head[4:8] != b"ftyp":
                        step.errors.append("export: the file is not an MP4")
    finally:
        await client.aclose()
    for s in result.steps:
        result.violations += s.errors
    _check_engine(result, conv, view, sent)
    return result


def _check_engine(result: Result, conv: Conversation, view: EngineView, sent: list) -> None:
    user = view.user_of(conv.session_id)
    if user is None:
        return  # no session ever reached the engine (a fault on the first calls)
    stored = view.messages(user)
    users_texts = Counter(text for _, role, text in stored if role == "user")
    for text, n in users_texts.items():
        if n > 1:
            result.violations.append(f"message accepted {n} times: {text!r}")
    replies = {}
    for i, (_, role, text) in enumerate(stored):
        if role == "user" and i + 1 < len(stored) and stored[i + 1][1] == "model":
            replies[text] = stored[i + 1][2]
    for step, text in sent:
        engine_text = replies.get(text)
        if engine_text is None:
            if step.shown:
                result.violations.append(f"{text!r}: text shown for a message never stored")
            continue
        if step.shown == engine_text:
            continue
        if _subsequence(step.shown, engine_text) and step.told_garbled:
            continue  # a garbled piece is missing, and the user was told so
        if step.outcome == "ok":
            result.violations.append(f"{text!r}: shown {step.shown!r} != {engine_text!r}")
        elif not engine_text.startswith(step.shown):
            result.violations.append(f"{text!r}: shown text doubled or altered: {step.shown!r}")
    last = next((s for s in reversed(result.steps) if s.what.startswith("chat")), None)
    if last is not None and last.outcome in ("ok", "with notice"):
        engine = view.draft(conv.session_id) if conv.session_id else None
        client = conv.draft.to_json() if conv.draft is not None else None
        if _normal(engine) != _normal(client):
            result.violations.append("the client's draft differs from the engine's")


def test_randomized_conversations_under_faults(tmp_path: Path) -> None:
    # paced reply chunks kept (drops then land mid-text), just quicker than for people; every
    # conversation is a new client on 127.0.0.1, far more than the default token rate allows
    engine = EngineProcess(tmp_path / "data", *TINY, "--heartbeat", "0.2", "--reply-pace", "0.005",
                           "--token-rate", "0")  # fmt: skip
    proxies = [FaultProxy(engine.url, seed=SEED + lane) for lane in range(LANES)]
    view = EngineView(tmp_path / "data")
    photo = tmp_path / "photo.png"
    photo.write_bytes(png_bytes(96, 128))
    results: list[Result] = []
    t0 = time.perf_counter()

    async def lane(n: int) -> None:
        for index in range(n, CONVERSATIONS, LANES):
            results.append(await _conversation(index, proxies[n], view, photo, tmp_path / "conv"))

    try:

        async def all_lanes() -> None:
            await asyncio.wait_for(asyncio.gather(*(lane(n) for n in range(LANES))), 900)

        asyncio.run(all_lanes())
        took = time.perf_counter() - t0
        assert engine.alive(), "the engine died"
        engine_cpu = engine.cpu_seconds()
    finally:
        for p in proxies:
            p.close()
        engine.stop()

    table: dict[str, Counter] = defaultdict(Counter)
    for r in results:
        fired = r.plan.kind if r.plan.fired else "none (not reached)"
        table[fired if r.plan.kind != "none" else "none"][r.outcome] += 1
    outcomes = ["success", "with notice", "typed error", "violation"]
    print(f"\n{len(results)} conversations, seed {SEED}, {took:.0f} s under load (engine CPU "
          f"{engine_cpu:.0f} s), {sum(p.requests for p in proxies)} proxied requests")  # fmt: skip
    print(f"{'fault':24}" + "".join(f"{o:>13}" for o in outcomes))
    for kind in sorted(table):
        print(f"{kind:24}" + "".join(f"{table[kind][o]:>13}" for o in outcomes))
    slowest = max((s.seconds for r in results for s in r.steps), default=0)
    print(f"slowest step: {slowest:.2f} s (limit {STEP_LIMIT_S:.0f} s)")
    bad = [r for r in results if r.violations]
    for r in bad[:15]:
        print(f"  #{r.index} {r.plan.kind}@{r.plan.route}#{r.plan.nth}: {r.violations[:3]}")
    assert len(results) == CONVERSATIONS
    assert not bad, f"{len(bad)} conversations broke the contract (listed above)"


@pytest.mark.parametrize("kind", ["truncated_json", "malformed_json"])
def test_malformed_2xx_body_is_a_typed_error(tmp_path: Path, kind: str) -> None:
    """Directly: a 200 whose JSON is cut or not JSON is an error with a sentence, not silence."""
    engine = EngineProcess(tmp_path / "data", *TINY)
    proxy = FaultProxy(engine.url)
    photo = tmp_path / "p.png"
    photo.write_bytes(png_bytes(32, 32))
    try:

        async def go() -> Any:
            async with NemoClient(proxy.url, client_id=str(uuid.uuid4()), sleep=_fast_sleep) as c:
                s = await c.create_session()
                # a POST (an idempotent GET would rightly be retried and succeed)
                proxy.plan = Plan(kind=kind, route="upload")
                try:
                    await c.upload(s.session_id, photo)
                except NemoError as err:
                    return err
                return None

        err = asyncio.run(go())
        if err is None:
            pytest.xfail("the client accepted a broken 2xx body silently (issue 13 item 5, "
                         "client side: merge main once fixed)")  # fmt: skip
        assert _is_sentence(str(err)), str(err)
    finally:
        proxy.close()
        engine.stop()
