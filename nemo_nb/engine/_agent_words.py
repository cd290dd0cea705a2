"""What the engine's agent says: effect and transition names, prompts it suggests, and every
sentence of its replies in English and Chinese (``MSG[key][lang]``, lang 0 or 1)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nemo_nb.engine._agent_draft import Combo


EFFECT_NAMES = {
    "jiggle": ("jiggle", "抖动"), "bounce": ("bounce", "弹跳"), "sway": ("sway", "摇摆"),
    "pulse": ("pulse", "脉动"), "alive": ("make-it-alive", "生动呼吸"),
    "kenburns": ("Ken Burns zoom", "缩放推拉"), "none": ("no motion", "无动效"),
}  # fmt: skip
TRANSITION_NAMES = {"crossfade": ("crossfade", "交叉淡化"), "slide": ("slide", "滑动"),
                    "wipe": ("wipe", "擦除"), "zoom": ("zoom", "缩放")}  # fmt: skip

#: Prompts offered when a message was not understood (they all work here).
START_PROMPTS = (
    "make this photo jiggle and bounce like a looping animated video",
    "animate this photo to make it look like it's moving",
    "turn these images into a smooth 15-second video with transitions",
)
FOLLOW_UP_PROMPTS = ("make it subtler", 'add a title "Summer Sale"', "add some upbeat music")
START_PROMPTS_ZH = ("让这张照片抖动起来", "让照片动起来", "把这些图片做成15秒的视频，加转场")
FOLLOW_UP_PROMPTS_ZH = ("轻微一点", "加标题「夏日特卖」", "加背景音乐")

MSG: dict[str, tuple[str, str]] = {
    "created_one": ("Done! I animated {name} with a {effect} effect ({secs} s, {aspect}).",
                    "完成！已为 {name} 添加{effect}效果（{secs} 秒，{aspect}）。"),
    "created_many": ("Done! I made a {secs}-second {aspect} video from {n} photos with {effect} "
                     "and {transition} transitions.",
                     "完成！已用 {n} 张照片生成 {secs} 秒的 {aspect} 视频（{effect}，{transition}转场）。"),
    "title": ('Added the title "{txt}" at the {pos}.', "已添加标题「{txt}」。"),
    "text": ('Added the text "{txt}" at the {pos}.', "已添加文字「{txt}」。"),
    "text_literal": ('Added the text "{txt}" at the {pos} — put the exact words in quotes to '
                     "change it.", "已添加文字「{txt}」。"),
    "music": ("Added {mood} background music at {vol}%.", "已添加{mood}背景音乐（音量 {vol}%）。"),
    "music_switch": ("Switched the music to {mood}.", "已将背景音乐换成{mood}。"),
    "music_upload": ("Added your song {name} as background music at {vol}%.",
                     "已将你上传的 {name} 设为背景音乐（音量 {vol}%）。"),
    "removed": ("Removed the {what}.", "已删除{what_zh}。"),
    "removed_seg": ("Removed photo {n} ({name}).", "已删除第 {n} 张照片（{name}）。"),
    "added_media": ("Added {n} photo(s) to the end of the timeline.", "已在时间线末尾添加 {n} 张照片。"),
    "no_change": ("That's already how the timeline is — nothing to change.", "时间线已经是这样了，无需修改。"),
    "ready": ("Your timeline is ready.", "时间线已准备好。"),
    "undo": ("Undone — the previous version is back. Preview it in the Timeline.",
             "已撤销，恢复到上一个版本。可在时间线中预览。"),
    "thanks": ("Glad you like it! Preview it in the Timeline, then click Export when you're ready.",
               "不客气！可在时间线中预览，准备好后点击导出。"),
    "nothing_to_undo": ("There's nothing to undo yet.", "还没有可以撤销的操作。"),
    "export": ("To get the MP4, click Export — it renders a 1080p MP4 of the current timeline.",
               "点击导出即可生成当前时间线的 1080p MP4。"),
    "export_empty": ("There's nothing to export yet — first try {prompts}, then click Export.",
                     "还没有可导出的内容。先试试：{prompts}，然后点击导出。"),
    "no_timeline": ("There's no timeline yet — first try {prompts}.",
                    "还没有时间线。先试试：{prompts}。"),
    "no_media": ("Upload a photo first, then try: {prompts}.", "请先上传一张照片，然后试试：{prompts}。"),
    "not_understood": ("Sorry, I didn't understand that. I can animate photos (jiggle, bounce, sway, "
                       "pulse, make it alive, Ken Burns zoom), make slideshows with transitions, "
                       "and add titles and music. Try: {prompts}.",
                       "抱歉，我没听懂。我可以让照片动起来（抖动、弹跳、摇摆、缩放），制作带转场的"
                       "视频，添加标题和音乐。试试：{prompts}。"),
    "help": ("I turn photos into short motion videos: jiggle, bounce, sway, pulse, make it alive, "
             "Ken Burns zoom, slideshows with transitions, titles and music. Try: {prompts}.",
             "我可以把照片做成短视频：抖动、弹跳、摇摆、缩放、带转场的幻灯片、标题和音乐。试试：{prompts}。"),
    "no_audio": ("I don't see an uploaded song. Upload an MP3, WAV, M4A or AAC file, or try: "
                 '"add some lofi music".', "没有找到你上传的音乐。请上传 MP3/WAV/M4A/AAC，或试试：加背景音乐。"),
    "no_music": ('There is no music yet — try "add some lofi music".', "还没有背景音乐，试试：加背景音乐。"),
    "no_title_text": ('What should the title say? Put it in quotes, e.g. add a title "Summer Sale".',
                      "标题写什么？请用引号，例如：加标题「夏日特卖」。"),
    "no_text": ('There is no title or text yet — try add a title "Summer Sale".',
                "还没有标题或文字，试试：加标题「夏日特卖」。"),
    "nothing_to_remove": ("There is no {what} to remove.", "没有可删除的{what_zh}。"),
    "last_segment": ("That is the only photo in the timeline, so I kept it.", "这是时间线里唯一的照片，已保留。"),
    "bad_target": ("There are only {n} photo(s) in the timeline.", "时间线里只有 {n} 张照片。"),
    "one_clip": ("Transitions go between photos — upload more photos to see them.",
                 "转场需要至少两张照片，请再上传几张。"),
    "video_fx": ("Motion effects apply to photos; video clips play as they are.", "动效只适用于照片，视频片段保持原样。"),
    "in_timeline": ("That photo is already in the timeline.", "这张照片已经在时间线里了。"),
    "end_create": ("Preview it in the Timeline, then click Export.", "可在时间线中预览，然后点击导出。"),
    "end_title": ("Drag the title to move it, then click Export.", "拖拽标题可调整位置，然后点击导出。"),
    "end_text": ("Drag the text to move it, then click Export.", "拖拽文字可调整位置，然后点击导出。"),
    "end_create_title": ("Preview it in the Timeline, drag the title to move it, then click Export.",
                         "可在时间线中预览，拖拽标题可调整位置，然后点击导出。"),
    "end_music": ("Open the timeline to see the tracks.", "打开时间线查看轨道。"),
    "end_edit": ("Preview it in the Timeline.", "可在时间线中预览。"),
    "small_photo": ("{name} is only {w}x{h}, so it is enlarged {x}x to fill {size} and will look "
                    "soft; {better} would look sharper.",
                    "{name} 只有 {w}x{h}，需放大 {x} 倍才能填满 {size}，画面会偏模糊；{better}会更清晰。"),
    "sharper_square": ("a square (1:1) video", "改成 1:1 方形视频"),
    "sharper_contain": ('"show the whole photo" (the photo over a blurred fill of itself)',
                        "“完整显示”（照片置于模糊背景上）"),
    "fit": ("The photo now {how}.", "照片现在{how}。"),
    "fit_contain": ("shows whole, over a blurred fill of itself", "完整显示，背景为模糊填充"),
    "fit_cover": ("fills the frame", "填满画面"),
}  # fmt: skip

REMOVE_WHAT = {
    "title": "标题",
    "text": "文字",
    "alltext": "文字",
    "music": "背景音乐",
    "effect": "动效",
}


def say(key: str, lang: int, **kw: Any) -> str:
    return MSG[key][lang].format(**kw)


def prompts(follow_ups: bool, lang: int) -> str:
    """Prompts to suggest: follow-ups once there is a video, else ways to start."""
    if lang:
        options = FOLLOW_UP_PROMPTS_ZH if follow_ups else START_PROMPTS_ZH
        return "、".join(f"“{p}”" for p in options)
    options = FOLLOW_UP_PROMPTS if follow_ups else START_PROMPTS
    return ", ".join(f"“{p}”" for p in options)


def secs(ms: int) -> str:
    s = ms / 1000
    return str(int(s)) if s == int(s) else f"{s:.1f}"


def fx_names(combo: Combo, lang: int) -> str:
    names = [EFFECT_NAMES.get(kind, ("motion", "动效"))[lang] for kind, _ in combo]
    return ("与" if lang else " and ").join(names)
