"""The nemo-nb command: one table of subcommands, each a module with its own main(argv)."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

# command -> (module whose main(argv) runs it, one line for `nemo-nb --help`)
COMMANDS: dict[str, tuple[str, str]] = {
    "demo": ("nemo_nb._demo", "check the install, then animate the sample photo on the engine"),
    "render": ("nemo_nb._render_cli", "photos + prompts -> MP4 in one go (engine or cloud)"),
    "doctor": ("nemo_nb._doctor", "check versions, encoder, fonts, data dir, engine, cloud"),
    "serve": (
        "nemo_nb.engine.__main__",
        "run the embedded engine (one for a room: --host 0.0.0.0)",
    ),
}

EPILOG = "Run `nemo-nb COMMAND --help` for a command's options."


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``nemo-nb`` console script."""
    from nemo_nb._version import __version__

    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(
        prog="nemo-nb",
        description="Turn still photos into short motion videos by talking to an agent.",
        epilog=EPILOG,
    )
    parser.add_argument("--version", action="version", version=f"nemo-nb {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (_, help_text) in COMMANDS.items():
        sub.add_parser(name, help=help_text, add_help=False)
    if not argv or argv[0] in ("-h", "--help", "--version"):
        if argv and argv[0] == "--version":
            parser.parse_args(argv)
        parser.print_help()
        return 0 if argv else 2
    command, rest = argv[0], argv[1:]
    if command not in COMMANDS:
        parser.error(f"unknown command {command!r}")
    module = importlib.import_module(COMMANDS[command][0])
    return int(module.main(rest) or 0)


if __name__ == "__main__":
    raise SystemExit(main())
