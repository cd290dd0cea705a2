"""The Prompt Lab without an engine: how variants are laid out, what the table and cards say,
saving and loading, and clear errors for bad input."""

from __future__ import annotations

import json
from pathlib import Path

import av
import numpy as np
import pandas as pd
import pytest

import nemo_nb
from nemo_nb.lab import COLUMNS, PromptLab
from nemo_nb.skills import SKILLS

PHOTO = nemo_nb.sample_photo()
DRAFT = {
    "d": 3000,
    "m": {"title": "Jiggle", "width": 1080, "height": 1080, "fps": 30, "aspect": "1:1"},
    "t": [
        {"id": "v1", "tt": 0, "n": "Video", "sg": [
            {"id": "s1", "st": 0, "d": 3000, "src": "http://127.0.0.1:1/media/m1/p.jpg",
             "m": {"kind": "image", "fx": {"type": "jiggle", "strength": 0.8}}}]},
        {"id": "a1", "tt": 1, "n": "BGM", "sg": [
            {"id": "s2", "st": 0, "d": 3000, "src": "builtin:lofi", "n": "Lo-fi", "m": {"vol": 0.3}}]},
        {"id": "x1", "tt": 7, "n": "Title", "sg": [
            {"id": "s3", "st": 0, "d": 2000, "txt": "Hello!", "m": {"pos": "top"}}]},
    ],
}  # fmt: skip


def _clip(path: Path, frames: int = 12) -> Path:
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=30)
        stream.width, stream.height, stream.pix_fmt = 64, 64, "yuv420p"
        for i in range(frames):
            img = np.full((64, 64, 3), (i * 20) % 256, np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


def test_every_image_prompt_and_skill_combination_is_a_variant(tmp_path):
    other = tmp_path / "other.jpg"
    other.write_bytes(PHOTO.read_bytes())
    skills = ["image-to-video-jiggle", "ai-animation-photo"]
    lab = PromptLab([PHOTO, other], ["jiggle it", "bounce it"], skills=skills, follow_ups="loop it")
    combos = [(v.image_label, v.prompt, v.skill) for v in lab.variants]
    assert combos == [
        (img, p, s)
        for img in ("grace_hopper.jpg", "other.jpg")
        for p in ("jiggle it", "bounce it")
        for s in skills
    ]
    assert [v.index for v in lab.variants] == list(range(8))
    assert {v.follow_ups for v in lab.variants} == {("loop it",)}
    assert lab.concurrency == 2  # small: a lab never floods the engine's queue


def test_an_inner_list_puts_several_photos_in_one_variant(tmp_path):
    lab = PromptLab([[PHOTO, PHOTO]], "turn these images into a slideshow")
    assert len(lab.variants) == 1
    assert lab.variants[0].image_label == "grace_hopper.jpg, grace_hopper.jpg"


def test_without_prompts_each_skill_brings_its_own_first_suggestion():
    lab = PromptLab(PHOTO, skills=nemo_nb.SKILLS)
    assert [(v.skill, v.prompt) for v in lab.variants] == [
        (s.name, s.suggested_prompts[0]) for s in SKILLS.values()
    ]


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        (
            {"images": "nowhere/photo.jpg"},
            FileNotFoundError,
            "There is no image at nowhere/photo.jpg",
        ),
        ({"images": []}, ValueError, "at least one image"),
        ({"prompts": []}, ValueError, "at least one prompt"),
        ({"prompts": ["jiggle", "  "]}, ValueError, "A prompt is empty"),
        ({"skills": "tiktok-magic"}, ValueError, "Unknown skill 'tiktok-magic'; choose one of"),
        ({"concurrency": 0}, ValueError, "concurrency must be at least 1"),
    ],
)
def test_bad_input_is_one_clear_sentence(kwargs, error, message):
    args = {"images": PHOTO, "prompts": ["jiggle"], **kwargs}
    with pytest.raises(error, match=message):
        PromptLab(args.pop("images"), args.pop("prompts"), **args)


def test_the_table_has_a_row_per_variant_and_reads_the_timeline():
    lab = PromptLab(PHOTO, ["a", "b"])
    lab.variants[0].status, lab.variants[0].draft = "done", DRAFT
    lab.variants[0].render_s, lab.variants[0].size_bytes = 4.2, 1234
    lab.variants[1].fail("That file is not an image.")
    frame = lab.frame
    assert list(frame.columns) == list(COLUMNS)
    first, second = frame.to_dict("records")
    assert (first["effects"], first["strength"], first["duration_s"], first["aspect"]) == (
        "jiggle",
        0.8,
        3.0,
        "1:1",
    )
    assert (first["title"], first["music"], first["render_s"]) == ("Hello!", "Lo-fi", 4.2)
    assert second["status"] == "failed" and second["error"] == "That file is not an image."
    assert pd.isna(second["effects"]) and pd.isna(second["strength"]) and pd.isna(second["path"])


def test_cards_show_the_error_of_a_failed_variant_and_the_facts_of_a_done_one():
    lab = PromptLab(PHOTO, ["jiggle it", "bounce it"])
    lab.variants[0].status, lab.variants[0].draft, lab.variants[0].render_s = "done", DRAFT, 4.25
    lab.variants[0].reply = "Done! I animated it."
    lab.variants[1].fail("We couldn't read holiday.jpg: it is not an image.")
    html = lab.html()
    assert html.count('class="nemo-card"') == 2
    assert "jiggle (80%)" in html and "4.2 s" in html and "1:1" in html
    assert "Done! I animated it." in html and "Hello!" in html
    assert "✗ We couldn&#x27;t read holiday.jpg: it is not an image." in html


def test_a_lab_still_to_run_displays_as_a_live_widget_with_an_html_fallback():
    lab = PromptLab(PHOTO, ["jiggle it"])
    bundle = lab._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert 'class="nemo-card"' in bundle["text/html"]


def test_save_and_load_keep_the_grid_and_table_without_connecting(tmp_path, monkeypatch):
    mp4 = _clip(tmp_path / "render_1.mp4")
    lab = PromptLab(PHOTO, ["make it jiggle", "make it bounce"])
    done, failed = lab.variants
    done.status, done.draft, done.path = "done", DRAFT, str(mp4)
    done.render_s, done.size_bytes, done.reply = 2.5, mp4.stat().st_size, "Done!"
    failed.fail("The prompt left the timeline empty, so there was nothing to render.")
    folder = lab.save(tmp_path / "saved")
    names = sorted(p.name for p in folder.iterdir())
    # named as every export: the photo and its effect
    assert names == ["manifest.json", "p-jiggle.mp4", "p-jiggle.png"]
    assert done.path == str(folder / "p-jiggle.mp4")  # the lab now refers to the saved copy
    manifest = json.loads((folder / "manifest.json").read_text())
    assert [v["mp4"] for v in manifest["variants"]] == ["p-jiggle.mp4", None]
    assert lab.save(folder) == folder and sorted(p.name for p in folder.iterdir()) == names

    def no_network(*args, **kwargs):
        raise AssertionError("load() must not connect")

    monkeypatch.setattr("nemo_nb._connect.connect", no_network)
    loaded = PromptLab.load(folder)
    assert loaded.frame.equals(lab.frame)
    bundle = loaded._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" not in bundle  # finished: plain HTML
    assert bundle["text/html"].count('class="nemo-filmstrip"') == 1
    assert "nothing to render" in bundle["text/html"]


def test_loading_something_that_is_not_a_lab_says_so(tmp_path):
    with pytest.raises(FileNotFoundError, match="There is no saved Prompt Lab at"):
        PromptLab.load(tmp_path)
    (tmp_path / "manifest.json").write_text('{"hello": 1}')
    with pytest.raises(ValueError, match="is not a Prompt Lab manifest"):
        PromptLab.load(tmp_path)


def test_the_lab_and_the_magics_never_speak_http_themselves():
    import ast

    root = Path(nemo_nb.__file__).parent
    files = [root / "magics.py", *sorted((root / "lab").glob("*.py"))]
    forbidden = ("httpx", "httpx_sse", "nemo_nb.engine", "nemo_nb.render", "nemo_nb.api._client")
    # The motion scores place the renderer's own subject mask (render.subject_in_frame): no
    # rendering, no HTTP; the clips themselves always come from the server.
    allowed = {"_scores.py: nemo_nb.render"}
    offenders = []
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            offenders += [f"{path.name}: {n}" for n in names if n.startswith(forbidden)]
    assert [o for o in offenders if o not in allowed] == []


async def test_a_backend_that_is_not_one_fails_every_card_with_the_reason():
    lab = PromptLab(PHOTO, ["jiggle it", "bounce it"], backend="nowhere")
    with pytest.raises(ValueError, match="backend must be one of"):
        await lab.run()
    assert [v.status for v in lab.variants] == ["failed", "failed"]
    assert lab.html().count("backend must be one of") == 2


async def test_a_server_that_refuses_connections_fails_each_variant_with_one_sentence():
    import socket

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    lab = PromptLab(PHOTO, ["jiggle it", "bounce it"], backend=f"http://127.0.0.1:{port}")
    await lab.run()  # no exception: each card carries its own error
    assert [v.status for v in lab.variants] == ["failed", "failed"]
    for v in lab.variants:
        assert v.error and "\n" not in v.error and "Traceback" not in v.error


def test_render_seconds_leave_out_the_time_queued_behind_other_renders() -> None:
    from nemo_nb.api import RenderJob
    from nemo_nb.lab._runner import render_seconds

    t0 = 1_796_000_000_000  # epoch ms, as the engine sends them
    queued = {"id": "r", "status": "completed", "createdAt": t0, "completedAt": t0 + 30_000}
    assert render_seconds(RenderJob.from_json(queued)) == 30.0  # a server that does not say
    began = RenderJob.from_json({**queued, "startedAt": t0 + 20_000})
    assert render_seconds(began) == 10.0  # 20 s in the queue, 10 s rendering
    assert render_seconds(RenderJob.from_json({"id": "r", "status": "processing"})) is None


def test_the_quality_follows_the_backend_unless_asked():
    class Engine:  # what connect() hands back: only the address matters here
        base_url = "http://127.0.0.1:8765"

    class Cloud:
        base_url = "https://mega-api-prod.nemovideo.ai"

    default = PromptLab(PHOTO, "jiggle it")
    assert default.quality is None
    assert default._quality_on(Engine()) == "preview" and default._quality_on(Cloud()) == "high"
    asked = PromptLab(PHOTO, "jiggle it", quality="high")
    assert asked._quality_on(Engine()) == "high"
    with pytest.raises(ValueError, match='quality must be "preview" or "high"'):
        PromptLab(PHOTO, "jiggle it", quality="ultra")


def test_scores_show_on_the_card_and_sort_the_grid():
    from nemo_nb.lab._scores import MotionScores

    lab = PromptLab(PHOTO, ["jiggle it", "bounce it", "sway it"])
    for v, scores in zip(lab.variants, [(2.0, 8.7, 0.35), (12.7, 6.5, 1.39), (0.9, float("nan"), 1.0)],
                         strict=True):  # fmt: skip
        v.status, v.draft, v.scores = "done", DRAFT, MotionScores(*scores)
    html = lab.html()
    assert "motion</td><td>2.00</td>" in html and "subject focus</td><td>–</td>" in html
    assert lab.frame["motion"].tolist() == [2.0, 12.7, 0.9]
    assert lab.sort_by("motion").index.tolist() == [1, 0, 2]
    assert lab.sort_by("subject_focus").index.tolist() == [0, 1, 2]  # no value: last
    assert lab.sort_by("seam").index.tolist() == [0, 2, 1]  # the most seamless first
    assert lab.html().index("sway it") < lab.html().index("bounce it")
    with pytest.raises(ValueError, match="There is no column 'wobble' to sort by"):
        lab.sort_by("wobble")
    assert lab.frame["motion"].tolist() == [2.0, 12.7, 0.9]  # the frame keeps the lab's order
