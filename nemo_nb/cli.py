"""The ``nemo-nb`` command line: ``demo`` renders the sample photo, ``serve`` hosts an engine."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


def _serve(argv: Sequence[str]) -> int:
    from nemo_nb.engine.__main__ import main as engine_main

    return engine_main(list(argv))


def _demo(argv: Sequence[str]) -> int:
    from nemo_nb._demo import main as demo_main

    return demo_main(list(argv))


_COMMANDS = {
    "demo": (_demo, "render the sample photo into a jiggle loop on the embedded engine"),
    "serve": (_serve, "run the embedded engine (one for a whole room: --host 0.0.0.0)"),
}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``nemo-nb`` console script."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(
        prog="nemo-nb",
        description="Turn still photos into short motion videos by talking to an agent.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (_, help_text) in _COMMANDS.items():
        sub.add_parser(name, help=help_text, add_help=False)
    if not argv or argv[0] in ("-h", "--help"):
        parser.print_help()
        return 0 if argv else 2
    command, rest = argv[0], argv[1:]
    if command not in _COMMANDS:
        parser.error(f"unknown command {command!r}")
    return _COMMANDS[command][0](rest)


if __name__ == "__main__":
    raise SystemExit(main())
