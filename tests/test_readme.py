"""Every code block in README.md does what the README says, offline on the engine.

The rule (also written at the end of README.md, in a comment):

- every ```python block runs, in order, in one namespace, with top-level ``await`` allowed (as in
  a notebook cell), in a scratch folder, on the embedded engine;
- a ```text block right after a python block (nothing but an optional "prints" line between them)
  is exactly what that block prints; ``...`` in it matches any text;
- ```bash blocks are shell commands and are not run here: each ``nemo-nb ...`` line is parsed by
  that command's real argument parser, and each script or file they name must exist;
- any other block (the layout) is not code.
"""

from __future__ import annotations

import ast
import asyncio
import contextlib
import inspect
import io
import re
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```\s*$", re.M | re.S)


@dataclass
class Block:
    lang: str
    code: str
    line: int
    expected: str | None = None  # what a python block prints, from the text block after it


def readme_blocks(text: str) -> list[Block]:
    blocks: list[Block] = []
    previous_end = 0
    for match in FENCE.finditer(text):
        lang, code = match.group(1), match.group(2)
        line = text.count("\n", 0, match.start()) + 1
        between = text[previous_end : match.start()].strip()
        if (
            lang == "text"
            and blocks
            and blocks[-1].lang == "python"
            and blocks[-1].expected is None
            and between in ("", "prints")
        ):
            blocks[-1].expected = code
        else:
            blocks.append(Block(lang, code, line))
        previous_end = match.end()
    return blocks


def matches(expected: str, actual: str) -> bool:
    """``actual`` equals ``expected`` line for line (trailing spaces aside); ``...`` is a wildcard."""

    def tidy(s: str) -> str:
        return "\n".join(line.rstrip() for line in s.strip("\n").splitlines())

    pattern = ".*?".join(re.escape(part) for part in tidy(expected).split("..."))
    return re.fullmatch(pattern, tidy(actual), re.S) is not None


BLOCKS = readme_blocks(README.read_text(encoding="utf-8"))


def test_the_readme_has_the_blocks_the_rule_expects():
    langs = {b.lang for b in BLOCKS}
    assert langs <= {"python", "bash", "text"}, langs
    python = [b for b in BLOCKS if b.lang == "python"]
    assert len(python) >= 5
    # The first example: the sample photo, each reply printed once, the strength change shown.
    first = python[0]
    assert "nemo_nb.sample_photo()" in first.code
    assert first.expected and "Effect strength on grace_hopper.jpg 50% → 35%" in first.expected
    assert first.expected.count("Agent: ") == 1


def test_matching_rule():
    assert matches("a ... c\nd", "a b b c\nd  \n")
    assert not matches("a ... c", "a b d")
    assert not matches("x", "x\ny")


def _run_python_blocks(blocks: list[Block]) -> None:
    namespace: dict[str, Any] = {"__name__": "__readme__"}
    loop = asyncio.new_event_loop()
    try:
        for block in blocks:
            code = compile(
                block.code, f"README.md:{block.line}", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
            )
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                result = eval(code, namespace)
                if inspect.iscoroutine(result):
                    loop.run_until_complete(result)
            if block.expected is not None:
                assert matches(block.expected, out.getvalue()), (
                    f"README.md line {block.line} printed:\n{out.getvalue()}\n"
                    f"but the README says:\n{block.expected}"
                )
    finally:
        for value in list(namespace.values()):
            if hasattr(value, "aclose") and type(value).__name__ == "NemoClient":
                with contextlib.suppress(Exception):
                    loop.run_until_complete(value.aclose())
        loop.close()


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_every_python_block_runs_and_prints_what_the_readme_says(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    _run_python_blocks([b for b in BLOCKS if b.lang == "python"])
    assert (tmp_path / "jiggle.mp4").stat().st_size > 10_000  # the first example's export


def _parsers() -> dict[str, Any]:
    from nemo_nb import _demo, _doctor, _render_cli
    from nemo_nb.engine.__main__ import _parser as serve_parser

    return {
        "demo": _demo.build_parser(),
        "render": _render_cli.build_parser(),
        "doctor": _doctor.build_parser(),
        "serve": serve_parser(),
    }


def test_every_shell_command_is_real(pytestconfig):
    parsers = _parsers()
    seen = set()
    for block in (b for b in BLOCKS if b.lang == "bash"):
        for raw in block.code.splitlines():
            words = shlex.split(raw, comments=True)
            for command in _split_and(words):
                if command[0] == "nemo-nb":
                    parsers[command[1]].parse_args(command[2:])  # exits (fails) on a bad option
                    seen.add(command[1])
                elif command[0] in ("bash", "python"):
                    assert (ROOT / command[1]).is_file(), command
                elif command[:2] == ["pip", "install"]:
                    extra = (
                        re.fullmatch(r"\.(?:\[(\w+)\])?", command[3])
                        if command[2:3] == ["-e"]
                        else None
                    )
                    assert extra and len(command) == 4, command
                    assert extra[1] in (None, *_extras()), (
                        f"no extra {extra[1]!r} in pyproject.toml"
                    )
                elif command[:2] == ["jupyter", "lab"]:
                    assert (ROOT / command[2]).is_file(), command
                elif command[0] == "pytest":
                    _check_pytest_options(command[1:], pytestconfig)
                else:
                    raise AssertionError(f"README.md line {block.line}: unknown command {raw!r}")
    assert seen == set(parsers), seen  # every subcommand is shown at least once


def _check_pytest_options(options: list[str], config: pytest.Config) -> None:
    """A ``-m`` expression names only markers pyproject declares; ``-n`` needs pytest-xdist."""
    declared = {line.split(":")[0].strip() for line in config.getini("markers")}
    for option, value in zip(options, options[1:], strict=False):
        if option == "-m":
            names = set(re.findall(r"\w+", value)) - {"not", "and", "or"}
            assert names and names <= declared, (value, declared)
        elif option == "-n":
            assert value.isdigit() and config.pluginmanager.hasplugin("xdist"), value


def _extras() -> set[str]:
    """The extras pyproject.toml declares (read by hand: tomllib is Python 3.11+)."""
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    section = text.split("[project.optional-dependencies]", 1)[1].split("\n[", 1)[0]
    return set(re.findall(r"^(\w[\w-]*) = \[", section, re.MULTILINE))


def _split_and(words: list[str]) -> list[list[str]]:
    commands, current = [], []
    for word in words:
        if word == "&&":
            commands.append(current)
            current = []
        else:
            current.append(word)
    if current:
        commands.append(current)
    return commands
