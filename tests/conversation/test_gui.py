"""translate_gui(): GUI phrases in agent replies become our actions."""

from __future__ import annotations

import pytest

from nemo_nb.conversation import translate_gui

CASES: list[tuple[str, str, tuple[str, ...]]] = [
    (
        "Done! Preview it in the Timeline, then click Export.",
        'Done! See the timeline summary, then say "export".',
        ("show_timeline", "export"),
    ),
    ("Click the Export button to download.", 'Say "export" to download.', ("export",)),
    ('Hit "Download" when ready.', 'Say "export" when ready.', ("export",)),
    (
        "Open the timeline to check the tracks.",
        "See the timeline summary.",
        ("show_timeline",),
    ),
    (
        "You can open the editor panel to adjust.",
        "You can see the timeline summary to adjust.",
        ("show_timeline",),
    ),
    ("Drag the clip to 3s.", "Ask me to move the clip to 3s.", ()),
    ("Drop your photos here to start.", 'Upload them (say "upload") to start.', ("upload",)),
    ("Drag your images into the upload area.", 'Upload them (say "upload").', ("upload",)),
    ("I'll drop the volume to 20%.", "I'll drop the volume to 20%.", ()),
    ("拖拽照片到这里开始", "发送“上传”上传它们开始", ("upload",)),
    ("Drag and drop the music onto track 2.", "Ask me to move the music onto track 2.", ()),
    (
        "Drag the title to move it, then click Export.",
        'Tell me where to move the title, then say "export".',
        ("export",),
    ),
    ("拖拽标题可调整位置，然后点击导出。", "告诉我标题要放在哪里，然后发送“导出”。", ("export",)),
    ("打开时间线查看轨道。", "查看时间线摘要。", ("show_timeline",)),
    ("Open the timeline to see the tracks.", "See the timeline summary.", ("show_timeline",)),
    ("Click Upload to add more photos.", 'Say "upload" to add more photos.', ("upload",)),
    ("Tap on Credits to see your balance.", 'Say "credits" to see your balance.', ("credits",)),
    ("Click Apply to confirm.", 'Say "apply" to confirm.', ()),
    (
        "已完成！在时间线中预览，然后点击“导出”。",
        "已完成！查看时间线摘要，然后发送“导出”。",
        ("show_timeline", "export"),
    ),
    ("点击导出即可下载视频。", "发送“导出”即可下载视频。", ("export",)),
    ("打开时间线查看。", "查看时间线摘要。", ("show_timeline",)),
    ("拖拽片段到3秒处", "告诉我把片段移到3秒处", ()),
    ("可以拖动", "可以告诉我要怎么移动", ()),
    ("点击上传添加照片", "发送“上传”添加照片", ("upload",)),
    # Mentions without a GUI verb offer the action but keep the text.
    ("Your video is ready to export.", "Your video is ready to export.", ("export",)),
    ("我已经加好了，可以导出了。", "我已经加好了，可以导出了。", ("export",)),
    # Nothing GUI-like: unchanged, no actions.
    ("Made it subtler and slowed the bounce.", "Made it subtler and slowed the bounce.", ()),
    ("I clicked into the mood you wanted.", "I clicked into the mood you wanted.", ()),
]


#: The phrases above are the code front end's, but for its export (which names the method too).
CODE_EXPORT = 'say "export" or `await conv.export()`'


@pytest.mark.parametrize(("agent", "shown", "actions"), CASES, ids=[c[0][:40] for c in CASES])
def test_translate(agent: str, shown: str, actions: tuple[str, ...]) -> None:
    result = translate_gui(agent)
    shown = shown.replace('say "export"', CODE_EXPORT).replace(
        'Say "export"', "S" + CODE_EXPORT[1:]
    )
    shown = shown.replace("发送“导出”", "发送“导出”或运行 `await conv.export()`")
    assert result.text == shown
    assert result.actions == actions
    assert result.changed == (shown != agent)
    assert result.original == agent


REPLY = "Done! Preview it in the Timeline, then click Export."


@pytest.mark.parametrize(
    ("front_end", "shown"),
    [
        ("code", 'Done! See the timeline summary, then say "export" or `await conv.export()`.'),
        # the Studio shows an Export button under the reply and a Timeline tab
        ("studio", "Done! See the Timeline tab, then use the Export button below."),
        # the command line exports by itself: nothing to say, the "then" goes too
        ("cli", "Done! See the timeline summary."),
        ("magic", "Done! See the timeline summary, then run `%nemo export`."),
    ],
)
def test_each_front_end_says_it_its_own_way(front_end: str, shown: str) -> None:
    result = translate_gui(REPLY, front_end)  # type: ignore[arg-type]
    assert result.text == shown
    assert result.actions == ("show_timeline", "export")  # the buttons are offered the same


@pytest.mark.parametrize(
    ("agent", "shown"),
    [
        ("Drag the title to move it, then click Export.", "Tell me where to move the title."),
        (
            "Glad you like it! Preview it in the Timeline, then click Export when you're ready.",
            "Glad you like it! See the timeline summary when you're ready.",
        ),
        ("Add music and click Export.", "Add music."),
        ("已完成！在时间线中预览，然后点击“导出”。", "已完成！查看时间线摘要。"),
    ],
)
def test_the_command_line_drops_the_export_instruction_with_its_joining_words(
    agent: str, shown: str
) -> None:
    assert translate_gui(agent, "cli").text == shown


def test_an_unknown_front_end_is_refused_in_one_sentence() -> None:
    with pytest.raises(ValueError, match="front_end must be one of code, studio, cli, magic"):
        translate_gui(REPLY, "web")  # type: ignore[arg-type]
