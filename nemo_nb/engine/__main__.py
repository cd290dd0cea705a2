"""Run the engine: ``python -m nemo_nb.engine`` or ``nemo-nb serve [--host H] [--port N] ...``.

Binds 127.0.0.1 unless told otherwise, prints where it listens (never a token unless asked with
``--print-token``), writes the state file once it serves, and removes it on the way out.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib
import ipaddress
import logging
import os
import signal
import socket
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nemo_nb._paths import data_dir
from nemo_nb._version import __version__
from nemo_nb.engine import _sse, launcher, limits

if TYPE_CHECKING:
    import uvicorn
    from starlette.applications import Starlette

    from nemo_nb.engine.app import EngineConfig

log = logging.getLogger("nemo_nb.engine")


def _env_float(name: str, default: float) -> float:
    try:
        return float(os.environ.get(name, default))
    except ValueError:
        return default


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="nemo-nb serve",
        description="Run nemo-nb's embedded engine: the NemoVideo agent API on this machine, "
        "offline, rendering for real.",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1; "
                   "0.0.0.0 to serve a room)")  # fmt: skip
    p.add_argument("--port", type=int, default=0, help="port (default: any free port)")
    p.add_argument("--allow-host", action="append", default=[], metavar="NAME",
                   help="another name clients use to reach the engine (repeatable); loopback "
                   "names, the --host value and, beyond loopback, this machine's names and any "
                   "IP address are always accepted")  # fmt: skip
    p.add_argument("--allow-private-urls", action="store_true", help="let URL uploads fetch "
                   "loopback, private and link-local addresses (default: public addresses only)")  # fmt: skip
    p.add_argument("--render-stall-timeout", type=float, metavar="SECONDS",
                   default=_env_float("NEMO_NB_RENDER_STALL_TIMEOUT", 90.0),
                   help="seconds a render may go without progress before it is failed and its "
                   "worker replaced (default 90)")  # fmt: skip
    p.add_argument("--read-timeout", type=float, metavar="SECONDS",
                   default=_env_float("NEMO_NB_READ_TIMEOUT", limits.READ_TIMEOUT_S),
                   help="seconds a client may take to send its request headers, or pause inside "
                   f"a body, before it gets a 408 (default {limits.READ_TIMEOUT_S:g})")  # fmt: skip
    p.add_argument("--token-rate", type=int, metavar="N",
                   default=int(_env_float("NEMO_NB_TOKEN_RATE", limits.ANON_TOKENS_PER_MINUTE)),
                   help="new anonymous tokens one client address may get per minute (default "
                   f"{limits.ANON_TOKENS_PER_MINUTE}; 0: no limit)")  # fmt: skip
    p.add_argument("--agent-budget", type=float, metavar="SECONDS",
                   default=_env_float("NEMO_NB_AGENT_BUDGET", limits.AGENT_SECONDS_PER_MINUTE),
                   help="CPU seconds of agent work one user's turns may take a minute; more "
                   f"waits (default {limits.AGENT_SECONDS_PER_MINUTE:g}; 0: no limit)")  # fmt: skip
    p.add_argument("--data-dir", type=Path, default=None, help="default: NEMO_NB_HOME or the "
                   "platform data dir")  # fmt: skip
    p.add_argument(
        "--credit-cost",
        type=int,
        default=int(_env_float("NEMO_NB_CREDIT_COST", 0)),
        help="credits one agent generation costs (env NEMO_NB_CREDIT_COST; default 0: never "
        "runs out)",
    )
    p.add_argument("--heartbeat", type=float, default=_env_float("NEMO_NB_HEARTBEAT", 15.0),
                   help="seconds between keep-alive pings in a chat stream (default 15)")  # fmt: skip
    p.add_argument("--reply-pace", type=float, metavar="SECONDS",
                   default=_env_float("NEMO_NB_REPLY_PACE", _sse.REPLY_PACE_S),
                   help="pause between streamed chunks of a reply (env NEMO_NB_REPLY_PACE; "
                   f"default {_sse.REPLY_PACE_S}; 0 for none)")  # fmt: skip
    p.add_argument("--workers", type=int, default=1, help="render worker threads (default 1)")
    p.add_argument("--owned", action="store_true", help="exit once no owner process holds a "
                   "lease (how nemo_nb.connect() starts it)")  # fmt: skip
    p.add_argument("--lease-interval", type=float, default=_env_float("NEMO_NB_LEASE_INTERVAL", 3.0),
                   help="seconds between owner checks with --owned (default 3)")  # fmt: skip
    p.add_argument("--print-token", action="store_true", help="issue a token and print it "
                   "(for curl); otherwise no token is ever printed")  # fmt: skip
    p.add_argument("--agent", metavar="MODULE:FUNC", help="use another interpret() (tests, "
                   "experiments); default nemo_nb.engine.agent:interpret")  # fmt: skip
    p.add_argument("--renderer", metavar="MODULE:FUNC", help="use another render_draft() "
                   "(tests); default nemo_nb.render:render_draft")  # fmt: skip
    p.add_argument("--log-level", default="warning", choices=["debug", "info", "warning", "error"])
    p.add_argument("--version", action="version", version=f"nemo-nb engine {__version__}")
    return p


def _load(spec: str | None) -> Callable[..., Any] | None:
    if not spec:
        return None
    module, _, name = spec.partition(":")
    return getattr(importlib.import_module(module), name)


def _url(host: str, port: int) -> str:
    shown = "127.0.0.1" if host in ("0.0.0.0", "") else host
    shown = f"[{shown}]" if ":" in shown else shown
    return f"http://{shown}:{port}"


_BEYOND_LOOPBACK_WARNING = (
    "WARNING: this engine is reachable from other machines. Anyone who can reach this port can "
    "get a free token and use it (upload, chat, render, fill the disk); traffic is plain HTTP, "
    "not encrypted. Serve only on a network you trust (a classroom), and stop it afterwards."
)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _allowed_hosts(host: str, extra: Sequence[str], beyond: bool) -> list[str]:
    """Names the Host header may carry: the bound name, ``--allow-host`` and, when serving beyond
    loopback, this machine's own names (IP addresses are then accepted anyway)."""
    names = [host, *extra]
    if beyond:
        me = socket.gethostname()
        names += [me, socket.getfqdn(), f"{me.split('.')[0]}.local"]  # .local: mDNS (Bonjour)
    unique = dict.fromkeys(n for n in names if n and n not in ("0.0.0.0", "::"))
    return list(unique)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the engine until interrupted (or, with ``--owned``, until its last owner is gone)."""
    args = _parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(name)s: %(message)s")
    os.umask(0o077)  # everything the engine writes (database, media, renders, logs) is the user's
    root = (args.data_dir or data_dir()).expanduser().resolve()
    root.mkdir(mode=0o700, parents=True, exist_ok=True)

    lock = launcher.run_lock(root)
    deadline = time.monotonic() + 15
    # An engine that has just let go (state file gone) may still be shutting down: wait for it.
    while lock is None and launcher.read_state(root) is None and time.monotonic() < deadline:
        time.sleep(0.1)
        lock = launcher.run_lock(root)
    if lock is None:
        st = launcher.read_state(root) or {}
        print(f"An engine is already running for {root}" + (f" at {st['url']}" if st.get("url")
              else "") + "; stop it first or use another --data-dir.", file=sys.stderr)  # fmt: skip
        return 1
    try:
        family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((args.host, args.port))
        except OSError as exc:
            print(f"Cannot listen on {args.host}:{args.port}: {exc.strerror}.", file=sys.stderr)
            return 1
        port = sock.getsockname()[1]
        return asyncio.run(_serve(args, root, sock, port))
    finally:
        lock.close()


async def _serve(args: argparse.Namespace, root: Path, sock: socket.socket, port: int) -> int:
    """Serve the engine's app on ``sock`` until told to stop: announce it once it listens, watch
    for owners if ``--owned``, and always clear the state file on the way out."""
    import uvicorn

    from nemo_nb.engine._server import server_config
    from nemo_nb.engine.app import create_app

    config = _engine_config(args, root)
    app = create_app(config)
    server = uvicorn.Server(
        server_config(app, read_timeout=config.read_timeout, log_level=args.log_level)
    )
    _ignore_reraised_signals()
    tasks = [asyncio.ensure_future(_announce(server, args, root, port, app))]
    if args.owned:
        tasks.append(asyncio.ensure_future(_watch_owners(server, root, args.lease_interval)))
    try:
        await server.serve(sockets=[sock])
    finally:
        for t in tasks:
            t.cancel()
        launcher.clear_state(root, os.getpid())
    return 0


def _engine_config(args: argparse.Namespace, root: Path) -> EngineConfig:
    """The command line as an :class:`EngineConfig`, out-of-range numbers brought into range."""
    from nemo_nb.engine.app import EngineConfig

    beyond = not _is_loopback(args.host)
    return EngineConfig(
        data_dir=root,
        credit_cost=max(0, args.credit_cost),
        heartbeat_interval=max(0.05, args.heartbeat),
        reply_pace=max(0.0, args.reply_pace),
        workers=max(1, args.workers),
        interpret=_load(args.agent),
        renderer=_load(args.renderer),
        allowed_hosts=_allowed_hosts(args.host, args.allow_host, beyond),
        serve_beyond_loopback=beyond,
        allow_private_urls=args.allow_private_urls,
        render_stall_timeout=max(0.1, args.render_stall_timeout),
        read_timeout=max(0.1, args.read_timeout),
        anonymous_tokens_per_minute=max(0, args.token_rate),
        agent_seconds_per_minute=max(0.0, args.agent_budget),
    )


async def _announce(
    server: uvicorn.Server, args: argparse.Namespace, root: Path, port: int, app: Starlette
) -> None:
    """Once the server listens: write the state file, then print where it listens (last, as
    scripts wait for that line), with the token if asked and the warning beyond loopback."""
    while not server.started:
        if server.should_exit:
            return
        await asyncio.sleep(0.02)
    config = app.state.engine.config
    url = _url(args.host, port)
    launcher.write_state(
        root,
        {
            "pid": os.getpid(),
            "url": url,
            "host": args.host,
            "port": port,
            "instance": config.instance,
            "version": __version__,
            "owned": args.owned,
            "started_at": time.time(),
        },  # fmt: skip
    )
    if args.print_token:
        token, user, _ = app.state.engine.store.issue_token("nemo-nb-serve")
        print(f"token for {user.user_id} (asked for with --print-token): {token}", flush=True)
    if config.serve_beyond_loopback:
        print(_BEYOND_LOOPBACK_WARNING, file=sys.stderr, flush=True)
        names = ", ".join(config.allowed_hosts)
        print(f"It answers to {names} and any IP address; add another name with "
              "--allow-host NAME.", file=sys.stderr, flush=True)  # fmt: skip
    if args.host in ("0.0.0.0", "::", ""):
        print(f"other machines: http://{socket.gethostname()}:{port}", flush=True)
    print(f"nemo-nb engine listening on {url} (data: {root})", flush=True)


async def _watch_owners(server: uvicorn.Server, root: Path, interval: float) -> None:
    """With ``--owned``: stop the server once no owner process holds a lease, or the data dir is
    gone."""
    while not server.should_exit:
        await asyncio.sleep(interval)
        if not root.is_dir():
            # Deleted under us (a test's tmp dir, a user cleaning up): nobody can attach any
            # more and the leases are gone with it, so stop rather than live on forever.
            log.warning("the data dir %s is gone; the engine stops", root)
            server.should_exit = True
            return
        if launcher.live_owners(root):
            continue
        # Decide under the start lock so that a process attaching right now either sees
        # the state file gone (and starts a new engine) or gets its lease counted.
        if await asyncio.to_thread(_last_owner_gone, root):
            log.warning("no owner process left; the engine stops")
            server.should_exit = True


def _ignore_reraised_signals() -> None:
    """uvicorn handles SIGINT/SIGTERM (graceful shutdown) and then re-raises the signal to the
    handler that was installed before it; make that a no-op so we clean up and exit 0."""
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(ValueError):  # not the main thread
            signal.signal(sig, lambda *_: None)


def _last_owner_gone(root: Path) -> bool:
    with launcher.start_lock(root):
        if launcher.live_owners(root):
            return False
        launcher.clear_state(root, os.getpid())
        return True


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        raise SystemExit(main())
