"""A notebook executed and converted to HTML (what nbviewer does; GitHub is similar): every video
nemo-nb showed carries its filmstrip <img>, because those viewers do not play embedded video."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

pytestmark = pytest.mark.slow

ARTIFACTS = Path(
    os.environ.get("NEMO_NB_TEST_ARTIFACTS", Path(__file__).parents[2] / "test-artifacts")
)

CELLS = [
    "import nemo_nb\nphoto = nemo_nb.sample_photo()",
    # A lab: two cards, each a video.
    "lab = nemo_nb.PromptLab(photo, ['make this photo jiggle', 'make this photo bounce'],\n"
    "                        follow_ups='make it 3 seconds and square')\n"
    "await lab.run()",
    # The magics: a prompt cell, then an export that shows its video.
    "%load_ext nemo_nb",
    "%nemo upload {photo}",
    "%%nemo\nmake this photo sway\n",  # each prompt that changes the timeline: its preview
    "%%nemo\nmake it 3 seconds and square",
    "%nemo export",
    # show_video directly.
    "nemo_nb.show_video(lab.variants[0].path, width=240)",
]


def test_every_video_in_the_converted_html_has_its_filmstrip(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(src) for src in CELLS]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    path = tmp_path / "made.ipynb"
    nbformat.write(nb, path)
    root = str(Path(__file__).parents[2])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([root, os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run(
        [sys.executable, "-m", "jupyter", "nbconvert", "--to", "html", "--execute", str(path),
         "--ExecutePreprocessor.timeout=240", "--output-dir", str(tmp_path)],
        capture_output=True, text=True, timeout=280, env=env, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    html = (tmp_path / "made.html").read_text(encoding="utf-8")
    # The live widgets' saved state (a script tag, not shown without JavaScript) holds the cards'
    # HTML too; count only what the page shows.
    html = re.sub(
        r'<script type="application/vnd.jupyter.widget-state\+json">.*?</script>',
        "",
        html,
        flags=re.S,
    )
    videos = re.findall(r"<video\b", html)
    strips = [  # (the converter may reorder attributes)
        tag
        for tag in re.findall(r"<img\b[^>]*>", html)
        if 'class="nemo-filmstrip"' in tag and 'src="data:image/png;base64,' in tag
    ]
    # Two lab cards, the previews after the two %%nemo prompts, the magic's export and the direct
    # show_video: each with its still strip.
    assert len(videos) == 6, len(videos)
    assert len(strips) == len(videos)
    assert "Prompt Lab: 2 variants · 2 done" in html
    assert "Rendering… 100%" in html and "Timeline (1 track)" in html
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "static_previews.html").write_text(html, encoding="utf-8")
