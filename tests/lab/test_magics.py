"""``%load_ext nemo_nb``: the magics driven through IPython's InteractiveShell against the real
engine (upload, a prompt cell, export), plus their usage errors."""

from __future__ import annotations

import hashlib

import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output

import nemo_nb

from .helpers import decode, disguised_jpg

PHOTO = nemo_nb.sample_photo()


@pytest.fixture(scope="module")
def shell():
    ip = InteractiveShell.instance()
    ip.run_line_magic("load_ext", "nemo_nb")
    yield ip
    InteractiveShell.clear_instance()


def _run(shell, line: str | None = None, cell: str | None = None):
    with capture_output() as captured:
        if cell is None:
            shell.run_line_magic("nemo", line)
        else:
            shell.run_cell_magic("nemo", line or "", cell)
    return captured


@pytest.mark.slow
def test_upload_prompt_and_export_in_cells(shell, tmp_path):
    up = _run(shell, f"upload {PHOTO}")
    assert up.stdout.startswith("Uploaded 1 file: grace_hopper.jpg (image, 512x600)")

    turn = _run(shell, cell="make this photo jiggle and bounce like a looping animated video\n")
    streamed = [o.data["text/plain"] for o in turn.outputs if "text/html" not in o.data]
    assert streamed and streamed[-1].startswith(
        "Done! I animated grace_hopper.jpg with a jiggle and bounce"
    )
    assert streamed[-1].endswith("then run `%nemo export`.")  # what works in a cell
    assert "▸ " in turn.stdout  # the tool activity
    last = turn.stdout.rstrip().splitlines()[-1]  # then the timeline summary, once
    assert last.startswith("Timeline (1 track): 1. Video: grace_hopper.jpg (0-6s, jiggle")
    assert turn.stdout.count("Timeline (") == 1
    # After the reply, the preview: small, looping, with its filmstrip, said to be a preview.
    [preview] = [o for o in turn.outputs if "text/html" in o.data]
    assert "text/html" in turn.outputs[-1].data  # after the streamed reply
    html = preview.data["text/html"]
    assert "<video" in html and 'class="nemo-filmstrip"' in html and " MB, preview)" in html
    assert 'width="240"' in html and "image/png" in preview.data

    quick = _run(shell, cell="make it 3 seconds and square")
    assert "Changed: " in quick.stdout and "(0-3s, jiggle" in quick.stdout
    magics = shell.magics_manager.registry["NemoMagics"]
    conv = magics.conversation
    session = hashlib.sha256(str(conv.session_id).encode()).hexdigest()[:12]
    previews = sorted((conv.previews_dir / session).glob("*.mp4"))  # this session's, not others'

    assert len(previews) == 2 and [decode(p).width for p in previews].count(360) == 2
    assert sum("<video" in o.data.get("text/html", "") for o in quick.outputs) == 1

    status = _run(shell, "status")
    assert "Timeline (1 track): 1. Video: grace_hopper.jpg (0-3s, jiggle" in status.stdout
    assert not [o for o in status.outputs if "text/html" in o.data]  # nothing changed

    credits = _run(shell, "credits")
    assert credits.stdout.startswith("You have ") and "credits available" in credits.stdout

    export = _run(shell, "export")
    assert "Export started" in export.stdout and "Your video is ready: " in export.stdout
    path = export.stdout.split("Your video is ready: ", 1)[1].splitlines()[0].strip()
    video = decode(path)
    assert (video.codec, video.width, video.height, video.frames) == ("h264", 1080, 1080, 90)
    assert video.motion > 1.0
    shown = [o for o in export.outputs if "text/html" in o.data]
    assert len(shown) == 1  # the video, with its filmstrip poster
    html = shown[0].data["text/html"]
    assert "<video" in html and 'class="nemo-filmstrip"' in html
    assert "image/png" in shown[0].data  # viewers that skip HTML show the filmstrip
    progress = [o.data.get("text/plain", "") for o in export.outputs if "text/html" not in o.data]
    assert progress and progress[-1] == "Rendering… 100%"


def test_new_starts_a_fresh_session_and_skill_switches_the_preset(shell):
    first = _run(shell, "new")
    assert first.stdout.startswith("Started a new conversation (session ")
    second = _run(shell, "new")
    assert second.stdout != first.stdout

    skill = _run(shell, "skill ai-animation-photo")
    assert skill.stdout.startswith("Skill: ai-animation-photo (AI Animation Photo). Try saying:")
    magics = shell.magics_manager.registry["NemoMagics"]
    assert magics.conversation.client.skill.name == "ai-animation-photo"
    assert magics.conversation.skill.name == "ai-animation-photo"
    shown = _run(shell, "skill")
    assert shown.stdout.startswith("Skill: ai-animation-photo")
    _run(shell, "skill image-to-video-jiggle")


def test_a_disguised_upload_is_one_sentence_and_the_conversation_goes_on(shell, tmp_path):
    _run(shell, "new")
    out = _run(shell, f"upload {disguised_jpg(tmp_path)}")
    assert out.stdout.startswith("✗ ") and "holiday.jpg" in out.stdout
    assert _run(shell, "status").stdout.startswith("Nothing on the timeline yet")


@pytest.mark.parametrize(
    ("line", "cell", "message"),
    [
        ("", None, "Usage: %%nemo"),
        ("render now", None, "Usage: %%nemo"),
        ("upload", None, "Say what to upload"),
        ("upload nowhere/photo.jpg", None, "There is no file at nowhere/photo.jpg"),
        ("skill tiktok-magic", None, "Unknown skill 'tiktok-magic'"),
        ("--fast", "make it jiggle", "%%nemo takes no arguments"),
        ("", "   \n", "The cell is empty"),
    ],
)
def test_usage_errors_are_one_sentence(shell, line, cell, message):
    with pytest.raises(UsageError, match=message):
        _run(shell, line, cell)
