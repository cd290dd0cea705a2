"""How much does NemoClient.chat cost over a bare httpx-sse loop?

Streams 20,000 ADK-style events from uvicorn on 127.0.0.1 (in a child process, so the server does
not compete with the client for the GIL) and prints events/s for:

* ``httpx-sse raw``: ``aconnect_sse`` + ``aiter_sse()``, counting events (the floor);
* ``httpx-sse + json``: the same plus ``json.loads`` of each event (what any consumer must do);
* ``NemoClient.chat``: typed ChatEvents (comment detection, frame parsing, de-duplication).

and the ratio of chat to each (target: >= 0.8 against the raw loop). A script, not a test::

    python benchmarks/sse_bench.py [--events 20000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import time

EVENTS = 20_000


def _frame(i: int) -> bytes:
    event = {
        "content": {"parts": [{"text": f"chunk {i} of the agent's reply. "}], "role": "model"},
        "invocationId": "e-bench",
        "author": "nemo_agent",
        "actions": {"stateDelta": {}, "artifactDelta": {}},
        "id": f"{i:08d}",
        "timestamp": 1773423613.6 + i,
    }
    return b"data: " + json.dumps(event, separators=(",", ":")).encode() + b"\n\n"


def _serve(n: int, port_queue: mp.Queue) -> None:
    import threading

    import uvicorn
    from starlette.applications import Starlette
    from starlette.responses import StreamingResponse
    from starlette.routing import Route

    body = b"".join(_frame(i) for i in range(n))
    chunk = 16 * 1024

    async def run_sse(request):
        await request.body()

        async def stream():
            for i in range(0, len(body), chunk):
                yield body[i : i + chunk]

        return StreamingResponse(stream(), media_type="text/event-stream")

    app = Starlette(routes=[Route("/run_sse", run_sse, methods=["POST"])])
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    )

    def report() -> None:
        while not server.started:
            time.sleep(0.01)
        port_queue.put(server.servers[0].sockets[0].getsockname()[1])

    threading.Thread(target=report, daemon=True).start()
    server.run()


async def _raw(client, base: str, parse: bool) -> int:
    from httpx_sse import aconnect_sse

    count = 0
    async with aconnect_sse(client, "POST", f"{base}/run_sse", json={"x": 1}) as source:
        async for sse in source.aiter_sse():
            if parse:
                json.loads(sse.data)
            count += 1
    return count


async def _chat(client) -> int:
    count = 0
    async for _event in client.chat("bench", "go"):
        count += 1
    return count


async def _rate(fn, n: int) -> float:
    t0 = time.perf_counter()
    got = await fn()
    dt = time.perf_counter() - t0
    assert got == n, f"expected {n} events, got {got}"
    return n / dt


async def _main(base: str, n: int, repeat: int) -> None:
    import httpx

    from nemo_nb.api import NemoClient

    # Clients are made once: the comparison is of streaming, not of client start-up (an SSL
    # context alone costs tens of milliseconds).
    async with (
        httpx.AsyncClient(timeout=60) as http,
        NemoClient(base, "bench-token-not-checked") as nemo,
    ):
        contenders = {
            "raw": lambda: _raw(http, base, False),
            "raw+json": lambda: _raw(http, base, True),
            "chat": lambda: _chat(nemo),
        }
        for fn in contenders.values():  # warm up connections and imports
            await fn()
        best = dict.fromkeys(contenders, 0.0)
        for _ in range(repeat):  # interleaved, best of each: fair under a noisy, shared CPU
            for name, fn in contenders.items():
                best[name] = max(best[name], await _rate(fn, n))
    raw, raw_json, chat = best["raw"], best["raw+json"], best["chat"]
    print(f"events per run        {n}  (best of {repeat}, interleaved)")
    print(f"httpx-sse raw         {raw:12,.0f} events/s")
    print(f"httpx-sse + json      {raw_json:12,.0f} events/s")
    print(f"NemoClient.chat       {chat:12,.0f} events/s")
    print(f"ratio chat / raw      {chat / raw:12.2f}   (target >= 0.8)")
    print(f"ratio chat / raw+json {chat / raw_json:12.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=EVENTS)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument(
        "--stdlib-json", action="store_true", help="parse frames with json, even if orjson is there"
    )
    args = parser.parse_args()
    from nemo_nb.api import _events

    if args.stdlib_json:
        _events._loads = _events._loads_stdlib
    print(
        f"frame parser          {'json' if _events._loads is _events._loads_stdlib else 'orjson'}"
    )
    ctx = mp.get_context("spawn")
    ports: mp.Queue = ctx.Queue()
    proc = ctx.Process(target=_serve, args=(args.events, ports), daemon=True)
    proc.start()
    try:
        port = ports.get(timeout=30)
        asyncio.run(_main(f"http://127.0.0.1:{port}", args.events, args.repeat))
    finally:
        proc.terminate()
        proc.join(5)


if __name__ == "__main__":
    main()
