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


@pytest.mark.parametrize(("agent", "shown", "actions"), CASES, ids=[c[0][:40] for c in CASES])
def test_translate(agent: str, shown: str, actions: tuple[str, ...]) -> None:
    result = translate_gui(agent)
    assert result.text == shown
    assert result.actions == actions
    assert result.changed == (shown != agent)
    assert result.original == agent
