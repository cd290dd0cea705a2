"""route(): the seed table, whole words and short commands only, English and Chinese."""

from __future__ import annotations

import pytest

from nemo_nb.conversation import media_references, route

ROUTES: list[tuple[str, str]] = [
    # export — the seed's phrases
    ("export", "export"),
    ("Export", "export"),
    ("导出", "export"),
    ("download", "export"),
    ("send me the video", "export"),
    ("Send me the video!", "export"),
    ("export 1080p MP4", "export"),
    ("please export it now", "export"),
    ("can you send me the mp4?", "export"),
    ("download the final video", "export"),
    ("ok, export", "export"),
    ("render it", "export"),
    ("re-export", "export"),
    ("how do I download it?", "export"),
    ("export status", "export"),
    ("导出视频", "export"),
    ("帮我导出视频", "export"),
    ("导出1080p MP4", "export"),
    ("下载", "export"),
    ("请下载视频", "export"),
    # credits
    ("credits", "credits"),
    ("积分", "credits"),
    ("balance", "credits"),
    ("余额", "credits"),
    ("how many credits do I have?", "credits"),
    ("what's my balance?", "credits"),
    ("credits left?", "credits"),
    ("check my credit balance", "credits"),
    ("我还有多少积分", "credits"),
    ("查询余额", "credits"),
    # state
    ("status", "state"),
    ("状态", "state"),
    ("show tracks", "state"),
    ("show me the timeline", "state"),
    ("what's the status?", "state"),
    ("what's on the timeline?", "state"),
    ("查看状态", "state"),
    ("显示轨道", "state"),
    ("看看时间线", "state"),
    # upload
    ("upload", "upload"),
    ("上传", "upload"),
    ("upload my photos", "upload"),
    ("how do I upload a photo?", "upload"),
    ("I want to upload", "upload"),
    ("上传一张照片", "upload"),
    ("/home/me/cat.jpg", "upload"),
    ("~/Pictures/beach.png", "upload"),
    ("https://example.com/a.png", "upload"),
    ("upload https://example.com/a.png", "upload"),
    ("IMG_0042.HEIC", "upload"),
    # the agent: edits that merely mention a command word
    ("add a download button as text overlay", "agent"),
    ("make the export look better", "agent"),
    ("the export is blurry", "agent"),
    ("export and add music", "agent"),
    ("balance the audio", "agent"),
    ("use fewer credits", "agent"),
    ("add a status bar at the bottom", "agent"),
    ("make the upload progress bar red", "agent"),
    ("show tracks with a red title", "agent"),
    ("use cat.jpg as the background", "agent"),
    ("给导出按钮加个动画", "agent"),
    ("把上传的照片变成跳动的视频", "agent"),
    ("加一段背景音乐", "agent"),
    # the agent: ordinary requests
    ("make this photo jiggle and bounce like a looping animated video", "agent"),
    ("make it subtler", "agent"),
    ("add a title 'Sale'", "agent"),
    ("turn these images into a smooth 15-second video with transitions", "agent"),
    ("exporter", "agent"),  # whole words only
    ("downloads folder music please", "agent"),
    ("", "agent"),
    ("   ", "agent"),
    (
        "please export the video now in 1080p mp4 format with high quality as the final version ok",
        "agent",
    ),  # too long to be a command
]


@pytest.mark.parametrize(("message", "action"), ROUTES, ids=[m or "<empty>" for m, _ in ROUTES])
def test_route(message: str, action: str) -> None:
    assert route(message) == action


def test_table_is_big_and_bilingual() -> None:
    assert len(ROUTES) >= 60
    chinese = [m for m, _ in ROUTES if any("\u4e00" <= c <= "\u9fff" for c in m)]
    assert len(chinese) >= 15
    assert {a for _, a in ROUTES} == {"export", "credits", "state", "upload", "agent"}


def test_media_references_finds_paths_and_urls() -> None:
    assert media_references("upload /tmp/a.jpg and https://x.io/b.mp4?sig=1") == [
        "/tmp/a.jpg",
        "https://x.io/b.mp4?sig=1",
    ]
    assert media_references("make it jiggle") == []
