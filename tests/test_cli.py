"""The nemo-nb command as a person uses it: help, demo --check, render, and clear words on bad input.

Every command runs as a real subprocess against the real engine (loopback); renders are decoded.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import av
import numpy as np
import pytest

import nemo_nb
from nemo_nb._render_cli import Progress

JIGGLE = "make this photo jiggle and bounce like a looping animated video"


def _run(
    *args: str, cwd: Path | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "nemo_nb.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd,
    )


def _decode(path: Path) -> tuple[int, int, list[np.ndarray]]:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        frames = [f.to_ndarray(format="gray") for f in container.decode(stream)]
        return stream.codec_context.width, stream.codec_context.height, frames


def test_help_lists_the_commands():
    out = _run("--help")
    assert out.returncode == 0
    for command in ("demo", "render", "doctor", "serve"):
        assert command in out.stdout


@pytest.mark.parametrize("command", ["demo", "render", "doctor", "serve"])
def test_every_help_text_is_plain_text(command):
    out = _run(command, "--help")
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith(f"usage: nemo-nb {command}")
    # No reStructuredText or Markdown leaking into a terminal.
    for markup in ("``", ":class:", ":func:", ":meth:", "**"):
        assert markup not in out.stdout, (markup, out.stdout)


@pytest.mark.slow
def test_demo_check_reports_a_working_install():
    out = _run("demo", "--check")
    assert out.returncode == 0, out.stderr
    assert "H.264 encoder available" in out.stdout


@pytest.mark.slow
def test_demo_renders_the_sample_with_plain_progress_lines_when_piped(tmp_path):
    out = _run("demo", "--out", "demo.mp4", cwd=tmp_path, timeout=180)
    assert out.returncode == 0, out.stderr
    assert "Exporting: 100%" in out.stdout and "\r" not in out.stdout
    assert "Done in" in out.stdout and "demo.mp4" in out.stdout
    width, height, frames = _decode(tmp_path / "demo.mp4")
    assert (width, height) == (1080, 1920) and len(frames) >= 30 * 5


def test_unknown_command_is_an_error():
    out = _run("frobnicate")
    assert out.returncode == 2
    assert "unknown command 'frobnicate'" in out.stderr


@pytest.mark.slow
def test_render_two_prompts_writes_a_moving_vertical_mp4(tmp_path):
    out = _run(
        "render",
        str(nemo_nb.sample_photo()),
        "--prompt",
        JIGGLE,
        "--then",
        "make it subtler",
        "--aspect",
        "9:16",
        "-o",
        "jiggle.mp4",
        cwd=tmp_path,
        timeout=180,
    )
    assert out.returncode == 0, out.stderr
    # Both prompts went through the conversation; the second one's change is spelled out.
    assert f"You: {JIGGLE}" in out.stdout
    assert "Effect strength on grace_hopper.jpg 50% → 35%" in out.stdout
    # Piped output: plain progress lines, no carriage-return bar.
    assert "Rendering: 100%" in out.stdout and "\r" not in out.stdout
    path = tmp_path / "jiggle.mp4"
    assert f"Wrote {path.name}" in out.stdout or f"Wrote {path}" in out.stdout
    width, height, frames = _decode(path)
    assert (width, height) == (1080, 1920)
    assert len(frames) >= 30 * 5  # a 6-second clip at 30 fps
    # A jiggle moves: frames differ from the first one, not a still repeated.
    diffs = [np.abs(f.astype(int) - frames[0].astype(int)).mean() for f in frames[::10]]
    assert max(diffs) > 1.0


@pytest.mark.slow
def test_render_preview_writes_only_the_small_preview(tmp_path):
    out = _run(
        "render", str(nemo_nb.sample_photo()), "--prompt", JIGGLE, "--preview",
        cwd=tmp_path, timeout=180,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert "Previewing: 100%" in out.stdout and "Rendering" not in out.stdout
    path = tmp_path / "grace_hopper-jiggle-bounce-preview.mp4"  # named as an export, then -preview
    assert f"Wrote {path.name}" in out.stdout
    print(out.stdout.strip().splitlines()[-1])
    width, height, frames = _decode(path)
    assert (width, height) == (360, 640) and len(frames) == 180  # 6 s at 30 fps, 9:16
    assert [p.name for p in tmp_path.rglob("*.mp4")] == [path.name]  # no export, no folder


@pytest.mark.slow
def test_render_aspect_option_changes_the_frame_size(tmp_path):
    out = _run(
        "render",
        str(nemo_nb.sample_photo()),
        "--prompt",
        "make this photo jiggle for 3 seconds",
        "--aspect",
        "16:9",
        cwd=tmp_path,
        timeout=180,
    )
    assert out.returncode == 0, out.stderr
    assert "Aspect 9:16 → 16:9" in out.stdout
    # the command exports by itself: the agent's "click Export" is not passed on in any form
    assert "Done!" in out.stdout and "See the timeline summary." in out.stdout
    assert "click Export" not in out.stdout and 'say "export"' not in out.stdout
    # the default name: the photo and its effect, in the working directory
    width, height, frames = _decode(tmp_path / "grace_hopper-jiggle.mp4")
    assert (width, height) == (1920, 1080)
    assert 80 <= len(frames) <= 100  # 3 s at 30 fps


def _assert_one_sentence_error(out: subprocess.CompletedProcess[str], expected: str) -> None:
    assert out.returncode == 1
    assert "Traceback" not in out.stderr
    lines = [line for line in out.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, out.stderr
    assert lines[0].startswith("error: ") and expected in lines[0]


@pytest.mark.slow
def test_render_a_disguised_file_exits_with_the_sentence(tmp_path):
    fake = tmp_path / "holiday.jpg"
    fake.write_text("#!/bin/sh\necho this is not a photo\n")
    out = _run("render", str(fake), "--prompt", JIGGLE, "-o", "x.mp4", cwd=tmp_path)
    _assert_one_sentence_error(out, "'holiday.jpg' is not a photo, video or audio file")
    assert not (tmp_path / "x.mp4").exists()


@pytest.mark.slow
def test_render_an_empty_timeline_exits_with_the_sentence(tmp_path):
    out = _run(
        "render",
        str(nemo_nb.sample_photo()),
        "--prompt",
        "hello there",
        "-o",
        "x.mp4",
        cwd=tmp_path,
    )
    _assert_one_sentence_error(out, "Nothing to export yet")
    assert "Sorry, I didn't understand that." in out.stdout  # the agent's reply was shown
    assert not (tmp_path / "x.mp4").exists()


def test_render_a_missing_file_says_so_before_connecting(tmp_path):
    out = _run("render", "nowhere.jpg", "--prompt", JIGGLE, cwd=tmp_path)
    _assert_one_sentence_error(out, "There is no file nowhere.jpg: check the path.")
    assert "Connected" not in out.stdout


def test_render_without_a_prompt_is_a_usage_error():
    out = _run("render", str(nemo_nb.sample_photo()))
    assert out.returncode == 2
    assert "--prompt" in out.stderr


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_is_a_redrawn_bar_on_a_terminal_and_lines_when_piped():
    terminal, pipe = _Terminal(), io.StringIO()
    for stream in (terminal, pipe):
        progress = Progress(stream)
        for fraction in (0.0, 0.05, 0.42, 0.43, 0.9):
            progress(fraction)
        progress.done()
    assert terminal.getvalue().count("\r") == 6 and terminal.getvalue().endswith("100%\n")
    assert "[###############" in terminal.getvalue()
    assert pipe.getvalue().splitlines() == [
        "Rendering: 0%",
        "Rendering: 40%",
        "Rendering: 90%",
        "Rendering: 100%",
    ]


# ---- doctor ------------------------------------------------------------------------------------


@pytest.mark.slow
def test_doctor_passes_on_this_install():
    out = _run("doctor")
    assert out.returncode == 0, out.stdout + out.stderr
    for name in ("packages", "H.264 encoder", "fonts", "data dir", "local engine"):
        assert f"ok  {name}:" in out.stdout
    assert "NemoVideo cloud" not in out.stdout  # no token, no cloud check
    assert out.stdout.rstrip().endswith("Everything nemo-nb needs is here.")


def _read_only_folder(tmp_path: Path) -> Path:
    """A folder this process really cannot write in. Root ignores permission bits, so for root
    use a directory of /proc, which no one can create files in."""
    if os.geteuid() == 0:
        return Path("/proc/self")
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o555)
    return folder


@pytest.mark.slow
@pytest.mark.parametrize("where", ["read-only folder", "path under a file"])
def test_doctor_names_an_unwritable_data_dir(tmp_path, monkeypatch, where):
    if where == "read-only folder":
        home = _read_only_folder(tmp_path)
    else:
        blocker = tmp_path / "a-file"
        blocker.write_text("not a folder")
        home = blocker / "data"
    monkeypatch.setenv("NEMO_NB_HOME", str(home))
    out = _run("doctor")
    assert out.returncode == 1
    assert f"FAIL data dir: {home}" in out.stdout
    assert "set NEMO_NB_HOME to a folder you can write to" in out.stdout
    assert "Missing or broken: data dir" in out.stdout
    assert "ok  fonts:" in out.stdout  # the other checks still ran


def test_doctor_names_a_missing_chinese_font(monkeypatch, capsys):
    """No installed font covers Chinese: the renderer's own font list is emptied, so the
    renderer's choice for a Chinese title fails exactly as on a machine without such a font."""
    from nemo_nb import _doctor
    from nemo_nb.render import _text

    monkeypatch.setattr(_text, "installed_fonts", lambda: [])
    code = _doctor.main([])
    out = capsys.readouterr().out
    assert code == 1
    assert "FAIL fonts: no font for Chinese titles" in out
    assert "apt-get install fonts-wqy-microhei" in out
    assert "Missing or broken: fonts." in out
    assert "ok  data dir:" in out and "ok  local engine:" in out


@pytest.mark.slow
def test_doctor_checks_the_cloud_only_with_a_token_and_never_shows_it(monkeypatch):
    secret = "nmv_usr_doctor-test-secret-0123456789"
    monkeypatch.setenv("NEMO_TOKEN", secret)
    monkeypatch.setenv("NEMO_API_URL", "http://127.0.0.1:9")  # nothing listens there
    out = _run("doctor")
    assert out.returncode == 1
    assert "FAIL NemoVideo cloud:" in out.stdout
    assert "Missing or broken: NemoVideo cloud." in out.stdout
    assert secret not in out.stdout + out.stderr
    assert "ok  local engine:" in out.stdout  # the engine is still checked with a token set
