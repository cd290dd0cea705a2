"""The nemo-nb command: help, the install check, and a clear word on bad input."""

from __future__ import annotations

import subprocess
import sys


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "nemo_nb.cli", *args], capture_output=True, text=True, timeout=60
    )


def test_help_lists_the_commands():
    out = _run("--help")
    assert out.returncode == 0
    assert "demo" in out.stdout and "serve" in out.stdout


def test_demo_check_reports_a_working_install():
    out = _run("demo", "--check")
    assert out.returncode == 0, out.stderr
    assert "H.264 encoder available" in out.stdout


def test_unknown_command_is_an_error():
    out = _run("frobnicate")
    assert out.returncode == 2
    assert "unknown command 'frobnicate'" in out.stderr
