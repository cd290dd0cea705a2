"""Streaming GUI translation: a reply cut anywhere reads exactly as the whole reply translated."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nemo_nb.conversation import translate_gui
from nemo_nb.conversation._gui import GuiStream

# Replies the engine's agent and the seeds' GUI-speaking backend write.
REPLIES = [
    "Done! I animated grace_hopper.jpg with a jiggle effect (6 s, 9:16). "
    "Preview it in the Timeline, then click Export.",
    "Click the 'Export' button when you're happy; open the timeline to see the tracks.",
    "Drag the title to move it, or drag and drop your photos here. Tap Credits to check.",
    "Added a title: “Hello!” (0-6s). Press Download to save video, e.g. as 1080p MP4.",
    "完成！在时间线中预览，然后点击导出按钮。拖拽标题到顶部，或点击“积分”查看余额。",
    "Select Render.\nThen open your project editor to review everything, and hit Upload.",
    "All set with a gentle bounce then just click export when ready or drag the clip to 3s",
    "Nice photo so I added a title and you can preview it in the timeline or tap the Export button",
]


FRONT_ENDS = ["code", "studio", "cli", "magic"]


def streamed(chunks: list[str], front_end: str = "code") -> tuple[str, str]:
    gui, shown, raw = GuiStream(front_end), [], []  # type: ignore[arg-type]
    for chunk in chunks:
        s, r = gui.feed(chunk)
        shown.append(s)
        raw.append(r)
    s, r = gui.flush()
    return "".join([*shown, s]), "".join([*raw, r])


@pytest.mark.parametrize("front_end", FRONT_ENDS)
@pytest.mark.parametrize("reply", REPLIES)
def test_every_single_cut_translates_like_the_whole(reply: str, front_end: str) -> None:
    whole = translate_gui(reply, front_end).text  # type: ignore[arg-type]
    assert whole != reply  # each sample really has GUI phrases
    for i in range(len(reply) + 1):
        assert streamed([reply[:i], reply[i:]], front_end) == (whole, reply), i


@settings(max_examples=300, deadline=None)
@given(
    reply=st.sampled_from(REPLIES),
    cuts=st.lists(st.integers(0, 200), max_size=12),
    front_end=st.sampled_from(FRONT_ENDS),
)
def test_any_chunking_translates_like_the_whole(reply: str, cuts: list[int], front_end) -> None:
    points = sorted({min(c, len(reply)) for c in cuts})
    chunks = [reply[a:b] for a, b in zip([0, *points], [*points, len(reply)], strict=True)]
    assert streamed(chunks, front_end) == (translate_gui(reply, front_end).text, reply)


def test_words_show_as_they_complete_gui_phrases_once_their_clause_does() -> None:
    gui = GuiStream()
    assert gui.feed("Done! I anim") == ("Done! I ", "Done! I ")  # "anim…" may still grow
    assert gui.feed("ated it. Preview it in the Tim") == ("animated it. ", "animated it. ")
    assert gui.feed("eline") == ("", "")  # "Preview it in the Timeline" may still grow
    assert gui.feed(", then click Export.") == (
        'See the timeline summary, then say "export" or `await conv.export()`.',
        "Preview it in the Timeline, then click Export.",
    )
